package ad_test

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Sizes here are above package tensor's pooling threshold (4096 elements),
// so that recycled storage really is handed out again.

// recycleCases are functions over tensors that exercise views (reshape,
// slice, transpose), broadcasting, fan-out, reductions, matrix products,
// where, a custom rule and a checkpoint.
func recycleCases() []struct {
	name string
	f    func(xs []ad.Value) ad.Value
	xs   []ad.Value
} {
	w := ad.From(tensor.RandN(seeded(11), 64, 96)) // a captured constant
	sq := ad.Custom("sq", func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], xs[0]) },
		func(p, t []ad.Value) ad.Value { return ad.Mul(ad.Scalar(2), ad.Mul(p[0], t[0])) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value {
			return []ad.Value{ad.Mul(ct, ad.Mul(ad.Scalar(2), p[0]))}
		})
	seg := ad.Checkpoint(func(xs []ad.Value) ad.Value { return ad.Tanh(ad.MatMul(xs[0], xs[1])) })
	return []struct {
		name string
		f    func(xs []ad.Value) ad.Value
		xs   []ad.Value
	}{
		{"rosenbrock", func(xs []ad.Value) ad.Value { return rosenN(xs[0]) }, []ad.Value{ad.From(tensor.Rand(seeded(1), -1, 1, 20000))}},
		{"mlp", func(xs []ad.Value) ad.Value {
			h := ad.Tanh(ad.Add(ad.MatMul(xs[0], w), xs[1]))
			labels := make([]int, 128)
			for i := range labels {
				labels[i] = i * 7 % 48
			}
			return ad.SoftmaxCrossEntropy(ad.Reshape(h, 128, 48), labels)
		}, []ad.Value{ad.From(tensor.RandN(seeded(2), 64, 64)), ad.From(tensor.RandN(seeded(3), 96))}},
		{"views", func(xs []ad.Value) ad.Value {
			x := xs[0]
			t := ad.Transpose(ad.Reshape(x, 80, 100), 1, 0)
			a, b := ad.Slice(t, 0, 0, 50), ad.Slice(t, 0, 50, 100)
			c := ad.Concat(1, ad.Mul(a, b), ad.Exp(ad.Neg(a)))
			m := ad.Where(ad.Greater(c, ad.Scalar(0)), c, ad.Square(c))
			return ad.Add(ad.Sum(ad.Mul(m, m), false), ad.Sum(ad.Mean(ad.Sin(x), false), false))
		}, []ad.Value{ad.From(tensor.RandN(seeded(4), 8000))}},
		{"custom and checkpoint", func(xs []ad.Value) ad.Value {
			return ad.Sum(sq(seg(xs[0], w)), false)
		}, []ad.Value{ad.From(tensor.RandN(seeded(5), 128, 64))}},
	}
}

// With recycling, repeated gradients equal, bit for bit, those computed with
// it off, and no input or captured constant changes.
func TestGradRecyclingMatchesFresh(t *testing.T) {
	for _, c := range recycleCases() {
		inputs := make([][]float64, len(c.xs))
		for i, x := range c.xs {
			inputs[i] = slices.Clone(x.Tensor().Float64s())
		}
		restore := ad.SetRecycling(false)
		wantV, wantG := ad.ValueAndGrads(c.f, c.xs...)
		restore()
		for round := 0; round < 4; round++ {
			v, gs := ad.ValueAndGrads(c.f, c.xs...)
			if math.Float64bits(v.Item()) != math.Float64bits(wantV.Item()) {
				t.Errorf("%s, round %d: value %v, want %v", c.name, round, v.Item(), wantV.Item())
			}
			for i := range gs {
				if !tensor.Equal(gs[i].Tensor(), wantG[i].Tensor()) {
					t.Errorf("%s, round %d: gradient %d differs from the one computed without recycling", c.name, round, i)
				}
			}
		}
		for i, x := range c.xs {
			if !slices.Equal(x.Tensor().Float64s(), inputs[i]) {
				t.Errorf("%s: input %d changed", c.name, i)
			}
		}
		// the first gradients, kept across the rounds, are intact
		restore = ad.SetRecycling(false)
		_, again := ad.ValueAndGrads(c.f, c.xs...)
		restore()
		for i := range again {
			if !tensor.Equal(again[i].Tensor(), wantG[i].Tensor()) {
				t.Errorf("%s: a kept gradient %d changed", c.name, i)
			}
		}
	}
}

