package tensor

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

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

// BenchmarkCacheSoak allocates tensors of random, non-repeating lengths
// from 4096 to 2^20 elements, writes them, and drops them: every other one
// through Recycle, the rest left to the garbage collector. With the cache
// on (the default limit) and off (limit 0), it reports the peak bytes the
// cache held, the live heap after a collection at the end, and the
// process's peak RSS so far (VmHWM: run one sub-benchmark at a time,
// -bench 'CacheSoak/off', for its own figure). Memory must stay bounded by
// the limit; issue 11's per-length pools held 717 MB RSS here.
func BenchmarkCacheSoak(b *testing.B) {
	for _, c := range []struct {
		name  string
		limit int64
	}{{"on", DefaultCacheLimit}, {"off", 0}} {
		b.Run(c.name, func(b *testing.B) {
			defer SetCacheLimit(SetCacheLimit(c.limit))
			r := rand.New(rand.NewPCG(1, 2))
			peak := int64(0)
			for i := 0; i < b.N; i++ {
				x := Uninitialized(Float64, []int{recycleMin + r.IntN(1<<20-recycleMin)})
				x.Fill(1)
				if i%2 == 0 {
					Recycle(x)
				}
				peak = max(peak, CachedBytes())
			}
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(peak)/(1<<20), "cache-peak-MiB")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-after-GC-MiB")
			b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
		})
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes, or 0
// where /proc/self/status is missing.
func peakRSS() float64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(s), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkMatMulHeads times W9's attention products: 32 (batch × heads)
// products of 128×64 by 64×128 (the scores) and 128×128 by 128×64.
func BenchmarkMatMulHeads(b *testing.B) {
	q, k := Float32.RandN(seeded(1), 32, 128, 64), Float32.RandN(seeded(2), 32, 64, 128)
	p, v := Float32.RandN(seeded(3), 32, 128, 128), Float32.RandN(seeded(4), 32, 128, 64)
	b.Run("scores", func(b *testing.B) {
		for b.Loop() {
			MatMul(q, k)
		}
	})
	b.Run("values", func(b *testing.B) {
		for b.Loop() {
			MatMul(p, v)
		}
	})
}

// BenchmarkTranspose splits attention's heads (8×128×4×64 to 8×4×128×64,
// contiguous runs of 64) and transposes a 1024×1024 matrix.
func BenchmarkTranspose(b *testing.B) {
	for _, c := range []struct {
		name  string
		shape []int
		perm  []int
	}{{"heads", []int{8, 128, 4, 64}, []int{0, 2, 1, 3}}, {"matrix", []int{1024, 1024}, []int{1, 0}}} {
		x := Float32.RandN(seeded(1), c.shape...)
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Recycle(Transpose(x, c.perm...))
			}
		})
	}
}
