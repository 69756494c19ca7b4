//go:build amd64 && !purego

#include "textflag.h"

// func adamSteps32(p, grad, m, v *float32, n int, c *AdamConsts)
// The constants, broadcast: X8 B1, X9 C1, X10 B2, X11 C2, X12 Bc2s,
// X13 Eps, X14 NegStep, X15 Shrink. Each step, on lanes k to k+3:
// X0 d, X1 the new m, X3 the new v, X5 the denominator, X7 the new p.
TEXT ·adamSteps32(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	MOVSS 0(AX), X8
	SHUFPS $0, X8, X8
	MOVSS 4(AX), X9
	SHUFPS $0, X9, X9
	MOVSS 8(AX), X10
	SHUFPS $0, X10, X10
	MOVSS 12(AX), X11
	SHUFPS $0, X11, X11
	MOVSS 16(AX), X12
	SHUFPS $0, X12, X12
	MOVSS 20(AX), X13
	SHUFPS $0, X13, X13
	MOVSS 24(AX), X14
	SHUFPS $0, X14, X14
	MOVSS 28(AX), X15
	SHUFPS $0, X15, X15
	XORQ BX, BX
loop:
	CMPQ BX, CX
	JGE done
	MOVUPS 0(SI)(BX*4), X0 // d
	MOVUPS 0(R8)(BX*4), X1
	MULPS X8, X1           // m*B1
	MOVAPS X9, X2
	MULPS X0, X2           // C1*d
	ADDPS X2, X1           // m*B1 + C1*d
	MOVUPS X1, 0(R8)(BX*4)
	MOVUPS 0(R9)(BX*4), X3
	MULPS X10, X3          // v*B2
	MOVAPS X11, X4
	MULPS X0, X4           // C2*d
	MULPS X0, X4           // (C2*d)*d
	ADDPS X4, X3           // v*B2 + (C2*d)*d
	MOVUPS X3, 0(R9)(BX*4)
	SQRTPS X3, X5          // sqrt v
	DIVPS X12, X5          // sqrt v/Bc2s
	ADDPS X13, X5          // … + Eps
	MOVAPS X14, X6
	MULPS X1, X6           // NegStep*m
	DIVPS X5, X6           // (NegStep*m)/denom
	MOVUPS 0(DI)(BX*4), X7
	MULPS X15, X7          // p*Shrink
	ADDPS X6, X7
	MOVUPS X7, 0(DI)(BX*4)
	ADDQ $4, BX
	JMP loop
done:
	RET

// func momentumSteps32(p, grad, buf *float32, n int, momentum, damp1, negLR float32)
// X8 momentum, X9 damp1, X10 negLR, broadcast. Each step, on lanes k to
// k+3: X1 the new buffer buf*momentum + damp1*g, X3 the new p.
TEXT ·momentumSteps32(SB), NOSPLIT, $0-44
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ buf+16(FP), R8
	MOVQ n+24(FP), CX
	MOVSS momentum+32(FP), X8
	SHUFPS $0, X8, X8
	MOVSS damp1+36(FP), X9
	SHUFPS $0, X9, X9
	MOVSS negLR+40(FP), X10
	SHUFPS $0, X10, X10
	XORQ BX, BX
mloop:
	CMPQ BX, CX
	JGE mdone
	MOVUPS 0(SI)(BX*4), X0 // g
	MOVUPS 0(R8)(BX*4), X1
	MULPS X8, X1           // buf*momentum
	MULPS X9, X0           // damp1*g
	ADDPS X0, X1
	MOVUPS X1, 0(R8)(BX*4)
	MULPS X10, X1          // negLR*buf
	MOVUPS 0(DI)(BX*4), X3
	ADDPS X1, X3
	MOVUPS X3, 0(DI)(BX*4)
	ADDQ $4, BX
	JMP mloop
mdone:
	RET
