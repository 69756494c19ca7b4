package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// mat is a stored row-major matrix with stride ld inside a longer slice.
type mat struct {
	rows, cols, ld int
	data           []float64
}

// newMat returns a random rows×cols matrix with stride cols+pad; the padding
// and the tail hold the sentinel 1e300 so stray reads show up.
func newMat(rng *rand.Rand, rows, cols, pad int) mat {
	ld := max(1, cols+pad)
	n := 0
	if rows > 0 {
		n = (rows-1)*ld + cols
	}
	d := make([]float64, n+rng.IntN(3))
	for i := range d {
		d[i] = 1e300
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			d[i*ld+j] = rng.Float64()*2 - 1
		}
	}
	return mat{rows, cols, ld, d}
}

func (x mat) f32() []float32 {
	s := make([]float32, len(x.data))
	for i, v := range x.data {
		s[i] = float32(v)
		if math.Abs(v) > math.MaxFloat32 {
			s[i] = float32(math.Inf(1))
		}
	}
	return s
}

// case_ is one product with its operands.
type case_ struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float64
	a, b, c     mat
	memo        *memo // reference results, computed on first use
}

// memo holds the reference results of a case_ for both dtypes.
type memo struct {
	want, mag, want32, mag32, cIn32 []float64
}

func (c case_) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.a.ld, c.b.ld, c.c.ld)
}

func newCase(rng *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float64, strided bool) case_ {
	pad := func() int {
		if strided {
			return 1 + rng.IntN(5)
		}
		return 0
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	return case_{tA, tB, m, n, k, alpha, beta, newMat(rng, ar, ac, pad()), newMat(rng, br, bc, pad()), newMat(rng, m, n, pad()), &memo{}}
}

// ref computes the product with a naive triple loop in float64, returning
// the result and, per element, the sum of the absolute values of the terms
// (for the error bound). cIn is C's input in float64.
func (tc case_) ref(cIn []float64) (want, mag []float64) {
	want = make([]float64, tc.m*tc.n)
	mag = make([]float64, tc.m*tc.n)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, sa float64
			for q := 0; q < tc.k; q++ {
				var av, bv float64
				if tc.tA {
					av = tc.a.data[q*tc.a.ld+i]
				} else {
					av = tc.a.data[i*tc.a.ld+q]
				}
				if tc.tB {
					bv = tc.b.data[j*tc.b.ld+q]
				} else {
					bv = tc.b.data[q*tc.b.ld+j]
				}
				s += av * bv
				sa += math.Abs(av * bv)
			}
			v := tc.alpha * s
			ma := math.Abs(tc.alpha) * sa
			if tc.beta != 0 {
				cv := cIn[i*tc.c.ld+j]
				v += tc.beta * cv
				ma += math.Abs(tc.beta * cv)
			}
			want[i*tc.n+j] = v
			mag[i*tc.n+j] = ma
		}
	}
	return want, mag
}

// check runs the case through F64 and F32 and compares with ref.
func (tc case_) check(t *testing.T) {
	t.Helper()
	a32, b32, c32 := tc.a.f32(), tc.b.f32(), tc.c.f32()
	if tc.memo.want == nil {
		tc.memo.want, tc.memo.mag = tc.ref(tc.c.data)
		// float32: the reference uses the rounded inputs
		r := tc
		r.a.data, r.b.data = widen(a32), widen(b32)
		r.alpha, r.beta = float64(float32(tc.alpha)), float64(float32(tc.beta))
		tc.memo.cIn32 = widen(c32)
		tc.memo.want32, tc.memo.mag32 = r.ref(tc.memo.cIn32)
	}
	f64, f32 := F64, F32
	if testSerial {
		f64, f32 = F64Serial, F32Serial
	}
	c64 := append([]float64(nil), tc.c.data...)
	f64(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, tc.a.data, tc.a.ld, tc.b.data, tc.b.ld, tc.beta, c64, tc.c.ld)
	compare(t, "F64", tc, tc.memo.want, tc.memo.mag, func(i int) float64 { return c64[i] }, tc.c.data, 0x1p-52)

	f32(tc.tA, tc.tB, tc.m, tc.n, tc.k, float32(tc.alpha), a32, tc.a.ld, b32, tc.b.ld, float32(tc.beta), c32, tc.c.ld)
	compare(t, "F32", tc, tc.memo.want32, tc.memo.mag32, func(i int) float64 { return float64(c32[i]) }, tc.memo.cIn32, 0x1p-23)
}

