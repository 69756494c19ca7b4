package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// TB is the part of testing.TB the checks use, so that a *testing.T, a
// *testing.B or a Recorder can run them.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

const (
	// DefaultTol is the relative tolerance of comparisons with central
	// finite differences when a check is given tol = 0.
	DefaultTol = 1e-6
	// ExactTol is the relative tolerance of comparisons between two ways
	// ad computes the same quantity (identities that hold up to rounding).
	ExactTol = 1e-10
	// MaxJacobian is the largest input and output size (in elements) for
	// which the checks also compare whole Jacobians.
	MaxJacobian = 32
)

// Check is one named check of an op at a point.
type Check struct {
	// Name is the check's subtest name.
	Name string
	// Fn runs the check with relative tolerance tol (0 for the default),
	// reporting failures to tb, and reports whether it passed.
	Fn func(tb TB, op Op, args []*tensor.Tensor, tol float64) bool
}

// Checks are the checks Run applies at every random point, in order.
var Checks = []Check{
	{"reverse", CheckVJP},
	{"forward", CheckJVP},
	{"batched", CheckBatchedJVP},
	{"batched-reverse", CheckBatchedVJP},
	{"vmap", CheckVmap},
	{"second", CheckSecondOrder},
	{"float32", CheckFloat32},
}

// checker carries what every check needs and formats its failures.
type checker struct {
	tb    TB
	op    Op
	what  string
	args  []*tensor.Tensor
	tol   float64 // against finite differences
	exact float64 // between ad's own computations
	rng   *rand.Rand
	ok    bool
}

func newChecker(tb TB, op Op, what string, args []*tensor.Tensor, tol float64) *checker {
	if tol == 0 {
		tol = DefaultTol
	}
	label := what + "@" + ShapesName(shapesOf(args))
	return &checker{
		tb: tb, op: op, what: what, args: args,
		tol:   max(tol, op.Tol),
		exact: max(ExactTol, op.Tol),
		rng:   rand.New(rand.NewPCG(seedFor(op.Name, label), 0x2545f4914f6cdd1d)),
		ok:    true,
	}
}

func (c *checker) errorf(format string, a ...any) {
	c.tb.Helper()
	c.ok = false
	c.tb.Errorf("%s: %s at %s: %s", c.op.Name, c.what, argString(c.args), fmt.Sprintf(format, a...))
}

// catch turns a panic of the op or of ad into a failure. It must be deferred
// directly.
func (c *checker) catch() {
	if r := recover(); r != nil {
		c.tb.Helper()
		c.errorf("panic: %v\n%s", r, panicSite(debug.Stack()))
	}
}

// panicSite returns the innermost frames of a panicking goroutine's stack.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			lines = lines[i+2:]
			break
		}
	}
	return strings.Join(lines[:min(len(lines), 16)], "\n")
}

func argString(ts []*tensor.Tensor) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		vs := t.Float64s()
		es := make([]string, len(vs))
		for j, v := range vs {
			es[j] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		parts[i] = fmt.Sprintf("x%d%s[%s]", i, tensor.ShapeString(t.Shape()), strings.Join(es, " "))
	}
	return strings.Join(parts, " ")
}

// near reports whether a and b agree to relative tolerance tol (absolute
// below 1); NaN matches only NaN and an infinity only itself.
func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= tol*(1+max(math.Abs(a), math.Abs(b)))
}

