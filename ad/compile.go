package ad

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/tensor"
)

// Program is a computation recorded once by Compile and replayed on new
// inputs without recording again, like a compiled tape (jax.jit in spirit,
// torch.jit.trace in its rules): the sequence of primitives that ran at the
// example inputs — derivative computations included — becomes a flat list
// of instructions over registers.
//
// Before replay, runs of elementwise instructions over one shape and dtype
// are fused (see fuse.go): Program.String shows them as fused groups, with
// a * on the results something outside the group reads.
//
// When every register is a float64 scalar — code written one scalar op at
// a time — the program runs over a flat float64 register file, and runs of
// repeated instructions (a Go loop recorded unrolled) are rolled back up
// into loops over the register file (see reroll.go), computing bit for bit
// what the unrolled instructions would.
//
// Control flow is resolved when recording: a branch taken on a value
// (Value.Item, Value.Tensor) is baked in, so a Program is valid for inputs
// that take the same branches.
//
// A Program is safe for concurrent use by multiple goroutines, as a
// jax.jit function is: each call of Run or AppendRun works in registers of
// its own, taken from a pool (a program called by one goroutine at a time
// reuses one set and allocates none for them). Donate is the exception: it
// changes the program, so call it before sharing the program, and a
// donated input given to concurrent calls is the caller's error (see
// Donate).
type Program struct {
	code   []instr // nil in the scalar form
	vals   []Value // the registers: inputs, constants, then results, only the constants set (nil in the scalar form)
	ninstr int     // the number of instructions
	nin    int
	inputs []inputSpec // the example inputs' shapes and dtypes, for checks
	outs   []int32

	scalar     []sinstr  // the float64 scalar form, if every register is one
	sprims     []*prim   // its instructions' primitives (nil for a loop), for String
	f64        []float64 // its registers as recorded (the constants for a run)
	f1s        []func(float64) float64
	f2s        []func(float64, float64) float64 // in the order of their instructions
	loops      []loop                           // the scalar form's rerolled runs
	souts      []int32                          // the scalar form's output registers
	stmp       []float64                        // the loops' scratch (its length for a run)
	scratch    *scratch                         // the runs' registers
	rerollWork int                              // the instructions rerolling examined
	free       [][]int32                        // per instruction: registers whose storage dies there
	steps      []step                           // the run: instructions and fused groups
	freeAt     []int                            // per instruction: the step after which its frees happen
	inLast     []int                            // per input: the instruction that last reads its storage, or -1 to keep it
	donate     [][]int32                        // per step: donated inputs whose storage dies there
	constStore map[any]bool                     // the storage of the constants
	cse        map[uint64]int32                 // recording: instructions seen, by argument registers (cseKey) → the latest of their cseEnts
	cseEnts    []cseEnt                         // recording: per instruction seen, its prim and output, chained by arguments
	cseArg     []uint8                          // recording: per register, whether an instruction seen has it as first (1) or second (2) argument
	consts     map[uint64]int32                 // recording: scalar constants' registers
	argBuf     []int32                          // recording: the instructions' argument registers
	regShapes  [][]int                          // the general form: each register's shape, for View
	regDTypes  []tensor.DType                   // and its dtype
}

// inputSpec is the shape and dtype an input must have.
type inputSpec struct {
	shape  []int
	dtype  tensor.DType
	scalar bool // a float64 scalar, held inline
}

// instr applies p to registers args, writing register out.
type instr struct {
	p    *prim
	prm  *params
	args []int32
	out  int32
}

