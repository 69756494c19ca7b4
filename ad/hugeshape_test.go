// The shapes here need a 64-bit int.

//go:build amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x

package ad_test

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Issue 10 at the level of package ad: shapes too large for a tensor are
// refused with tensor.ErrShape under the name of the op the user called,
// and values that hold nothing but have huge dimensions go through every
// op and its gradient without a Go panic, a huge allocation or a loop over
// the huge dimension.

func TestHugeShapesRefused(t *testing.T) {
	const huge = 1<<62 + 1
	four := ad.From(tensor.Zeros(4))
	a := ad.From(tensor.Zeros(1<<40, 0)) // holds nothing: valid
	b := ad.From(tensor.Zeros(0, 1<<40))
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"reshape", func() { ad.Reshape(four, huge, 4) }},
		{"broadcast_to", func() { ad.BroadcastTo(four, huge, 4) }},
		{"matmul", func() { ad.MatMul(a, b) }},
		{"add", func() { ad.Add(ad.Reshape(a, 1<<40, 1, 0), a) }},
		{"pad", func() { ad.Pad(a, 1, 1<<20, 0) }},
		{"concat", func() { ad.Concat(2, ad.Reshape(a, 1<<40, 0, 1<<5), ad.Reshape(a, 1<<40, 0, 1<<5)) }},
		{"grad of matmul", func() {
			ad.Grad(func(a ad.Value) ad.Value { return ad.Sum(ad.MatMul(a, b), false) }, a)
		}},
	} {
		wantPanic(t, c.name, tensor.ErrShape, "too large", c.fn)
	}

	// valid ops on it work without allocating its huge dimension: the
	// gradient of Σ slice(a) is zeros of a's shape, holding nothing
	g := ad.Grad(func(a ad.Value) ad.Value {
		return ad.Sum(ad.Pad(ad.Slice(a, 0, 1<<39, 1<<40), 1, 0, 0), false)
	}, a)
	if s := g.Shape(); len(s) != 2 || s[0] != 1<<40 || s[1] != 0 {
		t.Errorf("gradient shape %v, want (2⁴⁰,0)", s)
	}
	wantPanic(t, "slice out of range", tensor.ErrIndex, "chainrule: slice: range [0:5] out of bounds for axis 0 of shape (4)", func() { ad.Slice(four, 0, 0, 5) })
}

// adMaxSize is tensor's limit on a shape's non-zero dimensions on 64-bit
// platforms: the longest []float64 the Go runtime allocates (2⁴⁸ bytes).
const adMaxSize = 1 << 45

// hugeDim decodes one dimension from a fuzz byte: small dimensions, powers
// of two up to 2⁶² (and one more), the limit and its neighbours, and
// math.MaxInt and below.
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
		return adMaxSize + int(b) - 228
	default:
		return math.MaxInt - int(b-232)
	}
}

// refShape returns whether shape (non-negative dimensions) is a valid
// tensor shape, by an exact product of its non-zero dimensions, and its
// size if so.
func refShape(shape []*big.Int) ([]int, int, bool) {
	p := big.NewInt(1)
	zero := false
	out := make([]int, len(shape))
	for i, d := range shape {
		if d.Sign() < 0 || !d.IsInt64() {
			return nil, 0, false
		}
		out[i] = int(d.Int64())
		if d.Sign() == 0 {
			zero = true
		} else {
			p.Mul(p, d)
		}
	}
	if p.Cmp(big.NewInt(adMaxSize)) > 0 {
		return nil, 0, false
	}
	if zero {
		return out, 0, true
	}
	return out, int(p.Int64()), true
}

func bigs(s []int) []*big.Int {
	out := make([]*big.Int, len(s))
	for i, d := range s {
		out[i] = big.NewInt(int64(d))
	}
	return out
}

