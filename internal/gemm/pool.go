package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel products are shared with long-lived helper goroutines, started
// on first use (one fewer than GOMAXPROCS, and more if GOMAXPROCS grows).
// After finishing a job, a helper spins for spinWait, yielding the
// processor to other goroutines as it goes, before it blocks: a thread
// that the Go runtime parks can take over 100µs to wake on a virtual
// machine, longer than a whole medium-sized product, so back-to-back
// products (a training loop) would otherwise run on one core.

// helperJob is a job that helpers can join.
type helperJob interface{ help() }

const closed = 1 << 62 // job.state flag: no more helpers may join

var (
	spinWait = 500 * time.Microsecond

	// spinWaitMax bounds the spinning of waitUntil.
	spinWaitMax = 50 * time.Microsecond

	jobs       = make(chan helperJob, 64)
	helpersMu  sync.Mutex
	helpersNum atomic.Int32
)

// offer starts helpers as needed and offers them the job n times; offers
// that do not fit the queue (many concurrent products) are dropped, and
// the caller computes what no helper takes.
func offer(j helperJob, n int) {
	if want := int32(runtime.GOMAXPROCS(0) - 1); helpersNum.Load() < want {
		helpersMu.Lock()
		for helpersNum.Load() < want {
			helpersNum.Add(1)
			go helper()
		}
		helpersMu.Unlock()
	}
	for range n {
		select {
		case jobs <- j:
		default:
			return
		}
	}
}

// helper runs offered jobs forever.
func helper() {
	for {
		j := <-jobs
		j.help()
		// spin for the next job before blocking
		deadline := time.Now().Add(spinWait)
	spin:
		for i := 0; ; i++ {
			select {
			case j = <-jobs:
				j.help()
				deadline = time.Now().Add(spinWait)
				continue
			default:
			}
			if i%64 == 63 && time.Now().After(deadline) {
				break spin
			}
			runtime.Gosched()
		}
	}
}

// waitUntil returns once cond holds. It spins first, yielding the processor
// to other goroutines, as the wait is normally for another goroutine to
// finish a short piece of work, and blocking would cost the wake-up of a
// parked thread (over 100µs on some virtual machines). After spinWaitMax it
// sleeps between polls instead, which frees the CPU for that goroutine's
// thread when the machine has more runnable threads than cores.
func waitUntil(cond func() bool) {
	var start time.Time
	for i := 0; !cond(); i++ {
		switch {
		case i < 32:
			runtime.Gosched()
		case i == 32:
			start = time.Now()
		case i%32 == 0 && time.Since(start) > spinWaitMax:
			time.Sleep(20 * time.Microsecond)
		default:
			runtime.Gosched()
		}
	}
}
