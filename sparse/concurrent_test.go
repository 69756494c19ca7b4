package sparse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/chainrule/chainrule/ad"
)

// evaluator is a plan evaluated into a CSR of its pattern.
type evaluator struct {
	name string
	pat  *Pattern
	eval func(dst *CSR, x []float64)
}

// TestPlansConcurrent evaluates each kind of plan (forward, reverse and
// bidirectional Jacobians, Hessians read directly and by substitution)
// from 8 goroutines at once, each at several points
// in an order of its own, against the same plan evaluated serially (run
// with -race: the plans share their programs, colourings and index
// arrays, and each call needs scratch of its own). The serial Hessian of
// the extended Rosenbrock function is checked against its closed form
// first, so the reference is right.
func TestPlansConcurrent(t *testing.T) {
	const n = 20000 // enough entries that the gathering is split over the cores
	rng := rand.New(rand.NewPCG(21, 22))
	denseRow := func(x ad.Value) ad.Value { return ad.Concat(0, ad.Sum(ad.Sin(x), true), ad.Square(x)) }
	x0 := randomPoint(rng, n)
	jf, jr := NewJacobianPlan(laplace1D, x0), NewJacobianPlan(denseRow, x0[:300])
	if jf.Mode() != ad.Forward || jr.Mode() != ad.Reverse {
		t.Fatalf("modes %v, %v; want Forward, Reverse", jf.Mode(), jr.Mode())
	}
	hr, hq := NewHessianPlan(extRosenbrock, x0), NewHessianPlan(randomScalar(rng, 40), x0[:40])
	arrow := func(x ad.Value) ad.Value { // a dense row and column: both modes
		y := ad.Add(ad.Mul(ad.Slice(x, 0, 0, 1), x), ad.Sin(x))
		return ad.Add(y, ad.Pad(ad.Sum(ad.Square(x), true), 0, 0, x.Size()-1))
	}
	jb := NewJacobianPlan(arrow, x0[:60])
	if jb.Mode() != ad.Auto {
		t.Fatalf("arrowhead: mode %v, want both (auto)", jb.Mode())
	}
	hs := NewHessianPlan(extRosenbrock, x0, Substitution)
	if _, k := hs.Colors(); !hs.Acyclic() || k != 2 {
		t.Fatalf("Rosenbrock by substitution: acyclic %v with %d colours; want an acyclic 2-colouring", hs.Acyclic(), k)
	}
	plans := []evaluator{
		{"forward Jacobian", jf.Pattern(), jf.JacobianTo},
		{"reverse Jacobian", jr.Pattern(), jr.JacobianTo},
		{"Rosenbrock Hessian", hr.Pattern(), hr.HessianTo},
		{"random Hessian", hq.Pattern(), hq.HessianTo},
		{"Rosenbrock Hessian by substitution", hs.Pattern(), hs.HessianTo},
		{"bidirectional Jacobian", jb.Pattern(), jb.JacobianTo},
	}
	points := make([][]float64, 6)
	for i := range points {
		points[i] = randomPoint(rng, n)
	}
	// the serial results
	want := make([][][]float64, len(plans))
	for k, p := range plans {
		for _, x := range points {
			dst := &CSR{Pattern: p.pat, Val: make([]float64, p.pat.NNZ())}
			p.eval(dst, x[:p.pat.Cols])
			want[k] = append(want[k], dst.Val)
		}
	}
	for i, x := range points[:2] {
		for _, k := range []int{2, 4} {
			h := &CSR{Pattern: plans[k].pat, Val: want[k][i]}
			for r := range n {
				// substitution's error is relative to the row's largest
				// entries (here about 1200): an error of 1e-12 of them
				scale := 1.0
				if k == 4 {
					scale = math.Abs(rosenbrockHess(x, r, r)) + 400
				}
				for c := max(r-1, 0); c <= min(r+1, n-1); c++ {
					if got, w := h.At(r, c), rosenbrockHess(x, r, c); math.Abs(got-w) > 1e-12*math.Max(scale, math.Abs(w)) {
						t.Fatalf("serial %s at point %d: H[%d,%d] = %v, closed form %v", plans[k].name, i, r, c, got, w)
					}
				}
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			order := rand.New(rand.NewPCG(uint64(g), 1)).Perm(3 * len(points))
			for k, p := range plans {
				dst := &CSR{Pattern: p.pat, Val: make([]float64, p.pat.NNZ())}
				for _, o := range order {
					i := o % len(points)
					p.eval(dst, points[i][:p.pat.Cols])
					for e, w := range want[k][i] {
						if got := dst.Val[e]; math.Abs(got-w) > 1e-13*math.Max(1, math.Abs(w)) {
							errs <- fmt.Errorf("goroutine %d, %s at point %d: entry %d = %v, serial %v", g, p.name, i, e, got, w)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// rosenbrockHess is entry (r, c) of the Hessian of the extended
// Rosenbrock function at x, by its closed form.
func rosenbrockHess(x []float64, r, c int) float64 {
	n := len(x)
	switch {
	case r == c:
		d := 0.0
		if r+1 < n {
			d += 1200*x[r]*x[r] - 400*x[r+1] + 2
		}
		if r > 0 {
			d += 200
		}
		return d
	case c == r+1:
		return -400 * x[r]
	case c == r-1:
		return -400 * x[c]
	}
	return 0
}

// TestPlanAllocs checks that evaluating a plan from one goroutine
// allocates nothing beyond what its program's run does (the scratch of the
// call is kept aside and reused). A collection that empties the storage
// cache during the count can add an allocation, so a count is retried
// before it fails.
func TestPlanAllocs(t *testing.T) {
	const n = 5000
	x := randomPoint(rand.New(rand.NewPCG(3, 4)), n)
	hp, jp := NewHessianPlan(extRosenbrock, x), NewJacobianPlan(laplace1D, x)
	hs := NewHessianPlan(extRosenbrock, x, Substitution)
	h, j, hh := hp.Hessian(x), jp.Jacobian(x), hs.Hessian(x)
	in := append([]ad.Value{ad.New(x, n)}, hp.seeds...)
	ins := append([]ad.Value{ad.New(x, n)}, hs.seeds...)
	var out []ad.Value
	for _, c := range []struct {
		name      string
		eval, run func()
	}{
		{"HessianTo", func() { hp.HessianTo(h, x) }, func() { in[0] = ad.New(x, n); out = hp.prog.AppendRun(out[:0], in...) }},
		{"HessianTo by substitution", func() { hs.HessianTo(hh, x) }, func() { ins[0] = ad.New(x, n); out = hs.prog.AppendRun(out[:0], ins...) }},
		{"JacobianTo", func() { jp.JacobianTo(j, x) }, func() { in[0] = ad.New(x, n); out = jp.prog.AppendRun(out[:0], in[:1]...) }},
	} {
		var a, prog float64
		for range 3 {
			prog, a = testing.AllocsPerRun(50, c.run), testing.AllocsPerRun(50, c.eval)
			if a <= prog+1 {
				break
			}
		}
		if a > prog+1 { // one allocation of slack: the storage cache's finalizers run when the GC does, which other packages' tests make irregular
			t.Errorf("%s: %v allocations; its program's run alone %v", c.name, a, prog)
		}
	}
}

// TestHessianSpecialPlans covers a quadratic, whose Hessian–vector
// products do not depend on x (the program returns constants, which
// repeated evaluations must leave intact), and a separable function (one
// colour), each at several points against closed forms.
func TestHessianSpecialPlans(t *testing.T) {
	const n = 7
	quad := func(x ad.Value) ad.Value { // Σ xᵢxᵢ₊₁ + Σ xᵢ²: 2 on the diagonal, 1 beside it
		return ad.Add(ad.Sum(ad.Mul(ad.Slice(x, 0, 0, n-1), ad.Slice(x, 0, 1, n)), false), ad.Sum(ad.Square(x), false))
	}
	sep := func(x ad.Value) ad.Value { return ad.Sum(ad.Exp(x), false) }
	rng := rand.New(rand.NewPCG(9, 9))
	x := randomPoint(rng, n)
	pq, ps := NewHessianPlan(quad, x), NewHessianPlan(sep, x)
	if _, k := ps.Colors(); k != 1 {
		t.Errorf("separable: %d colours, want 1", k)
	}
	for range 3 {
		x = randomPoint(rng, n)
		hq, hs := pq.Hessian(x), ps.Hessian(x)
		for i := range n {
			for j := range n {
				wq, ws := 0.0, 0.0
				switch {
				case i == j:
					wq, ws = 2, math.Exp(x[i])
				case i-j == 1 || j-i == 1:
					wq = 1
				}
				if got := hq.At(i, j); got != wq {
					t.Fatalf("quadratic: H[%d,%d] = %v, want %v", i, j, got, wq)
				}
				if got := hs.At(i, j); math.Abs(got-ws) > 1e-15*ws {
					t.Fatalf("separable: H[%d,%d] = %v, want %v", i, j, got, ws)
				}
			}
		}
	}
}

// TestGatherWide checks the gathering with 64-bit indices, which plans use
// when n << shift does not fit 32 bits (n near 2³⁰ and more), on a small
// case: entry e is read from product e%3 at row e/3+1.
func TestGatherWide(t *testing.T) {
	c := &call{b: [][]float64{{10, 11, 12, 13}, {20, 21, 22, 23}, {30, 31, 32, 33}}, dst: make([]float64, 9)}
	src := make([]uint64, 9)
	for e := range src {
		src[e] = uint64(e/3+1)<<2 | uint64(e%3)
	}
	gatherer(c, src, 2)(0, 9)
	for e, got := range c.dst {
		if want := float64(10*(e%3+1) + e/3 + 1); got != want {
			t.Errorf("entry %d = %v, want %v", e, got, want)
		}
	}
}

// TestConstantOutputs checks plans whose program returns a constant or an
// input (a linear function's compressed Jacobian does not depend on x; a
// Hessian–vector product of ½‖x‖² is the seed itself): such outputs must
// not be handed to the storage cache after a call, so repeated
// evaluations stay right, while the products of a plan that computes them
// are recycled.
func TestConstantOutputs(t *testing.T) {
	const n = 6000 // above the sizes Compile lowers to scalar code
	lin := func(x ad.Value) ad.Value {
		return ad.Add(ad.Mul(ad.Scalar(3), x), ad.Pad(ad.Slice(x, 0, 1, n), 0, 0, 1))
	}
	half := func(x ad.Value) ad.Value { return ad.Mul(ad.Scalar(0.5), ad.Sum(ad.Square(x), false)) }
	rng := rand.New(rand.NewPCG(5, 5))
	jp, hp := NewJacobianPlan(lin, randomPoint(rng, n)), NewHessianPlan(half, randomPoint(rng, n))
	if jp.calls.fresh[0] {
		t.Error("a linear function's compressed Jacobian (a constant) is marked fresh")
	}
	if hr := NewHessianPlan(extRosenbrock, randomPoint(rng, n)); !hr.calls.fresh[0] {
		t.Error("the Rosenbrock function's Hessian–vector products are not marked fresh")
	}
	for range 3 {
		x := randomPoint(rng, n)
		j, h := jp.Jacobian(x), hp.Hessian(x)
		for i := range n {
			if got := j.At(i, i); got != 3 {
				t.Fatalf("J[%d,%d] = %v, want 3", i, i, got)
			}
			if i+1 < n && j.At(i, i+1) != 1 {
				t.Fatalf("J[%d,%d] = %v, want 1", i, i+1, j.At(i, i+1))
			}
			if got := h.At(i, i); got != 1 {
				t.Fatalf("H[%d,%d] = %v, want 1", i, i, got)
			}
		}
	}
}
