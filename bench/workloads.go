package main

// The workloads. Each builds one or more cases: the exact inputs (sent to
// the external peers as files), the parameters a peer needs to rebuild the
// same computation, and the in-process implementations — chainrule's first,
// as the reference, then its variants and the hand-written Go ones.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/chainrule/chainrule/ad"
	kernels "github.com/chainrule/chainrule/internal/gemm"
	"github.com/chainrule/chainrule/internal/testfunc"
	"github.com/chainrule/chainrule/tensor"
)

// seeded returns a PCG generator for tensor.RandN and tensor.Rand, seeded
// with seed, so that every run draws the same inputs.
func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// Workload is a named family of cases.
type Workload struct {
	Name    string
	Desc    string
	Default bool                     // run without being named in -workloads
	Build   func(quick bool) []*Case // the cases, at tiny sizes when quick
}

// Case is one comparable measurement: a workload at one size, dtype or
// mode. Every implementation computes the same thing from the same inputs.
type Case struct {
	Name     string                    // "W3/f32"
	Workload string                    // "W3"
	Desc     string                    // one line for the report
	DType    tensor.DType              // decides the verification tolerance
	Params   map[string]any            // sizes and constants, sent to external peers
	Inputs   map[string]*tensor.Tensor // the exact input arrays, sent to external peers
	Impls    []Impl                    // in-process implementations; chainrule's first
	Flops    float64                   // floating-point operations per op: rows get GFLOP/s
	NoPeers  bool                      // not offered to external peers
	// Finish, if set, adds derived metrics and notes once all rows are timed.
	Finish func(rows []*Row)
	// Special, if set, replaces verification and alternating timing: the
	// case measures itself and returns its rows (W7).
	Special func() []*Row
}

// Impl is an in-process implementation of a case.
type Impl struct {
	Name    string          // "chainrule", "chainrule/forward", "hand-go", …
	Op      func()          // one timed operation
	Outputs func() outputs  // the results to verify; may change state like Op
	Held    func() uint64   // optional: heap bytes held for the reverse sweep
	Note    func() []string // optional: notes known before timing
}

// workloads lists every workload in report order.
var workloads = []Workload{
	{"W1", "Rosenbrock gradient written with scalar ops, n = 1000", true, buildW1},
	{"W2", "vector Rosenbrock value and gradient, n = 1e6, float64", true, buildW2},
	{"W3", "MLP 784→256→10 tanh training step, softmax cross-entropy, batch 64, SGD", true, buildW3},
	{"W4", "Hessian-vector product of the vector Rosenbrock, n = 1e5", true, buildW4},
	{"W5", "Jacobian of tanh(W·sin x), R^10→R^1000 and R^1000→R^10", true, buildW5},
	{"W6", "chain of 1000 tanh(W·h) layers, width 256: plain vs checkpointed", true, buildW6},
	{"W8", "LeNet-5 CNN training step built from package nn, batch 64, float32, SGD with momentum", true, buildW8},
	{"W9", "transformer encoder block training step (pre-LayerNorm, width 256, 4 heads, FFN 1024, GELU), batch 8, sequence 128, float32, AdamW", true, buildW9},
	{"H100", "Hessian of the n = 100 Rosenbrock function", true, buildH100},
	{"W10", "per-example gradients of the W3 MLP, batch 64, float32: Vmap of Grads", true, buildW10},
	{"GEMM", "512×512 matrix product", true, buildGEMM},
	{"S1", "sparse Jacobian of the 2-D Bratu residual, n = 2500, 1e4 and 1e6", true, buildS1},
	{"S2", "sparse Hessian of the extended Rosenbrock function, n = 1e6", true, buildS2},
	{"W3-ORT", "W3's step exported to ONNX and run on ONNX Runtime (CPU, 2 threads) beside chainrule's eager and compiled steps (only with -workloads W3-ORT or -all; needs node and testdata/onnx/ort's npm install)", false, buildW3ORT},
	{"W7", "1e4 consecutive W3 float32 steps: memory must stay flat (only with -workloads W7 or -all)", false, buildW7},
}

// pick returns full, or small in quick mode.
func pick(quick bool, full, small int) int {
	if quick {
		return small
	}
	return full
}

// dtypeName is the short name used in case names: "f64" or "f32".
func dtypeName(d tensor.DType) string {
	if d == tensor.Float32 {
		return "f32"
	}
	return "f64"
}

