package ad

import "github.com/chainrule/chainrule/tensor"

// MSE returns the mean squared error mean((pred - target)²), a scalar. It
// panics with tensor.ErrShape if the shapes do not broadcast and
// tensor.ErrDType if the dtypes differ.
func MSE(pred, target Value) Value {
	check("mse", pred, target)
	binaryOperands("mse", pred, target)
	return Mean(Square(Sub(pred, target)), false)
}

// binaryOperands panics, naming op, if a and b do not broadcast (tensor.ErrShape)
// or their dtypes differ (tensor.ErrDType): the checks of a binary
// elementwise op, made at a composite's entry so that its errors name it.
func binaryOperands(op string, a, b Value) {
	tensor.BroadcastShapes(op, a.Shape(), b.Shape())
	if a.DType() != b.DType() {
		tensor.Panicf(tensor.ErrDType, op, "%v %s and %v %s need a conversion", a.DType(), tensor.ShapeString(a.Shape()), b.DType(), tensor.ShapeString(b.Shape()))
	}
}

// CrossEntropyOptions are SoftmaxCrossEntropy's options, PyTorch's
// cross_entropy's weight and label_smoothing. The zero value is no option.
type CrossEntropyOptions struct {
	// Weights, if not nil, holds one weight per class, of the logits'
	// dtype: row i counts with the weight of its label, and the mean is
	// weighted, Σ w[yᵢ]·lᵢ / Σ w[yᵢ]. The weights are constants (as in
	// PyTorch, no gradient flows to them).
	Weights *tensor.Tensor
	// LabelSmoothing ε in [0, 1] mixes the one-hot target with the uniform
	// distribution: the target is (1−ε)·onehot(y) + ε/C. With Weights, the
	// uniform part of row i is weighted per class too and normalized by the
	// same Σ w[yᵢ], as PyTorch does.
	LabelSmoothing float64
}

// SoftmaxCrossEntropy returns the mean over the batch of -log softmax(logits)
// at the true class, for logits of shape (batch, classes) and one integer
// label per row, computed stably through LogSoftmax. Optional
// CrossEntropyOptions (at most one) add class weights and label smoothing
// with PyTorch's semantics:
//
//	loss = (1−ε)·Σᵢ w[yᵢ]·(−log pᵢ,yᵢ) / Σᵢ w[yᵢ] + (ε/C)·Σᵢ Σ_c w_c·(−log pᵢ,c) / Σᵢ w[yᵢ]
//
// (w = 1 without weights). It panics with tensor.ErrShape for a logits rank
// other than 2, a wrong label count or weights not of one per class, with
// tensor.ErrIndex for a label outside [0, classes) — negative labels
// included (they do not count from the end) — with tensor.ErrDType for
// weights of another dtype, and with tensor.ErrArg for a smoothing outside
// [0, 1] or more than one CrossEntropyOptions.
func SoftmaxCrossEntropy(logits Value, labels []int, opts ...CrossEntropyOptions) Value {
	const op = "softmax_cross_entropy"
	check(op, logits)
	if logits.Rank() != 2 || logits.Shape()[0] != len(labels) {
		tensor.Panicf(tensor.ErrShape, op, "logits %s and %d labels do not match", tensor.ShapeString(logits.Shape()), len(labels))
	}
	c := logits.Shape()[1]
	for i, l := range labels {
		if l < 0 || l >= c {
			tensor.Panicf(tensor.ErrIndex, op, "label %d (row %d) out of range for %d classes", l, i, c)
		}
	}
	var o CrossEntropyOptions
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		tensor.Panicf(tensor.ErrArg, op, "%d CrossEntropyOptions; give at most one", len(opts))
	}
	if eps := o.LabelSmoothing; !(eps >= 0 && eps <= 1) {
		tensor.Panicf(tensor.ErrArg, op, "label smoothing %v outside [0, 1]", eps)
	}
	if w := o.Weights; w != nil {
		if w.Rank() != 1 || w.Size() != c {
			tensor.Panicf(tensor.ErrShape, op, "weights %s for %d classes; want one per class", tensor.ShapeString(w.Shape()), c)
		}
		if w.DType() != logits.DType() {
			tensor.Panicf(tensor.ErrDType, op, "weights are %v, logits %v", w.DType(), logits.DType())
		}
	}
	logp := LogSoftmax(logits, 1)
	picked := TakeAlong(logp, 1, labels) // (batch, 1): log p at the label
	var nll, smooth Value
	if o.Weights == nil {
		nll = Neg(Mean(picked, false))
		if o.LabelSmoothing == 0 {
			return nll
		}
		smooth = Neg(Mean(Sum(logp, false, 1), false))
	} else {
		w := From(o.Weights)
		wy := TakeAlong(BroadcastTo(w, len(labels), c), 1, labels) // w at each label
		total := Sum(wy, false)
		nll = Neg(Div(Sum(Mul(wy, picked), false), total))
		if o.LabelSmoothing == 0 {
			return nll
		}
		smooth = Neg(Div(Sum(Mul(logp, w), false), total))
	}
	eps := o.LabelSmoothing
	return Add(Mul(1-eps, nll), Mul(eps/float64(c), smooth))
}
