package tensor

import "github.com/chainrule/chainrule/internal/workers"

// grain is the smallest piece of a kernel worth handing to another core.
const grain = 1 << 14

// parallel calls f on contiguous pieces [lo, hi) covering [0, n), shared
// with internal/workers' helper goroutines when n is large, otherwise f(0, n)
// on the calling goroutine. The helpers are already running (they spin
// between kernels), so splitting costs a few microseconds, not the wake-up
// of a parked thread that starting a goroutine can cost.
func parallel(n int, f func(lo, hi int)) { workers.For(n, grain, f) }

// costlyGrain is grain for kernels that spend several nanoseconds an
// element (exp, tanh, Map's function calls): splitting pays sooner.
const costlyGrain = 1 << 11

// parallelCostly is parallel for such kernels.
func parallelCostly(n int, f func(lo, hi int)) { workers.For(n, costlyGrain, f) }

// Parallel calls f on contiguous pieces [lo, hi) covering [0, n), shared
// between the calling goroutine and the other cores when n is at least
// 2¹⁵, otherwise f(0, n) on the calling goroutine.
// It is how tensor's kernels use every core, for callers with kernels of
// their own (ad's fused programs).
func Parallel(n int, f func(lo, hi int)) { parallel(n, f) }

// ParallelCostly is Parallel for kernels that spend several nanoseconds an
// element, like exp or tanh: it splits from 2¹² elements.
func ParallelCostly(n int, f func(lo, hi int)) { parallelCostly(n, f) }