// Compile runs f once at the example inputs xs, recording every primitive
// it applies (at any depth of Grad, JVP, … inside f), and returns the
// Program. f is a Func (its one output is the Program's) or a
// func([]Value) []Value with any number of outputs. Inputs must be
// constants (not values being differentiated outside f); values f captures
// from outside are baked in as constants.
// Compiling costs time and memory linear in the number of primitives f
// applies. It panics with tensor.ErrGraph if f captures a value of an
// active transformation, and with tensor.ErrArg if f is nil.
func Compile[F Func | ~func([]Value) []Value](f F, xs ...Value) *Program {
	g := fnMulti("compile", f)
	check("compile", xs...)
	t := newTrace(stageTrace)
	p := &Program{nin: len(xs), cse: map[uint64]int32{}, consts: map[uint64]int32{}, scratch: &scratch{}}
	for _, x := range xs {
		p.inputs = append(p.inputs, inputSpec{slices.Clone(x.Shape()), x.DType(), x.isScalar()})
	}
	t.prog = p
	in := make([]Value, len(xs))
	for i, x := range xs {
		if x.tc != nil {
			tensor.Panicf(tensor.ErrGraph, "compile", "input %d is being differentiated outside Compile; compile the whole computation instead", i)
		}
		x = x.strong() // an input is a variable, of its own dtype
		in[i] = t.newTracer(x, Value{}, p.reg(x))
	}
	ys := g(in)
	t.done = true
	for _, y := range ys {
		check("compile", y)
		if y.tc == t {
			p.outs = append(p.outs, y.idx())
		} else if y.tc == nil {
			p.outs = append(p.outs, p.reg(y)) // an output that does not depend on the inputs
		} else {
			tensor.Panicf(tensor.ErrGraph, "compile", "an output escaped from a transformation inside the compiled function")
		}
	}
	p.prune()
	p.combinePads()
	p.cse, p.cseEnts, p.cseArg, p.consts, p.argBuf = nil, nil, nil, nil, nil
	p.ninstr = len(p.code)
	p.lowerScalar()
	if p.scalar != nil { // no storage to recycle, nothing to fuse
		p.code, p.vals = nil, nil // the scalar form replaces them
		p.inLast = make([]int, p.nin)
		for i := range p.inLast {
			p.inLast[i] = -1
		}
		return p
	}
	p.planRecycling()
	p.fuse()
	p.recordRegisters()
	// a run writes the inputs and results before reading them: hold on to
	// the constants only, not the example inputs and what they computed
	clear(p.vals[:p.nin])
	for _, in := range p.code {
		p.vals[in.out] = Value{}
	}
	return p
}

// args returns n argument registers for a new instruction, cut from a
// shared buffer so that recording allocates once per thousand or so.
func (p *Program) args(n int) []int32 {
	if len(p.argBuf)+n > cap(p.argBuf) {
		p.argBuf = make([]int32, 0, max(n, 2048))
	}
	a := p.argBuf[len(p.argBuf) : len(p.argBuf)+n : len(p.argBuf)+n]
	p.argBuf = p.argBuf[:len(p.argBuf)+n]
	return a
}

// reg appends a register holding v and returns its index.
func (p *Program) reg(v Value) int32 {
	if len(p.vals) == cap(p.vals) {
		p.vals = slices.Grow(p.vals, len(p.vals)) // double: append grows large slices by 1.25×, copying each value ~5 times
	}
	p.vals = append(p.vals, v)
	return int32(len(p.vals) - 1)
}

