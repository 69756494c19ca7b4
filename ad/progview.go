package ad

// The read-only view of a compiled Program: what String prints and what
// exporters (package onnx) translate. It is built from the program's
// internals in one place, so that no reader walks them itself.

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// View is a read-only description of a compiled Program: its registers
// (inputs, constants, results) and its instructions in the order they run.
// Every register is defined before it is read: inputs first, then
// constants, then each instruction's result. Changing a View does not
// change the Program.
type View struct {
	Inputs  []Reg   // the inputs, registers 0 … len(Inputs)-1, in the order Run takes them
	Consts  []Const // the constants the instructions or outputs read
	Instrs  []Instr // the instructions, in the order Run executes them
	Outputs []int   // the registers Run returns, in order (a register may appear twice, or be an input or a constant)
	// Scalar reports the float64 scalar form (see Program): every
	// register is a float64 scalar (Shape empty), and Instrs may hold
	// rerolled loops (Instr.Loop).
	Scalar bool
	// Groups is the number of fused groups (see Instr.Group).
	Groups int
}

// Reg is a register: its index, and the shape and dtype of the value it
// holds.
type Reg struct {
	Index int
	Shape []int
	DType tensor.DType
}

// Const is a register holding a constant: a value captured by the compiled
// function or a number it used.
type Const struct {
	Reg
	Value *tensor.Tensor // its value; do not modify it
	// Inline reports a float64 scalar held inline (a Go number, or a
	// rank-0 float64 constant), which elementwise kernels apply to
	// operands of any dtype.
	Inline bool
}

// Instr is one instruction: Op applied to the argument registers Args
// writes register Out, of Shape and DType.
//
// Op names the primitive, as Program.String prints it. The elementwise
// ones, with NumPy broadcasting of their arguments: neg exp log log1p
// expm1 sqrt abs sign square sin cos tan asin acos atan sinh cosh tanh
// sigmoid relu softplus erf gelu gelu_tanh silu finite_or_zero (unary);
// add sub mul div pow atan2 maximum minimum hypot (binary; maximum and
// minimum propagate NaN); chain_mul (a·b, except 0 where a is 0 and a·b
// is NaN); equal not_equal greater greater_equal less less_equal (1 where
// true, 0 elsewhere, in the operands' dtype); where (a where cond ≠ 0,
// else b). The others read Params:
//
//	sum_to(x)              sum x down to Params.Shape (undoing a broadcast)
//	broadcast_to(x)        broadcast x to Params.Shape
//	max(x), min(x)         reduce over Params.Axes, kept as size 1
//	logsumexp(x)           log Σ exp(x) over Params.Axes, kept
//	reshape(x)             to Params.Shape
//	transpose(x)           permute the axes by Params.Perm
//	slice(x)               elements Params.Start ≤ i < Params.Stop along Params.Axis
//	pad(x)                 Params.Start zeros before and Params.Stop after along Params.Axis
//	pad_add(a, b)          pad(a) + pad(b) to Params.Shape along Params.Axis, a with Params.Start zeros before, b with Params.Stop
//	concat(xs...)          join along Params.Axis
//	take_along(x)          numpy.take_along_axis with Params.Index (row-major, of the result's shape) along Params.Axis
//	scatter_add_along(u)   zeros of Params.Shape with u added at Params.Index along Params.Axis
//	element(x)             the scalar at flat index Params.Start of x
//	elements(x)            x itself
//	astype(x)              x converted to Params.DType
//	matmul(a, b)           stacks of matrices, a transposed if Params.TransA, b if Params.TransB
//	linear(x, w, b)        x·wᵀ + b for x n×in, w out×in and b of length out (Linear's)
//	conv2d(x, w)           NCHW convolution; Params.Conv
//	conv_transpose2d(y, w) its transpose in x, to Params.Conv's input size
//	conv2d_weight_grad(x, y) its transpose in w, to Params.Conv's kernel size
//	max_pool2d(x, v)       v gathered at the argmax of each window of x; Params.Pool
//	max_pool2d_scatter(x, u) zeros of x's shape with u added at those argmaxes
//	softmax_last(x)        softmax over the last axis (Attention's)
//	softmax_last_vjp(y, g) y⊙(g − Σ g⊙y), the sum over the last axis: its reverse rule
//
// Any other Op is a custom rule or checkpoint (see Custom, Checkpoint),
// which runs Go code: it has no description beyond its name.
type Instr struct {
	Op     string
	Args   []int
	Out    int
	Shape  []int
	DType  tensor.DType
	Params Params
	// Group is the index of the fused group the instruction runs in (see
	// Program), or -1; Kept reports that a fused result is materialized
	// because something outside its group reads it.
	Group int
	Kept  bool
	// Loop, if not nil, makes the instruction a rerolled loop of the
	// scalar form: iteration j < Loop.N applies Op to registers
	// Args[i] + j·Loop.ArgStrides[i], writing Out + j·Loop.OutStride.
	// Unroll lists the iterations.
	Loop *Loop
}