func widen(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// compare checks the m×n result against want within the rounding-error
// bound (k+2)·eps·mag (times a safety factor) and checks that C's padding is
// untouched.
func compare(t *testing.T, name string, tc case_, want, mag []float64, got func(int) float64, cIn []float64, eps float64) {
	t.Helper()
	inside := make([]bool, len(cIn))
	bad := 0
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			idx := i*tc.c.ld + j
			inside[idx] = true
			w, g := want[i*tc.n+j], got(idx)
			tol := 4 * float64(tc.k+3) * eps * mag[i*tc.n+j]
			if !(math.Abs(g-w) <= tol) {
				if bad < 5 {
					t.Errorf("%s %v [%s]: C[%d][%d] = %g, want %g (tol %g)", name, tc, Kernel(), i, j, g, w, tol)
				}
				bad++
			}
		}
	}
	for idx := range cIn {
		if !inside[idx] && got(idx) != cIn[idx] && !(math.IsInf(got(idx), 1) && cIn[idx] > math.MaxFloat32) {
			t.Errorf("%s %v [%s]: C padding at %d changed from %g to %g", name, tc, Kernel(), idx, cIn[idx], got(idx))
			return
		}
	}
	if bad > 5 {
		t.Errorf("%s %v: %d wrong elements", name, tc, bad)
	}
}

// mode is one way of running the package: which kernel, and thresholds and
// blockings that force each code path.
type mode struct {
	name     string
	asm      bool
	small    int // smallThreshold
	parallel int // ParallelThreshold
	tiny     bool
	packA    bool // packAlways
	procs    int  // GOMAXPROCS, 0 to keep
	avx2     bool // the AVX2 kernels even where AVX-512 is available
	serial   bool // F64Serial and F32Serial in place of F64 and F32
}

// testSerial makes check call F64Serial and F32Serial.
var testSerial = false

func modes() []mode {
	var ms []mode
	for _, asm := range []bool{true, false} {
		if asm && !HasAsm() {
			continue
		}
		k := "go"
		if asm {
			k = "asm"
		}
		ms = append(ms,
			mode{name: k + "/default", asm: asm, small: smallThreshold, parallel: ParallelThreshold},
			mode{name: k + "/blocked", asm: asm, small: 0, parallel: math.MaxInt},
			mode{name: k + "/parallel3", asm: asm, small: 0, parallel: 0, procs: 3},
			mode{name: k + "/tinyblocks", asm: asm, small: 0, parallel: 0, tiny: true},
			mode{name: k + "/packA", asm: asm, small: 0, parallel: 0, packA: true, tiny: asm},
			mode{name: k + "/serial", asm: asm, small: 0, parallel: 0, serial: true},
		)
	}
	if hasAVX512 && !raceEnabled {
		// the AVX2 kernels, which processors without AVX-512 use (the
		// race detector does not see into assembly: the modes above
		// cover the Go code that these share)
		ms = append(ms,
			mode{name: "avx2/default", asm: true, small: smallThreshold, parallel: ParallelThreshold, avx2: true},
			mode{name: "avx2/blocked", asm: true, small: 0, parallel: math.MaxInt, avx2: true},
			mode{name: "avx2/tinyblocks", asm: true, small: 0, parallel: 0, tiny: true, avx2: true},
			mode{name: "avx2/packA", asm: true, small: 0, parallel: 0, packA: true, tiny: true, avx2: true},
		)
	}
	return ms
}