// flat returns t's elements as float64.
func flat(t *tensor.Tensor) []float64 { return t.Float64s() }

// find returns the row of the named implementation, or nil.
func find(rows []*Row, impl string) *Row {
	for _, r := range rows {
		if r.Impl == impl && r.Status == statusOK {
			return r
		}
	}
	return nil
}

var (
	rosenN      = testfunc.RosenbrockVector
	rosenScalar = testfunc.RosenbrockScalar
)

// buildW1: the gradient of the scalar-op Rosenbrock function (recording
// plus reverse sweep over ~7n scalar nodes).
func buildW1(quick bool) []*Case {
	n := pick(quick, 1000, 100)
	x := tensor.Rand(seeded(1), -1, 1, n)
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	nodes := len(ad.Trace(rosenScalar, xs).Nodes()) - n
	xd := x.Data()
	g := make([]float64, n)
	// the same gradient, recorded once and replayed (graph capture)
	w1prog := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, gs := ad.ValueAndGrads(rosenScalar, xs...)
		return append([]ad.Value{v}, gs...)
	}, xs...)
	var w1out []ad.Value // the replay's outputs, reused: AppendRun allocates nothing
	return []*Case{{
		Name: "W1", Workload: "W1", DType: tensor.Float64,
		Desc:   fmt.Sprintf("Rosenbrock gradient with scalar ops, n = %d (%d recorded nodes)", n, nodes),
		Params: map[string]any{"n": n},
		Inputs: map[string]*tensor.Tensor{"x": x},
		Impls: []Impl{
			{Name: "chainrule", Op: func() { ad.Grads(rosenScalar, xs...) }, Outputs: func() outputs {
				v, gs := ad.ValueAndGrads(rosenScalar, xs...)
				out := make([]float64, n)
				for i, gi := range gs {
					out[i] = gi.Item()
				}
				return outputs{"value": {v.Item()}, "grad": out}
			}},
			{Name: "chainrule/compiled", Op: func() { w1out = w1prog.AppendRun(w1out[:0], xs...) }, Outputs: func() outputs {
				vs := w1prog.Run(xs...)
				out := make([]float64, n)
				for i, gi := range vs[1:] {
					out[i] = gi.Item()
				}
				return outputs{"value": {vs[0].Item()}, "grad": out}
			}},
			{Name: "hand-go", Op: func() { rosenValGrad(xd, g) }, Outputs: func() outputs {
				v := rosenValGrad(xd, g)
				return outputs{"value": {v}, "grad": append([]float64(nil), g...)}
			}},
		},
		Finish: func(rows []*Row) {
			if r := find(rows, "chainrule"); r != nil {
				r.metric("ns_per_node", r.Median/float64(nodes), fmt.Sprintf("%.1f ns/node", r.Median/float64(nodes)))
			}
		},
	}}
}

