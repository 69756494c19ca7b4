//go:build !amd64 || purego

package vmath

// useAsm is false: there are no assembly kernels on this platform or with
// the purego build tag.
var useAsm = false

// exp32, gelu32 and geluGrad32 report that they did nothing, so that the
// Go kernels run.
func exp32(dst, src []float32) bool          { return false }
func gelu32(dst, src []float32) bool         { return false }
func geluGrad32(dst, src []float32) bool     { return false }
func softmax32(dst, src []float32) bool      { return false }
func geluTanh32(dst, src []float32) bool     { return false }
func geluTanhGrad32(dst, src []float32) bool { return false }

func sum32AVX2(a *float32, n int) float64                  { panic("vmath: no assembly") }
func sqDev32AVX2(a *float32, n int, c float64) float64     { panic("vmath: no assembly") }
func dotDev32AVX2(a, y *float32, n int, c float64) float64 { panic("vmath: no assembly") }
func normalize32AVX2(z, x *float32, n int, mean, rstd float64) {
	panic("vmath: no assembly")
}
func normGrad32AVX2(z, x, v *float32, n int, mean, rstd, mv, mvx float64) {
	panic("vmath: no assembly")
}

// useAVX512 is false, as useAsm.
var useAVX512 = false

func softmaxDot32AVX2(y, d *float32, n int, lanes *[8]float32) { panic("vmath: no assembly") }
func softmaxVJPFinish32AVX2(z, y, d *float32, n int, s float32) {
	panic("vmath: no assembly")
}