// processStage runs p eagerly and records it as an instruction, after a
// few peephole simplifications: multiplying by 1, adding −0 or subtracting
// +0 records nothing, multiplying by -1 becomes a negation, a strong multiplication by
// a finite non-zero constant a plain one, and an instruction identical to
// an earlier one reuses its register.
func (t *trace) processStage(pr *prim, prm *params, args []Value) Value {
	prog := t.prog
	regs := prog.args(len(args))
	var vbuf [4]Value
	vals := vbuf[:0]
	if len(args) > len(vbuf) {
		vals = make([]Value, len(args))
	}
	vals = vals[:len(args)]
	for i, a := range args {
		switch {
		case a.tc == nil:
			regs[i], vals[i] = prog.constant(a), a
		case a.tc == t:
			regs[i], vals[i] = a.idx(), prog.vals[a.idx()]
		default:
			tensor.Panicf(tensor.ErrGraph, "compile", "%s: a value of a transformation outside Compile was captured", pr.name)
		}
	}
	if len(args) == 2 && prm == nil {
		if v, ok := t.simplify(pr, args, vals); ok {
			return v
		}
		if pr == chainMulPrim || pr == mulPrim {
		consts:
			for i := 0; i < 2; i++ {
				if c, ok := scalarConst(args[i]); ok && sameShape(vals[1-i].Shape(), shapeOf2(vals)) {
					switch {
					case c == -1:
						pr, regs, vals = negPrim, regs[1-i:2-i], vals[1-i:2-i]
					case pr == chainMulPrim && c != 0 && c-c == 0:
						pr = mulPrim
					}
					break consts
				}
			}
		}
	}
	var key uint64
	seen := int32(-2) // the latest instruction with key's arguments, -1 for none; -2: no CSE
	if prm == nil && len(regs) <= 2 {
		b := int32(-1)
		if len(regs) == 2 {
			b = regs[1]
		}
		key, seen = cseKey(regs[0], b), -1
		// a register no instruction seen had as that argument (a value
		// just made, in a recurrence) cannot match: skip the map
		if prog.argOf(regs[0])&1 != 0 && (b < 0 || prog.argOf(b)&2 != 0) {
			if h, ok := prog.cse[key]; ok {
				seen = h
				for e := h; e >= 0; e = prog.cseEnts[e].next {
					if en := prog.cseEnts[e]; en.p == pr {
						return t.newTracer(prog.vals[en.out], Value{}, en.out)
					}
				}
			}
		}
	}
	out := eval(pr, prm, vals)
	r := prog.reg(out)
	if len(prog.code) == cap(prog.code) {
		prog.code = slices.Grow(prog.code, len(prog.code)) // double, as in reg
	}
	prog.code = append(prog.code, instr{p: pr, prm: prm, args: regs, out: r})
	if seen > -2 {
		prog.cseEnts = append(prog.cseEnts, cseEnt{p: pr, out: r, next: seen})
		prog.cse[key] = int32(len(prog.cseEnts) - 1)
		prog.markArg(regs[0], 1)
		if len(regs) == 2 {
			prog.markArg(regs[1], 2)
		}
	}
	return t.newTracer(out, Value{}, r)
}

// argOf returns register r's cseArg flags.
func (p *Program) argOf(r int32) uint8 {
	if int(r) < len(p.cseArg) {
		return p.cseArg[r]
	}
	return 0
}

// markArg sets flag f of register r in cseArg.
func (p *Program) markArg(r int32, f uint8) {
	if int(r) >= len(p.cseArg) {
		p.cseArg = slices.Grow(p.cseArg, max(int(r)+1, 2*len(p.cseArg))-len(p.cseArg))
		p.cseArg = p.cseArg[:cap(p.cseArg)]
	}
	p.cseArg[r] |= f
}

// cseKey returns the key of an instruction's argument registers a and b
// (-1 for none) in Program.cse: one machine word, which Go's maps hash
// fast, with the prims of the instructions over the same arguments (a
// handful at most) chained in cseEnts.
func cseKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// cseEnt is an instruction seen while recording: its prim, its output
// register and the previous instruction over the same arguments, or -1.
type cseEnt struct {
	p         *prim
	out, next int32
}

// simplify returns the argument that x·1, 1·x, x+(−0), (−0)+x or x−(+0)
// equals bit for bit, if it has the result's shape. Only those are
// identities in IEEE arithmetic: x + (+0) turns x = −0 into +0, and x − (−0)
// does too, so they are recorded like any addition (XLA drops them; eager
// and compiled results would then differ in the sign of a zero).
func (t *trace) simplify(pr *prim, args, vals []Value) (Value, bool) {
	var unit float64
	switch pr {
	case mulPrim, chainMulPrim:
		unit = 1
	case addPrim:
		unit = math.Copysign(0, -1)
	case subPrim:
		unit = 0
	default:
		return Value{}, false
	}
	for i := 0; i < 2; i++ {
		if pr == subPrim && i == 0 {
			continue // 0 - x is not x
		}
		if c, ok := scalarConst(args[i]); ok && math.Float64bits(c) == math.Float64bits(unit) && sameShape(vals[1-i].Shape(), shapeOf2(vals)) && vals[1-i].DType() == vals[i].DType() {
			return args[1-i], true
		}
	}
	return Value{}, false
}

