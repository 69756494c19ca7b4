package onnx_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/testfunc"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// uniform returns a tensor of dtype d with entries from U(lo, hi).
func uniform(seed uint64, d tensor.DType, lo, hi float64, shape ...int) *tensor.Tensor {
	return tensor.Rand(seeded(seed), lo, hi, shape...).As(d)
}

var dtypes = []tensor.DType{tensor.Float64, tensor.Float32}

// Every elementwise primitive, in both dtypes, over its domain, including
// the float64 lowerings of the ops ONNX Runtime has no float64 kernel for.
func TestExportElementwise(t *testing.T) {
	unary := map[string]func(ad.Value) ad.Value{
		"neg": ad.Neg, "exp": ad.Exp, "log": func(x ad.Value) ad.Value { return ad.Log(ad.Abs(x)) },
		"log1p": func(x ad.Value) ad.Value { return ad.Log1p(ad.Abs(x)) }, "expm1": ad.Expm1,
		"sqrt": func(x ad.Value) ad.Value { return ad.Sqrt(ad.Abs(x)) }, "abs": ad.Abs, "sign": ad.Sign,
		"square": ad.Square, "sin": ad.Sin, "cos": ad.Cos, "tan": ad.Tan,
		"asin": func(x ad.Value) ad.Value { return ad.Asin(ad.Mul(0.999, ad.Tanh(x))) },
		"acos": func(x ad.Value) ad.Value { return ad.Acos(ad.Mul(0.999, ad.Tanh(x))) },
		"atan": ad.Atan, "sinh": ad.Sinh, "cosh": ad.Cosh, "tanh": ad.Tanh, "sigmoid": ad.Sigmoid,
		"relu": ad.Relu, "softplus": ad.Softplus, "erf": ad.Erf, "gelu": ad.GELU, "gelu_tanh": ad.GELUTanh, "silu": ad.SiLU,
	}
	binary := map[string]func(a, b ad.Value) ad.Value{
		"add": func(a, b ad.Value) ad.Value { return ad.Add(a, b) }, "sub": ad.Sub[ad.Value, ad.Value],
		"mul": func(a, b ad.Value) ad.Value { return ad.Mul(a, b) },
		"div": ad.Div[ad.Value, ad.Value], "pow": func(a, b ad.Value) ad.Value { return ad.Pow(ad.Abs(a), b) },
		"atan2": ad.Atan2[ad.Value, ad.Value], "maximum": ad.Maximum[ad.Value, ad.Value],
		"minimum": ad.Minimum[ad.Value, ad.Value], "hypot": ad.Hypot[ad.Value, ad.Value],
		"equal": ad.Equal[ad.Value, ad.Value], "not_equal": ad.NotEqual[ad.Value, ad.Value],
		"greater": ad.Greater[ad.Value, ad.Value], "greater_equal": ad.GreaterEqual[ad.Value, ad.Value],
		"less": ad.Less[ad.Value, ad.Value], "less_equal": ad.LessEqual[ad.Value, ad.Value],
		"where": func(a, b ad.Value) ad.Value { return ad.Where(ad.Greater(a, b), a, ad.Mul(b, 2)) },
	}
	for _, d := range dtypes {
		// x spans the ranges of erf's and atan's approximations; y has
		// ties with x and zeros of both signs, for atan2 and the
		// comparisons
		x := uniform(1, d, -7, 7, 400)
		y := uniform(2, d, -3, 3, 400)
		yd := y.Float64s()
		xd := x.Float64s()
		for i := 0; i < 40; i++ {
			yd[i] = xd[i]
		}
		yd[40], xd[41], yd[41], xd[42], yd[42] = 0, 0, 0, math.Copysign(0, -1), 0
		xd[43], xd[44], xd[45] = 1e-9, -3e-12, 0.5
		// and the special values, in x and y and in every pair
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 30, -30, 80, -80, 1e-300}
		if d == tensor.Float64 {
			special = append(special, 710, -710)
		}
		k := 50
		for _, a := range special {
			for _, b := range special {
				xd[k], yd[k] = a, b
				k++
			}
		}
		x, y = tensor.New(xd, 400).As(d), tensor.New(yd, 400).As(d)
		checkOps(t, d, unary, binary, x, y)
	}
}

