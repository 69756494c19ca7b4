package sparse

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
	"gonum.org/v1/gonum/mat"
)

// laplace1D is the residual x[i-1] − 2x[i] + x[i+1] + eˣⁱ with zero
// boundary values, a tridiagonal Jacobian.
func laplace1D(x ad.Value) ad.Value {
	n := x.Size()
	p := ad.Pad(x, 0, 1, 1)
	lap := ad.Add(ad.Sub(ad.Slice(p, 0, 0, n), ad.Mul(ad.Scalar(2), x)), ad.Slice(p, 0, 2, n+2))
	return ad.Add(lap, ad.Exp(x))
}

// extRosenbrock is Σ (1 − xᵢ)² + 100 (xᵢ₊₁ − xᵢ²)², tridiagonal Hessian.
func extRosenbrock(x ad.Value) ad.Value {
	n := x.Size()
	a, b := ad.Slice(x, 0, 0, n-1), ad.Slice(x, 0, 1, n)
	return ad.Add(ad.Sum(ad.Square(ad.Sub(ad.Scalar(1), a)), false),
		ad.Mul(ad.Scalar(100), ad.Sum(ad.Square(ad.Sub(b, ad.Square(a))), false)))
}

func samePattern(t *testing.T, name string, got *Pattern, want func(i, j int) bool) {
	t.Helper()
	for i := range got.Rows {
		for j := range got.Cols {
			if got.Has(i, j) != want(i, j) {
				t.Errorf("%s: entry (%d, %d) in pattern %v, want %v", name, i, j, got.Has(i, j), want(i, j))
				return
			}
		}
	}
}

func TestPatternsExact(t *testing.T) {
	x := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}
	tri := func(i, j int) bool { return abs(i-j) <= 1 }
	samePattern(t, "laplace1D Jacobian", JacobianPattern(laplace1D, x), tri)
	samePattern(t, "extended Rosenbrock Hessian", HessianPattern(extRosenbrock, x), tri)
	// a product at a point where one factor is 0 still depends on both
	prod := func(x ad.Value) ad.Value { return ad.Mul(ad.Slice(x, 0, 0, 1), ad.Slice(x, 0, 1, 2)) }
	samePattern(t, "x0·x1 at 0 Jacobian", JacobianPattern(prod, []float64{0, 0}), func(i, j int) bool { return true })
	// x0·x1 has no diagonal second derivatives
	prodSum := func(x ad.Value) ad.Value { return ad.Sum(prod(x), false) }
	samePattern(t, "x0·x1 Hessian", HessianPattern(prodSum, []float64{1, 2}), func(i, j int) bool { return i != j })
	// a linear function has an empty Hessian pattern
	lin := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.New([]float64{1, 2, 3}, 3), x), false) }
	if p := HessianPattern(lin, []float64{1, 2, 3}); p.NNZ() != 0 {
		t.Errorf("linear function: Hessian pattern has %d entries", p.NNZ())
	}
	// control flow: the branch taken is the pattern
	branch := func(x ad.Value) ad.Value {
		if x.Tensor().At(0) > 0 {
			return ad.Sin(x)
		}
		return ad.Sum(x, true)
	}
	samePattern(t, "branch x0 > 0", JacobianPattern(branch, []float64{1, 2}), func(i, j int) bool { return i == j })
	samePattern(t, "branch x0 ≤ 0", JacobianPattern(branch, []float64{-1, 2}), func(i, j int) bool { return true })
}

// TestReverseMode checks that a Jacobian with a dense row is compressed
// by rows (reverse mode) and still exact.
func TestReverseMode(t *testing.T) {
	f := func(x ad.Value) ad.Value {
		return ad.Concat(0, ad.Sum(ad.Sin(x), true), ad.Square(x))
	}
	x := []float64{0.5, -1, 2, 0.25, 3}
	plan := NewJacobianPlan(f, x)
	if plan.Mode() != ad.Reverse {
		t.Fatalf("mode %v; want Reverse for a dense row", plan.Mode())
	}
	if _, k := plan.Colors(); k != 2 {
		t.Errorf("%d row colours; want 2", k)
	}
	checkJacobian(t, f, x)
	g := func(x ad.Value) ad.Value { return ad.Mul(ad.Slice(x, 0, 0, 1), x) } // dense column
	if p := NewJacobianPlan(g, x); p.Mode() != ad.Forward {
		t.Errorf("mode %v; want Forward for a dense column", p.Mode())
	}
	checkJacobian(t, g, x)
}

