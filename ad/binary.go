package ad

// Binary elementwise primitives with NumPy broadcasting, comparisons and
// where. Each gives the local derivative with respect to each argument;
// the engine undoes broadcasting in one place (SumTo in node.vjpOf).

import (
	"math"

	"github.com/chainrule/chainrule/tensor"
)

// binary makes an elementwise prim from a kernel and the local derivatives
// d(i, a, b, out) with respect to argument i.
func binary(name string, f func(x, y *tensor.Tensor) *tensor.Tensor, s func(x, y float64) float64, d func(i int, a, b, y Value) Value) *prim {
	return &prim{
		name:  name,
		s2:    s,
		impl:  func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return f(t[0], t[1]) },
		local: func(i int, a []Value, y Value, _ *params) Value { return d(i, a[0], a[1], y) },
	}
}

// binaryF is binary for a prim whose kernel is a float64 function.
func binaryF(name string, f func(x, y float64) float64, d func(i int, a, b, y Value) Value) *prim {
	k, s := kernel2(name, f)
	return binary(name, k, s, d)
}

func kernel2(name string, f func(x, y float64) float64) (func(x, y *tensor.Tensor) *tensor.Tensor, func(x, y float64) float64) {
	return func(x, y *tensor.Tensor) *tensor.Tensor { return tensor.Map2(name, x, y, f) }, f
}

var addPrim = new(prim)

func init() {
	*addPrim = *binary("add", tensor.Add, func(x, y float64) float64 { return x + y },
		func(int, Value, Value, Value) Value { return identity })
}

// Add returns a + b + more[0] + … with broadcasting, added from left to
// right; a Go number stands for a weakly typed constant (see Operand),
// which takes the dtype of the value it meets. It panics with
// tensor.ErrShape if the shapes do not broadcast and tensor.ErrDType if
// two values of different dtypes meet (neither a weak constant).
func Add[A, B Operand](a A, b B, more ...Value) Value {
	s := bind(addPrim, nil, asValue(a), asValue(b))
	for _, m := range more {
		s = bind(addPrim, nil, s, m)
	}
	return s
}

var subPrim = new(prim)

func init() {
	*subPrim = *binary("sub", tensor.Sub, func(x, y float64) float64 { return x - y },
		func(i int, a, _, _ Value) Value {
			if i == 0 {
				return identity
			}
			return like(a, -1)
		})
}

// Sub returns a - b with broadcasting; it panics like Add.
func Sub[A, B Operand](a A, b B) Value { return bind(subPrim, nil, asValue(a), asValue(b)) }

var mulPrim = new(prim)

func init() {
	*mulPrim = *binary("mul", tensor.Mul, func(x, y float64) float64 { return x * y },
		func(i int, a, b, _ Value) Value {
			if i == 0 {
				return b
			}
			return a
		})
}

// Mul returns a * b * more[0] * … with broadcasting, multiplied from left
// to right; it panics like Add.
func Mul[A, B Operand](a A, b B, more ...Value) Value {
	p := bind(mulPrim, nil, asValue(a), asValue(b))
	for _, m := range more {
		p = bind(mulPrim, nil, p, m)
	}
	return p
}

var divPrim = new(prim)

func init() {
	*divPrim = *binary("div", tensor.Div, func(x, y float64) float64 { return x / y },
		func(i int, _, b, y Value) Value {
			if i == 0 {
				return Reciprocal(b)
			}
			return Neg(Div(y, b))
		})
}

// Div returns a / b with broadcasting; it panics like Add. Division by zero
// follows IEEE (1/0 = +Inf, 1/-0 = -Inf), and so do the derivatives 1/b and
// -a/b².
func Div[A, B Operand](a A, b B) Value { return bind(divPrim, nil, asValue(a), asValue(b)) }

var powPrim = new(prim)

func init() {
	*powPrim = *binaryF("pow", math.Pow,
		func(i int, x, p, y Value) Value {
			if i == 0 { // p·x^(p-1), and 0 where p = 0
				return Where(Equal(p, like(p, 0)), like(x, 0), Mul(p, Pow(x, Sub(p, like(p, 1)))))
			}
			// x^p·log x, and 0 where x = 0 and p ≥ 0
			return Where(Mul(Equal(x, like(x, 0)), GreaterEqual(p, like(p, 0))), like(x, 0), Mul(y, Log(x)))
		})
}

// Pow returns xᵖ elementwise with broadcasting (math.Pow's special cases).
// Following PyTorch: ∂/∂x is 0 where p = 0; ∂/∂p is 0 where x = 0 and p ≥ 0,
// and NaN where x < 0 (log of a negative number). Elsewhere ∂/∂x = p·x^(p-1)
// (so +Inf at x = 0 for 0 < p < 1) and ∂/∂p = xᵖ·log x.
func Pow[X, P Operand](x X, p P) Value { return bind(powPrim, nil, asValue(x), asValue(p)) }

var atan2Prim = new(prim)

func init() {
	*atan2Prim = *binaryF("atan2", math.Atan2,
		func(i int, y, x, _ Value) Value {
			r := Add(Mul(x, x), Mul(y, y))
			if i == 0 {
				return Div(x, r)
			}
			return Neg(Div(y, r))
		})
}

// Atan2 returns the angle of the point (x, y), elementwise with
// broadcasting. ∂/∂y = x/(x²+y²), ∂/∂x = -y/(x²+y²): NaN at the origin.
func Atan2[Y, X Operand](y Y, x X) Value { return bind(atan2Prim, nil, asValue(y), asValue(x)) }

