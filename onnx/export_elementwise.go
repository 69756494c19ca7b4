package onnx

// The lowering of the elementwise primitives. ONNX Runtime's CPU provider
// has float64 kernels for Add Sub Mul Div Neg Abs Sign Exp Log Sqrt Pow
// Sin Cos Tanh Sigmoid Max Min Where Equal Less Greater IsNaN IsInf Cast,
// but none for Tan, Asin, Acos, Atan, Sinh, Cosh, Erf or Softplus: in
// float64 those are built from the others (atan and erf from rational
// approximations accurate to a few ulps, after Cephes and FreeBSD's msun,
// which Go's math package also follows).

import (
	"math"

	"github.com/chainrule/chainrule/tensor"
)

type unaryOp func(e *exporter, x string, d tensor.DType) string
type binaryOp func(e *exporter, x, y string, d tensor.DType) string

func onnxUnary(op string) unaryOp {
	return func(e *exporter, x string, _ tensor.DType) string { return e.node(op, []string{x}) }
}

func onnxBinary(op string) binaryOp {
	return func(e *exporter, x, y string, _ tensor.DType) string { return e.node(op, []string{x, y}) }
}

// float32Or uses ONNX's op in float32 and f in float64.
func float32Or(op string, f unaryOp) unaryOp {
	return func(e *exporter, x string, d tensor.DType) string {
		if d == tensor.Float32 {
			return e.node(op, []string{x})
		}
		return f(e, x, d)
	}
}

// compare makes a comparison, 1 or 0 in dtype d.
func compare(op string, not bool) binaryOp {
	return func(e *exporter, x, y string, d tensor.DType) string {
		b := e.node(op, []string{x, y})
		if not {
			b = e.node("Not", []string{b})
		}
		return e.node("Cast", []string{b}, intAttr("to", int64(dataType(d))))
	}
}

var unaryOps, binaryOps = map[string]unaryOp{}, map[string]binaryOp{}

