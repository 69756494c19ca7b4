package gemm

import "fmt"

// Products with a pre-packed B. A caller that builds B itself, such as a
// convolution unfolding its input (im2col), can write it straight into the
// panel layout the micro-kernels read, instead of building B row-major and
// having the product copy it into panels again.

// PanelWidth32 returns nr, the width of the panels of a packed B operand of
// [F32Packed]: 32 for the AVX-512 kernels, 16 for the AVX2 and the
// portable ones. It depends on [UseAsm], so read it for each product.
func PanelWidth32() int { return kernels(&goF32, &asmF32).nr }

// PanelWidth64 returns nr, the width of the panels of a packed B operand of
// [F64Packed]: 16 for the AVX-512 kernels, 8 for the AVX2 and the
// portable ones.
func PanelWidth64() int { return kernels(&goF64, &asmF64).nr }

// PackedLen returns the length of a packed B operand of k rows and n
// columns in panels nr wide: ⌈n/nr⌉·k·nr.
func PackedLen(k, n, nr int) int { return ceilDiv(n, nr) * k * nr }

// F32Packed computes C = A·B + beta·C for a row-major m×k A with row stride
// lda, a row-major m×n C with row stride ldc, and a k×n B given packed:
// ⌈n/nr⌉ panels for nr = [PanelWidth32](), panel t at bp[t·k·nr:], holding
// for each of the k rows in turn the nr values of columns t·nr … t·nr+nr-1,
// zeros past column n. When beta is zero C is only written. It runs on the
// calling goroutine (callers parallelize over independent products) with
// this package's kernels, also when the system BLAS is in use. It panics if
// a dimension is negative, a stride too small or a slice too short. C must
// not overlap A or bp.
func F32Packed(m, n, k int, a []float32, lda int, bp []float32, beta float32, c []float32, ldc int) {
	packedProduct(kernels(&goF32, &asmF32), m, n, k, a, lda, bp, beta, c, ldc)
}

// F64Packed is [F32Packed] for float64, with panels [PanelWidth64]() wide.
func F64Packed(m, n, k int, a []float64, lda int, bp []float64, beta float64, c []float64, ldc int) {
	packedProduct(kernels(&goF64, &asmF64), m, n, k, a, lda, bp, beta, c, ldc)
}

// packedProduct computes C = A·B + beta·C with B packed in panels of
// cfg.nr: k blocks of cfg.kc; within one, each B panel (kb×nr, in L1) meets
// every mr-row slice of A, read in place (the partial bottom slice packed
// once, zero-padded).
func packedProduct[T float](cfg *config[T], m, n, k int, a []T, lda int, bp []T, beta T, c []T, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	mr, nr := cfg.mr, cfg.nr
	checkMat("a", m, k, len(a), lda)
	checkMat("c", m, n, len(c), ldc)
	if need := PackedLen(k, n, nr); len(bp) < need {
		panic(fmt.Sprintf("gemm: len(bp)=%d is less than the %d of a packed %d×%d B in panels of %d", len(bp), need, k, n, nr))
	}
	p := problem[T]{m: m, n: n, k: k, alpha: 1, a: a, lda: lda, beta: beta, c: c, ldc: ldc}
	if m == 0 || n == 0 {
		return
	}
	setFirst := beta == 0 && cfg.kernSet != nil
	if k == 0 || !setFirst {
		scaleC(&p, 0, m, 0, n)
		if k == 0 {
			return
		}
	}
	full := m / mr * mr
	kc := ceilDiv(k, ceilDiv(k, cfg.kc))
	buf := getBuf[T](mr*kc + mr*nr)
	abuf, tmp := (*buf)[:mr*kc], (*buf)[mr*kc:]
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		set := setFirst && pc == 0
		kern := cfg.kern
		if set {
			kern = cfg.kernSet
		}
		if full < m {
			packA(abuf, &p, full, m-full, pc, kb, mr)
		}
		for jr := 0; jr < n; jr += nr {
			w := min(nr, n-jr)
			b := &bp[jr*k+pc*nr] // panel jr/nr, row pc
			for ir := 0; ir < m; ir += mr {
				h := min(mr, m-ir)
				ap, rs, cs := &abuf[0], 1, mr
				if h == mr {
					ap, rs, cs = &a[ir*lda+pc], lda, 1
				}
				off := ir*ldc + jr
				if h == mr && w == nr {
					kern(kb, ap, rs, cs, b, &c[off], ldc, 1)
					continue
				}
				edge(cfg, kb, ap, rs, cs, b, c[off:], ldc, 1, h, w, set, tmp)
			}
		}
	}
	putBuf(buf)
}
