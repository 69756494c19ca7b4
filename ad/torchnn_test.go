package ad_test

// Reference tests of the neural-network primitives against PyTorch 1.13:
// testdata/torch/nn_cases.json (generator testdata/torch/nn_gen.py) has the
// format of cases.json, with each op's static arguments in "params".

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

const torchNNCases = "../testdata/torch/nn_cases.json"

// nnParams are the static arguments of nn_gen.py's cases.
type nnParams struct {
	Stride        json.RawMessage `json:"stride"`   // [sh, sw] (2-d) or s (1-d)
	Padding       json.RawMessage `json:"padding"`  // [[top, bottom], [left, right]] or [left, right]
	Dilation      json.RawMessage `json:"dilation"` // like stride
	Groups        int             `json:"groups"`
	OutputPadding [2]int          `json:"output_padding"`
	Kernel        [2]int          `json:"kernel"` // pooling
	N             int             `json:"n"`      // layer_norm: trailing axes
	Eps           float64         `json:"eps"`
	Causal        bool            `json:"causal"` // attention
}

type nnCase struct {
	torchCase
	Params nnParams `json:"params"`
}

func must[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("params %s: %v", raw, err)
		}
	}
	return v
}

func conv2DConfig(t *testing.T, p nnParams) ad.ConvConfig {
	return ad.ConvConfig{Stride: must[[2]int](t, p.Stride), Padding: must[[2][2]int](t, p.Padding),
		Dilation: must[[2]int](t, p.Dilation), Groups: p.Groups}
}

// nnOps maps nn_gen.py's op names to chainrule.
var nnOps = map[string]func(t *testing.T, p nnParams, xs []ad.Value) ad.Value{
	"gelu":      func(_ *testing.T, _ nnParams, xs []ad.Value) ad.Value { return ad.GELU(xs[0]) },
	"gelu_tanh": func(_ *testing.T, _ nnParams, xs []ad.Value) ad.Value { return ad.GELUTanh(xs[0]) },
	"silu":      func(_ *testing.T, _ nnParams, xs []ad.Value) ad.Value { return ad.SiLU(xs[0]) },
	"conv2d": func(t *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.Conv2D(xs[0], xs[1], conv2DConfig(t, p))
	},
	"conv_transpose2d": func(t *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.ConvTranspose2D(xs[0], xs[1], conv2DConfig(t, p), p.OutputPadding)
	},
	"max_pool2d": func(t *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.MaxPool2D(xs[0], p.Kernel, ad.PoolConfig{Stride: must[[2]int](t, p.Stride), Padding: must[[2][2]int](t, p.Padding)})
	},
	"avg_pool2d": func(t *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.AvgPool2D(xs[0], p.Kernel, ad.PoolConfig{Stride: must[[2]int](t, p.Stride), Padding: must[[2][2]int](t, p.Padding)})
	},
	"layer_norm": func(_ *testing.T, p nnParams, xs []ad.Value) ad.Value {
		if len(xs) == 1 {
			return ad.LayerNorm(xs[0], p.N, ad.Value{}, ad.Value{}, p.Eps)
		}
		return ad.LayerNorm(xs[0], p.N, xs[1], xs[2], p.Eps)
	},
	"batch_norm": func(_ *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.BatchNorm(xs[0], xs[1], xs[2], p.Eps)
	},
	"batch_norm_stats": func(_ *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.BatchNormWithStats(xs[0], xs[1], xs[2], xs[3], xs[4], p.Eps)
	},
	"attention": func(_ *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.Attention(xs[0], xs[1], xs[2], p.Causal)
	},
	"conv1d": func(t *testing.T, p nnParams, xs []ad.Value) ad.Value {
		return ad.Conv1D(xs[0], xs[1], ad.Conv1DConfig{Stride: must[int](t, p.Stride), Padding: must[[2]int](t, p.Padding),
			Dilation: must[int](t, p.Dilation), Groups: p.Groups})
	},
}

