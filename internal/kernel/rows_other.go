//go:build !amd64 || purego

package kernel

import "unsafe"

const simdRows = false

func copyRows16(rows int, dst unsafe.Pointer, ds uintptr, src unsafe.Pointer, ss uintptr, chunks int) {
	panic("kernel: no assembly")
}
