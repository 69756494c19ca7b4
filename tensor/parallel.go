package tensor

import (
	"runtime"
	"sync"
)

// grain is the number of elements below which a kernel runs on one core:
// below it, starting goroutines costs more than it saves.
const grain = 1 << 16

// parallel calls f on contiguous pieces [lo, hi) covering [0, n), one per
// core when n is large, otherwise f(0, n) on the calling goroutine.
func parallel(n int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < 2*grain || p == 1 {
		f(0, n)
		return
	}
	p = min(p, n/grain)
	var wg sync.WaitGroup
	step := (n + p - 1) / p
	for lo := step; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+step, n))
	}
	f(0, min(step, n))
	wg.Wait()
}

// Parallel calls f on contiguous pieces [lo, hi) covering [0, n): one per
// core when n is at least 2¹⁷, otherwise f(0, n) on the calling goroutine.
// It is how tensor's kernels use every core, for callers with kernels of
// their own (ad's fused programs).
func Parallel(n int, f func(lo, hi int)) { parallel(n, f) }