// Loop is the repetition of a rerolled instruction (see Instr.Loop).
type Loop struct {
	N          int
	OutStride  int
	ArgStrides []int
}

// Params are an instruction's static arguments; which fields an op reads
// is listed at Instr.
type Params struct {
	Axes        []int
	Shape       []int
	Perm        []int
	Axis        int
	Start, Stop int
	Index       []int
	DType       tensor.DType
	TransA      bool
	TransB      bool
	Conv        *ConvParams
	Pool        *PoolParams
	Custom      bool // a custom rule or checkpoint
}

// ConvParams are a convolution's static arguments: its configuration, and
// the input's and kernel's spatial sizes.
type ConvParams struct {
	Config ConvConfig
	H, W   int // input height and width
	KH, KW int // kernel height and width
}

// PoolParams are max pooling's window size and configuration.
type PoolParams struct {
	Kernel [2]int
	Config PoolConfig
}

// Unroll returns the iterations of a rerolled loop as instructions
// without Loop, or a one-element slice holding in itself otherwise.
func (in Instr) Unroll() []Instr {
	if in.Loop == nil {
		return []Instr{in}
	}
	out := make([]Instr, in.Loop.N)
	for j := range out {
		o := in
		o.Loop = nil
		o.Out = in.Out + j*in.Loop.OutStride
		o.Args = make([]int, len(in.Args))
		for i, a := range in.Args {
			o.Args[i] = a + j*in.Loop.ArgStrides[i]
		}
		out[j] = o
	}
	return out
}

// View returns the description of p. It costs time and memory linear in
// p's size, and panics with tensor.ErrArg for a zero Program.
func (p *Program) View() *View {
	if p.scratch == nil {
		tensor.Panicf(tensor.ErrArg, "program view", "a zero Program; make one with Compile")
	}
	v := &View{}
	for i, in := range p.inputs {
		v.Inputs = append(v.Inputs, Reg{Index: i, Shape: slices.Clone(in.shape), DType: in.dtype})
	}
	if p.scalar != nil {
		p.viewScalar(v)
		return v
	}
	read := make([]bool, len(p.vals))
	written := make([]bool, len(p.vals))
	byOut := make(map[int32]int, len(p.code))
	for i, in := range p.code {
		written[in.out] = true
		byOut[in.out] = i
		for _, a := range in.args {
			read[a] = true
		}
	}
	for _, o := range p.outs {
		read[o] = true
		v.Outputs = append(v.Outputs, int(o))
	}
	for r := p.nin; r < len(p.vals); r++ {
		if read[r] && !written[r] {
			v.Consts = append(v.Consts, Const{Reg: p.reg2(r), Value: p.vals[r].tensor(), Inline: p.vals[r].isScalar()})
		}
	}
	for _, s := range p.steps {
		if s.g == nil {
			v.Instrs = append(v.Instrs, p.viewInstr(p.code[s.in], -1, false))
			continue
		}
		for _, m := range s.g.members {
			v.Instrs = append(v.Instrs, p.viewInstr(p.code[byOut[m.out]], v.Groups, m.keep))
		}
		v.Groups++
	}
	return v
}

