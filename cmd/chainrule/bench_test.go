package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bigExpr returns a sum of n terms such as sin(x*1.5)*y, and its value and
// gradient at x=0.5, y=2 computed directly.
func bigExpr(n int) (src string, val float64, grad [2]float64) {
	fs := []struct {
		name string
		f, d func(float64) float64
	}{
		{"sin", math.Sin, math.Cos},
		{"cos", math.Cos, func(x float64) float64 { return -math.Sin(x) }},
		{"exp", math.Exp, math.Exp},
		{"tanh", math.Tanh, func(x float64) float64 { t := math.Tanh(x); return 1 - t*t }},
	}
	x, y := 0.5, 2.0
	terms := make([]string, n)
	for i := range terms {
		f := fs[i%len(fs)]
		c := 1 + float64(i%7)/4
		terms[i] = fmt.Sprintf("%s(x*%g)*y", f.name, c)
		val += f.f(x*c) * y
		grad[0] += f.d(x*c) * c * y
		grad[1] += f.f(x * c)
	}
	return strings.Join(terms, " + "), val, grad
}

// BenchmarkGrad10000 parses and differentiates (reverse mode) a
// 10,000-term expression through the CLI's code path.
func BenchmarkGrad10000(b *testing.B) {
	src, _, _ := bigExpr(10000)
	args := []string{"grad", src, "--at", "x=0.5,y=2", "--json"}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if run(args, io.Discard, io.Discard) != 0 {
			b.Fatal("failed")
		}
	}
}

// BenchmarkGrad10000Forward is the same by forward mode.
func BenchmarkGrad10000Forward(b *testing.B) {
	src, _, _ := bigExpr(10000)
	args := []string{"grad", src, "--at", "x=0.5,y=2", "--json", "--mode", "forward"}
	for b.Loop() {
		if run(args, io.Discard, io.Discard) != 0 {
			b.Fatal("failed")
		}
	}
}

// BenchmarkGradSmall is one small grad command: the work a process does
// beyond starting up.
func BenchmarkGradSmall(b *testing.B) {
	args := []string{"grad", "x*y + sin(x)", "--at", "x=2,y=3", "--json"}
	for b.Loop() {
		if run(args, io.Discard, io.Discard) != 0 {
			b.Fatal("failed")
		}
	}
}

// TestLargeExpression checks the 10,000-term expression's numbers in both
// modes against the closed form (its speed is BenchmarkGrad10000's to
// measure: a timed unit test fails on a loaded machine).
func TestLargeExpression(t *testing.T) {
	src, val, grad := bigExpr(10000)
	m := okJSON(t, "grad", src, "--at", "x=0.5,y=2")
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{val})
	checkNums(t, "gradient", nums(t, m["gradient"]), grad[:])
	m = okJSON(t, "grad", src, "--at", "x=0.5,y=2", "--mode", "forward")
	checkNums(t, "forward gradient", nums(t, m["gradient"]), grad[:])
}

// chainExpr returns the sum over i of x_i*x_{i+1} + sin(x_i) for n
// variables, its --at list (x_i = i/1000), and its Hessian by hand: -sin(x_i)
// on the diagonal, 1 beside it.
func chainExpr(n int) (src, at string, hess func(i, k int) float64) {
	terms := make([]string, 0, n)
	ats := make([]string, n)
	for i := range n {
		ats[i] = fmt.Sprintf("x%d=%g", i, float64(i)/1000)
		if i+1 < n {
			terms = append(terms, fmt.Sprintf("x%d*x%d + sin(x%d)", i, i+1, i))
		}
	}
	return strings.Join(terms, " + "), strings.Join(ats, ","), func(i, k int) float64 {
		switch {
		case i == k && i+1 < n:
			return -math.Sin(float64(i) / 1000)
		case i-k == 1 || k-i == 1:
			return 1
		}
		return 0
	}
}

// peakHeap runs f and returns the most heap in use while it ran (sampled
// every 200µs, with the collector made eager so that garbage does not
// count), in bytes above what was in use before.
func peakHeap(f func()) uint64 {
	old := debug.SetGCPercent(5)
	defer debug.SetGCPercent(old)
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	var stop atomic.Bool
	stopped := make(chan struct{}, 1) // (the tests' close shadows the builtin)
	go func() {
		for !stop.Load() {
			if h := read(); h > peak.Load() {
				peak.Store(h)
			}
			time.Sleep(200 * time.Microsecond)
		}
		stopped <- struct{}{}
	}()
	f()
	stop.Store(true)
	<-stopped
	if h := read(); h > peak.Load() {
		peak.Store(h)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// hessianOf compiles chainExpr(n) and returns the program.
func hessianOf(tb testing.TB, n int) (*program, func(i, k int) float64) {
	src, at, hess := chainExpr(n)
	bind, err := parseAt(at, nil)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := compile("hessian", src, false, bind)
	if err != nil {
		tb.Fatal(err)
	}
	return p, hess
}

// BenchmarkHessian computes Hessians at two sizes and reports the peak
// heap per entry of the n×n result: about 8 bytes (the matrix) plus one
// gradient's graph. "chain" is chainExpr, whose graph grows with n (so the
// graph's share per entry stays roughly constant); "small" is
// x0*x1 + sin(x2) over n variables, whose graph does not, so that the
// peak per entry approaches the matrix's 8 bytes.
func BenchmarkHessian(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
	}{{"chain", 100}, {"chain", 400}, {"small", 400}, {"small", 1000}} {
		b.Run(fmt.Sprintf("%s/%d", c.name, c.n), func(b *testing.B) {
			p, _ := hessianOf(b, c.n)
			if c.name == "small" {
				var err error
				if p, err = compile("hessian", "x0*x1 + sin(x2)", false, p.bindings()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				peak = max(peak, peakHeap(func() {
					if _, _, _, err := p.hessian(); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/float64(c.n*c.n), "peak-B/entry")
		})
	}
}

// bindings returns p's point as --at bindings.
func (p *program) bindings() []binding {
	bs := make([]binding, len(p.vars))
	for i := range bs {
		bs[i] = binding{p.vars[i], p.at[i]}
	}
	return bs
}

// TestHessianMemory checks the Hessian's values against the closed form
// and its peak heap: at 300 variables it was about 440 MB (a tangent of
// all 300 directions on every node of a graph over sliced inputs); built a
// column at a time it is the 720 KB matrix plus one gradient's graph.
func TestHessianMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 300
	p, want := hessianOf(t, n)
	var h [][]float64
	peak := peakHeap(func() {
		var err error
		if _, _, h, err = p.hessian(); err != nil {
			t.Fatal(err)
		}
	})
	for i := range n {
		for k := range n {
			if !close(h[i][k], want(i, k)) {
				t.Fatalf("H[%d][%d] = %v, want %v", i, k, h[i][k], want(i, k))
			}
		}
	}
	t.Logf("peak heap %.1f MB, %.0f bytes per entry", float64(peak)/1e6, float64(peak)/(n*n))
	if peak > 30<<20 {
		t.Errorf("peak heap %.1f MB for a %d×%d Hessian", float64(peak)/1e6, n, n)
	}
}
