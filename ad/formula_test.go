package ad_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// wantPanic checks that f panics with sentinel and that the message names op.
func wantPanic(t *testing.T, what string, sentinel error, op string, f func()) {
	t.Helper()
	err := tensor.Maybe(f)
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got %v, want %v", what, err, sentinel)
		return
	}
	if !strings.Contains(err.Error(), op) {
		t.Errorf("%s: %q does not name %q", what, err, op)
	}
}

func f32(vs ...float32) ad.Value { return ad.From(tensor.New32(vs, len(vs))) }

// checkF32 checks that v is float32 and holds want (rounded to float32).
func checkF32(t *testing.T, what string, v ad.Value, want ...float64) {
	t.Helper()
	if v.DType() != tensor.Float32 {
		t.Errorf("%s: dtype %s, want float32", what, v.DType())
		return
	}
	got := v.Tensor().Float64s()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range got {
		if float32(got[i]) != float32(want[i]) && math.Abs(got[i]-want[i]) > 1e-5*(1+math.Abs(want[i])) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// A weak constant (ad.Scalar) takes the dtype of the value it meets.
func TestWeakScalarAdoptsDType(t *testing.T) {
	x := f32(1, 2, -3)
	checkF32(t, "2*x", ad.Mul(ad.Scalar(2), x), 2, 4, -6)
	checkF32(t, "x-0.5", ad.Sub(x, ad.Scalar(0.5)), 0.5, 1.5, -3.5)
	checkF32(t, "x^2", ad.Pow(x, ad.Scalar(2)), 1, 4, 9)
	checkF32(t, "x>0", ad.Greater(x, ad.Scalar(0)), 1, 1, 0)
	checkF32(t, "where", ad.Where(ad.Greater(x, ad.Scalar(0)), x, ad.Scalar(0)), 1, 2, 0)
	checkF32(t, "maximum", ad.Maximum(ad.Scalar(1.5), x), 1.5, 2, 1.5)
	// weak op weak stays weak
	three := ad.Add(ad.Scalar(1), ad.Scalar(2))
	checkF32(t, "(1+2)*x", ad.Mul(three, x), 3, 6, -9)
	checkF32(t, "sqrt(4)*x", ad.Mul(ad.Sqrt(ad.Scalar(4)), x), 2, 4, -6)
	// against float64 nothing changes
	if y := ad.Mul(ad.Scalar(2), ad.New([]float64{1, 2}, 2)); y.DType() != tensor.Float64 || y.Tensor().AtFlat(1) != 4 {
		t.Errorf("2*x64 = %v %v", y.DType(), y)
	}
	if y := ad.Add(ad.Scalar(1), ad.Scalar(2)); y.DType() != tensor.Float64 || y.Item() != 3 {
		t.Errorf("1+2 = %v %v", y.DType(), y)
	}
}

// Two strong values of different dtypes still panic, and so does a strong
// float64 scalar made from a tensor.
func TestStrongDTypesStillPanic(t *testing.T) {
	x := f32(1, 2)
	wantPanic(t, "f64 tensor * f32", tensor.ErrDType, "mul", func() { ad.Mul(ad.New([]float64{1, 2}, 2), x) })
	wantPanic(t, "strong f64 scalar * f32", tensor.ErrDType, "add", func() { ad.Add(ad.From(tensor.Scalar(2)), x) })
	// a float64 variable is strong inside a transformation
	wantPanic(t, "grad input * f32", tensor.ErrDType, "mul", func() {
		ad.Grad(func(s ad.Value) ad.Value { return ad.Sum(ad.Mul(s, x), false) }, ad.Scalar(2))
	})
}

// Derivatives through weak constants keep float32 in every mode, nested
// and compiled.
func TestWeakScalarDerivatives(t *testing.T) {
	x := f32(1, 2, -3)
	two, half := ad.Scalar(2), ad.Scalar(0.5)
	// f(x) = Σ 0.5·(2x)² + 2 = Σ 2x² + 2: ∇f = 4x, ∇²f = 4I, J of 2x·x = 4x diag
	f := func(x ad.Value) ad.Value {
		return ad.Add(ad.Sum(ad.Mul(half, ad.Square(ad.Mul(two, x))), false), two)
	}
	v, g := ad.ValueAndGrad(f, x)
	checkF32(t, "f", v, 0.5*4*(1+4+9)+2)
	checkF32(t, "grad", g, 4, 8, -12)
	_, tan := ad.JVP(func(xs []ad.Value) ad.Value { return f(xs[0]) }, []ad.Value{x}, []ad.Value{f32(1, 0, 1)})
	checkF32(t, "jvp", tan, 4-12)
	h := ad.Hessian(f, x)
	checkF32(t, "hessian", h, 4, 0, 0, 0, 4, 0, 0, 0, 4)
	gg := ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(two, ad.Grad(f, x)), false) }, x)
	checkF32(t, "grad of grad", gg, 8, 8, 8)
	p := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrad(f, xs[0])
		return []ad.Value{v, g}
	}, x)
	out := p.Run(f32(3, 0, 1))
	checkF32(t, "compiled f", out[0], 2*10+2)
	checkF32(t, "compiled grad", out[1], 12, 0, 4)
	// the weak constant as a Grad input: a float64 variable; gradient float64
	gs := ad.Grads(func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], xs[1]) }, ad.Scalar(3), ad.Scalar(4))
	if gs[0].DType() != tensor.Float64 || gs[0].Item() != 4 || gs[1].Item() != 3 {
		t.Errorf("grads of weak inputs = %v %v", gs[0], gs[1])
	}
}

