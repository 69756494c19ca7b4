//go:build amd64 && !purego

package kernel

// SSE2 loops of the 2×2 max pooling kernels (pool_amd64.s) for float32,
// over the first ow4 (a multiple of 4) windows of every row pair: four
// windows a step, the rows' even and odd columns separated by shuffles,
// the maximum kept by compare-and-select with the scalar loop's rule.
// The caller checks that every slice behind a pointer is long enough.

//go:noescape
func maxPool2x2Rows32(out, x *float32, rows, ow4, ow, w int)

//go:noescape
func scatterPool2x2Rows32(dx, x, u *float32, rows, ow4, ow, w int)

// simdMaxPool2x2 runs the loop over the leading windows of each row that
// it covers and returns how many that is (0 for float64).
func simdMaxPool2x2[T Float](out, x []T, rows, ow, w int) int {
	ow4 := ow &^ 3
	o, xs := as32(out), as32(x)
	if ow4 == 0 || o == nil {
		return 0
	}
	maxPool2x2Rows32(&o[0], &xs[0], rows, ow4, ow, w)
	return ow4
}

// simdScatterPool2x2 is simdMaxPool2x2 for ScatterPool2x2.
func simdScatterPool2x2[T Float](dx, x, u []T, rows, ow, w int) int {
	ow4 := ow &^ 3
	d, xs, us := as32(dx), as32(x), as32(u)
	if ow4 == 0 || d == nil {
		return 0
	}
	scatterPool2x2Rows32(&d[0], &xs[0], &us[0], rows, ow4, ow, w)
	return ow4
}