func init() {
	for name, op := range map[string]string{"neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs",
		"sin": "Sin", "cos": "Cos", "tanh": "Tanh", "sigmoid": "Sigmoid", "elements": "Identity"} {
		unaryOps[name] = onnxUnary(op)
	}
	unaryOps["sign"] = func(e *exporter, x string, d tensor.DType) string {
		return e.node("Where", []string{e.node("IsNaN", []string{x}), x, e.node("Sign", []string{x})})
	}
	unaryOps["square"] = func(e *exporter, x string, _ tensor.DType) string { return e.node("Mul", []string{x, x}) }
	unaryOps["log1p"] = (*exporter).log1p
	unaryOps["expm1"] = (*exporter).expm1
	unaryOps["tan"] = float32Or("Tan", func(e *exporter, x string, _ tensor.DType) string {
		return e.node("Div", []string{e.node("Sin", []string{x}), e.node("Cos", []string{x})})
	})
	unaryOps["atan"] = float32Or("Atan", (*exporter).atan)
	// asin x = atan2(x, √((1-x)(1+x))), acos x = atan2(√((1-x)(1+x)), x)
	root := func(e *exporter, x string, d tensor.DType) string {
		one := e.scalar(1, d)
		return e.node("Sqrt", []string{e.node("Mul", []string{e.node("Sub", []string{one, x}), e.node("Add", []string{one, x})})})
	}
	unaryOps["asin"] = float32Or("Asin", func(e *exporter, x string, d tensor.DType) string { return e.atan2(x, root(e, x, d), d) })
	unaryOps["acos"] = float32Or("Acos", func(e *exporter, x string, d tensor.DType) string { return e.atan2(root(e, x, d), x, d) })
	// sinh x = m(m+2)/(2(m+1)) with m = expm1 x, accurate near 0, and
	// ±e^|x|/2 for |x| > 21 (as Go's math.Sinh), where that form overflows
	unaryOps["sinh"] = float32Or("Sinh", func(e *exporter, x string, d tensor.DType) string {
		m := e.expm1(x, d)
		num := e.node("Mul", []string{m, e.node("Add", []string{m, e.scalar(2, d)})})
		den := e.node("Mul", []string{e.scalar(2, d), e.node("Add", []string{m, e.scalar(1, d)})})
		near := e.node("Div", []string{num, den})
		ax := e.node("Abs", []string{x})
		far := e.node("Mul", []string{e.node("Exp", []string{ax}), e.scalar(0.5, d)})
		far = e.node("Where", []string{e.node("Less", []string{x, e.scalar(0, d)}), e.node("Neg", []string{far}), far})
		return e.node("Where", []string{e.node("Greater", []string{ax, e.scalar(21, d)}), far, near})
	})
	unaryOps["cosh"] = float32Or("Cosh", func(e *exporter, x string, d tensor.DType) string {
		s := e.node("Add", []string{e.node("Exp", []string{x}), e.node("Exp", []string{e.node("Neg", []string{x})})})
		return e.node("Mul", []string{s, e.scalar(0.5, d)})
	})
	unaryOps["erf"] = float32Or("Erf", (*exporter).erf)
	// softplus x = max(x, 0) + log1p(e^-|x|), as chainrule computes it
	unaryOps["softplus"] = func(e *exporter, x string, d tensor.DType) string {
		t := e.log1p(e.node("Exp", []string{e.node("Neg", []string{e.node("Abs", []string{x})})}), d)
		return e.node("Add", []string{e.relu(x, d), t})
	}
	unaryOps["relu"] = (*exporter).relu
	// gelu x = ½x(1 + erf(x/√2))
	unaryOps["gelu"] = func(e *exporter, x string, d tensor.DType) string {
		erf := e.erfOf(e.node("Mul", []string{x, e.scalar(1/math.Sqrt2, d)}), d)
		h := e.node("Mul", []string{e.scalar(0.5, d), x})
		return e.node("Mul", []string{h, e.node("Add", []string{e.scalar(1, d), erf})})
	}
	// gelu_tanh x = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
	unaryOps["gelu_tanh"] = func(e *exporter, x string, d tensor.DType) string {
		x3 := e.node("Mul", []string{e.node("Mul", []string{x, x}), x})
		in := e.node("Add", []string{x, e.node("Mul", []string{e.scalar(0.044715, d), x3})})
		t := e.node("Tanh", []string{e.node("Mul", []string{e.scalar(math.Sqrt(2/math.Pi), d), in})})
		h := e.node("Mul", []string{e.scalar(0.5, d), x})
		return e.node("Mul", []string{h, e.node("Add", []string{e.scalar(1, d), t})})
	}
	// silu x = x·σ(x); in float64 as x/(1 + e^-x), since ONNX Runtime
	// fuses x·σ(x) into a QuickGelu that has no float64 kernel
	unaryOps["silu"] = func(e *exporter, x string, d tensor.DType) string {
		if d == tensor.Float32 {
			return e.node("Mul", []string{x, e.node("Sigmoid", []string{x})})
		}
		den := e.node("Add", []string{e.scalar(1, d), e.node("Exp", []string{e.node("Neg", []string{x})})})
		return e.node("Div", []string{x, den})
	}
	unaryOps["finite_or_zero"] = (*exporter).finiteOrZero
	// relu_mask x = 1 where x > 0, else 0 (NaN gives 0), as Greater(x, 0)
	unaryOps["relu_mask"] = func(e *exporter, x string, d tensor.DType) string {
		return compare("Greater", false)(e, x, e.scalar(0, d), d)
	}
	// gelu_grad x = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ the normal density
	unaryOps["gelu_grad"] = func(e *exporter, x string, d tensor.DType) string {
		erf := e.erfOf(e.node("Mul", []string{x, e.scalar(1/math.Sqrt2, d)}), d)
		cdf := e.node("Mul", []string{e.scalar(0.5, d), e.node("Add", []string{e.scalar(1, d), erf})})
		pdf := e.node("Mul", []string{e.scalar(1/math.Sqrt(2*math.Pi), d), e.node("Exp", []string{e.node("Mul", []string{e.scalar(-0.5, d), e.node("Mul", []string{x, x})})})})
		return e.node("Add", []string{cdf, e.node("Mul", []string{x, pdf})})
	}
	// softmax_last is softmax over the last axis
	unaryOps["softmax_last"] = func(e *exporter, x string, d tensor.DType) string {
		return e.node("Softmax", []string{x}, intAttr("axis", -1))
	}
	// softmax_last_vjp y, g = y⊙(g − Σ g⊙y), the sum over the last axis:
	// softmax_last's reverse rule
	binaryOps["softmax_last_vjp"] = func(e *exporter, y, g string, _ tensor.DType) string {
		s := e.node("ReduceSum", []string{e.node("Mul", []string{g, y}), e.int64s([]int64{-1}, 1)}, intAttr("keepdims", 1))
		return e.node("Mul", []string{y, e.node("Sub", []string{g, s})})
	}

	for name, op := range map[string]string{"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow"} {
		binaryOps[name] = onnxBinary(op)
	}
	binaryOps["equal"] = compare("Equal", false)
	binaryOps["not_equal"] = compare("Equal", true)
	binaryOps["greater"] = compare("Greater", false)
	binaryOps["greater_equal"] = compare("GreaterOrEqual", false)
	binaryOps["less"] = compare("Less", false)
	binaryOps["less_equal"] = compare("LessOrEqual", false)
	// maximum and minimum propagate NaN, which ONNX's Max and Min need not
	nanSafe := func(op string) binaryOp {
		return func(e *exporter, x, y string, _ tensor.DType) string {
			m := e.node(op, []string{x, y})
			m = e.node("Where", []string{e.node("IsNaN", []string{y}), y, m})
			return e.node("Where", []string{e.node("IsNaN", []string{x}), x, m})
		}
	}
	binaryOps["maximum"] = nanSafe("Max")
	binaryOps["minimum"] = nanSafe("Min")
	// chain_mul is x·y, except 0 where x is 0 and x·y is NaN
	binaryOps["chain_mul"] = func(e *exporter, x, y string, d tensor.DType) string {
		z := e.node("Mul", []string{x, y})
		zero := e.scalar(0, d)
		strong := e.node("And", []string{e.node("Equal", []string{x, zero}), e.node("IsNaN", []string{z})})
		return e.node("Where", []string{strong, zero, z})
	}
	binaryOps["atan2"] = func(e *exporter, y, x string, d tensor.DType) string { return e.atan2(y, x, d) }
	// hypot = m√(1 + (n/m)²), m = max(|a|, |b|), n = min: no undue
	// overflow; 0 at the origin, +Inf if either is infinite (even NaN)
	binaryOps["hypot"] = func(e *exporter, x, y string, d tensor.DType) string {
		ax, ay := e.node("Abs", []string{x}), e.node("Abs", []string{y})
		m, n := e.node("Max", []string{ax, ay}), e.node("Min", []string{ax, ay})
		r := e.node("Div", []string{n, m})
		h := e.node("Mul", []string{m, e.node("Sqrt", []string{e.node("Add", []string{e.scalar(1, d), e.node("Mul", []string{r, r})})})})
		h = e.node("Where", []string{e.node("Equal", []string{m, e.scalar(0, d)}), e.scalar(0, d), h})
		nan := e.node("Or", []string{e.node("IsNaN", []string{x}), e.node("IsNaN", []string{y})})
		h = e.node("Where", []string{nan, e.scalar(math.NaN(), d), h})
		inf := e.node("Or", []string{e.node("IsInf", []string{x}), e.node("IsInf", []string{y})})
		return e.node("Where", []string{inf, e.scalar(math.Inf(1), d), h})
	}
}