// Value formats like its tensor.
func TestValueFormat(t *testing.T) {
	x := ad.New([]float64{1, 2.5, -3}, 3)
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Sin(x), x), false) }, x)
	for _, format := range []string{"%v", "%s", "%.3f", "%e", "%.2E", "%g", "%F", "%5.1G"} {
		if got, want := fmt.Sprintf(format, g), fmt.Sprintf(format, g.Tensor()); got != want {
			t.Errorf("%s: %q, want %q", format, got, want)
		}
	}
	x32 := f32(0.1, 2)
	if got, want := fmt.Sprintf("%.4f", x32), fmt.Sprintf("%.4f", x32.Tensor()); got != want {
		t.Errorf("float32: %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%.2f", ad.Scalar(math.Pi)); got != "3.14" {
		t.Errorf("scalar: %q", got)
	}
	if got := fmt.Sprintf("%d", ad.Scalar(1)); got != "%!d(ad.Value=1)" {
		t.Errorf("bad verb: %q", got)
	}
	if got := fmt.Sprintf("%.2f", ad.Value{}); got != "<zero Value>" {
		t.Errorf("zero Value: %q", got)
	}
	var escaped ad.Value
	ad.Grad(func(x ad.Value) ad.Value { escaped = ad.Mul(x, x); return ad.Sum(escaped, false) }, x)
	if got := fmt.Sprintf("%.2f", escaped); !strings.Contains(got, "escaped") {
		t.Errorf("escaped value: %q", got)
	}
}

// New takes ownership of its slice; NewCopy copies.
func TestNewCopy(t *testing.T) {
	data := []float64{1, 2, 3, 4}
	shared, copied := ad.New(data, 2, 2), ad.NewCopy(data, 2, 2)
	data[0] = 10
	if shared.Tensor().At(0, 0) != 10 {
		t.Errorf("New copied its slice")
	}
	if copied.Tensor().At(0, 0) != 1 || copied.Tensor().At(1, 1) != 4 {
		t.Errorf("NewCopy = %v", copied)
	}
	wantPanic(t, "NewCopy bad shape", tensor.ErrShape, "new", func() { ad.NewCopy(data, 3) })
}

type unaryFunc func(ad.Value) ad.Value

