package ad_test

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
)

// Per-example gradients: the gradient of the squared error (w·x − y)² with
// respect to w, for each of three examples (x, y), in one batched pass.
// Each is 2(w·x − y)·x.
func ExampleVmap() {
	w := ad.New([]float64{1, 2}, 2)
	xs := ad.New([]float64{1, 0, 0, 1, 1, 1}, 3, 2)
	ys := ad.New([]float64{0, 1, 2}, 3)
	perExample := ad.Vmap(func(ex []ad.Value) ad.Value {
		x, y := ex[0], ex[1]
		return ad.Grad(func(w ad.Value) ad.Value { return ad.Square(ad.Sub(ad.Dot(w, x), y)) }, w)
	})
	fmt.Println(perExample(xs, ys))
	// Output:
	// [[2 0]
	//  [0 2]
	//  [2 2]]
}