// TestReverseReuse evaluates a reverse-mode plan whose output is a matrix
// at several points against the closed form: one compiled program (one
// forward pass and one batched reverse sweep, ad.VJPBatch) replayed.
func TestReverseReuse(t *testing.T) {
	f := func(x ad.Value) ad.Value { // (2, 3): Σ sin x, x², Σ exp x
		return ad.Reshape(ad.Concat(0, ad.Sum(ad.Sin(x), true), ad.Square(x), ad.Sum(ad.Exp(x), true)), 2, 3)
	}
	x := []float64{0.3, -1.2, 2, 0.7}
	plan := NewJacobianPlan(f, x)
	if plan.Mode() != ad.Reverse {
		t.Fatalf("mode %v; want Reverse (3 row colours, 4 column colours)", plan.Mode())
	}
	if _, k := plan.Colors(); k != 3 {
		t.Errorf("%d row colours; want 3", k)
	}
	j := plan.Jacobian(x)
	if plan.prog == nil {
		t.Fatal("reverse mode did not compile its batched pull-back")
	}
	for s := range 4 {
		for i := range x {
			x[i] = math.Cos(float64(3*i+s)) * 1.5
		}
		plan.JacobianTo(j, x)
		for r := range 6 {
			for c := range 4 {
				var want float64
				switch {
				case r == 0:
					want = math.Cos(x[c])
				case r == 5:
					want = math.Exp(x[c])
				case r-1 == c:
					want = 2 * x[c]
				}
				if got := j.At(r, c); math.Abs(got-want) > 1e-14*math.Max(1, math.Abs(want)) {
					t.Fatalf("point %d: J[%d,%d] = %v, want %v", s, r, c, got, want)
				}
			}
		}
	}
}

// TestPlanReuse evaluates one plan at many points against closed forms.
func TestPlanReuse(t *testing.T) {
	const n = 50
	x := make([]float64, n)
	plan := NewJacobianPlan(laplace1D, x)
	if _, k := plan.Colors(); k != 3 {
		t.Errorf("laplace1D: %d colours; want 3", k)
	}
	hp := NewHessianPlan(extRosenbrock, x)
	if _, k := hp.Colors(); k != 3 {
		t.Errorf("extended Rosenbrock: %d colours; want 3", k)
	}
	j := plan.Jacobian(x)
	h := hp.Hessian(x)
	for s := range 5 {
		for i := range x {
			x[i] = math.Sin(float64(i*s)) * 0.7
		}
		plan.JacobianTo(j, x)
		hp.HessianTo(h, x)
		for i := range n {
			for c := range n {
				var want float64
				switch {
				case i == c:
					want = -2 + math.Exp(x[i])
				case abs(i-c) == 1:
					want = 1
				}
				if got := j.At(i, c); math.Abs(got-want) > 1e-14 {
					t.Fatalf("J[%d,%d] = %v, want %v", i, c, got, want)
				}
				// closed-form Hessian of the extended Rosenbrock function
				switch {
				case i == c:
					want = 0
					if i < n-1 {
						want += 2 + 1200*x[i]*x[i] - 400*x[i+1]
					}
					if i > 0 {
						want += 200
					}
				case c == i+1:
					want = -400 * x[i]
				case c == i-1:
					want = -400 * x[c]
				default:
					want = 0
				}
				if got := h.At(i, c); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
					t.Fatalf("H[%d,%d] = %v, want %v", i, c, got, want)
				}
			}
		}
	}
}

