package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// benchShape runs the asm (if available), go and gonum variants of an
// m×k by k×n product as sub-benchmarks and reports GFLOP/s. The machine's
// load matters: compare variants from the same run, over several -count.
func benchShape(b *testing.B, m, n, k int, f32 bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.Float64()
		}
		return s
	}
	a64, b64, c64 := fill(m*k), fill(k*n), fill(m*n)
	a32, b32, c32 := widenTo32(a64), widenTo32(b64), widenTo32(c64)
	report := func(b *testing.B) {
		b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	run := func(name string, asm bool, f func()) {
		b.Run(name, func(b *testing.B) {
			defer func(u bool) { UseAsm = u }(UseAsm)
			UseAsm = asm
			f()
			b.ResetTimer()
			for b.Loop() {
				f()
			}
			report(b)
		})
	}
	ours := func() {
		if f32 {
			F32(false, false, m, n, k, 1, a32, k, b32, n, 0, c32, n)
		} else {
			F64(false, false, m, n, k, 1, a64, k, b64, n, 0, c64, n)
		}
	}
	for _, asm := range []bool{true, false} {
		if asm && !HasAsm() {
			continue
		}
		name := "go"
		if asm {
			name = "asm"
		}
		run(name, asm, ours)
		if asm && hasAVX512 {
			run("avx2", true, func() {
				defer func(f64 config[float64], f32 config[float32]) { asmF64, asmF32 = f64, f32 }(asmF64, asmF32)
				asmF64, asmF32 = avx2F64, avx2F32
				ours()
			})
		}
	}
	run("gonum", false, func() {
		if f32 {
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
				blas32.General{Rows: m, Cols: k, Stride: k, Data: a32},
				blas32.General{Rows: k, Cols: n, Stride: n, Data: b32},
				0, blas32.General{Rows: m, Cols: n, Stride: n, Data: c32})
		} else {
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
				blas64.General{Rows: m, Cols: k, Stride: k, Data: a64},
				blas64.General{Rows: k, Cols: n, Stride: n, Data: b64},
				0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c64})
		}
	})
}

func BenchmarkF64_512(b *testing.B) { benchShape(b, 512, 512, 512, false) }
func BenchmarkF32_512(b *testing.B) { benchShape(b, 512, 512, 512, true) }

// MLP-sized: a batch of 256 rows through a 784→64 layer.
func BenchmarkF64_256x784x64(b *testing.B) { benchShape(b, 256, 64, 784, false) }
func BenchmarkF32_256x784x64(b *testing.B) { benchShape(b, 256, 64, 784, true) }

// W3's two large products: a batch of 64 through the 784→256 layer, and
// its weight gradient (x transposed times the batch's cotangent; the
// transpose is in the packing, so the same shape stands for it here).
func BenchmarkF64_64x784x256(b *testing.B) { benchShape(b, 64, 256, 784, false) }
func BenchmarkF32_64x784x256(b *testing.B) { benchShape(b, 64, 256, 784, true) }
func BenchmarkF64_784x64x256(b *testing.B) { benchShape(b, 784, 256, 64, false) }
func BenchmarkF32_784x64x256(b *testing.B) { benchShape(b, 784, 256, 64, true) }

func BenchmarkF64_64(b *testing.B) { benchShape(b, 64, 64, 64, false) }
func BenchmarkF32_64(b *testing.B) { benchShape(b, 64, 64, 64, true) }

func BenchmarkF64_16(b *testing.B) { benchShape(b, 16, 16, 16, false) }
func BenchmarkF64_4(b *testing.B)  { benchShape(b, 4, 4, 4, false) }

// BenchmarkMatVec compares matrix-vector products (a batch of one through
// a layer, both ways round) with gonum's Gemv.
func BenchmarkMatVec(b *testing.B) {
	for _, s := range [][2]int{{784, 256}, {64, 64}} {
		k, n := s[0], s[1]
		x := make([]float64, k)
		w := make([]float64, k*n)
		y := make([]float64, n)
		for i := range w {
			w[i] = float64(i%7) * 0.1
		}
		b.Run(fmt.Sprintf("rowvec_%dx%d/ours", k, n), func(b *testing.B) {
			for b.Loop() {
				F64(false, false, 1, n, k, 1, x, k, w, n, 0, y, n)
			}
		})
		b.Run(fmt.Sprintf("rowvec_%dx%d/gonumGemv", k, n), func(b *testing.B) {
			W := blas64.General{Rows: k, Cols: n, Stride: n, Data: w}
			for b.Loop() {
				blas64.Gemv(blas.Trans, 1, W, blas64.Vector{N: k, Inc: 1, Data: x}, 0, blas64.Vector{N: n, Inc: 1, Data: y})
			}
		})
		// W (n×k) times column vector x (k): m=n rows, n=1
		b.Run(fmt.Sprintf("colvec_%dx%d/ours", n, k), func(b *testing.B) {
			for b.Loop() {
				F64(false, false, n, 1, k, 1, w, k, x, 1, 0, y, 1)
			}
		})
		b.Run(fmt.Sprintf("colvec_%dx%d/gonumGemv", n, k), func(b *testing.B) {
			W := blas64.General{Rows: n, Cols: k, Stride: k, Data: w}
			for b.Loop() {
				blas64.Gemv(blas.NoTrans, 1, W, blas64.Vector{N: k, Inc: 1, Data: x}, 0, blas64.Vector{N: n, Inc: 1, Data: y})
			}
		})
	}
}

// BenchmarkW6 times the products of one layer of W6 (h' = tanh(W·h),
// width 256) and its gradient: W·h, Wᵀ·ḡ (the input's cotangent, W read
// transposed) and ḡ·hᵀ (the weight's, an outer product), in both dtypes.
func BenchmarkW6(b *testing.B) {
	const n = 256
	w := make([]float64, n*n)
	for i := range w {
		w[i] = float64(i%7) * 0.1
	}
	x := make([]float64, n)
	y := make([]float64, n)
	w32, x32, y32 := make([]float32, n*n), make([]float32, n), make([]float32, n)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Wh/f64", func() { F64(false, false, n, 1, n, 1, w, n, x, 1, 0, y, 1) }},
		{"WTg/f64", func() { F64(true, false, n, 1, n, 1, w, n, x, 1, 0, y, 1) }},
		{"outer/f64", func() { F64(false, true, n, n, 1, 1, x, 1, y, 1, 0, w, n) }},
		{"WTg/f32", func() { F32(true, false, n, 1, n, 1, w32, n, x32, 1, 0, y32, 1) }},
		{"outer/f32", func() { F32(false, true, n, n, 1, 1, x32, 1, y32, 1, 0, w32, n) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f()
			}
		})
	}
}

// BenchmarkW9 times the float32 products of the W9 transformer block
// (batch 8 × sequence 128 = 1024 rows, width 256, FFN 1024) with the
// transposes its forward and backward passes use: x·Wᵀ, dY·W and the
// weight gradient dYᵀ·x.
func BenchmarkW9(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()
		}
		return s
	}
	for _, s := range []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}{
		{"xWt_1024x768x256", false, true, 1024, 768, 256},
		{"xWt_1024x1024x256", false, true, 1024, 1024, 256},
		{"xWt_1024x256x1024", false, true, 1024, 256, 1024},
		{"dyW_1024x256x1024", false, false, 1024, 256, 1024},
		{"dytx_1024x256x1024", true, false, 1024, 256, 1024},
	} {
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		a, bb, c := fill(s.m*s.k), fill(s.k*s.n), make([]float32, s.m*s.n)
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				F32(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