// buildW2: value and gradient of the vector Rosenbrock function, beside
// the primal alone, which gives the cheap-gradient ratio grad/primal.
func buildW2(quick bool) []*Case {
	n := pick(quick, 1_000_000, 10_000)
	x := tensor.Rand(seeded(1), -1, 1, n)
	xv := ad.From(x)
	xd := x.Data()
	g := make([]float64, n)
	// graph capture, whose last pass fuses the elementwise chains
	prog := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, gr := ad.ValueAndGrad(rosenN, xs[0])
		return []ad.Value{v, gr}
	}, xv)
	primal := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{rosenN(xs[0])} }, xv)
	return []*Case{{
		Name: "W2", Workload: "W2", DType: tensor.Float64,
		Desc:   fmt.Sprintf("vector Rosenbrock value+gradient, n = %d, float64", n),
		Params: map[string]any{"n": n},
		Inputs: map[string]*tensor.Tensor{"x": x},
		Impls: []Impl{
			{Name: "chainrule", Op: func() { ad.ValueAndGrad(rosenN, xv) }, Outputs: func() outputs {
				v, gr := ad.ValueAndGrad(rosenN, xv)
				return outputs{"value": {v.Item()}, "grad": flat(gr.Tensor())}
			}},
			{Name: "chainrule/primal", Op: func() { rosenN(xv) }, Outputs: func() outputs {
				return outputs{"value": {rosenN(xv).Item()}}
			}},
			{Name: "chainrule/compiled", Op: func() { prog.Run(xv) }, Outputs: func() outputs {
				vs := prog.Run(xv)
				return outputs{"value": {vs[0].Item()}, "grad": flat(vs[1].Tensor())}
			}},
			{Name: "chainrule/compiled/primal", Op: func() { primal.Run(xv) }, Outputs: func() outputs {
				return outputs{"value": {primal.Run(xv)[0].Item()}}
			}},
			{Name: "hand-go", Op: func() { rosenValGrad(xd, g) }, Outputs: func() outputs {
				v := rosenValGrad(xd, g)
				return outputs{"value": {v}, "grad": append([]float64(nil), g...)}
			}},
			{Name: "hand-go/primal", Op: func() { rosenValue(xd) }, Outputs: func() outputs {
				return outputs{"value": {rosenValue(xd)}}
			}},
		},
		Finish: func(rows []*Row) {
			// each implementation's grad/primal ratio, on its grad row
			for _, r := range rows {
				p := find(rows, r.Impl+"/primal")
				if p == nil || r.Status != statusOK {
					continue
				}
				q := r.Median / p.Median
				r.metric("grad_over_primal", q, fmt.Sprintf("grad/primal %.2f", q))
			}
			// the eager primal's garbage collections and fresh memory: its
			// intermediates come back to tensor's storage cache through
			// the collector
			if r := find(rows, "chainrule/primal"); r != nil {
				gcs, bytes := gcsPerOp(func() { rosenN(xv) }, 20)
				r.metric("gc_per_op", gcs, fmt.Sprintf("%.2f GC/op", gcs))
				r.metric("alloc_bytes_per_op", bytes, fmt.Sprintf("%.1f MiB allocated/op", bytes/(1<<20)))
			}
		},
	}}
}

// gcsPerOp runs op n times after as many unmeasured runs (which fill the
// storage cache) and returns the garbage collections and the bytes
// allocated from the Go runtime per measured run.
func gcsPerOp(op func(), n int) (gcs, bytes float64) {
	for range n {
		op()
	}
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	for range n {
		op()
	}
	runtime.ReadMemStats(&b)
	return float64(b.NumGC-a.NumGC) / float64(n), float64(b.TotalAlloc-a.TotalAlloc) / float64(n)
}

// mlpSetup holds W3's seeded data and initial parameters in one dtype.
type mlpSetup struct {
	b, d, h, c int
	x          *tensor.Tensor // b×d
	labels     []int
	params     []*tensor.Tensor // W1 d×h, b1 h, W2 h×c, b2 c
	lr         float64
}

// newMLPSetup returns the seeded batch, labels and initial parameters.
// Float32 values are the float64 ones rounded, so both dtypes start alike.
func newMLPSetup(quick bool, d tensor.DType) *mlpSetup {
	s := &mlpSetup{b: 64, d: 784, h: 256, c: 10, lr: 0.01}
	if quick {
		s.b, s.d, s.h = 8, 64, 32
	}
	r := rand.New(rand.NewPCG(14, 15))
	s.labels = make([]int, s.b)
	for i := range s.labels {
		s.labels[i] = r.IntN(s.c)
	}
	scale := func(t *tensor.Tensor, c float64) *tensor.Tensor {
		return tensor.Map(t, func(v float64) float64 { return v * c }).As(d)
	}
	s.x = tensor.RandN(seeded(13), s.b, s.d).As(d)
	s.params = []*tensor.Tensor{
		scale(tensor.RandN(seeded(11), s.d, s.h), 1/math.Sqrt(float64(s.d))),
		scale(tensor.RandN(seeded(12), s.h), 0.1),
		scale(tensor.RandN(seeded(16), s.h, s.c), 1/math.Sqrt(float64(s.h))),
		scale(tensor.RandN(seeded(17), s.c), 0.1),
	}
	return s
}

// mlpLoss returns W3's loss as a function of the parameters.
func (s *mlpSetup) mlpLoss() func(ps []ad.Value) ad.Value {
	x := ad.From(s.x)
	return func(ps []ad.Value) ad.Value {
		h := ad.Tanh(ad.Add(ad.MatMul(x, ps[0]), ps[1]))
		return ad.SoftmaxCrossEntropy(ad.Add(ad.MatMul(h, ps[2]), ps[3]), s.labels)
	}
}

