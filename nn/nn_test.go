package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/safetensors"
	"github.com/chainrule/chainrule/tensor"
)

func seeded(s uint64) *rand.Rand { return rand.New(rand.NewPCG(s, s+1)) }

// checkUniform checks that t's elements lie in [-b, b], reach near both
// ends, and have mean 0 and variance b²/3 within sampling error.
func checkUniform(t *testing.T, what string, x *tensor.Tensor, b float64) {
	t.Helper()
	n := float64(x.Size())
	var sum, sq, lo, hi float64
	for i := range x.Size() {
		v := x.AtFlat(i)
		if math.Abs(v) > b {
			t.Fatalf("%s: element %g outside ±%g", what, v, b)
		}
		sum += v
		sq += v * v
		lo, hi = min(lo, v), max(hi, v)
	}
	mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
	// the standard error of the mean is b/√(3n); of the variance ≈ b²·0.3/√n
	if math.Abs(mean) > 5*b/math.Sqrt(3*n) {
		t.Errorf("%s: mean %g, want 0 ± %g", what, mean, 5*b/math.Sqrt(3*n))
	}
	if math.Abs(variance-b*b/3) > 5*0.3*b*b/math.Sqrt(n) {
		t.Errorf("%s: variance %g, want %g", what, variance, b*b/3)
	}
	if n >= 1000 && (hi < 0.95*b || lo > -0.95*b) {
		t.Errorf("%s: range [%g, %g] does not fill ±%g", what, lo, hi, b)
	}
}

func checkConst(t *testing.T, what string, x *tensor.Tensor, v float64) {
	t.Helper()
	for i := range x.Size() {
		if x.AtFlat(i) != v {
			t.Fatalf("%s[%d] = %g, want %g", what, i, x.AtFlat(i), v)
		}
	}
}

func TestInit(t *testing.T) {
	l := NewLinear(seeded(1), 400, 300, true)
	checkUniform(t, "Linear weight", l.Weight, 1/math.Sqrt(400)) // kaiming a=√5: gain √(1/3)·√(3/400)
	checkUniform(t, "Linear bias", l.Bias, 1/math.Sqrt(400))
	c := NewConv2D(seeded(2), 6, 64, [2]int{5, 3}, ad.ConvConfig{Groups: 2}, true)
	if !slices.Equal(c.Weight.Shape(), []int{64, 3, 5, 3}) {
		t.Fatalf("Conv2D weight shape %v", c.Weight.Shape())
	}
	checkUniform(t, "Conv2D weight", c.Weight, 1/math.Sqrt(3*5*3))
	checkUniform(t, "Conv2D bias", c.Bias, 1/math.Sqrt(3*5*3))
	e := NewEmbedding(seeded(3), 500, 40)
	var sum, sq float64
	for _, v := range e.Weight.Data() {
		sum += v
		sq += v * v
	}
	n := float64(e.Weight.Size())
	if m, v := sum/n, sq/n-(sum/n)*(sum/n); math.Abs(m) > 5/math.Sqrt(n) || math.Abs(v-1) > 5*math.Sqrt(2/n) {
		t.Errorf("Embedding: mean %g variance %g, want N(0, 1)", m, v)
	}
	m := NewMultiHeadAttention(seeded(4), 64, 4, true)
	checkUniform(t, "in_proj_weight", m.InProjWeight, math.Sqrt(6.0/(64+3*64))) // xavier_uniform_
	checkConst(t, "in_proj_bias", m.InProjBias, 0)
	checkUniform(t, "out_proj.weight", m.OutProj.Weight, 1/math.Sqrt(64))
	checkConst(t, "out_proj.bias", m.OutProj.Bias, 0)
	ln := NewLayerNorm(3, 4)
	checkConst(t, "LayerNorm weight", ln.Weight, 1)
	checkConst(t, "LayerNorm bias", ln.Bias, 0)
	bn := NewBatchNorm2D(5)
	checkConst(t, "BatchNorm2D weight", bn.Weight, 1)
	checkConst(t, "BatchNorm2D bias", bn.Bias, 0)
	checkConst(t, "running_mean", bn.RunningMean, 0)
	checkConst(t, "running_var", bn.RunningVar, 1)
	if bn.Eps != 1e-5 || bn.Momentum != 0.1 || ln.Eps != 1e-5 {
		t.Errorf("eps/momentum: %g %g %g", bn.Eps, bn.Momentum, ln.Eps)
	}
	// the same seed gives the same model, another seed another one
	a, b, d := NewLinear(seeded(9), 5, 3, true), NewLinear(seeded(9), 5, 3, true), NewLinear(seeded(10), 5, 3, true)
	if !slices.Equal(a.Weight.Data(), b.Weight.Data()) || !slices.Equal(a.Bias.Data(), b.Bias.Data()) {
		t.Error("same seed, different weights")
	}
	if slices.Equal(a.Weight.Data(), d.Weight.Data()) {
		t.Error("different seeds, same weights")
	}
	if NewLinear(seeded(1), 3, 2, false).Bias != nil {
		t.Error("bias=false has a bias")
	}
}

