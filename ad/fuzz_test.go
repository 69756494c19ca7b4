package ad_test

// Differential fuzzing of the differentiation modes.
//
// A generator builds random straight-line programs (diffProgram) out of ad's
// primitives and composites — elementwise ops with their domains guarded,
// broadcasting binary ops, reductions, matrix products, shape ops, Where,
// nested transformations and the neural-network primitives (fuzz_nn_test.go)
// — on small random shapes, and a random point at which to differentiate
// them (diffCase). checkCase then computes the same derivatives in every
// way the API offers and compares them: forward against reverse Jacobians,
// both against central differences, the VJP/JVP dot-product identity,
// batched against single JVPs, Hessians by forward-over-reverse,
// reverse-over-reverse and forward-over-forward, Vmap of the program and of
// its derivatives against per-point evaluation, and a Compile'd recording
// of it all replayed against direct evaluation, in float64 and float32.
//
// TestDifferentialGraphs runs a fixed slice of seeds (TestDifferentialGraphsFused
// the same with fusion forced on every size); FuzzDifferential drives the
// same generator from fuzz bytes, half the time with fusion forced:
//
//	go test -run '^$' -fuzz FuzzDifferential -parallel 1 ./ad/
//
// A failing case is shrunk (minimizeCase) and printed both readably and as
// a Go literal that can be pasted into a regression test.

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// ---------------------------------------------------------------------------
// Programs

// diffInstr is one instruction of a generated program: op applied to the
// registers args, defining the next register. The other fields are the op's
// static parameters; apply documents which op reads which.
type diffInstr struct {
	op   string
	args []int
	c    float64   // guard offset, exponent, scale, shift or threshold
	axis int       // axis; for where, the comparison (see whereCmp)
	lo   int       // slice start, pad before
	hi   int       // slice stop, pad after
	keep bool      // reductions: keep the reduced axes
	axes []int     // reduction axes (nil: all), a permutation, or a shape
	idx  []int     // take and take-along indices
	data []float64 // const: the values, shaped by axes
}

// diffProgram is a straight-line program over registers: registers
// 0..len(inputs)-1 hold the inputs and instruction i defines register
// len(inputs)+i. Its result is register out.
type diffProgram struct {
	inputs [][]int
	code   []diffInstr
	out    int
}

// diffCase is a program, the point at which to differentiate it and the
// weights that reduce its output to a scalar for second derivatives.
type diffCase struct {
	prog diffProgram
	x    [][]float64 // the value of each input, row-major
	w    []float64   // one weight per output element
}

// whereCmp are the comparisons a where instruction may use, by its axis.
var whereCmp = []func(a, b ad.Value) ad.Value{
	ad.Greater[ad.Value, ad.Value], ad.Less[ad.Value, ad.Value],
	ad.GreaterEqual[ad.Value, ad.Value], ad.LessEqual[ad.Value, ad.Value],
}

// elementwise maps the names of the unguarded one-argument ops to them.
var elementwise = map[string]func(ad.Value) ad.Value{
	"neg": ad.Neg, "square": ad.Square, "exp": ad.Exp, "expm1": ad.Expm1,
	"abs": ad.Abs, "relu": ad.Relu, "sign": ad.Sign, "sin": ad.Sin,
	"cos": ad.Cos, "tan": ad.Tan, "atan": ad.Atan, "sinh": ad.Sinh,
	"cosh": ad.Cosh, "tanh": ad.Tanh, "sigmoid": ad.Sigmoid,
	"softplus": ad.Softplus, "erf": ad.Erf, "logcosh": diffLogCosh,
	"stopgrad": diffStopGradient, "gelu": ad.GELU, "gelutanh": ad.GELUTanh,
	"silu": ad.SiLU,
}

// pairwise maps the names of the unguarded broadcasting binary ops to them.
var pairwise = map[string]func(a, b ad.Value) ad.Value{
	"add": add2, "sub": ad.Sub[ad.Value, ad.Value], "mul": mul2, "div": ad.Div[ad.Value, ad.Value],
	"maximum": ad.Maximum[ad.Value, ad.Value], "minimum": ad.Minimum[ad.Value, ad.Value],
	"hypot": ad.Hypot[ad.Value, ad.Value], "atan2": ad.Atan2[ad.Value, ad.Value], "matmul": ad.MatMul, "innergrad": diffInnerGrad,
	"innerjvp": diffInnerJVP, "innervjp": diffInnerVJP, "ckpt": diffCheckpointed,
}

// add2 and mul2 are Add and Mul of two Values, as function values.
func add2(a, b ad.Value) ad.Value { return ad.Add(a, b) }
func mul2(a, b ad.Value) ad.Value { return ad.Mul(a, b) }

// reductions maps the names of the axis reductions to them.
var reductions = map[string]func(x ad.Value, keep bool, axes ...int) ad.Value{
	"sum": ad.Sum, "mean": ad.Mean, "max": ad.Max, "min": ad.Min,
	"prod": ad.Prod, "logsumexp": ad.LogSumExp,
}

// diffLogCosh is log(cosh x) as an ad.Custom op with hand-written rules
// (t·tanh x forward, ct·tanh x reverse), so that custom rules, and their
// per-direction evaluation under JVPBatch, take part in the graphs.
var diffLogCosh = func() func(x ad.Value) ad.Value {
	f := ad.Custom("logcosh",
		func(xs []ad.Value) ad.Value { return ad.Log(ad.Cosh(xs[0])) },
		func(p, t []ad.Value) ad.Value { return ad.Mul(t[0], ad.Tanh(p[0])) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, ad.Tanh(p[0]))} })
	return func(x ad.Value) ad.Value { return f(x) }
}()

// diffInnerGrad is ∇ₐ Σ sin(a·b): a gradient taken inside the function
// being differentiated, closing over b, which tests that nested
// transformations do not confuse their perturbations. Closed form:
// b·cos(a·b) summed down to a's shape.
func diffInnerGrad(a, b ad.Value) ad.Value {
	return ad.Grad(func(y ad.Value) ad.Value { return ad.Sum(ad.Sin(ad.Mul(y, b)), false) }, a)
}

// diffInnerJVP is the derivative of y ↦ sin(y·b) at a in the direction a,
// taken inside the function being differentiated, with a traced tangent.
// Closed form: cos(a·b)·a·b.
func diffInnerJVP(a, b ad.Value) ad.Value {
	_, t := ad.JVP(func(ys []ad.Value) ad.Value { return ad.Sin(ad.Mul(ys[0], b)) }, []ad.Value{a}, []ad.Value{a})
	return t
}

// diffInnerVJP pulls the output of y ↦ sin(y)·b back through itself at a:
// a reverse sweep inside the function being differentiated, with a traced
// cotangent. Closed form: cos(a)·b·sin(a)·b summed down to a's shape.
func diffInnerVJP(a, b ad.Value) ad.Value {
	y, pull := ad.VJP(func(ys []ad.Value) ad.Value { return ad.Mul(ad.Sin(ys[0]), b) }, a)
	return pull(y)[0]
}

// diffInnerJacobian is the Jacobian of y ↦ sin(y·b) at a, computed by the
// mode ad.Mode(mode) inside the function being differentiated, summed over
// its input axes. Closed form: b·cos(a·b) broadcast to the output shape.
func diffInnerJacobian(a, b ad.Value, mode int) ad.Value {
	j, _ := ad.Jacobian(func(y ad.Value) ad.Value { return ad.Sin(ad.Mul(y, b)) }, a, ad.Mode(mode))
	axes := make([]int, a.Rank())
	for i := range axes {
		axes[i] = j.Rank() - a.Rank() + i
	}
	return ad.Sum(j, false, axes...)
}

// diffStopGradient is (x - sg(x)) + sg(x): x exactly, with x's derivatives,
// but through StopGradient at every order.
func diffStopGradient(x ad.Value) ad.Value {
	return ad.Add(ad.Sub(x, ad.StopGradient(x)), ad.StopGradient(x))
}

// diffCheckpointed is tanh(a)·sin(b) computed under ad.Checkpoint.
func diffCheckpointed(a, b ad.Value) ad.Value {
	return ad.Checkpoint(func(xs []ad.Value) ad.Value {
		return ad.Mul(ad.Tanh(xs[0]), ad.Sin(xs[1]))
	})(a, b)
}

// apply runs the instruction on the registers r (constants or traced
// values alike) and returns the value it defines.
func (in *diffInstr) apply(r []ad.Value) ad.Value {
	args := make([]ad.Value, len(in.args))
	for i, a := range in.args {
		args[i] = r[a]
	}
	var x ad.Value
	if len(args) > 0 {
		x = args[0]
	}
	c := ad.Scalar(in.c)
	if f, ok := elementwise[in.op]; ok {
		return f(x)
	}
	if f, ok := pairwise[in.op]; ok {
		return f(x, args[1])
	}
	if f, ok := reductions[in.op]; ok {
		return f(x, in.keep, in.axes...)
	}
	switch in.op {
	case "const":
		return ad.From(newOf(r[0].DType(), in.data, in.axes...))

	// Elementwise, with guarded domains: c > 0 keeps logs, roots and
	// denominators away from 0; asin and acos see |c·tanh x| < 1.
	case "scale":
		return ad.Mul(x, c)
	case "shift":
		return ad.Add(x, c)
	case "logsq":
		return ad.Log(ad.Add(ad.Square(x), c))
	case "log1psq":
		return ad.Log1p(ad.Square(x))
	case "sqrtsq":
		return ad.Sqrt(ad.Add(ad.Square(x), c))
	case "sqrtexp":
		return ad.Sqrt(ad.Add(ad.Exp(x), c))
	case "rsqrtsq":
		return ad.Rsqrt(ad.Add(ad.Square(x), c))
	case "recipsq":
		return ad.Reciprocal(ad.Add(ad.Square(x), c))
	case "powc": // (x²+½)^c
		return ad.Pow(ad.Add(ad.Square(x), ad.Scalar(0.5)), c)
	case "asin":
		return ad.Asin(ad.Mul(ad.Tanh(x), c))
	case "acos":
		return ad.Acos(ad.Mul(ad.Tanh(x), c))
	case "wheresqrt": // √x above c, -x below: NaN in the branch not taken for x < 0
		return ad.Where(ad.Greater(x, c), ad.Sqrt(x), ad.Neg(x))

	// Binary, guarded.
	case "divsq": // a / (b²+c)
		return ad.Div(x, ad.Add(ad.Square(args[1]), c))
	case "pow": // (a²+c)^b
		return ad.Pow(ad.Add(ad.Square(x), c), args[1])
	case "innerjac": // axis: the mode
		return diffInnerJacobian(x, args[1], in.axis)
	case "where": // where(args[0] cmp args[1], args[2], args[3])
		return ad.Where(whereCmp[in.axis](x, args[1]), args[2], args[3])

	case "softmax":
		return ad.Softmax(x, in.axis)
	case "logsoftmax":
		return ad.LogSoftmax(x, in.axis)

	case "reshape":
		return ad.Reshape(x, in.axes...)
	case "transpose":
		return ad.Transpose(x, in.axes...)
	case "mt":
		return ad.MT(x)
	case "slice":
		return ad.Slice(x, in.axis, in.lo, in.hi)
	case "pad":
		return ad.Pad(x, in.axis, in.lo, in.hi)
	case "concat":
		return ad.Concat(in.axis, args...)
	case "stack":
		return ad.Stack(in.axis, args...)
	case "takealong":
		return ad.TakeAlong(x, in.axis, in.idx)
	case "take":
		return ad.Take(x, in.axis, in.idx)
	case "broadcast":
		return ad.BroadcastTo(x, in.axes...)
	case "sumto":
		return ad.SumTo(x, in.axes...)
	}
	if v, ok := nnApply(in, args); ok {
		return v
	}
	panic("fuzz: unknown op " + in.op)
}

