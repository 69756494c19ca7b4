package onnx_test

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/tensor"
)

// Export the value and gradient of a function; the model's inputs and
// outputs carry the names given.
func ExampleExport() {
	f := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Tanh(x), x), false) }
	x := ad.From(tensor.New([]float64{0.5, -1, 2}, 3))
	p := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrad(f, xs[0])
		return []ad.Value{v, g}
	}, x)
	m, err := onnx.Export(p, &onnx.Options{Inputs: []string{"x"}, Outputs: []string{"value", "grad"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("opset", m.OpsetImports[0].Version)
	for _, in := range m.Graph.Inputs {
		fmt.Println("input", in.Name, in.Shape)
	}
	for _, out := range m.Graph.Outputs {
		fmt.Println("output", out.Name, out.Shape)
	}
	// Output:
	// opset 17
	// input x [3]
	// output value []
	// output grad [3]
}
