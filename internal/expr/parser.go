package expr

import "fmt"

// MaxDepth is the maximum nesting depth accepted by Parse and ParseList.
// Both the parentheses in the source and the parentheses that [String]
// would print count towards it, so an accepted tree always re-parses from
// its String form. Chains of left-associative operators at one precedence
// level (a + b - c + ...) do not count.
const MaxDepth = 10000

// MaxDerivDepth is the deepest nesting of derivatives d(d(…), v) that Parse
// and ParseList accept: a d inside the first argument of MaxDerivDepth
// enclosing d's is an error, positioned at its name. Evaluating nested
// derivatives by forward mode (as the chainrule command does) carries a
// value with 2^k parts through every operation under k levels of d, so
// each level about doubles the time and the memory; eight levels of a
// small expression take milliseconds, twenty take seconds and gigabytes.
// Derivatives side by side, as in d(x^2, x) + d(y^2, y), do not add up.
const MaxDerivDepth = 8

// Parse parses src, which must contain exactly one expression. Errors are
// of type *Error.
func Parse(src string) (Node, error) {
	var p parser
	p.init(src)
	n, _, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		if p.tok.kind == ';' {
			return nil, p.errorf(p.tok.pos, "unexpected ';' (expected a single expression)")
		}
		return nil, p.trailing()
	}
	return n, nil
}

// ParseList parses src as one or more expressions separated by semicolons,
// with an optional trailing semicolon. Errors are of type *Error.
func ParseList(src string) ([]Node, error) {
	var p parser
	p.init(src)
	var list []Node
	for {
		n, _, err := p.expr()
		if err != nil {
			return nil, err
		}
		list = append(list, n)
		if p.tok.kind == ';' {
			p.advance()
		} else if p.tok.kind != tEOF {
			return nil, p.trailing()
		}
		if p.tok.kind == tEOF {
			return list, nil
		}
	}
}

type parser struct {
	lex    lexer
	tok    token // current token
	depth  int   // current nesting of parentheses (grouping and calls)
	dDepth int   // current nesting of derivatives d(…)

	// Work stacks for unary, shared by nested invocations; each
	// invocation truncates them back to their length on entry.
	prefix []token
	segs   []powSeg
}

// powSeg is one operand of a chain {prefix} primary {'^' {prefix} primary}.
type powSeg struct {
	prefix  int  // index into parser.prefix of this operand's first prefix operator
	nprefix int  // number of prefix operators
	x       Node // the primary
	d       int  // its depth
	caret   Pos  // position of the following '^', if any
}

func (p *parser) init(src string) {
	p.lex.init(src)
	p.advance()
}

func (p *parser) advance() {
	if p.tok.kind == tErr {
		return // the lexer stops at the first error
	}
	p.tok = p.lex.next()
}

func (p *parser) errorf(pos Pos, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Src: p.lex.src}
}

// unexpected reports the current token as unexpected (or the lexical error
// it stands for).
func (p *parser) unexpected() error {
	if p.tok.kind == tErr {
		return p.errorf(p.tok.pos, "%s", p.tok.text)
	}
	return p.errorf(p.tok.pos, "unexpected %s", p.tok.describe())
}

// found reports that want was expected but the current token was found.
func (p *parser) found(want string) error {
	if p.tok.kind == tErr {
		return p.unexpected()
	}
	return p.errorf(p.tok.pos, "expected %s, found %s", want, p.tok.describe())
}

// trailing reports a token left over after a complete expression.
func (p *parser) trailing() error {
	if p.tok.kind == ')' {
		return p.errorf(p.tok.pos, "unmatched ')'")
	}
	return p.unexpected()
}

func (p *parser) tooDeep(pos Pos) error {
	return p.errorf(pos, "expression nested too deeply (more than %d levels)", MaxDepth)
}

// The parse functions return the node and its depth: the nesting depth of
// the parentheses in String(node).

// expr parses term {('+'|'-') term}.
func (p *parser) expr() (Node, int, error) {
	x, dx, err := p.term()
	if err != nil {
		return nil, 0, err
	}
	for p.tok.kind == '+' || p.tok.kind == '-' {
		op := p.tok
		p.advance()
		y, dy, err := p.term()
		if err != nil {
			return nil, 0, err
		}
		if x, dx, err = p.binary(op, x, dx, y, dy); err != nil {
			return nil, 0, err
		}
	}
	return x, dx, nil
}

// term parses unary {('*'|'/') unary}.
func (p *parser) term() (Node, int, error) {
	x, dx, err := p.unary()
	if err != nil {
		return nil, 0, err
	}
	for p.tok.kind == '*' || p.tok.kind == '/' {
		op := p.tok
		p.advance()
		y, dy, err := p.unary()
		if err != nil {
			return nil, 0, err
		}
		if x, dx, err = p.binary(op, x, dx, y, dy); err != nil {
			return nil, 0, err
		}
	}
	return x, dx, nil
}

// unary parses Python's grammar for prefix operators and powers,
//
//	unary = ('-'|'+') unary | power
//	power = primary ['^' unary]
//
// so a prefix operator takes the whole (right-associative) power to its
// right, wherever it stands: -x^2 is -(x^2), -(x+1)^2 is -((x+1)^2), and
// 2^-x^2 is 2^(-(x^2)), as 2**-x**2 is in Python. It works iteratively,
// so that long chains of prefix operators or of ^ do not consume stack: it
// collects the operands of the chain {prefix} primary {'^' {prefix} primary}
// and folds them from the right.
func (p *parser) unary() (Node, int, error) {
	segBase, prefixBase := len(p.segs), len(p.prefix)
	x, d, err := p.unaryChain(segBase)
	p.segs, p.prefix = p.segs[:segBase], p.prefix[:prefixBase]
	return x, d, err
}