// chainruleStep returns a chainrule training step over its own copy of the
// parameters, and a function giving the loss and gradients at the current
// parameters without updating them.
func (s *mlpSetup) chainruleStep() (step func() float64, grads func() outputs) {
	loss := s.mlpLoss()
	ps := make([]ad.Value, len(s.params))
	for i, p := range s.params {
		ps[i] = ad.From(p.Clone())
	}
	step = func() float64 {
		v, gs := ad.ValueAndGrads(loss, ps...)
		for i, g := range gs {
			ps[i].Tensor().AddScaledInPlace(-s.lr, g.Tensor())
		}
		// the applied gradients' storage serves the next step's (each
		// storage once: gradients may share it)
		seen := map[any]bool{}
		for _, g := range gs {
			if k := g.Tensor().Storage(); !seen[k] {
				seen[k] = true
				tensor.Recycle(g.Tensor())
			}
		}
		return v.Item()
	}
	grads = func() outputs {
		v, gs := ad.ValueAndGrads(loss, ps...)
		var all []float64
		for _, g := range gs {
			all = append(all, flat(g.Tensor())...)
		}
		return outputs{"loss": {v.Item()}, "grad": all}
	}
	return step, grads
}

// compiledStep is chainruleStep through ad.Compile: the loss, the
// gradients and the SGD update are recorded once (with the batch as an
// input) and replayed each step. The timed step's program returns the loss
// and the new parameters only, and takes the old ones as donations
// (Program.Donate), so that a step allocates nothing large; a second
// program, returning the gradients too, serves the verification.
func (s *mlpSetup) compiledStep() (step func() float64, grads func() outputs) {
	x := ad.From(s.x)
	loss := func(ps []ad.Value, x ad.Value) ad.Value {
		h := ad.Tanh(ad.Add(ad.MatMul(x, ps[0]), ps[1]))
		return ad.SoftmaxCrossEntropy(ad.Add(ad.MatMul(h, ps[2]), ps[3]), s.labels)
	}
	ps := make([]ad.Value, len(s.params))
	for i, p := range s.params {
		ps[i] = ad.From(p.Clone())
	}
	negLR := ad.From(s.x.DType().Scalar(-s.lr))
	n := len(ps)
	update := func(withGrads bool) func(in []ad.Value) []ad.Value {
		return func(in []ad.Value) []ad.Value {
			v, gs := ad.ValueAndGrads(func(ps []ad.Value) ad.Value { return loss(ps, in[n]) }, in[:n]...)
			out := []ad.Value{v}
			for i, g := range gs {
				out = append(out, ad.Add(in[i], ad.Mul(g, negLR)))
			}
			if withGrads {
				out = append(out, gs...)
			}
			return out
		}
	}
	inputs := func() []ad.Value { return append(append([]ad.Value(nil), ps...), x) }
	prog := ad.Compile(update(false), inputs()...).Donate(0, 1, 2, 3)
	check := ad.Compile(update(true), inputs()...)
	step = func() float64 {
		outs := prog.Run(inputs()...)
		copy(ps, outs[1:1+n])
		return outs[0].Item()
	}
	grads = func() outputs {
		outs := check.Run(inputs()...)
		var all []float64
		for _, g := range outs[1+n:] {
			all = append(all, flat(g.Tensor())...)
		}
		return outputs{"loss": {outs[0].Item()}, "grad": all}
	}
	return step, grads
}

// handImpl returns the hand-written Go implementation of W3 in s's dtype.
func (s *mlpSetup) handImpl() Impl {
	if s.x.DType() == tensor.Float32 {
		p := s.params
		m := newMLP(s.b, s.d, s.h, s.c, s.x.Data32(), s.labels, p[0].Data32(), p[1].Data32(), p[2].Data32(), p[3].Data32(), float32(s.lr))
		return Impl{Name: "hand-go", Op: func() { m.step(true) }, Outputs: func() outputs {
			l := m.step(false)
			return outputs{"loss": {l}, "grad": m.grads()}
		}}
	}
	p := s.params
	m := newMLP(s.b, s.d, s.h, s.c, s.x.Data(), s.labels, p[0].Data(), p[1].Data(), p[2].Data(), p[3].Data(), s.lr)
	return Impl{Name: "hand-go", Op: func() { m.step(true) }, Outputs: func() outputs {
		l := m.step(false)
		return outputs{"loss": {l}, "grad": m.grads()}
	}}
}

