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
//	chainrule graph EXPR --at … [--mode both|forward|reverse] [--format text|dot|svg|html] [--precision N] [-o FILE]
//	chainrule serve [--addr 127.0.0.1:8080]   (the graph explorer in the browser)
//	chainrule COMMAND -f FILE --at …      (the expression from FILE; - for standard input)
//	chainrule COMMAND --help               (the command's flags and an example)
//
// eval prints the value. grad prints the value and the gradient, by reverse
// mode (one recorded pass and one sweep, ad.ValueAndGrads) unless --mode
// forward (one pass carrying a basis tangent per variable, ad.JVPBatch).
// jacobian takes several expressions separated by ';' and prints their
// values and Jacobian (a row per expression, a column per variable), by
// ad.Jacobian; --mode auto (the default) uses its rule — forward when there
// are fewer variables than outputs, reverse otherwise — and says which it
// picked. hessian prints the value, the gradient and the Hessian, forward
// mode over reverse mode a block of 32 columns at a time (ad.JVPBatch of
// the gradient in the directions of 32 basis vectors), so that its memory
// is the n×n matrix, 8 bytes an entry, plus one gradient's graph. Only
// jacobian accepts ';'.
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
// adjoint times their local gradient, and the output's tangents.
//
// A derivative d(E, v) inside the expression is evaluated by forward mode,
// so the graph holds the primitives of E's tangent (for d(x^3, x): x ^ 2,
// 3 * v1, pow's where(…) guard, and chain_mul(1, v3), the chain rule's
// product with the seed dx/dx = 1). When the expression has a d, the table
// has a "computes" column saying what each node computes in the user's
// terms: d(x ^ 3, x) = ∂(x ^ 3)/∂x for the derivative's result, "step of
// d(x ^ 3, x)" for the nodes only it uses, and the subexpression (sin(x),
// d(x ^ 3, x) + y) for the others. Nodes the output does not depend on —
// E's own value, computed alongside its tangent — are not shown (the text
// says how many); the rest are numbered v1, v2, … in order.
//
// --format dot writes Graphviz DOT: inputs as ellipses, intermediate
// variables as boxes with their definition, value, tangents named by input
// as total derivatives (dv1/dx = 3) and adjoint (dv3/dv1 = 1), edges
// labelled with the local, partial derivative (∂v3/∂v1 = 1), constants as
// dashed plain-text nodes, the output with a double border, and a legend
// that says how to read it and assembles the gradient by the chain rule
// like the text view. Numbers are printed to 6 significant digits; set
// --precision N (1 to 17, or 0 for the shortest form that reads back
// exactly, the text view's default). --format svg pipes the DOT through
// Graphviz's dot -Tsvg, and fails if dot is not on PATH, takes longer than
// 30 seconds or writes more than 64 MiB; dot is then stopped.
//
// # The graph explorer
//
// serve starts a local web server for the graph explorer, on 127.0.0.1:8080
// unless --addr HOST:PORT says otherwise (port 0 picks a free one), prints
// the address to open, and runs until interrupted. The page has an
// expression box and a point box (x=2,y=3); a syntax error shows inline,
// with the CLI's message, position and caret. It draws the graph left to
// right in layers — inputs, intermediate variables, the output (thick
// border) — each node with its definition, value, tangent and adjoint,
// each edge labelled with its local gradient (∂v3/∂v1 = 1), and the
// constants set apart as dashed pills under the node that uses them. The
// forward sweep is stepped node by node, showing values and the tangents
// for a chosen input ("tangents for input x": dv1/dx = 3); then the
// backward sweep, from the seed dv3/dv3 = 1, one edge at a time: the edge
// whose local gradient is being multiplied in is highlighted, and the
// product is added to the adjoint of the node it leads back to, the sum
// over its uses growing visibly (1/2, 2/2) until it is complete. At the
// end the page gives the gradient with its sum over paths, as the text
// view writes it (∂v3/∂x = 1 × 3 (via v1) + 1 × -0.416147 (via v2) =
// 2.58385). The keys ← and → step, Home and End go to the start and the
// end. Numbers are shown to 6 significant digits, in full on hover. A
// d(E, v) is one node, as the user wrote it, whose edges carry the local
// gradient through its steps (for d(x^3, x), ∂/∂x = 6x); "show the steps
// inside d(…)" switches to the primitives of its tangent, as the text view
// shows them. Under serve, the page's address holds the expression and the
// point (#expr=…&at=…), to share or reload.
//
// graph --format html writes the same page as one self-contained file, the
// graph and both sweeps computed in advance and embedded in it as JSON, so
// that it works from disk with no server and no network: nothing is loaded
// from anywhere (a Content-Security-Policy forbids it). Its boxes show its
// expression; editing them explains that another expression needs
// chainrule serve, or running the command again.
//
// Everything is computed by the Go code, once, with the values, local
// gradients, tangents and adjoints of ad.Trace that the other views show;
// the page (HTML, CSS and JavaScript embedded in the binary with
// go:embed) only draws them, and its backward steps multiply an adjoint by
// a local gradient and add, with the results computed here too. This was
// chosen over compiling chainrule to WebAssembly so that no derivative is
// ever computed a second way, and so that the page stays small (about 30
// KiB, against several MiB for a Go WebAssembly binary in every file
// written). The layout is computed in Go without Graphviz.
//
// The server serves the page at / and its API at /api/graph, nothing else
// (no files). POST /api/graph takes {"expr": "x*y + sin(x)", "at":
// "x=2,y=3"} with Content-Type application/json and answers with the JSON
// the page draws: {"expr", "at", "variables", "point", "value", "gradient",
// "graph", "steps", "stepsNote"}, graph holding the nodes (name, def,
// computes, kind, value, tangents, adjoint, args with their local
// gradients, layout x and y), the constants, the steps of the backward
// sweep (from, arg, to, adjoint, local, contribution, sum, use, uses) and
// the sums over paths (chains); steps is the same for the primitives of
// the d's, or null. An error is answered with status 4xx and the object
// --json prints ({"error", "kind", "line", "column"}) plus "text", the
// CLI's message with the source line and caret. Requests are bounded: a
// body of 64 KiB, an expression of 32 KiB, the CLI's limits, 200 nodes
// (and a syntax tree that cannot make many more, checked before the work)
// (past it the page says so; "show the steps" is then unavailable where
// the steps alone pass it), one evaluation at a time, each answered within
// 5 seconds or refused (503), and the server's read, write and idle
// timeouts. A request with another content type is refused, so a page
// elsewhere cannot post to it without the browser's consent (CORS).
//
// # Flags
//
// Flags may come before or after the expression, with one dash or two, and
// a value either as the next argument or after '=' (--at=x=1):
//
//	--at x=1,y=-2.5   the variables and the point; may be repeated
//	-f FILE           read the expression from FILE, - for standard input
//	--mode MODE       see above
//	--format FORMAT   graph only: text, dot, svg or html
//	--addr HOST:PORT  serve only: the address to listen on
//	--precision N     graph only: significant digits (0: all needed)
//	-o FILE           write the output to FILE (atomically: a temporary file renamed into place) instead of standard output ("-")
//	--json            print exactly one JSON object; errors too
//	-h, --help        print usage and exit 0; after a command, its own help
//
// An argument starting with '-' that is not a flag is taken as the
// expression when it comes right after the command (chainrule eval -x^2
// --at x=3); "--" makes the next argument the expression whatever it looks
// like (chainrule eval --at h=1 -- -h).
//
// -f reads the expression from a file, for expressions longer than the
// shell's limit on an argument (128 KiB on Linux); newlines are spaces, so
// a jacobian's expressions can go one a line. Errors in it are reported
// at FILE:line:column (<stdin>:line:column for -f -).
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
// float64's range are rejected as out of range. Without --at there are no
// variables.
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
//	           "nodes": [{"name", "op", "def", "computes", "inputs", "value", "local", "tangents", "adjoint"}, ...],
//	           "dropped": n, "gradient": [...]}
//
// In graph's nodes, computes says what the node computes in the user's
// terms (see graph above; null where unknown), inputs lists the arguments
// (node names, or the values of constants), local the local gradient with
// respect to each of them (null where the primitive has none elementwise),
// tangents one number per variable (omitted with --mode reverse) and
// adjoint the reverse adjoint (omitted with --mode forward). dropped
// counts the nodes the output does not depend on, which are not listed.
// gradient is the inputs' adjoints, or with --mode forward the output's
// tangents. JSON has no NaN or infinity, so non-finite numbers are the
// strings "NaN", "Inf" and "-Inf"; --json always prints every digit.
//
// # Errors
//
// Every failure — a syntax error (with line:column, the expression and a
// caret under the spot), an unknown function (with the nearest known name
// suggested: ln → log), a wrong number of arguments,
// a d whose second argument is not a variable, a missing or malformed --at,
// a variable not given in --at, an unknown command or flag, a limit below —
// prints one message starting "chainrule: " on standard error and exits
// with status 2. Errors raised by the library become messages too, and
// anything unexpected is reported as "chainrule: internal error: …", never
// as a panic trace. The expression is echoed with non-printable
// characters escaped (\x1b, \r) and clipped around the error's position
// when long; a command-line word repeated in a message is clipped to 40
// characters, and quoted with Go's escapes (\x1b) if it holds a control
// character, invalid UTF-8 or other non-printable text.
//
// With --json the error is instead one JSON object on standard error, and
// the exit status is still 2:
//
//	{"error": "unexpected '*'", "kind": "syntax", "line": 1, "column": 5}
//
// "file" (the -f file), "line" and "column" are present when the error has
// a position in the expression. kind is one of "usage" (the command line:
// flags, commands, --at), "syntax" (the expression: it does not parse,
// calls a function wrongly, or uses a variable --at does not give),
// "value" (a number that cannot be used: --at x=abc, x=1e999, --precision
// 0.5), "limit" (one of the limits below), "io" (reading -f, writing -o),
// "graphviz" (dot for --format svg: missing, failing, too slow or too
// verbose) or "internal" (a bug).
//
// # Limits
//
// Each command refuses, with an error of kind "limit" and before doing the
// work, input past these bounds, which keep its memory and output in
// proportion:
//
//	expression (-f)         16 MiB
//	variables (--at)        10000, for any command
//	hessian                 1048576 entries: at most 1024 variables
//	jacobian                1048576 entries: outputs × variables
//	graph                   100000 nodes; with tangents (--mode both or
//	                        forward), 1048576 entries: nodes × variables
//	forward mode            16777216 tangent entries: variables × the
//	                        expression's size (grad --mode forward, and
//	                        jacobian when it runs by forward mode)
//	nested derivatives      4194304: the nodes inside d(E, v), weighted
//	                        3^k under k d's (for any command)
//	output                  64 MiB (the bounds above keep every output below it)
//	explorer (serve, html)  200 nodes (and so 200 variables); 200000 parts
//	                        of the expression, weighted like the nested
//	                        derivatives, checked before recording; serve:
//	                        64 KiB a request, 32 KiB an expression, 5
//	                        seconds an evaluation, one at a time
//	dot (--format svg)      30 seconds and 64 MiB of SVG
//
// The expression's size counts the nodes of its syntax tree, those inside
// a d(E, v) three times. A Hessian of 1024 variables takes 8 MiB plus one
// gradient's graph.
package main
