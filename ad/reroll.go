package ad

import (
	"gonum.org/v1/gonum/floats"
)

// Rerolling: code written one scalar op at a time in a Go loop records the
// loop unrolled — W1's Rosenbrock function records the same 8 instructions
// for each of its 999 terms, and its gradient the same 9 in reverse.
// Interpreting 17,000 instructions one by one costs a dispatch each. The
// scalar form finds such runs and rolls them back up: a run of R
// repetitions of L instructions, whose registers advance by a fixed stride
// from one repetition to the next, becomes up to L loops of R iterations
// (one per instruction of the repeated block), ordered so that every
// register is written before it is read. This is loop rerolling, the inverse of
// unrolling (and akin to superword-level parallelism, which packs
// isomorphic instructions the same way; Larsen & Amarasinghe, PLDI 2000).
//
// The registers of the scalar form are in SSA form (each written by one
// instruction), which makes the legality check exact: a pack — the
// instances of one instruction of the block — may run as a loop after the
// packs it reads, and may read its own earlier iterations (a recurrence
// such as a running sum). Packs on a cycle of dependencies — a recurrence
// through several instructions, like an RNN's state — cannot: they stay
// unrolled, interleaved as recorded, between the loops of the other packs
// (the strongly connected components of the pack graph, in topological
// order). Each instance computes exactly what it did unrolled, so results
// are bit-for-bit unchanged.

// rerolling turns the pass on and renumbering its register renumbering;
// tests turn them off to compare.
var rerolling, renumbering = true, true

const (
	rerollMinReps   = 4  // the fewest repetitions worth a loop
	rerollMaxPeriod = 64 // the longest repeated block looked for
)

// loop is one pack of a rerolled run: iteration j computes
// r[out+j·so] = op(r[a+j·sa], r[b+j·sb]) for j < n.
type loop struct {
	op         sop
	n          int32
	out, a, b  int32
	so, sa, sb int32
	p          *prim // its kernel is p.s1 or p.s2
}

// unary reports whether op reads one register.
func (op sop) unary() bool { return op == sGeneric1 || op == sNeg }

// unary reports whether l reads one register.
func (l *loop) unary() bool { return l.op.unary() }

// reroll returns the scalar code with its runs of repeated blocks replaced
// by sLoop instructions (whose prims are nil), appending the loops to
// p.loops. Its cost is linear in the length of the code: see roller.
func (p *Program) reroll(code []sinstr, prims []*prim) ([]sinstr, []*prim) {
	ro := newRoller(code, prims, len(p.vals))
	var out []sinstr
	var outp []*prim
	for i := 0; i < len(code); {
		L, R, groups, skip := ro.findRun(i)
		if R == 0 {
			n := max(skip, 1) // a run all on cycles is left as recorded
			out, outp = append(out, code[i:i+n]...), append(outp, prims[i:i+n]...)
			i += n
			continue
		}
		for _, g := range groups {
			if len(g) > 1 { // packs on a cycle: unrolled, in their recorded order
				for j := 0; j < R; j++ {
					for _, k := range g {
						q := i + j*L + k
						out, outp = append(out, code[q]), append(outp, prims[q])
					}
				}
				continue
			}
			k := g[0]
			s0, s1 := code[i+k], code[i+L+k]
			p.loops = append(p.loops, loop{
				op: s0.op, n: int32(R),
				out: s0.out, a: s0.a, b: s0.b,
				so: s1.out - s0.out, sa: s1.a - s0.a, sb: s1.b - s0.b,
				p: prims[i+k],
			})
			out = append(out, sinstr{op: sLoop, a: int32(len(p.loops) - 1)})
			outp = append(outp, nil)
		}
		i += L * R
	}
	n := 0
	for _, l := range p.loops {
		n = max(n, int(l.n))
	}
	p.stmp = make([]float64, 2*n) // the loops' scratch for gathered operands
	p.rerollWork = ro.work
	return out, outp
}

// unary reports whether s reads one register.
func (s sinstr) unary() bool { return s.op.unary() }

