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

// SoftmaxCrossEntropy returns the mean over the batch of -log softmax(logits)
// at the true class, for logits of shape (batch, classes) and one integer
// label per row, computed stably through LogSoftmax. It panics with
// tensor.ErrShape for a logits rank other than 2 or a wrong label count, and
// with tensor.ErrIndex for a label outside [0, classes) — negative labels
// included (they do not count from the end).
func SoftmaxCrossEntropy(logits Value, labels []int) Value {
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
	picked := TakeAlong(LogSoftmax(logits, 1), 1, labels)
	return Neg(Mean(picked, false))
}
