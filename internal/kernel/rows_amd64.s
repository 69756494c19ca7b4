//go:build amd64 && !purego

#include "textflag.h"

// func copyRows16(rows int, dst unsafe.Pointer, ds uintptr, src unsafe.Pointer, ss uintptr, chunks int)
TEXT ·copyRows16(SB), NOSPLIT, $0-48
	MOVQ  rows+0(FP), CX
	MOVQ  dst+8(FP), DI
	MOVQ  ds+16(FP), DX
	MOVQ  src+24(FP), SI
	MOVQ  ss+32(FP), BX
	MOVQ  chunks+40(FP), R9
	TESTQ CX, CX
	JLE   rowsdone
	TESTQ R9, R9
	JLE   rowsdone

rowsloop:
	XORQ AX, AX
	MOVQ R9, R8

chunkloop:
	MOVUPS (SI)(AX*1), X0
	MOVUPS X0, (DI)(AX*1)
	ADDQ   $16, AX
	DECQ   R8
	JNZ    chunkloop
	ADDQ   BX, SI
	ADDQ   DX, DI
	DECQ   CX
	JNZ    rowsloop

rowsdone:
	RET
