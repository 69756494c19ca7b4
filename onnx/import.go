package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// The opsets of the default domain that Import reads. Operators changed
// meaning across opsets (Softmax's axis before 13, ReduceSum's axes
// input from 13), so a model of another opset is refused rather than
// read under the wrong semantics.
const (
	MinImportOpset = 13
	MaxImportOpset = 18
)

// Imported is an ONNX model turned into a chainrule function of its
// inputs, built from ad's operations only: it can be differentiated in
// both modes and at any order, batched with ad.Vmap and captured with
// ad.Compile like any chainrule function.
//
// Its floating-point initializers are tensors the user owns: Params, in
// the file's order and under the file's names (torch.onnx.export keeps
// PyTorch's dotted parameter names, such as "fc1.weight"), and Buffers,
// the running statistics of BatchNormalization nodes (PyTorch's
// named_buffers). Parameters that torch.onnx.export merged because their
// values were equal (stored once, the others as Identity nodes named
// after them) are untied: each is a parameter of its own, as in the
// PyTorch model. An Imported is an nn.Layer when it has one input and one
// output, so nn.Params, nn.StateDict, nn.Save, nn.Load and
// nn.Ctx.ValueAndGrads work with it; Apply is the functional form for any
// number of inputs and outputs. Integer initializers stay constants.
//
// Shape computations (Shape, Gather, Concat, Unsqueeze, integer arithmetic,
// …, then Reshape or Expand) never become ad operations: they are
// evaluated in Go, at import time when they depend on constants only, and
// from the inputs' shapes at each call otherwise, so that a model
// exported with a dynamic batch axis runs on any batch size.
//
// Call, Apply and Forward may run from several goroutines at once;
// updating Params in place (an optimizer step) needs exclusive access.
// The dtype is the file's: constants in the graph keep it, so converting
// the parameters (nn.To) makes a run panic with tensor.ErrDType; export
// the model in the dtype wanted (model.double() in PyTorch) instead.
type Imported struct {
	Params  []optim.Param // trained initializers, by their ONNX names
	Buffers []optim.Param // BatchNormalization's running mean and variance
	Inputs  []*ValueInfo  // the graph's inputs, without its initializers
	Outputs []*ValueInfo  // the graph's outputs
	Opset   int64         // the model's opset of the default domain

	nslots  int
	consts  []val // slot values known at import: constants and folded nodes
	params  []int // slot of each of Params then Buffers
	inputs  []int // slot of each input
	outputs []int // slot of each output
	steps   []step
	folding bool // within Import, evaluating a node of constant inputs
}

// step is one node ready to run: its kernel and the slots it reads and
// writes (-1 for an omitted optional input or output).
type step struct {
	node *Node
	op   string // "onnx: NodeOp node "name"" for run-time panics
	in   []int
	out  []int
	run  kernel
}

// kernel computes a node's outputs from its inputs. It panics with a
// tensor error for inputs it cannot take.
type kernel func(in []val) []val

// val is the value of one slot: a floating-point ad.Value (possibly
// differentiable), or a tensor of integers or booleans known in Go.
type val struct {
	v ad.Value
	s *ints
}

func (x val) ok() bool { return x.s != nil || !x.v.IsZero() }

