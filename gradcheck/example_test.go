package gradcheck_test

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/gradcheck"
)

// Check a new op outside the table, and see a wrong derivative caught.
func Example() {
	square := gradcheck.Op{
		Name:   "Square",
		Arity:  1,
		Fn:     func(xs ...ad.Value) ad.Value { return ad.Mul(xs[0], xs[0]) },
		Smooth: true,
	}
	args := square.Sample(1, [][]int{{2, 3}})
	var r gradcheck.Recorder
	fmt.Println(gradcheck.CheckVJP(&r, square, args, 0), gradcheck.CheckJVP(&r, square, args, 0))

	// x·stop(x) has the value x² but differentiates as x: a rule that
	// forgets a term.
	wrong := square
	wrong.Fn = func(xs ...ad.Value) ad.Value { return ad.Mul(xs[0], ad.StopGradient(xs[0])) }
	fmt.Println(gradcheck.CheckVJP(&r, wrong, args, 0), len(r.Errors))
	// Output:
	// true true
	// false 2
}
