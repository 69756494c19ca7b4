// Command chainrule differentiates expressions from the command line. It
// parses an expression, builds it with package ad's primitives, and prints
// its value, gradient, Jacobian or Hessian, by forward or reverse mode, or
// shows the computation graph node by node.
//
// Usage:
//
//	chainrule eval EXPR --at x=1,y=-2.5
//	chainrule grad EXPR --at … [--mode reverse|forward]
//	chainrule jacobian 'E1; E2; …' --at … [--mode auto|forward|reverse]
//	chainrule hessian EXPR --at …
//	chainrule graph EXPR --at … [--mode both|forward|reverse] [--format text|dot|svg] [-o FILE]
//
// eval prints the value. grad prints the value and the gradient, by reverse
// mode (one recorded pass and one sweep, ad.ValueAndGrads) unless --mode
// forward (one pass carrying a basis tangent per variable, ad.JVPBatch).
// jacobian takes several expressions separated by ';' and prints their
// values and Jacobian (a row per expression, a column per variable), by
// ad.Jacobian; --mode auto (the default) uses its rule — forward when there
// are fewer variables than outputs, reverse otherwise — and says which it
// picked. hessian prints the value, the gradient and the Hessian
// (ad.Hessian: reverse over batched reverse). Only jacobian accepts ';'.
//
// graph records the expression with ad.Trace, the variables as named scalar
// inputs, and prints a table with one row per node in evaluation order:
// its name (the variable's name for an input, v1, v2, … for intermediate
// variables), its definition (x * y, sin(x), -v3; + - * / ^ for ad's add,
// sub, mul, div, pow and - for neg, other primitives as calls, constants by
// value), its value, its local gradient with respect to each argument that
// is a node, its forward tangent for each variable's direction
// (ad.Graph.Tangents with basis tangents) and its reverse adjoint
// (ad.Graph.Adjoints with seed 1); --mode forward or reverse shows only one
// of the two. The table ends with the gradient assembled by the chain rule:
// each input's adjoint as the sum, over the nodes that use it, of their
// adjoint times their local gradient, and the output's tangents. --format
// dot writes Graphviz DOT (nodes labelled with definition, op, value,
// tangents and adjoint; edges with the local gradient; constants as dashed
// plain-text nodes; the output with a double border); --format svg pipes
// that through Graphviz's dot -Tsvg, and fails if dot is not on PATH.
// Derivatives d(E, v) inside the expression show up in the graph as the
// primitives their forward-mode evaluation applied.
//
// # Flags
//
// Flags may come before or after the expression, with one dash or two, and
// a value either as the next argument or after '=' (--at=x=1):
//
//	--at x=1,y=-2.5   the variables and the point; may be repeated
//	--mode MODE       see above
//	--format FORMAT   graph only: text, dot or svg
//	-o FILE           write the output to FILE instead of standard output ("-")
//	--json            print exactly one JSON object
//	-h, --help        print usage and exit 0
//
// An argument starting with '-' that is not a flag is taken as the
// expression when it comes right after the command (chainrule eval -x^2
// --at x=3); "--" makes the next argument the expression whatever it looks
// like (chainrule eval --at h=1 -- -h).
//
// # Variables
//
// The variables are the names given in --at, in that order; the gradient,
// the Jacobian's columns and the Hessian follow it. A name given in --at
// that the expression does not use is still a variable, with derivative 0.
// A variable the expression uses that --at does not give is an error, and
// so is a value for a function name or for the constants pi and e (--at
// pi=3 does not redefine pi; it is refused).
// Values are read with strconv.ParseFloat, so inf, -inf and nan are
// accepted and flow through the computation by IEEE rules; values outside
// float64's range are rejected. Without --at there are no variables.
//
// # Expressions
//
// The language is internal/expr's: numbers, the constants pi and e,
// variables, + - * / and ^ (or **), unary minus, parentheses, the functions
// sin cos tan asin acos atan
// sinh cosh tanh exp log log1p expm1 sqrt abs sigmoid relu softplus erf and
// pow atan2 max min hypot (max and min are ad.Maximum and ad.Minimum), and
// d(E, v), the derivative of E with respect to the variable v at the
// current point. Precedence is Python's: ^ binds tighter than prefix minus,
// always, so -x^2 is -(x^2), -(x+1)^2 is -((x+1)^2) and 2^-x^2 is
// 2^(-(x^2)); write (-x)^2 for the square of -x.
//
// d is evaluated by forward mode (ad.Derivative) at a fresh level, so
// nested d's never confuse their perturbations: d(x * d(x + y, y), x)
// is 1 everywhere, and d(d(x^3, x), x) at x=2 is 12 with gradient 6. Each
// level of nesting about doubles the time and the memory (a value under k
// levels carries 2^k parts), so d's nest at most 8 deep (expr.MaxDerivDepth);
// a deeper one is an error at its position. Derivatives side by side, as
// in d(x^2, x) + d(y^2, y), do not count towards the limit.
//
// At kinks the library's conventions (PyTorch's) apply: relu'(0) = 0,
// abs'(0) = 0, max and min split ties 0.5/0.5, sqrt'(0) = +Inf.
//
// # Output
//
// Numbers are printed in the shortest form that reads back to the same
// float64 (strconv.FormatFloat(v, 'g', -1, 64)); a derivative that is -0
// prints as 0. With --json the output is one JSON object:
//
//	eval:     {"value": v, "variables": [...]}
//	grad:     {"value": v, "variables": [...], "gradient": [...], "mode": "reverse"}
//	jacobian: {"values": [...], "variables": [...], "jacobian": [[...], ...], "mode": "forward"}
//	          (with "auto": true when the mode was picked by auto)
//	hessian:  {"value": v, "variables": [...], "gradient": [...], "hessian": [[...], ...]}
//	graph:    {"variables": [...], "value": v, "output": name or null, "mode": "both",
//	           "nodes": [{"name", "op", "def", "inputs", "value", "local", "tangents", "adjoint"}, ...],
//	           "gradient": [...]}
//
// In graph's nodes, inputs lists the arguments (node names, or the values of
// constants), local the local gradient with respect to each of them (null
// where the primitive has none elementwise), tangents one number per
// variable (omitted with --mode reverse) and adjoint the reverse adjoint
// (omitted with --mode forward). gradient is the inputs' adjoints, or with
// --mode forward the output's tangents. JSON has no NaN or infinity, so
// non-finite numbers are the strings "NaN", "Inf" and "-Inf".
//
// # Errors
//
// Every failure — a syntax error (with line:column, the expression and a
// caret under the spot), an unknown function (with the nearest known name
// suggested: ln → log), a wrong number of arguments,
// a d whose second argument is not a variable, a missing or malformed --at,
// a variable not given in --at, an unknown command or flag — prints one
// message starting "chainrule: " on standard error and exits with status 2.
// The expression is echoed with non-printable characters escaped (\x1b, \r)
// and clipped around the error's position when long.
// Errors raised by the library become messages too, and anything
// unexpected is reported as "chainrule: internal error: …", never as a
// panic trace.
package main
