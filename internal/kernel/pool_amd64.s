//go:build amd64 && !purego

#include "textflag.h"

// LOAD4 loads four 2×2 windows of the row pair at SI (top row) and R10
// (bottom row), from float AX·2, into X0 (top left, the running maximum),
// X2 (top right), X3 (bottom left) and X5 (bottom right): the rows' even
// and odd columns, separated by SHUFPS. Clobbers X1, X4.
#define LOAD4 \
	MOVUPS 0(SI)(AX*8), X0; \
	MOVUPS 16(SI)(AX*8), X1; \
	MOVUPS 0(R10)(AX*8), X3; \
	MOVUPS 16(R10)(AX*8), X4; \
	MOVAPS X0, X2; \
	SHUFPS $0x88, X1, X0; \
	SHUFPS $0xDD, X1, X2; \
	MOVAPS X3, X5; \
	SHUFPS $0x88, X4, X3; \
	SHUFPS $0xDD, X4, X5

// MASK sets M to the lanes where candidate V replaces the maximum X0:
// X0 < V, or V is a NaN. Clobbers X7.
#define MASK(V, M) \
	MOVAPS X0, M; \
	CMPPS V, M, $1; \
	MOVAPS V, X7; \
	CMPPS X7, X7, $3; \
	ORPS X7, M

// SELECT sets X0 to V where M is set. Clobbers X6, X7.
#define SELECT(V, M) \
	MOVAPS M, X6; \
	ANDPS V, X6; \
	MOVAPS M, X7; \
	ANDNPS X0, X7; \
	ORPS X7, X6; \
	MOVAPS X6, X0

// func maxPool2x2Rows32(out, x *float32, rows, ow4, ow, w int)
TEXT ·maxPool2x2Rows32(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ ow4+24(FP), DX
	MOVQ ow+32(FP), R8
	MOVQ w+40(FP), R9
	TESTQ CX, CX
	JLE maxdone
	TESTQ DX, DX
	JLE maxdone
	SHLQ $2, R8 // output row, bytes
	SHLQ $2, R9 // input row, bytes
	LEAQ (SI)(R9*1), R10
	SHLQ $1, R9 // row pair, bytes
maxrow:
	XORQ AX, AX
maxcol:
	LOAD4
	MASK(X2, X8)
	SELECT(X2, X8)
	MASK(X3, X8)
	SELECT(X3, X8)
	MASK(X5, X8)
	SELECT(X5, X8)
	MOVUPS X0, 0(DI)(AX*4)
	ADDQ $4, AX
	CMPQ AX, DX
	JLT maxcol
	ADDQ R9, SI
	ADDQ R9, R10
	ADDQ R8, DI
	DECQ CX
	JNZ maxrow
maxdone:
	RET

// func scatterPool2x2Rows32(dx, x, u *float32, rows, ow4, ow, w int)
TEXT ·scatterPool2x2Rows32(SB), NOSPLIT, $0-56
	MOVQ dx+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ u+16(FP), BX
	MOVQ rows+24(FP), CX
	MOVQ ow4+32(FP), DX
	MOVQ ow+40(FP), R8
	MOVQ w+48(FP), R9
	TESTQ CX, CX
	JLE scatdone
	TESTQ DX, DX
	JLE scatdone
	SHLQ $2, R8 // u's row, bytes
	SHLQ $2, R9 // input row, bytes
	LEAQ (SI)(R9*1), R10
	LEAQ (DI)(R9*1), R12
	SHLQ $1, R9 // row pair, bytes
scatrow:
	XORQ AX, AX
scatcol:
	LOAD4
	MASK(X2, X8)  // m1
	SELECT(X2, X8)
	MASK(X3, X9)  // m2
	SELECT(X3, X9)
	MASK(X5, X10) // m3: the last replacement wins
	MOVUPS 0(BX)(AX*4), X11
	XORPS X1, X1
	ADDPS X1, X11 // 0 + u: −0 becomes +0, as added into zeros
	MOVAPS X10, X12
	ANDPS X11, X12 // bottom right: m3
	MOVAPS X10, X13
	ANDNPS X9, X13
	ANDPS X11, X13 // bottom left: m2 and not m3
	ORPS X9, X10
	MOVAPS X10, X14
	ANDNPS X8, X14
	ANDPS X11, X14 // top right: m1, not m2 or m3
	ORPS X8, X10
	ANDNPS X11, X10 // top left: none
	MOVAPS X10, X15
	UNPCKLPS X14, X10
	UNPCKHPS X14, X15
	MOVUPS X10, 0(DI)(AX*8)
	MOVUPS X15, 16(DI)(AX*8)
	MOVAPS X13, X15
	UNPCKLPS X12, X13
	UNPCKHPS X12, X15
	MOVUPS X13, 0(R12)(AX*8)
	MOVUPS X15, 16(R12)(AX*8)
	ADDQ $4, AX
	CMPQ AX, DX
	JLT scatcol
	ADDQ R9, SI
	ADDQ R9, R10
	ADDQ R9, DI
	ADDQ R9, R12
	ADDQ R8, BX
	DECQ CX
	JNZ scatrow
scatdone:
	RET
