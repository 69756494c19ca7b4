package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestNormalizeAxis(t *testing.T) {
	shape := []int{2, 3, 4}
	for axis, want := range map[int]int{0: 0, 2: 2, -1: 2, -3: 0, 1: 1} {
		if got := NormalizeAxis("op", shape, axis); got != want {
			t.Errorf("NormalizeAxis(%d) = %d, want %d", axis, got, want)
		}
	}
	checkPanic(t, "3", ErrAxis, "chainrule: softmax: axis 3 out of range for shape (2,3,4)", func() { NormalizeAxis("softmax", shape, 3) })
	checkPanic(t, "-4", ErrAxis, "chainrule: softmax: axis -4 out of range for shape (2,3,4)", func() { NormalizeAxis("softmax", shape, -4) })
	checkPanic(t, "scalar", ErrAxis, "chainrule: op: axis 0 out of range for shape ()", func() { NormalizeAxis("op", nil, 0) })
}

func TestTransposeChecksPerm(t *testing.T) {
	x := Zeros(2, 3, 4)
	for _, p := range [][]int{{0, 1, 2}, {2, 0, 1}, {1, 2, 0}} {
		checkNoPanic(t, fmt.Sprint("Transpose ", p), func() { Transpose(x, p...) })
	}
	checkNoPanic(t, "Transpose scalar", func() { Transpose(Scalar(1)) })
	for _, p := range [][]int{{0, 0, 1}, {0, 1}, {0, 1, 2, 3}, {0, 1, 3}, {-1, 0, 1}} {
		msg := fmt.Sprintf("chainrule: transpose: %v is not a permutation of the axes of shape (2,3,4)", p)
		checkPanic(t, fmt.Sprint("Transpose ", p), ErrAxis, msg, func() { Transpose(x, p...) })
	}
}

// permutations returns every permutation of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

// refTranspose reads out[j] = x[i] with i[perm[k]] = j[k].
func refTranspose(x *Tensor, perm []int) ([]int, []float64) {
	in := x.Shape()
	shape := make([]int, len(perm))
	for k, p := range perm {
		shape[k] = in[p]
	}
	xv := x.Float64s()
	out := make([]float64, prod(shape))
	for o := range out {
		j := unravel(o, shape)
		i := make([]int, len(in))
		for k, p := range perm {
			i[p] = j[k]
		}
		out[o] = xv[ravel(i, in)]
	}
	return shape, out
}

func TestTranspose(t *testing.T) {
	// hand-computed
	m := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	checkExact(t, "matrix", Transpose(m), Float64, []int{3, 2}, []float64{1, 4, 2, 5, 3, 6})
	if len(permutations(4)) != 24 {
		t.Fatal("permutations(4) is wrong")
	}
	for _, d := range dtypes {
		// the last two are large enough to split across the cores (in
		// rows that need not start at an axis boundary)
		for _, shape := range [][]int{{5}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}, {0, 3}, {3, 4, 1, 2}, {6, 50, 3, 41}, {7, 1, 45, 1, 109}} {
			x := mk(d, reals(uint64(len(shape)), prod(shape)), shape...)
			x0 := x.Clone()
			for _, p := range permutations(len(shape)) {
				want, vals := refTranspose(x, p)
				checkExact(t, fmt.Sprintf("%s Transpose %s %v", d, ShapeString(shape), p), Transpose(x, p...), d, want, vals)
			}
			rev := make([]int, len(shape))
			for i := range rev {
				rev[i] = len(shape) - 1 - i
			}
			want, vals := refTranspose(x, rev)
			checkExact(t, "Transpose default", Transpose(x), d, want, vals)
			if !Equal(x, x0) {
				t.Fatal("Transpose modified its argument")
			}
		}
		// matrix transposes in tiles, the sides not multiples of the tile
		// and several matrices
		for _, c := range []struct{ shape, perm []int }{
			{[]int{3, 130, 70}, []int{0, 2, 1}},
			{[]int{64, 200}, []int{1, 0}},
			{[]int{2, 97, 3, 65}, []int{0, 2, 3, 1}},
			{[]int{65, 2, 66}, []int{2, 1, 0}},
		} {
			x := mk(d, reals(9, prod(c.shape)), c.shape...)
			want, vals := refTranspose(x, c.perm)
			checkExact(t, fmt.Sprintf("%s Transpose %v %v", d, c.shape, c.perm), Transpose(x, c.perm...), d, want, vals)
		}
		// the heads' split in attention, contiguous runs of 64
		x := mk(d, reals(7, 8*128*4*64), 8, 128, 4, 64)
		want, vals := refTranspose(x, []int{0, 2, 1, 3})
		checkExact(t, "Transpose heads", Transpose(x, 0, 2, 1, 3), d, want, vals)
		s := d.Scalar(3)
		ts := Transpose(s)
		checkExact(t, "Transpose scalar", ts, d, []int{}, []float64{3})
		ts.SetFlat(0, 4)
		if s.Item() != 3 {
			t.Error("Transpose of a scalar shares data")
		}
		checkPanic(t, "Transpose perm", ErrAxis, "chainrule: transpose: [0 0] is not a permutation of the axes of shape (2,3)", func() { Transpose(d.Zeros(2, 3), 0, 0) })
		checkPanic(t, "Transpose length", ErrAxis, "chainrule: transpose: [1 0] is not a permutation of the axes of shape (2,3,4)", func() { Transpose(d.Zeros(2, 3, 4), 1, 0) })
	}
}