// roller is the state of one rerolling pass, which looks for runs at each
// position of the code in turn. Looking afresh at every position would
// cost up to rerollMaxPeriod scans of the rest of a run per position —
// quadratic on a long recurrence, whose runs are found but all on a cycle
// and so not taken. Instead, per period l, the roller remembers the next
// position where the code stops repeating with period l (positions only
// move forward, so each period scans the code once); a run found all on
// cycles is passed over whole, its period (and the period's multiples,
// which split the same cycles) not examined again inside it.
type roller struct {
	code   []sinstr
	prims  []*prim
	writer []int32 // register → the instruction writing it, or -1
	// per period l: the first position ≥ some earlier query at which
	// instruction p is not instruction p−l's primitive (op), or whose
	// registers do not advance by the stride p−l's did from p−2l (step)
	op, step [rerollMaxPeriod + 1]int
	// per period l: the end of the last run of period l found all on
	// cycles; runs of period l starting inside it are not looked at again
	cyclicTo [rerollMaxPeriod + 1]int
	work     int // instructions examined, for the tests of its cost
}

func newRoller(code []sinstr, prims []*prim, nregs int) *roller {
	ro := &roller{code: code, prims: prims, writer: make([]int32, nregs)}
	for i := range ro.writer {
		ro.writer[i] = -1
	}
	for i, s := range code {
		ro.writer[s.out] = int32(i)
	}
	for l := range ro.op {
		ro.op[l], ro.step[l] = -1, -1
	}
	return ro
}

// opBreak returns the first position p ≥ x (x ≥ l) at which code[p] is not
// code[p−l]'s primitive, or len(code).
func (ro *roller) opBreak(l, x int) int {
	if ro.op[l] >= x {
		return ro.op[l]
	}
	p := x
	for ; p < len(ro.code); p++ {
		ro.work++
		if s, s0 := ro.code[p], ro.code[p-l]; s.op != s0.op || ro.prims[p] != ro.prims[p-l] {
			break
		}
	}
	ro.op[l] = p
	return p
}

// stepBreak returns the first position p ≥ x (x ≥ 2l) at which code[p]'s
// registers are not code[p−l]'s moved by the stride from code[p−2l] to
// code[p−l], or len(code).
func (ro *roller) stepBreak(l, x int) int {
	if ro.step[l] >= x {
		return ro.step[l]
	}
	p := x
	for ; p < len(ro.code); p++ {
		ro.work++
		s, s1, s0 := ro.code[p], ro.code[p-l], ro.code[p-2*l]
		if s.out-s1.out != s1.out-s0.out || s.a-s1.a != s1.a-s0.a || !s.unary() && s.b-s1.b != s1.b-s0.b {
			break
		}
	}
	ro.step[l] = p
	return p
}

// findRun looks for a run starting at code[i]: R ≥ rerollMinReps
// repetitions of a block of L instructions, each repetition the same
// primitives as the first with every register moved by the stride between
// the first two. It returns the run whose loops cover the most
// instructions (the shortest block among equals) with the groups of packs
// in the order they run (see packGroups), or R = 0 and, if runs were
// found but every pack of each lies on a cycle, the length of the longest
// of them (a recurrence whose instructions must all stay unrolled: the
// caller passes over it whole rather than searching again from each of
// its instructions).
func (ro *roller) findRun(i int) (L, R int, groups [][]int, skip int) {
	best := 0
	var cyclic [rerollMaxPeriod + 1]bool // periods whose runs here are all on cycles
	for l := 1; l <= rerollMaxPeriod && i+rerollMinReps*l <= len(ro.code); l++ {
		// a multiple of a period all on cycles splits the same cycles
		// between more packs: all on cycles too
		for d := 1; d <= l/2 && !cyclic[l]; d++ {
			cyclic[l] = l%d == 0 && cyclic[d]
		}
		if i < ro.cyclicTo[l] { // inside a run of period l all on cycles
			cyclic[l] = true
		}
		if cyclic[l] {
			continue
		}
		// the run of period l ends at the first position that breaks the
		// pattern set by its first two repetitions
		end := ro.opBreak(l, i+l)
		if (end-i)/l >= rerollMinReps {
			end = min(end, ro.stepBreak(l, i+2*l))
		}
		r := (end - i) / l
		if r < rerollMinReps || r*l <= best {
			continue
		}
		g, looped := packGroups(ro.code, ro.writer, i, l, r)
		ro.work += l * r
		if looped == 0 {
			cyclic[l], ro.cyclicTo[l] = true, i+l*r
			skip = max(skip, l*r)
		} else if looped*r > best {
			best, L, R, groups = looped*r, l, r, g
		}
	}
	return L, R, groups, skip
}

