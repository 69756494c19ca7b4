package ad_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/testfunc"
	"github.com/chainrule/chainrule/tensor"
)

// rosenOps counts the primitives the scalar Rosenbrock records.
func rosenOps(xs []ad.Value) int {
	return len(ad.Trace(rosenScalar, xs).Nodes()) - len(xs)
}

// BenchmarkRosenbrockScalar: the gradient of the n = 1000 Rosenbrock
// function written one scalar op at a time — recording plus reverse sweep.
// It reports ns per recorded op.
func BenchmarkRosenbrockScalar(b *testing.B) {
	n := 1000
	x := tensor.Rand(seeded(1), -1, 1, n)
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	ops := rosenOps(xs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ad.Grads(rosenScalar, xs...)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ops), "ns/node")
	b.ReportMetric(float64(ops), "nodes")
}

// BenchmarkRosenbrockScalarPrimal is the same function without derivatives.
func BenchmarkRosenbrockScalarPrimal(b *testing.B) {
	n := 1000
	x := tensor.Rand(seeded(1), -1, 1, n)
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rosenScalar(xs)
	}
}

// The vector Rosenbrock, n = 1e6: primal alone and value plus gradient. The
// cheap-gradient principle asks for a ratio of at most 3.
func BenchmarkRosenbrockVector(b *testing.B) {
	x := ad.From(tensor.Rand(seeded(1), -1, 1, 1_000_000))
	b.Run("primal", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			rosenN(x)
		}
	})
	b.Run("grad", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ad.ValueAndGrad(rosenN, x)
		}
	})
}

// rosenVec100k is the vector Rosenbrock input for the forward-mode benchmarks.
var rosenVec100k = ad.From(tensor.Rand(seeded(2), -1, 1, 100_000))

// BenchmarkJVPCost compares the function alone with one JVP (Griewank's
// bound for tangents is 2.5×) and, for k = 16 directions, one batched JVP
// with 16 separate ones.
func BenchmarkJVPCost(b *testing.B) {
	x := rosenVec100k
	n := x.Size()
	f := func(xs []ad.Value) ad.Value { return rosenN(xs[0]) }
	b.Run("primal", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rosenN(x)
		}
	})
	v := ad.From(tensor.RandN(seeded(3), n))
	b.Run("jvp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ad.JVP(f, []ad.Value{x}, []ad.Value{v})
		}
	})
	// k = 16 directions: batching shares the primal and the local
	// derivatives, so it pays most where those are transcendental.
	const k = 16
	xs := ad.From(tensor.Rand(seeded(2), -1, 1, 10_000))
	g := func(xs []ad.Value) ad.Value {
		x := xs[0]
		return ad.Sum(ad.Mul(ad.Sin(ad.Exp(ad.Tanh(x))), ad.Log1p(ad.Square(x))), false)
	}
	vs := tensor.RandN(seeded(4), k, xs.Size())
	dirs := make([]ad.Value, k)
	for j := range dirs {
		dirs[j] = ad.From(tensor.Slice(vs, 0, j, j+1).Reshape(xs.Size()))
	}
	b.Run("jvp16-separate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, d := range dirs {
				ad.JVP(g, []ad.Value{xs}, []ad.Value{d})
			}
		}
	})
	b.Run("jvp16-batched", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ad.JVPBatch(g, []ad.Value{xs}, []ad.Value{ad.From(vs)})
		}
	})
	b.Run("hvp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ad.HVP(rosenN, x, v)
		}
	})
}

// BenchmarkJacobianModes: for R^10 → R^1000 forward mode should win, for
// R^1000 → R^10 reverse mode; Auto should pick the winner.
func BenchmarkJacobianModes(b *testing.B) {
	for _, c := range []struct {
		name string
		n, m int
	}{{"R10toR1000", 10, 1000}, {"R1000toR10", 1000, 10}} {
		w := ad.From(tensor.RandN(seeded(5), c.m, c.n))
		f := func(x ad.Value) ad.Value { return ad.Tanh(ad.MatMul(w, ad.Sin(x))) }
		x := ad.From(tensor.RandN(seeded(6), c.n))
		for _, m := range []ad.Mode{ad.Forward, ad.Reverse, ad.Auto} {
			b.Run(c.name+"/"+m.String(), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					ad.Jacobian(f, x, m)
				}
			})
		}
	}
}

