package gonumopt

import (
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Objective is a scalar function of n coordinates whose value, gradient and
// Hessian are replayed from programs recorded once (see the package
// documentation for ownership and control flow). Make one with
// NewObjective. It is safe for concurrent use.
type Objective struct {
	f func(x []ad.Value) ad.Value
	n int

	mu              sync.Mutex // held while recording
	val, grad, hess atomic.Pointer[ad.Program]

	bufs sync.Pool // *buffers
}

// buffers is the scratch of one call: the inputs as Values and the
// outputs of a run.
type buffers struct {
	in, out []ad.Value
}

// NewObjective returns the Objective for f, a scalar function of n scalar
// coordinates. f must return a one-element Value computed from x without
// branching on the coordinates' values. Nothing is recorded until the first
// call. It panics with tensor.ErrArg if f is nil or n < 1.
func NewObjective(f func(x []ad.Value) ad.Value, n int) *Objective {
	if f == nil {
		tensor.Panicf(tensor.ErrArg, "gonumopt.NewObjective", "nil function")
	}
	if n < 1 {
		tensor.Panicf(tensor.ErrArg, "gonumopt.NewObjective", "n = %d; need at least one coordinate", n)
	}
	return &Objective{f: f, n: n}
}

// Dim returns the number of coordinates n.
func (o *Objective) Dim() int { return o.n }

// Problem returns a gonum optimize.Problem whose Func, Grad and Hess are
// o's methods. Hess costs nothing until a method calls it.
func (o *Objective) Problem() optimize.Problem {
	return optimize.Problem{Func: o.Func, Grad: o.Grad, Hess: o.Hess}
}

// get returns call scratch with the inputs set to x.
func (o *Objective) get(op string, x []float64) *buffers {
	if len(x) != o.n {
		tensor.Panicf(tensor.ErrShape, op, "len(x) = %d for an objective of %d coordinates", len(x), o.n)
	}
	b, _ := o.bufs.Get().(*buffers)
	if b == nil {
		b = &buffers{in: make([]ad.Value, o.n)}
	}
	for i, v := range x {
		b.in[i] = ad.Scalar(v)
	}
	return b
}

// put hands call scratch back, holding none of the call's values.
func (o *Objective) put(b *buffers) {
	clear(b.out)
	b.out = b.out[:0]
	o.bufs.Put(b)
}

// program returns the program in p, recording it at x by build if it is
// not there yet. A recording that panics leaves p empty.
// build is a package-level function, not a closure, so that the fast path
// allocates nothing: the closure handed to ad.Compile is made only when
// recording.
func (o *Objective) program(p *atomic.Pointer[ad.Program], x []float64, build func(o *Objective, xs []ad.Value) []ad.Value) *ad.Program {
	if prog := p.Load(); prog != nil {
		return prog
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if prog := p.Load(); prog != nil {
		return prog
	}
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return build(o, xs) }, scalars(x)...)
	p.Store(prog)
	return prog
}

// scalars returns n scalar Values at x, for recording.
func scalars(x []float64) []ad.Value {
	xs := make([]ad.Value, len(x))
	for i, v := range x {
		xs[i] = ad.Scalar(v)
	}
	return xs
}

// value calls f and checks that it is a scalar.
func (o *Objective) value(op string, xs []ad.Value) ad.Value {
	y := o.f(xs)
	if y.Size() != 1 {
		tensor.Panicf(tensor.ErrShape, op, "the objective returned shape %s; need one element", tensor.ShapeString(y.Shape()))
	}
	if len(y.Shape()) != 0 {
		y = ad.Reshape(y)
	}
	return y
}

// Func returns f(x). It reads x and keeps nothing of it. It panics with
// tensor.ErrShape if len(x) is not n or f's value is not one element.
func (o *Objective) Func(x []float64) float64 {
	b := o.get("gonumopt.Objective.Func", x)
	prog := o.program(&o.val, x, recordFunc)
	b.out = prog.AppendRun(b.out[:0], b.in...)
	v := b.out[0].Item()
	o.put(b)
	return v
}

// Grad writes the gradient of f at x into grad, by reverse mode recorded
// once. It reads x and keeps neither slice. It panics with tensor.ErrShape
// if len(x) or len(grad) is not n.
func (o *Objective) Grad(grad, x []float64) {
	if len(grad) != o.n {
		tensor.Panicf(tensor.ErrShape, "gonumopt.Objective.Grad", "len(grad) = %d for an objective of %d coordinates", len(grad), o.n)
	}
	b := o.get("gonumopt.Objective.Grad", x)
	prog := o.program(&o.grad, x, recordGrad)
	b.out = prog.AppendRun(b.out[:0], b.in...)
	for i, g := range b.out {
		grad[i] = g.Item()
	}
	o.put(b)
}

// Hess writes the Hessian of f at x into hess, an n×n SymDense (an empty
// one is sized to n×n, allocating). Row i is the reverse-mode gradient of
// ∂f/∂x_i, recorded once; the upper triangle (j ≥ i) is what is stored.
// The recording costs n reverse-over-reverse passes and the replay is
// dense: for large problems with sparse Hessians, use package sparse.
// It reads x and keeps neither x nor hess. It panics with tensor.ErrShape
// if len(x) is not n or hess is neither empty nor n×n.
func (o *Objective) Hess(hess *mat.SymDense, x []float64) {
	const op = "gonumopt.Objective.Hess"
	sizeSym(op, hess, o.n)
	b := o.get(op, x)
	prog := o.program(&o.hess, x, recordHess)
	b.out = prog.AppendRun(b.out[:0], b.in...)
	k := 0
	for i := range o.n {
		for j := i; j < o.n; j++ {
			hess.SetSym(i, j, b.out[k].Item())
			k++
		}
	}
	o.put(b)
}

// sizeSym sizes an empty dst to n×n, or checks that it is n×n.
func sizeSym(op string, dst *mat.SymDense, n int) {
	if dst == nil {
		tensor.Panicf(tensor.ErrArg, op, "nil *mat.SymDense")
	}
	if dst.IsEmpty() {
		dst.ReuseAsSym(n)
		return
	}
	if d := dst.SymmetricDim(); d != n {
		tensor.Panicf(tensor.ErrShape, op, "destination is %d×%d; need %d×%d", d, d, n, n)
	}
}

// recordFunc, recordGrad and recordHess are what Func, Grad and Hess record.
func recordFunc(o *Objective, xs []ad.Value) []ad.Value {
	return []ad.Value{o.value("gonumopt.Objective.Func", xs)}
}

func recordGrad(o *Objective, xs []ad.Value) []ad.Value {
	return ad.Grads(func(xs []ad.Value) ad.Value { return o.value("gonumopt.Objective.Grad", xs) }, xs...)
}

func recordHess(o *Objective, xs []ad.Value) []ad.Value {
	const op = "gonumopt.Objective.Hess"
	out := make([]ad.Value, 0, o.n*(o.n+1)/2)
	for i := range o.n {
		row := ad.Grads(func(xs []ad.Value) ad.Value {
			return ad.Grads(func(xs []ad.Value) ad.Value { return o.value(op, xs) }, xs...)[i]
		}, xs...)
		out = append(out, row[i:]...)
	}
	return out
}
