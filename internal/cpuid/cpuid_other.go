//go:build !amd64 || purego

package cpuid

// AVX2FMA is false: no AVX2 on this architecture, or assembly is turned
// off by the purego build tag.
const AVX2FMA = false

// AVX512F is false, as AVX2FMA.
const AVX512F = false
