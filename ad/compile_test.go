package ad_test

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// valueAndGrads is the computation the compile tests record: the value and
// gradient of f, as one list.
func valueAndGrads(f func([]ad.Value) ad.Value) func([]ad.Value) []ad.Value {
	return func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrads(f, xs...)
		return append([]ad.Value{v}, g...)
	}
}

func TestCompileScalarReplaysOnNewInputs(t *testing.T) {
	n := 20
	scalars := func(seed uint64) []ad.Value {
		x := tensor.Rand(seeded(seed), -1.5, 1.5, n)
		xs := make([]ad.Value, n)
		for i := range xs {
			xs[i] = ad.Scalar(x.AtFlat(i))
		}
		return xs
	}
	prog := ad.Compile(valueAndGrads(rosenScalar), scalars(1)...)
	for seed := uint64(2); seed < 6; seed++ {
		xs := scalars(seed)
		got := prog.Run(xs...)
		v, g := ad.ValueAndGrads(rosenScalar, xs...)
		near(t, "value", got[0].Item(), v.Item(), 0)
		for i := range g {
			near(t, "gradient", got[i+1].Item(), g[i].Item(), 0)
		}
	}
}

func TestCompileTensorsAndDynamicMasks(t *testing.T) {
	// Where's masks, Max's tie weights, LogSumExp's shift and Relu's kink
	// all depend on the input values: the program must recompute them.
	f := func(xs []ad.Value) ad.Value {
		x, w := xs[0], xs[1]
		h := ad.Relu(ad.MatMul(w, x))
		y := ad.Where(ad.Greater(h, ad.Scalar(0.5)), ad.Sqrt(h), ad.Square(h))
		return ad.Add(ad.LogSumExp(y, false), ad.Max(ad.Mul(x, x), false))
	}
	x0, w0 := ad.From(tensor.RandN(seeded(1), 4)), ad.From(tensor.RandN(seeded(2), 3, 4))
	prog := ad.Compile(valueAndGrads(f), x0, w0)
	for seed := uint64(3); seed < 8; seed++ {
		x, w := ad.From(tensor.RandN(seeded(seed), 4)), ad.From(tensor.RandN(seeded(seed+100), 3, 4))
		got := prog.Run(x, w)
		v, g := ad.ValueAndGrads(f, x, w)
		near(t, "value", got[0].Item(), v.Item(), 1e-15)
		nearT(t, "grad x", got[1].Tensor(), g[0].Tensor(), 1e-14)
		nearT(t, "grad w", got[2].Tensor(), g[1].Tensor(), 1e-14)
	}
}

func TestCompileSecondOrderAndCustom(t *testing.T) {
	lpe := log1pexpRules()
	f := func(x ad.Value) ad.Value { return ad.Sum(lpe(ad.Mul(x, ad.Sin(x))), false) }
	prog := ad.Compile(func(xs []ad.Value) []ad.Value {
		return []ad.Value{ad.Hessian(f, xs[0]), ad.HVP(f, xs[0], xs[1])}
	}, ad.From(tensor.RandN(seeded(1), 3)), ad.From(tensor.RandN(seeded(2), 3)))
	x, v := ad.From(tensor.RandN(seeded(5), 3)), ad.From(tensor.RandN(seeded(6), 3))
	got := prog.Run(x, v)
	nearT(t, "hessian", got[0].Tensor(), ad.Hessian(f, x).Tensor(), 1e-14)
	nearT(t, "hvp", got[1].Tensor(), ad.HVP(f, x, v).Tensor(), 1e-14)
}