func TestCSR(t *testing.T) {
	d := mat.NewDense(3, 4, []float64{
		1, 0, 2, 0,
		0, 0, 0, 3,
		4, 5, 0, 6,
	})
	p := PatternOf(d)
	a := &CSR{Pattern: p, Val: []float64{1, 2, 3, 4, 5, 6}}
	if !mat.Equal(a, d) || !mat.Equal(a.Dense(), d) {
		t.Errorf("CSR\n%v\nwant\n%v", mat.Formatted(a), mat.Formatted(d))
	}
	if !mat.Equal(a.T(), d.T()) {
		t.Errorf("transpose wrong")
	}
	x := []float64{1, -1, 2, 0.5}
	var want mat.VecDense
	want.MulVec(d, mat.NewVecDense(4, x))
	if got := a.MulVec(nil, x); !slices.Equal(got, want.RawVector().Data) {
		t.Errorf("MulVec = %v, want %v", got, want.RawVector().Data)
	}
	rows, cols, vals := a.COO()
	for k := range rows {
		if d.At(rows[k], cols[k]) != vals[k] {
			t.Errorf("COO entry %d: (%d, %d) = %v", k, rows[k], cols[k], vals[k])
		}
	}
	if len(rows) != 6 {
		t.Errorf("COO has %d entries, want 6", len(rows))
	}
	s := mat.NewSymDense(2, []float64{1, 7, 7, 2})
	sp := &CSR{Pattern: PatternOf(s), Val: []float64{1, 7, 7, 2}}
	if !mat.Equal(sp.SymDense(), s) {
		t.Errorf("SymDense wrong")
	}
}

func TestErrors(t *testing.T) {
	x := []float64{1, 2, 3}
	plan := NewJacobianPlan(laplace1D, x)
	other := NewJacobianPlan(laplace1D, x)
	cases := map[string]struct {
		f    func()
		kind error
	}{
		"nil f":               {func() { JacobianPattern(nil, x) }, tensor.ErrArg},
		"empty x":             {func() { NewHessianPlan(extRosenbrock, nil) }, tensor.ErrArg},
		"vector Hessian":      {func() { HessianPattern(laplace1D, x) }, tensor.ErrShape},
		"wrong length":        {func() { plan.Jacobian([]float64{1, 2}) }, tensor.ErrShape},
		"other plan's matrix": {func() { plan.JacobianTo(other.Jacobian(x), x) }, tensor.ErrShape},
		"At out of range":     {func() { plan.Jacobian(x).At(3, 0) }, tensor.ErrIndex},
		"nil destination":     {func() { plan.JacobianTo(nil, x) }, tensor.ErrArg},
		"nil Hessian dst":     {func() { NewHessianPlan(extRosenbrock, x).HessianTo(nil, x) }, tensor.ErrArg},
		"star of non-square":  {func() { ColorStar(PatternOf(mat.NewDense(2, 3, nil))) }, tensor.ErrShape},
		"acyclic non-square":  {func() { ColorAcyclic(PatternOf(mat.NewDense(2, 3, nil))) }, tensor.ErrShape},
		"two recoveries":      {func() { NewHessianPlan(extRosenbrock, x, Direct, Substitution) }, tensor.ErrArg},
		"unknown recovery":    {func() { NewHessianPlan(extRosenbrock, x, Recovery(7)) }, tensor.ErrArg},
		"SymDense non-square": {func() { (&CSR{Pattern: PatternOf(mat.NewDense(2, 3, nil))}).SymDense() }, tensor.ErrShape},
	}
	for name, c := range cases {
		if err := tensor.Maybe(c.f); !errors.Is(err, c.kind) {
			t.Errorf("%s: error %v, want %v", name, err, c.kind)
		}
	}
}

