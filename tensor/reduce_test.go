package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// refReduce folds every element of x into the output position found by
// zeroing the reduced coordinates of its multi-index. It returns the kept
// shape, the result and, per output, the sum of |terms| (for tolerances).
func refReduce(x *Tensor, axes []int, kind string) (keepShape []int, out, scale []float64) {
	shape := x.Shape()
	reduced := make([]bool, len(shape))
	for _, a := range axes {
		reduced[a] = true
	}
	keepShape = make([]int, len(shape))
	for k, n := range shape {
		keepShape[k] = n
		if reduced[k] {
			keepShape[k] = 1
		}
	}
	out = make([]float64, prod(keepShape))
	scale = make([]float64, len(out))
	seen := make([]bool, len(out))
	for f, v := range x.Float64s() {
		idx := unravel(f, shape)
		for k := range idx {
			if reduced[k] {
				idx[k] = 0
			}
		}
		o := ravel(idx, keepShape)
		scale[o] += math.Abs(v)
		switch {
		case kind == "sum":
			out[o] += v
		case !seen[o] || math.IsNaN(v):
			out[o] = v
		case math.IsNaN(out[o]):
		case kind == "max" && v > out[o], kind == "min" && v < out[o]:
			out[o] = v
		}
		seen[o] = true
	}
	return keepShape, out, scale
}

// dropAxes removes the reduced axes from a kept shape.
func dropAxes(keepShape, axes []int) []int {
	var out []int
	for k, n := range keepShape {
		if !slices.Contains(axes, k) {
			out = append(out, n)
		}
	}
	if out == nil {
		out = []int{}
	}
	return out
}

func TestNormalizeAxes(t *testing.T) {
	shape := []int{2, 3, 4}
	for _, c := range []struct{ axes, want []int }{
		{nil, []int{0, 1, 2}},
		{[]int{}, []int{}},
		{[]int{1}, []int{1}},
		{[]int{-1}, []int{2}},
		{[]int{2, 0}, []int{0, 2}},
		{[]int{-3, 2, 1}, []int{0, 1, 2}},
	} {
		if got := NormalizeAxes("sum", shape, c.axes); !slices.Equal(got, c.want) {
			t.Errorf("NormalizeAxes(%v) = %v, want %v", c.axes, got, c.want)
		}
	}
	if got := NormalizeAxes("sum", nil, nil); len(got) != 0 {
		t.Errorf("NormalizeAxes of a scalar = %v, want none", got)
	}
	checkPanic(t, "axis 3", ErrAxis, "chainrule: mean: axis 3 out of range for shape (2,3,4)", func() { NormalizeAxes("mean", shape, []int{0, 3}) })
	checkPanic(t, "axis -4", ErrAxis, "chainrule: mean: axis -4 out of range for shape (2,3,4)", func() { NormalizeAxes("mean", shape, []int{-4}) })
	checkPanic(t, "scalar axis", ErrAxis, "chainrule: sum: axis 0 out of range for shape ()", func() { NormalizeAxes("sum", []int{}, []int{0}) })
	// a repeated axis is refused, as numpy.sum and torch.sum refuse it,
	// also when written once from each end
	checkPanic(t, "axis twice", ErrAxis, "chainrule: sum: axis 0 repeated in [0 0] for shape (2,3,4)", func() { NormalizeAxes("sum", shape, []int{0, 0}) })
	checkPanic(t, "axis 1 and -2", ErrAxis, "chainrule: max: axis -2 repeated in [1 -2] for shape (2,3,4)", func() { NormalizeAxes("max", shape, []int{1, -2}) })
}

func TestReducedShape(t *testing.T) {
	shape := []int{2, 3, 4}
	for _, c := range []struct {
		axes []int
		keep bool
		want []int
	}{
		{[]int{0, 2}, true, []int{1, 3, 1}},
		{[]int{0, 2}, false, []int{3}},
		{[]int{}, false, []int{2, 3, 4}},
		{[]int{0, 1, 2}, false, []int{}},
		{[]int{0, 1, 2}, true, []int{1, 1, 1}},
	} {
		if got := ReducedShape(shape, c.axes, c.keep); !slices.Equal(got, c.want) {
			t.Errorf("ReducedShape(%v, %v) = %v, want %v", c.axes, c.keep, got, c.want)
		}
	}
}

var reduceCases = []struct {
	shape []int
	axes  [][]int // nil entry: all axes
}{
	{[]int{2, 3, 4}, [][]int{nil, {}, {0}, {1}, {2}, {-1}, {0, 2}, {2, 0}, {0, 1, 2}, {-3, -2}}},
	{[]int{5}, [][]int{nil, {0}, {-1}}},
	{[]int{}, [][]int{nil, {}}},
	{[]int{2, 1, 3}, [][]int{nil, {1}, {0, 2}}},
	{[]int{3, 2, 2, 5}, [][]int{{1, 3}, {0, 2}, {3}}},
	{[]int{7, 9}, [][]int{{0}, {1}}}, // rows longer than the kernels' inner run
}