// erfOf is erf(u): ONNX's Erf in float32, built from ops with float64
// kernels in float64 (ONNX Runtime has no float64 Erf).
func (e *exporter) erfOf(u string, d tensor.DType) string {
	if d == tensor.Float32 {
		return e.node("Erf", []string{u})
	}
	return e.erf(u, d)
}

// relu is max(x, 0), NaN kept: x where x > 0 or x is NaN, else 0.
func (e *exporter) relu(x string, d tensor.DType) string {
	le := e.node("LessOrEqual", []string{x, e.scalar(0, d)})
	return e.node("Where", []string{le, e.scalar(0, d), x})
}

// log1p is log(1+x) computed as x·log(u)/(u−1), u = 1+x (x where u = 1):
// accurate for small x (Goldberg, "What every computer scientist should
// know about floating-point arithmetic", 1991, Theorem 4).
func (e *exporter) log1p(x string, d tensor.DType) string {
	one := e.scalar(1, d)
	u := e.node("Add", []string{one, x})
	um1 := e.node("Sub", []string{u, one})
	q := e.node("Div", []string{e.node("Mul", []string{x, e.node("Log", []string{u})}), um1})
	q = e.node("Where", []string{e.node("IsInf", []string{u}), u, q}) // log1p(+Inf) = +Inf
	return e.node("Where", []string{e.node("Equal", []string{u, one}), x, q})
}

