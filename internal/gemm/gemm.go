package gemm

import (
	"fmt"
	"runtime"
)

// UseAsm selects the assembly micro-kernels when the processor supports
// them. It starts true and is ignored when [HasAsm] reports false. Tests and
// benchmarks set it to false to exercise the portable Go kernels; it must
// not be changed while a multiplication is running.
var UseAsm = true

// UseCBLAS selects the system BLAS (cblas_dgemm and cblas_sgemm) for F64
// and F32 in place of this package's kernels. It starts true and is ignored
// when [HasCBLAS] reports false, that is, unless the package is built with
// the cblas tag and cgo. Tests and benchmarks set it to false to compare
// the system BLAS with the package's own kernels; it must not be changed
// while a multiplication is running.
var UseCBLAS = true

// ParallelThreshold is the number of multiply-adds (m·n·k) from which a
// product is split over several goroutines. Smaller products run on the
// calling goroutine. It must not be changed while a multiplication is
// running.
var ParallelThreshold = 1 << 19

// smallThreshold is the number of multiply-adds below which a product skips
// packing and uses direct loops, as do products with at most two rows or
// columns, where a 6-row or 8-column micro-tile would be mostly padding.
var smallThreshold = 1024

// rankOneMaxK is the largest k that a product with a contiguous op(B) row
// takes through the unpacked axpy loops whatever its size (the tests set it
// to 0 to exercise the blocked kernels with k = 1).
var rankOneMaxK = 1

// HasAsm reports whether assembly micro-kernels are available: the build is
// for amd64 without the purego tag and the processor and operating system
// support AVX2 and FMA.
func HasAsm() bool { return hasAsm }

// HasCBLAS reports whether the system BLAS is linked in: the package was
// built with the cblas tag and cgo enabled.
func HasCBLAS() bool { return haveCBLAS }

// Kernel names the micro-kernel that F64 and F32 use at present:
// "cblas" for the system BLAS (see [UseCBLAS]), "avx512" or "avx2-fma" for
// the assembly kernels (AVX-512 where the processor has it) or "go" for the
// portable ones.
func Kernel() string {
	if UseCBLAS && haveCBLAS {
		return "cblas"
	}
	return kernels(&goF64, &asmF64).name
}

// F64 computes C = alpha·op(A)·op(B) + beta·C for row-major float64
// matrices, where op(X) is X, or its transpose when the matching trans flag
// is set. C is m×n with row stride ldc; op(A) is m×k, so A is stored m×k, or
// k×m when transA is set, with row stride lda; op(B) is k×n, so B is stored
// k×n, or n×k when transB is set, with row stride ldb. Each stride must be
// at least the stored number of columns (and at least 1) and each slice
// long enough to hold its matrix.
//
// When beta is zero, C is only written, never read, so it may hold NaNs or
// garbage. When alpha is zero or k is zero, A and B are not read and C is
// scaled by beta. F64 panics if a dimension is negative, a stride too small
// or a slice too short. C must not overlap A or B.
//
// When the package is built with the cblas tag and [UseCBLAS] is set, the
// product is computed by the system BLAS (cblas_dgemm) after the same checks
// and with the same semantics.
func F64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	p := problem[float64]{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil}
	if !(UseCBLAS && haveCBLAS && cblasF64(&p)) { // a direct call: p stays on the stack
		run(&p, kernels(&goF64, &asmF64), runtime.GOMAXPROCS(0))
	}
}

// F32 is [F64] for float32 matrices: it computes
// C = alpha·op(A)·op(B) + beta·C with the same layout, semantics and panics.
func F32(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	p := problem[float32]{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil}
	if !(UseCBLAS && haveCBLAS && cblasF32(&p)) {
		run(&p, kernels(&goF32, &asmF32), runtime.GOMAXPROCS(0))
	}
}

