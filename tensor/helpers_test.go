package tensor

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// This file holds the reference implementations the tests compare against.
// They are deliberately naive and written differently from the kernels:
// explicit multi-indices built by division, no strides, no fast paths.

var dtypes = []DType{Float64, Float32}

// prod returns the product of dims, 1 for none.
func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// unravel returns the multi-index of row-major position f in shape.
func unravel(f int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = f % shape[k]
		f /= shape[k]
	}
	return idx
}

// ravel returns the row-major position of idx in shape as Σ idx[k]·Π shape[k+1:].
func ravel(idx, shape []int) int {
	f := 0
	for k := range idx {
		f += idx[k] * prod(shape[k+1:])
	}
	return f
}

// refBroadcastShape pads both shapes with leading 1s to a common rank and
// compares them dimension by dimension.
func refBroadcastShape(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	pad := func(s []int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = 1
		}
		copy(p[n-len(s):], s)
		return p
	}
	pa, pb := pad(a), pad(b)
	out := make([]int, n)
	for k := 0; k < n; k++ {
		switch {
		case pa[k] == pb[k]:
			out[k] = pa[k]
		case pa[k] == 1:
			out[k] = pb[k]
		case pb[k] == 1:
			out[k] = pa[k]
		default:
			return nil, false
		}
	}
	return out, true
}

// refIndex returns the row-major position in a tensor of shape in of the
// element that broadcasting maps to the output multi-index out.
func refIndex(out, in []int) int {
	lead := len(out) - len(in)
	idx := make([]int, len(in))
	for k := range in {
		if in[k] != 1 {
			idx[k] = out[lead+k]
		}
	}
	return ravel(idx, in)
}

// round returns v as dtype d would store it.
func round(d DType, v float64) float64 {
	if d == Float32 {
		return float64(float32(v))
	}
	return v
}

// mk returns a tensor of dtype d and shape holding vals (rounded to d).
func mk(d DType, vals []float64, shape ...int) *Tensor {
	if d == Float32 {
		v := make([]float32, len(vals))
		for i, x := range vals {
			v[i] = float32(x)
		}
		return New32(v, shape...)
	}
	return New(slices.Clone(vals), shape...)
}

// seeded returns a PCG generator for RandN and Rand, seeded with seed.
func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// ints returns n pseudo-random integers in [-9, 9] as float64s, so sums
// and products of a few of them are exact in float32 and float64.
func ints(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(r.IntN(19) - 9)
	}
	return out
}

// reals returns n pseudo-random values in (-2, 2) with a full mantissa.
func reals(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]float64, n)
	for i := range out {
		out[i] = 4*r.Float64() - 2
	}
	return out
}

// same reports whether x and y are equal or both NaN.
func same(x, y float64) bool {
	return x == y || (math.IsNaN(x) && math.IsNaN(y))
}

// checkExact fails unless got has dtype d, the given shape and exactly the
// values want (NaN matching NaN).
func checkExact(t *testing.T, name string, got *Tensor, d DType, shape []int, want []float64) {
	t.Helper()
	if got.DType() != d {
		t.Errorf("%s: dtype %s, want %s", name, got.DType(), d)
	}
	if !slices.Equal(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	if got.Size() != len(want) {
		t.Errorf("%s: size %d, want %d", name, got.Size(), len(want))
		return
	}
	vals := got.Float64s()
	for i := range want {
		if !same(vals[i], want[i]) {
			t.Errorf("%s: element %d (index %v) = %v, want %v", name, i, unravel(i, shape), vals[i], want[i])
			return
		}
	}
}

// checkClose is checkExact with a tolerance: |got-want| ≤ tol·scale[i],
// where scale[i] ≥ 1 bounds the magnitude of the terms behind want[i].
func checkClose(t *testing.T, name string, got *Tensor, shape []int, want, scale []float64, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	vals := got.Float64s()
	for i := range want {
		if math.Abs(vals[i]-want[i]) > tol*max(scale[i], 1) {
			t.Errorf("%s: element %d = %v, want %v (tolerance %g)", name, i, vals[i], want[i], tol*max(scale[i], 1))
			return
		}
	}
}

// checkPanic fails unless fn panics with an *Error of the given kind whose
// message is exactly msg.
func checkPanic(t *testing.T, name string, kind error, msg string, fn func()) {
	t.Helper()
	err := Maybe(fn)
	if err == nil {
		t.Errorf("%s: did not panic, want %q", name, msg)
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: error %T is not *Error", name, err)
	}
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %q is not %v", name, err, kind)
	}
	if err.Error() != msg {
		t.Errorf("%s: message\n%q, want\n%q", name, err.Error(), msg)
	}
}

// checkNoPanic fails if fn panics with a chainrule error.
func checkNoPanic(t *testing.T, name string, fn func()) {
	t.Helper()
	if err := Maybe(fn); err != nil {
		t.Errorf("%s: unexpected panic %v", name, err)
	}
}

func TestHelpersRoundTrip(t *testing.T) {
	// The references are only as good as unravel and ravel: check them
	// against hand-computed positions.
	shape := []int{2, 3, 4}
	cases := []struct {
		f   int
		idx []int
	}{{0, []int{0, 0, 0}}, {1, []int{0, 0, 1}}, {4, []int{0, 1, 0}}, {12, []int{1, 0, 0}}, {23, []int{1, 2, 3}}, {17, []int{1, 1, 1}}}
	for _, c := range cases {
		if got := unravel(c.f, shape); !slices.Equal(got, c.idx) {
			t.Errorf("unravel(%d) = %v, want %v", c.f, got, c.idx)
		}
		if got := ravel(c.idx, shape); got != c.f {
			t.Errorf("ravel(%v) = %d, want %d", c.idx, got, c.f)
		}
	}
}

// TestExportedNamesDocumented parses the package's non-test files and fails
// for any exported declaration without a doc comment.
func TestExportedNamesDocumented(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				n++
				if d.Doc == nil || !strings.HasPrefix(d.Doc.Text(), d.Name.Name+" ") {
					t.Errorf("%s: %s has no doc comment starting with its name", fset.Position(d.Pos()), d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					var names []*ast.Ident
					var doc *ast.CommentGroup
					switch s := spec.(type) {
					case *ast.TypeSpec:
						names, doc = []*ast.Ident{s.Name}, s.Doc
					case *ast.ValueSpec:
						names, doc = s.Names, s.Doc
					default:
						continue
					}
					if doc == nil && len(d.Specs) == 1 {
						doc = d.Doc
					}
					for _, id := range names {
						if !id.IsExported() {
							continue
						}
						n++
						if doc == nil {
							t.Errorf("%s: %s has no doc comment", fset.Position(id.Pos()), id.Name)
						}
					}
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("found only %d exported names; is the parser looking at the package?", n)
	}
}