// buildW3: one SGD training step of the MLP, in float32 and float64.
func buildW3(quick bool) []*Case {
	var cases []*Case
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64} {
		s := newMLPSetup(quick, d)
		step, grads := s.chainruleStep()
		cstep, cgrads := s.compiledStep()
		// per row: forward 2DH + 2HC; backward dW1 2DH, dW2 2HC, dA 2HC (no dX)
		flops := float64(s.b) * (4*float64(s.d*s.h) + 6*float64(s.h*s.c))
		cases = append(cases, &Case{
			Name: "W3/" + dtypeName(d), Workload: "W3", DType: d, Flops: flops,
			Desc: fmt.Sprintf("MLP %d→%d→%d tanh, softmax CE, batch %d, SGD lr %g, %s", s.d, s.h, s.c, s.b, s.lr, d),
			Params: map[string]any{"batch": s.b, "in": s.d, "hidden": s.h, "classes": s.c,
				"lr": s.lr, "labels": s.labels, "dtype": d.String()},
			Inputs: map[string]*tensor.Tensor{"x": s.x, "w1": s.params[0], "b1": s.params[1], "w2": s.params[2], "b2": s.params[3]},
			Impls: []Impl{
				{Name: "chainrule", Op: func() { step() }, Outputs: grads},
				{Name: "chainrule/compiled", Op: func() { cstep() }, Outputs: cgrads},
				s.handImpl(),
			},
		})
	}
	return cases
}

// buildW4: a Hessian-vector product of the vector Rosenbrock function,
// forward-over-reverse in chainrule.
func buildW4(quick bool) []*Case {
	n := pick(quick, 100_000, 1_000)
	x, v := tensor.Rand(seeded(2), -1, 1, n), tensor.RandN(seeded(3), n)
	xv, vv := ad.From(x), ad.From(v)
	hv := make([]float64, n)
	prog := ad.Compile(func(in []ad.Value) []ad.Value { return []ad.Value{ad.HVP(rosenN, in[0], in[1])} }, xv, vv)
	return []*Case{{
		Name: "W4", Workload: "W4", DType: tensor.Float64,
		Desc:   fmt.Sprintf("Hessian-vector product of the vector Rosenbrock, n = %d", n),
		Params: map[string]any{"n": n},
		Inputs: map[string]*tensor.Tensor{"x": x, "v": v},
		Impls: []Impl{
			{Name: "chainrule", Op: func() { ad.HVP(rosenN, xv, vv) }, Outputs: func() outputs {
				return outputs{"hvp": flat(ad.HVP(rosenN, xv, vv).Tensor())}
			}},
			{Name: "chainrule/compiled", Op: func() { prog.Run(xv, vv) }, Outputs: func() outputs {
				return outputs{"hvp": flat(prog.Run(xv, vv)[0].Tensor())}
			}},
			{Name: "hand-go", Op: func() { rosenHVP(x.Data(), v.Data(), hv) }, Outputs: func() outputs {
				rosenHVP(x.Data(), v.Data(), hv)
				return outputs{"hvp": append([]float64(nil), hv...)}
			}},
		},
	}}
}

// buildW5: the Jacobian of f(x) = tanh(W·sin x) for a wide and a tall W,
// with chainrule's automatic mode choice and with each mode forced.
func buildW5(quick bool) []*Case {
	big := pick(quick, 1000, 100)
	var cases []*Case
	for _, sz := range [][2]int{{10, big}, {big, 10}} {
		n, m := sz[0], sz[1]
		w, x := tensor.RandN(seeded(5), m, n), tensor.RandN(seeded(6), n)
		wv, xv := ad.From(w), ad.From(x)
		f := func(x ad.Value) ad.Value { return ad.Tanh(ad.MatMul(wv, ad.Sin(x))) }
		jac := func(mode ad.Mode) Impl {
			name := "chainrule"
			if mode != ad.Auto {
				name += "/" + mode.String()
			}
			im := Impl{Name: name, Op: func() { ad.Jacobian(f, xv, mode) }, Outputs: func() outputs {
				j, _ := ad.Jacobian(f, xv, mode)
				return outputs{"jac": flat(j.Tensor())}
			}}
			if mode == ad.Auto {
				im.Note = func() []string {
					_, used := ad.Jacobian(f, xv, ad.Auto)
					return []string{"auto chose " + used.String()}
				}
			}
			return im
		}
		s, y, j := make([]float64, n), make([]float64, m), make([]float64, m*n)
		cases = append(cases, &Case{
			Name: fmt.Sprintf("W5/%dto%d", n, m), Workload: "W5", DType: tensor.Float64,
			Desc:   fmt.Sprintf("Jacobian of tanh(W·sin x), R^%d → R^%d", n, m),
			Params: map[string]any{"n": n, "m": m},
			Inputs: map[string]*tensor.Tensor{"w": w, "x": x},
			Impls: []Impl{jac(ad.Auto), jac(ad.Forward), jac(ad.Reverse),
				{Name: "hand-go", Op: func() { jacTanhWSin(w.Data(), x.Data(), m, n, s, y, j) }, Outputs: func() outputs {
					jacTanhWSin(w.Data(), x.Data(), m, n, s, y, j)
					return outputs{"jac": append([]float64(nil), j...)}
				}},
			},
		})
	}
	return cases
}

