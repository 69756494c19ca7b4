package ad

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// linClose fails unless got and want have one shape and agree within tol
// relative to the largest |want| (or 1).
func linClose(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	scale := 1.0
	for _, v := range w {
		scale = max(scale, math.Abs(v))
	}
	for i := range w {
		if !(math.Abs(g[i]-w[i]) <= tol*scale) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, g[i], w[i])
		}
	}
}

// linearComposite is what the linear primitive stands for.
func linearComposite(x, w, b Value) Value { return Add(matmulT(x, w, false, true), b) }

// linearFused binds the primitive whatever the transformation, so that its
// rules are exercised where Linear itself would record the composite.
func linearFused(x, w, b Value) Value { return bind(linearPrim, nil, x, w, b) }

// TestLinearPrimRules checks the fused primitive's rules against those of
// the matmul and add it replaces, under every transformation: values,
// gradients (VJP), batched cotangents (VJPBatch), tangents (JVP,
// JVPBatch), Vmap over each subset of the operands, and second order
// (Hessian-vector products through its VJP rule), in float64 and float32.
func TestLinearPrimRules(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		tol := 1e-12
		if d == tensor.Float32 {
			tol = 2e-5
		}
		const n, in, out = 5, 7, 3
		x, w, b := From(d.RandN(r, n, in)), From(d.RandN(r, out, in)), From(d.RandN(r, out))
		args := []Value{x, w, b}
		loss := func(lin func(x, w, b Value) Value) func([]Value) Value {
			return func(p []Value) Value { return Sum(Mul(Tanh(lin(p[0], p[1], p[2])), lin(p[0], p[1], p[2])), false) }
		}
		name := func(s string) string { return d.String() + " " + s }
		linClose(t, name("value"), linearFused(x, w, b).Tensor(), linearComposite(x, w, b).Tensor(), tol)

		_, gf := ValueAndGrads(loss(linearFused), args...)
		_, gc := ValueAndGrads(loss(linearComposite), args...)
		for i := range gf {
			linClose(t, name(fmt.Sprintf("gradient %d", i)), gf[i].Tensor(), gc[i].Tensor(), tol)
		}

		cts := From(d.RandN(r, 4, n, out))
		_, pf := VJPBatch(func(p []Value) Value { return linearFused(p[0], p[1], p[2]) }, args...)
		_, pc := VJPBatch(func(p []Value) Value { return linearComposite(p[0], p[1], p[2]) }, args...)
		bf, bc := pf(cts), pc(cts)
		for i := range bf {
			linClose(t, name(fmt.Sprintf("batched cotangent %d", i)), bf[i].Tensor(), bc[i].Tensor(), tol)
		}

		tans := []Value{From(d.RandN(r, n, in)), From(d.RandN(r, out, in)), From(d.RandN(r, out))}
		for mask := 1; mask < 8; mask++ { // each subset of non-zero tangents
			ts := make([]Value, 3)
			for i := range ts {
				if mask&(1<<i) != 0 {
					ts[i] = tans[i]
				}
			}
			_, jf := JVP(func(p []Value) Value { return linearFused(p[0], p[1], p[2]) }, args, ts)
			_, jc := JVP(func(p []Value) Value { return linearComposite(p[0], p[1], p[2]) }, args, ts)
			linClose(t, name(fmt.Sprintf("tangent, mask %b", mask)), jf.Tensor(), jc.Tensor(), tol)
		}
		btans := []Value{From(d.RandN(r, 2, n, in)), {}, From(d.RandN(r, 2, out))}
		_, jbf := JVPBatch(func(p []Value) Value { return linearFused(p[0], p[1], p[2]) }, args, btans)
		_, jbc := JVPBatch(func(p []Value) Value { return linearComposite(p[0], p[1], p[2]) }, args, btans)
		linClose(t, name("batched tangent"), jbf.Tensor(), jbc.Tensor(), tol)

		stacked := []Value{From(d.RandN(r, 2, n, in)), From(d.RandN(r, 2, out, in)), From(d.RandN(r, 2, out))}
		for mask := 1; mask < 8; mask++ { // each subset of mapped operands
			axes, vs := make([]int, 3), make([]Value, 3)
			for i := range axes {
				axes[i], vs[i] = NotMapped, args[i]
				if mask&(1<<i) != 0 {
					axes[i], vs[i] = 0, stacked[i]
				}
			}
			vf := Vmap(func(p []Value) Value { return linearFused(p[0], p[1], p[2]) }, axes...)(vs...)
			vc := Vmap(func(p []Value) Value { return linearComposite(p[0], p[1], p[2]) }, axes...)(vs...)
			linClose(t, name(fmt.Sprintf("vmap, mask %b", mask)), vf.Tensor(), vc.Tensor(), tol)
		}

		// second order: a Hessian-vector product in x through the VJP rule
		v := From(d.RandN(r, n, in))
		hvp := func(lin func(x, w, b Value) Value) *tensor.Tensor {
			f := func(xx Value) Value { return loss(lin)([]Value{xx, w, b}) }
			return HVP(f, x, v).Tensor()
		}
		linClose(t, name("Hessian-vector product"), hvp(linearFused), hvp(linearComposite), 10*tol)
	}
}

