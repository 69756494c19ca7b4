package ad

import (
	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/tensor"
)

// padAdd computes pad_add in one pass over memory: pad(a) + pad(b) along
// axis, a starting at index start of the axis and b at stop, out of the
// given shape. Each element is written once, as a's, b + 0, a + b or 0
// (the values of the padded sum, bit for bit: b + 0 turns −0 into +0 as
// the sum with a padding zero does), where padding both and then adding
// would write the array three times.
func padAdd(a, b *tensor.Tensor, axis, start, stop int, shape []int) *tensor.Tensor {
	out := tensor.Uninitialized(a.DType(), shape) // every element is written below
	inner := tensor.Size(shape[axis+1:])
	row := shape[axis] * inner // one row of out: the whole axis
	na, nb := a.Shape()[axis]*inner, b.Shape()[axis]*inner
	sa, sb := start*inner, stop*inner
	if a.DType() == tensor.Float32 {
		padAddRows(out.Data32(), a.Data32(), b.Data32(), row, sa, na, sb, nb)
	} else {
		padAddRows(out.Data(), a.Data(), b.Data(), row, sa, na, sb, nb)
	}
	return out
}

// padAddRows writes the rows of dst (row elements each): a's row at
// offset sa (na elements), plus b's row at offset sb (nb elements), zero
// elsewhere; on all cores for large arrays.
func padAddRows[T float32 | float64](dst, a, b []T, row, sa, na, sb, nb int) {
	if len(dst) == 0 {
		return
	}
	kernel.Parallel(len(dst), func(lo, hi int) {
		for r := lo / row; r*row < hi; r++ {
			base := r * row
			d := dst[base:min(base+row, len(dst))]
			ar, br := a[r*na:(r+1)*na], b[r*nb:(r+1)*nb]
			// the part of this row in [lo, hi), cut at the ends of a and b
			i, end := max(lo-base, 0), min(hi-base, row)
			for i < end {
				j := end
				for _, c := range [4]int{sa, sa + na, sb, sb + nb} {
					if c > i && c < j {
						j = c
					}
				}
				inA, inB := i >= sa && i < sa+na, i >= sb && i < sb+nb
				switch {
				case inA && inB:
					x, y := ar[i-sa:j-sa], br[i-sb:j-sb]
					for k, v := range x {
						d[i+k] = v + y[k]
					}
				case inA:
					copy(d[i:j], ar[i-sa:j-sa])
				case inB:
					for k, v := range br[i-sb : j-sb] {
						d[i+k] = v + 0
					}
				default:
					clear(d[i:j])
				}
				i = j
			}
		}
	})
}