// What the function hands out while recording — a Tensor, a StopGradient
// constant — and what user code holds — a custom rule's own storage, which
// its forward or reverse rule returns, and the cotangent its reverse rule
// saw — survive later gradients; a tracer that escaped the function panics
// with ErrGraph instead of showing reused storage.
func TestGradRecyclingKeepsWhatEscapes(t *testing.T) {
	x := ad.From(tensor.RandN(seeded(1), 6000))
	// custom rules' own storage, one each, so that no rule's use pins another's
	held, held2, held3 := tensor.RandN(seeded(2), 6000), tensor.RandN(seeded(3), 6000), tensor.RandN(seeded(4), 6000)
	heldAt, held2At, held3At := held.Clone(), held2.Clone(), held3.Clone()
	w := ad.From(tensor.RandN(seeded(5), 6000))
	// shift(x) = x + held3, its reverse rule stashing the cotangent
	var stash, stashAt *tensor.Tensor
	shift := ad.Custom("shift", func(xs []ad.Value) ad.Value { return ad.Add(xs[0], ad.From(held3)) },
		func(_, ts []ad.Value) ad.Value { return ts[0] },
		func(_ []ad.Value, _, ct ad.Value) []ad.Value {
			stash = ct.Tensor()
			stashAt = stash.Clone()
			return []ad.Value{ad.Neg(ad.Neg(ct))} // not ct itself: only the stash holds it
		})
	// constant(x) returns held itself; dot(x) = Σ x·held returns held as
	// its gradient when the cotangent is 1
	constant := ad.Custom("constant", func([]ad.Value) ad.Value { return ad.From(held2) },
		func(_, ts []ad.Value) ad.Value { return ad.Mul(ts[0], ad.Scalar(0)) },
		func(p []ad.Value, _, _ ad.Value) []ad.Value { return []ad.Value{ad.Mul(p[0], ad.Scalar(0))} })
	dot := ad.Custom("dot", func(xs []ad.Value) ad.Value { return ad.Sum(ad.Mul(xs[0], ad.From(held)), false) },
		func(_, ts []ad.Value) ad.Value { return ad.Sum(ad.Mul(ts[0], ad.From(held)), false) },
		func(_ []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.From(held)} })
	var kept, keptAt, stopped, stoppedAt *tensor.Tensor
	var escaped ad.Value
	f := func(x ad.Value) ad.Value {
		k := ad.Exp(ad.Mul(x, ad.Scalar(0.5)))
		kept = k.Tensor()
		keptAt = kept.Clone()
		s := ad.Cos(x)
		stopped = ad.StopGradient(s).Tensor()
		stoppedAt = stopped.Clone()
		escaped = ad.Sin(x)
		sum := ad.Add(ad.Mul(escaped, k), ad.Mul(s, constant(x)))
		return ad.Add(ad.Sum(ad.Mul(shift(sum), w), false), dot(ad.Square(x)))
	}
	for range 5 { // later sweeps take recycled storage
		ad.ValueAndGrad(f, x)
		ad.ValueAndGrad(func(x ad.Value) ad.Value { return ad.Sum(ad.Square(ad.Tanh(x)), false) }, x)
		if !tensor.Equal(kept, keptAt) {
			t.Fatal("a value handed out by Tensor was recycled")
		}
		if !tensor.Equal(stopped, stoppedAt) {
			t.Fatal("a value handed out by StopGradient was recycled")
		}
		if !tensor.Equal(stash, stashAt) {
			t.Fatal("the cotangent a custom rule saw was recycled")
		}
		if !tensor.Equal(held, heldAt) {
			t.Fatal("a custom rule's own storage, returned as a cotangent, was recycled")
		}
		if !tensor.Equal(held2, held2At) || !tensor.Equal(held3, held3At) {
			t.Fatal("a custom rule's own storage, returned or used by its forward rule, was recycled")
		}
	}
	for name, use := range map[string]func(){
		"Tensor": func() { escaped.Tensor() },
		"Shape":  func() { escaped.Shape() },
		"Item":   func() { escaped.Item() },
		"op":     func() { ad.Add(escaped, escaped) },
	} {
		err := tensor.Maybe(use)
		if !errors.Is(err, tensor.ErrGraph) {
			t.Errorf("%s of an escaped tracer: got %v, want ErrGraph", name, err)
		}
	}
	if s := escaped.String(); !strings.Contains(s, "escaped") {
		t.Errorf("String of an escaped tracer = %q", s)
	}
}

