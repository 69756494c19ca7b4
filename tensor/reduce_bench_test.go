package tensor

import (
	"testing"
)

// BenchmarkSumTo sums a tensor down to the shape of a bias added to it:
// the rows of a matrix to one row (a linear layer's bias gradient, N×C to
// C) and the channels of an image batch (a convolution's, N×C×H×W to
// C×1×1). It reports the rate in bytes read.
func BenchmarkSumTo(b *testing.B) {
	for _, d := range dtypes {
		for _, c := range []struct {
			name     string
			from, to []int
		}{
			{"1024x1024", []int{1024, 1024}, []int{1024}},
			{"1024x256", []int{1024, 256}, []int{256}},
			{"37x1000", []int{37, 1000}, []int{1000}},
			{"64x6x24x24", []int{64, 6, 24, 24}, []int{6, 1, 1}},
			{"64x16x8x8", []int{64, 16, 8, 8}, []int{16, 1, 1}},
		} {
			x := d.RandN(seeded(1), c.from...)
			b.Run(d.String()+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(x.Size() * elemBytes(d)))
				for i := 0; i < b.N; i++ {
					SumTo(x, c.to)
				}
			})
		}
	}
}

// elemBytes returns the size of one element of d in bytes.
func elemBytes(d DType) int {
	if d == Float32 {
		return 4
	}
	return 8
}
