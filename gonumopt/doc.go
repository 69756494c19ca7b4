// Package gonumopt drives gonum's optimizers and linear algebra with
// chainrule's derivatives.
//
// An Objective turns a scalar function written with package ad into a
// gonum optimize.Problem whose Func, Grad and Hess are exact derivatives
// replayed from programs recorded once by ad.Compile:
//
//	obj := gonumopt.NewObjective(rosenbrock, 2)
//	res, err := optimize.Minimize(obj.Problem(), x0, nil, &optimize.BFGS{})
//
// The name says what the package is: an adapter to gonum's optimize (and
// mat) packages, read at the call site as gonumopt.NewObjective,
// gonumopt.Jacobian, gonumopt.Hessian. Sparse Jacobians and Hessians are in
// package sparse.
//
// # Scalar code, no allocation
//
// The objective receives its coordinates as n scalar Values, as gonum's
// Func receives x []float64, and is written one scalar operation at a time
// (ad.Add, ad.Mul, ad.Sin of scalars; Go loops are fine). ad.Compile turns
// such code into an all-scalar program over a float64 register file, so
// that after the first call, which records, Func, Grad and Hess allocate
// nothing: they read gonum's x and write into gonum's grad slice and hess
// matrix. The gradient program is recorded at the first call of Func or
// Grad, the Hessian program at the first call of Hess (not at all for a
// method such as BFGS that never asks for it).
//
// # Ownership
//
// gonum owns x, grad and hess. An Objective reads x during a call and never
// keeps it or any slice of it; it writes grad and hess during the call and
// never keeps them either. The Objective owns its programs and the scratch
// it replays them in; it is safe for concurrent use.
//
// # Control flow
//
// A program is the computation that ran when it was recorded (see
// ad.Program): a branch the objective takes on the value of a coordinate
// (Value.Item) is baked in at the first point. An objective whose
// operations depend on x — a piecewise definition, an if on a coordinate —
// must not be used with an Objective; use ad.Grad directly instead, which
// re-records at every point. Branches on n or on constants are fine.
//
// # Dense helpers
//
// Jacobian and Hessian evaluate a function of a vector Value at a point and
// fill a *mat.Dense or *mat.SymDense, for gonum's linear solvers.
package gonumopt
