package optim

import (
	"math"

	"github.com/chainrule/chainrule/tensor"
)

// RMSProp is the RMSProp optimizer (Hinton's lecture 6e), with optional
// momentum, centering (Graves, 2013) and L2 weight decay, as
// torch.optim.RMSprop (PyTorch 1.13). For each parameter p with gradient
// g a step computes
//
//	g ← −g                      if Maximize
//	g ← g + WeightDecay·p       if WeightDecay ≠ 0
//	s ← α·s + (1−α)·g²
//	a ← α·a + (1−α)·g;  d ← √(s − a²) + Eps    if Centered
//	d ← √s + Eps                               otherwise
//	b ← Momentum·b + g/d;  p ← p − LR·b        if Momentum > 0
//	p ← p − LR·g/d                             otherwise
//
// with s, a and b starting at zero. Eps is added outside the square root,
// as PyTorch does.
//
// The fields may be changed between steps. Step panics with tensor.ErrArg
// for a negative LR, Alpha, Eps, Momentum or WeightDecay.
type RMSProp struct {
	LR          float64
	Alpha       float64
	Eps         float64
	WeightDecay float64
	Momentum    float64
	Centered    bool
	Maximize    bool

	params []Param
	buf    [][]*tensor.Tensor // square_avg, momentum_buffer, grad_avg
	steps  []int
}

var rmsSpec = stateSpec{op: "RMSProp", buffers: []string{"square_avg", "momentum_buffer", "grad_avg"}, step: true}

// NewRMSProp returns RMSProp over params with PyTorch's defaults: LR 1e-2,
// Alpha 0.99, Eps 1e-8, no weight decay, no momentum, not centered. It
// panics with tensor.ErrArg for a nil tensor, an empty or repeated name,
// or a tensor given twice.
func NewRMSProp(params []Param) *RMSProp {
	ps := checkParams("optim.NewRMSProp", params)
	return &RMSProp{LR: 1e-2, Alpha: 0.99, Eps: 1e-8,
		params: ps, buf: newBufs(len(ps), 3), steps: make([]int, len(ps))}
}

// Params returns a copy of the parameters, in the order Step expects their
// gradients.
func (o *RMSProp) Params() []Param { return append([]Param(nil), o.params...) }

// LearningRate returns LR.
func (o *RMSProp) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *RMSProp) SetLearningRate(lr float64) { o.LR = lr }

// Step updates every parameter in place from its gradient (grads[i] for
// Params()[i]; nil skips the parameter). It panics with tensor.ErrArg for
// a wrong number of gradients or invalid hyperparameters, tensor.ErrShape
// or tensor.ErrDType for a gradient that does not match its parameter's
// shape or dtype, naming the parameter. After a parameter's first step,
// Step allocates nothing.
func (o *RMSProp) Step(grads []*tensor.Tensor) {
	const op = "optim.RMSProp"
	checkHyper(op, "learning rate", o.LR, 0, math.NaN())
	checkHyper(op, "alpha", o.Alpha, 0, math.NaN())
	checkHyper(op, "epsilon", o.Eps, 0, math.NaN())
	checkHyper(op, "momentum", o.Momentum, 0, math.NaN())
	checkHyper(op, "weight decay", o.WeightDecay, 0, math.NaN())
	checkGrads(op, o.params, grads)
	for i, g := range grads {
		if g == nil {
			continue
		}
		p, b := o.params[i].T, o.buf[i]
		if b[0] == nil {
			b[0] = zerosLike(p)
		}
		var mom, avg *tensor.Tensor
		if o.Momentum > 0 {
			if b[1] == nil {
				b[1] = zerosLike(p)
			}
			mom = b[1]
		}
		if o.Centered {
			if b[2] == nil {
				b[2] = zerosLike(p)
			}
			avg = b[2]
		}
		o.steps[i]++
		if p.DType() == tensor.Float32 {
			rmsKernel(o, p.Data32(), g.Data32(), b[0].Data32(), data32(mom), data32(avg))
		} else {
			rmsKernel(o, p.Data(), g.Data(), b[0].Data(), data64(mom), data64(avg))
		}
	}
}

// rmsKernel is one RMSProp step on one parameter in T's precision, with
// the operations in torch's order. mom and avg are nil when unused.
func rmsKernel[T tensor.Float](o *RMSProp, p, g, sq, mom, avg []T) {
	alpha, c := T(o.Alpha), T(1-o.Alpha)
	wd, eps, m, negLR := T(o.WeightDecay), T(o.Eps), T(o.Momentum), T(-o.LR)
	useWD, maximize, centered, hasMom := o.WeightDecay != 0, o.Maximize, avg != nil, mom != nil
	g, sq = g[:len(p)], sq[:len(p)]
	if centered {
		avg = avg[:len(p)]
	}
	if hasMom {
		mom = mom[:len(p)]
	}
	for k, pk := range p {
		d := g[k]
		if maximize {
			d = -d
		}
		if useWD {
			d += wd * pk
		}
		s := sq[k]*alpha + c*d*d
		sq[k] = s
		var den T
		if centered {
			a := avg[k]*alpha + c*d
			avg[k] = a
			den = T(math.Sqrt(float64(s+T(-1)*a*a))) + eps
		} else {
			den = T(math.Sqrt(float64(s))) + eps
		}
		if hasMom {
			b := mom[k]*m + T(1)*d/den
			mom[k] = b
			p[k] = pk + negLR*b
		} else {
			p[k] = pk + negLR*d/den
		}
	}
}

// State returns a copy of the optimizer's state: for each parameter that
// has taken a step, "<name>.square_avg", "<name>.momentum_buffer" (with
// momentum) and "<name>.grad_avg" (centered), of the parameter's shape and
// dtype, and "<name>.step", its step count as a float64 scalar. Together
// with the hyperparameter fields it determines the next steps exactly.
func (o *RMSProp) State() map[string]*tensor.Tensor {
	return rmsSpec.export(o.params, o.buf, o.steps)
}

// SetState replaces the optimizer's state by a copy of state, as returned
// by State (of this optimizer or one with parameters of the same names,
// shapes and dtypes). A parameter without entries starts afresh. It returns
// an error, changing nothing, for an entry that names no parameter or does
// not match its parameter's shape or dtype, for a bad step count, or for a
// parameter whose entries are incomplete.
func (o *RMSProp) SetState(state map[string]*tensor.Tensor) error {
	return rmsSpec.load(state, o.params, o.buf, o.steps, func(b string) bool {
		return (b == "momentum_buffer" && o.Momentum <= 0) || (b == "grad_avg" && !o.Centered)
	})
}
