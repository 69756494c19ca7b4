//go:build amd64 && !purego

package kernel

// adamSteps32 is AdamStep32's SSE2 loop (optim_amd64.s) over the first n
// elements, n a multiple of 4: the same operations in the same order as
// adamLoop32, four lanes at a time. The caller checks the lengths.
//
//go:noescape
func adamSteps32(p, grad, m, v *float32, n int, c *AdamConsts)

// simdAdam32 runs the SSE2 loop over the leading multiple of four
// elements and returns how many that is.
func simdAdam32(p, g, m, v []float32, c *AdamConsts) int {
	n := len(p) &^ 3
	if n == 0 {
		return 0
	}
	adamSteps32(&p[0], &g[0], &m[0], &v[0], n, c)
	return n
}

// momentumSteps32 is MomentumStep32's SSE2 loop (optim_amd64.s) over the
// first n elements, n a multiple of 4. The caller checks the lengths.
//
//go:noescape
func momentumSteps32(p, grad, buf *float32, n int, momentum, damp1, negLR float32)

// simdMomentum32 runs the SSE2 loop over the leading multiple of four
// elements and returns how many that is.
func simdMomentum32(p, g, buf []float32, momentum, damp1, negLR float32) int {
	n := len(p) &^ 3
	if n == 0 {
		return 0
	}
	momentumSteps32(&p[0], &g[0], &buf[0], n, momentum, damp1, negLR)
	return n
}
