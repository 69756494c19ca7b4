package vmath

// Float is the element type of the slice kernels.
type Float interface{ ~float32 | ~float64 }

// ExpTo sets dst[i] = e^src[i] for each i and returns dst. Float32
// elements go through the AVX2/FMA kernel where it runs (the exp of
// SoftmaxTo, within one ulp of eˣ, with math.Exp's special cases), else
// they are computed in float64 and rounded once. An element's result does
// not depend on its position or the slice's length, so that package ad's
// fused blocks and its eager tensors agree bit for bit. It panics if dst
// is shorter than src.
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

// SoftmaxTo sets dst to the softmax of the row src, e^(src[i]-m)/Σⱼ
// e^(src[j]-m) with m the row's maximum (so that no exp overflows), and
// returns dst. A NaN in src makes the whole row NaN, as does +Inf; a row
// of -Inf is NaN too (0/0). It panics if dst is shorter than src.
func SoftmaxTo[T Float](dst, src []T) []T {
	dst = dst[:len(src)]
	if d, ok := any(dst).([]float32); ok && softmax32(d, any(src).([]float32)) {
		return dst
	}
	if len(src) == 0 {
		return dst
	}
	m := src[0]
	for _, v := range src[1:] {
		m = max(m, v) // a NaN propagates
	}
	for j, v := range src {
		dst[j] = v - m
	}
	ExpTo(dst, dst)
	var s T
	for _, v := range dst {
		s += v
	}
	inv := 1 / s
	for j := range dst {
		dst[j] *= inv
	}
	return dst
}
