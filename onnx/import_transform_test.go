package onnx_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/tensor"
)

// TestImportDynamicBatch runs models exported with a dynamic batch axis
// on one example: the shape subgraphs (Shape, Gather, Concat, Reshape)
// follow the new batch size, and the output is PyTorch's first example's.
func TestImportDynamicBatch(t *testing.T) {
	for _, name := range []string{"transformer_f64", "masked_f64", "cnn_f64", "mlp_f64"} {
		var ref reference
		readJSON(t, name+".json", &ref)
		im := load(t, name+"_op17.onnx")
		x := ad.From(ref.X.tensor(tensor.Float64))
		y := im.Call(ad.Slice(x, 0, 0, 1))[0]
		first := refArray{Shape: append([]int{1}, ref.Y.Shape[1:]...), Data: ref.Y.Data[:len(ref.Y.Data)/ref.Y.Shape[0]]}
		closeTo(t, name+" first example", y.Tensor(), first, 1e-10)
	}
}

// TestImportDynamicSequence runs the causally masked transformer block on
// the first three positions of the first sequence: the causal mask (Range,
// Greater, Where, Expand) is rebuilt for the shorter sequence, and the
// outputs are PyTorch's first three (which see no later position).
func TestImportDynamicSequence(t *testing.T) {
	var ref reference
	readJSON(t, "masked_f64.json", &ref)
	im := load(t, "masked_f64_op17.onnx")
	x := ad.Slice(ad.Slice(ad.From(ref.X.tensor(tensor.Float64)), 0, 0, 1), 1, 0, 3)
	y := im.Call(x)[0]
	d := ref.Y.Shape[2]
	closeTo(t, "first three positions", y.Tensor(), refArray{Shape: []int{1, 3, d}, Data: ref.Y.Data[:3*d]}, 1e-10)
}

// transformerLoss returns the transformer block and the loss x ↦
// sum(y(x)·r) of the float64 reference.
func transformerLoss(t *testing.T) (*onnx.Imported, func(ad.Value) ad.Value, ad.Value) {
	var ref reference
	readJSON(t, "transformer_f64.json", &ref)
	im := load(t, "transformer_f64_op17.onnx")
	r := ad.From(ref.R.tensor(tensor.Float64))
	f := func(x ad.Value) ad.Value { return ad.SumAll(ad.Mul(im.Call(x)[0], r)) }
	return im, f, ad.From(ref.X.tensor(tensor.Float64))
}

// TestImportSecondOrder checks that the imported transformer block is
// differentiable twice: its Hessian-vector product (forward over reverse)
// against central differences of its gradient, and the forward-mode JVP
// against the reverse-mode gradient.
func TestImportSecondOrder(t *testing.T) {
	_, f, x := transformerLoss(t)
	rng := rand.New(rand.NewPCG(16, 2))
	v := ad.From(tensor.RandN(rng, x.Shape()...))

	hv := ad.HVP(f, x, v).Tensor().Data()
	const h = 1e-5
	plus := ad.Grad(f, ad.Add(x, ad.Mul(h, v))).Tensor().Data()
	minus := ad.Grad(f, ad.Sub(x, ad.Mul(h, v))).Tensor().Data()
	maxErr, scale := 0.0, 0.0
	for i := range hv {
		fd := (plus[i] - minus[i]) / (2 * h)
		maxErr = math.Max(maxErr, math.Abs(hv[i]-fd))
		scale = math.Max(scale, math.Abs(fd))
	}
	if maxErr > 1e-6*scale || scale == 0 {
		t.Errorf("HVP against central differences: max error %.3g, scale %.3g", maxErr, scale)
	}

	_, jvp := ad.JVP(f, []ad.Value{x}, []ad.Value{v})
	g := ad.Grad(f, x)
	dot := ad.SumAll(ad.Mul(g, v)).Item()
	if math.Abs(jvp.Item()-dot) > 1e-12*math.Abs(dot) {
		t.Errorf("JVP %v, gradient·v %v", jvp.Item(), dot)
	}
}

