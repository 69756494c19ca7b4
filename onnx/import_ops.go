package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// attrs reads a node's attributes and records which were read, so that an
// attribute chainrule does not know is an error rather than ignored.
type attrs struct {
	n    *Node
	used map[string]bool
	err  error
}

func (a *attrs) find(name string, t AttributeType) *Attribute {
	a.used[name] = true
	for _, at := range a.n.Attributes {
		if at.Name == name {
			if at.Type != t && at.Type != AttrUndefined && a.err == nil {
				a.err = fmt.Errorf("attribute %s is of type %d, want %d", name, at.Type, t)
			}
			return at
		}
	}
	return nil
}

func (a *attrs) int(name string, def int64) int64 {
	if at := a.find(name, AttrInt); at != nil {
		return at.I
	}
	return def
}

func (a *attrs) float(name string, def float64) float64 {
	if at := a.find(name, AttrFloat); at != nil {
		return float64(at.F)
	}
	return def
}

func (a *attrs) ints(name string, def []int64) []int64 {
	if at := a.find(name, AttrInts); at != nil {
		return at.Ints
	}
	return def
}

func (a *attrs) string(name, def string) string {
	if at := a.find(name, AttrString); at != nil {
		return string(at.S)
	}
	return def
}

// require records an error unless ok, for an attribute value chainrule
// does not support.
func (a *attrs) require(ok bool, format string, args ...any) {
	if !ok && a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

// compile returns the kernel of node n (the i-th), reading and checking
// its attributes. It returns an error naming the operator, the node and
// the opset for an operator or an attribute value it does not support.
func (im *Imported) compile(n *Node, i int) (kernel, error) {
	fail := func(err error) error {
		return fmt.Errorf("onnx: import: %s node %q (opset %d): %w", n.OpType, nodeName(n, i), im.Opset, err)
	}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil, fail(fmt.Errorf("operator domain %q is not supported", n.Domain))
	}
	build, ok := builders[n.OpType]
	if !ok {
		return nil, fail(fmt.Errorf("operator %s is not supported", n.OpType))
	}
	lo, hi := 1, 1
	if r, ok := arity[n.OpType]; ok {
		lo, hi = r[0], r[1]
	}
	if len(n.Inputs) < lo || len(n.Inputs) > hi {
		return nil, fail(fmt.Errorf("%d inputs, want %d to %d", len(n.Inputs), lo, hi))
	}
	for j, name := range n.Inputs[:lo] {
		if name == "" {
			return nil, fail(fmt.Errorf("required input %d is omitted", j))
		}
	}
	if len(n.Outputs) == 0 || n.Outputs[0] == "" {
		return nil, fail(errors.New("no output"))
	}
	a := &attrs{n: n, used: map[string]bool{}}
	k := build(im, n, a)
	if a.err != nil {
		return nil, fail(a.err)
	}
	for _, at := range n.Attributes {
		if !a.used[at.Name] {
			return nil, fail(fmt.Errorf("attribute %s is not supported", at.Name))
		}
	}
	return k, nil
}

// arity holds the least and the most inputs of each operator with other
// than exactly one; the first least are required (not omitted).
var arity = map[string][2]int{
	"Constant": {0, 0}, "Dropout": {1, 3}, "Add": {2, 2}, "Sub": {2, 2}, "Mul": {2, 2}, "Div": {2, 2},
	"Pow": {2, 2}, "Equal": {2, 2}, "Greater": {2, 2}, "Less": {2, 2}, "GreaterOrEqual": {2, 2},
	"LessOrEqual": {2, 2}, "Or": {2, 2}, "And": {2, 2}, "Xor": {2, 2}, "Max": {2, 2}, "Min": {2, 2},
	"Range": {3, 3}, "Where": {3, 3}, "MatMul": {2, 2}, "Gemm": {2, 3}, "Conv": {2, 3},
	"BatchNormalization": {5, 5}, "LayerNormalization": {2, 3}, "ReduceMean": {1, 2}, "ReduceSum": {1, 2},
	"ReduceMax": {1, 2}, "ReduceMin": {1, 2}, "Reshape": {2, 2}, "Unsqueeze": {2, 2}, "Squeeze": {1, 2},
	"Concat": {1, 1 << 20}, "Gather": {2, 2}, "Slice": {3, 5}, "Expand": {2, 2}, "Pad": {2, 4},
	"GatherElements": {2, 2}, "ScatterElements": {3, 3},
}

// A builder reads a node's attributes into a and returns its kernel.
type builder func(im *Imported, n *Node, a *attrs) kernel

var builders map[string]builder

