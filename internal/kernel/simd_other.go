//go:build !amd64 || purego

package kernel

// Without the assembly loops (another architecture, or the purego build
// tag) every kernel runs its Go loop: these report that they did nothing.

const simd = false

func same64(ArithOp, []float64, []float64, []float64) int  { return 0 }
func scalarY64(ArithOp, []float64, []float64, float64) int { return 0 }
func scalarX64(ArithOp, []float64, float64, []float64) int { return 0 }
func square64([]float64, []float64) int                    { return 0 }
func neg64([]float64, []float64) int                       { return 0 }