func TestCompileErrors(t *testing.T) {
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Sin(xs[0])} }, ad.From(tensor.Zeros(3)))
	err := tensor.Maybe(func() { prog.Run(ad.From(tensor.Zeros(4))) })
	if !errors.Is(err, tensor.ErrShape) || err.Error() != "chainrule: program run: input 0 has shape (4), recorded as (3)" {
		t.Errorf("shape mismatch: %v", err)
	}
	err = tensor.Maybe(func() { prog.Run(ad.From(tensor.Float32.Zeros(3))) })
	if !errors.Is(err, tensor.ErrDType) {
		t.Errorf("dtype mismatch: %v", err)
	}
	// a value being differentiated outside cannot be captured
	err = tensor.Maybe(func() {
		ad.Grad(func(y ad.Value) ad.Value {
			ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Mul(xs[0], y)} }, ad.Scalar(1))
			return y
		}, ad.Scalar(2))
	})
	if !errors.Is(err, tensor.ErrGraph) {
		t.Errorf("captured tracer: %v", err)
	}
	// outputs that do not depend on the inputs are fine
	c := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Scalar(math.Pi)} }, ad.Scalar(0))
	if got := c.Run(ad.Scalar(1))[0].Item(); got != math.Pi {
		t.Errorf("constant output = %g", got)
	}
	// a zero Program is not one Compile made
	err = tensor.Maybe(func() { new(ad.Program).Run() })
	if !errors.Is(err, tensor.ErrArg) {
		t.Errorf("zero Program: %v", err)
	}
}

// The hand-written gradient used as the benchmarks' physical limit agrees
// with chainrule.
func TestRosenbrockHand(t *testing.T) {
	x := tensor.Rand(seeded(4), -1, 1, 30)
	g := make([]float64, 30)
	v := rosenHand(x.Data(), g)
	want, wg := ad.ValueAndGrad(rosenN, ad.From(x))
	near(t, "value", v, want.Item(), 1e-13)
	for i := range g {
		near(t, "gradient", g[i], wg.Tensor().AtFlat(i), 1e-13)
	}
}

// Replays recycle the storage of dead intermediates: run a program with
// large tensors repeatedly and check every run against direct evaluation,
// including an output that shares storage with an intermediate.
func TestCompileRecyclesStorageSafely(t *testing.T) {
	n := 3 * 4096
	f := func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrad(rosenN, xs[0])
		h := ad.Tanh(ad.Mul(ad.Reshape(xs[0], 3, -1), ad.Reshape(g, 3, -1))) // views of the input
		return []ad.Value{v, g, ad.Reshape(h, -1), ad.Sum(h, false)}
	}
	prog := ad.Compile(f, ad.From(tensor.Rand(seeded(1), -1, 1, n)))
	if !prog.Fused() || !strings.Contains(prog.String(), "fused (12287) {") {
		t.Errorf("the Rosenbrock chain is not fused:\n%s", prog)
	}
	for seed := uint64(2); seed < 6; seed++ {
		x := ad.From(tensor.Rand(seeded(seed), -1, 1, n))
		xcopy := x.Tensor().Clone()
		got := prog.Run(x)
		nearT(t, "input after a run", x.Tensor(), xcopy, 0)
		want := f([]ad.Value{x})
		for i := range want {
			nearT(t, "output", got[i].Tensor(), want[i].Tensor(), 1e-13)
		}
		// outputs of earlier runs stay intact after later runs
		keep := got[1].Tensor().Clone()
		prog.Run(ad.From(tensor.Rand(seeded(seed+50), -1, 1, n)))
		nearT(t, "earlier output", got[1].Tensor(), keep, 0)
	}
}

// A compiled Hessian-vector product (forward over reverse, fused at this
// size) replayed at new points and directions matches the five-point
// difference of the gradient along v, (−∇f(x+2hv) + 8∇f(x+hv) − 8∇f(x−hv)
// + ∇f(x−2hv)) / 12h, which is exact but for rounding here: Rosenbrock's
// gradient is a cubic polynomial.
func TestCompileHVP(t *testing.T) {
	n := 5000
	hvp := func(in []ad.Value) []ad.Value { return []ad.Value{ad.HVP(rosenN, in[0], in[1])} }
	prog := ad.Compile(hvp, ad.From(tensor.Rand(seeded(1), -1, 1, n)), ad.From(tensor.RandN(seeded(2), n)))
	if !prog.Fused() {
		t.Errorf("the HVP program is not fused:\n%s", prog)
	}
	const h = 1e-3
	for seed := uint64(3); seed < 6; seed++ {
		x, v := tensor.Rand(seeded(seed), -1, 1, n), tensor.RandN(seeded(seed+10), n)
		g := func(steps float64) *tensor.Tensor {
			at := tensor.Add(x, tensor.Mul(v, tensor.Scalar(steps*h)))
			return ad.Grad(rosenN, ad.From(at)).Tensor()
		}
		fd := tensor.Add(tensor.Sub(g(-2), g(2)), tensor.Mul(tensor.Sub(g(1), g(-1)), tensor.Scalar(8)))
		fd = tensor.Div(fd, tensor.Scalar(12*h))
		got := prog.Run(ad.From(x), ad.From(v))[0].Tensor()
		nearT(t, "compiled HVP vs differences of the gradient", got, fd, 1e-9)
		nearT(t, "compiled HVP vs eager", got, ad.HVP(rosenN, ad.From(x), ad.From(v)).Tensor(), 1e-12)
	}
}

