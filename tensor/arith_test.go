package tensor

import (
	"math"
	"sync/atomic"
	"testing"
)

func TestStrongMul(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	a := New([]float64{0, 0, 0, 2, 3, nan, math.Copysign(0, -1)}, 7)
	b := New([]float64{inf, -inf, nan, inf, 4, 1, 5}, 7)
	got := StrongMul(a, b)
	want := []float64{0, 0, 0, inf, 12, nan, 0}
	for i, w := range want {
		g := got.AtFlat(i)
		if !(g == w || (math.IsNaN(g) && math.IsNaN(w))) {
			t.Errorf("element %d: %g × %g = %g, want %g", i, a.AtFlat(i), b.AtFlat(i), g, w)
		}
	}
	// scalar operand and float32
	s := StrongMul(Scalar(0), New([]float64{inf, 1}, 2))
	if s.AtFlat(0) != 0 || s.AtFlat(1) != 0 {
		t.Errorf("0 × [inf 1] = %v", s)
	}
	f := StrongMul(Float32.Scalar(0), New32([]float32{float32(inf), 2}, 2))
	if f.AtFlat(0) != 0 || f.AtFlat(1) != 0 {
		t.Errorf("float32 0 × [inf 2] = %v", f)
	}
	// the general broadcast path
	g := StrongMul(New([]float64{0, 1}, 2, 1), New([]float64{inf, 2}, 1, 2))
	if g.At(0, 0) != 0 || g.At(0, 1) != 0 || g.At(1, 0) != inf || g.At(1, 1) != 2 {
		t.Errorf("broadcast strong mul = %v", g)
	}
}

// Kernels large enough to run on several cores give the same results as
// the one-core loop.
func TestParallelKernels(t *testing.T) {
	n := 3*grain + 17
	a, b := RandN(1, n), RandN(2, n)
	sum, prod, sq := Add(a, b), Mul(a, Scalar(3)), Map(a, func(v float64) float64 { return v * v })
	for i := 0; i < n; i++ {
		x, y := a.AtFlat(i), b.AtFlat(i)
		if sum.AtFlat(i) != x+y || prod.AtFlat(i) != x*3 || sq.AtFlat(i) != x*x {
			t.Fatalf("element %d: %g %g %g", i, sum.AtFlat(i), prod.AtFlat(i), sq.AtFlat(i))
		}
	}
	for _, par := range []func(int, func(lo, hi int)){Parallel, ParallelCostly} {
		for _, m := range []int{n, 2*costlyGrain + 5, 7} {
			seen := make([]int32, m)
			par(m, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&seen[i], 1)
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("%d elements: element %d visited %d times", m, i, c)
				}
			}
		}
	}
}

func TestRecycle(t *testing.T) {
	a := Full(7, recycleMin)
	key := a.Storage()
	if b := a.Reshape(recycleMin/4, 4); b.Storage() != key {
		t.Fatal("a reshape does not share storage")
	}
	Recycle(a)
	if a.Size() != 0 {
		t.Errorf("recycled tensor still has %d elements", a.Size())
	}
	// a later allocation of the same length may reuse it, and must be zeroed
	for i := 0; i < 4; i++ {
		z := Zeros(recycleMin)
		for j := 0; j < z.Size(); j++ {
			if z.AtFlat(j) != 0 {
				t.Fatalf("reused storage not zeroed at %d", j)
			}
		}
	}
	Recycle(Float32.Full(1, recycleMin))
	if z := Float32.Zeros(recycleMin); z.AtFlat(5) != 0 {
		t.Error("float32 reuse not zeroed")
	}
	if New([]float64{}, 0).Storage() != nil {
		t.Error("empty tensor has a storage key")
	}
}