func init() {
	builders = map[string]builder{
		"Identity": func(*Imported, *Node, *attrs) kernel { return func(in []val) []val { return in[:1] } },
		"Dropout":  buildDropout,
		"Relu":     unary(ad.Relu), "Tanh": unary(ad.Tanh), "Sigmoid": unary(ad.Sigmoid),
		"Exp": unary(ad.Exp), "Log": unary(ad.Log), "Sqrt": unary(ad.Sqrt), "Erf": unary(ad.Erf),
		"Abs": unary(ad.Abs), "Reciprocal": unary(ad.Reciprocal), "Sin": unary(ad.Sin),
		"Cos": unary(ad.Cos), "Softplus": unary(ad.Softplus), "Tan": unary(ad.Tan),
		"Sign": unary(ad.Sign), "Asin": unary(ad.Asin), "Acos": unary(ad.Acos), "Atan": unary(ad.Atan),
		"Sinh": unary(ad.Sinh), "Cosh": unary(ad.Cosh),
		"IsNaN": unary(func(x ad.Value) ad.Value { return ad.NotEqual(x, x) }), "IsInf": buildIsInf,
		"GatherElements": buildGatherElements, "ScatterElements": buildScatterElements,
		"Neg": buildNeg, "LeakyRelu": buildLeakyRelu,
		"Add":            elementwise(func(a, b ad.Value) ad.Value { return ad.Add(a, b) }, func(x, y int64) int64 { return x + y }),
		"Sub":            elementwise(ad.Sub[ad.Value, ad.Value], func(x, y int64) int64 { return x - y }),
		"Mul":            elementwise(func(a, b ad.Value) ad.Value { return ad.Mul(a, b) }, func(x, y int64) int64 { return x * y }),
		"Div":            elementwise(ad.Div[ad.Value, ad.Value], intDiv),
		"Equal":          logical(ad.Equal[ad.Value, ad.Value], func(x, y int64) bool { return x == y }),
		"Greater":        logical(ad.Greater[ad.Value, ad.Value], func(x, y int64) bool { return x > y }),
		"Less":           logical(ad.Less[ad.Value, ad.Value], func(x, y int64) bool { return x < y }),
		"GreaterOrEqual": logical(ad.GreaterEqual[ad.Value, ad.Value], func(x, y int64) bool { return x >= y }),
		"LessOrEqual":    logical(ad.LessEqual[ad.Value, ad.Value], func(x, y int64) bool { return x <= y }),
		"Or": logical(func(a, b ad.Value) ad.Value { return ad.NotEqual(ad.Add(ad.NotEqual(a, 0), ad.NotEqual(b, 0)), 0) },
			func(x, y int64) bool { return x != 0 || y != 0 }),
		"And": logical(func(a, b ad.Value) ad.Value { return ad.Mul(ad.NotEqual(a, 0), ad.NotEqual(b, 0)) },
			func(x, y int64) bool { return x != 0 && y != 0 }),
		"Xor": logical(func(a, b ad.Value) ad.Value { return ad.NotEqual(ad.NotEqual(a, 0), ad.NotEqual(b, 0)) },
			func(x, y int64) bool { return (x != 0) != (y != 0) }),
		"Max":   elementwise(ad.Maximum[ad.Value, ad.Value], func(x, y int64) int64 { return max(x, y) }),
		"Min":   elementwise(ad.Minimum[ad.Value, ad.Value], func(x, y int64) int64 { return min(x, y) }),
		"Range": buildRange,
		"Pow":   buildPow,
		"Where": buildWhere, "Not": buildNot,
		"MatMul": func(*Imported, *Node, *attrs) kernel {
			return func(in []val) []val { return one(ad.MatMul(fl(in[0], in[1]), fl(in[1], in[0]))) }
		},
		"Gemm": buildGemm,
		"Softmax": func(_ *Imported, _ *Node, a *attrs) kernel {
			axis := int(a.int("axis", -1))
			return func(in []val) []val { return one(ad.Softmax(fl(in[0]), axis)) }
		},
		"LogSoftmax": func(_ *Imported, _ *Node, a *attrs) kernel {
			axis := int(a.int("axis", -1))
			return func(in []val) []val { return one(ad.LogSoftmax(fl(in[0]), axis)) }
		},
		"Conv": buildConv, "MaxPool": buildMaxPool, "AveragePool": buildAveragePool,
		"GlobalAveragePool": func(*Imported, *Node, *attrs) kernel {
			return func(in []val) []val {
				x := fl(in[0])
				axes := make([]int, 0, x.Rank())
				for a := 2; a < x.Rank(); a++ {
					axes = append(axes, a)
				}
				return one(ad.Mean(x, true, axes...))
			}
		},
		"BatchNormalization": buildBatchNorm, "LayerNormalization": buildLayerNorm,
		"ReduceMean": buildReduce("ReduceMean", 18, ad.Mean), "ReduceSum": buildReduce("ReduceSum", 13, ad.Sum),
		"ReduceMax": buildReduce("ReduceMax", 18, ad.Max), "ReduceMin": buildReduce("ReduceMin", 18, ad.Min),
		"Constant": buildConstant, "ConstantOfShape": buildConstantOfShape,
		"Shape": buildShape, "Cast": buildCast, "Reshape": buildReshape, "Flatten": buildFlatten,
		"Transpose": buildTranspose, "Unsqueeze": buildUnsqueeze, "Squeeze": buildSqueeze,
		"Concat": buildConcat, "Gather": buildGather, "Slice": buildSlice, "Expand": buildExpand,
		"Pad": buildPad,
	}
}