// scalarConst returns the value of a one-element constant.
func scalarConst(v Value) (float64, bool) {
	if v.tc != nil || v.Size() != 1 {
		return 0, false
	}
	return v.Item(), true
}

// shapeOf2 returns the broadcast shape of two values.
func shapeOf2(vals []Value) []int {
	return tensor.BroadcastShapes("compile", vals[0].Shape(), vals[1].Shape())
}

// constant returns a register holding the constant v, shared among equal
// scalar constants.
func (p *Program) constant(v Value) int32 {
	if v.isScalar() {
		k := math.Float64bits(v.s)
		if r, ok := p.consts[k]; ok {
			return r
		}
		r := p.reg(v)
		p.consts[k] = r
		return r
	}
	return p.reg(v)
}

// prune drops instructions whose results no output needs.
func (p *Program) prune() {
	live := make([]bool, len(p.vals))
	for _, o := range p.outs {
		live[o] = true
	}
	for i := len(p.code) - 1; i >= 0; i-- {
		if in := p.code[i]; live[in.out] {
			for _, a := range in.args {
				live[a] = true
			}
		}
	}
	p.code = slices.DeleteFunc(p.code, func(in instr) bool { return !live[in.out] })
}

// combinePads rewrites add(pad(a), pad(b)) along one axis — the gradient
// of a function of two slices of one array, like x[1:] − x[:−1] — as one
// pad_add instruction when nothing else reads the two pads: the sum is
// written once instead of two zero-padded copies and a third array.
func (p *Program) combinePads() {
	reads := make([]int, len(p.vals))
	for _, in := range p.code {
		for _, a := range in.args {
			reads[a]++
		}
	}
	for _, o := range p.outs {
		reads[o]++
	}
	def := make([]int, len(p.vals)) // register → index+1 of the instruction writing it
	for i, in := range p.code {
		def[in.out] = i + 1
	}
	pad := func(r int32) (int, bool) {
		d := def[r] - 1
		return d, d >= 0 && p.code[d].p == padPrim && reads[r] == 1
	}
	dead := make([]bool, len(p.code))
	for i, in := range p.code {
		if in.p != addPrim || in.prm != nil {
			continue
		}
		da, okA := pad(in.args[0])
		db, okB := pad(in.args[1])
		if !okA || !okB || da == db {
			continue
		}
		pa, pb := p.code[da], p.code[db]
		out := p.vals[in.out]
		if pa.prm.axis != pb.prm.axis || !sameShape(p.vals[pa.out].Shape(), out.Shape()) ||
			!sameShape(p.vals[pb.out].Shape(), out.Shape()) || p.vals[pa.out].DType() != p.vals[pb.out].DType() {
			continue
		}
		dead[da], dead[db] = true, true
		p.code[i] = instr{p: padAddPrim, out: in.out, args: []int32{pa.args[0], pb.args[0]},
			prm: &params{axis: pa.prm.axis, start: pa.prm.start, stop: pb.prm.start, shape: slices.Clone(out.Shape())}}
	}
	p.code = slices.DeleteFunc(p.code, func(in instr) bool { return in.p == padPrim && dead[def[in.out]-1] })
}

// padAddPrim is pad(a) + pad(b) along params.axis, a padded with start
// zeros before it and b with stop, to params.shape. Only Compile makes it,
// after recording, so it has no derivative rules.
var padAddPrim = &prim{
	name: "pad_add",
	impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
		return padAdd(t[0], t[1], p.axis, p.start, p.stop, p.shape)
	},
}