// Every transformation takes a func(Value) Value, a func(...Value) Value
// (Custom's and Checkpoint's results) and a func([]Value) Value.
func TestFuncShapes(t *testing.T) {
	// cube with hand-written rules: d/dx x³ = 3x², d²/dx² = 6x
	cube := ad.Custom("cube", func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Square(xs[0])) },
		func(p, tg []ad.Value) ad.Value { return ad.Mul(ad.Mul(ad.Scalar(3), ad.Square(p[0])), tg[0]) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value {
			return []ad.Value{ad.Mul(ad.Mul(ad.Scalar(3), ad.Square(p[0])), ct)}
		})
	lit := func(x ad.Value) ad.Value { return ad.Mul(x, ad.Square(x)) }
	slice := func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Square(xs[0])) }
	ck := ad.Checkpoint(slice)
	x := ad.New([]float64{0.5, -2}, 2)
	s := ad.Scalar(1.5)
	want := func(what string, got ad.Value, w ...float64) {
		t.Helper()
		nearT(t, what, got.Tensor(), tensor.New(w, got.Shape()...), 1e-12)
	}
	check := func(name string, jac, grad, hess, deriv func(ad.Value) ad.Value) {
		want(name+" JacFwd", jac(x), 0.75, 0, 0, 12)
		want(name+" Grad", grad(s), 6.75)
		want(name+" Hessian", hess(s), 9)
		want(name+" Derivative", deriv(s), 6.75)
	}
	sum := func(x ad.Value) ad.Value { return ad.Sum(x, false) }
	check("custom", func(x ad.Value) ad.Value { return ad.JacFwd(cube, x) },
		func(x ad.Value) ad.Value { return ad.Grad(cube, x) },
		func(x ad.Value) ad.Value { return ad.Hessian(cube, x) },
		func(x ad.Value) ad.Value { return ad.Derivative(cube, x) })
	check("literal", func(x ad.Value) ad.Value { return ad.JacRev(lit, x) },
		func(x ad.Value) ad.Value { return ad.Grad(lit, x) },
		func(x ad.Value) ad.Value { return ad.Hessian(lit, x) },
		func(x ad.Value) ad.Value { return ad.Derivative(lit, x) })
	check("slice", func(x ad.Value) ad.Value { j, _ := ad.Jacobian(slice, x, ad.Auto); return j },
		func(x ad.Value) ad.Value { return ad.Grad(slice, x) },
		func(x ad.Value) ad.Value { return ad.Hessian(slice, x) },
		func(x ad.Value) ad.Value { return ad.Derivative(slice, x) })
	check("checkpoint", func(x ad.Value) ad.Value { return ad.JacFwd(ck, x) },
		func(x ad.Value) ad.Value { return ad.Grad(ck, x) },
		func(x ad.Value) ad.Value { return ad.Hessian(ck, x) },
		func(x ad.Value) ad.Value { return ad.Derivative(ck, x) })
	named := unaryFunc(lit)
	want("named type", ad.Grad(named, s), 6.75)
	want("ad.Sin", ad.Grad(ad.Sin, s), math.Cos(1.5))
	want("HVP", ad.HVP(cube, s, ad.Scalar(2)), 18)
	// n-ary transformations take the unary and variadic forms too
	want("Grads(custom)", ad.Grads(cube, s)[0], 6.75)
	_, tan := ad.JVP(cube, []ad.Value{s}, []ad.Value{ad.Scalar(2)})
	want("JVP(custom)", tan, 13.5)
	_, pull := ad.VJP(lit, s)
	want("VJP(literal)", pull(ad.Scalar(1))[0], 6.75)
	p := ad.Compile(cube, s)
	want("Compile(custom)", p.Run(ad.Scalar(2))[0], 8)
	p = ad.Compile(func(x ad.Value) ad.Value { return ad.Grad(cube, x) }, s)
	want("Compile(grad literal)", p.Run(ad.Scalar(2))[0], 12)
	if n := len(ad.Trace(ck, []ad.Value{s}).Nodes()); n < 2 {
		t.Errorf("Trace(checkpoint) has %d nodes", n)
	}
	want("Grad(sum)", ad.Grad(sum, x), 1, 1)
	// misuse
	var nilFunc func(ad.Value) ad.Value
	wantPanic(t, "nil Grad", tensor.ErrArg, "grad", func() { ad.Grad(nilFunc, s) })
	wantPanic(t, "nil JVP", tensor.ErrArg, "jvp", func() { ad.JVP((func([]ad.Value) ad.Value)(nil), []ad.Value{s}, []ad.Value{s}) })
	wantPanic(t, "nil Compile", tensor.ErrArg, "compile", func() { ad.Compile((func([]ad.Value) []ad.Value)(nil), s) })
	wantPanic(t, "nil Custom", tensor.ErrArg, "mine", func() { ad.Custom("mine", nilFunc, nil, nil) })
	wantPanic(t, "unary f, two inputs", tensor.ErrArg, "grad", func() { ad.Grads(lit, s, s) })
}

