package ad_test

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/testfunc"
	"github.com/chainrule/chainrule/tensor"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) && math.IsNaN(got) {
		return
	}
	if got == want {
		return
	}
	if !(math.Abs(got-want) <= tol*(1+math.Abs(want))) {
		t.Errorf("%s = %.17g, want %.17g", what, got, want)
	}
}

func nearT(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	for i := 0; i < got.Size(); i++ {
		near(t, what, got.AtFlat(i), want.AtFlat(i), tol)
	}
}

// fdGrad is the central finite-difference gradient of a scalar function.
func fdGrad(f func(x []float64) float64, x []float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		h := 1e-6 * math.Max(1, math.Abs(x[i]))
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		g[i] = (f(xp) - f(xm)) / (2 * h)
	}
	return g
}

func scalarFn(f func(ad.Value) ad.Value, shape ...int) func([]float64) float64 {
	return func(x []float64) float64 {
		return f(ad.New(append([]float64(nil), x...), shape...)).Item()
	}
}

var (
	rosenN      = testfunc.RosenbrockVector
	rosenScalar = testfunc.RosenbrockScalar
	rosenHand   = testfunc.RosenbrockHand
)

func rosen2(xs []ad.Value) ad.Value {
	x, y := xs[0], xs[1]
	return ad.Add(ad.Square(ad.Sub(ad.Scalar(1), x)),
		ad.Mul(ad.Scalar(100), ad.Square(ad.Sub(y, ad.Square(x)))))
}

func TestRosenbrockClosedForm(t *testing.T) {
	v, g := ad.ValueAndGrads(rosen2, ad.Scalar(-1.2), ad.Scalar(1))
	near(t, "f", v.Item(), 24.2, 1e-14)
	near(t, "df/dx", g[0].Item(), -215.6, 1e-14)
	near(t, "df/dy", g[1].Item(), -88, 1e-14)
}

func TestRosenbrockND(t *testing.T) {
	n := 50
	g := ad.Grad(rosenN, ad.From(tensor.Ones(n)))
	for i := 0; i < n; i++ {
		if g.Tensor().AtFlat(i) != 0 {
			t.Fatalf("gradient at all-ones: element %d = %g, want 0", i, g.Tensor().AtFlat(i))
		}
	}
	// away from the minimum: vector form, scalar form and finite differences agree
	x := tensor.Rand(seeded(1), -1.5, 1.5, n)
	gv := ad.Grad(rosenN, ad.From(x))
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	gs := ad.Grads(rosenScalar, xs...)
	fd := fdGrad(scalarFn(rosenN, n), x.Data())
	for i := 0; i < n; i++ {
		near(t, "vector vs scalar", gv.Tensor().AtFlat(i), gs[i].Item(), 1e-12)
		near(t, "vector vs fd", gv.Tensor().AtFlat(i), fd[i], 1e-6)
	}
}

func TestFanOutAccumulates(t *testing.T) {
	// f(x) = x·x·x uses x three times: f' = 3x²
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Mul(ad.Mul(x, x), x) }, ad.Scalar(2))
	near(t, "d/dx x³", g.Item(), 12, 0)
}

func TestControlFlow(t *testing.T) {
	f := func(x ad.Value) ad.Value {
		if x.Item() > 0 {
			return ad.Mul(x, x)
		}
		for i := 0; i < 3; i++ {
			x = ad.Sin(x)
		}
		return x
	}
	near(t, "positive branch", ad.Grad(f, ad.Scalar(3)).Item(), 6, 0)
	x := -0.7
	want := math.Cos(math.Sin(math.Sin(x))) * math.Cos(math.Sin(x)) * math.Cos(x)
	near(t, "loop branch", ad.Grad(f, ad.Scalar(x)).Item(), want, 1e-15)
}