// planRecycling finds, for each instruction, the tensors whose storage no
// later instruction or output uses, so that Run can hand it back for reuse.
// Registers sharing storage (a reshape and its argument) die together;
// inputs, constants and outputs are never recycled.
func (p *Program) planRecycling() {
	group := map[any]int32{} // storage → last instruction using it (-1: keep)
	owner := map[any]int32{} // storage → a register holding it
	key := func(r int32) any {
		v := p.vals[r]
		if v.isScalar() {
			return nil
		}
		return v.t.Storage()
	}
	for r := 0; r < len(p.vals); r++ {
		if k := key(int32(r)); k != nil {
			group[k] = -1
		}
	}
	made := map[any]bool{} // storage first produced by an instruction
	produced := make([]bool, len(p.vals))
	for _, in := range p.code {
		produced[in.out] = true
	}
	for r := range p.vals { // inputs and constants keep their storage
		if k := key(int32(r)); k != nil && !produced[r] {
			owner[k] = int32(r)
		}
	}
	for i, in := range p.code {
		if k := key(in.out); k != nil {
			if _, seen := owner[k]; !seen {
				owner[k] = in.out
				// custom rules and checkpoints run user code, which may
				// return storage it holds elsewhere: never recycle that
				made[k] = in.p.full == nil
			}
			group[k] = int32(i)
		}
		for _, a := range in.args {
			if k := key(a); k != nil {
				group[k] = int32(i)
			}
		}
	}
	for _, o := range p.outs {
		if k := key(o); k != nil {
			made[k] = false
		}
	}
	p.free = make([][]int32, len(p.code))
	for k, last := range group {
		if made[k] && last >= 0 {
			p.free[last] = append(p.free[last], owner[k])
		}
	}
	// an input may be donated (see Donate) unless its storage is held by
	// another input or constant, or reaches an output
	held := map[any]int{}
	p.constStore = map[any]bool{}
	for r := range p.vals {
		if k := key(int32(r)); k != nil && !produced[r] {
			held[k]++
			if r >= p.nin {
				p.constStore[k] = true
			}
		}
	}
	out := map[any]bool{}
	for _, o := range p.outs {
		out[key(o)] = true
	}
	p.inLast = make([]int, p.nin)
	for i := range p.inLast {
		p.inLast[i] = -1
		if k := key(int32(i)); k != nil && held[k] == 1 && !out[k] {
			p.inLast[i] = int(group[k])
		}
	}
}

// Donate lets Run reuse the storage of the given inputs once the program
// no longer needs them, as jax.jit's donate_argnums does: a training step
// that maps parameters to new parameters then allocates nothing large. The
// caller gives up each donated input tensor, and every tensor sharing its
// storage, when it passes it to Run, which empties it (its shape becomes
// (0)) — unless another input of that run or a constant the program
// captured shares its storage, or an output holds it: then it is left
// intact. Only storage that package tensor allocated whole is reused,
// never a caller's slice or a view. Each call replaces the set of donated
// inputs (Donate() clears it). Donate is not safe to call while p runs on
// another goroutine; concurrent runs of a program with donated inputs are
// safe as long as each gets inputs of its own — donating is the caller's
// promise that nothing else, including another run, uses the tensor.
// Donate returns p, and panics with tensor.ErrIndex for an input index out
// of range.
func (p *Program) Donate(inputs ...int) *Program {
	p.donate = make([][]int32, len(p.steps))
	for _, i := range inputs {
		if i < 0 || i >= p.nin {
			tensor.Panicf(tensor.ErrIndex, "donate", "input %d of a program of %d", i, p.nin)
		}
		if l := p.inLast[i]; l >= 0 && p.scalar == nil {
			s := p.freeAt[l]
			p.donate[s] = append(p.donate[s], int32(i))
		}
	}
	return p
}

// recycleDonated empties the donated inputs whose storage dies at step s,
// handing it back for reuse unless another input of this run or a constant
// of the program shares it.
func (p *Program) recycleDonated(s int, xs []Value) {
	for _, i := range p.donate[s] {
		if xs[i].isScalar() {
			continue
		}
		t := xs[i].t
		k := t.Storage()
		shared := p.constStore[k] // a constant the program captured
		for j, x := range xs {
			if j != int(i) && !x.isScalar() && x.t.Storage() == k {
				shared = true
			}
		}
		if !shared {
			tensor.Recycle(t)
		}
	}
}

