//go:build !amd64 || purego

package gemm

import "unsafe"

const packAtAsm = false

func copyRowsAt128(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer) {
	panic("gemm: no assembly")
}

func copyRowsAt64(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer) {
	panic("gemm: no assembly")
}
