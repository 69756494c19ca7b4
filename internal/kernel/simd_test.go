package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specials are values whose products, sums and quotients exercise IEEE
// corner cases: signed zeros, infinities, NaN, subnormals, huge values.
var specials = []float64{0, math.Copysign(0, -1), 1, -1, 2.5, math.Inf(1), math.Inf(-1), math.NaN(),
	5e-324, -1e-310, math.MaxFloat64, -math.MaxFloat64, 1e-200, 3e200}

// mixed returns n values, a fifth of them specials, from r.
func mixed(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		if r.IntN(5) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		} else {
			x[i] = r.NormFloat64() * math.Exp(3*r.NormFloat64())
		}
	}
	return x
}

// sameBits reports whether a and b are the same float64, any NaN matching
// any NaN.
func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

// refOp is the operation elementwise, one IEEE operation in plain Go (in
// T's precision), with StrongMul's zero written from its definition.
func refOp[T Float](op ArithOp, u, v T) T {
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
	if u == 0 && v-v != 0 { // v is ±Inf or NaN
		return 0
	}
	return u * v
}

// TestKernelsExact checks every elementwise kernel — the SSE2 loops on
// amd64 (the Go loops with -tags purego) — against one scalar operation per
// element, bit for bit, in both precisions, over lengths around the blocks
// (8 float64, 16 float32), unaligned starts, specials, and a destination
// whose next element must stay untouched.
func TestKernelsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 1003} {
		for off := range 3 {
			checkKernels[float64](t, r, n, off)
			checkKernels[float32](t, r, n, off)
		}
	}
}

func checkKernels[T Float](t *testing.T, r *rand.Rand, n, off int) {
	t.Helper()
	conv := func(v []float64) []T {
		out := make([]T, len(v))
		for i, e := range v {
			out[i] = T(e)
		}
		return out
	}
	x, y := conv(mixed(r, n+off))[off:], conv(mixed(r, n+off))[off:]
	c := T(specials[r.IntN(len(specials))])
	if r.IntN(2) == 0 {
		c = T(r.NormFloat64())
	}
	buf := make([]T, n+off+1)
	z := buf[off : off+n]
	const sentinel = 12345.5
	buf[off+n] = sentinel
	check := func(name string, want func(i int) T) {
		t.Helper()
		for i := range z {
			if w := want(i); !sameBits(float64(z[i]), float64(w)) {
				t.Fatalf("%T %s n=%d off=%d: element %d = %v, want %v (x %v, y %v, c %v)", c, name, n, off, i, z[i], w, x[i], y[i], c)
			}
		}
		if buf[off+n] != sentinel {
			t.Fatalf("%T %s n=%d: wrote past the end", c, name, n)
		}
	}
	for op := OpAdd; op <= OpStrongMul; op++ {
		name := [...]string{"add", "sub", "mul", "div", "strong_mul"}[op]
		ArithSame(op, x, y, z)
		check(name, func(i int) T { return refOp(op, x[i], y[i]) })
		ArithScalarY(op, x, c, z)
		check(name+" scalar y", func(i int) T { return refOp(op, x[i], c) })
		ArithScalarX(op, c, y, z)
		check(name+" scalar x", func(i int) T { return refOp(op, c, y[i]) })
		if !Arith(op, z, x, y) {
			t.Fatalf("Arith %s refused equal lengths", name)
		}
		check("Arith "+name, func(i int) T { return refOp(op, x[i], y[i]) })
	}
	Square(z, x)
	check("square", func(i int) T { return x[i] * x[i] })
	Neg(z, x)
	check("neg", func(i int) T { return -x[i] })
	ReLU(z, x)
	check("relu", func(i int) T { // max(x, 0) with NaN kept and +0 for -0
		switch {
		case math.IsNaN(float64(x[i])):
			return x[i]
		case x[i] > 0:
			return x[i]
		}
		return T(math.Copysign(0, 1))
	})
	ReLUMask(z, x)
	check("relu_mask", func(i int) T {
		if x[i] > 0 {
			return 1
		}
		return 0
	})
}

// TestKernelsInPlace checks the loops with the destination one of the
// operands, as Program's buffers may be.
func TestKernelsInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x0, y := mixed(r, 100), mixed(r, 100)
	for op := OpAdd; op <= OpStrongMul; op++ {
		x := append([]float64(nil), x0...)
		ArithSame(op, x, y, x)
		for i := range x {
			if w := refOp(op, x0[i], y[i]); !sameBits(x[i], w) {
				t.Fatalf("op %d in place: element %d = %v, want %v", op, i, x[i], w)
			}
		}
	}
	x := append([]float64(nil), x0...)
	Square(x, x)
	for i := range x {
		if w := x0[i] * x0[i]; !sameBits(x[i], w) {
			t.Fatalf("square in place: element %d = %v, want %v", i, x[i], w)
		}
	}
}

// BenchmarkKernels times the elementwise kernels on one core at an
// L2-sized (2e4) and an L3-sized (1e5) length, buffers reused.
func BenchmarkKernels(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y, z := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], y[i] = r.NormFloat64(), r.NormFloat64()
		}
		for _, c := range []struct {
			name string
			f    func()
		}{
			{"add", func() { ArithSame(OpAdd, x, y, z) }},
			{"mul", func() { ArithSame(OpMul, x, y, z) }},
			{"strong_mul", func() { ArithSame(OpStrongMul, x, y, z) }},
			{"rsub_scalar", func() { ArithScalarX(OpSub, 1, y, z) }},
			{"square", func() { Square(z, x) }},
			{"relu", func() { ReLU(z, x) }},
		} {
			b.Run(c.name+"/"+itoa(n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					c.f()
				}
			})
		}
	}
}

func itoa(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return itoa(n/1000) + "k"
	}
	s := ""
	for ; n > 0 || s == ""; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
