package tensor

import "github.com/chainrule/chainrule/internal/kernel"

// parallel calls f on contiguous pieces [lo, hi) covering [0, n), on every
// core when n is large (kernel.Parallel, through internal/workers' helper
// goroutines), otherwise f(0, n) on the calling goroutine.
func parallel(n int, f func(lo, hi int)) { kernel.Parallel(n, f) }

// parallelCostly is parallel for kernels that spend several nanoseconds an
// element (exp, tanh, Map's function calls): splitting pays sooner.
func parallelCostly(n int, f func(lo, hi int)) { kernel.ParallelCostly(n, f) }
