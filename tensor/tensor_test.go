package tensor

import (
	"math"
	"slices"
	"testing"
)

func TestNewAndAccessors(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6}
	shape := []int{2, 3}
	x := New(data, shape...)
	shape[0] = 99 // New must have copied the shape
	if !slices.Equal(x.Shape(), []int{2, 3}) || x.Rank() != 2 || x.Size() != 6 || x.DType() != Float64 {
		t.Fatalf("New: shape %v rank %d size %d dtype %s", x.Shape(), x.Rank(), x.Size(), x.DType())
	}
	// row-major: element (i,j) is data[3i+j]
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			if got := x.At(i, j); got != data[3*i+j] {
				t.Errorf("At(%d,%d) = %v, want %v", i, j, got, data[3*i+j])
			}
		}
	}
	// New takes ownership: Data is the same slice
	data[4] = -7
	if x.At(1, 1) != -7 || &x.Data()[0] != &data[0] {
		t.Error("New copied its data; it should take ownership")
	}

	s := New([]float64{2.5})
	if s.Rank() != 0 || s.Size() != 1 || len(s.Shape()) != 0 || s.Item() != 2.5 || s.At() != 2.5 {
		t.Errorf("New scalar: rank %d size %d item %v", s.Rank(), s.Size(), s.Item())
	}

	d32 := []float32{0.5, 1.5, -2}
	y := New32(d32, 3, 1)
	if y.DType() != Float32 || !slices.Equal(y.Shape(), []int{3, 1}) || y.At(2, 0) != -2 {
		t.Errorf("New32: dtype %s shape %v", y.DType(), y.Shape())
	}
	d32[0] = 9
	if y.At(0, 0) != 9 || &y.Data32()[0] != &d32[0] {
		t.Error("New32 copied its data; it should take ownership")
	}

	e := New(nil, 0, 4)
	if e.Size() != 0 || !slices.Equal(e.Shape(), []int{0, 4}) {
		t.Errorf("New(nil, 0, 4): size %d shape %v", e.Size(), e.Shape())
	}
}

func TestNewPanics(t *testing.T) {
	checkPanic(t, "New short", ErrShape, "chainrule: new: 5 values do not fill shape (2,3)", func() { New(make([]float64, 5), 2, 3) })
	checkPanic(t, "New scalar", ErrShape, "chainrule: new: 2 values do not fill shape ()", func() { New([]float64{1, 2}) })
	checkPanic(t, "New negative", ErrShape, "chainrule: new: negative dimension in shape (2,-3)", func() { New(nil, 2, -3) })
	checkPanic(t, "New32 long", ErrShape, "chainrule: new: 3 values do not fill shape (2)", func() { New32(make([]float32, 3), 2) })
	checkPanic(t, "New32 negative", ErrShape, "chainrule: new: negative dimension in shape (-1)", func() { New32(nil, -1) })
}

func TestScalar(t *testing.T) {
	s := Scalar(-3.25)
	if s.Rank() != 0 || s.DType() != Float64 || s.Item() != -3.25 {
		t.Errorf("Scalar: rank %d dtype %s item %v", s.Rank(), s.DType(), s.Item())
	}
	if v := Float64.Scalar(0.1).Item(); v != 0.1 {
		t.Errorf("Float64.Scalar(0.1) = %v", v)
	}
	f := Float32.Scalar(0.1)
	if f.DType() != Float32 || f.Rank() != 0 || f.Item() != float64(float32(0.1)) {
		t.Errorf("Float32.Scalar(0.1): dtype %s rank %d item %v", f.DType(), f.Rank(), f.Item())
	}
	// scalars made separately do not share storage
	a, b := Scalar(1), Scalar(2)
	a.SetFlat(0, 5)
	if b.Item() != 2 || a.Item() != 5 {
		t.Errorf("scalars share storage: a %v b %v", a.Item(), b.Item())
	}
}

func TestDTypeString(t *testing.T) {
	for d, want := range map[DType]string{Float64: "float64", Float32: "float32", DType(7): "DType(7)"} {
		if got := d.String(); got != want {
			t.Errorf("DType(%d).String() = %q, want %q", uint8(d), got, want)
		}
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  int
	}{{nil, 1}, {[]int{}, 1}, {[]int{7}, 7}, {[]int{2, 3, 4}, 24}, {[]int{0, 5}, 0}, {[]int{5, 1, 0}, 0}} {
		if got := Size(c.shape); got != c.want {
			t.Errorf("Size(%v) = %d, want %d", c.shape, got, c.want)
		}
	}
}

