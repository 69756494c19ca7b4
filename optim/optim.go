package optim

import (
	"fmt"
	"math"
	"sort"

	"github.com/chainrule/chainrule/tensor"
)

// Param is a named parameter: a tensor that an optimizer updates in place.
// Name is the parameter's stable (typically dotted) name, such as
// "blocks.0.attn.q.weight"; it names the parameter in error messages and
// prefixes the parameter's entries in State.
type Param struct {
	Name string
	T    *tensor.Tensor
}

// Named returns params named "0", "1", … in order, for callers that have
// plain tensors and no names of their own.
func Named(ts ...*tensor.Tensor) []Param {
	ps := make([]Param, len(ts))
	for i, t := range ts {
		ps[i] = Param{Name: fmt.Sprint(i), T: t}
	}
	return ps
}

// Optimizer is what SGD, Adam, AdamW and RMSProp have in common.
//
// Step applies one update: grads[i] is the gradient of the loss with respect
// to the i-th parameter (nil for a parameter without a gradient this step,
// which is then left alone, as PyTorch skips a parameter whose .grad is None).
// LearningRate and SetLearningRate read and set the learning rate, for
// schedules. State and SetState export and restore the optimizer's state.
type Optimizer interface {
	Step(grads []*tensor.Tensor)
	Params() []Param
	LearningRate() float64
	SetLearningRate(lr float64)
	State() map[string]*tensor.Tensor
	SetState(state map[string]*tensor.Tensor) error
}

// checkParams panics with tensor.ErrArg, naming op, for a nil tensor, an
// empty or repeated name, or a tensor given twice (it would be updated
// twice a step); it returns a copy of ps.
func checkParams(op string, ps []Param) []Param {
	seen := make(map[string]bool, len(ps))
	tensors := make(map[*tensor.Tensor]string, len(ps))
	for i, p := range ps {
		if other, ok := tensors[p.T]; ok && p.T != nil {
			tensor.Panicf(tensor.ErrArg, op, "parameters %q and %q are the same tensor", other, p.Name)
		}
		tensors[p.T] = p.Name
		switch {
		case p.T == nil:
			tensor.Panicf(tensor.ErrArg, op, "parameter %d (%q) is a nil tensor", i, p.Name)
		case p.Name == "":
			tensor.Panicf(tensor.ErrArg, op, "parameter %d has no name", i)
		case seen[p.Name]:
			tensor.Panicf(tensor.ErrArg, op, "parameter name %q is used twice", p.Name)
		}
		seen[p.Name] = true
	}
	return append([]Param(nil), ps...)
}