// TestKernelsOverwriteRecycledStorage: kernels that take storage without
// zeroing it (see dirty) must write every element, so each result computed
// into a recycled NaN-filled buffer equals the one computed into fresh
// storage.
func TestKernelsOverwriteRecycledStorage(t *testing.T) {
	const n = recycleMin
	for _, d := range dtypes {
		a, b := mk(d, reals(31, 2*n), 2, n), mk(d, reals(32, 2*n), 2, n)
		row := mk(d, reals(33, n), n)
		sq := mk(d, reals(34, n+128), 64, n/64+2)
		cond := Sub(a, b)
		narrow := Slice(a, 1, 0, n-64) // outside the op: it would take the buffer of its size class
		other := Float32
		if d == Float32 {
			other = Float64
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = (i * 7) % 2
		}
		ops := map[string]func() *Tensor{
			"add broadcast": func() *Tensor { return Add(a, row) },
			"mul":           func() *Tensor { return Mul(a, b) },
			"map":           func() *Tensor { return Map(a, func(v float64) float64 { return v / 3 }) },
			"map2":          func() *Tensor { return Map2("f", a, row, func(x, y float64) float64 { return x - y }) },
			"where":         func() *Tensor { return Where(cond, a, row) },
			"tanh":          func() *Tensor { return Tanh(a) },
			"neg":           func() *Tensor { return Neg(a) },
			"square":        func() *Tensor { return Square(a) },
			"clone":         func() *Tensor { return a.Clone() },
			"as":            func() *Tensor { return a.As(other).As(d) },
			"full":          func() *Tensor { return d.Full(2, 2, n) },
			"transpose":     func() *Tensor { return Transpose(a, 1, 0) },
			"slice":         func() *Tensor { return Slice(sq, 1, 1, n/64+1) },
			"concat":        func() *Tensor { return Concat(0, row.Reshape(1, n), row.Reshape(1, n)) },
			"pad":           func() *Tensor { return Pad(narrow, 1, 24, 40) },
			"pad rows":      func() *Tensor { return Pad(a, 0, 1, 1).Reshape(4 * n) },
			"take_along":    func() *Tensor { return TakeAlong(a, 0, idx) },
			"matmul":        func() *Tensor { return MatMul(sq, Transpose(sq, 1, 0)) },
			"broadcast_to":  func() *Tensor { return BroadcastTo(row, []int{2, n}) },
			"broadcast col": func() *Tensor { return BroadcastTo(Slice(a, 1, 3, 4), []int{2, n}) },
			"broadcast one": func() *Tensor { return BroadcastTo(d.Scalar(3), []int{2, n}) },
			"max":           func() *Tensor { return Max(a, []int{0}, false) },
			"min":           func() *Tensor { return Min(a, []int{0}, true) },
			"randn":         func() *Tensor { return d.RandN(7, 2, n) },
			"rand":          func() *Tensor { return d.Rand(7, -1, 1, 2, n) },
			"arange":        func() *Tensor { return d.Arange(0, 2*n, 1) },
		}
		for name, op := range ops {
			want := op()
			// Hand the cache a NaN-filled buffer of the result's length
			// until the op takes it (a collection between Recycle and the
			// op may release it).
			reused := false
			for try := 0; try < 16 && !reused; try++ {
				junk := d.Full(math.NaN(), want.Size())
				key := junk.Storage()
				Recycle(junk)
				got := op()
				if !Equal(got, want) {
					t.Fatalf("%s %s: result into recycled storage differs from a fresh one", d, name)
				}
				reused = got.Storage() == key
			}
			if !reused {
				t.Errorf("%s %s: the result never reused the recycled buffer in 16 tries", d, name)
			}
		}
	}
}

// Recycle pools only storage the package allocated whole: a view or a
// caller's slice is emptied, and later allocations never hand out its
// array.
func TestRecycleLeavesViewsAndCallerSlices(t *testing.T) {
	base := Full(3, 4*recycleMin)
	view := Slice(base.Reshape(4, recycleMin), 0, 1, 2) // a contiguous view of row 1
	if view.Storage() != base.Storage() {
		t.Fatal("the slice is not a view")
	}
	mine := make([]float64, recycleMin)
	caller := New(mine, recycleMin)
	Recycle(view)
	Recycle(caller)
	if view.Size() != 0 || caller.Size() != 0 {
		t.Error("recycled tensors not emptied")
	}
	for range 8 {
		z := Empty(Float64, []int{recycleMin})
		z.Fill(-1) // would overwrite base's row or mine if pooled
	}
	for i, v := range base.Data() {
		if v != 3 {
			t.Fatalf("base changed at %d after recycling a view of it", i)
		}
	}
	for i, v := range mine {
		if v != 0 {
			t.Fatalf("the caller's slice changed at %d", i)
		}
	}
}

func TestUninitialized(t *testing.T) {
	for _, d := range dtypes {
		u := Uninitialized(d, []int{3, recycleMin})
		if u.DType() != d || u.Size() != 3*recycleMin || u.Rank() != 2 {
			t.Errorf("%s: dtype %s, shape %v", d, u.DType(), u.Shape())
		}
		// recycled storage comes back as it was: not cleared
		junk := d.Full(7, recycleMin)
		key := junk.Storage()
		Recycle(junk)
		if v := Uninitialized(d, []int{recycleMin}); v.Storage() == key && v.AtFlat(0) != 7 {
			t.Errorf("%s: recycled storage was cleared", d)
		}
	}
	checkPanic(t, "Uninitialized negative", ErrShape, "chainrule: empty: negative dimension in shape (2,-1)", func() { Uninitialized(Float64, []int{2, -1}) })
}
