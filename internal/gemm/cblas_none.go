//go:build !(cblas && cgo)

package gemm

// Without the cblas tag (or without cgo) the system BLAS is not linked in
// and F64 and F32 always use the package's own kernels.

// haveCBLAS reports that the system BLAS is not linked in.
const haveCBLAS = false

// cblasF64 and cblasF32 are never called since haveCBLAS is false.

func cblasF64(p *problem[float64]) bool { return false }
func cblasF32(p *problem[float32]) bool { return false }
