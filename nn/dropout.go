package nn

import (
	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Dropout zeroes each element of its input with probability P in training
// mode and scales the others by 1/(1-P) (inverted dropout, PyTorch's
// nn.Dropout); in evaluation mode it is the identity. It has no tensors.
// The output has the input's shape.
type Dropout struct {
	Name string // for error messages; Visit sets it from the prefix if empty
	P    float64
}

// Forward returns ad.Dropout(x, P, c.Train, c.Rand): in training mode the
// mask is drawn from c.Rand, so the same generator state gives the same
// step. It panics with tensor.ErrArg, naming the layer, if P is not in
// [0, 1] or, in training mode, c.Rand is nil; under ad.Compile in training
// mode it panics with tensor.ErrGraph (see ad.Dropout).
func (d *Dropout) Forward(c *Ctx, x ad.Value) ad.Value {
	op := layerName("Dropout", d.Name)
	if !(d.P >= 0 && d.P <= 1) {
		tensor.Panicf(tensor.ErrArg, op, "probability %g is not in [0, 1]", d.P)
	}
	if !c.training() {
		return x
	}
	if c.Rand == nil {
		tensor.Panicf(tensor.ErrArg, op, "training mode needs a random source (Ctx.Rand)")
	}
	return ad.Dropout(x, d.P, true, c.Rand)
}

// Visit visits nothing (a Dropout has no tensors); it names the layer.
func (d *Dropout) Visit(prefix string, _ Visitor) {
	if d.Name == "" {
		d.Name = prefix
	}
}
