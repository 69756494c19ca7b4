package kernel

import "math"

// AdamConsts holds one Adam or AdamW step's scalars, rounded to float32 as
// package optim's float32 loop uses them: the moment decays B1, B2 and
// their complements C1 = 1−β₁, C2 = 1−β₂; Bc2s = √(1−β₂ᵗ); Eps; NegStep
// = −lr/(1−β₁ᵗ); and Shrink, AdamW's decoupled decay 1 − lr·λ (1 for
// none: multiplying by 1 changes no value).
type AdamConsts struct {
	B1, C1, B2, C2, Bc2s, Eps, NegStep, Shrink float32
}

// AdamStep32 applies Adam's update to p, with the moments m and v, from
// the gradient g (all of p's length), element by element:
//
//	p ← p·Shrink;  m ← m·B1 + C1·g;  v ← v·B2 + (C2·g)·g
//	p ← p + (NegStep·m) / (√v / Bc2s + Eps)
//
// each operation rounded to float32 in that order, as optim's loop does
// (torch.optim's order), so the result is the same bit for bit with or
// without the SSE2 loop (four elements a step) on amd64. It panics if a
// slice is shorter than p.
func AdamStep32(p, g, m, v []float32, c *AdamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	k := simdAdam32(p, g, m, v, c)
	adamLoop32(p[k:], g[k:], m[k:], v[k:], c)
}

// adamLoop32 is AdamStep32's loop in Go.
func adamLoop32(p, g, m, v []float32, c *AdamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	// the conversions round each product, so that no multiply-add is
	// fused (Go may fuse x·y + z where the target has FMA, GOAMD64=v3)
	for k, pk := range p {
		d := g[k]
		pk = float32(pk * c.Shrink)
		mk := float32(m[k]*c.B1) + float32(c.C1*d)
		vk := float32(v[k]*c.B2) + float32(float32(c.C2*d)*d)
		m[k], v[k] = mk, vk
		denom := float32(sqrt32(vk)/c.Bc2s) + c.Eps
		p[k] = pk + float32(float32(c.NegStep*mk)/denom)
	}
}

// sqrt32 is the float32 square root, correctly rounded (as SQRTPS): the
// float64 root of a float32 rounds to the same float32.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// MomentumStep32 applies SGD's update with momentum (no weight decay,
// dampening's complement Damp1 = 1 − dampening, plain momentum) to p and
// the momentum buffer buf from the gradient g (all of p's length), after
// the first step, element by element:
//
//	buf ← buf·Momentum + Damp1·g;  p ← p + NegLR·buf
//
// each operation rounded to float32 in that order, as optim's loop does
// (torch.optim's order), with or without the SSE2 loop. It panics if a
// slice is shorter than p.
func MomentumStep32(p, g, buf []float32, momentum, damp1, negLR float32) {
	g, buf = g[:len(p)], buf[:len(p)]
	k := simdMomentum32(p, g, buf, momentum, damp1, negLR)
	p, g, buf = p[k:], g[k:], buf[k:len(p)]
	for i, pi := range p {
		b := float32(buf[i]*momentum) + float32(damp1*g[i])
		buf[i] = b
		p[i] = pi + float32(negLR*b)
	}
}
