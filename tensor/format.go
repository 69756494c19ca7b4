package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// Printing thresholds, as in NumPy's default print options: a tensor of more
// than summaryThreshold elements shows only the first and last edgeItems
// entries of every axis longer than 2*edgeItems.
const (
	summaryThreshold = 1000
	edgeItems        = 3
)

// String returns t laid out like NumPy's str(): nested brackets, elements
// separated by spaces and right-aligned to one common width, rows on their
// own lines and blocks of higher rank separated by blank lines, e.g.
//
//	[[  1 2.5]
//	 [  3   4]]
//
// Elements are in the shortest form that reads back exactly (strconv 'g'
// with precision -1, at 32 bits for float32), so NaN prints as NaN and the
// infinities as +Inf and -Inf. A scalar prints as its bare number and a
// tensor with no elements as []. A tensor of more than 1000 elements is
// summarized: along every axis longer than 6 only the first and last 3
// entries are shown, with "..." between. Long rows are not wrapped. A nil
// *Tensor prints as <nil>. String never panics.
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	bits := 64
	if t.dtype == Float32 {
		bits = 32
	}
	return t.layout(func(v float64) string { return strconv.FormatFloat(v, 'g', -1, bits) })
}

// Format implements fmt.Formatter. The verbs %v and %s print String(). The
// verbs %e, %E, %f, %F, %g and %G format every element with that verb and
// the precision given, if any (so "%.2f" prints each element with two
// decimals), and lay them out like String. Width and flags are ignored. Any
// other verb prints as %!verb(*tensor.Tensor=String()), the way fmt reports a
// bad verb. Format never panics.
func (t *Tensor) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's':
		_, _ = f.Write([]byte(t.String()))
		return
	case 'e', 'E', 'f', 'F', 'g', 'G':
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(*tensor.Tensor=%s)", verb, t.String())
		return
	}
	if t == nil {
		_, _ = f.Write([]byte("<nil>"))
		return
	}
	prec, ok := f.Precision()
	if !ok {
		prec = 6
		if verb == 'g' || verb == 'G' {
			prec = -1
		}
	}
	if verb == 'F' {
		verb = 'f'
	}
	bits := 64
	if t.dtype == Float32 {
		bits = 32
	}
	_, _ = f.Write([]byte(t.layout(func(v float64) string {
		return strconv.FormatFloat(v, byte(verb), prec, bits)
	})))
}

// layout arranges t's elements, each turned into text by elem, as String
// describes.
func (t *Tensor) layout(elem func(float64) string) string {
	if t.Size() == 0 {
		return "[]"
	}
	r := len(t.shape)
	if r == 0 {
		return elem(t.AtFlat(0))
	}
	// The entries shown along each axis; -1 marks the "..." gap.
	summarize := t.Size() > summaryThreshold
	shown := make([][]int, r)
	for k, n := range t.shape {
		if summarize && n > 2*edgeItems {
			for i := 0; i < edgeItems; i++ {
				shown[k] = append(shown[k], i)
			}
			shown[k] = append(shown[k], -1)
			for i := n - edgeItems; i < n; i++ {
				shown[k] = append(shown[k], i)
			}
			continue
		}
		for i := 0; i < n; i++ {
			shown[k] = append(shown[k], i)
		}
	}
	strides := make([]int, r)
	s := 1
	for k := r - 1; k >= 0; k-- {
		strides[k] = s
		s *= t.shape[k]
	}

	// First pass: the text of every shown element, in order, and their
	// common width.
	var texts []string
	width := 0
	var collect func(k, off int)
	collect = func(k, off int) {
		for _, i := range shown[k] {
			switch {
			case i < 0:
			case k == r-1:
				e := elem(t.AtFlat(off + i))
				width = max(width, len(e))
				texts = append(texts, e)
			default:
				collect(k+1, off+i*strides[k])
			}
		}
	}
	collect(0, 0)

	// Second pass: brackets, separators and padding. Entries of axis k are
	// separated by a space for the last axis and otherwise by r-k-1 newlines
	// followed by an indent of k+1 spaces (one per open bracket).
	var b strings.Builder
	next := 0
	var write func(k int)
	write = func(k int) {
		b.WriteByte('[')
		for j, i := range shown[k] {
			if j > 0 {
				if k == r-1 {
					b.WriteByte(' ')
				} else {
					b.WriteString(strings.Repeat("\n", r-k-1))
					b.WriteString(strings.Repeat(" ", k+1))
				}
			}
			switch {
			case i < 0:
				b.WriteString("...")
			case k == r-1:
				e := texts[next]
				next++
				b.WriteString(strings.Repeat(" ", width-len(e)))
				b.WriteString(e)
			default:
				write(k + 1)
			}
		}
		b.WriteByte(']')
	}
	write(0)
	return b.String()
}
