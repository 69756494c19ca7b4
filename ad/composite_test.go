package ad_test

import (
	"errors"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Errors from composite ops name the op the user called, not the primitive
// that would have failed inside it.
func TestCompositeErrorsNameTheirOp(t *testing.T) {
	x := ad.From(tensor.Zeros(2, 5))
	cases := []struct {
		f    func()
		kind error
		msg  string
	}{
		{func() { ad.SoftmaxCrossEntropy(x, []int{0, 5}) }, tensor.ErrIndex,
			"chainrule: softmax_cross_entropy: label 5 (row 1) out of range for 5 classes"},
		{func() { ad.SoftmaxCrossEntropy(x, []int{-1, 0}) }, tensor.ErrIndex,
			"chainrule: softmax_cross_entropy: label -1 (row 0) out of range for 5 classes"},
		{func() { ad.SoftmaxCrossEntropy(x, []int{0, -5}) }, tensor.ErrIndex,
			"chainrule: softmax_cross_entropy: label -5 (row 1) out of range for 5 classes"},
		{func() { ad.Mean(x, false, 2) }, tensor.ErrAxis, "chainrule: mean: axis 2 out of range for shape (2,5)"},
		{func() { ad.Softmax(x, 2) }, tensor.ErrAxis, "chainrule: softmax: axis 2 out of range for shape (2,5)"},
		{func() { ad.LogSoftmax(x, -3) }, tensor.ErrAxis, "chainrule: log_softmax: axis -3 out of range for shape (2,5)"},
		{func() { ad.MSE(x, ad.From(tensor.Zeros(4))) }, tensor.ErrShape, "chainrule: mse: shapes (2,5) and (4) do not broadcast"},
		{func() { ad.MSE(x, ad.From(tensor.Float32.Zeros(2, 5))) }, tensor.ErrDType,
			"chainrule: mse: float64 (2,5) and float32 (2,5) need a conversion"},
		{func() { ad.LogSumExp(x, false, 2) }, tensor.ErrAxis, "chainrule: logsumexp: axis 2 out of range for shape (2,5)"},
		{func() { ad.Prod(x, false, -3) }, tensor.ErrAxis, "chainrule: prod: axis -3 out of range for shape (2,5)"},
		{func() { ad.Mean(ad.Value{}, false) }, tensor.ErrArg, "chainrule: mean: zero Value (uninitialised)"},
		{func() { ad.Softmax(ad.Value{}, 0) }, tensor.ErrArg, "chainrule: softmax: zero Value (uninitialised)"},
		{func() { ad.MSE(x, ad.Value{}) }, tensor.ErrArg, "chainrule: mse: zero Value (uninitialised)"},
		{func() { ad.Reciprocal(ad.Value{}) }, tensor.ErrArg, "chainrule: reciprocal: zero Value (uninitialised)"},
		{func() { ad.Rsqrt(ad.Value{}) }, tensor.ErrArg, "chainrule: rsqrt: zero Value (uninitialised)"},
	}
	for _, c := range cases {
		err := tensor.Maybe(c.f)
		if !errors.Is(err, c.kind) || err.Error() != c.msg {
			t.Errorf("got %v, want %v: %q", err, c.kind, c.msg)
		}
	}
	// in-range labels still work: the loss of uniform logits is log C
	near(t, "uniform cross entropy", ad.SoftmaxCrossEntropy(x, []int{4, 0}).Item(), 1.6094379124341003, 1e-15)
}
