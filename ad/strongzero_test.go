package ad_test

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// The chain rule's strong zero is one-sided: a zero tangent or adjoint
// annihilates an infinite local derivative, but an infinite adjoint times a
// zero local derivative is NaN (IEEE, and PyTorch's result), so an
// underflow upstream (exp(-800) = 0 feeding log, whose derivative is then
// +Inf) shows as NaN instead of a silent 0. The references are the closed
// forms, and NaN where IEEE arithmetic and PyTorch give ∞·0.

func isNaN(v ad.Value) bool { return math.IsNaN(v.Item()) }

// logExp is log(exp(x)) = x, whose derivative 1 underflows to ∞·0 for
// x below about -745.
func logExp(x ad.Value) ad.Value { return ad.Log(ad.Exp(x)) }

func TestStrongZeroDoesNotHideUnderflow(t *testing.T) {
	logSigmoid := func(x ad.Value) ad.Value { return ad.Log(ad.Sigmoid(x)) }
	sqrtSquare := func(x ad.Value) ad.Value { return ad.Sqrt(ad.Mul(x, x)) }
	for _, c := range []struct {
		name string
		f    func(ad.Value) ad.Value
		x    float64
	}{
		{"log(exp(x))", logExp, -800},
		{"log(sigmoid(x))", logSigmoid, -800},
		{"sqrt(x·x)", sqrtSquare, 0},
	} {
		// first-order scalar code (sweepScalar)
		if g := ad.Grad(c.f, ad.Scalar(c.x)); !isNaN(g) {
			t.Errorf("Grad %s at %g = %v, want NaN", c.name, c.x, g)
		}
		// the tensor path of the reverse sweep, next to points where the
		// gradient is finite: 1 for log(exp(x)), 1 - σ(x) for log σ(x),
		// sign(x) for |x|
		sum := func(x ad.Value) ad.Value { return ad.Sum(c.f(x), false) }
		g := ad.Grad(sum, ad.New([]float64{c.x, -2, 3}, 3)).Tensor()
		want := map[string][]float64{
			"log(exp(x))":     {math.NaN(), 1, 1},
			"log(sigmoid(x))": {math.NaN(), 1 - 1/(1+math.Exp(2)), 1 - 1/(1+math.Exp(-3))},
			"sqrt(x·x)":       {math.NaN(), -1, 1},
		}[c.name]
		nearT(t, "Grad "+c.name, g, tensor.New(want, 3), 1e-12)
		// the same under Compile: a scalar program and a fused tensor one
		prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Grad(c.f, xs[0])} }, ad.Scalar(1))
		if g := prog.Run(ad.Scalar(c.x))[0]; !isNaN(g) {
			t.Errorf("compiled Grad %s at %g = %v, want NaN", c.name, c.x, g)
		}
		restore := ad.SetFusion(1, 2)
		prog = ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Grad(sum, xs[0])} }, ad.New([]float64{1, 2, 3}, 3))
		restore()
		if !prog.Fused() {
			t.Errorf("%s: the compiled gradient has no fused group", c.name)
		}
		nearT(t, "compiled fused Grad "+c.name, prog.Run(ad.New([]float64{c.x, -2, 3}, 3))[0].Tensor(), tensor.New(want, 3), 1e-12)
	}
}

// A rerolled loop multiplies with the same one-sided strong zero.
func TestStrongZeroInRerolledLoop(t *testing.T) {
	f := func(xs []ad.Value) ad.Value {
		s := ad.Scalar(0)
		for _, x := range xs {
			s = ad.Add(s, logExp(x))
		}
		return s
	}
	n := 32
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return ad.Grads(f, xs...) }, scalarInputs(1, n, -1, 1)...)
	if loops, _ := prog.Rerolled(); loops == 0 {
		t.Fatal("the gradient program has no loop")
	}
	xs := scalarInputs(2, n, -1, 1)
	xs[5] = ad.Scalar(-800)
	for i, g := range prog.Run(xs...) {
		want := 1.0
		if i == 5 {
			want = math.NaN()
		}
		near(t, "rerolled ∂/∂xᵢ", g.Item(), want, 1e-15)
	}
}

