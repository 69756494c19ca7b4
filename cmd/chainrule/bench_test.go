package main

import (
	"fmt"
	"io"
	"math"
	"strings"
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

// TestLargeExpression checks the 10,000-term expression's numbers and that
// parsing and differentiating it stays far below 100 ms (the bound here is
// loose, for slow shared machines; the benchmark measures).
func TestLargeExpression(t *testing.T) {
	src, val, grad := bigExpr(10000)
	start := time.Now()
	m := okJSON(t, "grad", src, "--at", "x=0.5,y=2")
	elapsed := time.Since(start)
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{val})
	checkNums(t, "gradient", nums(t, m["gradient"]), grad[:])
	if elapsed > time.Second {
		t.Errorf("grad of 10,000 terms took %v", elapsed)
	}
	t.Logf("grad of 10,000 terms: %v", elapsed)
	m = okJSON(t, "grad", src, "--at", "x=0.5,y=2", "--mode", "forward")
	checkNums(t, "forward gradient", nums(t, m["gradient"]), grad[:])
}