// SupportedOperators returns the names of the operators Import reads,
// sorted.
func SupportedOperators() []string {
	ops := make([]string, 0, len(builders))
	for k := range builders {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	return ops
}

func one(v ad.Value) []val { return []val{{v: v}} }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// intDiv is ONNX's integer Div: truncation toward zero, as in C.
func intDiv(x, y int64) int64 {
	if y == 0 {
		tensor.Panicf(tensor.ErrArg, "Div", "integer division by zero")
	}
	return x / y
}

// fl returns x as a floating-point Value; an ints becomes a constant of
// the dtype of the first Value among like (float64 if none).
func fl(x val, like ...val) ad.Value {
	if x.s == nil {
		return x.v
	}
	d := tensor.Float64
	for _, l := range like {
		if l.s == nil && !l.v.IsZero() {
			d = l.v.DType()
			break
		}
	}
	return x.s.float(d)
}

// static returns x's ints; it panics with tensor.ErrArg if x is a
// floating-point Value, whose data chainrule does not turn into shapes or
// indices (they would not be differentiable, nor fixed under Compile).
func static(x val, what string) *ints {
	if x.s == nil {
		tensor.Panicf(tensor.ErrArg, "onnx", "the %s must be integers known before the run (a constant or computed from shapes), not floating-point data", what)
	}
	return x.s
}

// staticInts returns a static rank-0 or rank-1 input as a list.
func staticInts(x val, what string) []int64 {
	s := static(x, what)
	if len(s.shape) > 1 {
		tensor.Panicf(tensor.ErrShape, "onnx", "the %s have shape %s, want rank 0 or 1", what, tensor.ShapeString(s.shape))
	}
	return s.data
}

func unary(f func(ad.Value) ad.Value) builder {
	return func(*Imported, *Node, *attrs) kernel {
		return func(in []val) []val { return one(f(fl(in[0]))) }
	}
}

// elementwise builds a binary operator with broadcasting: f on Values, g
// on ints. Max and Min of more than two inputs are not supported.
func elementwise(f func(a, b ad.Value) ad.Value, g func(x, y int64) int64) builder {
	return func(_ *Imported, n *Node, a *attrs) kernel {
		a.require(len(n.Inputs) == 2, "%d inputs (chainrule supports 2)", len(n.Inputs))
		return func(in []val) []val {
			if in[0].s != nil && in[1].s != nil {
				return []val{{s: broadcastInts(n.OpType, in[0].s, in[1].s, g)}}
			}
			return one(f(fl(in[0], in[1]), fl(in[1], in[0])))
		}
	}
}

// logical builds a comparison or a logical operator. Its result on ints is
// a bool ints; on Values (data-dependent masks, such as a padding mask
// computed from the input) a Value of 0s and 1s, which Where, Cast to
// bool, Not, And and Or read as a boolean. Its derivative is 0.
func logical(f func(a, b ad.Value) ad.Value, g func(x, y int64) bool) builder {
	return func(_ *Imported, n *Node, _ *attrs) kernel {
		return func(in []val) []val {
			if in[0].s != nil && in[1].s != nil {
				r := broadcastInts(n.OpType, in[0].s, in[1].s, func(x, y int64) int64 { return b2i(g(x, y)) })
				r.boolean = true
				return []val{{s: r}}
			}
			return one(f(fl(in[0], in[1]), fl(in[1], in[0])))
		}
	}
}

func buildRange(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		get := func(i int, what string) int64 {
			d := staticInts(in[i], what)
			if len(d) != 1 {
				tensor.Panicf(tensor.ErrShape, "Range", "%s of %d elements, want a scalar", what, len(d))
			}
			return d[0]
		}
		start, limit, delta := get(0, "start"), get(1, "limit"), get(2, "delta")
		if delta == 0 {
			tensor.Panicf(tensor.ErrArg, "Range", "delta 0")
		}
		var n int64
		// The count ⌈(limit-start)/delta⌉, computed without overflow.
		if delta > 0 && limit > start {
			n = int64((uint64(limit-start)-1)/uint64(delta) + 1)
		} else if delta < 0 && limit < start {
			n = int64((uint64(start-limit)-1)/uint64(-delta) + 1)
		}
		checkStatic("Range", []int{int(min(n, maxStaticSize+1))})
		d := make([]int64, n)
		for i := range d {
			d[i] = start + int64(i)*delta
		}
		return []val{{s: vector(d...)}}
	}
}

func buildNeg(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		if in[0].s != nil {
			return []val{{s: broadcastInts("Neg", scalarInts(0), in[0].s, func(_, y int64) int64 { return -y })}}
		}
		return one(ad.Neg(in[0].v))
	}
}

func buildNot(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		if in[0].s != nil {
			r := broadcastInts("Not", scalarInts(0), in[0].s, func(_, y int64) int64 { return b2i(y == 0) })
			r.boolean = true
			return []val{{s: r}}
		}
		return one(ad.Equal(in[0].v, 0))
	}
}

func buildLeakyRelu(_ *Imported, _ *Node, a *attrs) kernel {
	alpha := a.float("alpha", 0.01)
	return func(in []val) []val {
		x := fl(in[0])
		return one(ad.Where(ad.Greater(x, 0), x, ad.Mul(alpha, x)))
	}
}

func buildPow(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		x, p := fl(in[0], in[1]), in[1]
		// A constant scalar exponent enters as a Go number, so that no
		// derivative is taken with respect to it (log x is NaN for x < 0).
		if p.s != nil && len(p.s.data) == 1 && len(p.s.shape) == 0 {
			return one(ad.Pow(x, float64(p.s.data[0])))
		}
		return one(ad.Pow(x, fl(p, in[0])))
	}
}

func buildWhere(_ *Imported, n *Node, _ *attrs) kernel {
	return func(in []val) []val {
		c, a, b := in[0], in[1], in[2]
		if c.s != nil && a.s != nil && b.s != nil {
			ca := broadcastInts("Where", c.s, a.s, func(c, a int64) int64 { return c })
			r := broadcastInts("Where", ca, b.s, func(int64, int64) int64 { return 0 })
			cc, aa, bb := c.s.expandTo(r.shape), a.s.expandTo(r.shape), b.s.expandTo(r.shape)
			for i := range r.data {
				r.data[i] = bb.data[i]
				if cc.data[i] != 0 {
					r.data[i] = aa.data[i]
				}
			}
			r.boolean = a.s.boolean && b.s.boolean
			return []val{{s: r}}
		}
		av, bv := fl(a, b), fl(b, a)
		return one(ad.Where(fl(c, a, b), av, bv))
	}
}

