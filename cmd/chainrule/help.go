package main

// The commands' help texts (the global one, usage, is in main.go): one per command
// (chainrule grad --help), each with the command's own flags and an
// example whose output TestHelpExamples checks against a real run.

import "strings"

// Flag lines shared by the commands' help texts.
const (
	helpAt     = "  --at x=1,y=-2.5   the variables, in this order, and the point (repeatable)\n"
	helpCommon = `  -f FILE           read the expression from FILE (- for standard input)
  -o FILE           write the output to FILE instead of standard output (- for it)
  --json            print one JSON object (an error too, on standard error)
  -h, --help        print this help
`
)

// commandHelp is each command's help text. The first line of each example
// is a command line; the lines after it are its output.
var commandHelp = map[string]string{
	"eval": `usage: chainrule eval EXPR [--at x=1,y=-2.5] [flags]

The value of the expression at the point.

Flags:
` + helpAt + helpCommon + `
Example:
  $ chainrule eval 'x*y + sin(x)' --at x=2,y=3
  value: 6.909297426825682
`,
	"grad": `usage: chainrule grad EXPR --at x=1,y=-2.5 [--mode reverse|forward] [flags]

The value of the expression and its gradient with respect to the variables
of --at, in their order.

Flags:
` + helpAt + `  --mode MODE       reverse (default: one recorded pass and one sweep) or
                    forward (one pass carrying a tangent per variable)
` + helpCommon + `
Example:
  $ chainrule grad 'x*y + sin(x)' --at x=2,y=3
  value: 6.909297426825682
  gradient: [2.5838531634528574, 2]
    ∂/∂x = 2.5838531634528574
    ∂/∂y = 2
  mode: reverse
`,
	"jacobian": `usage: chainrule jacobian 'E1; E2; ...' --at x=1,y=-2.5 [--mode auto|forward|reverse] [flags]

The values of several expressions, separated by ';', and their Jacobian: a
row per expression, a column per variable of --at.

Flags:
` + helpAt + `  --mode MODE       auto (default: forward when there are fewer variables
                    than expressions, reverse otherwise), forward or reverse
` + helpCommon + `
Example:
  $ chainrule jacobian 'x*y; x - y' --at x=2,y=3
  values: [6, -1]
  jacobian (2 outputs × 2 variables [x, y]):
    [3, 2]
    [1, -1]
  mode: reverse (picked by auto: 2 outputs ≤ 2 inputs)
`,
	"hessian": `usage: chainrule hessian EXPR --at x=1,y=-2.5 [flags]

The value of the expression, its gradient and its Hessian (forward mode over
reverse mode), rows and columns in the order of --at.

Flags:
` + helpAt + helpCommon + `
Example:
  $ chainrule hessian 'x^2*y' --at x=2,y=3
  value: 12
  gradient: [12, 4]
    ∂/∂x = 12
    ∂/∂y = 4
  hessian (rows and columns: x, y):
    [6, 4]
    [4, 0]
`,
	"graph": `usage: chainrule graph EXPR --at x=1,y=-2.5 [--mode both|forward|reverse] [--format text|dot|svg|html] [flags]

The computation graph node by node: each node's definition, value, local
gradients, forward tangents (one per variable) and reverse adjoint, then the
gradient assembled by the chain rule.

Flags:
` + helpAt + `  --mode MODE       both (default), forward (tangents only) or reverse
                    (adjoints only)
  --format FORMAT   text (default), dot (Graphviz), svg (needs Graphviz's
                    dot on PATH) or html (the graph explorer of chainrule
                    serve as one file that works offline, with both sweeps
                    computed in advance; give -o FILE)
  --precision N     significant digits of the numbers (0: as many as needed
                    to read back exactly; default 6 for dot and svg, 0 for
                    text)
` + helpCommon + `
Example:
  $ chainrule graph 'x*y' --at x=2,y=3
  node  definition  value  local gradients     tangent[x]  tangent[y]  adjoint
  x     input       2                          1           0           3
  y     input       3                          0           1           2
  v1    x * y       6      ∂/∂x = 3, ∂/∂y = 2  3           2           1

  output: v1 = 6
  gradient by reverse mode (adjoints of the inputs): [3, 2]
    ∂v1/∂x = 1 × 3 (via v1) = 3
    ∂v1/∂y = 1 × 2 (via v1) = 2
  gradient by forward mode (tangents of v1): [3, 2]
`,
	"serve": `usage: chainrule serve [--addr HOST:PORT]

The graph explorer in the browser: a local web server, on 127.0.0.1:8080
unless --addr says otherwise, for the page where you type an expression and
a point and step through the forward and the backward sweep node by node
(keys ← → Home End). It prints the address to open, serves nothing but the
page and its API (POST /api/graph), and runs until interrupted (Ctrl-C).
An address other than loopback lets other machines use it; serve warns.

Flags:
  --addr HOST:PORT  the address to listen on (default 127.0.0.1:8080; port 0:
                    any free port)
  -h, --help        print this help

Example:
  $ chainrule serve --addr 127.0.0.1:8080
  chainrule: the graph explorer is at http://127.0.0.1:8080/ (Ctrl-C to stop)
`,
}

// helpText returns the help for cmd, or the global usage if cmd is not a
// command.
func helpText(cmd string) string {
	if h, ok := commandHelp[cmd]; ok {
		return h
	}
	return usage
}

// helpExample returns the command line (without "chainrule") and output of
// cmd's help example.
func helpExample(cmd string) (args string, output string) {
	_, ex, _ := strings.Cut(commandHelp[cmd], "\nExample:\n  $ chainrule ")
	args, out, _ := strings.Cut(ex, "\n")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return args, strings.Join(lines, "\n") + "\n"
}
