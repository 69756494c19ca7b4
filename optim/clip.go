package optim

import (
	"math"

	"github.com/chainrule/chainrule/tensor"
)

// ClipGradNorm scales grads in place so that their global norm is at most
// maxNorm, as torch.nn.utils.clip_grad_norm_ (PyTorch 1.13), and returns
// the global norm before clipping. The global norm is the normType-norm of
// the vector of every gradient's normType-norm, which is the normType-norm
// of all elements together; normType is 2 for the Euclidean norm, any p > 0,
// or math.Inf(1) for the largest magnitude. Every gradient is multiplied by
// min(1, maxNorm/(norm + 1e-6)), so a clipped global norm is slightly below
// maxNorm. nil gradients are skipped, and a gradient that is the same
// tensor as an earlier one, or shares its data exactly (ad.Grads may return
// one tensor for two parameters), is scaled once.
//
// As in PyTorch, a NaN or infinite norm is not an error: it is returned and
// the gradients are multiplied by the resulting NaN or zero coefficient, so
// check the returned norm to skip such a step. The norm is accumulated in
// float64 for float32 gradients too. ClipGradNorm panics with tensor.ErrArg
// for a negative or NaN maxNorm or a normType that is not positive.
func ClipGradNorm(grads []*tensor.Tensor, maxNorm, normType float64) float64 {
	const op = "optim.ClipGradNorm"
	checkHyper(op, "max norm", maxNorm, 0, math.NaN())
	if !(normType > 0) {
		tensor.Panicf(tensor.ErrArg, op, "invalid norm type %v: want p > 0 or +Inf", normType)
	}
	var total float64
	for _, g := range grads {
		if g == nil {
			continue
		}
		var n float64
		if g.DType() == tensor.Float32 {
			n = pnorm(g.Data32(), normType)
		} else {
			n = pnorm(g.Data(), normType)
		}
		switch {
		case math.IsInf(normType, 1):
			if n > total || math.IsNaN(n) {
				total = n
			}
		case normType == 2:
			total += n * n
		default:
			total += math.Pow(n, normType)
		}
	}
	switch {
	case math.IsInf(normType, 1):
	case normType == 2:
		total = math.Sqrt(total)
	default:
		total = math.Pow(total, 1/normType)
	}
	coef := maxNorm / (total + 1e-6)
	if !(coef >= 1) { // NaN too
		for i, g := range grads {
			if g == nil || aliased(grads[:i], g) {
				continue
			}
			if g.DType() == tensor.Float32 {
				scale(g.Data32(), float32(coef))
			} else {
				scale(g.Data(), coef)
			}
		}
	}
	return total
}

// pnorm returns the p-norm of x (the largest magnitude for p = +Inf),
// accumulated in float64; NaN elements make it NaN.
func pnorm[T tensor.Float](x []T, p float64) float64 {
	var s float64
	switch {
	case math.IsInf(p, 1):
		for _, v := range x {
			a := math.Abs(float64(v))
			if a > s || a != a {
				s = a
			}
			if s != s {
				return s
			}
		}
		return s
	case p == 2:
		for _, v := range x {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s)
	case p == 1:
		for _, v := range x {
			s += math.Abs(float64(v))
		}
		return s
	default:
		for _, v := range x {
			s += math.Pow(math.Abs(float64(v)), p)
		}
		return math.Pow(s, 1/p)
	}
}

func scale[T tensor.Float](x []T, c T) {
	for i := range x {
		x[i] *= c
	}
}

// aliased reports whether g's data is exactly that of one of prev.
func aliased(prev []*tensor.Tensor, g *tensor.Tensor) bool {
	for _, h := range prev {
		if h == nil || h.DType() != g.DType() || h.Size() != g.Size() || g.Size() == 0 {
			continue
		}
		if h == g {
			return true
		}
		if g.DType() == tensor.Float32 {
			if &h.Data32()[0] == &g.Data32()[0] {
				return true
			}
		} else if &h.Data()[0] == &g.Data()[0] {
			return true
		}
	}
	return false
}
