package gemm

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/chainrule/chainrule/internal/workers"
)

// packAlways makes tasks pack their A blocks instead of reading A in place.
var packAlways = false

// bBudget caps the packed B of one outer block, in elements (16 MiB of
// float64). Larger products are cut into outer blocks of columns and of k
// that each fit.
var bBudget = 1 << 21

// blocked computes p (checked, with m, n, k > 0 and alpha ≠ 0) with the
// blocked algorithm on up to threads goroutines, the caller's included.
//
// The product is cut into outer blocks of at most cfg.nc columns and as
// much of k as keeps the packed B within bBudget (one block for most
// products). Each outer block is a job: a list of tasks, each computing a
// tile of C of at most mc rows and a run of whole B panels, which the
// goroutines claim one at a time from a shared counter so that a goroutine
// that the operating system delays simply takes fewer tasks. Every task
// walks the job's k range in blocks of kc, packing its own A block and
// using the job's shared packed B, which the first tasks to need it pack
// cooperatively, panel by panel.
func blocked[T float](p *problem[T], cfg *config[T], threads int) {
	if threads > 1 && cutK(p, cfg, threads) {
		fillBias(p)
		splitK(*p, cfg, threads) // a copy: p stays on the caller's stack
		return
	}
	n, k, nr := p.n, p.k, cfg.nr
	ncO := roundUp(ceilDiv(n, ceilDiv(n, cfg.nc)), nr)
	kO := k
	if int64(k)*int64(ncO) > int64(bBudget) {
		kO = max(cfg.kc, bBudget/ncO/cfg.kc*cfg.kc)
	}
	kO = ceilDiv(k, ceilDiv(k, kO))
	for j0 := 0; j0 < n; j0 += ncO {
		for k0 := 0; k0 < k; k0 += kO {
			runJob(p, cfg, threads, j0, min(ncO, n-j0), k0, min(kO, k-k0))
		}
	}
}

// cutK reports whether p is better computed on threads goroutines by
// cutting k (see splitK): C has too few tiles to share among them but k is
// long, as in the weight gradient of a small layer summed over a batch
// (6×25 with k = 36864 for a convolution with six 5×5 filters).
func cutK[T float](p *problem[T], cfg *config[T], threads int) bool {
	tasks := ceilDiv(p.m, cfg.mc) * max(1, p.n/(4*cfg.nr)) // as runJob would cut C
	return tasks < threads && p.k >= 2*threads*cfg.kc
}

// splitK computes p on threads goroutines by cutting k: the goroutines
// compute the products of ranges of k, a few per goroutine, the first into
// C (with beta), the others into scratch, which is then added to C in
// order.
func splitK[T float](p problem[T], cfg *config[T], threads int) {
	m, n, k := p.m, p.n, p.k
	// a few parts per goroutine, so that one the operating system delays
	// takes fewer of them
	parts := min(4*threads, k/cfg.kc)
	kp := ceilDiv(k, parts)
	parts = ceilDiv(k, kp)
	buf := getBuf[T]((parts - 1) * m * n)
	scratch := *buf
	workers.For(parts, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			k0 := t * kp
			sub := p
			sub.k = min(kp, k-k0)
			// op(A)'s columns and op(B)'s rows k0…
			if p.transA {
				sub.a = p.a[k0*p.lda:]
			} else {
				sub.a = p.a[k0:]
			}
			if p.transB {
				sub.b = p.b[k0:]
			} else {
				sub.b = p.b[k0*p.ldb:]
			}
			if t > 0 {
				sub.c, sub.ldc, sub.beta = scratch[(t-1)*m*n:t*m*n], n, 0
			}
			blocked(&sub, cfg, 1)
		}
	})
	for t := 1; t < parts; t++ {
		part := scratch[(t-1)*m*n : t*m*n]
		for i := range m {
			crow := p.c[i*p.ldc:][:n]
			for j, v := range part[i*n : (i+1)*n] {
				crow[j] += v
			}
		}
	}
	putBuf(buf)
}

const closed = 1 << 62 // job.state flag: no more helpers may join

