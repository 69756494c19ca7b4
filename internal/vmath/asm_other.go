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
