package ad

// Fusion, Compile's last pass: a run of elementwise instructions over one
// shape and dtype becomes a group that computes a block of elements at a
// time, every instruction in turn, so that intermediate results live in
// cache-sized scratch buffers instead of full-size tensors. The chain then
// costs one pass over memory instead of one per instruction, and no
// allocation for the intermediates nothing else reads (numexpr's blocked
// evaluation; XLA's loop fusion in spirit). An operand broadcast along
// leading or trailing axes is expanded a block at a time, and a result
// something outside the group reads may take the storage of an operand
// that dies in the group (see alias), as XLA reuses dead buffers in place;
// a scaling y·c that only a following x ± (y·c) reads runs with it in one
// pass (see pairAxpy), as an SGD update x − lr·g does eagerly.

import (
	"math"
	"slices"
	"sync"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/tensor"
)

// Variables, not constants, so that tests can fuse tiny tensors in
// blocks of a few elements.
var (
	// block is the number of elements a group computes at a time: its
	// scratch buffers (8 KiB each) stay in the first-level cache.
	block = 1024
	// minFuse is the smallest number of elements worth fusing.
	minFuse = 4 * 1024
)

// group is a run of fused elementwise instructions over one shape.
type group struct {
	costly  bool // a member calls a kernel of several ns an element
	dtype   tensor.DType
	shape   []int
	n       int
	members []member
	slots   int       // scratch buffers per worker
	bufs    sync.Pool // a worker's scratch buffers, slots·block elements of the dtype (*[]float32 or *[]float64)
}

// member is one instruction of a group.
type member struct {
	p    *prim
	op   kernel.ArithOp // its kernel, if fast
	fast bool
	args []operand
	out  int32 // the register of its result
	keep bool  // materialize the result: something outside the group reads it
	slot int   // its scratch buffer, if not kept
	// alias, if ≥ 0, is the register of a kept result's storage: an
	// operand the group reads for the last time, written over in place
	alias int32
	// deferred marks y·c (c one element) that only the next member reads,
	// which computes x ± y·c in one pass (axpy +1 or -1, x its argument
	// axpyX, y argument axpyY of this one): an SGD-style update
	deferred     bool
	axpy         int8
	axpyX, axpyY int
}

// operand is where a member reads an argument.
type operand struct {
	kind  uint8
	reg   int32   // fromReg, fromScalar, fromBcast: the register
	m     int     // fromMember: the member
	c     float64 // fromConst: the value
	bcast bcast   // fromBcast: how its elements repeat
	slot  int     // fromBcast: the scratch buffer it is expanded into
}

const (
	fromReg    uint8 = iota // a full-size register computed before the group
	fromScalar              // a one-element register, broadcast
	fromMember              // an earlier member's result
	fromConst               // a constant register whose elements are all c
	fromBcast               // a register broadcast to the group's shape (a bias row, a per-row statistic)
)

// bcast describes an operand broadcast along leading and trailing axes of
// the group's shape: the group's element i reads the operand's element
// (i / inner) % mid. A bias of shape (E) against (N, L, E) has inner 1,
// a per-row mean of shape (N, L, 1) has inner E; both have mid the
// operand's size.
type bcast struct{ mid, inner int }

// bcastOf returns how an operand of shape s repeats in the broadcast shape
// out, if its axes that are not 1 are consecutive axes of out (aligned at
// the right, as NumPy broadcasts) of the same sizes.
func bcastOf(s, out []int) (bcast, bool) {
	off := len(out) - len(s)
	if off < 0 {
		return bcast{}, false
	}
	lo, hi := -1, -1 // out's axes [lo, hi) hold s's axes that are not 1
	for k, d := range s {
		if d == 1 {
			continue
		}
		if d != out[off+k] {
			return bcast{}, false
		}
		if lo < 0 {
			lo = off + k
		}
		hi = off + k + 1
	}
	if lo < 0 {
		return bcast{}, false // one element: a scalar operand
	}
	for k := lo; k < hi; k++ {
		if out[k] != 1 && s[k-off] == 1 {
			return bcast{}, false // a broadcast axis between the operand's
		}
	}
	return bcast{mid: tensor.Size(out[lo:hi]), inner: tensor.Size(out[hi:])}, true
}

