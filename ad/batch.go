package ad

// Batched reverse mode: VJPBatch pulls k cotangents back through one
// reverse sweep. A cotangent carries leading batch dimensions in front of
// its node's output shape, as JVPBatch's tangents do in front of the
// primal's; a reverse rule learns how many from the shapes alone
// (ctBatch: the cotangent's rank less the output's), so one recording
// serves sweeps of any batch size, and the same rules run unbatched.
// Each non-elementwise reverse rule shifts its axes past the batch
// dimensions; the engine's undo-broadcast (sumToBatch in node.vjpOf) keeps
// them.

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// VJPBatch is VJP for k cotangents at once, the reverse-mode counterpart
// of JVPBatch: it runs f at xs once, recording it, and returns its value
// and a pull-back. The pull-back takes k cotangents stacked along a
// leading dimension (shape k followed by the output's shape) and returns,
// for each argument, its k cotangents stacked the same way (shape k
// followed by the argument's shape): row i is what VJP's pull-back returns
// for row i of cts. One reverse sweep carries all k rows, so a dense
// Jacobian (cts the identity) costs one sweep of k-wide operations
// instead of k sweeps. The pull-back may be called any number of times,
// with any k, without running f again; it panics with tensor.ErrShape for
// cotangents of the wrong shape or dtype.
func VJPBatch(f func(xs []Value) Value, xs ...Value) (Value, func(cts Value) []Value) {
	y, pull := vjpBatched("vjp_batch", f, xs, false)
	return y, func(cts Value) []Value { return pull(cts, 1) }
}

// vjpBatched records f at xs and returns its value and a pull-back taking
// cotangents with b leading batch dimensions. With once, the pull-back
// may be called only once: it returns the tape to the pool (what Grad
// does; a fresh tape costs more than a small sweep).
func vjpBatched(op string, f func(xs []Value) Value, xs []Value, once bool) (Value, func(ct Value, b int) []Value) {
	t, in, leaves := begin(op, xs)
	t.reuse = once
	y := f(in)
	check(op, y)
	t.done = true
	yp, own := t.lower(y)
	return yp, func(ct Value, b int) []Value {
		check(op, ct)
		cs := ct.Shape()
		if len(cs) < b || !sameShape(cs[b:], yp.Shape()) || ct.DType() != yp.DType() {
			tensor.Panicf(tensor.ErrShape, op, "cotangents %s %s for output %s %s (%d leading batch dimension(s) expected)",
				ct.DType(), tensor.ShapeString(cs), yp.DType(), tensor.ShapeString(yp.Shape()), b)
		}
		var gs []Value
		if own {
			gs = t.backward(y.idx(), ct, leaves)
		} else {
			gs = make([]Value, len(xs))
		}
		if once {
			t.release()
		}
		for i, g := range gs {
			if g.IsZero() {
				gs[i] = wrap(xs[i].DType().Zeros(batched(ct, b, xs[i].Shape())...))
			}
		}
		return gs
	}
}

// ctBatch returns the number of leading batch dimensions that the
// cotangent ct carries in front of the shape of out, the output of the
// node it is the cotangent of: 0 except in a VJPBatch sweep.
func ctBatch(ct, out Value) int { return ct.Rank() - out.Rank() }

// batched returns the first b dimensions of v's shape followed by shape.
func batched(v Value, b int, shape []int) []int {
	return append(slices.Clone(v.Shape()[:b]), shape...)
}

// shiftAxes returns perm on the data axes of a value with b leading batch
// axes, which stay in place.
func shiftAxes(perm []int, b int) []int {
	out := make([]int, 0, b+len(perm))
	for i := 0; i < b; i++ {
		out = append(out, i)
	}
	for _, q := range perm {
		out = append(out, q+b)
	}
	return out
}

// sumToBatch sums g, whose first b dimensions are batch dimensions, down
// to those batch dimensions followed by shape: SumTo past the batch axes.
// The target is padded with 1s to g's rank first so that the batch axes
// line up, then reshaped.
func sumToBatch(g Value, b int, shape []int) Value {
	if b == 0 {
		return SumTo(g, shape...)
	}
	want := batched(g, b, shape)
	if sameShape(g.Shape(), want) {
		return g
	}
	pad := g.Rank() - b - len(shape)
	if pad < 0 {
		tensor.Panicf(tensor.ErrShape, "sum_to", "batched shape %s does not sum to %s", tensor.ShapeString(g.Shape()), tensor.ShapeString(want))
	}
	padded := slices.Clone(g.Shape()[:b])
	for range pad {
		padded = append(padded, 1)
	}
	padded = append(padded, shape...)
	return Reshape(SumTo(g, padded...), want...)
}