// A zero tangent or cotangent still annihilates an infinite local
// derivative, and a selection (Where, Relu, Maximum, Max) annihilates both
// ways: the branch not selected gets exactly 0 in every mode, even when the
// adjoint reaching the selection is infinite.
func TestStrongZeroSelections(t *testing.T) {
	whereSqrt := func(x ad.Value) ad.Value {
		return ad.Where(ad.Greater(x, ad.Scalar(0)), ad.Sqrt(x), ad.Scalar(0))
	}
	sum := func(x ad.Value) ad.Value { return ad.Sum(whereSqrt(x), false) }
	x := ad.New([]float64{-1, 0, 4}, 3)
	diag := tensor.New([]float64{0, 0, 0, 0, 0, 0, 0, 0, 0.25}, 3, 3) // d/dx √x = 1/(2√x) where x > 0
	for _, m := range []ad.Mode{ad.Forward, ad.Reverse} {
		j, _ := ad.Jacobian(func(x ad.Value) ad.Value { return whereSqrt(x) }, x, m)
		nearT(t, "Jacobian of where(x>0, √x, 0) ("+m.String()+")", j.Tensor(), diag, 0)
	}
	// second order: -1/(4 x^1.5) where x > 0, else exactly 0, by
	// forward-over-reverse (Hessian) and reverse-over-reverse
	h := ad.Hessian(sum, x).Tensor()
	nearT(t, "Hessian of Σ where(x>0, √x, 0)", h, tensor.New([]float64{0, 0, 0, 0, 0, 0, 0, 0, -1.0 / 32}, 3, 3), 1e-15)
	rr := ad.Grad(func(x ad.Value) ad.Value { return ad.Grad(whereSqrt, x) }, ad.Scalar(0))
	if rr.Item() != 0 {
		t.Errorf("reverse-over-reverse at 0 = %v, want 0", rr)
	}
	// an infinite adjoint reaching Where: log(where(x > 0, y, x)) at
	// x = 1, y = 0 selects y = 0: ∂/∂y = 1/0 = +Inf, ∂/∂x exactly 0
	// (PyTorch's where backward selects rather than multiplies)
	logWhere := func(xs []ad.Value) ad.Value {
		return ad.Log(ad.Where(ad.Greater(xs[0], ad.Scalar(0)), xs[1], xs[0]))
	}
	gs := ad.Grads(logWhere, ad.Scalar(1), ad.Scalar(0))
	if gs[0].Item() != 0 || !math.IsInf(gs[1].Item(), 1) {
		t.Errorf("∇ log(where(x>0, y, x)) at (1, 0) = %v, %v, want 0, +Inf", gs[0], gs[1])
	}
	// the same for the argument Maximum and Max do not select:
	// log(maximum(x, y)) at x = -1, y = 0
	gs = ad.Grads(func(xs []ad.Value) ad.Value { return ad.Log(ad.Maximum(xs[0], xs[1])) }, ad.Scalar(-1), ad.Scalar(0))
	if gs[0].Item() != 0 || !math.IsInf(gs[1].Item(), 1) {
		t.Errorf("∇ log(maximum(x, y)) at (-1, 0) = %v, %v, want 0, +Inf", gs[0], gs[1])
	}
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Log(ad.Max(x, false)) }, ad.New([]float64{-1, 0}, 2)).Tensor()
	if g.AtFlat(0) != 0 || !math.IsInf(g.AtFlat(1), 1) {
		t.Errorf("∇ log(max(x)) at [-1 0] = %v, want [0 +Inf]", g)
	}
	// relu(log(x)) = 0 for x < 1: derivative exactly 0 at x = 0 in both
	// modes, though log'(0) = +Inf
	rl := func(x ad.Value) ad.Value { return ad.Relu(ad.Log(x)) }
	if g, d := ad.Grad(rl, ad.Scalar(0)), ad.Derivative(rl, ad.Scalar(0)); g.Item() != 0 || d.Item() != 0 {
		t.Errorf("relu(log(x))' at 0 = %v (reverse), %v (forward), want 0", g, d)
	}
}
