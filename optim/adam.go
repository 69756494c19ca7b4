package optim

import (
	"math"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/tensor"
)

// Adam is the Adam optimizer (Kingma & Ba, 2015) with optional L2 weight
// decay and the AMSGrad variant, as torch.optim.Adam (PyTorch 1.13). For
// each parameter p with gradient g, step t (counted per parameter from 1)
// computes
//
//	g ← −g                      if Maximize
//	g ← g + WeightDecay·p       if WeightDecay ≠ 0 (L2 penalty, coupled)
//	m ← β₁·m + (1−β₁)·g
//	v ← β₂·v + (1−β₂)·g²
//	v̂ ← max(v̂, v)               if AMSGrad (v̂ is used below in place of v)
//	p ← p − (LR/(1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + Eps)
//
// Eps is added after the bias correction of √v, as PyTorch does (not to
// v̂ₜ inside the square root).
//
// The fields may be changed between steps. Step panics with tensor.ErrArg
// for a negative LR, Eps or WeightDecay, or a beta outside [0, 1).
type Adam struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64
	AMSGrad     bool
	Maximize    bool

	params    []Param
	buf       [][]*tensor.Tensor // exp_avg, exp_avg_sq, max_exp_avg_sq
	steps     []int
	decoupled bool // AdamW
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as
// torch.optim.AdamW (PyTorch 1.13): each step first shrinks the parameter,
// p ← p·(1 − LR·WeightDecay), then applies Adam's update without any
// weight-decay term in the gradient. Its fields and methods are Adam's,
// promoted (errors name optim.AdamW); its default WeightDecay is 0.01.
type AdamW struct{ Adam }

var adamSpec = stateSpec{op: "Adam", buffers: []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, step: true}
var adamWSpec = stateSpec{op: "AdamW", buffers: adamSpec.buffers, step: true}

// NewAdam returns Adam over params with PyTorch's defaults: LR 1e-3, betas
// (0.9, 0.999), Eps 1e-8, no weight decay, no AMSGrad. It panics with
// tensor.ErrArg for a nil tensor, an empty or repeated name, or a tensor
// given twice.
func NewAdam(params []Param) *Adam {
	ps := checkParams("optim.NewAdam", params)
	return &Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		params: ps, buf: newBufs(len(ps), 3), steps: make([]int, len(ps))}
}

// NewAdamW returns AdamW over params with PyTorch's defaults: LR 1e-3,
// betas (0.9, 0.999), Eps 1e-8, WeightDecay 1e-2, no AMSGrad. It panics
// like NewAdam.
func NewAdamW(params []Param) *AdamW {
	ps := checkParams("optim.NewAdamW", params)
	return &AdamW{Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2,
		params: ps, buf: newBufs(len(ps), 3), steps: make([]int, len(ps)), decoupled: true}}
}

func (o *Adam) name() string {
	if o.decoupled {
		return "optim.AdamW"
	}
	return "optim.Adam"
}

func (o *Adam) spec() stateSpec {
	if o.decoupled {
		return adamWSpec
	}
	return adamSpec
}

// Params returns a copy of the parameters, in the order Step expects their
// gradients.
func (o *Adam) Params() []Param { return append([]Param(nil), o.params...) }

// LearningRate returns LR.
func (o *Adam) LearningRate() float64 { return o.LR }

// SetLearningRate sets LR.
func (o *Adam) SetLearningRate(lr float64) { o.LR = lr }