// with runs f in mode md and restores the package state afterwards.
func (md mode) with(f func()) {
	oldAsm, oldSmall, oldPar, oldBudget, oldPack, oldRank1 := UseAsm, smallThreshold, ParallelThreshold, bBudget, packAlways, rankOneMaxK
	old64, old32, oldg64, oldg32 := asmF64, asmF32, goF64, goF32
	defer func() {
		UseAsm, smallThreshold, ParallelThreshold, bBudget, packAlways, rankOneMaxK = oldAsm, oldSmall, oldPar, oldBudget, oldPack, oldRank1
		asmF64, asmF32, goF64, goF32 = old64, old32, oldg64, oldg32
	}()
	UseAsm, smallThreshold, ParallelThreshold, packAlways = md.asm, md.small, md.parallel, md.packA
	testSerial = md.serial
	defer func() { testSerial = false }()
	if md.avx2 {
		asmF64, asmF32 = avx2F64, avx2F32
	}
	if md.small == 0 {
		rankOneMaxK = 0 // rank-one updates through the blocked kernels too
	}
	if md.tiny {
		// blocks a few tiles wide so that every loop of block runs often
		for _, c := range []*config[float64]{&asmF64, &goF64} {
			c.mc, c.kc, c.nc = 2*c.mr, 5, 2*c.nr
		}
		for _, c := range []*config[float32]{&asmF32, &goF32} {
			c.mc, c.kc, c.nc = 2*c.mr, 7, 2*c.nr
		}
		bBudget = 200 // several outer k blocks

	}
	if md.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(md.procs))
	}
	f()
}

func forModes(t *testing.T, f func(t *testing.T)) {
	for _, md := range modes() {
		t.Run(md.name, func(t *testing.T) { md.with(func() { f(t) }) })
	}
}

func TestKernelSelection(t *testing.T) {
	t.Logf("HasAsm=%v Kernel=%s GOARCH=%s", HasAsm(), Kernel(), runtime.GOARCH)
	defer func(u bool) { UseAsm = u }(UseAsm)
	UseAsm = false
	if Kernel() != "go" {
		t.Errorf("Kernel() = %q with UseAsm=false", Kernel())
	}
	UseAsm = true
	want := "go"
	switch {
	case hasAVX512:
		want = "avx512"
	case HasAsm():
		want = "avx2-fma"
	}
	if Kernel() != want {
		t.Errorf("Kernel() = %q, want %q", Kernel(), want)
	}
}

func TestShapes(t *testing.T) {
	shapes := [][3]int{
		{1, 1, 1}, {1, 7, 1}, {7, 1, 1}, {1, 1, 9}, {1, 37, 23}, {41, 1, 19}, {5, 6, 1},
		{6, 8, 4}, {6, 16, 4}, {12, 16, 8}, {7, 9, 5}, {17, 13, 29}, {13, 17, 3},
		{31, 37, 41}, {64, 64, 64}, {65, 63, 67}, {100, 30, 260}, {25, 130, 300},
		{150, 97, 11}, {2, 200, 3},
		{1, 300, 517}, {301, 1, 515}, {2, 129, 300}, {130, 2, 257}, {1, 16, 16}, {33, 1, 64},
		// W6's matrix-vector products and outer products (rank-one updates)
		{256, 1, 256}, {3, 1, 50}, {67, 1, 33}, {256, 256, 1}, {37, 45, 1}, {64, 300, 1}, {3, 17, 1},
	}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {2.5, -1}, {0, 0.5}}
	forModes(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes {
			for flags := 0; flags < 4; flags++ {
				for i, x := range ab {
					strided := (flags+i)%2 == 1
					newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], x[0], x[1], strided).check(t)
				}
			}
		}
	})
}