func buildDropout(im *Imported, n *Node, a *attrs) kernel {
	a.int("seed", 0) // a seed does not matter in inference
	a.require(len(n.Outputs) < 2 || n.Outputs[1] == "", "the mask output is not supported")
	return func(in []val) []val {
		if len(in) > 2 && in[2].ok() {
			if t := staticInts(in[2], "training_mode"); len(t) != 1 || t[0] != 0 {
				tensor.Panicf(tensor.ErrArg, "Dropout", "training mode is not supported")
			}
		}
		return in[:1]
	}
}

func buildGemm(_ *Imported, _ *Node, a *attrs) kernel {
	alpha, beta := a.float("alpha", 1), a.float("beta", 1)
	ta, tb := a.int("transA", 0) != 0, a.int("transB", 0) != 0
	return func(in []val) []val {
		x, w := fl(in[0], in[1]), fl(in[1], in[0])
		if x.Rank() != 2 || w.Rank() != 2 {
			tensor.Panicf(tensor.ErrShape, "Gemm", "inputs of shapes %s and %s, want matrices", tensor.ShapeString(x.Shape()), tensor.ShapeString(w.Shape()))
		}
		if ta {
			x = ad.Transpose(x, 1, 0)
		}
		if tb {
			w = ad.Transpose(w, 1, 0)
		}
		y := ad.MatMul(x, w)
		if alpha != 1 {
			y = ad.Mul(alpha, y)
		}
		if len(in) > 2 && in[2].ok() {
			c := fl(in[2], in[0])
			if beta != 1 {
				c = ad.Mul(beta, c)
			}
			y = ad.Add(y, c)
		}
		return one(y)
	}
}

// window holds the spatial attributes of Conv, MaxPool and AveragePool
// for 1-d or 2-d inputs; a 1-d input runs as a 2-d one of height 1.
type window struct {
	rank                       int // spatial rank the attributes give; 0 if none does
	kernel, strides, dilations []int64
	pads                       []int64 // begins then ends, as ONNX lists them
}

// readWindow reads and checks a window's attributes.
func readWindow(a *attrs) window {
	w := window{kernel: a.ints("kernel_shape", nil), strides: a.ints("strides", nil),
		dilations: a.ints("dilations", nil), pads: a.ints("pads", nil)}
	autoPad := a.string("auto_pad", "NOTSET")
	a.require(autoPad == "NOTSET" || autoPad == "VALID", "auto_pad %q is not supported (only NOTSET and VALID)", autoPad)
	for _, l := range [][]int64{w.kernel, w.strides, w.dilations} {
		if l != nil {
			a.require(w.rank == 0 || w.rank == len(l), "kernel_shape %v, strides %v and dilations %v differ in length", w.kernel, w.strides, w.dilations)
			w.rank = len(l)
		}
	}
	if w.pads != nil {
		a.require(len(w.pads)%2 == 0 && (w.rank == 0 || w.rank == len(w.pads)/2), "pads %v for a %d-d window", w.pads, w.rank)
		w.rank = len(w.pads) / 2
	}
	a.require(w.rank <= 2, "%d-d windows are not supported (only 1-d and 2-d)", w.rank)
	for _, l := range [][]int64{w.kernel, w.strides, w.dilations, w.pads} {
		for _, x := range l {
			a.require(x >= 0 && x < 1<<31, "bad window attribute value %d", x)
		}
	}
	return w
}

// at returns the 2-d form of list l (default def) for spatial rank r.
func at(l []int64, r int, def int) [2]int {
	v := [2]int{def, def}
	for i, x := range l {
		v[i+2-r] = int(x)
	}
	return v
}

// spatial returns the window as 2-d arguments for an input of rank r+2;
// it panics with tensor.ErrShape if r is not 1 or 2 or differs from the
// attributes' rank.
func (w window) spatial(op string, r int) (kernel, stride, dilation [2]int, pad [2][2]int) {
	if r != 1 && r != 2 || w.rank != 0 && w.rank != r {
		tensor.Panicf(tensor.ErrShape, op, "a %d-d input for %d-d window attributes (only 1-d and 2-d are supported)", r, w.rank)
	}
	kernel, stride, dilation = at(w.kernel, r, 0), at(w.strides, r, 1), at(w.dilations, r, 1)
	if r == 1 {
		kernel[0] = 1
	}
	if w.pads != nil {
		begin, end := at(w.pads[:r], r, 0), at(w.pads[r:], r, 0)
		pad = [2][2]int{{begin[0], end[0]}, {begin[1], end[1]}}
	}
	return
}

// as2d returns x of shape N×C×L as N×C×1×L, and x itself if it has rank 4.
func as2d(x ad.Value) ad.Value {
	if x.Rank() == 3 {
		s := x.Shape()
		return ad.Reshape(x, s[0], s[1], 1, s[2])
	}
	return x
}

// back returns y with its height axis dropped if the input had rank 3.
func back(y ad.Value, rank int) ad.Value {
	if rank == 3 {
		s := y.Shape()
		return ad.Reshape(y, s[0], s[1], s[3])
	}
	return y
}

func buildConv(_ *Imported, _ *Node, a *attrs) kernel {
	win := readWindow(a)
	g := a.int("group", 1)
	a.require(g >= 1 && g < 1<<31, "group %d", g)
	return func(in []val) []val {
		x, w := fl(in[0], in[1]), fl(in[1], in[0])
		if x.Rank() != w.Rank() {
			tensor.Panicf(tensor.ErrShape, "Conv", "input %s and weight %s differ in rank", tensor.ShapeString(x.Shape()), tensor.ShapeString(w.Shape()))
		}
		k, stride, dil, pad := win.spatial("Conv", x.Rank()-2)
		w2 := as2d(w)
		if win.kernel != nil && (w2.Shape()[2] != k[0] || w2.Shape()[3] != k[1]) {
			tensor.Panicf(tensor.ErrShape, "Conv", "kernel_shape %v and weight %s differ", win.kernel, tensor.ShapeString(w.Shape()))
		}
		y := ad.Conv2D(as2d(x), w2, ad.ConvConfig{Stride: stride, Padding: pad, Dilation: dil, Groups: int(g)})
		if len(in) > 2 && in[2].ok() {
			y = ad.Add(y, ad.Reshape(fl(in[2], in[0]), 1, -1, 1, 1))
		}
		return one(back(y, x.Rank()))
	}
}

