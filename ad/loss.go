package ad

import "github.com/chainrule/chainrule/tensor"

// MSE returns the mean squared error mean((pred - target)²), a scalar. It
// panics like Sub if the shapes do not broadcast.
func MSE(pred, target Value) Value { return Mean(Square(Sub(pred, target)), false) }

// SoftmaxCrossEntropy returns the mean over the batch of -log softmax(logits)
// at the true class, for logits of shape (batch, classes) and one integer
// label per row, computed stably through LogSoftmax. It panics with
// tensor.ErrShape for a logits rank other than 2 or a wrong label count, and
// with tensor.ErrIndex for a label out of range.
func SoftmaxCrossEntropy(logits Value, labels []int) Value {
	check("softmax_cross_entropy", logits)
	if logits.Rank() != 2 || logits.Shape()[0] != len(labels) {
		tensor.Panicf(tensor.ErrShape, "softmax_cross_entropy", "logits %s and %d labels do not match", tensor.ShapeString(logits.Shape()), len(labels))
	}
	picked := TakeAlong(LogSoftmax(logits, 1), 1, labels)
	return Neg(Mean(picked, false))
}