// buildW6: the gradient of Σ h_L for h_{k+1} = tanh(W·h_k), recorded plainly,
// with every segment of 32 layers checkpointed, and compiled; reports the
// heap held by the recording after the forward pass.
func buildW6(quick bool) []*Case {
	layers, width, seg := 1000, 256, 32
	if quick {
		layers, width, seg = 50, 32, 8
	}
	w := tensor.Map(tensor.RandN(seeded(8), width, width), func(v float64) float64 { return v / math.Sqrt(float64(width)) })
	h0 := tensor.RandN(seeded(9), width)
	wv, hv := ad.From(w), ad.From(h0)
	layer := func(h ad.Value) ad.Value { return ad.Tanh(ad.MatMul(wv, h)) }
	plain, ckpt := testfunc.TanhChain(layer, layers, seg)
	impl := func(name string, f func([]ad.Value) ad.Value) Impl {
		grad := func() ad.Value { return ad.Grads(f, hv)[0] }
		return Impl{Name: name, Op: func() { grad() },
			Outputs: func() outputs { return outputs{"grad": flat(grad().Tensor())} },
			Held: func() uint64 {
				return heldBy(func() func() {
					y, pull := ad.VJP(f, hv)
					return func() { pull(ad.From(tensor.Ones())); _ = y }
				})
			}}
	}
	// the plain gradient recorded once by Compile and replayed
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return ad.Grads(plain, xs[0]) }, hv)
	var out []ad.Value
	compiled := Impl{Name: "chainrule/compiled", Op: func() { out = prog.AppendRun(out[:0], hv) },
		Outputs: func() outputs { return outputs{"grad": flat(prog.Run(hv)[0].Tensor())} }}
	chain := newTanhChain(w.Data(), width, layers)
	hand := Impl{Name: "hand-go", Op: func() { chain.grad(h0.Data()) },
		Outputs: func() outputs { return outputs{"grad": append([]float64(nil), chain.grad(h0.Data())...)} },
		Held: func() uint64 {
			return heldBy(func() func() {
				c := newTanhChain(w.Data(), width, layers)
				return func() { c.grad(h0.Data()) }
			})
		}}
	return []*Case{{
		Name: "W6", Workload: "W6", DType: tensor.Float64,
		Desc:   fmt.Sprintf("gradient through %d tanh(W·h) layers, width %d, checkpoint segments of %d", layers, width, seg),
		Params: map[string]any{"layers": layers, "width": width, "segment": seg},
		Inputs: map[string]*tensor.Tensor{"w": w, "h0": h0},
		Impls:  []Impl{impl("chainrule", plain), impl("chainrule/checkpoint", ckpt), compiled, hand},
		Finish: func(rows []*Row) {
			p, c := find(rows, "chainrule"), find(rows, "chainrule/checkpoint")
			if p == nil || c == nil {
				return
			}
			pb, cb := p.Metrics["held_bytes"], c.Metrics["held_bytes"]
			if pb > 0 {
				c.metric("held_over_plain", cb/pb, fmt.Sprintf("held %.2f× plain", cb/pb))
			}
			c.metric("time_over_plain", c.Median/p.Median, fmt.Sprintf("time %.2f× plain", c.Median/p.Median))
		},
	}}
}

