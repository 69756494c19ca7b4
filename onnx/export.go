package onnx

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/atomicfile"
	"github.com/chainrule/chainrule/tensor"
)

// Opset is the version of the default ONNX operator set that Export
// writes, and IRVersion the ONNX IR version of the models.
const (
	Opset     = 17
	IRVersion = 8
)

// Options name and describe an exported model. The zero value (or nil)
// names the inputs input0, input1, …, the outputs output0, output1, …, and
// the captured tensors const_r<register>.
type Options struct {
	// Name is the graph's name; "chainrule" if empty.
	Name string
	// Doc is the graph's doc string.
	Doc string
	// Inputs names the program's inputs, in order (as many as it has, or
	// none): for a training step, the parameters' dotted names from
	// nn.Params, then the data's.
	Inputs []string
	// Outputs names the program's outputs, in order (as many as it has,
	// or none).
	Outputs []string
	// Frozen holds values for inputs, by name: an input named here becomes
	// an initializer holding its value instead of a graph input, as
	// torch.onnx.export stores a model's parameters. To export a model for
	// inference, compile its forward pass with the parameters bound to
	// inputs (nn.Ctx.Bind), name them with nn.Params, and pass
	// nn.StateDict(model) here.
	Frozen map[string]*tensor.Tensor
	// Constants names the tensors the compiled function captured: a
	// captured tensor found here by identity becomes an initializer of
	// that name. (A captured tensor that the function transformed, such
	// as nn.Linear's weight, which it transposes, is a new constant;
	// Frozen inputs keep their names in every case.)
	Constants map[string]*tensor.Tensor
}

// Error is an instruction Export cannot lower to ONNX.
type Error struct {
	Op     string // the primitive
	Instr  int    // its index among the program's instructions (ad.View.Instrs)
	Out    int    // the register it writes
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("onnx: cannot export instruction %d (r%d = %s): %s", e.Instr, e.Out, e.Op, e.Reason)
}

// Export returns the ONNX model (opset 17) of the compiled program p: a
// graph whose inputs are p's inputs, whose outputs are p's outputs, whose
// initializers are the tensors p captured, and whose nodes compute what
// p.Run computes, in float32 or float64 as p does. Rerolled loops are
// unrolled. Where ONNX Runtime has no float64 kernel for the natural ONNX
// operator (Tan, Asin, Acos, Atan, Sinh, Cosh, Erf, Softplus, Conv,
// ConvTranspose), the float64 model uses operators that have one.
//
// Export returns an *Error naming the instruction for a primitive it
// cannot lower (a custom rule or checkpoint, which runs Go code), and an
// error for options that do not fit p (wrong number of names, a name used
// twice).
func Export(p *ad.Program, opts *Options) (*Model, error) {
	if p == nil {
		return nil, fmt.Errorf("onnx: export of a nil program")
	}
	if opts == nil {
		opts = &Options{}
	}
	v := p.View()
	e := &exporter{
		v: v, names: map[int]string{}, regs: map[int]ad.Reg{}, consts: map[int]*ad.Const{},
		cache: map[string]string{}, used: map[string]bool{}, mmOut: map[int]bool{}, mmIn: map[int]bool{},
	}
	e.g = &Graph{Name: opts.Name, DocString: opts.Doc}
	if e.g.Name == "" {
		e.g.Name = "chainrule"
	}
	if len(opts.Inputs) != 0 && len(opts.Inputs) != len(v.Inputs) {
		return nil, fmt.Errorf("onnx: %d input names for a program of %d inputs", len(opts.Inputs), len(v.Inputs))
	}
	if len(opts.Outputs) != 0 && len(opts.Outputs) != len(v.Outputs) {
		return nil, fmt.Errorf("onnx: %d output names for a program of %d outputs", len(opts.Outputs), len(v.Outputs))
	}
	for i, in := range v.Inputs {
		name := "input" + strconv.Itoa(i)
		if len(opts.Inputs) > 0 {
			name = opts.Inputs[i]
		}
		if err := e.claim(name); err != nil {
			return nil, err
		}
		e.names[in.Index], e.regs[in.Index] = name, in
		if t, ok := opts.Frozen[name]; ok {
			if t == nil || t.DType() != in.DType || !slices.Equal(t.Shape(), in.Shape) {
				return nil, fmt.Errorf("onnx: frozen input %q: want %s%s", name, in.DType, tensor.ShapeString(in.Shape))
			}
			e.g.Initializers = append(e.g.Initializers, tensorProto(name, t, in.DType))
			continue
		}
		e.g.Inputs = append(e.g.Inputs, valueInfo(name, in.DType, in.Shape))
	}
	byTensor := map[*tensor.Tensor]string{}
	for name, t := range opts.Constants {
		byTensor[t] = name
	}
	for i := range v.Consts {
		c := &v.Consts[i]
		e.consts[c.Index], e.regs[c.Index] = c, c.Reg
		if c.Inline {
			continue // emitted where used, in the dtype of its use
		}
		name, ok := byTensor[c.Value]
		if !ok {
			name = "const_r" + strconv.Itoa(c.Index)
		}
		if e.used[name] { // one tensor captured twice: one initializer
			e.names[c.Index] = name
			continue
		}
		if err := e.claim(name); err != nil {
			return nil, err
		}
		e.names[c.Index] = name
		e.g.Initializers = append(e.g.Initializers, tensorProto(name, c.Value, c.DType))
	}
	outNames := make([]string, len(v.Outputs))
	for i := range v.Outputs {
		outNames[i] = "output" + strconv.Itoa(i)
		if len(opts.Outputs) > 0 {
			outNames[i] = opts.Outputs[i]
		}
		if err := e.claim(outNames[i]); err != nil { // before any name is made up
			return nil, err
		}
	}
	for _, in := range v.Instrs {
		if in.Op == "matmul" || in.Op == "linear" {
			e.mmOut[in.Out] = true
			for _, a := range in.Args {
				e.mmIn[a] = true
			}
		}
	}
	k := 0
	for _, loop := range v.Instrs {
		for _, in := range loop.Unroll() {
			if err := e.instr(k, in); err != nil {
				return nil, err
			}
			k++
		}
	}
	for i, o := range v.Outputs {
		name := outNames[i]
		r := e.regs[o]
		src := e.arg(o, r.DType)
		e.g.Nodes = append(e.g.Nodes, &Node{OpType: "Identity", Inputs: []string{src}, Outputs: []string{name}, Name: name})
		e.g.Outputs = append(e.g.Outputs, valueInfo(name, r.DType, r.Shape))
	}
	return &Model{
		IRVersion:    IRVersion,
		ProducerName: "chainrule",
		Graph:        e.g,
		OpsetImports: []OpsetID{{Version: Opset}},
	}, nil
}