func checkOps(t *testing.T, d tensor.DType, unary map[string]func(ad.Value) ad.Value, binary map[string]func(a, b ad.Value) ad.Value, x, y *tensor.Tensor) {
	// one model per dtype and arity: each check starts a process
	names := sortedKeys(unary)
	t.Run(d.String()+"/unary", func(t *testing.T) {
		p := ad.Compile(func(xs []ad.Value) []ad.Value {
			var out []ad.Value
			for _, n := range names {
				out = append(out, unary[n](xs[0]))
			}
			return out
		}, ad.From(x))
		exportAndCheck(t, "unary", p, &onnx.Options{Outputs: names}, x)
	})
	bnames := sortedKeys(binary)
	t.Run(d.String()+"/binary", func(t *testing.T) {
		p := ad.Compile(func(xs []ad.Value) []ad.Value {
			var out []ad.Value
			for _, n := range bnames {
				out = append(out, binary[n](xs[0], xs[1]))
			}
			return out
		}, ad.From(x), ad.From(y))
		exportAndCheck(t, "binary", p, &onnx.Options{Outputs: bnames}, x, y)
	})
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// W2 of the benchmarks: the vector Rosenbrock function's value and
// gradient (slices, pads, a fused elementwise chain, a sum).
func TestExportW2Gradient(t *testing.T) {
	x := uniform(3, tensor.Float64, -1, 1, 1000)
	p := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrad(testfunc.RosenbrockVector, xs[0])
		return []ad.Value{v, g}
	}, ad.From(x))
	exportAndCheck(t, "w2", p, &onnx.Options{Inputs: []string{"x"}, Outputs: []string{"value", "grad"}}, x)
}

// The scalar form: W1's Rosenbrock written one scalar op at a time, its
// recorded loops rerolled, which the export unrolls.
func TestExportScalarRerolled(t *testing.T) {
	x := uniform(4, tensor.Float64, -1, 1, 30)
	xs := make([]ad.Value, 30)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	p := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrads(testfunc.RosenbrockScalar, xs...)
		return append([]ad.Value{v}, g...)
	}, xs...)
	if !p.View().Scalar || !strings.Contains(p.String(), "loop") {
		t.Fatal("not a rerolled scalar program: the test tests nothing")
	}
	ins := make([]*tensor.Tensor, 30)
	for i := range ins {
		ins[i] = tensor.Scalar(uniform(5, tensor.Float64, -1, 1, 30).AtFlat(i))
	}
	exportAndCheck(t, "w1", p, nil, ins...)
}

// A checkpoint runs Go code: the export fails, naming it.
func TestExportCustomFails(t *testing.T) {
	x := uniform(6, tensor.Float64, -1, 1, 3)
	p := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Checkpoint(ad.Exp)(xs[0])} }, ad.From(x))
	_, err := onnx.Export(p, nil)
	var e *onnx.Error
	if !errors.As(err, &e) || e.Op != "checkpoint" {
		t.Fatalf("error %v, want an *onnx.Error naming checkpoint", err)
	}
	// a custom rule named like a primitive is still refused, not lowered
	// as the primitive
	exp := ad.Custom("exp", func(x ad.Value) ad.Value { return ad.Mul(x, 2) },
		func(_, ts []ad.Value) ad.Value { return ad.Mul(ts[0], 2) },
		func(_ []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, 2)} })
	p = ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{exp(xs[0])} }, ad.From(x))
	if _, err := onnx.Export(p, nil); !errors.As(err, &e) || e.Op != "exp" || !strings.Contains(err.Error(), "custom") {
		t.Fatalf("error %v, want an *onnx.Error refusing the custom exp", err)
	}
}

// W3 of the benchmarks: one SGD step of the MLP 784→256→10 (tanh,
// softmax cross-entropy, batch 64), parameters in and updated parameters
// out, named as nn names them.
func TestExportW3TrainingStep(t *testing.T) {
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			p, ins := w3Step(d)
			opts := &onnx.Options{
				Inputs:  []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "x"},
				Outputs: []string{"loss", "fc1.weight.new", "fc1.bias.new", "fc2.weight.new", "fc2.bias.new"},
			}
			exportAndCheck(t, "w3", p, opts, ins...)
		})
	}
}

