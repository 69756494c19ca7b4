package tensor

import "slices"

// BroadcastShapes returns the NumPy broadcast of shapes a and b: dimensions
// are aligned from the right and each pair must be equal or contain a 1. When
// a and b are equal the result is a itself, so callers that keep it must copy
// it. It panics with ErrShape, naming op and both shapes, when they do not
// broadcast or their broadcast is not a valid shape for a tensor (a negative
// dimension, too many elements: see Size).
func BroadcastShapes(op string, a, b []int) []int {
	s, ok := broadcast(a, b)
	if !ok {
		Panicf(ErrShape, op, "shapes %s and %s do not broadcast", ShapeString(a), ShapeString(b))
	}
	if _, ok := shapeSize(s); !ok {
		if slices.ContainsFunc(s, func(d int) bool { return d < 0 }) {
			Panicf(ErrShape, op, "negative dimension in shapes %s and %s", ShapeString(a), ShapeString(b))
		}
		Panicf(ErrShape, op, "shapes %s and %s broadcast to %s, too large for a tensor", ShapeString(a), ShapeString(b), ShapeString(s))
	}
	return s
}

// broadcast returns the broadcast of shapes a and b and whether they
// broadcast at all.
func broadcast(a, b []int) ([]int, bool) {
	if slices.Equal(a, b) {
		return a, true
	}
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 1; i <= n; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		switch {
		case da == db || db == 1:
			out[n-i] = da
		case da == 1:
			out[n-i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// bstrides returns the element strides of a tensor of shape in, viewed as
// broadcast to out: 0 along broadcast dimensions.
func bstrides(in, out []int) []int {
	st := make([]int, len(out))
	s := 1
	for i := 1; i <= len(in); i++ {
		d := in[len(in)-i]
		if d != 1 {
			st[len(out)-i] = s
		}
		s *= d
	}
	return st
}

// bcast calls f(offsets..., outFlat) for every element of shape out, with
// offsets into each input of the given shapes broadcast to out. The inner
// dimension is handed to f as a run so loops stay tight.
func bcast(out []int, ins [][]int, f func(off []int, inner []int, o, n int)) {
	r := len(out)
	size := Size(out)
	if size == 0 {
		return
	}
	st := make([][]int, len(ins))
	for k, s := range ins {
		st[k] = bstrides(s, out)
	}
	off := make([]int, len(ins))
	inner := make([]int, len(ins))
	if r == 0 {
		f(off, inner, 0, 1)
		return
	}
	n := out[r-1]
	for k := range ins {
		inner[k] = st[k][r-1]
	}
	idx := make([]int, r)
	for o := 0; o < size; o += n {
		f(off, inner, o, n)
		// advance the odometer over the outer dimensions
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			for k := range ins {
				off[k] += st[k][d]
			}
			if idx[d] < out[d] {
				break
			}
			for k := range ins {
				off[k] -= st[k][d] * out[d]
			}
			idx[d] = 0
		}
	}
}

func sameDType(op string, a, b *Tensor) {
	if a.dtype != b.dtype {
		Panicf(ErrDType, op, "%s %s and %s %s need a conversion", a.dtype, ShapeString(a.shape), b.dtype, ShapeString(b.shape))
	}
}

// Map returns a new tensor of t's dtype and shape holding f applied to every
// element. float32 elements are widened to float64 for f and rounded back.
// From a few thousand elements f is called from several goroutines at once,
// so it must be safe for concurrent use.
func Map(t *Tensor, f func(float64) float64) *Tensor {
	return apply(t, func(z, x []float64) []float64 {
		for i, v := range x {
			z[i] = f(v)
		}
		return z
	}, func(z, x []float32) []float32 {
		for i, v := range x {
			z[i] = float32(f(float64(v)))
		}
		return z
	})
}

// Map2 returns f(a, b) elementwise over the broadcast of a and b. It panics
// with ErrShape if the shapes do not broadcast and with ErrDType if the
// dtypes differ; op names the operation in the message.
func Map2(op string, a, b *Tensor, f func(x, y float64) float64) *Tensor {
	sameDType(op, a, b)
	if a.dtype == Float32 {
		return map2(op, a, b, a.f32, b.f32, func(x, y float32) float32 { return float32(f(float64(x), float64(y))) })
	}
	return map2(op, a, b, a.f64, b.f64, f)
}

func data[T Float](t *Tensor) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(t.f32).([]T)
	}
	return any(t.f64).([]T)
}