// A donated parameter's storage is reused by the next step's parameters:
// each step of a compiled SGD update matches the eager one, the donated
// input is emptied, and after a couple of steps the storage cycles.
func TestCompileDonate(t *testing.T) {
	loss := func(w, x ad.Value) ad.Value { return ad.Sum(ad.Tanh(ad.MatMul(x, w)), false) }
	step := func(in []ad.Value) []ad.Value {
		g := ad.Grad(func(w ad.Value) ad.Value { return loss(w, in[1]) }, in[0])
		return []ad.Value{ad.Sub(in[0], ad.Mul(g, ad.Scalar(0.1)))}
	}
	w0, x := tensor.RandN(seeded(1), 64, 96), ad.From(tensor.RandN(seeded(2), 8, 64))
	prog := ad.Compile(step, ad.From(w0.Clone()), x).Donate(0)
	w := ad.From(w0.Clone())
	seen := map[any]bool{}
	reused := false
	var steps []*tensor.Tensor // copies, checked afterwards: eager ops would take the recycled storage
	for i := 0; i < 12; i++ {
		seen[w.Tensor().Storage()] = true
		prev := w
		w = prog.Run(w, x)[0]
		if prev.Tensor().Size() != 0 {
			t.Errorf("step %d: the donated input was not emptied", i)
		}
		reused = reused || seen[w.Tensor().Storage()]
		steps = append(steps, tensor.New(append([]float64(nil), w.Tensor().Data()...), 64, 96)) // not from the pool
	}
	if !reused {
		t.Error("no step reused a donated input's storage")
	}
	want := ad.From(w0.Clone())
	for _, got := range steps {
		want = step([]ad.Value{want, x})[0]
		nearT(t, "donated step", got, want.Tensor(), 1e-13)
	}
	if x.Tensor().Size() != 8*64 {
		t.Error("an input that was not donated was emptied")
	}

	// the same tensor as two inputs: its storage is still needed, so it is
	// not recycled; an input that is an output is never recycled either
	two := ad.Compile(func(in []ad.Value) []ad.Value { return []ad.Value{ad.Add(ad.Exp(in[0]), in[1])} },
		ad.From(tensor.RandN(seeded(3), 4096)), ad.From(tensor.RandN(seeded(4), 4096))).Donate(0)
	a := ad.From(tensor.RandN(seeded(5), 4096))
	got := two.Run(a, a)[0]
	nearT(t, "shared inputs", got.Tensor(), tensor.Add(tensor.Exp(a.Tensor()), a.Tensor()), 1e-15)
	if a.Tensor().Size() != 4096 {
		t.Error("a donated input shared with another input was recycled")
	}
	id := ad.Compile(func(in []ad.Value) []ad.Value { return []ad.Value{in[0], ad.Exp(in[0])} }, ad.From(tensor.RandN(seeded(6), 4096))).Donate(0)
	b := ad.From(tensor.RandN(seeded(7), 4096))
	if out := id.Run(b); out[0].Tensor().Size() != 4096 || b.Tensor().Size() != 4096 {
		t.Error("a donated input that is also an output was recycled")
	}

	// an input that is a constant the program captured keeps its storage
	c := tensor.RandN(seeded(8), 4096)
	capt := ad.Compile(func(in []ad.Value) []ad.Value { return []ad.Value{ad.Mul(ad.Exp(in[0]), ad.From(c))} },
		ad.From(tensor.RandN(seeded(9), 4096))).Donate(0)
	capt.Run(ad.From(c))
	if c.Size() != 4096 {
		t.Error("a donated input that the program holds as a constant was recycled")
	}

	var e *tensor.Error
	if err := tensor.Maybe(func() { id.Donate(1) }); !errors.As(err, &e) || !errors.Is(err, tensor.ErrIndex) {
		t.Errorf("Donate out of range: %v, want ErrIndex", err)
	}
}

