//go:build cblas && cgo

package gemm

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// TestMain runs the package's other tests with UseCBLAS false: they test the
// package's own kernels (forModes switches UseAsm, and TestKernelSelection
// expects Kernel to name them). The tests in this file switch the system
// BLAS on themselves.
func TestMain(m *testing.M) {
	UseCBLAS = false
	os.Exit(m.Run())
}

// withCBLAS runs f with UseCBLAS set to on and restores it afterwards.
func withCBLAS(on bool, f func()) {
	defer func(old bool) { UseCBLAS = old }(UseCBLAS)
	UseCBLAS = on
	f()
}

func TestCBLASKernel(t *testing.T) {
	if !HasCBLAS() {
		t.Fatal("HasCBLAS() = false in a cblas build")
	}
	defer func(u bool) { UseAsm = u }(UseAsm)
	for _, asm := range []bool{true, false} {
		UseAsm = asm
		withCBLAS(true, func() {
			if Kernel() != "cblas" {
				t.Errorf("UseAsm=%v UseCBLAS=true: Kernel() = %q, want cblas", asm, Kernel())
			}
		})
		withCBLAS(false, func() {
			want := "go"
			switch {
			case asm && hasAVX512:
				want = "avx512"
			case asm && HasAsm():
				want = "avx2-fma"
			}
			if Kernel() != want {
				t.Errorf("UseAsm=%v UseCBLAS=false: Kernel() = %q, want %q", asm, Kernel(), want)
			}
		})
	}
}

// TestCBLASExisting runs the package's tests of the semantics of F64 and
// F32 (zero dimensions, beta = 0 with NaNs in C, alpha = 0 with NaNs in A,
// NaN propagation, panics, allocations, concurrent calls, random products)
// on the system BLAS. The modes of forModes all give the same BLAS path
// here; TestShapes and TestBig are left out as TestCBLASShapes covers their
// shapes once.
func TestCBLASExisting(t *testing.T) {
	tests := []struct {
		name string
		f    func(*testing.T)
	}{
		{"ZeroDims", TestZeroDims},
		{"BetaZeroIgnoresNaN", TestBetaZeroIgnoresNaN},
		{"NaNPropagates", TestNaNPropagates},
		{"Panics", TestPanics},
		{"Allocs", TestAllocs},
		{"Concurrent", TestConcurrent},
		{"Random", TestRandom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { withCBLAS(true, func() { tt.f(t) }) })
	}
}

// checkCBLAS runs tc through F64 and F32 on the system BLAS, compares the
// results with the naive reference (tc.check: within the rounding-error
// bound, C's padding untouched), then with the package's own kernels, the
// assembly ones when available and the portable Go ones: both sides are
// within the bound of the exact product, so they agree within twice it.
func checkCBLAS(t *testing.T, tc case_) {
	t.Helper()
	withCBLAS(true, func() { tc.check(t) }) // also fills tc.memo
	a32, b32 := tc.a.f32(), tc.b.f32()
	run := func(blas, asm bool) (c64 []float64, c32 []float32) {
		defer func(u bool) { UseAsm = u }(UseAsm)
		UseAsm = asm
		c64 = append([]float64(nil), tc.c.data...)
		c32 = tc.c.f32()
		withCBLAS(blas, func() {
			F64(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, tc.a.data, tc.a.ld, tc.b.data, tc.b.ld, tc.beta, c64, tc.c.ld)
			F32(tc.tA, tc.tB, tc.m, tc.n, tc.k, float32(tc.alpha), a32, tc.a.ld, b32, tc.b.ld, float32(tc.beta), c32, tc.c.ld)
		})
		return c64, c32
	}
	blas64, blas32 := run(true, true)
	for _, asm := range []bool{true, false} {
		if asm && !HasAsm() {
			continue
		}
		own64, own32 := run(false, asm)
		name := map[bool]string{true: "avx2-fma", false: "go"}[asm]
		agree(t, "F64 cblas vs "+name, tc, tc.memo.mag, 0x1p-52, len(blas64),
			func(i int) float64 { return blas64[i] }, func(i int) float64 { return own64[i] })
		agree(t, "F32 cblas vs "+name, tc, tc.memo.mag32, 0x1p-23, len(blas32),
			func(i int) float64 { return float64(blas32[i]) }, func(i int) float64 { return float64(own32[i]) })
	}
}

