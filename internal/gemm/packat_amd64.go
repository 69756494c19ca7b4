//go:build amd64 && !purego

package gemm

import "unsafe"

// packAtAsm reports whether copyRowsAt128 and copyRowsAt64 exist (SSE2, on
// every amd64 processor).
const packAtAsm = true

// copyRowsAt128 copies 128 bytes from src + offs[r] to dst + r·128 for
// r < rows (offs in bytes); the caller checks every run.
//
//go:noescape
func copyRowsAt128(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer)

// copyRowsAt64 is copyRowsAt128 for runs of 64 bytes.
//
//go:noescape
func copyRowsAt64(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer)
