package ad_test

// The neural-network instructions of the differential fuzzer (see
// fuzz_test.go): convolutions (transposed too), pooling, normalization
// layers, attention, Linear, stacked matrix products, cross-entropy and
// Dropout in evaluation mode, with random valid static parameters. The
// activations GELU, GELUTanh and SiLU are in genUnary, beside ReLU.
// Softmax over the last axis as ad.Softmax computes it is the "softmax"
// reduction; the softmax_last primitive and its softmax_last_vjp rule run
// inside Attention, the only API that binds them.
//
// Their inputs are kept where central differences are meaningful: no
// max-pool window has two maxima closer than genMinGap (exact ties, which
// come from structure such as broadcasting and move together, are
// allowed, as for Max), and every normalized row has var + eps ≥ minVar.

import (
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// genNN are the neural-network instructions the generator draws from.
// "stackmm" draws a matmul of stacked (rank 3 or 4) operands.
var genNN = []string{"conv2d", "conv2d", "convt", "conv1d", "maxpool", "avgpool",
	"layernorm", "batchnorm", "bnstats", "attention", "linear", "stackmm",
	"xent", "dropout"}

// minVar is the smallest var + eps of a normalized row: above it the
// normalization's derivatives, which grow like (var + eps)^(-k/2) at
// order k, stay of the size of the values.
const minVar = 0.05

// genMaxWeights is the largest convolution kernel, in elements: more than
// a register may hold, so that four channels or more meet a kernel of
// 2×2 or larger (the per-tap path of tensor's dense convolutions).
const genMaxWeights = 2 * genMaxSize

// nnApply runs the neural-network instruction in on its arguments args and
// reports whether in is one. Parameters, by op:
//
//	conv2d(x, w[, b])  idx: stride h w, padding top bottom left right,
//	                   dilation h w, groups; b of O elements is added as O×1×1
//	convt(y, w[, b])   ConvTranspose2D; idx: conv2d's, then the output
//	                   padding h w; b of C elements is added as C×1×1
//	conv1d(x, w[, b])  idx: stride, padding left right, dilation, groups;
//	                   b is added as O×1
//	maxpool, avgpool   idx: kernel h w, stride h w (0: the kernel),
//	                   padding top bottom left right
//	layernorm(x[, γ][, β])  axis: the normalized axes n; c: eps;
//	                   lo: 1 if γ is given, +2 if β is
//	batchnorm(x[, γ][, β])  as layernorm, without n
//	bnstats(x, mean, s[, γ][, β])  BatchNormWithStats with variance s²+¼
//	attention(q, k, v) axis: 1 for the causal mask
//	linear(x, w[, b])
//	xent(logits)       idx: the labels; c: label smoothing; data: the class
//	                   weights (nil: none)
//	dropout(x)         c: the probability, in evaluation mode
func nnApply(in *diffInstr, args []ad.Value) (ad.Value, bool) {
	var x ad.Value
	if len(args) > 0 {
		x = args[0]
	}
	p := in.idx
	switch in.op {
	case "conv2d":
		y := ad.Conv2D(x, args[1], ad.ConvConfig{Stride: [2]int{p[0], p[1]},
			Padding: [2][2]int{{p[2], p[3]}, {p[4], p[5]}}, Dilation: [2]int{p[6], p[7]}, Groups: p[8]})
		if len(args) == 3 {
			y = ad.Add(y, ad.Reshape(args[2], args[2].Size(), 1, 1))
		}
		return y, true
	case "convt":
		y := ad.ConvTranspose2D(x, args[1], ad.ConvConfig{Stride: [2]int{p[0], p[1]},
			Padding: [2][2]int{{p[2], p[3]}, {p[4], p[5]}}, Dilation: [2]int{p[6], p[7]}, Groups: p[8]}, [2]int{p[9], p[10]})
		if len(args) == 3 {
			y = ad.Add(y, ad.Reshape(args[2], args[2].Size(), 1, 1))
		}
		return y, true
	case "conv1d":
		y := ad.Conv1D(x, args[1], ad.Conv1DConfig{Stride: p[0], Padding: [2]int{p[1], p[2]}, Dilation: p[3], Groups: p[4]})
		if len(args) == 3 {
			y = ad.Add(y, ad.Reshape(args[2], args[2].Size(), 1))
		}
		return y, true
	case "maxpool", "avgpool":
		k, cfg := poolArgs(p)
		if in.op == "maxpool" {
			return ad.MaxPool2D(x, k, cfg), true
		}
		return ad.AvgPool2D(x, k, cfg), true
	case "layernorm", "batchnorm", "bnstats":
		rest := args[1:]
		var mean, variance ad.Value
		if in.op == "bnstats" {
			mean, variance = rest[0], ad.Add(ad.Square(rest[1]), ad.Scalar(0.25))
			rest = rest[2:]
		}
		var gamma, beta ad.Value
		if in.lo&1 != 0 {
			gamma, rest = rest[0], rest[1:]
		}
		if in.lo&2 != 0 {
			beta = rest[0]
		}
		switch in.op {
		case "layernorm":
			return ad.LayerNorm(x, in.axis, gamma, beta, in.c), true
		case "batchnorm":
			return ad.BatchNorm(x, gamma, beta, in.c), true
		}
		return ad.BatchNormWithStats(x, mean, variance, gamma, beta, in.c), true
	case "attention":
		return ad.Attention(x, args[1], args[2], in.axis == 1), true
	case "linear":
		var b ad.Value
		if len(args) == 3 {
			b = args[2]
		}
		return ad.Linear(x, args[1], b), true
	case "xent":
		o := ad.CrossEntropyOptions{LabelSmoothing: in.c}
		if in.data != nil {
			o.Weights = newOf(x.DType(), in.data, len(in.data))
		}
		return ad.SoftmaxCrossEntropy(x, in.idx, o), true
	case "dropout":
		return ad.Dropout(x, in.c, false, nil), true
	}
	return ad.Value{}, false
}

// poolArgs decodes a pooling instruction's idx.
func poolArgs(p []int) ([2]int, ad.PoolConfig) {
	return [2]int{p[0], p[1]}, ad.PoolConfig{Stride: [2]int{p[2], p[3]}, Padding: [2][2]int{{p[4], p[5]}, {p[6], p[7]}}}
}

// nn draws a neural-network instruction (and the reshapes and constants it
// needs).
func (g *diffGen) nn() (diffInstr, bool) {
	switch op := genNN[g.ch.intn(len(genNN))]; op {
	case "conv2d", "conv1d":
		return g.conv(op == "conv1d")
	case "convt":
		return g.convTranspose()
	case "maxpool", "avgpool":
		return g.pool(op)
	case "layernorm", "batchnorm", "bnstats":
		return g.norm(op)
	case "attention":
		return g.attention()
	case "linear":
		return g.linear()
	case "stackmm":
		return g.stackMatMul()
	case "xent":
		return g.crossEntropy()
	default: // dropout
		return diffInstr{op: "dropout", args: []int{g.pick()}, c: 0.9 * g.ch.float()}, true
	}
}

// factorInto returns k random factors of n, in random places, whose
// product is n.
func (g *diffGen) factorInto(n, k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = 1
	}
	for p := 2; n > 1; {
		if n%p != 0 {
			p++
			continue
		}
		s[g.ch.intn(k)] *= p
		n /= p
	}
	return s
}

