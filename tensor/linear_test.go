package tensor

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// TestLinear checks Linear against the product and the sum it fuses,
// MatMulT then Add, on shapes that reach each path of the product (small,
// matrix-vector, blocked with edge tiles, split over the cores), in both
// dtypes, with a NaN and an infinity in the bias.
func TestLinear(t *testing.T) {
	for _, d := range dtypes {
		tol := 1e-13
		if d == Float32 {
			tol = 1e-5
		}
		for _, s := range [][3]int{{1, 1, 1}, {2, 3, 4}, {5, 1, 3}, {1, 7, 5}, {37, 19, 23}, {130, 70, 65}, {1024, 256, 96}, {300, 1024, 64}} {
			n, in, out := s[0], s[1], s[2]
			x := mk(d, reals(uint64(n+in), n*in), n, in)
			w := mk(d, reals(uint64(out), out*in), out, in)
			b := mk(d, reals(uint64(in+out+1), out), out)
			if out > 3 {
				b.SetFlat(1, math.NaN())
				b.SetFlat(3, math.Inf(1))
			}
			want := Add(MatMulT(x, w, false, true), b)
			got := Linear(x, w, b)
			if !slicesEqual(got.Shape(), want.Shape()) {
				t.Fatalf("%s %v: shape %v, want %v", d, s, got.Shape(), want.Shape())
			}
			gv, wv := got.Float64s(), want.Float64s()
			for i := range wv {
				g, w := gv[i], wv[i]
				if math.IsNaN(w) || math.IsInf(w, 0) {
					if !(g == w || g != g && w != w) {
						t.Fatalf("%s %v: element %d = %v, want %v", d, s, i, g, w)
					}
					continue
				}
				if math.Abs(g-w) > tol*(1+math.Abs(w))*math.Sqrt(float64(in)) {
					t.Fatalf("%s %v: element %d = %v, want %v", d, s, i, g, w)
				}
			}
		}
	}
	// leading dimensions are rows
	x := mk(Float64, reals(1, 2*3*4), 2, 3, 4)
	w, b := mk(Float64, reals(2, 5*4), 5, 4), mk(Float64, reals(3, 5), 5)
	if got := Linear(x, w, b).Shape(); fmt.Sprint(got) != "[2 3 5]" {
		t.Fatalf("Linear of (2,3,4) shape %v, want [2 3 5]", got)
	}
}

func slicesEqual(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestLinearPanics(t *testing.T) {
	x, w, b := Float32.Zeros(3, 4), Float32.Zeros(5, 4), Float32.Zeros(5)
	for _, c := range []struct {
		name    string
		x, w, b *Tensor
		want    error
	}{
		{"in", Float32.Zeros(3, 3), w, b, ErrShape},
		{"w rank", x, Float32.Zeros(5, 4, 1), b, ErrShape},
		{"bias", x, w, Float32.Zeros(4), ErrShape},
		{"bias rank", x, w, Float32.Zeros(1, 5), ErrShape},
		{"dtype", Float64.Zeros(3, 4), w, b, ErrDType},
		{"bias dtype", x, w, Float64.Zeros(5), ErrDType},
	} {
		err := Maybe(func() { Linear(c.x, c.w, c.b) })
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

// BenchmarkLinear times W9's FFN input layer, x·wᵀ + b with x 1024×256 and
// w 1024×256 in float32: fused (the bias written into the product's
// tiles) against the product followed by a broadcast add, both handing
// their result back to the storage cache as a training step's would be.
func BenchmarkLinear(b *testing.B) {
	r := seeded(3)
	x, w, bias := Float32.RandN(r, 1024, 256), Float32.RandN(r, 1024, 256), Float32.RandN(r, 1024)
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			Recycle(Linear(x, w, bias))
		}
	})
	b.Run("matmul+add", func(b *testing.B) {
		for b.Loop() {
			y := MatMulT(x, w, false, true)
			Recycle(Add(y, bias))
			Recycle(y)
		}
	})
}