// run executes the program on the input values xs and returns register out.
func (p *diffProgram) run(xs []ad.Value) ad.Value {
	return p.registers(xs)[p.out]
}

// registers executes the program on xs and returns every register.
func (p *diffProgram) registers(xs []ad.Value) []ad.Value {
	r := make([]ad.Value, 0, len(xs)+len(p.code))
	r = append(r, xs...)
	for i := range p.code {
		r = append(r, p.code[i].apply(r))
	}
	return r
}

// inputs returns the case's inputs as constants.
func (c *diffCase) inputs() []ad.Value {
	xs := make([]ad.Value, len(c.x))
	for i, d := range c.x {
		xs[i] = ad.New(slices.Clone(d), c.prog.inputs[i]...)
	}
	return xs
}

// flat returns all inputs concatenated, the point the Jacobians are taken at.
func (c *diffCase) flat() []float64 {
	var f []float64
	for _, d := range c.x {
		f = append(f, d...)
	}
	return f
}

// packed returns the program as a function of one flat vector holding all
// the inputs, for the single-argument API (Jacobian, Hessian, …).
func (c *diffCase) packed() func(ad.Value) ad.Value {
	return func(flat ad.Value) ad.Value {
		xs := make([]ad.Value, len(c.x))
		off := 0
		for i, s := range c.prog.inputs {
			n := tensor.Size(s)
			xs[i] = ad.Reshape(ad.Slice(flat, 0, off, off+n), s...)
			off += n
		}
		return c.prog.run(xs)
	}
}

// scalarized returns Σ w·f(x) for the packed function f.
func (c *diffCase) scalarized() func(ad.Value) ad.Value {
	f := c.packed()
	return func(x ad.Value) ad.Value {
		y := f(x)
		return ad.Sum(ad.Mul(y, ad.New(slices.Clone(c.w), y.Shape()...)), false)
	}
}

// String prints the case as a readable listing.
func (c *diffCase) String() string {
	var b strings.Builder
	for i, s := range c.prog.inputs {
		fmt.Fprintf(&b, "r%d = input%s %s\n", i, tensor.ShapeString(s), floatList(c.x[i]))
	}
	for i, in := range c.prog.code {
		fmt.Fprintf(&b, "r%d = %s\n", len(c.prog.inputs)+i, in.String())
	}
	fmt.Fprintf(&b, "out = r%d, weights %s", c.prog.out, floatList(c.w))
	return b.String()
}

// String prints the instruction as op(args; parameters).
func (in *diffInstr) String() string {
	var parts []string
	for _, a := range in.args {
		parts = append(parts, "r"+strconv.Itoa(a))
	}
	var ps []string
	if in.c != 0 {
		ps = append(ps, "c="+fmtFloat(in.c))
	}
	if in.axis != 0 {
		ps = append(ps, "axis="+strconv.Itoa(in.axis))
	}
	if in.lo != 0 || in.hi != 0 {
		ps = append(ps, fmt.Sprintf("lo=%d hi=%d", in.lo, in.hi))
	}
	if in.keep {
		ps = append(ps, "keep")
	}
	if in.axes != nil {
		ps = append(ps, fmt.Sprintf("axes=%v", in.axes))
	}
	if in.idx != nil {
		ps = append(ps, fmt.Sprintf("idx=%v", in.idx))
	}
	if in.data != nil {
		ps = append(ps, "data="+floatList(in.data))
	}
	s := strings.Join(parts, ", ")
	if len(ps) > 0 {
		s += "; " + strings.Join(ps, " ")
	}
	return in.op + "(" + s + ")"
}

// goString prints the case as a Go expression of type *diffCase, for
// pasting into a regression test.
func (c *diffCase) goString() string {
	var b strings.Builder
	b.WriteString("&diffCase{\n\tprog: diffProgram{\n\t\tinputs: [][]int{")
	for i, s := range c.prog.inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(intLit(s))
	}
	b.WriteString("},\n\t\tcode: []diffInstr{\n")
	for _, in := range c.prog.code {
		f := []string{fmt.Sprintf("op: %q", in.op), "args: " + intLit(in.args)}
		if in.c != 0 {
			f = append(f, "c: "+fmtFloat(in.c))
		}
		if in.axis != 0 {
			f = append(f, "axis: "+strconv.Itoa(in.axis))
		}
		if in.lo != 0 {
			f = append(f, "lo: "+strconv.Itoa(in.lo))
		}
		if in.hi != 0 {
			f = append(f, "hi: "+strconv.Itoa(in.hi))
		}
		if in.keep {
			f = append(f, "keep: true")
		}
		if in.axes != nil {
			f = append(f, "axes: "+intLit(in.axes))
		}
		if in.idx != nil {
			f = append(f, "idx: "+intLit(in.idx))
		}
		if in.data != nil {
			f = append(f, "data: "+floatLit(in.data))
		}
		fmt.Fprintf(&b, "\t\t\t{%s},\n", strings.Join(f, ", "))
	}
	fmt.Fprintf(&b, "\t\t},\n\t\tout: %d,\n\t},\n\tx: [][]float64{", c.prog.out)
	for i, d := range c.x {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strings.TrimPrefix(floatLit(d), "[]float64"))
	}
	fmt.Fprintf(&b, "},\n\tw: %s,\n}", floatLit(c.w))
	return b.String()
}

// fmtFloat formats v as the shortest decimal that reads back exactly.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// floatList formats vs as [a b c].
func floatList(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmtFloat(v)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// floatLit formats vs as a Go []float64 literal (-0 as math.Copysign(0,
// -1): the constant -0 is +0 in Go).
func floatLit(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmtFloat(v)
		if v == 0 && math.Signbit(v) {
			s[i] = "math.Copysign(0, -1)"
		}
	}
	return "[]float64{" + strings.Join(s, ", ") + "}"
}

// intLit formats vs as a Go []int literal ("[]int{}" for an empty, non-nil
// slice and "nil" for nil).
func intLit(vs []int) string {
	if vs == nil {
		return "nil"
	}
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return "[]int{" + strings.Join(s, ", ") + "}"
}

// ---------------------------------------------------------------------------
// Random decisions

// chooser is the source of every random decision of the generator.
type chooser interface {
	intn(n int) int // uniform in [0, n)
	float() float64 // uniform in [0, 1)
}

// rngChooser draws the decisions from a seeded PRNG (the fixed slice).
type rngChooser struct{ r *rand.Rand }

// intn returns a uniform integer in [0, n).
func (c rngChooser) intn(n int) int { return c.r.IntN(n) }

// float returns a uniform float in [0, 1).
func (c rngChooser) float() float64 { return c.r.Float64() }

// newSeedChooser returns the chooser of fixed-slice graph number seed.
func newSeedChooser(seed uint64) chooser {
	return rngChooser{rand.New(rand.NewPCG(seed, 0x5eed))}
}

// byteChooser draws the decisions from fuzz bytes — one byte per integer,
// two per float — so that a mutation of the input changes the program
// locally. When the bytes run out it continues from a PRNG seeded by them.
//
// Floats get a jitter below the bytes' resolution that differs from draw to
// draw: fuzz inputs repeat bytes, and equal inputs would put ties of
// Maximum, Max and Where everywhere. At a coincidental tie the function
// may even be differentiable with a gradient that ad's tie conventions
// (PyTorch's) do not give, e.g. min(maximum(y, x)) = x near a point where
// some y equal x, so no finite-difference check is possible there.
type byteChooser struct {
	data  []byte
	rest  *rand.Rand
	draws int
}

// newByteChooser returns a chooser reading data.
func newByteChooser(data []byte) *byteChooser {
	h := fnv.New64a()
	h.Write(data)
	return &byteChooser{data: data, rest: rand.New(rand.NewPCG(h.Sum64(), uint64(len(data))))}
}

// intn returns the next byte modulo n.
func (c *byteChooser) intn(n int) int {
	if len(c.data) == 0 {
		return c.rest.IntN(n)
	}
	v := int(c.data[0])
	c.data = c.data[1:]
	return v % n
}

// float returns the next two bytes as a fraction of 65536, jittered.
func (c *byteChooser) float() float64 {
	if len(c.data) < 2 {
		c.data = nil
		return c.rest.Float64()
	}
	v := uint16(c.data[0])<<8 | uint16(c.data[1])
	c.data = c.data[2:]
	c.draws++
	_, jitter := math.Modf(float64(c.draws) * 0.6180339887498949)
	return (float64(v) + jitter) / 65536
}

// ---------------------------------------------------------------------------
// The generator

// Limits of the generator.
const (
	genMaxSize  = 48   // largest register, in elements
	genMaxInput = 24   // largest total input size, in elements
	genMaxAbs   = 1e2  // largest magnitude of any register's value
	genMinGap   = 1e-4 // smallest non-zero distance from a kink
	genMaxSteps = 12   // most instructions drawn (constants not counted)
)

// Instruction families and, within each, the ops the generator draws from.
var (
	genUnary = []string{"neg", "scale", "shift", "square", "exp", "expm1",
		"logsq", "log1psq", "sqrtsq", "sqrtexp", "rsqrtsq", "recipsq", "powc",
		"abs", "relu", "sign", "sin", "cos", "tan", "asin", "acos", "atan",
		"sinh", "cosh", "tanh", "sigmoid", "softplus", "erf", "wheresqrt",
		"logcosh", "stopgrad", "gelu", "gelutanh", "silu"}
	genBinary = []string{"add", "sub", "mul", "div", "divsq", "pow", "hypot",
		"atan2", "maximum", "minimum", "innergrad", "innerjvp", "innervjp",
		"innerjac", "ckpt"}
	genReduce = []string{"sum", "mean", "max", "min", "prod", "logsumexp",
		"softmax", "logsoftmax"}
	genShape = []string{"reshape", "transpose", "mt", "slice", "pad", "concat",
		"stack", "takealong", "take", "broadcast", "sumto"}
)

// diffGen builds a case, evaluating every instruction on constants as it
// is drawn, so that shapes are known and domains can be checked.
type diffGen struct {
	ch   chooser
	c    *diffCase
	vals []ad.Value // the concrete value of every register
	dep  []bool     // whether the register depends on an input
}