// checkGrads panics, naming op and the parameter, unless grads matches ps:
// tensor.ErrArg for a wrong count, tensor.ErrShape for a gradient whose
// shape differs from its parameter's, tensor.ErrDType for a different dtype.
// A nil gradient is allowed.
func checkGrads(op string, ps []Param, grads []*tensor.Tensor) {
	if len(grads) != len(ps) {
		tensor.Panicf(tensor.ErrArg, op, "%d gradients for %d parameters", len(grads), len(ps))
	}
	for i, g := range grads {
		if g == nil {
			continue
		}
		p := ps[i]
		if !sameShape(p.T.Shape(), g.Shape()) {
			tensor.Panicf(tensor.ErrShape, op, "parameter %q has shape %s but its gradient %s",
				p.Name, tensor.ShapeString(p.T.Shape()), tensor.ShapeString(g.Shape()))
		}
		if p.T.DType() != g.DType() {
			tensor.Panicf(tensor.ErrDType, op, "parameter %q is %v but its gradient %v", p.Name, p.T.DType(), g.DType())
		}
	}
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkHyper panics with tensor.ErrArg, naming op, when v is NaN or below lo
// (or not below hi when hi is not NaN).
func checkHyper(op, name string, v, lo, hi float64) {
	if math.IsNaN(v) || v < lo || (!math.IsNaN(hi) && v >= hi) {
		if math.IsNaN(hi) {
			tensor.Panicf(tensor.ErrArg, op, "invalid %s %v: want at least %v", name, v, lo)
		}
		tensor.Panicf(tensor.ErrArg, op, "invalid %s %v: want %v ≤ %s < %v", name, v, lo, name, hi)
	}
}

// zerosLike returns a zeroed tensor of t's dtype and shape.
func zerosLike(t *tensor.Tensor) *tensor.Tensor {
	return tensor.Empty(t.DType(), append([]int(nil), t.Shape()...))
}

// stateSpec describes the state an optimizer keeps for each parameter: the
// names of its buffers (each of the parameter's shape and dtype) and whether
// it counts steps.
type stateSpec struct {
	op      string
	buffers []string
	step    bool
}

// export returns the state entries of the parameters whose state exists:
// name.buffer for each buffer (a copy), name.step as a float64 scalar.
// bufs[i] holds parameter i's buffers in spec order (nil entries absent).
func (s stateSpec) export(ps []Param, bufs [][]*tensor.Tensor, steps []int) map[string]*tensor.Tensor {
	st := make(map[string]*tensor.Tensor)
	for i, p := range ps {
		for j, b := range bufs[i] {
			if b != nil {
				st[p.Name+"."+s.buffers[j]] = b.Clone()
			}
		}
		if s.step && steps[i] > 0 {
			st[p.Name+".step"] = tensor.Scalar(float64(steps[i]))
		}
	}
	return st
}

// load validates state against ps and, only when all of it is valid, copies
// it into bufs and steps (allocating buffers as needed; parameters with no
// entries get their state reset). optional reports the buffers a parameter
// may lack while having others.
func (s stateSpec) load(state map[string]*tensor.Tensor, ps []Param, bufs [][]*tensor.Tensor, steps []int, optional func(buf string) bool) error {
	used := 0
	type entry struct {
		i, j int
		t    *tensor.Tensor
	}
	var entries []entry
	newSteps := make([]int, len(ps))
	for i, p := range ps {
		have := 0
		for j, b := range s.buffers {
			key := p.Name + "." + b
			t, ok := state[key]
			if !ok {
				continue
			}
			if t == nil {
				return fmt.Errorf("optim: %s: state %q is nil", s.op, key)
			}
			if t.DType() != p.T.DType() {
				return fmt.Errorf("optim: %s: state %q is %v but parameter %q is %v", s.op, key, t.DType(), p.Name, p.T.DType())
			}
			if !sameShape(t.Shape(), p.T.Shape()) {
				return fmt.Errorf("optim: %s: state %q has shape %s but parameter %q has %s", s.op, key,
					tensor.ShapeString(t.Shape()), p.Name, tensor.ShapeString(p.T.Shape()))
			}
			have++
			entries = append(entries, entry{i, j, t})
		}
		used += have
		if s.step {
			key := p.Name + ".step"
			t, ok := state[key]
			if ok {
				used++
				if t == nil || t.Size() != 1 || t.Rank() != 0 {
					return fmt.Errorf("optim: %s: state %q is not a scalar", s.op, key)
				}
				v := t.Item()
				if !(v >= 1 && v <= 1<<53 && v == math.Trunc(v)) {
					return fmt.Errorf("optim: %s: state %q is %v, not a positive step count", s.op, key, v)
				}
				newSteps[i] = int(v)
			}
			if (have > 0) != ok {
				return fmt.Errorf("optim: %s: state of parameter %q is incomplete (buffers and step go together)", s.op, p.Name)
			}
		}
		if have > 0 {
			for _, b := range s.buffers {
				if _, ok := state[p.Name+"."+b]; !ok && !optional(b) {
					return fmt.Errorf("optim: %s: state of parameter %q lacks %q", s.op, p.Name, p.Name+"."+b)
				}
			}
		}
	}
	if used != len(state) {
		var extra []string
		known := make(map[string]bool)
		for _, p := range ps {
			for _, b := range s.buffers {
				known[p.Name+"."+b] = true
			}
			known[p.Name+".step"] = s.step
		}
		for k := range state {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		return fmt.Errorf("optim: %s: state has entries for no parameter: %q", s.op, extra)
	}
	for i := range bufs {
		for j := range bufs[i] {
			bufs[i][j] = nil
		}
	}
	for _, e := range entries {
		bufs[e.i][e.j] = e.t.Clone()
	}
	copy(steps, newSteps)
	return nil
}
