package ad_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

func TestNNErrors(t *testing.T) {
	x, w := ad.From(tensor.Zeros(1, 2, 5, 5)), ad.From(tensor.Zeros(3, 2, 3, 3))
	cases := []struct {
		name string
		fn   func()
		kind error
		msg  string
	}{
		{"conv2d channels", func() { ad.Conv2D(x, ad.From(tensor.Zeros(3, 1, 3, 3)), ad.ConvConfig{}) }, tensor.ErrShape, "conv2d: weights (3,1,3,3)"},
		{"conv2d dtype", func() { ad.Conv2D(ad.AsType(x, tensor.Float32), w, ad.ConvConfig{}) }, tensor.ErrDType, "conv2d"},
		{"conv2d zero", func() { ad.Conv2D(x, ad.Value{}, ad.ConvConfig{}) }, tensor.ErrArg, "conv2d"},
		{"conv1d rank", func() { ad.Conv1D(x, w, ad.Conv1DConfig{}) }, tensor.ErrShape, "conv1d: input (1,2,5,5)"},
		{"conv1d kernel", func() { ad.Conv1D(ad.From(tensor.Zeros(1, 2, 2)), ad.From(tensor.Zeros(1, 2, 3)), ad.Conv1DConfig{}) }, tensor.ErrShape, "conv1d: kernel of 3 (dilation 1) does not fit the input (1,2,2)"},
		{"conv1d groups", func() {
			ad.Conv1D(ad.From(tensor.Zeros(1, 4, 5)), ad.From(tensor.Zeros(2, 4, 3)), ad.Conv1DConfig{Groups: 2})
		}, tensor.ErrShape, "conv1d: weights (2,4,3) do not fit input (1,4,5) with groups=2"},
		{"convT outpad", func() {
			ad.ConvTranspose2D(ad.From(tensor.Zeros(1, 3, 3, 3)), w, ad.ConvConfig{}, [2]int{1, 0})
		}, tensor.ErrArg, "conv_transpose2d: output padding"},
		{"convT outpad dilation", func() {
			ad.ConvTranspose2D(ad.From(tensor.Zeros(1, 3, 3, 3)), w, ad.ConvConfig{Dilation: [2]int{2, 2}}, [2]int{1, 0})
		}, tensor.ErrArg, "conv_transpose2d: output padding [1 0] must be non-negative and smaller than the stride [1 1]"},
		{"maxpool rank", func() { ad.MaxPool2D(ad.From(tensor.Zeros(2, 5, 5)), [2]int{2, 2}, ad.PoolConfig{}) }, tensor.ErrShape, "max_pool2d: input (2,5,5)"},
		{"maxpool padding", func() { ad.MaxPool2D(x, [2]int{2, 2}, ad.PoolConfig{Padding: [2][2]int{{2, 0}, {0, 0}}}) }, tensor.ErrArg, "max_pool2d: padding"},
		{"maxpool kernel", func() { ad.MaxPool2D(x, [2]int{0, 2}, ad.PoolConfig{}) }, tensor.ErrArg, "max_pool2d: kernel"},
		{"avgpool fit", func() { ad.AvgPool2D(x, [2]int{6, 2}, ad.PoolConfig{}) }, tensor.ErrShape, "avg_pool2d: kernel [6 2] does not fit"},
		{"layernorm n", func() { ad.LayerNorm(x, 5, ad.Value{}, ad.Value{}, 1e-5) }, tensor.ErrAxis, "layer_norm"},
		{"layernorm gamma", func() { ad.LayerNorm(x, 2, ad.From(tensor.Zeros(5)), ad.Value{}, 1e-5) }, tensor.ErrShape, "layer_norm: gamma has shape (5), want (5,5)"},
		{"layernorm eps", func() { ad.LayerNorm(x, 1, ad.Value{}, ad.Value{}, -1) }, tensor.ErrArg, "layer_norm: eps"},
		{"batchnorm rank", func() { ad.BatchNorm(ad.From(tensor.Zeros(3)), ad.Value{}, ad.Value{}, 1e-5) }, tensor.ErrShape, "batch_norm: input (3)"},
		{"batchnorm beta dtype", func() { ad.BatchNorm(x, ad.Value{}, ad.From(tensor.Float32.Zeros(2)), 1e-5) }, tensor.ErrDType, "batch_norm: beta is float32"},
		{"batchnorm stats", func() {
			ad.BatchNormWithStats(x, ad.From(tensor.Zeros(3)), ad.From(tensor.Ones(2)), ad.Value{}, ad.Value{}, 1e-5)
		}, tensor.ErrShape, "batch_norm: mean has shape (3), want (2)"},
		{"convT channels", func() { ad.ConvTranspose2D(x, w, ad.ConvConfig{}, [2]int{}) }, tensor.ErrShape, "conv_transpose2d: input (1,2,5,5) has 2 channels"},
	}
	for _, c := range cases {
		err := tensor.Maybe(c.fn)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %v containing %q", c.name, err, c.kind, c.msg)
		}
	}
}

