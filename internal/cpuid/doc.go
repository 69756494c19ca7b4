// Package cpuid reports the x86-64 vector extensions that the assembly
// kernels of other internal packages need, detected once at start-up
// with CPUID and XGETBV. On other architectures, and with the purego
// build tag, every feature reads as absent.
package cpuid
