package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// DType is the element type of a tensor.
type DType uint8

const (
	// Float64 is IEEE-754 double precision, the default.
	Float64 DType = iota
	// Float32 is IEEE-754 single precision.
	Float32
)

// String returns "float64" or "float32", and "DType(n)" for a value that is
// neither.
func (d DType) String() string {
	switch d {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	}
	return "DType(" + strconv.Itoa(int(d)) + ")"
}

// Float is the set of element types a tensor can hold. Kernels are written
// once over it and instantiated for both dtypes by the compiler.
type Float interface{ ~float32 | ~float64 }

// Tensor is a dense, row-major n-dimensional array of float64 or float32.
// A rank-0 tensor (empty shape) is a scalar. Tensors are values: operations
// return new tensors and never modify their arguments, except the explicitly
// in-place methods (Set, AddInPlace).
type Tensor struct {
	shape []int
	dtype DType
	f64   []float64
	f32   []float32
	small [1]float64 // inline storage for float64 scalars: one allocation per scalar
	own   bool       // the storage is a whole allocation of this package's, which Recycle may cache
}

// Size returns the number of elements a shape holds (1 for a scalar).
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			Panicf(ErrShape, op, "negative dimension in shape %s", ShapeString(shape))
		}
	}
}

// New returns a float64 tensor holding data with the given shape. The tensor
// takes ownership of data. With no shape, data must hold one element and the
// result is a scalar. It panics with ErrShape if len(data) does not match
// the shape or a dimension is negative.
func New(data []float64, shape ...int) *Tensor {
	checkShape("new", shape)
	if len(data) != Size(shape) {
		Panicf(ErrShape, "new", "%d values do not fill shape %s", len(data), ShapeString(shape))
	}
	return &Tensor{shape: slices.Clone(shape), f64: data}
}

// New32 returns a float32 tensor holding data with the given shape, taking
// ownership of data; it is New for float32 and panics like New.
func New32(data []float32, shape ...int) *Tensor {
	checkShape("new", shape)
	if len(data) != Size(shape) {
		Panicf(ErrShape, "new", "%d values do not fill shape %s", len(data), ShapeString(shape))
	}
	return &Tensor{shape: slices.Clone(shape), dtype: Float32, f32: data}
}

// Scalar returns a float64 rank-0 tensor holding v.
func Scalar(v float64) *Tensor {
	t := &Tensor{}
	t.small[0] = v
	t.f64 = t.small[:]
	return t
}

// Scalar returns a rank-0 tensor of dtype d holding v (rounded to float32
// for Float32).
func (d DType) Scalar(v float64) *Tensor {
	if d == Float32 {
		return &Tensor{dtype: Float32, f32: []float32{float32(v)}}
	}
	return Scalar(v)
}

// Zeros returns a tensor of dtype d and the given shape, filled with 0. It
// panics with ErrShape for a negative dimension.
func (d DType) Zeros(shape ...int) *Tensor {
	checkShape("zeros", shape)
	return Empty(d, slices.Clone(shape))
}

// Empty returns a zeroed tensor of dtype d with the given shape, which it
// takes ownership of (the variadic constructors copy theirs). It panics with
// ErrShape for a negative dimension.
func Empty(d DType, shape []int) *Tensor {
	t := dirty(d, shape)
	if d == Float32 {
		clear(t.f32)
	} else {
		clear(t.f64)
	}
	return t
}

// Uninitialized returns a tensor of dtype d with the given shape, which it
// takes ownership of, for a caller that will write every element: like
// NumPy's empty and PyTorch's torch.empty, its elements are unspecified
// (storage from the cache is not cleared; see SetCacheLimit). It panics with ErrShape
// for a negative dimension.
func Uninitialized(d DType, shape []int) *Tensor { return dirty(d, shape) }

// dirty is Empty for a kernel that writes every element of the result: its
// storage may be recycled and hold old values.
func dirty(d DType, shape []int) *Tensor {
	checkShape("empty", shape)
	n := Size(shape)
	if d == Float32 {
		return &Tensor{shape: shape, dtype: Float32, f32: allocDirty[float32](n), own: true}
	}
	if len(shape) == 0 {
		t := &Tensor{}
		t.f64 = t.small[:]
		return t
	}
	return &Tensor{shape: shape, f64: allocDirty[float64](n), own: true}
}

// Full returns a tensor of dtype d and the given shape with every element v.
// It panics with ErrShape for a negative dimension.
func (d DType) Full(v float64, shape ...int) *Tensor {
	checkShape("full", shape)
	t := dirty(d, slices.Clone(shape))
	t.Fill(v)
	return t
}

// Ones returns a tensor of dtype d and the given shape filled with 1. It
// panics with ErrShape for a negative dimension.
func (d DType) Ones(shape ...int) *Tensor { return d.Full(1, shape...) }

