package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveMaxPool is max pooling written from its definition: each output
// element is the first largest element (a later NaN replacing it) of its
// window over the input padded with -Inf.
func naiveMaxPool(x []float64, n, c, h, w int, k [2]int, s [2]int, pad [2][2]int) ([]float64, []int) {
	oh := (h+pad[0][0]+pad[0][1]-k[0])/s[0] + 1
	ow := (w+pad[1][0]+pad[1][1]-k[1])/s[1] + 1
	var out []float64
	var at []int
	for pl := 0; pl < n*c; pl++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				best, pos := math.Inf(-1), -1
				for p := 0; p < k[0]; p++ {
					for q := 0; q < k[1]; q++ {
						r, cc := i*s[0]-pad[0][0]+p, j*s[1]-pad[1][0]+q
						if r < 0 || r >= h || cc < 0 || cc >= w {
							continue
						}
						f := pl*h*w + r*w + cc
						if v := x[f]; pos < 0 || v > best || math.IsNaN(v) {
							best, pos = v, f
						}
					}
				}
				out, at = append(out, best), append(at, pos)
			}
		}
	}
	return out, at
}

// TestMaxPool2DNaive checks MaxPool2D and MaxPool2DScatter, in both dtypes,
// against the naive definition: the 2×2 fast path and general windows, odd
// sizes, ties (values drawn from a few integers) and NaNs, and enough
// planes to run on several cores.
func TestMaxPool2DNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type cfg struct {
		n, c, h, w int
		k          [2]int
		pc         PoolConfig
	}
	cases := []cfg{
		{2, 3, 6, 6, [2]int{2, 2}, PoolConfig{}},
		{64, 6, 24, 24, [2]int{2, 2}, PoolConfig{}},
		{3, 2, 7, 5, [2]int{2, 2}, PoolConfig{}},
		{2, 2, 7, 9, [2]int{3, 2}, PoolConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 1}, {0, 1}}}},
		{1, 3, 5, 5, [2]int{2, 2}, PoolConfig{Stride: [2]int{1, 1}}},
	}
	for _, tc := range cases {
		size := tc.n * tc.c * tc.h * tc.w
		x := make([]float64, size)
		for i := range x {
			x[i] = float64(rng.IntN(5)) // ties
			if rng.IntN(50) == 0 {
				x[i] = math.NaN()
			}
		}
		st := tc.pc.Stride
		if st == [2]int{} {
			st = tc.k
		}
		want, at := naiveMaxPool(x, tc.n, tc.c, tc.h, tc.w, tc.k, st, tc.pc.Padding)
		for _, d := range []DType{Float64, Float32} {
			xt := New(x, tc.n, tc.c, tc.h, tc.w).As(d)
			got := MaxPool2D(xt, xt, tc.k, tc.pc)
			for i, wv := range want {
				if g := got.AtFlat(i); !(g == wv || math.IsNaN(g) && math.IsNaN(wv)) {
					t.Fatalf("%+v %s: output %d = %g, want %g", tc, d, i, g, wv)
				}
			}
			// a different operand is gathered at the same positions, also
			// with a leading dimension
			vt := RandN(seeded(9), 2, tc.n, tc.c, tc.h, tc.w).As(d)
			gv := MaxPool2D(xt, vt, tc.k, tc.pc)
			for b := range 2 {
				for i, f := range at {
					if g, wv := gv.AtFlat(b*len(at)+i), vt.AtFlat(b*size+f); g != wv {
						t.Fatalf("%+v %s: gather %d of batch %d = %g, want %g", tc, d, i, b, g, wv)
					}
				}
			}
			// a random cotangent adds up where positions are picked
			ur := RandN(seeded(10), got.Shape()...).As(d)
			sr := MaxPool2DScatter(xt, ur, tc.k, tc.pc)
			sum := make([]float64, size)
			for i, f := range at {
				sum[f] += ur.AtFlat(i)
			}
			for i, wv := range sum {
				if g := sr.AtFlat(i); !(math.Abs(g-wv) <= 1e-6*(1+math.Abs(wv))) { // a NaN fails too
					t.Fatalf("%+v %s: scatter at %d = %g, want %g", tc, d, i, g, wv)
				}
			}
			// the scatter of ones counts how often each position is picked
			u := Ones(got.Shape()...).As(d)
			sc := MaxPool2DScatter(xt, u, tc.k, tc.pc)
			count := make([]float64, size)
			for _, f := range at {
				count[f]++
			}
			for i, c := range count {
				if sc.AtFlat(i) != c {
					t.Fatalf("%+v %s: scatter at %d = %g, want %g", tc, d, i, sc.AtFlat(i), c)
				}
			}
		}
	}
}

// TestMaxPool2DScatterRecycled runs the 2×2 scatter into storage that held
// NaNs, with an odd height and width (a last row and column that no window
// covers), against the naive definition's positions.
func TestMaxPool2DScatterRecycled(t *testing.T) {
	for _, d := range []DType{Float64, Float32} {
		shape := []int{4, 8, 33, 31}
		x := RandN(seeded(21), shape...).As(d)
		y := MaxPool2D(x, x, [2]int{2, 2}, PoolConfig{})
		u := RandN(seeded(22), y.Shape()...).As(d)
		for range 3 {
			Recycle(Full(math.NaN(), shape...).As(d))
			s := MaxPool2DScatter(x, u, [2]int{2, 2}, PoolConfig{})
			// the reference: the positions of the naive definition
			want := Zeros(shape...).As(d)
			_, at := naiveMaxPool(x.Float64s(), shape[0], shape[1], shape[2], shape[3], [2]int{2, 2}, [2]int{2, 2}, [2][2]int{})
			for i, f := range at {
				want.SetFlat(f, want.AtFlat(f)+u.AtFlat(i))
			}
			if !Equal(s, want) {
				t.Fatalf("%s: the scatter differs from the positions' sums", d)
			}
		}
	}
}
