package vmath

// Row kernels of layer normalization on float32 rows, computing in
// float64: the sums run in sixteen lanes (four AVX2 registers of four
// float64s where the assembly runs, element j in lane j mod 16), then the
// lanes pairwise; the elementwise results are rounded once from the same
// float64 operations the Go loops make, so only the sums' order differs
// from a running total's.

// Sum32 returns Σ a_j in float64.
func Sum32(a []float32) float64 {
	n := 0
	var s float64
	if useAsm {
		n = len(a) &^ 15
		if n > 0 {
			s = sum32AVX2(&a[0], n)
		}
	}
	for _, v := range a[n:] {
		s += float64(v)
	}
	return s
}

// SqDev32 returns Σ (a_j - c)² in float64.
func SqDev32(a []float32, c float64) float64 {
	n := 0
	var s float64
	if useAsm {
		n = len(a) &^ 15
		if n > 0 {
			s = sqDev32AVX2(&a[0], n, c)
		}
	}
	for _, v := range a[n:] {
		d := float64(v) - c
		s += d * d
	}
	return s
}

// DotDev32 returns Σ a_j·(y_j - c) in float64. It panics if y is shorter
// than a.
func DotDev32(a, y []float32, c float64) float64 {
	y = y[:len(a)]
	n := 0
	var s float64
	if useAsm {
		n = len(a) &^ 15
		if n > 0 {
			s = dotDev32AVX2(&a[0], &y[0], n, c)
		}
	}
	for j, v := range a[n:] {
		s += float64(v) * (float64(y[n+j]) - c)
	}
	return s
}

// Normalize32 sets z_j = float32((x_j - mean)·rstd). It panics if z is
// shorter than x.
func Normalize32(z, x []float32, mean, rstd float64) {
	z = z[:len(x)]
	n := 0
	if useAsm {
		n = len(x) &^ 7
		if n > 0 {
			normalize32AVX2(&z[0], &x[0], n, mean, rstd)
		}
	}
	for j := n; j < len(x); j++ {
		z[j] = float32((float64(x[j]) - mean) * rstd)
	}
}

// NormGrad32 sets z_j = float32(rstd·((v_j - mv) - (x_j - mean)·rstd·mvx)),
// layer normalization's derivative applied to v given the row's mean and
// 1/σ, v's mean mv and mean(v⊙x̂) mvx. It panics if z or v is shorter
// than x.
func NormGrad32(z, x, v []float32, mean, rstd, mv, mvx float64) {
	z, v = z[:len(x)], v[:len(x)]
	n := 0
	if useAsm {
		n = len(x) &^ 7
		if n > 0 {
			normGrad32AVX2(&z[0], &x[0], &v[0], n, mean, rstd, mv, mvx)
		}
	}
	for j := n; j < len(x); j++ {
		z[j] = float32(rstd * ((float64(v[j]) - mv) - (float64(x[j])-mean)*rstd*mvx))
	}
}

// SoftmaxVJP32 sets z to y⊙(d - Σ d⊙y), the softmax's reverse rule on one
// row (y the softmax, d the cotangent), and reports whether it did: it
// runs where the assembly does and the row has at most 2¹⁴ elements. The
// sum is the one internal/kernel's Sum makes of the rounded products d⊙y
// (element j in lane j mod 8, the lanes pairwise, added to 0), and each
// element is rounded as the three separate passes round it, so the
// result is theirs bit for bit, in two passes instead of four. It panics
// if y, d or z is shorter than the others.
func SoftmaxVJP32(z, y, d []float32) bool {
	n := len(y)
	if !useAsm || n > 1<<14 {
		return false
	}
	z, d = z[:n], d[:n]
	var l [8]float32
	m := n &^ 7
	if m > 0 {
		softmaxDot32AVX2(&y[0], &d[0], m, &l)
	}
	for j := m; j < n; j++ {
		l[0] += float32(d[j] * y[j]) // rounded, as the separate product is: no fused multiply-add
	}
	var s float32
	s += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
	if m > 0 {
		softmaxVJPFinish32AVX2(&z[0], &y[0], &d[0], m, s)
	}
	for j := m; j < n; j++ {
		z[j] = y[j] * (d[j] - s)
	}
	return true
}