// expand returns the elements [lo, hi) of v broadcast as b describes:
// written into buf (of at least hi-lo elements), or, when they are all one
// element of v, that element alone (the kernels broadcast a one-element
// operand).
func expand[T float32 | float64](buf, v []T, b bcast, lo, hi int) []T {
	if b.inner > 1 && lo/b.inner == (hi-1)/b.inner {
		k := (lo / b.inner) % b.mid
		return v[k : k+1]
	}
	z := buf[:hi-lo]
	if b.inner == 1 {
		for k, d := lo%b.mid, z; len(d) > 0; k = 0 {
			d = d[copy(d, v[k:]):]
		}
		return z
	}
	for i, d := lo, z; len(d) > 0; {
		run := min(b.inner-i%b.inner, len(d))
		fill(d[:run], v[(i/b.inner)%b.mid])
		d, i = d[run:], i+run
	}
	return z
}

// fill sets every element of d to x by doubling copies (memmove's SIMD
// loop), not one store at a time: a bias broadcast over a channel of an
// NCHW activation fills hundreds of elements a block.
func fill[T float32 | float64](d []T, x T) {
	if len(d) == 0 {
		return
	}
	d[0] = x
	for k := 1; k < len(d); k *= 2 {
		copy(d[k:], d[:k])
	}
}

// step is one step of a fused program: an instruction (in) or a group, and
// the registers whose storage dies after it.
type step struct {
	in   int
	g    *group
	free []int32
}

// fusable reports whether instruction in can join a group, and over which
// shape: an elementwise primitive (one with a local derivative, or a
// comparison or mask without any) with a scalar kernel, whose arguments
// have its output's shape, one element, or a shape bcastOf accepts.
// (Groups also need one dtype: fuse starts a new group when it changes.)
func (p *Program) fusable(in instr) ([]int, bool) {
	pr, k := in.p, len(in.args)
	if in.prm != nil || (pr.local == nil && !pr.nondiff) || k > 2 || (k == 1 && pr.s1 == nil) || (k == 2 && pr.s2 == nil) {
		return nil, false
	}
	out := p.vals[in.out]
	if out.isScalar() || out.Size() < minFuse {
		return nil, false
	}
	for _, a := range in.args {
		v := p.vals[a]
		if v.DType() != out.DType() {
			return nil, false
		}
		if v.Size() != 1 && !sameShape(v.Shape(), out.Shape()) {
			if _, ok := bcastOf(v.Shape(), out.Shape()); !ok {
				return nil, false
			}
		}
	}
	return out.Shape(), true
}

// fuse plans the steps of Run, grouping instructions that fusable accepts.
// An instruction that cannot join runs after the group it interrupts (its
// arguments come from before it, or from the group's kept results); a
// fusable one that reads such an instruction starts a new group. The
// storage the group and the instructions it passed over free is freed
// after all of them.
func (p *Program) fuse() {
	uses := make([][]int, len(p.vals)) // the instructions reading each register
	produced := make([]bool, len(p.vals))
	for i, in := range p.code {
		produced[in.out] = true
		for _, a := range in.args {
			uses[a] = append(uses[a], i)
		}
	}
	for _, o := range p.outs {
		uses[o] = append(uses[o], len(p.code)) // an output is read after the end
	}
	var steps []step
	p.freeAt = make([]int, len(p.code))
	var cur []int            // instructions of the group being formed
	var passed []int         // instructions it passed over
	var shape []int          // its shape
	made := map[int32]bool{} // registers the passed-over instructions write
	flush := func() {
		start := len(steps)
		if len(cur) >= 2 {
			steps = append(steps, step{in: -1, g: p.newGroup(cur, shape, uses, produced)})
		} else if len(cur) == 1 {
			steps = append(steps, step{in: cur[0]})
		}
		for _, i := range passed {
			steps = append(steps, step{in: i})
		}
		if len(steps) > start { // the batch's frees, after all of it
			var free []int32
			for _, i := range append(slices.Clone(cur), passed...) {
				free = append(free, p.free[i]...)
				p.freeAt[i] = len(steps) - 1
			}
			if g := steps[start].g; g != nil { // never recycle what only lived in scratch
				scratch := map[int32]bool{}
				for _, m := range g.members {
					scratch[m.out] = !m.keep
				}
				free = slices.DeleteFunc(free, func(r int32) bool { return scratch[r] })
				// nor what a kept result now holds
				aliased := p.alias(g, cur, passed)
				free = slices.DeleteFunc(free, func(r int32) bool { return aliased[r] })
			}
			steps[len(steps)-1].free = free
		}
		cur, passed, shape = nil, nil, nil
		clear(made)
	}
	for i, in := range p.code {
		s, ok := p.fusable(in)
		if ok && cur != nil && sameShape(s, shape) && p.vals[in.out].DType() == p.vals[p.code[cur[0]].out].DType() &&
			!slices.ContainsFunc(in.args, func(a int32) bool { return made[a] }) {
			cur = append(cur, i)
			continue
		}
		if ok {
			flush()
			cur, shape = []int{i}, s
			continue
		}
		if cur == nil {
			steps = append(steps, step{in: i, free: p.free[i]})
			p.freeAt[i] = len(steps) - 1
			continue
		}
		passed = append(passed, i)
		made[in.out] = true
	}
	flush()
	p.steps = steps
}