// block is a model of the user's own, nesting layers.
type block struct {
	Norm *LayerNorm
	Attn *MultiHeadAttention
	FF   Sequential
}

func (b *block) Visit(prefix string, visit Visitor) {
	b.Norm.Visit(Join(prefix, "norm"), visit)
	b.Attn.Visit(Join(prefix, "attn"), visit)
	b.FF.Visit(Join(prefix, "ff"), visit)
}

func (b *block) Forward(c *Ctx, x ad.Value) ad.Value {
	x = ad.Add(x, b.Attn.Forward(c, b.Norm.Forward(c, x)))
	return ad.Add(x, b.FF.Forward(c, x))
}

type model struct {
	Blocks []*block
	BN     *BatchNorm2D
}

func (m *model) Visit(prefix string, visit Visitor) {
	for i, b := range m.Blocks {
		b.Visit(Join(prefix, "blocks."+string(rune('0'+i))), visit)
	}
	m.BN.Visit(Join(prefix, "bn"), visit)
}

func (m *model) Forward(c *Ctx, x ad.Value) ad.Value {
	for _, b := range m.Blocks {
		x = b.Forward(c, x)
	}
	return x
}

func newBlock(rng *rand.Rand) *block {
	return &block{NewLayerNorm(8), NewMultiHeadAttention(rng, 8, 2, true),
		Sequential{NewLinear(rng, 8, 16, true), Func(ad.GELU), &Dropout{P: 0.1}, NewLinear(rng, 16, 8, true)}}
}

func TestNames(t *testing.T) {
	rng := seeded(5)
	m := &model{Blocks: []*block{newBlock(rng), newBlock(rng)}, BN: NewBatchNorm2D(3)}
	var names []string
	for _, p := range Params(m) {
		names = append(names, p.Name)
	}
	want := []string{}
	for _, b := range []string{"blocks.0", "blocks.1"} {
		want = append(want, b+".norm.weight", b+".norm.bias", b+".attn.in_proj_weight", b+".attn.in_proj_bias",
			b+".attn.out_proj.weight", b+".attn.out_proj.bias", b+".ff.0.weight", b+".ff.0.bias", b+".ff.3.weight", b+".ff.3.bias")
	}
	want = append(want, "bn.weight", "bn.bias")
	if !slices.Equal(names, want) {
		t.Errorf("Params names\n%v\nwant\n%v", names, want)
	}
	bufs := Buffers(m)
	if len(bufs) != 2 || bufs[0].Name != "bn.running_mean" || bufs[1].Name != "bn.running_var" || bufs[0].T != m.BN.RunningMean {
		t.Errorf("Buffers %v", bufs)
	}
	if sd := StateDict(m); len(sd) != len(want)+2 || sd["blocks.1.attn.out_proj.weight"] != m.Blocks[1].Attn.OutProj.Weight {
		t.Errorf("StateDict %v", keys(sd))
	}
	if m.Blocks[1].FF[0].(*Linear).Name != "blocks.1.ff.0" {
		t.Errorf("layer name %q", m.Blocks[1].FF[0].(*Linear).Name)
	}
	// a duplicate name panics
	err := tensor.Maybe(func() { Params(Sequential{Sequential{NewLinear(rng, 2, 2, true)}, dup{}}) })
	if !errors.Is(err, tensor.ErrArg) || !strings.Contains(err.Error(), `"1.weight"`) {
		t.Errorf("duplicate names: %v", err)
	}
}

type dup struct{}

func (dup) Forward(_ *Ctx, x ad.Value) ad.Value { return x }
func (dup) Visit(prefix string, visit Visitor) {
	a, b := tensor.Zeros(1), tensor.Zeros(1)
	visit(Join(prefix, "weight"), &a, Parameter)
	visit(Join(prefix, "weight"), &b, Parameter)
}