func TestVJPReusablePullback(t *testing.T) {
	x := tensor.New([]float64{0.5, -1, 2}, 3)
	y, pull := ad.VJP(func(xs []ad.Value) ad.Value { return ad.Mul(ad.Sin(xs[0]), xs[0]) }, ad.From(x))
	for k := 0; k < 3; k++ {
		ct := tensor.Zeros(3)
		ct.SetFlat(k, 2)
		g := pull(ad.From(ct))[0].Tensor()
		for i := 0; i < 3; i++ {
			want := 0.0
			if i == k {
				xi := x.AtFlat(i)
				want = 2 * (math.Cos(xi)*xi + math.Sin(xi))
			}
			near(t, "vjp", g.AtFlat(i), want, 1e-15)
		}
	}
	near(t, "value", y.Tensor().AtFlat(2), math.Sin(2)*2, 1e-15)
}

// The three perturbation-confusion tests of Siskind & Pearlmutter.
func TestNestingNoPerturbationConfusion(t *testing.T) {
	// d/dx [x · (d/dy (x + y) at y=1)] at x = 1 is 1 (confused: 2)
	for _, outer := range []string{"fwd", "rev"} {
		for _, inner := range []string{"fwd", "rev"} {
			d := func(f func(ad.Value) ad.Value, x ad.Value, mode string) ad.Value {
				if mode == "fwd" {
					return ad.Derivative(f, x)
				}
				return ad.Grad(f, x)
			}
			got := d(func(x ad.Value) ad.Value {
				return ad.Mul(x, d(func(y ad.Value) ad.Value { return ad.Add(x, y) }, ad.Scalar(1), inner))
			}, ad.Scalar(1), outer)
			near(t, outer+"-over-"+inner+" x·d(x+y)", got.Item(), 1, 0)
			got = d(func(x ad.Value) ad.Value {
				return ad.Mul(x, d(func(y ad.Value) ad.Value { return ad.Mul(x, y) }, ad.Scalar(1), inner))
			}, ad.Scalar(4), outer)
			near(t, outer+"-over-"+inner+" x·d(x·y)", got.Item(), 8, 0)
		}
	}
	// f = λx.λg.λy. g(x+y); f̂ = f'(3), applied lazily, with a fresh
	// derivative each time it is applied.
	fhat := func(g func(ad.Value) ad.Value) func(ad.Value) ad.Value {
		return func(y ad.Value) ad.Value {
			return ad.Derivative(func(x ad.Value) ad.Value { return g(ad.Add(x, y)) }, ad.Scalar(3))
		}
	}
	near(t, "(f̂ exp)(5)", fhat(ad.Exp)(ad.Scalar(5)).Item(), math.Exp(8), 1e-15)
	near(t, "(f̂ (f̂ exp))(5)", fhat(fhat(ad.Exp))(ad.Scalar(5)).Item(), math.Exp(11), 1e-15)
	near(t, "(f̂ exp)(5) literal", fhat(ad.Exp)(ad.Scalar(5)).Item(), 2980.957987041728, 1e-12)
	near(t, "(f̂ (f̂ exp))(5) literal", fhat(fhat(ad.Exp))(ad.Scalar(5)).Item(), 59874.14171519782, 1e-12)
}

func TestHigherOrderAnyCombination(t *testing.T) {
	// d⁴/dx⁴ sin x = sin x, through every mix of modes
	x := 0.7
	modes := []func(func(ad.Value) ad.Value) func(ad.Value) ad.Value{
		func(f func(ad.Value) ad.Value) func(ad.Value) ad.Value {
			return func(x ad.Value) ad.Value { return ad.Grad(f, x) }
		},
		func(f func(ad.Value) ad.Value) func(ad.Value) ad.Value {
			return func(x ad.Value) ad.Value { return ad.Derivative(f, x) }
		},
	}
	for m := 0; m < 16; m++ {
		f := ad.Sin
		for k := 0; k < 4; k++ {
			f = modes[(m>>k)&1](f)
		}
		near(t, "d⁴ sin", f(ad.Scalar(x)).Item(), math.Sin(x), 1e-14)
	}
	// fifth derivative of exp(2x) = 32 exp(2x)
	f := func(x ad.Value) ad.Value { return ad.Exp(ad.Mul(ad.Scalar(2), x)) }
	for k := 0; k < 5; k++ {
		f = modes[k%2](f)
	}
	near(t, "d⁵ exp(2x)", f(ad.Scalar(0.3)).Item(), 32*math.Exp(0.6), 1e-13)
}