// newGroup makes the group of instructions idx over shape.
func (p *Program) newGroup(idx []int, shape []int, uses [][]int, produced []bool) *group {
	g := &group{dtype: p.vals[p.code[idx[0]].out].DType(), shape: shape, n: tensor.Size(shape)}
	writer := map[int32]int{} // register → the member writing it
	first := idx[0]
	inGroup := make([]bool, idx[len(idx)-1]-first+1) // inGroup[i-first]: instruction i is in the group
	for _, i := range idx {
		inGroup[i-first] = true
	}
	for k, i := range idx {
		in := p.code[i]
		m := member{p: in.p, out: in.out, alias: -1}
		for _, a := range in.args {
			switch j, ok := writer[a]; {
			case ok:
				m.args = append(m.args, operand{kind: fromMember, m: j})
			case p.vals[a].Size() == 1:
				m.args = append(m.args, operand{kind: fromScalar, reg: a})
			case int(a) >= p.nin && len(uses[a]) > 0 && !produced[a] && uniform(p.vals[a].t.Float64s()):
				// a filled constant (the broadcast seed of a sum's
				// cotangent, say) is read as the number it holds
				m.args = append(m.args, operand{kind: fromConst, reg: a, c: p.vals[a].t.AtFlat(0)})
			case sameShape(p.vals[a].Shape(), shape):
				m.args = append(m.args, operand{kind: fromReg, reg: a})
			default:
				b, _ := bcastOf(p.vals[a].Shape(), shape) // fusable checked it
				m.args = append(m.args, operand{kind: fromBcast, reg: a, bcast: b, slot: g.slots})
				g.slots++
			}
		}
		m.op, m.fast = fastOp(in.p)
		g.costly = g.costly || !m.fast
		for _, u := range uses[in.out] {
			if u < first || u-first >= len(inGroup) || !inGroup[u-first] {
				m.keep = true
			}
		}
		if !m.keep {
			m.slot = g.slots
			g.slots++
		}
		g.members = append(g.members, m)
		writer[in.out] = k
	}
	g.pairAxpy()
	return g
}

// pairAxpy defers each member y·c (c one element, y not) that only the
// next member reads, as x + y·c, y·c + x or x − y·c, to that member.
func (g *group) pairAxpy() {
	readers := make([]int, len(g.members))
	for _, m := range g.members {
		for _, a := range m.args {
			if a.kind == fromMember {
				readers[a.m]++
			}
		}
	}
	one := func(a operand) bool { return a.kind == fromScalar || a.kind == fromConst }
	for k := 0; k+1 < len(g.members); k++ {
		m, next := &g.members[k], &g.members[k+1]
		if m.p != mulPrim || m.keep || readers[k] != 1 || one(m.args[0]) == one(m.args[1]) || m.deferred {
			continue
		}
		y := 0
		if one(m.args[0]) {
			y = 1
		}
		for j, a := range next.args {
			if a.kind != fromMember || a.m != k || (next.p != addPrim && (next.p != subPrim || j != 1)) {
				continue
			}
			m.deferred, next.axpy, next.axpyX, next.axpyY = true, 1, 1-j, y
			if next.p == subPrim {
				next.axpy = -1
			}
			break
		}
	}
}

// axpyInto writes x + s·T(y·c) into z, s being ±1, x and y of z's length
// or one element: rounded as the product and then the sum or difference
// would be, one at a time (the conversion keeps the compiler from fusing
// them into one multiply-add).
func axpyInto[T float32 | float64](z, x, y []T, c T, s int8) {
	if len(x) == len(z) && len(y) == len(z) {
		x, y = x[:len(z)], y[:len(z)]
		if s < 0 {
			for i := range z {
				z[i] = x[i] - T(y[i]*c)
			}
		} else {
			for i := range z {
				z[i] = x[i] + T(y[i]*c)
			}
		}
		return
	}
	for i := range z {
		xi, yi := x[0], y[0]
		if len(x) > 1 {
			xi = x[i]
		}
		if len(y) > 1 {
			yi = y[i]
		}
		if s < 0 {
			z[i] = xi - T(yi*c)
		} else {
			z[i] = xi + T(yi*c)
		}
	}
}