// agree checks that two results for tc are within twice compare's bound of
// each other inside C and equal in C's padding.
func agree(t *testing.T, name string, tc case_, mag []float64, eps float64, n int, x, y func(int) float64) {
	t.Helper()
	inside := make([]bool, n)
	bad := 0
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			idx := i*tc.c.ld + j
			inside[idx] = true
			tol := 2 * 4 * float64(tc.k+3) * eps * mag[i*tc.n+j]
			if !(math.Abs(x(idx)-y(idx)) <= tol) {
				if bad < 5 {
					t.Errorf("%s %v: C[%d][%d] = %g and %g (tol %g)", name, tc, i, j, x(idx), y(idx), tol)
				}
				bad++
			}
		}
	}
	for idx := range n {
		if !inside[idx] && x(idx) != y(idx) && !(math.IsNaN(x(idx)) && math.IsNaN(y(idx))) {
			t.Errorf("%s %v: C padding at %d differs: %g and %g", name, tc, idx, x(idx), y(idx))
			return
		}
	}
	if bad > 5 {
		t.Errorf("%s %v: %d elements differ", name, tc, bad)
	}
}

// TestCBLASShapes compares the system BLAS with the reference and the
// package's kernels on fixed shapes (edges of the micro-tiles, vectors,
// empty products), every transpose, strided and contiguous operands, and
// alpha and beta including zero.
func TestCBLASShapes(t *testing.T) {
	shapes := [][3]int{
		{0, 0, 0}, {0, 5, 3}, {4, 0, 3}, {4, 5, 0}, {1, 1, 0},
		{1, 1, 1}, {1, 7, 1}, {7, 1, 1}, {1, 1, 9}, {1, 37, 23}, {41, 1, 19}, {5, 6, 1},
		{6, 8, 4}, {6, 16, 4}, {7, 9, 5}, {17, 13, 29}, {31, 37, 41}, {65, 63, 67},
		{100, 30, 260}, {25, 130, 300}, {2, 200, 3}, {1, 300, 517}, {301, 1, 515},
	}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {2.5, -1}, {0, 0.5}, {0, 0}}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range shapes {
		for flags := range 4 {
			for i, x := range ab {
				checkCBLAS(t, newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], x[0], x[1], (flags+i)%2 == 1))
			}
		}
	}
	if !testing.Short() { // as TestBig: a multithreaded product in OpenBLAS
		checkCBLAS(t, newCase(rng, false, false, 512, 512, 512, 1, 0, false))
		checkCBLAS(t, newCase(rng, true, true, 300, 521, 517, -1.5, 0.5, true))
	}
}

// TestCBLASRandom compares the system BLAS with the reference and the
// package's kernels on random shapes (zero dimensions included), flags,
// strides and scalars.
func TestCBLASRandom(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	rng := rand.New(rand.NewPCG(23, 24))
	dim := func() int {
		switch rng.IntN(8) {
		case 0:
			return rng.IntN(3) // 0, 1 or 2
		case 1, 2:
			return 1 + rng.IntN(20)
		default:
			return 1 + rng.IntN(130)
		}
	}
	scal := []float64{0, 1, -1, 0.5, 3}
	for range n {
		checkCBLAS(t, newCase(rng, rng.IntN(2) == 0, rng.IntN(2) == 0, dim(), dim(), dim(),
			scal[rng.IntN(5)], scal[rng.IntN(5)], rng.IntN(2) == 0))
	}
}