// expm1 is e^x − 1 computed as (u−1)·x/log(u), u = e^x (x where u = 1,
// −1 where u−1 = −1): accurate for small x (Kahan's trick).
func (e *exporter) expm1(x string, d tensor.DType) string {
	one := e.scalar(1, d)
	u := e.node("Exp", []string{x})
	um1 := e.node("Sub", []string{u, one})
	q := e.node("Div", []string{e.node("Mul", []string{um1, x}), e.node("Log", []string{u})})
	q = e.node("Where", []string{e.node("IsInf", []string{u}), u, q})
	q = e.node("Where", []string{e.node("Equal", []string{um1, e.scalar(-1, d)}), e.scalar(-1, d), q})
	return e.node("Where", []string{e.node("Equal", []string{u, one}), x, q})
}

// poly evaluates c[0]·z^(n-1) + … + c[n-1] by Horner's rule.
func (e *exporter) poly(z string, c []float64, d tensor.DType) string {
	p := e.scalar(c[0], d)
	for _, k := range c[1:] {
		p = e.node("Add", []string{e.node("Mul", []string{p, z}), e.scalar(k, d)})
	}
	return p
}

// atan is the arctangent by Cephes' atan.c (as Go's math.Atan): reduce
// |x| to [0, 0.66], then a rational approximation.
func (e *exporter) atan(x string, d tensor.DType) string {
	const (
		morebits = 6.123233995736765886130e-17 // pi/2 = PIO2 + morebits
		tan3pio8 = 2.41421356237309504880      // tan(3*pi/8)
	)
	s := func(v float64) string { return e.scalar(v, d) }
	bin := func(op, a, b string) string { return e.node(op, []string{a, b}) }
	ax := e.node("Abs", []string{x})
	big := bin("Greater", ax, s(tan3pio8))
	mid := bin("Greater", ax, s(0.66))
	// the reduced argument: -1/|x|, (|x|-1)/(|x|+1) or |x|
	rBig := bin("Div", s(-1), ax)
	rMid := bin("Div", bin("Sub", ax, s(1)), bin("Add", ax, s(1)))
	r := e.node("Where", []string{big, rBig, e.node("Where", []string{mid, rMid, ax})})
	z := bin("Mul", r, r)
	P := e.poly(z, []float64{-8.750608600031904122785e-01, -1.615753718733365076637e+01, -7.500855792314704667340e+01,
		-1.228866684490136173410e+02, -6.485021904942025371773e+01}, d)
	Q := e.poly(z, []float64{1, 2.485846490142306297962e+01, 1.650270098316988542046e+02, 4.328810604912902668951e+02,
		4.853903996359136964868e+02, 1.945506571482613964425e+02}, d)
	y := bin("Add", bin("Mul", bin("Mul", z, bin("Div", P, Q)), r), r)
	off := e.node("Where", []string{big, s(math.Pi / 2), e.node("Where", []string{mid, s(math.Pi / 4), s(0)})})
	extra := e.node("Where", []string{big, s(morebits), e.node("Where", []string{mid, s(0.5 * morebits), s(0)})})
	y = bin("Add", off, bin("Add", y, extra))
	// atan(±Inf) = ±π/2; the sign of x (and -0) comes back last
	y = e.node("Where", []string{e.node("IsInf", []string{x}), s(math.Pi / 2), y})
	neg := bin("Less", x, s(0))
	return e.node("Where", []string{neg, e.node("Neg", []string{y}), y})
}