// buildH100: the full Hessian of the n = 100 Rosenbrock function.
func buildH100(quick bool) []*Case {
	n := pick(quick, 100, 20)
	x := tensor.Rand(seeded(7), -1, 1, n)
	xv := ad.From(x)
	h := make([]float64, n*n)
	return []*Case{{
		Name: "H100", Workload: "H100", DType: tensor.Float64,
		Desc:   fmt.Sprintf("Hessian of the Rosenbrock function, n = %d", n),
		Params: map[string]any{"n": n},
		Inputs: map[string]*tensor.Tensor{"x": x},
		Impls: []Impl{
			{Name: "chainrule", Op: func() { ad.Hessian(rosenN, xv) }, Outputs: func() outputs {
				return outputs{"hess": flat(ad.Hessian(rosenN, xv).Tensor())}
			}},
			{Name: "hand-go", Op: func() { rosenHessian(x.Data(), h) }, Outputs: func() outputs {
				rosenHessian(x.Data(), h)
				return outputs{"hess": append([]float64(nil), h...)}
			}},
		},
	}}
}

// buildGEMM: a square matrix product with tensor.MatMul, in both dtypes;
// rows report GFLOP/s. The description and the "kernel" parameter record
// internal/gemm's kernel for the chainrule row: "cblas" (the system BLAS,
// with go run -tags cblas ./bench), "avx512", "avx2-fma" or "go". In a
// cblas build an extra row, chainrule/builtin, times the package's own
// assembly kernels beside the BLAS.
func buildGEMM(quick bool) []*Case {
	n := pick(quick, 512, 64)
	kernel := kernels.Kernel()
	// own runs f on internal/gemm's own kernels rather than the system BLAS
	// of a cblas build.
	own := func(f func()) {
		saved := kernels.UseCBLAS
		kernels.UseCBLAS = false
		defer func() { kernels.UseCBLAS = saved }()
		f()
	}
	var cases []*Case
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		a, b := d.RandN(seeded(21), n, n), d.RandN(seeded(22), n, n)
		impls := []Impl{{Name: "chainrule", Op: func() { tensor.MatMul(a, b) }, Outputs: func() outputs {
			return outputs{"c": flat(tensor.MatMul(a, b))}
		}}}
		if kernel == "cblas" && kernels.HasAsm() {
			impls = append(impls, Impl{Name: "chainrule/builtin", Op: func() { own(func() { tensor.MatMul(a, b) }) }, Outputs: func() outputs {
				var c *tensor.Tensor
				own(func() { c = tensor.MatMul(a, b) })
				return outputs{"c": flat(c)}
			}})
		}
		impls = append(impls, Impl{Name: "chainrule/go-kernel", Op: func() { own(func() { portable(func() { tensor.MatMul(a, b) }) }) }, Outputs: func() outputs {
			var c *tensor.Tensor
			own(func() { portable(func() { c = tensor.MatMul(a, b) }) })
			return outputs{"c": flat(c)}
		}})
		cases = append(cases, &Case{
			Name: "GEMM/" + dtypeName(d), Workload: "GEMM", DType: d, Flops: 2 * float64(n) * float64(n) * float64(n),
			Desc:   fmt.Sprintf("%d×%d matrix product, %s, %s kernel", n, n, d, kernel),
			Params: map[string]any{"n": n, "dtype": d.String(), "kernel": kernel},
			Inputs: map[string]*tensor.Tensor{"a": a, "b": b},
			Impls:  impls,
		})
	}
	return cases
}

// portable runs f with internal/gemm's portable Go micro-kernels instead
// of the assembly ones, to show the fallback path's speed.
func portable(f func()) {
	saved := kernels.UseAsm
	kernels.UseAsm = false
	defer func() { kernels.UseAsm = saved }()
	f()
}

// buildW7: many consecutive W3 float32 training steps in chainrule,
// checking that resident memory and the Go heap stay flat.
func buildW7(quick bool) []*Case {
	steps := pick(quick, 10_000, 200)
	return []*Case{{
		Name: "W7", Workload: "W7", DType: tensor.Float32, NoPeers: true,
		Desc:    fmt.Sprintf("%d consecutive W3 float32 training steps in chainrule: RSS and Go heap", steps),
		Params:  map[string]any{"steps": steps},
		Special: func() []*Row { return soak(quick, steps) },
	}}
}