func extremum(name string, f func(x, y float64) float64, pick func(a, b Value) Value) *prim {
	p := binaryF(name, f, func(i int, a, b, _ Value) Value {
		if i == 1 {
			a, b = b, a
		}
		half := Mul(Equal(a, b), like(a, 0.5))
		return Add(pick(a, b), half)
	})
	p.selects = 1<<0 | 1<<1 // the masks (0, ½ or 1) annihilate both ways, as PyTorch's masked_fill
	return p
}

var maximumPrim = new(prim)

func init() {
	*maximumPrim = *extremum("maximum", nanMax, Greater[Value, Value])
}

// Maximum returns the larger of a and b elementwise with broadcasting,
// propagating NaN. At ties the gradient is split 0.5/0.5 (PyTorch). It is a
// selection: the argument not selected gets exactly 0, even under an
// infinite adjoint or tangent (see the package doc's Conventions).
func Maximum[A, B Operand](a A, b B) Value { return bind(maximumPrim, nil, asValue(a), asValue(b)) }

var minimumPrim = new(prim)

func init() {
	*minimumPrim = *extremum("minimum", nanMin, Less[Value, Value])
}

// Minimum returns the smaller of a and b elementwise with broadcasting,
// propagating NaN. At ties the gradient is split 0.5/0.5 (PyTorch). It is a
// selection, as Maximum.
func Minimum[A, B Operand](a A, b B) Value { return bind(minimumPrim, nil, asValue(a), asValue(b)) }

func nanMax(x, y float64) float64 {
	if x != x || y != y {
		return math.NaN()
	}
	return math.Max(x, y)
}

func nanMin(x, y float64) float64 {
	if x != x || y != y {
		return math.NaN()
	}
	return math.Min(x, y)
}

var hypotPrim = new(prim)

func init() {
	*hypotPrim = *binaryF("hypot", math.Hypot,
		func(i int, a, b, y Value) Value {
			if i == 0 {
				return Div(a, y)
			}
			return Div(b, y)
		})
}

// Hypot returns √(a²+b²) elementwise with broadcasting, without undue
// overflow. ∂/∂a = a/hypot: NaN at the origin (as in PyTorch).
func Hypot[A, B Operand](a A, b B) Value { return bind(hypotPrim, nil, asValue(a), asValue(b)) }

// Comparisons: 1 where true and 0 where false, in the operands' dtype. They
// have no derivative: their output is a constant to every transformation.

func compare(name string, f func(x, y float64) bool) *prim {
	k, s := kernel2(name, func(x, y float64) float64 {
		if f(x, y) {
			return 1
		}
		return 0
	})
	return &prim{name: name, impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return k(t[0], t[1]) }, s2: s, nondiff: true,
		vmap: vmapAligned}
}

var (
	eqPrim = compare("equal", func(x, y float64) bool { return x == y })
	nePrim = compare("not_equal", func(x, y float64) bool { return x != y })
	gtPrim = compare("greater", func(x, y float64) bool { return x > y })
	gePrim = compare("greater_equal", func(x, y float64) bool { return x >= y })
	ltPrim = compare("less", func(x, y float64) bool { return x < y })
	lePrim = compare("less_equal", func(x, y float64) bool { return x <= y })
)

// Equal returns 1 where a == b and 0 elsewhere, with broadcasting.
func Equal[A, B Operand](a A, b B) Value { return bind(eqPrim, nil, asValue(a), asValue(b)) }

// NotEqual returns 1 where a != b and 0 elsewhere, with broadcasting.
func NotEqual[A, B Operand](a A, b B) Value { return bind(nePrim, nil, asValue(a), asValue(b)) }

// Greater returns 1 where a > b and 0 elsewhere, with broadcasting.
func Greater[A, B Operand](a A, b B) Value { return bind(gtPrim, nil, asValue(a), asValue(b)) }

// GreaterEqual returns 1 where a >= b and 0 elsewhere, with broadcasting.
func GreaterEqual[A, B Operand](a A, b B) Value { return bind(gePrim, nil, asValue(a), asValue(b)) }

// Less returns 1 where a < b and 0 elsewhere, with broadcasting.
func Less[A, B Operand](a A, b B) Value { return bind(ltPrim, nil, asValue(a), asValue(b)) }

// LessEqual returns 1 where a <= b and 0 elsewhere, with broadcasting.
func LessEqual[A, B Operand](a A, b B) Value { return bind(lePrim, nil, asValue(a), asValue(b)) }

var wherePrim = new(prim)

func init() {
	*wherePrim = prim{
		name:    "where",
		selects: 1<<1 | 1<<2, // the masks annihilate both ways
		impl:    func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return tensor.Where(t[0], t[1], t[2]) },
		local: func(i int, a []Value, _ Value, _ *params) Value {
			c := StopGradient(a[0])
			switch i {
			case 1:
				return NotEqual(c, like(c, 0))
			case 2:
				return Equal(c, like(c, 0))
			}
			return Value{} // the condition gets no gradient
		},
	}
}

// Where returns a where cond is non-zero and b elsewhere, elementwise over
// the broadcast of the three shapes. The gradient flows only into the
// branch selected, and into the other one it is exactly 0 — even where that
// branch's own derivative is infinite or NaN, and even where the adjoint
// reaching Where is. So the gradient of Where(Greater(x, 0), Sqrt(x), 0) at
// x = 0 is 0, not NaN as in JAX and PyTorch: the chain rule multiplies a
// zero adjoint into a local derivative with a strong zero (0·∞ = 0; see
// the package doc's Conventions).
func Where[A, B Operand](cond Value, a A, b B) Value {
	return bind(wherePrim, nil, cond, asValue(a), asValue(b))
}