func TestJacobianModesAgree(t *testing.T) {
	fs := map[string]func(ad.Value) ad.Value{
		"wide": func(x ad.Value) ad.Value { // R^3 → R^7
			w := ad.From(tensor.RandN(seeded(2), 7, 3))
			return ad.Tanh(ad.MatMul(w, ad.Sin(x)))
		},
		"tall": func(x ad.Value) ad.Value { // R^6 → R^2
			return ad.Stack(0, ad.Sum(ad.Square(x), false), ad.Prod(ad.Cos(x), false))
		},
		"matrix": func(x ad.Value) ad.Value { // R^(2×3) → R^(3×3)
			return ad.Softmax(ad.MatMul(ad.MT(x), x), 1)
		},
	}
	ins := map[string]*tensor.Tensor{"wide": tensor.RandN(seeded(3), 3), "tall": tensor.RandN(seeded(4), 6), "matrix": tensor.RandN(seeded(5), 2, 3)}
	for name, f := range fs {
		x := ad.From(ins[name])
		jf := ad.JacFwd(f, x)
		jr := ad.JacRev(f, x)
		ja, mode := ad.Jacobian(f, x, ad.Auto)
		nearT(t, name+" fwd vs rev", jf.Tensor(), jr.Tensor(), 1e-12)
		nearT(t, name+" auto vs rev", ja.Tensor(), jr.Tensor(), 1e-12)
		n, m := x.Size(), f(x).Size()
		want := ad.Reverse
		if n < m {
			want = ad.Forward
		}
		if mode != want {
			t.Errorf("%s: auto chose %v for n=%d m=%d", name, mode, n, m)
		}
		// against finite differences, column by column
		for j := 0; j < n; j++ {
			h := 1e-6
			xp, xm := x.Tensor().Clone(), x.Tensor().Clone()
			xp.SetFlat(j, xp.AtFlat(j)+h)
			xm.SetFlat(j, xm.AtFlat(j)-h)
			fp, fm := f(ad.From(xp)).Tensor(), f(ad.From(xm)).Tensor()
			for i := 0; i < m; i++ {
				near(t, name+" jac vs fd", jr.Tensor().AtFlat(i*n+j), (fp.AtFlat(i)-fm.AtFlat(i))/(2*h), 1e-6)
			}
		}
	}
}

func TestHessianAndHVP(t *testing.T) {
	// Rosenbrock n=2: closed-form Hessian
	f := rosenN
	x := tensor.New([]float64{-1.2, 1}, 2)
	h := ad.Hessian(f, ad.From(x)).Tensor()
	a, b := -1.2, 1.0
	want := tensor.New([]float64{1200*a*a - 400*b + 2, -400 * a, -400 * a, 200}, 2, 2)
	nearT(t, "hessian", h, want, 1e-13)
	v := tensor.New([]float64{0.3, -2}, 2)
	hv := ad.HVP(f, ad.From(x), ad.From(v)).Tensor()
	nearT(t, "hvp", hv, tensor.MatMul(want, v), 1e-13)
	// rev-over-rev Hessian agrees with fwd-over-rev
	x5 := tensor.Rand(seeded(9), -1, 1, 5)
	hfr := ad.JacFwd(func(y ad.Value) ad.Value { return ad.Grad(f, y) }, ad.From(x5)).Tensor()
	hrr := ad.Hessian(f, ad.From(x5)).Tensor() // reverse over batched reverse
	hff := ad.JacFwd(func(y ad.Value) ad.Value { return ad.JacFwd(f, y) }, ad.From(x5)).Tensor()
	nearT(t, "fwd-over-rev vs rev-over-rev", hfr, hrr, 1e-12)
	nearT(t, "fwd-over-rev vs fwd-over-fwd", hfr, hff, 1e-12)
}

