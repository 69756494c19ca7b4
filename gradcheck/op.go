package gradcheck

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Op describes one differentiable operation for the checks: how to call it,
// where to sample its arguments and which argument shapes to try.
type Op struct {
	// Name names the op in subtests and in docs/ops.md. It is the name of
	// the ad function, followed by a bracketed variant when the table has
	// several entries for one function, e.g. "Sum[axis=-1,keep]".
	Name string
	// Arity is the number of arguments Fn takes.
	Arity int
	// Fn applies the op. Static parameters (axes, indices, shapes) are
	// fixed by Fn, possibly from the arguments' shapes.
	Fn func(xs ...ad.Value) ad.Value
	// Domain returns the interval argument i is sampled from; nil means
	// [-2, 2] for every argument.
	Domain func(i int) (lo, hi float64)
	// Shapes lists argument-shape lists to test, one shape per argument;
	// [] is a scalar. Broadcasting pairs belong here.
	Shapes [][][]int
	// Edges are fixed points with the gradient the op's convention
	// prescribes (relu'(0) = 0, ties split evenly, …).
	Edges []Edge
	// SplitEdges are fixed points where the convention gives forward and
	// reverse mode different gradients: a tangent that underflowed to 0
	// still annihilates an infinite local derivative (the chain rule's
	// one-sided strong zero), where reverse mode gives NaN.
	SplitEdges []SplitEdge
	// Smooth is false for ops with kinks or jumps. Random points for them
	// keep every element at least Gap away from 0 and from every other
	// element, since the kinks of ad's ops sit at 0 (relu, abs, where on
	// x > 0) or at ties (maximum, max, comparisons); the finite
	// differences then never straddle a kink, at first or second order.
	Smooth bool
	// Constant marks an op whose output carries no derivative
	// (comparisons, StopGradient): every derivative must be exactly 0,
	// whatever finite differences say.
	Constant bool
	// Step, if non-zero, replaces the finite-difference step (for ops that
	// round, whose differences need a long step).
	Step float64
	// Tol, if non-zero, is the least relative tolerance of every
	// comparison for this op (for ops that round, such as AsType through
	// float32).
	Tol float64
	// Doc states the op's convention at kinks and singular points, for
	// docs/ops.md.
	Doc string
}

// Edge is a fixed argument point of an op with the expected gradient.
type Edge struct {
	// Name describes the point, e.g. "x=0" or "tie".
	Name string
	// Args are the arguments, one per Op argument.
	Args []*tensor.Tensor
	// Want is the expected gradient of the sum of the op's output with
	// respect to each argument (a cotangent of ones), one per argument.
	// NaN and ±Inf must be matched exactly, finite values to 1e-12.
	Want []*tensor.Tensor
}

// SplitEdge is an Edge whose gradient by forward mode is Forward.
type SplitEdge struct {
	Edge
	Forward []*tensor.Tensor
}

// Gap is how far apart the elements of random points for non-smooth ops are
// kept from each other and from 0; see Op.Smooth.
const Gap = 1e-3

// Sample returns random float64 arguments of the given shapes for op, drawn
// uniformly from its Domain by a generator seeded with seed; see Op.Smooth
// for the points of non-smooth ops. Equal seeds give equal arguments.
func (op Op) Sample(seed uint64, shapes [][]int) []*tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb))
	args := make([]*tensor.Tensor, len(shapes))
	for attempt := 0; ; attempt++ {
		for i, s := range shapes {
			lo, hi := op.domain(i)
			t := tensor.Zeros(s...)
			for j := range t.Size() {
				t.SetFlat(j, lo+(hi-lo)*rng.Float64())
			}
			args[i] = t
		}
		if op.Smooth || separated(args) || attempt == 100 {
			return args
		}
	}
}

func (op Op) domain(i int) (lo, hi float64) {
	if op.Domain == nil {
		return -2, 2
	}
	return op.Domain(i)
}

// separated reports whether all elements of ts are at least Gap away from 0
// and from each other.
func separated(ts []*tensor.Tensor) bool {
	var all []float64
	for _, t := range ts {
		all = append(all, t.Float64s()...)
	}
	slices.Sort(all)
	for i, x := range all {
		if math.Abs(x) < Gap || (i > 0 && x-all[i-1] < Gap) {
			return false
		}
	}
	return true
}

// seedFor derives a reproducible seed from an op's name and a case label, so
// a case's random numbers do not depend on the table's order.
func seedFor(name, label string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(label))
	return h.Sum64()
}

// ShapesName formats an argument-shape list for subtest names and errors:
// dimensions joined by "x", arguments by ",", a scalar as "scalar"; e.g.
// "2x3,3".
func ShapesName(shapes [][]int) string {
	parts := make([]string, len(shapes))
	for i, s := range shapes {
		if len(s) == 0 {
			parts[i] = "scalar"
			continue
		}
		ds := make([]string, len(s))
		for j, d := range s {
			ds[j] = strconv.Itoa(d)
		}
		parts[i] = strings.Join(ds, "x")
	}
	return strings.Join(parts, ",")
}

func shapesOf(ts []*tensor.Tensor) [][]int {
	s := make([][]int, len(ts))
	for i, t := range ts {
		s[i] = t.Shape()
	}
	return s
}
