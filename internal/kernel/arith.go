package kernel

import "unsafe"

// Arithmetic kernels with tight loops: the same-shape and scalar-operand
// cases, which dominate AD workloads, run without a function call per
// element (package tensor runs other broadcasts through its general path).

// ArithOp is an elementwise arithmetic operation, for Arith.
type ArithOp uint8

// The operations of Arith.
const (
	// OpAdd is x + y.
	OpAdd ArithOp = iota
	// OpSub is x - y.
	OpSub
	// OpMul is x · y.
	OpMul
	// OpDiv is x / y.
	OpDiv
	// OpStrongMul is x · y with a one-sided strong zero: 0 where x is 0,
	// whatever y; see StrongMulScalar.
	OpStrongMul
)

// Arith writes x op y elementwise into z: the slice-level kernel of
// tensor's Add, Sub, Mul, Div and StrongMul, for callers that manage their
// own buffers (ad's fused programs). x or y (or both) may hold one element,
// broadcast over z; otherwise each has z's length. It reports false, having
// written nothing, if a length does not fit or op is unknown.
func Arith[T Float](op ArithOp, z, x, y []T) bool {
	if op > OpStrongMul {
		return false
	}
	switch n := len(z); {
	case len(x) == n && len(y) == n:
		ArithSame(op, x, y, z)
	case len(y) == 1 && len(x) == n:
		ArithScalarY(op, x, y[0], z)
	case len(x) == 1 && len(y) == n:
		ArithScalarX(op, x[0], y, z)
	case len(x) == 1 && len(y) == 1:
		v := ScalarArith(op, x[0], y[0])
		for i := range z {
			z[i] = v
		}
	default:
		return false
	}
	return true
}

// as64 returns s as a []float64 if T is float64, else nil (for the SSE2
// loops, which take typed pointers).
func as64[T Float](s []T) []float64 {
	var z T
	if unsafe.Sizeof(z) != 8 || len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&s[0])), len(s))
}

// as32 returns s as a []float32 if T is float32, else nil.
func as32[T Float](s []T) []float32 {
	var z T
	if unsafe.Sizeof(z) != 4 || len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s))
}

// ArithSame writes x op y into z, all of z's length.
func ArithSame[T Float](op ArithOp, x, y, z []T) {
	x, y = x[:len(z)], y[:len(z)]
	k := simdSame(op, z, x, y) // the SSE2 loop, then the rest below
	x, y, z = x[k:], y[k:], z[k:]
	switch op {
	case OpAdd:
		for i := range z {
			z[i] = x[i] + y[i]
		}
	case OpSub:
		for i := range z {
			z[i] = x[i] - y[i]
		}
	case OpMul:
		for i := range z {
			z[i] = x[i] * y[i]
		}
	case OpDiv:
		for i := range z {
			z[i] = x[i] / y[i]
		}
	case OpStrongMul:
		for i := range z {
			v := x[i] * y[i]
			if v != v && x[i] == 0 {
				v = 0
			}
			z[i] = v
		}
	}
}

// ArithScalarY writes x op c into z.
func ArithScalarY[T Float](op ArithOp, x []T, c T, z []T) {
	x = x[:len(z)]
	k := simdScalarY(op, z, x, c)
	x, z = x[k:], z[k:]
	switch op {
	case OpAdd:
		for i := range z {
			z[i] = x[i] + c
		}
	case OpSub:
		for i := range z {
			z[i] = x[i] - c
		}
	case OpMul:
		scale(x, c, z)
	case OpDiv:
		for i := range z {
			z[i] = x[i] / c
		}
	default:
		strongMulByScalar(x, c, z)
	}
}

// scale writes x·c into z.
func scale[T Float](x []T, c T, z []T) {
	x = x[:len(z)]
	k := simdScalarY(OpMul, z, x, c)
	x, z = x[k:], z[k:]
	for i := range z {
		z[i] = x[i] * c
	}
}

// strongMulByScalar writes x·c into z with x's strong zero (see
// StrongMul): plain multiplication when c is finite (then 0·c is 0
// anyway), 0 where x is 0 when c is ±Inf or NaN.
func strongMulByScalar[T Float](x []T, c T, z []T) {
	if c-c == 0 { // finite: x·c is NaN only where x is ±Inf or NaN, as it should be
		scale(x, c, z)
		return
	}
	for i := range z {
		z[i] = StrongMulScalar(x[i], c)
	}
}

// strongMulOfScalar writes c·y into z with c's strong zero (see
// StrongMul): plain multiplication when c is not 0; when it is, zeros
// signed as IEEE signs c·y (−0 where c and y differ in sign), and +0 where
// y is ±Inf or NaN, exactly as the elementwise path computes them.
func strongMulOfScalar[T Float](c T, y []T, z []T) {
	if c == 0 {
		for i := range z {
			z[i] = StrongMulScalar(c, y[i])
		}
		return
	}
	scale(y, c, z)
}

// ArithScalarX writes c op y into z.
func ArithScalarX[T Float](op ArithOp, c T, y []T, z []T) {
	y = y[:len(z)]
	k := simdScalarX(op, z, c, y)
	y, z = y[k:], z[k:]
	switch op {
	case OpAdd:
		for i := range z {
			z[i] = c + y[i]
		}
	case OpSub:
		for i := range z {
			z[i] = c - y[i]
		}
	case OpMul:
		scale(y, c, z) // c·y = y·c exactly
	case OpStrongMul:
		strongMulOfScalar(c, y, z)
	default:
		for i := range z {
			z[i] = ScalarArith(op, c, y[i])
		}
	}
}

// ScalarArith returns u op v.
func ScalarArith[T Float](op ArithOp, u, v T) T {
	switch op {
	case OpAdd:
		return u + v
	case OpSub:
		return u - v
	case OpMul:
		return u * v
	case OpDiv:
		return u / v
	}
	return StrongMulScalar(u, v)
}

// StrongMulScalar returns u·v with u's strong zero: where u is 0 the result
// is 0 whatever v is, ±Inf and NaN included. The zero is one-sided: u·0 is
// NaN for u = ±Inf or NaN, as in IEEE arithmetic.
func StrongMulScalar[T Float](u, v T) T {
	z := u * v
	if z != z && u == 0 {
		return 0
	}
	return z
}