// job is one outer block of a blocked product: columns [j0, j0+nb) and
// k range [k0, k0+kr).
type job[T float] struct {
	// first, for 64-bit alignment on 32-bit platforms
	next  int64 // the next task to claim, atomically
	state int64 // helpers working on the job, plus closed once it is over

	p      problem[T] // a copy, so that the caller's does not escape
	cfg    *config[T]
	j0, nb int
	k0, kr int
	kc     int // k block (evened out over kr)
	nkb    int // number of k blocks
	rowsT  int // rows per task (a multiple of mr, at most mc)
	nRow   int
	wT     int // columns per task (a multiple of nr)
	nCol   int
	packA  bool // pack A blocks (else read A in place, packing partial panels only)
	bbuf   []T  // packed B: chunk (k block pi, column run cb) at (pi·nCol+cb)·kc·wT
	claim  []int32
	done   []int32 // per chunk: panels claimed and panels packed
}

func runJob[T float](p *problem[T], cfg *config[T], threads, j0, nb, k0, kr int) {
	m, mr, nr := p.m, cfg.mr, cfg.nr
	jb := job[T]{p: *p, cfg: cfg, j0: j0, nb: nb, k0: k0, kr: kr}
	jb.kc = ceilDiv(kr, ceilDiv(kr, cfg.kc))
	jb.nkb = ceilDiv(kr, jb.kc)
	jb.rowsT = roundUp(ceilDiv(m, ceilDiv(m, cfg.mc)), mr)
	jb.nRow = ceilDiv(m, jb.rowsT)
	jb.nCol = 1
	if threads > 1 && jb.nRow < 4*threads {
		// cut the columns too, into runs of at least 4 panels, so that
		// there are a few tasks per goroutine to balance
		jb.nCol = max(1, min(ceilDiv(4*threads, jb.nRow), nb/(4*nr)))
	}
	jb.wT = roundUp(ceilDiv(nb, jb.nCol), nr)
	jb.packA = packAlways || packsA(p, jb.wT/nr)
	jb.nCol = ceilDiv(nb, jb.wT)
	tasks := jb.nRow * jb.nCol
	chunks := jb.nkb * jb.nCol

	bbuf := getBuf[T](chunks * jb.kc * jb.wT)
	jb.bbuf = *bbuf
	counts := getBuf32(2 * chunks)
	clear(*counts)
	jb.claim, jb.done = (*counts)[:chunks], (*counts)[chunks:]

	threads = min(threads, tasks)
	if threads <= 1 {
		jb.work()
	} else {
		jp := new(job[T]) // shared with the helpers; jb stays on the stack
		*jp = jb
		workers.Offer(jp, threads-1)
		jp.work()
		jp.close()
	}
	putBuf(bbuf)
	putBuf32(counts)
}

// packsA reports whether the tasks of a product p whose column runs are
// panels B panels wide pack their A blocks rather than read A in place.
// Reading A in place saves packing it, but its rows then share L1 sets
// when their stride is a multiple of 4 KiB, and a packed block is kinder
// to the caches when many B panels reuse it. A transposed A read in place
// takes one k step per row of storage: at a stride of 2 KiB or more (the
// weight gradient dYᵀ·X of a layer with 512 or more float32 outputs) the
// processor's stride prefetcher no longer follows it and every k step
// waits for L2, so it is packed too.
func packsA[T float](p *problem[T], panels int) bool {
	var zero T
	stride := p.lda * int(unsafe.Sizeof(zero))
	aliased := !p.transA && stride%4096 == 0
	farT := p.transA && stride >= 2048
	return (aliased || farT) && panels >= 4 || panels >= 64
}

// Help joins the job from a helper goroutine, unless it is already over.
func (jb *job[T]) Help() {
	for {
		s := atomic.LoadInt64(&jb.state)
		if s&closed != 0 {
			return
		}
		if atomic.CompareAndSwapInt64(&jb.state, s, s+1) {
			break
		}
	}
	jb.work()
	atomic.AddInt64(&jb.state, -1)
}