// The W3 step on ONNX Runtime's CUDA execution provider, where there is a
// GPU (nvidia-smi runs) and onnxruntime-node was installed with its CUDA
// binaries (npm install without ONNXRUNTIME_NODE_INSTALL=skip).
func TestExportW3OnCUDA(t *testing.T) {
	if err := exec.Command("nvidia-smi").Run(); err != nil {
		t.Skip("SKIPPED: no GPU here (nvidia-smi does not run); on a GPU machine: cd testdata/onnx/ort && npm install")
	}
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			p, ins := w3Step(d)
			exportAndCheckOn(t, []string{"cuda"}, "w3cuda", p, nil, ins...)
		})
	}
}

// withParams returns the inputs of a program of nn parameters and then x:
// the tensors, their names (nn's, then "x") and Values of them.
func withParams(params []optim.Param, x *tensor.Tensor) ([]*tensor.Tensor, []string, []ad.Value) {
	var ins []*tensor.Tensor
	var names []string
	var vals []ad.Value
	for _, q := range params {
		ins, names, vals = append(ins, q.T), append(names, q.Name), append(vals, ad.From(q.T))
	}
	return append(ins, x), append(names, "x"), append(vals, ad.From(x))
}

// w3Step compiles W3's training step in dtype d, (params, x) → (loss, new
// params), and returns it with seeded inputs.
func w3Step(d tensor.DType) (*ad.Program, []*tensor.Tensor) {
	ins := []*tensor.Tensor{uniform(7, d, -0.05, 0.05, 784, 256), uniform(8, d, -0.05, 0.05, 256),
		uniform(9, d, -0.1, 0.1, 256, 10), uniform(10, d, -0.1, 0.1, 10), uniform(11, d, 0, 1, 64, 784)}
	labels := make([]int, 64)
	for i := range labels {
		labels[i] = (i * 7) % 10
	}
	const lr = 0.1
	step := func(in []ad.Value) []ad.Value {
		loss := func(q []ad.Value) ad.Value {
			h := ad.Tanh(ad.Add(ad.MatMul(in[4], q[0]), q[1]))
			return ad.SoftmaxCrossEntropy(ad.Add(ad.MatMul(h, q[2]), q[3]), labels)
		}
		v, gs := ad.ValueAndGrads(loss, in[:4]...)
		out := []ad.Value{v}
		for i, g := range gs {
			out = append(out, ad.Sub(in[i], ad.Mul(lr, g)))
		}
		return out
	}
	vals := make([]ad.Value, len(ins))
	for i, t := range ins {
		vals[i] = ad.From(t)
	}
	return ad.Compile(step, vals...), ins
}

// An nn MLP in inference, its parameters frozen into initializers that
// carry nn's dotted names; the graph's one input is x.
func TestExportMLPNames(t *testing.T) {
	rng := seeded(12)
	model := nn.Sequential{nn.NewLinear(rng, 6, 16, true), nn.Func(ad.GELU), nn.NewLinear(rng, 16, 3, true)}
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			nn.To(model, d)
			params := nn.Params(model)
			x := uniform(13, d, -2, 2, 5, 6)
			ins, names, vals := withParams(params, x)
			n := len(params)
			p := ad.Compile(func(xs []ad.Value) []ad.Value {
				return []ad.Value{model.Forward((&nn.Ctx{}).Bind(params, xs[:n]), xs[n])}
			}, vals...)
			opts := &onnx.Options{Inputs: names, Outputs: []string{"y"}, Frozen: nn.StateDict(model)}
			m, err := onnx.Export(p, opts)
			if err != nil {
				t.Fatal(err)
			}
			var inits []string
			for _, in := range m.Graph.Initializers {
				inits = append(inits, in.Name)
			}
			for _, want := range []string{"0.weight", "0.bias", "2.weight", "2.bias"} {
				if !slices.Contains(inits, want) {
					t.Errorf("no initializer %q among %v", want, inits)
				}
			}
			if len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].Name != "x" {
				t.Errorf("graph inputs %v, want x alone", m.Graph.Inputs)
			}
			exportAndCheck(t, "mlp", p, opts, ins...)
		})
	}
}