// asRank returns a register holding r's values with rank k: r itself if
// it has that rank, otherwise a new reshape of it. With lastKept, the last
// dimension is kept (r must have rank ≥ 1).
func (g *diffGen) asRank(r, k int, lastKept bool) int {
	s := g.shape(r)
	if len(s) == k {
		return r
	}
	var t []int
	if lastKept {
		last := s[len(s)-1]
		t = append(g.factorInto(tensor.Size(s)/last, k-1), last)
	} else {
		t = g.factorInto(tensor.Size(s), k)
	}
	return g.reshaped(r, t)
}

// reshaped appends reshape(r) to shape s and returns its register (accept
// cannot refuse it: it has r's values).
func (g *diffGen) reshaped(r int, s []int) int {
	g.accept(diffInstr{op: "reshape", args: []int{r}, axes: slices.Clone(s)})
	return len(g.vals) - 1
}

// operand returns a register of shape s: usually a new constant, sometimes
// an existing register of that size (reshaped if need be), so that
// derivatives flow into weights, biases and keys too.
func (g *diffGen) operand(s []int) int {
	if g.ch.intn(3) == 0 {
		n := tensor.Size(s)
		if r := g.pickWhere(func(t []int) bool { return tensor.Size(t) == n }); r >= 0 {
			if slices.Equal(g.shape(r), s) {
				return r
			}
			return g.reshaped(r, s)
		}
	}
	return g.constant(s)
}

