package tensor

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/internal/kernel"
)

// StrongMul's zero is its first operand's: 0 × ±Inf and 0 × NaN are 0, but
// ±Inf × 0 and NaN × 0 are NaN (IEEE), on every kernel path.
func TestStrongMul(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	check := func(what string, got *Tensor, want []float64) {
		t.Helper()
		for i, w := range want {
			g := got.AtFlat(i)
			if !(g == w || (math.IsNaN(g) && math.IsNaN(w))) {
				t.Errorf("%s: element %d = %g, want %g", what, i, g, w)
			}
		}
	}
	a := New([]float64{0, 0, 0, 2, 3, nan, math.Copysign(0, -1), inf, nan, -inf}, 10)
	b := New([]float64{inf, -inf, nan, inf, 4, 1, 5, 0, 0, 0}, 10)
	check("same shape", StrongMul(a, b), []float64{0, 0, 0, inf, 12, nan, 0, nan, nan, nan})
	check("float32", StrongMul(a.As(Float32), b.As(Float32)), []float64{0, 0, 0, inf, 12, nan, 0, nan, nan, nan})
	// a scalar operand on either side, finite or not
	check("0 × [inf 1]", StrongMul(Scalar(0), New([]float64{inf, 1}, 2)), []float64{0, 0})
	check("float32 0 × [inf 2]", StrongMul(Float32.Scalar(0), New32([]float32{float32(inf), 2}, 2)), []float64{0, 0})
	check("inf × [0 1]", StrongMul(Scalar(inf), New([]float64{0, 1}, 2)), []float64{nan, inf})
	check("[inf 1 0] × 0", StrongMul(New([]float64{inf, 1, 0}, 3), Scalar(0)), []float64{nan, 0, 0})
	check("[0 2 inf] × inf", StrongMul(New([]float64{0, 2, inf}, 3), Scalar(inf)), []float64{0, inf, inf})
	check("[0 2] × nan", StrongMul(New([]float64{0, 2}, 2), Scalar(nan)), []float64{0, nan})
	check("[0 2] × 3", StrongMul(New([]float64{0, 2}, 2), Scalar(3)), []float64{0, 6})
	// the sign of a zero result is IEEE's sign of c·y whichever operand is
	// the scalar (+0 where the strong zero replaces a NaN), in both dtypes
	negz := math.Copysign(0, -1)
	ys := []float64{-3, 2, negz, 0, inf, -inf, nan}
	for _, c := range []float64{0, negz} {
		for _, d := range []DType{Float64, Float32} {
			y := New(ys, len(ys)).As(d)
			cs := Full(c, len(ys)).As(d)
			for _, got := range []*Tensor{StrongMul(d.Scalar(c), y), StrongMul(cs, y)} {
				for i, v := range ys {
					want := c * v // IEEE: sign is the xor of the signs
					if math.IsNaN(want) {
						want = 0
					}
					if g := got.AtFlat(i); g != want || math.Signbit(g) != math.Signbit(want) {
						t.Errorf("%s: StrongMul(%g, %g) = %g, want %g", d, c, v, g, want)
					}
				}
			}
		}
	}
	// repeating along leading dimensions, both ways
	check("(2,2) × (2)", StrongMul(New([]float64{0, 1, inf, 0}, 2, 2), New([]float64{inf, 0}, 2)), []float64{0, 0, inf, 0})
	check("(2) × (2,2)", StrongMul(New([]float64{0, inf}, 2), New([]float64{inf, 0, 1, 0}, 2, 2)), []float64{0, nan, 0, nan})
	// the general broadcast path
	g := StrongMul(New([]float64{0, inf}, 2, 1), New([]float64{inf, 0}, 1, 2))
	check("broadcast", g, []float64{0, 0, inf, nan})
	// the slice kernel (internal/kernel, which ad's fused groups call)
	z := make([]float64, 3)
	kernel.Arith(kernel.OpStrongMul, z, []float64{0, inf, 2}, []float64{inf, 0, 3})
	check("Arith", New(z, 3), []float64{0, nan, 6})
	kernel.Arith(kernel.OpStrongMul, z, []float64{0}, []float64{inf, 0, 3})
	check("Arith scalar x", New(z, 3), []float64{0, 0, 0})
	kernel.Arith(kernel.OpStrongMul, z, []float64{inf, 0, 2}, []float64{0})
	check("Arith scalar y", New(z, 3), []float64{nan, 0, 0})
	if kernel.Arith(kernel.OpStrongMul, z, []float64{1, 2}, []float64{1, 2, 3}) {
		t.Errorf("Arith of 2 and 3 elements into 3 reported success")
	}
	if kernel.StrongMulScalar(0.0, inf) != 0 || !math.IsNaN(kernel.StrongMulScalar(inf, 0.0)) {
		t.Errorf("StrongMulScalar: 0×inf = %g, inf×0 = %g, want 0, NaN", kernel.StrongMulScalar(0.0, inf), kernel.StrongMulScalar(inf, 0.0))
	}
}