func TestErrors(t *testing.T) {
	rng := seeded(6)
	fc1 := NewLinear(rng, 4, 3, true)
	fc1.Name = "fc1"
	cases := []struct {
		name string
		f    func()
		kind error
		msg  string
	}{
		{"linear features", func() { fc1.Forward(nil, ad.From(tensor.Zeros(2, 5))) }, tensor.ErrShape, "nn.Linear fc1: input of shape (2,5) has 5 features, want 4"},
		{"linear dtype", func() { fc1.Forward(nil, ad.From(tensor.Float32.Zeros(2, 4))) }, tensor.ErrDType, "nn.Linear fc1"},
		{"sequential name", func() {
			s := Sequential{NewLinear(rng, 2, 3, true), NewLinear(rng, 4, 1, true)}
			Params(s)
			s.Forward(nil, ad.From(tensor.Zeros(1, 2)))
		}, tensor.ErrShape, "nn.Linear 1: input of shape (1,3) has 3 features, want 4"},
		{"conv channels", func() {
			NewConv2D(rng, 3, 4, [2]int{3, 3}, ad.ConvConfig{}, true).Forward(nil, ad.From(tensor.Zeros(1, 2, 5, 5)))
		}, tensor.ErrShape, "nn.Conv2D: input of shape (1,2,5,5): want N×3×H×W"},
		{"conv kernel", func() {
			NewConv2D(rng, 3, 4, [2]int{3, 3}, ad.ConvConfig{}, true).Forward(nil, ad.From(tensor.Zeros(1, 3, 2, 5)))
		}, tensor.ErrShape, "nn.Conv2D: conv2d"},
		{"conv groups", func() { NewConv2D(rng, 3, 4, [2]int{3, 3}, ad.ConvConfig{Groups: 2}, true) }, tensor.ErrArg, "nn.NewConv2D"},
		{"layernorm", func() { NewLayerNorm(4).Forward(nil, ad.From(tensor.Zeros(2, 3))) }, tensor.ErrShape, "nn.LayerNorm: input of shape (2,3) does not end in the normalized shape (4)"},
		{"batchnorm channels", func() { NewBatchNorm2D(3).Forward(nil, ad.From(tensor.Zeros(2, 4, 1, 1))) }, tensor.ErrShape, "nn.BatchNorm2D: input of shape (2,4,1,1): want N×3×H×W"},
		{"batchnorm one value", func() { NewBatchNorm2D(3).Forward(&Ctx{Train: true}, ad.From(tensor.Zeros(1, 3, 1, 1))) }, tensor.ErrShape, "training mode needs more than 1"},
		{"embedding index", func() { NewEmbedding(rng, 5, 2).Lookup(nil, []int{1, 5}) }, tensor.ErrIndex, "nn.Embedding: index 5 (position 1) is out of range for 5 embeddings"},
		{"embedding float", func() { NewEmbedding(rng, 5, 2).Forward(nil, ad.New([]float64{1, 2.5}, 2)) }, tensor.ErrIndex, "element 1 of the input is 2.5"},
		{"embedding shape", func() { NewEmbedding(rng, 5, 2).Lookup(nil, []int{1, 2, 3}, 2, 2) }, tensor.ErrShape, "3 indices do not fill shape (2,2)"},
		{"mha width", func() { NewMultiHeadAttention(rng, 8, 2, true).Forward(nil, ad.From(tensor.Zeros(1, 3, 6))) }, tensor.ErrShape, "nn.MultiHeadAttention: queries (1,3,6)"},
		{"mha heads", func() { NewMultiHeadAttention(rng, 8, 3, true) }, tensor.ErrArg, "width 8 is not divisible by 3 heads"},
		{"dropout rng", func() { (&Dropout{P: 0.5}).Forward(&Ctx{Train: true}, ad.From(tensor.Zeros(2))) }, tensor.ErrArg, "nn.Dropout: training mode needs a random source"},
		{"dropout p", func() { (&Dropout{P: 1.5}).Forward(nil, ad.From(tensor.Zeros(2))) }, tensor.ErrArg, "probability 1.5"},
		{"maxpool", func() {
			(&MaxPool2D{Name: "pool1", Kernel: [2]int{3, 3}}).Forward(nil, ad.From(tensor.Zeros(1, 1, 2, 2)))
		}, tensor.ErrShape, "nn.MaxPool2D pool1: max_pool2d"},
		{"avgpool", func() { (&AvgPool2D{Kernel: [2]int{2, 2}}).Forward(nil, ad.From(tensor.Zeros(2, 2))) }, tensor.ErrShape, "nn.AvgPool2D: avg_pool2d"},
		{"flatten", func() { Flatten{}.Forward(nil, ad.Scalar(1)) }, tensor.ErrShape, "nn.Flatten"},
		{"nil weight", func() { (&Linear{Name: "fc"}).Forward(nil, ad.From(tensor.Zeros(2))) }, tensor.ErrArg, "nn.Linear fc: Weight is nil"},
		{"nil layer", func() { Sequential{nil}.Forward(nil, ad.From(tensor.Zeros(2))) }, tensor.ErrArg, "nn.Sequential: layer 0 is nil"},
		{"nil running stats", func() { (&BatchNorm2D{}).Forward(nil, ad.From(tensor.Zeros(1, 1, 1, 1))) }, tensor.ErrArg, "RunningMean is nil"},
		{"nil rng", func() { NewLinear(nil, 2, 2, true) }, tensor.ErrArg, "nil random source"},
		{"bad size", func() { NewLinear(rng, 0, 2, true) }, tensor.ErrArg, "in 0"},
		{"bind shapes", func() {
			ps := Params(fc1)
			(*Ctx)(nil).Bind(ps, []ad.Value{ad.From(tensor.Zeros(3, 4)), ad.From(tensor.Zeros(4))})
		}, tensor.ErrShape, `parameter "bias" has shape (3), its value (4)`},
	}
	for _, tc := range cases {
		err := tensor.Maybe(tc.f)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.kind, tc.msg)
		}
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	m := &model{Blocks: []*block{newBlock(seeded(7))}, BN: NewBatchNorm2D(3)}
	// move the running statistics away from their defaults
	m.BN.Forward(&Ctx{Train: true}, ad.From(tensor.RandN(seeded(8), 4, 3, 2, 2)))
	if err := Save(path, m, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	fresh := &model{Blocks: []*block{newBlock(seeded(99))}, BN: NewBatchNorm2D(3)}
	x := ad.From(tensor.RandN(seeded(9), 2, 5, 8))
	if slices.Equal(fresh.Forward(nil, x).Tensor().Data(), m.Forward(nil, x).Tensor().Data()) {
		t.Fatal("fresh model already equal")
	}
	if err := Load(path, fresh); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fresh.Forward(nil, x).Tensor().Data(), m.Forward(nil, x).Tensor().Data()) {
		t.Error("outputs differ after the round trip")
	}
	for name, p := range StateDict(m) {
		if !slices.Equal(p.Data(), StateDict(fresh)[name].Data()) {
			t.Errorf("%s differs after the round trip", name)
		}
	}
	// a checkpoint of another model: an error naming the parameters, and
	// the model unchanged
	other := Sequential{NewLinear(seeded(1), 8, 4, true)}
	before := other[0].(*Linear).Weight.Clone()
	err := Load(path, other)
	if !errors.Is(err, safetensors.ErrMismatch) || !strings.Contains(err.Error(), "0.weight") {
		t.Errorf("loading another model's checkpoint: %v", err)
	}
	if !slices.Equal(before.Data(), other[0].(*Linear).Weight.Data()) {
		t.Error("a failed Load changed the model")
	}
	// same names, another shape
	wide := &model{Blocks: []*block{newBlock(seeded(7))}, BN: NewBatchNorm2D(4)}
	if err := Load(path, wide); !errors.Is(err, safetensors.ErrMismatch) || !strings.Contains(err.Error(), "bn.") {
		t.Errorf("loading into another shape: %v", err)
	}
}