// Concurrent gradients recycle into the shared pools without interfering.
func TestGradRecyclingConcurrent(t *testing.T) {
	cases := recycleCases()
	want := make([][]ad.Value, len(cases))
	restore := ad.SetRecycling(false)
	for i, c := range cases {
		_, want[i] = ad.ValueAndGrads(c.f, c.xs...)
	}
	restore()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 6 {
				i := (g + r) % len(cases)
				_, gs := ad.ValueAndGrads(cases[i].f, cases[i].xs...)
				for j := range gs {
					if !tensor.Equal(gs[j].Tensor(), want[i][j].Tensor()) {
						errs <- cases[i].name
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("%s: a concurrent gradient differs", name)
	}
}

// Nested differentiation recycles only at the outermost JVP (an outer
// trace may hold an inner sweep's values): Hessians agree with recycling
// on and off.
func TestGradRecyclingNested(t *testing.T) {
	x := ad.From(tensor.Rand(seeded(3), -1, 1, 70))
	restore := ad.SetRecycling(false)
	want := ad.JacFwd(func(y ad.Value) ad.Value { return ad.Grad(rosenN, y) }, x).Tensor()
	wantRR := ad.JacRev(func(y ad.Value) ad.Value { return ad.Grad(rosenN, y) }, x).Tensor()
	restore()
	for range 3 {
		if got := ad.JacFwd(func(y ad.Value) ad.Value { return ad.Grad(rosenN, y) }, x).Tensor(); !tensor.Equal(got, want) {
			t.Error("forward-over-reverse Hessian differs with recycling")
		}
		if got := ad.JacRev(func(y ad.Value) ad.Value { return ad.Grad(rosenN, y) }, x).Tensor(); !tensor.Equal(got, wantRR) {
			t.Error("reverse-over-reverse Hessian differs with recycling")
		}
	}
}

// Recycling takes repeated gradients' storage from the pool: they allocate
// far fewer bytes than with it off.
func TestGradRecyclingReusesStorage(t *testing.T) {
	x := ad.From(tensor.Rand(seeded(1), -1, 1, 20000))
	on, off := allocatedWithRecycling(func() { ad.ValueAndGrad(rosenN, x) })
	t.Logf("5 gradients allocated %d bytes with recycling, %d without", on, off)
	if float64(on) > 0.75*float64(off) {
		t.Errorf("recycling allocated %d bytes, %d without", on, off)
	}
}

// Tensor may be called on the values being recorded from several
// goroutines at once (the race detector checks the bookkeeping), and every
// tensor so handed out survives the gradient.
func TestGradTensorConcurrent(t *testing.T) {
	x := ad.From(tensor.RandN(seeded(1), 5000))
	got := make([]*tensor.Tensor, 4)
	ad.Grad(func(x ad.Value) ad.Value {
		hs := []ad.Value{ad.Sin(x), ad.Cos(x), ad.Exp(x), ad.Tanh(x)}
		var wg sync.WaitGroup
		for i, h := range hs {
			wg.Add(1)
			go func() { defer wg.Done(); got[i] = h.Tensor() }()
		}
		wg.Wait()
		return ad.Sum(ad.Add(ad.Mul(hs[0], hs[1]), ad.Mul(hs[2], hs[3])), false)
	}, x)
	ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.Square(ad.Sin(x)), false) }, x) // takes recycled storage
	xt := x.Tensor()
	for i, want := range []*tensor.Tensor{tensor.Map(xt, math.Sin), tensor.Map(xt, math.Cos), tensor.Exp(xt), tensor.Tanh(xt)} {
		if !tensor.Equal(got[i], want) {
			t.Errorf("value %d handed out by Tensor changed after the gradient", i)
		}
	}
}

