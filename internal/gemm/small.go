package gemm

import "unsafe"

// small computes p without packing, reading A and B in place through their
// row and column strides, for products too small to repay packing
// (tiles) and for matrix-vector products, others with at most two rows
// or columns, and rank-one updates, which can be large (vector).
//
// The operands are read through unsafe pointers; check has verified that
// every element read lies inside its slice.
func small[T float](p *problem[T]) {
	if p.m <= 2 || p.n <= 2 || (p.k <= rankOneMaxK && !p.transB) {
		vector(p)
	} else {
		tiles(p)
	}
}

// vector computes a product with at most two rows or columns, or a
// rank-one update (k = 1, B not transposed), streaming
// through the large operand once per row or column of C: as axpy updates
// of C's rows by rows of B when B is stored k×n and C is wide, and as dot
// products of rows (or columns) of A and B otherwise, four at a time.
func vector[T float](p *problem[T]) {
	m, n, k := p.m, p.n, p.k
	ars, acs := p.lda, 1 // op(A)[i][q] = a[i*ars + q*acs]
	if p.transA {
		ars, acs = 1, p.lda
	}
	asm := UseAsm && hasAsm
	var zero T
	sz := int(unsafe.Sizeof(zero))
	step := 64 / sz // elements in two YMM registers: the asm helpers' unit
	if !p.transB && n > 2 {
		// C[i] = beta·C[i] + Σq alpha·A[i][q]·B[q], four rows of B a time
		b, ldb := p.b, p.ldb
		nv := 0 // columns done by the assembly helper
		if asm {
			nv = n / step * step
		}
		r := k % 4 // rows of B added one at a time, before the groups of four
		for i := 0; i < m; i++ {
			crow := p.c[i*p.ldc : i*p.ldc+n]
			aq := func(q int) T { return p.alpha * p.a[i*ars+q*acs] }
			q := 0
			switch {
			case p.beta == 0 && r > 0:
				axpy1(asm, crow, b[:n], aq(0), true) // sets C: it is not read
				q = 1
			case p.beta == 0:
				clear(crow)
			case p.beta != 1:
				for j := range crow {
					crow[j] *= p.beta
				}
			}
			for ; q < r; q++ {
				axpy1(asm, crow, b[q*ldb:q*ldb+n], aq(q), false)
			}
			for ; q+4 <= k; q += 4 {
				x0, x1, x2, x3 := aq(q), aq(q+1), aq(q+2), aq(q+3)
				if nv > 0 {
					x := [4]T{x0, x1, x2, x3}
					axpy4(nv, &crow[0], &b[q*ldb], ldb, &x)
				}
				b0 := b[q*ldb+nv : q*ldb+n]
				b1 := b[(q+1)*ldb+nv : (q+1)*ldb+n]
				b2 := b[(q+2)*ldb+nv : (q+2)*ldb+n]
				b3 := b[(q+3)*ldb+nv : (q+3)*ldb+n]
				b1, b2, b3 = b1[:len(b0)], b2[:len(b0)], b3[:len(b0)]
				crow := crow[nv:][:len(b0)]
				for j, v := range b0 {
					crow[j] += x0*v + x1*b1[j] + x2*b2[j] + x3*b3[j]
				}
			}
		}
		return
	}
	// dot products: C[i][j] = op(A) row i · op(B) column j
	brs, bcs := p.ldb, 1 // op(B)[q][j] = b[q*brs + j*bcs]
	if p.transB {
		brs, bcs = 1, p.ldb
	}
	a := unsafe.Pointer(unsafe.SliceData(p.a))
	b := unsafe.Pointer(unsafe.SliceData(p.b))
	if m >= n {
		// few columns: four rows of A against one column of B
		for j := 0; j < n; j++ {
			v := unsafe.Add(b, j*bcs*sz)
			i := 0
			for ; i+4 <= m; i += 4 {
				d := dots[T](asm, k, unsafe.Add(a, i*ars*sz), ars, acs, v, brs)
				for t := range d {
					p.put(i+t, j, d[t])
				}
			}
			for ; i < m; i++ {
				p.put(i, j, dot[T](unsafe.Add(a, i*ars*sz), acs*sz, v, brs*sz, k))
			}
		}
		return
	}
	// few rows: four columns of B against one row of A
	for i := 0; i < m; i++ {
		u := unsafe.Add(a, i*ars*sz)
		j := 0
		for ; j+4 <= n; j += 4 {
			d := dots[T](asm, k, unsafe.Add(b, j*bcs*sz), bcs, brs, u, acs)
			p.put4(i, j, d[0], d[1], d[2], d[3])
		}
		for ; j < n; j++ {
			p.put(i, j, dot[T](u, acs*sz, unsafe.Add(b, j*bcs*sz), brs*sz, k))
		}
	}
}