// readPool reads the attributes MaxPool and AveragePool share.
func readPool(n *Node, a *attrs) window {
	w := readWindow(a)
	a.require(w.kernel != nil, "kernel_shape is required")
	a.require(len(n.Outputs) < 2 || n.Outputs[1] == "", "the Indices output is not supported")
	return w
}

func buildMaxPool(_ *Imported, n *Node, a *attrs) kernel {
	win := readPool(n, a)
	ceil := a.int("ceil_mode", 0) != 0
	for _, d := range win.dilations {
		a.require(d == 1, "dilations %v are not supported", win.dilations)
	}
	a.require(a.int("storage_order", 0) == 0, "storage_order 1 is not supported")
	return func(in []val) []val {
		x := fl(in[0])
		k, stride, _, pad := win.spatial("MaxPool", x.Rank()-2)
		x2 := as2d(x)
		if ceil {
			for i := range 2 {
				pad[i][1] += ceilExtra(x2.Shape()[2+i], k[i], stride[i], pad[i])
			}
		}
		return one(back(ad.MaxPool2D(x2, k, ad.PoolConfig{Stride: stride, Padding: pad}), x.Rank()))
	}
}

// ceilExtra returns the padding to add at the end of an axis of n so that
// pooling with kernel k and stride s gives ceil_mode's output length:
// ⌈(n + pads - k)/s⌉ + 1 windows, less the last one if it would start in
// the end padding (PyTorch's and ONNX's rule). Padding counts as -Inf in
// max pooling, so the extra windows see only the input.
func ceilExtra(n, k, s int, pad [2]int) int {
	total := n + pad[0] + pad[1]
	if s < 1 || total < k {
		return 0 // MaxPool2D refuses these with its own error
	}
	out := (total-k+s-1)/s + 1
	if (out-1)*s >= n+pad[0] {
		out--
	}
	return max(0, (out-1)*s+k-total)
}

func buildAveragePool(_ *Imported, n *Node, a *attrs) kernel {
	win := readPool(n, a)
	a.require(a.int("ceil_mode", 0) == 0, "ceil_mode 1 is not supported")
	include := a.int("count_include_pad", 0) != 0
	for _, p := range win.pads {
		a.require(include || p == 0, "count_include_pad 0 with non-zero pads is not supported")
	}
	return func(in []val) []val {
		x := fl(in[0])
		k, stride, _, pad := win.spatial("AveragePool", x.Rank()-2)
		return one(back(ad.AvgPool2D(as2d(x), k, ad.PoolConfig{Stride: stride, Padding: pad}), x.Rank()))
	}
}

func buildBatchNorm(_ *Imported, n *Node, a *attrs) kernel {
	eps := a.float("epsilon", 1e-5)
	a.float("momentum", 0.9) // used only in training mode
	a.require(a.int("training_mode", 0) == 0, "training_mode 1 is not supported")
	a.require(len(n.Outputs) == 1, "only the Y output is supported (evaluation mode)")
	return func(in []val) []val {
		x := fl(in[0], in[1])
		return one(ad.BatchNormWithStats(x, fl(in[3], in[0]), fl(in[4], in[0]), fl(in[1], in[0]), fl(in[2], in[0]), eps))
	}
}

func buildLayerNorm(_ *Imported, n *Node, a *attrs) kernel {
	axis := a.int("axis", -1)
	eps := a.float("epsilon", 1e-5)
	a.int("stash_type", 1) // the statistics' precision; chainrule uses x's
	for _, o := range n.Outputs[min(1, len(n.Outputs)):] {
		a.require(o == "", "only the Y output is supported")
	}
	return func(in []val) []val {
		x := fl(in[0], in[1])
		ax := tensor.NormalizeAxis("LayerNormalization", x.Shape(), int(axis))
		var beta ad.Value
		if len(in) > 2 && in[2].ok() {
			beta = fl(in[2], in[0])
		}
		return one(ad.LayerNorm(x, x.Rank()-ax, fl(in[1], in[0]), beta, eps))
	}
}

// buildReduce reads a reduction whose axes are an input from opset
// fromOpset on and an attribute before.
func buildReduce(op string, fromOpset int64, f func(ad.Value, bool, ...int) ad.Value) builder {
	return func(im *Imported, n *Node, a *attrs) kernel {
		keep := a.int("keepdims", 1) != 0
		var attrAxes []int64
		noop := false
		if im.Opset >= fromOpset {
			noop = a.int("noop_with_empty_axes", 0) != 0
		} else {
			attrAxes = a.ints("axes", nil)
		}
		return func(in []val) []val {
			x := fl(in[0])
			axes := attrAxes
			if im.Opset >= fromOpset && len(in) > 1 && in[1].ok() {
				axes = staticInts(in[1], "axes")
			}
			if len(axes) == 0 {
				if noop {
					return one(x)
				}
				for i := range x.Rank() {
					axes = append(axes, int64(i))
				}
			}
			ax := make([]int, len(axes))
			for i, v := range axes {
				ax[i] = int(v)
			}
			return one(f(x, keep, ax...))
		}
	}
}