// Float32 programs fuse too, and a fused group computes exactly what the
// unfused instructions do (the same kernels, in float32): value and
// gradients of a float32 chain with every kind of member (arithmetic,
// slice kernels, scalar kernels, a generic binary one, scalar and constant
// operands), replayed at new inputs, equal eager evaluation bit for bit;
// likewise a float64 program whose fused groups now take storage without
// zeroing it.
func TestCompileFusesFloat32(t *testing.T) {
	f := func(xs []ad.Value) ad.Value {
		x, y := xs[0], xs[1]
		k := func(v float64) ad.Value { return ad.From(x.DType().Scalar(v)) }
		a := ad.Tanh(ad.Mul(x, y))
		b := ad.Sub(k(1), ad.Square(a))
		c := ad.Add(ad.Exp(ad.Neg(b)), ad.Sigmoid(ad.Div(y, k(3))))
		d := ad.Maximum(ad.Sin(c), ad.Mul(x, k(0.25)))
		return ad.Sum(ad.Mul(d, c), false)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, forced := range []bool{true, false} {
			n := 5000
			restore := func() {}
			if forced {
				n = 40
				restore = ad.SetFusion(1, 3)
			}
			in := func(seed uint64) []ad.Value {
				return []ad.Value{ad.From(dt.RandN(seeded(seed), n)), ad.From(dt.RandN(seeded(seed+1), n))}
			}
			prog := ad.Compile(valueAndGrads(f), in(1)...)
			if !prog.Fused() {
				t.Fatalf("%s: nothing fused:\n%s", dt, prog)
			}
			for seed := uint64(3); seed < 7; seed += 2 {
				xs := in(seed)
				got := prog.Run(xs...)
				want := valueAndGrads(f)(xs)
				for i := range want {
					nearT(t, dt.String()+" fused output", got[i].Tensor(), want[i].Tensor(), 0)
					if got[i].DType() != dt {
						t.Errorf("output %d is %s, want %s", i, got[i].DType(), dt)
					}
				}
			}
			restore()
		}
	}
}

// The gradient of a function of two slices of one array sums two pads of
// cotangents; Compile writes that sum once (pad_add): along a leading axis
// adding in place, along another by the general path. Replays agree with
// eager gradients on new inputs.
func TestCompileCombinesPads(t *testing.T) {
	for axis := 0; axis < 2; axis++ {
		f := func(xs []ad.Value) ad.Value {
			x := xs[0]
			n := x.Shape()[axis]
			d := ad.Sub(ad.Slice(x, axis, 1, n), ad.Square(ad.Slice(x, axis, 0, n-1)))
			return ad.Sum(ad.Mul(d, d), false)
		}
		prog := ad.Compile(valueAndGrads(f), ad.From(tensor.RandN(seeded(1), 6, 5)))
		if c := strings.Count(prog.String(), "pad_add("); c != 1 || strings.Contains(prog.String(), " pad(") {
			t.Errorf("axis %d: %d pad_add instructions, want 1 and no pad:\n%s", axis, c, prog)
		}
		for seed := uint64(2); seed < 5; seed++ {
			x := ad.From(tensor.RandN(seeded(seed), 6, 5))
			got := prog.Run(x)
			v, g := ad.ValueAndGrads(f, x)
			near(t, "value", got[0].Item(), v.Item(), 0)
			nearT(t, "gradient", got[1].Tensor(), g[0].Tensor(), 0)
		}
	}
}

