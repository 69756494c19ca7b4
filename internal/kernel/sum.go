package kernel

import "github.com/chainrule/chainrule/internal/workers"

// sumBlock is the length of the blocks Sum adds separately before adding
// their sums in order: a multiple of 8, fixed so that the result does not
// depend on the number of cores.
const sumBlock = 1 << 14

// Sum returns the sum of x. Each block of 2¹⁴ elements is added in eight
// interleaved partial sums (element i into lane i mod 8), which keeps eight
// additions in flight instead of waiting on one running total, the lanes
// are added pairwise, and the block sums are added in order; blocks run on
// every core for long slices. The order of the additions depends only on
// len(x), so the result is the same bit for bit however many cores there
// are, and its rounding error grows with len(x)/8 + len(x)/2¹⁴ terms,
// not len(x) as a running total's does.
func Sum[T Float](x []T) T {
	nb := (len(x) + sumBlock - 1) / sumBlock
	if nb <= 2 {
		var s T
		for b := 0; b < nb; b++ {
			s += sum8(x[b*sumBlock : min((b+1)*sumBlock, len(x))])
		}
		return s
	}
	part := make([]T, nb)
	workers.For(nb, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			part[b] = sum8(x[b*sumBlock : min((b+1)*sumBlock, len(x))])
		}
	})
	var s T
	for _, p := range part {
		s += p
	}
	return s
}

// sum8 returns the sum of x in eight interleaved lanes, then the rest.
func sum8[T Float](x []T) T {
	var s0, s1, s2, s3, s4, s5, s6, s7 T
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
		s4 += v[4]
		s5 += v[5]
		s6 += v[6]
		s7 += v[7]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