// Write exports p (see Export) and writes the model to w.
func Write(w io.Writer, p *ad.Program, opts *Options) error {
	m, err := Export(p, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(Marshal(m)); err != nil {
		return err
	}
	return bw.Flush()
}

// Save exports p (see Export) to the file path, atomically: the model is
// written to a temporary file in the same directory, synced, and renamed
// over path, so that path holds either its old contents or the whole new
// model.
func Save(path string, p *ad.Program, opts *Options) error {
	m, err := Export(p, opts)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o644, Marshal(m))
}

// exporter builds one graph.
type exporter struct {
	v      *ad.View
	g      *Graph
	names  map[int]string // register → the name of its value
	regs   map[int]ad.Reg
	consts map[int]*ad.Const
	cache  map[string]string // constant initializers and casts already made
	used   map[string]bool
	mmOut  map[int]bool // registers a matmul writes
	mmIn   map[int]bool // registers a matmul reads
	tmp    int
	k      int // the instruction being lowered
	op     string
}

// claim reserves a graph-level name.
func (e *exporter) claim(name string) error {
	if name == "" {
		return fmt.Errorf("onnx: an empty name")
	}
	if e.used[name] {
		return fmt.Errorf("onnx: the name %q is used twice", name)
	}
	e.used[name] = true
	return nil
}

// fresh returns a new value name.
func (e *exporter) fresh() string {
	for {
		e.tmp++
		n := "t" + strconv.Itoa(e.tmp)
		if !e.used[n] {
			e.used[n] = true
			return n
		}
	}
}

// node appends a node and returns its (first) output.
func (e *exporter) node(op string, ins []string, attrs ...*Attribute) string {
	out := e.fresh()
	e.g.Nodes = append(e.g.Nodes, &Node{OpType: op, Inputs: ins, Outputs: []string{out}, Attributes: attrs,
		Name: out + "_" + op, DocString: fmt.Sprintf("instruction %d: %s", e.k, e.op)})
	return out
}

func intAttr(name string, v int64) *Attribute { return &Attribute{Name: name, Type: AttrInt, I: v} }

func intsAttr(name string, v ...int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInts, Ints: v}
}

