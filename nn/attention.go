package nn

import (
	"math"
	"math/rand/v2"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// MultiHeadAttention is PyTorch's nn.MultiheadAttention with batch_first =
// True, equal query, key and value widths and no attention dropout: the
// queries, keys and values are projected with the rows of InProjWeight
// (3E×E, named "in_proj_weight": first the query rows, then the key rows,
// then the value rows) and InProjBias (3E, "in_proj_bias"), split into
// Heads heads of E/Heads features, attended with ad.Attention (scaled
// dot-product, softmax over the keys), joined again and projected with
// OutProj (an E→E Linear, "out_proj.weight" and "out_proj.bias").
//
// Inputs are batch first: queries N×Lq×E, keys and values N×Lk×E, and the
// output is N×Lq×E (PyTorch's default batch_first=False layout, L×N×E, is
// not supported: transpose with ad.Transpose(x, 1, 0, 2)). With Causal set,
// query i attends only to keys j ≤ i (PyTorch's attn_mask =
// triu(-inf, diagonal 1)). Like PyTorch with need_weights=False, only the
// output is returned.
type MultiHeadAttention struct {
	Name         string // for error messages; Visit sets it from the prefix if empty
	Heads        int
	Causal       bool
	InProjWeight *tensor.Tensor
	InProjBias   *tensor.Tensor
	OutProj      *Linear
}

// NewMultiHeadAttention returns a MultiHeadAttention of width embed with
// heads heads, initialized as PyTorch does from rng: InProjWeight from
// xavier_uniform_ (U(±√(6/(4·embed)))), InProjBias zeros, OutProj's weight
// from U(-1/√embed, 1/√embed) and its bias zeros. If bias is false there
// are no biases. It panics with tensor.ErrArg for a size below 1, an embed
// not divisible by heads, or a nil rng.
func NewMultiHeadAttention(rng *rand.Rand, embed, heads int, bias bool) *MultiHeadAttention {
	const op = "nn.NewMultiHeadAttention"
	checkDims(op, []string{"embed", "heads"}, embed, heads)
	if embed%heads != 0 {
		tensor.Panicf(tensor.ErrArg, op, "width %d is not divisible by %d heads", embed, heads)
	}
	m := &MultiHeadAttention{Heads: heads, InProjWeight: XavierUniform(rng, 3*embed, embed),
		OutProj: &Linear{Weight: KaimingUniform(rng, math.Sqrt(5), embed, embed)}}
	if bias {
		m.InProjBias = tensor.Zeros(3 * embed)
		m.OutProj.Bias = tensor.Zeros(embed)
	}
	return m
}

// Forward returns self-attention, Attend(c, x, x, x), for x shaped N×L×E.
func (m *MultiHeadAttention) Forward(c *Ctx, x ad.Value) ad.Value { return m.Attend(c, x, x, x) }

// Attend returns the attention of queries q (N×Lq×E) to keys k and values
// v (N×Lk×E) as an N×Lq×E value. It panics with tensor.ErrShape, naming
// the layer, for inputs that are not of rank 3 with width E and matching
// batch and key lengths, and with tensor.ErrDType if their dtype is not
// the weights'.
func (m *MultiHeadAttention) Attend(c *Ctx, q, k, v ad.Value) ad.Value {
	op := layerName("MultiHeadAttention", m.Name)
	need(op, "InProjWeight", m.InProjWeight)
	if m.OutProj == nil {
		tensor.Panicf(tensor.ErrArg, op, "OutProj is nil (build the layer with its constructor)")
	}
	e := m.InProjWeight.Shape()[1]
	h := m.Heads
	if h < 1 || e%h != 0 {
		tensor.Panicf(tensor.ErrArg, op, "width %d is not divisible by %d heads", e, h)
	}
	qs, ks, vs := q.Shape(), k.Shape(), v.Shape()
	if len(qs) != 3 || len(ks) != 3 || len(vs) != 3 || qs[2] != e || ks[2] != e || vs[2] != e ||
		ks[0] != qs[0] || vs[0] != qs[0] || ks[1] != vs[1] {
		tensor.Panicf(tensor.ErrShape, op, "queries %s, keys %s and values %s: want N×Lq×%d, N×Lk×%d and N×Lk×%d", tensor.ShapeString(qs), tensor.ShapeString(ks), tensor.ShapeString(vs), e, e, e)
	}
	for _, x := range []ad.Value{q, k, v} {
		checkDType(op, x, m.InProjWeight)
	}
	w := c.Value(m.InProjWeight)
	var b ad.Value
	if m.InProjBias != nil {
		b = c.Value(m.InProjBias)
	}
	// project x with rows [i·E, (i+1)·E) of the in-projection, then split
	// the heads: N×L×E → N×H×L×E/H
	project := func(x ad.Value, i int) ad.Value {
		var bi ad.Value
		if !b.IsZero() {
			bi = ad.Slice(b, 0, i*e, (i+1)*e)
		}
		y := ad.Linear(x, ad.Slice(w, 0, i*e, (i+1)*e), bi)
		s := x.Shape()
		return ad.Transpose(ad.Reshape(y, s[0], s[1], h, e/h), 0, 2, 1, 3)
	}
	o := ad.Attention(project(q, 0), project(k, 1), project(v, 2), m.Causal)
	o = ad.Reshape(ad.Transpose(o, 0, 2, 1, 3), qs[0], qs[1], e)
	return m.OutProj.Forward(c, o)
}

// Visit visits "in_proj_weight", "in_proj_bias", "out_proj.weight" and
// "out_proj.bias".
func (m *MultiHeadAttention) Visit(prefix string, visit Visitor) {
	if m.Name == "" {
		m.Name = prefix
	}
	visit(Join(prefix, "in_proj_weight"), &m.InProjWeight, Parameter)
	visit(Join(prefix, "in_proj_bias"), &m.InProjBias, Parameter)
	m.OutProj.Visit(Join(prefix, "out_proj"), visit)
}
