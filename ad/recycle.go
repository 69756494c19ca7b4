package ad

import "github.com/chainrule/chainrule/tensor"

// Recycling adjoints: a reverse sweep over tensors creates a cotangent for
// every node and a sum for every fan-out, each a fresh array, and drops
// each once the node is done. Handing those arrays back to package
// tensor's storage cache as they die (tensor.Recycle) lets the next
// kernels of the sweep — and the next forward pass — reuse them at once,
// as PyTorch's caching allocator does, instead of taking fresh,
// page-faulting memory from the runtime or waiting for the garbage
// collector to find them dead (which also returns them to the cache).
// The sweep counts, per storage, the adjoints holding it; storage is
// recycled when the count drops to zero, unless the sweep did not create
// it: forward values, the seed, anything a custom rule or checkpoint (user
// code) saw or returned, and the gradients handed back to the caller are
// never recycled. A first-order sweep takes part, and so does a sweep
// nested in one JVP (forward over reverse, see below); once a tracer of
// any other trace appears, a constant combined with it may be captured by
// that trace's tape, and the sweep stops recycling.

// recycling turns adjoint recycling on; tests turn it off to compare.
var recycling = true

// recycler is the bookkeeping of one sweep.
type recycler struct {
	keep  map[any]bool  // storage (or duals) the sweep must not recycle
	refs  map[any]int32 // storage (or dual) → adjoints holding it
	leaf  map[int32]bool
	outer *trace // the JVP trace whose tracers the sweep handles, if any
	off   bool   // a tracer of another trace appeared: recycle nothing more
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

// Nested sweeps: under forward-over-reverse (HVP = JVP of Grad) the
// forward values, adjoints and local derivatives of the inner sweep are
// tracers of one outer JVP trace, each a primal-tangent pair of
// constants. The sweep counts such a tracer by its dual (dualKey); when no
// adjoint holds it any more and it is a temporary of the sweep, the JVP
// trace recycles the dual's storage (releaseDual) if no other dual slot,
// kept value or input shares it. A tracer of any other trace (a further
// level of nesting, Vmap, Compile) turns recycling off for the rest of the
// sweep.

// dualKey identifies a dual of a JVP trace.
type dualKey struct {
	t   *trace
	idx int32
}

// key returns the key under which the sweep counts v: its storage for a
// constant holding a tensor, its dual for a tensor tracer of the outer JVP
// trace, nil otherwise (turning recycling off for another tracer).
func (r *recycler) key(v Value) any {
	if v.tc == nil {
		return concreteStorage(v)
	}
	if v.tc.kind != jvpTrace || (r.outer != nil && r.outer != v.tc) {
		r.off = true
		return nil
	}
	if v.flat() {
		return nil // an inline number: no storage
	}
	d := v.tc.duals[v.idx()/chunk][v.idx()%chunk]
	if d.primal.tc != nil || d.tangent.tc != nil {
		r.off = true // nested deeper
		return nil
	}
	r.outer = v.tc
	return dualKey{v.tc, v.idx()}
}

// storages returns the storage keys v holds: a constant's, or a dual's
// primal and tangent (nil where there is none).
func storages(v Value) [2]any {
	if v.tc == nil {
		return [2]any{concreteStorage(v)}
	}
	if v.flat() || v.tc.kind != jvpTrace {
		return [2]any{}
	}
	d := v.tc.duals[v.idx()/chunk][v.idx()%chunk]
	return [2]any{concreteStorage(d.primal), concreteStorage(d.tangent)}
}

// shares reports whether v and w hold some storage in common.
func shares(v, w Value) bool {
	sv, sw := storages(v), storages(w)
	for _, a := range sv {
		for _, b := range sw {
			if a != nil && a == b {
				return true
			}
		}
	}
	return false
}

// newRecycler returns the bookkeeping for a sweep from node out with the
// given seed, keeping the forward values of nodes 0…out and the seed. It
// returns nil if the sweep cannot recycle (nested under a trace other than
// one JVP trace).
func newRecycler(t *trace, out int32, seed Value, leaves []int32) *recycler {
	// sized for the forward values pinned below (about two storages a
	// node), so that the map does not grow step by step
	r := &recycler{keep: make(map[any]bool, 2*int(out+1)), refs: map[any]int32{}, leaf: map[int32]bool{}}
	for i := int32(0); i <= out; i++ {
		n := t.node(i)
		if n.ext == nil {
			continue
		}
		for _, a := range n.ext.args {
			r.pin(a)
		}
		r.pin(n.ext.out)
		if r.off {
			return nil // nested under another trace
		}
	}
	r.pin(seed)
	r.hold(seed)
	for _, l := range leaves {
		r.leaf[l] = true
	}
	return r
}

// pin marks v's storage as never to be recycled; for a tracer, also its
// dual and its primal's storage, which constants may share.
func (r *recycler) pin(v Value) {
	if v.tc != nil {
		if k := r.key(v); k != nil {
			r.keep[k] = true
		}
	}
	for _, k := range storages(v) {
		if k != nil {
			r.keep[k] = true
		}
	}
	if k := concreteStorage(v); k != nil {
		r.keep[k] = true
	}
}

// hold counts one more adjoint holding v.
func (r *recycler) hold(v Value) {
	if k := r.key(v); k != nil {
		r.refs[k]++
	}
}

// drop counts one adjoint fewer holding v, recycling it when none is left.
func (r *recycler) drop(v Value) {
	k := r.key(v)
	if k == nil {
		return
	}
	if r.refs[k]--; r.refs[k] <= 0 {
		delete(r.refs, k)
		r.free(k, v)
	}
}

// free recycles v (whose key is k) unless the sweep must keep it.
func (r *recycler) free(k any, v Value) {
	if r.off || r.keep[k] {
		return
	}
	if d, ok := k.(dualKey); ok {
		d.t.releaseDual(d.idx, r.keep)
		return
	}
	if r.outer != nil && r.outer.slots[k] > 0 {
		return // a dual of the outer trace holds it too
	}
	tensor.Recycle(v.t)
}

// release recycles v, a temporary of the sweep that went into result,
// unless an adjoint holds it, it shares storage with result, or the sweep
// must keep it. A nil r does nothing.
func (r *recycler) release(v, result Value) {
	if r == nil {
		return
	}
	k, kr := r.key(v), r.key(result)
	if r.off || k == nil || k == kr || r.refs[k] != 0 || shares(v, result) {
		return
	}
	r.free(k, v)
}

// replace records that an adjoint went from old to sum = old + g: sum is
// held, old dropped, and g, if it is a temporary no adjoint holds,
// recycled.
func (r *recycler) replace(old, g, sum Value) {
	r.hold(sum)
	if !old.IsZero() {
		r.drop(old)
	}
	if k := r.key(g); !r.off && k != nil && k != r.key(sum) && r.refs[k] == 0 && !shares(g, sum) {
		r.free(k, g)
	}
}

// countDual counts the dual slots holding the storage of a new dual's
// primal and tangent, for releaseDual.
func (t *trace) countDual(primal, tangent Value) {
	for _, v := range [2]Value{primal, tangent} {
		if k := storage(v); k != nil {
			if t.slots == nil {
				t.slots = map[any]int32{}
			}
			t.slots[k]++
		}
	}
}

// releaseDual recycles the storage of dual i of JVP trace t, which the
// caller (a nested sweep) knows to be dead: each of its primal and tangent
// that no other dual slot holds, that no kept value (exposed to user
// code, an input, a constant from outside) shares and that the sweep does
// not keep. A slot that others share is only uncounted, so that the last
// holder to die recycles it.
func (t *trace) releaseDual(i int32, keep map[any]bool) {
	if t.released == nil {
		t.released = map[int32]bool{}
	}
	if t.released[i] {
		return
	}
	t.released[i] = true
	d := &t.duals[i/chunk][i%chunk]
	var exposed map[any]bool
	for _, v := range [2]*Value{&d.primal, &d.tangent} {
		k := storage(*v)
		if k == nil {
			continue
		}
		if t.slots[k]--; t.slots[k] > 0 || keep[k] {
			continue
		}
		delete(t.slots, k)
		if exposed == nil {
			exposed = t.exposedSet()
		}
		if !exposed[k] {
			tensor.Recycle(v.t) // empties the tensor: recycleDuals skips it
		}
	}
}

// exposedSet returns the storage keys of the tensors t exposed.
func (t *trace) exposedSet() map[any]bool {
	t.expMu.Lock()
	defer t.expMu.Unlock()
	m := make(map[any]bool, len(t.exposed))
	for _, e := range t.exposed {
		if k := e.Storage(); k != nil {
			m[k] = true
		}
	}
	return m
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
		if t.released[i] {
			// a nested sweep released it (releaseDual): its storage went
			// back with the last dual slot holding it, and may hold
			// another value now; this header may be a stale view of it
			continue
		}
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
