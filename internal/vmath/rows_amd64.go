//go:build amd64 && !purego

package vmath

// sum32AVX2 returns Σ a[:n] in float64, n a positive multiple of 16.
//
//go:noescape
func sum32AVX2(a *float32, n int) float64

// sqDev32AVX2 returns Σ (a_j - c)² over a[:n], n a positive multiple of 16.
//
//go:noescape
func sqDev32AVX2(a *float32, n int, c float64) float64

// dotDev32AVX2 returns Σ a_j·(y_j - c) over n elements, a positive multiple
// of 16.
//
//go:noescape
func dotDev32AVX2(a, y *float32, n int, c float64) float64

// normalize32AVX2 is Normalize32 on n elements, a multiple of 8.
//
//go:noescape
func normalize32AVX2(z, x *float32, n int, mean, rstd float64)

// normGrad32AVX2 is NormGrad32 on n elements, a multiple of 8.
//
//go:noescape
func normGrad32AVX2(z, x, v *float32, n int, mean, rstd, mv, mvx float64)

// softmaxDot32AVX2 sets lanes[i] to the sum, in order, of the float32
// products d_j·y_j with j ≡ i mod 8, over n elements, a positive multiple
// of 8.
//
//go:noescape
func softmaxDot32AVX2(y, d *float32, n int, lanes *[8]float32)

// softmaxVJPFinish32AVX2 sets z = y⊙(d - s) on n elements, a multiple of 8.
//
//go:noescape
func softmaxVJPFinish32AVX2(z, y, d *float32, n int, s float32)
