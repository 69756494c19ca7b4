//go:build cblas && cgo

// Package cblas is the cgo binding to the system BLAS (OpenBLAS) that
// package gemm uses when it is built with the cblas tag. It is a package of
// its own because a package that uses cgo cannot hold Go assembly, which
// gemm does. It is excluded from builds without the cblas tag, which stay
// pure Go.
//
// On Debian and Ubuntu the library and cblas.h come with
//
//	apt-get install -y libopenblas-dev
//
// OpenBLAS runs its own threads; OPENBLAS_NUM_THREADS limits them.
package cblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// Dgemm computes C = alpha·op(A)·op(B) + beta·C with cblas_dgemm for
// row-major float64 matrices, with the layout of gemm.F64. It checks
// nothing but that the dimensions and strides fit BLAS's integer type: it
// reports false, without computing anything, when one does not. The caller
// must have validated the arguments as gemm.F64 does and handled empty
// products: m, n and k must be at least 1 and each slice long enough for
// its matrix.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) bool {
	if !fit(m, n, k, lda, ldb, ldc) {
		return false
	}
	// The slices hold no Go pointers, so the cgo pointer rules allow
	// passing their first elements; the call keeps them alive.
	C.cblas_dgemm(C.CblasRowMajor, trans(transA), trans(transB),
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.double(alpha), (*C.double)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.double)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.blasint(ldc))
	return true
}

// Sgemm is [Dgemm] for float32 matrices, with cblas_sgemm.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if !fit(m, n, k, lda, ldb, ldc) {
		return false
	}
	C.cblas_sgemm(C.CblasRowMajor, trans(transA), trans(transB),
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda),
		(*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
	return true
}

// fit reports whether every value is representable as a blasint (32 bits
// unless OpenBLAS was built with 64-bit integers).
func fit(vs ...int) bool {
	for _, v := range vs {
		if int(C.blasint(v)) != v {
			return false
		}
	}
	return true
}

// trans converts a trans flag to a CBLAS_TRANSPOSE.
func trans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}