// atan2 is the angle of (x, y) in (−π, π], by the quadrant of atan(y/x),
// with the special cases of IEEE 754 (as Go's math.Atan2) for zeros and
// infinities.
func (e *exporter) atan2(y, x string, d tensor.DType) string {
	s := func(v float64) string { return e.scalar(v, d) }
	bin := func(op, a, b string) string { return e.node(op, []string{a, b}) }
	where := func(c, a, b string) string { return e.node("Where", []string{c, a, b}) }
	ratio := bin("Div", y, x)
	var t string
	if d == tensor.Float32 {
		t = e.node("Atan", []string{ratio})
	} else {
		t = e.atan(ratio, d)
	}
	// the sign of a zero is read as 1/x's
	yneg := e.node("Or", []string{bin("Less", y, s(0)), e.node("And", []string{bin("Equal", y, s(0)), bin("Less", bin("Div", s(1), y), s(0))})})
	xneg := e.node("Or", []string{bin("Less", x, s(0)), e.node("And", []string{bin("Equal", x, s(0)), bin("Less", bin("Div", s(1), x), s(0))})})
	// x < 0 (or −0): t ± π by the sign of y
	pi := where(yneg, s(-math.Pi), s(math.Pi))
	q := where(xneg, bin("Add", t, pi), t)
	// y = ±0: ±0 for x > 0 or +0, ±π for x < 0 or −0
	yzero := bin("Equal", y, s(0))
	q = where(yzero, where(xneg, pi, y), q)
	// x = ±0, y ≠ 0: ±π/2
	xzero := bin("Equal", x, s(0))
	halfpi := where(yneg, s(-math.Pi/2), s(math.Pi/2))
	q = where(e.node("And", []string{xzero, e.node("Not", []string{yzero})}), halfpi, q)
	// infinities
	xinf, yinf := e.node("IsInf", []string{x}), e.node("IsInf", []string{y})
	both := e.node("And", []string{xinf, yinf})
	quarter := where(xneg, s(3*math.Pi/4), s(math.Pi/4))
	quarter = where(yneg, e.node("Neg", []string{quarter}), quarter)
	xinfOnly := where(xneg, pi, where(yneg, s(math.Copysign(0, -1)), s(0)))
	q = where(e.node("And", []string{yinf, e.node("Not", []string{xinf})}), halfpi, q)
	q = where(e.node("And", []string{xinf, e.node("Not", []string{yinf})}), xinfOnly, q)
	q = where(both, quarter, q)
	nan := e.node("Or", []string{e.node("IsNaN", []string{x}), e.node("IsNaN", []string{y})})
	return where(nan, s(math.NaN()), q)
}

