package ad

// Normalization layers, with PyTorch's numerics: the mean
// and the biased variance (divided by the count, not count-1) of the
// normalized axes, the variance computed from the centred values (two
// passes, no cancellation), and eps added inside the square root:
// y = (x - mean)/√(var + eps)·γ + β (Ba, Kiros & Hinton, "Layer
// normalization", 2016; Ioffe & Szegedy, "Batch normalization", 2015).
// LayerNorm's normalization is one fused primitive (layernorm.go); batch
// normalization is a composite whose derivatives come from the ops it is
// made of.

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// LayerNorm returns x normalized over its last n axes, then scaled by gamma
// and shifted by beta elementwise (PyTorch's F.layer_norm with
// normalized_shape the last n dimensions of x). gamma and beta have the
// shape of those n axes; either may be the zero Value (Value{}) for none.
// Each slice of the n axes gets (x - mean)/√(var + eps) with its own mean
// and biased variance, accumulated in float64, in one pass per row
// forward and one backward. It panics with tensor.ErrAxis if n is not in
// [1, x.Rank()], with tensor.ErrShape if gamma or beta has the wrong
// shape, and with tensor.ErrArg if eps is negative or NaN.
func LayerNorm(x Value, n int, gamma, beta Value, eps float64) Value {
	const op = "layer_norm"
	check(op, x)
	if n < 1 || n > x.Rank() {
		tensor.Panicf(tensor.ErrAxis, op, "normalizing the last %d axes of shape %s", n, tensor.ShapeString(x.Shape()))
	}
	checkEps(op, eps)
	inner := x.Shape()[x.Rank()-n:]
	checkAffine(op, "gamma", x, gamma, inner)
	checkAffine(op, "beta", x, beta, inner)
	// one fused pass per row forward and backward (layernorm.go)
	return affine(bind(layerNormPrim, lnParams(n, eps), x), gamma, beta, nil)
}

// BatchNorm returns x, shaped N×C or N×C×…, normalized per channel (axis
// 1) with the mean and biased variance over the batch and every other axis,
// then scaled by gamma and shifted by beta, each of C elements or the zero
// Value for none: PyTorch's F.batch_norm in training mode. (The running
// statistics a layer keeps are its own business; PyTorch updates them with
// the unbiased variance.) It panics with tensor.ErrShape if x has rank
// below 2 or gamma or beta is not of C elements, and with tensor.ErrArg for
// a negative eps.
func BatchNorm(x Value, gamma, beta Value, eps float64) Value {
	const op = "batch_norm"
	check(op, x)
	c := batchChannels(op, x)
	checkEps(op, eps)
	checkAffine(op, "gamma", x, gamma, []int{c})
	checkAffine(op, "beta", x, beta, []int{c})
	axes := []int{0}
	for i := 2; i < x.Rank(); i++ {
		axes = append(axes, i)
	}
	return affine(normalize(x, axes, eps), gamma, beta, channelShape(x))
}

// BatchNormWithStats returns x, shaped N×C or N×C×…, normalized per channel
// (axis 1) with the given mean and variance of C elements each, then
// scaled by gamma and shifted by beta (C elements, or the zero Value for
// none): (x - mean)/√(variance + eps)·gamma + beta, PyTorch's
// F.batch_norm in evaluation mode with running statistics. Derivatives
// flow into all five arguments. It panics like BatchNorm, naming
// batch_norm, and with tensor.ErrShape if mean or variance is not of C
// elements.
func BatchNormWithStats(x, mean, variance, gamma, beta Value, eps float64) Value {
	const op = "batch_norm"
	check(op, x, mean, variance)
	c := batchChannels(op, x)
	checkEps(op, eps)
	for _, a := range []struct {
		name string
		v    Value
	}{{"mean", mean}, {"variance", variance}, {"gamma", gamma}, {"beta", beta}} {
		checkAffine(op, a.name, x, a.v, []int{c})
	}
	cs := channelShape(x)
	xc := Sub(x, Reshape(mean, cs...))
	y := Mul(xc, Rsqrt(Add(Reshape(variance, cs...), like(x, eps))))
	return affine(y, gamma, beta, cs)
}

// normalize returns (x - mean)/√(var + eps) over axes, var the biased
// variance of the centred values.
func normalize(x Value, axes []int, eps float64) Value {
	xc := Sub(x, Mean(x, true, axes...))
	v := Mean(Square(xc), true, axes...)
	return Mul(xc, Rsqrt(Add(v, like(x, eps))))
}

// affine returns y·gamma + beta, skipping zero Values, with gamma and beta
// reshaped to shape when it is non-nil.
func affine(y, gamma, beta Value, shape []int) Value {
	if !gamma.IsZero() {
		if shape != nil {
			gamma = Reshape(gamma, shape...)
		}
		y = Mul(y, gamma)
	}
	if !beta.IsZero() {
		if shape != nil {
			beta = Reshape(beta, shape...)
		}
		y = Add(y, beta)
	}
	return y
}

// channelShape returns 1×C×1×… for x of shape N×C×…, to broadcast
// per-channel values against x.
func channelShape(x Value) []int {
	s := make([]int, x.Rank())
	for i := range s {
		s[i] = 1
	}
	s[1] = x.Shape()[1]
	return s
}

func batchChannels(op string, x Value) int {
	if x.Rank() < 2 {
		tensor.Panicf(tensor.ErrShape, op, "input %s: want N×C or N×C×… (rank 2 or more)", tensor.ShapeString(x.Shape()))
	}
	return x.Shape()[1]
}

func checkEps(op string, eps float64) {
	if !(eps >= 0) {
		tensor.Panicf(tensor.ErrArg, op, "eps %g must be non-negative", eps)
	}
}

// checkAffine panics with tensor.ErrShape or tensor.ErrDType unless v is
// the zero Value or has the given shape and x's dtype.
func checkAffine(op, name string, x, v Value, shape []int) {
	if v.IsZero() {
		return
	}
	if v.DType() != x.DType() {
		tensor.Panicf(tensor.ErrDType, op, "%s is %s, input %s", name, v.DType(), x.DType())
	}
	if !slices.Equal(v.Shape(), shape) {
		tensor.Panicf(tensor.ErrShape, op, "%s has shape %s, want %s", name, tensor.ShapeString(v.Shape()), tensor.ShapeString(shape))
	}
}
