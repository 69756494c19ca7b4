package vmath

import "testing"

// BenchmarkSlices32 times the float32 slice kernels on 4096 standard
// normal inputs (the softmax's exps see x - max ≤ 0, here x - 4), one
// core, reporting ns per element and, through SetBytes, the GB/s of the
// 8 bytes each element reads and writes.
func BenchmarkSlices32(b *testing.B) {
	xs := benchInputs()
	src, dst := make([]float32, len(xs)), make([]float32, len(xs))
	shifted := make([]float32, len(xs))
	for i, x := range xs {
		src[i] = float32(x)
		shifted[i] = float32(x - 4)
	}
	for _, c := range []struct {
		name string
		f    func(dst, src []float32) []float32
		in   []float32
	}{
		{"Exp", exp32To, shifted},
		{"GELU", GELUTo[float32], src},
		{"GELUGrad", GELUGradTo[float32], src},
		{"Tanh", TanhTo[float32], src},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(8 * int64(len(c.in)))
			for b.Loop() {
				c.f(dst, c.in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.in)), "ns/elem")
		})
	}
}