// refSlice reads out[i] = x[i with i[axis] shifted by start].
func refSlice(x *Tensor, axis, start, stop int) ([]int, []float64) {
	shape := slices.Clone(x.Shape())
	shape[axis] = stop - start
	xv := x.Float64s()
	out := make([]float64, prod(shape))
	for o := range out {
		i := unravel(o, shape)
		i[axis] += start
		out[o] = xv[ravel(i, x.Shape())]
	}
	return shape, out
}

// refPad writes x into zeros at an offset of before along axis.
func refPad(x *Tensor, axis, before, after int) ([]int, []float64) {
	shape := slices.Clone(x.Shape())
	shape[axis] += before + after
	out := make([]float64, prod(shape))
	for f, v := range x.Float64s() {
		i := unravel(f, x.Shape())
		i[axis] += before
		out[ravel(i, shape)] = v
	}
	return shape, out
}

// TestSliceViews: a slice contiguous in its argument shares the storage
// (NumPy's basic slicing), any other is a copy; Storage tells them apart.
func TestSliceViews(t *testing.T) {
	for _, d := range dtypes {
		x := mk(d, reals(3, 24), 1, 4, 6)
		for _, c := range []struct {
			axis, start, stop int
			view              bool
		}{{1, 1, 3, true}, {1, 0, 4, true}, {1, 2, 4, true}, {0, 0, 1, true}, {2, 1, 5, false}} {
			v := Slice(x, c.axis, c.start, c.stop)
			want, vals := refSlice(x, c.axis, c.start, c.stop)
			checkExact(t, fmt.Sprintf("%s slice %v", d, c), v, d, want, vals)
			if shared := v.Storage() == x.Storage(); shared != c.view {
				t.Errorf("%s slice %v: shares storage %v, want %v", d, c, shared, c.view)
			}
			if c.view { // a write to the base shows through the view
				x.SetFlat(c.start*6, 42)
				if v.AtFlat(0) != 42 {
					t.Errorf("%s slice %v: not a view of its base", d, c)
				}
			}
		}
		if Slice(x, 1, 2, 2).Storage() != nil {
			t.Errorf("%s: an empty slice has storage", d)
		}
	}
}

