package ad_test

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// scalarInputs returns n scalar Values drawn uniformly from [lo, hi).
func scalarInputs(seed uint64, n int, lo, hi float64) []ad.Value {
	x := tensor.Rand(seed, lo, hi, n)
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	return xs
}

// Scalar functions written with Go loops, whose recorded programs repeat.
var (
	// rnn: a running state through a generic unary kernel (tanh): the
	// recurrence runs through three instructions a step, a cycle of packs
	// that must not be rerolled.
	rnn = func(xs []ad.Value) ad.Value {
		h, w := ad.Scalar(0.3), ad.Scalar(0.8)
		for _, x := range xs {
			h = ad.Tanh(ad.Add(ad.Mul(w, h), x))
		}
		return ad.Mul(h, h)
	}
	// pairs: reads at stride 2, both orders of operands with a constant,
	// division and generic binary kernels.
	pairs = func(xs []ad.Value) ad.Value {
		s := ad.Scalar(0)
		for i := 0; i+1 < len(xs); i += 2 {
			a, b := xs[i], xs[i+1]
			t := ad.Div(ad.Sub(ad.Scalar(2), a), ad.Add(ad.Square(b), ad.Scalar(1)))
			u := ad.Hypot(ad.Add(ad.Mul(a, a), ad.Scalar(0.5)), ad.Sub(b, ad.Scalar(0.25)))
			s = ad.Add(s, ad.Add(ad.Atan2(t, u), ad.Sub(ad.Exp(b), ad.Scalar(3))))
		}
		return s
	}
	// reversed: every term reads the inputs from both ends.
	reversed = func(xs []ad.Value) ad.Value {
		s := ad.Scalar(1)
		n := len(xs)
		for i := 0; i < n/2; i++ {
			s = ad.Add(s, ad.Mul(ad.Sin(xs[i]), ad.Sub(xs[n-1-i], ad.Neg(xs[i]))))
		}
		return s
	}
	// horner: s ← s·x + 1 alternates two instructions that read each other
	// both ways (the multiply reads the previous add, the add this
	// multiply), so its packs form a cycle and must not be rerolled.
	horner = func(xs []ad.Value) ad.Value {
		s := ad.Scalar(0.5)
		for _, x := range xs {
			s = ad.Add(ad.Mul(s, x), ad.Scalar(1))
		}
		return s
	}
)

// Rerolled programs compute bit for bit what the unrolled instructions
// do, on inputs other than the ones recorded, and rerolling finds the
// loops in each function written with a Go loop.
func TestRerollMatchesUnrolled(t *testing.T) {
	primal := func(f func([]ad.Value) ad.Value) func([]ad.Value) []ad.Value {
		return func(xs []ad.Value) []ad.Value { return []ad.Value{f(xs)} }
	}
	cases := []struct {
		name     string
		f        func([]ad.Value) []ad.Value
		n        int
		minLoops int  // loops rerolling must find
		maxLone  int  // the most instructions it may leave alone
		cyclic   bool // its packs read each other: no loops
	}{
		{"rosenbrock gradient", valueAndGrads(rosenScalar), 50, 17, 60, false},
		{"rnn", primal(rnn), 30, 0, 90, true},
		{"rnn gradient", valueAndGrads(rnn), 30, 0, math.MaxInt, false},
		{"pairs gradient", valueAndGrads(pairs), 48, 30, 100, false},
		{"reversed gradient", valueAndGrads(reversed), 40, 8, 20, false},
		{"horner", primal(horner), 30, 0, 60, true},
		{"horner gradient", valueAndGrads(horner), 30, 0, math.MaxInt, false},
	}
	for _, c := range cases {
		restore := ad.SetRerolling(false, false)
		unrolled := ad.Compile(c.f, scalarInputs(1, c.n, 0.1, 0.9)...)
		restore()
		if l, _ := unrolled.Rerolled(); l != 0 {
			t.Fatalf("%s: %d loops with rerolling off", c.name, l)
		}
		for _, renumber := range []bool{true, false} {
			restore := ad.SetRerolling(true, renumber)
			rolled := ad.Compile(c.f, scalarInputs(1, c.n, 0.1, 0.9)...)
			restore()
			loops, lone := rolled.Rerolled()
			t.Logf("%s (renumbered %v): %d loops, %d single instructions", c.name, renumber, loops, lone)
			if loops < c.minLoops || lone > c.maxLone || c.cyclic && loops != 0 {
				t.Errorf("%s: %d loops and %d single instructions, want ≥ %d and ≤ %d", c.name, loops, lone, c.minLoops, c.maxLone)
			}
			var got []ad.Value
			for seed := uint64(2); seed < 5; seed++ {
				xs := scalarInputs(seed, c.n, 0.1, 0.9)
				got = rolled.AppendRun(got[:0], xs...)
				want := unrolled.Run(xs...)
				if len(got) != len(want) {
					t.Fatalf("%s: %d outputs, want %d", c.name, len(got), len(want))
				}
				for i := range want {
					if g, w := got[i].Item(), want[i].Item(); math.Float64bits(g) != math.Float64bits(w) {
						t.Errorf("%s (renumbered %v), seed %d: output %d is %v rerolled, %v unrolled", c.name, renumber, seed, i, g, w)
					}
				}
			}
		}
	}
}

