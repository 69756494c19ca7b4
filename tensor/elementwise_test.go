package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// bshapes are combined pairwise: many pairs broadcast, many do not.
var bshapes = [][]int{
	{}, {1}, {3}, {4}, {2, 3}, {2, 1}, {1, 3}, {4, 1, 3}, {4, 2, 3}, {2, 1, 3, 1},
	{1, 2, 1, 4}, {0}, {2, 0}, {0, 1}, {1, 1, 1},
}

// refBinary computes f over the broadcast of a and b element by element from
// multi-indices, rounding each result to the dtype of a.
func refBinary(a, b *Tensor, f func(x, y float64) float64) ([]int, []float64) {
	shape, ok := refBroadcastShape(a.Shape(), b.Shape())
	if !ok {
		panic("refBinary: shapes do not broadcast")
	}
	av, bv := a.Float64s(), b.Float64s()
	out := make([]float64, prod(shape))
	for o := range out {
		idx := unravel(o, shape)
		out[o] = round(a.DType(), f(av[refIndex(idx, a.Shape())], bv[refIndex(idx, b.Shape())]))
	}
	return shape, out
}

func TestBroadcastShapes(t *testing.T) {
	// hand-computed cases first
	for _, c := range []struct{ a, b, want []int }{
		{[]int{2, 3}, []int{3}, []int{2, 3}},
		{[]int{4, 1}, []int{1, 5}, []int{4, 5}},
		{[]int{8, 1, 6, 1}, []int{7, 1, 5}, []int{8, 7, 6, 5}},
		{[]int{}, []int{2, 2}, []int{2, 2}},
		{[]int{0}, []int{1}, []int{0}},
		{[]int{1}, []int{0}, []int{0}},
		{[]int{2, 0}, []int{1, 1, 1}, []int{1, 2, 0}},
	} {
		if got := BroadcastShapes("op", c.a, c.b); !slices.Equal(got, c.want) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	// then every pair against the reference
	for _, a := range bshapes {
		for _, b := range bshapes {
			want, ok := refBroadcastShape(a, b)
			if !ok {
				msg := fmt.Sprintf("chainrule: op: shapes %s and %s do not broadcast", ShapeString(a), ShapeString(b))
				checkPanic(t, "BroadcastShapes", ErrShape, msg, func() { BroadcastShapes("op", a, b) })
				continue
			}
			var got []int
			checkNoPanic(t, "BroadcastShapes", func() { got = BroadcastShapes("op", a, b) })
			if !slices.Equal(got, want) {
				t.Errorf("BroadcastShapes(%v, %v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func TestArithmeticBroadcasting(t *testing.T) {
	ops := []struct {
		name string
		fn   func(a, b *Tensor) *Tensor
		ref  func(x, y float64) float64
	}{
		{"add", Add, func(x, y float64) float64 { return x + y }},
		{"sub", Sub, func(x, y float64) float64 { return x - y }},
		{"mul", Mul, func(x, y float64) float64 { return x * y }},
		{"div", Div, func(x, y float64) float64 { return x / y }},
	}
	// Each float32 operation is computed in float64 and rounded: for + - * /
	// that gives exactly the float32 result.
	for _, d := range dtypes {
		for ia, sa := range bshapes {
			for ib, sb := range bshapes {
				a := mk(d, reals(uint64(100*ia+ib), prod(sa)), sa...)
				bv := reals(uint64(100*ib+ia+7), prod(sb))
				if len(bv) > 1 {
					bv[0] = 0 // division by zero gives ±Inf or NaN
				}
				b := mk(d, bv, sb...)
				a0, b0 := a.Clone(), b.Clone()
				_, ok := refBroadcastShape(sa, sb)
				for _, op := range ops {
					name := fmt.Sprintf("%s %s %s %s", d, op.name, ShapeString(sa), ShapeString(sb))
					if !ok {
						msg := fmt.Sprintf("chainrule: %s: shapes %s and %s do not broadcast", op.name, ShapeString(sa), ShapeString(sb))
						checkPanic(t, name, ErrShape, msg, func() { op.fn(a, b) })
						continue
					}
					shape, want := refBinary(a, b, op.ref)
					checkExact(t, name, op.fn(a, b), d, shape, want)
				}
				if !Equal(a, a0) || !Equal(b, b0) {
					t.Fatalf("%s: an operation modified its arguments", d)
				}
			}
		}
	}
}

func TestArithmeticHandValues(t *testing.T) {
	a := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	b := New([]float64{10, 20, 30}, 3)
	c := New([]float64{100, 200}, 2, 1)
	checkExact(t, "row", Add(a, b), Float64, []int{2, 3}, []float64{11, 22, 33, 14, 25, 36})
	checkExact(t, "column", Sub(a, c), Float64, []int{2, 3}, []float64{-99, -98, -97, -196, -195, -194})
	checkExact(t, "outer", Mul(b, c), Float64, []int{2, 3}, []float64{1000, 2000, 3000, 2000, 4000, 6000})
	checkExact(t, "scalar", Div(Scalar(1), New([]float64{2, 0, -0.5}, 3)), Float64, []int{3}, []float64{0.5, math.Inf(1), -2})
	checkExact(t, "0/0", Div(Scalar(0), Scalar(0)), Float64, []int{}, []float64{math.NaN()})
	// the result never aliases an argument
	s := Add(a, Scalar(0))
	s.SetFlat(0, -1)
	if a.AtFlat(0) != 1 {
		t.Error("Add(a, 0) shares data with a")
	}
}

func TestArithmeticDTypeMismatch(t *testing.T) {
	a, b := Zeros(2, 3), Float32.Zeros(3)
	for _, op := range []struct {
		name string
		fn   func(a, b *Tensor) *Tensor
	}{{"add", Add}, {"sub", Sub}, {"mul", Mul}, {"div", Div}} {
		checkPanic(t, op.name, ErrDType, "chainrule: "+op.name+": float64 (2,3) and float32 (3) need a conversion", func() { op.fn(a, b) })
	}
	checkPanic(t, "map2", ErrDType, "chainrule: hypot: float32 (3) and float64 (2,3) need a conversion", func() { Map2("hypot", b, a, math.Hypot) })
}

func TestMap(t *testing.T) {
	for _, d := range dtypes {
		x := mk(d, []float64{-1, 0, 0.5, 2, 3, 1e3}, 3, 2)
		x0 := x.Clone()
		got := Map(x, func(v float64) float64 { return v/3 + 1 })
		want := make([]float64, 6)
		for i, v := range x.Float64s() {
			want[i] = round(d, v/3+1)
		}
		checkExact(t, "Map", got, d, []int{3, 2}, want)
		if !Equal(x, x0) {
			t.Error("Map modified its argument")
		}
		checkExact(t, "Map scalar", Map(d.Scalar(4), math.Sqrt), d, []int{}, []float64{2})
		checkExact(t, "Map empty", Map(d.Zeros(0, 2), math.Sqrt), d, []int{0, 2}, nil)
	}
}

func TestMap2(t *testing.T) {
	for _, d := range dtypes {
		a := mk(d, reals(1, 6), 2, 3)
		b := mk(d, reals(2, 2), 2, 1)
		shape, want := refBinary(a, b, math.Hypot)
		checkExact(t, "Map2 hypot", Map2("hypot", a, b, math.Hypot), d, shape, want)
		shape, want = refBinary(b, a, math.Atan2)
		checkExact(t, "Map2 atan2", Map2("atan2", b, a, math.Atan2), d, shape, want)
		checkPanic(t, "Map2 shapes", ErrShape, "chainrule: hypot: shapes (2,3) and (2) do not broadcast", func() { Map2("hypot", a, d.Zeros(2), math.Hypot) })
	}
}

// refWhere picks elementwise over the broadcast of three shapes.
func refWhere(cond, a, b *Tensor) ([]int, []float64) {
	s1, ok1 := refBroadcastShape(cond.Shape(), a.Shape())
	shape, ok2 := refBroadcastShape(s1, b.Shape())
	if !ok1 || !ok2 {
		panic("refWhere: shapes do not broadcast")
	}
	cv, av, bv := cond.Float64s(), a.Float64s(), b.Float64s()
	out := make([]float64, prod(shape))
	for o := range out {
		idx := unravel(o, shape)
		if c := cv[refIndex(idx, cond.Shape())]; c != 0 {
			out[o] = av[refIndex(idx, a.Shape())]
		} else {
			out[o] = bv[refIndex(idx, b.Shape())]
		}
	}
	return shape, out
}

func TestWhere(t *testing.T) {
	nan := math.NaN()
	for _, d := range dtypes {
		// hand-computed: NaN in the unselected branch must not leak, NaN in
		// cond counts as true
		cond := mk(d, []float64{1, 0, nan, -2}, 4)
		a := mk(d, []float64{10, nan, 30, 40}, 4)
		b := mk(d, []float64{nan, 2, 3, 4}, 4)
		checkExact(t, "Where hand", Where(cond, a, b), d, []int{4}, []float64{10, 2, 30, 40})

		for _, c := range []struct{ cs, as, bs []int }{
			{[]int{2, 1, 3}, []int{4, 1}, []int{}},
			{[]int{3}, []int{2, 3}, []int{2, 1}},
			{[]int{}, []int{2, 2}, []int{2}},
			{[]int{2, 3}, []int{2, 3}, []int{2, 3}},
			{[]int{1, 4}, []int{3, 1}, []int{2, 1, 1}},
		} {
			cv := ints(5, prod(c.cs))
			for i := range cv {
				cv[i] = float64(int(cv[i]) % 2) // about half zero
			}
			cond := mk(d, cv, c.cs...)
			a := mk(d, reals(6, prod(c.as)), c.as...)
			b := mk(d, reals(7, prod(c.bs)), c.bs...)
			shape, want := refWhere(cond, a, b)
			checkExact(t, "Where "+ShapeString(c.cs), Where(cond, a, b), d, shape, want)
		}
	}
	checkPanic(t, "Where a b dtype", ErrDType, "chainrule: where: float64 (2) and float32 (2) need a conversion", func() { Where(Zeros(2), Zeros(2), Float32.Zeros(2)) })
	checkPanic(t, "Where cond dtype", ErrDType, "chainrule: where: float32 (2) and float64 (2) need a conversion", func() { Where(Float32.Zeros(2), Zeros(2), Zeros(2)) })
	checkPanic(t, "Where cond shape", ErrShape, "chainrule: where: shapes (3) and (2) do not broadcast", func() { Where(Zeros(3), Zeros(2), Zeros(2)) })
	checkPanic(t, "Where b shape", ErrShape, "chainrule: where: shapes (2,2) and (3) do not broadcast", func() { Where(Zeros(2, 1), Zeros(2), Zeros(3)) })
}

func TestAddScaledInPlace(t *testing.T) {
	for _, d := range dtypes {
		// -0.5 scales exactly in both dtypes, so each element has one
		// rounding (the sum), as the float64 reference rounded to d has
		for _, c := range []struct{ xs, bs []int }{{[]int{2, 3}, []int{3}}, {[]int{2, 3}, []int{2, 3}}, {[]int{3, 1 << 17}, []int{3, 1 << 17}}} {
			x := mk(d, reals(13, prod(c.xs)), c.xs...)
			b := mk(d, reals(14, prod(c.bs)), c.bs...)
			shape, want := refBinary(x, b, func(p, q float64) float64 { return p - 0.5*q })
			if got := x.AddScaledInPlace(-0.5, b); got != x {
				t.Errorf("AddScaledInPlace did not return its receiver")
			}
			checkExact(t, "AddScaledInPlace "+ShapeString(c.xs)+" "+ShapeString(c.bs), x, d, shape, want)
		}
		checkPanic(t, "AddScaledInPlace grows", ErrShape, "chainrule: add_scaled: shape (2,3) does not broadcast into (3)", func() { d.Zeros(3).AddScaledInPlace(2, d.Zeros(2, 3)) })
	}
	checkPanic(t, "AddScaledInPlace dtype", ErrDType, "chainrule: add_scaled: float64 (3) and float32 (3) need a conversion", func() { Zeros(3).AddScaledInPlace(2, Float32.Zeros(3)) })
}

func TestAddInPlace(t *testing.T) {
	for _, d := range dtypes {
		for _, bs := range [][]int{{}, {3}, {1, 3}, {2, 1}, {2, 3}, {1, 1}} {
			x := mk(d, reals(11, 6), 2, 3)
			b := mk(d, reals(12, prod(bs)), bs...)
			b0 := b.Clone()
			shape, want := refBinary(x, b, func(p, q float64) float64 { return p + q })
			got := x.AddInPlace(b)
			if got != x {
				t.Errorf("AddInPlace did not return its receiver")
			}
			checkExact(t, "AddInPlace "+ShapeString(bs), x, d, shape, want)
			if !Equal(b, b0) {
				t.Error("AddInPlace modified its argument")
			}
		}
		s := d.Scalar(1)
		s.AddInPlace(d.Scalar(2))
		checkExact(t, "AddInPlace scalar", s, d, []int{}, []float64{3})
		e := d.Zeros(0, 3)
		checkNoPanic(t, "AddInPlace empty", func() { e.AddInPlace(d.Ones(3)) })

		x := d.Zeros(3)
		checkPanic(t, "AddInPlace grows", ErrShape, "chainrule: add: shape (2,3) does not broadcast into (3)", func() { x.AddInPlace(d.Zeros(2, 3)) })
		checkPanic(t, "AddInPlace rank", ErrShape, "chainrule: add: shape (1,3) does not broadcast into (3)", func() { x.AddInPlace(d.Zeros(1, 3)) })
		checkPanic(t, "AddInPlace mismatch", ErrShape, "chainrule: add: shape (4) does not broadcast into (2,3)", func() { d.Zeros(2, 3).AddInPlace(d.Zeros(4)) })
	}
	checkPanic(t, "AddInPlace dtype", ErrDType, "chainrule: add: float64 (3) and float32 (3) need a conversion", func() { Zeros(3).AddInPlace(Float32.Zeros(3)) })
}

// BenchmarkWhere times a masked fill as causal attention does it: a
// (seq, seq) mask broadcast over (batch·heads, seq, seq) float32 scores.
func BenchmarkWhere(b *testing.B) {
	const bh, seq = 64, 64
	mask := Float32.Zeros(seq, seq)
	for i := 0; i < seq; i++ {
		for j := 0; j <= i; j++ {
			mask.SetFlat(i*seq+j, 1)
		}
	}
	scores := Float32.Zeros(bh, seq, seq)
	fill := Float32.Full(float64(float32(-1e30)))
	b.SetBytes(int64(4 * bh * seq * seq))
	for b.Loop() {
		Where(mask, scores, fill)
	}
}