func TestZeroDims(t *testing.T) {
	forModes(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range [][3]int{{0, 0, 0}, {0, 5, 3}, {4, 0, 3}, {4, 5, 0}, {1, 1, 0}, {0, 1, 1}} {
			for flags := 0; flags < 4; flags++ {
				newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], 1.5, 0.5, true).check(t)
				newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], 1.5, 0, false).check(t)
			}
		}
		// nil slices are fine when nothing is read
		F64(false, false, 0, 0, 0, 1, nil, 1, nil, 1, 0, nil, 1)
		F32(true, true, 0, 3, 0, 1, nil, 1, nil, 1, 0, nil, 3)
		c := []float64{1, 2}
		F64(false, false, 1, 2, 0, 1, nil, 1, nil, 2, 3, c, 2)
		if c[0] != 3 || c[1] != 6 {
			t.Errorf("k=0: C = %v, want [3 6]", c)
		}
	})
}

func TestBig(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []case_{
		newCase(rng, false, false, 512, 512, 512, 1, 0, false),
		newCase(rng, true, true, 300, 521, 517, -1.5, 0.5, true),
	}
	for _, md := range modes() {
		if md.tiny {
			continue
		}
		t.Run(md.name, func(t *testing.T) {
			md.with(func() {
				for _, tc := range cases {
					tc.check(t)
				}
			})
		})
	}
}

// TestRandom multiplies random shapes, flags, strides and scalars.
func TestRandom(t *testing.T) {
	n := 150
	if testing.Short() {
		n = 30
	}
	forModes(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		dim := func() int {
			switch rng.IntN(4) {
			case 0:
				return 1 + rng.IntN(4)
			case 1:
				return 1 + rng.IntN(20)
			default:
				return 1 + rng.IntN(90)
			}
		}
		scal := []float64{0, 1, -1, 0.5, 3}
		for range n {
			tc := newCase(rng, rng.IntN(2) == 0, rng.IntN(2) == 0, dim(), dim(), dim(),
				scal[1+rng.IntN(4)], scal[rng.IntN(5)], rng.IntN(2) == 0)
			tc.check(t)
		}
	})
}

// FuzzF64 compares F64 and F32 with the reference on shapes from the fuzzer.
func FuzzF64(f *testing.F) {
	f.Add(uint8(17), uint8(13), uint8(29), uint8(0), uint64(1))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(3), uint64(2))
	f.Add(uint8(64), uint8(7), uint8(1), uint8(5), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 9))
		beta := []float64{0, 1, -0.5, 2}[flags>>3&3]
		for _, md := range modes() {
			md.with(func() {
				newCase(rng, flags&1 != 0, flags&2 != 0, int(m%100), int(n%100), int(k%100), 1.25, beta, flags&4 != 0).check(t)
			})
		}
	})
}