// generateCase draws a random case: 1–3 inputs of related random shapes
// (so that broadcasting pairs are common), up to genMaxSteps instructions,
// the output register and the scalarization weights.
func generateCase(ch chooser) *diffCase {
	g := &diffGen{ch: ch, c: &diffCase{}}
	base := g.randShape()
	total := 0
	for n := 1 + ch.intn(3); n > 0; n-- {
		s := base
		if ch.intn(4) == 0 {
			s = g.randShape()
		}
		s = g.partnerShape(s)
		for len(s) > 0 && total+tensor.Size(s) > genMaxInput {
			s = s[1:]
		}
		if total+tensor.Size(s) > genMaxInput {
			break
		}
		total += tensor.Size(s)
		d := make([]float64, tensor.Size(s))
		for i := range d {
			d[i] = 4*ch.float() - 2
		}
		g.c.prog.inputs = append(g.c.prog.inputs, s)
		g.c.x = append(g.c.x, d)
		g.vals = append(g.vals, ad.New(slices.Clone(d), s...))
		g.dep = append(g.dep, true)
	}
	for n := 1 + ch.intn(genMaxSteps); n > 0; n-- {
		for try := 0; try < 8 && !g.step(); try++ {
		}
	}
	out := len(g.vals) - 1
	if ch.intn(4) == 0 {
		out = ch.intn(len(g.vals))
	}
	for !g.dep[out] && ch.intn(16) > 0 { // rarely, a constant output
		out--
	}
	g.c.prog.out = out
	g.c.w = make([]float64, g.vals[out].Size())
	for i := range g.c.w {
		g.c.w[i] = 2*ch.float() - 1
	}
	return g.c
}

// randShape returns a shape of rank 0–3 with dimensions 1–4.
func (g *diffGen) randShape() []int {
	s := make([]int, g.ch.intn(4))
	for i := range s {
		s[i] = 1 + g.ch.intn(4)
	}
	return s
}

// partnerShape returns a shape that broadcasts with s: a suffix of s with
// some dimensions set to 1, sometimes with a new leading dimension.
func (g *diffGen) partnerShape(s []int) []int {
	p := slices.Clone(s[g.dropLeading(len(s)):])
	for i := range p {
		if g.ch.intn(4) == 0 {
			p[i] = 1
		}
	}
	if len(p) == len(s) && g.ch.intn(6) == 0 {
		p = append([]int{1 + g.ch.intn(3)}, p...)
	}
	return p
}

// dropLeading returns how many leading dimensions of a rank-r shape to drop:
// usually none.
func (g *diffGen) dropLeading(r int) int {
	if r == 0 || g.ch.intn(3) != 0 {
		return 0
	}
	return g.ch.intn(r + 1)
}

// shape returns the shape of register r.
func (g *diffGen) shape(r int) []int { return g.vals[r].Shape() }

// values returns the concrete values of register r.
func (g *diffGen) values(r int) []float64 { return g.vals[r].Tensor().Float64s() }

// pick returns a register that depends on an input, usually the newest one.
func (g *diffGen) pick() int {
	if g.ch.intn(2) == 0 {
		for r := len(g.vals) - 1; r >= 0; r-- {
			if g.dep[r] {
				return r
			}
		}
	}
	var cands []int
	for r, d := range g.dep {
		if d {
			cands = append(cands, r)
		}
	}
	return cands[g.ch.intn(len(cands))]
}

// pickWhere returns a random register whose shape satisfies ok, or -1.
func (g *diffGen) pickWhere(ok func(s []int) bool) int {
	var cands []int
	for r := range g.vals {
		if ok(g.shape(r)) {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return -1
	}
	return cands[g.ch.intn(len(cands))]
}

// constant appends a random constant of shape s and returns its register.
func (g *diffGen) constant(s []int) int {
	d := make([]float64, tensor.Size(s))
	for i := range d {
		d[i] = 4*g.ch.float() - 2
	}
	in := diffInstr{op: "const", axes: slices.Clone(s), data: d}
	if s == nil {
		in.axes = []int{}
	}
	g.c.prog.code = append(g.c.prog.code, in)
	g.vals = append(g.vals, in.apply(g.vals))
	g.dep = append(g.dep, false)
	return len(g.vals) - 1
}

// partner returns a register that broadcasts with shape s: half the time
// an existing one, otherwise a new constant.
func (g *diffGen) partner(s []int) int {
	if g.ch.intn(2) == 0 {
		if r := g.pickWhere(func(t []int) bool {
			b, ok := broadcastShape(s, t)
			return ok && tensor.Size(b) <= genMaxSize
		}); r >= 0 {
			return r
		}
	}
	return g.constant(g.partnerShape(s))
}

// broadcastShape returns the broadcast of shapes a and b and whether they
// broadcast.
func broadcastShape(a, b []int) ([]int, bool) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := slices.Clone(a)
	for i := 1; i <= len(b); i++ {
		x, y := a[len(a)-i], b[len(b)-i]
		switch {
		case x == y, y == 1:
		case x == 1:
			out[len(out)-i] = y
		default:
			return nil, false
		}
	}
	return out, true
}

// step draws one instruction (and any constants it needs) and appends it
// if it is acceptable; otherwise it leaves the program unchanged and
// reports false.
func (g *diffGen) step() bool {
	mark := len(g.vals)
	var in diffInstr
	var ok bool
	switch k := g.ch.intn(112); {
	case k < 30:
		in, ok = g.unary()
	case k < 55:
		in, ok = g.binary()
	case k < 67:
		in, ok = g.reduce()
	case k < 75:
		in, ok = g.matmul()
	case k < 80:
		in, ok = g.where()
	case k < 100:
		in, ok = g.shapeOp()
	default:
		in, ok = g.nn()
	}
	if ok && g.accept(in) {
		return true
	}
	n := len(g.c.prog.inputs)
	g.c.prog.code = g.c.prog.code[:mark-n]
	g.vals, g.dep = g.vals[:mark], g.dep[:mark]
	return false
}

// accept evaluates in on the concrete registers and appends it if its
// value is finite, not too large and not too big.
func (g *diffGen) accept(in diffInstr) bool {
	v := in.apply(g.vals)
	if v.Size() > genMaxSize {
		return false
	}
	for _, f := range v.Tensor().Float64s() {
		if !(math.Abs(f) <= genMaxAbs) {
			return false
		}
	}
	dep := false
	for _, a := range in.args {
		dep = dep || g.dep[a]
	}
	g.c.prog.code = append(g.c.prog.code, in)
	g.vals = append(g.vals, v)
	g.dep = append(g.dep, dep)
	return true
}

// nearKink reports whether some value is within genMinGap of 0 without
// being 0. Exact zeros come from structure (padding, relu, x-x) and are
// locally constant, so they are allowed; finite differences catch the rest.
func nearKink(vs []float64) bool {
	for _, v := range vs {
		if v != 0 && math.Abs(v) < genMinGap {
			return true
		}
	}
	return false
}

// unary draws an elementwise op of one register.
func (g *diffGen) unary() (diffInstr, bool) {
	x := g.pick()
	in := diffInstr{op: genUnary[g.ch.intn(len(genUnary))], args: []int{x}}
	vs := g.values(x)
	switch in.op {
	case "scale":
		in.c = (0.5 + 1.5*g.ch.float()) * float64(1-2*g.ch.intn(2))
	case "shift":
		in.c = 4*g.ch.float() - 2
	case "logsq", "sqrtsq", "sqrtexp", "rsqrtsq", "recipsq":
		in.c = 0.25 + g.ch.float()
	case "powc":
		in.c = []float64{-1.5, -1, -0.5, 0.5, 1.5, 2, 3}[g.ch.intn(7)]
	case "asin", "acos":
		in.c = 0.5 + 0.45*g.ch.float()
	case "wheresqrt":
		in.c = 0.1 + 0.4*g.ch.float()
		for i := range vs {
			vs[i] -= in.c
		}
		return in, !nearKink(vs)
	case "abs", "relu", "sign":
		return in, !nearKink(vs)
	case "tan":
		for _, v := range vs {
			if math.Abs(math.Cos(v)) < 0.2 {
				return in, false
			}
		}
	}
	return in, true
}

// binary draws a broadcasting op of two registers.
func (g *diffGen) binary() (diffInstr, bool) {
	a := g.pick()
	b := g.partner(g.shape(a))
	if g.ch.intn(2) == 0 {
		a, b = b, a
	}
	in := diffInstr{op: genBinary[g.ch.intn(len(genBinary))], args: []int{a, b}}
	va, vb := g.vals[a], g.vals[b]
	switch in.op {
	case "divsq", "pow":
		in.c = 0.25 + g.ch.float()
	case "innerjac":
		in.axis = g.ch.intn(3)
		return in, va.Size() <= 8
	case "div":
		for _, v := range ad.Add(ad.Mul(va, ad.Scalar(0)), vb).Tensor().Float64s() {
			if math.Abs(v) < 0.2 {
				return in, false
			}
		}
	case "maximum", "minimum":
		return in, !nearKink(ad.Sub(va, vb).Tensor().Float64s())
	case "hypot", "atan2":
		for _, v := range ad.Hypot(va, vb).Tensor().Float64s() {
			if v < 0.1 {
				return in, false
			}
		}
		if in.op == "atan2" { // the branch cut: y near 0 with x < 0
			y := ad.Add(va, ad.Mul(vb, ad.Scalar(0))).Tensor().Float64s()
			x := ad.Add(vb, ad.Mul(va, ad.Scalar(0))).Tensor().Float64s()
			for i := range y {
				if x[i] < 0 && math.Abs(y[i]) < 1e-3 {
					return in, false
				}
			}
		}
	}
	return in, true
}

// where draws where(p cmp q, x, y) with all four broadcasting together.
func (g *diffGen) where() (diffInstr, bool) {
	p := g.pick()
	s := g.shape(p)
	args := []int{p}
	for len(args) < 4 {
		r := g.partner(s)
		if len(args) == 2 && g.ch.intn(2) == 0 {
			r = g.pick()
		}
		b, ok := broadcastShape(s, g.shape(r))
		if !ok {
			return diffInstr{}, false
		}
		s = b
		args = append(args, r)
	}
	if g.ch.intn(2) == 0 {
		args[2], args[3] = args[3], args[2]
	}
	in := diffInstr{op: "where", args: args, axis: g.ch.intn(len(whereCmp))}
	return in, !nearKink(ad.Sub(g.vals[args[0]], g.vals[args[1]]).Tensor().Float64s())
}

// randAxes returns nil (all axes) or a random non-empty set of a rank-r
// shape's axes, some written negatively.
func (g *diffGen) randAxes(r int) []int {
	if r == 0 || g.ch.intn(4) == 0 {
		return nil
	}
	var ax []int
	for len(ax) == 0 {
		for i := 0; i < r; i++ {
			if g.ch.intn(2) == 0 {
				a := i
				if g.ch.intn(3) == 0 {
					a -= r
				}
				ax = append(ax, a)
			}
		}
	}
	return ax
}