func buildConstant(_ *Imported, n *Node, a *attrs) kernel {
	var x val
	set := 0
	if at := a.find("value", AttrTensor); at != nil && at.T != nil {
		v, err := at.T.value()
		a.require(err == nil, "value: %v", err)
		x, set = v, set+1
	}
	if at := a.find("value_float", AttrFloat); at != nil {
		x, set = val{v: ad.From(tensor.New32([]float32{at.F}))}, set+1
	}
	if at := a.find("value_floats", AttrFloats); at != nil {
		x, set = val{v: ad.From(tensor.New32(slices.Clone(at.Floats), len(at.Floats)))}, set+1
	}
	if at := a.find("value_int", AttrInt); at != nil {
		x, set = val{s: scalarInts(at.I)}, set+1
	}
	if at := a.find("value_ints", AttrInts); at != nil {
		x, set = val{s: vector(slices.Clone(at.Ints)...)}, set+1
	}
	a.require(set == 1, "want exactly one of value, value_float(s), value_int(s) (string and sparse values are not supported)")
	return func([]val) []val { return []val{x} }
}

func buildConstantOfShape(im *Imported, _ *Node, a *attrs) kernel {
	fill := val{v: ad.From(tensor.New32([]float32{0}))}
	if at := a.find("value", AttrTensor); at != nil && at.T != nil {
		v, err := at.T.value()
		a.require(err == nil, "value: %v", err)
		a.require(err != nil || len(shapeOf(v)) <= 1 && tensor.Size(shapeOf(v)) == 1, "value must hold one element")
		fill = v
	}
	return func(in []val) []val {
		dims := staticInts(in[0], "shape")
		shape := make([]int, len(dims))
		for i, d := range dims {
			if d < 0 || d > int64(tensor.MaxSize) {
				tensor.Panicf(tensor.ErrShape, "ConstantOfShape", "bad dimension %d", d)
			}
			shape[i] = int(d)
		}
		if fill.s != nil {
			return []val{{s: (&ints{data: fill.s.data[:1], boolean: fill.s.boolean}).expandTo(shape)}}
		}
		if im.folding {
			checkStatic("ConstantOfShape", shape)
		}
		t := fill.v.Tensor()
		return one(ad.From(t.DType().Full(t.AtFlat(0), shape...)))
	}
}

func buildShape(_ *Imported, _ *Node, a *attrs) kernel {
	start, end := a.int("start", 0), a.int("end", 1<<62)
	return func(in []val) []val {
		s := shapeOf(in[0])
		idx := sliceRange("Shape", len(s), start, end, 1)
		d := make([]int64, len(idx))
		for i, j := range idx {
			d[i] = int64(s[j])
		}
		return []val{{s: vector(d...)}}
	}
}

func buildCast(_ *Imported, _ *Node, a *attrs) kernel {
	to := DataType(a.int("to", 0))
	a.int("saturate", 1)
	switch to {
	case Float, Double, Int64, Int32, Int16, Int8, Uint8, Uint16, Uint32, Bool:
	default:
		a.require(false, "cast to %s is not supported", to)
	}
	return func(in []val) []val {
		x := in[0]
		switch {
		case to == Float || to == Double:
			if x.s != nil {
				return one(x.s.float(to.dtype()))
			}
			return one(ad.AsType(x.v, to.dtype()))
		case x.s == nil && to == Bool:
			return one(ad.NotEqual(x.v, 0)) // a mask: 0s and 1s (see logical)
		case x.s == nil:
			tensor.Panicf(tensor.ErrArg, "Cast", "cast of floating-point data to %s is not supported (integers must be known before the run; only masks, cast to bool, may depend on the data)", to)
		}
		r := &ints{shape: x.s.shape, data: slices.Clone(x.s.data), boolean: to == Bool}
		for i, v := range r.data {
			r.data[i] = wrapInt(v, to)
		}
		return []val{{s: r}}
	}
}

// wrapInt converts v to integer type to as a C cast does.
func wrapInt(v int64, to DataType) int64 {
	switch to {
	case Bool:
		return b2i(v != 0)
	case Int32:
		return int64(int32(v))
	case Int16:
		return int64(int16(v))
	case Int8:
		return int64(int8(v))
	case Uint8:
		return int64(uint8(v))
	case Uint16:
		return int64(uint16(v))
	case Uint32:
		return int64(uint32(v))
	}
	return v
}

func buildReshape(_ *Imported, _ *Node, a *attrs) kernel {
	allowZero := a.int("allowzero", 0) != 0
	return func(in []val) []val {
		shape := reshapeTarget("Reshape", shapeOf(in[0]), static(in[1], "shape"), allowZero)
		return []val{reshape(in[0], shape)}
	}
}

// reshape reshapes a Value or an ints.
func reshape(x val, shape []int) val {
	if x.s != nil {
		tensor.ResolveShape("Reshape", x.s.shape, shape)
		return val{s: &ints{shape: shape, data: x.s.data, boolean: x.s.boolean}}
	}
	return val{v: ad.Reshape(x.v, shape...)}
}

func buildFlatten(_ *Imported, _ *Node, a *attrs) kernel {
	axis := int(a.int("axis", 1))
	return func(in []val) []val {
		s := shapeOf(in[0])
		ax := axis
		if ax < 0 {
			ax += len(s)
		}
		if ax < 0 || ax > len(s) {
			tensor.Panicf(tensor.ErrAxis, "Flatten", "axis %d for a rank-%d input", axis, len(s))
		}
		return []val{reshape(in[0], []int{tensor.Size(s[:ax]), tensor.Size(s[ax:])})}
	}
}