// TestBetaZeroIgnoresNaN checks that beta = 0 overwrites C without reading
// it, and that alpha = 0 does not read A or B.
func TestBetaZeroIgnoresNaN(t *testing.T) {
	forModes(t, func(t *testing.T) {
		for _, s := range [][3]int{{1, 1, 1}, {3, 5, 2}, {17, 13, 29}, {70, 90, 300}} {
			m, n, k := s[0], s[1], s[2]
			a := make([]float64, m*k)
			b := make([]float64, k*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 2
			}
			c := make([]float64, m*n)
			for i := range c {
				c[i] = math.NaN()
			}
			c32 := make([]float32, m*n)
			for i := range c32 {
				c32[i] = float32(math.NaN())
			}
			F64(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			F32(false, false, m, n, k, 1, widenTo32(a), k, widenTo32(b), n, 0, c32, n)
			for i := range c {
				if c[i] != float64(2*k) || c32[i] != float32(2*k) {
					t.Fatalf("%v: C[%d] = %g (f64), %g (f32), want %d", s, i, c[i], c32[i], 2*k)
				}
			}
			// alpha = 0 with NaN operands: C = beta·C
			for i := range a {
				a[i] = math.NaN()
			}
			for i := range c {
				c[i] = 1
			}
			F64(false, false, m, n, k, 0, a, k, b, n, 3, c, n)
			for i := range c {
				if c[i] != 3 {
					t.Fatalf("%v alpha=0: C[%d] = %g, want 3", s, i, c[i])
				}
			}
			F64(false, false, m, n, k, 0, a, k, b, n, 0, c, n)
			for i := range c {
				if c[i] != 0 {
					t.Fatalf("%v alpha=0 beta=0: C[%d] = %g, want 0", s, i, c[i])
				}
			}
		}
	})
}

func widenTo32(s []float64) []float32 {
	d := make([]float32, len(s))
	for i, v := range s {
		d[i] = float32(v)
	}
	return d
}

// TestNaNPropagates checks that NaN and Inf in the operands reach C.
func TestNaNPropagates(t *testing.T) {
	forModes(t, func(t *testing.T) {
		m, n, k := 13, 17, 11
		a := make([]float64, m*k)
		b := make([]float64, k*n)
		for i := range a {
			a[i] = 1
		}
		for i := range b {
			b[i] = 1
		}
		a[5*k+3] = math.NaN()  // row 5
		b[2*n+9] = math.Inf(1) // column 9
		c := make([]float64, m*n)
		F64(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				v := c[i*n+j]
				switch {
				case i == 5:
					if !math.IsNaN(v) {
						t.Errorf("C[%d][%d] = %g, want NaN", i, j, v)
					}
				case j == 9:
					if !math.IsInf(v, 1) {
						t.Errorf("C[%d][%d] = %g, want +Inf", i, j, v)
					}
				case v != float64(k):
					t.Errorf("C[%d][%d] = %g, want %d", i, j, v, k)
				}
			}
		}
	})
}

func TestPanics(t *testing.T) {
	a := make([]float64, 12)
	b := make([]float64, 12)
	c := make([]float64, 12)
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"negative m", func() { F64(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) }, "negative dimension"},
		{"small lda", func() { F64(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) }, "lda=3"},
		{"small ldb transB", func() { F64(false, true, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3) }, "ldb=3"},
		{"small ldc", func() { F64(false, false, 3, 3, 4, 1, a, 4, b, 3, 0, c, 2) }, "ldc=2"},
		{"zero ld", func() { F64(false, false, 0, 0, 0, 1, nil, 0, nil, 1, 0, nil, 1) }, "lda=0"},
		{"short a", func() { F64(false, false, 4, 3, 4, 1, a, 4, b, 3, 0, c, 3) }, "len(a)=12"},
		{"short c", func() {
			F32(false, false, 5, 2, 1, 1, make([]float32, 5), 1, make([]float32, 2), 2, 0, make([]float32, 9), 2)
		}, "len(c)=9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.msg) {
					t.Errorf("panic %v, want one containing %q", r, tt.msg)
				}
			}()
			tt.f()
		})
	}
}

// TestAllocs checks that a warm product allocates nothing on the calling
// goroutine's path (buffers are pooled).
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	if strconv.IntSize < 64 {
		t.Skip("64-bit atomics make the job escape on 32-bit platforms")
	}
	for _, sz := range []int{8, 40} {
		a := make([]float64, sz*sz)
		c := make([]float64, sz*sz)
		n := testing.AllocsPerRun(50, func() { F64(false, false, sz, sz, sz, 1, a, sz, a, sz, 0, c, sz) })
		if n > 0 {
			t.Errorf("%d³: %v allocations per call", sz, n)
		}
	}
	// matrix-vector products, both ways round and transposed
	a := make([]float32, 100*100)
	x := make([]float32, 100)
	y := make([]float32, 100)
	for _, tr := range []bool{false, true} {
		ldx := map[bool]int{false: 100, true: 1}[tr] // x as a 1×100 row or, transposed, 100×1
		n := testing.AllocsPerRun(50, func() {
			F32(false, tr, 1, 100, 100, 1, x, 100, a, 100, 0, y, 100)
			F32(tr, false, 100, 1, 100, 1, a, 100, x, 1, 0, y, 1)
			F32(false, tr, 100, 100, 1, 1, x, 1, x, ldx, 0, a, 100) // outer product
		})
		if n > 0 {
			t.Errorf("matrix-vector (trans %v): %v allocations per call", tr, n)
		}
	}
}