// TestConservativeOps checks Jacobians and Hessians through primitives
// the tracer handles conservatively or by shape (reductions along an axis,
// logsumexp, take_along, matrix products of two variables) against ad's
// dense ones.
func TestConservativeOps(t *testing.T) {
	x := []float64{0.3, -1.2, 2.0, 0.7, -0.4, 1.1, 0.9, -2.2, 0.05, 1.6, -0.8, 0.2}
	m := func(x ad.Value) ad.Value { return ad.Reshape(x, 3, 4) }
	fs := map[string]func(ad.Value) ad.Value{
		"max along axis 1": func(x ad.Value) ad.Value { return ad.Max(m(x), false, 1) },
		"logsumexp axis 0": func(x ad.Value) ad.Value { return ad.LogSumExp(m(x), false, 0) },
		"take_along":       func(x ad.Value) ad.Value { return ad.Reshape(ad.TakeAlong(m(x), 1, []int{3, 0, 0, 2, 1, 1}), 6) },
		"x·xᵀ":             func(x ad.Value) ad.Value { return ad.Reshape(ad.MatMul(m(x), ad.MT(m(x))), 9) },
		"sum along axis":   func(x ad.Value) ad.Value { return ad.Exp(ad.Sum(m(x), false, 0)) },
	}
	for name, f := range fs {
		t.Run(name, func(t *testing.T) {
			checkJacobian(t, f, x)
			checkHessian(t, func(x ad.Value) ad.Value { return ad.Sum(ad.Square(f(x)), false) }, x)
		})
	}
}

func TestReductionPatterns(t *testing.T) {
	x := make([]float64, 12)
	for i := range x {
		x[i] = float64(i%5) - 2
	}
	rows := func(x ad.Value) ad.Value { return ad.Max(ad.Reshape(x, 3, 4), false, 1) }
	samePattern(t, "max along axis 1", JacobianPattern(rows, x), func(i, j int) bool { return j/4 == i })
	cols := func(x ad.Value) ad.Value { return ad.LogSumExp(ad.Reshape(x, 3, 4), true, 0) }
	samePattern(t, "logsumexp along axis 0, kept", JacobianPattern(cols, x), func(i, j int) bool { return j%4 == i })
	// (3, 3) → (3) does not tell the axis: conservative, still exact values
	sq := func(x ad.Value) ad.Value { return ad.Min(ad.Reshape(ad.Slice(x, 0, 0, 9), 3, 3), false, 1) }
	checkJacobian(t, sq, x)
}

func TestConservativeLimit(t *testing.T) {
	const n = 20000
	idx := make([]int, n)
	for i := range idx {
		idx[i] = (i * 7) % n
	}
	f := func(x ad.Value) ad.Value { return ad.TakeAlong(x, 0, idx) }
	err := tensor.Maybe(func() { JacobianPattern(f, make([]float64, n)) })
	if !errors.Is(err, tensor.ErrArg) {
		t.Errorf("error %v; want tensor.ErrArg for a conservative pattern of 4e8 entries", err)
	}
}

// TestLargePlans checks plans large enough that their entries are gathered
// from the compressed results in parallel, against closed forms.
func TestLargePlans(t *testing.T) {
	const n = 50000
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(0.37 * float64(i))
	}
	j := NewJacobianPlan(laplace1D, x).Jacobian(x)
	h := NewHessianPlan(extRosenbrock, x).Hessian(x)
	for i := range n {
		for _, c := range []int{i - 1, i, i + 1} {
			if c < 0 || c >= n {
				continue
			}
			wantJ, wantH := 1.0, 0.0
			switch c {
			case i:
				wantJ = -2 + math.Exp(x[i])
				if i < n-1 {
					wantH += 2 + 1200*x[i]*x[i] - 400*x[i+1]
				}
				if i > 0 {
					wantH += 200
				}
			case i + 1:
				wantH = -400 * x[i]
			case i - 1:
				wantH = -400 * x[c]
			}
			if got := j.At(i, c); math.Abs(got-wantJ) > 1e-14*math.Max(1, math.Abs(wantJ)) {
				t.Fatalf("J[%d,%d] = %v, want %v", i, c, got, wantJ)
			}
			if got := h.At(i, c); math.Abs(got-wantH) > 1e-10*math.Max(1, math.Abs(wantH)) {
				t.Fatalf("H[%d,%d] = %v, want %v", i, c, got, wantH)
			}
		}
	}
	if j.NNZ() != 3*n-2 || h.NNZ() != 3*n-2 {
		t.Errorf("%d and %d entries; want %d", j.NNZ(), h.NNZ(), 3*n-2)
	}
}