func TestSliceAndPad(t *testing.T) {
	m := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	checkExact(t, "hand slice", Slice(m, 1, 1, 3), Float64, []int{2, 2}, []float64{2, 3, 5, 6})
	checkExact(t, "hand pad", Pad(m, 0, 1, 0), Float64, []int{3, 3}, []float64{0, 0, 0, 1, 2, 3, 4, 5, 6})

	shape := []int{3, 4, 5}
	for _, d := range dtypes {
		x := mk(d, reals(8, prod(shape)), shape...)
		x0 := x.Clone()
		for axis := -3; axis < 3; axis++ {
			a := (axis + 3) % 3
			n := shape[a]
			for start := 0; start <= n; start++ {
				for stop := start; stop <= n; stop++ {
					want, vals := refSlice(x, a, start, stop)
					checkExact(t, fmt.Sprintf("%s Slice axis %d [%d:%d]", d, axis, start, stop), Slice(x, axis, start, stop), d, want, vals)
				}
			}
			for _, pad := range [][2]int{{0, 0}, {1, 0}, {0, 2}, {3, 1}} {
				want, vals := refPad(x, a, pad[0], pad[1])
				p := Pad(x, axis, pad[0], pad[1])
				checkExact(t, fmt.Sprintf("%s Pad axis %d %v", d, axis, pad), p, d, want, vals)
				// Slice undoes Pad
				if back := Slice(p, axis, pad[0], pad[0]+n); !Equal(back, x) {
					t.Errorf("%s Slice(Pad(x)) != x on axis %d", d, axis)
				}
			}
		}
		if !Equal(x, x0) {
			t.Fatal("Slice or Pad modified its argument")
		}
		checkExact(t, "Pad empty", Pad(d.Zeros(0, 2), 0, 1, 1), d, []int{2, 2}, []float64{0, 0, 0, 0})

		checkPanic(t, "Slice axis", ErrAxis, "chainrule: slice: axis 3 out of range for shape (3,4,5)", func() { Slice(x, 3, 0, 1) })
		checkPanic(t, "Slice start", ErrIndex, "chainrule: slice: range [-1:2] out of bounds for axis 0 of shape (3,4,5)", func() { Slice(x, 0, -1, 2) })
		checkPanic(t, "Slice reversed", ErrIndex, "chainrule: slice: range [2:1] out of bounds for axis 1 of shape (3,4,5)", func() { Slice(x, 1, 2, 1) })
		checkPanic(t, "Slice stop", ErrIndex, "chainrule: slice: range [0:6] out of bounds for axis -1 of shape (3,4,5)", func() { Slice(x, -1, 0, 6) })
		checkPanic(t, "Pad axis", ErrAxis, "chainrule: pad: axis -4 out of range for shape (3,4,5)", func() { Pad(x, -4, 0, 0) })
		checkPanic(t, "Pad before", ErrArg, "chainrule: pad: negative padding -1, 0", func() { Pad(x, 0, -1, 0) })
		checkPanic(t, "Pad after", ErrArg, "chainrule: pad: negative padding 0, -2", func() { Pad(x, 0, 0, -2) })
	}
}

// refConcat finds, for each output position, which input it came from.
func refConcat(axis int, ts ...*Tensor) ([]int, []float64) {
	shape := slices.Clone(ts[0].Shape())
	shape[axis] = 0
	for _, x := range ts {
		shape[axis] += x.Shape()[axis]
	}
	out := make([]float64, prod(shape))
	for o := range out {
		i := unravel(o, shape)
		for _, x := range ts {
			if i[axis] < x.Shape()[axis] {
				out[o] = x.At(i...)
				break
			}
			i[axis] -= x.Shape()[axis]
		}
	}
	return shape, out
}

