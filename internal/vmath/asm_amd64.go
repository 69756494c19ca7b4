//go:build amd64 && !purego

package vmath

import "math"

// useAsm reports whether the AVX2/FMA float32 kernels run: the CPU has
// AVX2 and FMA and the operating system saves the YMM registers. Only the
// tests change it, to compare the kernels with the Go fallbacks.
var useAsm = detectAVX2FMA()

// cpuid executes CPUID with the given EAX and ECX inputs.
func cpuid(eaxIn, ecxIn uint32) (eax, ebx, ecx, edx uint32)

// xgetbv executes XGETBV with ECX = 0 and returns XCR0.
func xgetbv() (eax, edx uint32)

// detectAVX2FMA reports whether the processor has AVX2 and FMA and the
// operating system saves the YMM registers.
func detectAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

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

// The kernels asm32 runs.
const (
	kExp = iota
	kGELU
	kGELUGrad
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
		default:
			geluGrad32AVX2(d, s, n)
		}
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