// TestConcurrent runs parallel products from several goroutines at once:
// they share the helper goroutines, and helpers that arrive late at a
// finished job must leave it alone.
func TestConcurrent(t *testing.T) {
	defer func(p int) { ParallelThreshold = p }(ParallelThreshold)
	ParallelThreshold = 0
	rng := rand.New(rand.NewPCG(11, 12))
	var cases []case_
	for range 8 {
		cases = append(cases, newCase(rng, rng.IntN(2) == 0, rng.IntN(2) == 0, 20+rng.IntN(60), 20+rng.IntN(60), 1+rng.IntN(80), 1, 0.5, true))
	}
	for _, tc := range cases {
		tc.check(t) // fills the memo before the goroutines share it
	}
	done := make(chan bool)
	for g := range 4 {
		go func() {
			defer func() { done <- true }()
			for i := range 20 {
				cases[(g+i)%len(cases)].check(t)
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestSwapped forces the transposed computation (swapped) on products of
// every shape, flags and beta, with a scratch of a few panels so that C is
// done in several blocks of rows, and checks them against the reference;
// then the shapes that take it by default, a convolution's weight
// gradients.
func TestSwapped(t *testing.T) {
	shapes := [][3]int{
		{3, 3, 1}, {7, 9, 5}, {17, 13, 29}, {65, 6, 67}, {100, 3, 260}, {25, 6, 576},
		{150, 16, 64}, {130, 7, 257}, {6, 40, 33},
	}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}}
	forModes(t, func(t *testing.T) {
		defer func(g float64, mk, sc int) { swapGain, swapMinK, swapScratch = g, mk, sc }(swapGain, swapMinK, swapScratch)
		rng := rand.New(rand.NewPCG(11, 12))
		for _, forced := range []bool{true, false} {
			if forced {
				swapGain, swapMinK, swapScratch = 0, 0, 200
			} else {
				swapGain, swapMinK, swapScratch = 2, 128, 1<<16
			}
			for _, s := range shapes {
				for flags := range 4 {
					for i, x := range ab {
						newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], x[0], x[1], (flags+i)%2 == 1).check(t)
					}
				}
			}
		}
	})
}

// TestSplitK checks products whose C has too few tiles to share among the
// goroutines and whose k is long, which split k (see splitK), in every
// mode (in tinyblocks, small products do too).
func TestSplitK(t *testing.T) {
	shapes := [][3]int{{6, 25, 2000}, {16, 40, 1537}, {3, 7, 1100}, {13, 33, 3000}}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}}
	forModes(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, s := range shapes {
			for flags := range 4 {
				for i, x := range ab {
					newCase(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], x[0], x[1], (flags+i)%2 == 1).check(t)
				}
			}
		}
	})
}

// TestFarTransposedA checks products with a transposed A whose row stride
// is 2 KiB or more, which the blocked tasks pack (packsA) rather than read
// in place: a layer's weight gradient dYᵀ·X with many outputs, 4 KiB-aliased
// or not, with partial panels at the edges, in every mode.
func TestFarTransposedA(t *testing.T) {
	shapes := [][3]int{{520, 130, 70}, {1024, 161, 37}, {515, 200, 9}}
	for _, s := range shapes {
		p := problem[float32]{transA: true, m: s[0], lda: s[0]}
		if !packsA(&p, 4) {
			t.Fatalf("packsA(transA, lda=%d, 4 panels) = false: the test does not reach the packed path", s[0])
		}
	}
	ab := [][2]float64{{1, 0}, {-0.5, 2}}
	forModes(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, s := range shapes {
			for tB := range 2 {
				for i, x := range ab {
					newCase(rng, true, tB == 1, s[0], s[1], s[2], x[0], x[1], (tB+i)%2 == 1).check(t)
				}
			}
		}
	})
}
