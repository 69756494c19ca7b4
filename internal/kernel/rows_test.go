package kernel

import (
	"math"
	"testing"
)

// TestCopyRows checks CopyRows in both element types against a copy
// element by element: row lengths with and without a remainder past the
// 16-byte blocks, strides above the length, and garbage between the
// destination's rows that must stay.
func TestCopyRows(t *testing.T) {
	for _, n := range []int{1, 3, 4, 5, 8, 24, 26} {
		for _, rows := range []int{1, 2, 7} {
			ss, ds := n+5, n+2
			src := make([]float64, (rows-1)*ss+n)
			for i := range src {
				src[i] = float64(i) + 0.5
			}
			src32 := make([]float32, len(src))
			for i, v := range src {
				src32[i] = float32(v)
			}
			dst := make([]float64, (rows-1)*ds+n+1)
			dst32 := make([]float32, len(dst))
			for i := range dst {
				dst[i], dst32[i] = math.NaN(), float32(math.NaN())
			}
			CopyRows(dst, ds, src, ss, rows, n)
			CopyRows(dst32, ds, src32, ss, rows, n)
			for i := range dst {
				r, j := i/ds, i%ds
				want := math.NaN()
				if r < rows && j < n {
					want = src[r*ss+j]
				}
				if got := dst[i]; got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("n %d rows %d: float64 dst[%d] = %v, want %v", n, rows, i, got, want)
				}
				if got := float64(dst32[i]); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("n %d rows %d: float32 dst[%d] = %v, want %v", n, rows, i, got, want)
				}
			}
		}
	}
}