// erf is the error function by the rational approximations of FreeBSD's
// s_erf.c (as Go's math.Erf), in four ranges of |x|.
func (e *exporter) erf(x string, d tensor.DType) string {
	const erx = 8.45062911510467529297e-01
	s := func(v float64) string { return e.scalar(v, d) }
	bin := func(op, a, b string) string { return e.node(op, []string{a, b}) }
	where := func(c, a, b string) string { return e.node("Where", []string{c, a, b}) }
	ax := e.node("Abs", []string{x})
	// |x| < 0.84375: x + x·P(z)/Q(z), z = x²
	z := bin("Mul", x, x)
	pp := e.poly(z, []float64{-2.37630166566501626084e-05, -5.77027029648944159157e-03, -2.84817495755985104766e-02,
		-3.25042107247001499370e-01, 1.28379167095512558561e-01}, d)
	qq := e.poly(z, []float64{-3.96022827877536812320e-06, 1.32494738004321644526e-04, 5.08130628187576562776e-03,
		6.50222499887672944485e-02, 3.97917223959155352819e-01, 1}, d)
	small := bin("Add", x, bin("Mul", x, bin("Div", pp, qq)))
	// 0.84375 ≤ |x| < 1.25: erx + P(s)/Q(s), s = |x| − 1
	t := bin("Sub", ax, s(1))
	pa := e.poly(t, []float64{-2.16637559486879084300e-03, 3.54783043256182359371e-02, -1.10894694282396677476e-01,
		3.18346619901161753674e-01, -3.72207876035701323847e-01, 4.14856118683748331666e-01, -2.36211856075265944077e-03}, d)
	qa := e.poly(t, []float64{1.19844998467991074170e-02, 1.36370839120290507362e-02, 1.26171219808761642112e-01,
		7.18286544141962662868e-02, 5.40397917702171048937e-01, 1.06420880400844228286e-01, 1}, d)
	mid := bin("Add", s(erx), bin("Div", pa, qa))
	// 1.25 ≤ |x| < 6: 1 − exp(−x² − 0.5625 + R(1/x²)/S(1/x²))/|x|
	w := bin("Div", s(1), bin("Mul", ax, ax))
	ra := e.poly(w, []float64{-9.81432934416914548592e+00, -8.12874355063065934246e+01, -1.84605092906711035994e+02,
		-1.62396669462573470355e+02, -6.23753324503260060396e+01, -1.05586262253232909814e+01, -6.93858572707181764372e-01,
		-9.86494403484714822705e-03}, d)
	sa := e.poly(w, []float64{-6.04244152148580987438e-02, 6.57024977031928170135e+00, 1.08635005541779435134e+02,
		4.29008140027567833386e+02, 6.45387271733267880336e+02, 4.34565877475229228821e+02, 1.37657754143519042600e+02,
		1.96512716674392571292e+01, 1}, d)
	rb := e.poly(w, []float64{-4.83519191608651397019e+02, -1.02509513161107724954e+03, -6.37566443368389627722e+02,
		-1.60636384855821916062e+02, -1.77579549177547519889e+01, -7.99283237680523006574e-01, -9.86494292470009928597e-03}, d)
	sb := e.poly(w, []float64{-2.24409524465858183362e+01, 4.74528541206955367215e+02, 2.55305040643316442583e+03,
		3.19985821950859553908e+03, 1.53672958608443695994e+03, 3.25792512996573918826e+02, 3.03380607434824582924e+01, 1}, d)
	lowTail := bin("Less", ax, s(1/0.35)) // |x| < 1/0.35: the first pair
	R := where(lowTail, ra, rb)
	S := where(lowTail, sa, sb)
	ex := e.node("Exp", []string{bin("Add", bin("Sub", e.node("Neg", []string{bin("Mul", ax, ax)}), s(0.5625)), bin("Div", R, S))})
	tail := bin("Sub", s(1), bin("Div", ex, ax))
	// assemble on |x|, then give back the sign
	r := where(bin("Less", ax, s(6)), tail, s(1))
	r = where(bin("Less", ax, s(1.25)), mid, r)
	sr := where(bin("Less", x, s(0)), e.node("Neg", []string{r}), r)
	res := where(bin("Less", ax, s(0.84375)), small, sr)
	return where(e.node("IsNaN", []string{x}), x, res)
}