// FuzzHugeShapes applies ad's shape-making ops (and the gradient of their
// sum) to values that hold nothing but have huge dimensions, and checks
// each result shape against an exact reference: a shape too large for a
// tensor must panic with tensor.ErrShape, a valid one must come out as
// computed, and nothing may reach the runtime as a Go panic.
//
//	go test -run '^$' -fuzz FuzzHugeShapes ./ad/
func FuzzHugeShapes(f *testing.F) {
	f.Add(byte(0), byte(1), []byte{136, 0, 0, 136}, []byte{})     // (2⁴⁰,0)+(0,2⁴⁰)… broadcast mismatch
	f.Add(byte(1), byte(1), []byte{136, 0}, []byte{0, 136})       // matmul (2⁴⁰,0)·(0,2⁴⁰)
	f.Add(byte(2), byte(0), []byte{228, 0}, []byte{})             // concat past the limit
	f.Add(byte(3), byte(0), []byte{0, 136}, []byte{136, 136})     // pad by 2⁴⁰ twice
	f.Add(byte(4), byte(0), []byte{0, 4}, []byte{157, 4, 0})      // reshape to (2⁶¹,4,0)
	f.Add(byte(5), byte(1), []byte{136, 1, 0}, []byte{136, 0})    // add: (2⁴⁰,2⁴⁰,0)
	f.Add(byte(6), byte(0), []byte{0, 128}, []byte{128, 128, 0})  // broadcast_to
	f.Add(byte(7), byte(2), []byte{0, 228, 1}, []byte{})          // stack past the limit
	f.Add(byte(7), byte(1), []byte{136, 0, 0, 0}, []byte{136, 0}) // stack: concat looped over 2⁴⁰ empty rows
	const small = 1 << 10
	f.Fuzz(func(t *testing.T, op, zero byte, da, db []byte) {
		if len(da) > 5 || len(db) > 5 {
			return
		}
		as, bs := make([]int, len(da)), make([]int, len(db))
		for i, b := range da {
			as[i] = hugeDim(b)
		}
		for i, b := range db {
			bs[i] = hugeDim(b)
		}
		if len(as) == 0 {
			return
		}
		as[int(zero)%len(as)] = 0 // x holds nothing
		if _, _, ok := refShape(bigs(as)); !ok {
			return
		}
		x := ad.From(tensor.Zeros(as...))
		var fn func(ad.Value) ad.Value // the op on x
		var want []*big.Int            // its result's shape; nil: an error
		switch op % 8 {
		case 0, 5: // add, with y holding nothing too
			if len(bs) == 0 {
				return
			}
			bs[len(bs)-1] = 0
			if _, _, ok := refShape(bigs(bs)); !ok {
				return
			}
			y := ad.From(tensor.Zeros(bs...))
			fn = func(x ad.Value) ad.Value { return ad.Add(x, y) }
			n := max(len(as), len(bs))
			want = make([]*big.Int, n)
			for i := 1; i <= n; i++ {
				p, q := 1, 1
				if i <= len(as) {
					p = as[len(as)-i]
				}
				if i <= len(bs) {
					q = bs[len(bs)-i]
				}
				switch {
				case p == q || q == 1:
					want[n-i] = big.NewInt(int64(p))
				case p == 1:
					want[n-i] = big.NewInt(int64(q))
				default:
					want = nil
				}
				if want == nil {
					break
				}
			}
		case 1: // matmul (…,m,k)·(k,n) with k from x
			if len(as) < 2 || len(bs) < 1 {
				return
			}
			k, n := as[len(as)-1], bs[0]
			if _, _, ok := refShape(bigs([]int{k, n})); !ok || k*n > small && k != 0 && n != 0 {
				return
			}
			y := ad.From(tensor.Zeros(k, n))
			fn = func(x ad.Value) ad.Value { return ad.MatMul(x, y) }
			want = append(bigs(as[:len(as)-1]), big.NewInt(int64(n)))
		case 2: // concat x with itself along an axis
			a := len(bs) % len(as)
			fn = func(x ad.Value) ad.Value { return ad.Concat(a, x, x) }
			want = bigs(as)
			want[a] = new(big.Int).Mul(want[a], big.NewInt(2))
		case 3: // pad
			if len(bs) < 2 {
				return
			}
			a := bs[0] % len(as)
			before, after := bs[0], bs[1]
			fn = func(x ad.Value) ad.Value { return ad.Pad(x, a, before, after) }
			want = bigs(as)
			want[a] = new(big.Int).Add(want[a], new(big.Int).Add(big.NewInt(int64(before)), big.NewInt(int64(after))))
		case 4: // reshape to bs: valid only if bs holds nothing too
			to := slices.Clone(bs)
			fn = func(x ad.Value) ad.Value { return ad.Reshape(x, to...) }
			if _, n, ok := refShape(bigs(to)); ok && n == 0 {
				want = bigs(to)
			}
		case 6: // broadcast_to bs
			to := slices.Clone(bs)
			fn = func(x ad.Value) ad.Value { return ad.BroadcastTo(x, to...) }
			lead := len(to) - len(as)
			if lead >= 0 {
				want = bigs(to)
				for i, d := range as {
					if d != 1 && d != to[lead+i] {
						want = nil
						break
					}
				}
			}
		case 7: // stack x with itself
			a := int(zero) % (len(as) + 1)
			fn = func(x ad.Value) ad.Value { return ad.Stack(a, x, x) }
			want = slices.Insert(bigs(as), a, big.NewInt(2))
		}
		shape, n, ok := []int(nil), 0, false
		if want != nil {
			shape, n, ok = refShape(want)
		}
		if ok && n > small {
			return // valid but too large to make in a test
		}
		var got ad.Value
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("op %d on %v: Go panic %v", op%8, as, r)
				}
			}()
			return tensor.Maybe(func() { got = fn(x) })
		}()
		switch {
		case !ok && !errors.Is(err, tensor.ErrShape):
			t.Fatalf("op %d on %v: result %v is not a valid shape, got %v (%v), want ErrShape", op%8, as, want, err, got)
		case ok && err != nil:
			t.Fatalf("op %d on %v: result %v is valid, got %v", op%8, as, shape, err)
		case ok && !slices.Equal(got.Shape(), shape):
			t.Fatalf("op %d on %v: shape %v, want %v", op%8, as, got.Shape(), shape)
		case ok:
			// the gradient of Σ op(x) holds nothing, in x's shape
			g := ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(fn(x), false) }, x)
			if !slices.Equal(g.Shape(), as) {
				t.Fatalf("op %d: gradient shape %v, want %v", op%8, g.Shape(), as)
			}
		}
	})
}