// The storage a gradient hands back is bounded by the cache's limit (issue
// 11: after a gradient over 2e8 elements and a collection, 9.1 GB stayed
// held), and released once the program is idle.
func TestGradCacheBounded(t *testing.T) {
	const lim = 16 << 20
	defer tensor.SetCacheLimit(tensor.SetCacheLimit(lim))
	tensor.EmptyCache()
	x := ad.From(tensor.Rand(seeded(1), -1, 1, 1<<19)) // 4 MiB arrays: the sweep alone would take ~90 MiB
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := int64(ms.HeapAlloc)
	for range 3 {
		ad.ValueAndGrad(rosenN, x)
		if h := tensor.CachedBytes(); h > lim {
			t.Fatalf("the cache holds %d bytes, over its limit %d", h, lim)
		}
	}
	// live: the cache, and the last call's garbage that a finalizer has
	// yet to hand back or drop; on a loaded machine the finalizers may
	// run late, so the heap is read again (after another collection)
	// until it is within the bound or two seconds have passed
	var grown int64
	for i := 0; i < 100; i++ {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if grown = int64(ms.HeapAlloc) - base; grown <= 2*lim+16<<20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if grown > 2*lim+16<<20 {
		t.Errorf("live heap grew by %d MiB after the gradients and collections", grown>>20)
	}
	for i := 0; i < 300 && tensor.CachedBytes() > 0; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if h := tensor.CachedBytes(); h > 0 {
		t.Errorf("%d bytes still cached with the program idle", h)
	}
}

// With recycling, repeated JVPs and Hessian-vector products (forward over
// reverse, which recycles the duals of the outer JVP) equal, bit for bit,
// those computed with it off; no input, tangent or captured constant
// changes, and results kept across rounds stay intact.
func TestJVPRecyclingMatchesFresh(t *testing.T) {
	for _, c := range recycleCases() {
		tans := make([]ad.Value, len(c.xs))
		inputs := make([]*tensor.Tensor, 2*len(c.xs))
		for i, x := range c.xs {
			tans[i] = ad.From(tensor.RandN(seeded(uint64(40+i)), x.Shape()...))
			inputs[i], inputs[len(c.xs)+i] = x.Tensor().Clone(), tans[i].Tensor().Clone()
		}
		hvp := func(xs []ad.Value) ad.Value {
			return ad.HVP(func(y ad.Value) ad.Value { return c.f([]ad.Value{y}) }, xs[0], tans[0])
		}
		if len(c.xs) > 1 {
			hvp = func(xs []ad.Value) ad.Value { // along the first argument
				return ad.HVP(func(y ad.Value) ad.Value { return c.f(append([]ad.Value{y}, xs[1:]...)) }, xs[0], tans[0])
			}
		}
		restore := ad.SetRecycling(false)
		wantY, wantT := ad.JVP(c.f, c.xs, tans)
		wantH := hvp(c.xs)
		restore()
		for round := 0; round < 4; round++ {
			y, tan := ad.JVP(c.f, c.xs, tans)
			if !tensor.Equal(y.Tensor(), wantY.Tensor()) || !tensor.Equal(tan.Tensor(), wantT.Tensor()) {
				t.Errorf("%s, round %d: JVP differs from the one computed without recycling", c.name, round)
			}
			if h := hvp(c.xs); !tensor.Equal(h.Tensor(), wantH.Tensor()) {
				t.Errorf("%s, round %d: HVP differs from the one computed without recycling", c.name, round)
			}
		}
		for i, x := range append(slices.Clone(c.xs), tans...) {
			if !tensor.Equal(x.Tensor(), inputs[i]) {
				t.Errorf("%s: input or tangent %d changed", c.name, i)
			}
		}
		restore = ad.SetRecycling(false)
		againY, againT := ad.JVP(c.f, c.xs, tans)
		againH := hvp(c.xs)
		restore()
		if !tensor.Equal(againY.Tensor(), wantY.Tensor()) || !tensor.Equal(againT.Tensor(), wantT.Tensor()) || !tensor.Equal(againH.Tensor(), wantH.Tensor()) {
			t.Errorf("%s: a kept result changed", c.name)
		}
	}
}

// What a JVP's function hands out — a Tensor, a StopGradient constant, a
// constant a non-differentiable op made from a tracer's storage — and what
// user code holds — the tangent a custom rule saw, a constant its rule
// returned — survive later JVPs; a tracer that escaped panics with
// ErrGraph instead of showing reused storage.
func TestJVPRecyclingKeepsWhatEscapes(t *testing.T) {
	x, v := ad.From(tensor.RandN(seeded(1), 6000)), ad.From(tensor.RandN(seeded(2), 6000))
	held := tensor.RandN(seeded(3), 6000)
	heldAt := held.Clone()
	var stash, stashAt *tensor.Tensor
	shift := ad.Custom("shift", func(xs []ad.Value) ad.Value { return ad.Add(xs[0], ad.From(held)) },
		func(_, ts []ad.Value) ad.Value {
			stash = ts[0].Tensor()
			stashAt = stash.Clone()
			return ts[0]
		},
		func(_ []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ct} })
	constant := ad.Custom("constant", func([]ad.Value) ad.Value { return ad.From(held) },
		func(_, ts []ad.Value) ad.Value { return ad.From(held) }, // a wrong tangent, but user code's own storage
		func(p []ad.Value, _, _ ad.Value) []ad.Value { return []ad.Value{ad.Mul(p[0], ad.Scalar(0))} })
	var kept, keptAt, stopped, stoppedAt, shaped, shapedAt *tensor.Tensor
	var escaped ad.Value
	f := func(x ad.Value) ad.Value {
		k := ad.Exp(ad.Mul(x, ad.Scalar(0.5)))
		s := ad.Cos(x)
		kept, keptAt = handOut(k)
		stopped, stoppedAt = handOut(ad.StopGradient(s))
		shaped, shapedAt = handOut(ad.Reshape(ad.StopGradient(ad.Sin(k)), 60, 100))
		escaped = ad.Sin(x)
		return ad.Sum(ad.Mul(shift(ad.Mul(escaped, k)), constant(s)), false)
	}
	for range 5 { // later JVPs take recycled storage
		ad.JVP(f, []ad.Value{x}, []ad.Value{v})
		ad.JVP(func(x ad.Value) ad.Value { return ad.Sum(ad.Square(ad.Tanh(x)), false) }, []ad.Value{x}, []ad.Value{v})
		switch {
		case !tensor.Equal(kept, keptAt):
			t.Fatal("a value handed out by Tensor was recycled")
		case !tensor.Equal(stopped, stoppedAt):
			t.Fatal("a value handed out by StopGradient was recycled")
		case !tensor.Equal(shaped, shapedAt):
			t.Fatal("a view of a StopGradient constant was recycled")
		case !tensor.Equal(stash, stashAt):
			t.Fatal("the tangent a custom rule saw was recycled")
		case !tensor.Equal(held, heldAt):
			t.Fatal("a custom rule's own storage was recycled")
		}
	}
	for name, use := range map[string]func(){
		"Tensor": func() { escaped.Tensor() },
		"Item":   func() { escaped.Item() },
		"op":     func() { ad.Add(escaped, escaped) },
	} {
		if err := tensor.Maybe(use); !errors.Is(err, tensor.ErrGraph) {
			t.Errorf("%s of an escaped tracer: got %v, want ErrGraph", name, err)
		}
	}
}

