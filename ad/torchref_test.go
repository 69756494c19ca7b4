package ad_test

// Reference tests against PyTorch 1.13: testdata/torch/cases.json holds, for
// each case, an op's inputs, its forward output, the VJP of a cotangent and
// the JVP along tangents, all computed by PyTorch in float64
// (testdata/torch/gen.py). These tests need only the JSON file.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

const torchCases = "../testdata/torch/cases.json"

type torchTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type torchParams struct {
	Axes       []int `json:"axes"` // null: all axes
	Keepdims   bool  `json:"keepdims"`
	Axis       int   `json:"axis"`
	Start      int   `json:"start"`
	Stop       int   `json:"stop"`
	Shape      []int `json:"shape"`
	Perm       []int `json:"perm"`
	Index      []int `json:"index"`
	IndexShape []int `json:"index_shape"`
	Labels     []int `json:"labels"`
}

type torchCase struct {
	Name      string         `json:"name"`
	Op        string         `json:"op"`
	Params    torchParams    `json:"params"`
	Inputs    []torchTensor  `json:"inputs"`
	Output    torchTensor    `json:"output"`
	Cotangent torchTensor    `json:"cotangent"`
	Grads     []*torchTensor `json:"grads"`    // null for a non-differentiable input
	Tangents  []*torchTensor `json:"tangents"` // null for a non-differentiable input
	JVP       torchTensor    `json:"jvp"`
	Note      string         `json:"note"`
}

type torchFile struct {
	Generator    string      `json:"generator"`
	TorchVersion string      `json:"torch_version"`
	DType        string      `json:"dtype"`
	Cases        []torchCase `json:"cases"`
}

// torchOp applies an op to all of a case's inputs (the non-differentiable
// ones as constants).
type torchOp func(p torchParams, xs []ad.Value) ad.Value

func unaryOp(f func(ad.Value) ad.Value) torchOp {
	return func(_ torchParams, xs []ad.Value) ad.Value { return f(xs[0]) }
}

func binaryOp(f func(a, b ad.Value) ad.Value) torchOp {
	return func(_ torchParams, xs []ad.Value) ad.Value { return f(xs[0], xs[1]) }
}

func reduceOp(f func(x ad.Value, keep bool, axes ...int) ad.Value) torchOp {
	return func(p torchParams, xs []ad.Value) ad.Value { return f(xs[0], p.Keepdims, p.Axes...) }
}

