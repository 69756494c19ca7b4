//go:build !amd64 || purego

package kernel

var addRowsAsm = false

func addRows32(dst, x *float32, rows, ld, n int) { panic("kernel: no assembly") }

func addRows64(dst, x *float64, rows, ld, n int) { panic("kernel: no assembly") }
