package sparse

import (
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/ad"
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
	// gathering function
	extra  []ad.Value
	gather func(c *call) func(lo, hi int)
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

// put gives c back, holding on to none of the call's values. (The
// outputs are not recycled: one may be a constant of the program, the
// product with a quadratic's Hessian say.)
func (cs *calls) put(c *call) {
	clear(c.out)
	clear(c.b)
	c.in[0], c.dst = ad.Value{}, nil
	if !cs.spare.CompareAndSwap(nil, c) {
		cs.pool.Put(c)
	}
}