// flat returns the elements of every value of vs, in order.
func flat(vs []ad.Value) []float64 {
	var out []float64
	for _, v := range vs {
		out = append(out, v.Tensor().Float64s()...)
	}
	return out
}

// One Program run by many goroutines at once gives each call the result a
// serial run gives (bit for bit), for a scalar program rerolled and not,
// a tensor program and a fused one; run with -race, the runs share no
// state. (Eight goroutines on one program once got 293 of 2,400 results
// wrong, and on a fused one 1,533 wrong and 5 panics.) The serial results
// are checked against eager evaluation first.
func TestCompileConcurrentRuns(t *testing.T) {
	masks := func(xs []ad.Value) ad.Value {
		x, w := xs[0], xs[1]
		h := ad.Relu(ad.MatMul(w, x))
		y := ad.Where(ad.Greater(h, ad.Scalar(0.5)), ad.Sqrt(h), ad.Square(h))
		return ad.Add(ad.LogSumExp(y, false), ad.Max(ad.Mul(x, x), false))
	}
	vecRosen := func(xs []ad.Value) ad.Value { return rosenN(xs[0]) }
	cases := []struct {
		name  string
		f     func([]ad.Value) []ad.Value
		in    func(seed uint64) []ad.Value
		fused bool
		check func(p *ad.Program) bool
	}{
		{"scalar rerolled", valueAndGrads(rosenScalar), func(s uint64) []ad.Value { return scalarInputs(s, 60, -1, 1) }, false,
			func(p *ad.Program) bool { l, _ := p.Rerolled(); return l > 0 }},
		{"scalar unrolled", func(xs []ad.Value) []ad.Value { return []ad.Value{horner(xs)} }, func(s uint64) []ad.Value { return scalarInputs(s, 30, 0, 1) }, false,
			func(p *ad.Program) bool { l, n := p.Rerolled(); return l == 0 && n > 0 }},
		{"tensor", valueAndGrads(masks), func(s uint64) []ad.Value {
			return []ad.Value{ad.From(tensor.RandN(seeded(s), 4)), ad.From(tensor.RandN(seeded(s+100), 3, 4))}
		}, false, func(p *ad.Program) bool { l, n := p.Rerolled(); return !p.Fused() && l+n == 0 }},
		{"fused", valueAndGrads(vecRosen), func(s uint64) []ad.Value { return []ad.Value{ad.From(tensor.RandN(seeded(s), 50))} }, true,
			func(p *ad.Program) bool { return p.Fused() }},
	}
	goroutines, runs := 8, 40
	if testing.Short() {
		runs = 10
	}
	for _, c := range cases {
		restore := func() {}
		if c.fused {
			restore = ad.SetFusion(4, 3)
		}
		prog := ad.Compile(c.f, c.in(1)...)
		if !c.check(prog) {
			t.Fatalf("%s: not the kind of program wanted:\n%s", c.name, prog)
		}
		const inputs = 5
		var xs [inputs][]ad.Value
		var want [inputs][]float64
		for k := range xs {
			xs[k] = c.in(uint64(10 + k))
			want[k] = flat(prog.Run(xs[k]...))
			eager := flat(c.f(xs[k]))
			for i := range eager {
				near(t, c.name+" serial run", want[k][i], eager[i], 1e-14*(1+math.Abs(eager[i])))
			}
		}
		var wg sync.WaitGroup
		var wrong atomic.Int64
		for g := range goroutines {
			wg.Go(func() {
				var out []ad.Value
				for j := range runs {
					k := (g + j) % inputs
					out = prog.AppendRun(out[:0], xs[k]...)
					for i, v := range flat(out) {
						if math.Float64bits(v) != math.Float64bits(want[k][i]) {
							wrong.Add(1)
						}
					}
				}
			})
		}
		wg.Wait()
		restore()
		if n := wrong.Load(); n > 0 {
			t.Errorf("%s: %d elements differ from a serial run's", c.name, n)
		}
	}
}

