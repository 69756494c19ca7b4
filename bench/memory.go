package main

// Memory measurements: the heap a recording holds (W6) and the soak test of
// many training steps (W7).

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/chainrule/chainrule/tensor"
)

// heldBy returns the live heap that forward keeps, like BenchmarkCheckpoint
// in ad/bench_test.go: HeapAlloc after a GC once forward has run, less
// HeapAlloc after a GC before it. forward returns the rest of the work (the
// reverse sweep), which keeps its recording alive until it is called.
func heldBy(forward func() (rest func())) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	rest := forward()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	rest()
	runtime.KeepAlive(rest)
	if m1.HeapAlloc < m0.HeapAlloc {
		return 0
	}
	return m1.HeapAlloc - m0.HeapAlloc
}

// rssBytes returns this process's resident set size from /proc/self/status
// (VmRSS), or NaN where that file does not exist.
func rssBytes() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return math.NaN()
			}
			return kb * 1024
		}
	}
	return math.NaN()
}

// liveHeap returns HeapAlloc after a full GC: the bytes still reachable.
func liveHeap() float64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}

// memSample is one point of the soak test's memory trace.
type memSample struct {
	Step int     `json:"step"`
	RSS  float64 `json:"rss_bytes"`
	Heap float64 `json:"heap_bytes"`
}

// soak runs steps consecutive W3 float32 training steps in chainrule and
// returns one row: time per step and the memory trace. Memory is judged
// flat when, from the end of the first tenth of the steps (the warm-up, in
// which the Go heap reaches its working size) to the end, RSS grows by at
// most 16 MiB or 10% and the live heap by at most 1 MiB.
func soak(quick bool, steps int) []*Row {
	s := newMLPSetup(quick, tensor.Float32)
	step, _ := s.chainruleStep()
	sample := func(i int) memSample { return memSample{Step: i, Heap: liveHeap(), RSS: rssBytes()} }
	trace := []memSample{sample(0)}
	warm := max(steps/10, 1)
	every := max(steps/20, 1)
	var elapsed time.Duration
	var loss float64
	for i := 1; i <= steps; i++ {
		t0 := time.Now()
		loss = step()
		elapsed += time.Since(t0)
		if i%every == 0 || i == warm || i == steps {
			trace = append(trace, sample(i))
		}
	}
	start, end := trace[0], trace[len(trace)-1]
	var atWarm memSample
	for _, m := range trace {
		if m.Step == warm {
			atWarm = m
		}
	}
	peak := 0.0
	for _, m := range trace {
		peak = math.Max(peak, m.RSS)
	}
	flat := end.RSS-atWarm.RSS <= math.Max(16<<20, 0.1*atWarm.RSS) && end.Heap-atWarm.Heap <= 1<<20
	ns := float64(elapsed.Nanoseconds()) / float64(steps)
	r := &Row{Case: "W7", Workload: "W7", Impl: "chainrule", Status: statusOK,
		Iters: steps, Rounds: []float64{ns}, summary: summary{Median: ns, Min: ns, Max: ns},
		Trace: trace}
	if !flat {
		r.Status = "GROWING"
		r.Reason = "memory grew after warm-up"
	}
	r.metric("rss_start_bytes", start.RSS, "")
	r.metric("rss_warm_bytes", atWarm.RSS, "")
	r.metric("rss_end_bytes", end.RSS, "")
	r.metric("rss_peak_bytes", peak, "")
	r.metric("heap_start_bytes", start.Heap, "")
	r.metric("heap_warm_bytes", atWarm.Heap, "")
	r.metric("heap_end_bytes", end.Heap, "")
	r.metric("final_loss", loss, "")
	verdict := "flat"
	if !flat {
		verdict = "GROWING"
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("RSS %s → %s (step %d) → %s, peak %s", mib(start.RSS), mib(atWarm.RSS), warm, mib(end.RSS), mib(peak)),
		fmt.Sprintf("heap %s → %s → %s: %s", mib(start.Heap), mib(atWarm.Heap), mib(end.Heap), verdict))
	return []*Row{r}
}

// mib formats bytes in MiB with one decimal.
func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
