//go:build amd64 && !purego

package gemm

import (
	"unsafe"

	"github.com/chainrule/chainrule/internal/cpuid"
)

// hasAsm reports whether the CPU and OS support the AVX2/FMA kernels, and
// hasAVX512 whether they also support the AVX-512 ones.
var (
	hasAsm    = cpuid.AVX2FMA
	hasAVX512 = cpuid.AVX512F
)

// Blocking for the AVX2/FMA kernels, tuned on AMD Zen 3 (32 KiB L1d,
// 512 KiB L2 per core): a kc×nr B panel (16 KiB) stays in L1 and the mc×kc
// A block in L2.
var (
	avx2F64 = config[float64]{name: "avx2-fma", mr: 6, nr: 8, mc: 96, kc: 256, nc: 4096, kern: kernAVX2F64, kernSet: kernAVX2F64Set}
	avx2F32 = config[float32]{name: "avx2-fma", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, kern: kernAVX2F32, kernSet: kernAVX2F32Set}
)

// Blocking for the AVX-512 kernels, tuned on Intel Sapphire Rapids (48 KiB
// L1d, 2 MiB L2 per core): a kc×nr B panel (32 KiB) stays in L1 and the
// mc×kc A block in L2.
var (
	avx512F64 = config[float64]{name: "avx512", mr: 6, nr: 16, mc: 96, kc: 256, nc: 4096, kern: kernAVX512F64, kernSet: kernAVX512F64Set}
	avx512F32 = config[float32]{name: "avx512", mr: 6, nr: 32, mc: 144, kc: 256, nc: 4096, kern: kernAVX512F32, kernSet: kernAVX512F32Set, kernEdge: kernAVX512F32Edge}
)

// asmF64 and asmF32 are the assembly configurations in use: AVX-512 where
// the processor has it, else AVX2.
var asmF64, asmF32 = pick(hasAVX512, &avx512F64, &avx2F64), pick(hasAVX512, &avx512F32, &avx2F32)

func pick[T any](cond bool, yes, no *T) T {
	if cond {
		return *yes
	}
	return *no
}

// kernAVX512F64 is the 6×16 float64 AVX-512 micro-kernel (see kernFunc).
//
//go:noescape
func kernAVX512F64(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)

// kernAVX512F32 is the 6×32 float32 AVX-512 micro-kernel (see kernFunc).
//
//go:noescape
func kernAVX512F32(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)

// kernAVX512F64Set is kernAVX512F64 setting the C tile rather than adding
// to it (see config.kernSet).
//
//go:noescape
func kernAVX512F64Set(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)

// kernAVX512F32Set is kernAVX512F32 setting the C tile rather than adding
// to it.
//
//go:noescape
func kernAVX512F32Set(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)

// kernAVX512F32Edge computes a partial tile of the 6×32 float32 AVX-512
// kernel straight into C: the h ≤ 6 top rows and the columns whose bits
// are set in mask (the low w bits for a tile w wide) of the tile at c,
// added to or, if set is 1, set. A tile at most 16 wide runs on the left
// half of the B panel only.
//
//go:noescape
func kernAVX512F32Edge(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, mask, h, set int)

// kernAVX2F64 is the 6×8 float64 AVX2/FMA micro-kernel (see kernFunc).
//
//go:noescape
func kernAVX2F64(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)

// kernAVX2F32 is the 6×16 float32 AVX2/FMA micro-kernel (see kernFunc).
//
//go:noescape
func kernAVX2F32(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)

// kernAVX2F64Set is kernAVX2F64 setting the C tile rather than adding to
// it (see config.kernSet).
//
//go:noescape
func kernAVX2F64Set(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)

// kernAVX2F32Set is kernAVX2F32 setting the C tile rather than adding to
// it.
//
//go:noescape
func kernAVX2F32Set(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)

// axpy4F64 adds x[0]·b[j] + x[1]·b[ldb+j] + x[2]·b[2·ldb+j] + x[3]·b[3·ldb+j]
// to c[j] for j < n, a multiple of 8.
//
//go:noescape
func axpy4F64(n int, c, b *float64, ldb int, x *[4]float64)

// axpy4F32 is axpy4F64 for float32; n is a multiple of 16.
//
//go:noescape
func axpy4F32(n int, c, b *float32, ldb int, x *[4]float32)

// dot4F64 sets out[t] to the dot product of v[0:k] with u[t·ut : t·ut+k]
// for t < 4; k is a multiple of 8.
//
//go:noescape
func dot4F64(k int, u *float64, ut int, v *float64, out *[4]float64)

// dot4F32 is dot4F64 for float32; k is a multiple of 16.
//
//go:noescape
func dot4F32(k int, u *float32, ut int, v *float32, out *[4]float32)

// axpy1F64 adds x·b[j] to c[j] for j < n, a multiple of 8.
//
//go:noescape
func axpy1F64(n int, c, b *float64, x float64)

// axpy1F32 is axpy1F64 for float32; n is a multiple of 16.
//
//go:noescape
func axpy1F32(n int, c, b *float32, x float32)

// scal1F64 sets c[j] to x·b[j] for j < n, a multiple of 8, not reading c.
//
//go:noescape
func scal1F64(n int, c, b *float64, x float64)

// scal1F32 is scal1F64 for float32; n is a multiple of 16.
//
//go:noescape
func scal1F32(n int, c, b *float32, x float32)

// transpose8F32 sets dst[q·ldd+r] = src[r·lds+q] for r < 8 and q < kb, a
// multiple of 8: eight rows of src transposed into kb rows of dst.
//
//go:noescape
func transpose8F32(kb int, src *float32, lds int, dst *float32, ldd int)

// copyRows128 copies 128 bytes from src + r·lds to dst + r·128 for
// r < rows, prefetching the source rows ahead.
//
//go:noescape
func copyRows128(rows int, src unsafe.Pointer, lds uintptr, dst unsafe.Pointer)
