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
//	f := func(x ad.Value) ad.Value { return ad.SumAll(ad.Mul(x, ad.Sin(x))) }
//	g := ad.Grad(f, ad.New([]float64{1, 2, 3}, 3))
//	fmt.Printf("%.3f\n", g) // a Value formats like its tensor
//
// Every operation is a node of a computation graph whose local gradient —
// the derivative of its output with respect to each input — is known. The
// chain rule multiplies local gradients along paths. Trace records the graph
// as a first-class value for inspection: its intermediate variables, their
// values and their local gradients.
//
// # Writing formulas
//
// A scalar formula reads about as long as in float64 Go. The binary ops
// (Add, Sub, Mul, Div, Pow, Atan2, Maximum, Minimum, Hypot, the
// comparisons, Where's branches) take a Value or a Go number for each
// operand (Operand); Add and Mul take any number of operands; AddN sums a
// list and SumAll a whole value; At and Elements read single elements as
// rank-0 Values:
//
//	// float64 Go:  b := x[i+1] - x[i]*x[i];  sum += a*a + 100*b*b
//	x := ad.Elements(xv)
//	b := ad.Sub(x[i+1], ad.Mul(x[i], x[i]))
//	sum = ad.Add(sum, ad.Mul(a, a), ad.Mul(100, b, b))
//
// A Go number, and Scalar(v), is a weakly typed constant, as in JAX and
// PyTorch: it takes the dtype of the value it meets, so Mul(2, x) of a
// float32 x is float32 (and so are its derivatives, nested or compiled).
// Two values of different strong dtypes — a float64 tensor (New, From) and
// a float32 one — still panic with tensor.ErrDType; convert with AsType.
// The binary ops are generic functions rather than methods on Value
// because Go methods take no type parameters, and a parameter of type any
// would turn a wrong operand into a run-time error; with Operand
// (Value | float64 | int) an untyped constant takes its default type and
// anything else fails to compile. Go numbers enter only as the first two
// operands of Add and Mul (the others are Values), and a generic op must be
// instantiated to be stored as a function value, e.g.
// ad.Sub[ad.Value, ad.Value] (Go infers it when the op is passed to a
// parameter of function type, except for the variadic Add and Mul).
//
// New takes ownership of its slice, which must not be modified afterwards;
// NewCopy copies it.
//
// # Functions the transformations take
//
// Every transformation takes any Func: a func(Value) Value (a literal,
// ad.Sin), a func(...Value) Value (what Custom and Checkpoint return) or a
// func([]Value) Value, so a Custom function plugs into JacFwd or Hessian
// as it is. The function is called as
//
//	                        func(Value) Value   func(...Value) Value   func([]Value) Value
//	Grad, ValueAndGrad,     f(x)                f(x)                   f([]Value{x})
//	Derivative, JacFwd,
//	JacRev, Jacobian,
//	Hessian, HVP
//	Grads, ValueAndGrads,   f(xs[0]), for one   f(xs...)               f(xs)
//	VJP, JVP, JVPBatch,     input only
//	Trace, Compile,
//	Custom, Checkpoint
//
// Compile also takes a func([]Value) []Value for several outputs. A nil
// function panics with tensor.ErrArg.
//
// # Two modes
//
// Reverse mode (Grad, ValueAndGrad, VJP, VJPBatch, JacRev) records the graph
// as f runs and then sweeps it once from the output back to the inputs,
// accumulating adjoints; it is cheap when there are few outputs. Forward
// mode (JVP, JVPBatch, Derivative, JacFwd) pushes tangents along with the
// values, with no recording. JVPBatch carries k tangent directions in one
// pass and VJPBatch k cotangents in one sweep (each with a leading batch
// dimension of size k; a product with a matrix takes all k in one matrix
// product), so a whole Jacobian costs one batched pass in either mode. Jacobian chooses the mode from the sizes.
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
// About fifty primitives carry rules, each in the file of its family
// (unary.go, binary.go, reduce.go, shape.go, matmul.go; nn.go for
// activations, conv.go for convolution, pool.go for pooling), the rule one
// line under the kernel. Elementwise primitives give only their local
// derivatives; the engine multiplies them in and undoes broadcasting in one
// place. LayerNorm is one fused primitive with its gradient's own
// primitive (layernorm.go), and attention's softmax over the keys one pass
// a row each way (nn.go). Everything else (Sum, Mean, Prod, LogSumExp, losses,
// BatchNorm, AvgPool2D, attention, …) is a composite with no rule of its
// own. Linear with a bias, evaluated eagerly or under first-order reverse
// mode (Grad, VJP), and the same under Compile, records one fused
// primitive whose value is the product with the bias written into its
// tiles and whose rules are the matmul's and the add's (linear.go); every
// other transformation and Trace's graphs see the matmul and the add.
// Custom attaches hand-written rules to a function; Checkpoint recomputes a
// function's intermediates during the reverse sweep instead of storing
// them.
//
// # Memory
//
// A reverse sweep over tensors hands each cotangent's storage back to
// package tensor's storage cache as soon as no adjoint holds it, and Grad
// (with ValueAndGrad, Grads and ValueAndGrads) hands back its intermediate
// values when it returns, as PyTorch frees a graph's saved tensors after
// backward: the next kernels and the next step reuse that memory at once,
// instead of taking fresh pages from the runtime or waiting for the
// garbage collector to return it to the cache (see recycle.go, and
// tensor.SetCacheLimit for the cache's bound). Inputs,
// captured constants, the value and the gradients returned, and what
// custom rules and checkpoints see are never recycled. A value computed
// inside f is valid only inside f: call Tensor there to keep it (the
// tensor it returns is never recycled). A Value that escapes f and is used
// after Grad returns panics with tensor.ErrGraph. VJP keeps its graph for
// its pull-back and recycles only its sweeps' cotangents. JVP (and JVPBatch,
// HVP, JacFwd, Hessian) hands back the primals and tangents of its tracers
// when it returns, keeping the same things (and the tangents custom rules
// see), and so, in forward over reverse, everything the inner Grad
// computed; the inner Grad's sweep also recycles each dead adjoint and
// local derivative (the JVP's primal and tangent) as it dies. Other
// nested differentiation (inside an outer Grad, or under Compile or Vmap)
// recycles nothing: an outer trace may hold the values.
//
// # Graph capture
//
// Compile records f once — derivatives included — as a flat Program of
// instructions over registers, and Program.Run replays it on new inputs
// without recording: common subexpressions are shared, dead instructions
// pruned, the storage of dead intermediates reused, and runs of
// elementwise instructions over one shape and dtype (float64 or float32)
// are fused into groups that compute a block of elements at a time, so
// their intermediates never reach memory: their operands may be broadcast
// along leading or trailing axes (a bias row, a per-row statistic), and a
// result may be written in place over an operand the group reads for the
// last time. All-scalar programs — code
// written one float64 at a time — run on a float64 register file, with
// the runs of instructions a Go loop recorded unrolled rolled back up into
// loops (reroll.go). Program.Donate lets a run reuse its inputs' storage
// too (jax.jit's donate_argnums), so that a training step that maps
// parameters to new parameters allocates nothing large; Program.AppendRun
// replays into a caller's slice of outputs, allocating nothing. A Program
// may be run by many goroutines at once, each call in registers of its own.
// Program.View describes a compiled program read-only — registers,
// instructions with their static parameters, shapes and dtypes, fused
// groups, rerolled loops — for printing (Program.String) and for
// exporters such as package onnx.
//
// # Conventions
//
// At non-differentiable points ad follows PyTorch: relu'(0) = abs'(0) = 0,
// maximum and minimum split ties 0.5/0.5, sqrt'(0) = +Inf.
//
// The chain rule multiplies a tangent or adjoint into a local derivative
// with a one-sided strong zero: a zero tangent or adjoint times an infinite
// or NaN local derivative is 0, so the unselected branch of Where receives
// exactly zero gradient even where its own derivative is infinite or NaN;
// but an infinite or NaN adjoint times a zero local derivative is NaN, as
// in IEEE arithmetic and PyTorch, so an underflow upstream is not hidden:
// the gradient of log(exp(x)) at x = -800 (∞·0) and of sqrt(x·x) at 0 is
// NaN. Selections — Where, Relu, Maximum, Minimum, Max, Min — zero what
// they do not select both ways, even under an infinite adjoint (PyTorch's
// where and masked_fill select rather than multiply). In forward mode a
// tangent that underflowed to 0 still annihilates: Derivative of
// log(exp(x)) at -800 is 0, because a zero tangent cannot tell an
// underflow from a direction not perturbed.
//
// In first-order code (nothing traced records the rule) Relu, Tanh,
// Sigmoid, GELU and GELUTanh multiply the local derivative into the
// tangent or adjoint in one pass a block at a time, as PyTorch's
// threshold_backward, tanh_backward and gelu_backward do, with the same kernels and so the same numbers, bit for
// bit, as the two steps; Relu's mask is read off its output, so a
// compiled program keeps no pre-activation.
//
// LogSumExp's gradient is PyTorch's, exp(x − LogSumExp(x)): NaN at the
// elements that are ±Inf or NaN where the result is infinite, so a
// diverging loss shows. A Hessian is symmetric wherever it is defined:
// where a gradient component is NaN its row and column are NaN, and a pair
// of entries the two orders of differentiation give differently (one NaN,
// or disagreeing infinities) is NaN both — atan2 and hypot at the origin
// have all-NaN Hessians, as in PyTorch. HVP makes the components that
// involve a NaN gradient component NaN likewise. Deliberate differences from
// PyTorch's double backward, checked against its reference data
// (testdata/torch/singular.json): where(x > 0, sqrt(x), 0) has gradient 0
// at x ≤ 0 (PyTorch NaN), and pow's Hessian at x = 0 is 0 along the
// partials its conventions make identically 0 (∂/∂y on x = 0, ∂/∂x on
// y = 0), where PyTorch computes 0·∞ = NaN in a branch not taken and is not
// symmetric (at (0, 2): [[2, 0], [NaN, NaN]] against chainrule's
// [[2, 0], [0, 0]]).
//
// # Errors
//
// Misuse — shapes that do not fit, a bad axis, mixed dtypes, a value that
// escaped the transformation that made it — panics with a *tensor.Error
// naming the operation and the shapes; tensor.Maybe turns such a panic into
// an error.
package ad
