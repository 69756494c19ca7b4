//go:build !linux

package workers

import "runtime"

// osYield is runtime.Gosched where sched_yield is not called directly.
func osYield() { runtime.Gosched() }
