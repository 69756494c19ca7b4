package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// The reference data comes from testdata/gen.py (PyTorch 1.13, float64).

type refArray struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (a refArray) tensor() *tensor.Tensor {
	return tensor.New(slices.Clone(a.Data), a.Shape...)
}

type refCase struct {
	State        map[string]refArray `json:"state"`
	StateBefore  map[string]refArray `json:"state_before"`
	X            refArray            `json:"x"`
	KV           *refArray           `json:"kv"`
	R            refArray            `json:"r"`
	Y            refArray            `json:"y"`
	Grads        map[string]refArray `json:"grads"`
	Steps        []map[string]refArray
	RunningAfter map[string]refArray `json:"running_after"`
}

func loadRef(t *testing.T) map[string]refCase {
	t.Helper()
	b, err := os.ReadFile("testdata/torch_nn.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]refCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// loadState copies the reference state into l's tensors by name; every
// tensor of l must be in the state and vice versa.
func loadState(t *testing.T, l Layer, state map[string]refArray) {
	t.Helper()
	sd := StateDict(l)
	if len(sd) != len(state) {
		t.Fatalf("layer has %d tensors %v, reference %d", len(sd), keys(sd), len(state))
	}
	for name, a := range state {
		p, ok := sd[name]
		if !ok {
			t.Fatalf("reference tensor %q is not in the layer (%v)", name, keys(sd))
		}
		if !slices.Equal(p.Shape(), a.Shape) {
			t.Fatalf("%s: shape %v, reference %v", name, p.Shape(), a.Shape)
		}
		copy(p.Data(), a.Data)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func closeTo(t *testing.T, what string, got *tensor.Tensor, want refArray, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape)
	}
	for i, w := range want.Data {
		g := got.AtFlat(i)
		if math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s[%d] = %.17g, PyTorch %.17g", what, i, g, w)
		}
	}
}

// checkCase runs the layer on the case's input in c's mode and compares
// the output and the gradients of sum(y·r) with respect to x (unless
// noX) and to each parameter.
func checkCase(t *testing.T, name string, l Layer, rc refCase, c *Ctx, call func(c *Ctx, x ad.Value) ad.Value, noX bool) {
	t.Helper()
	checkCaseIn(t, name, l, rc, c, call, noX, tensor.Float64)
}

// checkCaseIn is checkCase in dtype d: the layer is converted with To, the
// input and cotangent rounded, and the tolerance is float32's.
func checkCaseIn(t *testing.T, name string, l Layer, rc refCase, c *Ctx, call func(c *Ctx, x ad.Value) ad.Value, noX bool, d tensor.DType) {
	t.Helper()
	tol := 1e-10
	if d == tensor.Float32 {
		tol = 1e-4
		To(l, d)
	}
	params := Params(l)
	x := ad.From(rc.X.tensor().As(d))
	r := ad.From(rc.R.tensor().As(d))
	var y *tensor.Tensor
	loss := func(vs []ad.Value) ad.Value {
		cc := c.Bind(params, vs[1:])
		out := call(cc, vs[0])
		y = out.Tensor()
		return ad.SumAll(ad.Mul(out, r))
	}
	gs := ad.Grads(loss, append([]ad.Value{x}, values(params)...)...)
	if y.DType() != d {
		t.Fatalf("%s: output is %s, want %s", name, y.DType(), d)
	}
	closeTo(t, name+" output", y, rc.Y, tol)
	if !noX {
		closeTo(t, name+" grad x", gs[0].Tensor(), rc.Grads["x"], tol)
	}
	if len(params) != len(rc.Grads)-b2i(!noX) {
		t.Fatalf("%s: %d parameters, reference gradients %v", name, len(params), keys(rc.Grads))
	}
	for i, p := range params {
		closeTo(t, name+" grad "+p.Name, gs[i+1].Tensor(), rc.Grads[p.Name], tol)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func values(ps []optim.Param) []ad.Value {
	vs := make([]ad.Value, len(ps))
	for i, p := range ps {
		vs[i] = ad.From(p.T)
	}
	return vs
}

func forward(l Layer) func(c *Ctx, x ad.Value) ad.Value { return l.Forward }

func TestTorchReference(t *testing.T) {
	ref := loadRef(t)
	rng := rand.New(rand.NewPCG(1, 2))
	t.Run("linear", func(t *testing.T) {
		l := NewLinear(rng, 4, 3, true)
		loadState(t, l, ref["linear"].State)
		checkCase(t, "linear", l, ref["linear"], nil, forward(l), false)
	})
	t.Run("conv2d", func(t *testing.T) {
		l := NewConv2D(rng, 4, 6, [2]int{3, 2}, ad.ConvConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 1}, {2, 2}}, Dilation: [2]int{1, 2}, Groups: 2}, true)
		loadState(t, l, ref["conv2d"].State)
		checkCase(t, "conv2d", l, ref["conv2d"], nil, forward(l), false)
	})
	t.Run("layernorm", func(t *testing.T) {
		l := NewLayerNorm(3, 4)
		loadState(t, l, ref["layernorm"].State)
		checkCase(t, "layernorm", l, ref["layernorm"], nil, forward(l), false)
	})
	t.Run("embedding", func(t *testing.T) {
		l := NewEmbedding(rng, 10, 4)
		loadState(t, l, ref["embedding"].State)
		checkCase(t, "embedding", l, ref["embedding"], nil, forward(l), true)
	})
	for _, name := range []string{"mha", "mha_causal", "mha_cross"} {
		t.Run(name, func(t *testing.T) {
			m := NewMultiHeadAttention(rng, 8, 2, true)
			m.Causal = name == "mha_causal"
			rc := ref[name]
			loadState(t, m, rc.State)
			call := forward(m)
			if rc.KV != nil {
				kv := ad.From(rc.KV.tensor())
				call = func(c *Ctx, x ad.Value) ad.Value { return m.Attend(c, x, kv, kv) }
			}
			checkCase(t, name, m, rc, nil, call, false)
		})
	}
	t.Run("lenet", func(t *testing.T) {
		l := newLeNet(rng)
		loadState(t, l, ref["lenet"].State)
		checkCase(t, "lenet", l, ref["lenet"], nil, forward(l), false)
	})
	t.Run("batchnorm", func(t *testing.T) {
		bn := NewBatchNorm2D(3)
		rc := ref["batchnorm_train"]
		// the initial state: PyTorch's defaults for the buffers, and the
		// reference's parameters
		for _, name := range []string{"weight", "bias"} {
			copy(StateDict(bn)[name].Data(), rc.StateBefore[name].Data)
		}
		train := &Ctx{Train: true}
		for i, st := range rc.Steps {
			bn.Forward(train, ad.From(st["x"].tensor()))
			closeTo(t, "running_mean", bn.RunningMean, st["running_mean"], 1e-12)
			closeTo(t, "running_var", bn.RunningVar, st["running_var"], 1e-12)
			_ = i
		}
		loadState(t, bn, rc.StateBefore)
		checkCase(t, "batchnorm train", bn, rc, train, forward(bn), false)
		closeTo(t, "running_mean after", bn.RunningMean, rc.RunningAfter["running_mean"], 1e-12)
		closeTo(t, "running_var after", bn.RunningVar, rc.RunningAfter["running_var"], 1e-12)
		ev := ref["batchnorm_eval"]
		closeTo(t, "eval running_mean", bn.RunningMean, ev.State["running_mean"], 1e-12)
		before := bn.RunningMean.Clone()
		checkCase(t, "batchnorm eval", bn, ev, nil, forward(bn), false)
		closeTo(t, "eval leaves running_mean", bn.RunningMean, refArray{before.Shape(), before.Data()}, 0)
	})
}

