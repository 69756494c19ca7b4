package onnx_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/tensor"
)

func refFiles(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(refDir, "*.onnx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference models in %s (%v)", refDir, err)
	}
	var bs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return bs
}

// TestDecodeTorch checks the decoded MLP against what PyTorch wrote (see
// gen.py): its opset, graph inputs and initializer names and shapes.
func TestDecodeTorch(t *testing.T) {
	m, err := onnx.Load(filepath.Join(refDir, "mlp_f64_op17.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ProducerName != "pytorch" || len(m.OpsetImports) != 1 || m.OpsetImports[0].Version != 17 {
		t.Errorf("producer %q, opsets %v", m.ProducerName, m.OpsetImports)
	}
	g := m.Graph
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" || g.Inputs[0].ElemType != onnx.Double ||
		len(g.Inputs[0].Shape) != 2 || g.Inputs[0].Shape[0] != -1 || g.Inputs[0].DimParams[0] != "batch" || g.Inputs[0].Shape[1] != 4 {
		t.Errorf("input %+v", g.Inputs[0])
	}
	want := map[string][]int64{"0.weight": {8, 4}, "0.bias": {8}, "2.weight": {8, 8}, "6.weight": {3, 8}, "6.bias": {3}}
	for _, init := range g.Initializers {
		if w, ok := want[init.Name]; ok {
			if len(init.Dims) != len(w) || init.Dims[0] != w[0] || len(init.Raw) != 8*int(tensorSize(init.Dims)) {
				t.Errorf("%s: dims %v, %d raw bytes", init.Name, init.Dims, len(init.Raw))
			}
			delete(want, init.Name)
		}
	}
	if len(want) != 0 {
		t.Errorf("initializers missing: %v", want)
	}
	if len(g.Nodes) != 7 || g.Nodes[0].OpType != "Gemm" || g.Nodes[1].OpType != "Tanh" {
		t.Errorf("%d nodes, first %+v", len(g.Nodes), g.Nodes[0])
	}
}

func tensorSize(d []int64) int64 {
	n := int64(1)
	for _, x := range d {
		n *= x
	}
	return n
}

// TestDecodeHostile checks that malformed input is refused with an error
// naming the problem.
func TestDecodeHostile(t *testing.T) {
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	bytesField := func(num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(tag(num, protowire.BytesType), body)
	}
	nest := func(depth int) []byte {
		g := []byte{}
		for range depth {
			attr := bytesField(6, g) // AttributeProto.g
			node := bytesField(5, attr)
			g = bytesField(1, node) // GraphProto.node
		}
		return bytesField(7, g)
	}
	tensorWith := func(body []byte) []byte { return bytesField(7, bytesField(5, body)) }
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated varint", append(tag(1, protowire.VarintType), 0x80), "ModelProto"},
		{"truncated tag", []byte{0x80}, "bad field tag"},
		{"length past the end", append(tag(7, protowire.BytesType), 0x10, 1, 2), "field 7"},
		{"group wire type", tag(7, protowire.StartGroupType), "wire type 3"},
		{"wrong wire type", append(tag(7, protowire.VarintType), 1), "wire type 0, want 2"},
		{"nested graphs", nest(onnx.MaxGraphDepth + 2), "nested deeper"},
		{"negative dim", tensorWith(protowire.AppendVarint(tag(1, protowire.VarintType), uint64(1<<64-3))), "negative dimension"},
		{"absurd dims", tensorWith(append(append(protowire.AppendVarint(tag(1, protowire.VarintType), 1<<40),
			protowire.AppendVarint(tag(1, protowire.VarintType), 1<<40)...), protowire.AppendVarint(tag(1, protowire.VarintType), 1<<40)...)), "more than"},
		{"external data", tensorWith(protowire.AppendVarint(tag(14, protowire.VarintType), 1)), "external data"},
		{"packed floats", tensorWith(bytesField(4, []byte{1, 2, 3})), "multiple of 4"},
	}
	for _, c := range cases {
		_, err := onnx.Decode(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := onnx.Decode(nest(onnx.MaxGraphDepth - 1)); err != nil {
		t.Errorf("graphs nested %d deep: %v", onnx.MaxGraphDepth-1, err)
	}
	// A truncated model is refused, except where the cut falls between two
	// fields of ModelProto (a ModelProto without its last fields).
	b := refFiles(t)[0]
	refused := 0
	for n := range len(b) {
		if _, err := onnx.Decode(b[:n]); err != nil {
			refused++
		}
	}
	if _, err := onnx.Decode(b[:len(b)-1]); err == nil || refused < len(b)*9/10 {
		t.Errorf("%d of %d truncations refused; without the last byte: %v", refused, len(b), err)
	}
	if _, err := onnx.Load(filepath.Join(t.TempDir(), "missing.onnx")); err == nil {
		t.Error("Load of a missing file: no error")
	}
}

// FuzzDecode feeds Decode arbitrary bytes, seeded with the reference
// models: it must return a model or an error, never panic (FuzzImport goes
// on to import and run what decodes).
func FuzzDecode(f *testing.F) {
	for _, b := range refFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := onnx.Decode(b); (m == nil) == (err == nil) {
			t.Fatalf("model %v and error %v", m, err)
		}
	})
}

// FuzzImport decodes and imports mutated models and runs those that
// import on an input of their declared shape (symbolic dimensions set to
// 2): a run may panic only with a chainrule error (*tensor.Error). Running
// a model allocates what the model asks for (a Pad of 2³⁰, a Conv with
// huge pads), as in any engine, so models with operators or attributes
// that create large tensors are only imported, not run. With seeds of
// several KB, run it with -fuzzminimizetime 10x: the default minimization
// of each new input takes most of the time.
func FuzzImport(f *testing.F) {
	for _, b := range refFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := onnx.Decode(b)
		if err != nil {
			return
		}
		im, err := onnx.Import(m)
		if err != nil {
			return
		}
		for _, n := range m.Graph.Nodes {
			switch n.OpType {
			case "Pad", "ConstantOfShape", "Expand":
				return
			}
			for _, a := range n.Attributes {
				for _, x := range a.Ints {
					if x > 64 {
						return
					}
				}
			}
		}
		inputs := make([]ad.Value, len(im.Inputs))
		for i, vi := range im.Inputs {
			shape := make([]int, len(vi.Shape))
			for j, d := range vi.Shape {
				shape[j] = int(d)
				if d < 0 {
					shape[j] = 2
				}
				if d > 64 {
					return // too large to run quickly
				}
			}
			d := tensor.Float64
			if vi.ElemType == onnx.Float {
				d = tensor.Float32
			}
			inputs[i] = ad.From(d.Ones(shape...))
		}
		for _, p := range im.Params {
			if p.T.Size() > 1<<16 {
				return
			}
		}
		_ = tensor.Maybe(func() { im.Call(inputs...) })
	})
}