func TestFilledConstructors(t *testing.T) {
	shape := []int{2, 3}
	fill := func(v float64) []float64 {
		out := make([]float64, 6)
		for i := range out {
			out[i] = v
		}
		return out
	}
	for _, d := range dtypes {
		checkExact(t, d.String()+" Zeros", d.Zeros(shape...), d, shape, fill(0))
		checkExact(t, d.String()+" Ones", d.Ones(shape...), d, shape, fill(1))
		checkExact(t, d.String()+" Full", d.Full(0.1, shape...), d, shape, fill(round(d, 0.1)))
		checkExact(t, d.String()+" Empty", Empty(d, []int{2, 3}), d, shape, fill(0))
		checkExact(t, d.String()+" Zeros scalar", d.Zeros(), d, []int{}, []float64{0})
		checkExact(t, d.String()+" Ones empty", d.Ones(0, 3), d, []int{0, 3}, nil)
	}
	checkExact(t, "Zeros", Zeros(shape...), Float64, shape, fill(0))
	checkExact(t, "Ones", Ones(shape...), Float64, shape, fill(1))
	checkExact(t, "Full", Full(-2, shape...), Float64, shape, fill(-2))
	checkExact(t, "Full scalar", Full(4), Float64, []int{}, []float64{4})

	// the variadic constructors copy the shape; Empty takes ownership
	sh := []int{4}
	z := Zeros(sh...)
	sh[0] = 1
	if z.Shape()[0] != 4 {
		t.Error("Zeros kept the caller's shape slice")
	}
	own := []int{2, 2}
	if e := Empty(Float64, own); &e.Shape()[0] != &own[0] {
		t.Error("Empty copied its shape; it should take ownership")
	}

	for _, d := range dtypes {
		checkPanic(t, "Zeros", ErrShape, "chainrule: zeros: negative dimension in shape (2,-1)", func() { d.Zeros(2, -1) })
		checkPanic(t, "Full", ErrShape, "chainrule: full: negative dimension in shape (-2)", func() { d.Full(1, -2) })
		checkPanic(t, "Ones", ErrShape, "chainrule: ones: negative dimension in shape (-2)", func() { d.Ones(-2) })
		checkPanic(t, "Empty", ErrShape, "chainrule: empty: negative dimension in shape (3,-1)", func() { Empty(d, []int{3, -1}) })
	}
	checkPanic(t, "package Zeros", ErrShape, "chainrule: zeros: negative dimension in shape (-1)", func() { Zeros(-1) })
	checkPanic(t, "package Ones", ErrShape, "chainrule: ones: negative dimension in shape (-1)", func() { Ones(-1) })
	checkPanic(t, "package Full", ErrShape, "chainrule: full: negative dimension in shape (-1)", func() { Full(3, -1) })
}

func TestArange(t *testing.T) {
	cases := []struct {
		start, stop, step float64
		want              []float64
	}{
		{0, 5, 1, []float64{0, 1, 2, 3, 4}},
		{1, 2, 0.25, []float64{1, 1.25, 1.5, 1.75}},
		{5, 0, -2, []float64{5, 3, 1}},
		{0, 0, 1, []float64{}},
		{3, 0, 1, []float64{}},
		{0, 3, -1, []float64{}},
		{-1, 1.5, 1, []float64{-1, 0, 1}}, // ceil(2.5) = 3 elements
		{0, 1, 0.1, []float64{0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9}},
	}
	for _, c := range cases {
		for _, d := range dtypes {
			want := make([]float64, len(c.want))
			for i, v := range c.want {
				want[i] = round(d, v)
			}
			checkExact(t, "Arange", d.Arange(c.start, c.stop, c.step), d, []int{len(want)}, want)
		}
		checkExact(t, "package Arange", Arange(c.start, c.stop, c.step), Float64, []int{len(c.want)}, c.want)
	}
	inf, nan := math.Inf(1), math.NaN()
	for _, d := range dtypes {
		checkPanic(t, "step 0", ErrArg, "chainrule: arange: step 0", func() { d.Arange(0, 1, 0) })
		checkPanic(t, "step NaN", ErrArg, "chainrule: arange: step NaN", func() { d.Arange(0, 1, nan) })
		checkPanic(t, "step Inf", ErrArg, "chainrule: arange: step +Inf", func() { d.Arange(0, 1, inf) })
		checkPanic(t, "start NaN", ErrArg, "chainrule: arange: bounds NaN and 1", func() { d.Arange(nan, 1, 1) })
		checkPanic(t, "stop Inf", ErrArg, "chainrule: arange: bounds 0 and +Inf", func() { d.Arange(0, inf, 1) })
		checkPanic(t, "stop -Inf", ErrArg, "chainrule: arange: bounds 0 and -Inf", func() { d.Arange(0, -inf, -1) })
		checkPanic(t, "too long", ErrArg, "chainrule: arange: range 0 to 1e+300 by 1 has too many elements", func() { d.Arange(0, 1e300, 1) })
	}
	checkPanic(t, "package step 0", ErrArg, "chainrule: arange: step 0", func() { Arange(0, 1, 0) })
}

