package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refSoftmax is the softmax of x in float64 with math.Exp.
func refSoftmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	z := make([]float64, len(x))
	s := 0.0
	for i, v := range x {
		z[i] = math.Exp(v - m)
		s += z[i]
	}
	for i := range z {
		z[i] /= s
	}
	return z
}

// TestSoftmaxTo checks rows of many lengths, with logits up to ±1000 and
// -Inf entries (masked positions), against the float64 definition:
// float32 rows within 2 + n/8 + |x - max| ulps of each element (exp's
// ulp, the float32 sum of n terms, and the rounding of x - max, which
// exp turns into a relative error |x - max|·2⁻²⁴), float64 rows within
// 1e-14 relative.
func TestSoftmaxTo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	kernelModes(t, func(t *testing.T) {
		worst := 0.0
		for _, n := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 128, 1000} {
			for _, scale := range []float64{1, 10, 1000} {
				x := make([]float64, n)
				x32 := make([]float32, n)
				for i := range x {
					x32[i] = float32(scale * r.NormFloat64())
					if n > 2 && i%5 == 1 {
						x32[i] = float32(math.Inf(-1))
					}
					x[i] = float64(x32[i])
				}
				want := refSoftmax(x)
				m := math.Inf(-1)
				for _, v := range x {
					m = max(m, v)
				}
				got32 := SoftmaxTo(make([]float32, n), x32)
				got64 := SoftmaxTo(make([]float64, n), x)
				for i := range want {
					e := math.Abs(float64(got32[i])-want[i]) / ulp32(float32(want[i]))
					tol := 2 + float64(n)/8 + math.Abs(x[i]-m)
					worst = max(worst, e/tol)
					if e > tol {
						t.Fatalf("n=%d scale %g: SoftmaxTo[float32][%d] = %v, want %v (%.2f ulps)", n, scale, i, got32[i], want[i], e)
					}
					if d := math.Abs(got64[i] - want[i]); d > 1e-14*want[i] {
						t.Fatalf("n=%d scale %g: SoftmaxTo[float64][%d] = %v, want %v", n, scale, i, got64[i], want[i])
					}
				}
			}
		}
		t.Logf("worst %.2f of the tolerance", worst)
		inf, nan := float32(math.Inf(1)), float32(math.NaN())
		for _, row := range [][]float32{{1, nan, 2}, {1, inf, 2}, {-inf, -inf}, {nan, 1, 2, 3, 4, 5, 6, 7, 8, 9}} {
			for i, v := range SoftmaxTo(make([]float32, len(row)), row) {
				if v == v {
					t.Errorf("SoftmaxTo(%v)[%d] = %v, want NaN", row, i, v)
				}
			}
		}
	})
}