// nearAll compares got with want elementwise and reports the first mismatch.
func (c *checker) nearAll(label string, got, want []float64, tol float64) bool {
	c.tb.Helper()
	if len(got) != len(want) {
		c.errorf("%s: %d values, want %d", label, len(got), len(want))
		return false
	}
	bad, first := 0, -1
	for i := range got {
		if !near(got[i], want[i], tol) {
			if bad == 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		c.errorf("%s: %d of %d elements differ; element %d is %.17g, want %.17g (tol %g)",
			label, bad, len(got), first, got[first], want[first], tol)
		return false
	}
	return true
}

// nearOne compares two numbers.
func (c *checker) nearOne(label string, got, want, tol float64) bool {
	c.tb.Helper()
	if !near(got, want, tol) {
		c.errorf("%s: %.17g, want %.17g (diff %.3g, tol %g)", label, got, want, math.Abs(got-want), tol)
		return false
	}
	return true
}

func (c *checker) fn() func([]ad.Value) ad.Value {
	return func(xs []ad.Value) ad.Value { return c.op.Fn(xs...) }
}

func (c *checker) call(ts []*tensor.Tensor) *tensor.Tensor {
	return c.op.Fn(values(ts)...).Tensor()
}

func values(ts []*tensor.Tensor) []ad.Value {
	vs := make([]ad.Value, len(ts))
	for i, t := range ts {
		vs[i] = ad.From(t)
	}
	return vs
}

// randn returns standard normal samples of the given dtype and shape.
func (c *checker) randn(d tensor.DType, shape []int) *tensor.Tensor {
	t := d.Zeros(shape...)
	for i := range t.Size() {
		t.SetFlat(i, c.rng.NormFloat64())
	}
	return t
}

// directions returns one random tangent per argument.
func (c *checker) directions() []*tensor.Tensor {
	vs := make([]*tensor.Tensor, len(c.args))
	for i, a := range c.args {
		vs[i] = c.randn(a.DType(), a.Shape())
	}
	return vs
}

// step is the finite-difference step: 1e-6 scaled by the largest argument.
func (c *checker) step() float64 {
	if c.op.Step != 0 {
		return c.op.Step
	}
	m := 1.0
	for _, a := range c.args {
		for _, x := range a.Float64s() {
			m = max(m, math.Abs(x))
		}
	}
	return 1e-6 * m
}

// shift returns args + h·v.
func shift(args []*tensor.Tensor, h float64, v []*tensor.Tensor) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(args))
	for i, a := range args {
		s := a.Clone()
		for j := range s.Size() {
			s.SetFlat(j, a.AtFlat(j)+h*v[i].AtFlat(j))
		}
		out[i] = s
	}
	return out
}

// fdDir returns the directional derivative J·v of the op at c.args by
// central differences.
func (c *checker) fdDir(v []*tensor.Tensor) []float64 {
	h := c.step()
	yp := c.call(shift(c.args, h, v)).Float64s()
	ym := c.call(shift(c.args, -h, v)).Float64s()
	d := make([]float64, len(yp))
	for k := range d {
		d[k] = (yp[k] - ym[k]) / (2 * h)
	}
	return d
}

// fdJacobian returns the Jacobian of the op with respect to all argument
// elements (concatenated in order), m×n row-major, by central differences.
func (c *checker) fdJacobian(m, n int) []float64 {
	h := c.step()
	j := make([]float64, m*n)
	col := 0
	for i, a := range c.args {
		for e := range a.Size() {
			v := make([]*tensor.Tensor, len(c.args))
			for k, b := range c.args {
				v[k] = b.DType().Zeros(b.Shape()...)
			}
			v[i].SetFlat(e, 1)
			yp := c.call(shift(c.args, h, v)).Float64s()
			ym := c.call(shift(c.args, -h, v)).Float64s()
			for k := range m {
				j[k*n+col] = (yp[k] - ym[k]) / (2 * h)
			}
			col++
		}
	}
	return j
}

func inner(a, b *tensor.Tensor) float64 {
	s := 0.0
	for i := range a.Size() {
		s += a.AtFlat(i) * b.AtFlat(i)
	}
	return s
}

func innerAll(a, b []*tensor.Tensor) float64 {
	s := 0.0
	for i := range a {
		s += inner(a[i], b[i])
	}
	return s
}

func innerFlat(a *tensor.Tensor, b []float64) float64 {
	s := 0.0
	for i, x := range b {
		s += a.AtFlat(i) * x
	}
	return s
}

func totalSize(ts []*tensor.Tensor) int {
	n := 0
	for _, t := range ts {
		n += t.Size()
	}
	return n
}

// pack concatenates the elements of ts into one float64 vector.
func pack(ts []*tensor.Tensor) *tensor.Tensor {
	var d []float64
	for _, t := range ts {
		d = append(d, t.Float64s()...)
	}
	return tensor.New(d, len(d))
}

