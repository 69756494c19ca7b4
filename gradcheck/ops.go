package gradcheck

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Argument-shape lists shared by many ops.
var (
	unaryShapes  = [][][]int{{{}}, {{3}}, {{2, 3}}}
	binaryShapes = [][][]int{{{}, {}}, {{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{4, 1}, {1, 3}}, {{}, {2, 2}}, {{3}, {2, 1}}}
	reduceShapes = [][][]int{{{}}, {{4}}, {{2, 3}}, {{2, 1, 3}}}
	axisShapes   = [][][]int{{{4}}, {{2, 3}}, {{2, 3, 2}}}
)

var (
	inf = math.Inf(1)
	nan = math.NaN()
)

// Ops is the table of every differentiable operation of package ad, with
// the shapes and edge points to check them at. It drives the tests of ad
// (Run), the coverage test and docs/ops.md (Markdown).
var Ops = []Op{
	// Elementwise unary.
	{Name: "Neg", Arity: 1, Fn: f1(ad.Neg), Shapes: unaryShapes, Smooth: true},
	{Name: "Exp", Arity: 1, Fn: f1(ad.Exp), Shapes: unaryShapes, Smooth: true},
	{Name: "Log", Arity: 1, Fn: f1(ad.Log), Domain: within(0.2, 2), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(inf))}},
		Doc:   "log'(0) = +Inf"},
	{Name: "Log1p", Arity: 1, Fn: f1(ad.Log1p), Domain: within(-0.5, 2), Shapes: unaryShapes, Smooth: true},
	{Name: "Expm1", Arity: 1, Fn: f1(ad.Expm1), Shapes: unaryShapes, Smooth: true},
	{Name: "Sqrt", Arity: 1, Fn: f1(ad.Sqrt), Domain: within(0.2, 2), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(inf))}},
		Doc:   "sqrt'(0) = +Inf (PyTorch)"},
	{Name: "Abs", Arity: 1, Fn: f1(ad.Abs), Shapes: unaryShapes,
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(0))}, {"signs", ts(vec(-1, 0, 2)), ts(vec(-1, 0, 1))}},
		Doc:   "abs'(0) = 0 (PyTorch: sign x)"},
	{Name: "Sign", Arity: 1, Fn: f1(ad.Sign), Shapes: unaryShapes,
		Edges: []Edge{{"x=0", ts(vec(-1, 0, 2)), ts(vec(0, 0, 0))}},
		Doc:   "sign' = 0 everywhere, 0 included"},
	{Name: "Sin", Arity: 1, Fn: f1(ad.Sin), Shapes: unaryShapes, Smooth: true},
	{Name: "Cos", Arity: 1, Fn: f1(ad.Cos), Shapes: unaryShapes, Smooth: true},
	{Name: "Tan", Arity: 1, Fn: f1(ad.Tan), Domain: within(-1.2, 1.2), Shapes: unaryShapes, Smooth: true},
	{Name: "Asin", Arity: 1, Fn: f1(ad.Asin), Domain: within(-0.9, 0.9), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=1", ts(sc(1)), ts(sc(inf))}},
		Doc:   "asin'(±1) = +Inf"},
	{Name: "Acos", Arity: 1, Fn: f1(ad.Acos), Domain: within(-0.9, 0.9), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=1", ts(sc(1)), ts(sc(-inf))}},
		Doc:   "acos'(±1) = -Inf"},
	{Name: "Atan", Arity: 1, Fn: f1(ad.Atan), Shapes: unaryShapes, Smooth: true},
	{Name: "Sinh", Arity: 1, Fn: f1(ad.Sinh), Shapes: unaryShapes, Smooth: true},
	{Name: "Cosh", Arity: 1, Fn: f1(ad.Cosh), Shapes: unaryShapes, Smooth: true},
	{Name: "Tanh", Arity: 1, Fn: f1(ad.Tanh), Shapes: unaryShapes, Smooth: true},
	{Name: "Sigmoid", Arity: 1, Fn: f1(ad.Sigmoid), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=±800", ts(vec(-800, 800)), ts(vec(0, 0))}},
		Doc:   "no overflow: σ'(±800) = 0"},
	{Name: "Relu", Arity: 1, Fn: f1(ad.Relu), Shapes: unaryShapes,
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(0))}, {"signs", ts(vec(-1, 0, 2)), ts(vec(0, 0, 1))}},
		Doc:   "relu'(0) = 0 (PyTorch)"},
	{Name: "Softplus", Arity: 1, Fn: f1(ad.Softplus), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=±800", ts(vec(-800, 800)), ts(vec(0, 1))}},
		Doc:   "no overflow: softplus'(±800) = σ(±800)"},
	{Name: "Erf", Arity: 1, Fn: f1(ad.Erf), Shapes: unaryShapes, Smooth: true},
	{Name: "Square", Arity: 1, Fn: f1(ad.Square), Shapes: unaryShapes, Smooth: true},
	{Name: "Reciprocal", Arity: 1, Fn: f1(ad.Reciprocal), Domain: within(-2, -0.5), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(-inf))}, {"x=-0", ts(sc(math.Copysign(0, -1))), ts(sc(-inf))}},
		Doc:   "d/dx(1/x) = -Inf at ±0 (PyTorch)"},
	{Name: "Rsqrt", Arity: 1, Fn: f1(ad.Rsqrt), Domain: within(0.2, 2), Shapes: unaryShapes, Smooth: true,
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(-inf))}},
		Doc:   "rsqrt'(0) = -Inf"},

	// Elementwise binary, broadcasting.
	{Name: "Add", Arity: 2, Fn: func(xs ...ad.Value) ad.Value { return ad.Add(xs[0], xs[1]) }, Shapes: binaryShapes, Smooth: true},
	{Name: "Sub", Arity: 2, Fn: f2(ad.Sub), Shapes: binaryShapes, Smooth: true},
	{Name: "Mul", Arity: 2, Fn: func(xs ...ad.Value) ad.Value { return ad.Mul(xs[0], xs[1]) }, Shapes: binaryShapes, Smooth: true},
	{Name: "Div", Arity: 2, Fn: f2(ad.Div), Domain: within2(-2, 2, 0.5, 2), Shapes: binaryShapes, Smooth: true,
		Edges: []Edge{{"b=0", ts(sc(1), sc(0)), ts(sc(inf), sc(-inf))}},
		Doc:   "at b = 0: ∂a = 1/b = +Inf, ∂b = -a/b² = -Inf (IEEE, PyTorch)"},
	{Name: "Pow", Arity: 2, Fn: f2(ad.Pow), Domain: within2(0.5, 2, -2, 2), Shapes: binaryShapes, Smooth: true,
		Edges: []Edge{
			{"x=0,p=0", ts(sc(0), sc(0)), ts(sc(0), sc(0))},
			{"x=0,p=2", ts(sc(0), sc(2)), ts(sc(0), sc(0))},
			{"x=0,p=0.5", ts(sc(0), sc(0.5)), ts(sc(inf), sc(0))},
			{"x<0", ts(sc(-2), sc(2)), ts(sc(-4), sc(nan))},
		},
		Doc: "∂x = 0 where p = 0; ∂p = 0 where x = 0 and p ≥ 0; ∂p = NaN for x < 0; ∂x = +Inf at x = 0 for 0 < p < 1 (PyTorch)"},
	{Name: "Atan2", Arity: 2, Fn: f2(ad.Atan2), Domain: within2(0.2, 2, -2, 2), Shapes: binaryShapes, Smooth: true,
		Edges: []Edge{{"origin", ts(sc(0), sc(0)), ts(sc(nan), sc(nan))}},
		Doc:   "NaN at the origin; sampled off the branch cut (y > 0)"},
	{Name: "Maximum", Arity: 2, Fn: f2(ad.Maximum), Shapes: binaryShapes,
		Edges: []Edge{
			{"tie", ts(sc(1), sc(1)), ts(sc(0.5), sc(0.5))},
			{"broadcast tie", ts(vec(1, 1, 2), sc(1)), ts(vec(0.5, 0.5, 1), sc(1))},
		},
		Doc: "ties split 0.5/0.5 (PyTorch)"},
	{Name: "Minimum", Arity: 2, Fn: f2(ad.Minimum), Shapes: binaryShapes,
		Edges: []Edge{
			{"tie", ts(sc(1), sc(1)), ts(sc(0.5), sc(0.5))},
			{"broadcast tie", ts(vec(1, 1, 2), sc(1)), ts(vec(0.5, 0.5, 0), sc(2))},
		},
		Doc: "ties split 0.5/0.5 (PyTorch)"},
	{Name: "Hypot", Arity: 2, Fn: f2(ad.Hypot), Shapes: binaryShapes, Smooth: true,
		Edges: []Edge{{"origin", ts(sc(0), sc(0)), ts(sc(nan), sc(nan))}},
		Doc:   "NaN at the origin (PyTorch)"},

	// Comparisons: constants to every transformation.
	comparison("Equal", ad.Equal),
	comparison("NotEqual", ad.NotEqual),
	comparison("Greater", ad.Greater),
	comparison("GreaterEqual", ad.GreaterEqual),
	comparison("Less", ad.Less),
	comparison("LessEqual", ad.LessEqual),
	{Name: "StopGradient", Arity: 1, Fn: f1(ad.StopGradient), Shapes: unaryShapes, Smooth: true, Constant: true,
		Doc: "no derivative: exactly 0"},

	// Selection.
	{Name: "Where", Arity: 3, Fn: func(xs ...ad.Value) ad.Value { return ad.Where(ad.Greater(xs[0], zero(xs[0])), xs[1], xs[2]) },
		Shapes: [][][]int{{{}, {}, {}}, {{3}, {3}, {3}}, {{2, 3}, {3}, {2, 1}}, {{2, 1}, {1, 3}, {}}},
		Edges: []Edge{{"cond at 0", ts(vec(-1, 0, 1), vec(1, 1, 1), vec(2, 2, 2)),
			ts(vec(0, 0, 0), vec(0, 0, 1), vec(1, 1, 0))}},
		Doc: "Where(x > 0, a, b): gradient only into the selected branch, none into the condition"},
	{Name: "Where[x>0,sqrt(x),0]", Arity: 1,
		Fn:     f1(func(x ad.Value) ad.Value { return ad.Where(ad.Greater(x, zero(x)), ad.Sqrt(x), zero(x)) }),
		Shapes: unaryShapes,
		Edges:  []Edge{{"x=0", ts(sc(0)), ts(sc(0))}, {"signs", ts(vec(-1, 0, 4)), ts(vec(0, 0, 0.25))}},
		Doc:    "gradient exactly 0 at x = 0, not NaN: a zero adjoint times ∞ is 0 (the chain rule's one-sided strong zero)"},
	{Name: "Log[exp(x)]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Log(ad.Exp(x)) }), Shapes: unaryShapes, Smooth: true,
		SplitEdges: []SplitEdge{{Edge{"x=-800 (exp underflows)", ts(vec(-800, 0)), ts(vec(nan, 1))}, ts(vec(0, 1))}},
		Doc:        "NaN where exp underflows (∞·0, as PyTorch), not 0: a zero local derivative does not annihilate an infinite adjoint; forward mode gives 0 (a zero tangent annihilates)"},
	{Name: "Sqrt[x·x]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Sqrt(ad.Mul(x, x)) }), Shapes: unaryShapes,
		SplitEdges: []SplitEdge{{Edge{"x=0", ts(sc(0)), ts(sc(nan))}, ts(sc(0))}},
		Doc:        "NaN at x = 0 in reverse mode (∞·0, as PyTorch); forward mode gives 0 (a zero tangent annihilates)"},

	// Reductions.
	{Name: "Sum", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Sum(x, false) }), Shapes: reduceShapes, Smooth: true},
	{Name: "Sum[axis=-1,keep]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Sum(x, true, -1) }), Shapes: axisShapes, Smooth: true},
	{Name: "Sum[axes=0,-1]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Sum(x, false, 0, -1) }),
		Shapes: [][][]int{{{2, 3}}, {{2, 3, 2}}}, Smooth: true},
	{Name: "SumAll", Arity: 1, Fn: f1(ad.SumAll), Shapes: reduceShapes, Smooth: true},
	{Name: "AddN", Arity: 3, Fn: ad.AddN, Shapes: [][][]int{{{}, {}, {}}, {{2, 3}, {3}, {2, 1}}}, Smooth: true},
	{Name: "At", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		idx := make([]int, x.Rank())
		for d, n := range x.Shape() {
			idx[d] = n - 1
		}
		return ad.At(x, idx...)
	}), Shapes: unaryShapes, Smooth: true},
	{Name: "Mean", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Mean(x, false) }), Shapes: reduceShapes, Smooth: true},
	{Name: "Mean[axis=0]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Mean(x, false, 0) }), Shapes: axisShapes, Smooth: true},
	{Name: "Max", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Max(x, false) }), Shapes: reduceShapes,
		Edges: []Edge{{"tie", ts(vec(1, 3, 3)), ts(vec(0, 0.5, 0.5))}},
		Doc:   "ties share the gradient evenly (PyTorch amax)"},
	{Name: "Max[axis=-1]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Max(x, false, -1) }), Shapes: axisShapes,
		Edges: []Edge{{"tie", ts(mat(2, 2, 1, 1, 2, 0)), ts(mat(2, 2, 0.5, 0.5, 1, 0))}},
		Doc:   "ties share the gradient evenly, per row"},
	{Name: "Min", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Min(x, false) }), Shapes: reduceShapes,
		Edges: []Edge{{"tie", ts(vec(2, 1, 1, 1)), ts(vec(0, 1.0/3, 1.0/3, 1.0/3))}},
		Doc:   "ties share the gradient evenly (PyTorch amin)"},
	{Name: "Min[axis=0,keep]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Min(x, true, 0) }), Shapes: axisShapes,
		Edges: []Edge{{"tie", ts(mat(2, 2, 1, 2, 1, 3)), ts(mat(2, 2, 0.5, 1, 0.5, 0))}},
		Doc:   "ties share the gradient evenly, per column"},
	{Name: "Prod", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Prod(x, false) }),
		Shapes: [][][]int{{{}}, {{5}}, {{2, 3}}}, Smooth: true,
		Edges: []Edge{{"one zero", ts(vec(0, 2, 3)), ts(vec(6, 0, 0))}, {"two zeros", ts(vec(0, 0, 3)), ts(vec(0, 0, 0))}},
		Doc:   "exact at zero elements (no division by x)"},
	{Name: "Prod[axis=-1]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Prod(x, false, -1) }),
		Shapes: [][][]int{{{3}}, {{2, 5}}}, Smooth: true},
	{Name: "LogSumExp", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.LogSumExp(x, false) }), Shapes: reduceShapes, Smooth: true,
		Edges: []Edge{{"large", ts(vec(1000, 1000)), ts(vec(0.5, 0.5))},
			{"+Inf", ts(vec(inf, 0)), ts(vec(nan, 0))},
			{"+Inf,+Inf", ts(vec(inf, inf)), ts(vec(nan, nan))},
			{"-Inf,-Inf", ts(vec(-inf, -inf)), ts(vec(nan, nan))},
			{"-Inf,0", ts(vec(-inf, 0)), ts(vec(0, 1))},
			{"+Inf,-Inf", ts(vec(inf, -inf)), ts(vec(nan, 0))}},
		Doc: "stable: no overflow at large inputs; gradient exp(x − lse) as PyTorch: NaN at ±Inf elements when the result is infinite (a diverging loss shows)"},
	{Name: "LogSumExp[axis=-1,keep]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.LogSumExp(x, true, -1) }),
		Shapes: axisShapes, Smooth: true},
	{Name: "Softmax[axis=-1]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Softmax(x, -1) }), Shapes: axisShapes, Smooth: true,
		Edges: []Edge{{"large", ts(vec(1000, 1000)), ts(vec(0, 0))}},
		Doc:   "stable: no overflow at large inputs"},
	{Name: "Softmax[axis=0]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Softmax(x, 0) }),
		Shapes: [][][]int{{{3}}, {{2, 3}}}, Smooth: true},
	{Name: "LogSoftmax[axis=-1]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.LogSoftmax(x, -1) }), Shapes: axisShapes, Smooth: true,
		Edges: []Edge{{"large", ts(vec(1000, 1000)), ts(vec(0, 0))}},
		Doc:   "stable: no overflow at large inputs"},

	// Matrix products.
	{Name: "Linear", Arity: 3, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value { return ad.Linear(xs[0], xs[1], xs[2]) },
		Shapes: [][][]int{
			{{2, 3}, {4, 3}, {4}},
			{{3}, {2, 3}, {2}},          // one input vector
			{{2, 2, 3}, {4, 3}, {4}},    // batch dimensions, flattened
			{{2, 1, 2, 3}, {1, 3}, {1}}, // one output feature
		},
		Doc: "x·wᵀ + b (PyTorch's F.linear), the leading dimensions of x as rows of one product"},
	{Name: "Linear[nobias]", Arity: 2, Smooth: true,
		Fn:     func(xs ...ad.Value) ad.Value { return ad.Linear(xs[0], xs[1], ad.Value{}) },
		Shapes: [][][]int{{{2, 3}, {4, 3}}, {{3, 2, 3}, {2, 3}}},
		Doc:    "x·wᵀ without a bias"},
	{Name: "MatMul", Arity: 2, Fn: f2(ad.MatMul), Smooth: true,
		Shapes: [][][]int{
			{{2, 3}, {3, 2}},          // matrix
			{{2, 2, 3}, {2, 3, 2}},    // batched
			{{2, 1, 2, 3}, {3, 3, 2}}, // broadcast batch
			{{2, 3}, {3}},             // matrix-vector
			{{3}, {3, 2}},             // vector-matrix
			{{3}, {3}},                // vector-vector
			{{2, 2, 3}, {3}},          // batched matrix-vector
			{{3}, {2, 3, 2}},          // vector-batched matrix
		},
		Doc: "matrix, batched, broadcast batch, matrix-vector, vector-matrix, vector-vector, batched matrix-vector, vector-batched matrix"},
	{Name: "MT", Arity: 1, Fn: f1(ad.MT), Shapes: [][][]int{{{2, 3}}, {{2, 2, 3}}}, Smooth: true},
	{Name: "Dot", Arity: 2, Fn: f2(ad.Dot), Shapes: [][][]int{{{1}, {1}}, {{3}, {3}}}, Smooth: true},

	// Shape ops.
	{Name: "Reshape", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		s := slices.Clone(x.Shape())
		slices.Reverse(s)
		return ad.Reshape(x, append(s, 1)...)
	}), Shapes: [][][]int{{{}}, {{3}}, {{2, 3}}, {{2, 1, 3}}}, Smooth: true,
		Doc: "to the reversed shape with a trailing 1"},
	{Name: "Transpose", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Transpose(x) }),
		Shapes: [][][]int{{{4}}, {{2, 3}}, {{2, 3, 2}}}, Smooth: true, Doc: "axes reversed"},
	{Name: "Transpose[perm=1,2,0]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Transpose(x, 1, 2, 0) }),
		Shapes: [][][]int{{{2, 3, 2}}, {{1, 2, 3}}}, Smooth: true},
	{Name: "BroadcastTo", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		s := []int{2}
		for _, d := range x.Shape() {
			if d == 1 {
				d = 3
			}
			s = append(s, d)
		}
		return ad.BroadcastTo(x, s...)
	}), Shapes: [][][]int{{{}}, {{3}}, {{1, 3}}, {{2, 1}}}, Smooth: true,
		Doc: "to a new leading axis of 2, size-1 axes to 3"},
	{Name: "SumTo", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		s := slices.Clone(x.Shape()[1:])
		if len(s) >= 2 {
			s[len(s)-1] = 1
		}
		return ad.SumTo(x, s...)
	}), Shapes: [][][]int{{{3}}, {{2, 3}}, {{2, 3, 2}}}, Smooth: true,
		Doc: "drops the leading axis and sums a trailing one to size 1"},
	{Name: "Slice", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Slice(x, -1, 1, x.Shape()[x.Rank()-1]) }),
		Shapes: [][][]int{{{3}}, {{2, 3}}, {{2, 2, 4}}}, Smooth: true, Doc: "last axis from 1"},
	{Name: "Slice[axis=0]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Slice(x, 0, 0, x.Shape()[0]-1) }),
		Shapes: [][][]int{{{3}}, {{3, 2}}}, Smooth: true},
	{Name: "Pad", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Pad(x, -1, 1, 2) }),
		Shapes: [][][]int{{{3}}, {{2, 3}}}, Smooth: true, Doc: "last axis, 1 before and 2 after"},
	{Name: "Pad[axis=0]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Pad(x, 0, 0, 1) }),
		Shapes: [][][]int{{{2, 2}}}, Smooth: true},
	{Name: "Concat", Arity: 3, Fn: func(xs ...ad.Value) ad.Value { return ad.Concat(-1, xs...) },
		Shapes: [][][]int{{{2}, {3}, {1}}, {{2, 1}, {2, 3}, {2, 2}}}, Smooth: true, Doc: "last axis"},
	{Name: "Concat[axis=0]", Arity: 2, Fn: func(xs ...ad.Value) ad.Value { return ad.Concat(0, xs...) },
		Shapes: [][][]int{{{1, 3}, {2, 3}}}, Smooth: true},
	{Name: "Stack", Arity: 2, Fn: func(xs ...ad.Value) ad.Value { return ad.Stack(0, xs...) },
		Shapes: [][][]int{{{}, {}}, {{3}, {3}}, {{2, 2}, {2, 2}}}, Smooth: true},
	{Name: "Stack[axis=-1]", Arity: 2, Fn: func(xs ...ad.Value) ad.Value { return ad.Stack(-1, xs...) },
		Shapes: [][][]int{{{3}, {3}}, {{2, 2}, {2, 2}}}, Smooth: true},
	{Name: "TakeAlong", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.TakeAlong(x, -1, gatherIdx(x.Shape())) }),
		Shapes: [][][]int{{{3}}, {{2, 3}}, {{2, 2, 3}}}, Smooth: true,
		Doc: "last axis; repeated and negative indices"},
	{Name: "ScatterAddAlong", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		s := slices.Clone(x.Shape())
		s[len(s)-1] = 3
		return ad.ScatterAddAlong(x, -1, scatterIdx(x.Shape()), s...)
	}), Shapes: [][][]int{{{4}}, {{2, 4}}, {{2, 2}}}, Smooth: true,
		Doc: "into a last axis of 3; repeated and negative indices"},
	{Name: "Take", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Take(x, 0, []int{2, 0, 2}) }),
		Shapes: [][][]int{{{3}}, {{3, 2}}}, Smooth: true, Doc: "axis 0, indices 2, 0, 2"},
	{Name: "Take[axis=-1]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.Take(x, -1, []int{1, -1, 1}) }),
		Shapes: [][][]int{{{2, 2}}}, Smooth: true},
	{Name: "AsType", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		return ad.AsType(ad.AsType(x, tensor.Float32), tensor.Float64)
	}), Shapes: unaryShapes, Smooth: true, Step: 0.5, Tol: 1e-5,
		Doc: "float64 → float32 → float64: rounds, so a long step and tolerance 1e-5"},

	// Losses.
	{Name: "MSE", Arity: 2, Fn: f2(ad.MSE), Shapes: [][][]int{{{}, {}}, {{3}, {3}}, {{2, 3}, {2, 3}}, {{2, 3}, {3}}}, Smooth: true},
	{Name: "SoftmaxCrossEntropy", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		labels := make([]int, x.Shape()[0])
		for i := range labels {
			labels[i] = (2 * i) % x.Shape()[1]
		}
		return ad.SoftmaxCrossEntropy(x, labels)
	}), Shapes: [][][]int{{{1, 2}}, {{2, 3}}, {{3, 4}}}, Smooth: true, Doc: "labels 2i mod classes"},
	{Name: "SoftmaxCrossEntropy[weights,smoothing]", Arity: 1, Fn: f1(func(x ad.Value) ad.Value {
		b, c := x.Shape()[0], x.Shape()[1]
		labels := make([]int, b)
		for i := range labels {
			labels[i] = (2 * i) % c
		}
		w := x.DType().Zeros(c)
		for k := range c {
			w.SetFlat(k, 0.5+float64(k))
		}
		return ad.SoftmaxCrossEntropy(x, labels, ad.CrossEntropyOptions{Weights: w, LabelSmoothing: 0.2})
	}), Shapes: [][][]int{{{1, 2}}, {{2, 3}}, {{3, 4}}}, Smooth: true, Doc: "class weights 0.5+k, label smoothing 0.2"},

	// User-defined rules.
	{Name: "Custom", Arity: 2, Fn: customSinMul, Shapes: [][][]int{{{}, {}}, {{3}, {3}}, {{2, 3}, {2, 3}}}, Smooth: true,
		Doc: "a·sin b with hand-written JVP and VJP rules"},
	{Name: "Checkpoint", Arity: 2, Fn: ad.Checkpoint(func(xs []ad.Value) ad.Value { return ad.Mul(ad.Sin(xs[0]), ad.Exp(xs[1])) }),
		Shapes: binaryShapes, Smooth: true, Doc: "sin a · exp b, recomputed in the reverse sweep"},

	// Neural-network primitives (ad/nn.go, ad/conv.go).
	{Name: "GELU", Arity: 1, Fn: f1(ad.GELU), Shapes: unaryShapes, Smooth: true, Domain: within(-4, 4),
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(0.5))}, {"x=±40", ts(vec(-40, 40)), ts(vec(0, 1))}},
		Doc:   "exact erf form; GELU'(0) = ½"},
	{Name: "GELUTanh", Arity: 1, Fn: f1(ad.GELUTanh), Shapes: unaryShapes, Smooth: true, Domain: within(-4, 4),
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(0.5))}, {"x=±40", ts(vec(-40, 40)), ts(vec(0, 1))}},
		Doc:   "tanh approximation; GELUTanh'(0) = ½"},
	{Name: "SiLU", Arity: 1, Fn: f1(ad.SiLU), Shapes: unaryShapes, Smooth: true, Domain: within(-4, 4),
		Edges: []Edge{{"x=0", ts(sc(0)), ts(sc(0.5))}, {"x=±800", ts(vec(-800, 800)), ts(vec(0, 1))}},
		Doc:   "no overflow: SiLU'(±800) = 0, 1"},
	{Name: "Conv2D", Arity: 2, Fn: conv2D(ad.ConvConfig{}), Smooth: true,
		Shapes: [][][]int{{{1, 1, 3, 3}, {1, 1, 2, 2}}, {{2, 2, 4, 3}, {3, 2, 2, 2}}, {{1, 3, 3, 3}, {2, 3, 1, 1}}},
		Doc:    "NCHW input, OIHW weights; 1×1 kernels included"},
	{Name: "Conv2D[stride=2,1,pad=(1,0),(2,1)]", Arity: 2, Smooth: true,
		Fn:     conv2D(ad.ConvConfig{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 0}, {2, 1}}}),
		Shapes: [][][]int{{{1, 2, 5, 4}, {2, 2, 3, 2}}},
		Doc:    "asymmetric padding"},
	{Name: "Conv2D[dilation=2,pad=1]", Arity: 2, Smooth: true,
		Fn:     conv2D(ad.ConvConfig{Dilation: [2]int{2, 2}, Padding: [2][2]int{{1, 1}, {1, 1}}}),
		Shapes: [][][]int{{{2, 1, 4, 5}, {2, 1, 2, 3}}}},
	{Name: "Conv2D[groups=2,stride=2]", Arity: 2, Smooth: true,
		Fn:     conv2D(ad.ConvConfig{Groups: 2, Stride: [2]int{2, 2}}),
		Shapes: [][][]int{{{1, 4, 5, 5}, {4, 2, 2, 2}}},
		Doc:    "grouped"},
	{Name: "Conv2D[depthwise,pad=1]", Arity: 2, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value {
			return ad.Conv2D(xs[0], xs[1], ad.ConvConfig{Groups: xs[0].Shape()[1], Padding: [2][2]int{{1, 1}, {1, 1}}})
		},
		Shapes: [][][]int{{{2, 3, 3, 3}, {3, 1, 2, 2}}, {{1, 2, 3, 2}, {4, 1, 3, 1}}},
		Doc:    "groups = channels (with channel multiplier 2 in the second case)"},
	{Name: "ConvTranspose2D[stride=2,pad=1,outpad=1]", Arity: 2, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value {
			return ad.ConvTranspose2D(xs[0], xs[1], ad.ConvConfig{Stride: [2]int{2, 2}, Padding: [2][2]int{{1, 1}, {0, 0}}}, [2]int{1, 0})
		},
		Shapes: [][][]int{{{1, 2, 2, 3}, {2, 3, 3, 2}}, {{2, 1, 3, 2}, {1, 1, 2, 2}}},
		Doc:    "the adjoint of Conv2D; output padding resolves the stride's ambiguity"},
	{Name: "ConvTranspose2D[groups=2]", Arity: 2, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value {
			return ad.ConvTranspose2D(xs[0], xs[1], ad.ConvConfig{Groups: 2}, [2]int{})
		},
		Shapes: [][][]int{{{1, 4, 2, 2}, {4, 1, 2, 2}}}},
	{Name: "Conv1D[stride=2,pad=(1,2)]", Arity: 2, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value {
			return ad.Conv1D(xs[0], xs[1], ad.Conv1DConfig{Stride: 2, Padding: [2]int{1, 2}})
		},
		Shapes: [][][]int{{{2, 2, 5}, {3, 2, 3}}},
		Doc:    "NCL input, OIK weights: Conv2D over a height of 1"},
	{Name: "MaxPool2D", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.MaxPool2D(x, [2]int{2, 2}, ad.PoolConfig{}) }),
		Shapes: [][][]int{{{1, 1, 2, 2}}, {{2, 2, 4, 5}}},
		Edges: []Edge{
			{"tie", ts(tensor.New([]float64{1, 3, 3, 2}, 1, 1, 2, 2)), ts(tensor.New([]float64{0, 1, 0, 0}, 1, 1, 2, 2))},
			{"all equal", ts(tensor.New([]float64{5, 5, 5, 5}, 1, 1, 2, 2)), ts(tensor.New([]float64{1, 0, 0, 0}, 1, 1, 2, 2))},
		},
		Doc: "2×2 windows, stride 2; a tie sends the whole gradient to the first maximum in row-major window order (PyTorch)"},
	{Name: "MaxPool2D[3x2,stride=1,2,pad=(1,1),(0,1)]", Arity: 1,
		Fn: f1(func(x ad.Value) ad.Value {
			return ad.MaxPool2D(x, [2]int{3, 2}, ad.PoolConfig{Stride: [2]int{1, 2}, Padding: [2][2]int{{1, 1}, {0, 1}}})
		}),
		Shapes: [][][]int{{{1, 2, 3, 4}}},
		Edges:  []Edge{{"overlapping tie", ts(tensor.New([]float64{2, 2, 1}, 1, 1, 3, 1)), ts(tensor.New([]float64{2, 1, 0}, 1, 1, 3, 1))}},
		Doc:    "overlapping windows add their gradients; padding is -Inf"},
	{Name: "AvgPool2D", Arity: 1, Fn: f1(func(x ad.Value) ad.Value { return ad.AvgPool2D(x, [2]int{2, 2}, ad.PoolConfig{}) }),
		Shapes: [][][]int{{{1, 1, 2, 2}}, {{2, 2, 4, 5}}}, Smooth: true},
	{Name: "AvgPool2D[3x3,stride=2,pad=1]", Arity: 1,
		Fn: f1(func(x ad.Value) ad.Value {
			return ad.AvgPool2D(x, [2]int{3, 3}, ad.PoolConfig{Stride: [2]int{2, 2}, Padding: [2][2]int{{1, 1}, {1, 1}}})
		}),
		Shapes: [][][]int{{{1, 2, 5, 4}}}, Smooth: true,
		Doc: "padding counts as zeros in the mean (PyTorch's count_include_pad=True)"},
	{Name: "LayerNorm", Arity: 3, Smooth: true,
		Fn:     func(xs ...ad.Value) ad.Value { return ad.LayerNorm(xs[0], xs[1].Rank(), xs[1], xs[2], 1e-5) },
		Shapes: [][][]int{{{2, 3}, {3}, {3}}, {{2, 2, 3}, {2, 3}, {2, 3}}},
		Doc:    "over the trailing axes of gamma's shape, eps 1e-5"},
	{Name: "LayerNorm[n=1,no affine]", Arity: 1, Smooth: true,
		Fn:     f1(func(x ad.Value) ad.Value { return ad.LayerNorm(x, 1, ad.Value{}, ad.Value{}, 1e-5) }),
		Shapes: [][][]int{{{4}}, {{2, 3}}},
		Edges:  []Edge{{"constant row", ts(vec(2, 2, 2)), ts(vec(0, 0, 0))}},
		Doc:    "a constant row is finite (eps inside the square root); Σy = 0 so ∇Σy = 0"},
	{Name: "BatchNorm", Arity: 3, Smooth: true,
		Fn:     func(xs ...ad.Value) ad.Value { return ad.BatchNorm(xs[0], xs[1], xs[2], 1e-5) },
		Shapes: [][][]int{{{3, 2}, {2}, {2}}, {{2, 2, 2, 3}, {2}, {2}}},
		Doc:    "batch statistics (training mode) per channel, biased variance, eps 1e-5"},
	{Name: "BatchNormWithStats", Arity: 5, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value { return ad.BatchNormWithStats(xs[0], xs[1], xs[2], xs[3], xs[4], 1e-5) },
		Domain: func(i int) (float64, float64) {
			if i == 2 {
				return 0.5, 2 // variance
			}
			return -2, 2
		},
		Shapes: [][][]int{{{3, 2}, {2}, {2}, {2}, {2}}, {{2, 2, 3, 2}, {2}, {2}, {2}, {2}}},
		Doc:    "given mean and variance (evaluation mode)"},
	{Name: "Dropout", Arity: 1, Smooth: true,
		Fn: f1(func(x ad.Value) ad.Value {
			return ad.Dropout(x, 0.4, true, rand.New(rand.NewPCG(1, 2))) // the same mask at every call
		}),
		Shapes: [][][]int{{{}}, {{8}}, {{3, 4}}},
		Doc:    "p = 0.4 with a fixed seed: a linear map by the mask (0 or 1/(1-p))"},
	{Name: "Dropout[eval]", Arity: 1, Smooth: true,
		Fn:     f1(func(x ad.Value) ad.Value { return ad.Dropout(x, 0.4, false, nil) }),
		Shapes: unaryShapes,
		Doc:    "the identity in evaluation mode"},
	{Name: "Attention", Arity: 3, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value { return ad.Attention(xs[0], xs[1], xs[2], false) },
		Shapes: [][][]int{
			{{2, 3}, {4, 3}, {4, 2}},
			{{2, 2, 3, 2}, {2, 1, 4, 2}, {1, 4, 3}}, // batch 2, 2 heads; broadcast keys and values
		},
		Edges: []Edge{{"large logits", ts(tensor.New([]float64{300, -300}, 1, 2), tensor.New([]float64{300, 0, -300, 0}, 2, 2), mat(2, 1, 1, 2)),
			ts(tensor.New([]float64{0, 0}, 1, 2), tensor.New([]float64{0, 0, 0, 0}, 2, 2), mat(2, 1, 1, 0))}},
		Doc: "softmax(q·kᵀ/√d)·v; stable: logits of ±63640 give a one-hot softmax and finite gradients"},
	{Name: "Attention[causal]", Arity: 3, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value { return ad.Attention(xs[0], xs[1], xs[2], true) },
		Shapes: [][][]int{
			{{3, 2}, {3, 2}, {3, 2}},
			{{2, 2, 3, 2}, {2, 2, 4, 2}, {2, 2, 4, 1}},
		},
		Doc: "query i attends to keys j ≤ i; the masked weights are exactly 0, with no gradient"},
}

