package main

// The CLI's limits. Each command refuses, before doing the work, an input
// whose result or working memory would grow past them, with an error of
// kind "limit"; doc.go lists them.

import (
	"fmt"

	"github.com/chainrule/chainrule/internal/expr"
)

const (
	// maxVars is the most variables --at may give, for any command.
	maxVars = 10_000
	// maxEntries is the most numbers in a command's matrix: the Hessian's
	// n² entries (so at most 1024 variables), the Jacobian's outputs ×
	// variables, and graph's tangent table, nodes × variables.
	maxEntries = 1 << 20
	// maxTangentWork is the most tangent entries a forward-mode pass may
	// carry, variables × the expression's size (its syntax tree's nodes,
	// each d(E, v) counting E three times): grad --mode forward and
	// jacobian by forward mode push one tangent per variable through every
	// node at once.
	maxTangentWork = 1 << 24
	// maxNestedWork is the most work the nested derivatives of an
	// expression may take, whatever the command: the nodes inside d(E, v)
	// counted with weight 3^k under k d's (each level of d evaluates a
	// value and a tangent, and so roughly doubles or triples the cost of
	// what it encloses). The depth limit (expr.MaxDerivDepth) alone does
	// not bound it: a 9 KB expression under 8 d's took 33 s and 1.2 GB
	// for a hessian before this limit.
	maxNestedWork = 1 << 22
	// maxGraphNodes is the most nodes graph shows.
	maxGraphNodes = 100_000
	// maxOutput is the most bytes a command writes (an internal bound:
	// the limits above keep every output below it).
	maxOutput = 64 << 20
)

// limitf returns an error of kind "limit".
func limitf(format string, args ...any) error {
	return &cliError{kind: "limit", err: fmt.Errorf(format, args...)}
}

// checkLimits refuses a command whose work or output would pass the
// limits, from what is known before evaluating: the variables, the number
// of expressions and the size of their syntax trees. graph is checked once
// the graph is recorded (checkGraphLimits), which costs little next to its
// tangents.
func checkLimits(o *options, p *program) error {
	n, m := len(p.vars), len(p.exprs)
	if n > maxVars {
		return limitf("%d variables in --at: the limit is %d", n, maxVars)
	}
	size, nested := 0, 0
	var at expr.Pos // the first d, in source order
	for _, e := range p.exprs {
		sz, w, d := weigh(e)
		size = satAdd(size, sz)
		nested = satAdd(nested, w)
		if !at.IsValid() {
			at = d
		}
	}
	if nested > maxNestedWork {
		return &cliError{kind: "limit", err: &expr.Error{Pos: at, Src: p.src, Msg: fmt.Sprintf(
			"the nested derivatives d(…) enclose too much: %d nodes weighted 3 per level of d, more than the limit of %d (differentiate a smaller expression, or nest fewer d's)",
			nested, maxNestedWork)}}
	}
	switch o.cmd {
	case "hessian":
		if n*n > maxEntries {
			return limitf("hessian of %d variables: a %d×%d matrix has more than the limit of %d entries (at most %d variables)", n, n, n, maxEntries, isqrt(maxEntries))
		}
	case "jacobian":
		if m*n > maxEntries {
			return limitf("jacobian of %d outputs and %d variables: %d entries, more than the limit of %d", m, n, m*n, maxEntries)
		}
		forward := o.mode == "forward" || (o.mode == "" || o.mode == "auto") && n < m
		if forward && satMul(n, size) > maxTangentWork {
			return limitf("jacobian by forward mode: %d variables × an expression of %d nodes is more tangent work than the limit of %d (use --mode reverse)", n, size, maxTangentWork)
		}
	case "grad":
		if o.mode == "forward" && satMul(n, size) > maxTangentWork {
			return limitf("grad --mode forward: %d variables × an expression of %d nodes is more tangent work than the limit of %d (use --mode reverse)", n, size, maxTangentWork)
		}
	}
	return nil
}

// checkGraphLimits refuses a recorded graph too large to show.
func checkGraphLimits(nodes, vars int, mode string) error {
	if nodes > maxGraphNodes {
		return limitf("graph of %d nodes: more than the limit of %d", nodes, maxGraphNodes)
	}
	if mode != "reverse" && satMul(nodes, vars) > maxEntries {
		return limitf("graph of %d nodes and %d variables: the tangent table has more than the limit of %d entries (use --mode reverse, or fewer variables)", nodes, vars, maxEntries)
	}
	return nil
}

// weigh walks n's syntax tree once. size counts its nodes, the expression
// inside each d(E, v) three times per level (forward mode evaluates its
// value and its tangent); nested is the part of size that lies inside some
// d; first is the position of n's first outermost d (not valid if n has
// none). Sums saturate at maxInt.
func weigh(n expr.Node) (size, nested int, first expr.Pos) {
	type item struct {
		n      expr.Node
		weight int // 3 to the number of d's around n
	}
	stack := []item{{n, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		size = satAdd(size, it.weight)
		if it.weight > 1 {
			nested = satAdd(nested, it.weight)
		}
		switch n := it.n.(type) {
		case *expr.Unary:
			stack = append(stack, item{n.X, it.weight})
		case *expr.Binary:
			stack = append(stack, item{n.Y, it.weight}, item{n.X, it.weight})
		case *expr.Call:
			for k := len(n.Args) - 1; k >= 0; k-- {
				stack = append(stack, item{n.Args[k], it.weight})
			}
		case *expr.Deriv:
			if !first.IsValid() {
				first = n.At
			}
			stack = append(stack, item{n.X, satMul(3, it.weight)})
		}
	}
	return size, nested, first
}

const maxInt = int(^uint(0) >> 1)

func satAdd(a, b int) int {
	if a > maxInt-b {
		return maxInt
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > maxInt/a {
		return maxInt
	}
	return a * b
}

// isqrt returns ⌊√n⌋.
func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}