// torchOps maps the op names of gen.py to chainrule.
var torchOps = map[string]torchOp{
	"neg":      unaryOp(ad.Neg),
	"exp":      unaryOp(ad.Exp),
	"log":      unaryOp(ad.Log),
	"log1p":    unaryOp(ad.Log1p),
	"expm1":    unaryOp(ad.Expm1),
	"sqrt":     unaryOp(ad.Sqrt),
	"abs":      unaryOp(ad.Abs),
	"sin":      unaryOp(ad.Sin),
	"cos":      unaryOp(ad.Cos),
	"tan":      unaryOp(ad.Tan),
	"asin":     unaryOp(ad.Asin),
	"acos":     unaryOp(ad.Acos),
	"atan":     unaryOp(ad.Atan),
	"sinh":     unaryOp(ad.Sinh),
	"cosh":     unaryOp(ad.Cosh),
	"tanh":     unaryOp(ad.Tanh),
	"sigmoid":  unaryOp(ad.Sigmoid),
	"relu":     unaryOp(ad.Relu),
	"softplus": unaryOp(ad.Softplus),
	"erf":      unaryOp(ad.Erf),

	"add":     binaryOp(add2),
	"sub":     binaryOp(ad.Sub),
	"mul":     binaryOp(mul2),
	"div":     binaryOp(ad.Div),
	"pow":     binaryOp(ad.Pow),
	"atan2":   binaryOp(ad.Atan2),
	"maximum": binaryOp(ad.Maximum),
	"minimum": binaryOp(ad.Minimum),
	"hypot":   binaryOp(ad.Hypot),
	"matmul":  binaryOp(ad.MatMul),

	"where": func(_ torchParams, xs []ad.Value) ad.Value {
		zero := ad.From(xs[0].DType().Scalar(0))
		return ad.Where(ad.Greater(xs[0], zero), xs[1], xs[2])
	},

	"sum":  reduceOp(ad.Sum),
	"mean": reduceOp(ad.Mean),
	"max":  reduceOp(ad.Max),
	"min":  reduceOp(ad.Min),
	"prod": reduceOp(ad.Prod),

	"logsumexp": reduceOp(ad.LogSumExp),
	"softmax": func(p torchParams, xs []ad.Value) ad.Value {
		return ad.Softmax(xs[0], p.Axis)
	},
	"log_softmax": func(p torchParams, xs []ad.Value) ad.Value {
		return ad.LogSoftmax(xs[0], p.Axis)
	},

	"reshape": func(p torchParams, xs []ad.Value) ad.Value { return ad.Reshape(xs[0], p.Shape...) },
	"transpose": func(p torchParams, xs []ad.Value) ad.Value {
		return ad.Transpose(xs[0], p.Perm...)
	},
	"broadcast_to": func(p torchParams, xs []ad.Value) ad.Value {
		return ad.BroadcastTo(xs[0], p.Shape...)
	},
	"slice": func(p torchParams, xs []ad.Value) ad.Value {
		return ad.Slice(xs[0], p.Axis, p.Start, p.Stop)
	},
	"concat": func(p torchParams, xs []ad.Value) ad.Value { return ad.Concat(p.Axis, xs...) },
	"stack":  func(p torchParams, xs []ad.Value) ad.Value { return ad.Stack(p.Axis, xs...) },
	"gather": func(p torchParams, xs []ad.Value) ad.Value {
		// TakeAlong's idx is row-major with x's shape except along the
		// axis: exactly torch.gather's index when index_shape agrees off
		// the axis (which gen.py keeps to).
		want := append([]int(nil), xs[0].Shape()...)
		a := p.Axis
		if a < 0 {
			a += len(want)
		}
		want[a] = p.IndexShape[a]
		if fmt.Sprint(want) != fmt.Sprint(p.IndexShape) {
			panic(fmt.Sprintf("gather: index shape %v does not match input %v off axis %d", p.IndexShape, xs[0].Shape(), p.Axis))
		}
		return ad.TakeAlong(xs[0], p.Axis, p.Index)
	},

	"mse_loss": binaryOp(ad.MSE),
	"cross_entropy": func(p torchParams, xs []ad.Value) ad.Value {
		return ad.SoftmaxCrossEntropy(xs[0], p.Labels)
	},
}

// torchKnownBugs names cases (by their "name" field) that chainrule gets
// wrong, with the bug; they are skipped so the rest run.
var torchKnownBugs = map[string]string{}

func loadTorchCases(t *testing.T) *torchFile {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(torchCases))
	if err != nil {
		t.Fatalf("PyTorch reference data missing (regenerate with /usr/bin/python3 testdata/torch/gen.py): %v", err)
	}
	var f torchFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", torchCases, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s holds no cases", torchCases)
	}
	if f.DType != "float64" {
		t.Fatalf("%s: dtype %q, want float64", torchCases, f.DType)
	}
	return &f
}

func (tt *torchTensor) value(d tensor.DType) ad.Value {
	return ad.From(tensor.New(append([]float64(nil), tt.Data...), tt.Shape...).As(d))
}

// tolerance: |got - want| ≤ abs + rel·|want| elementwise.
type tolerance struct{ rel, abs float64 }

func checkTensor(t *testing.T, what string, got ad.Value, want *torchTensor, d tensor.DType, tol tolerance) {
	t.Helper()
	if got.DType() != d {
		t.Errorf("%s: dtype %s, want %s", what, got.DType(), d)
	}
	if fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape)
		return
	}
	g := got.Tensor().Float64s()
	bad, worst, wi := 0, 0.0, -1
	for i, w := range want.Data {
		err := math.Abs(g[i] - w)
		lim := tol.abs + tol.rel*math.Abs(w)
		if !(err <= lim) { // NaN fails too
			bad++
			if r := err / lim; wi < 0 || r > worst || math.IsNaN(r) {
				worst, wi = r, i
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements off (tolerance %g rel + %g abs); worst at flat %d: got %.17g, want %.17g (%.3g× tolerance)\n got  %v\n want %v",
			what, bad, len(g), tol.rel, tol.abs, wi, g[wi], want.Data[wi], worst, g, want.Data)
	}
}

