package ad

// The engine: primitives, the kinds of trace, and the reverse sweep.
//
// Every differentiable operation is a prim. Applying one (bind) looks at its
// arguments: if none is a tracer it runs the kernel on the concrete tensors;
// otherwise the innermost trace among them (the one with the highest level)
// processes it. A JVP trace pushes tangents forward through the prim's
// forward rule; a reverse trace records a node on its tape for the reverse
// sweep; a batch trace (Vmap) applies the prim's batching rule to the
// stacked values; Compile's staging trace, below all others, records an
// instruction.
// Either way the prim is first bound again on the arguments' primals,
// one level down, so transformations nest to any depth. Rules are written
// with ad's own ops, so the derivative work is itself recorded by any outer
// trace: that is what makes higher order work.
//
// Levels are unique and increase with every transformation started, so a
// transformation started inside another is always processed first. A value
// of an outer transformation meets an inner one as a constant: no
// perturbation confusion.

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/tensor"
)

// prim is a primitive operation: a kernel and its derivative rules.
//
// Elementwise prims (broadcasting their arguments) give one rule, local: the
// partial derivative of the output with respect to argument i, as a Value of
// the output's shape (or broadcastable to it). The engine multiplies it into
// tangents (forward) and cotangents (reverse), and undoes broadcasting.
// Other prims give jvp and vjp.
type prim struct {
	name string
	impl func(args []*tensor.Tensor, p *params) *tensor.Tensor
	// s1 and s2, if set, are the same kernel on float64 scalars (the fast
	// path for scalar code).
	s1 func(x float64) float64
	s2 func(x, y float64) float64
	// v64 and v32, if set, are the unary kernel on slices (dst, src), which
	// fused groups call a block at a time.
	v64 func(dst, src []float64) []float64
	v32 func(dst, src []float32) []float32

	// local returns ∂out/∂args[i]; identity means the tangent passes
	// unchanged, the zero Value means no dependence.
	local func(i int, args []Value, out Value, p *params) Value

	// jvp returns the output tangent from the argument tangents (zero Value
	// for symbolic zeros). Tangents carry b leading batch dimensions.
	jvp func(tans []Value, args []Value, out Value, p *params, b int) Value
	// vjp returns the cotangent of argument i from the output cotangent ct.
	vjp func(ct Value, i int, args []Value, out Value, p *params) Value
	// perRowVJP marks a vjp rule written for an unbatched cotangent only:
	// under VJPBatch the engine calls it once per cotangent and stacks the
	// results (correct, not fast). A rule that reads its batch axes off
	// ct.Rank() - out.Rank() (see batch.go) leaves it unset.
	perRowVJP bool
	// vjpAll, if set, returns the cotangents of all arguments at once.
	vjpAll func(ct Value, args []Value, out Value) []Value

	// full, if set, replaces bind-then-jvp in a JVP trace (custom rules and
	// checkpoints that compute the primal and the tangent together).
	full func(args, tans []Value, b int) (out, tan Value)

	// vmap, if set, is the batching rule (see vmap.go): p applied to args
	// where those flagged in bat are k values stacked along a leading axis.
	// Elementwise prims need none; a prim with neither runs per element.
	vmap func(p *prim, args []Value, bat []bool, prm *params, k int) Value

	nondiff bool // the output carries no derivative (comparisons)

	// selects has bit i set if the local derivative with respect to
	// argument i is a selection: a finite mask (Where, Relu, Maximum, …) or,
	// for chain_mul, an edge value. Its zeros annihilate: it is the strong
	// operand when multiplied into tangents and cotangents (see smul), so
	// a branch not selected gets exactly 0 in forward and reverse mode even
	// where its own tangent or the incoming adjoint is ±Inf or NaN.
	selects uint8

	// local64 and local32, if set, write into l the local derivative of a
	// unary prim at argument x and output y as a slice kernel, equal bit
	// for bit, element by element, to the local rule's value. The engine
	// multiplies it into a tangent or cotangent a block at a time, in one
	// pass (PyTorch's threshold_backward and tanh_backward), for
	// untraced tensors of the output's shape and dtype (first-order
	// code, where nothing records the local derivative); see
	// chainedLocal.
	local64 func(l, x, y []float64)
	local32 func(l, x, y []float32)
}

// chaining turns the one-pass chain of the local kernels on (tests compare
// it with the two-step chain).
var chaining = true

