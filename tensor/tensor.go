package tensor

import (
	"math"
	"math/bits"
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
	stamp stamp      // the storage's generation (the chainruledebug build's checks; zero-size otherwise, and not last, so it takes no space)
	small [1]float64 // inline storage for float64 scalars: one allocation per scalar
	own   bool       // the storage is a whole allocation of this package's, which Recycle may cache
}

// MaxSize is the most elements a tensor may hold, and the most the non-zero
// dimensions of any shape may multiply to (see Size): the longest []float64
// the Go runtime allocates, 2⁴⁵ on 64-bit platforms (make refuses more than
// 2⁴⁸ bytes) and 2²⁹−1 on 32-bit ones (2³²−1 bytes). On the few 64-bit
// platforms with a smaller heap (ios/arm64, wasm) the runtime's limit is
// lower, and a size between the two fails in make.
const MaxSize = maxAlloc / 8

// maxAlloc is the Go runtime's limit on one allocation in bytes
// (runtime.maxAlloc): 2⁴⁸ on 64-bit platforms, 2³²−1 on 32-bit ones.
const maxAlloc = 1<<(32+(bits.UintSize-32)/2) - (64-bits.UintSize)/32

// shapeSize returns the number of elements of shape and whether shape is
// valid: no dimension is negative and the product of the non-zero
// dimensions is at most MaxSize, so that every partial product of the
// dimensions (a stride, an outer count) fits in an int.
func shapeSize(shape []int) (int, bool) {
	n, zero := 1, false
	for _, d := range shape {
		switch {
		case d < 0:
			return 0, false
		case d == 0:
			zero = true
		case n > MaxSize/d:
			return 0, false
		default:
			n *= d
		}
	}
	if zero {
		return 0, true
	}
	return n, true
}

// sizeOf returns the number of elements of shape. It panics with ErrShape,
// naming op, for a negative dimension or a shape too large for a tensor.
func sizeOf(op string, shape []int) int {
	n, ok := shapeSize(shape)
	if !ok {
		if slices.ContainsFunc(shape, func(d int) bool { return d < 0 }) {
			Panicf(ErrShape, op, "negative dimension in shape %s", ShapeString(shape))
		}
		Panicf(ErrShape, op, "shape %s is too large for a tensor: its non-zero dimensions multiply to more than %d", ShapeString(shape), MaxSize)
	}
	return n
}

// Size returns the number of elements a shape holds (1 for a scalar). It
// panics with ErrShape for a negative dimension or a shape too large for a
// tensor: one whose non-zero dimensions multiply to more than MaxSize (a 0
// among them does not excuse the others).
func Size(shape []int) int { return sizeOf("size", shape) }

// checkShape panics with ErrShape, naming op, unless shape is a valid shape
// for a tensor (see Size).
func checkShape(op string, shape []int) { sizeOf(op, shape) }

// check panics with ErrDType, naming op, unless d is Float64 or Float32.
func (d DType) check(op string) {
	if d != Float64 && d != Float32 {
		Panicf(ErrDType, op, "unknown dtype %s", d)
	}
}

// New returns a float64 tensor holding data with the given shape. The tensor
// takes ownership of data. With no shape, data must hold one element and the
// result is a scalar. It panics with ErrShape if len(data) does not match
// the shape, a dimension is negative or the shape is too large (see Size).
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
// for Float32). It panics with ErrDType if d is neither Float64 nor Float32.
func (d DType) Scalar(v float64) *Tensor {
	d.check("scalar")
	if d == Float32 {
		return &Tensor{dtype: Float32, f32: []float32{float32(v)}}
	}
	return Scalar(v)
}

// Zeros returns a tensor of dtype d and the given shape, filled with 0. It
// panics with ErrShape for a negative dimension or a shape too large for a
// tensor (see Size), and with ErrDType if d is neither Float64 nor Float32.
func (d DType) Zeros(shape ...int) *Tensor {
	d.check("zeros")
	checkShape("zeros", shape)
	return Empty(d, slices.Clone(shape))
}

