//go:build amd64 && !purego

#include "textflag.h"

// func copyRowsAt128(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer)
TEXT ·copyRowsAt128(SB), NOSPLIT, $0-32
	MOVQ  rows+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  offs+16(FP), BX
	MOVQ  dst+24(FP), DI
	TESTQ CX, CX
	JLE   at128done

at128loop:
	MOVQ   (BX), AX
	MOVUPS 0(SI)(AX*1), X0
	MOVUPS 16(SI)(AX*1), X1
	MOVUPS 32(SI)(AX*1), X2
	MOVUPS 48(SI)(AX*1), X3
	MOVUPS 64(SI)(AX*1), X4
	MOVUPS 80(SI)(AX*1), X5
	MOVUPS 96(SI)(AX*1), X6
	MOVUPS 112(SI)(AX*1), X7
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	MOVUPS X4, 64(DI)
	MOVUPS X5, 80(DI)
	MOVUPS X6, 96(DI)
	MOVUPS X7, 112(DI)
	ADDQ   $8, BX
	ADDQ   $128, DI
	DECQ   CX
	JNZ    at128loop

at128done:
	RET

// func copyRowsAt64(rows int, src unsafe.Pointer, offs *int, dst unsafe.Pointer)
TEXT ·copyRowsAt64(SB), NOSPLIT, $0-32
	MOVQ  rows+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  offs+16(FP), BX
	MOVQ  dst+24(FP), DI
	TESTQ CX, CX
	JLE   at64done

at64loop:
	MOVQ   (BX), AX
	MOVUPS 0(SI)(AX*1), X0
	MOVUPS 16(SI)(AX*1), X1
	MOVUPS 32(SI)(AX*1), X2
	MOVUPS 48(SI)(AX*1), X3
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ   $8, BX
	ADDQ   $64, DI
	DECQ   CX
	JNZ    at64loop

at64done:
	RET
