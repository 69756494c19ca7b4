//go:build !amd64 || purego

package gemm

import "unsafe"

const packAtAsm = false

func copyRowsAt(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer, wide bool) {
	panic("gemm: no assembly")
}