// F64Serial is [F64] computed on the calling goroutine only, whatever the
// size of the product: for callers that run independent products in
// parallel themselves, such as the matrices of a batched product. It has
// the semantics and panics of F64 (and calls the system BLAS in the same
// cases).
func F64Serial(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	p := problem[float64]{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil}
	if !(UseCBLAS && haveCBLAS && cblasF64(&p)) {
		run(&p, kernels(&goF64, &asmF64), 1)
	}
}

// F32Serial is [F32] computed on the calling goroutine only (see
// [F64Serial]).
func F32Serial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	p := problem[float32]{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil}
	if !(UseCBLAS && haveCBLAS && cblasF32(&p)) {
		run(&p, kernels(&goF32, &asmF32), 1)
	}
}

// F64Bias computes C = alpha·op(A)·op(B) + bias for row-major float64
// matrices, bias a row of n values added to every row of C: the affine map
// x·Wᵀ + b of a linear layer in one pass, the bias written into each tile
// of C just before the tile's product is added to it, rather than added
// to the finished C in a pass of its own. A, B and C are as for [F64]
// with beta = 0: C is only written. It panics as F64 does, or if bias
// holds fewer than n values.
func F64Bias(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, bias []float64, c []float64, ldc int) {
	p := problem[float64]{transA, transB, m, n, k, alpha, a, lda, b, ldb, 0, c, ldc, bias}
	p.checkBias()
	if UseCBLAS && haveCBLAS {
		fillBias(&p)
		if cblasF64(&p) {
			return
		}
	}
	run(&p, kernels(&goF64, &asmF64), runtime.GOMAXPROCS(0))
}

// F32Bias is [F64Bias] for float32 matrices.
func F32Bias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int) {
	p := problem[float32]{transA, transB, m, n, k, alpha, a, lda, b, ldb, 0, c, ldc, bias}
	p.checkBias()
	if UseCBLAS && haveCBLAS {
		fillBias(&p)
		if cblasF32(&p) {
			return
		}
	}
	run(&p, kernels(&goF32, &asmF32), runtime.GOMAXPROCS(0))
}

// checkBias checks p's dimensions and strides, then that its bias holds n
// values.
func (p *problem[T]) checkBias() {
	p.check()
	if len(p.bias) < p.n {
		panic(fmt.Sprintf("gemm: len(bias)=%d is less than the %d columns of c", len(p.bias), p.n))
	}
}

// fillBias writes p's bias, if any, into every row of C and makes p
// accumulate into C (beta = 1) without a bias: for the paths that do not
// write the bias tile by tile.
func fillBias[T float](p *problem[T]) {
	if p.bias == nil {
		return
	}
	for i := range p.m {
		copy(p.c[i*p.ldc:i*p.ldc+p.n], p.bias[:p.n])
	}
	p.beta, p.bias = 1, nil
}

// kernels returns the assembly configuration when it is selected and
// available, else the portable one.
func kernels[T float](portable, asm *config[T]) *config[T] {
	if UseAsm && hasAsm {
		return asm
	}
	return portable
}

type float interface{ ~float32 | ~float64 }

// problem holds the arguments of one product.
type problem[T float] struct {
	transA, transB bool
	m, n, k        int
	alpha          T
	a              []T
	lda            int
	b              []T
	ldb            int
	beta           T
	c              []T
	ldc            int
	// bias, if set, is a row of n added to every row of C (with beta = 0):
	// the blocked product writes it into each tile before the tile's first
	// k block; the other paths write it into C first (see fillBias)
	bias []T
}

// kernFunc adds alpha times the product of an mr×k block of A and a packed
// k×nr B panel (nr values per k step) to the mr×nr tile of C at c with row
// stride ldc. Element (r, q) of the A block is at a[r·rs + q·cs]: a packed
// panel has rs = 1 and cs = mr, A read in place rs = lda and cs = 1 (or the
// reverse for a transposed A). k is at least 1.
type kernFunc[T float] func(k int, a *T, rs, cs int, b, c *T, ldc int, alpha T)