// reduce draws a reduction over random axes, or a (log-)softmax.
func (g *diffGen) reduce() (diffInstr, bool) {
	x := g.pick()
	r := len(g.shape(x))
	in := diffInstr{op: genReduce[g.ch.intn(len(genReduce))], args: []int{x}}
	switch in.op {
	case "softmax", "logsoftmax":
		if r == 0 {
			return in, false
		}
		in.axis = g.ch.intn(2*r) - r
		return in, true
	}
	in.axes = g.randAxes(r)
	in.keep = g.ch.intn(2) == 0
	vx := g.vals[x]
	switch in.op {
	case "max": // no near-ties between the maximum and the others
		return in, !nearKink(ad.Sub(ad.Max(vx, true, in.axes...), vx).Tensor().Float64s())
	case "min":
		return in, !nearKink(ad.Sub(ad.Min(vx, true, in.axes...), vx).Tensor().Float64s())
	}
	return in, true
}

// matmulOK reports whether ad.MatMul accepts operands of shapes a and b
// (NumPy's matmul rules) with a result of at most genMaxSize elements.
func matmulOK(a, b []int) bool {
	ra, rb := len(a), len(b)
	if ra == 0 || rb == 0 || a[ra-1] != b[max(rb-2, 0)] {
		return false
	}
	out := []int{}
	if ra >= 2 && rb >= 2 {
		bs, ok := broadcastShape(a[:ra-2], b[:rb-2])
		if !ok {
			return false
		}
		out = append(bs, a[ra-2], b[rb-1])
	} else if ra >= 2 {
		out = a[:ra-1]
	} else if rb >= 2 {
		out = append(slices.Clone(b[:rb-2]), b[rb-1])
	}
	return tensor.Size(out) <= genMaxSize
}

// matmul draws a matrix product of a register with another register, with
// a constant of a fitting shape, or with its own transpose (a Gram matrix):
// matrix-matrix, matrix-vector, vector-vector and batched.
func (g *diffGen) matmul() (diffInstr, bool) {
	a := g.pick()
	sa := g.shape(a)
	ra := len(sa)
	if ra == 0 {
		return diffInstr{}, false
	}
	in := diffInstr{op: "matmul"}
	switch g.ch.intn(4) {
	case 0: // an existing register on either side
		if b := g.pickWhere(func(s []int) bool { return matmulOK(sa, s) }); b >= 0 {
			in.args = []int{a, b}
		} else if b := g.pickWhere(func(s []int) bool { return matmulOK(s, sa) }); b >= 0 {
			in.args = []int{b, a}
		}
	case 1: // Gram matrix
		if ra >= 2 {
			in.args = []int{a, g.emitMT(a)}
		} else {
			in.args = []int{a, a}
		}
		if g.ch.intn(2) == 0 {
			in.args[0], in.args[1] = in.args[1], in.args[0]
		}
	}
	if in.args == nil { // a constant on a random side
		p := 1 + g.ch.intn(3)
		if g.ch.intn(2) == 0 {
			var s []int
			switch k := sa[ra-1]; g.ch.intn(3) {
			case 0:
				s = []int{k}
			case 1:
				s = []int{k, p}
			default:
				s = []int{1 + g.ch.intn(2), k, p}
			}
			in.args = []int{a, g.constant(s)}
		} else {
			var s []int
			switch k := sa[max(ra-2, 0)]; g.ch.intn(3) {
			case 0:
				s = []int{k}
			case 1:
				s = []int{p, k}
			default:
				s = []int{1 + g.ch.intn(2), p, k}
			}
			in.args = []int{g.constant(s), a}
		}
	}
	return in, matmulOK(g.shape(in.args[0]), g.shape(in.args[1]))
}

// emitMT appends mt(r) and returns its register. (accept cannot refuse
// it: it has r's values.)
func (g *diffGen) emitMT(r int) int {
	g.accept(diffInstr{op: "mt", args: []int{r}})
	return len(g.vals) - 1
}

// randPerm returns a random permutation of 0..r-1.
func (g *diffGen) randPerm(r int) []int {
	p := make([]int, r)
	for i := range p {
		p[i] = i
	}
	for i := r - 1; i > 0; i-- {
		j := g.ch.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// factorShape returns a random shape of rank 0–3 with n elements, with one
// dimension sometimes written -1.
func (g *diffGen) factorShape(n int) []int {
	var s []int
	for rest := n; rest > 1 || (len(s) < 3 && g.ch.intn(4) == 0); {
		if len(s) == 2 {
			s = append(s, rest)
			break
		}
		var divs []int
		for d := 1; d <= rest; d++ {
			if rest%d == 0 {
				divs = append(divs, d)
			}
		}
		d := divs[g.ch.intn(len(divs))]
		s = append(s, d)
		rest /= d
		if rest == 1 && len(s) > 0 && g.ch.intn(2) == 0 {
			break
		}
	}
	if tensor.Size(s) != n {
		s = append(s, n/tensor.Size(s))
	}
	if len(s) > 0 && g.ch.intn(4) == 0 {
		s[g.ch.intn(len(s))] = -1
	}
	if s == nil {
		s = []int{}
	}
	return s
}

// shapeOp draws a shape op: reshape, transpose, slice, pad, concat, stack,
// gathers and broadcasts.
func (g *diffGen) shapeOp() (diffInstr, bool) {
	x := g.pick()
	s := g.shape(x)
	r := len(s)
	in := diffInstr{op: genShape[g.ch.intn(len(genShape))], args: []int{x}}
	if r == 0 && in.op != "reshape" && in.op != "stack" && in.op != "broadcast" && in.op != "sumto" {
		return in, false
	}
	switch in.op {
	case "reshape":
		in.axes = g.factorShape(tensor.Size(s))
	case "transpose":
		if r < 2 {
			return in, false
		}
		if g.ch.intn(4) > 0 {
			in.axes = g.randPerm(r)
		}
	case "mt":
		return in, r >= 2
	case "slice":
		in.axis = g.ch.intn(r)
		n := s[in.axis]
		in.lo = g.ch.intn(n)
		in.hi = in.lo + 1 + g.ch.intn(n-in.lo)
	case "pad":
		in.axis = g.ch.intn(2*r) - r
		in.lo, in.hi = g.ch.intn(3), g.ch.intn(3)
	case "concat":
		a := g.ch.intn(r)
		in.axis = a
		if g.ch.intn(3) == 0 {
			in.axis -= r
		}
		for n := 1 + g.ch.intn(2); n > 0; n-- {
			o := g.pickWhere(func(t []int) bool {
				return len(t) == r && slices.Equal(t[:a], s[:a]) && slices.Equal(t[a+1:], s[a+1:])
			})
			if g.ch.intn(3) == 0 {
				t := slices.Clone(s)
				t[a] = 1 + g.ch.intn(3)
				o = g.constant(t)
			}
			in.args = append(in.args, o)
		}
		g.shuffle(in.args)
	case "stack":
		for n := 1 + g.ch.intn(2); n > 0; n-- {
			o := g.pickWhere(func(t []int) bool { return slices.Equal(t, s) })
			if g.ch.intn(3) == 0 {
				o = g.constant(s)
			}
			in.args = append(in.args, o)
		}
		g.shuffle(in.args)
		in.axis = g.ch.intn(2*r+2) - r - 1
	case "takealong", "take":
		in.axis = g.ch.intn(r)
		n, k := s[in.axis], 1+g.ch.intn(4)
		m := k
		if in.op == "takealong" {
			m = tensor.Size(s) / n * k
		}
		in.idx = make([]int, m)
		for i := range in.idx {
			in.idx[i] = g.ch.intn(2*n) - n
		}
	case "broadcast":
		t := slices.Clone(s)
		for i := range t {
			if t[i] == 1 {
				t[i] = 1 + g.ch.intn(3)
			}
		}
		if g.ch.intn(2) == 0 {
			t = append([]int{1 + g.ch.intn(3)}, t...)
		}
		in.axes = t
	case "sumto":
		t := slices.Clone(s[g.dropLeading(r):])
		for i := range t {
			if g.ch.intn(2) == 0 {
				t[i] = 1
			}
		}
		in.axes = t
	}
	return in, true
}

// shuffle permutes rs in place.
func (g *diffGen) shuffle(rs []int) {
	for i := len(rs) - 1; i > 0; i-- {
		j := g.ch.intn(i + 1)
		rs[i], rs[j] = rs[j], rs[i]
	}
}

// ---------------------------------------------------------------------------
// The checks

// Tolerances of the checks, relative to the scale of what is compared.
const (
	tolExact   = 1e-10 // two AD modes computing the same first derivatives
	tolHessian = 1e-9  // two AD modes computing the same second derivatives
	tolFD      = 1e-5  // AD against central differences
	fdStep     = 1e-6  // the central-difference step
	scaleFloor = 1     // the smallest scale of a comparison between AD modes
)

// fdSteps are the steps tried, in order, before a disagreement with finite
// differences is reported: a real bug disagrees at all of them, a
// truncation or rounding artefact does not.
var fdSteps = []float64{fdStep, 1e-7, 1e-4}

// diffStats counts what the checks did, for the log.
type diffStats struct {
	cases, ops, fdColumns, fdKinks int
	opCount                        map[string]int
	// compiled programs, those that run fused groups, and the fused
	// results they write in place over an operand
	compiled, fused, aliased int
	fusedOps                 map[string]int // if not nil: the ops run in fused groups
}

// problem is a disagreement found by a check: which check, and how.
type problem struct{ check, detail string }

// String returns "check: detail".
func (p problem) String() string { return p.check + ": " + p.detail }

// flatOf returns v's elements.
func flatOf(v ad.Value) []float64 { return v.Tensor().Float64s() }

// maxAbs returns the largest magnitude among vs.
func maxAbs(vs ...[]float64) float64 {
	m := 0.0
	for _, v := range vs {
		for _, f := range v {
			m = math.Max(m, math.Abs(f))
		}
	}
	return m
}

// mismatch compares got with want elementwise and describes the worst entry
// that differs by more than tol·scale, or returns "" if none does. Any NaN
// or Inf is a mismatch: the generator keeps every derivative finite.
func mismatch(got, want []float64, tol, scale float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d values, want %d", len(got), len(want))
	}
	worst, at := 0.0, -1
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if math.IsNaN(d) || math.IsInf(d, 0) {
			d = math.Inf(1)
		}
		if d > tol*scale && (at < 0 || d > worst) {
			worst, at = d, i
		}
	}
	if at < 0 {
		return ""
	}
	return fmt.Sprintf("at flat index %d: got %.17g, want %.17g (|diff| %.3g > %.0e × scale %.3g)",
		at, got[at], want[at], worst, tol, scale)
}

// checker runs the checks of one case and collects problems.
type checker struct {
	c     *diffCase
	probs []problem
	stats *diffStats
	opt   diffChecks
}

// expect records a problem of check if detail is not empty.
func (k *checker) expect(check, detail string) {
	if detail != "" {
		k.probs = append(k.probs, problem{check, detail})
	}
}

// sameAD compares two AD results at tol relative to their largest
// magnitude, but at least scaleFloor: a derivative that is 0 by
// cancellation comes out as rounding noise of the size of the cancelled
// terms.
func (k *checker) sameAD(check string, got, want []float64, tol float64) {
	k.expect(check, mismatch(got, want, tol, math.Max(scaleFloor, maxAbs(got, want))))
}