// image returns a register of the given rank (3 or 4) to convolve or
// pool, N×C×(spatial): usually a register of 4 elements or more that
// depends on an input, reshaped if need be with at least half of its
// elements along the spatial axes, and four channels half the time that
// leaves two spatial elements or more (the per-tap path of tensor's
// dense convolutions wants four).
func (g *diffGen) image(rank int) int {
	x := g.pick()
	if tensor.Size(g.shape(x)) < 4 && g.ch.intn(4) > 0 {
		var big []int
		for r, d := range g.dep {
			if d && tensor.Size(g.shape(r)) >= 4 {
				big = append(big, r)
			}
		}
		if len(big) > 0 {
			x = big[g.ch.intn(len(big))]
		}
	}
	n := tensor.Size(g.shape(x))
	if len(g.shape(x)) == rank {
		return x
	}
	var cs []int
	for _, d := range divisors(n) {
		if n == 1 || 2*d <= n {
			cs = append(cs, d)
		}
	}
	c := cs[g.ch.intn(len(cs))]
	if n%8 == 0 && g.ch.intn(2) == 0 {
		c = 4
	}
	nb, rest := 1, n/c
	if rest%4 == 0 && g.ch.intn(3) == 0 {
		nb, rest = 2, rest/2
	}
	return g.reshaped(x, append([]int{nb, c}, g.factorInto(rest, rank-2)...))
}

// divisors returns the divisors of n in increasing order.
func divisors(n int) []int {
	var d []int
	for i := 1; i <= n; i++ {
		if n%i == 0 {
			d = append(d, i)
		}
	}
	return d
}

// conv draws a Conv2D (or Conv1D) of a register, reshaped to N×C×H×W
// (N×C×L), with random stride, possibly asymmetric padding, dilation and
// groups (one, a divisor of C, or depthwise), weights and sometimes a bias.
func (g *diffGen) conv(oneD bool) (diffInstr, bool) {
	rank := 4
	if oneD {
		rank = 3
	}
	x := g.image(rank)
	s := g.shape(x)
	c := s[1]
	var groups int
	switch g.ch.intn(3) {
	case 0:
		groups = 1
	case 1:
		groups = c // depthwise
	default:
		d := divisors(c)
		groups = d[g.ch.intn(len(d))]
	}
	o := groups * (1 + g.ch.intn(2))
	if groups == 1 {
		o = 1 + g.ch.intn(3)
	}
	// the spatial dimensions: kernel, stride, padding before and after,
	// dilation
	// the kernels' special paths (see tensor/conv.go) want a dense
	// configuration (unit stride and dilation, no padding), and a 1×1
	// kernel for the direct one: a quarter of the draws each
	dims := rank - 2
	shape := g.ch.intn(4)
	var k, st, pb, pa, dil [2]int
	for i := range dims {
		k[i], st[i], dil[i] = 1, 1, 1
		switch shape {
		case 0: // direct
		case 1: // dense
			k[i] = min(2+g.ch.intn(2), s[2+i])
		default:
			k[i], st[i] = 1+g.ch.intn(3), 1+g.ch.intn(2)
			pb[i], pa[i] = g.ch.intn(3), g.ch.intn(3)
			dil[i] = 1 + g.ch.intn(2)
		}
		if tensor.ConvOutSize(s[2+i], k[i], st[i], pb[i], pa[i], dil[i]) < 1 {
			return diffInstr{}, false
		}
	}
	ws := append([]int{o, c / groups}, k[:dims]...)
	if tensor.Size(ws) > genMaxWeights {
		return diffInstr{}, false
	}
	in := diffInstr{op: "conv2d", args: []int{x, g.operand(ws)},
		idx: []int{st[0], st[1], pb[0], pa[0], pb[1], pa[1], dil[0], dil[1], groups}}
	if oneD {
		in.op = "conv1d"
		in.idx = []int{st[0], pb[0], pa[0], dil[0], groups}
	}
	if g.ch.intn(2) == 0 {
		in.args = append(in.args, g.operand([]int{o}))
	}
	return in, true
}