func ints64(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

// dataType returns the ONNX element type of d.
func dataType(d tensor.DType) DataType {
	if d == tensor.Float32 {
		return Float
	}
	return Double
}

// valueInfo describes a graph input or output.
func valueInfo(name string, d tensor.DType, shape []int) *ValueInfo {
	return &ValueInfo{Name: name, ElemType: dataType(d), Shape: ints64(shape), HasShape: true}
}

// tensorProto returns t as an initializer of dtype d, its data raw.
func tensorProto(name string, t *tensor.Tensor, d tensor.DType) *Tensor {
	x := t.Float64s()
	var raw []byte
	if d == tensor.Float32 {
		raw = make([]byte, 0, 4*len(x))
		for _, f := range x {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(f)))
		}
	} else {
		raw = make([]byte, 0, 8*len(x))
		for _, f := range x {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(f))
		}
	}
	if raw == nil {
		raw = []byte{}
	}
	return &Tensor{Name: name, Dims: ints64(t.Shape()), DataType: dataType(d), Raw: raw}
}

// scalar returns the name of a rank-0 constant x of dtype d.
func (e *exporter) scalar(x float64, d tensor.DType) string {
	key := fmt.Sprintf("s%v/%x", d, math.Float64bits(x))
	if n, ok := e.cache[key]; ok {
		return n
	}
	n := e.fresh()
	e.g.Initializers = append(e.g.Initializers, tensorProto(n, tensor.Scalar(x), d))
	e.cache[key] = n
	return n
}

// int64s returns the name of a constant int64 tensor of shape.
func (e *exporter) int64s(xs []int64, shape ...int) string {
	if shape == nil && len(xs) != 1 {
		shape = []int{len(xs)}
	}
	if shape == nil {
		shape = []int{1}
	}
	key := fmt.Sprintf("i%v/%v", shape, xs)
	if len(xs) < 64 {
		if n, ok := e.cache[key]; ok {
			return n
		}
	}
	n := e.fresh()
	raw := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	e.g.Initializers = append(e.g.Initializers, &Tensor{Name: n, Dims: ints64(shape), DataType: Int64, Raw: raw})
	if len(xs) < 64 {
		e.cache[key] = n
	}
	return n
}

// shapeConst returns a 1-d int64 constant holding shape (for Reshape and
// Expand).
func (e *exporter) shapeConst(shape []int) string {
	return e.int64s(ints64(shape), len(shape))
}

// arg returns the name of register r's value in dtype d: an inline
// constant becomes an initializer of dtype d, and any other value of
// another dtype is cast.
func (e *exporter) arg(r int, d tensor.DType) string {
	if c, ok := e.consts[r]; ok && c.Inline {
		return e.scalar(c.Value.AtFlat(0), d)
	}
	n := e.names[r]
	if e.regs[r].DType == d {
		return n
	}
	key := "cast/" + n + "/" + d.String()
	if c, ok := e.cache[key]; ok {
		return c
	}
	c := e.node("Cast", []string{n}, intAttr("to", int64(dataType(d))))
	e.cache[key] = c
	return c
}

// fail returns the error for the instruction being lowered.
func (e *exporter) fail(in ad.Instr, format string, args ...any) error {
	return &Error{Op: in.Op, Instr: e.k, Out: in.Out, Reason: fmt.Sprintf(format, args...)}
}

// instr lowers instruction in, the k-th.
func (e *exporter) instr(k int, in ad.Instr) error {
	e.k, e.op = k, in.Op
	shape := in.Shape
	d := in.DType
	args := make([]string, len(in.Args))
	argReg := make([]ad.Reg, len(in.Args))
	for i, a := range in.Args {
		argReg[i] = e.regs[a]
	}
	// elementwise ops compute in their result's dtype
	elementwise := func() {
		for i, a := range in.Args {
			args[i] = e.arg(a, d)
		}
	}
	var out string
	var err error
	if in.Params.Custom { // even if its name is a primitive's
		return e.fail(in, "a custom rule or checkpoint runs Go code, which ONNX cannot express; compile its derivative without Custom or Checkpoint")
	}
	if f, ok := unaryOps[in.Op]; ok {
		elementwise()
		out = f(e, args[0], d)
	} else if f, ok := binaryOps[in.Op]; ok {
		elementwise()
		if s, ok := e.scaledMatMul(in); ok {
			out = s
		} else {
			out = f(e, args[0], args[1], d)
		}
	} else {
		out, err = e.structural(in, argReg, shape, d)
		if err != nil {
			return err
		}
	}
	e.names[in.Out] = out
	e.regs[in.Out] = ad.Reg{Index: in.Out, Shape: shape, DType: d}
	return nil
}