// runTorchCase checks the forward output and the VJP of case c in dtype d,
// and the JVP when jvp is set.
func runTorchCase(t *testing.T, c *torchCase, d tensor.DType, tol tolerance, jvp bool) {
	op, ok := torchOps[c.Op]
	if !ok {
		t.Fatalf("unknown op %q in %s: add it to torchOps", c.Op, torchCases)
	}
	if len(c.Grads) != len(c.Inputs) || len(c.Tangents) != len(c.Inputs) {
		t.Fatalf("malformed case: %d inputs, %d grads, %d tangents", len(c.Inputs), len(c.Grads), len(c.Tangents))
	}
	if why, bug := torchKnownBugs[c.Name]; bug {
		t.Skipf("chainrule bug: %s", why)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v", c.Name, r)
		}
	}()

	xs := make([]ad.Value, len(c.Inputs))
	var diff []int // the differentiable inputs
	for i := range c.Inputs {
		xs[i] = c.Inputs[i].value(d)
		if (c.Grads[i] == nil) != (c.Tangents[i] == nil) {
			t.Fatalf("malformed case: input %d has a grad or a tangent but not both", i)
		}
		if c.Grads[i] != nil {
			diff = append(diff, i)
		}
	}
	f := func(ps []ad.Value) ad.Value {
		full := append([]ad.Value(nil), xs...)
		for k, i := range diff {
			full[i] = ps[k]
		}
		return op(c.Params, full)
	}
	primals := make([]ad.Value, len(diff))
	for k, i := range diff {
		primals[k] = xs[i]
	}

	checkTensor(t, "forward", op(c.Params, xs), &c.Output, d, tol)

	y, pull := ad.VJP(f, primals...)
	checkTensor(t, "VJP primal", y, &c.Output, d, tol)
	gs := pull(c.Cotangent.value(d))
	for k, i := range diff {
		checkTensor(t, fmt.Sprintf("VJP input %d", i), gs[k], c.Grads[i], d, tol)
	}

	if !jvp {
		return
	}
	tans := make([]ad.Value, len(diff))
	for k, i := range diff {
		tans[k] = c.Tangents[i].value(d)
	}
	y, tan := ad.JVP(f, primals, tans)
	checkTensor(t, "JVP primal", y, &c.Output, d, tol)
	checkTensor(t, "JVP", tan, &c.JVP, d, tol)
}

func torchSubtest(i int, c *torchCase) string { return fmt.Sprintf("%s/%d", c.Op, i) }

// TestTorchReference checks the forward output, VJP and JVP of every case in
// float64 against PyTorch's to 1e-10 relative + 1e-12 absolute. (The worst
// case seen is ~5e-13 relative: log_softmax of 1000+x, where x - lse loses
// the last bits of two numbers near 1000; everything else agrees to 1e-13.)
func TestTorchReference(t *testing.T) {
	f := loadTorchCases(t)
	t.Logf("%d cases from PyTorch %s", len(f.Cases), f.TorchVersion)
	seen := map[string]bool{}
	for i := range f.Cases {
		c := &f.Cases[i]
		seen[c.Op] = true
		t.Run(torchSubtest(i, c), func(t *testing.T) {
			t.Log(c.Name)
			runTorchCase(t, c, tensor.Float64, tolerance{rel: 1e-10, abs: 1e-12}, true)
		})
	}
	for op := range torchOps {
		if !seen[op] {
			t.Errorf("op %q has no case in %s", op, torchCases)
		}
	}
}

// TestTorchReferenceFloat32 runs every case in float32 (inputs, cotangents
// and arithmetic), checking the forward output and VJP against PyTorch's
// float64 results to 1e-4 relative + 1e-4 absolute. (The worst case seen is
// ~2.6e-5 absolute: softmax/log_softmax/logsumexp of ±1000+x, whose inputs
// are themselves rounded by up to 2⁻¹⁴ ≈ 6e-5 in float32; the rest agree to
// 1e-5.)
func TestTorchReferenceFloat32(t *testing.T) {
	f := loadTorchCases(t)
	for i := range f.Cases {
		c := &f.Cases[i]
		t.Run(torchSubtest(i, c), func(t *testing.T) {
			t.Log(c.Name)
			runTorchCase(t, c, tensor.Float32, tolerance{rel: 1e-4, abs: 1e-4}, false)
		})
	}
}
