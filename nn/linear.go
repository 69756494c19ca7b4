package nn

// Linear and Embedding: the affine map and the table lookup.

import (
	"math"
	"math/rand/v2"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Linear is the affine map y = x·Wᵀ + b (PyTorch's nn.Linear). Weight is
// Out×In and Bias has Out elements, or is nil for none; their names are
// "weight" and "bias". The input is shaped …×In, any leading dimensions,
// and the output …×Out.
type Linear struct {
	Name   string // for error messages; Visit sets it from the prefix if empty
	Weight *tensor.Tensor
	Bias   *tensor.Tensor
}

// NewLinear returns a Linear from in to out features with PyTorch's default
// initialization, drawn from rng: the weight from U(-1/√in, 1/√in)
// (kaiming_uniform_ with a = √5) and the bias, unless bias is false, from
// U(-1/√in, 1/√in). It panics with tensor.ErrArg for a size below 1 or a
// nil rng.
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	checkDims("nn.NewLinear", []string{"in", "out"}, in, out)
	l := &Linear{Weight: KaimingUniform(rng, math.Sqrt(5), out, in)}
	if bias {
		l.Bias = fanInBias(rng, "nn.NewLinear", in, out)
	}
	return l
}

// Forward returns x·Wᵀ + b for x shaped …×In, as a …×Out value, through
// ad.Linear (one matrix product over all leading dimensions). It panics
// with tensor.ErrShape, naming the layer, if x is a scalar or its last
// dimension is not In, and with tensor.ErrDType if x's dtype is not the
// weight's.
func (l *Linear) Forward(c *Ctx, x ad.Value) ad.Value {
	op := layerName("Linear", l.Name)
	need(op, "Weight", l.Weight)
	in := l.Weight.Shape()[1]
	if x.Rank() < 1 || x.Shape()[x.Rank()-1] != in {
		tensor.Panicf(tensor.ErrShape, op, "input of shape %s has %d features, want %d", tensor.ShapeString(x.Shape()), lastDim(x), in)
	}
	checkDType(op, x, l.Weight)
	var b ad.Value
	if l.Bias != nil {
		b = c.Value(l.Bias)
	}
	return ad.Linear(x, c.Value(l.Weight), b)
}

// Visit visits "weight" and "bias".
func (l *Linear) Visit(prefix string, visit Visitor) {
	if l.Name == "" {
		l.Name = prefix
	}
	visit(Join(prefix, "weight"), &l.Weight, Parameter)
	visit(Join(prefix, "bias"), &l.Bias, Parameter)
}

// lastDim returns x's last dimension, or 0 for a scalar.
func lastDim(x ad.Value) int {
	if x.Rank() == 0 {
		return 0
	}
	return x.Shape()[x.Rank()-1]
}

// checkDType panics with tensor.ErrDType unless x has t's dtype.
func checkDType(op string, x ad.Value, t *tensor.Tensor) {
	if x.DType() != t.DType() {
		tensor.Panicf(tensor.ErrDType, op, "input is %s, the layer's tensors %s (convert the model with nn.To)", x.DType(), t.DType())
	}
}

// Embedding is a lookup table of Num vectors of Dim elements (PyTorch's
// nn.Embedding): Weight is Num×Dim, named "weight". Index i selects row i;
// the gradient with respect to the weight is the output gradient added
// into the selected rows.
type Embedding struct {
	Name   string // for error messages; Visit sets it from the prefix if empty
	Weight *tensor.Tensor
}

// NewEmbedding returns an Embedding of num vectors of dim elements drawn
// from N(0, 1), PyTorch's default, with rng. It panics with tensor.ErrArg
// for a size below 1 or a nil rng.
func NewEmbedding(rng *rand.Rand, num, dim int) *Embedding {
	checkDims("nn.NewEmbedding", []string{"num", "dim"}, num, dim)
	if rng == nil {
		tensor.Panicf(tensor.ErrArg, "nn.NewEmbedding", "nil random source")
	}
	return &Embedding{Weight: tensor.RandN(rng, num, dim)}
}

// Lookup returns the rows idx of the table as a value of shape shape×Dim
// (len(idx) must be the product of shape; no shape means len(idx)×Dim).
// It panics with tensor.ErrIndex, naming the layer, for an index outside
// [0, Num), and with tensor.ErrShape if shape does not hold len(idx)
// elements.
func (e *Embedding) Lookup(c *Ctx, idx []int, shape ...int) ad.Value {
	op := layerName("Embedding", e.Name)
	need(op, "Weight", e.Weight)
	num := e.Weight.Shape()[0]
	for i, k := range idx {
		if k < 0 || k >= num {
			tensor.Panicf(tensor.ErrIndex, op, "index %d (position %d) is out of range for %d embeddings", k, i, num)
		}
	}
	if len(shape) == 0 {
		shape = []int{len(idx)}
	}
	return e.lookup(c, op, idx, shape)
}

// lookup is Lookup with the indices checked and the shape given.
func (e *Embedding) lookup(c *Ctx, op string, idx, shape []int) ad.Value {
	dim := e.Weight.Shape()[1]
	for _, s := range shape {
		if s < 0 {
			tensor.Panicf(tensor.ErrShape, op, "negative dimension in shape %s", tensor.ShapeString(shape))
		}
	}
	if tensor.Size(shape) != len(idx) {
		tensor.Panicf(tensor.ErrShape, op, "%d indices do not fill shape %s", len(idx), tensor.ShapeString(shape))
	}
	y := ad.Take(c.Value(e.Weight), 0, idx)
	return ad.Reshape(y, append(append([]int(nil), shape...), dim)...)
}

// Forward returns Lookup of x's elements, which must be whole numbers in
// [0, Num) (token ids held in a float tensor), as a value of shape
// x.Shape()×Dim. The indices are read from x's value and are not
// differentiated: under ad.Compile they are those x had when the program
// was recorded, so compile a function that is given its token ids
// otherwise (one program per batch of ids, or the ids as a one-hot input
// multiplied into the weight). It panics with tensor.ErrIndex, naming the
// layer, for an element that is not such an index.
func (e *Embedding) Forward(c *Ctx, x ad.Value) ad.Value {
	need(layerName("Embedding", e.Name), "Weight", e.Weight)
	t := x.Tensor()
	idx := make([]int, t.Size())
	for i := range idx {
		v := t.AtFlat(i)
		if v != math.Trunc(v) || math.IsInf(v, 0) || v < 0 || v >= float64(e.Weight.Shape()[0]) {
			tensor.Panicf(tensor.ErrIndex, layerName("Embedding", e.Name), "element %d of the input is %g, not an index in [0, %d)", i, v, e.Weight.Shape()[0])
		}
		idx[i] = int(v)
	}
	return e.lookup(c, layerName("Embedding", e.Name), idx, x.Shape())
}

// Visit visits "weight".
func (e *Embedding) Visit(prefix string, visit Visitor) {
	if e.Name == "" {
		e.Name = prefix
	}
	visit(Join(prefix, "weight"), &e.Weight, Parameter)
}
