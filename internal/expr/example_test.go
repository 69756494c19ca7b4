package expr_test

import (
	"fmt"
	"strings"

	"github.com/chainrule/chainrule/internal/expr"
)

func ExampleQuote() {
	fmt.Println(expr.Quote("--\x1b[31mred"))
	fmt.Println(expr.Quote(strings.Repeat("x", 100)))
	// Output:
	// "--\x1b[31mred"
	// "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"…
}

func ExampleExcerpt() {
	text, caret := expr.Excerpt("x\r + * y", 5)
	fmt.Println(text)
	fmt.Println(caret)
	// Output:
	// x\r + * y
	//      ^
}

func ExampleParse() {
	n, err := expr.Parse("-(x+1)^2 + 2^-x")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(expr.String(n))
	_, err = expr.Parse("ln(x)")
	fmt.Println(err)
	// Output:
	// (-((x + 1) ^ 2)) + (2 ^ (-x))
	// 1:1: unknown function "ln" (did you mean log?)
	// ln(x)
	// ^
}
