package main

import (
	"fmt"
	"strings"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// W8: one training step of a LeNet-5-style CNN built from package nn's
// layers (1×28×28 input, conv 6@5×5, ReLU, max-pool 2, conv 16@5×5, ReLU,
// max-pool 2, 256→120→84→10 with ReLU), softmax cross-entropy, float32,
// SGD with momentum 0.9. Every implementation starts from the same
// weights (nn's PyTorch-style initialization from one seed) and data.

// w8Setup holds W8's sizes, data and hyperparameters.
type w8Setup struct {
	b        int
	x        *tensor.Tensor
	labels   []int
	lr, mom  float64
	initial  map[string]*tensor.Tensor // the initial weights by nn name
	paramOrd []string                  // nn.Params order
}

// newW8Model returns the network with its initial weights, in float32.
func newW8Model() nn.Sequential {
	r := seeded(81)
	m := nn.Sequential{
		nn.NewConv2D(r, 1, 6, [2]int{5, 5}, ad.ConvConfig{}, true), nn.Func(ad.Relu), &nn.MaxPool2D{Kernel: [2]int{2, 2}},
		nn.NewConv2D(r, 6, 16, [2]int{5, 5}, ad.ConvConfig{}, true), nn.Func(ad.Relu), &nn.MaxPool2D{Kernel: [2]int{2, 2}},
		nn.Flatten{},
		nn.NewLinear(r, 256, 120, true), nn.Func(ad.Relu),
		nn.NewLinear(r, 120, 84, true), nn.Func(ad.Relu),
		nn.NewLinear(r, 84, 10, true),
	}
	nn.To(m, tensor.Float32)
	return m
}

func newW8Setup(quick bool) *w8Setup {
	s := &w8Setup{b: pick(quick, 64, 8), lr: 0.01, mom: 0.9}
	s.x = tensor.Float32.RandN(seeded(82), s.b, 1, 28, 28)
	r := seeded(83)
	s.labels = make([]int, s.b)
	for i := range s.labels {
		s.labels[i] = r.IntN(10)
	}
	m := newW8Model()
	s.initial = nn.StateDict(m)
	for _, p := range nn.Params(m) {
		s.paramOrd = append(s.paramOrd, p.Name)
	}
	return s
}

// w8Outputs returns the loss and the gradients concatenated in Params order.
func w8Outputs(loss float64, grads []*tensor.Tensor) outputs {
	var all []float64
	for _, g := range grads {
		all = append(all, flat(g)...)
	}
	return outputs{"loss": {loss}, "grad": all}
}

// eager returns the step through nn's Ctx.ValueAndGrads and optim.SGD.
func (s *w8Setup) eager() Impl {
	m := newW8Model()
	opt := optim.NewSGD(nn.Params(m), s.lr)
	opt.Momentum = s.mom
	x := ad.From(s.x)
	return eagerStep(opt, func(c *nn.Ctx) ad.Value { return ad.SoftmaxCrossEntropy(m.Forward(c, x), s.labels) })
}

// eagerStep returns the "chainrule" step of a model trained by opt: the
// loss and its gradients with respect to opt's parameters through
// nn.Ctx.ValueAndGrads in training mode, then opt's step.
func eagerStep(opt optim.Optimizer, loss func(c *nn.Ctx) ad.Value) Impl {
	params := opt.Params()
	train := &nn.Ctx{Train: true}
	return Impl{Name: "chainrule",
		Op: func() {
			_, grads := train.ValueAndGrads(params, loss)
			opt.Step(grads)
		},
		Outputs: func() outputs { return w8Outputs(train.ValueAndGrads(params, loss)) }}
}

// compiled returns the step with the loss and gradients compiled (the
// parameters and the batch are the program's inputs) and optim.SGD
// applying them.
func (s *w8Setup) compiled() Impl {
	m := newW8Model()
	params := nn.Params(m)
	opt := optim.NewSGD(params, s.lr)
	opt.Momentum = s.mom
	return compiledStep(opt, []*tensor.Tensor{s.x}, func(c *nn.Ctx, in []ad.Value) ad.Value {
		return ad.SoftmaxCrossEntropy(m.Forward(c, in[0]), s.labels)
	})
}

// compiledStep returns the "chainrule/compiled" step of a model trained by
// opt: loss (of the model's forward pass in context c on the data ins)
// and its gradients are compiled once, with opt's parameters (bound in c
// through Ctx.Bind) and ins as the program's inputs; each step runs the
// program and applies the gradients with opt.
func compiledStep(opt optim.Optimizer, ins []*tensor.Tensor, loss func(c *nn.Ctx, ins []ad.Value) ad.Value) Impl {
	params := opt.Params()
	n := len(params)
	in := make([]ad.Value, n+len(ins))
	for i, p := range params {
		in[i] = ad.From(p.T)
	}
	for i, t := range ins {
		in[n+i] = ad.From(t)
	}
	train := &nn.Ctx{Train: true}
	prog := ad.Compile(func(in []ad.Value) []ad.Value {
		v, gs := ad.ValueAndGrads(func(ps []ad.Value) ad.Value {
			return loss(train.Bind(params, ps), in[n:])
		}, in[:n]...)
		return append([]ad.Value{v}, gs...)
	}, in...)
	var out []ad.Value
	grads := make([]*tensor.Tensor, n)
	run := func() float64 {
		out = prog.AppendRun(out[:0], in...)
		for i := range grads {
			grads[i] = out[1+i].Tensor()
		}
		return out[0].Item()
	}
	return Impl{Name: "chainrule/compiled",
		Op: func() {
			run()
			opt.Step(grads)
		},
		Outputs: func() outputs { return w8Outputs(run(), grads) }}
}

// buildW8: the LeNet-5 training step.
func buildW8(quick bool) []*Case {
	s := newW8Setup(quick)
	inputs := map[string]*tensor.Tensor{"x": s.x}
	for name, t := range s.initial {
		inputs["p_"+strings.ReplaceAll(name, ".", "_")] = t
	}
	// multiply-adds per example: conv1 6·24²·25, conv2 16·8²·150, fc 256·120 + 120·84 + 84·10;
	// a step is the forward pass, the weight gradients and the input
	// gradients of every layer but the first: 2 FLOPs each
	conv1, rest := 6*24*24*25.0, 16*8*8*150.0+256*120+120*84+84*10
	flops := float64(s.b) * 2 * (2*conv1 + 3*rest)
	return []*Case{{
		Name: "W8/f32", Workload: "W8", DType: tensor.Float32, Flops: flops,
		Desc: fmt.Sprintf("LeNet-5 CNN training step (conv 6@5×5, pool, conv 16@5×5, pool, 120, 84, 10; ReLU), batch %d, float32, SGD lr %g momentum %g", s.b, s.lr, s.mom),
		Params: map[string]any{"batch": s.b, "labels": s.labels, "lr": s.lr, "momentum": s.mom,
			"params": s.paramOrd, "dtype": "float32"},
		Inputs: inputs,
		Impls:  []Impl{s.eager(), s.compiled()},
	}}
}
