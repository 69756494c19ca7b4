package ad

import "github.com/chainrule/chainrule/tensor"

// Recycling adjoints: a reverse sweep over tensors creates a cotangent for
// every node and a sum for every fan-out, each a fresh array, and drops
// each once the node is done. Handing those arrays back to package
// tensor's storage cache as they die (tensor.Recycle) lets the next
// kernels of the sweep — and the next forward pass — reuse them at once,
// as PyTorch's caching allocator does, instead of taking fresh,
// page-faulting memory from the runtime or waiting for the garbage
// collector to find them dead (which also returns them to the cache). The sweep counts, per storage, the adjoints holding it; storage is
// recycled when the count drops to zero, unless the sweep did not create
// it: forward values, the seed, anything a custom rule or checkpoint (user
// code) saw or returned, and the gradients handed back to the caller are
// never recycled. Only a first-order sweep takes part: once a tracer of
// another trace appears (nested differentiation), a constant combined
// with it may be captured by that trace's tape, and the sweep stops
// recycling.

// recycling turns adjoint recycling on; tests turn it off to compare.
var recycling = true

// recycler is the bookkeeping of one sweep.
type recycler struct {
	keep map[any]bool  // storage the sweep must not recycle
	refs map[any]int32 // storage → adjoints holding it
	leaf map[int32]bool
	off  bool // a tracer appeared: recycle nothing more
}

// storage returns the key of v's storage if v may take part: a constant
// holding a tensor.
func storage(v Value) any {
	if v.tc != nil {
		return nil
	}
	return concreteStorage(v)
}

// concreteStorage returns the key of the storage of v's concrete tensor
// (for a tracer, its primal's, which constants may share), or nil for an
// inline scalar or the zero Value.
func concreteStorage(v Value) any {
	if v.t == nil || v.t == scalarT {
		return nil
	}
	return v.t.Storage()
}

// newRecycler returns the bookkeeping for a sweep from node out with the
// given seed, keeping the forward values of nodes 0…out and the seed.
func newRecycler(t *trace, out int32, seed Value, leaves []int32) *recycler {
	r := &recycler{keep: map[any]bool{}, refs: map[any]int32{}, leaf: map[int32]bool{}}
	for i := int32(0); i <= out; i++ {
		n := t.node(i)
		if n.ext == nil {
			continue
		}
		for _, a := range n.ext.args {
			if a.tc != nil {
				return nil // nested under another trace
			}
			r.pin(a)
		}
		r.pin(n.ext.out)
	}
	r.pin(seed)
	r.hold(seed)
	for _, l := range leaves {
		r.leaf[l] = true
	}
	return r
}

// pin marks v's storage as never to be recycled; for a tracer, that of
// its primal, which constants may share.
func (r *recycler) pin(v Value) {
	if k := concreteStorage(v); k != nil {
		r.keep[k] = true
	}
}

// hold counts one more adjoint holding v's storage.
func (r *recycler) hold(v Value) {
	if k := storage(v); k != nil {
		r.refs[k]++
	}
}

// drop counts one adjoint fewer holding v's storage, recycling it when
// none is left.
func (r *recycler) drop(v Value) {
	k := storage(v)
	if k == nil {
		return
	}
	if r.refs[k]--; r.refs[k] <= 0 {
		delete(r.refs, k)
		r.free(k, v)
	}
}

// free recycles v (whose storage is k) unless the sweep must keep it.
func (r *recycler) free(k any, v Value) {
	if !r.off && !r.keep[k] {
		tensor.Recycle(v.t)
	}
}

// release recycles v, a temporary of the sweep that went into result,
// unless an adjoint holds its storage or the sweep must keep it. A nil r
// does nothing.
func (r *recycler) release(v, result Value) {
	if r == nil {
		return
	}
	if v.tc != nil || result.tc != nil {
		r.off = true // an outer trace may have captured v
		return
	}
	if k := storage(v); k != nil && k != storage(result) && r.refs[k] == 0 {
		r.free(k, v)
	}
}

// replace records that an adjoint went from old to sum = old + g: sum is
// held, old dropped, and g, if it is a temporary no adjoint holds,
// recycled.
func (r *recycler) replace(old, g, sum Value) {
	if old.tc != nil || g.tc != nil || sum.tc != nil {
		r.off = true
	}
	r.hold(sum)
	if !old.IsZero() {
		r.drop(old)
	}
	if k := storage(g); k != nil && k != storage(sum) && r.refs[k] == 0 {
		r.free(k, g)
	}
}

// kept returns the set of storage keys a finished transformation must not
// recycle: that of the given values and of the tensors it exposed.
func (t *trace) kept(groups ...[]Value) map[any]bool {
	keep := map[any]bool{}
	for _, vs := range groups {
		for _, v := range vs {
			if k := concreteStorage(v); k != nil {
				keep[k] = true
			}
		}
	}
	for _, e := range t.exposed {
		if k := e.Storage(); k != nil {
			keep[k] = true
		}
	}
	return keep
}

