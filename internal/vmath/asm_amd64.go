//go:build amd64 && !purego

package vmath

import (
	"math"

	"github.com/chainrule/chainrule/internal/cpuid"
)

// useAsm reports whether the AVX2/FMA float32 kernels run. Only the
// tests change it, to compare the kernels with the Go fallbacks.
var useAsm = cpuid.AVX2FMA

// exp32AVX2 sets dst[i] = e^src[i] for i < n, a multiple of 8.
//
//go:noescape
func exp32AVX2(dst, src *float32, n int)

// gelu32AVX2 sets dst[i] = GELU(src[i]) for i < n, a multiple of 8.
//
//go:noescape
func gelu32AVX2(dst, src *float32, n int)

// geluGrad32AVX2 sets dst[i] = GELUGrad(src[i]) for i < n, a multiple of 8.
//
//go:noescape
func geluGrad32AVX2(dst, src *float32, n int)

// useAVX512 reports whether GELU and its derivative run 16 lanes at a
// time with AVX-512 (the same operations as the AVX2 kernels, so the same
// results bit for bit). Only the tests change it.
var useAVX512 = cpuid.AVX512F

// gelu32AVX512 is gelu32AVX2 for n a multiple of 16.
//
//go:noescape
func gelu32AVX512(dst, src *float32, n int)

// geluGrad32AVX512 is geluGrad32AVX2 for n a multiple of 16.
//
//go:noescape
func geluGrad32AVX512(dst, src *float32, n int)

// The kernels asm32 runs.
const (
	kExp = iota
	kGELU
	kGELUGrad
	kGELUTanh
	kGELUTanhGrad
)

// asm32 runs the kernel k over src into dst (at least as long) when the
// assembly is in use, the last len(src) mod 8 elements through a buffer
// (so that an element's result does not depend on its position), and
// reports whether it did.
func asm32(k int, dst, src []float32) bool {
	if !useAsm {
		return false
	}
	dst = dst[:len(src)]
	n := len(src) &^ 7
	run := func(d, s *float32, n int) {
		switch k {
		case kExp:
			exp32AVX2(d, s, n)
		case kGELU:
			gelu32AVX2(d, s, n)
		case kGELUGrad:
			geluGrad32AVX2(d, s, n)
		case kGELUTanh:
			geluTanh32AVX2(d, s, n)
		default:
			geluTanhGrad32AVX2(d, s, n)
		}
	}
	if n16 := n &^ 15; useAVX512 && n16 > 0 && (k == kGELU || k == kGELUGrad) {
		if k == kGELU {
			gelu32AVX512(&dst[0], &src[0], n16)
		} else {
			geluGrad32AVX512(&dst[0], &src[0], n16)
		}
		dst, src, n = dst[n16:], src[n16:], n-n16
	}
	if n > 0 {
		run(&dst[0], &src[0], n)
	}
	if n < len(src) {
		var b [8]float32
		copy(b[:], src[n:])
		run(&b[0], &b[0], 8)
		copy(dst[n:], b[:])
	}
	return true
}

func exp32(dst, src []float32) bool      { return asm32(kExp, dst, src) }
func gelu32(dst, src []float32) bool     { return asm32(kGELU, dst, src) }
func geluGrad32(dst, src []float32) bool { return asm32(kGELUGrad, dst, src) }
func geluTanh32(dst, src []float32) bool { return asm32(kGELUTanh, dst, src) }
func geluTanhGrad32(dst, src []float32) bool {
	return asm32(kGELUTanhGrad, dst, src)
}

// geluTanh32AVX2 sets dst[i] = GELUTanh(src[i]) for i < n, a multiple of 8.
//
//go:noescape
func geluTanh32AVX2(dst, src *float32, n int)

// geluTanhGrad32AVX2 sets dst[i] = GELUTanhGrad(src[i]) for i < n, a
// multiple of 8.
//
//go:noescape
func geluTanhGrad32AVX2(dst, src *float32, n int)

// expShiftSum32AVX2 sets dst[i] = e^(src[i]-shift) for i < n, a multiple
// of 8, and returns their sum.
//
//go:noescape
func expShiftSum32AVX2(dst, src *float32, n int, shift float32) float32

// max32AVX2 returns the largest of x[:n], n a positive multiple of 8 (a
// NaN may or may not propagate).
//
//go:noescape
func max32AVX2(x *float32, n int) float32

// scale32AVX2 multiplies x[:n] by a, n a multiple of 8.
//
//go:noescape
func scale32AVX2(x *float32, n int, a float32)

// softmax32 is SoftmaxTo's float32 kernel when the assembly is in use;
// it reports whether it ran. The last len(src) mod 8 exps go through a
// buffer padded with -Inf, whose exps add 0 to the sum.
func softmax32(dst, src []float32) bool {
	if !useAsm || len(src) == 0 {
		return useAsm
	}
	dst = dst[:len(src)]
	n := len(src) &^ 7
	m := float32(math.Inf(-1))
	if n > 0 {
		m = max32AVX2(&src[0], n)
	}
	for _, v := range src[n:] {
		m = max(m, v)
	}
	var s float32
	if n > 0 {
		s = expShiftSum32AVX2(&dst[0], &src[0], n, m)
	}
	if n < len(src) {
		b := [8]float32{}
		for i := range b {
			b[i] = float32(math.Inf(-1))
		}
		copy(b[:], src[n:])
		s += expShiftSum32AVX2(&b[0], &b[0], 8, m)
		copy(dst[n:], b[:])
	}
	inv := 1 / s
	if n > 0 {
		scale32AVX2(&dst[0], n, inv)
	}
	for i := n; i < len(dst); i++ {
		dst[i] *= inv
	}
	return true
}
