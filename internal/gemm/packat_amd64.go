//go:build amd64 && !purego

package gemm

import "unsafe"

// packAtAsm reports whether copyRowsAt exists (SSE2, on every amd64
// processor).
const packAtAsm = true

// copyRowsAt copies 64 bytes, or 128 if wide is set, from src + offs[r]
// to dst + r·64 (or r·128) for r < rows (offs in bytes); the caller
// checks every run.
//
//go:noescape
func copyRowsAt(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer, wide bool)