// TestImportCompileVmap checks that the imported transformer block runs
// under ad.Compile (the program replays the eager value and gradient) and
// ad.Vmap (mapping over the batch gives the batched model's output).
func TestImportCompileVmap(t *testing.T) {
	im, f, x := transformerLoss(t)
	wantGrad := ad.Grad(f, x)
	prog := ad.Compile(func(x ad.Value) ad.Value { return ad.Grad(f, x) }, x)
	got := prog.Run(x)[0]
	if !tensor.Equal(got.Tensor(), wantGrad.Tensor()) {
		t.Errorf("compiled gradient differs from the eager one")
	}

	// Vmap over the batch axis: each example runs as a batch of one.
	one := func(xs []ad.Value) ad.Value {
		return ad.Reshape(im.Call(ad.Reshape(xs[0], append([]int{1}, xs[0].Shape()...)...))[0], xs[0].Shape()...)
	}
	mapped := ad.Vmap(one, 0)(x).Tensor().Data()
	batched := im.Call(x)[0].Tensor().Data()
	for i := range mapped {
		if math.Abs(mapped[i]-batched[i]) > 1e-12 {
			t.Fatalf("Vmap output %d: %v, batched %v", i, mapped[i], batched[i])
		}
	}
}

// graph builds a one-node model over a float input of shape (2, 3).
func graph(opset int64, n *onnx.Node) *onnx.Model {
	in := &onnx.ValueInfo{Name: "x", ElemType: onnx.Float, Shape: []int64{2, 3}, DimParams: []string{"", ""}, HasShape: true}
	out := &onnx.ValueInfo{Name: "y", ElemType: onnx.Float}
	return &onnx.Model{
		IRVersion:    8,
		OpsetImports: []onnx.OpsetID{{Version: opset}},
		Graph:        &onnx.Graph{Nodes: []*onnx.Node{n}, Inputs: []*onnx.ValueInfo{in}, Outputs: []*onnx.ValueInfo{out}},
	}
}