// Kernels large enough to run on several cores give the same results as
// the one-core loop.
func TestParallelKernels(t *testing.T) {
	n := 3<<14 + 17 // three of kernel.Parallel's pieces and a bit
	a, b := RandN(seeded(1), n), RandN(seeded(2), n)
	sum, prod, sq := Add(a, b), Mul(a, Scalar(3)), Map(a, func(v float64) float64 { return v * v })
	for i := 0; i < n; i++ {
		x, y := a.AtFlat(i), b.AtFlat(i)
		if sum.AtFlat(i) != x+y || prod.AtFlat(i) != x*3 || sq.AtFlat(i) != x*x {
			t.Fatalf("element %d: %g %g %g", i, sum.AtFlat(i), prod.AtFlat(i), sq.AtFlat(i))
		}
	}
	// the costly kernels split sooner
	e := Exp(a)
	for i := 0; i < n; i++ {
		if want := Exp(Scalar(a.AtFlat(i))).Item(); e.AtFlat(i) != want {
			t.Fatalf("exp element %d = %g, want %g", i, e.AtFlat(i), want)
		}
	}
}

func TestRecycle(t *testing.T) {
	a := Full(7, recycleMin)
	key := a.Storage()
	if b := a.Reshape(recycleMin/4, 4); b.Storage() != key {
		t.Fatal("a reshape does not share storage")
	}
	Recycle(a)
	if a.Size() != 0 {
		t.Errorf("recycled tensor still has %d elements", a.Size())
	}
	// a later allocation of the same length may reuse it, and must be zeroed
	for i := 0; i < 4; i++ {
		z := Zeros(recycleMin)
		for j := 0; j < z.Size(); j++ {
			if z.AtFlat(j) != 0 {
				t.Fatalf("reused storage not zeroed at %d", j)
			}
		}
	}
	Recycle(Float32.Full(1, recycleMin))
	if z := Float32.Zeros(recycleMin); z.AtFlat(5) != 0 {
		t.Error("float32 reuse not zeroed")
	}
	if New([]float64{}, 0).Storage() != nil {
		t.Error("empty tensor has a storage key")
	}
}

