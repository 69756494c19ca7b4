package gemm

import (
	"fmt"
	"unsafe"
)

// PackRowsAt32 writes into bp the k×n matrix B whose row r is the run of n
// elements of src from offs[r] (k = len(offs)), packed in panels nr wide as
// [F32Packed] reads it (zeros past column n): a B operand given by a table
// of row offsets, such as a dense convolution's unfolding, whose rows are
// overlapping runs of its input. Panel rows of 128 or 64 bytes are copied
// by an SSE2 loop on amd64 (those of a partial last panel too, where src
// holds the whole row, the columns past n then cleared). It panics if nr < 1, bp holds fewer
// than PackedLen(k, n, nr) elements, or a run reaches outside src.
func PackRowsAt32(bp, src []float32, offs []int, n, nr int) { packRowsAt(bp, src, offs, n, nr) }

// PackRowsAt64 is [PackRowsAt32] for float64, for [F64Packed].
func PackRowsAt64(bp, src []float64, offs []int, n, nr int) { packRowsAt(bp, src, offs, n, nr) }

func packRowsAt[T float](bp, src []T, offs []int, n, nr int) {
	k := len(offs)
	if nr < 1 || n < 0 {
		panic(fmt.Sprintf("gemm: packing %d columns in panels of %d", n, nr))
	}
	if need := PackedLen(k, n, nr); len(bp) < need {
		panic(fmt.Sprintf("gemm: len(bp)=%d is less than the %d of a packed %d×%d B in panels of %d", len(bp), need, k, n, nr))
	}
	for r, off := range offs {
		if off < 0 || off+n > len(src) {
			panic(fmt.Sprintf("gemm: row %d's run [%d, %d) is outside src of length %d", r, off, off+n, len(src)))
		}
	}
	if k == 0 || n == 0 {
		return
	}
	var z T
	size := int(unsafe.Sizeof(z))
	kn := k * nr
	full := n / nr
	m := n - full*nr // the columns of a last, partial panel
	fast := packAtAsm && (nr*size == 128 || nr*size == 64)
	tail := 0 // rows of the partial panel copied whole, then cleared past m
	if fast && m > 0 {
		for tail < k && offs[tail]+(full+1)*nr <= len(src) {
			tail++
		}
	}
	if fast && (full > 0 || tail > 0) {
		var stack [256]int
		boffs := stack[:0] // byte offsets for the assembly
		if k > len(stack) {
			boffs = make([]int, 0, k)
		}
		boffs = boffs[:k]
		for r, off := range offs {
			boffs[r] = off * size
		}
		for t := range full {
			src0, dst := unsafe.Pointer(&src[t*nr]), unsafe.Pointer(&bp[t*kn])
			copyRowsAt(k, src0, &boffs[0], dst, nr*size == 128)
		}
		if tail > 0 {
			// the leading rows whose whole panel row lies inside src
			d := bp[full*kn:][:tail*nr]
			copyRowsAt(tail, unsafe.Pointer(&src[full*nr]), &boffs[0], unsafe.Pointer(&d[0]), nr*size == 128)
			for r := range tail {
				o := d[r*nr:][:nr]
				for i := m; i < nr; i++ { // a few stores, not a memclr call
					o[i] = 0
				}
			}
		}
	} else {
		for t := range full {
			d := bp[t*kn:][:kn]
			for r, off := range offs {
				copy(d[r*nr:][:nr], src[off+t*nr:][:nr])
			}
		}
	}
	if m > 0 {
		d := bp[full*kn:][:kn]
		for r := tail; r < k; r++ {
			o := d[r*nr:][:nr]
			copy(o, src[offs[r]+full*nr:][:m])
			clear(o[m:])
		}
	}
}

// RowBlock32 returns mr, the number of rows of A the float32 micro-kernels
// take at a time (6 for every kernel): a product whose m is a multiple of
// it runs no row of A through the kernels' slower edge path.
func RowBlock32() int { return kernels(&goF32, &asmF32).mr }

// RowBlock64 is [RowBlock32] for float64.
func RowBlock64() int { return kernels(&goF64, &asmF64).mr }