// packGroups returns the L packs of the run of R repetitions at code[i]
// grouped into the strongly connected components of their dependencies,
// in an order in which each group runs after every group it reads (the
// earliest pack of the block first among the ready ones), and the number
// of packs in groups of one, which can run as loops. The packs of a larger
// group read each other both ways across repetitions.
func packGroups(code []sinstr, writer []int32, i, L, R int) (groups [][]int, looped int) {
	after := make([][]int, L) // after[k]: the packs reading pack k
	seen := make([]bool, L*L) // seen[kw·L+k]: the edge kw → k is in after
	end := i + L*R
	for q := i; q < end; q++ {
		s := code[q]
		k := (q - i) % L
		args := [2]int32{s.a, s.b}
		na := 2
		if s.unary() {
			na = 1
		}
		for _, a := range args[:na] {
			w := int(writer[a])
			if w < i || w >= end {
				continue // written before the run (or an input or constant)
			}
			// a read of the same pack is of an earlier iteration (SSA order)
			if kw := (w - i) % L; kw != k && !seen[kw*L+k] {
				seen[kw*L+k] = true
				after[kw] = append(after[kw], k)
			}
		}
	}
	comp := components(after)
	nc := 0
	for _, c := range comp {
		nc = max(nc, c+1)
	}
	members := make([][]int, nc)
	for k, c := range comp {
		members[c] = append(members[c], k) // ascending k
	}
	needs := make([]int, nc) // the components a component reads
	cseen := make(map[[2]int]bool)
	for kw, ks := range after {
		for _, k := range ks {
			if a, b := comp[kw], comp[k]; a != b && !cseen[[2]int{a, b}] {
				cseen[[2]int{a, b}] = true
				needs[b]++
			}
		}
	}
	// Kahn's algorithm over the components
	done := make([]bool, nc)
	for len(groups) < nc {
		next := -1
		for k := 0; k < L && next < 0; k++ {
			if c := comp[k]; !done[c] && needs[c] == 0 {
				next = c
			}
		}
		done[next] = true
		groups = append(groups, members[next])
		if len(members[next]) == 1 {
			looped++
		}
		for _, kw := range members[next] {
			for _, k := range after[kw] {
				if c := comp[k]; c != next && cseen[[2]int{next, c}] {
					cseen[[2]int{next, c}] = false // count each edge between components once
					needs[c]--
				}
			}
		}
	}
	return groups, looped
}

// components returns, for each node of the graph with edges k → after[k],
// the index of its strongly connected component (Tarjan's algorithm).
func components(after [][]int) []int {
	n := len(after)
	index, low, comp := make([]int, n), make([]int, n), make([]int, n)
	for k := range index {
		index[k], comp[k] = -1, -1
	}
	var stack []int
	onStack := make([]bool, n)
	next, nc := 0, 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range after[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = nc
				if w == v {
					break
				}
			}
			nc++
		}
	}
	for k := range after {
		if index[k] < 0 {
			visit(k)
		}
	}
	return comp
}

