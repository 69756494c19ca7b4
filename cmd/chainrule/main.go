package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/expr"
	"github.com/chainrule/chainrule/tensor"
)

const usage = `usage: chainrule COMMAND EXPR [--at x=1,y=-2.5] [flags]

Commands:
  eval EXPR                    the value
  grad EXPR                    the value and the gradient
  jacobian 'E1; E2; ...'       the values of several outputs and their Jacobian
  hessian EXPR                 the value, the gradient and the Hessian
  graph EXPR                   the computation graph, node by node

Flags (before or after the expression):
  --at x=1,y=-2.5   the variables, in this order, and the point (repeatable)
  --mode MODE       grad: reverse (default) or forward
                    jacobian: auto (default), forward or reverse
                    graph: both (default), forward or reverse
  --format FORMAT   graph: text (default), dot or svg (svg needs Graphviz)
  -o FILE           write the output to FILE instead of standard output (- for it)
  --json            print one JSON object
  -h, --help        print this help

Expressions: numbers, variables, + - * / ^ (or **), unary minus,
parentheses, sin cos tan asin acos atan sinh cosh tanh exp log log1p expm1
sqrt abs sigmoid relu softplus erf, pow atan2 max min hypot, and d(E, v),
the derivative of E with respect to v at the current point. Put -- just
before an expression that starts with '-' and looks like a flag.
`

func main() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "chainrule: internal error: %v\n", r)
			os.Exit(2)
		}
	}()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args (without the program name), writing the
// result to stdout and any error to stderr, and returns the exit status:
// 0 on success, 2 on any error.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "chainrule: internal error: %v\n", r)
			code = 2
		}
	}()
	o, err := parseArgs(args)
	if err != nil {
		return fail(stderr, err)
	}
	if o.help {
		io.WriteString(stdout, usage)
		return 0
	}
	var out bytes.Buffer
	var cerr error
	if perr := tensor.Maybe(func() { cerr = execute(o, &out) }); perr != nil {
		cerr = perr
	}
	if cerr != nil {
		return fail(stderr, cerr)
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, out.Bytes(), 0o666); err != nil {
			return fail(stderr, fmt.Errorf("-o: %w", err))
		}
		return 0
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// fail prints err as "chainrule: …" and returns the exit status 2.
func fail(stderr io.Writer, err error) int {
	msg := strings.TrimPrefix(err.Error(), "chainrule: ") // *tensor.Error has the prefix already
	fmt.Fprintf(stderr, "chainrule: %s\n", msg)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "run 'chainrule --help' for usage")
	}
	return 2
}

// usageError is an error in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// binding is one name=value of --at.
type binding struct {
	name  string
	value float64
}

// options is a parsed command line.
type options struct {
	cmd    string
	src    string // the expression
	at     []binding
	mode   string // "" if not given
	format string // "" if not given
	out    string // -o FILE
	json   bool
	help   bool
}

// flagTakesValue lists the flags (spelled with one or two dashes) and
// whether each takes a value.
var flagTakesValue = map[string]bool{
	"at": true, "mode": true, "format": true, "output": true, "o": true,
	"json": false, "help": false, "h": false,
}

var commands = []string{"eval", "grad", "jacobian", "hessian", "graph"}

// parseArgs parses the command line. Flags may come anywhere, with one dash
// or two; "--" makes the argument after it positional. An argument starting
// with a single '-' that is not a known flag is taken as the expression if
// the command has been given and the expression has not (so
// `chainrule grad -x^2 --at x=1` works), and is an unknown flag otherwise.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	var pos []string
	dashPos := -1 // index in pos of a flag-like positional
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" { // the next argument is positional even if it starts with '-'
			if i+1 < len(args) {
				i++
				pos = append(pos, args[i])
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takes, known := flagTakesValue[name]
		long := strings.HasPrefix(a, "--")
		if !known {
			if len(pos) == 1 && (!long || !looksLikeFlag(a)) {
				// The expression, like -x*y, -2 or ---x; but if it looks
				// like a flag and another positional follows, it was meant
				// as one.
				if looksLikeFlag(a) {
					dashPos = len(pos)
				}
				pos = append(pos, a)
				continue
			}
			return nil, usagef("unknown flag %s", echo(a))
		}
		flag := "--" + name
		if len(name) == 1 {
			flag = "-" + name
		}
		if !takes {
			if hasVal {
				return nil, usagef("%s takes no value", flag)
			}
			switch name {
			case "json":
				o.json = true
			case "help", "h":
				o.help = true
			}
			continue
		}
		if !hasVal {
			if i+1 >= len(args) || isFlag(args[i+1]) {
				return nil, usagef("%s needs a value", flag)
			}
			i++
			val = args[i]
		}
		switch name {
		case "at":
			var err error
			if o.at, err = parseAt(val, o.at); err != nil {
				return nil, err
			}
		case "mode":
			o.mode = val
		case "format":
			o.format = val
		case "o", "output":
			if val == "" {
				return nil, usagef("%s needs a file name", flag)
			}
			o.out = val
			if val == "-" {
				o.out = "" // standard output
			}
		}
	}
	if o.help {
		return o, nil
	}
	if len(pos) == 0 {
		return nil, usagef("missing command (one of %s)", strings.Join(commands, ", "))
	}
	o.cmd = pos[0]
	if o.cmd == "help" {
		o.help = true
		return o, nil
	}
	if !isCommand(o.cmd) {
		return nil, usagef("unknown command %s (commands: %s)", quote(o.cmd), strings.Join(commands, ", "))
	}
	switch {
	case len(pos) == 1:
		return nil, usagef("%s needs an expression", o.cmd)
	case len(pos) > 2 && dashPos == 1:
		return nil, usagef("unknown flag %s", echo(pos[1]))
	case len(pos) > 2:
		return nil, usagef("unexpected argument %s after the expression (quote the expression if it contains spaces)", quote(pos[2]))
	}
	o.src = pos[1]
	return o, o.check()
}

