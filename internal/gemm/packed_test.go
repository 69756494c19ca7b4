package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// packNaive packs the k×n matrix b (row stride ldb) into panels nr wide as
// F32Packed documents: element (q, j) at (j/nr)·k·nr + q·nr + j%nr, zeros
// past column n.
func packNaive(b []float64, k, n, ldb, nr int) []float64 {
	out := make([]float64, PackedLen(k, n, nr))
	for q := range k {
		for j := range n {
			out[(j/nr)*k*nr+q*nr+j%nr] = b[q*ldb+j]
		}
	}
	return out
}

// F32Packed and F64Packed against the naive triple loop, over shapes with
// partial row slices and panels, several k blocks (tinyblocks), strided A
// and C (whose padding must stay untouched), beta 0 (over a C of NaNs in
// the padding-free case), 1 and 0.5, with both kernels.
func TestPacked(t *testing.T) {
	for _, md := range modes() {
		if md.procs > 0 || md.packA {
			continue
		}
		t.Run(md.name, func(t *testing.T) {
			md.with(func() {
				rng := rand.New(rand.NewPCG(7, 8))
				for _, m := range []int{1, 5, 6, 7, 12, 16} {
					for _, n := range []int{1, 15, 16, 17, 64, 100} {
						for _, k := range []int{1, 3, 25, 150, 300} {
							for _, beta := range []float64{0, 1, 0.5} {
								tc := newCase(rng, false, false, m, n, k, 1, beta, rng.IntN(2) == 0)
								checkPacked(t, tc)
							}
						}
					}
				}
			})
		})
	}
}

func checkPacked(t *testing.T, tc case_) {
	t.Helper()
	want, mag := tc.ref(tc.c.data)
	c64 := append([]float64(nil), tc.c.data...)
	if tc.beta == 0 && tc.c.ld == tc.n {
		for i := range tc.m * tc.n {
			c64[i] = math.NaN() // never read
		}
	}
	F64Packed(tc.m, tc.n, tc.k, tc.a.data, tc.a.ld, packNaive(tc.b.data, tc.k, tc.n, tc.b.ld, PanelWidth64()), tc.beta, c64, tc.c.ld)
	compare(t, "F64Packed", tc, want, mag, func(i int) float64 { return c64[i] }, tc.c.data, 0x1p-52)

	a32, b32, c32 := tc.a.f32(), tc.b.f32(), tc.c.f32()
	r := tc
	r.a.data, r.b.data = widen(a32), widen(b32)
	cIn32 := widen(c32)
	want32, mag32 := r.ref(cIn32)
	bp := make([]float32, PackedLen(tc.k, tc.n, PanelWidth32()))
	for i, v := range packNaive(r.b.data, tc.k, tc.n, tc.b.ld, PanelWidth32()) {
		bp[i] = float32(v)
	}
	F32Packed(tc.m, tc.n, tc.k, a32, tc.a.ld, bp, float32(tc.beta), c32, tc.c.ld)
	compare(t, "F32Packed", tc, want32, mag32, func(i int) float64 { return float64(c32[i]) }, cIn32, 0x1p-23)
}

func TestPackedPanics(t *testing.T) {
	a, c := make([]float32, 6), make([]float32, 6)
	for name, f := range map[string]func(){
		"short bp": func() { F32Packed(2, 3, 3, a, 3, make([]float32, 3*3), 0, c, 3) },
		"short a":  func() { F32Packed(3, 2, 3, a, 3, make([]float32, 3*16), 0, c, 2) },
		"negative": func() { F32Packed(-1, 2, 3, a, 3, nil, 0, c, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
