package tensor

import (
	"fmt"
	"math"
	"testing"
)

// blockedRowSum is the order of additions Sum documents for a sum over
// leading axes (A×R×C to A×C): the R rows in blocks, each block's rows
// added in order by a running total, then the block sums added in order.
// It is written here, one element at a time, as the reference the SIMD
// row kernel must match bit for bit.
func blockedRowSum[T Float](x []T, a, r, c int) []T {
	nb := min(max(1, r*c/grainCols), maxRowBlocks, r)
	if a >= maxRowBlocks {
		nb = 1
	}
	per := (r + nb - 1) / nb
	z := make([]T, a*c)
	for i := range a {
		for j := range c {
			var tot T
			for b0 := 0; b0 < r; b0 += per {
				var s T
				for k := b0; k < min(b0+per, r); k++ {
					s += x[(i*r+k)*c+j]
				}
				if nb == 1 {
					tot = s
				} else {
					tot += s
				}
			}
			z[i*c+j] = tot
		}
	}
	return z
}

func testRowSumOrder[T Float](t *testing.T, d DType) {
	for _, s := range [][3]int{{1, 1024, 1024}, {1, 1024, 256}, {1, 37, 1000}, {3, 333, 77}, {1, 5000, 3}, {40, 300, 17}, {2, 1000, 129}, {1, 2, 9}} {
		a, r, c := s[0], s[1], s[2]
		x := mk(d, reals(uint64(a*r+c), a*r*c), a, r, c)
		if c > 7 {
			// NaN, +Inf, and +Inf against -Inf in a few columns
			x.SetFlat(5, math.NaN())
			x.SetFlat(c+6, math.Inf(1))
			x.SetFlat(7, math.Inf(1))
			x.SetFlat((r-1)*c+7, math.Inf(-1))
		}
		var xs []T
		if d == Float32 {
			xs = any(x.Data32()).([]T)
		} else {
			xs = any(x.Data()).([]T)
		}
		want := blockedRowSum(xs, a, r, c)
		got := Sum(x, []int{1}, false).Float64s()
		for i, w := range want {
			g, w := got[i], float64(w)
			if math.Float64bits(g) != math.Float64bits(w) && !(g != g && w != w) {
				t.Fatalf("%s %v: element %d = %v, want %v", d, s, i, g, w)
			}
		}
	}
}

// TestSumRowsOrder checks the sums over leading axes (the SIMD row kernel
// across blocks of rows and the cores) against the documented order of
// additions, bit for bit, specials included.
func TestSumRowsOrder(t *testing.T) {
	testRowSumOrder[float64](t, Float64)
	testRowSumOrder[float32](t, Float32)
}

// TestSumRowsFloat32Accuracy bounds the error of a float32 bias-gradient
// sum (1024 rows) against the float64 sum of the same float32 values, by
// a few units of the blocked sum's bound ((per + blocks)·ε·Σ|x|).
func TestSumRowsFloat32Accuracy(t *testing.T) {
	const r, c = 4096, 300
	x := mk(Float32, reals(9, r*c), r, c)
	got := Sum(x, []int{0}, false).Data32()
	xs := x.Data32()
	nb := min(max(1, r*c/grainCols), maxRowBlocks, r)
	bound := float64((r+nb-1)/nb+nb) * 0x1p-24
	worst := 0.0
	for j := range c {
		s, abs := 0.0, 0.0
		for i := range r {
			s += float64(xs[i*c+j])
			abs += math.Abs(float64(xs[i*c+j]))
		}
		e := math.Abs(float64(got[j])-s) / abs
		worst = max(worst, e)
		if e > bound {
			t.Fatalf("column %d: relative error %.3g over the bound %.3g", j, e, bound)
		}
	}
	t.Logf("worst relative error (of Σ|x|) %.3g, bound %.3g", worst, bound)
}

// TestSumChannelsParallel checks the per-channel sum (a convolution's bias
// gradient, N×C×H×W to C×1×1), whose runs are summed across the cores,
// against the reference reduction.
func TestSumChannelsParallel(t *testing.T) {
	for _, d := range dtypes {
		for _, shape := range [][]int{{64, 6, 24, 24}, {64, 16, 8, 8}, {3, 5, 7, 11}, {2, 3, 40000}} {
			x := mk(d, reals(uint64(shape[1]), prod(shape)), shape...)
			x.SetFlat(prod(shape)/2, math.Inf(1))
			to := append([]int{}, shape[1:]...)
			for i := 1; i < len(to); i++ {
				to[i] = 1
			}
			axes := []int{0}
			for i := 2; i < len(shape); i++ {
				axes = append(axes, i)
			}
			_, want, scale := refReduce(x, axes, "sum")
			tol := 1e-14
			if d == Float32 {
				tol = 2e-6
			}
			keep := append([]int{1}, to...)
			checkClose(t, fmt.Sprintf("%s sum_to %v → %v", d, shape, to), SumTo(x, to).Reshape(keep...), keep, want, scale, tol)
		}
	}
}