func TestReductionsAgainstReference(t *testing.T) {
	ops := []struct {
		name string
		fn   func(*Tensor, []int, bool) *Tensor
	}{{"sum", Sum}, {"max", Max}, {"min", Min}}
	for _, d := range dtypes {
		for ci, c := range reduceCases {
			// small integers: every sum is exact in both dtypes
			x := mk(d, ints(uint64(ci), prod(c.shape)), c.shape...)
			x0 := x.Clone()
			for _, axes := range c.axes {
				norm := axes
				if norm == nil {
					norm = make([]int, len(c.shape))
					for i := range norm {
						norm[i] = i
					}
				}
				norm = NormalizeAxes("test", c.shape, norm)
				for _, op := range ops {
					keepShape, want, _ := refReduce(x, norm, op.name)
					name := fmt.Sprintf("%s %s %s axes %v", d, op.name, ShapeString(c.shape), axes)
					checkExact(t, name+" keep", op.fn(x, axes, true), d, keepShape, want)
					checkExact(t, name, op.fn(x, axes, false), d, dropAxes(keepShape, norm), want)
				}
			}
			if !Equal(x, x0) {
				t.Fatal("a reduction modified its argument")
			}
		}
	}
}

func TestSumRealValues(t *testing.T) {
	// non-integer data: float64 agrees to rounding, float32 to its precision
	for _, d := range dtypes {
		tol := 1e-14
		if d == Float32 {
			tol = 1e-6
		}
		x := mk(d, reals(9, 30*40), 30, 40)
		for _, axes := range [][]int{nil, {0}, {1}} {
			norm := NormalizeAxes("test", x.Shape(), axes)
			keepShape, want, scale := refReduce(x, norm, "sum")
			checkClose(t, fmt.Sprintf("%s sum %v", d, axes), Sum(x, axes, true), keepShape, want, scale, tol)
		}
	}
}

func TestReductionsHandValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	x := New([]float64{
		1, nan, 3,
		-4, 5, -6,
	}, 2, 3)
	checkExact(t, "max rows", Max(x, []int{1}, false), Float64, []int{2}, []float64{nan, 5})
	checkExact(t, "min cols", Min(x, []int{0}, false), Float64, []int{3}, []float64{-4, nan, -6})
	checkExact(t, "max all", Max(x, nil, false), Float64, []int{}, []float64{nan})
	y := New([]float64{-inf, -inf, inf, inf}, 2, 2)
	checkExact(t, "max of -Inf", Max(y, []int{1}, false), Float64, []int{2}, []float64{-inf, inf})
	checkExact(t, "min of +Inf", Min(y, []int{1}, false), Float64, []int{2}, []float64{-inf, inf})
	checkExact(t, "sum float32", Sum(New32([]float32{1, 2, 3, 4}, 2, 2), []int{0}, true), Float32, []int{1, 2}, []float64{4, 6})
	if got := Sum(Arange(1, 101, 1), nil, false).Item(); got != 5050 {
		t.Errorf("Σ1..100 = %v, want 5050", got)
	}
	if got := Sum(Float32.Ones(1000, 10), nil, false).Item(); got != 10000 {
		t.Errorf("sum of 10000 float32 ones = %v", got)
	}
}

func TestReductionsOfEmpty(t *testing.T) {
	for _, d := range dtypes {
		checkExact(t, "sum empty", Sum(d.Zeros(0, 3), nil, false), d, []int{}, []float64{0})
		checkExact(t, "sum empty axis 0", Sum(d.Zeros(0, 3), []int{0}, false), d, []int{3}, []float64{0, 0, 0})
		checkExact(t, "sum empty axis 1", Sum(d.Zeros(0, 3), []int{1}, true), d, []int{0, 1}, nil)
		// an empty result is fine for max and min
		checkExact(t, "max (0,3) axis 1", Max(d.Zeros(0, 3), []int{1}, false), d, []int{0}, nil)
		checkExact(t, "min (3,0) axis 0", Min(d.Zeros(3, 0), []int{0}, true), d, []int{1, 0}, nil)
		// a non-empty result of an empty reduction is not
		checkPanic(t, "max all", ErrShape, "chainrule: max: reduction of empty shape (0,3)", func() { Max(d.Zeros(0, 3), nil, false) })
		checkPanic(t, "max axis 0", ErrShape, "chainrule: max: reduction of empty shape (0,3)", func() { Max(d.Zeros(0, 3), []int{0}, false) })
		checkPanic(t, "min axis 1", ErrShape, "chainrule: min: reduction of empty shape (2,0)", func() { Min(d.Zeros(2, 0), []int{-1}, true) })
	}
}