// Import turns m into an Imported. It returns an error if the model has
// no graph, imports an opset of the default domain outside
// [MinImportOpset, MaxImportOpset], or has a node with an operator or an
// attribute value that chainrule does not support (naming the operator,
// the node and the opset), a graph input or output that is not a float or
// double tensor, an initializer whose data does not match its dims, or a
// value used before it is defined. Nodes that depend only on constants are
// evaluated here, and their errors returned.
func Import(m *Model) (*Imported, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("onnx: import: the model has no graph")
	}
	im := &Imported{}
	found := false
	for _, o := range m.OpsetImports {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			im.Opset, found = o.Version, true
		}
	}
	if !found {
		return nil, errors.New("onnx: import: the model imports no opset of the default domain")
	}
	if im.Opset < MinImportOpset || im.Opset > MaxImportOpset {
		return nil, fmt.Errorf("onnx: import: opset %d is not supported (chainrule reads opsets %d to %d)", im.Opset, MinImportOpset, MaxImportOpset)
	}
	g := m.Graph
	slot := map[string]int{}
	define := func(name string, x val) int {
		slot[name] = im.nslots
		im.consts = append(im.consts, x)
		im.nslots++
		return im.nslots - 1
	}

	// Initializers: floats become Params or Buffers, the rest constants.
	buffers := map[string]bool{}
	for _, n := range g.Nodes {
		if n.OpType == "BatchNormalization" && n.Domain == "" && len(n.Inputs) == 5 {
			buffers[n.Inputs[3]], buffers[n.Inputs[4]] = true, true
		}
	}
	var bufSlots []int
	floatInits := map[string]bool{}
	addParam := func(p optim.Param) {
		floatInits[p.Name] = true
		if buffers[p.Name] {
			im.Buffers = append(im.Buffers, p)
			bufSlots = append(bufSlots, define(p.Name, val{}))
		} else {
			im.Params = append(im.Params, p)
			im.params = append(im.params, define(p.Name, val{}))
		}
	}
	for _, t := range g.Initializers {
		if _, dup := slot[t.Name]; dup || t.Name == "" {
			return nil, fmt.Errorf("onnx: import: initializer %q is defined twice or has no name", t.Name)
		}
		x, err := t.value()
		if err != nil {
			return nil, fmt.Errorf("onnx: import: initializer %q: %w", t.Name, err)
		}
		if x.s != nil {
			define(t.Name, x)
			continue
		}
		addParam(optim.Param{Name: t.Name, T: x.v.Tensor()})
	}

	for _, vi := range g.Inputs {
		if _, isInit := slot[vi.Name]; isInit {
			continue // an initializer listed as an input too (IR < 4 style)
		}
		if vi.ElemType != Float && vi.ElemType != Double {
			return nil, fmt.Errorf("onnx: import: input %q is of type %s; chainrule takes float and double inputs", vi.Name, vi.ElemType)
		}
		im.Inputs = append(im.Inputs, vi)
		im.inputs = append(im.inputs, define(vi.Name, val{}))
	}

	// Nodes, in the file's order (ONNX requires a topological one).
	for i, n := range g.Nodes {
		if untie(n, floatInits, slot) {
			p := optim.Param{Name: n.Outputs[0], T: im.param(n.Inputs[0]).Clone()}
			buffers[p.Name] = buffers[n.Inputs[0]]
			addParam(p)
			continue
		}
		st := step{node: n, op: fmt.Sprintf("onnx: %s node %q", n.OpType, nodeName(n, i))}
		for _, name := range n.Inputs {
			if name == "" {
				st.in = append(st.in, -1)
				continue
			}
			s, ok := slot[name]
			if !ok {
				return nil, fmt.Errorf("onnx: import: %s node %q reads %q before it is defined", n.OpType, nodeName(n, i), name)
			}
			st.in = append(st.in, s)
		}
		run, err := im.compile(n, i)
		if err != nil {
			return nil, err
		}
		st.run = run
		for _, name := range n.Outputs {
			if name == "" {
				st.out = append(st.out, -1)
				continue
			}
			if _, dup := slot[name]; dup {
				return nil, fmt.Errorf("onnx: import: %s node %q defines %q, which is already defined", n.OpType, nodeName(n, i), name)
			}
			st.out = append(st.out, define(name, val{}))
		}
		if im.fold(st) {
			if err := im.runConst(st); err != nil {
				return nil, err
			}
			continue
		}
		im.steps = append(im.steps, st)
	}
	im.params = append(im.params, bufSlots...)
	for _, vi := range g.Outputs {
		s, ok := slot[vi.Name]
		if !ok {
			return nil, fmt.Errorf("onnx: import: output %q is not computed by the graph", vi.Name)
		}
		if vi.ElemType != Float && vi.ElemType != Double {
			return nil, fmt.Errorf("onnx: import: output %q is of type %s; chainrule returns float and double outputs", vi.Name, vi.ElemType)
		}
		im.Outputs = append(im.Outputs, vi)
		im.outputs = append(im.outputs, s)
	}
	return im, nil
}