func buildTranspose(_ *Imported, _ *Node, a *attrs) kernel {
	perm64 := a.ints("perm", nil)
	return func(in []val) []val {
		r := len(shapeOf(in[0]))
		perm := make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
		if perm64 != nil {
			if len(perm64) != r {
				tensor.Panicf(tensor.ErrAxis, "Transpose", "perm %v for a rank-%d input", perm64, r)
			}
			for i, p := range perm64 {
				perm[i] = int(p)
			}
		}
		if in[0].s != nil {
			seen := make([]bool, r)
			for _, p := range perm {
				if p < 0 || p >= r || seen[p] {
					tensor.Panicf(tensor.ErrAxis, "Transpose", "perm %v is not a permutation of %d axes", perm, r)
				}
				seen[p] = true
			}
			return []val{{s: in[0].s.transposeInts(perm)}}
		}
		return one(ad.Transpose(in[0].v, perm...))
	}
}

// axesInput returns the axes of Unsqueeze or Squeeze: an input from opset
// 13 on (the only opsets Import reads).
func axesInput(in []val) []int64 {
	if len(in) > 1 && in[1].ok() {
		return staticInts(in[1], "axes")
	}
	return nil
}

func buildUnsqueeze(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		s := shapeOf(in[0])
		axes := axesInput(in)
		r := len(s) + len(axes)
		ins := make([]bool, r)
		for _, ax := range axes {
			a := int(ax)
			if a < 0 {
				a += r
			}
			if a < 0 || a >= r || ins[a] {
				tensor.Panicf(tensor.ErrAxis, "Unsqueeze", "axes %v for a rank-%d input", axes, len(s))
			}
			ins[a] = true
		}
		out := make([]int, 0, r)
		k := 0
		for a := range r {
			if ins[a] {
				out = append(out, 1)
			} else {
				out = append(out, s[k])
				k++
			}
		}
		return []val{reshape(in[0], out)}
	}
}

func buildSqueeze(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		s := shapeOf(in[0])
		axes := axesInput(in)
		drop := make([]bool, len(s))
		if axes == nil {
			for a, d := range s {
				drop[a] = d == 1
			}
		}
		for _, ax := range axes {
			a := tensor.NormalizeAxis("Squeeze", s, int(ax))
			if s[a] != 1 {
				tensor.Panicf(tensor.ErrShape, "Squeeze", "axis %d of shape %s is not 1", a, tensor.ShapeString(s))
			}
			drop[a] = true
		}
		var out []int
		for a, d := range s {
			if !drop[a] {
				out = append(out, d)
			}
		}
		return []val{reshape(in[0], out)}
	}
}

func buildConcat(_ *Imported, _ *Node, a *attrs) kernel {
	axis := int(a.int("axis", 0))
	return func(in []val) []val {
		allStatic := true
		for _, x := range in {
			allStatic = allStatic && x.s != nil
		}
		if allStatic {
			xs := make([]*ints, len(in))
			for i, x := range in {
				xs[i] = x.s
			}
			return []val{{s: concatInts("Concat", axis, xs)}}
		}
		vs := make([]ad.Value, len(in))
		for i, x := range in {
			vs[i] = fl(x, in...)
		}
		return one(ad.Concat(axis, vs...))
	}
}

func buildGather(_ *Imported, _ *Node, a *attrs) kernel {
	axis := int(a.int("axis", 0))
	return func(in []val) []val {
		idx := static(in[1], "indices")
		if in[0].s != nil {
			return []val{{s: in[0].s.take("Gather", axis, idx)}}
		}
		x := in[0].v
		ax := tensor.NormalizeAxis("Gather", x.Shape(), axis)
		ix := normalizeIndices("Gather", idx, x.Shape()[ax])
		y := ad.Take(x, ax, ix)
		out := slices.Concat(x.Shape()[:ax], idx.shape, x.Shape()[ax+1:])
		return one(ad.Reshape(y, out...))
	}
}

// buildIsInf builds IsInf: a mask, 1 where x is an infinity of a detected
// sign (both by default) and 0 elsewhere, NaN included.
func buildIsInf(_ *Imported, _ *Node, a *attrs) kernel {
	pos, neg := a.int("detect_positive", 1) != 0, a.int("detect_negative", 1) != 0
	return func(in []val) []val {
		x := fl(in[0])
		switch {
		case pos && neg:
			return one(ad.Equal(ad.Abs(x), math.Inf(1)))
		case pos:
			return one(ad.Equal(x, math.Inf(1)))
		case neg:
			return one(ad.Equal(x, math.Inf(-1)))
		}
		return one(ad.Mul(ad.Equal(x, math.Inf(1)), 0)) // detects nothing: all zeros
	}
}

// alongIndices checks the static indices of GatherElements or
// ScatterElements against shape, the shape of the data (or of the
// result), and returns them normalized into [0, shape[axis]). chainrule
// takes indices of the data's shape except along axis (ONNX also allows
// them smaller in the other axes).
func alongIndices(op string, idx *ints, shape []int, axis int) []int {
	if len(idx.shape) != len(shape) {
		tensor.Panicf(tensor.ErrShape, op, "indices of rank %d for data of rank %d", len(idx.shape), len(shape))
	}
	for k := range shape {
		if k != axis && idx.shape[k] != shape[k] {
			tensor.Panicf(tensor.ErrShape, op, "indices of shape %s for data of shape %s: chainrule supports indices that match the data except along axis %d",
				tensor.ShapeString(idx.shape), tensor.ShapeString(shape), axis)
		}
	}
	return normalizeIndices(op, idx, shape[axis])
}