// TestLinearRecordsFused checks where Linear records the fused primitive:
// on concrete values and first-order reverse tracers (Grad), the same
// under Compile (whose program then runs it, equal to eager evaluation),
// and nowhere else (JVP, Vmap, second order, Trace's graphs), where the
// matmul and the add stay visible.
func TestLinearRecordsFused(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x, w, b := From(tensor.RandN(r, 4, 3)), From(tensor.RandN(r, 2, 3)), From(tensor.RandN(r, 2))
	var seen []bool
	probe := func(p []Value) Value {
		seen = append(seen, recordsLinear(p...))
		return Sum(Linear(p[0], p[1], p[2]), false)
	}
	args := []Value{x, w, b}
	probe(args)
	Grads(probe, args...)
	JVP(probe, args, []Value{x, Value{}, Value{}})
	Vmap(func(p []Value) Value { return probe(p) }, 0, NotMapped, NotMapped)(From(tensor.RandN(r, 2, 4, 3)), w, b)
	Grad(func(xx Value) Value { return Sum(Grads(probe, xx, w, b)[0], false) }, x)
	g := Trace(probe, args)
	want := []bool{true, true, false, false, false, false}
	if fmt.Sprint(seen[:6]) != fmt.Sprint(want) {
		t.Fatalf("fused primitive recorded %v (eager, Grad, JVP, Vmap, second order, Trace), want %v", seen[:6], want)
	}
	seen = nil
	step := func(p []Value) []Value {
		v, gs := ValueAndGrads(probe, p...)
		return append([]Value{v}, gs...)
	}
	prog := Compile(step, args...)
	if fmt.Sprint(seen) != fmt.Sprint([]bool{true}) {
		t.Fatalf("Compile of Grads: fused primitive recorded %v, want [true]", seen)
	}
	if !strings.Contains(prog.String(), "linear(") {
		t.Fatalf("the compiled program runs no linear:\n%s", prog)
	}
	x2, w2, b2 := From(tensor.RandN(r, 4, 3)), From(tensor.RandN(r, 2, 3)), From(tensor.RandN(r, 2))
	got, wantOut := prog.Run(x2, w2, b2), step([]Value{x2, w2, b2})
	for i := range wantOut {
		linClose(t, fmt.Sprintf("compiled output %d", i), got[i].Tensor(), wantOut[i].Tensor(), 0)
	}
	for _, nd := range g.Nodes() {
		if nd.Op() == "linear" {
			t.Fatal("Trace's graph holds the fused linear primitive")
		}
	}
}

// TestLinearEscapedTracer checks that a tracer that escaped its gradient,
// passed to Linear as the weight or the bias, is reported as such
// (tensor.ErrGraph) rather than read.
func TestLinearEscapedTracer(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	x, w, b := From(tensor.RandN(r, 4, 3)), From(tensor.RandN(r, 2, 3)), From(tensor.RandN(r, 2))
	var ew, eb Value
	Grads(func(p []Value) Value {
		ew, eb = p[1], p[2]
		return Sum(Linear(p[0], p[1], p[2]), false)
	}, x, w, b)
	for i, args := range [][3]Value{{x, ew, b}, {x, w, eb}} {
		err := tensor.Maybe(func() { Linear(args[0], args[1], args[2]) })
		if !errors.Is(err, tensor.ErrGraph) {
			t.Errorf("escaped tracer as argument %d: error %v, want tensor.ErrGraph", i+1, err)
		}
	}
}