// The horner recurrence cannot be rerolled: its two packs read each other.
func TestRerollLeavesCycles(t *testing.T) {
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{horner(xs)} }, scalarInputs(1, 40, 0, 1)...)
	if loops, lone := prog.Rerolled(); loops != 0 || lone != 80 {
		t.Errorf("%d loops and %d single instructions, want 0 and 80", loops, lone)
	}
	// and it still computes the recurrence
	xs := scalarInputs(2, 40, 0, 1)
	want := 0.5
	for _, x := range xs {
		want = want*x.Item() + 1
	}
	if got := prog.Run(xs...)[0].Item(); got != want {
		t.Errorf("horner = %v, want %v", got, want)
	}
}

// A rerolled program's replay allocates nothing with AppendRun, and a
// Clone replays independently of the original (each has its own registers
// and loop scratch).
func TestRerollAppendRunAndClone(t *testing.T) {
	prog := ad.Compile(valueAndGrads(rosenScalar), scalarInputs(1, 200, -1, 1)...)
	if loops, _ := prog.Rerolled(); loops == 0 {
		t.Fatal("no loops")
	}
	xs, ys := scalarInputs(2, 200, -1, 1), scalarInputs(3, 200, -1, 1)
	want := prog.Run(xs...)
	out := make([]ad.Value, 0, len(want))
	if a := testing.AllocsPerRun(10, func() { out = prog.AppendRun(out[:0], xs...) }); a != 0 {
		t.Errorf("AppendRun allocated %v times a run", a)
	}
	clone := prog.Clone()
	wantY := prog.Run(ys...)
	done := make(chan []ad.Value)
	go func() {
		var o []ad.Value
		for range 50 {
			o = clone.AppendRun(o[:0], ys...)
		}
		done <- o
	}()
	for range 50 {
		out = prog.AppendRun(out[:0], xs...)
	}
	gotY := <-done
	for i := range want {
		if out[i].Item() != want[i].Item() || gotY[i].Item() != wantY[i].Item() {
			t.Fatalf("output %d: %v and %v concurrently, want %v and %v", i, out[i].Item(), gotY[i].Item(), want[i].Item(), wantY[i].Item())
		}
	}
	// AppendRun appends
	pre := []ad.Value{ad.Scalar(7)}
	if got := prog.AppendRun(pre, xs...); len(got) != 1+len(want) || got[0].Item() != 7 || got[1].Item() != want[0].Item() {
		t.Error("AppendRun did not append to dst")
	}
}