func TestEye(t *testing.T) {
	for _, d := range dtypes {
		for n := 0; n <= 4; n++ {
			want := make([]float64, n*n)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					if i == j {
						want[i*n+j] = 1
					}
				}
			}
			checkExact(t, "Eye", d.Eye(n), d, []int{n, n}, want)
		}
		checkPanic(t, "Eye", ErrShape, "chainrule: eye: negative dimension in shape (-1)", func() { d.Eye(-1) })
	}
	checkExact(t, "package Eye", Eye(2), Float64, []int{2, 2}, []float64{1, 0, 0, 1})
	checkPanic(t, "package Eye", ErrShape, "chainrule: eye: negative dimension in shape (-3)", func() { Eye(-3) })
}

func meanVar(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x))
}

func TestRandN(t *testing.T) {
	a := RandN(seeded(7), 100, 200)
	if !slices.Equal(a.Shape(), []int{100, 200}) || a.DType() != Float64 {
		t.Fatalf("RandN: shape %v dtype %s", a.Shape(), a.DType())
	}
	if !Equal(a, RandN(seeded(7), 100, 200)) {
		t.Error("RandN with equal seeds differs")
	}
	if Equal(a, RandN(seeded(8), 100, 200)) {
		t.Error("RandN with different seeds is equal")
	}
	// 20000 samples: the standard error of the mean is 0.007, of the variance 0.01
	m, v := meanVar(a.Data())
	if math.Abs(m) > 0.04 || math.Abs(v-1) > 0.06 {
		t.Errorf("RandN mean %v variance %v, want 0 and 1", m, v)
	}
	// Float32 rounds the same samples
	b := Float32.RandN(seeded(7), 100, 200)
	if b.DType() != Float32 {
		t.Fatalf("Float32.RandN dtype %s", b.DType())
	}
	for i, x := range a.Data() {
		if b.Data32()[i] != float32(x) {
			t.Fatalf("Float32.RandN element %d = %v, want %v", i, b.Data32()[i], float32(x))
		}
	}
	// the samples are r's draws in row-major order, so a generator in the
	// same state gives the same tensor and a used one a new tensor
	r, ref := seeded(9), seeded(9)
	c := RandN(r, 2, 3)
	for i := 0; i < 6; i++ {
		if want := ref.NormFloat64(); c.AtFlat(i) != want {
			t.Fatalf("RandN element %d = %v, want the generator's draw %v", i, c.AtFlat(i), want)
		}
	}
	if want := ref.NormFloat64(); RandN(r, 1).Item() != want {
		t.Error("a second RandN from r does not continue r's sequence")
	}
	checkPanic(t, "RandN nil", ErrArg, "chainrule: randn: nil *rand.Rand", func() { RandN(nil, 2) })
	checkPanic(t, "RandN", ErrShape, "chainrule: randn: negative dimension in shape (-2)", func() { RandN(seeded(1), -2) })
	checkPanic(t, "Float32.RandN", ErrShape, "chainrule: randn: negative dimension in shape (2,-2)", func() { Float32.RandN(seeded(1), 2, -2) })
}