func loadNNCases(t *testing.T) []nnCase {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(torchNNCases))
	if err != nil {
		t.Fatalf("PyTorch reference data missing (regenerate with /usr/bin/python3 testdata/torch/nn_gen.py): %v", err)
	}
	var f struct {
		DType string   `json:"dtype"`
		Cases []nnCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", torchNNCases, err)
	}
	if len(f.Cases) == 0 || f.DType != "float64" {
		t.Fatalf("%s: %d cases of dtype %q", torchNNCases, len(f.Cases), f.DType)
	}
	return f.Cases
}

// runNNCase checks the forward output and VJP of case c in dtype d, and
// with jvp the JVP and the batched JVP (the tangent and a multiple of it
// as two directions).
func runNNCase(t *testing.T, c *nnCase, d tensor.DType, tol tolerance, jvp bool) {
	op, ok := nnOps[c.Op]
	if !ok {
		t.Fatalf("unknown op %q in %s: add it to nnOps", c.Op, torchNNCases)
	}
	xs := make([]ad.Value, len(c.Inputs))
	for i := range xs {
		xs[i] = c.Inputs[i].value(d)
	}
	f := func(ps []ad.Value) ad.Value { return op(t, c.Params, ps) }
	checkTensor(t, "forward", f(xs), &c.Output, d, tol)
	y, pull := ad.VJP(f, xs...)
	checkTensor(t, "VJP primal", y, &c.Output, d, tol)
	for i, g := range pull(c.Cotangent.value(d)) {
		checkTensor(t, fmt.Sprintf("VJP input %d", i), g, c.Grads[i], d, tol)
	}
	if !jvp {
		return
	}
	tans := make([]ad.Value, len(xs))
	batch := make([]ad.Value, len(xs))
	for i := range xs {
		tans[i] = c.Tangents[i].value(d)
		batch[i] = ad.Stack(0, tans[i], ad.Mul(tans[i], ad.Scalar(-2)))
	}
	_, tan := ad.JVP(f, xs, tans)
	checkTensor(t, "JVP", tan, &c.JVP, d, tol)
	_, bt := ad.JVPBatch(f, xs, batch)
	checkTensor(t, "JVPBatch[0]", ad.Reshape(ad.Slice(bt, 0, 0, 1), tan.Shape()...), &c.JVP, d, tol)
	want2 := torchTensor{Shape: c.JVP.Shape}
	for _, v := range c.JVP.Data {
		want2.Data = append(want2.Data, -2*v)
	}
	checkTensor(t, "JVPBatch[1]", ad.Reshape(ad.Slice(bt, 0, 1, 2), tan.Shape()...), &want2, d, tol)
}

// TestTorchNN checks GELU, SiLU and the convolutions against PyTorch in
// float64 to 1e-10 relative + 1e-12 absolute.
func TestTorchNN(t *testing.T) {
	cases := loadNNCases(t)
	seen := map[string]bool{}
	for i := range cases {
		c := &cases[i]
		seen[c.Op] = true
		t.Run(torchSubtest(i, &c.torchCase), func(t *testing.T) {
			t.Log(c.Name)
			runNNCase(t, c, tensor.Float64, tolerance{rel: 1e-10, abs: 1e-12}, true)
		})
	}
	for op := range nnOps {
		if !seen[op] {
			t.Errorf("op %q has no case in %s", op, torchNNCases)
		}
	}
}

// TestTorchNNFloat32 runs every case in float32 against PyTorch's float64
// results to 1e-4 relative + 1e-4 absolute.
func TestTorchNNFloat32(t *testing.T) {
	cases := loadNNCases(t)
	for i := range cases {
		c := &cases[i]
		t.Run(torchSubtest(i, &c.torchCase), func(t *testing.T) {
			t.Log(c.Name)
			runNNCase(t, c, tensor.Float32, tolerance{rel: 1e-4, abs: 1e-4}, false)
		})
	}
}