func TestStopGradientUnderNesting(t *testing.T) {
	// d/dx [x · stop(x²)] = x² ; second derivative through the outer x only: 2x
	f := func(x ad.Value) ad.Value { return ad.Mul(x, ad.StopGradient(ad.Mul(x, x))) }
	near(t, "grad", ad.Grad(f, ad.Scalar(3)).Item(), 9, 0)
	g := func(x ad.Value) ad.Value { return ad.Grad(f, x) }
	near(t, "grad of grad", ad.Grad(g, ad.Scalar(3)).Item(), 0, 0)
	// stop inside an inner derivative: d/dx d/dy [stop(x)·y²]|y=x... = d/dx 2·x·stop(x) = 2x
	h := func(x ad.Value) ad.Value {
		return ad.Derivative(func(y ad.Value) ad.Value { return ad.Mul(ad.StopGradient(x), ad.Mul(y, y)) }, x)
	}
	near(t, "stop under nesting", ad.Derivative(h, ad.Scalar(1.5)).Item(), 2*1.5, 0)
}

func TestWhereUnselectedBranchIsExactlyZero(t *testing.T) {
	f := func(x ad.Value) ad.Value { return ad.Where(ad.Greater(x, ad.Scalar(0)), ad.Sqrt(x), ad.Scalar(0)) }
	for _, mode := range []string{"rev", "fwd"} {
		var g float64
		if mode == "rev" {
			g = ad.Grad(f, ad.Scalar(0)).Item()
		} else {
			g = ad.Derivative(f, ad.Scalar(0)).Item()
		}
		if g != 0 {
			t.Errorf("%s: gradient of where(x>0, sqrt(x), 0) at 0 = %g, want exactly 0", mode, g)
		}
	}
	// log at a negative point in the unselected branch
	g := ad.Grad(func(x ad.Value) ad.Value {
		return ad.Sum(ad.Where(ad.Greater(x, ad.Scalar(0)), ad.Log(x), ad.Mul(x, x)), false)
	}, ad.New([]float64{-2, 0, 3}, 3)).Tensor()
	nearT(t, "where log", g, tensor.New([]float64{-4, 0, 1.0 / 3}, 3), 1e-15)
	// and the second derivative stays clean too
	h := ad.Grad(func(x ad.Value) ad.Value { return ad.Grad(f, x) }, ad.Scalar(0)).Item()
	if h != 0 {
		t.Errorf("second derivative at 0 = %g, want 0", h)
	}
}

func TestKinkConventions(t *testing.T) {
	grad := func(f func(ad.Value) ad.Value, x float64) float64 { return ad.Grad(f, ad.Scalar(x)).Item() }
	near(t, "relu'(0)", grad(ad.Relu, 0), 0, 0)
	near(t, "abs'(0)", grad(ad.Abs, 0), 0, 0)
	if g := grad(ad.Sqrt, 0); !math.IsInf(g, 1) {
		t.Errorf("sqrt'(0) = %g, want +Inf", g)
	}
	if v := ad.Reciprocal(ad.Scalar(0)).Item(); !math.IsInf(v, 1) {
		t.Errorf("1/0 = %g, want +Inf", v)
	}
	if v := ad.Reciprocal(ad.Scalar(math.Copysign(0, -1))).Item(); !math.IsInf(v, -1) {
		t.Errorf("1/-0 = %g, want -Inf", v)
	}
	if g := grad(ad.Reciprocal, 0); !math.IsInf(g, -1) {
		t.Errorf("d/dx 1/x at 0 = %g, want -Inf", g)
	}
	gs := ad.Grads(func(xs []ad.Value) ad.Value { return ad.Maximum(xs[0], xs[1]) }, ad.Scalar(2), ad.Scalar(2))
	near(t, "maximum tie a", gs[0].Item(), 0.5, 0)
	near(t, "maximum tie b", gs[1].Item(), 0.5, 0)
	gs = ad.Grads(func(xs []ad.Value) ad.Value { return ad.Minimum(xs[0], xs[1]) }, ad.Scalar(-1), ad.Scalar(-1))
	near(t, "minimum tie a", gs[0].Item(), 0.5, 0)
	near(t, "minimum tie b", gs[1].Item(), 0.5, 0)
	pow := func(xs []ad.Value) ad.Value { return ad.Pow(xs[0], xs[1]) }
	for _, y := range []float64{0, 2} {
		gs = ad.Grads(pow, ad.Scalar(0), ad.Scalar(y))
		if gs[0].Item() != 0 || gs[1].Item() != 0 {
			t.Errorf("pow(0, %g): partials %g, %g, want 0, 0", y, gs[0].Item(), gs[1].Item())
		}
	}
	gs = ad.Grads(pow, ad.Scalar(-2), ad.Scalar(3))
	near(t, "∂x (-2)^3", gs[0].Item(), 12, 0)
	if !math.IsNaN(gs[1].Item()) {
		t.Errorf("∂y x^y at x=-2 = %g, want NaN", gs[1].Item())
	}
	// max reduction with ties splits evenly
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Max(x, false) }, ad.New([]float64{1, 3, 3, 2}, 4)).Tensor()
	nearT(t, "max ties", g, tensor.New([]float64{0, 0.5, 0.5, 0}, 4), 0)
}

func TestErrorsAreSentinelPanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		kind error
		msg  string
	}{
		{"matmul", func() { ad.MatMul(ad.From(tensor.Zeros(3, 4)), ad.From(tensor.Zeros(5, 2))) }, tensor.ErrShape,
			"chainrule: matmul: shapes (3,4) and (5,2) do not match"},
		{"broadcast", func() { ad.Add(ad.From(tensor.Zeros(2, 3)), ad.From(tensor.Zeros(4))) }, tensor.ErrShape,
			"chainrule: add: shapes (2,3) and (4) do not broadcast"},
		{"axis", func() { ad.Sum(ad.From(tensor.Zeros(2, 3)), false, 2) }, tensor.ErrAxis,
			"chainrule: sum: axis 2 out of range for shape (2,3)"},
		{"dtype", func() { ad.Mul(ad.From(tensor.Zeros(2)), ad.From(tensor.Float32.Zeros(2))) }, tensor.ErrDType,
			"chainrule: mul: float64 (2) and float32 (2) need a conversion"},
		{"grad of vector", func() { ad.Grad(ad.Sin, ad.From(tensor.Zeros(2))) }, tensor.ErrShape,
			"chainrule: grad: function output of shape (2) is not a scalar; use VJP or Jacobian"},
		{"take index", func() { ad.TakeAlong(ad.From(tensor.Zeros(2, 3)), 1, []int{0, 3}) }, tensor.ErrIndex,
			"chainrule: take_along: index 3 out of range for axis of length 3"},
		{"zero value", func() { ad.Exp(ad.Value{}) }, tensor.ErrArg, "chainrule: exp: zero Value (uninitialised)"},
	}
	for _, c := range cases {
		err := tensor.Maybe(c.f)
		if err == nil {
			t.Errorf("%s: no panic", c.name)
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: error %v is not %v", c.name, err, c.kind)
		}
		if err.Error() != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, err.Error(), c.msg)
		}
	}
	// a tracer that escapes its transformation cannot be used later
	var leaked ad.Value
	ad.Grad(func(x ad.Value) ad.Value { leaked = ad.Mul(x, x); return leaked }, ad.Scalar(1))
	err := tensor.Maybe(func() { ad.Sin(leaked) })
	if !errors.Is(err, tensor.ErrGraph) || !strings.Contains(err.Error(), "sin") {
		t.Errorf("escaped tracer: got %v, want ErrGraph naming sin", err)
	}
	// ... nor inside a later transformation that reuses the pooled tape
	err = tensor.Maybe(func() {
		ad.Grad(func(x ad.Value) ad.Value { return ad.Mul(x, leaked) }, ad.Scalar(2))
	})
	if !errors.Is(err, tensor.ErrGraph) {
		t.Errorf("escaped tracer in a later Grad: got %v, want ErrGraph", err)
	}
	ad.JVP(func(xs []ad.Value) ad.Value { leaked = ad.Sin(xs[0]); return leaked }, []ad.Value{ad.Scalar(1)}, []ad.Value{ad.Scalar(1)})
	if err := tensor.Maybe(func() { ad.Exp(leaked) }); !errors.Is(err, tensor.ErrGraph) {
		t.Errorf("escaped JVP tracer: got %v, want ErrGraph", err)
	}
	// a non-chainrule panic is not swallowed
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Maybe swallowed a foreign panic")
			}
		}()
		_ = tensor.Maybe(func() { panic("other") })
	}()
}