// chainedLocal returns g times p's local derivative at its one argument
// args[0] = x and the output y, in one pass through p's local kernel, if
// p has one and g, x and y are untraced tensors of y's shape and dtype (g
// without batch dimensions); otherwise ok is false and the caller chains
// the local rule's value.
func chainedLocal(p *prim, g Value, args []Value, y Value) (Value, bool) {
	if p.local64 == nil || !chaining || len(args) != 1 {
		return Value{}, false
	}
	x := args[0]
	if g.tc != nil || x.tc != nil || y.tc != nil || g.t == nil || x.t == nil || y.t == nil ||
		g.isScalar() || x.isScalar() || y.isScalar() {
		return Value{}, false
	}
	d := y.t.DType()
	if g.t.DType() != d || x.t.DType() != d || !sameShape(g.t.Shape(), y.t.Shape()) || !sameShape(x.t.Shape(), y.t.Shape()) {
		return Value{}, false
	}
	z := tensor.Uninitialized(d, slices.Clone(y.t.Shape()))
	sel := p.selects&1 != 0
	if d == tensor.Float32 {
		zd, gd, xd, yd := z.Data32(), g.t.Data32(), x.t.Data32(), y.t.Data32()
		kernel.ParallelCostly(len(zd), func(lo, hi int) { chainBlocks(zd[lo:hi], gd[lo:hi], xd[lo:hi], yd[lo:hi], p.local32, sel) })
	} else {
		zd, gd, xd, yd := z.Data(), g.t.Data(), x.t.Data(), y.t.Data()
		kernel.ParallelCostly(len(zd), func(lo, hi int) { chainBlocks(zd[lo:hi], gd[lo:hi], xd[lo:hi], yd[lo:hi], p.local64, sel) })
	}
	return Value{t: z}, true
}

// chainBlocks writes g times the local derivative into z, a block of
// elements at a time: local writes the local derivative at x and y into a
// scratch block on the stack (in the first-level cache), then chain_mul's
// kernel multiplies it in, the strong operand chosen as p.chain chooses
// it (the local derivative if it is a selection, else g), so that each
// element is rounded as the two-step chain rounds it.
func chainBlocks[T kernel.Float](z, g, x, y []T, local func(l, x, y []T), selection bool) {
	var buf [512]T
	g, x, y = g[:len(z)], x[:len(z)], y[:len(z)]
	for lo := 0; lo < len(z); lo += len(buf) {
		hi := min(lo+len(buf), len(z))
		l := buf[:hi-lo]
		local(l, x[lo:hi], y[lo:hi])
		if selection {
			kernel.Arith(kernel.OpStrongMul, z[lo:hi], l, g[lo:hi])
		} else {
			kernel.Arith(kernel.OpStrongMul, z[lo:hi], g[lo:hi], l)
		}
	}
}

// chain multiplies the tangent or cotangent g by the local derivative l of
// p's argument i: g is the strong operand (see smul), unless l is a
// selection.
func (p *prim) chain(i int, g, l Value) Value {
	if p.selects&(1<<i) != 0 {
		return chainMul(l, g)
	}
	return chainMul(g, l)
}

// params are the static arguments of a prim (axes, shapes, indices).
type params struct {
	axes  []int
	shape []int
	axis  int
	start int
	stop  int
	idx   []int
	ta    bool // matmul: read the first operand transposed
	tb    bool // matmul: read the second operand transposed
}

// identity is what local returns for ∂out/∂arg = 1.
var identity = inline(1)

// isIdentity reports whether a local derivative is the constant 1.
func isIdentity(l Value) bool { return l.t == scalarT && l.tc == nil && l.s == 1 }

var levels atomic.Uint64

type traceKind uint8

const (
	jvpTrace traceKind = iota
	revTrace
	stageTrace // Compile's recording, below every other trace
	batchTrace // Vmap
)

