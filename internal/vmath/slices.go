package vmath

// Float is the element type of the slice kernels.
type Float interface{ ~float32 | ~float64 }

// ExpTo sets dst[i] = e^src[i] for each i and returns dst. It panics if
// dst is shorter than src.
func ExpTo[T Float](dst, src []T) []T {
	dst = dst[:len(src)]
	if d, ok := any(dst).([]float32); ok && exp32(d, any(src).([]float32)) {
		return dst
	}
	for i, v := range src {
		dst[i] = T(Exp(float64(v)))
	}
	return dst
}

// TanhTo sets dst[i] = tanh src[i] for each i and returns dst. It panics
// if dst is shorter than src.
func TanhTo[T Float](dst, src []T) []T {
	dst = dst[:len(src)]
	var zero T
	if _, ok := any(zero).(float32); ok {
		tanhTo32(dst, src)
		return dst
	}
	for i, v := range src {
		dst[i] = T(Tanh(float64(v)))
	}
	return dst
}

// SigmoidTo sets dst[i] = 1/(1+e^-src[i]) for each i and returns dst. It
// panics if dst is shorter than src.
func SigmoidTo[T Float](dst, src []T) []T {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = T(Sigmoid(float64(v)))
	}
	return dst
}
