package kernel

import "unsafe"

// AddRows adds the rows rows of x, each len(dst) elements long and
// starting ld elements after the previous one, to dst in order:
// dst[j] = (((dst[j] + x[j]) + x[ld+j]) + x[2·ld+j]) + … for every column
// j, the additions a running total makes, so the result is the same bit
// for bit as adding the rows one at a time. With AVX2 the columns are
// summed 64 (float32) or 32 (float64) at a time in registers while the
// rows stream past once, instead of reading and writing dst for every
// row. It panics if x is too short.
func AddRows[T Float](dst, x []T, rows, ld int) {
	n := len(dst)
	if rows <= 0 || n == 0 {
		return
	}
	if need := (rows-1)*ld + n; ld < n || len(x) < need {
		panic("kernel: AddRows: x too short or rows overlapping")
	}
	done := 0
	if addRowsAsm {
		var zero T
		if unsafe.Sizeof(zero) == 4 {
			done = n &^ 7
			if done > 0 {
				addRows32((*float32)(unsafe.Pointer(&dst[0])), (*float32)(unsafe.Pointer(&x[0])), rows, ld, done)
			}
		} else {
			done = n &^ 3
			if done > 0 {
				addRows64((*float64)(unsafe.Pointer(&dst[0])), (*float64)(unsafe.Pointer(&x[0])), rows, ld, done)
			}
		}
	}
	if done == n {
		return
	}
	d := dst[done:n]
	for r := range rows {
		row := x[r*ld+done:][:len(d)]
		for j, v := range row {
			d[j] += v
		}
	}
}
