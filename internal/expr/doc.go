// Package expr implements the lexer, parser and abstract syntax tree for the
// expression language of the chainrule command-line tool.
//
// # Syntax
//
// An expression is built from
//
//   - number literals: 2, 2.5, .5, 1., 1e-3, 2.5E+4;
//   - the constants pi and e (see [Constant]);
//   - variables: identifiers matching [A-Za-z_][A-Za-z0-9_]* that are not
//     function or constant names;
//   - the binary operators + - * / and ^ (** is a synonym for ^);
//   - the prefix operators - and +;
//   - parentheses;
//   - calls of the built-in functions listed below;
//   - derivatives d(E, v): the derivative of E with respect to the variable v,
//     evaluated at the current value of v.
//
// Precedence, from loosest to tightest, is: + and -; * and /; prefix - and +;
// ^. The binary operators other than ^ are left-associative, ^ is
// right-associative, so 2^3^2 is 2^(3^2). This is Python's grammar (with ^
// for **): a prefix operator takes the whole power to its right, always, so
// -x^2 is -(x^2), -(x+1)^2 is -((x+1)^2) and exp(-(x-1)^2/2) is the
// Gaussian exp(-((x-1)^2)/2); write (-x)^2 for the square of -x. A prefix
// operator may follow any binary operator, as in x * -y, and the exponent of
// ^ may start with one, which then takes the power to its right: 2^-x is
// 2^(-x) and 2^-x^2 is 2^(-(x^2)), as 2**-x**2 is in Python.
//
// The one-argument functions are sin, cos, tan, asin, acos, atan, sinh,
// cosh, tanh, exp, log, log1p, expm1, sqrt, abs, sigmoid, relu, softplus and
// erf; the two-argument functions are pow, atan2, max, min and hypot. Function
// names are reserved and cannot be used as variables; neither can d, pi or
// e. Calling an unknown function is an error that suggests the nearest
// known one: a common name from other languages (ln → log, arctan → atan,
// maximum → max), or the function within one or two edits (sni → sin).
//
// [ParseList] accepts several expressions separated by semicolons (an
// optional trailing semicolon is allowed); [Parse] accepts exactly one.
// Whitespace, including newlines, may appear between tokens.
//
// # Positions and errors
//
// Every node records a [Pos] (1-based line and column, with columns counted
// in runes). Parse errors are reported as *[Error], whose Error method
// renders the message followed by the offending source line and a caret:
//
//	1:5: unexpected '*'
//	x + * y
//	    ^
//
// Echoed input is made safe for a terminal: characters that are not
// printable (the escape \x1b, \r, invalid UTF-8, invisible format
// characters) are shown as Go escapes, and a long line or name is clipped
// to [MaxEcho] columns around the error, the caret still under the spot.
// [Quote] and [Excerpt] do this and are exported for other messages that
// echo user input.
//
// Nesting is limited to [MaxDepth] levels so that pathological input is
// rejected with an error rather than exhausting the stack; long chains of
// left-associative operators (a + b + c + ...) are parsed iteratively and are
// not limited. Derivatives d(d(…), v) nest at most [MaxDerivDepth] deep,
// since each level about doubles the cost of evaluating them.
//
// # Evaluation
//
// The package does not evaluate expressions itself. [Eval] walks a tree and
// delegates every primitive operation to an [Ops] value, so the same tree can
// be evaluated with float64, with tensors, or with automatic-differentiation
// values. A derivative d(E, v) is evaluated by calling Ops.Deriv with a
// closure that re-evaluates E with v bound to the closure's argument and all
// other variables bound as at the point of the call.
package expr