// close ends the job once the caller has run out of tasks: no helper can
// join after it, and it waits for the helpers still computing a task.
func (jb *job[T]) close() {
	for {
		s := atomic.LoadInt64(&jb.state)
		if atomic.CompareAndSwapInt64(&jb.state, s, s|closed) {
			break
		}
	}
	workers.WaitUntil(func() bool { return atomic.LoadInt64(&jb.state) == closed })
}

// work claims and computes tasks until none are left.
func (jb *job[T]) work() {
	cfg := jb.cfg
	mr, nr := cfg.mr, cfg.nr
	buf := getBuf[T](jb.rowsT*jb.kc + mr*nr)
	abuf, tmp := (*buf)[:jb.rowsT*jb.kc], (*buf)[jb.rowsT*jb.kc:]
	tasks := int64(jb.nRow * jb.nCol)
	for {
		t := atomic.AddInt64(&jb.next, 1) - 1
		if t >= tasks {
			break
		}
		// column-major task order: concurrent tasks share B chunks
		jb.task(int(t)%jb.nRow, int(t)/jb.nRow, abuf, tmp)
	}
	putBuf(buf)
}

// task computes the tile of C in row block ib and column run cb.
func (jb *job[T]) task(ib, cb int, abuf, tmp []T) {
	p, cfg := &jb.p, jb.cfg
	mr, nr, kern := cfg.mr, cfg.nr, cfg.kern
	i0 := ib * jb.rowsT
	mb := min(jb.rowsT, p.m-i0)
	j0 := jb.j0 + cb*jb.wT
	nb := min(jb.wT, jb.j0+jb.nb-j0)
	// with beta = 0 and a set kernel, the first k block sets C: no
	// clearing; a bias is written into the tile, while it is in the cache,
	// and the product added to it
	setFirst := jb.k0 == 0 && p.beta == 0 && cfg.kernSet != nil && p.bias == nil
	switch {
	case jb.k0 == 0 && p.bias != nil:
		for i := i0; i < i0+mb; i++ {
			copy(p.c[i*p.ldc+j0:i*p.ldc+j0+nb], p.bias[j0:j0+nb])
		}
	case jb.k0 == 0 && !setFirst:
		scaleC(p, i0, i0+mb, j0, j0+nb)
	}
	c, ldc := p.c, p.ldc
	// op(A)[i][q] = a[i*ars + q*acs]
	ars, acs := p.lda, 1
	if p.transA {
		ars, acs = 1, p.lda
	}
	full := mb / mr * mr // rows in full panels
	for pi := 0; pi < jb.nkb; pi++ {
		set := setFirst && pi == 0
		kern := kern
		if set {
			kern = cfg.kernSet
		}
		pc := jb.k0 + pi*jb.kc
		kb := min(jb.kc, jb.k0+jb.kr-pc)
		bbuf := jb.packedB(pi, cb, pc, kb, j0, nb)
		if jb.packA {
			packA(abuf, p, i0, mb, pc, kb, mr)
		} else if full < mb {
			// the last, partial panel is packed (zero-padded) after the
			// space the full ones would take
			packA(abuf[full*kb:], p, i0+full, mb-full, pc, kb, mr)
		}
		for jr := 0; jr < nb; jr += nr {
			w := min(nr, nb-jr)
			bp := &bbuf[jr*kb]
			for ir := 0; ir < mb; ir += mr {
				h := min(mr, mb-ir)
				ap, rs, cs := &abuf[ir*kb], 1, mr
				if h == mr && !jb.packA {
					ap, rs, cs = &p.a[(i0+ir)*ars+pc*acs], ars, acs
				}
				off := (i0+ir)*ldc + j0 + jr
				if h == mr && w == nr {
					kern(kb, ap, rs, cs, bp, &c[off], ldc, p.alpha)
					continue
				}
				edge(cfg, kb, ap, rs, cs, bp, c[off:], ldc, p.alpha, h, w, set, tmp)
			}
		}
	}
}

