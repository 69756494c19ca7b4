// Package workers is chainrule's worker pool: long-lived helper goroutines,
// one fewer than GOMAXPROCS, that join parallel work offered to them. Both
// the GEMM (internal/gemm) and the tensor kernels split their work through
// it.
//
// After finishing a job, a helper spins for a while, yielding the processor
// to other goroutines as it goes, before it blocks: a thread that the Go
// runtime parks can take over 100µs to wake on a virtual machine, longer
// than a whole medium-sized kernel, so back-to-back kernels (a training
// loop) would otherwise run on one core. For the same reason For does not
// start goroutines: starting one wakes a parked thread. Every fourth turn
// of the spin also yields the thread to the operating system
// (sched_yield on Linux): on an idle core that returns at once, but when
// the machine has more runnable threads than cores, the spinning helper
// then gives its core to them instead of taking it from the goroutine
// whose work it waits for (LeNet's training step, W8, on 2 cores at load
// ≈ 4: median 7.7 → 5.0 ms over 8 interleaved runs, a noisy measurement).
package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Job is work that helpers can join: Help runs on a helper goroutine, any
// number of times, possibly after the work is over (it must then return at
// once).
type Job interface{ Help() }

var (
	spinWait = 500 * time.Microsecond

	// spinWaitMax bounds the spinning of waitUntil.
	spinWaitMax = 50 * time.Microsecond

	jobs       = make(chan Job, 64)
	helpersMu  sync.Mutex
	helpersNum atomic.Int32
)

// Offer starts helpers as needed (one fewer than GOMAXPROCS) and offers
// them the job n times; offers that do not fit the queue (many concurrent
// jobs) are dropped, and the caller computes what no helper takes.
func Offer(j Job, n int) {
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
		j.Help()
		// spin for the next job before blocking
		deadline := time.Now().Add(spinWait)
	spin:
		for i := 0; ; i++ {
			select {
			case j = <-jobs:
				j.Help()
				deadline = time.Now().Add(spinWait)
				continue
			default:
			}
			if i%64 == 63 && time.Now().After(deadline) {
				break spin
			}
			if i%4 == 3 {
				osYield()
			} else {
				runtime.Gosched()
			}
		}
	}
}

// WaitUntil returns once cond holds. It spins first, yielding the processor
// to other goroutines, as the wait is normally for another goroutine to
// finish a short piece of work, and blocking would cost the wake-up of a
// parked thread (over 100µs on some virtual machines). After spinWaitMax it
// sleeps between polls instead, which frees the CPU for that goroutine's
// thread when the machine has more runnable threads than cores.
func WaitUntil(cond func() bool) {
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

// forJob is a parallel loop: pieces claimed one at a time from next.
type forJob struct {
	next, done atomic.Int64
	pieces     int64
	n          int
	f          func(lo, hi int)
}

// Help claims and runs pieces until none are left.
func (j *forJob) Help() {
	for {
		t := j.next.Add(1) - 1
		if t >= j.pieces {
			return
		}
		lo := int(t) * j.n / int(j.pieces)
		hi := int(t+1) * j.n / int(j.pieces)
		j.f(lo, hi)
		j.done.Add(1)
	}
}

// For calls f on contiguous pieces [lo, hi) covering [0, n), at most
// pieces of them, shared between the calling goroutine and the helpers,
// and returns when all are done. Each piece holds at least minPiece
// elements; with fewer than two pieces' worth, or one processor, it calls
// f(0, n) directly.
func For(n, minPiece int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < 2*minPiece || p == 1 {
		f(0, n)
		return
	}
	pieces := min(n/minPiece, 4*p) // a few per core, to balance
	j := &forJob{pieces: int64(pieces), n: n, f: f}
	Offer(j, p-1)
	j.Help()
	WaitUntil(func() bool { return j.done.Load() == j.pieces })
}