// packed returns the op as a function of one vector holding all its
// arguments' elements, for the single-argument APIs (JacFwd, HVP, …).
func (c *checker) packed() func(ad.Value) ad.Value {
	shapes := shapesOf(c.args)
	return func(z ad.Value) ad.Value {
		xs := make([]ad.Value, len(shapes))
		off := 0
		for i, s := range shapes {
			n := tensor.Size(s)
			xs[i] = ad.Reshape(ad.Slice(z, 0, off, off+n), s...)
			off += n
		}
		return c.op.Fn(xs...)
	}
}

// start evaluates the op at c.args, failing if the output is not finite: a
// random point must lie inside the op's domain.
func (c *checker) start() (*tensor.Tensor, bool) {
	c.tb.Helper()
	y := c.call(c.args)
	for _, v := range y.Float64s() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			c.errorf("output %v is not finite at a random point: narrow the op's Domain", y)
			return nil, false
		}
	}
	return y, true
}

func (c *checker) sameTensor(label string, got, want *tensor.Tensor) bool {
	c.tb.Helper()
	if !tensor.Equal(got, want) {
		c.errorf("%s: %v, want %v", label, got, want)
		return false
	}
	return true
}

func (c *checker) zero(label string, ts ...*tensor.Tensor) bool {
	c.tb.Helper()
	for i, t := range ts {
		for _, v := range t.Float64s() {
			if v != 0 {
				c.errorf("%s %d: %v, want exactly zero (constant op)", label, i, t)
				return false
			}
		}
	}
	return true
}

func (c *checker) shapesMatch(label string, got, want []*tensor.Tensor) bool {
	c.tb.Helper()
	if len(got) != len(want) {
		c.errorf("%s: %d results for %d arguments", label, len(got), len(want))
		return false
	}
	for i := range got {
		if !slices.Equal(got[i].Shape(), want[i].Shape()) || got[i].DType() != want[i].DType() {
			c.errorf("%s %d: %s %s for argument %s %s", label, i,
				got[i].DType(), tensor.ShapeString(got[i].Shape()), want[i].DType(), tensor.ShapeString(want[i].Shape()))
			return false
		}
	}
	return true
}

func tensors(vs []ad.Value) []*tensor.Tensor {
	ts := make([]*tensor.Tensor, len(vs))
	for i, v := range vs {
		ts[i] = v.Tensor()
	}
	return ts
}

// CheckVJP checks reverse mode (ad.VJP, ad.Grads, ad.JacRev) for op at args
// against central finite differences with relative tolerance tol (0 for
// DefaultTol), by the dot-product test: for a random cotangent u and a
// random direction v, <VJP(u), v> must equal <u, J·v>, J·v by central
// differences. For at most MaxJacobian elements in and out it also compares
// the whole Jacobian. For a Constant op every cotangent must be exactly 0.
func CheckVJP(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	c := newChecker(tb, op, "reverse", args, tol)
	defer c.catch()
	y0, ok := c.start()
	if !ok {
		return false
	}
	xs := values(args)
	y, pull := ad.VJP(c.fn(), xs...)
	if !c.sameTensor("VJP primal", y.Tensor(), y0) {
		return false
	}
	u := c.randn(y.DType(), y.Shape())
	gs := tensors(pull(ad.From(u)))
	if !c.shapesMatch("VJP cotangent", gs, args) {
		return false
	}
	if op.Constant {
		return c.zero("VJP cotangent", gs...)
	}
	v := c.directions()
	c.nearOne("<VJP(u), v> against <u, J·v> by central differences", innerAll(gs, v), innerFlat(u, c.fdDir(v)), c.tol)

	// Grads of the scalarized function is the same pull-back.
	s := func(xs []ad.Value) ad.Value { return ad.Sum(ad.Mul(c.op.Fn(xs...), ad.From(u)), false) }
	for i, g := range ad.Grads(s, xs...) {
		c.nearAll(fmt.Sprintf("Grads of <u, f> argument %d against VJP(u)", i), g.Tensor().Float64s(), gs[i].Float64s(), c.exact)
	}

	n, m := totalSize(args), y.Size()
	if n <= MaxJacobian && m <= MaxJacobian {
		j := ad.JacRev(c.packed(), ad.From(pack(args)))
		c.nearAll("JacRev against central differences", j.Tensor().Float64s(), c.fdJacobian(m, n), c.tol)
	}
	return c.ok
}

