package ad_test

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// A 2×2 box filter over a 3×3 image (N=1, C=1), and the gradient of the sum
// of its output: each pixel counts the windows that cover it.
func ExampleConv2D() {
	img := ad.New([]float64{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}, 1, 1, 3, 3)
	box := ad.From(tensor.Ones(1, 1, 2, 2)) // O=1, C=1, 2×2
	fmt.Println(ad.Reshape(ad.Conv2D(img, box, ad.ConvConfig{}), 2, 2))

	// Stride 2 with one row and column of zero padding after the image.
	cfg := ad.ConvConfig{Stride: [2]int{2, 2}, Padding: [2][2]int{{0, 1}, {0, 1}}}
	fmt.Println(ad.Reshape(ad.Conv2D(img, box, cfg), 2, 2))

	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.Conv2D(x, box, ad.ConvConfig{}), false) }, img)
	fmt.Println(ad.Reshape(g, 3, 3))
	// Output:
	// [[12 16]
	//  [24 28]]
	// [[12  9]
	//  [15  9]]
	// [[1 2 1]
	//  [2 4 2]
	//  [1 2 1]]
}

// Max pooling over 2×2 windows; on a tie the gradient goes to the first
// maximum in row-major window order, as in PyTorch.
func ExampleMaxPool2D() {
	x := ad.New([]float64{
		1, 3, 2, 2,
		3, 0, 1, 2,
	}, 1, 1, 2, 4)
	pool := func(x ad.Value) ad.Value { return ad.MaxPool2D(x, [2]int{2, 2}, ad.PoolConfig{}) }
	fmt.Println(ad.Reshape(pool(x), 2))
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(pool(x), false) }, x)
	fmt.Println(ad.Reshape(g, 2, 4))
	// Output:
	// [3 2]
	// [[0 1 1 0]
	//  [0 0 0 0]]
}