// checkListing parses a Program's String and reports the first register
// read before it is defined (by an input, a constant, an instruction, a
// fused group member, or an earlier iteration of the same loop), defined
// twice, or read outside its fused group though it lived in scratch.
func checkListing(listing string) error {
	instr := regexp.MustCompile(`^(\*?)r(\d+) = ([a-z_0-9]+)\((.*)\)$`)
	loopRe := regexp.MustCompile(`^loop j < (\d+): (\S+) = ([a-z_0-9]+)\((.*)\)$`)
	regRe := regexp.MustCompile(`^r(?:(\d+)|\[(\d+)(?:([+-]\d*)\*?j)?\])$`)
	defined := map[int]bool{}
	scratch := map[int]bool{} // group members not kept, while in their group
	var inGroup []int
	define := func(r int) error {
		if defined[r] {
			return fmt.Errorf("r%d defined twice", r)
		}
		defined[r] = true
		return nil
	}
	use := func(r int) error {
		if !defined[r] {
			return fmt.Errorf("r%d read before it is defined", r)
		}
		if scratch[r] && inGroup == nil {
			return fmt.Errorf("r%d read outside its fused group", r)
		}
		return nil
	}
	// reg parses r5 or r[5+2*j] as a base and a stride.
	reg := func(s string) (base, stride int, err error) {
		m := regRe.FindStringSubmatch(strings.TrimSpace(s))
		if m == nil {
			return 0, 0, fmt.Errorf("bad register %q", s)
		}
		if m[1] != "" {
			base, _ = strconv.Atoi(m[1])
			return base, 0, nil
		}
		base, _ = strconv.Atoi(m[2])
		switch m[3] {
		case "":
			return 0, 0, fmt.Errorf("bad register %q", s)
		case "+", "-":
			stride = 1
			if m[3] == "-" {
				stride = -1
			}
		default:
			stride, _ = strconv.Atoi(m[3])
		}
		return base, stride, nil
	}
	lines := strings.Split(strings.TrimSuffix(listing, "\n"), "\n")
	for n, line := range lines {
		err := func() error {
			t := strings.TrimSpace(line)
			var head int
			switch {
			case strings.HasPrefix(t, "return"):
				if n != len(lines)-1 {
					return errors.New("return before the end")
				}
				for _, f := range strings.Split(strings.TrimPrefix(t, "return"), ",") {
					r, s, err := reg(f)
					if err != nil || s != 0 {
						return fmt.Errorf("bad output %q", f)
					}
					if err := use(r); err != nil {
						return err
					}
				}
				return nil
			case strings.HasPrefix(t, "fused ") && strings.HasSuffix(t, "{"):
				inGroup = []int{}
				return nil
			case t == "}":
				inGroup = nil
				return nil
			case strings.Contains(t, " = input") || strings.Contains(t, " = const "):
				if _, err := fmt.Sscanf(t, "r%d = ", &head); err != nil {
					return err
				}
				return define(head)
			}
			if m := loopRe.FindStringSubmatch(t); m != nil {
				count, _ := strconv.Atoi(m[1])
				ob, os, err := reg(m[2])
				if err != nil {
					return err
				}
				var args [][2]int
				for _, a := range strings.Split(m[4], ",") {
					b, s, err := reg(a)
					if err != nil {
						return err
					}
					args = append(args, [2]int{b, s})
				}
				for j := range count { // iteration j reads what is defined by then
					for _, a := range args {
						if err := use(a[0] + a[1]*j); err != nil {
							return fmt.Errorf("iteration %d: %w", j, err)
						}
					}
					if err := define(ob + os*j); err != nil {
						return err
					}
				}
				return nil
			}
			m := instr.FindStringSubmatch(t)
			if m == nil {
				return fmt.Errorf("unparsed line")
			}
			for _, a := range strings.Split(m[4], ",") {
				r, s, err := reg(a)
				if err != nil || s != 0 {
					return fmt.Errorf("bad argument %q", a)
				}
				if err := use(r); err != nil {
					return err
				}
			}
			out, _ := strconv.Atoi(m[2])
			if inGroup != nil && m[1] == "" {
				scratch[out] = true
			}
			return define(out)
		}()
		if err != nil {
			return fmt.Errorf("line %d %q: %w", n+1, line, err)
		}
	}
	if !strings.HasPrefix(lines[len(lines)-1], "return") {
		return errors.New("no return line")
	}
	return nil
}

