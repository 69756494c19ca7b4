// Package gradcheck checks automatic derivatives against finite differences
// and against each other, op by op, from one table.
//
// The table Ops describes every differentiable operation of package ad: how
// to call it (Op.Fn), where its arguments may be sampled (Op.Domain), which
// argument shapes to try, broadcasting ones included (Op.Shapes), and fixed
// edge points with the gradient its convention prescribes (Op.Edges), such
// as relu'(0) = 0 or ties of Maximum splitting the gradient 0.5/0.5. The same
// table drives the tests of ad (Run), the test that every op of ad has an
// entry, and the coverage list docs/ops.md (Markdown).
//
// The checks are plain functions of a TB, an Op and its arguments, in the
// manner of gonum's shared test harnesses, so any later backend can run
// them on its own ops:
//
//   - CheckVJP: reverse mode against central differences, by the
//     dot-product test <VJP(u), v> = <u, J·v> for random u and v, and
//     whole Jacobians for small sizes;
//   - CheckJVP: forward mode against central differences, and the identity
//     <u, JVP(v)> = <VJP(u), v> to 1e-10;
//   - CheckBatchedJVP: JVPBatch with k directions against k JVPs;
//   - CheckBatchedVJP: VJPBatch with k cotangents against k VJPs and
//     central differences, at second order, and in float32;
//   - CheckVmap: Vmap against a loop over a batch of points, with every
//     argument mapped and with only the first, and its gradients both ways
//     (Vmap of Grads, Grads of Vmap);
//   - CheckSecondOrder: Hessian-vector products by forward-over-reverse,
//     reverse-over-reverse, finite differences of the gradient and
//     forward-over-forward;
//   - CheckFloat32: float32 against float64;
//   - CheckEdge: the gradient at a fixed point, NaN and ±Inf exactly.
//
// Run applies all of them to a table, at seeded random float64 points, in
// subtests named op/shapes/check, and can run known failures as expected
// failures (Known).
//
// docs/ops.md is regenerated with
//
//	go generate ./gradcheck
package gradcheck

//go:generate go test -run ^TestOpsDoc$ -update
