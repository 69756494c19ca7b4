package onnx

// The lowering of ad's fused LayerNorm primitives as ONNX's reductions and
// arithmetic, in both dtypes (each op has float64 kernels in ONNX
// Runtime): layer_norm(x) = (x - mean)·r, r = 1/√(var + eps), over the
// last n axes, and layer_norm_grad(x, v) = r(v - mean(v) - x̂·mean(v⊙x̂)),
// whose x broadcasts over v's extra leading axes.

import (
	"math"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// lnParams decodes ad's layer_norm parameters: Axis is n, Index eps's
// bits in two 32-bit halves.
func lnParams(p ad.Params) (n int, eps float64) {
	return p.Axis, math.Float64frombits(uint64(p.Index[0])<<32 | uint64(p.Index[1]))
}

// meanLast is the mean of x over its last n axes (size count), kept.
func (e *exporter) meanLast(x string, n, count int, d tensor.DType) string {
	axes := make([]int64, n)
	for i := range axes {
		axes[i] = int64(i - n)
	}
	s := e.node("ReduceSum", []string{x, e.int64s(axes, n)}, intAttr("keepdims", 1))
	return e.node("Mul", []string{s, e.scalar(1/float64(count), d)})
}

// layerNorm lowers layer_norm (v empty) and layer_norm_grad.
func (e *exporter) layerNorm(x, v string, xShape []int, p ad.Params, d tensor.DType) string {
	n, eps := lnParams(p)
	count := tensor.Size(xShape[len(xShape)-n:])
	xc := e.node("Sub", []string{x, e.meanLast(x, n, count, d)})
	vr := e.meanLast(e.node("Mul", []string{xc, xc}), n, count, d)
	r := e.node("Reciprocal", []string{e.node("Sqrt", []string{e.node("Add", []string{vr, e.scalar(eps, d)})})})
	xh := e.node("Mul", []string{xc, r})
	if v == "" {
		return xh
	}
	mv := e.meanLast(v, n, count, d)
	mvx := e.meanLast(e.node("Mul", []string{v, xh}), n, count, d)
	g := e.node("Sub", []string{e.node("Sub", []string{v, mv}), e.node("Mul", []string{xh, mvx})})
	return e.node("Mul", []string{r, g})
}