// recycleForward hands back the storage of the forward values of a
// finished first-order Grad — every node's result — except what may
// outlive it: the inputs xs, the gradients gs and the value y, constants
// the function captured, values handed out by Tensor or StopGradient while
// recording, and whatever user code (custom rules, checkpoints) saw or
// returned. Storage shared by views is recycled once. Tracers of the trace
// that escaped the function then panic when used (see Value.live). It does
// nothing under nesting, when values are tracers of an outer trace.
func (t *trace) recycleForward(xs, gs []Value, y Value) {
	if !t.tensors {
		return
	}
	keep := t.kept(xs, gs, []Value{y})
	pin := func(v Value) {
		if k := concreteStorage(v); k != nil {
			keep[k] = true
		}
	}
	for i := int32(0); i < t.n; i++ {
		n := t.node(i)
		if n.ext == nil {
			continue // a scalar node, or an input
		}
		o := n.ext
		if o.out.tc != nil {
			return // nested under another trace
		}
		user := n.p == nil || n.p.full != nil
		for j, a := range o.args {
			if a.tc != nil {
				return
			}
			if user || o.parents[j] < 0 {
				pin(a)
			}
		}
		if user {
			pin(o.out)
		}
	}
	var dead []*tensor.Tensor
	for i := int32(0); i < t.n; i++ {
		n := t.node(i)
		if n.ext == nil {
			continue
		}
		if k := concreteStorage(n.ext.out); k != nil && !keep[k] {
			keep[k] = true // once per storage
			dead = append(dead, n.ext.out.t)
		}
	}
	for _, d := range dead {
		tensor.Recycle(d)
	}
	t.freed = len(dead) > 0
}

// Recycling duals: a JVP's tracers pair a primal with a tangent, each a
// fresh array for a tensor op, and none outlives the JVP except its
// result. When the function returns, recycleDuals hands their storage back
// to package tensor's cache, so that the next forward-mode pass — a
// Hessian-vector product run in a loop, say — takes memory that is still
// hot instead of fresh pages. Kept: the primals and tangents passed in,
// the result, constants the function combined with tracers, values handed
// out by Tensor or StopGradient, constants made from a dual's storage by a
// non-differentiable op, and whatever user code (custom rules,
// checkpoints) saw or returned; storage shared by views is recycled once.
// Nothing is recycled under nesting, when the duals are tracers of an
// outer trace.

// keep records that the storage of vs must outlive t (for a JVP trace).
func (t *trace) keep(vs ...Value) {
	for _, v := range vs {
		if v.t == nil || v.t == scalarT {
			continue
		}
		t.expMu.Lock()
		t.exposed = append(t.exposed, v.t)
		t.expMu.Unlock()
	}
}

// keepShared keeps out, a constant result of a non-differentiable op, if
// it shares the storage of one of the arguments.
func (t *trace) keepShared(out Value, args []Value) {
	k := storage(out)
	if k == nil {
		return
	}
	for _, a := range args {
		if storage(a) == k {
			t.keep(out)
			return
		}
	}
}

// recycleDuals recycles the storage of the primals and tangents of t, a
// finished JVP trace with the given inputs and result, except what may
// outlive it (see above). Tracers of t that escaped the function then
// panic when read (see Value.live). It reports whether yt's storage is
// the trace's own (shared with nothing kept but yt itself), which the
// caller may recycle once it has read yt.
func (t *trace) recycleDuals(primals, tangents []Value, yp, yt Value) (own bool) {
	if !t.tensors {
		return false
	}
	for i := int32(0); i < t.nd; i++ {
		if d := t.duals[i/chunk][i%chunk]; d.primal.tc != nil || d.tangent.tc != nil {
			return false // nested under another trace
		}
	}
	keep := t.kept(primals, tangents, []Value{yp})
	k := storage(yt)
	own = k != nil && !keep[k]
	if k != nil {
		keep[k] = true
	}
	var dead []*tensor.Tensor
	add := func(v Value) {
		if k := concreteStorage(v); k != nil && !keep[k] {
			keep[k] = true // once per storage
			dead = append(dead, v.t)
		}
	}
	for i := int32(0); i < t.nd; i++ {
		d := t.duals[i/chunk][i%chunk]
		add(d.primal)
		add(d.tangent)
	}
	for _, d := range dead {
		tensor.Recycle(d)
	}
	t.freed = len(dead) > 0
	return own
}

// dropTemp recycles v, a temporary of a forward rule (a local derivative,
// a product or partial sum of tangents) that went into result, if
// recycling is on and no trace can hold it: v and result are constants
// (so that nothing recorded v), and v's storage is neither result's nor
// that of any of the rule's primals, tangents or output, which a local
// derivative may return as it is or as a view.
func dropTemp(v, result Value, prims, tans []Value, out Value) {
	if !recycling || v.tc != nil || result.tc != nil {
		return
	}
	k := storage(v)
	if k == nil || k == storage(result) || k == concreteStorage(out) {
		return
	}
	for _, vs := range [2][]Value{prims, tans} {
		for _, a := range vs {
			if concreteStorage(a) == k {
				return
			}
		}
	}
	tensor.Recycle(v.t)
}
