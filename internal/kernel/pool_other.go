//go:build !amd64 || purego

package kernel

// Without the assembly loops the pooling kernels run their Go loops: these
// report that they covered no columns.

func simdMaxPool2x2[T Float]([]T, []T, int, int, int) int          { return 0 }
func simdScatterPool2x2[T Float]([]T, []T, []T, int, int, int) int { return 0 }