// BenchmarkHessianRosenbrock100: the full Hessian of the n = 100 Rosenbrock
// function, reverse over batched reverse.
func BenchmarkHessianRosenbrock100(b *testing.B) {
	x := ad.From(tensor.Rand(seeded(7), -1, 1, 100))
	for i := 0; i < b.N; i++ {
		ad.Hessian(rosenN, x)
	}
}

// BenchmarkCheckpoint: a chain of 1000 tanh(W·h) layers of width 256,
// differentiated plainly and with every segment of 32 layers checkpointed.
// It reports the bytes the recording holds for the reverse sweep (heap in
// use after the forward pass, less before), the peak live heap sampled
// every 32 layers in both sweeps (recomputed segments included), and the
// time (without the sampling).
func BenchmarkCheckpoint(b *testing.B) {
	const layers, width, seg = 1000, 256, 32
	w := ad.From(tensor.RandN(seeded(8), width, width).Reshape(width, width))
	w = ad.Mul(w, ad.Scalar(1/16.0))
	var sample func() // measures the heap every seg layers, forward and reverse
	calls := 0
	layer := func(h ad.Value) ad.Value {
		h = ad.Tanh(ad.MatMul(w, h))
		if calls++; calls%seg == 0 && sample != nil {
			sample()
		}
		return h
	}
	plain, ckpt := testfunc.TanhChain(layer, layers, seg)
	h0 := ad.From(tensor.RandN(seeded(9), width))
	for _, c := range []struct {
		name string
		f    func([]ad.Value) ad.Value
	}{{"plain", plain}, {"checkpointed", ckpt}} {
		b.Run(c.name, func(b *testing.B) {
			var held, peak uint64
			for i := 0; i < b.N; i++ {
				var m0, m1 runtime.MemStats
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&m0)
				sample = func() {
					b.StopTimer()
					var m runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&m)
					if m.HeapAlloc > m0.HeapAlloc {
						peak = max(peak, m.HeapAlloc-m0.HeapAlloc)
					}
					b.StartTimer()
				}
				b.StartTimer()
				y, pull := ad.VJP(c.f, h0)
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&m1)
				held = m1.HeapAlloc - m0.HeapAlloc
				b.StartTimer()
				pull(ad.From(tensor.Ones().Reshape()))
				runtime.KeepAlive(y)
				sample = nil
			}
			b.ReportMetric(float64(held), "bytes-held")
			b.ReportMetric(float64(peak), "peak-bytes")
		})
	}
}

// BenchmarkTanhChain is W6 of the side-by-side harness: the gradient
// through 1000 tanh(W·h) layers of width 256, whose arrays (2 KiB each) come
// from tensor's storage cache once a sweep has handed them back.
func BenchmarkTanhChain(b *testing.B) {
	const layers, width, seg = 1000, 256, 32
	w := ad.Mul(ad.From(tensor.RandN(seeded(8), width, width)), ad.Scalar(1/16.0))
	plain, _ := testfunc.TanhChain(func(h ad.Value) ad.Value { return ad.Tanh(ad.MatMul(w, h)) }, layers, seg)
	h0 := ad.From(tensor.RandN(seeded(9), width))
	b.ReportAllocs()
	for b.Loop() {
		ad.Grads(plain, h0)
	}
}

// BenchmarkRosenbrockScalarCompiled replays the recorded gradient program
// (ad.Compile) of the n = 1000 scalar Rosenbrock function with Run, which
// allocates the 1001 outputs.
func BenchmarkRosenbrockScalarCompiled(b *testing.B) {
	prog, xs := rosenScalarProgram(1000)
	b.ReportAllocs()
	for b.Loop() {
		prog.Run(xs...)
	}
	b.ReportMetric(float64(prog.Len()), "instrs")
}

// BenchmarkRosenbrockScalarCompiledAppend replays it with AppendRun into
// the previous run's outputs, allocating nothing.
func BenchmarkRosenbrockScalarCompiledAppend(b *testing.B) {
	prog, xs := rosenScalarProgram(1000)
	var out []ad.Value
	b.ReportAllocs()
	for b.Loop() {
		out = prog.AppendRun(out[:0], xs...)
	}
}

// BenchmarkRosenbrockScalarCompiledParallel replays it with AppendRun from
// GOMAXPROCS goroutines at once, one Program shared by all: each call takes
// registers of its own from the program's pool.
func BenchmarkRosenbrockScalarCompiledParallel(b *testing.B) {
	prog, xs := rosenScalarProgram(1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var out []ad.Value
		for pb.Next() {
			out = prog.AppendRun(out[:0], xs...)
		}
	})
}