// Recycling the duals takes repeated Hessian-vector products' storage from
// the pool: they allocate far fewer bytes than with it off.
func TestHVPRecyclingReusesStorage(t *testing.T) {
	x, v := ad.From(tensor.Rand(seeded(1), -1, 1, 20000)), ad.From(tensor.RandN(seeded(2), 20000))
	on, off := allocatedWithRecycling(func() { ad.HVP(rosenN, x, v) })
	t.Logf("5 HVPs allocated %d bytes with recycling, %d without", on, off)
	if float64(on) > 0.5*float64(off) {
		t.Errorf("recycling allocated %d bytes, %d without", on, off)
	}
}

// allocatedWithRecycling returns the bytes five calls of f allocate, after
// one call that warms the pools, with recycling on and with it off.
func allocatedWithRecycling(f func()) (on, off uint64) {
	bytes := func() uint64 {
		f()
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		for range 5 {
			f()
		}
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	restore := ad.SetRecycling(false)
	off = bytes()
	restore()
	return bytes(), off
}

// handOut returns v's tensor, as Tensor hands it out, and a copy of it now.
func handOut(v ad.Value) (t, now *tensor.Tensor) {
	t = v.Tensor()
	return t, t.Clone()
}

// Concurrent Hessian-vector products recycle their duals into the shared
// cache without interfering: each matches the serial result bit for bit.
func TestHVPRecyclingConcurrent(t *testing.T) {
	x, v := ad.From(tensor.Rand(seeded(1), -1, 1, 9000)), ad.From(tensor.RandN(seeded(2), 9000))
	restore := ad.SetRecycling(false)
	want := ad.HVP(rosenN, x, v).Tensor()
	restore()
	var wg sync.WaitGroup
	bad := make(chan int, 16)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if !tensor.Equal(ad.HVP(rosenN, x, v).Tensor(), want) {
					bad <- g
				}
			}
		}()
	}
	wg.Wait()
	close(bad)
	for g := range bad {
		t.Errorf("goroutine %d: a concurrent HVP differs from the serial one", g)
	}
}