// untie reports whether n is an Identity node copying a floating-point
// initializer to a new name: torch.onnx.export stores parameters of equal
// values once and the others as such copies, named after them (the zero
// biases of a freshly initialized model). Import makes each a parameter
// of its own, as in the PyTorch model, rather than tying them.
func untie(n *Node, floatInits map[string]bool, slot map[string]int) bool {
	if n.OpType != "Identity" || n.Domain != "" || len(n.Inputs) != 1 || len(n.Outputs) != 1 || len(n.Attributes) != 0 {
		return false
	}
	_, defined := slot[n.Outputs[0]]
	return floatInits[n.Inputs[0]] && n.Outputs[0] != "" && !defined
}

// param returns the tensor of the parameter or buffer named name.
func (im *Imported) param(name string) *tensor.Tensor {
	for _, p := range append(slices.Clone(im.Params), im.Buffers...) {
		if p.Name == name {
			return p.T
		}
	}
	return nil
}

// nodeName returns n's name, or "#i" for an unnamed node.
func nodeName(n *Node, i int) string {
	if n.Name != "" {
		return n.Name
	}
	return fmt.Sprintf("#%d", i)
}

// fold reports whether st is evaluated at import: a node whose inputs
// are all integers (or booleans) known at import, or one without inputs
// (Constant). Nodes on floating-point constants run at each call, so that
// a hostile file cannot make Import compute a large product.
func (im *Imported) fold(st step) bool {
	for _, s := range st.in {
		if s >= 0 && im.consts[s].s == nil {
			return false
		}
	}
	return true
}

// runConst evaluates a node of constant inputs at import.
func (im *Imported) runConst(st step) error {
	var outs []val
	im.folding = true
	err := tensor.Maybe(func() { outs = im.exec(st, im.consts) })
	im.folding = false
	if err != nil {
		return fmt.Errorf("onnx: import: %w", err)
	}
	for j, s := range st.out {
		if s >= 0 {
			im.consts[s] = outs[j]
		}
	}
	return nil
}

// exec runs one step on the slots, re-raising a tensor error from its
// kernel under the node's name.
func (im *Imported) exec(st step, slots []val) []val {
	in := make([]val, len(st.in))
	for j, s := range st.in {
		if s >= 0 {
			in[j] = slots[s]
		}
	}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*tensor.Error); ok && e.Op != st.op {
				r = &tensor.Error{Kind: e.Kind, Op: st.op, Msg: e.Op + ": " + e.Msg}
			}
			panic(r)
		}
	}()
	outs := st.run(in)
	if len(outs) < len(st.out) {
		tensor.Panicf(tensor.ErrArg, st.op, "computes %d outputs; the node asks for %d", len(outs), len(st.out))
	}
	return outs
}

// Apply runs the model on inputs (one per Inputs entry, in order) with
// params standing for Params (one per entry, in order; the Buffers are
// read as constants) and returns one Value per Outputs entry. Inside
// ad.Grads over params, it gives the gradients with respect to the
// parameters. It panics with tensor.ErrArg for a wrong number of params
// or inputs, with tensor.ErrShape or tensor.ErrDType for an input or a
// parameter whose shape or dtype is not the model's, and with the error
// of the node (named with its operator, as "onnx: Reshape node
// "/Reshape"") for a node that cannot run on these shapes.
func (im *Imported) Apply(params []ad.Value, inputs ...ad.Value) []ad.Value {
	if len(params) != len(im.Params) {
		tensor.Panicf(tensor.ErrArg, "onnx.Apply", "%d params for a model of %d", len(params), len(im.Params))
	}
	ps := slices.Clone(params)
	for _, b := range im.Buffers {
		ps = append(ps, ad.From(b.T))
	}
	return im.run("onnx.Apply", ps, inputs)
}

// Call runs the model on inputs with its Params and Buffers as constants:
// Apply with ad.From of each parameter.
func (im *Imported) Call(inputs ...ad.Value) []ad.Value {
	ps := make([]ad.Value, len(im.Params))
	for i, p := range im.Params {
		ps[i] = ad.From(p.T)
	}
	return im.Apply(ps, inputs...)
}

