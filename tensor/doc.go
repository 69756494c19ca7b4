// Package tensor is chainrule's dense n-dimensional array: the values that
// flow through a computation and the kernels that compute them. It knows
// nothing of differentiation; package ad builds on it.
//
// # Tensors
//
// A *Tensor is a dense, row-major (C-order) array with a shape, one integer
// per dimension. A tensor with an empty shape is a scalar of rank 0 holding
// one element; a tensor with a 0 in its shape holds no elements. Tensors are
// made by New and New32 (which take ownership of the slice they are given),
// Scalar, Zeros, Ones, Full, Arange and Eye, and read with At, AtFlat, Item,
// Data, Data32 and Float64s. RandN and Rand draw random tensors from a
// *rand.Rand (math/rand/v2) the caller gives them, so a seeded generator
// gives reproducible tensors and there is no hidden global state:
//
//	r := rand.New(rand.NewPCG(1, 2))
//	w := tensor.RandN(r, 3, 4) // a (3,4) tensor of standard normal samples
//
// A shape has no negative dimension, and its non-zero dimensions multiply
// to at most MaxSize, the longest []float64 the Go runtime allocates (2⁴⁵
// elements on 64-bit platforms), so that sizes and strides fit in an int: every
// function that makes a shape (New, Zeros, Reshape, BroadcastTo, the
// broadcasting operations, MatMul, Pad, Concat, …) panics with ErrShape for
// one that is not, rather than wrap around. A shape with a 0 in it holds
// nothing but is still held to that limit.
//
// # Dtypes
//
// Every tensor has a DType, Float64 (the default) or Float32. The
// constructors without a receiver make float64 tensors; the methods of the
// same name on a DType make tensors of that dtype, e.g. Float32.Zeros(2, 3).
// Operations never mix dtypes: combining a float64 and a float32 tensor
// panics with ErrDType, and As converts between them. float32 tensors are
// computed in float32 (Map and Map2 widen each element to float64 for the
// function they are given and round the result back).
//
// # Broadcasting
//
// The binary operations (Add, Sub, Mul, Div, Map2, Where) and the batch
// dimensions of MatMul follow NumPy's broadcasting rules: shapes are aligned
// at their last dimension, missing leading dimensions count as 1, and each
// pair of dimensions must be equal or contain a 1, which is stretched to the
// other. So (2,3) + (3) adds the row to both rows, and (4,1) + (1,5) makes a
// (4,5) outer sum. BroadcastShapes computes the result's shape; BroadcastTo
// materializes a broadcast and SumTo is its transpose, summing a broadcast
// result back down to the original shape.
//
// # Values, not views
//
// Operations return new tensors and leave their arguments unchanged. The
// exceptions are named: Reshape returns a tensor sharing its argument's
// data; As and SumTo return their argument itself when there is nothing to
// convert or sum; Set, SetFlat, Fill, AddInPlace and AddScaledInPlace modify
// their receiver; Data and Data32 expose the backing slice. A tensor is not
// safe for concurrent modification, but any number of goroutines may read
// it.
//
// # Kernels and storage
//
// Elementwise kernels, reductions, Transpose and MatMul (a cache-blocked
// GEMM with AVX2/FMA micro-kernels, internal/gemm) split large tensors
// over the cores through one pool of helper goroutines; Exp, Tanh and Sigmoid have
// kernels of their own (internal/vmath), cheaper than Map with package
// math (a third for exp, three times for float32 tanh).
//
// Storage of 256 elements or more comes from a bounded cache, as in
// PyTorch's caching allocator: a dead tensor's array is handed to the next
// allocation of its size class (four per power of two), which kernels
// that write every element take without clearing; Uninitialized gives
// such storage to callers, and Empty always zeroes. Arrays of 4096
// elements or more come back when the garbage collector finds nothing
// refers to them any more (no tensor, view or slice from Data); any of
// them comes back at once through Recycle from code that tracks lifetimes
// (package ad's sweeps and compiled programs). The cache holds at most
// CacheLimit bytes (SetCacheLimit, 0 turns it off), releases what stays
// unused across two collections, and EmptyCache empties it;
// CachedBytes reports what it holds. Built with -tags chainruledebug, the
// package checks the reuse (see debug.go): it caches from 8 elements,
// fills storage with NaN when it is handed back and out, and panics when
// storage is recycled through a stale header or handed back twice.
//
// Conv2D and its two adjoints, ConvTranspose2D and Conv2DWeightGrad, unfold
// each image's receptive fields (im2col) and multiply them by the same
// GEMM; MaxPool2D and MaxPool2DScatter gather and scatter at each
// window's maximum.
//
// # Printing
//
// *Tensor implements fmt.Stringer and fmt.Formatter. It prints like NumPy's
// str(), with each element in the shortest form that reads back exactly:
//
//	[[  1 2.5]
//	 [  3   4]]
//
// Tensors of more than 1000 elements are summarized with "...". The verbs
// %e, %f and %g with a precision format each element, e.g. "%.3f".
//
// # Errors
//
// Misuse — shapes that do not fit or are too large, an axis out of range or
// repeated, mixed or unknown dtypes, an index out of range — is a
// programmer error and panics, as slice indexing does. The panic value is always an *Error whose Kind is one of the
// sentinels ErrShape, ErrAxis, ErrDType, ErrIndex, ErrGraph or ErrArg, and
// whose message names the operation and the shapes involved:
//
//	chainrule: matmul: shapes (3,4) and (5,2) do not match
//
// Maybe runs a function and converts such a panic into an ordinary error,
// as gonum's mat.Maybe does, so callers that accept untrusted shapes can
// test for it with errors.Is:
//
//	err := tensor.Maybe(func() { y = tensor.MatMul(a, b) })
//	if errors.Is(err, tensor.ErrShape) { ... }
//
// Panics that are not chainrule errors (a nil *Tensor, say) pass through
// Maybe unchanged. Arithmetic itself never panics: division by zero and
// overflow give IEEE-754 infinities and NaNs.
//
// # Writing operations on tensor
//
// A few functions serve code that builds operations on tensor, as package
// ad does and as a user's own operations and ad.Custom rules may: Panicf
// raises a chainrule error; NormalizeAxis, NormalizeAxes, ResolveShape and
// BroadcastShapes check and resolve axis and shape arguments, panicking with
// the sentinel under the name of the operation they are given; ReducedShape,
// Size and ShapeString compute and print shapes; Map and Map2 lift a scalar
// function; Uninitialized and Recycle manage storage, and Storage tells
// which tensors share an array (NumPy's shares_memory: code that recycles
// or mutates storage, like package ad's, must know what aliases what). The
// slice-level kernels and parallel loops that package ad's fused programs
// share with tensor live in the internal package internal/kernel.
package tensor
