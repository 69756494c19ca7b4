// The shapes here need a 64-bit int.

//go:build amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x

package tensor

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
)

// Shapes whose size does not fit in an int, or is more than a slice can
// hold, must be refused with ErrShape by every function that makes a shape,
// never wrap around to a small size or reach the runtime as a Go panic.
// The reference for a shape's size is an exact product (math/big), and the
// reference for the largest size is the Go runtime itself.

// refSize returns the exact product of shape's non-zero dimensions and
// whether shape has a negative or zero dimension.
func refSize(shape []int) (nonzero *big.Int, negative, zero bool) {
	p := big.NewInt(1)
	for _, d := range shape {
		switch {
		case d < 0:
			negative = true
		case d == 0:
			zero = true
		default:
			p.Mul(p, big.NewInt(int64(d)))
		}
	}
	return p, negative, zero
}

// refValid reports whether shape is a valid tensor shape (no negative
// dimension, its non-zero dimensions multiply to at most limit) and, if so,
// its number of elements.
func refValid(shape []int, limit int) (int, bool) {
	p, neg, zero := refSize(shape)
	if neg || p.Cmp(big.NewInt(int64(limit))) > 0 {
		return 0, false
	}
	if zero {
		return 0, true
	}
	return int(p.Int64()), true
}

// TestMaxSizeIsTheRuntimeLimit checks that a tensor may not be larger than
// the Go runtime allocates: one element more than MaxSize is refused by
// make, so an oversized shape would otherwise reach the runtime's panic.
func TestMaxSizeIsTheRuntimeLimit(t *testing.T) {
	for _, alloc := range []func(n int){
		func(n int) { _ = make([]float64, n) },
		func(n int) { _ = make([]float32, 2*n) }, // float32 holds twice as many: the same bytes
	} {
		n := MaxSize + 1
		func() {
			defer func() {
				r := recover()
				if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "len out of range") {
					t.Errorf("make of MaxSize+1 elements: recovered %v, want the runtime's len out of range", r)
				}
			}()
			alloc(n)
		}()
	}
	if got := Maybe(func() { Zeros(MaxSize+1, 0) }); !errors.Is(got, ErrShape) {
		t.Errorf("Zeros(MaxSize+1, 0): %v, want ErrShape", got)
	}
	if got := Maybe(func() { Zeros(MaxSize, 0) }); got != nil {
		t.Errorf("Zeros(MaxSize, 0): %v, want an empty tensor", got)
	}
}