// CheckJVP checks forward mode (ad.JVP, ad.JacFwd, ad.Jacobian) for op at
// args: the JVP in a random direction v against central differences with
// relative tolerance tol (0 for DefaultTol), elementwise; the identity
// <u, JVP(v)> = <VJP(u), v> to ExactTol; and, for at most MaxJacobian
// elements in and out, the whole Jacobian by JacFwd against central
// differences and Jacobian(Auto) against JacFwd, with the mode Auto must
// pick. For a Constant op the tangent must be exactly 0.
func CheckJVP(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	c := newChecker(tb, op, "forward", args, tol)
	defer c.catch()
	y0, ok := c.start()
	if !ok {
		return false
	}
	xs := values(args)
	v := c.directions()
	y, tan := ad.JVP(c.fn(), xs, values(v))
	if !c.sameTensor("JVP primal", y.Tensor(), y0) {
		return false
	}
	if !slices.Equal(tan.Shape(), y.Shape()) || tan.DType() != y.DType() {
		c.errorf("JVP tangent %s %s for output %s %s", tan.DType(), tensor.ShapeString(tan.Shape()), y.DType(), tensor.ShapeString(y.Shape()))
		return false
	}
	if op.Constant {
		return c.zero("JVP tangent", tan.Tensor())
	}
	c.nearAll("JVP(v) against central differences", tan.Tensor().Float64s(), c.fdDir(v), c.tol)

	_, pull := ad.VJP(c.fn(), xs...)
	u := c.randn(y.DType(), y.Shape())
	gs := tensors(pull(ad.From(u)))
	c.nearOne("<u, JVP(v)> against <VJP(u), v>", inner(u, tan.Tensor()), innerAll(gs, v), c.exact)

	n, m := totalSize(args), y.Size()
	if n <= MaxJacobian && m <= MaxJacobian {
		z := ad.From(pack(args))
		jf := ad.JacFwd(c.packed(), z)
		c.nearAll("JacFwd against central differences", jf.Tensor().Float64s(), c.fdJacobian(m, n), c.tol)
		ja, mode := ad.Jacobian(c.packed(), z, ad.Auto)
		want := ad.Reverse
		if n < m {
			want = ad.Forward
		}
		if mode != want {
			c.errorf("Jacobian(Auto) used %v for %d inputs and %d outputs, want %v", mode, n, m, want)
		}
		c.nearAll("Jacobian(Auto) against JacFwd", ja.Tensor().Float64s(), jf.Tensor().Float64s(), c.exact)
	}
	return c.ok
}

// CheckBatchedJVP checks that ad.JVPBatch with k directions (k = 1 and 3)
// gives the same primal and, direction by direction, the same tangents as k
// separate calls of ad.JVP, to relative tolerance tol (0 for ExactTol).
func CheckBatchedJVP(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	if tol == 0 {
		tol = ExactTol
	}
	c := newChecker(tb, op, "batched", args, tol)
	defer c.catch()
	y0, ok := c.start()
	if !ok {
		return false
	}
	xs := values(args)
	for _, k := range []int{1, 3} {
		vs := make([]*tensor.Tensor, len(args))
		for i, a := range args {
			vs[i] = c.randn(a.DType(), append([]int{k}, a.Shape()...))
		}
		y, tans := ad.JVPBatch(c.fn(), xs, values(vs))
		if !c.sameTensor("JVPBatch primal", y.Tensor(), y0) {
			return false
		}
		want := append([]int{k}, y.Shape()...)
		if !slices.Equal(tans.Shape(), want) {
			c.errorf("JVPBatch tangent shape %s, want %s", tensor.ShapeString(tans.Shape()), tensor.ShapeString(want))
			return false
		}
		for d := range k {
			one := make([]ad.Value, len(args))
			for i, a := range args {
				one[i] = ad.From(tensor.Slice(vs[i], 0, d, d+1).Reshape(a.Shape()...))
			}
			_, t := ad.JVP(c.fn(), xs, one)
			c.nearAll(fmt.Sprintf("JVPBatch direction %d of %d against JVP", d, k),
				tensor.Slice(tans.Tensor(), 0, d, d+1).Float64s(), t.Tensor().Float64s(), c.tol)
		}
	}
	return c.ok
}

