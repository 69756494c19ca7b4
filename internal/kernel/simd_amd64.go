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
func relu64(z, x *float64, n int)

//go:noescape
func reluMask64(z, x *float64, n int)

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

//go:noescape
func relu32(z, x *float32, n int)

//go:noescape
func reluMask32(z, x *float32, n int)

// blockOf returns the length of the leading part of a slice of n elements
// of T that the loops cover: whole blocks of 64 bytes.
func blockOf[T Float](n int) int {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return n &^ 15
	}
	return n &^ 7
}

// The loops by op, for each element type: same-shape operands, x op c,
// and c op y (only for the ops that do not commute).
var (
	same64    = [...]func(z, x, y *float64, n int){OpAdd: addSame64, OpSub: subSame64, OpMul: mulSame64, OpDiv: divSame64, OpStrongMul: strongMulSame64}
	same32    = [...]func(z, x, y *float32, n int){OpAdd: addSame32, OpSub: subSame32, OpMul: mulSame32, OpDiv: divSame32, OpStrongMul: strongMulSame32}
	scalarY64 = [...]func(z, x *float64, c float64, n int){OpAdd: addScalar64, OpSub: subScalar64, OpMul: mulScalar64, OpDiv: divScalar64}
	scalarY32 = [...]func(z, x *float32, c float32, n int){OpAdd: addScalar32, OpSub: subScalar32, OpMul: mulScalar32, OpDiv: divScalar32}
	scalarX64 = [...]func(z *float64, c float64, y *float64, n int){OpSub: rsubScalar64, OpDiv: rdivScalar64}
	scalarX32 = [...]func(z *float32, c float32, y *float32, n int){OpSub: rsubScalar32, OpDiv: rdivScalar32}
)

// simdSame writes x op y into the leading elements of z (x and y at least
// z's length) that the loops cover and returns how many that is: 0 for an
// op without a loop.
func simdSame[T Float](op ArithOp, z, x, y []T) int {
	n := blockOf[T](len(z))
	if n == 0 || op > OpStrongMul {
		return 0
	}
	x, y = x[:n], y[:n] // the assembly reads n elements: check them here
	if z64 := as64(z); z64 != nil {
		same64[op](&z64[0], &as64(x)[0], &as64(y)[0], n)
	} else {
		same32[op](&as32(z)[0], &as32(x)[0], &as32(y)[0], n)
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
		scalarY64[op](&z64[0], &as64(x)[0], float64(c), n)
	} else {
		scalarY32[op](&as32(z)[0], &as32(x)[0], float32(c), n)
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
	if z64 := as64(z); z64 != nil {
		scalarX64[op](&z64[0], float64(c), &as64(y)[0], n)
	} else {
		scalarX32[op](&as32(z)[0], float32(c), &as32(y)[0], n)
	}
	return n
}

// The unary loops by op, for each element type.
var (
	unary64 = [...]func(z, x *float64, n int){unarySquare: square64, unaryNeg: neg64, unaryReLU: relu64, unaryReLUMask: reluMask64}
	unary32 = [...]func(z, x *float32, n int){unarySquare: square32, unaryNeg: neg32, unaryReLU: relu32, unaryReLUMask: reluMask32}
)

// simdUnary writes op x into the leading elements of z the loops cover and
// returns how many.
func simdUnary[T Float](op unaryOp, z, x []T) int {
	n := blockOf[T](len(z))
	if n == 0 {
		return 0
	}
	x = x[:n]
	if z64 := as64(z); z64 != nil {
		unary64[op](&z64[0], &as64(x)[0], n)
	} else {
		unary32[op](&as32(z)[0], &as32(x)[0], n)
	}
	return n
}