// config is the blocking of one kernel.
type config[T float] struct {
	name       string // what Kernel reports
	mr, nr     int    // micro-tile
	mc, kc, nc int    // cache blocks; mc a multiple of mr, nc of nr
	kern       kernFunc[T]
	// kernSet, if set, is kern storing alpha·A·B into the tile without
	// reading it: the first k block of a product with beta = 0 uses it, so
	// C is never cleared first.
	kernSet kernFunc[T]
	// kernEdge, if set, computes a partial tile straight into C: its h
	// top rows and the columns of the set bits of mask (see edge); else
	// partial tiles go through a scratch tile.
	kernEdge edgeFunc[T]
}

// edgeFunc is a kernFunc for a partial tile: it adds alpha times the
// product to (or, if set is 1, stores it in) the h top rows of the tile of
// C at c, in the columns whose bits are set in mask. A partial panel of A
// is packed, zero-padded to mr rows.
type edgeFunc[T float] func(k int, a *T, rs, cs int, b, c *T, ldc int, alpha T, mask, h, set int)

// edge computes the h×w partial tile of C at c (row stride ldc) with
// cfg's edge kernel, or through the scratch tile tmp (mr×nr) and cfg.kern:
// alpha times the product is added to the tile, or stored in it if set.
func edge[T float](cfg *config[T], kb int, ap *T, rs, cs int, bp *T, c []T, ldc int, alpha T, h, w int, set bool, tmp []T) {
	if cfg.kernEdge != nil {
		s := 0
		if set {
			s = 1
		}
		cfg.kernEdge(kb, ap, rs, cs, bp, &c[0], ldc, alpha, 1<<w-1, h, s)
		return
	}
	nr := cfg.nr
	clear(tmp)
	cfg.kern(kb, ap, rs, cs, bp, &tmp[0], nr, alpha)
	for r := range h {
		crow := c[r*ldc:][:w]
		if set {
			copy(crow, tmp[r*nr:][:w])
			continue
		}
		for j, v := range tmp[r*nr:][:w] {
			crow[j] += v
		}
	}
}

// run validates p and computes it on up to maxThreads goroutines.
func run[T float](p *problem[T], cfg *config[T], maxThreads int) {
	p.check()
	m, n, k := p.m, p.n, p.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || p.alpha == 0 {
		fillBias(p)
		scaleC(p, 0, m, 0, n)
		return
	}
	if n == 1 && p.ldc == 1 && p.transA && m > 2 {
		fillBias(p)
		// a column C = Aᵀ·b, with the columns of op(A) strided: compute
		// the row Cᵀ = bᵀ·A instead, as axpy updates by the rows of A
		t := problem[T]{!p.transB, false, 1, m, k, p.alpha, p.b, p.ldb, p.a, p.lda, p.beta, p.c, m, nil}
		small(&t)
		return
	}
	if k == 1 && p.transB && p.ldb == 1 {
		p.transB, p.ldb = false, n // op(B) is one contiguous row either way
	}
	work := int64(m) * int64(n) * int64(k)
	if work < int64(smallThreshold) || m <= 2 || n <= 2 || (k <= rankOneMaxK && !p.transB) {
		// a rank-one update (an outer product) is m axpy updates of C's
		// rows: packing would only copy op(B)'s one row
		fillBias(p)
		small(p)
		return
	}
	threads := 1
	if work >= int64(ParallelThreshold) {
		threads = max(1, maxThreads)
	}
	if k >= swapMinK && swapGain*tileUse(m, n, cfg) < tileUse(n, m, cfg) {
		fillBias(p)
		swapped(p, cfg, threads)
		return
	}
	blocked(p, cfg, threads)
}

// swapGain is how many times better the micro-tiles must fit the
// transposed product than the product itself for run to compute the
// transposed one (see swapped), and swapMinK the least k for which it
// does: with a shorter k, transposing C costs more than the padding.
var (
	swapGain = 2.0
	swapMinK = 128
)

