package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// checkBias runs F64Bias and F32Bias on the case's A and B with a random
// bias row, C starting as NaN (it must be written, never read), and
// compares with the naive reference of alpha·op(A)·op(B) + 1·C0, where C0
// holds the bias in every row; C's padding must stay untouched.
func checkBias(t *testing.T, rng *rand.Rand, tc case_) {
	t.Helper()
	bias := make([]float64, tc.n+rng.IntN(3))
	for j := range bias {
		bias[j] = rng.Float64()*4 - 2
	}
	tc.beta = 1
	for i := range tc.m {
		copy(tc.c.data[i*tc.c.ld:i*tc.c.ld+tc.n], bias[:tc.n])
	}
	want, mag := tc.ref(tc.c.data)
	nanInside := func(c []float64) {
		for i := range tc.m {
			for j := range tc.n {
				c[i*tc.c.ld+j] = math.NaN()
			}
		}
	}
	c64 := append([]float64(nil), tc.c.data...)
	nanInside(c64)
	F64Bias(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, tc.a.data, tc.a.ld, tc.b.data, tc.b.ld, bias, c64, tc.c.ld)
	compare(t, "F64Bias", tc, want, mag, func(i int) float64 { return c64[i] }, tc.c.data, 0x1p-52)

	a32, b32, c32, bias32 := tc.a.f32(), tc.b.f32(), tc.c.f32(), widenTo32(bias)
	r := tc
	r.a.data, r.b.data, r.alpha = widen(a32), widen(b32), float64(float32(tc.alpha))
	cIn32 := widen(c32)
	want32, mag32 := r.ref(cIn32)
	for i := range tc.m {
		for j := range tc.n {
			c32[i*tc.c.ld+j] = float32(math.NaN())
		}
	}
	F32Bias(tc.tA, tc.tB, tc.m, tc.n, tc.k, float32(tc.alpha), a32, tc.a.ld, b32, tc.b.ld, bias32, c32, tc.c.ld)
	compare(t, "F32Bias", tc, want32, mag32, func(i int) float64 { return float64(c32[i]) }, cIn32, 0x1p-23)
}

// TestBias checks the products with a bias row (a linear layer's
// x·Wᵀ + b) in every mode, on shapes that take each path: the blocked
// tiles (the bias written per tile, with several outer k blocks in
// tinyblocks), small and rank-one products, the column C = Aᵀ·b, the
// transposed computation, split k, and k = 0 or alpha = 0 (C = bias).
func TestBias(t *testing.T) {
	shapes := [][3]int{
		{1, 1, 1}, {1, 7, 3}, {7, 1, 5}, {5, 6, 1}, {7, 9, 5}, {17, 13, 29}, {65, 63, 67},
		{100, 30, 260}, {2, 200, 3}, {301, 1, 515}, {256, 1, 256}, {37, 45, 1},
		{100, 3, 260}, {150, 16, 64}, // the transposed computation
		{6, 25, 2000}, {13, 33, 3000}, // split k
		{4, 5, 0},
	}
	forModes(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, s := range shapes {
			for flags := range 4 {
				for i, alpha := range []float64{1, -0.5, 0} {
					tc := newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], alpha, 0, (flags+i)%2 == 1)
					checkBias(t, rng, tc)
				}
			}
		}
	})
}

// TestBiasNaN checks that a NaN or an infinity in the bias reaches its
// column of C and no other.
func TestBiasNaN(t *testing.T) {
	const m, n, k = 50, 70, 40
	rng := rand.New(rand.NewPCG(23, 24))
	tc := newCase(rng, false, true, m, n, k, 1, 0, false)
	a32, b32 := tc.a.f32(), tc.b.f32()
	bias := make([]float32, n)
	bias[3], bias[40] = float32(math.NaN()), float32(math.Inf(-1))
	c := make([]float32, m*n)
	F32Bias(false, true, m, n, k, 1, a32, tc.a.ld, b32, tc.b.ld, bias, c, n)
	for i := range m {
		for j := range n {
			v := float64(c[i*n+j])
			switch j {
			case 3:
				if !math.IsNaN(v) {
					t.Fatalf("C[%d][3] = %v, want NaN", i, v)
				}
			case 40:
				if !math.IsInf(v, -1) {
					t.Fatalf("C[%d][40] = %v, want -Inf", i, v)
				}
			default:
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("C[%d][%d] = %v", i, j, v)
				}
			}
		}
	}
}

func TestBiasPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("F32Bias with a short bias did not panic")
		}
	}()
	F32Bias(false, false, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 6), 3, make([]float32, 2), make([]float32, 6), 3)
}
