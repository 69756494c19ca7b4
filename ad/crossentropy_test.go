package ad_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// TestCrossEntropyOptionsTorch checks SoftmaxCrossEntropy with class
// weights and label smoothing against PyTorch's F.cross_entropy
// (testdata/torch/crossentropy.json, from crossentropy.py): the loss and
// its gradient with respect to the logits, in float64 and float32.
func TestCrossEntropyOptionsTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/crossentropy.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Name       string
			Shape      []int
			Logits     []float64
			Labels     []int
			Weights    []float64
			Smoothing  float64
			Loss       float64
			GradLogits []float64 `json:"grad_logits"`
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range ref.Cases {
		for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
			tol := 1e-12
			if d == tensor.Float32 {
				tol = 1e-5
			}
			opts := ad.CrossEntropyOptions{LabelSmoothing: c.Smoothing}
			if c.Weights != nil {
				opts.Weights = tensor.New(c.Weights, len(c.Weights)).As(d)
			}
			logits := ad.From(tensor.New(c.Logits, c.Shape...).As(d))
			loss, g := ad.ValueAndGrad(func(x ad.Value) ad.Value { return ad.SoftmaxCrossEntropy(x, c.Labels, opts) }, logits)
			if got := loss.Item(); !closeRel(got, c.Loss, tol) {
				t.Errorf("%s %v: loss %v, PyTorch %v", c.Name, d, got, c.Loss)
			}
			gt := g.Tensor()
			for i, want := range c.GradLogits {
				if got := gt.AtFlat(i); !closeRel(got, want, tol) {
					t.Errorf("%s %v: ∂/∂logits[%d] = %v, PyTorch %v", c.Name, d, i, got, want)
				}
			}
		}
	}
}

func closeRel(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestCrossEntropyOptionsErrors checks the options' argument errors name
// softmax_cross_entropy.
func TestCrossEntropyOptionsErrors(t *testing.T) {
	x := ad.From(tensor.Zeros(2, 3))
	for _, c := range []struct {
		what     string
		sentinel error
		f        func()
	}{
		{"weights per class", tensor.ErrShape, func() {
			ad.SoftmaxCrossEntropy(x, []int{0, 1}, ad.CrossEntropyOptions{Weights: tensor.Ones(2)})
		}},
		{"weights dtype", tensor.ErrDType, func() {
			ad.SoftmaxCrossEntropy(x, []int{0, 1}, ad.CrossEntropyOptions{Weights: tensor.Float32.Ones(3)})
		}},
		{"smoothing", tensor.ErrArg, func() {
			ad.SoftmaxCrossEntropy(x, []int{0, 1}, ad.CrossEntropyOptions{LabelSmoothing: 1.5})
		}},
		{"smoothing NaN", tensor.ErrArg, func() {
			ad.SoftmaxCrossEntropy(x, []int{0, 1}, ad.CrossEntropyOptions{LabelSmoothing: math.NaN()})
		}},
		{"two options", tensor.ErrArg, func() {
			ad.SoftmaxCrossEntropy(x, []int{0, 1}, ad.CrossEntropyOptions{}, ad.CrossEntropyOptions{})
		}},
	} {
		wantPanic(t, c.what, c.sentinel, "softmax_cross_entropy", c.f)
	}
}