// Run replays the program on new inputs, which must have the example
// inputs' shapes and dtypes, and returns the outputs. It panics with
// tensor.ErrShape or tensor.ErrDType otherwise, with tensor.ErrArg for a
// wrong number of inputs or a zero Program (not made by Compile). It may
// be called from several goroutines at once.
func (p *Program) Run(xs ...Value) []Value {
	return p.AppendRun(make([]Value, 0, len(p.outs)), xs...)
}

// AppendRun replays the program like Run and appends the outputs to dst,
// returning the extended slice (as strconv.AppendInt does): a loop that
// replays a program with many outputs passes the previous result sliced
// to length 0 and allocates nothing. It panics as Run does.
func (p *Program) AppendRun(dst []Value, xs ...Value) []Value {
	if p.scratch == nil {
		tensor.Panicf(tensor.ErrArg, "program run", "a zero Program; make one with Compile")
	}
	if len(xs) != p.nin {
		tensor.Panicf(tensor.ErrArg, "program run", "%d inputs for a program of %d", len(xs), p.nin)
	}
	for i, x := range xs {
		e := &p.inputs[i]
		if x.t == scalarT && e.scalar && x.tc == nil {
			continue // the common case of scalar code, checked quickly
		}
		check("program run", x)
		if x.DType() != e.dtype {
			tensor.Panicf(tensor.ErrDType, "program run", "input %d is %s, recorded as %s", i, x.DType(), e.dtype)
		}
		if !sameShape(x.Shape(), e.shape) {
			tensor.Panicf(tensor.ErrShape, "program run", "input %d has shape %s, recorded as %s", i, tensor.ShapeString(x.Shape()), tensor.ShapeString(e.shape))
		}
		if x.tc != nil {
			tensor.Panicf(tensor.ErrGraph, "program run", "input %d is being differentiated; a Program runs on constants", i)
		}
	}
	st := p.scratch.get(p)
	if p.scalar != nil {
		dst = p.runScalar(st, dst, xs)
	} else {
		vals := st.vals
		copy(vals, xs)
		for si, s := range p.steps {
			if s.g != nil {
				s.g.run(vals)
			} else {
				exec(vals, p.code[s.in])
			}
			recycle(vals, s.free)
			if p.donate != nil {
				p.recycleDonated(si, xs)
			}
		}
		for _, o := range p.outs {
			dst = append(dst, vals[o])
		}
		copy(vals, p.vals) // hold on to none of this run's tensors
	}
	p.scratch.put(st)
	return dst
}

// runState is the scratch of one run: the registers of the general form,
// or those of the scalar form and its loops' scratch.
type runState struct {
	vals []Value
	f64  []float64
	stmp []float64
}

// scratch hands out run states, so that a Program is safe for concurrent
// use: one state kept aside, which a program run by one goroutine at a
// time takes and gives back without allocating, and a pool for the runs
// that overlap it.
type scratch struct {
	spare atomic.Pointer[runState]
	pool  sync.Pool
}

// get returns a run state for p, its registers holding p's constants.
func (sc *scratch) get(p *Program) *runState {
	if st := sc.spare.Swap(nil); st != nil {
		return st
	}
	if st, ok := sc.pool.Get().(*runState); ok {
		return st
	}
	if p.scalar != nil {
		return &runState{f64: slices.Clone(p.f64), stmp: make([]float64, len(p.stmp))}
	}
	return &runState{vals: slices.Clone(p.vals)}
}

// put gives a run state back.
func (sc *scratch) put(st *runState) {
	if !sc.spare.CompareAndSwap(nil, st) {
		sc.pool.Put(st)
	}
}

// appendInstr prints one instruction for String.
func appendInstr(b []byte, in Instr) []byte {
	b = fmt.Appendf(b, "r%d = %s(", in.Out, in.Op)
	for j, a := range in.Args {
		if j > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "r%d", a)
	}
	return append(b, ")\n"...)
}

