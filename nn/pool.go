package nn

import (
	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// MaxPool2D takes the maximum of each Kernel[0]×Kernel[1] window (PyTorch's
// nn.MaxPool2d; see ad.MaxPool2D for the gradient's routing on ties).
// Config's zero Stride means the kernel size, PyTorch's default. The input
// is N×C×H×W and the output N×C×OH×OW with OH = ⌊(H + top + bottom -
// Kernel[0])/stride⌋ + 1 and OW likewise. It has no tensors.
type MaxPool2D struct {
	Name   string // for error messages; Visit sets it from the prefix if empty
	Kernel [2]int
	Config ad.PoolConfig
}

// Forward returns ad.MaxPool2D(x, Kernel, Config). It panics as
// ad.MaxPool2D does, the message naming the layer.
func (p *MaxPool2D) Forward(_ *Ctx, x ad.Value) ad.Value {
	return named(layerName("MaxPool2D", p.Name), func() ad.Value { return ad.MaxPool2D(x, p.Kernel, p.Config) })
}

// Visit visits nothing (a MaxPool2D has no tensors); it names the layer.
func (p *MaxPool2D) Visit(prefix string, _ Visitor) {
	if p.Name == "" {
		p.Name = prefix
	}
}

// AvgPool2D takes the mean of each Kernel[0]×Kernel[1] window (PyTorch's
// nn.AvgPool2d with count_include_pad=True), shaped as for MaxPool2D. It
// has no tensors.
type AvgPool2D struct {
	Name   string // for error messages; Visit sets it from the prefix if empty
	Kernel [2]int
	Config ad.PoolConfig
}

// Forward returns ad.AvgPool2D(x, Kernel, Config). It panics as
// ad.AvgPool2D does, the message naming the layer.
func (p *AvgPool2D) Forward(_ *Ctx, x ad.Value) ad.Value {
	return named(layerName("AvgPool2D", p.Name), func() ad.Value { return ad.AvgPool2D(x, p.Kernel, p.Config) })
}

// Visit visits nothing (an AvgPool2D has no tensors); it names the layer.
func (p *AvgPool2D) Visit(prefix string, _ Visitor) {
	if p.Name == "" {
		p.Name = prefix
	}
}

// named runs f, re-raising its argument panics under the layer's name.
func named(op string, f func() ad.Value) ad.Value {
	var y ad.Value
	if err := tensor.Maybe(func() { y = f() }); err != nil {
		e := err.(*tensor.Error)
		tensor.Panicf(e.Kind, op, "%s: %s", e.Op, e.Msg)
	}
	return y
}

// Flatten reshapes N×… inputs to N×(the product of the rest), as PyTorch's
// nn.Flatten() does, for a Linear after convolutions. It has no tensors.
type Flatten struct{}

// Forward returns x reshaped to N×(the rest). It panics with
// tensor.ErrShape for a scalar input.
func (Flatten) Forward(_ *Ctx, x ad.Value) ad.Value {
	if x.Rank() < 1 {
		tensor.Panicf(tensor.ErrShape, "nn.Flatten", "scalar input: want N×…")
	}
	return ad.Reshape(x, x.Shape()[0], -1)
}

// Visit visits nothing: a Flatten has no tensors.
func (Flatten) Visit(string, Visitor) {}
