// Package kernel holds the slice-level kernels and shape checks that
// package tensor's operations are built from and that package ad's fused
// programs call directly: helpers that chainrule's own packages share but
// that users of tensor do not need. Nothing here panics with chainrule's
// errors (package tensor owns them, and this package sits below it): the
// checks return ok, and their callers panic with the sentinel and the name
// of the operation the user called.
package kernel

import "github.com/chainrule/chainrule/internal/workers"

// Float is the set of element types the kernels are instantiated for.
type Float interface{ ~float32 | ~float64 }

// grain is the smallest piece of a kernel worth handing to another core.
const grain = 1 << 14

// costlyGrain is grain for kernels that spend several nanoseconds an
// element (exp, tanh, a function call per element): splitting pays sooner.
const costlyGrain = 1 << 11

// Parallel calls f on contiguous pieces [lo, hi) covering [0, n), shared
// with internal/workers' helper goroutines when n is at least 2·2¹⁴,
// otherwise f(0, n) on the calling goroutine. The helpers are already
// running (they spin between kernels), so splitting costs a few
// microseconds, not the wake-up of a parked thread that starting a
// goroutine can cost.
func Parallel(n int, f func(lo, hi int)) { workers.For(n, grain, f) }

// ParallelCostly is Parallel for kernels that spend several nanoseconds an
// element, like exp or tanh: it splits from 2·2¹¹ elements.
func ParallelCostly(n int, f func(lo, hi int)) { workers.For(n, costlyGrain, f) }

// Neg writes −src into dst (at least src's length) and returns
// dst[:len(src)].
func Neg[T Float](dst, src []T) []T {
	dst = dst[:len(src)]
	d, s := dst, src
	if d64 := as64(d); d64 != nil {
		k := neg64(d64, as64(s))
		d, s = d[k:], s[k:]
	}
	for i, x := range s {
		d[i] = -x
	}
	return dst
}

// Square writes src² into dst (at least src's length) and returns
// dst[:len(src)].
func Square[T Float](dst, src []T) []T {
	dst = dst[:len(src)]
	d, s := dst, src
	if d64 := as64(d); d64 != nil {
		k := square64(d64, as64(s))
		d, s = d[k:], s[k:]
	}
	for i, x := range s {
		d[i] = x * x
	}
	return dst
}

// IsPerm reports whether perm is a permutation of 0, …, rank−1.
func IsPerm(perm []int, rank int) bool {
	if len(perm) != rank {
		return false
	}
	seen := make([]bool, rank)
	for _, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

// IndexShape returns, as a new slice, the shape of a gather along axis
// (numpy.take_along_axis, torch.gather) from a valid shape with nidx
// indices: nidx holds k entries per lane along axis (a lane is one position
// in every other dimension), and the result is shape with axis replaced by
// k. axis must be in range. When shape has no lanes (another dimension is
// 0), k is 0. ok is false if nidx is not a multiple of the number of lanes
// (or there are none and nidx is not 0).
func IndexShape(shape []int, axis, nidx int) (s []int, ok bool) {
	lanes := 1
	for i, d := range shape {
		if i != axis {
			lanes *= d
		}
	}
	s = append([]int(nil), shape...)
	switch {
	case lanes == 0 && nidx == 0:
		s[axis] = 0
	case lanes == 0 || nidx%lanes != 0:
		return nil, false
	default:
		s[axis] = nidx / lanes
	}
	return s, true
}