func log1pexpRules() func(xs ...ad.Value) ad.Value {
	return ad.Custom("log1pexp",
		func(xs []ad.Value) ad.Value { return ad.Softplus(xs[0]) },
		func(p, t []ad.Value) ad.Value { return ad.Mul(t[0], ad.Sigmoid(p[0])) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, ad.Sigmoid(p[0]))} })
}

func TestCustomRules(t *testing.T) {
	lpe := log1pexpRules()
	f := func(x ad.Value) ad.Value { return lpe(x) }
	for _, x := range []float64{-30, -1, 0, 0.5, 40} {
		g := ad.Grad(f, ad.Scalar(x)).Item()
		d := ad.Derivative(f, ad.Scalar(x)).Item()
		fd := fdGrad(scalarFn(f), []float64{x})[0]
		near(t, "custom rev vs fd", g, fd, 1e-7)
		near(t, "custom fwd vs fd", d, fd, 1e-7)
		// second order, both routes, against finite differences of the first
		h1 := ad.Grad(func(x ad.Value) ad.Value { return ad.Grad(f, x) }, ad.Scalar(x)).Item()
		h2 := ad.Derivative(func(x ad.Value) ad.Value { return ad.Grad(f, x) }, ad.Scalar(x)).Item()
		h3 := ad.Derivative(func(x ad.Value) ad.Value { return ad.Derivative(f, x) }, ad.Scalar(x)).Item()
		fd2 := fdGrad(scalarFn(func(x ad.Value) ad.Value { return ad.Grad(f, x) }), []float64{x})[0]
		s := 1 / (1 + math.Exp(-x))
		near(t, "custom rev-over-rev", h1, s*(1-s), 1e-12)
		near(t, "custom fwd-over-rev", h2, s*(1-s), 1e-12)
		near(t, "custom fwd-over-fwd", h3, s*(1-s), 1e-12)
		near(t, "custom second vs fd", h1, fd2, 1e-6)
	}
	// batched forward mode through a custom rule
	x := ad.New([]float64{-1, 0.5, 2}, 3)
	j := ad.JacFwd(func(x ad.Value) ad.Value { return lpe(x) }, x).Tensor()
	for i := 0; i < 3; i++ {
		s := 1 / (1 + math.Exp(-x.Tensor().AtFlat(i)))
		near(t, "custom jacfwd diag", j.At(i, i), s, 1e-15)
	}
}

func TestCheckpointSameDerivatives(t *testing.T) {
	w := ad.From(tensor.RandN(seeded(3), 4, 4))
	layer := func(xs []ad.Value) ad.Value { return ad.Tanh(ad.MatMul(w, xs[0])) }
	ck := ad.Checkpoint(layer)
	plain := func(h ad.Value) ad.Value {
		for i := 0; i < 5; i++ {
			h = layer([]ad.Value{h})
		}
		return ad.Sum(ad.Square(h), false)
	}
	check := func(h ad.Value) ad.Value {
		for i := 0; i < 5; i++ {
			h = ck(h)
		}
		return ad.Sum(ad.Square(h), false)
	}
	x := ad.From(tensor.RandN(seeded(4), 4))
	nearT(t, "checkpoint grad", ad.Grad(check, x).Tensor(), ad.Grad(plain, x).Tensor(), 1e-14)
	v := ad.From(tensor.RandN(seeded(5), 4))
	nearT(t, "checkpoint hvp", ad.HVP(check, x, v).Tensor(), ad.HVP(plain, x, v).Tensor(), 1e-13)
	nearT(t, "checkpoint jacfwd", ad.JacFwd(func(h ad.Value) ad.Value { return ck(h) }, x).Tensor(),
		ad.JacRev(func(h ad.Value) ad.Value { return layer([]ad.Value{h}) }, x).Tensor(), 1e-14)
}

