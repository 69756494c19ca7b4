package gemm

import "testing"

// BenchmarkKernel measures the micro-kernels alone on L1/L2-resident
// panels: the ceiling for the blocked product on one core.
func BenchmarkKernel(b *testing.B) {
	const kc = 256
	if hasAVX512 {
		b.Run("avx512F64", func(b *testing.B) { benchKern(b, avx512F64, kc) })
		b.Run("avx512F32", func(b *testing.B) { benchKern(b, avx512F32, kc) })
	}
	if HasAsm() {
		b.Run("avx2F64", func(b *testing.B) { benchKern(b, avx2F64, kc) })
		b.Run("avx2F32", func(b *testing.B) { benchKern(b, avx2F32, kc) })
	}
	b.Run("goF64", func(b *testing.B) { benchKern(b, goF64, kc) })
	b.Run("goF32", func(b *testing.B) { benchKern(b, goF32, kc) })
}

func benchKern[T float](b *testing.B, cfg config[T], kc int) {
	const panels = 16 // an A block of 16 panels, as in the macro-kernel
	a := make([]T, panels*cfg.mr*kc)
	bb := make([]T, cfg.nr*kc)
	c := make([]T, panels*cfg.mr*cfg.nr)
	for i := range a {
		a[i] = T(i%7) * 0.01
	}
	for i := range bb {
		bb[i] = T(i%5) * 0.01
	}
	for b.Loop() {
		for p := 0; p < panels; p++ {
			cfg.kern(kc, &a[p*cfg.mr*kc], 1, cfg.mr, &bb[0], &c[p*cfg.mr*cfg.nr], cfg.nr, 1)
		}
	}
	b.ReportMetric(2*float64(panels*cfg.mr*cfg.nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