// convTranspose draws a ConvTranspose2D of a register reshaped to
// N×O×H×W with random stride, padding, dilation, groups and output padding
// (below the stride), weights O×(C/G)×KH×KW and sometimes a bias.
func (g *diffGen) convTranspose() (diffInstr, bool) {
	y := g.image(4)
	s := g.shape(y)
	d := divisors(s[1])
	groups := d[g.ch.intn(len(d))]
	cg := 1 + g.ch.intn(2)
	in := diffInstr{op: "convt", idx: make([]int, 11)}
	p := in.idx
	p[8] = groups
	ws := []int{s[1], cg, 0, 0}
	dense := g.ch.intn(3) == 0 // unit stride and dilation, no padding
	for i := range 2 {
		k := 1 + g.ch.intn(3)
		ws[2+i] = k
		p[i], p[6+i] = 1, 1
		if !dense {
			p[i], p[6+i] = 1+g.ch.intn(2), 1+g.ch.intn(2) // stride, dilation
			p[2+2*i], p[3+2*i] = g.ch.intn(2), g.ch.intn(2)
			p[9+i] = g.ch.intn(p[i])
		}
		if (s[2+i]-1)*p[i]-p[2+2*i]-p[3+2*i]+p[6+i]*(k-1)+1+p[9+i] < 1 {
			return in, false
		}
	}
	if tensor.Size(ws) > genMaxWeights {
		return in, false
	}
	in.args = []int{y, g.operand(ws)}
	if g.ch.intn(2) == 0 {
		in.args = append(in.args, g.operand([]int{cg * groups}))
	}
	return in, true
}

// pool draws a max or average pooling of a register reshaped to N×C×H×W,
// with a random kernel, stride and padding (at most half the kernel); a
// max pooling whose windows have near-ties is refused.
func (g *diffGen) pool(op string) (diffInstr, bool) {
	x := g.image(4)
	s := g.shape(x)
	in := diffInstr{op: op, args: []int{x}, idx: make([]int, 8)}
	for i := range 2 {
		k := 1 + g.ch.intn(3)
		in.idx[i], in.idx[2+i] = k, g.ch.intn(3) // stride 0: the kernel
		in.idx[4+2*i], in.idx[5+2*i] = g.ch.intn(k/2+1), g.ch.intn(k/2+1)
		if tensor.ConvOutSize(s[2+i], k, max(in.idx[2+i], 1), in.idx[4+2*i], in.idx[5+2*i], 1) < 1 {
			return in, false
		}
	}
	if op == "maxpool" {
		k, cfg := poolArgs(in.idx)
		return in, !poolNearTie(g.values(x), s, k, cfg)
	}
	return in, true
}

// poolNearTie reports whether some window of max pooling the N×C×H×W
// values v by kernel k has an element within genMinGap of its maximum,
// but not equal to it, at another position.
func poolNearTie(v []float64, s []int, k [2]int, cfg ad.PoolConfig) bool {
	h, w := s[2], s[3]
	st := cfg.Stride
	for i := range 2 {
		if st[i] == 0 {
			st[i] = k[i]
		}
	}
	oh := tensor.ConvOutSize(h, k[0], st[0], cfg.Padding[0][0], cfg.Padding[0][1], 1)
	ow := tensor.ConvOutSize(w, k[1], st[1], cfg.Padding[1][0], cfg.Padding[1][1], 1)
	for plane := range s[0] * s[1] {
		img := v[plane*h*w : (plane+1)*h*w]
		for oi := range oh {
			for oj := range ow {
				var win []float64
				for a := range k[0] {
					for b := range k[1] {
						i, j := oi*st[0]-cfg.Padding[0][0]+a, oj*st[1]-cfg.Padding[1][0]+b
						if i >= 0 && i < h && j >= 0 && j < w {
							win = append(win, img[i*w+j])
						}
					}
				}
				top := slices.Max(win)
				for _, e := range win {
					if d := top - e; d != 0 && d < genMinGap {
						return true
					}
				}
			}
		}
	}
	return false
}

// epsChoices are the eps of the normalization layers (0 included: the
// variance guard then keeps var ≥ minVar).
var epsChoices = []float64{0, 1e-5, 1e-3, 0.1, 1}

// norm draws LayerNorm over the last one or two axes, BatchNorm or
// BatchNormWithStats, each with or without γ and β. Rows whose var + eps
// is below minVar are refused.
func (g *diffGen) norm(op string) (diffInstr, bool) {
	x := g.pick()
	if op != "layernorm" && len(g.shape(x)) < 2 {
		x = g.asRank(x, 2+g.ch.intn(3), false)
	}
	s := g.shape(x)
	if len(s) == 0 {
		return diffInstr{}, false
	}
	in := diffInstr{op: op, args: []int{x}, c: epsChoices[g.ch.intn(len(epsChoices))]}
	var affine, axes []int
	if op == "layernorm" {
		in.axis = 1 + g.ch.intn(min(len(s), 2))
		affine = s[len(s)-in.axis:]
		for i := len(s) - in.axis; i < len(s); i++ {
			axes = append(axes, i)
		}
	} else {
		affine = []int{s[1]}
		axes = []int{0}
		for i := 2; i < len(s); i++ {
			axes = append(axes, i)
		}
	}
	if op == "bnstats" {
		in.args = append(in.args, g.operand(affine), g.operand(affine))
	} else {
		vx := g.vals[x]
		xc := ad.Sub(vx, ad.Mean(vx, true, axes...))
		for _, v := range flatOf(ad.Mean(ad.Square(xc), true, axes...)) {
			if v+in.c < minVar {
				return in, false
			}
		}
	}
	in.lo = g.ch.intn(4)
	for bit := 1; bit <= 2; bit <<= 1 {
		if in.lo&bit != 0 {
			in.args = append(in.args, g.operand(slices.Clone(affine)))
		}
	}
	return in, true
}

