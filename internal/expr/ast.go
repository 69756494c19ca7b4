package expr

import (
	"math"
	"strconv"
)

// Pos is a position in the source text. Line and Col are 1-based; Col counts
// runes, not bytes. The zero Pos means "no position".
type Pos struct {
	Line, Col int
}

// IsValid reports whether p is a real position (Line and Col are at least 1).
func (p Pos) IsValid() bool { return p.Line > 0 && p.Col > 0 }

// String formats p as "line:col", or "-" if p is not valid.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Node is a node of the syntax tree: one of *Num, *Var, *Unary, *Binary,
// *Call or *Deriv. The interface is sealed; no other types implement it.
type Node interface {
	// Pos reports the position the node is attributed to (see each type).
	Pos() Pos
	node()
}

// Num is a number: a literal, or one of the named constants pi and e (see
// [Constant]), in which case Name is set. Parsed numbers are always finite
// and non-negative; a leading minus sign is a *Unary.
type Num struct {
	Value float64
	Name  string // "pi" or "e" for a named constant, "" for a literal
	At    Pos    // position of the literal or name
}

// Var is a reference to a variable.
type Var struct {
	Name string
	At   Pos // position of the name
}

// Unary is a prefix operation: Op is '-' or '+'.
type Unary struct {
	Op byte
	X  Node
	At Pos // position of the operator
}

// Binary is an infix operation: Op is one of '+', '-', '*', '/' or '^'
// (the source spelling ** is also represented as '^').
type Binary struct {
	Op   byte
	X, Y Node
	At   Pos // position of the operator
}

// Call is a call of a built-in function other than d. The parser guarantees
// that Func is a known function (see [Arity]) and that len(Args) matches its
// arity.
type Call struct {
	Func string
	Args []Node
	At   Pos // position of the function name
}

// Deriv is d(X, Var): the derivative of X with respect to the variable Var,
// evaluated at the current value of Var.
type Deriv struct {
	X      Node
	Var    string
	At     Pos // position of the name d
	VarPos Pos // position of the variable name
}

// Pos returns the position of the literal.
func (n *Num) Pos() Pos { return n.At }

// Pos returns the position of the variable name.
func (n *Var) Pos() Pos { return n.At }

// Pos returns the position of the operator.
func (n *Unary) Pos() Pos { return n.At }

// Pos returns the position of the operator.
func (n *Binary) Pos() Pos { return n.At }

// Pos returns the position of the function name.
func (n *Call) Pos() Pos { return n.At }

// Pos returns the position of the name d.
func (n *Deriv) Pos() Pos { return n.At }

func (*Num) node()    {}
func (*Var) node()    {}
func (*Unary) node()  {}
func (*Binary) node() {}
func (*Call) node()   {}
func (*Deriv) node()  {}

// funcs maps every built-in function name, including d, to its arity.
var funcs = map[string]int{
	"sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1,
	"sinh": 1, "cosh": 1, "tanh": 1, "exp": 1, "log": 1, "log1p": 1,
	"expm1": 1, "sqrt": 1, "abs": 1, "sigmoid": 1, "relu": 1, "softplus": 1,
	"erf": 1,
	"pow": 2, "atan2": 2, "max": 2, "min": 2, "hypot": 2,
	"d": 2,
}

// constants maps the names of the built-in constants to their values.
var constants = map[string]float64{"pi": math.Pi, "e": math.E}

// Constant reports the value of the built-in constant name (pi or e), and
// whether name is one. Like function names, constant names are reserved:
// they cannot be used as variables.
func Constant(name string) (v float64, ok bool) {
	v, ok = constants[name]
	return v, ok
}

// Arity reports the number of arguments taken by the built-in function
// name, and whether name is a built-in function at all. The derivative
// operator d is included (with arity 2) although it is parsed as a *Deriv,
// never as a *Call.
func Arity(name string) (n int, ok bool) {
	n, ok = funcs[name]
	return n, ok
}

// Vars returns the names of the variables occurring in n, each once, in
// order of first occurrence in the source. The variable of a derivative
// d(E, v) counts as an occurrence after those in E: it is free, since d is
// evaluated at the current value of v. So Vars of d(x*y, y) is [x y] and
// Vars of d(x, y) is [x y].
func Vars(n Node) []string {
	var out []string
	seen := make(map[string]bool)
	stack := []Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n := n.(type) {
		case *Var:
			if !seen[n.Name] {
				seen[n.Name] = true
				out = append(out, n.Name)
			}
		case *Unary:
			stack = append(stack, n.X)
		case *Binary:
			stack = append(stack, n.Y, n.X)
		case *Call:
			for i := len(n.Args) - 1; i >= 0; i-- {
				stack = append(stack, n.Args[i])
			}
		case *Deriv:
			stack = append(stack, &Var{Name: n.Var, At: n.VarPos}, n.X)
		}
	}
	return out
}
