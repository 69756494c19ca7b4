package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// addRowsRef is the running total AddRows must match bit for bit.
func addRowsRef[T Float](dst, x []T, rows, ld int) {
	for r := range rows {
		for j := range dst {
			dst[j] += x[r*ld+j]
		}
	}
}

func testAddRows[T Float](t *testing.T, name string) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, asm := range []bool{false, true} {
		old := addRowsAsm
		addRowsAsm = asm && old
		for _, n := range []int{1, 3, 4, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 129, 1000} {
			for _, rows := range []int{1, 2, 5, 32} {
				ld := n + r.IntN(3)
				x := make([]T, (rows-1)*ld+n)
				for i := range x {
					x[i] = T(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4)))
				}
				// specials in a few columns: NaN, ±Inf and both, -0
				if n > 5 {
					x[2] = T(math.NaN())
					x[(rows-1)*ld+3] = T(math.Inf(1))
					x[4], x[(rows-1)*ld+4] = T(math.Inf(1)), T(math.Inf(-1))
					x[5] = T(math.Copysign(0, -1))
				}
				want, got := make([]T, n), make([]T, n)
				for j := range want {
					want[j] = T(r.NormFloat64())
					got[j] = want[j]
				}
				addRowsRef(want, x, rows, ld)
				AddRows(got, x, rows, ld)
				for j := range want {
					w, g := float64(want[j]), float64(got[j])
					if math.Float64bits(w) != math.Float64bits(g) && !(w != w && g != g) {
						t.Fatalf("%s asm=%v n=%d rows=%d ld=%d: column %d = %v, want %v", name, asm, n, rows, ld, j, g, w)
					}
				}
			}
		}
		addRowsAsm = old
	}
}

func TestAddRows(t *testing.T) {
	testAddRows[float32](t, "float32")
	testAddRows[float64](t, "float64")
}

func TestAddRowsShort(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("AddRows with a short x did not panic")
		}
	}()
	AddRows(make([]float32, 8), make([]float32, 15), 2, 8)
}