// perRow calls rule once per batch row of ct (its b leading dimensions
// flattened) and stacks each argument's results: the fallback of custom
// vjp rules, which are written for one cotangent.
func perRow(ct Value, b int, args []Value, rule func(ct Value) []Value) []Value {
	bs := ct.Shape()[:b]
	k := tensor.Size(bs)
	flat := Reshape(ct, append([]int{k}, ct.Shape()[b:]...)...)
	rows := make([][]Value, len(args))
	for r := 0; r < k; r++ {
		gs := rule(Reshape(Slice(flat, 0, r, r+1), ct.Shape()[b:]...))
		for i := range args {
			g := zerosLike(args[i])
			if i < len(gs) && !gs[i].IsZero() {
				g = gs[i]
			}
			rows[i] = append(rows[i], g)
		}
	}
	out := make([]Value, len(args))
	for i, a := range args {
		if k == 0 {
			out[i] = wrap(a.DType().Zeros(append(slices.Clone(bs), a.Shape()...)...))
			continue
		}
		out[i] = Reshape(Stack(0, rows[i]...), append(slices.Clone(bs), a.Shape()...)...)
	}
	return out
}

// foldBatchJVP is matmul's forward rule for the tangent t of operand i
// batched over b > 0 leading axes (JVPBatch's directions) where both
// primal operands are matrices: one matrix product with the batch folded
// into the rows instead of one small product per direction. For a tangent
// of A read as is, op(dA)·op(B) is the rows of all the dAs times op(B);
// for a product with one column (a matrix times a vector), op(A)·db for
// each direction is the directions as rows times op(A)ᵀ. It reports false
// where it does not apply.
func foldBatchJVP(t Value, i int, A, B Value, b int, p *params) (Value, bool) {
	if b == 0 || A.Rank() != 2 || B.Rank() != 2 || t.Rank() != b+2 {
		return Value{}, false
	}
	ts := t.Shape() // batch dimensions, then the operand's matrix
	r, c := ts[b], ts[b+1]
	lead := tensor.Size(ts[:b])
	switch {
	case i == 0 && !p.ta:
		g := matmulT(Reshape(t, lead*r, c), B, false, p.tb)
		return Reshape(g, append(slices.Clone(ts[:b]), r, g.Shape()[1])...), true
	case i == 1 && (!p.tb && c == 1 || p.tb && r == 1):
		k := r * c // op(db) is a k×1 column
		g := matmulT(Reshape(t, lead, k), A, false, !p.ta)
		return Reshape(g, append(slices.Clone(ts[:b]), g.Shape()[1], 1)...), true
	}
	return Value{}, false
}

// foldBatchVJP is matmul's reverse rule for a batched cotangent ct (b > 0)
// where the other operand is one matrix, computed as one matrix product
// with the batch folded into the rows instead of one small product per
// batch element: Ā = C̄·op(B)ᵀ with C̄'s leading axes folded into its rows,
// and, for a product with one column (a matrix times a vector), B̄ᵀ =
// C̄ᵀ·op(A) with each batch element's column as a row. It reports false
// where it does not apply.
func foldBatchVJP(ct Value, i int, A, B Value, b int, p *params) (Value, bool) {
	if b == 0 || A.Rank() != 2 || B.Rank() != 2 {
		return Value{}, false
	}
	cs := ct.Shape() // batch dimensions, then m×n
	m, n := cs[len(cs)-2], cs[len(cs)-1]
	lead := tensor.Size(cs[:len(cs)-2])
	switch {
	case i == 0 && !p.ta:
		// Ā, (lead·m)×k: the rows of all the C̄s times op(B)ᵀ.
		g := matmulT(Reshape(ct, lead*m, n), B, false, !p.tb)
		k := g.Shape()[1]
		return Reshape(g, append(slices.Clone(cs[:b]), m, k)...), true
	case i == 1 && n == 1:
		// B̄ = op(A)ᵀ·c for each column c of C̄: all of them as the rows of
		// C̄ reshaped (lead)×m, times op(A).
		g := matmulT(Reshape(ct, lead, m), A, false, p.ta)
		k := g.Shape()[1]
		bs := append(slices.Clone(cs[:b]), k, 1)
		if p.tb {
			bs = append(slices.Clone(cs[:b]), 1, k)
		}
		return Reshape(g, bs...), true
	}
	return Value{}, false
}