// exec runs one instruction over the registers vals.
func exec(vals []Value, in instr) {
	var buf [4]Value
	args := buf[:0]
	for _, a := range in.args {
		args = append(args, vals[a])
	}
	vals[in.out] = eval(in.p, in.prm, args)
}

// recycle hands the storage of registers rs back for reuse.
func recycle(vals []Value, rs []int32) {
	for _, r := range rs {
		if v := vals[r]; !v.isScalar() {
			tensor.Recycle(v.t)
		}
	}
}

// Len returns the number of instructions recorded, after dead ones are
// pruned and before fusion and rerolling.
func (p *Program) Len() int { return p.ninstr }

// Clone returns a copy of the program with its own scratch registers and
// its own set of donated inputs (see Donate). A Program is safe for
// concurrent use, so goroutines no longer need a Clone each; a Clone is
// still useful to donate inputs on some calls and not on others.
func (p *Program) Clone() *Program {
	q := *p
	q.scratch = &scratch{}
	return &q
}

// The scalar form: when every register is a float64 scalar, the program
// runs over a float64 register file, with the commonest primitives inlined
// and runs of repeated instructions rerolled into loops (see reroll.go).

type sop uint8

const (
	sGeneric1 sop = iota
	sGeneric2
	sAdd
	sSub
	sMul
	sDiv
	sStrongMul
	sNeg
	sLoop // runs Program.loops[a]
)

// sinstr is a scalar instruction, kept to 16 bytes; generic ones index
// their kernel in Program.f1s or Program.f2s with b or a spare field.
type sinstr struct {
	op   sop
	a, b int32
	out  int32
}

func (p *Program) lowerScalar() {
	for _, v := range p.vals {
		if !v.isScalar() {
			return
		}
	}
	code := make([]sinstr, 0, len(p.code))
	prims := make([]*prim, 0, len(p.code))
	for _, in := range p.code {
		s := sinstr{out: in.out}
		switch {
		case len(in.args) == 1 && in.p.s1 != nil:
			s.op, s.a = sGeneric1, in.args[0]
			if in.p == negPrim {
				s.op = sNeg
			}
		case len(in.args) == 2 && in.p.s2 != nil:
			s.op, s.a, s.b = sGeneric2, in.args[0], in.args[1]
			switch in.p {
			case addPrim:
				s.op = sAdd
			case subPrim:
				s.op = sSub
			case mulPrim:
				s.op = sMul
			case divPrim:
				s.op = sDiv
			case chainMulPrim:
				s.op = sStrongMul
			}
		default:
			return // a primitive without a scalar kernel: keep the general form
		}
		code = append(code, s)
		prims = append(prims, in.p)
	}
	p.f64 = make([]float64, len(p.vals))
	for i, v := range p.vals {
		p.f64[i] = v.s
	}
	p.souts = p.outs
	if rerolling {
		code, prims = p.reroll(code, prims)
		code, prims = p.renumber(code, prims)
	}
	for i, s := range code {
		switch s.op {
		case sGeneric1:
			code[i].b = int32(len(p.f1s))
			p.f1s = append(p.f1s, prims[i].s1)
		case sGeneric2:
			p.f2s = append(p.f2s, prims[i].s2)
		}
	}
	p.scalar, p.sprims = code, prims
}

func (p *Program) runScalar(st *runState, dst, xs []Value) []Value {
	r := st.f64
	for i, x := range xs {
		if x.t == scalarT {
			r[i] = x.s
		} else {
			r[i] = x.t.AtFlat(0) // a float64 scalar tensor not held inline
		}
	}
	g2 := 0 // the next generic binary kernel
	for i := range p.scalar {
		in := p.scalar[i]
		switch in.op {
		case sAdd:
			r[in.out] = r[in.a] + r[in.b]
		case sSub:
			r[in.out] = r[in.a] - r[in.b]
		case sMul:
			r[in.out] = r[in.a] * r[in.b]
		case sDiv:
			r[in.out] = r[in.a] / r[in.b]
		case sStrongMul:
			r[in.out] = smul(r[in.a], r[in.b])
		case sNeg:
			r[in.out] = -r[in.a]
		case sGeneric1:
			r[in.out] = p.f1s[in.b](r[in.a])
		case sLoop:
			p.loops[in.a].run(r, st.stmp)
		default:
			r[in.out] = p.f2s[g2](r[in.a], r[in.b])
			g2++
		}
	}
	for _, o := range p.souts {
		dst = append(dst, inline(r[o]))
	}
	return dst
}

