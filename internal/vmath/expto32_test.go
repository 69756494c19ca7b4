package vmath

import (
	"math"
	"testing"
)

// TestExpTo32Kernel checks that ExpTo's float32 elements are the kernel's
// (exp32To: the assembly where it runs, the float64 path otherwise), each
// element's result the same whatever its position and the slice's length
// (ad's fused blocks cut a tensor anywhere), special values included.
func TestExpTo32Kernel(t *testing.T) {
	xs := sweep32(40)
	xs = append(xs, 0, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 88.72284, -103.972, 1e-45)
	kernelModes(t, func(t *testing.T) {
		want := exp32To(make([]float32, len(xs)), xs)
		whole := ExpTo(make([]float32, len(xs)), xs)
		for i, x := range xs {
			one := ExpTo(make([]float32, 1), xs[i:i+1])[0]
			tail := ExpTo(make([]float32, 3), xs[i:min(i+3, len(xs))])[0]
			for _, got := range []float32{whole[i], one, tail} {
				if math.Float32bits(got) != math.Float32bits(want[i]) && !(got != got && want[i] != want[i]) {
					t.Fatalf("ExpTo(%v) = %v, kernel %v", x, got, want[i])
				}
			}
		}
	})
}
