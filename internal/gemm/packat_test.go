package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// PackRowsAt32 and PackRowsAt64 against packNaive of the matrix their
// offsets describe, built row by row: panels of 128 and 64 bytes (the
// assembly loops) and others, partial last panels, overlapping runs in
// any order, and garbage in bp that the zeros past column n must replace.
func TestPackRowsAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]float64, 500)
	for i := range src {
		src[i] = rng.NormFloat64()
	}
	src32 := make([]float32, len(src))
	for i, v := range src {
		src32[i] = float32(v)
	}
	for _, nr := range []int{4, 8, 16, 32} {
		for _, n := range []int{0, 1, 7, 8, 16, 31, 32, 33, 100, 128} {
			for _, k := range []int{0, 1, 5, 25} {
				offs := make([]int, k)
				b := make([]float64, k*n)
				for r := range offs {
					offs[r] = rng.IntN(len(src) - n + 1)
					copy(b[r*n:][:n], src[offs[r]:])
				}
				want := packNaive(b, k, n, n, nr)
				got := make([]float64, len(want)+3)
				got32 := make([]float32, len(want)+3)
				for i := range got {
					got[i], got32[i] = math.NaN(), float32(math.NaN())
				}
				PackRowsAt64(got, src, offs, n, nr)
				PackRowsAt32(got32, src32, offs, n, nr)
				for i, v := range want {
					if got[i] != v || got32[i] != float32(v) {
						t.Fatalf("nr %d n %d k %d: packed[%d] = %v (float32 %v), want %v", nr, n, k, i, got[i], got32[i], v)
					}
				}
				if !math.IsNaN(got[len(want)]) {
					t.Fatalf("nr %d n %d k %d: wrote past the packed length", nr, n, k)
				}
			}
		}
	}
	for _, bad := range []func(){
		func() { PackRowsAt32(make([]float32, 64), src32, []int{len(src32) - 10}, 32, 32) }, // run past src
		func() { PackRowsAt32(make([]float32, 31), src32, []int{0}, 32, 32) },               // bp short
		func() { PackRowsAt32(make([]float32, 64), src32, []int{-1}, 8, 32) },               // negative offset
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			bad()
		}()
	}
}