// TestTorchReferenceFloat32 runs the layers converted to float32 (To) on
// the same reference data, to float32 accuracy.
func TestTorchReferenceFloat32(t *testing.T) {
	ref := loadRef(t)
	rng := rand.New(rand.NewPCG(1, 2))
	f32 := tensor.Float32
	layers := map[string]Layer{
		"linear":         NewLinear(rng, 4, 3, true),
		"conv2d":         NewConv2D(rng, 4, 6, [2]int{3, 2}, ad.ConvConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 1}, {2, 2}}, Dilation: [2]int{1, 2}, Groups: 2}, true),
		"layernorm":      NewLayerNorm(3, 4),
		"embedding":      NewEmbedding(rng, 10, 4),
		"mha":            NewMultiHeadAttention(rng, 8, 2, true),
		"batchnorm_eval": NewBatchNorm2D(3),
	}
	for name, l := range layers {
		loadState(t, l, ref[name].State)
		checkCaseIn(t, name, l, ref[name], nil, forward(l), name == "embedding", f32)
	}
	bn := NewBatchNorm2D(3)
	rc := ref["batchnorm_train"]
	loadState(t, bn, rc.StateBefore)
	checkCaseIn(t, "batchnorm train", bn, rc, &Ctx{Train: true}, forward(bn), false, f32)
	closeTo(t, "running_var after", bn.RunningVar, rc.RunningAfter["running_var"], 1e-5)
}

// newLeNet returns the LeNet-5-style network of testdata/gen.py.
func newLeNet(rng *rand.Rand) Sequential {
	return Sequential{
		NewConv2D(rng, 1, 6, [2]int{5, 5}, ad.ConvConfig{}, true), Func(ad.Relu), &MaxPool2D{Kernel: [2]int{2, 2}},
		NewConv2D(rng, 6, 16, [2]int{5, 5}, ad.ConvConfig{}, true), Func(ad.Relu), &AvgPool2D{Kernel: [2]int{2, 2}},
		Flatten{}, NewLinear(rng, 256, 120, true), Func(ad.GELU),
		NewLinear(rng, 120, 84, true), Func(ad.Tanh), NewLinear(rng, 84, 10, true),
	}
}
