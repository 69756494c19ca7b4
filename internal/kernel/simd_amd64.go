//go:build amd64 && !purego

package kernel

import "unsafe"

//go:generate go run gen_simd.go

// SSE2 loops (SSE2 is part of every amd64 processor) over blocks of four
// registers — 8 float64 or 16 float32 — from simd_amd64.s: each does the
// same IEEE operation per element as the Go loop it replaces, so results
// are the same bit for bit. n is a multiple of the block and every slice
// behind a pointer holds at least n elements.

//go:noescape
func addSame64(z, x, y *float64, n int)

//go:noescape
func subSame64(z, x, y *float64, n int)

//go:noescape
func mulSame64(z, x, y *float64, n int)

//go:noescape
func divSame64(z, x, y *float64, n int)

//go:noescape
func strongMulSame64(z, x, y *float64, n int)

//go:noescape
func addScalar64(z, x *float64, c float64, n int)

//go:noescape
func mulScalar64(z, x *float64, c float64, n int)

//go:noescape
func subScalar64(z, x *float64, c float64, n int)

//go:noescape
func divScalar64(z, x *float64, c float64, n int)

//go:noescape
func rsubScalar64(z *float64, c float64, y *float64, n int)

//go:noescape
func rdivScalar64(z *float64, c float64, y *float64, n int)

//go:noescape
func square64(z, x *float64, n int)

//go:noescape
func neg64(z, x *float64, n int)

//go:noescape
func addSame32(z, x, y *float32, n int)

//go:noescape
func subSame32(z, x, y *float32, n int)

//go:noescape
func mulSame32(z, x, y *float32, n int)

//go:noescape
func divSame32(z, x, y *float32, n int)

//go:noescape
func strongMulSame32(z, x, y *float32, n int)

//go:noescape
func addScalar32(z, x *float32, c float32, n int)

//go:noescape
func mulScalar32(z, x *float32, c float32, n int)

//go:noescape
func subScalar32(z, x *float32, c float32, n int)

//go:noescape
func divScalar32(z, x *float32, c float32, n int)

//go:noescape
func rsubScalar32(z *float32, c float32, y *float32, n int)

//go:noescape
func rdivScalar32(z *float32, c float32, y *float32, n int)

//go:noescape
func square32(z, x *float32, n int)

//go:noescape
func neg32(z, x *float32, n int)

// blockOf returns the length of the leading part of a slice of n elements
// of T that the loops cover: whole blocks of 64 bytes.
func blockOf[T Float](n int) int {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return n &^ 15
	}
	return n &^ 7
}

// simdSame writes x op y into the leading elements of z (x and y at least
// z's length) that the loops cover and returns how many that is: 0 for an
// op without a loop.
func simdSame[T Float](op ArithOp, z, x, y []T) int {
	n := blockOf[T](len(z))
	if n == 0 || op > OpStrongMul {
		return 0
	}
	x, y = x[:n], y[:n]
	if z64 := as64(z); z64 != nil {
		a, b, c := &z64[0], &as64(x)[0], &as64(y)[0]
		switch op {
		case OpAdd:
			addSame64(a, b, c, n)
		case OpSub:
			subSame64(a, b, c, n)
		case OpMul:
			mulSame64(a, b, c, n)
		case OpDiv:
			divSame64(a, b, c, n)
		default:
			strongMulSame64(a, b, c, n)
		}
		return n
	}
	a, b, c := &as32(z)[0], &as32(x)[0], &as32(y)[0]
	switch op {
	case OpAdd:
		addSame32(a, b, c, n)
	case OpSub:
		subSame32(a, b, c, n)
	case OpMul:
		mulSame32(a, b, c, n)
	case OpDiv:
		divSame32(a, b, c, n)
	default:
		strongMulSame32(a, b, c, n)
	}
	return n
}

// simdScalarY is simdSame for x op c (add, sub, mul and div; 0 for
// strong_mul).
func simdScalarY[T Float](op ArithOp, z, x []T, c T) int {
	n := blockOf[T](len(z))
	if n == 0 || op >= OpStrongMul {
		return 0
	}
	x = x[:n]
	if z64 := as64(z); z64 != nil {
		a, b, k := &z64[0], &as64(x)[0], float64(c)
		switch op {
		case OpAdd:
			addScalar64(a, b, k, n)
		case OpSub:
			subScalar64(a, b, k, n)
		case OpMul:
			mulScalar64(a, b, k, n)
		default:
			divScalar64(a, b, k, n)
		}
		return n
	}
	a, b, k := &as32(z)[0], &as32(x)[0], float32(c)
	switch op {
	case OpAdd:
		addScalar32(a, b, k, n)
	case OpSub:
		subScalar32(a, b, k, n)
	case OpMul:
		mulScalar32(a, b, k, n)
	default:
		divScalar32(a, b, k, n)
	}
	return n
}

// simdScalarX is simdSame for c op y (add, sub, mul and div; 0 for
// strong_mul).
func simdScalarX[T Float](op ArithOp, z []T, c T, y []T) int {
	if op == OpAdd || op == OpMul { // c + y is y + c exactly, c·y is y·c
		return simdScalarY(op, z, y, c)
	}
	n := blockOf[T](len(z))
	if n == 0 || (op != OpSub && op != OpDiv) {
		return 0
	}
	y = y[:n]
	switch z64 := as64(z); {
	case z64 != nil && op == OpSub:
		rsubScalar64(&z64[0], float64(c), &as64(y)[0], n)
	case z64 != nil:
		rdivScalar64(&z64[0], float64(c), &as64(y)[0], n)
	case op == OpSub:
		rsubScalar32(&as32(z)[0], float32(c), &as32(y)[0], n)
	default:
		rdivScalar32(&as32(z)[0], float32(c), &as32(y)[0], n)
	}
	return n
}

// simdUnary writes x² (neg false) or −x (neg true) into the leading
// elements of z the loops cover and returns how many.
func simdUnary[T Float](neg bool, z, x []T) int {
	n := blockOf[T](len(z))
	if n == 0 {
		return 0
	}
	x = x[:n]
	switch z64 := as64(z); {
	case z64 != nil && neg:
		neg64(&z64[0], &as64(x)[0], n)
	case z64 != nil:
		square64(&z64[0], &as64(x)[0], n)
	case neg:
		neg32(&as32(z)[0], &as32(x)[0], n)
	default:
		square32(&as32(z)[0], &as32(x)[0], n)
	}
	return n
}
