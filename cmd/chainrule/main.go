package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/atomicfile"
	"github.com/chainrule/chainrule/internal/expr"
	"github.com/chainrule/chainrule/tensor"
)

const usage = `usage: chainrule COMMAND EXPR [--at x=1,y=-2.5] [flags]
       chainrule COMMAND -f FILE [--at ...] [flags]

Commands:
  eval EXPR                    the value
  grad EXPR                    the value and the gradient
  jacobian 'E1; E2; ...'       the values of several outputs and their Jacobian
  hessian EXPR                 the value, the gradient and the Hessian
  graph EXPR                   the computation graph, node by node
  serve [--addr HOST:PORT]     the graph explorer in the browser (127.0.0.1:8080)

Run 'chainrule COMMAND --help' for a command's flags and an example.

Flags (before or after the expression):
  --at x=1,y=-2.5   the variables, in this order, and the point (repeatable)
  -f FILE           read the expression from FILE (- for standard input)
  --mode MODE       grad: reverse (default) or forward
                    jacobian: auto (default), forward or reverse
                    graph: both (default), forward or reverse
  --format FORMAT   graph: text (default), dot, svg (needs Graphviz) or html
                    (the graph explorer, one offline file)
  --precision N     graph: significant digits (0: all; default 6 for dot
                    and svg, all for text)
  -o FILE           write the output to FILE instead of standard output (- for it)
  --json            print one JSON object (an error too, on standard error)
  --addr HOST:PORT  serve: the address to listen on (default 127.0.0.1:8080)
  -h, --help        print this help

Expressions: numbers, variables, + - * / ^ (or **), unary minus,
parentheses, sin cos tan asin acos atan sinh cosh tanh exp log log1p expm1
sqrt abs sigmoid relu softplus erf, pow atan2 max min hypot, and d(E, v),
the derivative of E with respect to v at the current point. Put -- just
before an expression that starts with '-' and looks like a flag.

Limits: an expression of at most 16 MiB; at most 10000 variables; at
most 1048576 entries in a Hessian (1024 variables), a Jacobian or graph's
tangent table; at most 4194304 nodes inside d(...), weighted 3 per level
of d; see 'go doc github.com/chainrule/chainrule/cmd/chainrule'.
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

// run runs the command line args (without the program name), reading -f -
// from os.Stdin, writing the result to stdout and any error to stderr, and
// returns the exit status: 0 on success, 2 on any error.
func run(args []string, stdout, stderr io.Writer) int {
	return runner{stdin: os.Stdin}.run(args, stdout, stderr)
}

// runner holds what a run takes from its surroundings, so that tests can
// replace it: standard input, the bounds on the Graphviz child process and
// on the output (zero: the defaults, dotTimeout, maxDotOutput and
// maxOutput), and for serve the context that stops it (nil: an interrupt)
// and the bound on one evaluation (zero: evalTimeout).
type runner struct {
	stdin         io.Reader
	dotTimeout    time.Duration
	maxDotOutput  int64
	maxOutputSize int64
	ctx           context.Context
	evalTimeout   time.Duration
}

func (r runner) run(args []string, stdout, stderr io.Writer) (code int) {
	asJSON := wantsJSON(args)
	defer func() {
		if p := recover(); p != nil {
			code = fail(stderr, &cliError{kind: "internal", err: fmt.Errorf("internal error: %v", p)}, asJSON, "")
		}
	}()
	o, err := parseArgs(args)
	if err != nil {
		return fail(stderr, err, asJSON, helpCmd(o))
	}
	if o.help {
		io.WriteString(stdout, helpText(o.cmd))
		return 0
	}
	if o.cmd == "serve" {
		return r.serve(o.addr, stdout, stderr)
	}
	o.runner = r
	if o.file != "" {
		if o.src, err = r.readSource(o.file); err != nil {
			return fail(stderr, err, asJSON, o.cmd)
		}
	}
	var out bytes.Buffer
	var cerr error
	if perr := tensor.Maybe(func() { cerr = execute(o, &out) }); perr != nil {
		cerr = &cliError{kind: "internal", err: perr}
	}
	limit := int64(maxOutput)
	if r.maxOutputSize > 0 {
		limit = r.maxOutputSize
	}
	if cerr == nil && int64(out.Len()) > limit {
		cerr = limitf("the output is larger than the limit of %s", byteSize(limit))
	}
	if cerr != nil {
		if o.file != "" {
			cerr = inFile(o.file, cerr)
		}
		return fail(stderr, cerr, asJSON, o.cmd)
	}
	if o.out != "" {
		if err := atomicfile.WriteBytes(o.out, 0o644, out.Bytes()); err != nil {
			return fail(stderr, &cliError{kind: "io", err: fmt.Errorf("-o: %w", err)}, asJSON, o.cmd)
		}
		return 0
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fail(stderr, &cliError{kind: "io", err: err}, asJSON, o.cmd)
	}
	return 0
}

// helpCmd returns the command of a partly parsed command line, for the
// hint after a usage error, or "".
func helpCmd(o *options) string {
	if o == nil {
		return ""
	}
	return o.cmd
}

// maxSource is the largest expression -f reads, in bytes.
const maxSource = 16 << 20

// readSource reads the expression of -f name ("-": standard input), at
// most maxSource bytes.
func (r runner) readSource(name string) (string, error) {
	var in io.Reader = r.stdin
	label := "-f -"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", &cliError{kind: "io", err: fmt.Errorf("-f: %w", err)}
		}
		defer f.Close()
		in, label = f, "-f "+echoLong(name)
	}
	if in == nil {
		in = strings.NewReader("")
	}
	data, err := io.ReadAll(io.LimitReader(in, maxSource+1))
	switch {
	case err != nil:
		return "", &cliError{kind: "io", err: fmt.Errorf("%s: %w", label, err)}
	case len(data) > maxSource:
		return "", &cliError{kind: "limit", err: fmt.Errorf("%s: the expression is longer than the limit of %d MiB", label, maxSource>>20)}
	}
	return string(data), nil
}

// cliError is an error of a given kind, reported as JSON under --json:
// "usage" (the command line), "syntax" (the expression, with a position),
// "value" (a number that cannot be used), "limit" (a documented limit),
// "io" (reading -f, writing -o), "graphviz" (dot for --format svg) or
// "internal" (a bug).
type cliError struct {
	kind string
	file string // the -f file (or "<stdin>") the position refers to
	err  error
}

func (e *cliError) Error() string {
	msg := e.err.Error()
	if e.file != "" {
		var pe *expr.Error
		if errors.As(e.err, &pe) && pe.Pos.IsValid() {
			msg = echoLong(e.file) + ":" + msg
		}
	}
	return msg
}

func (e *cliError) Unwrap() error { return e.err }

// inFile marks err, if it has a position in the expression, as being in
// the -f file name.
func inFile(name string, err error) error {
	if name == "-" {
		name = "<stdin>"
	}
	ce, ok := err.(*cliError)
	if !ok {
		ce = &cliError{kind: kindOf(err), err: err}
	}
	ce.file = name
	return ce
}

// kindOf returns the kind of err (see cliError).
func kindOf(err error) string {
	var ce *cliError
	var ue usageError
	var pe *expr.Error
	switch {
	case errors.As(err, &ce):
		return ce.kind
	case errors.As(err, &ue):
		return "usage"
	case errors.As(err, &pe):
		return "syntax"
	}
	return "internal"
}

// fail reports err and returns the exit status 2. In plain mode it prints
// "chainrule: " and the message (with line:column and the source line
// under a position), and for a usage error a hint to the help of cmd; with
// --json, one JSON object: {"error": message, "kind": kind} with "file",
// "line" and "column" when the error has a position in the expression.
func fail(stderr io.Writer, err error, asJSON bool, cmd string) int {
	kind := kindOf(err)
	if !asJSON {
		msg := strings.TrimPrefix(err.Error(), "chainrule: ") // *tensor.Error has the prefix already
		fmt.Fprintf(stderr, "chainrule: %s\n", msg)
		if kind == "usage" {
			if isCommand(cmd) {
				fmt.Fprintf(stderr, "run 'chainrule %s --help' for usage\n", cmd)
			} else {
				fmt.Fprintln(stderr, "run 'chainrule --help' for usage")
			}
		}
		return 2
	}
	var b bytes.Buffer
	writeJSON(&b, errorObj(err))
	stderr.Write(b.Bytes())
	return 2
}

// errorObj returns err as the JSON object --json prints: {"error": message,
// "kind": kind} with "file", "line" and "column" when the error has a
// position in the expression.
func errorObj(err error) obj {
	msg := strings.TrimPrefix(err.Error(), "chainrule: ")
	j := obj{{"error", msg}, {"kind", kindOf(err)}}
	var pe *expr.Error
	if errors.As(err, &pe) && pe.Pos.IsValid() {
		j[0].val = pe.Msg
		var ce *cliError
		if errors.As(err, &ce) && ce.file != "" {
			j = append(j, field{"file", ce.file})
		}
		j = append(j, field{"line", pe.Pos.Line}, field{"column", pe.Pos.Col})
	}
	return j
}

// wantsJSON reports whether the command line asks for --json, looking at
// every argument that is not the value of a flag or after "--", so that
// even an error in parsing it is reported as JSON.
func wantsJSON(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			i++
		case a == "--json" || a == "-json":
			return true
		case isFlag(a) && !strings.Contains(a, "="):
			name := strings.TrimLeft(a, "-")
			if flagTakesValue[name] {
				i++
			}
		}
	}
	return false
}

// usageError is an error in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// valueErrorf returns an error of kind "value": a number on the command
// line that cannot be used.
func valueErrorf(format string, args ...any) error {
	return &cliError{kind: "value", err: fmt.Errorf(format, args...)}
}

// binding is one name=value of --at.
type binding struct {
	name  string
	value float64
}

// options is a parsed command line.
type options struct {
	cmd       string
	src       string // the expression
	file      string // -f FILE, "" if not given
	at        []binding
	mode      string // "" if not given
	format    string // "" if not given
	precision int    // --precision, -1 if not given
	out       string // -o FILE
	json      bool
	help      bool
	addr      string // serve --addr, "" if not given
	runner    runner
}

// flagTakesValue lists the flags (spelled with one or two dashes) and
// whether each takes a value.
var flagTakesValue = map[string]bool{
	"at": true, "mode": true, "format": true, "output": true, "o": true,
	"f": true, "file": true, "precision": true, "addr": true,
	"json": false, "help": false, "h": false,
}

var commands = []string{"eval", "grad", "jacobian", "hessian", "graph", "serve"}

// parseArgs parses the command line. Flags may come anywhere, with one dash
// or two; "--" makes the argument after it positional. An argument starting
// with a single '-' that is not a known flag is taken as the expression if
// the command has been given and the expression has not (so
// `chainrule grad -x^2 --at x=1` works), and is an unknown flag otherwise.
func parseArgs(args []string) (*options, error) {
	o := &options{precision: -1}
	var pos []string
	dashPos := -1 // index in pos of a flag-like positional
	addPos := func(a string) {
		if len(pos) == 0 && isCommand(a) {
			o.cmd = a // known early, for the help hint of an error
		}
		pos = append(pos, a)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" { // the next argument is positional even if it starts with '-'
			if i+1 < len(args) {
				i++
				addPos(args[i])
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			addPos(a)
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
			return o, usagef("unknown flag %s", echo(a))
		}
		flag := "--" + name
		if len(name) == 1 {
			flag = "-" + name
		}
		if !takes {
			if hasVal {
				return o, usagef("%s takes no value", flag)
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
				return o, usagef("%s needs a value", flag)
			}
			i++
			val = args[i]
		}
		switch name {
		case "at":
			var err error
			if o.at, err = parseAt(val, o.at); err != nil {
				return o, err
			}
		case "f", "file":
			if val == "" {
				return o, usagef("%s needs a file name (- for standard input)", flag)
			}
			if o.file != "" {
				return o, usagef("%s is given twice", flag)
			}
			o.file = val
		case "precision":
			p, err := strconv.Atoi(val)
			if err != nil || p < 0 || p > 17 {
				return o, valueErrorf("--precision %s: want a number of significant digits from 1 to 17, or 0 for as many as needed", quote(val))
			}
			o.precision = p
		case "mode":
			o.mode = val
		case "addr":
			o.addr = val
		case "format":
			o.format = val
		case "o", "output":
			if val == "" {
				return o, usagef("%s needs a file name", flag)
			}
			o.out = val
			if val == "-" {
				o.out = "" // standard output
			}
		}
	}
	if o.help {
		// chainrule grad --help, chainrule help grad: the command's help.
		if len(pos) > 1 && pos[0] == "help" {
			o.cmd = pos[1]
		}
		return o, nil
	}
	if len(pos) == 0 {
		return o, usagef("missing command (one of %s)", strings.Join(commands, ", "))
	}
	o.cmd = pos[0]
	if o.cmd == "help" {
		o.help, o.cmd = true, ""
		if len(pos) > 1 {
			o.cmd = pos[1]
		}
		return o, nil
	}
	if !isCommand(o.cmd) {
		return o, usagef("unknown command %s (commands: %s)", quote(o.cmd), strings.Join(commands, ", "))
	}
	if o.cmd == "serve" {
		switch {
		case len(pos) > 1:
			return o, usagef("serve takes no expression: type it on the page")
		case o.file != "":
			return o, usagef("serve takes no -f: type the expression on the page")
		}
		return o, o.check()
	}
	switch {
	case o.file != "" && len(pos) > 1 && dashPos != 1:
		return o, usagef("%s has both -f %s and an expression (%s); give one", o.cmd, echoLong(o.file), quote(pos[1]))
	case o.file != "" && len(pos) > 1:
		return o, usagef("unknown flag %s", echo(pos[1]))
	case o.file != "":
		return o, o.check()
	case len(pos) == 1:
		return o, usagef("%s needs an expression (or -f FILE)", o.cmd)
	case len(pos) > 2 && dashPos == 1:
		return o, usagef("unknown flag %s", echo(pos[1]))
	case len(pos) > 2:
		return o, usagef("unexpected argument %s after the expression (quote the expression if it contains spaces)", quote(pos[2]))
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
	if o.addr != "" && o.cmd != "serve" {
		return usagef("--addr is only for serve")
	}
	if o.cmd == "serve" && (len(o.at) > 0 || o.out != "" || o.json || o.format != "" || o.mode != "" || o.precision >= 0) {
		return usagef("serve takes only --addr (type the expression and the point on the page)")
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
	if o.precision >= 0 {
		if o.cmd != "graph" {
			return usagef("--precision is only for graph")
		}
		if o.json {
			return usagef("--precision does not apply to --json, which prints every number in full")
		}
	}
	if o.format != "" {
		if o.cmd != "graph" {
			return usagef("--format is only for graph")
		}
		if !contains([]string{"text", "dot", "svg", "html"}, o.format) {
			return usagef("--format %s: graph takes text, dot, svg or html", quote(o.format))
		}
		if o.format == "html" && (o.mode != "" || o.precision >= 0) {
			return usagef("--format html shows both sweeps, numbers to 6 digits (in full on hover): --mode and --precision do not apply")
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

// quote returns s quoted for a message with expr.Quote (the one quoting
// of user input shared with the expression's errors): non-printable runes
// escaped, and clipped.
func quote(s string) string { return expr.Quote(clip(s)) }

// echo returns s, clipped, as it is if every rune of it is printable and
// it has no quote or backslash, and quoted like quote otherwise. It is for
// echoing a command-line word (a flag, a variable name) in a message.
func echo(s string) string {
	s = clip(s)
	for _, r := range s {
		if r == utf8.RuneError || r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return expr.Quote(s)
		}
	}
	return s
}

// echoLong is echo with room for a line of a child process's error
// output: up to 200 runes.
func echoLong(s string) string {
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != '\t' {
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
	given := make(map[string]bool, len(list))
	for _, b := range list {
		given[b.name] = true
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		switch {
		case name == "":
			return nil, usagef("--at: missing variable name in %s", quote(item))
		case !isIdent(name):
			return nil, usagef("--at: bad variable name %s", quote(name))
		case isFunc(name):
			return nil, usagef("--at: %s is a function name, not a variable", quote(name))
		case !ok:
			return nil, usagef("--at: missing value for %s (write %s=VALUE)", echo(name), echo(name))
		}
		if given[name] {
			return nil, usagef("--at: %s is given twice", echo(name))
		}
		given[name] = true
		v, err := strconv.ParseFloat(val, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, valueErrorf("--at: value %s for %s is out of range (a float64 holds magnitudes up to about 1.8e308)", quote(val), echo(name))
		}
		if err != nil {
			return nil, valueErrorf("--at: bad value %s for %s", quote(val), echo(name))
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
	if err := checkLimits(o, p); err != nil {
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
