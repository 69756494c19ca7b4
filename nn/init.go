package nn

import (
	"math"
	"math/rand/v2"

	"github.com/chainrule/chainrule/tensor"
)

// Initializers with PyTorch's default formulas (torch.nn.init). Each draws
// from an explicit generator, so that a model built from the same seed is
// the same model; a nil generator panics with tensor.ErrArg naming op.

// KaimingUniform returns a float64 tensor of the given shape drawn from
// U(-b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)): torch's
// kaiming_uniform_(a=a, mode='fan_in', nonlinearity='leaky_relu'). fanIn
// is shape[1]·(the product of shape[2:]). With a = √5, PyTorch's default
// for Linear and Conv weights, b = 1/√fan_in. It panics with
// tensor.ErrShape for a shape of rank below 2 and tensor.ErrArg for a nil
// rng.
func KaimingUniform(rng *rand.Rand, a float64, shape ...int) *tensor.Tensor {
	if len(shape) < 2 {
		tensor.Panicf(tensor.ErrShape, "nn.KaimingUniform", "shape %s: want rank 2 or more", tensor.ShapeString(shape))
	}
	fanIn := tensor.Size(shape[1:])
	gain := math.Sqrt(2 / (1 + a*a))
	b := 0.0
	if fanIn > 0 {
		b = gain * math.Sqrt(3/float64(fanIn))
	}
	return uniform(rng, "nn.KaimingUniform", b, shape)
}

// XavierUniform returns a float64 tensor of the given shape drawn from
// U(-b, b) with b = √(6/(fan_in + fan_out)), fan_in = shape[1]·r and
// fan_out = shape[0]·r with r the product of shape[2:]: torch's
// xavier_uniform_ with gain 1. It panics like KaimingUniform.
func XavierUniform(rng *rand.Rand, shape ...int) *tensor.Tensor {
	if len(shape) < 2 {
		tensor.Panicf(tensor.ErrShape, "nn.XavierUniform", "shape %s: want rank 2 or more", tensor.ShapeString(shape))
	}
	r := tensor.Size(shape[2:])
	b := 0.0
	if s := (shape[0] + shape[1]) * r; s > 0 {
		b = math.Sqrt(6 / float64(s))
	}
	return uniform(rng, "nn.XavierUniform", b, shape)
}

// uniform draws U(-b, b).
func uniform(rng *rand.Rand, op string, b float64, shape []int) *tensor.Tensor {
	if rng == nil {
		tensor.Panicf(tensor.ErrArg, op, "nil random source")
	}
	return tensor.Rand(rng, -b, b, shape...)
}

// fanInBias returns PyTorch's default bias for a layer of the given fan-in:
// U(-1/√fan_in, 1/√fan_in), or zeros for fan_in 0.
func fanInBias(rng *rand.Rand, op string, fanIn int, n int) *tensor.Tensor {
	b := 0.0
	if fanIn > 0 {
		b = 1 / math.Sqrt(float64(fanIn))
	}
	return uniform(rng, op, b, []int{n})
}

// checkDims panics with tensor.ErrArg, naming op, unless every size is
// positive.
func checkDims(op string, names []string, sizes ...int) {
	for i, s := range sizes {
		if s < 1 {
			tensor.Panicf(tensor.ErrArg, op, "%s %d: want a positive size", names[i], s)
		}
	}
}
