package nn

import (
	"math"
	"math/rand/v2"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Conv2D is a 2-d convolution layer (PyTorch's nn.Conv2d): ad.Conv2D of
// the input with Weight, plus Bias per output channel. Weight is
// Out×(In/Groups)×KH×KW and Bias has Out elements, or is nil for none;
// their names are "weight" and "bias". Config holds the stride, padding
// (asymmetric allowed), dilation and groups. The input is N×In×H×W and the
// output N×Out×OH×OW with OH = ⌊(H + top + bottom - dh·(KH-1) - 1)/sh⌋ + 1
// and OW likewise.
type Conv2D struct {
	Name   string // for error messages; Visit sets it from the prefix if empty
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
	Config ad.ConvConfig
}

// NewConv2D returns a Conv2D from in to out channels with a kernel of
// kernel[0]×kernel[1] and the given config, initialized as PyTorch does
// from rng: the weight from U(-1/√fan_in, 1/√fan_in) (kaiming_uniform_
// with a = √5), fan_in = in/groups·KH·KW, and the bias, unless bias is
// false, from the same interval. It panics with tensor.ErrArg for a size
// below 1, channels not divisible by the groups, a negative config field
// or a nil rng.
func NewConv2D(rng *rand.Rand, in, out int, kernel [2]int, cfg ad.ConvConfig, bias bool) *Conv2D {
	const op = "nn.NewConv2D"
	checkDims(op, []string{"in", "out", "kernel height", "kernel width"}, in, out, kernel[0], kernel[1])
	g := cfg.Groups
	if g == 0 {
		g = 1
	}
	if g < 0 || in%g != 0 || out%g != 0 {
		tensor.Panicf(tensor.ErrArg, op, "%d input and %d output channels in %d groups: both must be multiples of the groups", in, out, g)
	}
	cfg = cfg.Normalized(op)
	l := &Conv2D{Weight: KaimingUniform(rng, math.Sqrt(5), out, in/g, kernel[0], kernel[1]), Config: cfg}
	if bias {
		l.Bias = fanInBias(rng, op, in/g*kernel[0]*kernel[1], out)
	}
	return l
}

// Forward returns the convolution of x, N×In×H×W, plus the bias, as an
// N×Out×OH×OW value. It panics with tensor.ErrShape, naming the layer, if
// x has not rank 4 or not In channels, or the kernel does not fit, and
// with tensor.ErrDType if x's dtype is not the weight's.
func (l *Conv2D) Forward(c *Ctx, x ad.Value) ad.Value {
	op := layerName("Conv2D", l.Name)
	need(op, "Weight", l.Weight)
	ws := l.Weight.Shape()
	g := max(l.Config.Groups, 1)
	if x.Rank() != 4 || x.Shape()[1] != ws[1]*g {
		tensor.Panicf(tensor.ErrShape, op, "input of shape %s: want N×%d×H×W", tensor.ShapeString(x.Shape()), ws[1]*g)
	}
	checkDType(op, x, l.Weight)
	y := named(op, func() ad.Value { return ad.Conv2D(x, c.Value(l.Weight), l.Config) })
	if l.Bias != nil {
		y = ad.Add(y, ad.Reshape(c.Value(l.Bias), ws[0], 1, 1))
	}
	return y
}

// Visit visits "weight" and "bias".
func (l *Conv2D) Visit(prefix string, visit Visitor) {
	if l.Name == "" {
		l.Name = prefix
	}
	visit(Join(prefix, "weight"), &l.Weight, Parameter)
	visit(Join(prefix, "bias"), &l.Bias, Parameter)
}
