package ad_test

import (
	"math"
	"slices"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// replayScalar runs the scalar form described by v, its loops unrolled,
// with Go's float64 arithmetic: an interpreter independent of the
// program's own (rerolled, inlined) one.
func replayScalar(t *testing.T, v *ad.View, xs []float64) []float64 {
	t.Helper()
	r := map[int]float64{}
	for i, x := range xs {
		r[v.Inputs[i].Index] = x
	}
	for _, c := range v.Consts {
		r[c.Index] = c.Value.AtFlat(0)
	}
	for _, loop := range v.Instrs {
		for _, in := range loop.Unroll() {
			args := make([]float64, len(in.Args))
			for i, a := range in.Args {
				x, ok := r[a]
				if !ok {
					t.Fatalf("%s reads register %d before it is defined", in.Op, a)
				}
				args[i] = x
			}
			var y float64
			switch in.Op {
			case "add":
				y = args[0] + args[1]
			case "sub":
				y = args[0] - args[1]
			case "mul", "chain_mul":
				y = args[0] * args[1]
			case "div":
				y = args[0] / args[1]
			case "neg":
				y = -args[0]
			case "square":
				y = args[0] * args[0]
			case "tanh":
				y = math.Tanh(args[0])
			case "hypot":
				y = math.Hypot(args[0], args[1])
			case "atan2":
				y = math.Atan2(args[0], args[1])
			case "sin":
				y = math.Sin(args[0])
			case "cos":
				y = math.Cos(args[0])
			case "exp":
				y = math.Exp(args[0])
			case "log":
				y = math.Log(args[0])
			case "sqrt":
				y = math.Sqrt(args[0])
			default:
				t.Fatalf("unexpected op %s", in.Op)
			}
			r[in.Out] = y
		}
	}
	var out []float64
	for _, o := range v.Outputs {
		out = append(out, r[o])
	}
	return out
}

func TestViewScalarLoopsUnroll(t *testing.T) {
	for name, f := range map[string]func([]ad.Value) ad.Value{"rnn": rnn, "pairs": pairs, "rosenbrock": rosenScalar} {
		xs := scalarInputs(3, 40, -1, 1)
		p := ad.Compile(valueAndGrads(f), xs...)
		v := p.View()
		if !v.Scalar {
			t.Fatalf("%s: not the scalar form", name)
		}
		loops := 0
		for _, in := range v.Instrs {
			if in.Loop != nil {
				loops++
			}
		}
		if loops == 0 {
			t.Fatalf("%s: no rerolled loop to unroll", name)
		}
		ys := scalarInputs(4, 40, -1, 1)
		in := make([]float64, len(ys))
		for i, y := range ys {
			in[i] = y.Item()
		}
		got := replayScalar(t, v, in)
		want := p.Run(ys...)
		for i := range want {
			if w := want[i].Item(); math.Abs(got[i]-w) > 1e-12*(1+math.Abs(w)) {
				t.Errorf("%s: output %d: view replay %v, Run %v", name, i, got[i], w)
			}
		}
	}
}

func TestViewTensorProgram(t *testing.T) {
	w := ad.From(tensor.Rand(seeded(1), -1, 1, 3, 4))
	f := func(xs []ad.Value) []ad.Value {
		loss := func(x ad.Value) ad.Value {
			return ad.Sum(ad.Tanh(ad.MatMul(w, x)), false)
		}
		v, g := ad.ValueAndGrad(loss, xs[0])
		return []ad.Value{v, g}
	}
	x := ad.From(tensor.Rand(seeded(2), -1, 1, 4, 5).As(tensor.Float32).As(tensor.Float64))
	p := ad.Compile(f, x)
	v := p.View()
	if v.Scalar || len(v.Inputs) != 1 || !slices.Equal(v.Inputs[0].Shape, []int{4, 5}) {
		t.Fatalf("inputs %+v, scalar %v", v.Inputs, v.Scalar)
	}
	defined := map[int][]int{0: {4, 5}}
	for _, c := range v.Consts {
		if !slices.Equal(c.Shape, c.Value.Shape()) {
			t.Errorf("const r%d: shape %v, value's %v", c.Index, c.Shape, c.Value.Shape())
		}
		defined[c.Index] = c.Shape
	}
	ops := map[string]bool{}
	for _, in := range v.Instrs {
		for _, a := range in.Args {
			if _, ok := defined[a]; !ok {
				t.Fatalf("%s reads r%d before it is defined", in.Op, a)
			}
		}
		defined[in.Out] = in.Shape
		ops[in.Op] = true
		if in.Op == "matmul" && !slices.Equal(in.Shape, []int{3, 5}) && !slices.Equal(in.Shape, []int{4, 5}) {
			t.Errorf("matmul result shape %v", in.Shape)
		}
	}
	for _, op := range []string{"matmul", "tanh"} {
		if !ops[op] {
			t.Errorf("no %s instruction in %v", op, ops)
		}
	}
	out := p.Run(x)
	for i, o := range v.Outputs {
		if !slices.Equal(defined[o], out[i].Shape()) {
			t.Errorf("output %d: view shape %v, Run's %v", i, defined[o], out[i].Shape())
		}
	}
	if got := len(v.Instrs); got != p.Len() {
		t.Errorf("%d instructions in the view, Len %d", got, p.Len())
	}
}