// packedB returns the packed B chunk for k block pi (rows [pc, pc+kb) of
// op(B)) and column run cb (columns [j0, j0+nb)), first packing whatever
// panels of it no other goroutine has claimed, then waiting for those that
// others are still packing.
func (jb *job[T]) packedB(pi, cb, pc, kb, j0, nb int) []T {
	nr := jb.cfg.nr
	idx := pi*jb.nCol + cb
	size := jb.kc * jb.wT
	chunk := jb.bbuf[idx*size : (idx+1)*size]
	panels := int32(ceilDiv(nb, nr))
	done := &jb.done[idx]
	if atomic.LoadInt32(done) == panels {
		return chunk
	}
	for {
		q := int(atomic.AddInt32(&jb.claim[idx], 1) - 1)
		if q >= int(panels) {
			break
		}
		packB(chunk[q*nr*kb:(q+1)*nr*kb], &jb.p, pc, kb, j0+q*nr, min(nr, nb-q*nr), nr)
		atomic.AddInt32(done, 1)
	}
	workers.WaitUntil(func() bool { return atomic.LoadInt32(done) == panels })
	return chunk
}

// packA packs op(A)[i0:i0+mb, p0:p0+kb] into dst as ⌈mb/mr⌉ panels of
// mr×kb, panel t at dst[t·mr·kb:], each holding mr values (one per row) for
// every k step. Rows past mb are zero.
//
// The common full panels are read and written through unsafe pointers:
// check has verified that op(A) lies inside a, and dst is long enough.
func packA[T float](dst []T, p *problem[T], i0, mb, p0, kb, mr int) {
	a, lda := p.a, p.lda
	var zero T
	sz := int(unsafe.Sizeof(zero))
	for ir := 0; ir < mb; ir += mr {
		h := min(mr, mb-ir)
		panel := dst[ir*kb : ir*kb+mr*kb]
		if h < mr {
			clear(panel)
		}
		i := i0 + ir
		d := unsafe.Pointer(&panel[0])
		switch {
		case p.transA && h == 6 && mr == 6:
			// A is stored k×m: op(A)[i][q] = a[q*lda+i], six in a row
			// (element by element: a [6]T assignment calls memmove)
			src := unsafe.Pointer(&a[p0*lda+i])
			for q := 0; q < kb; q++ {
				x := unsafe.Add(src, q*lda*sz)
				y := (*[6]T)(unsafe.Add(d, q*6*sz))
				y[0] = ld[T](x, 0)
				y[1] = ld[T](x, sz)
				y[2] = ld[T](x, 2*sz)
				y[3] = ld[T](x, 3*sz)
				y[4] = ld[T](x, 4*sz)
				y[5] = ld[T](x, 5*sz)
			}
		case p.transA:
			for q := 0; q < kb; q++ {
				o := (p0+q)*lda + i
				copy(panel[q*mr:q*mr+h], a[o:o+h])
			}
		case h == 6 && mr == 6:
			// six rows of A, read in step
			src := unsafe.Pointer(&a[i*lda+p0])
			rs := lda * sz
			for q := 0; q < kb; q++ {
				x := unsafe.Add(src, q*sz)
				y := (*[6]T)(unsafe.Add(d, q*6*sz))
				y[0] = ld[T](x, 0)
				y[1] = ld[T](x, rs)
				y[2] = ld[T](x, 2*rs)
				y[3] = ld[T](x, 3*rs)
				y[4] = ld[T](x, 4*rs)
				y[5] = ld[T](x, 5*rs)
			}
		default:
			for r := 0; r < h; r++ {
				row := a[(i+r)*lda+p0 : (i+r)*lda+p0+kb]
				for q, v := range row {
					panel[q*mr+r] = v
				}
			}
		}
	}
}