// customSinMul is a·sin b with hand-written rules, to check ad.Custom.
var customSinMul = ad.Custom("sin_mul",
	func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Sin(xs[1])) },
	func(x, t []ad.Value) ad.Value {
		return ad.Add(ad.Mul(t[0], ad.Sin(x[1])), ad.Mul(ad.Mul(x[0], ad.Cos(x[1])), t[1]))
	},
	func(x []ad.Value, _, ct ad.Value) []ad.Value {
		return []ad.Value{ad.Mul(ct, ad.Sin(x[1])), ad.Mul(ct, ad.Mul(x[0], ad.Cos(x[1])))}
	})

// comparison makes the table entry of a comparison: no derivative at all,
// checked at random points and at a tie.
func comparison(name string, f func(a, b ad.Value) ad.Value) Op {
	return Op{Name: name, Arity: 2, Fn: f2(f), Shapes: binaryShapes, Constant: true,
		Edges: []Edge{{"tie", ts(vec(1, 2), sc(1)), ts(vec(0, 0), sc(0))}},
		Doc:   "no derivative: exactly 0, at ties too"}
}

// gatherIdx returns TakeAlong indices along the last axis of shape: n+1 per
// lane, for n the axis length, with repeats and a negative index.
func gatherIdx(shape []int) []int {
	n := shape[len(shape)-1]
	lanes := tensor.Size(shape) / n
	idx := make([]int, 0, lanes*(n+1))
	for l := range lanes {
		for j := range n {
			idx = append(idx, (l+2*j)%n)
		}
		idx = append(idx, -1)
	}
	return idx
}