func TestConcat(t *testing.T) {
	a := New([]float64{1, 2, 3, 4}, 2, 2)
	b := New([]float64{5, 6}, 2, 1)
	checkExact(t, "hand", Concat(1, a, b), Float64, []int{2, 3}, []float64{1, 2, 5, 3, 4, 6})
	checkExact(t, "hand rows", Concat(0, a, Transpose(b)), Float64, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6})
	for _, d := range dtypes {
		for axis := -3; axis < 3; axis++ {
			ax := (axis + 3) % 3
			var ts []*Tensor
			for i, n := range []int{2, 0, 3, 1} {
				s := []int{2, 3, 4}
				s[ax] = n
				ts = append(ts, mk(d, reals(uint64(30+i), prod(s)), s...))
			}
			want, vals := refConcat(ax, ts...)
			checkExact(t, fmt.Sprintf("%s Concat axis %d", d, axis), Concat(axis, ts...), d, want, vals)
		}
		one := mk(d, []float64{1, 2}, 2)
		c := Concat(0, one)
		checkExact(t, "Concat one", c, d, []int{2}, []float64{1, 2})
		c.SetFlat(0, 7)
		if one.AtFlat(0) != 1 {
			t.Error("Concat of one tensor shares data")
		}
		x := d.Zeros(2, 3)
		checkPanic(t, "Concat off-axis", ErrShape, "chainrule: concat: shapes (2,3) and (2,4) do not match off axis 0", func() { Concat(0, x, d.Zeros(2, 4)) })
		checkPanic(t, "Concat rank", ErrShape, "chainrule: concat: shapes (2,3) and (3) do not match off axis -1", func() { Concat(-1, x, d.Zeros(3)) })
		checkPanic(t, "Concat axis", ErrAxis, "chainrule: concat: axis 2 out of range for shape (2,3)", func() { Concat(2, x, x) })
		checkPanic(t, "Concat scalar", ErrAxis, "chainrule: concat: axis 0 out of range for shape ()", func() { Concat(0, d.Scalar(1), d.Scalar(2)) })
	}
	checkPanic(t, "Concat none", ErrArg, "chainrule: concat: no tensors", func() { Concat(0) })
	checkPanic(t, "Concat dtype", ErrDType, "chainrule: concat: float64 (2,3) and float32 (2,3) need a conversion", func() { Concat(0, Zeros(2, 3), Float32.Zeros(2, 3)) })
}

func TestIndexShape(t *testing.T) {
	for _, c := range []struct {
		shape      []int
		axis, nidx int
		want       []int
	}{
		{[]int{2, 3, 4}, 1, 40, []int{2, 5, 4}},
		{[]int{2, 3, 4}, 0, 12, []int{1, 3, 4}},
		{[]int{2, 3, 4}, 2, 0, []int{2, 3, 0}},
		{[]int{5}, 0, 2, []int{2}},
		{[]int{0, 3}, 1, 0, []int{0, 0}},
	} {
		if got := indexShape("gather", c.shape, c.axis, c.nidx); !slices.Equal(got, c.want) {
			t.Errorf("indexShape(%v, %d, %d) = %v, want %v", c.shape, c.axis, c.nidx, got, c.want)
		}
	}
	checkPanic(t, "not a multiple", ErrShape, "chainrule: gather: 7 indices do not fit shape (2,3,4) along axis 1", func() { indexShape("gather", []int{2, 3, 4}, 1, 7) })
	checkPanic(t, "no lanes", ErrShape, "chainrule: gather: 3 indices do not fit shape (0,3) along axis 1", func() { indexShape("gather", []int{0, 3}, 1, 3) })
}

// refTakeAlong reads out[i] = x[i with i[axis] = idx[i]].
func refTakeAlong(x *Tensor, axis int, idx []int) ([]int, []float64) {
	shape := slices.Clone(x.Shape())
	lanes := prod(shape) / shape[axis]
	shape[axis] = len(idx) / lanes
	out := make([]float64, prod(shape))
	for o := range out {
		i := unravel(o, shape)
		j := idx[o]
		if j < 0 {
			j += x.Shape()[axis]
		}
		i[axis] = j
		out[o] = x.At(i...)
	}
	return shape, out
}

// refScatterAdd adds src[i] into out[i with i[axis] = idx[i]].
func refScatterAdd(src *Tensor, axis int, idx []int, shape []int) []float64 {
	out := make([]float64, prod(shape))
	for f, v := range src.Float64s() {
		i := unravel(f, src.Shape())
		j := idx[f]
		if j < 0 {
			j += shape[axis]
		}
		i[axis] = j
		out[ravel(i, shape)] += v
	}
	return out
}