// packB packs op(B)[p0:p0+kb, j0:j0+nb] into dst as ⌈nb/nr⌉ panels of
// kb×nr, panel t at dst[t·nr·kb:], each holding nr values (one per column)
// for every k step. Columns past nb are zero.
//
// Like packA, it uses unsafe pointers inside the extents that check and
// the callers have verified.
func packB[T float](dst []T, p *problem[T], p0, kb, j0, nb, nr int) {
	b, ldb := p.b, p.ldb
	var zero T
	sz := int(unsafe.Sizeof(zero))
	for jr := 0; jr < nb; jr += nr {
		w := min(nr, nb-jr)
		panel := dst[jr*kb : jr*kb+nr*kb]
		if w < nr {
			clear(panel)
		}
		j := j0 + jr
		d := unsafe.Pointer(&panel[0])
		switch {
		case !p.transB && w == nr && w*sz == 64:
			// a full panel row is one 64-byte line
			src := unsafe.Pointer(&b[p0*ldb+j])
			for q := 0; q < kb; q++ {
				x := (*[2][32]byte)(unsafe.Add(src, q*ldb*sz))
				y := (*[2][32]byte)(unsafe.Add(d, q*64))
				y[0], y[1] = x[0], x[1] // two moves: one [64]byte calls memmove
			}
		case !p.transB && w == nr && w*sz == 128:
			// a full panel row is two 64-byte lines
			src := unsafe.Pointer(&b[p0*ldb+j])
			if hasAsm && UseAsm {
				copyRows128(kb, src, uintptr(ldb*sz), d)
				continue
			}
			for q := 0; q < kb; q++ {
				x := (*[4][32]byte)(unsafe.Add(src, q*ldb*sz))
				y := (*[4][32]byte)(unsafe.Add(d, q*128))
				y[0], y[1], y[2], y[3] = x[0], x[1], x[2], x[3]
			}
		case !p.transB:
			for q := 0; q < kb; q++ {
				o := (p0+q)*ldb + j
				copy(panel[q*nr:q*nr+w], b[o:o+w])
			}
		default:
			// B is stored n×k: op(B)[q][j] = b[j*ldb+q]. Four columns at
			// a time: four contiguous source rows, four adjacent values
			// of each panel row written together. With the assembly
			// kernels, float32 goes eight columns and eight k steps at a
			// time through an 8×8 register transpose.
			t := 0
			if bf, ok := any(b).([]float32); ok && hasAsm && UseAsm && kb >= 8 {
				k8 := kb &^ 7
				pf := any(panel).([]float32)
				for ; t+8 <= w; t += 8 {
					transpose8F32(k8, &bf[(j+t)*ldb+p0], ldb, &pf[t], nr)
					for q := k8; q < kb; q++ {
						for u := t; u < t+8; u++ {
							pf[q*nr+u] = bf[(j+u)*ldb+p0+q]
						}
					}
				}
			}
			for ; t+4 <= w; t += 4 {
				s0 := unsafe.Pointer(&b[(j+t)*ldb+p0])
				s1, s2, s3 := unsafe.Add(s0, ldb*sz), unsafe.Add(s0, 2*ldb*sz), unsafe.Add(s0, 3*ldb*sz)
				dt := unsafe.Add(d, t*sz)
				for q := 0; q < kb; q++ {
					o := q * sz
					r := (*[4]T)(unsafe.Add(dt, q*nr*sz))
					r[0], r[1], r[2], r[3] = ld[T](s0, o), ld[T](s1, o), ld[T](s2, o), ld[T](s3, o)
				}
			}
			for ; t < w; t++ {
				src := unsafe.Pointer(&b[(j+t)*ldb+p0])
				dt := unsafe.Add(d, t*sz)
				for q := 0; q < kb; q++ {
					*(*T)(unsafe.Add(dt, q*nr*sz)) = ld[T](src, q*sz)
				}
			}
		}
	}
}

var pool64, pool32, poolSync sync.Pool

// getBuf32 returns a pooled []int32 of length n.
func getBuf32(n int) *[]int32 {
	if v, ok := poolSync.Get().(*[]int32); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	s := make([]int32, n)
	return &s
}

func putBuf32(buf *[]int32) { poolSync.Put(buf) }

// getBuf returns a pooled scratch slice of length n.
func getBuf[T float](n int) *[]T {
	pool := &pool32
	var z T
	if _, ok := any(z).(float64); ok {
		pool = &pool64
	}
	if v, ok := pool.Get().(*[]T); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	s := make([]T, n)
	return &s
}

// putBuf returns a slice from getBuf to its pool.
func putBuf[T float](buf *[]T) {
	var z T
	if _, ok := any(z).(float64); ok {
		pool64.Put(buf)
	} else {
		pool32.Put(buf)
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