// Step updates every parameter in place from its gradient (grads[i] for
// Params()[i]; nil skips the parameter and does not count a step for it).
// It panics with tensor.ErrArg for a wrong number of gradients or invalid
// hyperparameters, tensor.ErrShape or tensor.ErrDType for a gradient that
// does not match its parameter's shape or dtype, naming the parameter.
// After a parameter's first step, Step allocates nothing.
func (o *Adam) Step(grads []*tensor.Tensor) {
	op := o.name()
	checkHyper(op, "learning rate", o.LR, 0, math.NaN())
	checkHyper(op, "epsilon", o.Eps, 0, math.NaN())
	checkHyper(op, "beta1", o.Beta1, 0, 1)
	checkHyper(op, "beta2", o.Beta2, 0, 1)
	checkHyper(op, "weight decay", o.WeightDecay, 0, math.NaN())
	checkGrads(op, o.params, grads)
	for i, g := range grads {
		if g == nil {
			continue
		}
		p, b := o.params[i].T, o.buf[i]
		for j := 0; j < 2; j++ {
			if b[j] == nil {
				b[j] = zerosLike(p)
			}
		}
		if o.AMSGrad && b[2] == nil {
			b[2] = zerosLike(p)
		}
		var vmax *tensor.Tensor
		if o.AMSGrad {
			vmax = b[2]
		}
		o.steps[i]++
		// scalars as PyTorch computes them, in float64
		t := float64(o.steps[i])
		bc1 := 1 - math.Pow(o.Beta1, t)
		bc2 := 1 - math.Pow(o.Beta2, t)
		stepSize := o.LR / bc1
		bc2Sqrt := math.Sqrt(bc2)
		if p.DType() == tensor.Float32 {
			adamKernel(o, stepSize, bc2Sqrt, p.Data32(), g.Data32(), b[0].Data32(), b[1].Data32(), data32(vmax))
		} else {
			adamKernel(o, stepSize, bc2Sqrt, p.Data(), g.Data(), b[0].Data(), b[1].Data(), data64(vmax))
		}
	}
}

// adamKernel is one Adam or AdamW step on one parameter in T's precision,
// with the operations in torch's order (addcmul: x + (c·a)·b; addcdiv:
// x + (c·a)/b). vmax is nil without AMSGrad.
func adamKernel[T tensor.Float](o *Adam, stepSize, bc2Sqrt float64, p, g, m, v, vmax []T) {
	b1, c1 := T(o.Beta1), T(1-o.Beta1)
	b2, c2 := T(o.Beta2), T(1-o.Beta2)
	wd, eps, bc2s, negStep := T(o.WeightDecay), T(o.Eps), T(bc2Sqrt), T(-stepSize)
	shrink := T(1 - o.LR*o.WeightDecay)
	coupled := !o.decoupled && o.WeightDecay != 0
	decay := o.decoupled && o.WeightDecay != 0
	maximize, ams := o.Maximize, len(vmax) > 0
	if p32, ok := any(p).([]float32); ok && !maximize && !coupled && !ams {
		// the common float32 case (Adam without weight decay, AdamW): the
		// same operations in the same order, four lanes at a time
		c := kernel.AdamConsts{B1: float32(b1), C1: float32(c1), B2: float32(b2), C2: float32(c2),
			Bc2s: float32(bc2s), Eps: float32(eps), NegStep: float32(negStep), Shrink: 1}
		if decay {
			c.Shrink = float32(shrink)
		}
		kernel.AdamStep32(p32, any(g).([]float32), any(m).([]float32), any(v).([]float32), &c)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if ams {
		vmax = vmax[:len(p)]
	}
	for k, pk := range p {
		d := g[k]
		if maximize {
			d = -d
		}
		if coupled {
			d += wd * pk
		}
		if decay {
			pk *= shrink
		}
		mk := m[k]*b1 + c1*d
		vk := v[k]*b2 + c2*d*d
		m[k], v[k] = mk, vk
		if ams {
			vk = max(vmax[k], vk)
			vmax[k] = vk
		}
		denom := T(math.Sqrt(float64(vk)))/bc2s + eps
		p[k] = pk + negStep*mk/denom
	}
}

// State returns a copy of the optimizer's state: for each parameter that
// has taken a step, "<name>.exp_avg" and "<name>.exp_avg_sq" (and
// "<name>.max_exp_avg_sq" with AMSGrad), of the parameter's shape and
// dtype, and "<name>.step", the parameter's step count as a float64
// scalar. Together with the hyperparameter fields it determines the next
// steps exactly.
func (o *Adam) State() map[string]*tensor.Tensor {
	return o.spec().export(o.params, o.buf, o.steps)
}

// SetState replaces the optimizer's state by a copy of state, as returned
// by State (of this optimizer or one with parameters of the same names,
// shapes and dtypes). A parameter without entries starts afresh. It returns
// an error, changing nothing, for an entry that names no parameter or does
// not match its parameter's shape or dtype, for a bad step count, or for a
// parameter whose entries are incomplete.
func (o *Adam) SetState(state map[string]*tensor.Tensor) error {
	return o.spec().load(state, o.params, o.buf, o.steps, func(b string) bool {
		return b == "max_exp_avg_sq" && !o.AMSGrad
	})
}