// reg2 returns the description of register r of the general form.
func (p *Program) reg2(r int) Reg {
	return Reg{Index: r, Shape: slices.Clone(p.regShapes[r]), DType: p.regDTypes[r]}
}

// recordRegisters keeps each register's shape and dtype for View, before
// Compile lets go of the values.
func (p *Program) recordRegisters() {
	p.regShapes = make([][]int, len(p.vals))
	p.regDTypes = make([]tensor.DType, len(p.vals))
	for r, v := range p.vals {
		p.regShapes[r], p.regDTypes[r] = slices.Clone(v.Shape()), v.DType()
	}
}

// viewInstr describes instruction in.
func (p *Program) viewInstr(in instr, group int, kept bool) Instr {
	o := Instr{Op: in.p.name, Out: int(in.out), Group: group, Kept: kept}
	o.Shape, o.DType = slices.Clone(p.regShapes[in.out]), p.regDTypes[in.out]
	for _, a := range in.args {
		o.Args = append(o.Args, int(a))
	}
	o.Params = viewParams(in.p, in.prm)
	return o
}

// viewParams translates a prim's params into Params.
func viewParams(pr *prim, prm *params) Params {
	var q Params
	if pr.full != nil || pr.impl == nil {
		q.Custom = true
	}
	if prm == nil {
		return q
	}
	switch pr {
	case transposePrim:
		q.Perm = slices.Clone(prm.shape)
	case asTypePrim:
		q.DType = tensor.DType(prm.axis)
	case convPrim, convTPrim, convWPrim:
		s := convOf(prm)
		q.Conv = &ConvParams{Config: s.cfg, H: s.h, W: s.w, KH: s.kh, KW: s.kw}
	case poolTakePrim, poolScatterPrim:
		k, c := poolOf(prm)
		q.Pool = &PoolParams{Kernel: k, Config: c}
	default:
		q.Axes, q.Shape, q.Index = slices.Clone(prm.axes), slices.Clone(prm.shape), slices.Clone(prm.idx)
		q.Axis, q.Start, q.Stop = prm.axis, prm.start, prm.stop
		q.TransA, q.TransB = prm.ta, prm.tb
	}
	return q
}

// viewScalar fills v from the scalar form.
func (p *Program) viewScalar(v *View) {
	v.Scalar = true
	read := make([]bool, len(p.f64))
	written := make([]bool, len(p.f64))
	for _, s := range p.scalar {
		if s.op != sLoop {
			written[s.out], read[s.a] = true, true
			if !s.unary() {
				read[s.b] = true
			}
			continue
		}
		l := &p.loops[s.a]
		for j := range l.n {
			written[l.out+j*l.so], read[l.a+j*l.sa] = true, true
			if !l.unary() {
				read[l.b+j*l.sb] = true
			}
		}
	}
	for _, o := range p.souts {
		read[o] = true
		v.Outputs = append(v.Outputs, int(o))
	}
	for r := p.nin; r < len(p.f64); r++ {
		if read[r] && !written[r] {
			v.Consts = append(v.Consts, Const{Reg: Reg{Index: r, DType: tensor.Float64}, Value: tensor.Scalar(p.f64[r]), Inline: true})
		}
	}
	for i, s := range p.scalar {
		if s.op == sLoop {
			l := &p.loops[s.a]
			in := Instr{Op: l.p.name, Out: int(l.out), DType: tensor.Float64, Group: -1,
				Args: []int{int(l.a)}, Loop: &Loop{N: int(l.n), OutStride: int(l.so), ArgStrides: []int{int(l.sa)}}}
			if !l.unary() {
				in.Args = append(in.Args, int(l.b))
				in.Loop.ArgStrides = append(in.Loop.ArgStrides, int(l.sb))
			}
			v.Instrs = append(v.Instrs, in)
			continue
		}
		in := Instr{Op: p.sprims[i].name, Out: int(s.out), DType: tensor.Float64, Group: -1, Args: []int{int(s.a)}}
		if !s.unary() {
			in.Args = append(in.Args, int(s.b))
		}
		v.Instrs = append(v.Instrs, in)
	}
}
