package main

import (
	"fmt"
	"math"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// buildW10: per-example gradients of the W3 MLP (float32): for each of the
// batch's examples, the gradient of its own softmax cross-entropy with
// respect to all parameters (W1, b1, W2, b2 flattened and concatenated),
// as DP-SGD needs. chainrule maps Grads over the batch with Vmap.
func buildW10(quick bool) []*Case {
	s := newMLPSetup(quick, tensor.Float32)
	onehot := tensor.Float32.Zeros(s.b, s.c)
	for i, l := range s.labels {
		onehot.Set(1, i, l)
	}
	ps := make([]ad.Value, len(s.params))
	for i, p := range s.params {
		ps[i] = ad.From(p)
	}
	loss := func(x, y ad.Value, ps []ad.Value) ad.Value { // one example: x (d), y one-hot (c)
		h := ad.Tanh(ad.Add(ad.MatMul(x, ps[0]), ps[1]))
		logits := ad.Add(ad.MatMul(h, ps[2]), ps[3])
		return ad.Neg(ad.Sum(ad.Mul(ad.LogSoftmax(logits, 0), y), false))
	}
	perExample := ad.Vmap(func(ex []ad.Value) ad.Value {
		gs := ad.Grads(func(ps []ad.Value) ad.Value { return loss(ex[0], ex[1], ps) }, ps...)
		for i, g := range gs {
			gs[i] = ad.Reshape(g, -1)
		}
		return ad.Concat(0, gs...)
	})
	xv, yv := ad.From(s.x), ad.From(onehot)
	hand := newPerExampleMLP(s)
	return []*Case{{
		Name: "W10", Workload: "W10", DType: tensor.Float32,
		Desc: fmt.Sprintf("per-example gradients of the MLP %d→%d→%d tanh, softmax CE, batch %d, float32", s.d, s.h, s.c, s.b),
		Params: map[string]any{"batch": s.b, "in": s.d, "hidden": s.h, "classes": s.c,
			"labels": s.labels, "dtype": "float32"},
		Inputs: map[string]*tensor.Tensor{"x": s.x, "w1": s.params[0], "b1": s.params[1], "w2": s.params[2], "b2": s.params[3]},
		Impls: []Impl{
			{Name: "chainrule", Op: func() { perExample(xv, yv) }, Outputs: func() outputs {
				return outputs{"grads": flat(perExample(xv, yv).Tensor())}
			}},
			{Name: "hand-go", Op: func() { hand.run() }, Outputs: func() outputs {
				g := hand.run()
				out := make([]float64, len(g))
				for i, v := range g {
					out[i] = float64(v)
				}
				return outputs{"grads": out}
			}},
		},
	}}
}

// perExampleMLP computes W10's per-example gradients by hand: for each
// example, h = tanh(x·W1 + b1), p = softmax(h·W2 + b2), δ2 = p − y,
// δ1 = (W2·δ2) ⊙ (1 − h²), and the gradients are x⊗δ1, δ1, h⊗δ2, δ2.
type perExampleMLP struct {
	b, d, h, c     int
	x              []float32
	labels         []int
	w1, b1, w2, b2 []float32
	hid, d1, p     []float32
	out            []float32 // b × (d·h + h + h·c + c)
}

func newPerExampleMLP(s *mlpSetup) *perExampleMLP {
	p := s.params
	n := s.d*s.h + s.h + s.h*s.c + s.c
	return &perExampleMLP{b: s.b, d: s.d, h: s.h, c: s.c, x: s.x.Data32(), labels: s.labels,
		w1: p[0].Data32(), b1: p[1].Data32(), w2: p[2].Data32(), b2: p[3].Data32(),
		hid: make([]float32, s.h), d1: make([]float32, s.h), p: make([]float32, s.c), out: make([]float32, s.b*n)}
}

func (m *perExampleMLP) run() []float32 {
	d, h, c := m.d, m.h, m.c
	n := d*h + h + h*c + c
	for e := 0; e < m.b; e++ {
		x := m.x[e*d : (e+1)*d]
		copy(m.hid, m.b1)
		for i, xi := range x {
			row := m.w1[i*h : (i+1)*h]
			for j := range m.hid {
				m.hid[j] += xi * row[j]
			}
		}
		for j, v := range m.hid {
			m.hid[j] = float32(math.Tanh(float64(v)))
		}
		copy(m.p, m.b2)
		for j, hj := range m.hid {
			row := m.w2[j*c : (j+1)*c]
			for k := range m.p {
				m.p[k] += hj * row[k]
			}
		}
		mx := m.p[0]
		for _, v := range m.p {
			mx = max(mx, v)
		}
		var sum float32
		for k, v := range m.p {
			m.p[k] = float32(math.Exp(float64(v - mx)))
			sum += m.p[k]
		}
		for k := range m.p {
			m.p[k] /= sum
		}
		m.p[m.labels[e]]-- // δ2 = p − y
		for j, hj := range m.hid {
			row := m.w2[j*c : (j+1)*c]
			var s float32
			for k, dk := range m.p {
				s += row[k] * dk
			}
			m.d1[j] = s * (1 - hj*hj)
		}
		g := m.out[e*n : (e+1)*n]
		gw1, gb1, gw2, gb2 := g[:d*h], g[d*h:d*h+h], g[d*h+h:d*h+h+h*c], g[d*h+h+h*c:]
		for i, xi := range x {
			row := gw1[i*h : (i+1)*h]
			for j, dj := range m.d1 {
				row[j] = xi * dj
			}
		}
		copy(gb1, m.d1)
		for j, hj := range m.hid {
			row := gw2[j*c : (j+1)*c]
			for k, dk := range m.p {
				row[k] = hj * dk
			}
		}
		copy(gb2, m.p)
	}
	return m.out
}