// TestConvCompile checks that a compiled training-style step through a
// strided, padded, grouped convolution gives the eager gradients.
func TestConvCompile(t *testing.T) {
	cfg := ad.ConvConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 0}, {0, 2}}, Groups: 2}
	loss := func(xs []ad.Value) ad.Value {
		return ad.Sum(ad.Tanh(ad.Conv2D(xs[0], xs[1], cfg)), false)
	}
	step := func(xs []ad.Value) []ad.Value { return ad.Grads(loss, xs...) }
	x, w := ad.From(tensor.RandN(seeded(1), 2, 4, 5, 4)), ad.From(tensor.RandN(seeded(2), 6, 2, 2, 3))
	want := step([]ad.Value{x, w})
	p := ad.Compile(step, x, w)
	x2, w2 := ad.From(tensor.RandN(seeded(3), 2, 4, 5, 4)), ad.From(tensor.RandN(seeded(4), 6, 2, 2, 3))
	want2 := step([]ad.Value{x2, w2})
	for k, c := range []struct {
		in   []ad.Value
		want []ad.Value
	}{{[]ad.Value{x, w}, want}, {[]ad.Value{x2, w2}, want2}} {
		got := p.Run(c.in...)
		for i := range got {
			if !tensor.Equal(got[i].Tensor(), c.want[i].Tensor()) {
				t.Errorf("run %d, gradient %d: compiled %v, eager %v", k, i, got[i], c.want[i])
			}
		}
	}
}