func TestRand(t *testing.T) {
	for _, d := range dtypes {
		x := d.Rand(seeded(3), -2, 6, 20000)
		if x.DType() != d || !slices.Equal(x.Shape(), []int{20000}) {
			t.Fatalf("Rand: dtype %s shape %v", x.DType(), x.Shape())
		}
		if !Equal(x, d.Rand(seeded(3), -2, 6, 20000)) {
			t.Error("Rand with equal seeds differs")
		}
		vals := x.Float64s()
		for i, v := range vals {
			if v < -2 || v >= 6 {
				t.Fatalf("Rand element %d = %v outside [-2, 6)", i, v)
			}
		}
		// uniform on [-2,6): mean 2, variance 64/12; standard errors 0.016 and 0.03
		m, v := meanVar(vals)
		if math.Abs(m-2) > 0.1 || math.Abs(v-64.0/12) > 0.2 {
			t.Errorf("%s Rand mean %v variance %v, want 2 and %v", d, m, v, 64.0/12)
		}
	}
	if !Equal(Rand(seeded(5), 0, 1, 3), Float64.Rand(seeded(5), 0, 1, 3)) {
		t.Error("Rand differs from Float64.Rand")
	}
	r, ref := seeded(4), seeded(4)
	c := Rand(r, -1, 3, 5)
	for i := 0; i < 5; i++ {
		if want := -1 + 4*ref.Float64(); c.AtFlat(i) != want {
			t.Fatalf("Rand element %d = %v, want the generator's draw %v", i, c.AtFlat(i), want)
		}
	}
	checkPanic(t, "Rand nil", ErrArg, "chainrule: rand: nil *rand.Rand", func() { Float32.Rand(nil, 0, 1, 2) })
	checkPanic(t, "Rand", ErrShape, "chainrule: rand: negative dimension in shape (-1)", func() { Rand(seeded(1), 0, 1, -1) })
	checkPanic(t, "Float32.Rand", ErrShape, "chainrule: rand: negative dimension in shape (-1)", func() { Float32.Rand(seeded(1), 0, 1, -1) })
}

func TestUniformNeverReachesHi(t *testing.T) {
	top := 1 - 0x1p-53 // the largest value rand.Float64 returns
	// 1 + (2-1)*top rounds to 2 in float64, and 0 + 1*top rounds to 1 in float32
	if got := uniform(Float64, 1, 2, top); got >= 2 || got != math.Nextafter(2, 0) {
		t.Errorf("uniform(Float64, 1, 2, top) = %v, want the float64 just below 2", got)
	}
	got := uniform(Float32, 0, 1, top)
	if float32(got) >= 1 || float32(got) != math.Nextafter32(1, 0) {
		t.Errorf("uniform(Float32, 0, 1, top) = %v, want the float32 just below 1", got)
	}
	for _, d := range dtypes {
		if got := uniform(d, -2, 6, 0.5); got != 2 {
			t.Errorf("uniform(%s, -2, 6, 0.5) = %v, want 2", d, got)
		}
		if got := uniform(d, -2, 6, 0); got != -2 {
			t.Errorf("uniform(%s, -2, 6, 0) = %v, want -2", d, got)
		}
		if got := uniform(d, 3, 3, 0.7); got != 3 {
			t.Errorf("uniform(%s, 3, 3, 0.7) = %v, want 3", d, got)
		}
	}
}

func TestDataAndFloat64s(t *testing.T) {
	x := New([]float64{1, 2}, 2)
	f := x.Float64s()
	f[0] = 100
	if x.At(0) != 1 {
		t.Error("Float64s shares storage")
	}
	y := New32([]float32{0.1, -3}, 2)
	if got := y.Float64s(); !slices.Equal(got, []float64{float64(float32(0.1)), -3}) {
		t.Errorf("Float64s of float32 = %v", got)
	}
	checkPanic(t, "Data on float32", ErrDType, "chainrule: data: tensor is float32; use Data32", func() { y.Data() })
	checkPanic(t, "Data32 on float64", ErrDType, "chainrule: data32: tensor is float64; use Data", func() { x.Data32() })
}