// Go numbers stand for weak constants in the binary ops; Add and Mul are
// n-ary. References: the same formulas in float64 Go.
func TestOperands(t *testing.T) {
	a, b := 0.7, -1.3
	x, y := ad.Scalar(a), ad.Scalar(b)
	cases := []struct {
		name string
		got  ad.Value
		want float64
	}{
		{"1-x", ad.Sub(1, x), 1 - a},
		{"x-2.5", ad.Sub(x, 2.5), a - 2.5},
		{"100*y*y", ad.Mul(100, y, y), 100 * b * b},
		{"x*y*2", ad.Mul(x, y, ad.Scalar(2)), a * b * 2},
		{"x+y+x", ad.Add(x, y, x), a + b + a},
		{"1+2", ad.Add(1, 2), 3},
		{"1/x", ad.Div(1, x), 1 / a},
		{"x^0.5", ad.Pow(x, 0.5), math.Sqrt(a)},
		{"2^x", ad.Pow(2, x), math.Pow(2, a)},
		{"atan2(y, 1)", ad.Atan2(y, 1), math.Atan2(b, 1)},
		{"max(y, 0)", ad.Maximum(y, 0), 0},
		{"min(x, 0.5)", ad.Minimum(x, 0.5), 0.5},
		{"hypot(3, 4)", ad.Hypot(3, 4), 5},
		{"x>0", ad.Greater(x, 0), 1},
		{"y>=0", ad.GreaterEqual(y, 0), 0},
		{"y<0", ad.Less(y, 0), 1},
		{"x<=0.7", ad.LessEqual(x, 0.7), 1},
		{"x==0.7", ad.Equal(x, 0.7), 1},
		{"x!=0.7", ad.NotEqual(x, 0.7), 0},
		{"where(y>0, y, 0)", ad.Where(ad.Greater(y, 0), y, 0), 0},
		{"where(x>0, 2, x)", ad.Where(ad.Greater(x, 0), 2, x), 2},
		{"addn", ad.AddN(x, y, ad.Scalar(3)), a + b + 3},
		{"addn()", ad.AddN(), 0},
		{"sumall", ad.SumAll(ad.New([]float64{1, 2, 3, 4}, 2, 2)), 10},
	}
	for _, c := range cases {
		if c.got.Rank() != 0 {
			t.Errorf("%s: shape %v", c.name, c.got.Shape())
		}
		near(t, c.name, c.got.Item(), c.want, 1e-15)
	}
	// f(x, y) = 100·(y − x²)² + (1 − x)², written with numbers; its
	// gradient in closed form.
	rosen := func(xs []ad.Value) ad.Value {
		x, y := xs[0], xs[1]
		return ad.Add(ad.Mul(100, ad.Square(ad.Sub(y, ad.Mul(x, x)))), ad.Square(ad.Sub(1, x)))
	}
	g := ad.Grads(rosen, x, y)
	near(t, "df/dx", g[0].Item(), -400*a*(b-a*a)-2*(1-a), 1e-13)
	near(t, "df/dy", g[1].Item(), 200*(b-a*a), 1e-13)
	// n-ary ops: d/dx (x·y·x + x + y + 3) = 2xy + 1, d/dy = x² + 1
	g = ad.Grads(func(xs []ad.Value) ad.Value {
		return ad.Add(ad.Mul(xs[0], xs[1], xs[0]), xs[0], xs[1], ad.Scalar(3))
	}, x, y)
	near(t, "n-ary d/dx", g[0].Item(), 2*a*b+1, 1e-14)
	near(t, "n-ary d/dy", g[1].Item(), a*a+1, 1e-14)
	// typed Go numbers and named constants; generic ops as function values
	const k = 2.5
	c, n := 0.5, 3
	near(t, "k*x", ad.Mul(k, x).Item(), k*a, 1e-15)
	near(t, "x*c", ad.Mul(x, c).Item(), a*c, 1e-15)
	near(t, "n-x", ad.Sub(n, x).Item(), float64(n)-a, 1e-15)
	var sub func(a, b ad.Value) ad.Value = ad.Sub
	apply := func(f func(a, b ad.Value) ad.Value) ad.Value { return f(x, y) }
	near(t, "Sub as a value", sub(x, y).Item(), a-b, 1e-15)
	near(t, "Hypot passed", apply(ad.Hypot).Item(), math.Hypot(a, b), 1e-15)
	wantPanic(t, "Add shapes", tensor.ErrShape, "add", func() { ad.Add(1, ad.New([]float64{1, 2}, 2), ad.New([]float64{1, 2, 3}, 3)) })
	wantPanic(t, "AddN zero Value", tensor.ErrArg, "add", func() { ad.AddN(x, ad.Value{}) })
}

