package main

import (
	"fmt"
	"strings"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// W9: one training step of one pre-LayerNorm transformer encoder block
// (PyTorch's nn.TransformerEncoderLayer with norm_first=True,
// activation="gelu", dropout=0, batch_first=True), batch 8, sequence 128,
// width 256, 4 heads, FFN 1024, float32, loss the mean squared error
// against a fixed target, AdamW with PyTorch's defaults. Every
// implementation starts from the same weights (nn's PyTorch-style
// initialization from one seed) and data.

// encoderBlock is x ↦ h + FFN(LN2(h)) with h = x + MHA(LN1(x)) and
// FFN(y) = Linear2(GELU(Linear1(y))); its tensors carry the names of
// PyTorch's nn.TransformerEncoderLayer, in its named_parameters order.
type encoderBlock struct {
	attn             *nn.MultiHeadAttention
	linear1, linear2 *nn.Linear
	norm1, norm2     *nn.LayerNorm
}

func (b *encoderBlock) Forward(c *nn.Ctx, x ad.Value) ad.Value {
	h := ad.Add(x, b.attn.Forward(c, b.norm1.Forward(c, x)))
	return ad.Add(h, b.linear2.Forward(c, ad.GELU(b.linear1.Forward(c, b.norm2.Forward(c, h)))))
}

func (b *encoderBlock) Visit(prefix string, visit nn.Visitor) {
	b.attn.Visit(nn.Join(prefix, "self_attn"), visit)
	b.linear1.Visit(nn.Join(prefix, "linear1"), visit)
	b.linear2.Visit(nn.Join(prefix, "linear2"), visit)
	b.norm1.Visit(nn.Join(prefix, "norm1"), visit)
	b.norm2.Visit(nn.Join(prefix, "norm2"), visit)
}

// w9Setup holds W9's sizes, data and the initial weights.
type w9Setup struct {
	batch, seq, width, heads, ffn int
	x, y                          *tensor.Tensor
	initial                       map[string]*tensor.Tensor
	paramOrd                      []string
}

// model returns a block with W9's initial weights, in float32.
func (s *w9Setup) model() *encoderBlock {
	r := seeded(91)
	b := &encoderBlock{
		attn:    nn.NewMultiHeadAttention(r, s.width, s.heads, true),
		linear1: nn.NewLinear(r, s.width, s.ffn, true),
		linear2: nn.NewLinear(r, s.ffn, s.width, true),
		norm1:   nn.NewLayerNorm(s.width),
		norm2:   nn.NewLayerNorm(s.width),
	}
	nn.To(b, tensor.Float32)
	return b
}

func newW9Setup(quick bool) *w9Setup {
	s := &w9Setup{batch: pick(quick, 8, 2), seq: pick(quick, 128, 16), width: pick(quick, 256, 32),
		heads: 4, ffn: pick(quick, 1024, 128)}
	s.x = tensor.Float32.RandN(seeded(92), s.batch, s.seq, s.width)
	s.y = tensor.Float32.RandN(seeded(93), s.batch, s.seq, s.width)
	m := s.model()
	s.initial = nn.StateDict(m)
	for _, p := range nn.Params(m) {
		s.paramOrd = append(s.paramOrd, p.Name)
	}
	return s
}

// loss is the mean squared error of the block's output against y.
func (s *w9Setup) loss(m *encoderBlock, c *nn.Ctx, x, y ad.Value) ad.Value {
	return ad.MSE(m.Forward(c, x), y)
}

// eager returns the step through nn's Ctx.ValueAndGrads and optim.AdamW.
func (s *w9Setup) eager() Impl {
	m := s.model()
	x, y := ad.From(s.x), ad.From(s.y)
	return eagerStep(optim.NewAdamW(nn.Params(m)), func(c *nn.Ctx) ad.Value { return s.loss(m, c, x, y) })
}

// compiled returns the step with the loss and gradients compiled (the
// parameters, batch and target are the program's inputs) and optim.AdamW
// applying them.
func (s *w9Setup) compiled() Impl {
	m := s.model()
	return compiledStep(optim.NewAdamW(nn.Params(m)), []*tensor.Tensor{s.x, s.y}, func(c *nn.Ctx, in []ad.Value) ad.Value {
		return s.loss(m, c, in[0], in[1])
	})
}

// flops returns the floating-point operations of one step: the forward
// pass's multiply-adds per token are 4E² (the query, key, value and output
// projections), 2LE (the scores and the weighted values) and 2EF (the
// FFN); a step is the forward pass, the weight gradients and the input
// gradients (every layer's input gradient is needed, for the LayerNorms
// below it): 3× the forward's, 2 FLOPs per multiply-add.
func (s *w9Setup) flops() float64 {
	e, l, f := float64(s.width), float64(s.seq), float64(s.ffn)
	perToken := 4*e*e + 2*l*e + 2*e*f
	return 3 * 2 * perToken * float64(s.batch*s.seq)
}

// buildW9: the transformer encoder block training step.
func buildW9(quick bool) []*Case {
	s := newW9Setup(quick)
	inputs := map[string]*tensor.Tensor{"x": s.x, "y": s.y}
	for name, t := range s.initial {
		inputs["p_"+strings.ReplaceAll(name, ".", "_")] = t
	}
	return []*Case{{
		Name: "W9/f32", Workload: "W9", DType: tensor.Float32, Flops: s.flops(),
		Desc: fmt.Sprintf("pre-LayerNorm transformer encoder block training step (width %d, %d heads, FFN %d, GELU), batch %d, sequence %d, float32, MSE loss, AdamW",
			s.width, s.heads, s.ffn, s.batch, s.seq),
		Params: map[string]any{"batch": s.batch, "seq": s.seq, "width": s.width, "heads": s.heads, "ffn": s.ffn,
			"params": s.paramOrd, "dtype": "float32"},
		Inputs: inputs,
		Impls:  []Impl{s.eager(), s.compiled()},
	}}
}