// TestTakeWithoutLanes: Take from a value with a 0 in another dimension
// gives the axis len(idx) entries (numpy.take and torch.index_select give
// (0,2) from (0,5) with two indices), checks its indices, and does not loop
// over a huge dimension beside the 0.
func TestTakeWithoutLanes(t *testing.T) {
	x := ad.From(tensor.Zeros(0, 5))
	if got := ad.Take(x, 1, []int{1, -2}).Shape(); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("Take from (0,5): shape %v, want (0,2)", got)
	}
	wantPanic(t, "Take index", tensor.ErrIndex, "chainrule: take: index 5 out of range for axis of length 5", func() { ad.Take(x, 1, []int{5}) })
	huge := ad.From(tensor.Zeros(1<<40, 3, 0))
	if got := ad.Take(huge, 1, []int{0, 2}).Shape(); !slices.Equal(got, []int{1 << 40, 2, 0}) {
		t.Errorf("Take from (2⁴⁰,3,0): shape %v, want (2⁴⁰,2,0)", got)
	}
	wantPanic(t, "Take too many", tensor.ErrShape, "chainrule: take: 64 indices along axis 1 of shape (1099511627776,3,0): too large for a tensor", func() {
		ad.Take(huge, 1, make([]int, 64))
	})
	// and with lanes it gathers: the reference is the rows by hand
	y := ad.From(tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3))
	if got := ad.Take(y, 1, []int{2, 0}).Tensor(); !tensor.Equal(got, tensor.New([]float64{3, 1, 6, 4}, 2, 2)) {
		t.Errorf("Take = %v", got)
	}
}
