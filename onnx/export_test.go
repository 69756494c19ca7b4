package onnx_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/testfunc"
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