// trace is one active transformation.
type trace struct {
	level    uint64
	kind     traceKind
	batch    int          // jvp: leading batch dimensions of the tangents
	tape     [][]node     // the recorded nodes, in chunks that never move
	n        int32        // how many nodes are recorded
	exts     [][]operands // the operands of nodes that are not scalar nodes, in chunks
	ne       int32        // how many operands are in use
	cts      []Value      // reverse: the adjoints of a sweep, reused if reuse is set
	reuse    bool
	tensors  bool     // reverse: the tape holds a tensor (not only inline scalars); jvp: a dual does
	duals    [][]dual // jvp: primals and tangents, in chunks
	prog     *Program // stage: the program being recorded
	nd       int32    // how many duals there are
	done     bool
	graph    bool             // reverse: recorded by Trace, whose graph shows the primitives as the code applies them (Linear's matmul and add, see linearPrim)
	exposed  []*tensor.Tensor // reverse, jvp: concrete values handed out by Tensor or StopGradient while recording (jvp: also constants and values user code saw), never recycled
	expMu    sync.Mutex       // guards exposed: Tensor may be called from several goroutines
	freed    bool             // reverse, jvp: the forward values or duals were recycled (see recycleForward, recycleDuals)
	slots    map[any]int32    // jvp: storage → the dual slots (primals, tangents) holding it, for releaseDual
	released map[int32]bool   // jvp: the duals releaseDual was called on

	vsize     int       // batch: how many values a tracer stands for (stacked, as its dual's primal)
	fallbacks *[]string // batch: where to note prims run per element, if set
}

// A tracer is a Value of a trace: it carries the trace (tc) and its entry
// there (idx: a tape node in reverse mode, a primal-tangent pair in forward
// mode, a register when staging), inline, so scalar code allocates nothing
// per op. Traces are never reused, so a tracer that escapes its
// transformation still points at a finished trace and is caught.

// dual is a JVP trace's entry for one tracer.
type dual struct {
	primal  Value // the value one level down
	tangent Value // its tangent, the zero Value for a symbolic zero
}

// primal returns the value of tracer v one level down.
func (v Value) primal() Value {
	if v.flat() {
		return Value{t: scalarT, s: v.s}
	}
	switch v.tc.kind {
	case revTrace:
		return v.tc.node(v.idx()).output()
	case stageTrace:
		return v.tc.prog.vals[v.idx()]
	}
	return v.tc.duals[v.idx()/chunk][v.idx()%chunk].primal
}

// tangent returns the tangent of a JVP tracer.
func (v Value) tangent() Value { return v.tc.duals[v.idx()/chunk][v.idx()%chunk].tangent }

// node is one recorded operation on a reverse trace's tape. A node of
// first-order scalar code, the bulk of a tape of code written one float64
// at a time, holds its operands as numbers in 48 bytes, so that recording
// and the reverse sweep move little memory; every other node keeps them in
// ext.
type node struct {
	p   *prim      // nil for an input
	ext *operands  // nil for a scalar node
	x   [3]float64 // scalar node: the arguments' values, then the output's
	ps  [2]int32   // scalar node: each argument's tape index (-1 for a constant, noArg past the arity)
}

// noArg marks the missing second argument of a unary scalar node.
const noArg = -2

// operands are the parameters, arguments and output of a node.
type operands struct {
	prm     *params
	args    []Value // primals of the arguments, one level down
	parents []int32 // tape index of each argument, -1 for constants
	out     Value   // primal of the output, one level down
	a       [2]Value
	ps      [2]int32 // args and parents of up to two arguments live here
}

// ops returns n's operands: for a scalar node, a copy made as Values.
func (n *node) ops() *operands {
	if n.ext != nil {
		return n.ext
	}
	o := &operands{out: inline(n.x[2])}
	if n.p != nil {
		k := n.arity()
		for i := range k {
			o.a[i] = inline(n.x[i])
		}
		o.ps = n.ps
		o.args, o.parents = o.a[:k:k], o.ps[:k:k]
	}
	return o
}

// arity returns the number of arguments of a scalar node.
func (n *node) arity() int {
	if n.ps[1] == noArg {
		return 1
	}
	return 2
}

// output returns the primal of n's output, one level down.
func (n *node) output() Value {
	if n.ext != nil {
		return n.ext.out
	}
	return inline(n.x[2])
}

func newTrace(kind traceKind) *trace {
	return &trace{level: levels.Add(1), kind: kind}
}

// buffers are a released trace's reusable memory.
type buffers struct {
	tape [][]node
	exts [][]operands
	cts  []Value
}

// tapes recycles the tapes of finished reverse traces whose nodes nothing
// can reach any more (Grad, not VJP, whose pull-back keeps its tape).
var tapes sync.Pool

func newRevTrace() *trace {
	t := newTrace(revTrace)
	if b, ok := tapes.Get().(*buffers); ok {
		t.tape, t.exts, t.cts = b.tape[:0], b.exts[:0], b.cts
	}
	return t
}