// CheckSecondOrder checks second derivatives of the scalarized op
// s(x) = <u, f(x)>, u random, at args (all arguments packed into one
// vector x): the Hessian-vector product H·v for a random v by
// forward-over-reverse (ad.HVP) against reverse-over-reverse (the gradient
// of <∇s, v>) to ExactTol and against central differences of ∇s with
// relative tolerance tol (0 for DefaultTol); vᵀHv by forward-over-forward
// (ad.Derivative of an ad.JVP along v) against <v, H·v>; and, for at most
// MaxJacobian elements, ad.Hessian: symmetric, and H·v as before.
func CheckSecondOrder(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	c := newChecker(tb, op, "second order", args, tol)
	defer c.catch()
	y0, ok := c.start()
	if !ok {
		return false
	}
	f := c.packed()
	u := ad.From(c.randn(y0.DType(), y0.Shape()))
	s := func(z ad.Value) ad.Value { return ad.Sum(ad.Mul(f(z), u), false) }
	z := pack(args)
	n := z.Size()
	v := c.randn(tensor.Float64, []int{n})
	zv, vv := ad.From(z), ad.From(v)

	hv := ad.HVP(s, zv, vv).Tensor().Float64s()
	rr := ad.Grad(func(z ad.Value) ad.Value { return ad.Dot(ad.Grad(s, z), vv) }, zv).Tensor().Float64s()
	c.nearAll("H·v by forward-over-reverse (HVP) against reverse-over-reverse", hv, rr, c.exact)

	h := c.step()
	gp := ad.Grad(s, ad.From(shift([]*tensor.Tensor{z}, h, []*tensor.Tensor{v})[0])).Tensor().Float64s()
	gm := ad.Grad(s, ad.From(shift([]*tensor.Tensor{z}, -h, []*tensor.Tensor{v})[0])).Tensor().Float64s()
	fd := make([]float64, n)
	for i := range fd {
		fd[i] = (gp[i] - gm[i]) / (2 * h)
	}
	c.nearAll("H·v (HVP) against central differences of Grad", hv, fd, c.tol)

	sl := func(xs []ad.Value) ad.Value { return s(xs[0]) }
	vhv := ad.Derivative(func(t ad.Value) ad.Value {
		_, d := ad.JVP(sl, []ad.Value{ad.Add(zv, ad.Mul(t, vv))}, []ad.Value{vv})
		return d
	}, ad.Scalar(0)).Item()
	c.nearOne("vᵀHv by forward-over-forward against <v, HVP(v)>", vhv, innerFlat(v, hv), c.exact)

	if n <= MaxJacobian {
		hm := ad.Hessian(s, zv).Tensor()
		hmv := make([]float64, n)
		for i := range n {
			for j := range n {
				hmv[i] += hm.At(i, j) * v.AtFlat(j)
			}
		}
		c.nearAll("Hessian·v against HVP", hmv, hv, c.exact)
		ht := tensor.Transpose(hm, 1, 0)
		c.nearAll("Hessian symmetry", hm.Float64s(), ht.Float64s(), c.exact)
	}
	return c.ok
}