// Forward runs a model of one input and one output on x, reading Params
// and Buffers through c.Value (so that a bound context differentiates with
// respect to them); it makes an Imported an nn.Layer. The graph is the
// one exported: c.Train does not change it (a BatchNormalization exported
// in evaluation mode stays so, and Dropout is the identity). It panics with
// tensor.ErrArg if the model has not exactly one input and one output,
// and as Apply does.
func (im *Imported) Forward(c *nn.Ctx, x ad.Value) ad.Value {
	if len(im.Inputs) != 1 || len(im.Outputs) != 1 {
		tensor.Panicf(tensor.ErrArg, "onnx.Forward", "the model has %d inputs and %d outputs; Forward takes one of each (use Apply)", len(im.Inputs), len(im.Outputs))
	}
	ps := make([]ad.Value, 0, len(im.Params)+len(im.Buffers))
	for _, p := range im.Params {
		ps = append(ps, c.Value(p.T))
	}
	for _, p := range im.Buffers {
		ps = append(ps, c.Value(p.T))
	}
	return im.run("onnx.Forward", ps, []ad.Value{x})[0]
}

// Visit calls visit for each of Params (as nn.Parameter) and Buffers (as
// nn.Buffer), named prefix.name.
func (im *Imported) Visit(prefix string, visit nn.Visitor) {
	for i := range im.Params {
		visit(nn.Join(prefix, im.Params[i].Name), &im.Params[i].T, nn.Parameter)
	}
	for i := range im.Buffers {
		visit(nn.Join(prefix, im.Buffers[i].Name), &im.Buffers[i].T, nn.Buffer)
	}
}

// run interprets the graph with ps standing for Params then Buffers.
func (im *Imported) run(op string, ps, inputs []ad.Value) []ad.Value {
	if len(inputs) != len(im.Inputs) {
		tensor.Panicf(tensor.ErrArg, op, "%d inputs for a model of %d", len(inputs), len(im.Inputs))
	}
	slots := slices.Clone(im.consts)
	all := append(append([]optim.Param(nil), im.Params...), im.Buffers...)
	for i, s := range im.params {
		want := all[i].T
		if !slices.Equal(ps[i].Shape(), want.Shape()) || ps[i].DType() != want.DType() {
			tensor.Panicf(tensor.ErrShape, op, "parameter %q is %s %s, its value %s %s", all[i].Name,
				want.DType(), tensor.ShapeString(want.Shape()), ps[i].DType(), tensor.ShapeString(ps[i].Shape()))
		}
		slots[s] = val{v: ps[i]}
	}
	for i, s := range im.inputs {
		vi, x := im.Inputs[i], inputs[i]
		if want := vi.ElemType.dtype(); x.DType() != want {
			tensor.Panicf(tensor.ErrDType, op, "input %q is %s, the model takes %s", vi.Name, x.DType(), want)
		}
		if vi.HasShape {
			ok := len(vi.Shape) == x.Rank()
			for j := 0; ok && j < len(vi.Shape); j++ {
				ok = vi.Shape[j] < 0 || vi.Shape[j] == int64(x.Shape()[j])
			}
			if !ok {
				tensor.Panicf(tensor.ErrShape, op, "input %q has shape %s, the model takes %s", vi.Name, tensor.ShapeString(x.Shape()), vi.shapeString())
			}
		}
		slots[s] = val{v: x}
	}
	for _, st := range im.steps {
		outs := im.exec(st, slots)
		for j, s := range st.out {
			if s >= 0 {
				slots[s] = outs[j]
			}
		}
	}
	out := make([]ad.Value, len(im.outputs))
	for i, s := range im.outputs {
		x := slots[s]
		if x.s != nil {
			x.v = x.s.float(im.Outputs[i].ElemType.dtype())
		}
		out[i] = x.v
	}
	return out
}

// shapeString formats vi's shape with its symbolic dimensions by name.
func (vi *ValueInfo) shapeString() string {
	s := "("
	for i, d := range vi.Shape {
		if i > 0 {
			s += ","
		}
		if d < 0 {
			s += vi.DimParams[i]
			if vi.DimParams[i] == "" {
				s += "?"
			}
		} else {
			s += fmt.Sprint(d)
		}
	}
	return s + ")"
}