// sameShapes checks that v has shape want.
func (k *checker) sameShapes(check string, v ad.Value, want []int) bool {
	if !slices.Equal(v.Shape(), want) {
		k.expect(check, fmt.Sprintf("shape %v, want %v", v.Shape(), want))
		return false
	}
	return true
}

// checkCase runs every check on c and returns the disagreements; a panic
// is one too. stats, if not nil, is updated.
func checkCase(c *diffCase, stats *diffStats) (probs []problem) {
	return checkCaseWith(c, stats, diffChecks{compile32: true, eager32: true, vmap: true})
}

// diffChecks selects the checks that the fixed slices run on some graphs
// only, to keep their run time: Compile's replay in float32, eager float32
// derivatives against float64's, and Vmap.
type diffChecks struct{ compile32, eager32, vmap bool }

// checkCaseWith is checkCase with the optional checks of opt.
func checkCaseWith(c *diffCase, stats *diffStats, opt diffChecks) (probs []problem) {
	k := &checker{c: c, stats: stats, opt: opt}
	defer func() {
		if r := recover(); r != nil {
			st := strings.Split(string(debug.Stack()), "\n")
			k.probs = append(k.probs, problem{"panic", fmt.Sprintf("%v\n%s", r, strings.Join(st[:min(len(st), 40)], "\n"))})
		}
		probs = k.probs
	}()
	k.run()
	return k.probs
}

// run is checkCase's body.
func (k *checker) run() {
	c := k.c
	if k.stats == nil {
		k.stats = &diffStats{}
	}
	rng := rand.New(rand.NewPCG(1, 2)) // directions: fixed, so failures reproduce
	randVec := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 2*rng.Float64() - 1
		}
		return v
	}

	xs := c.inputs()
	x0 := c.flat()
	n := len(x0)
	xv := ad.New(slices.Clone(x0), n)
	f := c.packed()
	y0 := c.prog.run(xs)
	outShape := slices.Clone(y0.Shape())
	m := y0.Size()
	jshape := append(slices.Clone(outShape), n)

	// Jacobians: forward, reverse and auto.
	jf, jr := ad.JacFwd(f, xv), ad.JacRev(f, xv)
	ja, mode := ad.Jacobian(f, xv, ad.Auto)
	if !k.sameShapes("JacFwd shape", jf, jshape) || !k.sameShapes("JacRev shape", jr, jshape) ||
		!k.sameShapes("Jacobian(Auto) shape", ja, jshape) {
		return
	}
	J := flatOf(jr)
	k.sameAD("JacFwd vs JacRev", flatOf(jf), J, tolExact)
	k.sameAD("Jacobian(Auto) vs JacRev", flatOf(ja), J, tolExact)
	if want := map[bool]ad.Mode{true: ad.Forward, false: ad.Reverse}[n < m]; mode != want {
		k.expect("Jacobian(Auto) mode", fmt.Sprintf("%v for %d inputs and %d outputs, want %v", mode, n, m, want))
	}

	// Both against central differences.
	k.fdCheck("JacRev vs finite differences", J, m, x0, func(x []float64) []float64 {
		return flatOf(f(ad.New(x, n)))
	})

	// VJP and JVP with several arguments, against each other and J.
	u, u2 := randVec(m), randVec(m)
	vs := make([]ad.Value, len(xs))
	var vflat []float64
	for i, s := range c.prog.inputs {
		d := randVec(tensor.Size(s))
		vflat = append(vflat, d...)
		vs[i] = ad.New(d, s...)
	}
	yv, pull := ad.VJP(c.prog.run, xs...)
	k.expect("VJP primal vs plain evaluation", mismatch(flatOf(yv), flatOf(y0), 0, 0))
	first := concatFlat(pull(ad.New(slices.Clone(u2), outShape...)))
	gs := pull(ad.New(slices.Clone(u), outShape...))
	g := concatFlat(gs)
	k.sameAD("VJP (pulled back second) vs uᵀJ", g, vecMat(u, J, m, n), tolExact)
	k.sameAD("VJP (pulled back first) vs uᵀJ", first, vecMat(u2, J, m, n), tolExact)
	yj, jv := ad.JVP(c.prog.run, xs, vs)
	k.expect("JVP primal vs plain evaluation", mismatch(flatOf(yj), flatOf(y0), 0, 0))
	if k.sameShapes("JVP tangent shape", jv, outShape) {
		k.sameAD("JVP vs J·v", flatOf(jv), matVec(J, vflat, m, n), tolExact)
		lhs, rhs, scale := 0.0, 0.0, 0.0
		for i, t := range flatOf(jv) {
			lhs += u[i] * t
			for j := 0; j < n; j++ {
				scale += math.Abs(u[i] * J[i*n+j] * vflat[j])
			}
		}
		for j := range g {
			rhs += g[j] * vflat[j]
		}
		k.expect("<u, JVP(v)> vs <VJP(u), v>", mismatch([]float64{lhs}, []float64{rhs}, tolExact, math.Max(scaleFloor, scale)))
	}

	// JVPBatch with nb directions against nb JVPs.
	nb := 1 + rng.IntN(3)
	tans := make([]ad.Value, len(xs))
	dirs := make([][]float64, len(xs))
	for i, s := range c.prog.inputs {
		dirs[i] = randVec(nb * tensor.Size(s))
		tans[i] = ad.New(slices.Clone(dirs[i]), append([]int{nb}, s...)...)
	}
	yb, tb := ad.JVPBatch(c.prog.run, xs, tans)
	k.expect("JVPBatch primal vs plain evaluation", mismatch(flatOf(yb), flatOf(y0), 0, 0))
	if k.sameShapes("JVPBatch tangent shape", tb, append([]int{nb}, outShape...)) {
		all := flatOf(tb)
		for d := 0; d < nb; d++ {
			one := make([]ad.Value, len(xs))
			for i, s := range c.prog.inputs {
				sz := tensor.Size(s)
				one[i] = ad.New(slices.Clone(dirs[i][d*sz:(d+1)*sz]), s...)
			}
			_, t := ad.JVP(c.prog.run, xs, one)
			k.sameAD(fmt.Sprintf("JVPBatch direction %d vs JVP", d), all[d*m:(d+1)*m], flatOf(t), tolExact)
		}
	}

	// Second order, on the scalarized function.
	s := c.scalarized()
	grad := flatOf(ad.Grad(s, xv))
	k.sameAD("Grad vs wᵀJ", grad, vecMat(c.w, J, m, n), tolExact)
	h1 := ad.Hessian(s, xv)
	h2 := ad.JacFwd(func(y ad.Value) ad.Value { return ad.Grad(s, y) }, xv)
	h3 := ad.JacFwd(func(y ad.Value) ad.Value { return ad.JacFwd(s, y) }, xv)
	for _, h := range []struct {
		name string
		v    ad.Value
	}{{"Hessian", h1}, {"fwd-over-rev", h2}, {"fwd-over-fwd", h3}} {
		if !k.sameShapes(h.name+" shape", h.v, []int{n, n}) {
			return
		}
	}
	H := flatOf(h1)
	k.sameAD("Hessian (rev-over-batched-rev) vs fwd-over-rev", H, flatOf(h2), tolHessian)
	k.sameAD("Hessian (rev-over-batched-rev) vs fwd-over-fwd", H, flatOf(h3), tolHessian)
	k.sameAD("Hessian symmetry", H, transposeSq(H, n), tolHessian)
	k.fdCheck("Hessian vs finite differences of Grad", H, n, x0, func(x []float64) []float64 {
		return flatOf(ad.Grad(s, ad.New(x, n)))
	})
	v := randVec(n)
	hv := flatOf(ad.HVP(s, xv, ad.New(slices.Clone(v), n)))
	k.sameAD("HVP vs H·v", hv, matVec(H, v, n, n), tolHessian)
	line := func(t ad.Value) ad.Value {
		return s(ad.Add(ad.New(slices.Clone(x0), n), ad.Mul(t, ad.New(slices.Clone(v), n))))
	}
	dd := ad.Derivative(line, ad.Scalar(0)).Item()
	want, scale := 0.0, 0.0
	for i := range v {
		want += grad[i] * v[i]
		scale += math.Abs(grad[i] * v[i])
	}
	k.expect("Derivative along v vs <Grad, v>", mismatch([]float64{dd}, []float64{want}, tolExact, math.Max(scaleFloor, scale)))

	k.compileCheck(vs, tensor.Float64)
	if k.opt.compile32 {
		k.compileCheck(vs, tensor.Float32)
	}
	if k.opt.eager32 {
		k.float32Check(vs)
	}
	if k.opt.vmap {
		k.vmapCheck(vs)
	}
}

// vmapCheck maps the program, the gradients of its scalarization, its
// JVPBatch in two directions and its VJPBatch of two cotangents with
// ad.Vmap over the case's point and a nearby one, against the same
// computed at each point. With several inputs, input 0 is not mapped (the
// same at both points), so that the batching rules see mapped and
// unmapped operands together.
func (k *checker) vmapCheck(vs []ad.Value) {
	c := k.c
	xs := c.inputs()
	other := make([]ad.Value, len(xs))
	stacked := make([]ad.Value, len(xs))
	axes := make([]int, len(xs))
	for i, x := range xs {
		other[i] = ad.Add(x, ad.Mul(ad.Scalar(0.1), vs[i]))
		if i == 0 && len(xs) > 1 {
			other[i], stacked[i], axes[i] = x, x, ad.NotMapped
			continue
		}
		stacked[i] = ad.Stack(0, x, other[i])
	}
	s := c.weighted(tensor.Float64)
	grads := func(zs []ad.Value) ad.Value {
		gs := ad.Grads(s, zs...)
		for i, g := range gs {
			gs[i] = ad.Reshape(g, g.Size())
		}
		return ad.Concat(0, gs...)
	}
	// two directions at once: the tangents' batch axis under Vmap's
	tans := make([]ad.Value, len(xs))
	for i, v := range vs {
		tans[i] = ad.Stack(0, v, ad.Sin(v))
	}
	jvps := func(zs []ad.Value) ad.Value {
		_, t := ad.JVPBatch(c.prog.run, zs, tans)
		return t
	}
	// and two cotangents at once
	shape := c.prog.run(xs).Shape()
	u := ad.New(slices.Clone(c.w), shape...)
	cts := ad.Stack(0, u, ad.Cos(u))
	vjps := func(zs []ad.Value) ad.Value {
		_, pull := ad.VJPBatch(c.prog.run, zs...)
		gs := pull(cts)
		for i, g := range gs {
			gs[i] = ad.Reshape(g, 2, -1)
		}
		return ad.Concat(1, gs...)
	}
	for _, f := range []struct {
		name string
		f    func([]ad.Value) ad.Value
	}{{"Vmap of the program", c.prog.run}, {"Vmap of the gradients", grads}, {"Vmap of JVPBatch", jvps}, {"Vmap of VJPBatch", vjps}} {
		got := ad.Vmap(f.f, axes...)(stacked...)
		for i, at := range [][]ad.Value{xs, other} {
			want := f.f(at)
			if !k.sameShapes(f.name+" shape", got, append([]int{2}, want.Shape()...)) {
				break
			}
			row := ad.Reshape(ad.Slice(got, 0, i, i+1), want.Shape()...)
			k.sameAD(fmt.Sprintf("%s, point %d", f.name, i), flatOf(row), flatOf(want), tolExact)
		}
	}
}

