package main

// Plain hand-written Go: each workload's primal and its hand-derived
// derivative, with gonum's BLAS for matrix products (the pure-Go BLAS a
// hand-written Go program would reach for). These are the floor an AD
// library can aim for.

import (
	"math"

	"github.com/chainrule/chainrule/internal/testfunc"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// rosenValue returns the n-dimensional Rosenbrock function
// Σ_{i<n−1} 100(x_{i+1} − x_i²)² + (1 − x_i)².
func rosenValue(x []float64) float64 {
	s := 0.0
	for i := 0; i+1 < len(x); i++ {
		d := x[i+1] - x[i]*x[i]
		e := 1 - x[i]
		s += 100*d*d + e*e
	}
	return s
}

// rosenValGrad returns the Rosenbrock function and writes its closed-form
// gradient into g.
var rosenValGrad = testfunc.RosenbrockHand

// rosenHVP writes H(x)·v into hv, with the Rosenbrock Hessian's
// closed form: tridiagonal, H_ii = 1200x_i² − 400x_{i+1} + 2 [i < n−1] +
// 200 [i > 0], H_{i,i+1} = H_{i+1,i} = −400 x_i.
func rosenHVP(x, v, hv []float64) {
	clear(hv)
	for i := 0; i+1 < len(x); i++ {
		dii := 1200*x[i]*x[i] - 400*x[i+1] + 2
		off := -400 * x[i]
		hv[i] += dii*v[i] + off*v[i+1]
		hv[i+1] += 200*v[i+1] + off*v[i]
	}
}

// rosenHessian writes the n×n Rosenbrock Hessian at x, row-major, into h.
func rosenHessian(x, h []float64) {
	n := len(x)
	clear(h)
	for i := 0; i+1 < n; i++ {
		h[i*n+i] += 1200*x[i]*x[i] - 400*x[i+1] + 2
		h[(i+1)*n+i+1] += 200
		h[i*n+i+1] = -400 * x[i]
		h[(i+1)*n+i] = -400 * x[i]
	}
}

// jacTanhWSin writes the m×n Jacobian of f(x) = tanh(W·sin(x)) into jac,
// J_ij = (1 − y_i²) W_ij cos x_j, with W m×n row-major and s, y scratch of
// lengths n and m.
func jacTanhWSin(w, x []float64, m, n int, s, y, jac []float64) {
	for j := range x {
		s[j] = math.Sin(x[j])
	}
	blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: m, Cols: n, Stride: n, Data: w},
		blas64.Vector{N: n, Inc: 1, Data: s}, 0, blas64.Vector{N: m, Inc: 1, Data: y})
	for j := range x {
		s[j] = math.Cos(x[j])
	}
	for i := 0; i < m; i++ {
		t := math.Tanh(y[i])
		d := 1 - t*t
		row := jac[i*n : (i+1)*n]
		for j, wij := range w[i*n : (i+1)*n] {
			row[j] = d * wij * s[j]
		}
	}
}

// tanhChain is the hand-written chain h_{k+1} = tanh(W·h_k) of W6 with its
// reverse sweep; it keeps every h_k for the sweep, as reverse mode must.
type tanhChain struct {
	w             []float64 // width×width, row-major
	width, layers int
	hs            []float64 // (layers+1)×width activations
	g, t          []float64 // adjoint and scratch, width each
}

// newTanhChain returns the chain for W (width×width) and the layer count.
func newTanhChain(w []float64, width, layers int) *tanhChain {
	return &tanhChain{w: w, width: width, layers: layers,
		hs: make([]float64, (layers+1)*width), g: make([]float64, width), t: make([]float64, width)}
}

// grad returns the gradient of Σ h_L with respect to h0 (a slice it owns
// until the next call): the forward pass, then g_k = Wᵀ(g_{k+1} ⊙ (1 − h_{k+1}²)).
func (c *tanhChain) grad(h0 []float64) []float64 {
	n := c.width
	W := blas64.General{Rows: n, Cols: n, Stride: n, Data: c.w}
	copy(c.hs, h0)
	for k := 0; k < c.layers; k++ {
		in, out := c.hs[k*n:(k+1)*n], c.hs[(k+1)*n:(k+2)*n]
		blas64.Gemv(blas.NoTrans, 1, W, blas64.Vector{N: n, Inc: 1, Data: in}, 0, blas64.Vector{N: n, Inc: 1, Data: out})
		for i, v := range out {
			out[i] = math.Tanh(v)
		}
	}
	for i := range c.g {
		c.g[i] = 1
	}
	for k := c.layers; k > 0; k-- {
		h := c.hs[k*n : (k+1)*n]
		for i, v := range h {
			c.t[i] = c.g[i] * (1 - v*v)
		}
		blas64.Gemv(blas.Trans, 1, W, blas64.Vector{N: n, Inc: 1, Data: c.t}, 0, blas64.Vector{N: n, Inc: 1, Data: c.g})
	}
	return c.g
}

// float is the element type of the hand-written MLP.
type float interface{ ~float32 | ~float64 }

