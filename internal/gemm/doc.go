// Package gemm multiplies dense row-major matrices: it computes the BLAS
// general matrix product
//
//	C = alpha·op(A)·op(B) + beta·C
//
// for float64 ([F64]) and float32 ([F32]), where op(X) is X or its transpose
// and C is m×n, op(A) m×k and op(B) k×n. Matrices are stored row-major with a
// row stride (lda, ldb, ldc) of at least their number of columns, so a
// strided view of a larger matrix can be passed in place. The package is
// pure Go (Go assembly on amd64) and needs no cgo, unless it is built with
// the cblas tag (see System BLAS below).
//
// # Algorithm
//
// Most products go through the Goto/BLIS scheme. The k dimension is
// cut into blocks of kc, C into tiles of at most mc rows and a run of
// columns, and op(B) is packed, one kc block at a time, into contiguous
// panels nr columns wide (transposes are handled by the packing). A
// micro-kernel then adds alpha times the product of an mr-row slice of A
// and one B panel, an mr×nr tile, to C, while the B panel stays in the L1
// cache and the rows of A in L2. A is read in place (or packed into mr-row
// panels when its row stride would make its rows collide in the cache, when
// it is transposed with a row stride of 2 KiB or more, which the stride
// prefetcher does not follow, and for the partial panel at the bottom
// edge). Partial tiles at the right and
// bottom edges are zero-padded and computed into a scratch tile that is
// then added to C, except with the float32 AVX-512 kernel, whose edge
// variant writes them straight into C through AVX-512 masks, and runs on
// half the panel for a tile at most 16 columns wide (the narrow C of a
// layer with 6, 10 or 16 outputs).
//
// On amd64 processors with AVX2 and FMA (detected at run time with CPUID and
// XGETBV) the micro-kernel is hand-written assembly. Where the processor
// also has AVX-512 F (and the operating system saves the ZMM state) it uses
// ZMM registers: 6×16 for float64 and 6×32 for float32, twice the AVX2
// tile, with the k loop unrolled eight times and the B panel prefetched
// ahead; otherwise the AVX2 kernels are 6×8 for float64 and 6×16 for
// float32. Both hold the tile in twelve accumulators. [Kernel] reports
// which is in use. Elsewhere, when built with the purego tag, or when
// [UseAsm] is false, a portable Go micro-kernel with the AVX2 tile shapes
// is used.
//
// Packing B costs memory traffic rather than arithmetic, so the assembly
// helps there too: a transposed float32 B (the x·Wᵀ of a linear layer) is
// packed eight columns by eight k steps at a time through an 8×8 register
// transpose, and the rows of a 128-byte-wide panel are copied with the
// strided source prefetched ahead.
//
// Very small products (under about a thousand multiply-adds), products
// with at most two rows or columns (matrix-vector products) and rank-one
// updates (k = 1, an outer product, as in the weight gradient of a
// matrix-vector product) skip the packing and use direct loops with
// register accumulators; for the latter two, AVX2 helpers (one- and
// four-row axpy and four-way dot products) do the bulk of the work when the
// assembly kernels are in use. A column C = Aᵀ·b, whose dot products would
// stride down A's columns, is computed as the row Cᵀ = bᵀ·A: axpy updates
// by A's contiguous rows.
//
// A C with few columns and many more rows (under half a panel wide, with
// k at least 128: the k×6 weight gradient of a convolution with six output
// channels) would fill its panels mostly with zero padding; such a product
// is computed as its transpose Cᵀ = op(B)ᵀ·op(A)ᵀ, whose panels run along
// C's rows, into scratch, a block of rows at a time, and added to C.
//
// [F64Bias] and [F32Bias] add a bias row to every row of the product, a
// linear layer's x·Wᵀ + b: the blocked product writes the bias into each
// tile of C just before the tile's first k block adds to it, while the
// tile is in the cache, instead of a pass over the finished C.
//
// A caller that builds B itself can write it straight into the panel
// layout and call [F32Packed] or [F64Packed] ([PanelWidth32], [PanelWidth64]
// and [PackedLen] describe the layout), saving the copy that packing would
// make: the convolutions of package tensor unfold their input this way.
// These run on the calling goroutine with this package's kernels.
// [PackRowsAt32] and [PackRowsAt64] write that layout for a B whose rows
// are runs of one slice at given offsets (a dense convolution's unfolding:
// each tap's row is the input read from another position), a panel row at
// a time by an SSE2 loop. A caller that pads m to a multiple of
// [RowBlock32] (and n to whole panels, with zeros) keeps every micro-tile
// out of the slower edge path.
//
// # Parallelism
//
// Products of at least [ParallelThreshold] multiply-adds are shared by the
// calling goroutine and the long-lived helper goroutines of internal/workers
// (GOMAXPROCS-1 of them, started on first use), which the tensor kernels
// share. The C tiles are tasks that each goroutine claims
// from a shared counter, so a goroutine that the operating system delays
// just takes fewer of them; the packed B is shared and packed by the first
// goroutines to need it. After a product, helpers spin for a short while
// (yielding to other goroutines) before they block, so that back-to-back
// products do not pay the wake-up of a parked thread. Concurrent calls are
// safe; they share the helpers.
//
// A product whose C has too few tiles to go round but whose k is long (a
// small layer's weight gradient summed over a batch: 6×25 with k = 36864)
// is cut along k instead: the goroutines compute the products of ranges of
// k, a few each, into scratch that is then added to C in a fixed order.
//
// [F64Serial] and [F32Serial] compute one product on the calling goroutine
// only, for callers that parallelize over independent products: package
// tensor runs the matrices of a batched product of medium size (the
// attention heads of a transformer) whole, one per goroutine, which costs
// less than cutting each of them up and synchronizing.
//
// # System BLAS
//
// Built with the cblas tag and cgo enabled, F64 and F32 call the system
// BLAS instead: cblas_dgemm and cblas_sgemm from OpenBLAS (linked with
// -lopenblas; on Debian and Ubuntu, apt-get install libopenblas-dev), in
// row-major order, through the internal/gemm/cblas package (gemm itself
// cannot use cgo because it holds Go assembly). The arguments are checked
// and the products with an empty C, a zero k or a zero alpha are computed
// in Go exactly as without the tag, so the documented semantics and panics
// are the same; every other product goes to BLAS, which runs it on its own
// threads (OPENBLAS_NUM_THREADS limits them) rather than on this package's
// helper goroutines. Products with a dimension or stride beyond BLAS's
// integer type fall back to the package's kernels.
//
//	go test -tags cblas ./internal/gemm/ ./tensor/
//
// [UseCBLAS] switches the system BLAS off at run time, [HasCBLAS] reports
// whether it is linked in, and [Kernel] returns "cblas" while it is in use.
// Without the tag (the default, and whenever cgo is disabled) nothing of
// this is compiled in and the build stays pure Go.
//
// Results are not bitwise identical between the assembly and Go kernels,
// the system BLAS or between sizes: the order of the additions and the use
// of fused multiply-add differ.
package gemm