// TestCompile checks a compiled training step, parameters and buffers as
// inputs, against the eager step, on two different parameter sets (so
// that nothing is baked in as a constant).
func TestCompile(t *testing.T) {
	net := Sequential{NewConv2D(seeded(1), 2, 3, [2]int{3, 3}, ad.ConvConfig{Padding: [2][2]int{{1, 1}, {1, 1}}}, true), NewBatchNorm2D(3), Func(ad.Relu)}
	params, bufs := Params(net), Buffers(net)
	all := append(slices.Clone(params), bufs...)
	x := ad.From(tensor.RandN(seeded(2), 4, 2, 5, 5))
	loss := func(c *Ctx) ad.Value { return ad.Mean(ad.Square(net.Forward(c, x)), false) }
	np, nb := len(params), len(bufs)
	var ups []Update
	prog := ad.Compile(func(in []ad.Value) []ad.Value {
		c := (&Ctx{Train: true, Defer: true}).Bind(all, in)
		v, gs := ad.ValueAndGrads(func(ps []ad.Value) ad.Value { return loss(c.Bind(params, ps)) }, in[:np]...)
		out := append([]ad.Value{v}, gs...)
		ups = c.Updates()
		if len(ups) != nb {
			t.Fatalf("%d updates, want %d", len(ups), nb)
		}
		for _, u := range ups {
			out = append(out, u.V)
		}
		return out
	}, values(all)...)
	for round := range 2 {
		if round == 1 {
			for _, p := range params {
				p.T.AddScaledInPlace(0.1, tensor.RandN(seeded(uint64(round+20)), p.T.Shape()...))
			}
		}
		saved := make([]*tensor.Tensor, nb)
		for i, b := range bufs {
			saved[i] = b.T.Clone()
		}
		outs := prog.Run(values(all)...)
		// the compiled updates, written back by Update.Set
		compiled := make([]*tensor.Tensor, nb)
		for i, u := range ups {
			if u.T != bufs[i].T {
				t.Fatalf("update %d (%s) is not of buffer %s", i, u.Name, bufs[i].Name)
			}
			u.Set(outs[1+np+i])
			compiled[i] = u.T.Clone()
		}
		// eager, from the same buffers
		for i, b := range bufs {
			assign(b.Name, b.T, saved[i])
		}
		v, gs := (&Ctx{Train: true}).ValueAndGrads(params, loss)
		if math.Abs(v-outs[0].Item()) > 1e-12*(1+math.Abs(v)) {
			t.Errorf("round %d: loss %g compiled, %g eager", round, outs[0].Item(), v)
		}
		for i, g := range gs {
			closeTo(t, params[i].Name, outs[1+i].Tensor(), refArray{g.Shape(), g.Data()}, 1e-12)
		}
		for i, b := range bufs {
			closeTo(t, b.Name, compiled[i], refArray{b.T.Shape(), b.T.Data()}, 1e-12)
		}
	}
}