// TestKernelsOverwriteRecycledStorage: kernels that take storage without
// zeroing it (see dirty) must write every element, so each result computed
// into a recycled NaN-filled buffer equals the one computed into fresh
// storage.
func TestKernelsOverwriteRecycledStorage(t *testing.T) {
	const n = 1 << 8 // recycleMin, or above it in the chainruledebug build (which caches from 8)
	for _, d := range dtypes {
		a, b := mk(d, reals(31, 2*n), 2, n), mk(d, reals(32, 2*n), 2, n)
		row := mk(d, reals(33, n), n)
		sq := mk(d, reals(34, n+128), 64, n/64+2)
		cond := Sub(a, b)
		narrow := Slice(a, 1, 0, n-64) // outside the op: it would take the buffer of its size class
		other := Float32
		if d == Float32 {
			other = Float64
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = (i * 7) % 2
		}
		ops := map[string]func() *Tensor{
			"add broadcast": func() *Tensor { return Add(a, row) },
			"mul":           func() *Tensor { return Mul(a, b) },
			"map":           func() *Tensor { return Map(a, func(v float64) float64 { return v / 3 }) },
			"map2":          func() *Tensor { return Map2("f", a, row, func(x, y float64) float64 { return x - y }) },
			"where":         func() *Tensor { return Where(cond, a, row) },
			"tanh":          func() *Tensor { return Tanh(a) },
			"neg":           func() *Tensor { return Neg(a) },
			"square":        func() *Tensor { return Square(a) },
			"clone":         func() *Tensor { return a.Clone() },
			"as":            func() *Tensor { return a.As(other).As(d) },
			"full":          func() *Tensor { return d.Full(2, 2, n) },
			"transpose":     func() *Tensor { return Transpose(a, 1, 0) },
			"slice":         func() *Tensor { return Slice(sq, 1, 1, n/64+1) },
			"concat":        func() *Tensor { return Concat(0, row.Reshape(1, n), row.Reshape(1, n)) },
			"pad":           func() *Tensor { return Pad(narrow, 1, 24, 40) },
			"pad rows":      func() *Tensor { return Pad(a, 0, 1, 1).Reshape(4 * n) },
			"take_along":    func() *Tensor { return TakeAlong(a, 0, idx) },
			"matmul":        func() *Tensor { return MatMul(sq, Transpose(sq, 1, 0)) },
			"broadcast_to":  func() *Tensor { return BroadcastTo(row, []int{2, n}) },
			"broadcast col": func() *Tensor { return BroadcastTo(Slice(a, 1, 3, 4), []int{2, n}) },
			"broadcast one": func() *Tensor { return BroadcastTo(d.Scalar(3), []int{2, n}) },
			"max":           func() *Tensor { return Max(a, []int{0}, false) },
			"min":           func() *Tensor { return Min(a, []int{0}, true) },
			"randn":         func() *Tensor { return d.RandN(seeded(7), 2, n) },
			"rand":          func() *Tensor { return d.Rand(seeded(7), -1, 1, 2, n) },
			"arange":        func() *Tensor { return d.Arange(0, 2*n, 1) },
		}
		for name, op := range ops {
			want := op()
			// Hand the cache a NaN-filled buffer of the result's length
			// until the op takes it (a collection between Recycle and the
			// op may release it).
			reused := false
			for try := 0; try < 16 && !reused; try++ {
				junk := d.Full(math.NaN(), want.Size())
				key := junk.Storage()
				Recycle(junk)
				got := op()
				if !Equal(got, want) {
					t.Fatalf("%s %s: result into recycled storage differs from a fresh one", d, name)
				}
				reused = got.Storage() == key
			}
			if !reused {
				t.Errorf("%s %s: the result never reused the recycled buffer in 16 tries", d, name)
			}
		}
	}
}

// Recycle pools only storage the package allocated whole: a view or a
// caller's slice is emptied, and later allocations never hand out its
// array.
func TestRecycleLeavesViewsAndCallerSlices(t *testing.T) {
	base := Full(3, 4*recycleMin)
	view := Slice(base.Reshape(4, recycleMin), 0, 1, 2) // a contiguous view of row 1
	if view.Storage() != base.Storage() {
		t.Fatal("the slice is not a view")
	}
	mine := make([]float64, recycleMin)
	caller := New(mine, recycleMin)
	Recycle(view)
	Recycle(caller)
	if view.Size() != 0 || caller.Size() != 0 {
		t.Error("recycled tensors not emptied")
	}
	for range 8 {
		z := Empty(Float64, []int{recycleMin})
		z.Fill(-1) // would overwrite base's row or mine if pooled
	}
	for i, v := range base.Data() {
		if v != 3 {
			t.Fatalf("base changed at %d after recycling a view of it", i)
		}
	}
	for i, v := range mine {
		if v != 0 {
			t.Fatalf("the caller's slice changed at %d", i)
		}
	}
}

func TestUninitialized(t *testing.T) {
	for _, d := range dtypes {
		u := Uninitialized(d, []int{3, recycleMin})
		if u.DType() != d || u.Size() != 3*recycleMin || u.Rank() != 2 {
			t.Errorf("%s: dtype %s, shape %v", d, u.DType(), u.Shape())
		}
		// recycled storage comes back as it was: not cleared
		junk := d.Full(7, recycleMin)
		key := junk.Storage()
		Recycle(junk)
		v := Uninitialized(d, []int{recycleMin})
		switch {
		case debugStorage: // the checked build poisons storage handed out
			if v.Storage() == key && !math.IsNaN(v.AtFlat(0)) {
				t.Errorf("%s: recycled storage was not poisoned with NaN in the chainruledebug build: %g", d, v.AtFlat(0))
			}
		case v.Storage() == key && v.AtFlat(0) != 7:
			t.Errorf("%s: recycled storage was cleared", d)
		}
	}
	checkPanic(t, "Uninitialized negative", ErrShape, "chainrule: uninitialized: negative dimension in shape (2,-1)", func() { Uninitialized(Float64, []int{2, -1}) })
}