// scaledMatMul lowers x·c, c·x and x/c for a float64 x that a matmul
// writes or a result that a matmul reads, c a constant that float32 does
// not hold exactly, as x·h + x·l with c (or 1/c) = h + l, h = float32(c):
// ONNX Runtime fuses a product by a constant into the MatMul beside it
// with the constant rounded to float32 (its FusedMatMul's alpha), which
// would cost float64 programs 8 digits. The split is accurate to an ulp or
// two, however ONNX Runtime fuses it.
func (e *exporter) scaledMatMul(in ad.Instr) (string, bool) {
	if in.DType != tensor.Float64 || (in.Op != "mul" && in.Op != "div") {
		return "", false
	}
	for i := range 2 {
		if in.Op == "div" && i == 0 {
			continue // c/x is no scaling
		}
		c, ok := e.consts[in.Args[i]]
		x := in.Args[1-i]
		if !ok || c.Value.Size() != 1 || len(c.Shape) > len(e.regs[x].Shape) || !(e.mmOut[x] || e.mmIn[in.Out]) {
			continue
		}
		v := c.Value.AtFlat(0)
		if in.Op == "div" {
			v = 1 / v
		}
		h := float64(float32(v))
		if h == v || math.IsInf(h, 0) || v-v != 0 {
			return "", false
		}
		xn := e.arg(x, tensor.Float64)
		hi := e.node("Mul", []string{xn, e.scalar(h, tensor.Float64)})
		lo := e.node("Mul", []string{xn, e.scalar(v-h, tensor.Float64)})
		return e.node("Add", []string{hi, lo}), true
	}
	return "", false
}

