package nn

import (
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// LayerNorm normalizes its input over the trailing dimensions Shape
// (PyTorch's nn.LayerNorm with normalized_shape = Shape): each slice gets
// (x - mean)/√(var + Eps) with its own mean and biased variance, then is
// scaled by Weight and shifted by Bias, both of shape Shape (nil for none,
// elementwise_affine=False); their names are "weight" and "bias". The
// input is …×Shape and the output has its shape.
type LayerNorm struct {
	Name   string // for error messages; Visit sets it from the prefix if empty
	Shape  []int
	Eps    float64
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
}

// NewLayerNorm returns a LayerNorm over the trailing dimensions shape with
// PyTorch's defaults: Eps 1e-5, weight ones, bias zeros. It panics with
// tensor.ErrArg if shape is empty or has a size below 1.
func NewLayerNorm(shape ...int) *LayerNorm {
	if len(shape) == 0 {
		tensor.Panicf(tensor.ErrArg, "nn.NewLayerNorm", "no normalized dimensions")
	}
	for _, s := range shape {
		checkDims("nn.NewLayerNorm", []string{"dimension"}, s)
	}
	return &LayerNorm{Shape: slices.Clone(shape), Eps: 1e-5, Weight: tensor.Ones(shape...), Bias: tensor.Zeros(shape...)}
}

// Forward returns x normalized over its trailing dimensions Shape. It
// panics with tensor.ErrShape, naming the layer, if x does not end in
// Shape, and with tensor.ErrDType if x's dtype is not the weight's.
func (l *LayerNorm) Forward(c *Ctx, x ad.Value) ad.Value {
	op := layerName("LayerNorm", l.Name)
	n := len(l.Shape)
	if x.Rank() < n || !slices.Equal(x.Shape()[x.Rank()-n:], l.Shape) {
		tensor.Panicf(tensor.ErrShape, op, "input of shape %s does not end in the normalized shape %s", tensor.ShapeString(x.Shape()), tensor.ShapeString(l.Shape))
	}
	var w, b ad.Value
	if l.Weight != nil {
		checkDType(op, x, l.Weight)
		w = c.Value(l.Weight)
	}
	if l.Bias != nil {
		b = c.Value(l.Bias)
	}
	return ad.LayerNorm(x, n, w, b, l.Eps)
}

// Visit visits "weight" and "bias".
func (l *LayerNorm) Visit(prefix string, visit Visitor) {
	if l.Name == "" {
		l.Name = prefix
	}
	visit(Join(prefix, "weight"), &l.Weight, Parameter)
	visit(Join(prefix, "bias"), &l.Bias, Parameter)
}

// BatchNorm2D is batch normalization over the channels of N×C×H×W inputs
// (PyTorch's nn.BatchNorm2d). Weight and Bias (C elements each, nil for
// none) are parameters named "weight" and "bias"; RunningMean and
// RunningVar (C elements) are buffers named "running_mean" and
// "running_var". PyTorch's num_batches_tracked is not kept: with a fixed
// Momentum it changes no output.
//
// In training mode (Ctx.Train) each channel is normalized with the mean and
// the biased variance of the batch over N, H and W, and the running
// statistics move towards the batch's: running = (1-Momentum)·running +
// Momentum·batch, with the UNBIASED variance (divided by N·H·W - 1) for
// running_var, as PyTorch does. In evaluation mode each channel is
// normalized with the running statistics: (x - running_mean)/
// √(running_var + Eps)·weight + bias. The output has the input's shape.
type BatchNorm2D struct {
	Name        string // for error messages; Visit sets it from the prefix if empty
	Eps         float64
	Momentum    float64
	Weight      *tensor.Tensor
	Bias        *tensor.Tensor
	RunningMean *tensor.Tensor
	RunningVar  *tensor.Tensor
}

// NewBatchNorm2D returns a BatchNorm2D over c channels with PyTorch's
// defaults: Eps 1e-5, Momentum 0.1, weight ones, bias zeros, running mean
// zeros and running variance ones. It panics with tensor.ErrArg for c
// below 1.
func NewBatchNorm2D(c int) *BatchNorm2D {
	checkDims("nn.NewBatchNorm2D", []string{"channels"}, c)
	return &BatchNorm2D{Eps: 1e-5, Momentum: 0.1,
		Weight: tensor.Ones(c), Bias: tensor.Zeros(c),
		RunningMean: tensor.Zeros(c), RunningVar: tensor.Ones(c)}
}

// Forward returns x normalized per channel, in training or evaluation mode
// (see BatchNorm2D). In training mode it updates the running statistics
// in place (or records them as Updates when c.Defer is set). It panics
// with tensor.ErrShape, naming the layer, if x is not N×C×H×W or, in
// training mode, has a single value per channel; and with tensor.ErrDType
// if x's dtype is not the buffers'.
func (l *BatchNorm2D) Forward(c *Ctx, x ad.Value) ad.Value {
	op := layerName("BatchNorm2D", l.Name)
	need(op, "RunningMean", l.RunningMean, "RunningVar", l.RunningVar)
	ch := l.RunningMean.Size()
	if x.Rank() != 4 || x.Shape()[1] != ch {
		tensor.Panicf(tensor.ErrShape, op, "input of shape %s: want N×%d×H×W", tensor.ShapeString(x.Shape()), ch)
	}
	checkDType(op, x, l.RunningMean)
	var w, b ad.Value
	if l.Weight != nil {
		w = c.Value(l.Weight)
	}
	if l.Bias != nil {
		b = c.Value(l.Bias)
	}
	rm, rv := c.Value(l.RunningMean), c.Value(l.RunningVar)
	if !c.training() {
		return ad.BatchNormWithStats(x, rm, rv, w, b, l.Eps)
	}
	s := x.Shape()
	n := s[0] * s[2] * s[3]
	if n < 2 {
		tensor.Panicf(tensor.ErrShape, op, "input of shape %s has %d value per channel; training mode needs more than 1", tensor.ShapeString(s), n)
	}
	// the running statistics: no gradient flows through them
	xs := ad.StopGradient(x)
	mean := ad.Mean(xs, false, 0, 2, 3)
	dev := ad.Sub(xs, ad.Reshape(mean, 1, ch, 1, 1))
	unbiased := ad.Div(ad.Sum(ad.Square(dev), false, 0, 2, 3), float64(n-1))
	m := l.Momentum
	c.update(op+" running_mean", l.RunningMean, ad.Add(ad.Mul(1-m, rm), ad.Mul(m, mean)))
	c.update(op+" running_var", l.RunningVar, ad.Add(ad.Mul(1-m, rv), ad.Mul(m, unbiased)))
	return ad.BatchNorm(x, w, b, l.Eps)
}

// Visit visits "weight", "bias", "running_mean" and "running_var".
func (l *BatchNorm2D) Visit(prefix string, visit Visitor) {
	if l.Name == "" {
		l.Name = prefix
	}
	visit(Join(prefix, "weight"), &l.Weight, Parameter)
	visit(Join(prefix, "bias"), &l.Bias, Parameter)
	visit(Join(prefix, "running_mean"), &l.RunningMean, Buffer)
	visit(Join(prefix, "running_var"), &l.RunningVar, Buffer)
}
