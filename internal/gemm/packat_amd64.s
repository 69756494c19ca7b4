//go:build amd64 && !purego

#include "textflag.h"

// func copyRowsAt(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer, wide bool)
TEXT ·copyRowsAt(SB), NOSPLIT, $0-33
	MOVQ  rows+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  offs+16(FP), BX
	MOVQ  dst+24(FP), DI
	MOVBQZX wide+32(FP), DX
	TESTQ CX, CX
	JLE   atdone

atloop:
	MOVQ   (BX), AX
	MOVUPS 0(SI)(AX*1), X0
	MOVUPS 16(SI)(AX*1), X1
	MOVUPS 32(SI)(AX*1), X2
	MOVUPS 48(SI)(AX*1), X3
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ   $64, DI
	TESTQ  DX, DX
	JZ     atnext
	MOVUPS 64(SI)(AX*1), X4
	MOVUPS 80(SI)(AX*1), X5
	MOVUPS 96(SI)(AX*1), X6
	MOVUPS 112(SI)(AX*1), X7
	MOVUPS X4, 0(DI)
	MOVUPS X5, 16(DI)
	MOVUPS X6, 32(DI)
	MOVUPS X7, 48(DI)
	ADDQ   $64, DI

atnext:
	ADDQ $8, BX
	DECQ CX
	JNZ  atloop

atdone:
	RET