// tol32 is the tolerance of float32 derivatives against float64 ones at
// the same (float32) point, relative to the largest float64 magnitude but
// at least 1. Float32's unit roundoff is 6e-8; a generated program is at
// most a few dozen ops deep with its derivative sweeps, and its guards keep
// each op well-conditioned, so a float32 kernel or rule that is right
// loses far less than 1e-3: over 20000 graphs the worst error was 3e-5
// (2e-2 at two points where float64 moves by 1e-4 when the inputs move by
// one float32 ulp, which float32Check skips as ill-conditioned). A wrong
// float32 path errs by O(1).
const tol32 = 1e-3

// float32Check evaluates the program, the gradients of its scalarization,
// its JVP along vs and vᵀHv eagerly in float32 and in float64 at the
// float32-rounded point, and compares them at tol32, unless the float64
// results move by more than tol32/100 when the inputs move by about one
// float32 ulp (then the point is too ill-conditioned for float32).
func (k *checker) float32Check(vs []ad.Value) {
	c := k.c
	eval := func(xs, vs []ad.Value, dt tensor.DType) [][]float64 {
		s := c.weighted(dt)
		y := flatOf(c.prog.run(xs))
		g := concatFlat(ad.Grads(s, xs...))
		_, t := ad.JVP(c.prog.run, xs, vs)
		return [][]float64{y, g, flatOf(t), flatOf(vhvAt(s, xs, vs))}
	}
	xs32, vs32 := asDType(c.inputs(), tensor.Float32), asDType(vs, tensor.Float32)
	xs64, vs64 := asDType(xs32, tensor.Float64), asDType(vs32, tensor.Float64)
	got, want := eval(xs32, vs32, tensor.Float32), eval(xs64, vs64, tensor.Float64)
	names := []string{"value", "gradients", "JVP", "vᵀHv"}
	var fails []string
	for i := range got {
		if d := mismatch(got[i], want[i], tol32, math.Max(scaleFloor, maxAbs(want[i]))); d != "" && isFinite(want[i]) {
			fails = append(fails, fmt.Sprintf("%s: %s", names[i], d))
		}
	}
	if len(fails) == 0 {
		return
	}
	// the inputs moved by 2⁻²⁴ relative, about one float32 ulp
	moved := make([]ad.Value, len(xs64))
	for i, x := range xs64 {
		moved[i] = ad.Mul(x, ad.Add(ad.Scalar(1), ad.Mul(ad.Scalar(0x1p-24), ad.Sin(ad.Mul(x, ad.Scalar(1e3))))))
	}
	near := eval(moved, vs64, tensor.Float64)
	for i := range near {
		if mismatch(near[i], want[i], tol32/100, math.Max(scaleFloor, maxAbs(want[i]))) != "" {
			return
		}
	}
	for _, f := range fails {
		k.expect("float32 vs float64 (eager)", f)
	}
}

// weighted returns the program's scalarization Σ w·f(xs), in dtype dt,
// as a function of its inputs.
func (c *diffCase) weighted(dt tensor.DType) func(zs []ad.Value) ad.Value {
	return func(zs []ad.Value) ad.Value {
		y := c.prog.run(zs)
		return ad.Sum(ad.Mul(y, ad.From(newOf(dt, c.w, y.Shape()...))), false)
	}
}

// vhvAt returns vᵀHv for the Hessian H of s at zs and the direction vs
// (one value per input): the JVP along vs of <∇s, vs>.
func vhvAt(s func([]ad.Value) ad.Value, zs, vs []ad.Value) ad.Value {
	_, vhv := ad.JVP(func(us []ad.Value) ad.Value {
		acc := ad.Scalar(0)
		for i, g := range ad.Grads(s, us...) {
			acc = ad.Add(acc, ad.Sum(ad.Mul(g, vs[i]), false))
		}
		return acc
	}, zs, vs)
	return vhv
}

// isFinite reports whether every element of vs is finite.
func isFinite(vs []float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// newOf returns a tensor of dtype dt holding a copy of data (rounded to
// float32 for Float32) in the given shape.
func newOf(dt tensor.DType, data []float64, shape ...int) *tensor.Tensor {
	if dt == tensor.Float32 {
		d := make([]float32, len(data))
		for i, v := range data {
			d[i] = float32(v)
		}
		return tensor.New32(d, shape...)
	}
	return tensor.New(slices.Clone(data), shape...)
}

// asDType returns the values vs converted to dtype dt.
func asDType(vs []ad.Value, dt tensor.DType) []ad.Value {
	out := make([]ad.Value, len(vs))
	for i, v := range vs {
		out[i] = ad.AsType(v, dt)
	}
	return out
}

// compileCheck records, with ad.Compile, the program's value, its
// scalarization's gradients and vᵀHv for the directions vs, all in dtype
// dt, and replays the recording at the case's point and at a nearby one,
// against direct evaluation there. The programs have no control flow on
// values, so one recording is valid everywhere.
//
// In float32 the replay must give eager evaluation's numbers exactly (a
// NaN or ±Inf where eager evaluation has the same; 0 for -0): it runs
// the same float32 kernels, in the same order, on the same operands
// (fused groups included: see TestCompileFloat32UnaryScalar). The generator keeps
// values finite in float64 only, so float32 may overflow; what is checked
// is agreement, not accuracy.
func (k *checker) compileCheck(vs []ad.Value, dt tensor.DType) {
	c := k.c
	vs = asDType(vs, dt)
	s := c.weighted(dt)
	all := func(zs []ad.Value) []ad.Value {
		outs := append([]ad.Value{c.prog.run(zs)}, ad.Grads(s, zs...)...)
		return append(outs, vhvAt(s, zs, vs))
	}
	xs := asDType(c.inputs(), dt)
	p := ad.Compile(all, xs...)
	k.stats.compiled++
	if p.Fused() {
		k.stats.fused++
		if k.stats.fusedOps != nil {
			for _, in := range p.View().Instrs {
				if in.Group >= 0 {
					k.stats.fusedOps[in.Op]++
				}
			}
		}
	}
	k.stats.aliased += p.Aliased()
	near := make([]ad.Value, len(xs))
	for i, x := range xs {
		near[i] = ad.Add(x, ad.Mul(ad.Scalar(1e-3), vs[i]))
	}
	for _, at := range []struct {
		name string
		xs   []ad.Value
	}{{"at x", xs}, {"near x", near}} {
		got := p.Run(at.xs...)
		want := all(at.xs)
		name := "Compile " + at.name
		if dt == tensor.Float32 {
			name = "Compile (float32) " + at.name
		}
		if len(got) != len(want) {
			k.expect(name, fmt.Sprintf("%d outputs, want %d", len(got), len(want)))
			continue
		}
		for i := range got {
			if !k.sameShapes(fmt.Sprintf("%s output %d shape", name, i), got[i], want[i].Shape()) {
				continue
			}
			check := fmt.Sprintf("%s output %d (of value, gradients, vᵀHv)", name, i)
			if got[i].DType() != dt || want[i].DType() != dt {
				k.expect(check, fmt.Sprintf("dtype %v, eager %v, want %v", got[i].DType(), want[i].DType(), dt))
			} else if dt == tensor.Float32 {
				k.expect(check, exactMismatch(got[i].Tensor().Data32(), want[i].Tensor().Data32()))
			} else {
				k.sameAD(check, flatOf(got[i]), flatOf(want[i]), tolExact)
			}
		}
	}
}

// exactMismatch describes the first element of got that is not exactly
// want's, or returns "". A NaN matches a NaN, and 0 matches -0: the sign
// of a zero derivative is not part of the contract (the float64 checks
// compare differences).
func exactMismatch(got, want []float32) string {
	for i := range got {
		g, w := got[i], want[i]
		if g != w && !(g != g && w != w) {
			return fmt.Sprintf("at flat index %d: got %v, want %v (float32, exactly)", i, g, w)
		}
	}
	return ""
}

// fdCheck compares the m×n Jacobian J of fn at x, column by column, with
// central differences. When a column disagrees it looks closer before
// reporting:
//
//   - a step of 10h that agrees means a rounding artefact of the first step;
//   - a kink at x (a tie of Max, say) shows as forward and backward
//     differences that differ by a gap that does not shrink with h (for a
//     smooth function it shrinks like h times the second derivative), and
//     a jump as central differences that grow like 1/h: such columns are
//     skipped;
//   - otherwise the column is reported unless another of fdSteps agrees.
func (k *checker) fdCheck(check string, J []float64, m int, x []float64, fn func([]float64) []float64) {
	n := len(x)
	scale := math.Max(1, maxAbs(J))
	f0 := fn(slices.Clone(x))
	col := make([]float64, m)
	// differences returns the central differences of column j with step h
	// and the gaps between the forward and backward ones.
	differences := func(j int, h float64) (central, gap []float64) {
		xp, xm := slices.Clone(x), slices.Clone(x)
		xp[j] += h
		xm[j] -= h
		fp, fm := fn(xp), fn(xm)
		central, gap = make([]float64, m), make([]float64, m)
		for i := range central {
			central[i] = (fp[i] - fm[i]) / (2 * h)
			gap[i] = (fp[i]-f0[i])/h - (f0[i]-fm[i])/h
		}
		return central, gap
	}
	var probs []string
	for j := 0; j < n; j++ {
		k.stats.fdColumns++
		for i := range col {
			col[i] = J[i*n+j]
		}
		fd, gap := differences(j, fdSteps[0])
		first := mismatch(col, fd, tolFD, scale)
		if first == "" {
			continue
		}
		fd10, gap10 := differences(j, 10*fdSteps[0])
		if mismatch(col, fd10, tolFD, scale) == "" {
			continue
		}
		smooth := mismatch(fd, fd10, 1e3*tolFD, scale) == ""
		for i := range gap {
			if math.Abs(gap[i]) > tolFD*scale && math.Abs(gap[i]) > 0.5*math.Abs(gap10[i]) {
				smooth = false
			}
		}
		if !smooth {
			k.stats.fdKinks++
			continue
		}
		for _, h := range fdSteps[1:] {
			if other, _ := differences(j, h); mismatch(col, other, tolFD, scale) == "" {
				first = "" // a truncation or rounding artefact of the first step
				break
			}
		}
		if first != "" {
			probs = append(probs, fmt.Sprintf("input %d: %s", j, first))
		}
	}
	if len(probs) > 0 && !differentiableAt(fn, x, f0, scale) {
		k.stats.fdKinks += len(probs)
		return
	}
	for _, p := range probs {
		k.expect(check, p)
	}
}

// differentiableAt reports whether fn, with value f0 at x, looks
// differentiable there: its directional derivative, by central differences,
// must be additive in the direction (d(u)+d(v) = d(u+v)) and its forward and
// backward differences must approach each other as the step shrinks. A
// point where fn is smooth along every axis but not differentiable — a max
// of mins with every element tied, say — fails the first test.
func differentiableAt(fn func([]float64) []float64, x, f0 []float64, scale float64) bool {
	rng := rand.New(rand.NewPCG(3, 4))
	n := len(x)
	u, v, uv := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range u {
		u[i], v[i] = 2*rng.Float64()-1, 2*rng.Float64()-1
		uv[i] = u[i] + v[i]
	}
	along := func(d []float64, h float64) (central, gap []float64) {
		xp, xm := slices.Clone(x), slices.Clone(x)
		for i := range d {
			xp[i] += h * d[i]
			xm[i] -= h * d[i]
		}
		fp, fm := fn(xp), fn(xm)
		central, gap = make([]float64, len(f0)), make([]float64, len(f0))
		for i := range central {
			central[i] = (fp[i] - fm[i]) / (2 * h)
			gap[i] = (fp[i]-f0[i])/h - (f0[i]-fm[i])/h
		}
		return central, gap
	}
	tol := tolFD * scale * float64(n)
	du, gu := along(u, fdStep)
	dv, gv := along(v, fdStep)
	duv, _ := along(uv, fdStep)
	_, gu10 := along(u, 10*fdStep)
	_, gv10 := along(v, 10*fdStep)
	for i := range du {
		if math.Abs(du[i]+dv[i]-duv[i]) > tol {
			return false
		}
		if math.Abs(gu[i]) > tol && math.Abs(gu[i]) > 0.5*math.Abs(gu10[i]) ||
			math.Abs(gv[i]) > tol && math.Abs(gv[i]) > 0.5*math.Abs(gv10[i]) {
			return false
		}
	}
	return true
}

// concatFlat returns the elements of vs one after another.
func concatFlat(vs []ad.Value) []float64 {
	var f []float64
	for _, v := range vs {
		f = append(f, flatOf(v)...)
	}
	return f
}

// vecMat returns uᵀA for the m×n row-major matrix A.
func vecMat(u, a []float64, m, n int) []float64 {
	out := make([]float64, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			out[j] += u[i] * a[i*n+j]
		}
	}
	return out
}