// Empty returns a zeroed tensor of dtype d with the given shape, which it
// takes ownership of (the variadic constructors copy theirs). It panics like
// DType.Zeros.
func Empty(d DType, shape []int) *Tensor {
	d.check("empty")
	checkShape("empty", shape)
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
// (storage from the cache is not cleared; see SetCacheLimit). It panics like
// DType.Zeros.
func Uninitialized(d DType, shape []int) *Tensor {
	d.check("uninitialized")
	checkShape("uninitialized", shape)
	return dirty(d, shape)
}

// dirty is Empty for a kernel that writes every element of the result: its
// storage may be recycled and hold old values. The exported functions check
// d and shape first, naming the operation the caller called; the check here
// is a backstop.
func dirty(d DType, shape []int) *Tensor {
	d.check("empty")
	n := sizeOf("empty", shape)
	if d == Float32 {
		b := allocDirty[float32](n)
		return &Tensor{shape: shape, dtype: Float32, f32: b, own: true, stamp: stampOf(b)}
	}
	if len(shape) == 0 {
		t := &Tensor{}
		t.f64 = t.small[:]
		return t
	}
	b := allocDirty[float64](n)
	return &Tensor{shape: shape, f64: b, own: true, stamp: stampOf(b)}
}

// Full returns a tensor of dtype d and the given shape with every element v.
// It panics like DType.Zeros.
func (d DType) Full(v float64, shape ...int) *Tensor { return d.full("full", v, shape) }

// Ones returns a tensor of dtype d and the given shape filled with 1. It
// panics like DType.Zeros.
func (d DType) Ones(shape ...int) *Tensor { return d.full("ones", 1, shape) }

func (d DType) full(op string, v float64, shape []int) *Tensor {
	d.check(op)
	checkShape(op, shape)
	t := dirty(d, slices.Clone(shape))
	t.Fill(v)
	return t
}

// Arange returns the 1-d tensor start, start+step, … up to but excluding stop,
// like numpy.arange; element i is start+i*step rounded to d. It panics with
// ErrArg if step is 0, any argument is not finite or the range has more
// elements than a tensor can hold (see Size), and with ErrDType if d is
// neither Float64 nor Float32.
func (d DType) Arange(start, stop, step float64) *Tensor {
	d.check("arange")
	if step == 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		Panicf(ErrArg, "arange", "step %g", step)
	}
	if math.IsNaN(start) || math.IsInf(start, 0) || math.IsNaN(stop) || math.IsInf(stop, 0) {
		Panicf(ErrArg, "arange", "bounds %g and %g", start, stop)
	}
	c := math.Ceil((stop - start) / step)
	if c > MaxSize {
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
// n is negative or n×n too large for a tensor (see Size), and with ErrDType
// if d is neither Float64 nor Float32.
func (d DType) Eye(n int) *Tensor {
	d.check("eye")
	checkShape("eye", []int{n})
	checkShape("eye", []int{n, n})
	t := Empty(d, []int{n, n})
	for i := 0; i < n; i++ {
		t.SetFlat(i*n+i, 1)
	}
	return t
}

// RandN returns a tensor of dtype d and the given shape holding standard
// normal samples drawn from r, in row-major order (the same r in the same
// state gives the same tensor). It panics with ErrArg if r is nil, and like
// DType.Zeros for a bad shape or dtype.
func (d DType) RandN(r *rand.Rand, shape ...int) *Tensor {
	t := d.random("randn", r, shape)
	for i := 0; i < t.Size(); i++ {
		t.SetFlat(i, r.NormFloat64())
	}
	return t
}

// Rand returns a tensor of dtype d and the given shape holding samples
// uniform on [lo, hi) drawn from r, in row-major order. When lo < hi no
// sample equals hi, even after rounding to float32. It panics like
// DType.RandN.
func (d DType) Rand(r *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	t := d.random("rand", r, shape)
	for i := 0; i < t.Size(); i++ {
		t.SetFlat(i, uniform(d, lo, hi, r.Float64()))
	}
	return t
}

// random checks the arguments of RandN and Rand and returns the tensor
// they fill.
func (d DType) random(op string, r *rand.Rand, shape []int) *Tensor {
	if r == nil {
		Panicf(ErrArg, op, "nil *rand.Rand")
	}
	d.check(op)
	checkShape(op, shape)
	return dirty(d, slices.Clone(shape))
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

// RandN returns a float64 tensor of standard normal samples drawn from r,
// for example
//
//	x := tensor.RandN(rand.New(rand.NewPCG(1, 2)), 3, 4) // shape (3,4)
//
// It panics like DType.RandN.
func RandN(r *rand.Rand, shape ...int) *Tensor { return Float64.RandN(r, shape...) }

// Rand returns a float64 tensor of samples uniform on [lo, hi) drawn from r;
// it panics like DType.RandN.
func Rand(r *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	return Float64.Rand(r, lo, hi, shape...)
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
// it already has dtype d. It panics with ErrDType if d is neither Float64
// nor Float32.
func (t *Tensor) As(d DType) *Tensor {
	d.check("as")
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
// with ErrShape if the sizes differ, if more than one dimension is -1, if
// a dimension is otherwise negative or if the shape is too large for a
// tensor (see Size; a shape with a 0 in it can be too large).
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := ResolveShape("reshape", t.shape, shape)
	return &Tensor{shape: s, dtype: t.dtype, f64: t.f64, f32: t.f32, own: t.own, stamp: t.stamp}
}

// ResolveShape returns a new slice holding the target shape of reshaping from
// to shape, with a -1 dimension inferred. It panics with ErrShape, naming op,
// for a size mismatch, a second -1, another negative dimension or a target
// too large for a tensor (see Size).
func ResolveShape(op string, from, shape []int) []int {
	s := slices.Clone(shape)
	infer := -1
	for i, d := range s {
		if d == -1 && infer < 0 {
			infer = i
			s[i] = 1 // for now: n below is then the product of the others
		} else if d < 0 {
			Panicf(ErrShape, op, "cannot reshape %s to %s", ShapeString(from), ShapeString(shape))
		}
	}
	n, ok := shapeSize(s)
	if !ok {
		Panicf(ErrShape, op, "cannot reshape %s to %s: too large for a tensor (its non-zero dimensions multiply to more than %d)", ShapeString(from), ShapeString(shape), MaxSize)
	}
	size := sizeOf(op, from)
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