// run executes the loop over the register file r, with tmp scratch of
// at least 2·l.n elements.
func (l *loop) run(r, tmp []float64) {
	if l.so != 1 || l.overlaps(l.a, l.sa) || !l.unary() && l.overlaps(l.b, l.sb) {
		l.runStrided(r)
		return
	}
	n := int(l.n)
	o := r[l.out:][:n]
	if l.sa == 0 || l.sb == 0 {
		if l.scalarOperand(r, o, tmp[:n]) {
			return
		}
	}
	a := strided(r, l.a, l.sa, tmp[:n])
	switch l.op {
	case sNeg:
		for j, x := range a[:len(o)] {
			o[j] = -x
		}
		return
	case sGeneric1:
		f := l.p.s1
		for j, x := range a[:len(o)] {
			o[j] = f(x)
		}
		return
	}
	b := a // x op x, as in a square
	if l.b != l.a || l.sb != l.sa {
		b = strided(r, l.b, l.sb, tmp[n:2*n])
	}
	b = b[:len(o)]
	switch l.op {
	case sAdd:
		if !l.recurrent() {
			floats.AddTo(o, a[:len(o)], b)
			return
		}
		for j, x := range a[:len(o)] {
			o[j] = x + b[j]
		}
	case sSub:
		if !l.recurrent() {
			floats.SubTo(o, a[:len(o)], b)
			return
		}
		for j, x := range a[:len(o)] {
			o[j] = x - b[j]
		}
	case sMul:
		for j, x := range a[:len(o)] {
			o[j] = x * b[j]
		}
	case sDiv:
		for j, x := range a[:len(o)] {
			o[j] = x / b[j]
		}
	case sStrongMul:
		for j, x := range a[:len(o)] {
			o[j] = smul(x, b[j])
		}
	default:
		f := l.p.s2
		for j, x := range a[:len(o)] {
			o[j] = f(x, b[j])
		}
	}
}

// scalarOperand runs a loop adding, subtracting or multiplying a vector
// and a fixed register into o, reporting false for other loops.
func (l *loop) scalarOperand(r, o, tmp []float64) bool {
	if l.unary() || l.sa == 0 && l.sb == 0 || l.op != sAdd && l.op != sSub && l.op != sMul {
		return false
	}
	va, vs, cr := l.b, l.sb, l.a // the vector operand, its stride, the fixed register
	if l.sb == 0 {
		va, vs, cr = l.a, l.sa, l.b
	}
	v, c := strided(r, va, vs, tmp)[:len(o)], r[cr]
	switch {
	case l.op == sMul: // c·x = x·c exactly
		floats.ScaleTo(o, c, v)
	case l.op == sAdd: // c + x = x + c exactly
		for j, x := range v {
			o[j] = x + c
		}
	case l.sb == 0: // x − c
		for j, x := range v {
			o[j] = x - c
		}
	default: // c − x
		for j, x := range v {
			o[j] = c - x
		}
	}
	return true
}

// strided returns the n registers r[a + j·s] as a slice: a window of r for
// s = 1, else gathered into tmp (for s = 0, the one value repeated).
func strided(r []float64, a, s int32, tmp []float64) []float64 {
	switch s {
	case 1:
		return r[a:][:len(tmp)]
	case 0:
		for j := range tmp {
			tmp[j] = r[a]
		}
	default:
		k := int(a)
		for j := range tmp {
			tmp[j] = r[k]
			k += int(s)
		}
	}
	return tmp
}

// recurrent reports whether the loop reads registers it writes (its own
// earlier iterations).
func (l *loop) recurrent() bool {
	return l.reads(l.a, l.sa) || !l.unary() && l.reads(l.b, l.sb)
}

// overlaps reports whether the operand r[a + j·s] is gathered (s ≠ 1)
// from registers the loop writes, which it must then read as they are
// written.
func (l *loop) overlaps(a, s int32) bool { return s != 1 && l.reads(a, s) }

// reads reports whether the operand r[a + j·s] meets the loop's results,
// which are consecutive (so = 1) wherever it is asked.
func (l *loop) reads(a, s int32) bool {
	lo, hi := a, a+(l.n-1)*s
	if lo > hi {
		lo, hi = hi, lo
	}
	return hi >= l.out && lo < l.out+l.n
}

// runStrided executes the loop with its registers at any strides, through
// the primitive's scalar kernel (the fallback when renumbering could not
// make the results consecutive, or an operand gathers what the loop writes).
func (l *loop) runStrided(r []float64) {
	o, a, b := int(l.out), int(l.a), int(l.b)
	so, sa, sb := int(l.so), int(l.sa), int(l.sb)
	if l.unary() {
		f := l.p.s1
		for range l.n {
			r[o] = f(r[a])
			o, a = o+so, a+sa
		}
		return
	}
	f := l.p.s2
	for range l.n {
		r[o] = f(r[a], r[b])
		o, a, b = o+so, a+sa, b+sb
	}
}

