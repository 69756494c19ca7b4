//go:build amd64 && !purego

package kernel

//go:generate go run gen_simd.go

// SSE2 loops (SSE2 is part of every amd64 processor) over blocks of 8
// float64, from simd_amd64.s: each does the same IEEE operation per element
// as the Go loop it replaces, so results are the same bit for bit. n is a
// multiple of 8 and every slice behind a pointer holds at least n elements.

//go:noescape
func addSame8(z, x, y *float64, n int)

//go:noescape
func subSame8(z, x, y *float64, n int)

//go:noescape
func mulSame8(z, x, y *float64, n int)

//go:noescape
func divSame8(z, x, y *float64, n int)

//go:noescape
func strongMulSame8(z, x, y *float64, n int)

//go:noescape
func addScalar8(z, x *float64, c float64, n int)

//go:noescape
func subScalar8(z, x *float64, c float64, n int)

//go:noescape
func divScalar8(z, x *float64, c float64, n int)

//go:noescape
func rsubScalar8(z *float64, c float64, y *float64, n int)

//go:noescape
func rdivScalar8(z *float64, c float64, y *float64, n int)

//go:noescape
func square8(z, x *float64, n int)

//go:noescape
func neg8(z, x *float64, n int)

// simd reports whether the assembly loops are in use.
const simd = true

// same64 writes x op y into the leading elements of z (x and y at least
// z's length) that the SSE2 loops cover, a multiple of 8, and returns how
// many that is: 0 for an op without a loop.
func same64(op ArithOp, z, x, y []float64) int {
	n := len(z) &^ 7
	if n == 0 {
		return 0
	}
	x, y = x[:n], y[:n]
	switch op {
	case OpAdd:
		addSame8(&z[0], &x[0], &y[0], n)
	case OpSub:
		subSame8(&z[0], &x[0], &y[0], n)
	case OpMul:
		mulSame8(&z[0], &x[0], &y[0], n)
	case OpDiv:
		divSame8(&z[0], &x[0], &y[0], n)
	case OpStrongMul:
		strongMulSame8(&z[0], &x[0], &y[0], n)
	default:
		return 0
	}
	return n
}

// scalarY64 is same64 for x op c (add, sub and div; 0 for others).
func scalarY64(op ArithOp, z, x []float64, c float64) int {
	n := len(z) &^ 7
	if n == 0 {
		return 0
	}
	x = x[:n]
	switch op {
	case OpAdd:
		addScalar8(&z[0], &x[0], c, n)
	case OpSub:
		subScalar8(&z[0], &x[0], c, n)
	case OpDiv:
		divScalar8(&z[0], &x[0], c, n)
	default:
		return 0
	}
	return n
}

// scalarX64 is same64 for c op y (add, sub and div; 0 for others).
func scalarX64(op ArithOp, z []float64, c float64, y []float64) int {
	n := len(z) &^ 7
	if n == 0 {
		return 0
	}
	y = y[:n]
	switch op {
	case OpAdd: // c + y is y + c exactly
		addScalar8(&z[0], &y[0], c, n)
	case OpSub:
		rsubScalar8(&z[0], c, &y[0], n)
	case OpDiv:
		rdivScalar8(&z[0], c, &y[0], n)
	default:
		return 0
	}
	return n
}

// square64 writes x² into the leading elements of z the loop covers and
// returns how many; neg64 likewise −x.
func square64(z, x []float64) int {
	n := len(z) &^ 7
	if n > 0 {
		square8(&z[0], &x[:n][0], n)
	}
	return n
}

func neg64(z, x []float64) int {
	n := len(z) &^ 7
	if n > 0 {
		neg8(&z[0], &x[:n][0], n)
	}
	return n
}