// release returns t's tape to the pool. Tracers made by t still point at
// t, which is done, so a leaked one panics with ErrGraph.
func (t *trace) release() {
	if t.tensors { // drop references to tensors; scalar nodes hold none
		for i := 0; i*chunk < int(t.ne); i++ {
			clear(t.exts[i][:min(chunk, int(t.ne)-i*chunk)])
		}
	}
	b := &buffers{tape: t.tape[:0], exts: t.exts[:0], cts: t.cts}
	t.tape, t.exts, t.n, t.ne, t.cts, t.reuse, t.tensors, t.done = nil, nil, 0, 0, nil, false, false, true
	tapes.Put(b)
}

// newTracer returns a Value of trace t with the given primal: for a JVP
// trace with the given tangent, for a reverse trace made by tape node n,
// for the staging trace held in register n.
func (t *trace) newTracer(primal, tangent Value, n int32) Value {
	if t.kind == jvpTrace {
		n = t.pushDual(dual{primal, tangent})
		t.tensors = t.tensors || primal.t != scalarT || (tangent.t != nil && tangent.t != scalarT)
		t.countDual(primal, tangent)
	}
	id := int64(uint32(n))
	if primal.t == scalarT && primal.tc == nil {
		id |= flatBit
	}
	return Value{t: primal.t, s: primal.s, tc: t, id: id}
}

// firstDuals is the length the first chunk of duals starts at: a JVP of a
// few tensor ops, run in a loop (a Jacobian, a Hessian-vector product),
// should not clear a whole chunk each time.
const firstDuals = 16

// pushDual appends d to t's duals and returns its index. The first chunk
// starts small and doubles up to chunk; the duals are read by index, never
// through a pointer, so it may move as it grows.
func (t *trace) pushDual(d dual) int32 {
	n := t.nd
	c, i := int(n/chunk), int(n%chunk)
	switch {
	case c == len(t.duals) && c == 0:
		t.duals = append(t.duals, make([]dual, firstDuals))
	case c == len(t.duals):
		t.duals = append(t.duals, make([]dual, chunk))
	case i == len(t.duals[c]): // the first chunk is full: double it
		t.duals[c] = append(t.duals[c], make([]dual, i)...)
	}
	t.duals[c][i] = d
	t.nd++
	return n
}

// bind applies prim p to args under the active transformations.
func bind(p *prim, prm *params, args ...Value) Value {
	var top *trace
	weak, tensors := false, false // a weak constant; a value not held inline
	for i := range args {
		a := &args[i]
		if a.t == nil {
			tensor.Panicf(tensor.ErrArg, p.name, "zero Value (uninitialised)")
		}
		weak = weak || a.id&weakBit != 0
		tensors = tensors || a.t != scalarT
		if a.tc != nil {
			if a.tc.done {
				tensor.Panicf(tensor.ErrGraph, p.name, "a value of a finished transformation was used outside it (an escaped tracer)")
			}
			if top == nil || a.tc.level > top.level {
				top = a.tc
			}
		}
	}
	if weak && tensors && len(args) > 1 && (p.local != nil || p.nondiff) {
		args = promote(args) // inline scalars are float64 like weak constants: nothing to do
	}
	if top == nil {
		return eval(p, prm, args)
	}
	switch top.kind {
	case jvpTrace:
		return top.processJVP(p, prm, args)
	case stageTrace:
		return top.processStage(p, prm, args)
	case batchTrace:
		return top.processBatch(p, prm, args)
	}
	return top.processRev(p, prm, args)
}

// promote returns the arguments of an elementwise prim with every weakly
// typed constant converted to the dtype of the first argument that is not
// weak, if that is not float64 (a weak constant is a float64 already): the
// weak constant adopts the dtype it meets, as in JAX and PyTorch. Values of
// two different strong dtypes are left for the kernel to reject. args is
// copied before any change: it may be the caller's slice.
func promote(args []Value) []Value {
	d := tensor.Float64
	for _, a := range args {
		if !a.isWeak() {
			d = a.DType()
			break
		}
	}
	if d == tensor.Float64 {
		return args
	}
	out := slices.Clone(args)
	for i, a := range out {
		if a.isWeak() {
			out[i] = Value{t: d.Scalar(a.s)}
		}
	}
	return out
}

// constants reports whether no value in vs carries a tracer.
func constants(vs []Value) bool {
	for _, v := range vs {
		if v.tc != nil {
			return false
		}
	}
	return true
}

