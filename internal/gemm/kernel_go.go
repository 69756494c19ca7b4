package gemm

import "unsafe"

// Blocking for the portable kernels. The tiles match the assembly kernels';
// the cache blocks suit any processor with at least 32 KiB of L1 and 256 KiB
// of L2 data cache.
var (
	goF64 = config[float64]{name: "go", mr: 6, nr: 8, mc: 72, kc: 256, nc: 4096, kern: kernGoF64}
	goF32 = config[float32]{name: "go", mr: 6, nr: 16, mc: 72, kc: 256, nc: 4096, kern: kernGoF32}
)

// kernGoF64 is the portable 6×8 float64 micro-kernel (see kernFunc).
func kernGoF64(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64) {
	kernGo(8, k, a, rs, cs, b, c, ldc, alpha)
}

// kernGoF32 is the portable 6×16 float32 micro-kernel (see kernFunc).
func kernGoF32(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32) {
	kernGo(16, k, a, rs, cs, b, c, ldc, alpha)
}

// kernGo is the portable 6×nr micro-kernel, written once for both dtypes.
// It walks the tile in 2×2 sub-tiles: with four accumulators, two A and
// two B values and four products live, the loop fits the floating-point
// registers of amd64 (15 usable) and arm64 without spilling, which larger
// sub-tiles do not, as the compiler issues all the multiplies first. The
// operands are read through unsafe pointers, always inside them.
func kernGo[T float32 | float64](nr, k int, a *T, rs, cs int, b, c *T, ldc int, alpha T) {
	const mr = 6
	size := int(unsafe.Sizeof(alpha))
	cp := unsafe.Slice(c, (mr-1)*ldc+nr)
	rs, cs = rs*size, cs*size
	for i := 0; i < mr; i += 2 {
		pa0 := unsafe.Add(unsafe.Pointer(a), i*rs)
		pa1 := unsafe.Add(pa0, rs)
		for j := 0; j < nr; j += 2 {
			pb := unsafe.Add(unsafe.Pointer(b), j*size)
			var c00, c01, c10, c11 T
			for q := 0; q < k; q++ {
				a0, a1 := ld[T](pa0, q*cs), ld[T](pa1, q*cs)
				y := (*[2]T)(unsafe.Add(pb, q*nr*size))
				b0, b1 := y[0], y[1]
				c00 += a0 * b0
				c01 += a0 * b1
				c10 += a1 * b0
				c11 += a1 * b1
			}
			r0 := cp[i*ldc+j : i*ldc+j+2 : i*ldc+j+2]
			r0[0] += alpha * c00
			r0[1] += alpha * c01
			r1 := cp[(i+1)*ldc+j : (i+1)*ldc+j+2 : (i+1)*ldc+j+2]
			r1[0] += alpha * c10
			r1[1] += alpha * c11
		}
	}
}
