//go:build !amd64 || purego

package gemm

import "unsafe"

// Without assembly kernels the "asm" configurations are the portable ones;
// they are never selected because hasAsm is false.
const (
	hasAsm    = false
	hasAVX512 = false
)

var (
	asmF64, avx2F64, avx512F64 = goF64, goF64, goF64
	asmF32, avx2F32, avx512F32 = goF32, goF32, goF32
)

// Stubs for the assembly helpers, never called since hasAsm is false.

func axpy4F64(n int, c, b *float64, ldb int, x *[4]float64)              { panic("gemm: no assembly") }
func axpy4F32(n int, c, b *float32, ldb int, x *[4]float32)              { panic("gemm: no assembly") }
func dot4F64(k int, u *float64, ut int, v *float64, out *[4]float64)     { panic("gemm: no assembly") }
func dot4F32(k int, u *float32, ut int, v *float32, out *[4]float32)     { panic("gemm: no assembly") }
func axpy1F64(n int, c, b *float64, x float64)                           { panic("gemm: no assembly") }
func axpy1F32(n int, c, b *float32, x float32)                           { panic("gemm: no assembly") }
func scal1F64(n int, c, b *float64, x float64)                           { panic("gemm: no assembly") }
func scal1F32(n int, c, b *float32, x float32)                           { panic("gemm: no assembly") }
func transpose8F32(kb int, src *float32, lds int, dst *float32, ldd int) { panic("gemm: no assembly") }

func copyRows128(rows int, src unsafe.Pointer, lds uintptr, dst unsafe.Pointer) {
	panic("gemm: no assembly")
}