func TestGraphLocalGradients(t *testing.T) {
	g := ad.Trace(func(xs []ad.Value) ad.Value {
		return ad.Add(ad.Mul(xs[0], xs[1]), ad.Sin(xs[0]))
	}, []ad.Value{ad.Scalar(2), ad.Scalar(3)}, "x", "y")
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	want := "x = 2\ny = 3\nv1 = mul(x, y) = 6\nv2 = sin(x) = " + num(math.Sin(2)) +
		"\nv3 = add(v1, v2) = " + num(6+math.Sin(2)) + "\n"
	if g.String() != want {
		t.Errorf("dump:\n%s\nwant:\n%s", g, want)
	}
	ns := g.Nodes()
	mul, sin := ns[2], ns[3]
	l0, _ := mul.Local(0)
	l1, _ := mul.Local(1)
	ls, _ := sin.Local(0)
	near(t, "∂v1/∂x", l0.Item(), 3, 0)
	near(t, "∂v1/∂y", l1.Item(), 2, 0)
	near(t, "∂v2/∂x", ls.Item(), math.Cos(2), 0)
	adj := g.Adjoints(tensor.Scalar(1))
	near(t, "adjoint x", adj[0].Item(), 3+math.Cos(2), 1e-15)
	near(t, "adjoint y", adj[1].Item(), 2, 0)
	tan := g.Tangents([]*tensor.Tensor{tensor.Scalar(1), tensor.Scalar(0)})
	near(t, "tangent of output along x", tan[4].Item(), 3+math.Cos(2), 1e-15)
	// tensor node: the local gradient as a function
	gm := ad.Trace(func(xs []ad.Value) ad.Value { return ad.MatMul(xs[0], xs[1]) },
		[]ad.Value{ad.From(tensor.RandN(seeded(1), 2, 3)), ad.From(tensor.RandN(seeded(2), 3, 4))})
	mm := gm.Nodes()[2]
	if _, ok := mm.Local(0); ok {
		t.Error("matmul node claims an elementwise local gradient")
	}
	ct := tensor.RandN(seeded(3), 2, 4)
	nearT(t, "node vjp", mm.VJP(0, ct), tensor.MatMul(ct, tensor.Transpose(mm.ArgValue(1))), 1e-15)
}