// structural lowers the instructions that read their static parameters.
func (e *exporter) structural(in ad.Instr, argReg []ad.Reg, shape []int, d tensor.DType) (string, error) {
	p := in.Params
	a := func(i int) string { return e.arg(in.Args[i], argReg[i].DType) }
	switch in.Op {
	case "where":
		c := a(0)
		cond := e.node("Not", []string{e.node("Equal", []string{c, e.scalar(0, argReg[0].DType)})})
		return e.node("Where", []string{cond, e.arg(in.Args[1], d), e.arg(in.Args[2], d)}), nil
	case "sum_to":
		xs := argReg[0].Shape
		lead := len(xs) - len(p.Shape)
		var axes []int64
		for i := range xs {
			if i < lead || (p.Shape[i-lead] == 1 && xs[i] != 1) {
				axes = append(axes, int64(i))
			}
		}
		x := a(0)
		if len(axes) > 0 {
			x = e.node("ReduceSum", []string{x, e.int64s(axes, len(axes))}, intAttr("keepdims", 1))
		}
		return e.node("Reshape", []string{x, e.shapeConst(p.Shape)}), nil
	case "broadcast_to":
		return e.node("Expand", []string{a(0), e.shapeConst(p.Shape)}), nil
	case "max", "min":
		// ReduceMax and ReduceMin skip NaN in ONNX Runtime; max and min
		// propagate it
		op := map[string]string{"max": "ReduceMax", "min": "ReduceMin"}[in.Op]
		x := a(0)
		axes, keep := intsAttr("axes", ints64(p.Axes)...), intAttr("keepdims", 1)
		m := e.node(op, []string{x}, axes, keep)
		nan := e.node("Cast", []string{e.node("IsNaN", []string{x})}, intAttr("to", int64(dataType(d))))
		anyNaN := e.node("Greater", []string{e.node("ReduceMax", []string{nan}, axes, keep), e.scalar(0, d)})
		return e.node("Where", []string{anyNaN, e.scalar(math.NaN(), d), m}), nil
	case "logsumexp":
		x := a(0)
		m := e.node("ReduceMax", []string{x}, intsAttr("axes", ints64(p.Axes)...), intAttr("keepdims", 1))
		m = e.finiteOrZero(m, d)
		s := e.node("ReduceSum", []string{e.node("Exp", []string{e.node("Sub", []string{x, m})}), e.int64s(ints64(p.Axes), len(p.Axes))}, intAttr("keepdims", 1))
		return e.node("Add", []string{e.node("Log", []string{s}), m}), nil
	case "reshape":
		return e.node("Reshape", []string{a(0), e.shapeConst(p.Shape)}), nil
	case "transpose":
		return e.node("Transpose", []string{a(0)}, intsAttr("perm", ints64(p.Perm)...)), nil
	case "slice":
		return e.node("Slice", []string{a(0), e.int64s([]int64{int64(p.Start)}, 1), e.int64s([]int64{int64(p.Stop)}, 1), e.int64s([]int64{int64(p.Axis)}, 1)}), nil
	case "pad":
		return e.pad(a(0), len(argReg[0].Shape), p.Axis, p.Start, p.Stop, d), nil
	case "pad_add":
		r := len(p.Shape)
		n0, n1 := argReg[0].Shape[p.Axis], argReg[1].Shape[p.Axis]
		x := e.pad(a(0), r, p.Axis, p.Start, p.Shape[p.Axis]-p.Start-n0, d)
		y := e.pad(a(1), r, p.Axis, p.Stop, p.Shape[p.Axis]-p.Stop-n1, d)
		return e.node("Add", []string{x, y}), nil
	case "concat":
		ins := make([]string, len(in.Args))
		for i := range in.Args {
			ins[i] = e.arg(in.Args[i], d)
		}
		return e.node("Concat", ins, intAttr("axis", int64(p.Axis))), nil
	case "take_along":
		idx := e.int64s(ints64(p.Index), shape...)
		if len(shape) == 0 {
			return "", e.fail(in, "take_along of a rank-0 value")
		}
		return e.node("GatherElements", []string{a(0), idx}, intAttr("axis", int64(p.Axis))), nil
	case "scatter_add_along":
		src := argReg[0].Shape
		idx := e.int64s(ints64(p.Index), src...)
		zeros := e.node("ConstantOfShape", []string{e.shapeConst(p.Shape)},
			&Attribute{Name: "value", Type: AttrTensor, T: tensorProto("", tensor.Zeros(1), d)})
		return e.node("ScatterElements", []string{zeros, idx, a(0)}, intAttr("axis", int64(p.Axis)),
			&Attribute{Name: "reduction", Type: AttrString, S: []byte("add")}), nil
	case "element":
		flat := e.node("Reshape", []string{a(0), e.shapeConst([]int{-1})})
		return e.node("Gather", []string{flat, e.int64s([]int64{int64(p.Start)}, []int{}...)}), nil
	case "elements":
		return e.node("Identity", []string{a(0)}), nil
	case "astype":
		return e.node("Cast", []string{a(0)}, intAttr("to", int64(dataType(p.DType)))), nil
	case "matmul":
		x, y := a(0), a(1)
		if p.TransA {
			x = e.swapLast(x, len(argReg[0].Shape))
		}
		if p.TransB {
			y = e.swapLast(y, len(argReg[1].Shape))
		}
		return e.node("MatMul", []string{x, y}), nil
	case "linear": // x·wᵀ + b, as the matmul and the add it stands for
		mm := e.node("MatMul", []string{a(0), e.swapLast(a(1), 2)})
		return e.node("Add", []string{mm, a(2)}), nil
	case "conv2d":
		if len(argReg[0].Shape) != 4 {
			return "", e.fail(in, "an input of rank %d (only N×C×H×W)", len(argReg[0].Shape))
		}
		return e.conv(a(0), a(1), argReg[0].Shape, argReg[1].Shape, p.Conv.Config, d), nil
	case "conv_transpose2d":
		return e.convTranspose(in, a(0), a(1), argReg[0].Shape, argReg[1].Shape, p.Conv, d)
	case "conv2d_weight_grad":
		return e.convWeightGrad(in, a(0), a(1), argReg[0].Shape, argReg[1].Shape, p.Conv, d)
	case "max_pool2d", "max_pool2d_scatter":
		return e.maxPool(in, a(0), a(1), argReg, shape, p.Pool, d)
	case "layer_norm":
		return e.layerNorm(a(0), "", argReg[0].Shape, p, d), nil
	case "layer_norm_grad":
		return e.layerNorm(a(0), a(1), argReg[0].Shape, p, d), nil
	}
	return "", e.fail(in, "no ONNX lowering for this primitive")
}

// pad pads x of rank r with before and after zeros along axis.
func (e *exporter) pad(x string, r, axis, before, after int, d tensor.DType) string {
	pads := make([]int64, 2*r)
	pads[axis], pads[r+axis] = int64(before), int64(after)
	return e.node("Pad", []string{x, e.int64s(pads, 2*r), e.scalar(0, d)})
}

// swapLast transposes the last two axes of x of rank r.
func (e *exporter) swapLast(x string, r int) string {
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
	return e.node("Transpose", []string{x}, intsAttr("perm", perm...))
}

// finiteOrZero replaces ±Inf and NaN in x by 0.
func (e *exporter) finiteOrZero(x string, d tensor.DType) string {
	bad := e.node("Or", []string{e.node("IsInf", []string{x}), e.node("IsNaN", []string{x})})
	return e.node("Where", []string{bad, e.scalar(0, d), x})
}