func TestTakeAlongAndScatterAdd(t *testing.T) {
	// hand-computed: pick one column per row, then scatter back
	m := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	checkExact(t, "hand take", TakeAlong(m, 1, []int{2, 0}), Float64, []int{2, 1}, []float64{3, 4})
	checkExact(t, "hand take negative", TakeAlong(m, -1, []int{-1, -3, 1, 1}), Float64, []int{2, 2}, []float64{3, 1, 5, 5})
	checkExact(t, "hand scatter", ScatterAddAlong(New([]float64{10, 20, 30, 40}, 2, 2), 1, []int{2, 2, 0, -3}, []int{2, 3}),
		Float64, []int{2, 3}, []float64{0, 0, 30, 70, 0, 0})

	shape := []int{2, 3, 4}
	for _, d := range dtypes {
		x := mk(d, ints(50, prod(shape)), shape...)
		for axis := -3; axis < 3; axis++ {
			ax := (axis + 3) % 3
			n := shape[ax]
			for _, k := range []int{1, n, 5} {
				lanes := prod(shape) / n
				idx := ints(uint64(60+ax+k), lanes*k)
				for i := range idx {
					idx[i] = math.Mod(math.Abs(idx[i]), float64(2*n)) - float64(n) // in [-n, n)
				}
				iv := make([]int, len(idx))
				for i, v := range idx {
					iv[i] = int(v)
				}
				want, vals := refTakeAlong(x, ax, iv)
				name := fmt.Sprintf("%s axis %d k %d", d, axis, k)
				checkExact(t, "TakeAlong "+name, TakeAlong(x, axis, iv), d, want, vals)

				src := mk(d, ints(70, prod(want)), want...)
				checkExact(t, "ScatterAddAlong "+name, ScatterAddAlong(src, axis, iv, shape), d, shape, refScatterAdd(src, ax, iv, shape))
			}
		}
		checkPanic(t, "TakeAlong high", ErrIndex, "chainrule: take_along: index 3 out of range for axis of length 3", func() { TakeAlong(d.Zeros(2, 3), 1, []int{0, 3}) })
		checkPanic(t, "TakeAlong low", ErrIndex, "chainrule: take_along: index -4 out of range for axis of length 3", func() { TakeAlong(d.Zeros(2, 3), 1, []int{-4, 0}) })
		checkPanic(t, "TakeAlong count", ErrShape, "chainrule: take_along: 3 indices do not fit shape (2,3) along axis 1", func() { TakeAlong(d.Zeros(2, 3), 1, []int{0, 1, 2}) })
		checkPanic(t, "TakeAlong axis", ErrAxis, "chainrule: take_along: axis 2 out of range for shape (2,3)", func() { TakeAlong(d.Zeros(2, 3), 2, nil) })
		checkPanic(t, "ScatterAddAlong source", ErrShape, "chainrule: scatter_add: source (2,2) does not match indices for (2,3)", func() {
			ScatterAddAlong(d.Zeros(2, 2), 1, []int{0, 1}, []int{2, 3})
		})
		checkPanic(t, "ScatterAddAlong index", ErrIndex, "chainrule: scatter_add: index 2 out of range for axis of length 2", func() {
			ScatterAddAlong(d.Zeros(1, 3), 0, []int{0, 2, 1}, []int{2, 3})
		})
		checkPanic(t, "ScatterAddAlong axis", ErrAxis, "chainrule: scatter_add: axis -3 out of range for shape (2,3)", func() {
			ScatterAddAlong(d.Zeros(2, 3), -3, nil, []int{2, 3})
		})
		checkPanic(t, "ScatterAddAlong negative shape", ErrShape, "chainrule: scatter_add: negative dimension in shape (2,-3)", func() {
			ScatterAddAlong(d.Zeros(2, 3), 0, nil, []int{2, -3})
		})
	}
}

func TestScatterAddIsAdjointOfTakeAlong(t *testing.T) {
	// ⟨TakeAlong(x, idx), y⟩ = ⟨x, ScatterAddAlong(y, idx, shape(x))⟩
	x := New(reals(80, 24), 2, 3, 4)
	idx := []int{0, 2, 2, -1, 1, 0, 0, 0, 1, 2, -2, 2, 1, 1, 0, 2} // k = 2 along axis 1
	y := New(reals(81, 16), 2, 2, 4)
	lhs, rhs := 0.0, 0.0
	for i, v := range TakeAlong(x, 1, idx).Data() {
		lhs += v * y.AtFlat(i)
	}
	for i, v := range ScatterAddAlong(y, 1, idx, x.Shape()).Data() {
		rhs += v * x.AtFlat(i)
	}
	if math.Abs(lhs-rhs) > 1e-12 {
		t.Errorf("⟨Tx,y⟩ = %v but ⟨x,Sy⟩ = %v", lhs, rhs)
	}
}
