package ad_test

import (
	"testing"

	"github.com/chainrule/chainrule/ad"
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
	x := tensor.Rand(1, -1, 1, n)
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
	x := tensor.Rand(1, -1, 1, n)
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
	x := ad.From(tensor.Rand(1, -1, 1, 1_000_000))
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
