package main

import (
	"math/rand/v2"
	"strconv"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/tensor"
)

// shape is what fixes the model's tensors.
type shape struct {
	Vocab, Embed, Heads, Layers, Context int
}

// block is a pre-LayerNorm transformer block (GPT-2's arrangement):
// x + attn(ln1(x)), then x + mlp(ln2(x)) with mlp = Linear(E, 4E) → GELU →
// Linear(4E, E). Its tensors have the names of the same PyTorch module
// with fields ln1, attn (nn.MultiheadAttention), ln2 and mlp (an
// nn.Sequential whose layers 0 and 2 are the linears).
type block struct {
	LN1, LN2 *nn.LayerNorm
	Attn     *nn.MultiHeadAttention
	FC1, FC2 *nn.Linear
}

func newBlock(rng *rand.Rand, s shape) *block {
	attn := nn.NewMultiHeadAttention(rng, s.Embed, s.Heads, true)
	attn.Causal = true
	return &block{
		LN1:  nn.NewLayerNorm(s.Embed),
		Attn: attn,
		LN2:  nn.NewLayerNorm(s.Embed),
		FC1:  nn.NewLinear(rng, s.Embed, 4*s.Embed, true),
		FC2:  nn.NewLinear(rng, 4*s.Embed, s.Embed, true),
	}
}

func (b *block) Visit(prefix string, visit nn.Visitor) {
	b.LN1.Visit(nn.Join(prefix, "ln1"), visit)
	b.Attn.Visit(nn.Join(prefix, "attn"), visit)
	b.LN2.Visit(nn.Join(prefix, "ln2"), visit)
	b.FC1.Visit(nn.Join(prefix, "mlp.0"), visit)
	b.FC2.Visit(nn.Join(prefix, "mlp.2"), visit)
}

func (b *block) Forward(c *nn.Ctx, x ad.Value) ad.Value {
	x = ad.Add(x, b.Attn.Forward(c, b.LN1.Forward(c, x)))
	return ad.Add(x, b.FC2.Forward(c, ad.GELU(b.FC1.Forward(c, b.LN2.Forward(c, x)))))
}

// model is the language model: token and position embeddings, the blocks,
// a final LayerNorm and a linear head to the vocabulary's logits.
type model struct {
	shape
	Tok, Pos *nn.Embedding
	Blocks   []*block
	LNF      *nn.LayerNorm
	Head     *nn.Linear
}

// newModel returns a float32 model initialized as PyTorch initializes its
// layers, from rng.
func newModel(rng *rand.Rand, s shape) *model {
	m := &model{
		shape: s,
		Tok:   nn.NewEmbedding(rng, s.Vocab, s.Embed),
		Pos:   nn.NewEmbedding(rng, s.Context, s.Embed),
		LNF:   nn.NewLayerNorm(s.Embed),
		Head:  nn.NewLinear(rng, s.Embed, s.Vocab, true),
	}
	for range s.Layers {
		m.Blocks = append(m.Blocks, newBlock(rng, s))
	}
	nn.To(m, tensor.Float32)
	return m
}

func (m *model) Visit(prefix string, visit nn.Visitor) {
	m.Tok.Visit(nn.Join(prefix, "tok"), visit)
	m.Pos.Visit(nn.Join(prefix, "pos"), visit)
	for i, b := range m.Blocks {
		b.Visit(nn.Join(prefix, "blocks."+strconv.Itoa(i)), visit)
	}
	m.LNF.Visit(nn.Join(prefix, "ln_f"), visit)
	m.Head.Visit(nn.Join(prefix, "head"), visit)
}

// Forward returns the logits, N×L×Vocab, of token ids x (N×L, held as
// floats, L at most Context).
func (m *model) Forward(c *nn.Ctx, x ad.Value) ad.Value {
	sh := x.Shape()
	if len(sh) != 2 || sh[1] > m.Context {
		tensor.Panicf(tensor.ErrShape, "charlm", "input of shape %s, want N×L with L ≤ %d", tensor.ShapeString(sh), m.Context)
	}
	return m.logits(c, m.Tok.Forward(c, x))
}

// logits runs the model from token embeddings e, N×L×E.
func (m *model) logits(c *nn.Ctx, e ad.Value) ad.Value {
	l := e.Shape()[1]
	pos := make([]int, l)
	for i := range pos {
		pos[i] = i
	}
	h := ad.Add(e, m.Pos.Lookup(c, pos, l))
	for _, b := range m.Blocks {
		h = b.Forward(c, h)
	}
	return m.Head.Forward(c, m.LNF.Forward(c, h))
}

// lossIDs returns the mean cross-entropy of predicting y from x, token ids
// of n sequences of l tokens.
func (m *model) lossIDs(c *nn.Ctx, x, y []int, n, l int) ad.Value {
	logits := m.logits(c, m.Tok.Lookup(c, x, n, l))
	return ad.SoftmaxCrossEntropy(ad.Reshape(logits, n*l, m.Vocab), y)
}