// scatterIdx returns ScatterAddAlong indices into a last axis of 3 for a
// source of the given shape, with repeats and a negative index.
func scatterIdx(shape []int) []int {
	idx := make([]int, tensor.Size(shape))
	for i := range idx {
		idx[i] = i % 3
	}
	idx[len(idx)-1] = -1
	return idx
}

// conv2D is the table's Fn for ad.Conv2D with a fixed config.
func conv2D(cfg ad.ConvConfig) func(...ad.Value) ad.Value {
	return func(xs ...ad.Value) ad.Value { return ad.Conv2D(xs[0], xs[1], cfg) }
}

func f1(f func(ad.Value) ad.Value) func(...ad.Value) ad.Value {
	return func(xs ...ad.Value) ad.Value { return f(xs[0]) }
}

func f2(f func(a, b ad.Value) ad.Value) func(...ad.Value) ad.Value {
	return func(xs ...ad.Value) ad.Value { return f(xs[0], xs[1]) }
}

// zero returns a scalar 0 of x's dtype.
func zero(x ad.Value) ad.Value { return ad.From(x.DType().Scalar(0)) }

func within(lo, hi float64) func(int) (float64, float64) {
	return func(int) (float64, float64) { return lo, hi }
}

func within2(lo0, hi0, lo1, hi1 float64) func(int) (float64, float64) {
	return func(i int) (float64, float64) {
		if i == 0 {
			return lo0, hi0
		}
		return lo1, hi1
	}
}

func ts(xs ...*tensor.Tensor) []*tensor.Tensor { return xs }

func sc(v float64) *tensor.Tensor { return tensor.Scalar(v) }

func vec(vs ...float64) *tensor.Tensor { return tensor.New(vs, len(vs)) }

func mat(r, c int, vs ...float64) *tensor.Tensor { return tensor.New(vs, r, c) }