func TestReductionAxisPanics(t *testing.T) {
	x := Zeros(2, 3, 4)
	checkPanic(t, "sum", ErrAxis, "chainrule: sum: axis 3 out of range for shape (2,3,4)", func() { Sum(x, []int{3}, false) })
	checkPanic(t, "max", ErrAxis, "chainrule: max: axis -4 out of range for shape (2,3,4)", func() { Max(x, []int{-4}, false) })
	checkPanic(t, "min", ErrAxis, "chainrule: min: axis 5 out of range for shape (2,3,4)", func() { Min(x, []int{0, 5}, true) })
}

// refBroadcastTo fills shape from x through refIndex.
func refBroadcastTo(x *Tensor, shape []int) []float64 {
	xv := x.Float64s()
	out := make([]float64, prod(shape))
	for o := range out {
		out[o] = xv[refIndex(unravel(o, shape), x.Shape())]
	}
	return out
}

// refSumTo adds every element of x into the position of shape that
// broadcasting would have copied it from.
func refSumTo(x *Tensor, shape []int) []float64 {
	out := make([]float64, prod(shape))
	for f, v := range x.Float64s() {
		out[refIndex(unravel(f, x.Shape()), shape)] += v
	}
	return out
}

var broadcastPairs = []struct{ small, big []int }{
	{[]int{}, []int{2, 3}},
	{[]int{3}, []int{2, 3}},
	{[]int{2, 1}, []int{2, 3}},
	{[]int{1, 3}, []int{4, 2, 3}},
	{[]int{2, 1, 3}, []int{5, 2, 4, 3}},
	{[]int{2, 3}, []int{2, 3}},
	{[]int{1}, []int{0}},
	{[]int{1, 1}, []int{3, 1}},
}

func TestBroadcastTo(t *testing.T) {
	for _, d := range dtypes {
		for _, c := range broadcastPairs {
			x := mk(d, reals(3, prod(c.small)), c.small...)
			got := BroadcastTo(x, c.big)
			checkExact(t, "BroadcastTo "+ShapeString(c.small)+" to "+ShapeString(c.big), got, d, c.big, refBroadcastTo(x, c.big))
			if got.Size() > 0 {
				got.SetFlat(0, 99)
				if x.Size() > 0 && x.AtFlat(0) == 99 {
					t.Error("BroadcastTo shares data with its argument")
				}
			}
		}
		x := d.Zeros(2, 3)
		checkPanic(t, "smaller", ErrShape, "chainrule: broadcast_to: cannot broadcast (2,3) to (3)", func() { BroadcastTo(x, []int{3}) })
		checkPanic(t, "incompatible", ErrShape, "chainrule: broadcast_to: cannot broadcast (2,3) to (4,3)", func() { BroadcastTo(x, []int{4, 3}) })
		checkPanic(t, "negative", ErrShape, "chainrule: broadcast_to: negative dimension in shape (-1)", func() { BroadcastTo(d.Zeros(1), []int{-1}) })
	}
}

func TestSumTo(t *testing.T) {
	for _, d := range dtypes {
		for _, c := range broadcastPairs {
			y := mk(d, ints(4, prod(c.big)), c.big...)
			checkExact(t, "SumTo "+ShapeString(c.big)+" to "+ShapeString(c.small), SumTo(y, c.small), d, c.small, refSumTo(y, c.small))
		}
		y := d.Ones(2, 3)
		if SumTo(y, []int{2, 3}) != y {
			t.Error("SumTo to the same shape did not return its argument")
		}
		checkPanic(t, "bigger", ErrShape, "chainrule: sum_to: cannot sum (2,3) down to (4,3)", func() { SumTo(y, []int{4, 3}) })
		checkPanic(t, "rank", ErrShape, "chainrule: sum_to: cannot sum (3) down to (2,3)", func() { SumTo(d.Ones(3), []int{2, 3}) })
		checkPanic(t, "incompatible", ErrShape, "chainrule: sum_to: cannot sum (2,3) down to (2)", func() { SumTo(y, []int{2}) })
	}
}