func TestDropout(t *testing.T) {
	const n, p = 100000, 0.3
	x := ad.From(tensor.Rand(seeded(7), 0.5, 2, n))
	src := func(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }
	y := ad.Dropout(x, p, true, src(1)).Tensor()
	kept := 0
	for i := range n {
		xi, yi := x.Tensor().AtFlat(i), y.AtFlat(i)
		switch {
		case yi == 0:
		case math.Abs(yi-xi/(1-p)) <= 1e-15*yi:
			kept++
		default:
			t.Fatalf("element %d: %g from %g, want 0 or %g", i, yi, xi, xi/(1-p))
		}
	}
	// Binomial(n, 1-p): 5 standard deviations is 0.0072 of n.
	if frac := float64(kept) / n; math.Abs(frac-(1-p)) > 5*math.Sqrt(p*(1-p)/n) {
		t.Errorf("kept %.4f of the elements, want %.4f", frac, 1-p)
	}
	if !tensor.Equal(y, ad.Dropout(x, p, true, src(1)).Tensor()) {
		t.Error("the same seed gave a different mask")
	}
	if tensor.Equal(y, ad.Dropout(x, p, true, src(2)).Tensor()) {
		t.Error("another seed gave the same mask")
	}
	// The gradient of Σ dropout(x) is the mask: 1/(1-p) where kept, else 0.
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.Dropout(x, p, true, src(1)), false) }, x).Tensor()
	for i := range n {
		want := 0.0
		if y.AtFlat(i) != 0 {
			want = 1 / (1 - p)
		}
		if g.AtFlat(i) != want {
			t.Fatalf("gradient element %d = %g, want %g", i, g.AtFlat(i), want)
		}
	}
	if got := ad.Dropout(x, p, false, nil); !tensor.Equal(got.Tensor(), x.Tensor()) {
		t.Error("evaluation mode is not the identity")
	}
	if got := ad.Dropout(x, 0, true, src(3)); !tensor.Equal(got.Tensor(), x.Tensor()) {
		t.Error("p = 0 is not the identity")
	}
	if got := ad.Dropout(x, 1, true, src(3)); !tensor.Equal(got.Tensor(), tensor.Zeros(n)) {
		t.Error("p = 1 does not zero everything")
	}
	if m := ad.DropoutMask(src(4), 0.5, tensor.Float32, 2, 3); m.DType() != tensor.Float32 || fmt.Sprint(m.Shape()) != "[2 3]" {
		t.Errorf("DropoutMask float32 (2,3): got %s %v", m.DType(), m.Shape())
	}
}

func TestDropoutErrors(t *testing.T) {
	x := ad.From(tensor.Ones(3))
	src := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		fn   func()
		kind error
		msg  string
	}{
		{"p", func() { ad.Dropout(x, 1.5, true, src) }, tensor.ErrArg, "dropout: probability 1.5"},
		{"NaN", func() { ad.Dropout(x, math.NaN(), true, src) }, tensor.ErrArg, "dropout: probability NaN"},
		{"p in eval mode", func() { ad.Dropout(x, -0.1, false, nil) }, tensor.ErrArg, "dropout: probability -0.1"},
		{"nil source", func() { ad.Dropout(x, 0.5, true, nil) }, tensor.ErrArg, "dropout: nil random source"},
		{"compile", func() {
			ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{ad.Dropout(xs[0], 0.5, true, src)} }, x)
		}, tensor.ErrGraph, "dropout: under Compile"},
		{"compile grad", func() {
			ad.Compile(func(xs []ad.Value) []ad.Value {
				return []ad.Value{ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.Dropout(x, 0.5, true, src), false) }, xs[0])}
			}, x)
		}, tensor.ErrGraph, "dropout: under Compile"},
		{"attention shapes", func() {
			ad.Attention(ad.From(tensor.Ones(2, 3)), ad.From(tensor.Ones(4, 2)), ad.From(tensor.Ones(4, 1)), false)
		}, tensor.ErrShape, "attention: queries (2,3), keys (4,2)"},
		{"attention dtype", func() {
			ad.Attention(ad.From(tensor.Ones(2, 3)), ad.From(tensor.Float32.Ones(4, 3)), ad.From(tensor.Ones(4, 1)), false)
		}, tensor.ErrDType, "attention: queries float64, keys float32"},
		{"attention batch", func() {
			ad.Attention(ad.From(tensor.Ones(2, 2, 3)), ad.From(tensor.Ones(3, 4, 3)), ad.From(tensor.Ones(4, 1)), false)
		}, tensor.ErrShape, "attention: batch dimensions"},
	} {
		err := tensor.Maybe(c.fn)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %v containing %q", c.name, err, c.kind, c.msg)
		}
	}
}