// The per-channel broadcast path (an operand that is out's shape on one
// contiguous range of axes and 1 elsewhere, such as a bias O×1×1 against
// N×O×H×W) against the elementwise definition through refIndex, for every
// operator, both operand orders, both dtypes and sizes that cross the
// parallel split, with NaN, ±Inf and zeros for the strong zero.
func TestArithChannelRuns(t *testing.T) {
	checkArithBroadcast(t, "channel", func(s, out []int) bool { return channelRuns(s, out) > 0 }, [][2][]int{
		{{2, 3, 4, 5}, {3, 1, 1}},
		{{64, 6, 24, 24}, {6, 1, 1}},
		{{2, 3, 4, 5}, {1, 3, 4, 1}},
		{{2, 3, 4, 5}, {2, 1, 1, 1}},
		{{7, 300}, {7, 1}},
		{{3, 5, 2}, {1, 5, 1}},
	})
}

// checkArithBroadcast checks the arithmetic of a full operand (cases[i][0])
// with a broadcast one (cases[i][1]), both ways round, against elementwise
// references, with a zero, an infinity and a NaN among the elements; path
// reports whether the broadcast shape takes the path under test.
func checkArithBroadcast(t *testing.T, name string, path func(s, out []int) bool, cases [][2][]int) {
	t.Helper()
	ops := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		ref  func(u, v float64) float64
	}{
		{"add", Add, func(u, v float64) float64 { return u + v }},
		{"sub", Sub, func(u, v float64) float64 { return u - v }},
		{"mul", Mul, func(u, v float64) float64 { return u * v }},
		{"div", Div, func(u, v float64) float64 { return u / v }},
		{"strong_mul", StrongMul, kernel.StrongMulScalar[float64]},
	}
	for _, d := range dtypes {
		for ci, c := range cases {
			full := d.RandN(seeded(uint64(10+ci)), c[0]...)
			ch := d.RandN(seeded(uint64(20+ci)), c[1]...)
			full.SetFlat(0, 0)
			full.SetFlat(1, math.Inf(1))
			ch.SetFlat(0, math.NaN())
			if !path(c[1], c[0]) {
				t.Fatalf("%v against %v does not take the %s path", c[1], c[0], name)
			}
			for _, op := range ops {
				for _, flip := range []bool{false, true} {
					a, b := full, ch
					if flip {
						a, b = ch, full
					}
					got := op.f(a, b)
					for i := range Size(c[0]) {
						idx := unravel(i, c[0])
						want := round(d, op.ref(a.AtFlat(refIndex(idx, a.Shape())), b.AtFlat(refIndex(idx, b.Shape()))))
						if g := got.AtFlat(i); !(g == want || math.IsNaN(g) && math.IsNaN(want)) {
							t.Fatalf("%s %s(%v, %v) element %d = %g, want %g", d, op.name, a.Shape(), b.Shape(), i, g, want)
						}
					}
				}
			}
		}
	}
}

// Sums down to a per-channel shape (runs of equal output index, the
// gradient of a bias) against a naive sum through refIndex, both dtypes.
func TestSumToChannelRuns(t *testing.T) {
	for _, d := range dtypes {
		for ci, c := range [][2][]int{
			{{2, 3, 4, 5}, {3, 1, 1}},
			{{64, 6, 24, 24}, {1, 6, 1, 1}},
			{{2, 3, 4, 5}, {1, 3, 4, 1}},
			{{7, 300}, {7, 1}},
		} {
			x := d.RandN(seeded(uint64(30+ci)), c[0]...)
			if channelRuns(c[1], c[0]) == 0 {
				t.Fatalf("%v to %v does not take the channel path", c[0], c[1])
			}
			want := make([]float64, Size(c[1]))
			for i := range x.Size() {
				want[refIndex(unravel(i, c[0]), c[1])] += x.AtFlat(i)
			}
			got := SumTo(x, c[1])
			for i, w := range want {
				if g := got.AtFlat(i); math.Abs(g-w) > 1e-4*(1+math.Abs(w)) {
					t.Fatalf("%s SumTo(%v, %v) element %d = %g, want %g", d, c[0], c[1], i, g, w)
				}
			}
		}
	}
}