// A CNN's training step: Conv2D (padding, stride, groups), max and average
// pooling, and their gradients (the convolution's transposes, the pools'
// scatters), in float32 (Conv) and float64 (im2col).
func TestExportCNNStep(t *testing.T) {
	rng := seeded(14)
	conv1 := nn.NewConv2D(rng, 2, 4, [2]int{3, 3}, ad.ConvConfig{Padding: [2][2]int{{1, 1}, {1, 1}}}, true)
	conv2 := nn.NewConv2D(rng, 4, 6, [2]int{3, 2}, ad.ConvConfig{Stride: [2]int{2, 1}, Dilation: [2]int{1, 2}, Groups: 2, Padding: [2][2]int{{0, 1}, {1, 0}}}, true)
	model := nn.Sequential{conv1, nn.Func(ad.Relu), &nn.MaxPool2D{Kernel: [2]int{2, 2}}, conv2, nn.Func(ad.Tanh),
		&nn.AvgPool2D{Kernel: [2]int{2, 2}, Config: ad.PoolConfig{Stride: [2]int{1, 1}}}, nn.Flatten{}, nn.NewLinear(rng, 6*2*1, 3, true)}
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			nn.To(model, d)
			params := nn.Params(model)
			x := uniform(15, d, -1, 1, 2, 2, 10, 8)
			step := func(in []ad.Value) []ad.Value {
				c := (&nn.Ctx{}).Bind(params, in[:len(params)])
				loss := func(q []ad.Value) ad.Value {
					return ad.SoftmaxCrossEntropy(model.Forward(c.Bind(params, q), in[len(params)]), []int{0, 2})
				}
				v, gs := ad.ValueAndGrads(loss, in[:len(params)]...)
				return append([]ad.Value{v}, gs...)
			}
			ins, names, vals := withParams(params, x)
			p := ad.Compile(step, vals...)
			exportAndCheck(t, "cnn", p, &onnx.Options{Inputs: names}, ins...)
		})
	}
}

// A transformer encoder block (pre-norm: LayerNorm, MultiHeadAttention,
// LayerNorm, a GELU MLP): its output and the gradient of a loss in every
// parameter.
func TestExportTransformerBlock(t *testing.T) {
	rng := seeded(16)
	const embed, heads, seq, batch = 8, 2, 5, 2
	ln1, ln2 := nn.NewLayerNorm(embed), nn.NewLayerNorm(embed)
	attn := nn.NewMultiHeadAttention(rng, embed, heads, true)
	mlp := nn.Sequential{nn.NewLinear(rng, embed, 16, true), nn.Func(ad.GELU), nn.NewLinear(rng, 16, embed, true)}
	block := nn.Sequential{ln1, attn, ln2, mlp}
	forward := func(c *nn.Ctx, x ad.Value) ad.Value {
		h := ad.Add(x, attn.Forward(c, ln1.Forward(c, x)))
		return ad.Add(h, mlp.Forward(c, ln2.Forward(c, h)))
	}
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			nn.To(block, d)
			params := nn.Params(block)
			x := uniform(17, d, -1, 1, batch, seq, embed)
			f := func(in []ad.Value) []ad.Value {
				n := len(params)
				loss := func(q []ad.Value) ad.Value {
					return ad.Mean(ad.Square(forward((&nn.Ctx{}).Bind(params, q), in[n])), false)
				}
				v, gs := ad.ValueAndGrads(loss, in[:n]...)
				y := forward((&nn.Ctx{}).Bind(params, in[:n]), in[n])
				return append([]ad.Value{y, v}, gs...)
			}
			ins, names, vals := withParams(params, x)
			p := ad.Compile(f, vals...)
			exportAndCheck(t, "transformer", p, &onnx.Options{Inputs: names}, ins...)
		})
	}
}

