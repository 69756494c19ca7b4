package kernel

import "unsafe"

// CopyRows copies rows rows of n elements from src, whose rows start ss
// elements apart, to dst, whose rows start ds apart: a strided block copy
// (a convolution's output rows between its wide and compact layouts). On
// amd64 an SSE2 loop copies each row's leading multiple of 16 bytes, in
// place of a memmove call a row. It panics with a Go bounds error if a
// slice is too short; the rows must not overlap.
func CopyRows[T Float](dst []T, ds int, src []T, ss int, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = dst[(rows-1)*ds+n-1], src[(rows-1)*ss+n-1]
	var z T
	size := int(unsafe.Sizeof(z))
	k := 0 // elements a row the loop copies
	if simdRows {
		k = n * size &^ 15 / size
		if k > 0 {
			copyRows16(rows, unsafe.Pointer(&dst[0]), uintptr(ds*size), unsafe.Pointer(&src[0]), uintptr(ss*size), k*size/16)
		}
	}
	if k == n {
		return
	}
	for r := range rows {
		copy(dst[r*ds+k:r*ds+n], src[r*ss+k:r*ss+n])
	}
}