// Arange returns the 1-d tensor start, start+step, … up to but excluding stop,
// like numpy.arange; element i is start+i*step rounded to d. It panics with
// ErrArg if step is 0 or any argument is not finite.
func (d DType) Arange(start, stop, step float64) *Tensor {
	if step == 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		Panicf(ErrArg, "arange", "step %g", step)
	}
	if math.IsNaN(start) || math.IsInf(start, 0) || math.IsNaN(stop) || math.IsInf(stop, 0) {
		Panicf(ErrArg, "arange", "bounds %g and %g", start, stop)
	}
	c := math.Ceil((stop - start) / step)
	if c >= 1<<53 {
		Panicf(ErrArg, "arange", "range %g to %g by %g has too many elements", start, stop, step)
	}
	n := int(c)
	if n < 0 {
		n = 0
	}
	t := dirty(d, []int{n}) // every element is written below
	for i := 0; i < n; i++ {
		t.SetFlat(i, start+float64(i)*step)
	}
	return t
}

// Eye returns the n×n identity matrix of dtype d. It panics with ErrShape if
// n is negative.
func (d DType) Eye(n int) *Tensor {
	checkShape("eye", []int{n})
	t := Empty(d, []int{n, n})
	for i := 0; i < n; i++ {
		t.SetFlat(i*n+i, 1)
	}
	return t
}

// RandN returns a tensor of standard normal samples from a PCG generator
// seeded with seed, so equal seeds give equal tensors. It panics with
// ErrShape for a negative dimension.
func (d DType) RandN(seed uint64, shape ...int) *Tensor {
	checkShape("randn", shape)
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	t := dirty(d, slices.Clone(shape)) // every element is written below
	for i := 0; i < t.Size(); i++ {
		t.SetFlat(i, r.NormFloat64())
	}
	return t
}

// Rand returns a tensor of samples uniform on [lo, hi) from a PCG generator
// seeded with seed, so equal seeds give equal tensors. When lo < hi no sample
// equals hi, even after rounding to float32. It panics with ErrShape for a
// negative dimension.
func (d DType) Rand(seed uint64, lo, hi float64, shape ...int) *Tensor {
	checkShape("rand", shape)
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	t := dirty(d, slices.Clone(shape)) // every element is written below
	for i := 0; i < t.Size(); i++ {
		t.SetFlat(i, uniform(d, lo, hi, r.Float64()))
	}
	return t
}

// uniform maps u in [0, 1) to [lo, hi) in dtype d. lo+(hi-lo)*u can round up
// to hi (in float64 for u near 1, and more often when rounded to float32), so
// such values are pulled down to the largest value of d below hi.
func uniform(d DType, lo, hi, u float64) float64 {
	v := lo + (hi-lo)*u
	if !(lo < hi) {
		return v
	}
	if d == Float32 {
		if f := float32(v); f >= float32(hi) {
			return float64(math.Nextafter32(float32(hi), float32(math.Inf(-1))))
		}
		return v
	}
	if v >= hi {
		return math.Nextafter(hi, math.Inf(-1))
	}
	return v
}

// Zeros returns a float64 tensor of zeros; it panics like DType.Zeros.
func Zeros(shape ...int) *Tensor { return Float64.Zeros(shape...) }

// Ones returns a float64 tensor of ones; it panics like DType.Ones.
func Ones(shape ...int) *Tensor { return Float64.Ones(shape...) }

// Full returns a float64 tensor filled with v; it panics like DType.Full.
func Full(v float64, shape ...int) *Tensor { return Float64.Full(v, shape...) }

// Arange returns a float64 range; it panics like DType.Arange.
func Arange(start, stop, step float64) *Tensor { return Float64.Arange(start, stop, step) }

// Eye returns the float64 n×n identity; it panics like DType.Eye.
func Eye(n int) *Tensor { return Float64.Eye(n) }

// RandN returns float64 standard normal samples; it panics like DType.RandN.
func RandN(seed uint64, shape ...int) *Tensor { return Float64.RandN(seed, shape...) }

// Rand returns float64 samples uniform on [lo, hi); it panics like DType.Rand.
func Rand(seed uint64, lo, hi float64, shape ...int) *Tensor {
	return Float64.Rand(seed, lo, hi, shape...)
}

// Shape returns the tensor's shape. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Rank returns the number of dimensions (0 for a scalar).
func (t *Tensor) Rank() int { return len(t.shape) }

