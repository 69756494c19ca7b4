package sparse

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
	"gonum.org/v1/gonum/mat"
)

// Pattern is the sparsity pattern of an m×n matrix in compressed sparse
// row form: the columns of the entries of row i are ColIdx[RowPtr[i]:RowPtr[i+1]],
// in increasing order. Entries outside the pattern are structurally zero.
type Pattern struct {
	Rows, Cols int
	RowPtr     []int // len Rows+1
	ColIdx     []int // len NNZ
}

// NNZ returns the number of entries in the pattern.
func (p *Pattern) NNZ() int { return len(p.ColIdx) }

// Has reports whether entry (i, j) is in the pattern. It panics with
// tensor.ErrIndex for an index out of range.
func (p *Pattern) Has(i, j int) bool {
	p.check("sparse.Pattern.Has", i, j)
	_, ok := slices.BinarySearch(p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]], j)
	return ok
}

func (p *Pattern) check(op string, i, j int) {
	if i < 0 || i >= p.Rows || j < 0 || j >= p.Cols {
		tensor.Panicf(tensor.ErrIndex, op, "(%d, %d) out of range for %d×%d", i, j, p.Rows, p.Cols)
	}
}

// T returns the transposed pattern.
func (p *Pattern) T() *Pattern {
	t := &Pattern{Rows: p.Cols, Cols: p.Rows, RowPtr: make([]int, p.Cols+1), ColIdx: make([]int, len(p.ColIdx))}
	for _, j := range p.ColIdx {
		t.RowPtr[j+1]++
	}
	for j := range p.Cols {
		t.RowPtr[j+1] += t.RowPtr[j]
	}
	next := slices.Clone(t.RowPtr[:p.Cols])
	for i := range p.Rows {
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			t.ColIdx[next[j]] = i
			next[j]++
		}
	}
	return t
}

// Dense returns the pattern as a 0/1 matrix.
func (p *Pattern) Dense() *mat.Dense {
	d := mat.NewDense(p.Rows, p.Cols, nil)
	for i := range p.Rows {
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			d.Set(i, j, 1)
		}
	}
	return d
}

// PatternOf returns the pattern of the entries of a dense matrix that are
// not zero, for tests and for building a pattern by hand.
func PatternOf(a mat.Matrix) *Pattern {
	m, n := a.Dims()
	p := &Pattern{Rows: m, Cols: n, RowPtr: make([]int, m+1)}
	for i := range m {
		for j := range n {
			if a.At(i, j) != 0 {
				p.ColIdx = append(p.ColIdx, j)
			}
		}
		p.RowPtr[i+1] = len(p.ColIdx)
	}
	return p
}

// CSR is a sparse m×n matrix in compressed sparse row form: its Pattern
// and one value per entry, Val[k] the value at (i, ColIdx[k]) for k in
// RowPtr[i]:RowPtr[i+1]. It implements gonum's mat.Matrix (At, Dims, T),
// so it can be handed to gonum wherever a mat.Matrix is read.
type CSR struct {
	*Pattern
	Val []float64
}

// Dims returns the numbers of rows and columns.
func (a *CSR) Dims() (r, c int) { return a.Rows, a.Cols }

// At returns entry (i, j), 0 outside the pattern. It panics with
// tensor.ErrIndex for an index out of range.
func (a *CSR) At(i, j int) float64 {
	a.check("sparse.CSR.At", i, j)
	row := a.ColIdx[a.RowPtr[i]:a.RowPtr[i+1]]
	if k, ok := slices.BinarySearch(row, j); ok {
		return a.Val[a.RowPtr[i]+k]
	}
	return 0
}

// T returns the transpose as a mat.Matrix (gonum's lazy mat.Transpose).
func (a *CSR) T() mat.Matrix { return mat.Transpose{Matrix: a} }

// Dense returns a as a new dense gonum matrix.
func (a *CSR) Dense() *mat.Dense {
	d := mat.NewDense(a.Rows, a.Cols, nil)
	a.each(d.Set)
	return d
}

// SymDense returns a square a as a new symmetric gonum matrix, from its
// upper triangle. It panics with tensor.ErrShape if a is not square.
func (a *CSR) SymDense() *mat.SymDense {
	if a.Rows != a.Cols {
		tensor.Panicf(tensor.ErrShape, "sparse.CSR.SymDense", "%d×%d is not square", a.Rows, a.Cols)
	}
	d := mat.NewSymDense(a.Rows, nil)
	a.each(func(i, j int, v float64) {
		if j >= i {
			d.SetSym(i, j, v)
		}
	})
	return d
}

func (a *CSR) each(f func(i, j int, v float64)) {
	for i := range a.Rows {
		for k := a.RowPtr[i]; k < a.RowPtr[i+1]; k++ {
			f(i, a.ColIdx[k], a.Val[k])
		}
	}
}

// MulVec sets dst = a·x and returns dst; a nil dst is allocated. It
// panics with tensor.ErrShape if len(x) is not a's number of columns or
// dst has the wrong length.
func (a *CSR) MulVec(dst, x []float64) []float64 {
	if len(x) != a.Cols {
		tensor.Panicf(tensor.ErrShape, "sparse.CSR.MulVec", "len(x) = %d for %d columns", len(x), a.Cols)
	}
	if dst == nil {
		dst = make([]float64, a.Rows)
	}
	if len(dst) != a.Rows {
		tensor.Panicf(tensor.ErrShape, "sparse.CSR.MulVec", "len(dst) = %d for %d rows", len(dst), a.Rows)
	}
	for i := range a.Rows {
		var s float64
		for k := a.RowPtr[i]; k < a.RowPtr[i+1]; k++ {
			s += a.Val[k] * x[a.ColIdx[k]]
		}
		dst[i] = s
	}
	return dst
}

// COO returns the entries as coordinate lists: row, column and value of
// each entry, in row-major order.
func (a *CSR) COO() (rows, cols []int, vals []float64) {
	rows = make([]int, 0, a.NNZ())
	a.each(func(i, j int, v float64) { rows = append(rows, i) })
	return rows, slices.Clone(a.ColIdx), slices.Clone(a.Val)
}