// eval runs p's kernel on constants: inline for float64 scalars where the
// prim has a scalar kernel, on tensors otherwise.
func eval(p *prim, prm *params, args []Value) Value {
	switch {
	case p.s1 != nil && len(args) == 1 && args[0].isScalar():
		return Value{t: scalarT, s: p.s1(args[0].s), id: args[0].id & weakBit}
	case p.s2 != nil && len(args) == 2 && args[0].isScalar() && args[1].isScalar():
		// weak only if both are: a weak constant's result stays weak
		return Value{t: scalarT, s: p.s2(args[0].s, args[1].s), id: args[0].id & args[1].id & weakBit}
	}
	ts := make([]*tensor.Tensor, len(args))
	for i, a := range args {
		ts[i] = a.tensor()
	}
	return wrap(p.impl(ts, prm))
}

// lower returns the primal of a one level down for trace t, or a itself if a
// does not belong to t.
func (t *trace) lower(a Value) (Value, bool) {
	if a.tc == t {
		return a.primal(), true
	}
	return a, false
}

func (t *trace) processJVP(p *prim, prm *params, args []Value) Value {
	n := len(args)
	var pbuf, tbuf [4]Value
	prims := append(pbuf[:0], args...)
	var tans []Value
	if n <= len(tbuf) {
		tans = tbuf[:n]
	} else {
		tans = make([]Value, n)
	}
	live := false // some argument has a non-zero tangent
	for i, a := range args {
		if pr, own := t.lower(a); own {
			prims[i], tans[i] = pr, a.tangent()
			live = live || !tans[i].IsZero()
		} else if a.tc == nil {
			t.keep(a) // a constant from outside: its storage is not the trace's
		}
	}
	if !live || p.nondiff { // symbolic zero: no tangent work at all
		out := bind(p, prm, prims...)
		t.keepShared(out, prims) // a constant sharing a dual's storage may outlive the trace
		return out
	}
	if p.full != nil {
		// user code (a custom rule, a checkpoint) sees the arguments and
		// makes the results: it may keep any of them
		t.keep(prims...)
		t.keep(tans...)
		out, tan := p.full(prims, tans, t.batch)
		t.keep(out, tan)
		if tan.IsZero() {
			return out
		}
		return t.newTracer(out, tan, -1)
	}
	out := bind(p, prm, prims...)
	tan := t.tangentOf(p, prm, prims, tans, out)
	if tan.IsZero() {
		return out
	}
	return t.newTracer(out, tan, -1)
}

// tangentOf applies p's forward rule to the argument tangents.
func (t *trace) tangentOf(p *prim, prm *params, prims, tans []Value, out Value) Value {
	if p.local != nil {
		return t.jvpLocal(p, prm, prims, tans, out)
	}
	if p.full != nil {
		_, tan := p.full(prims, tans, t.batch)
		return tan
	}
	return p.jvp(tans, prims, out, prm, t.batch)
}

// jvpLocal is the forward rule of an elementwise prim: the sum over the
// arguments of tangent × local derivative, broadcast to the output.
func (t *trace) jvpLocal(p *prim, prm *params, prims, tans []Value, out Value) Value {
	var acc Value
	fresh := false // acc is a temporary made here
	for i, ti := range tans {
		if ti.IsZero() {
			continue
		}
		tmp := false
		if g, ok := chainedLocal(p, ti, prims, out); ok { // (a batched tangent, with its batch dims in front, never has out's shape)
			ti, tmp = g, true
		} else {
			l := p.local(i, prims, out, prm)
			if l.IsZero() {
				continue
			}
			if t.batch > 0 { // align the argument's dims with the output's, after the batch dims
				ti = alignBatch(ti, t.batch, out.Rank())
			}
			if !isIdentity(l) {
				g := p.chain(i, ti, l)
				dropTemp(l, g, prims, tans, out)
				ti, tmp = g, true
			}
		}
		if acc.IsZero() {
			acc, fresh = ti, tmp
		} else {
			sum := Add(acc, ti)
			if fresh {
				dropTemp(acc, sum, prims, tans, out)
			}
			if tmp {
				dropTemp(ti, sum, prims, tans, out)
			}
			acc, fresh = sum, true
		}
	}
	if acc.IsZero() {
		return acc
	}
	want := append(append([]int(nil), batchDims(tans, t.batch)...), out.Shape()...)
	if !sameShape(acc.Shape(), want) {
		b := BroadcastTo(acc, want...)
		if fresh {
			dropTemp(acc, b, prims, tans, out)
		}
		acc = b
	}
	return acc
}

