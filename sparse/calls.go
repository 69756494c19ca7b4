package sparse

import (
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// call is the scratch of one evaluation of a plan: the program's inputs
// and outputs, the outputs' elements, the destination, and the gathering
// function over them, made once per call so that evaluating allocates
// nothing of its own.
type call struct {
	in, out []ad.Value
	b       [][]float64
	dst     []float64
	gather  func(lo, hi int) // dst[lo:hi] from b
}

// calls hands out the scratch of evaluations, so that a plan is safe for
// concurrent use: one call kept aside, which a plan evaluated by one
// goroutine at a time takes and gives back without allocating, and a pool
// for the evaluations that overlap it (as ad.Program does with its
// registers).
type calls struct {
	spare atomic.Pointer[call]
	pool  sync.Pool
	// extra are the program's inputs after x; gather makes a call's
	// gathering function; fresh[o] says that output o is storage of the
	// call's own, recycled when the call is done (see freshOutputs)
	extra  []ad.Value
	gather func(c *call) func(lo, hi int)
	fresh  []bool
}

// freshOutputs runs prog twice on in and sets cs.fresh: an output is fresh
// if each run returns it in storage of its own, neither the other run's
// (a constant of the program, or an input, comes back the same: a
// quadratic's Hessian–vector product, say) nor another output's. A call
// hands fresh outputs back to tensor's storage cache once it has read
// them, so that the next call reuses that storage instead of allocating
// (and zeroing) it anew.
func (cs *calls) freshOutputs(prog *ad.Program, in []ad.Value) {
	a, b := prog.Run(in...), prog.Run(in...)
	cs.fresh = make([]bool, len(a))
	for i := range a {
		cs.fresh[i] = a[i].Tensor().Storage() != b[i].Tensor().Storage()
		for j := range a {
			if j != i && (a[i].Tensor().Storage() == a[j].Tensor().Storage() || b[i].Tensor().Storage() == b[j].Tensor().Storage()) {
				cs.fresh[i] = false
			}
		}
	}
}

// get returns a call whose inputs are x (shape n) then cs.extra, and whose
// destination is dst.
func (cs *calls) get(x []float64, n int, dst []float64) *call {
	c := cs.spare.Swap(nil)
	if c == nil {
		c, _ = cs.pool.Get().(*call)
	}
	if c == nil {
		c = &call{in: make([]ad.Value, 1+len(cs.extra))}
		copy(c.in[1:], cs.extra)
		c.gather = cs.gather(c)
	}
	c.in[0] = ad.New(x, n) // read during the run, not kept (no input is donated)
	c.dst = dst
	return c
}

// run replays prog on c's inputs and sets c.b to the outputs' elements.
func (c *call) run(prog *ad.Program) {
	c.out = prog.AppendRun(c.out[:0], c.in...)
	c.b = c.b[:0]
	for _, o := range c.out {
		c.b = append(c.b, float64s(o.Tensor()))
	}
}

// put recycles c's fresh outputs and gives c back, holding on to none of
// the call's values.
func (cs *calls) put(c *call) {
	for i, o := range c.out {
		if i < len(cs.fresh) && cs.fresh[i] {
			tensor.Recycle(o.Tensor())
		}
	}
	clear(c.out)
	clear(c.b)
	c.in[0], c.dst = ad.Value{}, nil
	if !cs.spare.CompareAndSwap(nil, c) {
		cs.pool.Put(c)
	}
}