// TestShapeOverflowRepros are the reports of issue 10: shapes that wrapped
// around to a small size and then crashed later operations.
func TestShapeOverflowRepros(t *testing.T) {
	const big = 1<<62 + 1
	checkPanic(t, "Zeros(2⁶²+1, 4)", ErrShape, "chainrule: zeros: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Zeros(big, 4) })
	checkPanic(t, "Zeros(2³², 2³²)", ErrShape, "chainrule: zeros: shape (4294967296,4294967296) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Zeros(1<<32, 1<<32) })
	checkPanic(t, "Size", ErrShape, "chainrule: size: shape (4294967296,4294967296) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Size([]int{1 << 32, 1 << 32}) })
	checkPanic(t, "Size negative", ErrShape, "chainrule: size: negative dimension in shape (3,-1)", func() { Size([]int{3, -1}) })
	checkPanic(t, "New", ErrShape, "chainrule: new: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { New(make([]float64, 4), big, 4) })
	checkPanic(t, "New32", ErrShape, "chainrule: new: shape (4,4611686018427387905) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { New32(make([]float32, 4), 4, big) })
	checkPanic(t, "Reshape", ErrShape, "chainrule: reshape: cannot reshape (4) to (4611686018427387905,4): too large for a tensor (its non-zero dimensions multiply to more than 35184372088832)", func() { Zeros(4).Reshape(big, 4) })
	checkPanic(t, "Reshape -1", ErrShape, "chainrule: reshape: cannot reshape (0) to (-1,4294967296,4294967296): too large for a tensor (its non-zero dimensions multiply to more than 35184372088832)", func() { Zeros(0).Reshape(-1, 1<<32, 1<<32) })
	checkPanic(t, "Eye", ErrShape, "chainrule: eye: shape (4294967296,4294967296) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Eye(1 << 32) })
	checkPanic(t, "RandN", ErrShape, "chainrule: randn: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { RandN(seeded(1), big, 4) })
	checkPanic(t, "Rand", ErrShape, "chainrule: rand: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Float32.Rand(seeded(1), 0, 1, big, 4) })
	checkPanic(t, "Full", ErrShape, "chainrule: full: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Full(1, big, 4) })
	checkPanic(t, "Ones", ErrShape, "chainrule: ones: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Ones(big, 4) })
	checkPanic(t, "Empty", ErrShape, "chainrule: empty: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Empty(Float32, []int{big, 4}) })
	checkPanic(t, "Uninitialized", ErrShape, "chainrule: uninitialized: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Uninitialized(Float64, []int{big, 4}) })
	checkPanic(t, "BroadcastTo", ErrShape, "chainrule: broadcast_to: shape (4611686018427387905,4) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { BroadcastTo(Zeros(4), []int{big, 4}) })
	checkPanic(t, "ScatterAddAlong", ErrShape, "chainrule: scatter_add: shape (4294967296,4294967296) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { ScatterAddAlong(Zeros(0), 0, nil, []int{1 << 32, 1 << 32}) })
	checkPanic(t, "Arange", ErrArg, "chainrule: arange: range 0 to 1e+15 by 1 has too many elements", func() { Arange(0, 1e15, 1) })

	// huge dimensions with a 0 among them hold nothing and are allowed, but
	// every result shape made from them is checked
	a, b := Zeros(1<<40, 0), Zeros(0, 1<<40)
	checkPanic(t, "MatMul", ErrShape, "chainrule: matmul: shapes (1099511627776,0) and (0,1099511627776) give a product of shape (1099511627776,1099511627776), too large for a tensor", func() { MatMul(a, b) })
	checkPanic(t, "MatMulT", ErrShape, "chainrule: matmul: shapes (1099511627776,0) and (1099511627776,0) give a product of shape (1099511627776,1099511627776), too large for a tensor", func() { MatMulT(a, a, false, true) })
	checkPanic(t, "MatMul batch", ErrShape, "chainrule: matmul: shapes (1073741824,1024,0) and (1073741824,0,1024) give a product of shape (1073741824,1024,1024), too large for a tensor", func() {
		MatMul(Zeros(1<<30, 1<<10, 0), Zeros(1<<30, 0, 1<<10))
	})
	c, e := Zeros(1<<40, 1, 0), Zeros(1<<40, 0)
	checkPanic(t, "Add", ErrShape, "chainrule: add: shapes (1099511627776,1,0) and (1099511627776,0) broadcast to (1099511627776,1099511627776,0), too large for a tensor", func() { Add(c, e) })
	checkPanic(t, "Map2", ErrShape, "chainrule: hypot: shapes (1099511627776,1,0) and (1099511627776,0) broadcast to (1099511627776,1099511627776,0), too large for a tensor", func() { Map2("hypot", c, e, math.Hypot) })
	checkPanic(t, "Where", ErrShape, "chainrule: where: shapes (1099511627776,1,0) and (1099511627776,0) broadcast to (1099511627776,1099511627776,0), too large for a tensor", func() { Where(c, c, e) })
	checkPanic(t, "BroadcastShapes", ErrShape, "chainrule: op: shapes (1099511627776,1) and (1099511627776) broadcast to (1099511627776,1099511627776), too large for a tensor", func() { BroadcastShapes("op", []int{1 << 40, 1}, []int{1 << 40}) })
	checkPanic(t, "BroadcastShapes negative", ErrShape, "chainrule: op: negative dimension in shapes (-2) and (3,1)", func() { BroadcastShapes("op", []int{-2}, []int{3, 1}) })
	checkPanic(t, "Pad", ErrShape, "chainrule: pad: shape (1099511627776,1024) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Pad(a, 1, 1000, 24) })
	checkPanic(t, "Pad overflow", ErrShape, "chainrule: pad: padding 9223372036854775807, 1 of shape (3,0) is too large for a tensor", func() { Pad(Zeros(3, 0), 0, math.MaxInt, 1) })
	z := Zeros(MaxSize, 0)
	checkPanic(t, "Concat", ErrShape, "chainrule: concat: joining 2 tensors of shape (35184372088832,0) along axis 0 is too large for a tensor", func() { Concat(0, z, z) })
	// a 0 among the dimensions does not excuse the others: (2⁴⁰,0,64) is
	// refused although it holds nothing, as a partial product of its
	// dimensions (the stride of axis 0 in a (2⁴⁰,64,0) transpose) overflows
	h := Zeros(1<<40, 0, 32)
	checkPanic(t, "Concat zero-size", ErrShape, "chainrule: concat: shape (1099511627776,0,64) is too large for a tensor: its non-zero dimensions multiply to more than 35184372088832", func() { Concat(2, h, h) })

	// and the valid ones work, without a Go panic
	for _, c := range []struct {
		name  string
		fn    func() *Tensor
		shape []int
	}{
		{"transpose", func() *Tensor { return Transpose(a) }, []int{0, 1 << 40}},
		{"slice", func() *Tensor { return Slice(a, 0, 1<<39, 1<<40) }, []int{1 << 39, 0}},
		{"sum all", func() *Tensor { return Sum(a, nil, false) }, []int{}},
		{"sum axis 0", func() *Tensor { return Sum(a, []int{0}, false) }, []int{0}},
		{"matmul", func() *Tensor { return MatMul(b, a) }, []int{0, 0}}, // (0,2⁴⁰)·(2⁴⁰,0)
		{"reshape", func() *Tensor { return a.Reshape(0, 1<<20, 1<<20) }, []int{0, 1 << 20, 1 << 20}},
		{"pad", func() *Tensor { return Pad(a, 0, 1<<40, 0) }, []int{1 << 41, 0}},
		{"concat", func() *Tensor { return Concat(0, a, a) }, []int{1 << 41, 0}},
		{"add", func() *Tensor { return Add(a, Zeros(1)) }, []int{1 << 40, 0}},
		// these looped over the 2⁴⁰ rows copying nothing
		{"concat axis 1", func() *Tensor { return Concat(1, a, a) }, []int{1 << 40, 0}},
		{"slice axis 1", func() *Tensor { return Slice(a, 1, 0, 0) }, []int{1 << 40, 0}},
		{"pad axis 1", func() *Tensor { return Pad(Zeros(1<<40, 0, 0), 1, 0, 0) }, []int{1 << 40, 0, 0}},
		{"take_along", func() *Tensor { return TakeAlong(a, 1, nil) }, []int{1 << 40, 0}},
		{"scatter_add", func() *Tensor { return ScatterAddAlong(a, 1, nil, []int{1 << 40, 0}) }, []int{1 << 40, 0}},
	} {
		var got *Tensor
		if err := Maybe(func() { got = c.fn() }); err != nil {
			t.Errorf("%s of an empty tensor with a huge dimension: %v", c.name, err)
			continue
		}
		want, _ := refValid(c.shape, MaxSize)
		if !slices.Equal(got.Shape(), c.shape) || got.Size() != want {
			t.Errorf("%s: shape %v size %d, want %v size %d", c.name, got.Shape(), got.Size(), c.shape, want)
		}
	}
}

// hugeDim decodes one dimension from a fuzz byte: small dimensions, powers
// of two up to 2⁶² (and one more), the limit itself, and negative values.
func hugeDim(b byte) int {
	switch {
	case b < 96:
		return int(b % 5)
	case b < 224:
		k := int(b-96) % 63
		if b >= 160 {
			return 1<<k + 1
		}
		return 1 << k
	case b < 232:
		return MaxSize + int(b-228) // MaxSize-4 … MaxSize+3
	case b < 240:
		return math.MaxInt - int(b-232)
	default:
		return -int(b - 239) // -1 … -16
	}
}

// FuzzShapes drives the shape-making functions with dimensions from fuzz
// bytes, huge and negative ones included, and checks each against refValid:
// a valid result shape gives a tensor of that shape and exact size (made only
// when it is small), an invalid one a chainrule error, never a Go panic.
//
//	go test -run '^$' -fuzz FuzzShapes ./tensor/
func FuzzShapes(f *testing.F) {
	f.Add(byte(0), []byte{1, 2, 3})
	f.Add(byte(1), []byte{157, 4, 1, 0, 132})          // 2⁶¹·4, then a reshape
	f.Add(byte(2), []byte{0, 136, 136, 0})             // matmul of (0,2⁴⁰)·(2⁴⁰,0)
	f.Add(byte(3), []byte{136, 1, 0, 136, 0})          // broadcast to (2⁴⁰,2⁴⁰,0)
	f.Add(byte(4), []byte{136, 136, 0, 225})           // pad by 2⁴⁰ twice
	f.Add(byte(5), []byte{228, 0, 228, 0})             // concat past the limit
	f.Add(byte(0), []byte{128, 128, 232, 240, 0, 231}) // 2³²·2³², MaxInt, negative
	f.Add(byte(6), []byte{0, 158, 158, 1, 2})          // reshape with -1
	f.Add(byte(7), []byte{136, 136, 136})              // eye
	const small = 1 << 12                              // the largest tensor worth allocating here
	f.Fuzz(func(t *testing.T, op byte, data []byte) {
		if len(data) > 8 {
			data = data[:8]
		}
		dims := make([]int, len(data))
		for i, b := range data {
			dims[i] = hugeDim(b)
		}
		// empty tensor of the given shape with its first dimension set to 0
		// (valid unless the rest is too large), to combine without allocating
		empty := func(s []int) (*Tensor, bool) {
			s = slices.Clone(s)
			if len(s) > 0 {
				s[0] = 0
			}
			if _, ok := refValid(s, MaxSize); !ok {
				return nil, false
			}
			return Zeros(s...), true
		}
		// run calls fn when want is a valid shape of at most small
		// elements and checks its result; for an invalid shape it checks
		// that fn panics with wantErr
		run := func(name string, want []int, wantErr error, fn func() *Tensor) {
			n, ok := refValid(want, MaxSize)
			if ok && n > small {
				return // valid but too large to make in a test
			}
			var got *Tensor
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s %v: Go panic %v", name, want, r)
					}
				}()
				return Maybe(func() { got = fn() })
			}()
			switch {
			case !ok && !errors.Is(err, wantErr):
				t.Fatalf("%s: shape %v is invalid, got error %v, want %v", name, want, err, wantErr)
			case ok && err != nil:
				t.Fatalf("%s: shape %v is valid, got %v", name, want, err)
			case ok && (!slices.Equal(got.Shape(), want) || got.Size() != n):
				t.Fatalf("%s: shape %v size %d, want %v size %d", name, got.Shape(), got.Size(), want, n)
			}
		}
		switch op % 8 {
		case 0:
			run("zeros", dims, ErrShape, func() *Tensor { return Zeros(dims...) })
			run("new", dims, ErrShape, func() *Tensor {
				n, _ := refValid(dims, small) // a slice no longer than small: any shape with more elements mismatches
				return New(make([]float64, n), dims...)
			})
		case 1: // reshape of an empty tensor (or a scalar) of the first half to the second half
			h := len(dims) / 2
			x, ok := empty(dims[:h])
			if !ok {
				return
			}
			to := slices.Clone(dims[h:])
			for i, d := range to {
				if d == -1 { // case 6 infers; here every negative dimension is an error
					to[i] = -2
				}
			}
			if n, ok := refValid(to, MaxSize); ok && n != x.Size() {
				run("reshape", append(to, -1), ErrShape, func() *Tensor { return x.Reshape(to...) }) // mismatch: invalid
				return
			}
			run("reshape", to, ErrShape, func() *Tensor { return x.Reshape(to...) })
		case 2: // (…,m,k)·(…,k,n) with k = 0
			if len(dims) < 2 {
				return
			}
			m, n := dims[0], dims[1]
			a, ok1 := refValid([]int{m, 0}, MaxSize)
			b, ok2 := refValid([]int{0, n}, MaxSize)
			if !ok1 || !ok2 || a != 0 || b != 0 {
				return
			}
			x, y := Zeros(m, 0), Zeros(0, n)
			run("matmul", []int{m, n}, ErrShape, func() *Tensor { return MatMul(x, y) })
		case 3: // broadcast of two empty tensors, dims split in half
			h := len(dims) / 2
			as, bs := slices.Clone(dims[:h]), slices.Clone(dims[h:])
			if len(as) > 0 {
				as[len(as)-1] = 0
			}
			if len(bs) > 0 {
				bs[len(bs)-1] = 0
			}
			x, ok1 := refValid(as, MaxSize)
			y, ok2 := refValid(bs, MaxSize)
			want, ok := refBroadcastShape(as, bs)
			if !ok1 || !ok2 || !ok || x+y > 2*small {
				return
			}
			a, b := Zeros(as...), Zeros(bs...)
			run("add", want, ErrShape, func() *Tensor { return Add(a, b) })
		case 4: // pad axis 0 of an empty tensor of dims[2:] by dims[0], dims[1]
			if len(dims) < 3 || dims[0] < 0 || dims[1] < 0 {
				return
			}
			x, ok := empty(dims[2:])
			if !ok {
				return
			}
			want := slices.Clone(x.Shape())
			sum := new(big.Int).Add(big.NewInt(int64(dims[0])), big.NewInt(int64(dims[1])))
			if !sum.IsInt64() || sum.Int64() > MaxSize {
				checkPanicKind(t, "pad", ErrShape, func() { Pad(x, 0, dims[0], dims[1]) })
				return
			}
			want[0] = int(sum.Int64())
			run("pad", want, ErrShape, func() *Tensor { return Pad(x, 0, dims[0], dims[1]) })
		case 5: // concat along axis 1 of empty tensors (0, d) for each d
			var parts []*Tensor
			sum := new(big.Int)
			for _, d := range dims {
				if d < 0 || d > MaxSize {
					return
				}
				parts = append(parts, Zeros(0, d))
				sum.Add(sum, big.NewInt(int64(d)))
			}
			if len(parts) == 0 {
				return
			}
			if sum.Cmp(big.NewInt(MaxSize)) > 0 {
				checkPanicKind(t, "concat", ErrShape, func() { Concat(1, parts...) })
				return
			}
			run("concat", []int{0, int(sum.Int64())}, ErrShape, func() *Tensor { return Concat(1, parts...) })
		case 6: // reshape with an inferred dimension
			x, ok := empty(dims)
			if !ok || len(dims) < 2 {
				return
			}
			to := slices.Clone(dims[1:])
			to[0] = -1
			want := slices.Clone(dims[1:])
			want[0] = 0
			if n, ok := refValid(dims[2:], MaxSize); ok && n == 0 {
				checkPanicKind(t, "reshape -1", ErrShape, func() { x.Reshape(to...) }) // -1 next to a 0 is ambiguous
				return
			}
			run("reshape -1", want, ErrShape, func() *Tensor { return x.Reshape(to...) })
		case 7:
			if len(dims) == 0 {
				return
			}
			run("eye", []int{dims[0], dims[0]}, ErrShape, func() *Tensor { return Eye(dims[0]) })
			run("randn", dims, ErrShape, func() *Tensor { return RandN(seeded(1), dims...) })
		}
	})
}

// checkPanicKind fails unless fn panics with an *Error of the given kind.
func checkPanicKind(t *testing.T, name string, kind error, fn func()) {
	t.Helper()
	if err := Maybe(fn); !errors.Is(err, kind) {
		t.Fatalf("%s: %v, want %v", name, err, kind)
	}
}

// TestHugeDimsReachTheLimit checks that FuzzShapes' decoder reaches every
// kind of dimension that matters: negative, 2³², 2⁶²+1, the limit, one past
// it and math.MaxInt.
func TestHugeDimsReachTheLimit(t *testing.T) {
	seen := map[string]bool{}
	for b := 0; b < 256; b++ {
		d := hugeDim(byte(b))
		switch {
		case d < 0:
			seen["negative"] = true
		case d == MaxSize+1:
			seen["limit+1"] = true
		case d == MaxSize:
			seen["limit"] = true
		case d == math.MaxInt:
			seen["maxint"] = true
		case d == 1<<62+1:
			seen["2^62+1"] = true
		case d == 1<<32:
			seen["2^32"] = true
		}
	}
	if len(seen) != 6 {
		t.Errorf("hugeDim reaches only %v", seen)
	}
}