// TestTrainMLP trains a small MLP on XOR with Adam: the loss falls below
// 1e-2 and the predictions are right.
func TestTrainMLP(t *testing.T) {
	rng := seeded(3)
	mlp := Sequential{NewLinear(rng, 2, 8, true), Func(ad.Tanh), NewLinear(rng, 8, 1, true)}
	x := ad.New([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := ad.New([]float64{0, 1, 1, 0}, 4, 1)
	params := Params(mlp)
	opt := optim.NewAdam(params)
	opt.LR = 0.05
	train := &Ctx{Train: true}
	var first, loss float64
	for i := range 300 {
		var grads []*tensor.Tensor
		loss, grads = train.ValueAndGrads(params, func(c *Ctx) ad.Value { return ad.MSE(mlp.Forward(c, x), y) })
		if i == 0 {
			first = loss
		}
		opt.Step(grads)
	}
	if loss > 1e-2 || loss > first/10 {
		t.Fatalf("loss %g after training, %g before", loss, first)
	}
	p := mlp.Forward(nil, x).Tensor()
	for i, want := range []float64{0, 1, 1, 0} {
		if math.Abs(p.AtFlat(i)-want) > 0.3 {
			t.Errorf("prediction %d: %g, want %g", i, p.AtFlat(i), want)
		}
	}
}

func TestTo(t *testing.T) {
	m := Sequential{NewLinear(seeded(1), 3, 2, true), NewBatchNorm2D(2)}
	w := m[0].(*Linear).Weight
	To(m, tensor.Float32)
	for name, p := range StateDict(m) {
		if p.DType() != tensor.Float32 {
			t.Errorf("%s is %s", name, p.DType())
		}
	}
	got := m[0].Forward(nil, ad.From(tensor.Float32.Ones(1, 3))).Tensor()
	for j := range 2 {
		want := m[0].(*Linear).Bias.AtFlat(j)
		for k := range 3 {
			want += w.At(j, k)
		}
		if math.Abs(got.AtFlat(j)-want) > 1e-6 {
			t.Errorf("float32 output %d: %g, want %g", j, got.AtFlat(j), want)
		}
	}
}

// TestDropout checks training-mode dropout against the mask drawn from the
// same generator state, and the identity in evaluation mode.
func TestDropout(t *testing.T) {
	d := &Dropout{P: 0.3}
	x := ad.From(tensor.RandN(seeded(4), 50, 20))
	y := d.Forward(&Ctx{Train: true, Rand: seeded(5)}, x).Tensor()
	mask := ad.DropoutMask(seeded(5), 0.3, tensor.Float64, 50, 20)
	zeros := 0
	for i := range y.Size() {
		if want := x.Tensor().AtFlat(i) * mask.AtFlat(i); y.AtFlat(i) != want {
			t.Fatalf("element %d: %g, want %g", i, y.AtFlat(i), want)
		}
		if mask.AtFlat(i) == 0 {
			zeros++
		}
	}
	if f := float64(zeros) / 1000; math.Abs(f-0.3) > 0.06 {
		t.Errorf("dropped fraction %g, want 0.3", f)
	}
	if e := d.Forward(nil, x).Tensor(); !slices.Equal(e.Data(), x.Tensor().Data()) {
		t.Error("evaluation mode is not the identity")
	}
}
