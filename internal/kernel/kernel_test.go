package kernel

import (
	"math"
	"slices"
	"sync"
	"testing"
)

func TestNegSquare(t *testing.T) {
	src := []float64{-2, -0.5, 0, 3, math.Inf(-1), math.NaN()}
	dst := make([]float64, len(src)+2) // longer than src: the result is cut to src's length
	neg := Neg(dst, src)
	if len(neg) != len(src) {
		t.Fatalf("Neg returned %d elements, want %d", len(neg), len(src))
	}
	for i, x := range src {
		// the sign flips exactly, 0 to −0 included; NaN stays NaN
		if w := -x; math.Float64bits(neg[i]) != math.Float64bits(w) && !(math.IsNaN(w) && math.IsNaN(neg[i])) {
			t.Errorf("Neg(%v) = %v, want %v", x, neg[i], w)
		}
	}
	sq := Square(make([]float32, 4), []float32{-3, 0.5, 0, 1e20})
	if want := []float32{9, 0.25, 0, float32(math.Inf(1))}; !slices.Equal(sq, want) {
		t.Errorf("Square = %v, want %v", sq, want) // 1e20² overflows float32
	}
}

func TestIsPerm(t *testing.T) {
	for _, c := range []struct {
		perm []int
		rank int
		want bool
	}{
		{nil, 0, true}, {[]int{0}, 1, true}, {[]int{2, 0, 1}, 3, true},
		{[]int{0, 0, 1}, 3, false}, {[]int{0, 1}, 3, false}, {[]int{0, 1, 2}, 2, false},
		{[]int{-1, 0}, 2, false}, {[]int{0, 2}, 2, false},
	} {
		if got := IsPerm(c.perm, c.rank); got != c.want {
			t.Errorf("IsPerm(%v, %d) = %v, want %v", c.perm, c.rank, got, c.want)
		}
	}
}

func TestIndexShape(t *testing.T) {
	for _, c := range []struct {
		shape      []int
		axis, nidx int
		want       []int // nil: not ok
	}{
		{[]int{2, 3, 4}, 1, 2 * 4 * 5, []int{2, 5, 4}},
		{[]int{2, 3, 4}, 0, 0, []int{0, 3, 4}},
		{[]int{2, 3, 4}, 2, 7, nil},
		{[]int{0, 3}, 1, 0, []int{0, 0}},
		{[]int{0, 3}, 1, 3, nil},
		{[]int{5}, 0, 9, []int{9}},
	} {
		got, ok := IndexShape(c.shape, c.axis, c.nidx)
		if ok != (c.want != nil) || !slices.Equal(got, c.want) {
			t.Errorf("IndexShape(%v, %d, %d) = %v, %v; want %v", c.shape, c.axis, c.nidx, got, ok, c.want)
		}
	}
}

// TestParallelCovers checks that the pieces cover [0, n) exactly once, for
// sizes below and above the grains.
func TestParallelCovers(t *testing.T) {
	for _, par := range []func(int, func(lo, hi int)){Parallel, ParallelCostly} {
		for _, n := range []int{0, 1, 1000, 5000, 1 << 16, 100_003} {
			hits := make([]int32, n)
			var mu sync.Mutex
			par(n, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				for i := lo; i < hi; i++ {
					hits[i]++
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("n=%d: element %d covered %d times", n, i, h)
				}
			}
		}
	}
}