// alias lets kept results of group g (of instructions idx, with the
// instructions passed over after it) take the storage of an operand read
// for the last time, and returns the registers whose storage they took.
// A member may write over a register r of its shape that it or an earlier
// member reads and that is in
// the free list of one of the group's instructions (the owner of storage
// that dies in the group, never an input, constant or output) when
// nothing reads r's storage afterwards — no later member, no passed-over
// instruction (which runs after the group) — nor through another register
// (a view) at all. Earlier members' reads of r come first, block by block.
// Its own read of r is fine for
// kernels that read element i before writing it (the arithmetic ones and
// the per-element loops), not for the unary slice kernels.
func (p *Program) alias(g *group, idx, passed []int) map[int32]bool {
	dying := map[int32]bool{}
	for _, i := range idx {
		for _, r := range p.free[i] {
			dying[r] = true
		}
	}
	key := func(r int32) any {
		if v := p.vals[r]; !v.isScalar() {
			return v.t.Storage()
		}
		return nil
	}
	// conflict reports whether writing register r (storage k) in place as
	// member after's result would change what something reads: a later
	// member reading it, any member reading its storage through another
	// register (a view, broadcast or not), or a passed-over instruction
	conflict := func(r int32, k any, after int) bool {
		for j, m := range g.members {
			for _, a := range m.args {
				if a.kind != fromMember && key(a.reg) == k && (a.reg != r || j > after) {
					return true
				}
			}
		}
		for _, i := range passed {
			for _, a := range p.code[i].args {
				if key(a) == k {
					return true
				}
			}
		}
		return false
	}
	taken := map[int32]bool{}
	for k := range g.members {
		m := &g.members[k]
		if !m.keep {
			continue
		}
		ownRead := m.fast || len(m.args) == 2 || (g.dtype == tensor.Float32 && m.p.v32 == nil) || (g.dtype == tensor.Float64 && m.p.v64 == nil)
		reads := func(r int32) bool { // m reads r itself
			return slices.ContainsFunc(m.args, func(a operand) bool { return a.kind == fromReg && a.reg == r })
		}
	candidates: // the registers m or an earlier member reads
		for _, e := range g.members[:k+1] {
			for _, a := range e.args {
				if a.kind != fromReg || !dying[a.reg] || taken[a.reg] || (!ownRead && reads(a.reg)) || conflict(a.reg, key(a.reg), k) {
					continue
				}
				m.alias, taken[a.reg] = a.reg, true
				break candidates
			}
		}
	}
	return taken
}

// uniform reports whether every element of x equals the first (bit for
// bit, so -0 and +0 differ and NaN never matches).
func uniform(x []float64) bool {
	for _, v := range x {
		if math.Float64bits(v) != math.Float64bits(x[0]) || v != v {
			return false
		}
	}
	return true
}

// fastOp returns the tensor kernel of the arithmetic primitives.
func fastOp(pr *prim) (kernel.ArithOp, bool) {
	switch pr {
	case addPrim:
		return kernel.OpAdd, true
	case subPrim:
		return kernel.OpSub, true
	case mulPrim, squarePrim, negPrim: // square is x·x, neg is (-1)·x
		return kernel.OpMul, true
	case divPrim:
		return kernel.OpDiv, true
	case chainMulPrim:
		return kernel.OpStrongMul, true
	}
	return 0, false
}

// run computes the group's kept results into fresh tensors in vals,
// splitting the elements over the cores.
func (g *group) run(vals []Value) {
	if g.dtype == tensor.Float32 {
		runGroup[float32](g, vals)
	} else {
		runGroup[float64](g, vals)
	}
}