func TestFlatAndIndexedAccess(t *testing.T) {
	shape := []int{2, 3, 4}
	for _, d := range dtypes {
		x := d.Zeros(shape...)
		for f := 0; f < 24; f++ {
			idx := unravel(f, shape)
			x.Set(float64(100*idx[0]+10*idx[1]+idx[2])+0.5, idx...)
		}
		for f := 0; f < 24; f++ {
			idx := unravel(f, shape)
			want := float64(100*idx[0]+10*idx[1]+idx[2]) + 0.5
			if got := x.AtFlat(f); got != want {
				t.Errorf("%s AtFlat(%d) = %v, want %v", d, f, got, want)
			}
			if got := x.At(idx...); got != want {
				t.Errorf("%s At(%v) = %v, want %v", d, idx, got, want)
			}
		}
		x.SetFlat(5, 0.1)
		if got := x.At(0, 1, 1); got != round(d, 0.1) {
			t.Errorf("%s SetFlat(5) then At(0,1,1) = %v", d, got)
		}

		checkPanic(t, "AtFlat -1", ErrIndex, "chainrule: at: flat index -1 out of range for shape (2,3,4)", func() { x.AtFlat(-1) })
		checkPanic(t, "AtFlat 24", ErrIndex, "chainrule: at: flat index 24 out of range for shape (2,3,4)", func() { x.AtFlat(24) })
		checkPanic(t, "SetFlat 24", ErrIndex, "chainrule: set: flat index 24 out of range for shape (2,3,4)", func() { x.SetFlat(24, 0) })
		checkPanic(t, "At too few", ErrIndex, "chainrule: at: 2 indices for shape (2,3,4)", func() { x.At(1, 1) })
		checkPanic(t, "At range", ErrIndex, "chainrule: at: index [1 3 0] out of range for shape (2,3,4)", func() { x.At(1, 3, 0) })
		checkPanic(t, "At negative", ErrIndex, "chainrule: at: index [0 0 -1] out of range for shape (2,3,4)", func() { x.At(0, 0, -1) })
		checkPanic(t, "Set too many", ErrIndex, "chainrule: set: 4 indices for shape (2,3,4)", func() { x.Set(1, 0, 0, 0, 0) })
		checkPanic(t, "Set range", ErrIndex, "chainrule: set: index [2 0 0] out of range for shape (2,3,4)", func() { x.Set(1, 2, 0, 0) })
		checkPanic(t, "At on empty", ErrIndex, "chainrule: at: flat index 0 out of range for shape (0)", func() { d.Zeros(0).AtFlat(0) })
	}
}

func TestItem(t *testing.T) {
	for _, d := range dtypes {
		if got := mk(d, []float64{-4.5}, 1, 1, 1).Item(); got != -4.5 {
			t.Errorf("%s Item of (1,1,1) = %v", d, got)
		}
		if got := d.Scalar(8).Item(); got != 8 {
			t.Errorf("%s Item of scalar = %v", d, got)
		}
		checkPanic(t, "Item of 2", ErrShape, "chainrule: item: tensor of shape (2) is not a single value", func() { d.Zeros(2).Item() })
		checkPanic(t, "Item of empty", ErrShape, "chainrule: item: tensor of shape (1,0) is not a single value", func() { d.Zeros(1, 0).Item() })
	}
}

func TestFill(t *testing.T) {
	for _, d := range dtypes {
		x := mk(d, []float64{1, 2, 3, 4}, 2, 2)
		x.Fill(0.3)
		w := round(d, 0.3)
		checkExact(t, "Fill", x, d, []int{2, 2}, []float64{w, w, w, w})
		s := d.Scalar(1)
		s.Fill(-1)
		checkExact(t, "Fill scalar", s, d, []int{}, []float64{-1})
	}
}

func TestClone(t *testing.T) {
	for _, d := range dtypes {
		for _, x := range []*Tensor{mk(d, []float64{1, 2, 3, 4, 5, 6}, 2, 3), d.Scalar(7), d.Zeros(0, 2)} {
			c := x.Clone()
			if !Equal(c, x) {
				t.Fatalf("%s Clone of %v is not Equal", d, x.Shape())
			}
			if c.Size() == 0 {
				continue
			}
			c.SetFlat(0, 42)
			if x.AtFlat(0) == 42 {
				t.Errorf("%s Clone of %v shares data", d, x.Shape())
			}
			if len(c.Shape()) > 0 && &c.Shape()[0] == &x.Shape()[0] {
				t.Errorf("%s Clone shares its shape slice", d)
			}
		}
	}
}

func TestAs(t *testing.T) {
	x := New([]float64{0.1, 2, -1e40}, 3)
	if x.As(Float64) != x {
		t.Error("As with the same dtype did not return t itself")
	}
	y := x.As(Float32)
	checkExact(t, "As float32", y, Float32, []int{3}, []float64{float64(float32(0.1)), 2, math.Inf(-1)})
	z := y.As(Float64)
	checkExact(t, "As float64", z, Float64, []int{3}, []float64{float64(float32(0.1)), 2, math.Inf(-1)})
	z.SetFlat(1, 5)
	if y.AtFlat(1) != 2 {
		t.Error("As shares data with its argument")
	}
	s := Float32.Scalar(1.5).As(Float64)
	checkExact(t, "As scalar", s, Float64, []int{}, []float64{1.5})
}

