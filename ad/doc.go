// Package ad is chainrule's automatic differentiation: differentiable
// operations on Values, and the transformations that differentiate Go
// functions written with them.
//
// # Values and the graph
//
// A Value is a tensor (see package tensor) that may carry derivative
// information. Write an ordinary Go function from Values to a Value —
// with if, for and early returns as you like — and the transformations
// record or push derivatives through exactly the operations that ran:
//
//	f := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(x, ad.Sin(x)), false) }
//	g := ad.Grad(f, ad.New([]float64{1, 2, 3}, 3))
//
// Every operation is a node of a computation graph whose local gradient —
// the derivative of its output with respect to each input — is known. The
// chain rule multiplies local gradients along paths. Trace records the graph
// as a first-class value for inspection: its intermediate variables, their
// values and their local gradients.
//
// # Two modes
//
// Reverse mode (Grad, ValueAndGrad, VJP, VJPBatch, JacRev) records the graph
// as f runs and then sweeps it once from the output back to the inputs,
// accumulating adjoints; it is cheap when there are few outputs. Forward
// mode (JVP, JVPBatch, Derivative, JacFwd) pushes tangents along with the
// values, with no recording. JVPBatch carries k tangent directions in one
// pass and VJPBatch k cotangents in one sweep (each with a leading batch
// dimension of size k), so a whole Jacobian costs one batched pass in
// either mode. Jacobian chooses the mode from the sizes.
//
// # Batching
//
// Vmap maps a function over an axis of its arguments, like JAX's vmap:
// every primitive runs once on the whole batch through its batching rule
// (beside its derivative rules; those without one, custom rules and
// checkpoints, run once per element), and Vmap composes with the other
// transformations in any order — Vmap of Grad gives per-example gradients.
// Inputs and nodes that do not depend on the differentiated variables carry
// symbolic zero tangents and cost no derivative work.
//
// # Nesting and higher order
//
// Derivative rules are written with ad's own operations, so the derivative
// computation is itself differentiable: Grad of Grad, JVP of Grad (HVP),
// the batched JacRev of Grad (Hessian), and any mixture, to any depth. Each transformation tags its values
// with a fresh level, so a function being differentiated may itself call
// Grad or JVP on a closure over its own inputs without perturbation
// confusion.
//
// # Primitives and composites
//
// About forty primitives carry rules, each in the file of its family
// (unary.go, binary.go, reduce.go, shape.go, matmul.go), the rule one line
// under the kernel. Elementwise primitives give only their local
// derivatives; the engine multiplies them in and undoes broadcasting in one
// place. Everything else (Sum, Mean, Prod, Softmax, LogSumExp, losses, …) is
// a composite with no rule of its own. Custom attaches hand-written rules
// to a function; Checkpoint recomputes a function's intermediates during
// the reverse sweep instead of storing them.
//
// # Memory
//
// A reverse sweep over tensors hands each cotangent's storage back to
// package tensor's pool as soon as no adjoint holds it, and Grad (with
// ValueAndGrad, Grads and ValueAndGrads) hands back its intermediate
// values when it returns, as PyTorch frees a graph's saved tensors after
// backward: the next kernels and the next step reuse that memory instead
// of taking fresh pages from the runtime (see recycle.go). Inputs,
// captured constants, the value and the gradients returned, and what
// custom rules and checkpoints see are never recycled. A value computed
// inside f is valid only inside f: call Tensor there to keep it (the
// tensor it returns is never recycled). A Value that escapes f and is used
// after Grad returns panics with tensor.ErrGraph. VJP keeps its graph for
// its pull-back and recycles only its sweeps' cotangents; nested
// differentiation recycles nothing.
//
// # Graph capture
//
// Compile records f once — derivatives included — as a flat Program of
// instructions over registers, and Program.Run replays it on new inputs
// without recording: common subexpressions are shared, dead instructions
// pruned, the storage of dead intermediates reused, and runs of
// elementwise instructions over one shape and dtype (float64 or float32)
// are fused into groups that compute a block of elements at a time, so
// their intermediates never reach memory. All-scalar programs — code
// written one float64 at a time — run on a float64 register file, with
// the runs of instructions a Go loop recorded unrolled rolled back up into
// loops (reroll.go). Program.Donate lets a run reuse its inputs' storage
// too (jax.jit's donate_argnums), so that a training step that maps
// parameters to new parameters allocates nothing large; Program.AppendRun
// replays into a caller's slice of outputs, allocating nothing.
//
// # Conventions
//
// At non-differentiable points ad follows PyTorch: relu'(0) = abs'(0) = 0,
// maximum and minimum split ties 0.5/0.5, sqrt'(0) = +Inf. The chain rule
// multiplies with a strong zero (0·∞ = 0), so the unselected branch of
// Where receives exactly zero gradient even where its own derivative is
// infinite or NaN.
//
// # Errors
//
// Misuse — shapes that do not fit, a bad axis, mixed dtypes, a value that
// escaped the transformation that made it — panics with a *tensor.Error
// naming the operation and the shapes; tensor.Maybe turns such a panic into
// an error.
package ad
