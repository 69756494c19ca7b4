package ad_test

import (
	"errors"
	"math"
	"strings"
	"testing"

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