// dtype returns the tensor dtype of a float or double element type
// (Float64 for any other).
func (t DataType) dtype() tensor.DType {
	if t == Float {
		return tensor.Float32
	}
	return tensor.Float64
}

var typeNames = map[DataType]string{
	Undefined: "undefined", Float: "float", Uint8: "uint8", Int8: "int8", Uint16: "uint16",
	Int16: "int16", Int32: "int32", Int64: "int64", String: "string", Bool: "bool",
	Float16: "float16", Double: "double", Uint32: "uint32", Uint64: "uint64",
	Complex64: "complex64", Complex128: "complex128", BFloat16: "bfloat16",
}

// String returns the ONNX name of t ("float", "int64", …).
func (t DataType) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(t))
}

// value decodes t's data: a float or double tensor becomes a constant
// Value, an integer or bool one an ints. It returns an error for another
// type or for data whose length does not match the dims.
func (t *Tensor) value() (val, error) {
	n, err := t.size()
	if err != nil {
		return val{}, err
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		shape[i] = int(d)
	}
	count := func(have int) error {
		if have != n {
			return fmt.Errorf("%d elements for dims %v", have, t.Dims)
		}
		return nil
	}
	raw := t.Raw != nil
	if raw {
		size := elemSize(t.DataType)
		if size == 0 || len(t.Raw)%size != 0 {
			return val{}, fmt.Errorf("raw data of %d bytes for type %s", len(t.Raw), t.DataType)
		}
		if err := count(len(t.Raw) / size); err != nil {
			return val{}, err
		}
	}
	switch t.DataType {
	case Float:
		d := t.FloatData
		if raw {
			d = make([]float32, n)
			for i := range d {
				d[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Raw[4*i:]))
			}
		}
		if err := count(len(d)); err != nil {
			return val{}, err
		}
		return val{v: ad.From(tensor.New32(slices.Clone(d), shape...))}, nil
	case Double:
		d := t.DoubleData
		if raw {
			d = make([]float64, n)
			for i := range d {
				d[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Raw[8*i:]))
			}
		}
		if err := count(len(d)); err != nil {
			return val{}, err
		}
		return val{v: ad.From(tensor.New(slices.Clone(d), shape...))}, nil
	case Int64, Int32, Int16, Int8, Uint8, Uint16, Uint32, Bool:
		have := len(t.Int32Data)
		switch {
		case raw:
			have = n
		case t.DataType == Int64:
			have = len(t.Int64Data)
		case t.DataType == Uint32:
			have = len(t.Uint64Data)
		}
		if err := count(have); err != nil {
			return val{}, err
		}
		d := make([]int64, 0, n)
		switch {
		case raw:
			size := elemSize(t.DataType)
			for i := 0; i < n; i++ {
				b := t.Raw[size*i:]
				switch t.DataType {
				case Int64:
					d = append(d, int64(binary.LittleEndian.Uint64(b)))
				case Int32:
					d = append(d, int64(int32(binary.LittleEndian.Uint32(b))))
				case Uint32:
					d = append(d, int64(binary.LittleEndian.Uint32(b)))
				case Int16:
					d = append(d, int64(int16(binary.LittleEndian.Uint16(b))))
				case Uint16:
					d = append(d, int64(binary.LittleEndian.Uint16(b)))
				case Int8:
					d = append(d, int64(int8(b[0])))
				default: // Uint8, Bool
					d = append(d, int64(b[0]))
				}
			}
		case t.DataType == Int64:
			d = append(d, t.Int64Data...)
		case t.DataType == Uint32:
			for _, x := range t.Uint64Data {
				d = append(d, int64(uint32(x)))
			}
		default:
			for _, x := range t.Int32Data {
				d = append(d, int64(x))
			}
		}
		if err := count(len(d)); err != nil {
			return val{}, err
		}
		s := &ints{shape: shape, data: d, boolean: t.DataType == Bool}
		if s.boolean {
			for i, x := range d {
				if x != 0 {
					d[i] = 1
				}
			}
		}
		return val{s: s}, nil
	}
	return val{}, fmt.Errorf("tensors of type %s are not supported", t.DataType)
}
