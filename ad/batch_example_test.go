package ad_test

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Two cotangents pulled back through one reverse sweep: the rows of the
// Jacobian of f(x) = (x0·x1, x0 + x1²), which is [[x1, x0], [1, 2·x1]].
func ExampleVJPBatch() {
	f := func(xs []ad.Value) ad.Value {
		x := xs[0]
		x0, x1 := ad.Slice(x, 0, 0, 1), ad.Slice(x, 0, 1, 2)
		return ad.Concat(0, ad.Mul(x0, x1), ad.Add(x0, ad.Square(x1)))
	}
	y, pull := ad.VJPBatch(f, ad.New([]float64{3, 5}, 2))
	fmt.Println(y)
	fmt.Println(pull(ad.From(tensor.Eye(2)))[0]) // cotangents (2, 2): one per row
	// Output:
	// [15 28]
	// [[ 5  3]
	//  [ 1 10]]
}