// matVec returns A·v for the m×n row-major matrix A.
func matVec(a, v []float64, m, n int) []float64 {
	out := make([]float64, m)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			out[i] += a[i*n+j] * v[j]
		}
	}
	return out
}

// transposeSq returns the transpose of the n×n row-major matrix A.
func transposeSq(a []float64, n int) []float64 {
	t := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			t[j*n+i] = a[i*n+j]
		}
	}
	return t
}

// ---------------------------------------------------------------------------
// Minimizing failures

// compact returns c without the instructions and inputs the output does not
// depend on, registers renumbered (input 0 is kept if no input is used).
func compact(c *diffCase) *diffCase {
	p := &c.prog
	ni := len(p.inputs)
	live := make([]bool, ni+len(p.code))
	live[p.out] = true
	for r := len(live) - 1; r >= ni; r-- {
		if live[r] {
			for _, a := range p.code[r-ni].args {
				live[a] = true
			}
		}
	}
	if !slices.Contains(live[:ni], true) {
		live[0] = true
	}
	renum := make([]int, len(live))
	out := &diffCase{w: slices.Clone(c.w)}
	for r := range live {
		if !live[r] {
			continue
		}
		renum[r] = len(out.prog.inputs) + len(out.prog.code)
		if r < ni {
			out.prog.inputs = append(out.prog.inputs, p.inputs[r])
			out.x = append(out.x, c.x[r])
			continue
		}
		in := p.code[r-ni]
		in.args = slices.Clone(in.args)
		for i, a := range in.args {
			in.args[i] = renum[a]
		}
		out.prog.code = append(out.prog.code, in)
	}
	out.prog.out = renum[p.out]
	return out
}

// clone returns a deep enough copy of c to edit its instructions' args,
// inputs and weights.
func (c *diffCase) clone() *diffCase {
	d := &diffCase{prog: diffProgram{inputs: slices.Clone(c.prog.inputs), out: c.prog.out}, w: slices.Clone(c.w)}
	for _, x := range c.x {
		d.x = append(d.x, slices.Clone(x))
	}
	for _, in := range c.prog.code {
		in.args = slices.Clone(in.args)
		in.data = slices.Clone(in.data)
		d.prog.code = append(d.prog.code, in)
	}
	return d
}

// minimizeCase shrinks c while fails still holds: it moves the output to an
// earlier register, bypasses instructions whose result has the shape of an
// argument, drops dead code, and rounds inputs, constants and weights.
func minimizeCase(c *diffCase, fails func(*diffCase) bool) *diffCase {
	try := func(d *diffCase) bool {
		d = compact(d)
		if len(d.prog.code) > len(c.prog.code) || !fails(d) {
			return false
		}
		c = d
		return true
	}
	try(c) // dead code (which runs, and may be what fails)
	for changed := true; changed; {
		changed = false
		shapes := registerShapes(c)
		ni := len(c.prog.inputs)
		for r := 0; r < c.prog.out && !changed; r++ { // an earlier output
			d := c.clone()
			d.prog.out = r
			d.w = onesLike(shapes[r])
			changed = try(d)
		}
		for i := len(c.prog.code) - 1; i >= 0 && !changed; i-- { // bypass instruction i
			for _, a := range c.prog.code[i].args {
				if !slices.Equal(shapes[a], shapes[ni+i]) || changed {
					continue
				}
				d := c.clone()
				for j := i + 1; j < len(d.prog.code); j++ {
					for q, b := range d.prog.code[j].args {
						if b == ni+i {
							d.prog.code[j].args[q] = a
						}
					}
				}
				if d.prog.out == ni+i {
					d.prog.out = a
				}
				changed = try(d)
			}
		}
	}
	for _, digits := range []float64{1, 10, 100, 1000} { // simpler numbers
		d := c.clone()
		round := func(v float64) float64 { return math.Round(v*digits)/digits + 0 } // -0 → +0
		for _, x := range d.x {
			for i := range x {
				x[i] = round(x[i])
			}
		}
		for _, in := range d.prog.code {
			if in.op != "const" { // xent's class weights stay positive
				continue
			}
			for i := range in.data {
				in.data[i] = round(in.data[i])
			}
		}
		if distinctValues(d) == distinctValues(c) && try(d) {
			break
		}
	}
	d := c.clone() // unit weights
	for i := range d.w {
		d.w[i] = 1
	}
	try(d)
	return c
}

// distinctValues counts the distinct non-zero numbers among c's inputs and
// constants. Rounding that lowers it makes new ties or zeros, new kinks
// where the minimized case could fail for another reason.
func distinctValues(c *diffCase) int {
	seen := map[float64]bool{}
	for _, x := range c.x {
		for _, v := range x {
			seen[v] = v != 0
		}
	}
	for _, in := range c.prog.code {
		for _, v := range in.data {
			seen[v] = v != 0
		}
	}
	n := 0
	for _, nonzero := range seen {
		if nonzero {
			n++
		}
	}
	return n
}

// registerShapes returns the shape of every register of c.
func registerShapes(c *diffCase) [][]int {
	var s [][]int
	for _, v := range c.prog.registers(c.inputs()) {
		s = append(s, slices.Clone(v.Shape()))
	}
	return s
}

// onesLike returns a weight of 1 for every element of shape s.
func onesLike(s []int) []float64 {
	w := make([]float64, tensor.Size(s))
	for i := range w {
		w[i] = 1
	}
	return w
}

// sameFailure returns a predicate for minimizeCase: a case fails the same
// way as one with problems probs if it has a problem from one of their
// checks.
func sameFailure(probs []problem) func(*diffCase) bool {
	checks := map[string]bool{}
	for _, p := range probs {
		checks[p.check] = true
	}
	return func(d *diffCase) bool {
		for _, p := range checkCase(d, nil) {
			if checks[p.check] {
				return true
			}
		}
		return false
	}
}

