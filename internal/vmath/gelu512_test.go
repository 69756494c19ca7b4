package vmath

import (
	"math"
	"testing"
)

// TestGELU512MatchesAVX2 checks the AVX-512 GELU kernels against the AVX2
// ones, which the accuracy tests measure against float64 references: the
// same operations lane for lane, so equal bit for bit, over a sweep of
// every binade, the special values and slice lengths that leave a tail of
// 8 or fewer for the AVX2 kernel and the buffer.
func TestGELU512MatchesAVX2(t *testing.T) {
	if !useAsm || !useAVX512 {
		t.Skip("no AVX-512 on this processor: the AVX-512 GELU kernels do not run")
	}
	xs := sweep32(120)
	inf := float32(math.Inf(1))
	xs = append(xs, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 14.84, -14.84, 1e4, -1e4, 1e-40, -1e-40)
	for _, n := range []int{len(xs), 16, 17, 24, 31, 33} {
		src := xs[len(xs)-n:]
		for _, k := range []struct {
			name string
			f    func(dst, src []float32) []float32
		}{{"GELU", GELUTo[float32]}, {"GELUGrad", GELUGradTo[float32]}} {
			useAVX512 = false
			want := k.f(make([]float32, n), src)
			useAVX512 = true
			got := k.f(make([]float32, n), src)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("%s(%v): AVX-512 %v, AVX2 %v", k.name, src[i], got[i], want[i])
				}
			}
		}
	}
}