// runGroup is group.run in the group's element type T.
func runGroup[T float32 | float64](g *group, vals []Value) {
	res := make([][]T, len(g.members))   // kept results
	in := make([][2][]T, len(g.members)) // full-size and scalar arguments
	scal := make([]T, 2*len(g.members))
	for k, m := range g.members {
		switch {
		case m.keep && m.alias >= 0:
			t := vals[m.alias].t // dead after the group: written over in place
			vals[m.out], res[k] = wrap(t), elems[T](t)
		case m.keep:
			t := tensor.Uninitialized(g.dtype, slices.Clone(g.shape)) // every element is written
			vals[m.out], res[k] = wrap(t), elems[T](t)
		}
		for j, a := range m.args {
			switch a.kind {
			case fromReg, fromBcast:
				in[k][j] = elems[T](vals[a.reg].t)
			case fromScalar, fromConst:
				scal[2*k+j] = T(a.c)
				if a.kind == fromScalar {
					scal[2*k+j] = T(vals[a.reg].Item())
				}
				in[k][j] = scal[2*k+j : 2*k+j+1]
			}
		}
	}
	neg1 := []T{-1}
	par := kernel.Parallel
	if g.costly {
		par = kernel.ParallelCostly
	}
	par(g.n, func(lo, hi int) {
		sp, _ := g.bufs.Get().(*[]T)
		if sp == nil || len(*sp) < g.slots*block { // block may change between runs in tests
			b := make([]T, g.slots*block)
			sp = &b
		}
		defer g.bufs.Put(sp)
		scratch := *sp
		bufs := make([][]T, len(g.members))
		pend := make([][2][]T, len(g.members)) // deferred members' arguments
		var args [2][]T
		for b := lo; b < hi; b += block {
			e := min(b+block, hi)
			for k, m := range g.members {
				var z []T
				if m.keep {
					z = res[k][b:e]
				} else {
					z = scratch[m.slot*block : m.slot*block+e-b]
				}
				bufs[k] = z
				for j, a := range m.args {
					switch a.kind {
					case fromReg:
						args[j] = in[k][j][b:e]
					case fromScalar, fromConst:
						args[j] = in[k][j]
					case fromBcast:
						args[j] = expand(scratch[a.slot*block:], in[k][j], a.bcast, b, e)
					default:
						args[j] = bufs[a.m]
					}
				}
				switch {
				case m.deferred:
					pend[k] = args
				case m.axpy != 0:
					d := pend[k-1]
					arithOK(len(d[1-m.axpyY]) == 1)
					axpyInto(z, args[m.axpyX], d[m.axpyY], d[1-m.axpyY][0], m.axpy)
				case m.fast && m.p == squarePrim:
					arithInto(m.op, z, args[0], args[0])
				case m.fast && m.p == negPrim:
					arithInto(m.op, z, neg1, args[0])
				case m.fast:
					arithInto(m.op, z, args[0], args[1])
				case len(m.args) == 1 && len(args[0]) == 1:
					// the slice kernel, as for any other length: a
					// float32 kernel need not round float64's result
					apply1(m.p, z[:1], args[0])
					for i := range z {
						z[i] = z[0]
					}
				case len(m.args) == 1:
					apply1(m.p, z, args[0])
				default:
					apply2(m.p.s2, z, args[0], args[1])
				}
			}
		}
	})
}

// elems returns t's elements as []T, T being its dtype's element type.
func elems[T float32 | float64](t *tensor.Tensor) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(t.Data32()).([]T)
	}
	return any(t.Data()).([]T)
}

// apply1 writes p's unary kernel of x into z: its slice kernel if it has
// one for T, else its scalar one.
func apply1[T float32 | float64](p *prim, z, x []T) {
	switch z := any(z).(type) {
	case []float64:
		if p.v64 != nil {
			p.v64(z, any(x).([]float64))
			return
		}
	case []float32:
		if p.v32 != nil {
			p.v32(z, any(x).([]float32))
			return
		}
	}
	f := p.s1
	for i := range z {
		z[i] = T(f(float64(x[i])))
	}
}

// apply2 writes f(x, y) elementwise into z, x or y broadcast if it holds
// one element.
func apply2[T float32 | float64](f func(x, y float64) float64, z, x, y []T) {
	switch {
	case len(x) == 1 && len(y) == 1:
		v := T(f(float64(x[0]), float64(y[0])))
		for i := range z {
			z[i] = v
		}
	case len(x) == 1 && len(z) > 1:
		for i := range z {
			z[i] = T(f(float64(x[0]), float64(y[i])))
		}
	case len(y) == 1 && len(z) > 1:
		for i := range z {
			z[i] = T(f(float64(x[i]), float64(y[0])))
		}
	default:
		for i := range z {
			z[i] = T(f(float64(x[i]), float64(y[i])))
		}
	}
}

// arithOK panics with an internal error unless ok: a fused kernel's
// operands misfit, a bug of the fusion.
func arithOK(ok bool) {
	if !ok {
		tensor.Panicf(tensor.ErrShape, "fused", "internal error: operands misfit")
	}
}

// arithInto runs kernel.Arith; the operands' lengths are the group's, so a
// misfit is a bug of the fusion, reported as an internal error.
func arithInto[T kernel.Float](op kernel.ArithOp, z, x, y []T) {
	if !kernel.Arith(op, z, x, y) {
		tensor.Panicf(tensor.ErrShape, "fused", "internal error: operands of %d and %d elements into %d", len(x), len(y), len(z))
	}
}