// At and Elements read single elements, differentiably in every mode.
func TestAtAndElements(t *testing.T) {
	m := ad.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if got := ad.At(m, 1, 2); got.Rank() != 0 || got.Item() != 6 {
		t.Errorf("At(m, 1, 2) = %v", got)
	}
	if got := ad.At(ad.Scalar(7)); got.Item() != 7 {
		t.Errorf("At(scalar) = %v", got)
	}
	els := ad.Elements(m)
	for i, e := range els {
		if e.Rank() != 0 || e.Item() != float64(i+1) {
			t.Errorf("Elements(m)[%d] = %v", i, e)
		}
	}
	cols := ad.Unstack(m, -1)
	if len(cols) != 3 || !slices.Equal(cols[1].Tensor().Float64s(), []float64{2, 5}) {
		t.Errorf("Unstack(m, -1) = %v", cols)
	}
	if got := ad.Stack(1, cols...); !slices.Equal(got.Tensor().Float64s(), m.Tensor().Float64s()) {
		t.Errorf("Stack(Unstack) = %v", got)
	}
	// f(x) = x0·x1² + sin(x2), written element by element; gradient and
	// Hessian in closed form, JVP along v, compiled.
	f := func(x ad.Value) ad.Value {
		e := ad.Elements(x)
		return ad.Add(ad.Mul(e[0], e[1], e[1]), ad.Sin(ad.At(x, 2)))
	}
	p := []float64{0.5, -2, 1.1}
	x := ad.NewCopy(p, 3)
	wantG := []float64{p[1] * p[1], 2 * p[0] * p[1], math.Cos(p[2])}
	nearT(t, "grad", ad.Grad(f, x).Tensor(), tensor.New(wantG, 3), 1e-14)
	wantH := []float64{0, 2 * p[1], 0, 2 * p[1], 2 * p[0], 0, 0, 0, -math.Sin(p[2])}
	nearT(t, "hessian", ad.Hessian(f, x).Tensor(), tensor.New(wantH, 3, 3), 1e-14)
	v := []float64{1, 2, -1}
	_, tan := ad.JVP(f, []ad.Value{x}, []ad.Value{ad.NewCopy(v, 3)})
	near(t, "jvp", tan.Item(), wantG[0]*v[0]+wantG[1]*v[1]+wantG[2]*v[2], 1e-14)
	nearT(t, "jacfwd", ad.JacFwd(f, x).Tensor(), tensor.New(wantG, 3), 1e-14)
	prog := ad.Compile(func(x ad.Value) ad.Value { return ad.Grad(f, x) }, x)
	nearT(t, "compiled grad", prog.Run(x)[0].Tensor(), tensor.New(wantG, 3), 1e-14)
	// a float32 vector keeps its dtype through At and a weak constant
	x32 := f32(1, 2, 3)
	checkF32(t, "grad32", ad.Grad(func(x ad.Value) ad.Value { return ad.Mul(0.5, ad.At(x, 1), ad.At(x, 1)) }, x32), 0, 2, 0)
	// misuse
	wantPanic(t, "At negative", tensor.ErrIndex, "at", func() { ad.At(m, -1, 0) })
	wantPanic(t, "At past the end", tensor.ErrIndex, "at", func() { ad.At(m, 0, 3) })
	wantPanic(t, "At too few indices", tensor.ErrIndex, "at", func() { ad.At(m, 0) })
	wantPanic(t, "At zero Value", tensor.ErrArg, "at", func() { ad.At(ad.Value{}, 0) })
	wantPanic(t, "Unstack axis", tensor.ErrAxis, "unstack", func() { ad.Unstack(m, 2) })
	wantPanic(t, "Unstack scalar", tensor.ErrAxis, "unstack", func() { ad.Unstack(ad.Scalar(1), 0) })
}