// check validates the flags against the command.
func (o *options) check() error {
	modes := map[string][]string{
		"grad":     {"forward", "reverse"},
		"jacobian": {"forward", "reverse", "auto"},
		"graph":    {"forward", "reverse", "both"},
	}
	if o.mode != "" {
		allowed, ok := modes[o.cmd]
		if !ok {
			return usagef("--mode is not used by %s", o.cmd)
		}
		if !contains(allowed, o.mode) {
			return usagef("--mode %s: %s takes %s", quote(o.mode), o.cmd, strings.Join(allowed, ", "))
		}
	}
	if o.format != "" {
		if o.cmd != "graph" {
			return usagef("--format is only for graph")
		}
		if !contains([]string{"text", "dot", "svg"}, o.format) {
			return usagef("--format %s: graph takes text, dot or svg", quote(o.format))
		}
		if o.json && o.format != "text" {
			return usagef("--json and --format %s do not go together", o.format)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isCommand(s string) bool { return contains(commands, s) }

// isFlag reports whether a is one of the known flags.
func isFlag(a string) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
	_, ok := flagTakesValue[name]
	return ok
}

// maxEcho is the most runes of an argument an error message repeats.
const maxEcho = 40

// clip shortens s to its first maxEcho runes followed by "…", cutting at a
// rune boundary (invalid UTF-8 bytes count as one rune each and are kept
// as they are, for quote to escape).
func clip(s string) string {
	n := 0
	for i := 0; i < len(s); n++ {
		if n == maxEcho {
			return s[:i] + "…"
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s
}

// quote returns s, clipped, as a Go double-quoted string: control
// characters (an escape sequence that would clear the terminal), invalid
// UTF-8 and other non-printable runes are escaped (\x1b, \u200b).
func quote(s string) string { return strconv.Quote(clip(s)) }

// echo returns s, clipped, as it is if every rune of it is printable and
// it has no quote or backslash, and quoted like quote otherwise. It is for
// echoing a command-line word (a flag, a variable name) in a message.
func echo(s string) string {
	s = clip(s)
	for _, r := range s {
		if r == utf8.RuneError || r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// looksLikeFlag reports whether a (starting with '-') has the form of a flag:
// one or two dashes, a letter, then letters, digits, '_' and '-', and
// optionally =value.
func looksLikeFlag(a string) bool {
	rest := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, _, _ := strings.Cut(rest, "=")
	if name == "" || !('a' <= name[0] && name[0] <= 'z' || 'A' <= name[0] && name[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseAt parses "x=1,y=-2.5" and appends the bindings to list. Values are
// read with strconv.ParseFloat, so inf, -inf and nan are accepted (and flow
// through the computation by IEEE rules); values out of float64's range are
// rejected. Empty entries (a trailing comma) are ignored.
func parseAt(s string, list []binding) ([]binding, error) {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		switch {
		case name == "":
			return nil, fmt.Errorf("--at: missing variable name in %s", quote(item))
		case !isIdent(name):
			return nil, fmt.Errorf("--at: bad variable name %s", quote(name))
		case isFunc(name):
			return nil, fmt.Errorf("--at: %s is a function name, not a variable", quote(name))
		case !ok:
			return nil, fmt.Errorf("--at: missing value for %s (write %s=VALUE)", echo(name), echo(name))
		}
		for _, b := range list {
			if b.name == name {
				return nil, fmt.Errorf("--at: %s is given twice", echo(name))
			}
		}
		v, err := strconv.ParseFloat(val, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("--at: value %s for %s is out of range (a float64 holds magnitudes up to about 1.8e308)", quote(val), echo(name))
		}
		if err != nil {
			return nil, fmt.Errorf("--at: bad value %s for %s", quote(val), echo(name))
		}
		list = append(list, binding{name, v})
	}
	return list, nil
}

// isIdent reports whether s is a name the expression language can use for
// a variable's spelling: [A-Za-z_][A-Za-z0-9_]*.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isFunc(name string) bool {
	_, ok := expr.Arity(name)
	return ok
}

// execute runs the command and writes its output to out.
func execute(o *options, out *bytes.Buffer) error {
	p, err := compile(o.cmd, o.src, o.cmd == "jacobian", o.at)
	if err != nil {
		return err
	}
	switch o.cmd {
	case "eval":
		vals, err := p.values()
		if err != nil {
			return err
		}
		if o.json {
			writeJSON(out, obj{{"value", vals[0]}, {"variables", p.vars}})
		} else {
			fmt.Fprintf(out, "value: %s\n", fmtNum(vals[0]))
		}
	case "grad":
		mode := ad.Reverse
		if o.mode == "forward" {
			mode = ad.Forward
		}
		v, g, err := p.grad(mode)
		if err != nil {
			return err
		}
		if o.json {
			writeJSON(out, obj{{"value", v}, {"variables", p.vars}, {"gradient", g}, {"mode", mode.String()}})
			return nil
		}
		fmt.Fprintf(out, "value: %s\n", fmtNum(v))
		writeGradient(out, p.vars, g)
		fmt.Fprintf(out, "mode: %s\n", mode)
	case "jacobian":
		mode := ad.Auto
		switch o.mode {
		case "forward":
			mode = ad.Forward
		case "reverse":
			mode = ad.Reverse
		}
		vals, jac, used, err := p.jacobian(mode)
		if err != nil {
			return err
		}
		if o.json {
			j := obj{{"values", vals}, {"variables", p.vars}, {"jacobian", jac}, {"mode", used.String()}}
			if mode == ad.Auto {
				j = append(j, field{"auto", true})
			}
			writeJSON(out, j)
			return nil
		}
		fmt.Fprintf(out, "values: %s\n", fmtList(vals))
		fmt.Fprintf(out, "jacobian (%d output%s × %d variable%s [%s]):\n", len(vals), plural(len(vals)), len(p.vars), plural(len(p.vars)), strings.Join(p.vars, ", "))
		writeMatrix(out, jac)
		m, n := len(vals), len(p.vars)
		switch {
		case mode != ad.Auto:
			fmt.Fprintf(out, "mode: %s\n", used)
		case used == ad.Forward:
			fmt.Fprintf(out, "mode: forward (picked by auto: %d input%s < %d output%s)\n", n, plural(n), m, plural(m))
		default:
			fmt.Fprintf(out, "mode: reverse (picked by auto: %d output%s ≤ %d input%s)\n", m, plural(m), n, plural(n))
		}
	case "hessian":
		v, g, h, err := p.hessian()
		if err != nil {
			return err
		}
		if o.json {
			writeJSON(out, obj{{"value", v}, {"variables", p.vars}, {"gradient", g}, {"hessian", h}})
			return nil
		}
		fmt.Fprintf(out, "value: %s\n", fmtNum(v))
		writeGradient(out, p.vars, g)
		fmt.Fprintf(out, "hessian (rows and columns: %s):\n", strings.Join(p.vars, ", "))
		writeMatrix(out, h)
	case "graph":
		return graphCommand(o, p, out)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fmtList formats numbers as [a, b, c].
func fmtList(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmtNum(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// writeGradient writes "gradient: [...]" and one line per variable.
func writeGradient(out *bytes.Buffer, vars []string, g []float64) {
	fmt.Fprintf(out, "gradient: %s\n", fmtList(g))
	for i, name := range vars {
		fmt.Fprintf(out, "  ∂/∂%s = %s\n", name, fmtNum(g[i]))
	}
}

// writeMatrix writes the rows of m, one a line, with aligned columns.
func writeMatrix(out *bytes.Buffer, m [][]float64) {
	var width []int
	cells := make([][]string, len(m))
	for i, row := range m {
		for j, x := range row {
			s := fmtNum(x)
			if j < len(row)-1 {
				s += ","
			}
			cells[i] = append(cells[i], s)
			if j >= len(width) {
				width = append(width, 0)
			}
			width[j] = max(width[j], len(s))
		}
	}
	for _, row := range cells {
		out.WriteString("  [")
		for j, s := range row {
			out.WriteString(s)
			if j < len(row)-1 {
				out.WriteString(strings.Repeat(" ", width[j]-len(s)+1))
			}
		}
		out.WriteString("]\n")
	}
}