// Program.String defines every register it reads — inputs and constants
// in a header, fused groups' members, loops' registers — for a tensor
// program, a fused one (with a filled constant and a scalar operand), and
// scalar ones rerolled (renumbered or strided) and not. (Constants were
// not listed: r5 and r7 appeared from nowhere.)
func TestProgramStringDefinesRegisters(t *testing.T) {
	masks := func(xs []ad.Value) ad.Value {
		x, w := xs[0], xs[1]
		h := ad.Relu(ad.MatMul(w, x))
		y := ad.Where(ad.Greater(h, ad.Scalar(0.5)), ad.Sqrt(h), ad.Square(h))
		return ad.Add(ad.LogSumExp(y, false), ad.Max(ad.Mul(x, ad.From(tensor.RandN(seeded(9), 4))), false))
	}
	vec := func(xs []ad.Value) ad.Value {
		return ad.Add(rosenN(xs[0]), ad.Sum(ad.Mul(ad.Exp(ad.Mul(xs[0], ad.Scalar(0.5))), xs[1]), false))
	}
	cases := []struct {
		name            string
		f               func([]ad.Value) []ad.Value
		xs              []ad.Value
		reroll, renumb  bool
		fuse            bool
		mustHave, never string
	}{
		{"tensor", valueAndGrads(masks), []ad.Value{ad.From(tensor.RandN(seeded(1), 4)), ad.From(tensor.RandN(seeded(2), 3, 4))}, true, true, false, "= const float64(4)", "fused"},
		{"fused", valueAndGrads(vec), []ad.Value{ad.From(tensor.RandN(seeded(1), 30)), ad.From(tensor.RandN(seeded(2), 30))}, true, true, true, "fused (", "loop"},
		{"scalar rerolled", valueAndGrads(rosenScalar), scalarInputs(1, 30, -1, 1), true, true, false, "loop j < ", "fused"},
		{"scalar strided", valueAndGrads(pairs), scalarInputs(1, 30, -1, 1), true, false, false, "*j]", "fused"},
		{"scalar unrolled", valueAndGrads(rosenScalar), scalarInputs(1, 30, -1, 1), false, false, false, "= const 100", "loop"},
		{"recurrence", recurrence, scalarInputs(1, 30, -1, 1), true, true, false, "= const 0.99", "loop"},
		{"output an input and a constant", func(xs []ad.Value) []ad.Value { return []ad.Value{xs[0], ad.Scalar(3), ad.Sin(xs[0])} }, scalarInputs(1, 1, 0, 1), true, true, false, "return r0, r", "loop"},
	}
	for _, c := range cases {
		restore := ad.SetRerolling(c.reroll, c.renumb)
		restoreFusion := func() {}
		if c.fuse {
			restoreFusion = ad.SetFusion(4, 3)
		}
		prog := ad.Compile(c.f, c.xs...)
		restore()
		restoreFusion()
		s := prog.String()
		if err := checkListing(s); err != nil {
			t.Errorf("%s: %v in\n%s", c.name, err, s)
		}
		if !strings.Contains(s, c.mustHave) || strings.Contains(s, c.never) {
			t.Errorf("%s: want %q and no %q in\n%s", c.name, c.mustHave, c.never, s)
		}
		if testing.Verbose() {
			t.Logf("%s:\n%s", c.name, s)
		}
	}
}

