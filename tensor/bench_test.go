package tensor

import "testing"

// BenchmarkMatMul512 multiplies two 512×512 matrices and reports the rate
// in GFLOP/s, counting 2·512³ floating-point operations per product.
func BenchmarkMatMul512(b *testing.B) {
	const n = 512
	for _, d := range dtypes {
		b.Run(d.String(), func(b *testing.B) {
			x, y := d.RandN(seeded(1), n, n), d.RandN(seeded(2), n, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				MatMul(x, y)
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(2*n*n*n*float64(b.N)/s/1e9, "GFLOP/s")
			}
		})
	}
}

// BenchmarkAdd adds two tensors of 1e6 elements, same shape and broadcast.
func BenchmarkAdd(b *testing.B) {
	for _, d := range dtypes {
		x, y, row := d.RandN(seeded(1), 1000, 1000), d.RandN(seeded(2), 1000, 1000), d.RandN(seeded(3), 1000)
		elem := int64(8)
		if d == Float32 {
			elem = 4
		}
		b.Run(d.String(), func(b *testing.B) {
			b.SetBytes(3 * 1e6 * elem) // two operands read, one result written
			for i := 0; i < b.N; i++ {
				Add(x, y)
			}
		})
		b.Run(d.String()+"/broadcast", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Add(x, row)
			}
		})
	}
}

// BenchmarkSum reduces a 1000×1000 tensor over all axes, axis 0 and axis 1.
func BenchmarkSum(b *testing.B) {
	for _, d := range dtypes {
		x := d.RandN(seeded(1), 1000, 1000)
		for _, c := range []struct {
			name string
			axes []int
		}{{"all", nil}, {"axis0", []int{0}}, {"axis1", []int{1}}} {
			b.Run(d.String()+"/"+c.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					Sum(x, c.axes, false)
				}
			})
		}
	}
}
