package ad_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// scalarInputs returns n scalar Values drawn uniformly from [lo, hi).
func scalarInputs(seed uint64, n int, lo, hi float64) []ad.Value {
	x := tensor.Rand(seeded(seed), lo, hi, n)
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
	// that must stay unrolled (its gradient's other packs loop).
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
		{"rnn gradient", valueAndGrads(rnn), 30, 2, 160, false}, // the state's chain stays unrolled, the rest loops
		{"pairs gradient", valueAndGrads(pairs), 48, 30, 100, false},
		{"reversed gradient", valueAndGrads(reversed), 40, 8, 20, false},
		{"horner", primal(horner), 30, 0, 60, true},
		{"horner gradient", valueAndGrads(horner), 30, 2, 70, false},
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

// Random scalar programs written with a Go loop — each term a random
// block of operations on the term's inputs, constants, earlier values of
// the term and values carried from the previous term — compile to the
// same results, bit for bit, with rerolling on (renumbered or not) and
// off, value and gradient; and their listings define every register
// before reading it.
func TestRerollRandomPrograms(t *testing.T) {
	type op struct {
		kind    int // 0 add, 1 sub, 2 mul, 3 div, 4 neg, 5 sin, 6 tanh, 7 hypot
		a, b    int // operands: < 0 picks input offset −a−1, else an earlier value of the term (or the carry when it is 0)
		constB  bool
		constV  float64
		carries bool // this value becomes the next term's carry
	}
	rng := rand.New(rand.NewPCG(7, 11))
	loops := 0
	for c := 0; c < 150; c++ {
		k := 2 + rng.IntN(7)
		block := make([]op, k)
		for j := range block {
			pick := func() int {
				if rng.IntN(3) == 0 {
					return -1 - rng.IntN(3) // x[i], x[i+1] or x[i+2]
				}
				return rng.IntN(j + 1) // 0: the carry, j': value j'−1 of this term
			}
			block[j] = op{kind: rng.IntN(8), a: pick(), b: pick(), constB: rng.IntN(4) == 0, constV: float64(rng.IntN(5)) - 2}
		}
		block[rng.IntN(k)].carries = true
		terms := 6 + rng.IntN(30)
		f := func(xs []ad.Value) ad.Value {
			carry, sum := ad.Scalar(0.5), ad.Scalar(0)
			for i := 0; i < terms; i++ {
				vals := []ad.Value{carry}
				get := func(r int) ad.Value {
					if r < 0 {
						return xs[i-r-1]
					}
					return vals[r]
				}
				next := carry
				for _, o := range block {
					a, b := get(o.a), get(o.b)
					if o.constB {
						b = ad.Scalar(o.constV)
					}
					var v ad.Value
					switch o.kind {
					case 0:
						v = ad.Add(a, b)
					case 1:
						v = ad.Sub(a, b)
					case 2:
						v = ad.Mul(a, b)
					case 3:
						v = ad.Div(a, ad.Add(ad.Square(b), ad.Scalar(1)))
					case 4:
						v = ad.Neg(a)
					case 5:
						v = ad.Sin(a)
					case 6:
						v = ad.Tanh(a)
					default:
						v = ad.Hypot(a, b)
					}
					vals = append(vals, v)
					if o.carries {
						next = v
					}
				}
				carry = ad.Tanh(next)
				sum = ad.Add(sum, vals[len(vals)-1])
			}
			return ad.Add(sum, carry)
		}
		n := terms + 2
		compile := func(reroll, renumber bool) *ad.Program {
			defer ad.SetRerolling(reroll, renumber)()
			return ad.Compile(valueAndGrads(f), scalarInputs(uint64(c), n, -1, 1)...)
		}
		unrolled, rolled, strided := compile(false, false), compile(true, true), compile(true, false)
		l, _ := rolled.Rerolled()
		loops += l
		for _, p := range []*ad.Program{unrolled, rolled, strided} {
			if err := checkListing(p.String()); err != nil {
				t.Fatalf("case %d: Program.String: %v", c, err)
			}
		}
		if w := rolled.RerollWork(); w > 200*rolled.Len() {
			t.Errorf("case %d: rerolling examined %d instructions for %d", c, w, rolled.Len())
		}
		for seed := uint64(1000); seed < 1002; seed++ {
			xs := scalarInputs(seed+uint64(c), n, -1, 1)
			want := unrolled.Run(xs...)
			for name, p := range map[string]*ad.Program{"renumbered": rolled, "strided": strided} {
				got := p.Run(xs...)
				for i := range want {
					if g, w := got[i].Item(), want[i].Item(); math.Float64bits(g) != math.Float64bits(w) {
						t.Fatalf("case %d (%d terms of %v), %s: output %d is %v rerolled, %v unrolled", c, terms, block, name, i, g, w)
					}
				}
			}
		}
	}
	if loops < 500 {
		t.Errorf("only %d loops over 150 random programs", loops)
	}
	t.Logf("%d loops over 150 random programs", loops)
}

// The rerolled W1 program (n = 500) against the hand-derived gradient of
// the Rosenbrock function, an independent reference.
func TestRerollRosenbrockAgainstHand(t *testing.T) {
	const n = 500
	prog := ad.Compile(valueAndGrads(rosenScalar), scalarInputs(1, n, -1, 1)...)
	if loops, _ := prog.Rerolled(); loops == 0 {
		t.Fatal("nothing rerolled")
	}
	var out []ad.Value
	for seed := uint64(2); seed < 5; seed++ {
		xs := scalarInputs(seed, n, -2, 2)
		x := make([]float64, n)
		for i, v := range xs {
			x[i] = v.Item()
		}
		g := make([]float64, n)
		want := rosenHand(x, g)
		out = prog.AppendRun(out[:0], xs...)
		near(t, "value", out[0].Item(), want, 1e-13*math.Abs(want))
		for i := range g {
			near(t, "gradient", out[i+1].Item(), g[i], 1e-12*(1+math.Abs(g[i])))
		}
	}
}

// Rerolling costs work linear in the program's length, counted as the
// instructions it examines rather than timed: on a recurrence whose
// instructions all lie on the state's cycle (nothing rerolls), on one whose
// gradient rerolls, and on W1's gradient. Compiling 2,000 instructions of
// y ← 0.99·y + x once took 2.3 s and 8,000 took 31 s: the runs were found
// but not taken, and searched for again from each of their instructions.
func TestRerollCostIsLinear(t *testing.T) {
	cases := []struct {
		name string
		f    func([]ad.Value) []ad.Value
	}{
		{"linear recurrence", recurrence},
		{"sin recurrence and gradient", sinRecurrence},
		{"rosenbrock gradient", valueAndGrads(rosenScalar)},
		{"rnn gradient", valueAndGrads(rnn)},
	}
	for _, c := range cases {
		var perInstr [2]float64
		for k, n := range []int{500, 4000} {
			prog := ad.Compile(c.f, scalarInputs(1, n, -1, 1)...)
			perInstr[k] = float64(prog.RerollWork()) / float64(prog.Len())
			xs := scalarInputs(2, n, -1, 1) // and it replays what f computes
			want, got := c.f(xs), prog.Run(xs...)
			for i := range want {
				near(t, c.name, got[i].Item(), want[i].Item(), 0)
			}
			t.Logf("%s, n = %d: %d instructions, %d examined (%.1f each)", c.name, n, prog.Len(), prog.RerollWork(), perInstr[k])
		}
		// each of the 64 periods scans the code about once
		if perInstr[1] > 200 || perInstr[1] > 1.25*perInstr[0] {
			t.Errorf("%s: rerolling examined %.1f instructions per instruction at n = 500 and %.1f at n = 4000", c.name, perInstr[0], perInstr[1])
		}
	}
}
