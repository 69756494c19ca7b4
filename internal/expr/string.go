package expr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// String renders n in a canonical, parenthesized form suitable for labels,
// for example "(x * y) + sin(x)", "-(x ^ 2)", "2 ^ (3 ^ 2)" or
// "d(x ^ 3, x)". Binary operators are surrounded by single spaces, numbers
// are printed in the shortest form that parses back to the same value, and
// every operand that is itself an operation is parenthesized, with one
// exception: the left operand of an operator is not parenthesized when it is
// an operation of the same precedence level (+ and -, or * and /), so a
// left-associative chain prints flat as "a + b - c" rather than
// "(a + b) - c". This keeps the output of long sums readable and no more
// deeply nested than the input.
//
// For any tree produced by Parse, Parse(String(n)) yields a tree with the
// same String.
func String(n Node) string {
	var b strings.Builder
	writeNode(&b, n)
	return b.String()
}

// level returns the precedence level of a binary operator.
func level(op byte) int {
	switch op {
	case '+', '-':
		return 1
	case '*', '/':
		return 2
	case '^':
		return 3
	}
	return 0
}

// needParens reports whether String parenthesizes child when it is the
// operand of parent (the right operand if right is set).
func needParens(parent, child Node, right bool) bool {
	switch c := child.(type) {
	case *Num:
		return math.Signbit(c.Value) // only possible in hand-built trees
	case *Unary:
		return true
	case *Binary:
		pb, ok := parent.(*Binary)
		if !ok || right {
			return true
		}
		l := level(pb.Op)
		return l != level(c.Op) || l == 3
	}
	return false
}

func writeOperand(b *strings.Builder, parent, child Node, right bool) {
	if needParens(parent, child, right) {
		b.WriteByte('(')
		writeNode(b, child)
		b.WriteByte(')')
	} else {
		writeNode(b, child)
	}
}

func writeNode(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *Num:
		if n.Name != "" {
			b.WriteString(n.Name)
			break
		}
		b.WriteString(strconv.FormatFloat(n.Value, 'g', -1, 64))
	case *Var:
		b.WriteString(n.Name)
	case *Unary:
		b.WriteByte(n.Op)
		writeOperand(b, n, n.X, false)
	case *Binary:
		// Walk the flat left spine iteratively so that long sums do not
		// recurse deeply.
		spine := []*Binary{n}
		for {
			last := spine[len(spine)-1]
			x, ok := last.X.(*Binary)
			if !ok || needParens(last, x, false) {
				break
			}
			spine = append(spine, x)
		}
		last := spine[len(spine)-1]
		writeOperand(b, last, last.X, false)
		for i := len(spine) - 1; i >= 0; i-- {
			s := spine[i]
			b.WriteByte(' ')
			b.WriteByte(s.Op)
			b.WriteByte(' ')
			writeOperand(b, s, s.Y, true)
		}
	case *Call:
		b.WriteString(n.Func)
		b.WriteByte('(')
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeNode(b, a)
		}
		b.WriteByte(')')
	case *Deriv:
		b.WriteString("d(")
		writeNode(b, n.X)
		b.WriteString(", ")
		b.WriteString(n.Var)
		b.WriteByte(')')
	case nil:
		b.WriteString("<nil>")
	default:
		fmt.Fprintf(b, "<%T>", n)
	}
}