// tileUse returns the fraction of the mr×nr micro-tiles covering an m×n C
// that C fills: the rest is zero padding computed for nothing.
func tileUse[T float](m, n int, cfg *config[T]) float64 {
	return float64(m) / float64(roundUp(m, cfg.mr)) * float64(n) / float64(roundUp(n, cfg.nr))
}

// swapped computes p (checked, with m, n, k > 0 and alpha ≠ 0) through its
// transpose Cᵀ = alpha·op(B)ᵀ·op(A)ᵀ, for a C with few columns and more
// rows, such as a convolution's weight gradient (k×6 for six output
// channels): the nr-wide panels then run along C's rows, rather than
// holding a few columns and much zero padding. The transposed product is
// computed into scratch, a block of C's rows at a time, and added to C.
func swapped[T float](p *problem[T], cfg *config[T], threads int) {
	m, n := p.m, p.n
	rows := min(m, max(cfg.nr, swapScratch/n/cfg.nr*cfg.nr)) // C rows per block
	buf := getBuf[T](n * rows)
	for i0 := 0; i0 < m; i0 += rows {
		r := min(rows, m-i0)
		t := problem[T]{
			transA: !p.transB, transB: !p.transA, m: n, n: r, k: p.k, alpha: p.alpha,
			a: p.b, lda: p.ldb, ldc: r, c: (*buf)[:n*r],
		}
		// op(B)ᵀ is B read the other way; op(A)ᵀ's columns i0… are A's
		// rows i0… (or its columns when A is stored transposed)
		if p.transA {
			t.b, t.ldb = p.a[i0:], p.lda
		} else {
			t.b, t.ldb = p.a[i0*p.lda:], p.lda
		}
		blocked(&t, cfg, threads)
		addTransposed(p.c[i0*p.ldc:], p.ldc, t.c, r, n, p.beta)
	}
	putBuf(buf)
}

// addTransposed sets the r×n matrix C (row stride ldc) to beta·C + Sᵀ for
// the n×r matrix S (row stride r), not reading C when beta is zero.
func addTransposed[T float](c []T, ldc int, s []T, r, n int, beta T) {
	for i := range r {
		crow := c[i*ldc:][:n]
		col := s[i:]
		switch beta {
		case 0:
			for j := range crow {
				crow[j] = col[j*r]
			}
		case 1:
			for j := range crow {
				crow[j] += col[j*r]
			}
		default:
			for j := range crow {
				crow[j] = col[j*r] + beta*crow[j]
			}
		}
	}
}

// swapScratch bounds the scratch of swapped, in elements.
var swapScratch = 1 << 16

// check panics unless the dimensions, strides and slice lengths of p are
// consistent.
func (p *problem[T]) check() {
	if p.m < 0 || p.n < 0 || p.k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", p.m, p.n, p.k))
	}
	ar, ac := p.m, p.k
	if p.transA {
		ar, ac = ac, ar
	}
	br, bc := p.k, p.n
	if p.transB {
		br, bc = bc, br
	}
	checkMat("a", ar, ac, len(p.a), p.lda)
	checkMat("b", br, bc, len(p.b), p.ldb)
	checkMat("c", p.m, p.n, len(p.c), p.ldc)
}

func checkMat(name string, rows, cols, length, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s=%d is less than the %d columns of %s", name, ld, max(1, cols), name))
	}
	if rows > 0 && cols > 0 {
		if need := (rows-1)*ld + cols; length < need {
			panic(fmt.Sprintf("gemm: len(%s)=%d is less than the %d needed for %d×%d with stride %d", name, length, need, rows, cols, ld))
		}
	}
}

// scaleC multiplies rows [i0,i1) and columns [j0,j1) of C by beta; a zero
// beta clears them without reading them.
func scaleC[T float](p *problem[T], i0, i1, j0, j1 int) {
	beta := p.beta
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := p.c[i*p.ldc+j0 : i*p.ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