// dots returns the dot products with v (element stride vs) of the four
// vectors at u + t·ut (t < 4), each with element stride us, all of length
// k, with the assembly helper (if asm) for unit strides.
func dots[T float](asm bool, k int, u unsafe.Pointer, ut, us int, v unsafe.Pointer, vs int) [4]T {
	var zero T
	sz := int(unsafe.Sizeof(zero))
	kv := 0
	var d [4]T
	if asm && us == 1 && vs == 1 {
		kv = k / (64 / sz) * (64 / sz) // a multiple of two YMM registers
		if kv > 0 {
			dot4asm(kv, (*T)(u), ut, (*T)(v), &d)
		}
	}
	if kv < k {
		r := dot4[T](unsafe.Add(u, kv*us*sz), ut*sz, us*sz, unsafe.Add(v, kv*vs*sz), vs*sz, k-kv)
		for t := range d {
			d[t] += r[t]
		}
	}
	return d
}

// axpy1 adds x·b to c, or sets c to x·b (without reading c) if set, with
// the assembly helpers (if asm) for the bulk of it; len(b) ≥ len(c).
func axpy1[T float](asm bool, c, b []T, x T, set bool) {
	var zero T
	nv := 0
	if asm {
		nv = len(c) / (64 / int(unsafe.Sizeof(zero))) * (64 / int(unsafe.Sizeof(zero)))
	}
	if nv > 0 {
		switch c := any(c).(type) {
		case []float64:
			b := any(b).([]float64)
			if set {
				scal1F64(nv, &c[0], &b[0], float64(x))
			} else {
				axpy1F64(nv, &c[0], &b[0], float64(x))
			}
		case []float32:
			b := any(b).([]float32)
			if set {
				scal1F32(nv, &c[0], &b[0], float32(x))
			} else {
				axpy1F32(nv, &c[0], &b[0], float32(x))
			}
		}
	}
	c, b = c[nv:], b[nv:len(c)]
	if set {
		for j, v := range b {
			c[j] = x * v
		}
		return
	}
	for j, v := range b {
		c[j] += x * v
	}
}

// axpy4 calls axpy4F64 or axpy4F32.
func axpy4[T float](n int, c, b *T, ldb int, x *[4]T) {
	switch c := any(c).(type) {
	case *float64:
		axpy4F64(n, c, any(b).(*float64), ldb, any(x).(*[4]float64))
	case *float32:
		axpy4F32(n, c, any(b).(*float32), ldb, any(x).(*[4]float32))
	}
}

// dot4asm calls dot4F64 or dot4F32.
func dot4asm[T float](k int, u *T, ut int, v *T, out *[4]T) {
	switch u := any(u).(type) {
	case *float64:
		dot4F64(k, u, ut, any(v).(*float64), any(out).(*[4]float64))
	case *float32:
		dot4F32(k, u, ut, any(v).(*float32), any(out).(*[4]float32))
	}
}

// dot4 returns the dot products with v (byte stride vs) of the four
// vectors at u + t·ut (t < 4), each with byte stride us, all of length k.
func dot4[T float](u unsafe.Pointer, ut, us int, v unsafe.Pointer, vs, k int) [4]T {
	u1, u2, u3 := unsafe.Add(u, ut), unsafe.Add(u, 2*ut), unsafe.Add(u, 3*ut)
	var s0, s1, s2, s3, r0, r1, r2, r3 T
	q := 0
	for ; q+2 <= k; q += 2 {
		ou, ov := q*us, q*vs
		x, y := ld[T](v, ov), ld[T](v, ov+vs)
		s0 += ld[T](u, ou) * x
		s1 += ld[T](u1, ou) * x
		s2 += ld[T](u2, ou) * x
		s3 += ld[T](u3, ou) * x
		r0 += ld[T](u, ou+us) * y
		r1 += ld[T](u1, ou+us) * y
		r2 += ld[T](u2, ou+us) * y
		r3 += ld[T](u3, ou+us) * y
	}
	if q < k {
		ou := q * us
		x := ld[T](v, q*vs)
		s0 += ld[T](u, ou) * x
		s1 += ld[T](u1, ou) * x
		s2 += ld[T](u2, ou) * x
		s3 += ld[T](u3, ou) * x
	}
	return [4]T{s0 + r0, s1 + r1, s2 + r2, s3 + r3}
}

