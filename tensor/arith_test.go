package tensor

import (
	"math"
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
	seen := make([]int, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			seen[i]++
		}
	})
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("element %d visited %d times", i, c)
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