// buildGatherElements builds GatherElements (torch.gather): ad.TakeAlong,
// whose gradient scatter-adds.
func buildGatherElements(_ *Imported, _ *Node, a *attrs) kernel {
	axis := int(a.int("axis", 0))
	return func(in []val) []val {
		x := fl(in[0])
		ax := tensor.NormalizeAxis("GatherElements", x.Shape(), axis)
		return one(ad.TakeAlong(x, ax, alongIndices("GatherElements", static(in[1], "indices"), x.Shape(), ax)))
	}
}

// buildScatterElements builds ScatterElements with reduction "add" (data
// plus ad.ScatterAddAlong of the updates) or "none" (the updates replace
// the data where they land; ONNX leaves repeated indices undefined, and
// chainrule's result for them is their sum). The other reductions are not
// supported.
func buildScatterElements(_ *Imported, _ *Node, a *attrs) kernel {
	axis := int(a.int("axis", 0))
	red := a.string("reduction", "none")
	a.require(red == "none" || red == "add", "reduction %q (chainrule supports none and add)", red)
	return func(in []val) []val {
		x, u := fl(in[0], in[2]), fl(in[2], in[0])
		ax := tensor.NormalizeAxis("ScatterElements", x.Shape(), axis)
		idxs := static(in[1], "indices")
		if !slices.Equal(idxs.shape, u.Shape()) {
			tensor.Panicf(tensor.ErrShape, "ScatterElements", "indices of shape %s and updates of shape %s, want them equal",
				tensor.ShapeString(idxs.shape), tensor.ShapeString(u.Shape()))
		}
		idx := alongIndices("ScatterElements", idxs, x.Shape(), ax)
		s := ad.ScatterAddAlong(u, ax, idx, x.Shape()...)
		if red == "add" {
			return one(ad.Add(x, s))
		}
		hit := ad.ScatterAddAlong(ad.From(u.DType().Full(1, u.Shape()...)), ax, idx, x.Shape()...)
		return one(ad.Where(ad.NotEqual(hit, 0), s, x))
	}
}

func buildSlice(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		s := shapeOf(in[0])
		starts, ends := staticInts(in[1], "starts"), staticInts(in[2], "ends")
		if len(starts) != len(ends) {
			tensor.Panicf(tensor.ErrShape, "Slice", "%d starts and %d ends", len(starts), len(ends))
		}
		var axes, steps []int64
		if len(in) > 3 && in[3].ok() {
			axes = staticInts(in[3], "axes")
		} else {
			for i := range starts {
				axes = append(axes, int64(i))
			}
		}
		if len(in) > 4 && in[4].ok() {
			steps = staticInts(in[4], "steps")
		} else {
			steps = slices.Repeat([]int64{1}, len(starts))
		}
		if len(axes) != len(starts) || len(steps) != len(starts) {
			tensor.Panicf(tensor.ErrShape, "Slice", "%d starts, %d axes and %d steps", len(starts), len(axes), len(steps))
		}
		x := in[0]
		for i, ax := range axes {
			a := tensor.NormalizeAxis("Slice", s, int(ax))
			idx := sliceRange("Slice", s[a], starts[i], ends[i], steps[i])
			switch {
			case x.s != nil:
				x = val{s: x.s.sliceInts(a, idx)}
			case steps[i] == 1 && len(idx) > 0:
				x = val{v: ad.Slice(x.v, a, idx[0], idx[0]+len(idx))}
			case steps[i] == 1:
				x = val{v: ad.Slice(x.v, a, 0, 0)}
			default:
				x = val{v: ad.Take(x.v, a, idx)}
			}
		}
		return []val{x}
	}
}

func buildExpand(*Imported, *Node, *attrs) kernel {
	return func(in []val) []val {
		dims := staticInts(in[1], "shape")
		shape := make([]int, len(dims))
		for i, d := range dims {
			if d < 0 || d > int64(tensor.MaxSize) {
				tensor.Panicf(tensor.ErrShape, "Expand", "bad dimension %d in shape %v", d, dims)
			}
			shape[i] = int(d)
		}
		out := tensor.BroadcastShapes("Expand", shapeOf(in[0]), shape)
		if in[0].s != nil {
			return []val{{s: in[0].s.expandTo(out)}}
		}
		return one(ad.BroadcastTo(in[0].v, out...))
	}
}

func buildPad(_ *Imported, _ *Node, a *attrs) kernel {
	mode := a.string("mode", "constant")
	a.require(mode == "constant", "mode %q is not supported (only constant)", mode)
	return func(in []val) []val {
		x := fl(in[0])
		pads := staticInts(in[1], "pads")
		r := x.Rank()
		axes := make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
		if len(in) > 3 && in[3].ok() {
			axes = staticInts(in[3], "axes")
		}
		if len(pads) != 2*len(axes) {
			tensor.Panicf(tensor.ErrShape, "Pad", "%d pads for %d axes", len(pads), len(axes))
		}
		if len(in) > 2 && in[2].ok() {
			c := fl(in[2], in[0])
			if c.Size() != 1 || c.Tensor().AtFlat(0) != 0 {
				tensor.Panicf(tensor.ErrArg, "Pad", "only a constant value of 0 is supported")
			}
		}
		for i, ax := range axes {
			a := tensor.NormalizeAxis("Pad", x.Shape(), int(ax))
			before, after := pads[i], pads[i+len(axes)]
			if before < 0 || after < 0 || before > int64(tensor.MaxSize) || after > int64(tensor.MaxSize) {
				tensor.Panicf(tensor.ErrArg, "Pad", "negative or huge pads %v are not supported", pads)
			}
			x = ad.Pad(x, a, int(before), int(after))
		}
		return one(x)
	}
}
