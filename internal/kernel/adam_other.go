//go:build !amd64 || purego

package kernel

// Without the assembly loop AdamStep32 runs its Go loop.
func simdAdam32(p, g, m, v []float32, c *AdamConsts) int { return 0 }
