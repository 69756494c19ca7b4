package onnx_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/testfunc"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/onnx"
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
		x, y = tensor.New(xd, 400).As(d), tensor.New(yd, 400).As(d)
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
}

// W3 of the benchmarks: one SGD step of the MLP 784→256→10 (tanh,
// softmax cross-entropy, batch 64), parameters in and updated parameters
// out, named as nn names them.
func TestExportW3TrainingStep(t *testing.T) {
	for _, d := range dtypes {
		t.Run(d.String(), func(t *testing.T) {
			ps := []*tensor.Tensor{uniform(7, d, -0.05, 0.05, 784, 256), uniform(8, d, -0.05, 0.05, 256),
				uniform(9, d, -0.1, 0.1, 256, 10), uniform(10, d, -0.1, 0.1, 10)}
			x := uniform(11, d, 0, 1, 64, 784)
			labels := make([]int, 64)
			for i := range labels {
				labels[i] = (i * 7) % 10
			}
			p := w3Step(ps, x, labels, 0.1)
			opts := &onnx.Options{
				Inputs:  []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "x"},
				Outputs: []string{"loss", "fc1.weight.new", "fc1.bias.new", "fc2.weight.new", "fc2.bias.new"},
			}
			exportAndCheck(t, "w3", p, opts, append(ps, x)...)
		})
	}
}

// w3Step compiles W3's training step: (params, x) → (loss, new params).
func w3Step(ps []*tensor.Tensor, x *tensor.Tensor, labels []int, lr float64) *ad.Program {
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
	vals := make([]ad.Value, 0, 5)
	for _, t := range append(ps, x) {
		vals = append(vals, ad.From(t))
	}
	return ad.Compile(step, vals...)
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
			var ins []*tensor.Tensor
			var names []string
			var vals []ad.Value
			for _, q := range params {
				ins, names, vals = append(ins, q.T), append(names, q.Name), append(vals, ad.From(q.T))
			}
			ins, names, vals = append(ins, x), append(names, "x"), append(vals, ad.From(x))
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
			var ins []*tensor.Tensor
			var names []string
			for _, q := range params {
				ins, names = append(ins, q.T), append(names, q.Name)
			}
			ins, names = append(ins, x), append(names, "x")
			vals := make([]ad.Value, len(ins))
			for i, v := range ins {
				vals[i] = ad.From(v)
			}
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
			var ins []*tensor.Tensor
			var names []string
			for _, q := range params {
				ins, names = append(ins, q.T), append(names, q.Name)
			}
			ins, names = append(ins, x), append(names, "x")
			vals := make([]ad.Value, len(ins))
			for i, v := range ins {
				vals[i] = ad.From(v)
			}
			p := ad.Compile(f, vals...)
			exportAndCheck(t, "transformer", p, &onnx.Options{Inputs: names}, ins...)
		})
	}
}