func TestSumToIsAdjointOfBroadcastTo(t *testing.T) {
	// ⟨BroadcastTo(x), y⟩ = ⟨x, SumTo(y)⟩ for every x and y
	dot := func(a, b *Tensor) float64 {
		s := 0.0
		for i, v := range a.Float64s() {
			s += v * b.AtFlat(i)
		}
		return s
	}
	for i, c := range broadcastPairs {
		x := New(reals(uint64(20+i), prod(c.small)), c.small...)
		y := New(reals(uint64(40+i), prod(c.big)), c.big...)
		lhs, rhs := dot(BroadcastTo(x, c.big), y), dot(x, SumTo(y, c.small))
		if math.Abs(lhs-rhs) > 1e-12*float64(1+y.Size()) {
			t.Errorf("%s to %s: ⟨Bx,y⟩ = %v but ⟨x,Sy⟩ = %v", ShapeString(c.small), ShapeString(c.big), lhs, rhs)
		}
	}
}

// slowSum is the general reduction loop that Sum used before its fast
// paths, kept as their reference: every element of x, in row-major order,
// added in x's precision into the output position of its multi-index with
// the reduced coordinates zeroed.
func slowSum(x *Tensor, axes []int) (keepShape []int, out []float64) {
	shape := x.Shape()
	keepShape = ReducedShape(shape, axes, true)
	out = make([]float64, prod(keepShape))
	out32 := make([]float32, len(out))
	vals := x.Float64s()
	for f, v := range vals {
		idx := unravel(f, shape)
		for _, a := range axes {
			idx[a] = 0
		}
		o := ravel(idx, keepShape)
		if x.DType() == Float32 {
			out32[o] += float32(v)
		} else {
			out[o] += v
		}
	}
	if x.DType() == Float32 {
		for i, v := range out32 {
			out[i] = float64(v)
		}
	}
	return keepShape, out
}

func TestReduceFastPaths(t *testing.T) {
	// sums over leading or middle axes add rows whole, in blocks of rows
	// when there are more than 2¹⁵ elements: with one block (exact) they
	// add each element's terms in the same order as the general loop,
	// equal bit for bit; with more, and sums over trailing axes (eight
	// lanes), they are equal to rounding. Odd sizes, size-1 axes, negative axes and sizes
	// large enough to split across the cores.
	for _, d := range dtypes {
		tol := 1e-14
		if d == Float32 {
			tol = 2e-6
		}
		for _, c := range []struct {
			shape []int
			axes  []int
			exact bool
		}{
			{[]int{1024, 256}, []int{0}, false},
			{[]int{8, 128, 1024}, []int{0, 1}, false},
			{[]int{8, 128, 1024}, []int{-3, -2}, false},
			{[]int{37, 19}, []int{0}, true},
			{[]int{3, 1, 41, 7}, []int{1, 2}, true},
			{[]int{5, 300, 129}, []int{1}, false},
			{[]int{5, 100, 129}, []int{1}, true},
			{[]int{40, 300, 17}, []int{1}, true}, // enough outer rows: one block each
			{[]int{4, 1, 2000, 1, 17}, []int{2, 3}, false},
			{[]int{1, 3, 100001, 2}, []int{2}, false},
			{[]int{1, 5000, 3}, []int{0, 1}, true},
			{[]int{300, 129}, []int{1}, false},
			{[]int{300, 129}, []int{-1}, false},
			{[]int{6, 7, 33, 70}, []int{2, 3}, false},
			{[]int{3, 70001}, []int{1}, false},
			{[]int{2000, 1, 31, 1}, []int{2, 3}, false},
			{[]int{9, 4, 3}, []int{0, 2}, false}, // the per-channel path
			{[]int{64, 6, 3000}, []int{0, 2}, false},
		} {
			x := mk(d, reals(uint64(len(c.shape)*7+c.shape[0]), prod(c.shape)), c.shape...)
			norm := NormalizeAxes("test", x.Shape(), c.axes)
			keepShape, slow := slowSum(x, norm)
			_, want, scale := refReduce(x, norm, "sum")
			for _, keep := range []bool{true, false} {
				name := fmt.Sprintf("%s sum %v over %v keep %v", d, c.shape, c.axes, keep)
				got := Sum(x, c.axes, keep)
				if !keep {
					got = got.Reshape(keepShape...)
				}
				if c.exact {
					checkExact(t, name, got, d, keepShape, slow)
				}
				checkClose(t, name, got, keepShape, want, scale, tol)
			}
			// max and min take the same paths: exact, NaN propagating
			xn := x.Clone()
			xn.SetFlat(xn.Size()/3, math.NaN())
			for _, xx := range []*Tensor{x, xn} {
				for _, r := range []struct {
					kind string
					f    func(*Tensor, []int, bool) *Tensor
				}{{"max", Max}, {"min", Min}} {
					_, want, _ := refReduce(xx, norm, r.kind)
					checkExact(t, fmt.Sprintf("%s %s %v over %v", d, r.kind, c.shape, c.axes), r.f(xx, c.axes, true), d, keepShape, want)
				}
			}
		}
	}
}