func TestReshape(t *testing.T) {
	for _, d := range dtypes {
		x := mk(d, []float64{0, 1, 2, 3, 4, 5}, 2, 3)
		cases := []struct {
			to, want []int
		}{
			{[]int{3, 2}, []int{3, 2}},
			{[]int{6}, []int{6}},
			{[]int{-1}, []int{6}},
			{[]int{1, -1, 2}, []int{1, 3, 2}},
			{[]int{2, 1, 3, 1}, []int{2, 1, 3, 1}},
		}
		for _, c := range cases {
			r := x.Reshape(c.to...)
			checkExact(t, "Reshape", r, d, c.want, []float64{0, 1, 2, 3, 4, 5})
		}
		// the data is shared
		r := x.Reshape(3, 2)
		r.Set(40, 2, 0) // flat 4
		if x.At(1, 1) != 40 {
			t.Errorf("%s Reshape copied data", d)
		}
		// scalars and empties
		s := d.Scalar(3).Reshape(1, 1)
		checkExact(t, "scalar to (1,1)", s, d, []int{1, 1}, []float64{3})
		checkExact(t, "(1,1) to scalar", s.Reshape(), d, []int{}, []float64{3})
		checkExact(t, "(0,3) to (-1,3)", d.Zeros(0, 3).Reshape(-1, 3), d, []int{0, 3}, nil)
		checkExact(t, "(0,3) to (3,0,5)", d.Zeros(0, 3).Reshape(3, 0, 5), d, []int{3, 0, 5}, nil)

		checkPanic(t, "size", ErrShape, "chainrule: reshape: cannot reshape (2,3) to (4,2)", func() { x.Reshape(4, 2) })
		checkPanic(t, "two -1", ErrShape, "chainrule: reshape: cannot reshape (2,3) to (-1,-1)", func() { x.Reshape(-1, -1) })
		checkPanic(t, "-2", ErrShape, "chainrule: reshape: cannot reshape (2,3) to (-2,-3)", func() { x.Reshape(-2, -3) })
		checkPanic(t, "-1 not dividing", ErrShape, "chainrule: reshape: cannot reshape (2,3) to (-1,4)", func() { x.Reshape(-1, 4) })
		checkPanic(t, "-1 with 0", ErrShape, "chainrule: reshape: cannot reshape (0,3) to (-1,0)", func() { d.Zeros(0, 3).Reshape(-1, 0) })
		checkPanic(t, "to scalar", ErrShape, "chainrule: reshape: cannot reshape (2,3) to ()", func() { x.Reshape() })
	}
}

func TestResolveShape(t *testing.T) {
	in := []int{4, -1}
	got := ResolveShape("view", []int{2, 6}, in)
	if !slices.Equal(got, []int{4, 3}) {
		t.Errorf("ResolveShape = %v, want [4 3]", got)
	}
	if in[1] != -1 {
		t.Error("ResolveShape modified its argument")
	}
	if got := ResolveShape("view", []int{5}, []int{5}); !slices.Equal(got, []int{5}) {
		t.Errorf("ResolveShape = %v, want [5]", got)
	}
	checkPanic(t, "ResolveShape", ErrShape, "chainrule: view: cannot reshape (2,6) to (5,-1)", func() { ResolveShape("view", []int{2, 6}, []int{5, -1}) })
}

func TestEqual(t *testing.T) {
	a := New([]float64{1, math.NaN(), 3}, 3)
	cases := []struct {
		name string
		b    *Tensor
		want bool
	}{
		{"same values with NaN", New([]float64{1, math.NaN(), 3}, 3), true},
		{"itself", a, true},
		{"other value", New([]float64{1, math.NaN(), 4}, 3), false},
		{"NaN vs number", New([]float64{1, 2, 3}, 3), false},
		{"other shape", New([]float64{1, math.NaN(), 3}, 3, 1), false},
		{"other dtype", New32([]float32{1, float32(math.NaN()), 3}, 3), false},
	}
	for _, c := range cases {
		if got := Equal(a, c.b); got != c.want {
			t.Errorf("Equal(a, %s) = %v, want %v", c.name, got, c.want)
		}
		if got := Equal(c.b, a); got != c.want {
			t.Errorf("Equal(%s, a) = %v, want %v", c.name, got, c.want)
		}
	}
	if Equal(Scalar(1), New([]float64{1}, 1)) {
		t.Error("a scalar equals a (1) tensor")
	}
	if !Equal(Scalar(0), Scalar(math.Copysign(0, -1))) {
		t.Error("0 and -0 differ")
	}
	if !Equal(Zeros(0, 2), New(nil, 0, 2)) || Equal(Zeros(0, 2), Zeros(2, 0)) {
		t.Error("Equal of empty tensors")
	}
}
