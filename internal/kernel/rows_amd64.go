//go:build amd64 && !purego

package kernel

import "unsafe"

const simdRows = true

// copyRows16 copies chunks 16-byte blocks a row for rows rows from src to
// dst, rows ss and ds bytes apart; CopyRows checks the bounds.
//
//go:noescape
func copyRows16(rows int, dst unsafe.Pointer, ds uintptr, src unsafe.Pointer, ss uintptr, chunks int)
