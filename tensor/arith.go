package tensor

import (
	"slices"
	"unsafe"

	"gonum.org/v1/gonum/floats"
)

// Arithmetic kernels with tight loops: the same-shape and scalar-operand
// cases, which dominate AD workloads, run without a function call per
// element; other broadcasts go through the general path.

// ArithOp is an elementwise arithmetic operation, for ArithInto.
type ArithOp uint8

// The operations of ArithInto.
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
	// whatever y; see StrongMul.
	OpStrongMul
)

// ArithInto writes x op y elementwise into z: the slice-level kernel of
// Add, Sub, Mul, Div and StrongMul, for callers that manage their own
// buffers (ad's fused programs; other code has Add, Sub, Mul, Div and
// StrongMul). x or y (or both) may hold one element,
// broadcast over z; otherwise each has z's length. It panics with ErrShape
// if a length does not fit and ErrArg for an unknown op.
func ArithInto[T Float](op ArithOp, z, x, y []T) {
	if op > OpStrongMul {
		Panicf(ErrArg, "arith", "unknown operation %d", op)
	}
	switch n := len(z); {
	case len(x) == n && len(y) == n:
		arithSame(op, x, y, z)
	case len(y) == 1 && len(x) == n:
		arithScalarY(op, x, y[0], z)
	case len(x) == 1 && len(y) == n:
		arithScalarX(op, x[0], y, z)
	case len(x) == 1 && len(y) == 1:
		v := scalarArith(op, x[0], y[0])
		for i := range z {
			z[i] = v
		}
	default:
		Panicf(ErrShape, arithNames[op], "operands of %d and %d elements into %d", len(x), len(y), n)
	}
}

var arithNames = [...]string{"add", "sub", "mul", "div", "strong_mul"}

func arith(op ArithOp, a, b *Tensor) *Tensor {
	name := arithNames[op]
	sameDType(name, a, b)
	if a.dtype == Float32 {
		return arithT(op, a, b, a.f32, b.f32)
	}
	return arithT(op, a, b, a.f64, b.f64)
}

func arithT[T Float](op ArithOp, a, b *Tensor, x, y []T) *Tensor {
	name := arithNames[op]
	shape := BroadcastShapes(name, a.shape, b.shape)
	n := Size(shape)
	var z []T
	alloc := func() {
		out := dirty(a.dtype, append([]int(nil), shape...))
		z = data[T](out)
		a = out
	}
	switch {
	case len(x) == n && len(y) == n:
		alloc()
		parallel(n, func(lo, hi int) { arithSame(op, x[lo:hi], y[lo:hi], z[lo:hi]) })
	case len(y) == 1 && len(x) == n:
		alloc()
		parallel(n, func(lo, hi int) { arithScalarY(op, x[lo:hi], y[0], z[lo:hi]) })
	case len(x) == 1 && len(y) == n:
		alloc()
		parallel(n, func(lo, hi int) { arithScalarX(op, x[0], y[lo:hi], z[lo:hi]) })
	case len(x) == n && len(y) > 0 && isSuffix(b.shape, shape):
		// y repeats along leading dimensions: (k, …) op (…)
		alloc()
		m := len(y)
		for o := 0; o < n; o += m {
			arithSame(op, x[o:o+m], y, z[o:o+m])
		}
	case len(y) == n && len(x) > 0 && isSuffix(a.shape, shape):
		xs := x
		alloc()
		m := len(xs)
		for o := 0; o < n; o += m {
			arithSame(op, xs, y[o:o+m], z[o:o+m])
		}
	default:
		return map2(name, a, b, x, y, func(u, v T) T { return scalarArith(op, u, v) })
	}
	return a
}

// isSuffix reports whether shape s, less leading 1s, is the trailing part
// of out, so that its elements repeat in blocks along out's leading axes.
func isSuffix(s, out []int) bool {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) > len(out) {
		return false
	}
	return slices.Equal(s, out[len(out)-len(s):])
}

// as64 returns s as a []float64 if T is float64, else nil: float64 sums,
// differences and scalings run through gonum's floats, whose kernels are
// SIMD assembly on amd64 (and exact: the same IEEE operation per element).
func as64[T Float](s []T) []float64 {
	var z T
	if unsafe.Sizeof(z) != 8 || len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&s[0])), len(s))
}

func arithSame[T Float](op ArithOp, x, y, z []T) {
	x, y = x[:len(z)], y[:len(z)]
	if z64 := as64(z); z64 != nil && (op == OpAdd || op == OpSub) {
		if op == OpAdd {
			floats.AddTo(z64, as64(x), as64(y))
		} else {
			floats.SubTo(z64, as64(x), as64(y))
		}
		return
	}
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

func arithScalarY[T Float](op ArithOp, x []T, c T, z []T) {
	x = x[:len(z)]
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
	if z64 := as64(z); z64 != nil {
		floats.ScaleTo(z64, float64(c), as64(x[:len(z)]))
		return
	}
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
// StrongMul): zeros when c is 0, plain multiplication otherwise.
func strongMulOfScalar[T Float](c T, y []T, z []T) {
	if c == 0 {
		clear(z)
		return
	}
	scale(y, c, z)
}

func arithScalarX[T Float](op ArithOp, c T, y []T, z []T) {
	y = y[:len(z)]
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
			z[i] = scalarArith(op, c, y[i])
		}
	}
}

func scalarArith[T Float](op ArithOp, u, v T) T {
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

// Add returns a + b elementwise with broadcasting. It panics with ErrShape
// if the shapes do not broadcast and ErrDType if the dtypes differ.
func Add(a, b *Tensor) *Tensor { return arith(OpAdd, a, b) }

// Sub returns a - b elementwise with broadcasting; it panics like Add.
func Sub(a, b *Tensor) *Tensor { return arith(OpSub, a, b) }

// Mul returns a * b elementwise with broadcasting; it panics like Add.
func Mul(a, b *Tensor) *Tensor { return arith(OpMul, a, b) }

// Div returns a / b elementwise with broadcasting (IEEE: x/0 is ±Inf or
// NaN); it panics like Add.
func Div(a, b *Tensor) *Tensor { return arith(OpDiv, a, b) }

// StrongMul returns a * b elementwise with broadcasting, with a one-sided
// strong zero: where a is 0 the result is 0 even if b is ±Inf or NaN, while
// ±Inf or NaN in a times 0 in b is NaN, as in IEEE arithmetic. Automatic
// differentiation passes the tangent or cotangent as a and the local
// derivative as b, so a zero adjoint stays zero through an infinite local
// derivative, but an infinite adjoint through a zero derivative (an
// underflow upstream) shows as NaN. It panics like Add.
func StrongMul(a, b *Tensor) *Tensor { return arith(OpStrongMul, a, b) }