// renumber returns the scalar code with its registers renumbered in the
// order they are written, each loop's results consecutive, so that loops
// stream through the register file rather than stride across it; it
// permutes p.f64 and p.souts to match. A loop whose first iteration reads
// a register from outside its pattern (the seed of a recurrence such as a
// running sum) has that iteration peeled off into a single instruction. If
// some loop's operands would still not advance by a fixed stride in the
// new numbering, it changes nothing.
func (p *Program) renumber(code []sinstr, prims []*prim) ([]sinstr, []*prim) {
	if len(p.loops) == 0 || !renumbering {
		return code, prims
	}
	perm := make([]int32, len(p.vals))
	written := make([]bool, len(p.vals))
	for _, s := range code {
		if s.op != sLoop {
			written[s.out] = true
			continue
		}
		l := &p.loops[s.a]
		for j := range l.n {
			written[l.out+j*l.so] = true
		}
	}
	next := int32(0)
	for r := range perm { // inputs and constants first, in their order
		if !written[r] {
			perm[r] = next
			next++
		}
	}
	for _, s := range code {
		if s.op != sLoop {
			perm[s.out] = next
			next++
			continue
		}
		l := &p.loops[s.a]
		for j := range l.n {
			perm[l.out+j*l.so] = next
			next++
		}
	}
	// affine returns the base and stride of the renumbered registers
	// r0 + j·s for j0 ≤ j < j1, or false if they do not advance by a fixed
	// stride.
	affine := func(r0, s, j0, j1 int32) (int32, int32, bool) {
		b := perm[r0+j0*s]
		if j1-j0 == 1 || s == 0 {
			return b, 0, true
		}
		d := perm[r0+(j0+1)*s] - b
		for j := j0 + 2; j < j1; j++ {
			if perm[r0+j*s] != b+(j-j0)*d {
				return 0, 0, false
			}
		}
		return b, d, true
	}
	// window returns iterations j0 ≤ j < j1 of l in the new numbering.
	window := func(l loop, j0, j1 int32) (loop, bool) {
		var ok1, ok2, ok3 bool
		m := l
		m.n = j1 - j0
		m.out, m.so, ok1 = affine(l.out, l.so, j0, j1)
		m.a, m.sa, ok2 = affine(l.a, l.sa, j0, j1)
		ok3 = true
		if !l.unary() {
			m.b, m.sb, ok3 = affine(l.b, l.sb, j0, j1)
		}
		return m, ok1 && ok2 && ok3
	}
	// single returns iteration j of l as a single instruction.
	single := func(l loop, j int32) sinstr {
		s := sinstr{op: l.op, out: perm[l.out+j*l.so], a: perm[l.a+j*l.sa]}
		if !l.unary() {
			s.b = perm[l.b+j*l.sb]
		}
		return s
	}
	var out []sinstr
	var outp []*prim
	var loops []loop
	for i, s := range code {
		if s.op != sLoop {
			s.out, s.a = perm[s.out], perm[s.a]
			if !s.unary() {
				s.b = perm[s.b]
			}
			out, outp = append(out, s), append(outp, prims[i])
			continue
		}
		l := p.loops[s.a]
		var m loop
		ok := false
		var head, tail int32
	peel: // up to two iterations at either end
		for total := int32(0); total <= 4; total++ {
			for head = 0; head <= min(total, 2); head++ {
				if tail = total - head; tail <= 2 && l.n-total >= 2 {
					if m, ok = window(l, head, l.n-tail); ok {
						break peel
					}
				}
			}
		}
		if !ok {
			return code, prims
		}
		for j := int32(0); j < head; j++ {
			out, outp = append(out, single(l, j)), append(outp, l.p)
		}
		loops = append(loops, m)
		out, outp = append(out, sinstr{op: sLoop, a: int32(len(loops) - 1)}), append(outp, nil)
		for j := l.n - tail; j < l.n; j++ {
			out, outp = append(out, single(l, j)), append(outp, l.p)
		}
	}
	p.loops = loops
	f64 := make([]float64, len(p.f64))
	for r, v := range p.f64 {
		f64[perm[r]] = v
	}
	p.f64 = f64
	p.souts = make([]int32, len(p.outs))
	for i, o := range p.outs {
		p.souts[i] = perm[o]
	}
	return out, outp
}