// rosenScalarProgram returns the compiled value and gradient of the scalar
// Rosenbrock function of n variables, and inputs for it.
func rosenScalarProgram(n int) (*ad.Program, []ad.Value) {
	x := tensor.Rand(seeded(1), -1, 1, n)
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Scalar(x.AtFlat(i))
	}
	return ad.Compile(valueAndGrads(rosenScalar), xs...), xs
}

// BenchmarkRosenbrockHand is the physical limit: the n = 1000 Rosenbrock
// value and its hand-derived gradient in plain Go.
func BenchmarkRosenbrockHand(b *testing.B) {
	x := tensor.Rand(seeded(1), -1, 1, 1000).Data()
	g := make([]float64, len(x))
	var sink float64
	for i := 0; i < b.N; i++ {
		sink += rosenHand(x, g)
	}
	_ = sink
}

// BenchmarkRosenbrockVectorCompiled replays the n = 1e6 vector Rosenbrock
// value and gradient with ad.Compile, which recycles dead intermediates.
func BenchmarkRosenbrockVectorCompiled(b *testing.B) {
	x := ad.From(tensor.Rand(seeded(1), -1, 1, 1_000_000))
	prog := ad.Compile(func(xs []ad.Value) []ad.Value {
		v, g := ad.ValueAndGrad(rosenN, xs[0])
		return []ad.Value{v, g}
	}, x)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		prog.Run(x)
	}
}

// BenchmarkHVPRosenbrock times a Hessian-vector product of the n = 1e5
// vector Rosenbrock function (forward-over-reverse), eagerly and replayed
// by ad.Compile (fused).
func BenchmarkHVPRosenbrock(b *testing.B) {
	x, v := ad.From(tensor.Rand(seeded(2), -1, 1, 100_000)), ad.From(tensor.RandN(seeded(3), 100_000))
	b.Run("eager", func(b *testing.B) {
		for b.Loop() {
			ad.HVP(rosenN, x, v)
		}
	})
	prog := ad.Compile(func(in []ad.Value) []ad.Value { return []ad.Value{ad.HVP(rosenN, in[0], in[1])} }, x, v)
	b.Run("compiled", func(b *testing.B) {
		for b.Loop() {
			prog.Run(x, v)
		}
	})
}

// recurrence is y ← 0.99·y + x over the inputs, recorded one scalar op at
// a time: every instruction lies on the state's dependency cycle, so
// nothing rerolls.
func recurrence(xs []ad.Value) []ad.Value {
	y := ad.Scalar(0)
	for _, x := range xs {
		y = ad.Add(ad.Mul(y, ad.Scalar(0.99)), x)
	}
	return []ad.Value{y}
}

// sinRecurrence is y ← sin(y) + x, returned with its gradient.
func sinRecurrence(xs []ad.Value) []ad.Value {
	return valueAndGrads(func(xs []ad.Value) ad.Value {
		y := ad.Scalar(0.5)
		for _, x := range xs {
			y = ad.Add(ad.Sin(y), x)
		}
		return y
	})(xs)
}

// BenchmarkCompileRecurrence compiles scalar recurrences of n steps (2n
// instructions; the sin one with its gradient, 4n), and the linear one over
// 8-element tensors, fused into one group of 2n members (fusion forced at
// that size): the time and memory a step must not grow with n.
func BenchmarkCompileRecurrence(b *testing.B) {
	defer ad.SetFusion(8, 8)()
	vecs := func(n int) []ad.Value {
		xs := make([]ad.Value, n)
		for i := range xs {
			xs[i] = ad.From(tensor.RandN(seeded(uint64(i)), 8))
		}
		return xs
	}
	for _, c := range []struct {
		name string
		f    func([]ad.Value) []ad.Value
		in   func(n int) []ad.Value
	}{{"linear", recurrence, func(n int) []ad.Value { return scalarInputs(1, n, -1, 1) }},
		{"sin+grad", sinRecurrence, func(n int) []ad.Value { return scalarInputs(1, n, -1, 1) }},
		{"fused", recurrence, vecs}} {
		for _, n := range []int{1_000, 10_000, 100_000} {
			xs := c.in(n)
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				b.ReportAllocs()
				var prog *ad.Program
				for b.Loop() {
					prog = ad.Compile(c.f, xs...)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/step")
				b.ReportMetric(float64(prog.Len()), "instrs")
			})
		}
	}
}
