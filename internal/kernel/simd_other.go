//go:build !amd64 || purego

package kernel

// Without the assembly loops (another architecture, or the purego build
// tag) every kernel runs its Go loop: these report that they did nothing.

func simdSame[T Float](ArithOp, []T, []T, []T) int  { return 0 }
func simdScalarY[T Float](ArithOp, []T, []T, T) int { return 0 }
func simdScalarX[T Float](ArithOp, []T, T, []T) int { return 0 }
func simdUnary[T Float](unaryOp, []T, []T) int      { return 0 }