// Concurrent runs of a program that donates an input are correct when each
// goroutine donates tensors of its own: four SGD loops through one donated
// step each match their eager steps.
func TestCompileConcurrentDonated(t *testing.T) {
	loss := func(w, x ad.Value) ad.Value { return ad.Sum(ad.Tanh(ad.MatMul(x, w)), false) }
	step := func(in []ad.Value) []ad.Value {
		g := ad.Grad(func(w ad.Value) ad.Value { return loss(w, in[1]) }, in[0])
		return []ad.Value{ad.Sub(in[0], ad.Mul(g, ad.Scalar(0.1)))}
	}
	x := ad.From(tensor.RandN(seeded(2), 8, 64))
	prog := ad.Compile(step, ad.From(tensor.RandN(seeded(1), 64, 96)), x).Donate(0)
	const loops, steps = 4, 6
	var got [loops][steps]*tensor.Tensor // copies not from the pool
	var wg sync.WaitGroup
	for g := range loops {
		wg.Go(func() {
			w := ad.From(tensor.RandN(seeded(uint64(10+g)), 64, 96))
			for i := range steps {
				w = prog.Run(w, x)[0]
				got[g][i] = tensor.New(append([]float64(nil), w.Tensor().Data()...), 64, 96)
			}
		})
	}
	wg.Wait()
	for g := range loops {
		want := ad.From(tensor.RandN(seeded(uint64(10+g)), 64, 96))
		for i := range steps {
			want = step([]ad.Value{want, x})[0]
			nearT(t, "concurrent donated step", got[g][i], want.Tensor(), 1e-13)
		}
	}
}

// A Program holds on to neither its example inputs nor a run's inputs and
// intermediates once the run returns: only its constants.
func TestCompileHoldsNoInputs(t *testing.T) {
	x := tensor.RandN(seeded(1), 5000)
	example := weak.Make(x)
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Exp(ad.Sin(xs[0]))} }, ad.From(x))
	x = tensor.RandN(seeded(2), 5000)
	run := weak.Make(x)
	out := prog.Run(ad.From(x))
	x = nil
	runtime.GC()
	if example.Value() != nil || run.Value() != nil {
		t.Errorf("the program holds its example input (%v) or a run's input (%v)", example.Value() != nil, run.Value() != nil)
	}
	runtime.KeepAlive(prog)
	runtime.KeepAlive(out)
}

// TestCompileKeepsSignedZeros checks Compile's peephole simplifications
// against IEEE arithmetic done eagerly: x + (+0) turns −0 into +0, so it
// must be computed, while x + (−0), x − (+0) and x·1 equal x bit for bit
// and may be dropped. Compiled and eager results must agree in every bit.
func TestCompileKeepsSignedZeros(t *testing.T) {
	negZero := math.Copysign(0, -1)
	x := tensor.New([]float64{negZero, 0, 1.5, -2, math.Inf(-1), math.NaN()}, 6)
	consts := map[string]ad.Value{
		"weak +0": ad.Scalar(0), "weak -0": ad.Scalar(negZero),
		"strong +0": ad.From(tensor.Scalar(0)), "strong -0": ad.From(tensor.Scalar(negZero)),
		"one": ad.Scalar(1),
	}
	ops := map[string]func(a, b ad.Value) ad.Value{
		"add": func(a, b ad.Value) ad.Value { return ad.Add(a, b) },
		"sub": func(a, b ad.Value) ad.Value { return ad.Sub(a, b) },
		"mul": func(a, b ad.Value) ad.Value { return ad.Mul(a, b) },
	}
	for cn, c := range consts {
		for on, op := range ops {
			for _, left := range []bool{false, true} {
				f := func(v ad.Value) ad.Value {
					if left {
						return op(c, v)
					}
					return op(v, c)
				}
				want := f(ad.From(x)).Tensor().Data()
				prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{f(xs[0])} }, ad.From(x))
				got := prog.Run(ad.From(x))[0].Tensor().Data()
				for i := range want {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Errorf("%s(%s, left %v) at x = %v: compiled %v, eager %v", on, cn, left, x.Data()[i], got[i], want[i])
					}
				}
			}
		}
	}
	// the exact identities are still dropped: no instruction for x + (−0)
	prog := ad.Compile(func(xs []ad.Value) []ad.Value {
		return []ad.Value{ad.Add(ad.Sub(ad.Mul(xs[0], ad.Scalar(1)), ad.Scalar(0)), ad.Scalar(negZero))}
	}, ad.From(x))
	if n := prog.Len(); n != 0 {
		t.Errorf("x·1 − 0 + (−0) compiled to %d instructions, want 0:\n%v", n, prog)
	}
}