// The structural primitives — reductions, transposes, broadcasts, slices,
// pads, concatenation, gathers and their scatter-add gradients, element
// access, casts, transposed matmuls, a transposed convolution — and the
// gradient of a function of them all; the test fails if one of them is
// not in the program.
func TestExportStructural(t *testing.T) {
	want := []string{"sum_to", "broadcast_to", "max", "min", "logsumexp", "reshape", "transpose", "slice", "pad",
		"pad_add", "concat", "take_along", "scatter_add_along", "element", "astype", "matmul", "conv_transpose2d",
		"conv2d", "conv2d_weight_grad", "where", "chain_mul"}
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			x := uniform(20, d, -2, 2, 3, 4)
			y := uniform(21, d, -2, 2, 4, 2)
			img := uniform(22, d, -1, 1, 1, 2, 3, 3)
			ker := uniform(23, d, -1, 1, 2, 1, 2, 2)
			f := func(q []ad.Value) ad.Value {
				x, y, img, ker := q[0], q[1], q[2], q[3]
				a := ad.Transpose(ad.MatMul(x, y), 1, 0)                           // 2×3
				b := ad.Add(ad.Max(x, true, 1), ad.Min(x, false, 0))               // 3×4
				c := ad.LogSumExp(ad.Concat(0, a, ad.Slice(b, 1, 1, 4)), false, 0) // 3
				g := ad.Take(ad.Reshape(x, 12), 0, []int{3, 0, 3, 11, 7})
				e := ad.Elements(g)
				h := ad.Mul(e[0], e[4])
				other := tensor.Float32
				if d == tensor.Float32 {
					other = tensor.Float64
				}
				k := ad.AsType(ad.AsType(ad.Pad(c, 0, 2, 1), other), d)
				k = ad.Where(ad.Greater(k, 0.1), k, ad.Square(k))
				ct := ad.ConvTranspose2D(img, ker, ad.ConvConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 0}, {0, 1}}, Groups: 2}, [2]int{1, 0})
				r := ad.Add(ad.Sum(ad.Square(k), false), h)
				r = ad.Add(r, ad.Sum(ad.Mul(ct, ct), false))
				n := x.Size()
				flat := ad.Reshape(x, n)
				r = ad.Add(r, ad.Sum(ad.Square(ad.Sub(ad.Slice(flat, 0, 1, n), ad.Slice(flat, 0, 0, n-1))), false))
				return ad.Add(r, ad.Sum(ad.Sqrt(ad.Add(ad.Square(ad.BroadcastTo(ad.Sum(y, true, 0), 3, 4, 2)), 1)), false))
			}
			p := ad.Compile(func(q []ad.Value) []ad.Value {
				v, gs := ad.ValueAndGrads(f, q...)
				return append([]ad.Value{v}, gs...)
			}, ad.From(x), ad.From(y), ad.From(img), ad.From(ker))
			ops := map[string]bool{}
			for _, in := range p.View().Instrs {
				ops[in.Op] = true
			}
			for _, op := range want {
				if !ops[op] {
					t.Errorf("no %s in the program: the test does not cover it", op)
				}
			}
			exportAndCheck(t, "structural", p, nil, x, y, img, ker)
		})
	}
}

func TestSaveWriteAndOptionErrors(t *testing.T) {
	x := uniform(30, tensor.Float64, -1, 1, 4)
	p := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Sin(xs[0]), xs[0]} }, ad.From(x))
	m, err := onnx.Export(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := onnx.Write(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), onnx.Marshal(m)) {
		t.Error("Write differs from Marshal(Export)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// a failed export leaves the file as it was, and no temporary file
	if err := onnx.Save(path, p, &onnx.Options{Inputs: []string{"a", "b"}}); err == nil {
		t.Error("two names for one input: no error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed Save changed the file to %q", b)
	}
	if err := onnx.Save(path, p, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, buf.Bytes()) {
		t.Error("Save wrote other bytes than Write")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory after Save, want 1", len(ents))
	}
	for _, opts := range []*onnx.Options{
		{Outputs: []string{"y"}},
		{Inputs: []string{"y"}, Outputs: []string{"y", "z"}},
		{Outputs: []string{"y", ""}},
		{Inputs: []string{"x"}, Frozen: map[string]*tensor.Tensor{"x": tensor.Zeros(5)}},
	} {
		if _, err := onnx.Export(p, opts); err == nil {
			t.Errorf("options %+v: no error", opts)
		}
	}
	if _, err := onnx.Export(nil, nil); err == nil {
		t.Error("nil program: no error")
	}
}

// Reductions over rows holding NaN, ±Inf and all −Inf: NaN propagates
// and logsumexp stays finite where it should, as in Run.
func TestExportReductionsSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	data := []float64{1, nan, 2, 3, -inf, -inf, -inf, -inf, inf, 1, 2, 3, -1, 0, 5, -2}
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			x := tensor.New(data, 4, 4).As(d)
			p := ad.Compile(func(xs []ad.Value) []ad.Value {
				return []ad.Value{ad.Max(xs[0], false, 1), ad.Min(xs[0], true, 1), ad.LogSumExp(xs[0], false, 1),
					ad.Softmax(xs[0], 0), ad.Sum(xs[0], false, 0)}
			}, ad.From(x))
			exportAndCheck(t, "reductions", p, nil, x)
		})
	}
}