// Regression: the batched forward rule of SumTo lined the batch axis up with
// a data axis when SumTo drops leading axes (found by gradcheck).
func TestSumToBatchedJVP(t *testing.T) {
	_, tan := ad.JVPBatch(func(xs []ad.Value) ad.Value { return ad.SumTo(xs[0]) },
		[]ad.Value{ad.New([]float64{1, 1, 1}, 3)},
		[]ad.Value{ad.New([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3)})
	nearT(t, "batched sum_to", tan.Tensor(), tensor.New([]float64{6, 15, 24}, 3), 0)
	// and the Hessian of a broadcasting product, which goes through it
	f := func(x ad.Value) ad.Value {
		m := ad.Reshape(x, 2, 3)
		return ad.Sum(ad.Mul(m, ad.Slice(m, 0, 0, 1)), false) // (2,3)·(1,3)
	}
	x := ad.From(tensor.Rand(seeded(3), -1, 1, 6))
	nearT(t, "hessian fwd-over-rev vs rev-over-rev", ad.JacFwd(func(y ad.Value) ad.Value { return ad.Grad(f, y) }, x).Tensor(),
		ad.JacRev(func(y ad.Value) ad.Value { return ad.Grad(f, y) }, x).Tensor(), 1e-14)
}

// Symbolic zero tangents: nodes whose inputs do not depend on the
// differentiated variable do no tangent work. A custom op whose forward
// rule counts its calls shows it.
func TestSymbolicZeroTangentsDoNoWork(t *testing.T) {
	calls := 0
	double := ad.Custom("double",
		func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Scalar(2)) },
		func(_, ts []ad.Value) ad.Value { calls++; return ad.Mul(ts[0], ad.Scalar(2)) },
		func(_ []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, ad.Scalar(2))} })
	f := func(xs []ad.Value) ad.Value {
		x, c := xs[0], xs[1]
		k := double(double(c)) // depends only on c, whose tangent is a symbolic zero
		return ad.Add(ad.Mul(x, k), double(x))
	}
	_, tan := ad.JVP(f, []ad.Value{ad.Scalar(3), ad.Scalar(5)}, []ad.Value{ad.Scalar(1), {}})
	near(t, "tangent", tan.Item(), 20+2, 0)
	if calls != 1 {
		t.Errorf("forward rule ran %d times, want 1 (only on the path from x)", calls)
	}
	// a function that ignores its input entirely: the tangent is zeros
	_, tan = ad.JVP(func(xs []ad.Value) ad.Value { return double(ad.Scalar(4)) }, []ad.Value{ad.Scalar(1)}, []ad.Value{ad.Scalar(1)})
	if tan.Item() != 0 || calls != 1 {
		t.Errorf("independent output: tangent %v, rule calls %d", tan, calls)
	}
}

// LogSumExp over no elements is log 0 = −Inf (PyTorch's convention), with
// an empty gradient; over a non-empty axis of an empty tensor it is empty.
func TestLogSumExpEmpty(t *testing.T) {
	if v := ad.LogSumExp(ad.From(tensor.Zeros(0)), false).Item(); !math.IsInf(v, -1) {
		t.Errorf("logsumexp of () = %v, want -Inf", v)
	}
	r := ad.LogSumExp(ad.From(tensor.Zeros(2, 0)), false, 1).Tensor()
	if !slices.Equal(r.Shape(), []int{2}) || !math.IsInf(r.AtFlat(0), -1) || !math.IsInf(r.AtFlat(1), -1) {
		t.Errorf("logsumexp of (2,0) along 1 = %v, want [-Inf -Inf]", r)
	}
	if k := ad.LogSumExp(ad.From(tensor.Zeros(2, 0)), true, 1); !slices.Equal(k.Shape(), []int{2, 1}) {
		t.Errorf("keepdims shape %v, want (2,1)", k.Shape())
	}
	if e := ad.LogSumExp(ad.From(tensor.Zeros(0, 3)), false, 1); !slices.Equal(e.Shape(), []int{0}) {
		t.Errorf("logsumexp of (0,3) along 1 has shape %v, want (0)", e.Shape())
	}
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.LogSumExp(x, false) }, ad.From(tensor.Zeros(0)))
	if !slices.Equal(g.Shape(), []int{0}) {
		t.Errorf("gradient shape %v, want (0)", g.Shape())
	}
}

// Auto's memory of output sizes stays bounded however many input shapes
// it sees.
func TestJacobianSizesBounded(t *testing.T) {
	f := func(x ad.Value) ad.Value { return ad.Sin(x) }
	for n := 1; n <= 60; n++ {
		ad.Jacobian(f, ad.From(tensor.Zeros(n)), ad.Auto)
	}
	if k := ad.JacSizes(); k < 60 {
		t.Errorf("Auto remembers %d sizes after 60 shapes, want at least 60", k)
	}
	ad.RememberSizes(1500) // as many more shapes
	if k := ad.JacSizes(); k == 0 || k > 1024 {
		t.Errorf("Auto remembers %d sizes after 1560 shapes, want 1…1024", k)
	}
	// and still chooses well
	if _, m := ad.Jacobian(func(x ad.Value) ad.Value { return ad.Concat(0, x, x, x) }, ad.From(tensor.Zeros(3)), ad.Auto); m != ad.Forward {
		t.Errorf("Auto chose %v for 3 → 9, want Forward", m)
	}
}