// attention draws scaled dot-product attention, causal or not: self-
// attention of a register, or its queries against keys and values whose
// batch dimensions broadcast with them.
func (g *diffGen) attention() (diffInstr, bool) {
	q := g.pick()
	if len(g.shape(q)) < 2 {
		q = g.asRank(q, 2, false)
	}
	s := g.shape(q)
	in := diffInstr{op: "attention", axis: g.ch.intn(2)}
	if g.ch.intn(4) == 0 {
		in.args = []int{q, q, q}
		return in, true
	}
	lead, d := s[:len(s)-2], s[len(s)-1]
	lk, dv := 1+g.ch.intn(3), 1+g.ch.intn(3)
	k := g.operand(append(g.partnerShape(lead), lk, d))
	v := g.operand(append(g.partnerShape(lead), lk, dv))
	if _, ok := broadcastShape(g.shape(k)[:len(g.shape(k))-2], g.shape(v)[:len(g.shape(v))-2]); !ok {
		return in, false
	}
	in.args = []int{q, k, v}
	return in, true
}

// linear draws Linear of a register (sometimes reshaped to rank 3) with a
// weight and, half the time, a bias.
func (g *diffGen) linear() (diffInstr, bool) {
	x := g.pick()
	if len(g.shape(x)) == 0 {
		x = g.reshaped(x, []int{1})
	}
	if len(g.shape(x)) != 3 && g.ch.intn(3) == 0 {
		x = g.asRank(x, 3, true)
	}
	s := g.shape(x)
	out := 1 + g.ch.intn(3)
	in := diffInstr{op: "linear", args: []int{x, g.operand([]int{out, s[len(s)-1]})}}
	if g.ch.intn(2) == 0 {
		in.args = append(in.args, g.operand([]int{out}))
	}
	return in, true
}

// stackMatMul draws a matmul of a register reshaped to a stack of
// matrices (rank 3 or 4) with one matrix on either side, with another
// stack whose batch dimensions broadcast with it, or with its own
// transpose.
func (g *diffGen) stackMatMul() (diffInstr, bool) {
	x := g.asRank(g.pick(), 3+g.ch.intn(2), false)
	s := g.shape(x)
	r, m, k := len(s), s[len(s)-2], s[len(s)-1]
	p := 1 + g.ch.intn(3)
	in := diffInstr{op: "matmul"}
	switch g.ch.intn(4) {
	case 0: // a stack times one matrix
		in.args = []int{x, g.operand([]int{k, p})}
	case 1: // one matrix times a stack
		in.args = []int{g.operand([]int{p, m}), x}
	case 2: // two stacks
		in.args = []int{x, g.operand(append(g.partnerShape(s[:r-2]), k, p))}
	default: // a stack of Gram matrices
		in.args = []int{x, g.emitMT(x)}
	}
	return in, matmulOK(g.shape(in.args[0]), g.shape(in.args[1]))
}

// crossEntropy draws SoftmaxCrossEntropy of a register reshaped to
// batch×classes, with random labels, and sometimes label smoothing and
// class weights.
func (g *diffGen) crossEntropy() (diffInstr, bool) {
	x := g.asRank(g.pick(), 2, false)
	s := g.shape(x)
	in := diffInstr{op: "xent", args: []int{x}, idx: make([]int, s[0])}
	for i := range in.idx {
		in.idx[i] = g.ch.intn(s[1])
	}
	switch g.ch.intn(4) {
	case 0:
		in.c = g.ch.float()
	case 1:
		in.c = 1 // the uniform target alone
	}
	if g.ch.intn(2) == 0 {
		in.data = make([]float64, s[1])
		for i := range in.data {
			in.data[i] = 0.25 + 2*g.ch.float()
		}
	}
	return in, true
}
