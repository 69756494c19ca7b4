//go:build amd64 && !purego

package kernel

import "github.com/chainrule/chainrule/internal/cpuid"

// addRowsAsm reports whether AddRows uses the AVX2 loops; the tests turn
// it off to compare with the Go loop.
var addRowsAsm = cpuid.AVX2FMA

// addRows32 adds rows rows of x (row stride ld elements) to dst[:n], n a
// multiple of 8, rows at least 1.
//
//go:noescape
func addRows32(dst, x *float32, rows, ld, n int)

// addRows64 is addRows32 for float64, n a multiple of 4.
//
//go:noescape
func addRows64(dst, x *float64, rows, ld, n int)
