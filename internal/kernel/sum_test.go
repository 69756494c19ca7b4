package kernel

import (
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

// exactSum returns the sum of x rounded once, from math/big.
func exactSum(x []float64) float64 {
	s := new(big.Float).SetPrec(2000)
	for _, v := range x {
		s.Add(s, new(big.Float).SetPrec(2000).SetFloat64(v))
	}
	f, _ := s.Float64()
	return f
}

// TestSum checks Sum against the exact sum within its error bound, for
// lengths around the lane count, the block and the parallel threshold, and
// that the result does not depend on the number of cores.
func TestSum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 1000, sumBlock - 1, sumBlock, 2*sumBlock + 3, 3*sumBlock + 5, 1_000_003} {
		x := make([]float64, n)
		abs := 0.0
		for i := range x {
			x[i] = r.NormFloat64() * math.Exp(4*r.NormFloat64())
			abs += math.Abs(x[i])
		}
		got, want := Sum(x), exactSum(x)
		terms := float64(min(n, sumBlock)/8 + 8 + n/sumBlock + 2)
		if math.Abs(got-want) > terms*0x1p-53*abs {
			t.Errorf("n=%d: Sum = %v, exact %v (error %g, bound %g)", n, got, want, math.Abs(got-want), terms*0x1p-53*abs)
		}
		prev := runtime.GOMAXPROCS(1)
		one := Sum(x)
		runtime.GOMAXPROCS(prev)
		if math.Float64bits(one) != math.Float64bits(got) {
			t.Errorf("n=%d: Sum on one core %v, on %d cores %v", n, one, prev, got)
		}
	}
	// float32 adds in float32; exact small integers stay exact
	y := make([]float32, 3*sumBlock+1)
	for i := range y {
		y[i] = float32(i % 3)
	}
	if got, want := Sum(y), float32(3*sumBlock); got != want {
		t.Errorf("float32 Sum = %v, want %v", got, want)
	}
	// IEEE specials propagate as in a running total
	for _, c := range []struct {
		x    []float64
		want float64
	}{
		{[]float64{1, math.Inf(1), 2}, math.Inf(1)},
		{[]float64{math.Inf(-1), 1, math.Inf(1)}, math.NaN()},
		{[]float64{1, math.NaN(), 2}, math.NaN()},
		{[]float64{math.Copysign(0, -1)}, 0},
	} {
		if got := Sum(c.x); !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) || math.Signbit(got) != math.Signbit(c.want) && !math.IsNaN(got) {
			t.Errorf("Sum(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

// BenchmarkSum: Sum against a running total, at W2's n = 1e6.
func BenchmarkSum(b *testing.B) {
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = float64(i % 7)
	}
	var sink float64
	b.Run("running-total", func(b *testing.B) {
		for b.Loop() {
			s := 0.0
			for _, v := range x {
				s += v
			}
			sink += s
		}
	})
	b.Run("Sum", func(b *testing.B) {
		for b.Loop() {
			sink += Sum(x)
		}
	})
	b.Run("Sum-one-core", func(b *testing.B) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		for b.Loop() {
			sink += Sum(x)
		}
	})
	_ = sink
}