func (p *parser) unaryChain(segBase int) (Node, int, error) {
	for {
		s := powSeg{prefix: len(p.prefix)}
		for p.tok.kind == '-' || p.tok.kind == '+' {
			p.prefix = append(p.prefix, p.tok)
			p.advance()
		}
		s.nprefix = len(p.prefix) - s.prefix
		var err error
		if s.x, s.d, err = p.primary(); err != nil {
			return nil, 0, err
		}
		if p.tok.kind != '^' {
			p.segs = append(p.segs, s)
			break
		}
		s.caret = p.tok.pos
		p.segs = append(p.segs, s)
		p.advance()
	}
	var acc Node
	var d int
	for i := len(p.segs) - 1; i >= segBase; i-- {
		s := p.segs[i]
		var err error
		if acc == nil {
			acc, d = s.x, s.d
		} else if acc, d, err = p.binary(token{kind: '^', pos: s.caret}, s.x, s.d, acc, d); err != nil {
			return nil, 0, err
		}
		for j := s.prefix + s.nprefix - 1; j >= s.prefix; j-- {
			op := p.prefix[j]
			u := &Unary{Op: op.kind, X: acc, At: op.pos}
			if needParens(u, acc, false) {
				d++
			}
			if d > MaxDepth {
				return nil, 0, p.tooDeep(u.At)
			}
			acc = u
		}
	}
	return acc, d, nil
}

// binary builds the binary node x op y, given the depths of x and y.
func (p *parser) binary(op token, x Node, dx int, y Node, dy int) (Node, int, error) {
	b := &Binary{Op: op.kind, X: x, Y: y, At: op.pos}
	if needParens(b, x, false) {
		dx++
	}
	if needParens(b, y, true) {
		dy++
	}
	d := max(dx, dy)
	if d > MaxDepth {
		return nil, 0, p.tooDeep(b.At)
	}
	return b, d, nil
}

// primary parses a number, variable, call, derivative or parenthesized
// expression.
func (p *parser) primary() (Node, int, error) {
	t := p.tok
	switch t.kind {
	case tNum:
		p.advance()
		return &Num{Value: t.num, At: t.pos}, 0, nil
	case tIdent:
		p.advance()
		if _, ok := funcs[t.text]; ok {
			return p.call(t)
		}
		if v, ok := constants[t.text]; ok {
			if p.tok.kind == '(' {
				return nil, 0, p.errorf(t.pos, "%s is a constant, not a function", t.text)
			}
			return &Num{Value: v, Name: t.text, At: t.pos}, 0, nil
		}
		if p.tok.kind == '(' {
			return nil, 0, p.errorf(t.pos, "unknown function %s%s", Quote(t.text), suggest(t.text))
		}
		return &Var{Name: t.text, At: t.pos}, 0, nil
	case '(':
		if p.depth++; p.depth > MaxDepth {
			return nil, 0, p.tooDeep(t.pos)
		}
		p.advance()
		x, d, err := p.expr()
		if err != nil {
			return nil, 0, err
		}
		switch p.tok.kind {
		case ')':
			p.advance()
		case tEOF:
			return nil, 0, p.errorf(t.pos, "unclosed '('")
		default:
			return nil, 0, p.found("')'")
		}
		p.depth--
		return x, d, nil
	}
	return nil, 0, p.unexpected()
}

// call parses the argument list of the built-in function named by name,
// which has been consumed.
func (p *parser) call(name token) (Node, int, error) {
	if p.tok.kind != '(' {
		return nil, 0, p.errorf(name.pos, "missing '(' after function %s", name.text)
	}
	open := p.tok.pos
	if p.depth++; p.depth > MaxDepth {
		return nil, 0, p.tooDeep(open)
	}
	if name.text == "d" {
		if p.dDepth++; p.dDepth > MaxDerivDepth {
			return nil, 0, p.errorf(name.pos, "derivatives nested too deeply (more than %d levels of d)", MaxDerivDepth)
		}
		defer func() { p.dDepth-- }()
	}
	p.advance()
	var args []Node
	var secondPos Pos // where the second argument starts
	d := 0
	if p.tok.kind == ')' {
		p.advance()
	} else {
		for {
			if len(args) == 1 {
				secondPos = p.tok.pos
			}
			x, dx, err := p.expr()
			if err != nil {
				return nil, 0, err
			}
			args = append(args, x)
			d = max(d, dx)
			if p.tok.kind == ',' {
				p.advance()
				continue
			}
			if p.tok.kind == ')' {
				p.advance()
				break
			}
			if p.tok.kind == tEOF {
				return nil, 0, p.errorf(open, "unclosed '('")
			}
			return nil, 0, p.found("',' or ')'")
		}
	}
	p.depth--
	d++ // the call's own parentheses
	if d > MaxDepth {
		return nil, 0, p.tooDeep(name.pos)
	}
	if want := funcs[name.text]; len(args) != want {
		s := "s"
		if want == 1 {
			s = ""
		}
		return nil, 0, p.errorf(name.pos, "%s takes %d argument%s, got %d", name.text, want, s, len(args))
	}
	if name.text == "d" {
		v, ok := args[1].(*Var)
		if !ok {
			if c, isConst := args[1].(*Num); isConst && c.Name != "" {
				return nil, 0, p.errorf(secondPos, "d: second argument must be a variable, not the constant %s", c.Name)
			}
			return nil, 0, p.errorf(secondPos, "d: second argument must be a variable")
		}
		return &Deriv{X: args[0], Var: v.Name, At: name.pos, VarPos: v.At}, d, nil
	}
	return &Call{Func: name.text, Args: args, At: name.pos}, d, nil
}