// Size returns the number of elements.
func (t *Tensor) Size() int {
	if t.dtype == Float32 {
		return len(t.f32)
	}
	return len(t.f64)
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Data returns the float64 backing slice in row-major order, shared with the
// tensor. It panics with ErrDType for a float32 tensor.
func (t *Tensor) Data() []float64 {
	if t.dtype != Float64 {
		Panicf(ErrDType, "data", "tensor is %s; use Data32", t.dtype)
	}
	return t.f64
}

// Data32 returns the float32 backing slice, shared with the tensor. It panics
// with ErrDType for a float64 tensor.
func (t *Tensor) Data32() []float32 {
	if t.dtype != Float32 {
		Panicf(ErrDType, "data32", "tensor is %s; use Data", t.dtype)
	}
	return t.f32
}

// Float64s returns a new slice with the elements converted to float64.
func (t *Tensor) Float64s() []float64 {
	if t.dtype == Float64 {
		return slices.Clone(t.f64)
	}
	out := make([]float64, len(t.f32))
	for i, v := range t.f32 {
		out[i] = float64(v)
	}
	return out
}

// AtFlat returns element i in row-major order as float64. It panics with
// ErrIndex if i is not in [0, Size()).
func (t *Tensor) AtFlat(i int) float64 {
	if i < 0 || i >= t.Size() {
		Panicf(ErrIndex, "at", "flat index %d out of range for shape %s", i, ShapeString(t.shape))
	}
	if t.dtype == Float32 {
		return float64(t.f32[i])
	}
	return t.f64[i]
}

// SetFlat sets element i in row-major order to v (rounded for float32). It
// panics with ErrIndex if i is not in [0, Size()).
func (t *Tensor) SetFlat(i int, v float64) {
	if i < 0 || i >= t.Size() {
		Panicf(ErrIndex, "set", "flat index %d out of range for shape %s", i, ShapeString(t.shape))
	}
	if t.dtype == Float32 {
		t.f32[i] = float32(v)
	} else {
		t.f64[i] = v
	}
}

func (t *Tensor) flatIndex(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		Panicf(ErrIndex, op, "%d indices for shape %s", len(idx), ShapeString(t.shape))
	}
	f := 0
	for k, i := range idx {
		if i < 0 || i >= t.shape[k] {
			Panicf(ErrIndex, op, "index %v out of range for shape %s", idx, ShapeString(t.shape))
		}
		f = f*t.shape[k] + i
	}
	return f
}

// At returns the element at the given index, one integer per dimension. It
// panics with ErrIndex if the index does not fit the shape.
func (t *Tensor) At(idx ...int) float64 { return t.AtFlat(t.flatIndex("at", idx)) }

// Set sets the element at the given index to v; it panics like At.
func (t *Tensor) Set(v float64, idx ...int) { t.SetFlat(t.flatIndex("set", idx), v) }

// Item returns the only element of a one-element tensor. It panics with
// ErrShape if the tensor has more or fewer elements.
func (t *Tensor) Item() float64 {
	if t.Size() != 1 {
		Panicf(ErrShape, "item", "tensor of shape %s is not a single value", ShapeString(t.shape))
	}
	return t.AtFlat(0)
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float64) {
	if t.dtype == Float32 {
		for i := range t.f32 {
			t.f32[i] = float32(v)
		}
		return
	}
	for i := range t.f64 {
		t.f64[i] = v
	}
}

// Clone returns a deep copy with its own data.
func (t *Tensor) Clone() *Tensor {
	c := dirty(t.dtype, slices.Clone(t.shape))
	copy(c.f64, t.f64)
	copy(c.f32, t.f32)
	return c
}

// As returns the tensor converted to dtype d (a new tensor), or t itself if
// it already has dtype d.
func (t *Tensor) As(d DType) *Tensor {
	if t.dtype == d {
		return t
	}
	c := dirty(d, slices.Clone(t.shape))
	if d == Float32 {
		for i, v := range t.f64 {
			c.f32[i] = float32(v)
		}
	} else {
		for i, v := range t.f32 {
			c.f64[i] = float64(v)
		}
	}
	return c
}

// Reshape returns a tensor with the same data in a new shape; the data is
// shared, not copied. One dimension may be -1 and is then inferred. It panics
// with ErrShape if the sizes differ, if more than one dimension is -1 or if
// a dimension is otherwise negative.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := ResolveShape("reshape", t.shape, shape)
	return &Tensor{shape: s, dtype: t.dtype, f64: t.f64, f32: t.f32, own: t.own}
}

// ResolveShape returns a new slice holding the target shape of reshaping from
// to shape, with a -1 dimension inferred. It panics with ErrShape, naming op,
// for a size mismatch, a second -1 or another negative dimension.
func ResolveShape(op string, from, shape []int) []int {
	s := slices.Clone(shape)
	infer := -1
	n := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			Panicf(ErrShape, op, "cannot reshape %s to %s", ShapeString(from), ShapeString(shape))
		default:
			n *= d
		}
	}
	size := Size(from)
	if infer >= 0 {
		if n == 0 || size%n != 0 {
			Panicf(ErrShape, op, "cannot reshape %s to %s", ShapeString(from), ShapeString(shape))
		}
		s[infer] = size / n
		n = size
	}
	if n != size {
		Panicf(ErrShape, op, "cannot reshape %s to %s", ShapeString(from), ShapeString(shape))
	}
	return s
}

// Equal reports whether a and b have the same dtype, shape and elements
// (NaNs compare equal to NaNs).
func Equal(a, b *Tensor) bool {
	if a.dtype != b.dtype || !slices.Equal(a.shape, b.shape) {
		return false
	}
	for i := 0; i < a.Size(); i++ {
		x, y := a.AtFlat(i), b.AtFlat(i)
		if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
			return false
		}
	}
	return true
}
