// Package sparse computes sparse Jacobians and Hessians by colouring, as
// Julia's SparseConnectivityTracer and SparseMatrixColorings do behind
// DifferentiationInterface.
//
// A dense Jacobian of f: Rⁿ → Rᵐ costs n forward directions (or m reverse
// sweeps). When the Jacobian is sparse — a discretized PDE, a chain of
// states, a sum of local terms — columns that share no row can share one
// direction: with k colours the whole Jacobian comes from one batched
// forward pass carrying k directions, and k is small (3 for a tridiagonal
// Jacobian, 5 for the 2-D 5-point stencil) whatever n is.
//
// The package is named for what it returns, read at the call site as
// sparse.Jacobian, sparse.NewHessianPlan, *sparse.CSR; the gonum adapter
// for dense problems is package gonumopt.
//
// # Steps
//
//  1. Sparsity detection. JacobianPattern and HessianPattern record f once
//     at x (ad.Trace) and propagate index sets through the graph: each
//     element of each node carries the set of input elements it depends on,
//     worked out from the primitive's structure (broadcasting, slicing,
//     padding, concatenation, transposition, reshaping, sum_to, reductions
//     by max, min and logsumexp, 2-D matrix products), never from values,
//     so a product that happens to be 0 at x still counts. For the Hessian,
//     each nonlinear primitive that reaches the output adds the pairs of
//     input elements its second derivatives couple. Primitives whose
//     structure the tracer does not know — take_along, batched matmul,
//     custom functions, a reduction whose axes its shapes do not tell —
//     make every output element depend on every input element of their
//     arguments: a superset, so the result stays exact, only less
//     compressed (and detection panics with tensor.ErrArg rather than hold
//     more than 2²⁸ entries for one such node).
//  2. Colouring. ColorColumns (forward mode), ColorRows (reverse mode),
//     ColorStar and ColorAcyclic (symmetric Hessians) colour the pattern
//     greedily in DSATUR order with iterated greedy recolouring.
//     ColorBidirectional colours rows and columns at once (a star
//     colouring of the bipartite graph), for Jacobians that need many
//     colours both ways: an arrowhead, with a dense row and a dense
//     column, needs n either way and 4 directions both ways.
//  3. Evaluation. A JacobianPlan compresses columns and evaluates one
//     ad.JVPBatch with the seed matrix, or, when rows need fewer colours,
//     compresses rows and evaluates one ad.VJPBatch with the seed matrix
//     (one forward pass and one reverse sweep carrying a cotangent per
//     colour); either is recorded once by ad.Compile and replayed, and Mode
//     reports the choice. When both need at least 8 colours and a
//     bidirectional colouring fewer directions of both kinds together, the
//     plan does both in one program, reading each entry from the product
//     that holds it alone, and Mode reports ad.Auto. A HessianPlan evaluates one forward-over-reverse
//     Hessian–vector product (ad.JVP of ad.Grad) per colour, all recorded
//     in one program by ad.Compile. By default the colouring is a star
//     colouring and every entry is read directly from one product; with
//     Substitution it is an acyclic colouring when that needs fewer
//     colours (2 rather than 3 for a tridiagonal Hessian), and the entries
//     are solved for along the two-coloured trees, at the price of
//     rounding errors relative to the largest entries of the rows rather
//     than to each entry.
//
// Plans hold the pattern, the colouring and the recorded evaluation, for
// the Newton-loop case of many points and one structure. Results are CSR
// matrices that convert to gonum's dense types and implement mat.Matrix.
//
// # Concurrency
//
// A JacobianPlan or HessianPlan is safe for concurrent use: goroutines may
// evaluate one plan at once, each into a destination CSR of its own (two
// calls writing one CSR race, as two writes to one slice do). The plan's
// program, colouring and index arrays are read only; each call takes
// scratch of its own, kept aside for a plan used by one goroutine at a
// time, which then allocates nothing beyond its program's run, and pooled
// for calls that overlap (as ad.Program does). A call reads x only while
// it runs.
//
// # Control flow
//
// A pattern is exact for the path f took at x: ordinary Go control flow
// (an if on Value.Item, a loop bound read from x) is resolved when f is
// recorded, and the pattern is that of the operations that ran. Where
// chooses between its branches elementwise without control flow, and both
// branches count. A plan evaluated at a point where f takes another path
// is wrong there; make a new plan when the path can change.
package sparse