// alignBatch inserts size-1 dimensions after the b batch dimensions of
// tangent v so that its data dimensions have rank r.
func alignBatch(v Value, b, r int) Value {
	s := v.Shape()
	if len(s)-b >= r {
		return v
	}
	ns := make([]int, 0, b+r)
	ns = append(ns, s[:b]...)
	for i := len(s) - b; i < r; i++ {
		ns = append(ns, 1)
	}
	ns = append(ns, s[b:]...)
	return Reshape(v, ns...)
}

func batchDims(tans []Value, b int) []int {
	for _, t := range tans {
		if !t.IsZero() {
			return t.Shape()[:b]
		}
	}
	return nil
}

// sameShape reports whether two shapes are equal.
func sameShape(a, b []int) bool { return slices.Equal(a, b) }

const chunk = 1024

// push appends a node for prim p with k arguments, its operands held in
// ext, to the tape, and returns the operands and the node's index.
func (t *trace) push(p *prim, k int) (*operands, int32) {
	n, i := t.slot()
	if int(t.ne/chunk) == len(t.exts) {
		if len(t.exts) < cap(t.exts) && t.exts[:len(t.exts)+1][len(t.exts)] != nil {
			t.exts = t.exts[:len(t.exts)+1] // a recycled chunk
		} else {
			t.exts = append(t.exts, make([]operands, chunk))
		}
	}
	o := &t.exts[t.ne/chunk][t.ne%chunk]
	t.ne++
	*o = operands{} // a recycled chunk holds the previous trace's operands
	if k <= 2 {
		o.args, o.parents = o.a[:k:k], o.ps[:k:k]
	} else {
		o.args, o.parents = make([]Value, k), make([]int32, k)
	}
	*n = node{p: p, ext: o}
	return o, i
}

// slot appends a node to the tape and returns it, holding whatever a
// recycled chunk left there, and its index.
func (t *trace) slot() (*node, int32) {
	i := t.n
	if int(i/chunk) == len(t.tape) {
		if len(t.tape) < cap(t.tape) && t.tape[:len(t.tape)+1][len(t.tape)] != nil {
			t.tape = t.tape[:len(t.tape)+1] // a recycled chunk
		} else {
			t.tape = append(t.tape, make([]node, chunk))
		}
	}
	t.n++
	return &t.tape[i/chunk][i%chunk], i
}

// node returns the recorded node i.
func (t *trace) node(i int32) *node { return &t.tape[i/chunk][i%chunk] }

func (t *trace) processRev(p *prim, prm *params, args []Value) Value {
	if len(args) <= 2 && (p.s1 != nil || p.s2 != nil) {
		if v, ok := t.recordScalar(p, prm, args); ok {
			return v
		}
	}
	if p.nondiff {
		var buf [4]Value
		prims := buf[:0]
		for _, a := range args {
			pr, _ := t.lower(a)
			prims = append(prims, pr)
		}
		return bind(p, prm, prims...)
	}
	n, idx := t.push(p, len(args))
	n.prm = prm
	for i, a := range args {
		pr, own := t.lower(a)
		if !pr.isScalar() {
			t.tensors = true
		}
		n.args[i], n.parents[i] = pr, -1
		if own {
			n.parents[i] = a.idx()
		}
	}
	if constants(n.args) {
		n.out = eval(p, prm, n.args) // first order: the primals are constants
	} else {
		n.out = bind(p, prm, n.args...)
	}
	if !n.out.isScalar() {
		t.tensors = true
	}
	return t.newTracer(n.out, Value{}, idx)
}

// recordScalar records a node of first-order scalar code, the common case
// of code written one float64 at a time, without the general path's
// re-dispatch: each argument must be a float64 scalar that is a constant or
// one of t's tracers of a constant. It reports false otherwise.
func (t *trace) recordScalar(p *prim, prm *params, args []Value) (Value, bool) {
	var x [3]float64
	par := [2]int32{-1, noArg}
	for i, a := range args {
		if a.t != scalarT {
			return Value{}, false
		}
		par[i] = -1
		if a.tc != nil {
			if a.tc != t || !a.flat() {
				return Value{}, false
			}
			par[i] = a.idx()
		}
		x[i] = a.s
	}
	switch {
	case prm != nil:
		return Value{}, false
	case len(args) == 1 && p.s1 != nil:
		x[2] = p.s1(x[0])
	case len(args) == 2 && p.s2 != nil:
		x[2] = p.s2(x[0], x[1])
	default:
		return Value{}, false
	}
	if p.nondiff || (par[0] < 0 && par[1] < 0) { // no derivative to record
		return inline(x[2]), true
	}
	n, idx := t.slot()
	n.p, n.ext, n.ps = p, nil, par // field by field: a struct literal goes through a stack copy
	n.x[0], n.x[1], n.x[2] = x[0], x[1], x[2]
	return Value{t: scalarT, s: x[2], tc: t, id: int64(uint32(idx)) | flatBit}, true
}