// String lists the program as it runs, one instruction a line, after a
// header defining its inputs and the constants it reads:
//
//	r0 = input float64(3)
//	r4 = const 0.5
//	r5 = const float64(3, 3)
//	r6 = matmul(r5, r0)
//
// Fused groups are listed in braces, a * marking the results something
// outside the group reads (the others live in scratch). The scalar form of
// an all-scalar program lists its own registers, and a rerolled loop as
//
//	loop j < 999: r[1004+j] = mul(r[2+2*j], r4)
//
// iteration j writing register 1004+j from registers 2+2j and 4. The last
// line returns the outputs. Every register is defined before it is read.
func (p *Program) String() string {
	v := p.View()
	var b []byte
	for _, in := range v.Inputs {
		b = fmt.Appendf(b, "r%d = input %s%s\n", in.Index, in.DType, tensor.ShapeString(in.Shape))
	}
	for _, c := range v.Consts {
		b = appendConst(b, c)
	}
	for i := 0; i < len(v.Instrs); {
		in := v.Instrs[i]
		switch {
		case in.Loop != nil:
			b = appendLoop(b, in)
			i++
		case in.Group >= 0:
			b = fmt.Appendf(b, "fused %s {\n", tensor.ShapeString(in.Shape))
			for ; i < len(v.Instrs) && v.Instrs[i].Group == in.Group; i++ {
				mark := "   "
				if v.Instrs[i].Kept {
					mark = "  *"
				}
				b = appendInstr(append(b, mark...), v.Instrs[i])
			}
			b = append(b, "}\n"...)
		default:
			b = appendInstr(b, in)
			i++
		}
	}
	return string(appendReturn(b, v.Outputs))
}

// appendLoop prints a rerolled loop for String.
func appendLoop(b []byte, in Instr) []byte {
	reg := func(b []byte, r, s int) []byte {
		switch s {
		case 0:
			return fmt.Appendf(b, "r%d", r)
		case 1:
			return fmt.Appendf(b, "r[%d+j]", r)
		case -1:
			return fmt.Appendf(b, "r[%d-j]", r)
		}
		return fmt.Appendf(b, "r[%d%+d*j]", r, s)
	}
	b = fmt.Appendf(b, "loop j < %d: ", in.Loop.N)
	b = reg(b, in.Out, in.Loop.OutStride)
	b = fmt.Appendf(b, " = %s(", in.Op)
	for i, a := range in.Args {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = reg(b, a, in.Loop.ArgStrides[i])
	}
	return append(b, ")\n"...)
}

// appendConst prints constant c for String: an inline scalar's value,
// else its dtype and shape, followed by its value if it has one element or
// "filled x" if every element is x.
func appendConst(b []byte, c Const) []byte {
	b = fmt.Appendf(b, "r%d = const ", c.Index)
	x := c.Value.Float64s()
	if c.Inline {
		return fmt.Appendf(b, "%v\n", x[0])
	}
	b = fmt.Appendf(b, "%s%s", c.DType, tensor.ShapeString(c.Shape))
	switch {
	case len(x) == 1:
		b = fmt.Appendf(b, " %v", x[0])
	case len(x) > 1 && uniform(x):
		b = fmt.Appendf(b, " filled %v", x[0])
	}
	return append(b, '\n')
}

// appendReturn prints the return line for String.
func appendReturn(b []byte, outs []int) []byte {
	b = append(b, "return"...)
	for i, o := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, " r%d", o)
	}
	return append(b, '\n')
}
