//go:build cblas && cgo

package gemm

// The system-BLAS backend, built only with the cblas tag (and cgo): F64 and
// F32 hand their products to cblas_dgemm and cblas_sgemm through package
// internal/gemm/cblas (gemm itself cannot use cgo, as it holds Go assembly).

import "github.com/chainrule/chainrule/internal/gemm/cblas"

// haveCBLAS reports that the system BLAS is linked in.
const haveCBLAS = true

// cblasF64 computes p with cblas_dgemm and reports true, or, when a
// dimension or stride does not fit BLAS's integer type, reports false and
// leaves p to the package's own kernels.
func cblasF64(p *problem[float64]) bool {
	if cblasTrivial(p) {
		return true
	}
	return cblas.Dgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
}

// cblasF32 is cblasF64 for float32, with cblas_sgemm.
func cblasF32(p *problem[float32]) bool {
	if cblasTrivial(p) {
		return true
	}
	return cblas.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
}

// cblasTrivial validates p, panicking as [F64] documents, and computes the
// products that need no multiplication exactly as run does, reporting
// true for them: an empty C is left alone, and when k or alpha is zero, C
// is scaled by beta (cleared without being read when beta is zero) and A
// and B are not read. When it reports false, m, n and k are at least 1 and
// every slice holds its non-empty matrix, as the cblas package requires.
func cblasTrivial[T float](p *problem[T]) bool {
	p.check()
	if p.m == 0 || p.n == 0 {
		return true
	}
	if p.k == 0 || p.alpha == 0 {
		scaleC(p, 0, p.m, 0, p.n)
		return true
	}
	return false
}