// input records a leaf on a reverse trace, or seeds a tangent on a JVP trace.
func (t *trace) input(x, tangent Value) Value {
	check("input", x)
	x, tangent = x.strong(), tangent.strong()
	if t.kind == revTrace {
		if x.isScalar() && x.tc == nil {
			n, idx := t.slot()
			*n = node{x: [3]float64{2: x.s}}
			return t.newTracer(x, Value{}, idx)
		}
		o, idx := t.push(nil, 0)
		o.out = x
		if !x.isScalar() {
			t.tensors = true
		}
		return t.newTracer(x, Value{}, idx)
	}
	t.keep(x, tangent) // the caller's: never recycled
	return t.newTracer(x, tangent, -1)
}

// vjpOf returns the cotangent of argument i of node n from its output
// cotangent, summed down to the argument's shape (after ct's leading batch
// dimensions, if it has any more than the output: see VJPBatch).
// Temporaries it makes (the local derivative, the unsummed product) are
// handed to rc, if any, for recycling.
func (n *node) vjpOf(o *operands, i int, ct Value, rc *recycler) Value {
	a := o.args[i]
	if n.p.local == nil {
		if b := ctBatch(ct, o.out); b > 0 && n.p.perRowVJP {
			return perRow(ct, b, o.args, func(ct Value) []Value {
				gs := make([]Value, len(o.args))
				gs[i] = n.p.vjp(ct, i, o.args, o.out, o.prm)
				return gs
			})[i]
		}
		return n.p.vjp(ct, i, o.args, o.out, o.prm)
	}
	if g, ok := chainedLocal(n.p, ct, o.args, o.out); ok {
		return g
	}
	l := n.p.local(i, o.args, o.out, o.prm)
	if l.IsZero() {
		return Value{}
	}
	g := ct
	if !isIdentity(l) {
		g = n.p.chain(i, ct, l)
		rc.release(l, g)
	}
	if b := ct.Rank() - o.out.Rank(); b > 0 || !sameShape(g.Shape(), a.Shape()) { // batched (VJPBatch): keep the batch axes
		s := sumToBatch(g, b, a.Shape())
		if g.t != ct.t {
			rc.release(g, s)
		}
		g = s
	}
	return g
}

// sweepScalar is the reverse step of a first-order scalar node with a
// constant cotangent ct: each local derivative is a number, multiplied in
// with ct's strong zero (the local derivative's, for a selection) and
// added to the parent's adjoint in place. It reports false, having done
// nothing, if a local derivative is not an inline number.
// args is scratch space for the arguments as Values (one per sweep: a
// local array would escape to the heap through the rule's indirect call).
func (n *node) sweepScalar(ct float64, cts []Value, args *[2]Value) bool {
	k := n.arity()
	args[0], args[1] = inline(n.x[0]), inline(n.x[1])
	out := inline(n.x[2])
	var ls [2]Value
	for j := range k {
		if n.ps[j] < 0 {
			continue
		}
		l := n.p.local(j, args[:k], out, nil)
		if l.tc != nil || (l.t != nil && l.t != scalarT) {
			return false
		}
		ls[j] = l
	}
	for j := range k {
		par := n.ps[j]
		if par < 0 || ls[j].t == nil {
			continue
		}
		var g float64
		if n.p.selects&(1<<j) != 0 {
			g = smul(ls[j].s, ct)
		} else {
			g = smul(ct, ls[j].s)
		}
		if c := &cts[par]; c.t == scalarT && c.tc == nil {
			c.s += g
		} else {
			*c = accumulate(*c, inline(g))
		}
	}
	return true
}