// tiles computes a small product in 2×4 tiles (then 1×8 tiles and dot
// products at the edges) whose accumulators stay in registers.
func tiles[T float](p *problem[T]) {
	m, n, k := p.m, p.n, p.k
	ars, acs := p.lda, 1 // op(A)[i][q] = a[i*ars + q*acs]
	if p.transA {
		ars, acs = 1, p.lda
	}
	brs, bcs := p.ldb, 1 // op(B)[q][j] = b[q*brs + j*bcs]
	if p.transB {
		brs, bcs = 1, p.ldb
	}
	a := unsafe.Pointer(unsafe.SliceData(p.a))
	b := unsafe.Pointer(unsafe.SliceData(p.b))
	var zero T
	sz := int(unsafe.Sizeof(zero))
	acs, brs = acs*sz, brs*sz // byte steps along k
	i := 0
	for ; i+2 <= m; i += 2 {
		a0 := unsafe.Add(a, i*ars*sz)
		a1 := unsafe.Add(a, (i+1)*ars*sz)
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := unsafe.Add(b, j*bcs*sz)
			b1 := unsafe.Add(b, (j+1)*bcs*sz)
			b2 := unsafe.Add(b, (j+2)*bcs*sz)
			b3 := unsafe.Add(b, (j+3)*bcs*sz)
			var c00, c01, c02, c03, c10, c11, c12, c13 T
			for q := 0; q < k; q++ {
				oa, ob := q*acs, q*brs
				x0, x1 := ld[T](a0, oa), ld[T](a1, oa)
				y0, y1, y2, y3 := ld[T](b0, ob), ld[T](b1, ob), ld[T](b2, ob), ld[T](b3, ob)
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
			}
			p.put4(i, j, c00, c01, c02, c03)
			p.put4(i+1, j, c10, c11, c12, c13)
		}
		for ; j < n; j++ {
			b0 := unsafe.Add(b, j*bcs*sz)
			p.put(i, j, dot[T](a0, acs, b0, brs, k))
			p.put(i+1, j, dot[T](a1, acs, b0, brs, k))
		}
	}
	if i == m {
		return
	}
	// the last row
	a0 := unsafe.Add(a, i*ars*sz)
	j := 0
	if bcs == 1 {
		// op(B) rows are contiguous: 1×8 tiles, whose eight accumulation
		// chains keep the floating-point adders busy
		for ; j+8 <= n; j += 8 {
			b0 := unsafe.Add(b, j*sz)
			var c0, c1, c2, c3, c4, c5, c6, c7 T
			for q := 0; q < k; q++ {
				x := ld[T](a0, q*acs)
				y := (*[8]T)(unsafe.Add(b0, q*brs))
				c0 += x * y[0]
				c1 += x * y[1]
				c2 += x * y[2]
				c3 += x * y[3]
				c4 += x * y[4]
				c5 += x * y[5]
				c6 += x * y[6]
				c7 += x * y[7]
			}
			p.put4(i, j, c0, c1, c2, c3)
			p.put4(i, j+4, c4, c5, c6, c7)
		}
	}
	for ; j < n; j++ {
		p.put(i, j, dot[T](a0, acs, unsafe.Add(b, j*bcs*sz), brs, k))
	}
}

// dot returns Σq x[q·xs]·y[q·ys] for byte strides xs and ys, with four
// partial sums.
func dot[T float](x unsafe.Pointer, xs int, y unsafe.Pointer, ys int, k int) T {
	var s0, s1, s2, s3 T
	q := 0
	for ; q+4 <= k; q += 4 {
		s0 += ld[T](x, q*xs) * ld[T](y, q*ys)
		s1 += ld[T](x, (q+1)*xs) * ld[T](y, (q+1)*ys)
		s2 += ld[T](x, (q+2)*xs) * ld[T](y, (q+2)*ys)
		s3 += ld[T](x, (q+3)*xs) * ld[T](y, (q+3)*ys)
	}
	for ; q < k; q++ {
		s0 += ld[T](x, q*xs) * ld[T](y, q*ys)
	}
	return (s0 + s1) + (s2 + s3)
}

// ld loads the T at byte offset off from base.
func ld[T float](base unsafe.Pointer, off int) T {
	return *(*T)(unsafe.Add(base, off))
}

// put stores alpha·v + beta·C[i][j] in C[i][j], not reading C when beta
// is zero.
func (p *problem[T]) put(i, j int, v T) {
	c := &p.c[i*p.ldc+j]
	if p.beta == 0 {
		*c = p.alpha * v
	} else {
		*c = p.alpha*v + p.beta**c
	}
}

// put4 is put for C[i][j:j+4].
func (p *problem[T]) put4(i, j int, v0, v1, v2, v3 T) {
	o := i*p.ldc + j
	c := p.c[o : o+4 : o+4]
	al := p.alpha
	if p.beta == 0 {
		c[0], c[1], c[2], c[3] = al*v0, al*v1, al*v2, al*v3
		return
	}
	be := p.beta
	c[0] = al*v0 + be*c[0]
	c[1] = al*v1 + be*c[1]
	c[2] = al*v2 + be*c[2]
	c[3] = al*v3 + be*c[3]
}