// report formats a failing case: its problems, the case, and the minimized
// case readably and as Go.
func report(c *diffCase, probs []problem) string {
	var b strings.Builder
	for _, p := range probs {
		fmt.Fprintf(&b, "%s\n", p)
	}
	fmt.Fprintf(&b, "program:\n%s\n", c)
	mc := minimizeCase(c, sameFailure(probs))
	fmt.Fprintf(&b, "minimized:\n%s\n", mc)
	for _, p := range checkCase(mc, nil) {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	fmt.Fprintf(&b, "as Go:\n%s\n", mc.goString())
	return b.String()
}

// ---------------------------------------------------------------------------
// Tests

// Flags of TestDifferentialGraphs and TestDifferentialGraphsFused, to
// explore beyond the fixed slice:
//
//	go test ./ad/ -run 'DifferentialGraphs$' -args -difffrom=3000 -diffcount=20000 -diffall
var (
	diffFrom  = flag.Int("difffrom", 0, "TestDifferentialGraphs(Fused): the first seed")
	diffCount = flag.Int("diffcount", 0, "TestDifferentialGraphs(Fused): the number of seeds (0: the default)")
	diffAll   = flag.Bool("diffall", false, "TestDifferentialGraphs(Fused): run every check on every seed")
)

// TestDifferentialGraphs generates a fixed slice of random graphs and runs
// every differential check on each (a few hundred with -short), the
// float32 checks on every eighth only, and Vmap on another eighth.
func TestDifferentialGraphs(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	if *diffCount > 0 {
		n = *diffCount
	}
	// The engine allocates per transformation; collecting less often
	// halves the run time of these many small transformations.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	stats := &diffStats{opCount: map[string]int{}}
	start := time.Now()
	failures := 0
	for seed := *diffFrom; seed < *diffFrom+n && failures < 5; seed++ {
		c := generateCase(newSeedChooser(uint64(seed)))
		stats.cases++
		stats.ops += len(c.prog.code)
		for _, in := range c.prog.code {
			stats.opCount[in.op]++
		}
		if probs := checkCaseWith(c, stats, diffChecks{compile32: *diffAll || seed%8 == 0, eager32: *diffAll || seed%8 == 0, vmap: *diffAll || seed%8 == 4}); len(probs) > 0 {
			failures++
			t.Errorf("seed %d:\n%s", seed, report(c, probs))
		}
	}
	t.Logf("%d graphs (%d instructions) in %v; %d finite-difference columns, %d skipped at kinks",
		stats.cases, stats.ops, time.Since(start).Round(time.Millisecond), stats.fdColumns, stats.fdKinks)
	t.Logf("ops: %s", countList(stats.opCount))
}

// countList formats counts as "name:count …", sorted by name.
func countList(counts map[string]int) string {
	var s []string
	for name, k := range counts {
		s = append(s, fmt.Sprintf("%s:%d", name, k))
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

// diffRegressions are minimized cases the differential checks once failed
// on, named for the bug. skip, if set, describes a bug not yet fixed in ad;
// the case is then skipped rather than run.
var diffRegressions = []struct {
	name, bug, skip string
	c               *diffCase
}{
	{
		name: "ConcatOfFiveForward",
		bug: "trace.processJVP held argument tangents in a [4]Value array: any " +
			"primitive with more than 4 arguments (concat, hence Stack, a reverse " +
			"Jacobian's rows, Custom's per-direction results) panicked under forward " +
			"mode with \"slice bounds out of range [::5] with length 4\"",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{2}},
				code:   []diffInstr{{op: "concat", args: []int{0, 0, 0, 0, 0}}},
				out:    1,
			},
			x: [][]float64{{0.5, -1.5}},
			w: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		},
	},
	{
		name: "ReverseJacobianInsideForward",
		bug: "the same [4]Value bound, reached by Jacobian(Auto) choosing reverse " +
			"mode inside JacFwd and stacking its 9 rows",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{3, 1}},
				code: []diffInstr{
					{op: "mt", args: []int{0}},
					{op: "innerjac", args: []int{1, 0}, axis: 2},
				},
				out: 2,
			},
			x: [][]float64{{0, 0, -2}},
			w: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
		},
	},
	{
		name: "SumToFewerAxesBatched",
		bug: "the batched forward rule of SumTo prefixed the batch dimension to a " +
			"target of lower rank: summing (3,3) to (1) under JVPBatch panicked " +
			"with \"cannot sum (9,3,3) down to (9,1)\"",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{3, 3}},
				code:   []diffInstr{{op: "sumto", args: []int{0}, axes: []int{1}}},
				out:    1,
			},
			x: [][]float64{{-1, -1, -1, -2, 1, -2, -1, 1, -1}},
			w: []float64{1},
		},
	},
	{
		name: "InnerVJPOfBroadcastScalar",
		bug: "a reverse sweep inside the differentiated function, pulling a (1) " +
			"cotangent back to a scalar, hit the same SumTo bug under JVPBatch " +
			"(\"cannot sum (3,1) down to (3)\")",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{}},
				code: []diffInstr{
					{op: "const", axes: []int{}, data: []float64{1}},
					{op: "broadcast", args: []int{0}, axes: []int{1}},
					{op: "innervjp", args: []int{1, 2}},
				},
				out: 3,
			},
			x: [][]float64{{1}},
			w: []float64{1},
		},
	},
	{
		name: "HessianOfInnerJacFwd",
		bug: "the same SumTo rule, silently wrong where the shapes happened to " +
			"fit: ad.Hessian (forward over reverse) of s(x) = Σ JacFwd(y ↦ sin(y·b), x) " +
			"with b = logsoftmax(x) was asymmetric, [10.73 -27.06; -27.60 71.77] at " +
			"x = (1, -2), where rev-over-rev, fwd-over-fwd and differences of Grad " +
			"agree on [10.06 -26.39; -26.39 70.56]",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{1, 2}},
				code: []diffInstr{
					{op: "logsoftmax", args: []int{0}, axis: -1},
					{op: "innerjac", args: []int{0, 1}, axis: 1},
				},
				out: 2,
			},
			x: [][]float64{{1, -2}},
			w: []float64{1, 1},
		},
	},
	{
		name: "FwdOverRevViewRecycledTwice",
		bug: "recycling: in JacFwd of Grad, the inner sweep released a dual's storage " +
			"(releaseDual, when its last slot died) through one header, and the JVP's " +
			"final recycleDuals handed the same array back again through a view of it " +
			"in another dual, although it held another value by then: two later " +
			"allocations shared it and the next Hessian (fwd-over-fwd) was wrong, " +
			"H[25] = -0.437 for 0 (seen once arrays of 256 elements were cached)",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{3, 2, 2}, {3, 2, 2}},
				code: []diffInstr{
					{op: "const", axes: []int{1, 3, 2, 2}, data: []float64{-0.0014400812330430668, 0.9027314471971097, 0.22697690454108566, -1.71092071760678, 0.8724313502041716, 1.6802926123972193, 0.2896033374339342, 1.74266300081828, -0.3213607666025813, 1.3727457142945676, -1.1540131868972834, -0.3958492025168874}},
					{op: "div", args: []int{2, 1}},
					{op: "matmul", args: []int{3, 2}},
					{op: "reshape", args: []int{0}, axes: []int{6, 2}},
					{op: "acos", args: []int{4}, c: 0.8796944237351594},
					{op: "erf", args: []int{4}},
					{op: "powc", args: []int{0}, c: -1},
					{op: "takealong", args: []int{8}, axis: 1, idx: []int{1, -2, -1, -2, 1, 1}},
					{op: "relu", args: []int{9}},
				},
				out: 10,
			},
			x: [][]float64{
				{-0.3897497063182729, -1.1153827554126194, -1.865615506146658, 1.3419113726118206, 1.9312459538741344, 1.9918665682249745, 0.42039984294118904, 1.1375198455892508, -1.9512313025827237, 1.455688281480993, -1.0659183660518923, -1.6734411500901722},
				{1.4306315740628008, -1.0379853939161388, 0.5535192091344241, -0.2161782588012886, 1.797455478450308, -1.8607269000724873, -0.4202251883730206, 1.4693119716789584, -1.4309405533332153, -1.9399187947343766, 0.463977480781113, -0.7574753719350018},
			},
			w: []float64{0.6498915309808926, -0.35848897737939067, -0.4693633231073624, -0.6860292593653685, 0.3197840018658824, -0.6597852169434726},
		},
	},
	{
		name: "LayerNormFwdOverFwd",
		bug: "layer_norm_grad's forward rule in x aligned the tangent's batch axes " +
			"with the extra leading axes of v (a tangent batch of the inner JVP) " +
			"instead of putting them in front: fwd-over-fwd of LayerNorm with γ " +
			"gave a wrong Hessian when both batches had the same size (H[5] = " +
			"0.872 for -1.543) and panicked otherwise",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{3}},
				code: []diffInstr{
					{op: "const", axes: []int{3}, data: []float64{-0.1, -0.4, -1.1}},
					{op: "layernorm", args: []int{0, 1}, c: 0.1, axis: 1, lo: 1},
				},
				out: 2,
			},
			x: [][]float64{{1.1, 1.6, 0.9}},
			w: []float64{1, 1, 1},
		},
	},
	{
		name: "LayerNormFwdOverFwdPanic",
		bug: "the same rule, batches of different sizes: \"sum_to: cannot sum " +
			"(2,2) down to (2,2,1)\" under JVPBatch of a LayerNorm's JVPBatch",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{2}},
				code: []diffInstr{
					{op: "layernorm", args: []int{0}, c: 0.001, axis: 1},
					{op: "sumto", args: []int{1}, axes: []int{}},
				},
				out: 2,
			},
			x: [][]float64{{-2, -1}},
			w: []float64{1},
		},
	},
	{
		name: "LayerNormVmapOfJVPBatch",
		bug: "layer_norm_grad's batching rule, x mapped by Vmap and v carrying " +
			"JVPBatch's directions as extra leading axes, paired v's rows with the " +
			"wrong rows of x: Vmap of JVPBatch of LayerNorm had the wrong shape, or " +
			"silently wrong numbers where the shapes happened to fit (Vmap of JacFwd panicked)",
		c: &diffCase{
			prog: diffProgram{
				inputs: [][]int{{2, 3}},
				code:   []diffInstr{{op: "layernorm", args: []int{0}, c: 0.1, axis: 1}},
				out:    1,
			},
			x: [][]float64{{1.2, -1.3, 0.7, -1.7, 1.1, -0.3}},
			w: []float64{1, 1, 1, 1, 1, 1},
		},
	},
}

// TestDifferentialGraphsFused runs the differential graphs with fusion
// forced on every size, in blocks of 3 elements, so that Compile's fused
// groups (and their block edges) replay every generated program, every
// other one in float32 too.
func TestDifferentialGraphsFused(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 150
	}
	if *diffCount > 0 {
		n = *diffCount
	}
	defer ad.SetFusion(1, 3)()
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	stats := &diffStats{opCount: map[string]int{}, fusedOps: map[string]int{}}
	failures := 0
	for seed := *diffFrom; seed < *diffFrom+n && failures < 5; seed++ {
		c := generateCase(newSeedChooser(uint64(seed)))
		if probs := checkCaseWith(c, stats, diffChecks{compile32: *diffAll || seed%2 == 0, eager32: *diffAll, vmap: *diffAll}); len(probs) > 0 {
			failures++
			t.Errorf("seed %d:\n%s", seed, report(c, probs))
		}
	}
	t.Logf("%d programs compiled, %d with fused groups, %d fused results written in place",
		stats.compiled, stats.fused, stats.aliased)
	t.Logf("ops in fused groups: %s", countList(stats.fusedOps))
}

// TestDifferentialRegressions runs every check on the cases of
// diffRegressions.
func TestDifferentialRegressions(t *testing.T) {
	for _, r := range diffRegressions {
		t.Run(r.name, func(t *testing.T) {
			if r.skip != "" {
				t.Skip("bug: " + r.skip)
			}
			for _, p := range checkCase(r.c, nil) {
				t.Errorf("%s\n(was: %s)\n%s", p, r.bug, r.c)
			}
		})
	}
}

// diffSeed selects the graph TestDifferentialSeed checks.
var diffSeed = flag.Int("diffseed", -1, "TestDifferentialSeed: the fixed-slice graph to check and print")

// TestDifferentialSeed checks one graph of the fixed slice, chosen with
// -diffseed, and prints it, its problems and its minimized form:
//
//	go test ./ad/ -run DifferentialSeed -diffseed 18 -v
func TestDifferentialSeed(t *testing.T) {
	if *diffSeed < 0 {
		t.Skip("no -diffseed given")
	}
	c := generateCase(newSeedChooser(uint64(*diffSeed)))
	t.Logf("graph %d:\n%s", *diffSeed, c)
	if probs := checkCase(c, nil); len(probs) > 0 {
		t.Errorf("\n%s", report(c, probs))
	}
}

// FuzzDifferential runs the differential checks on graphs generated from
// fuzz bytes, half of them with fusion forced on every size.
func FuzzDifferential(f *testing.F) {
	for _, seed := range [][]byte{
		nil,
		[]byte("chainrule"),
		bytes.Repeat([]byte{7, 200, 31, 90}, 16),
		{2, 3, 3, 1, 0, 1, 2, 60, 1, 80, 2, 5, 40, 9, 200, 17, 3, 99, 128, 1},
	} {
		f.Add(seed)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Half the inputs, chosen by their hash, compile with fusion forced
		// on every size, in blocks of 1–4 elements (as
		// TestDifferentialGraphsFused does with 3), so that fused groups of
		// the generated ops and their block edges are replayed too.
		h := fnv.New32a()
		h.Write(data)
		fused := ""
		if k := h.Sum32(); k%2 == 0 {
			blk := 1 + int(k/2%4)
			defer ad.SetFusion(1, blk)()
			fused = fmt.Sprintf(" (fusion forced: every size, blocks of %d)", blk)
		}
		c := generateCase(newByteChooser(data))
		if probs := checkCase(c, nil); len(probs) > 0 {
			t.Fatalf("%s\n%s", fused, report(c, probs))
		}
	})
}
