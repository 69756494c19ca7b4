//go:build !amd64 || purego

package kernel

// Without the assembly loops AdamStep32 and MomentumStep32 run their Go
// loops.
func simdAdam32(p, g, m, v []float32, c *AdamConsts) int                     { return 0 }
func simdMomentum32(p, g, buf []float32, momentum, damp1, negLR float32) int { return 0 }