// backward runs the reverse sweep from node out with cotangent seed and
// returns the cotangents of the leaf nodes given (zero Value where none
// reached it).
func (t *trace) backward(out int32, seed Value, leaves []int32) []Value {
	var cts []Value
	if t.reuse { // a Grad sweep, run once: reuse the pooled buffer
		if cap(t.cts) < int(out)+1 {
			t.cts = make([]Value, out+1)
		}
		cts = t.cts[:out+1]
		clear(cts)
	} else { // a VJP pull-back may run concurrently with itself
		cts = make([]Value, out+1)
	}
	cts[out] = seed
	var rc *recycler
	if t.tensors && seed.tc == nil && recycling {
		rc = newRecycler(t, out, seed, leaves)
	}
	scratch := new([2]Value)
	for i := int(out); i >= 0; i-- {
		ct := cts[i]
		n := t.node(int32(i))
		switch n.p {
		case elementsPrim: // Elements: gather its elements' adjoints (formula.go)
			t.gather(n, cts, rc)
			continue
		case gatheredPrim: // an element of Elements: its adjoint waits for the gather
			continue
		}
		if ct.IsZero() || n.p == nil {
			continue
		}
		if n.ext == nil && ct.t == scalarT && ct.tc == nil && n.sweepScalar(ct.s, cts, scratch) {
			cts[i] = Value{}
			continue
		}
		o := n.ops()
		user := n.p.full != nil // a custom rule or checkpoint: user code sees ct and returns the gs
		if rc != nil && user {
			rc.pin(ct)
		}
		var all []Value
		if n.p.vjpAll != nil {
			all = n.p.vjpAll(ct, o.args, o.out)
		}
		for j, par := range o.parents {
			if par < 0 {
				continue
			}
			var g Value
			if all != nil {
				g = all[j]
			} else {
				g = n.vjpOf(o, j, ct, rc)
			}
			if g.IsZero() {
				continue
			}
			old := cts[par]
			cts[par] = accumulate(old, g)
			if rc != nil {
				if user {
					rc.pin(g)
				}
				rc.replace(old, g, cts[par])
			}
		}
		cts[i] = Value{} // the adjoint of an inner node is no longer needed
		if rc != nil && !rc.leaf[int32(i)] {
			rc.drop(ct)
		}
	}
	res := make([]Value, len(leaves))
	for k, l := range leaves {
		if l >= 0 && l <= out {
			res[k] = cts[l]
		}
	}
	return res
}

// smul is the chain rule's multiplication of an edge value u (a tangent or
// a cotangent) by a local derivative v, with a one-sided strong zero: where
// u is 0 the product is 0 even if v is ±Inf or NaN, so a zero adjoint (a
// branch Where did not select, a relu that is off) stays exactly zero
// through an infinite local derivative. The zero is u's alone: an infinite
// or NaN u times a zero v is NaN, as in IEEE arithmetic and PyTorch, so an
// underflow upstream (log(exp(x)) at x = -800: ∞·0) shows as NaN instead
// of a silent 0. The order matters: every caller passes first the operand
// whose zero must annihilate — the edge value, or a selection's mask (see
// prim.selects).
func smul(u, v float64) float64 {
	z := u * v
	if z != z && u == 0 {
		return 0
	}
	return z
}

var chainMulPrim = new(prim)

func init() {
	// chain_mul(g, l) is smul elementwise: g the strong operand (a tangent
	// or cotangent), l the weak one (a local derivative). Its own
	// derivatives (second order) are those of g·l: ∂/∂g = l, multiplied
	// into the new tangent or cotangent with that one strong, and ∂/∂l = g,
	// a selection: the output is 0 whatever l where g is 0, so is its
	// derivative in l, even where l's tangent is infinite (the derivative
	// of sqrt'(x) at 0 in the branch of Where not selected).
	*chainMulPrim = prim{
		name:    "chain_mul",
		s2:      smul,
		selects: 1 << 1,
		impl:    func(a []*tensor.Tensor, _ *params) *tensor.Tensor { return tensor.StrongMul(a[0], a[1]) },
		local: func(i int, a []Value, _ Value, _ *params) Value {
			return a[1-i]
		},
	}
}

// chainMul multiplies a tangent or cotangent g by a local derivative l with
// g's strong zero (see smul): the argument order matters. A selection
// passes its mask as g (see prim.chain).
func chainMul(g, l Value) Value {
	if g.tc == nil && l.tc == nil && g.isScalar() && l.isScalar() {
		return inline(smul(g.s, l.s)) // first-order scalar code: no dispatch
	}
	return bind(chainMulPrim, nil, g, l)
}

// accumulate returns a + g, the sum of two contributions to an adjoint.
func accumulate(a, g Value) Value {
	if a.IsZero() {
		return g
	}
	if a.tc == nil && g.tc == nil && a.isScalar() && g.isScalar() {
		return inline(a.s + g.s)
	}
	return Add(a, g)
}