// Max pooling's primitives on operands other than the selector: the
// forward-mode tangent gathers v at x's argmaxes (Gather on MaxPool's
// Indices), the reverse mode scatters back (ScatterElements with add),
// with padding and overlapping windows.
func TestExportMaxPoolTangents(t *testing.T) {
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			x := uniform(40, d, -1, 1, 2, 3, 7, 6)
			v := uniform(41, d, -1, 1, 2, 3, 7, 6)
			pool := func(x ad.Value) ad.Value {
				return ad.MaxPool2D(x, [2]int{3, 2}, ad.PoolConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 1}, {0, 1}}})
			}
			p := ad.Compile(func(in []ad.Value) []ad.Value {
				y, dy := ad.JVP(pool, []ad.Value{in[0]}, []ad.Value{in[1]})
				_, back := ad.VJP(pool, in[0])
				return []ad.Value{y, dy, back(ad.Square(dy))[0]}
			}, ad.From(x), ad.From(v))
			ops := map[string]bool{}
			for _, in := range p.View().Instrs {
				if in.Op == "max_pool2d" && in.Args[0] != in.Args[1] {
					ops["gather"] = true
				}
				ops[in.Op] = true
			}
			if !ops["gather"] || !ops["max_pool2d_scatter"] {
				t.Fatalf("ops %v: no take by other argmaxes or no scatter to test", ops)
			}
			exportAndCheck(t, "maxpool", p, nil, x, v)
		})
	}
}

// Outputs named like the exporter's own values, an output that is an
// input, one register returned twice, and a constant output.
func TestExportOutputNames(t *testing.T) {
	x := uniform(50, tensor.Float64, -1, 1, 3)
	p := ad.Compile(func(xs []ad.Value) []ad.Value {
		y := ad.Exp(ad.Sin(xs[0]))
		return []ad.Value{y, xs[0], y, ad.Scalar(2.5), ad.From(tensor.New([]float64{1, 2}, 2))}
	}, ad.From(x))
	exportAndCheck(t, "names", p, &onnx.Options{Inputs: []string{"t1"}, Outputs: []string{"t2", "t3", "t4", "t5", "t6"}}, x)
}

// A captured tensor named in Options.Constants keeps its name; one that
// is not gets const_r<register>.
func TestExportConstantNames(t *testing.T) {
	x := uniform(60, tensor.Float32, -1, 1, 2, 3)
	bias := uniform(61, tensor.Float32, -1, 1, 3)
	scale := uniform(62, tensor.Float32, -1, 1, 2, 3)
	p := ad.Compile(func(xs []ad.Value) []ad.Value {
		return []ad.Value{ad.Mul(ad.Add(xs[0], ad.From(bias)), ad.From(scale))}
	}, ad.From(x))
	opts := &onnx.Options{Constants: map[string]*tensor.Tensor{"layer.bias": bias}}
	m, err := onnx.Export(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range m.Graph.Initializers {
		names = append(names, in.Name)
	}
	if !slices.Contains(names, "layer.bias") || !slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, "const_r") }) {
		t.Errorf("initializers %v: want layer.bias and a const_r…", names)
	}
	exportAndCheck(t, "constnames", p, opts, x)
}
