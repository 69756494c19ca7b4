package kernel

// Max pooling by 2×2 windows with stride 2 and no padding, the common
// case (LeNet's, most CNNs'), over "row pairs": row pair R of x is its
// rows 2R and 2R+1 of width w (w ≥ 2·ow), starting at x[2R·w], and output
// row R holds ow windows, window j covering columns 2j and 2j+1 of both
// rows. A tensor N×C×H×W with H even is N·C·H/2 row pairs in a row.
//
// The window's maximum is the first element in row-major window order
// whose value is largest (a later equal value does not replace it), except
// that a NaN replaces it (and later non-NaN values then do not): PyTorch's
// CPU rule, `val > max || isnan(val)`.

// MaxPool2x2 writes into out (rows·ow values, ow a row) the element of
// each 2×2 window of the rows row pairs of x (see above) that is its
// maximum: the value at the argmax, so a −0 picked before a +0 stays −0
// and the NaN picked keeps its payload. It panics with a Go bounds error
// if out or x is too short; the callers check their shapes.
func MaxPool2x2[T Float](out, x []T, rows, ow, w int) {
	if rows <= 0 || ow <= 0 {
		return
	}
	_, _ = out[rows*ow-1], x[(2*rows-1)*w+2*ow-1]
	k := simdMaxPool2x2(out, x, rows, ow, w)
	if k == ow {
		return
	}
	for r := range rows {
		r0, r1 := x[2*r*w:][:2*ow], x[(2*r+1)*w:][:2*ow]
		o := out[r*ow:][:ow]
		for j := k; j < ow; j++ {
			v, _ := argmax4(r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1])
			o[j] = v
		}
	}
}

// ScatterPool2x2 writes into dx, shaped like x's rows row pairs, the
// transpose of MaxPool2x2's selection applied to u (rows·ow values): in
// each window 0 + u's element at the maximum's position and +0 at the
// other three (PyTorch's max_pool2d backward, which adds into zeros, so a
// −0 becomes +0), and +0 in the columns from 2·ow to w of every row. It
// panics with a Go bounds error if a slice is too short.
func ScatterPool2x2[T Float](dx, x, u []T, rows, ow, w int) {
	if rows <= 0 {
		return
	}
	_, _ = dx[2*rows*w-1], x[(2*rows-1)*w+2*ow-1]
	if ow > 0 {
		_ = u[rows*ow-1]
	}
	k := simdScatterPool2x2(dx, x, u, rows, ow, w)
	if w > 2*ow {
		for r := range 2 * rows {
			clear(dx[r*w+2*ow : (r+1)*w])
		}
	}
	if k == ow {
		return
	}
	for r := range rows {
		r0, r1 := x[2*r*w:][:2*ow], x[(2*r+1)*w:][:2*ow]
		d0, d1 := dx[2*r*w:][:2*ow], dx[(2*r+1)*w:][:2*ow]
		ur := u[r*ow:][:ow]
		for j := k; j < ow; j++ {
			_, at := argmax4(r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1])
			d0[2*j], d0[2*j+1], d1[2*j], d1[2*j+1] = 0, 0, 0, 0
			g := 0 + ur[j]
			switch at {
			case 0:
				d0[2*j] = g
			case 1:
				d0[2*j+1] = g
			case 2:
				d1[2*j] = g
			default:
				d1[2*j+1] = g
			}
		}
	}
}

// argmax4 returns the maximum of a 2×2 window a, b (top row), c, d and its
// position 0…3 in that order, by the rule above.
func argmax4[T Float](a, b, c, d T) (T, int) {
	best, at := a, 0
	if b > best || b != b {
		best, at = b, 1
	}
	if c > best || c != c {
		best, at = c, 2
	}
	if d > best || d != d {
		best, at = d, 3
	}
	return best, at
}