// Elements under reverse mode: reverse over reverse, a pull-back run
// twice, unused elements, an element as the output, the recorded graph's
// own adjoints and tangents, and the O(n) cost of the gather.
func TestElementsReverse(t *testing.T) {
	// f(x) = x0²·x2 + 3·x2: ∇f = (2x0x2, 0, x0² + 3), x1 unused
	f := func(x ad.Value) ad.Value {
		e := ad.Elements(x)
		return ad.Add(ad.Mul(e[0], e[0], e[2]), ad.Mul(3, e[2]))
	}
	p := []float64{1.5, -1, 2}
	x := ad.NewCopy(p, 3)
	wantG := []float64{2 * p[0] * p[2], 0, p[0]*p[0] + 3}
	nearT(t, "grad", ad.Grad(f, x).Tensor(), tensor.New(wantG, 3), 1e-15)
	// reverse over reverse: ∇(Σ∇f) = ∇(2x0x2 + x0² + 3) = (2x2 + 2x0, 0, 2x0)
	gg := ad.Grad(func(x ad.Value) ad.Value { return ad.SumAll(ad.Grad(f, x)) }, x)
	nearT(t, "grad of grad", gg.Tensor(), tensor.New([]float64{2*p[2] + 2*p[0], 0, 2 * p[0]}, 3), 1e-15)
	// reverse over forward: ∇⟨∇f, v⟩ = H·v, H = [[2x2, 0, 2x0], [0, 0, 0], [2x0, 0, 0]]
	v := []float64{0.3, -2, 1.7}
	hv := ad.Grad(func(x ad.Value) ad.Value {
		_, tan := ad.JVP(f, []ad.Value{x}, []ad.Value{ad.NewCopy(v, 3)})
		return tan
	}, x)
	wantHV := []float64{2*p[2]*v[0] + 2*p[0]*v[2], 0, 2 * p[0] * v[0]}
	nearT(t, "grad of jvp", hv.Tensor(), tensor.New(wantHV, 3), 1e-14)
	// forward over forward: the same through JacFwd of the JVP
	jj := ad.JacFwd(func(x ad.Value) ad.Value {
		_, tan := ad.JVP(f, []ad.Value{x}, []ad.Value{ad.NewCopy(v, 3)})
		return tan
	}, x)
	nearT(t, "jacfwd of jvp", jj.Tensor(), tensor.New(wantHV, 3), 1e-14)
	// a pull-back called twice
	_, pull := ad.VJP(f, x)
	for k := 1; k <= 2; k++ {
		g := pull(ad.Scalar(float64(k)))[0]
		nearT(t, "vjp", g.Tensor(), tensor.New([]float64{float64(k) * wantG[0], 0, float64(k) * wantG[2]}, 3), 1e-15)
	}
	// an element as the output
	second := func(x ad.Value) ad.Value { return ad.Elements(x)[1] }
	nearT(t, "grad of x1", ad.Grad(second, x).Tensor(), tensor.New([]float64{0, 1, 0}, 3), 0)
	// a matrix, float32
	m32 := ad.From(tensor.New32([]float32{1, 2, 3, 4}, 2, 2))
	checkF32(t, "grad32", ad.Grad(func(m ad.Value) ad.Value {
		e := ad.Elements(m)
		return ad.Mul(e[0], e[3])
	}, m32), 4, 0, 0, 1)
	// the recorded graph: adjoints and tangents of the input node
	g := ad.Trace(func(xs []ad.Value) ad.Value { return f(xs[0]) }, []ad.Value{x}, "x")
	in := g.Inputs()[0].Index()
	nearT(t, "Trace adjoint", g.Adjoints(tensor.Scalar(1))[in], tensor.New(wantG, 3), 1e-15)
	tans := g.Tangents([]*tensor.Tensor{tensor.New([]float64{1, 1, 1}, 3)})
	out, _ := g.Output()
	near(t, "Trace tangent", tans[out.Index()].Item(), wantG[0]+wantG[1]+wantG[2], 1e-15)
	// cost: the gather makes a handful of allocations, not one per element
	big := ad.From(tensor.Rand(seeded(1), -1, 1, 2000))
	allocs := testing.AllocsPerRun(3, func() { ad.Grad(extendedRosenbrock, big) })
	if allocs > 200 {
		t.Errorf("Grad through Elements of 2000: %v allocations", allocs)
	}
	// Unstack of a vector is Elements: Σ i·x_i has gradient (0, 1, 2, …)
	weighted := func(x ad.Value) ad.Value {
		s := ad.Scalar(0)
		for i, e := range ad.Unstack(x, -1) {
			s = ad.Add(s, ad.Mul(float64(i), e))
		}
		return s
	}
	gw := ad.Grad(weighted, big).Tensor()
	for i := range 2000 {
		if gw.AtFlat(i) != float64(i) {
			t.Fatalf("grad of Σ i·x_i [%d] = %v", i, gw.AtFlat(i))
		}
	}
	if allocs := testing.AllocsPerRun(3, func() { ad.Grad(weighted, big) }); allocs > 200 {
		t.Errorf("Grad through Unstack of 2000: %v allocations", allocs)
	}
}