// TestMaxPoolCompile checks that a compiled max-pooling gradient finds each
// window's maximum in the inputs of every run, not those it was recorded
// with: the second input has its maxima elsewhere.
func TestMaxPoolCompile(t *testing.T) {
	k, cfg := [2]int{2, 2}, ad.PoolConfig{Stride: [2]int{1, 1}}
	step := func(xs []ad.Value) []ad.Value {
		return ad.Grads(func(xs []ad.Value) ad.Value { return ad.Sum(ad.Square(ad.MaxPool2D(xs[0], k, cfg)), false) }, xs...)
	}
	x1 := ad.New([]float64{9, 1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 3, 3)
	x2 := ad.New([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)
	p := ad.Compile(step, x1)
	for _, x := range []ad.Value{x1, x2} {
		got, want := p.Run(x)[0], step([]ad.Value{x})[0]
		if !tensor.Equal(got.Tensor(), want.Tensor()) {
			t.Errorf("compiled %v, eager %v", got, want)
		}
	}
	// x2's windows all peak at their bottom-right element: 5, 6, 8, 9,
	// each the maximum of one window, so the gradient of Σ y² is 2y there.
	want := tensor.New([]float64{0, 0, 0, 0, 10, 12, 0, 16, 18}, 1, 1, 3, 3)
	if got := p.Run(x2)[0]; !tensor.Equal(got.Tensor(), want) {
		t.Errorf("compiled gradient at x2 = %v, want %v", got, want)
	}
}

// TestActivationsCompile checks GELU, GELUTanh and SiLU inside Compile's
// fused elementwise groups, in both dtypes, against eager evaluation.
func TestActivationsCompile(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		f := func(xs []ad.Value) ad.Value {
			x := xs[0]
			return ad.Sum(ad.Add(ad.Mul(ad.GELU(x), ad.SiLU(x)), ad.GELUTanh(ad.Mul(x, x))), false)
		}
		step := func(xs []ad.Value) []ad.Value { return ad.Grads(f, xs...) }
		x := ad.From(d.Rand(seeded(1), -4, 4, 3, 50))
		p := ad.Compile(step, x)
		x2 := ad.From(d.Rand(seeded(2), -4, 4, 3, 50))
		got, want := p.Run(x2)[0].Tensor(), step([]ad.Value{x2})[0].Tensor()
		tol := 1e-14
		if d == tensor.Float32 {
			tol = 1e-5
		}
		for i := range want.Size() {
			if w := want.AtFlat(i); math.Abs(got.AtFlat(i)-w) > tol*(1+math.Abs(w)) {
				t.Fatalf("%s: element %d: compiled %g, eager %g", d, i, got.AtFlat(i), w)
			}
		}
	}
}

// TestGELUDerivatives checks GELU's first and second derivatives (the
// gelu_grad primitive and its own rule) against central finite differences
// of GELU and of its gradient, in float64, far into both tails.
func TestGELUDerivatives(t *testing.T) {
	xs := []float64{-30, -8, -3.5, -1, -0.25, 0, 1e-3, 0.6, 2, 5, 30}
	sum := func(v ad.Value) ad.Value { return ad.Sum(ad.GELU(v), false) }
	grad := func(v ad.Value) ad.Value { return ad.Sum(ad.Grad(sum, v), false) }
	x := ad.New(xs, len(xs))
	g1, g2 := ad.Grad(sum, x).Tensor(), ad.Grad(grad, x).Tensor()
	for i, xi := range xs {
		f := func(y []float64) float64 { return ad.GELU(ad.Scalar(y[0])).Item() }
		df := func(y []float64) float64 {
			return ad.Grad(func(v ad.Value) ad.Value { return ad.GELU(v) }, ad.Scalar(y[0])).Item()
		}
		w1, w2 := fdGrad(f, []float64{xi})[0], fdGrad(df, []float64{xi})[0]
		if d := math.Abs(g1.AtFlat(i) - w1); d > 1e-8 {
			t.Errorf("GELU'(%g) = %.12g, finite differences %.12g", xi, g1.AtFlat(i), w1)
		}
		if d := math.Abs(g2.AtFlat(i) - w2); d > 1e-7 {
			t.Errorf("GELU''(%g) = %.12g, finite differences %.12g", xi, g2.AtFlat(i), w2)
		}
	}
}
