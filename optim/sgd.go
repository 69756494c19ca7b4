package optim

import (
	"math"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/tensor"
)

// SGD is stochastic gradient descent with optional momentum, dampening,
// Nesterov momentum and L2 weight decay, as torch.optim.SGD (PyTorch 1.13).
// For each parameter p with gradient g, a step computes
//
//	g ← −g                      if Maximize
//	g ← g + WeightDecay·p       if WeightDecay ≠ 0
//	b ← g (first step), else b ← Momentum·b + (1−Dampening)·g   if Momentum ≠ 0
//	g ← g + Momentum·b (Nesterov), else g ← b                   if Momentum ≠ 0
//	p ← p − LR·g
//
// The momentum buffer b is created on a parameter's first step as a copy of
// g, so dampening does not apply to the first step, as in PyTorch.
//
// The fields may be changed between steps. Step panics with tensor.ErrArg
// for a negative LR, Momentum or WeightDecay, or for Nesterov without
// positive momentum and zero dampening (PyTorch's checks).
type SGD struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64
	Nesterov    bool
	Maximize    bool

	params []Param
	buf    [][]*tensor.Tensor // buf[i][0]: the momentum buffer, nil until the first step with momentum
}

var sgdSpec = stateSpec{op: "SGD", buffers: []string{"momentum_buffer"}}

// NewSGD returns plain SGD with learning rate lr over params, with PyTorch's
// defaults (no momentum, dampening or weight decay); set the fields for
// more. It panics with tensor.ErrArg for a nil tensor, an empty or
// repeated name, or a tensor given twice.
func NewSGD(params []Param, lr float64) *SGD {
	ps := checkParams("optim.NewSGD", params)
	return &SGD{LR: lr, params: ps, buf: newBufs(len(ps), 1)}
}

func newBufs(n, k int) [][]*tensor.Tensor {
	b := make([][]*tensor.Tensor, n)
	for i := range b {
		b[i] = make([]*tensor.Tensor, k)
	}
	return b
}

// Params returns a copy of the parameters, in the order Step expects their
// gradients.
func (o *SGD) Params() []Param { return append([]Param(nil), o.params...) }

// LearningRate returns LR.
func (o *SGD) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *SGD) SetLearningRate(lr float64) { o.LR = lr }

// Step updates every parameter in place from its gradient (grads[i] for
// Params()[i]; nil skips the parameter). It panics with tensor.ErrArg for a
// wrong number of gradients or invalid hyperparameters, tensor.ErrShape or
// tensor.ErrDType for a gradient that does not match its parameter's shape
// or dtype, naming the parameter. After a parameter's first step, Step
// allocates nothing.
func (o *SGD) Step(grads []*tensor.Tensor) {
	const op = "optim.SGD"
	checkHyper(op, "learning rate", o.LR, 0, math.NaN())
	checkHyper(op, "momentum", o.Momentum, 0, math.NaN())
	checkHyper(op, "weight decay", o.WeightDecay, 0, math.NaN())
	if math.IsNaN(o.Dampening) {
		tensor.Panicf(tensor.ErrArg, op, "invalid dampening NaN")
	}
	if o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0) {
		tensor.Panicf(tensor.ErrArg, op, "Nesterov momentum requires a momentum and zero dampening (have momentum %v, dampening %v)", o.Momentum, o.Dampening)
	}
	checkGrads(op, o.params, grads)
	for i, g := range grads {
		if g == nil {
			continue
		}
		p := o.params[i].T
		first := false
		if o.Momentum != 0 && o.buf[i][0] == nil {
			o.buf[i][0] = zerosLike(p)
			first = true
		}
		b := o.buf[i][0]
		if o.Momentum == 0 {
			b = nil
		}
		if p.DType() == tensor.Float32 {
			sgdKernel(o, first, p.Data32(), g.Data32(), data32(b))
		} else {
			sgdKernel(o, first, p.Data(), g.Data(), data64(b))
		}
	}
}

func data64(t *tensor.Tensor) []float64 {
	if t == nil {
		return nil
	}
	return t.Data()
}

func data32(t *tensor.Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Data32()
}

// sgdKernel is one SGD step on one parameter, in T's precision, with the
// operations in torch's order: d = g + wd·p; b = m·b + (1−damp)·d; d = d +
// m·b (Nesterov); p = p + (−lr)·d. buf is nil without momentum.
func sgdKernel[T tensor.Float](o *SGD, first bool, p, g, buf []T) {
	lr, wd, m, damp1 := T(-o.LR), T(o.WeightDecay), T(o.Momentum), T(1-o.Dampening)
	useWD, maximize, nesterov, hasBuf := o.WeightDecay != 0, o.Maximize, o.Nesterov, len(buf) > 0
	if p32, ok := any(p).([]float32); ok && hasBuf && !first && !useWD && !maximize && !nesterov {
		// the common float32 case (plain momentum): the same operations
		// in the same order, four lanes at a time
		kernel.MomentumStep32(p32, any(g).([]float32), any(buf).([]float32), float32(m), float32(damp1), float32(lr))
		return
	}
	if hasBuf {
		buf = buf[:len(p)] // bounds hint
	}
	g = g[:len(p)]
	for k, pk := range p {
		d := g[k]
		if maximize {
			d = -d
		}
		if useWD {
			d += wd * pk
		}
		if hasBuf {
			if first {
				buf[k] = d
			} else {
				buf[k] = buf[k]*m + damp1*d
			}
			if nesterov {
				d += m * buf[k]
			} else {
				d = buf[k]
			}
		}
		p[k] = pk + lr*d
	}
}

// State returns a copy of the optimizer's state: for each parameter that
// has one, its momentum buffer as "<name>.momentum_buffer" (the parameter's
// shape and dtype). Together with the hyperparameter fields it determines
// the next steps exactly.
func (o *SGD) State() map[string]*tensor.Tensor {
	return sgdSpec.export(o.params, o.buf, nil)
}

// SetState replaces the optimizer's state by a copy of state, as returned
// by State (of this optimizer or one with parameters of the same names,
// shapes and dtypes). A parameter without entries starts afresh. It returns
// an error, changing nothing, for an entry that names no parameter or does
// not match its parameter's shape or dtype.
func (o *SGD) SetState(state map[string]*tensor.Tensor) error {
	return sgdSpec.load(state, o.params, o.buf, nil, func(string) bool { return true })
}