// TestImportUnsupported checks that an operator, an attribute or an
// attribute value chainrule does not support is an error naming the
// operator, the node and the opset, never a silently different model.
func TestImportUnsupported(t *testing.T) {
	node := func(op string, attrs ...*onnx.Attribute) *onnx.Node {
		return &onnx.Node{Name: "n1", OpType: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attributes: attrs}
	}
	ints := func(name string, v ...int64) *onnx.Attribute {
		return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
	}
	integer := func(name string, v int64) *onnx.Attribute {
		return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
	}
	cases := []struct {
		m    *onnx.Model
		want []string
	}{
		{graph(17, node("Celu")), []string{"Celu", `"n1"`, "opset 17", "not supported"}},
		{graph(17, node("AveragePool", ints("kernel_shape", 2, 2), integer("ceil_mode", 1))), []string{"AveragePool", "ceil_mode"}},
		{graph(17, node("Relu", integer("frobnicate", 1))), []string{"Relu", "attribute frobnicate"}},
		{graph(13, &onnx.Node{Name: "c", OpType: "Conv", Inputs: []string{"x", "x"}, Outputs: []string{"y"},
			Attributes: []*onnx.Attribute{{Name: "auto_pad", Type: onnx.AttrString, S: []byte("SAME_UPPER")}}}), []string{"Conv", "opset 13", "auto_pad"}},
		{graph(17, node("Add")), []string{"Add", "1 inputs, want 2"}},
		{graph(17, &onnx.Node{OpType: "Where", Inputs: []string{"x", "", "x"}, Outputs: []string{"y"}}), []string{"Where", "required input 1"}},
		{graph(17, node("Relu", &onnx.Attribute{Name: "alpha", Type: onnx.AttrFloat, F: 1})), []string{"attribute alpha"}},
		{graph(17, node("LeakyRelu", integer("alpha", 1))), []string{"attribute alpha is of type"}},
		{graph(17, node("AveragePool", ints("kernel_shape", 2, 2), ints("pads", 1, 1, 1, 1))), []string{"count_include_pad"}},
		{graph(12, node("Relu")), []string{"opset 12"}},
		{graph(17, &onnx.Node{OpType: "Relu", Inputs: []string{"z"}, Outputs: []string{"y"}}), []string{`"#0"`, `"z"`, "before it is defined"}},
	}
	for _, c := range cases {
		_, err := onnx.Import(c.m)
		if err == nil {
			t.Errorf("%s: no error", c.m.Graph.Nodes[0].OpType)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
	}

	// A run-time refusal names the node and is a chainrule error.
	m := graph(17, &onnx.Node{Name: "sl", OpType: "Slice", Inputs: []string{"x", "s", "e"}, Outputs: []string{"y"}})
	m.Graph.Initializers = []*onnx.Tensor{
		{Name: "s", DataType: onnx.Int64, Dims: []int64{1}, Int64Data: []int64{0}},
		{Name: "e", DataType: onnx.Float, Dims: []int64{1}, FloatData: []float32{1}},
	}
	im, err := onnx.Import(m)
	if err != nil {
		t.Fatal(err)
	}
	err = tensor.Maybe(func() { im.Call(ad.From(tensor.Float32.Ones(2, 3))) })
	if !errors.Is(err, tensor.ErrArg) || !strings.Contains(err.Error(), `Slice node "sl"`) {
		t.Errorf("Slice with float ends: %v", err)
	}
	err = tensor.Maybe(func() { im.Call(ad.From(tensor.Float32.Ones(2, 4))) })
	if !errors.Is(err, tensor.ErrShape) || !strings.Contains(err.Error(), `input "x"`) {
		t.Errorf("input of the wrong shape: %v", err)
	}
}

// TestImportReduceOpsets checks the reductions whose axes moved from an
// attribute to an input (ReduceSum at opset 13, the others at 18) on a
// 2×3 input, against sums and means computed here.
func TestImportReduceOpsets(t *testing.T) {
	x := []float64{1, -2, 4, 0.5, 3, -7}
	rowMean := []float64{(1 - 2 + 4) / 3.0, (0.5 + 3 - 7) / 3.0}
	colSum := []float64{1.5, 1, -3}
	axes := func(v ...int64) *onnx.Tensor {
		return &onnx.Tensor{Name: "axes", DataType: onnx.Int64, Dims: []int64{int64(len(v))}, Int64Data: v}
	}
	cases := []struct {
		opset int64
		node  *onnx.Node
		init  *onnx.Tensor
		want  []float64
	}{
		{13, &onnx.Node{OpType: "ReduceMean", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attributes: []*onnx.Attribute{{Name: "axes", Type: onnx.AttrInts, Ints: []int64{1}}, {Name: "keepdims", Type: onnx.AttrInt}}}, nil, rowMean},
		{18, &onnx.Node{OpType: "ReduceMean", Inputs: []string{"x", "axes"}, Outputs: []string{"y"},
			Attributes: []*onnx.Attribute{{Name: "keepdims", Type: onnx.AttrInt}}}, axes(-1), rowMean},
		{13, &onnx.Node{OpType: "ReduceSum", Inputs: []string{"x", "axes"}, Outputs: []string{"y"}}, axes(0), colSum},
		{18, &onnx.Node{OpType: "ReduceMax", Inputs: []string{"x"}, Outputs: []string{"y"},
			Attributes: []*onnx.Attribute{{Name: "noop_with_empty_axes", Type: onnx.AttrInt, I: 1}}}, nil, x},
		{17, &onnx.Node{OpType: "ReduceMin", Inputs: []string{"x"}, Outputs: []string{"y"}}, nil, []float64{-7}},
	}
	for _, c := range cases {
		m := graph(c.opset, c.node)
		m.Graph.Inputs[0].ElemType = onnx.Double
		m.Graph.Outputs[0].ElemType = onnx.Double
		if c.init != nil {
			m.Graph.Initializers = []*onnx.Tensor{c.init}
		}
		im, err := onnx.Import(m)
		if err != nil {
			t.Fatal(err)
		}
		got := im.Call(ad.New(append([]float64(nil), x...), 2, 3))[0].Tensor().Data()
		if !slices.Equal(got, c.want) {
			t.Errorf("opset %d %s: %v, want %v", c.opset, c.node.OpType, got, c.want)
		}
	}
}

// TestImportConcurrent runs one imported model from several goroutines at
// once; each run must give the serial result.
func TestImportConcurrent(t *testing.T) {
	im, _, x := transformerLoss(t)
	want := im.Call(x)[0].Tensor()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var err error
			for range 20 {
				if got := im.Call(x)[0].Tensor(); !tensor.Equal(got, want) {
					err = errors.New("a concurrent run differs from the serial one")
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestImportElementwise runs one-node graphs of the operators the
// reference models do not use on a 2×3 input, against math's functions.
func TestImportElementwise(t *testing.T) {
	x := []float64{0.5, -1.25, 2, -0.3, 1.7, -2.2}
	unary := map[string]func(float64) float64{
		"Neg": func(v float64) float64 { return -v }, "Exp": math.Exp, "Abs": math.Abs,
		"Reciprocal": func(v float64) float64 { return 1 / v }, "Sin": math.Sin, "Cos": math.Cos, "Tan": math.Tan,
		"Softplus": func(v float64) float64 { return math.Log1p(math.Exp(v)) }, "Identity": func(v float64) float64 { return v },
		"LeakyRelu": func(v float64) float64 { return math.Max(v, 0.01*v) }, "Erf": math.Erf,
		"Sigmoid": func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, "Not": func(v float64) float64 { return b2f(v == 0) },
		"Sign": func(v float64) float64 { return math.Copysign(b2f(v != 0), v) }, "Atan": math.Atan,
		"Sinh": math.Sinh, "Cosh": math.Cosh,
	}
	run := func(n *onnx.Node, inits ...*onnx.Tensor) []float64 {
		t.Helper()
		m := graph(17, n)
		m.Graph.Inputs[0].ElemType = onnx.Double
		m.Graph.Outputs[0].ElemType = onnx.Double
		m.Graph.Initializers = inits
		im, err := onnx.Import(m)
		if err != nil {
			t.Fatal(err)
		}
		return im.Call(ad.New(slices.Clone(x), 2, 3))[0].Tensor().Data()
	}
	for op, f := range unary {
		got := run(&onnx.Node{OpType: op, Inputs: []string{"x"}, Outputs: []string{"y"}})
		for i, v := range x {
			if math.Abs(got[i]-f(v)) > 1e-15*math.Max(1, math.Abs(f(v))) {
				t.Errorf("%s(%v) = %v, want %v", op, v, got[i], f(v))
			}
		}
	}
	c := &onnx.Tensor{Name: "c", DataType: onnx.Double, Dims: []int64{3}, DoubleData: []float64{0.5, 1.7, 0}}
	binary := map[string]func(a, b float64) float64{
		"Max": math.Max, "Min": math.Min, "Less": func(a, b float64) float64 { return b2f(a < b) },
		"LessOrEqual": func(a, b float64) float64 { return b2f(a <= b) }, "GreaterOrEqual": func(a, b float64) float64 { return b2f(a >= b) },
		"And": func(a, b float64) float64 { return b2f(a != 0 && b != 0) }, "Xor": func(a, b float64) float64 { return b2f((a != 0) != (b != 0)) },
		"Pow": func(a, b float64) float64 { return math.Pow(math.Abs(a), b) },
	}
	for op, f := range binary {
		in := "x"
		if op == "Pow" {
			in = "ax"
		}
		n := &onnx.Node{OpType: op, Inputs: []string{in, "c"}, Outputs: []string{"y"}}
		var got []float64
		if op == "Pow" {
			m := graph(17, &onnx.Node{OpType: "Abs", Inputs: []string{"x"}, Outputs: []string{"ax"}})
			m.Graph.Nodes = append(m.Graph.Nodes, n)
			m.Graph.Inputs[0].ElemType, m.Graph.Outputs[0].ElemType = onnx.Double, onnx.Double
			m.Graph.Initializers = []*onnx.Tensor{c}
			im, err := onnx.Import(m)
			if err != nil {
				t.Fatal(err)
			}
			got = im.Call(ad.New(slices.Clone(x), 2, 3))[0].Tensor().Data()
		} else {
			got = run(n, c)
		}
		for i, v := range x {
			if want := f(v, c.DoubleData[i%3]); math.Abs(got[i]-want) > 1e-15*math.Max(1, math.Abs(want)) {
				t.Errorf("%s(%v, %v) = %v, want %v", op, v, c.DoubleData[i%3], got[i], want)
			}
		}
	}

	// Gather of data along axis 1 with indices of shape (2,), a strided
	// Slice, LogSoftmax.
	idx := &onnx.Tensor{Name: "i", DataType: onnx.Int64, Dims: []int64{2}, Int64Data: []int64{2, -3}}
	got := run(&onnx.Node{OpType: "Gather", Inputs: []string{"x", "i"}, Outputs: []string{"y"},
		Attributes: []*onnx.Attribute{{Name: "axis", Type: onnx.AttrInt, I: 1}}}, idx)
	if want := []float64{x[2], x[0], x[5], x[3]}; !slices.Equal(got, want) {
		t.Errorf("Gather: %v, want %v", got, want)
	}
	vec := func(name string, v ...int64) *onnx.Tensor {
		return &onnx.Tensor{Name: name, DataType: onnx.Int64, Dims: []int64{int64(len(v))}, Int64Data: v}
	}
	got = run(&onnx.Node{OpType: "Slice", Inputs: []string{"x", "s", "e", "a", "st"}, Outputs: []string{"y"}},
		vec("s", -1), vec("e", math.MinInt64), vec("a", 1), vec("st", -2))
	if want := []float64{x[2], x[0], x[5], x[3]}; !slices.Equal(got, want) {
		t.Errorf("Slice [::-2] on axis 1: %v, want %v", got, want)
	}
	got = run(&onnx.Node{OpType: "LogSoftmax", Inputs: []string{"x"}, Outputs: []string{"y"}})
	for r := range 2 {
		lse := math.Log(math.Exp(x[3*r]) + math.Exp(x[3*r+1]) + math.Exp(x[3*r+2]))
		for j := range 3 {
			if want := x[3*r+j] - lse; math.Abs(got[3*r+j]-want) > 1e-15 {
				t.Errorf("LogSoftmax[%d,%d] = %v, want %v", r, j, got[3*r+j], want)
			}
		}
	}
}

// The operators the exporter writes besides PyTorch's, with the attribute
// values the round trip does not reach: IsNaN and IsInf (each sign alone),
// Asin and Acos, GatherElements and ScatterElements (both reductions),
// against closed forms and hand-computed indexing.
func TestImportExportedOperators(t *testing.T) {
	inf := math.Inf(1)
	x := []float64{0.5, -inf, inf, math.NaN(), -0.75, 0}
	run := func(n *onnx.Node, in []float64, inits ...*onnx.Tensor) []float64 {
		t.Helper()
		m := graph(17, n)
		m.Graph.Inputs[0].ElemType, m.Graph.Outputs[0].ElemType = onnx.Double, onnx.Double
		m.Graph.Initializers = inits
		im, err := onnx.Import(m)
		if err != nil {
			t.Fatal(err)
		}
		return im.Call(ad.New(slices.Clone(in), 2, 3))[0].Tensor().Data()
	}
	node := func(op string, attrs ...*onnx.Attribute) *onnx.Node {
		return &onnx.Node{OpType: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attributes: attrs}
	}
	flag := func(name string, v int64) *onnx.Attribute {
		return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
	}
	masks := []struct {
		name string
		n    *onnx.Node
		f    func(float64) bool
	}{
		{"IsNaN", node("IsNaN"), math.IsNaN},
		{"IsInf", node("IsInf"), func(v float64) bool { return math.IsInf(v, 0) }},
		{"IsInf positive", node("IsInf", flag("detect_negative", 0)), func(v float64) bool { return math.IsInf(v, 1) }},
		{"IsInf negative", node("IsInf", flag("detect_positive", 0)), func(v float64) bool { return math.IsInf(v, -1) }},
		{"IsInf neither", node("IsInf", flag("detect_negative", 0), flag("detect_positive", 0)), func(float64) bool { return false }},
	}
	for _, c := range masks {
		got := run(c.n, x)
		for i, v := range x {
			if got[i] != b2f(c.f(v)) {
				t.Errorf("%s(%v) = %v, want %v", c.name, v, got[i], b2f(c.f(v)))
			}
		}
	}
	unit := []float64{0.5, -1, 1, -0.3, 0.9, 0}
	for op, f := range map[string]func(float64) float64{"Asin": math.Asin, "Acos": math.Acos} {
		got := run(node(op), unit)
		for i, v := range unit {
			if math.Abs(got[i]-f(v)) > 1e-15 {
				t.Errorf("%s(%v) = %v, want %v", op, v, got[i], f(v))
			}
		}
	}

	// GatherElements along axis 1: y[i][j] = x[i][idx[i][j]], negative
	// indices from the end.
	d := []float64{1, 2, 3, 4, 5, 6}
	idx := &onnx.Tensor{Name: "i", DataType: onnx.Int64, Dims: []int64{2, 2}, Int64Data: []int64{2, 0, -1, 1}}
	axis1 := flag("axis", 1)
	got := run(&onnx.Node{OpType: "GatherElements", Inputs: []string{"x", "i"}, Outputs: []string{"y"}, Attributes: []*onnx.Attribute{axis1}}, d, idx)
	if want := []float64{3, 1, 6, 5}; !slices.Equal(got, want) {
		t.Errorf("GatherElements: %v, want %v", got, want)
	}
	// ScatterElements along axis 1 with updates u: "none" replaces,
	// "add" adds (a repeated index adds twice).
	u := &onnx.Tensor{Name: "u", DataType: onnx.Double, Dims: []int64{2, 2}, DoubleData: []float64{10, 20, 30, 40}}
	scatter := func(red string, ix []int64) []float64 {
		i := &onnx.Tensor{Name: "i", DataType: onnx.Int64, Dims: []int64{2, 2}, Int64Data: ix}
		attrs := []*onnx.Attribute{axis1}
		if red != "" {
			attrs = append(attrs, &onnx.Attribute{Name: "reduction", Type: onnx.AttrString, S: []byte(red)})
		}
		return run(&onnx.Node{OpType: "ScatterElements", Inputs: []string{"x", "i", "u"}, Outputs: []string{"y"}, Attributes: attrs}, d, i, u)
	}
	if got, want := scatter("", []int64{2, 0, -1, 1}), []float64{20, 2, 10, 4, 40, 30}; !slices.Equal(got, want) {
		t.Errorf("ScatterElements none: %v, want %v", got, want)
	}
	if got, want := scatter("add", []int64{2, 2, 0, 1}), []float64{1, 2, 33, 34, 45, 6}; !slices.Equal(got, want) {
		t.Errorf("ScatterElements add: %v, want %v", got, want)
	}
	m := graph(17, &onnx.Node{Name: "s", OpType: "ScatterElements", Inputs: []string{"x", "i", "u"}, Outputs: []string{"y"},
		Attributes: []*onnx.Attribute{{Name: "reduction", Type: onnx.AttrString, S: []byte("mul")}}})
	m.Graph.Initializers = []*onnx.Tensor{idx, u}
	if _, err := onnx.Import(m); err == nil || !strings.Contains(err.Error(), `reduction "mul"`) {
		t.Errorf("ScatterElements with reduction mul: err = %v, want a refusal naming it", err)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