func map2[T Float](op string, a, b *Tensor, x, y []T, f func(x, y T) T) *Tensor {
	shape := BroadcastShapes(op, a.shape, b.shape)
	out := dirty(a.dtype, slices.Clone(shape))
	z := data[T](out)
	switch {
	case len(x) == len(z) && len(y) == len(z):
		for i := range z {
			z[i] = f(x[i], y[i])
		}
	case len(y) == 1 && len(x) == len(z):
		c := y[0]
		for i := range z {
			z[i] = f(x[i], c)
		}
	case len(x) == 1 && len(y) == len(z):
		c := x[0]
		for i := range z {
			z[i] = f(c, y[i])
		}
	default:
		bcast(shape, [][]int{a.shape, b.shape}, func(off, inner []int, o, n int) {
			ia, ib, sa, sb := off[0], off[1], inner[0], inner[1]
			for j := 0; j < n; j++ {
				z[o+j] = f(x[ia+j*sa], y[ib+j*sb])
			}
		})
	}
	return out
}

// Where returns, elementwise over the broadcast of the three shapes, a where
// cond is non-zero and b elsewhere. The unselected value never leaks into the
// result, even when it is NaN; a NaN in cond counts as non-zero. All three
// must share a dtype: it panics with ErrDType if they do not and with
// ErrShape if the shapes do not broadcast.
func Where(cond, a, b *Tensor) *Tensor {
	sameDType("where", a, b)
	sameDType("where", cond, a)
	shape := BroadcastShapes("where", BroadcastShapes("where", cond.shape, a.shape), b.shape)
	out := dirty(a.dtype, slices.Clone(shape))
	if a.dtype == Float32 {
		where(shape, cond, a, b, out.f32, cond.f32, a.f32, b.f32)
	} else {
		where(shape, cond, a, b, out.f64, cond.f64, a.f64, b.f64)
	}
	return out
}

// where is Where's kernel over the typed storage of its operands: each
// innermost run of the broadcast picks from a or b by c != 0 (NaN picks a).
func where[T Float](shape []int, cond, a, b *Tensor, out, c, x, y []T) {
	bcast(shape, [][]int{cond.shape, a.shape, b.shape}, func(off, inner []int, o, n int) {
		ic, ix, iy := off[0], off[1], off[2]
		for j := range out[o : o+n] {
			if c[ic] != 0 {
				out[o+j] = x[ix]
			} else {
				out[o+j] = y[iy]
			}
			ic, ix, iy = ic+inner[0], ix+inner[1], iy+inner[2]
		}
	})
}

// AddInPlace adds b to t elementwise, broadcasting b to t's shape, and
// returns t. It panics with ErrShape if b does not broadcast to t's shape
// and with ErrDType if their dtypes differ.
func (t *Tensor) AddInPlace(b *Tensor) *Tensor { return t.addScaled("add", 1, b) }

// AddScaledInPlace adds alpha·b to t elementwise (BLAS's axpy, PyTorch's
// t.add_(b, alpha=alpha)), broadcasting b to t's shape, and returns t: a
// gradient-descent step without a temporary. It panics with ErrShape if b
// does not broadcast to t's shape and with ErrDType if their dtypes differ.
func (t *Tensor) AddScaledInPlace(alpha float64, b *Tensor) *Tensor {
	return t.addScaled("add_scaled", alpha, b)
}

func (t *Tensor) addScaled(op string, alpha float64, b *Tensor) *Tensor {
	sameDType(op, t, b)
	if s, ok := broadcast(t.shape, b.shape); !ok || !slices.Equal(s, t.shape) {
		Panicf(ErrShape, op, "shape %s does not broadcast into %s", ShapeString(b.shape), ShapeString(t.shape))
	}
	if t.dtype == Float32 {
		addScaled(t, b, float32(alpha), t.f32, b.f32)
	} else {
		addScaled(t, b, alpha, t.f64, b.f64)
	}
	return t
}

// addScaled is x += alpha·y, y broadcast to a's shape; alpha = 1 is a plain
// sum (multiplying by 1 is exact).
func addScaled[T Float](a, b *Tensor, alpha T, x, y []T) {
	if len(x) == len(y) {
		parallel(len(x), func(lo, hi int) {
			x, y := x[lo:hi], y[lo:hi]
			for i := range x {
				x[i] += alpha * y[i]
			}
		})
		return
	}
	bcast(a.shape, [][]int{b.shape}, func(off, inner []int, o, n int) {
		for j := 0; j < n; j++ {
			x[o+j] += alpha * y[off[0]+j*inner[0]]
		}
	})
}