// gemm computes c = op(a)·op(b) (beta 0) for row-major m×k by k×n operands
// through gonum's BLAS; a is stored k×m when ta, b n×k when tb.
func gemm[T float](ta, tb bool, m, n, k int, a, b, c []T) {
	tr := func(t bool) blas.Transpose {
		if t {
			return blas.Trans
		}
		return blas.NoTrans
	}
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	switch a := any(a).(type) {
	case []float64:
		blas64.Implementation().Dgemm(tr(ta), tr(tb), m, n, k, 1, a, lda, any(b).([]float64), ldb, 0, any(c).([]float64), n)
	case []float32:
		blas32.Implementation().Sgemm(tr(ta), tr(tb), m, n, k, 1, a, lda, any(b).([]float32), ldb, 0, any(c).([]float32), n)
	}
}

// mlp is the hand-written W3 network, logits = tanh(X·W1 + b1)·W2 + b2 with
// mean softmax cross-entropy, and its hand-derived backward pass:
// dZ2 = (softmax(Z2) − onehot(y))/B, dW2 = Aᵀ·dZ2, db2 = Σ_b dZ2,
// dZ1 = (dZ2·W2ᵀ) ⊙ (1 − A²), dW1 = Xᵀ·dZ1, db1 = Σ_b dZ1.
type mlp[T float] struct {
	b, d, h, c         int
	x                  []T // b×d
	labels             []int
	w1, b1, w2, b2     []T // d×h, h, h×c, c
	lr                 T
	a, z2, dz2, da     []T // b×h, b×c, b×c, b×h
	gw1, gb1, gw2, gb2 []T
}

// newMLP returns the network with its own copies of the parameters.
func newMLP[T float](b, d, h, c int, x []T, labels []int, w1, b1, w2, b2 []T, lr T) *mlp[T] {
	cl := func(s []T) []T { return append([]T(nil), s...) }
	return &mlp[T]{b: b, d: d, h: h, c: c, x: x, labels: labels,
		w1: cl(w1), b1: cl(b1), w2: cl(w2), b2: cl(b2), lr: lr,
		a: make([]T, b*h), z2: make([]T, b*c), dz2: make([]T, b*c), da: make([]T, b*h),
		gw1: make([]T, d*h), gb1: make([]T, h), gw2: make([]T, h*c), gb2: make([]T, c)}
}

// step computes the loss and the gradients and, if update, takes one SGD
// step. It returns the loss.
func (m *mlp[T]) step(update bool) float64 {
	gemm(false, false, m.b, m.h, m.d, m.x, m.w1, m.a)
	for i := range m.a {
		m.a[i] = T(math.Tanh(float64(m.a[i] + m.b1[i%m.h])))
	}
	gemm(false, false, m.b, m.c, m.h, m.a, m.w2, m.z2)
	loss := 0.0
	for r := 0; r < m.b; r++ {
		z, dz := m.z2[r*m.c:(r+1)*m.c], m.dz2[r*m.c:(r+1)*m.c]
		mx := T(math.Inf(-1))
		for j := range z {
			z[j] += m.b2[j]
			mx = max(mx, z[j])
		}
		var sum T
		for j, v := range z {
			dz[j] = T(math.Exp(float64(v - mx)))
			sum += dz[j]
		}
		lse := mx + T(math.Log(float64(sum)))
		loss += float64(lse - z[m.labels[r]])
		for j := range dz {
			dz[j] /= sum
		}
		dz[m.labels[r]]--
		for j := range dz {
			dz[j] /= T(m.b)
		}
	}
	loss /= float64(m.b)
	gemm(true, false, m.h, m.c, m.b, m.a, m.dz2, m.gw2)
	colSums(m.dz2, m.b, m.c, m.gb2)
	gemm(false, true, m.b, m.h, m.c, m.dz2, m.w2, m.da)
	for i, a := range m.a {
		m.da[i] *= 1 - a*a
	}
	gemm(true, false, m.d, m.h, m.b, m.x, m.da, m.gw1)
	colSums(m.da, m.b, m.h, m.gb1)
	if update {
		for _, p := range [][2][]T{{m.w1, m.gw1}, {m.b1, m.gb1}, {m.w2, m.gw2}, {m.b2, m.gb2}} {
			for i, g := range p[1] {
				p[0][i] -= m.lr * g
			}
		}
	}
	return loss
}

// grads returns the gradients dW1, db1, dW2, db2 of the last step,
// concatenated as float64.
func (m *mlp[T]) grads() []float64 {
	var out []float64
	for _, g := range [][]T{m.gw1, m.gb1, m.gw2, m.gb2} {
		for _, v := range g {
			out = append(out, float64(v))
		}
	}
	return out
}

// colSums writes the column sums of the rows×cols matrix a into out.
func colSums[T float](a []T, rows, cols int, out []T) {
	clear(out)
	for r := 0; r < rows; r++ {
		for j, v := range a[r*cols : (r+1)*cols] {
			out[j] += v
		}
	}
}