// BenchmarkElementsRosenbrock: the n = 1000 Rosenbrock gradient written
// with Elements, to compare with BenchmarkRosenbrockScalar (the same code
// on 1000 scalar inputs).
func BenchmarkElementsRosenbrock(b *testing.B) {
	x := ad.From(tensor.Rand(seeded(1), -1, 1, 1000))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ad.Grad(extendedRosenbrock, x)
	}
}

// A weak tangent or cotangent adopts the dtype of its primal or output.
func TestWeakTangentsAndCotangents(t *testing.T) {
	x := ad.From(tensor.New32([]float32{3}))
	sq := func(x ad.Value) ad.Value { return ad.Mul(x, x) }
	_, tan := ad.JVP(sq, []ad.Value{x}, []ad.Value{ad.Scalar(1)})
	checkF32(t, "jvp", tan, 6)
	_, pull := ad.VJP(sq, x)
	checkF32(t, "vjp", pull(ad.Scalar(2))[0], 12)
	// a strong float64 tangent for a float32 primal still panics
	wantPanic(t, "strong tangent", tensor.ErrShape, "jvp", func() {
		ad.JVP(sq, []ad.Value{x}, []ad.Value{ad.From(tensor.Scalar(1))})
	})
	wantPanic(t, "strong cotangent", tensor.ErrShape, "vjp", func() { pull(ad.From(tensor.Scalar(1))) })
}

// BenchmarkElementsRosenbrockCompiled: the same gradient compiled, to
// compare with BenchmarkRosenbrockScalarCompiled (scalar inputs).
func BenchmarkElementsRosenbrockCompiled(b *testing.B) {
	x := ad.From(tensor.Rand(seeded(1), -1, 1, 1000))
	p := ad.Compile(func(x ad.Value) ad.Value { return ad.Grad(extendedRosenbrock, x) }, x)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Run(x)
	}
}
