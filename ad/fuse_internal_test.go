package ad

import (
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// bcastRef returns, for each flat index of out, the flat index of the
// operand of shape s it reads under NumPy broadcasting, computed from
// multi-indices: the reference for bcastOf and expand.
func bcastRef(s, out []int) []int {
	off := len(out) - len(s)
	idx := make([]int, tensor.Size(out))
	mi := make([]int, len(out))
	for i := range idx {
		r := i
		for k := len(out) - 1; k >= 0; k-- {
			mi[k], r = r%out[k], r/out[k]
		}
		f := 0
		for k, d := range s {
			c := mi[off+k]
			if d == 1 {
				c = 0
			}
			f = f*d + c
		}
		idx[i] = f
	}
	return idx
}

// bcastOf accepts exactly the operands whose axes that are not 1 are
// consecutive axes of the output, and expand reads, for every block of
// every size, the elements NumPy broadcasting reads.
func TestBcastOfAndExpand(t *testing.T) {
	out := []int{3, 4, 5}
	for _, c := range []struct {
		s  []int
		ok bool
	}{
		{[]int{5}, true}, {[]int{1, 5}, true}, {[]int{4, 5}, true}, {[]int{4, 1}, true},
		{[]int{3, 1, 1}, true}, {[]int{3, 4, 1}, true}, {[]int{1, 4, 1}, true}, {[]int{3, 4, 5}, true},
		{[]int{3, 1, 5}, false}, // a broadcast axis between two that are not
		{[]int{2, 5}, false}, {[]int{1}, false}, {[]int{1, 1, 1}, false}, {[]int{1, 3, 4, 5}, false},
	} {
		b, ok := bcastOf(c.s, out)
		if ok != c.ok {
			t.Errorf("bcastOf(%v, %v): ok %v, want %v", c.s, out, ok, c.ok)
		}
		if !ok {
			continue
		}
		v := make([]float64, tensor.Size(c.s))
		for i := range v {
			v[i] = float64(i) + 0.5
		}
		ref := bcastRef(c.s, out)
		buf := make([]float64, len(ref))
		for size := 1; size <= len(ref); size++ {
			for lo := 0; lo < len(ref); lo += size {
				hi := min(lo+size, len(ref))
				got := expand(buf, v, b, lo, hi)
				if len(got) != 1 && len(got) != hi-lo {
					t.Fatalf("%v, [%d, %d): %d elements", c.s, lo, hi, len(got))
				}
				for i := lo; i < hi; i++ {
					g := got[0]
					if len(got) > 1 {
						g = got[i-lo]
					}
					if g != v[ref[i]] {
						t.Fatalf("%v, block [%d, %d): element %d is %g, want %g", c.s, lo, hi, i, g, v[ref[i]])
					}
				}
			}
		}
	}
}