// CheckFloat32 checks the op in float32 against float64 at args rounded to
// float32: forward values to relative tolerance tol (0 for 1e-5), and the
// VJP and JVP for random directions to 10·tol.
func CheckFloat32(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	if tol == 0 {
		tol = 1e-5
	}
	c := newChecker(tb, op, "float32", args, tol)
	defer c.catch()
	if _, ok := c.start(); !ok {
		return false
	}
	a32 := make([]*tensor.Tensor, len(args))
	a64 := make([]*tensor.Tensor, len(args))
	for i, a := range args {
		a32[i] = a.As(tensor.Float32)
		a64[i] = a32[i].As(tensor.Float64)
	}
	y32, pull32 := ad.VJP(c.fn(), values(a32)...)
	y64, pull64 := ad.VJP(c.fn(), values(a64)...)
	c.nearAll("float32 value against float64", y32.Tensor().Float64s(), y64.Tensor().Float64s(), c.tol)

	u := c.randn(y64.DType(), y64.Shape())
	g32 := tensors(pull32(ad.From(u.As(y32.DType()))))
	g64 := tensors(pull64(ad.From(u)))
	if !c.shapesMatch("float32 VJP cotangent", g32, a32) {
		return false
	}
	for i := range g32 {
		c.nearAll(fmt.Sprintf("float32 VJP argument %d against float64", i), g32[i].Float64s(), g64[i].Float64s(), 10*c.tol)
	}

	v := c.directions()
	v32 := make([]*tensor.Tensor, len(v))
	for i, t := range v {
		v32[i] = t.As(tensor.Float32)
	}
	_, t32 := ad.JVP(c.fn(), values(a32), values(v32))
	_, t64 := ad.JVP(c.fn(), values(a64), values(v))
	c.nearAll("float32 JVP against float64", t32.Tensor().Float64s(), t64.Tensor().Float64s(), 10*c.tol)
	return c.ok
}

// CheckEdge checks op at the fixed point e: the gradient of the sum of the
// output by reverse mode (ad.VJP with a cotangent of ones), by forward mode
// (ad.JVP along each basis direction) and by batched forward mode
// (ad.JVPBatch along all basis directions of one argument) must equal
// e.Want, NaN and ±Inf exactly.
func CheckEdge(tb TB, op Op, e Edge) bool {
	tb.Helper()
	return checkEdge(tb, op, e, e.Want)
}

// CheckSplitEdge is CheckEdge with e.Forward the gradient the forward
// modes must give.
func CheckSplitEdge(tb TB, op Op, e SplitEdge) bool {
	tb.Helper()
	return checkEdge(tb, op, e.Edge, e.Forward)
}

func checkEdge(tb TB, op Op, e Edge, want []*tensor.Tensor) bool {
	tb.Helper()
	c := newChecker(tb, op, "edge "+e.Name, e.Args, 0)
	defer c.catch()
	if !c.shapesMatch("Want", e.Want, e.Args) || !c.shapesMatch("Forward", want, e.Args) {
		return false
	}
	xs := values(e.Args)
	y, pull := ad.VJP(c.fn(), xs...)
	gs := tensors(pull(ad.From(y.DType().Ones(y.Shape()...))))
	for i := range gs {
		c.nearAll(fmt.Sprintf("reverse: gradient of argument %d", i), gs[i].Float64s(), e.Want[i].Float64s(), 1e-12)
	}

	zeros := func(lead ...int) []*tensor.Tensor {
		ts := make([]*tensor.Tensor, len(e.Args))
		for i, a := range e.Args {
			ts[i] = a.DType().Zeros(append(lead, a.Shape()...)...)
		}
		return ts
	}
	for i, a := range e.Args {
		got := make([]float64, a.Size())
		for j := range got {
			ts := zeros()
			ts[i].SetFlat(j, 1) // before ad.From, which may copy
			_, t := ad.JVP(c.fn(), xs, values(ts))
			got[j] = sum(t.Tensor().Float64s())
		}
		c.nearAll(fmt.Sprintf("forward: gradient of argument %d", i), got, want[i].Float64s(), 1e-12)

		k := a.Size()
		ts := zeros(k)
		ts[i] = a.DType().Eye(k).Reshape(append([]int{k}, a.Shape()...)...)
		_, tans := ad.JVPBatch(c.fn(), xs, values(ts))
		rows := tans.Tensor().Float64s()
		per := tans.Size() / k
		for j := range got {
			got[j] = sum(rows[j*per : (j+1)*per])
		}
		c.nearAll(fmt.Sprintf("batched forward: gradient of argument %d", i), got, want[i].Float64s(), 1e-12)
	}
	return c.ok
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}
