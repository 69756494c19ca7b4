//go:build amd64 && !purego

#include "textflag.h"

// Micro-kernels: C[0:6][0:nr] += alpha·A·Bpanel (the Set variants: C =
// alpha·A·Bpanel, C not read), where A[r][q] is read at
// a + r·rs + q·cs (element strides: a packed panel has rs = 1, cs = 6; A
// read in place has rs = lda, cs = 1, or rs = 1, cs = lda when stored
// transposed) and the packed B panel holds nr values per k step (nr = 8
// float64 or 16 float32: two YMM registers). Registers:
//	SI  A at the current k step; R11 rs, AX 3·rs, BX 5·rs, R12 cs (bytes)
//	DI  B panel; DX  C row; R8  ldc (bytes)
//	CX  k mod 4; R9  k / 4
//	Y0, Y1  current B row; Y2, Y3  broadcast A values
//	Y4..Y15 accumulators: row r in Y(4+2r) (left half) and Y(5+2r)

// STEP64 does k step i of an unrolled group for float64 and moves SI on.
#define STEP64(i) \
	VMOVUPD      (i*64)(DI), Y0;    \
	VMOVUPD      (i*64+32)(DI), Y1; \
	VBROADCASTSD (SI), Y2;          \
	VFMADD231PD  Y0, Y2, Y4;        \
	VFMADD231PD  Y1, Y2, Y5;        \
	VBROADCASTSD (SI)(R11*1), Y3;   \
	VFMADD231PD  Y0, Y3, Y6;        \
	VFMADD231PD  Y1, Y3, Y7;        \
	VBROADCASTSD (SI)(R11*2), Y2;   \
	VFMADD231PD  Y0, Y2, Y8;        \
	VFMADD231PD  Y1, Y2, Y9;        \
	VBROADCASTSD (SI)(AX*1), Y3;    \
	VFMADD231PD  Y0, Y3, Y10;       \
	VFMADD231PD  Y1, Y3, Y11;       \
	VBROADCASTSD (SI)(R11*4), Y2;   \
	VFMADD231PD  Y0, Y2, Y12;       \
	VFMADD231PD  Y1, Y2, Y13;       \
	VBROADCASTSD (SI)(BX*1), Y3;    \
	VFMADD231PD  Y0, Y3, Y14;       \
	VFMADD231PD  Y1, Y3, Y15;       \
	ADDQ         R12, SI

// STORE64 sets C row += alpha (Y0) · accumulators lo, hi and moves to the
// next row.
#define STORE64(lo, hi) \
	VMOVUPD     (DX), Y1;     \
	VFMADD231PD lo, Y0, Y1;   \
	VMOVUPD     Y1, (DX);     \
	VMOVUPD     32(DX), Y2;   \
	VFMADD231PD hi, Y0, Y2;   \
	VMOVUPD     Y2, 32(DX);   \
	ADDQ        R8, DX

// SET64 sets C row = alpha (Y0) · accumulators lo, hi, not reading C, and
// moves to the next row.
#define SET64(lo, hi) \
	VMULPD  lo, Y0, Y1; \
	VMOVUPD Y1, (DX);   \
	VMULPD  hi, Y0, Y2; \
	VMOVUPD Y2, 32(DX); \
	ADDQ    R8, DX

// PREFETCHC warms the six rows of the C tile (width w bytes), which are
// read at the end.
#define PREFETCHC(w) \
	MOVQ       DX, R10;       \
	PREFETCHT0 (R10);         \
	PREFETCHT0 w(R10);        \
	ADDQ       R8, R10;       \
	PREFETCHT0 (R10);         \
	PREFETCHT0 w(R10);        \
	ADDQ       R8, R10;       \
	PREFETCHT0 (R10);         \
	PREFETCHT0 w(R10);        \
	ADDQ       R8, R10;       \
	PREFETCHT0 (R10);         \
	PREFETCHT0 w(R10);        \
	ADDQ       R8, R10;       \
	PREFETCHT0 (R10);         \
	PREFETCHT0 w(R10);        \
	ADDQ       R8, R10;       \
	PREFETCHT0 (R10);         \
	PREFETCHT0 w(R10)

#define ZEROACC \
	VXORPS Y4, Y4, Y4;    \
	VXORPS Y5, Y5, Y5;    \
	VXORPS Y6, Y6, Y6;    \
	VXORPS Y7, Y7, Y7;    \
	VXORPS Y8, Y8, Y8;    \
	VXORPS Y9, Y9, Y9;    \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VXORPS Y12, Y12, Y12; \
	VXORPS Y13, Y13, Y13; \
	VXORPS Y14, Y14, Y14; \
	VXORPS Y15, Y15, Y15

// LOADARGS loads the arguments common to both kernels; shift is log2 of
// the element size.
#define LOADARGS(shift) \
	MOVQ k+0(FP), CX;         \
	MOVQ a+8(FP), SI;         \
	MOVQ rs+16(FP), R11;      \
	MOVQ cs+24(FP), R12;      \
	MOVQ b+32(FP), DI;        \
	MOVQ c+40(FP), DX;        \
	MOVQ ldc+48(FP), R8;      \
	SHLQ $shift, R11;         \
	SHLQ $shift, R12;         \
	SHLQ $shift, R8;          \
	LEAQ (R11)(R11*2), AX;    \
	LEAQ (R11)(R11*4), BX;    \
	MOVQ CX, R9;              \
	SHRQ $2, R9;              \
	ANDQ $3, CX

// func kernAVX2F64(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)
TEXT ·kernAVX2F64(SB), NOSPLIT, $0-64
	XORQ R13, R13
	JMP  kern64<>(SB)

// func kernAVX2F64Set(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)
TEXT ·kernAVX2F64Set(SB), NOSPLIT, $0-64
	MOVQ $1, R13
	JMP  kern64<>(SB)

// kern64 is both float64 kernels: R13 = 1 sets C instead of adding to it.
TEXT kern64<>(SB), NOSPLIT, $0-64
	LOADARGS(3)
	PREFETCHC(56)
	ZEROACC
	TESTQ R9, R9
	JZ    f64tail

f64loop4:
	STEP64(0)
	STEP64(1)
	STEP64(2)
	STEP64(3)
	ADDQ $256, DI
	DECQ R9
	JNZ  f64loop4

f64tail:
	TESTQ CX, CX
	JZ    f64store

f64loop1:
	STEP64(0)
	ADDQ $64, DI
	DECQ CX
	JNZ  f64loop1

f64store:
	VBROADCASTSD alpha+56(FP), Y0
	TESTQ        R13, R13
	JNZ          f64set
	STORE64(Y4, Y5)
	STORE64(Y6, Y7)
	STORE64(Y8, Y9)
	STORE64(Y10, Y11)
	STORE64(Y12, Y13)
	STORE64(Y14, Y15)
	VZEROUPPER
	RET

f64set:
	SET64(Y4, Y5)
	SET64(Y6, Y7)
	SET64(Y8, Y9)
	SET64(Y10, Y11)
	SET64(Y12, Y13)
	SET64(Y14, Y15)
	VZEROUPPER
	RET

// STEP32 does k step i of an unrolled group for float32 and moves SI on.
#define STEP32(i) \
	VMOVUPS      (i*64)(DI), Y0;    \
	VMOVUPS      (i*64+32)(DI), Y1; \
	VBROADCASTSS (SI), Y2;          \
	VFMADD231PS  Y0, Y2, Y4;        \
	VFMADD231PS  Y1, Y2, Y5;        \
	VBROADCASTSS (SI)(R11*1), Y3;   \
	VFMADD231PS  Y0, Y3, Y6;        \
	VFMADD231PS  Y1, Y3, Y7;        \
	VBROADCASTSS (SI)(R11*2), Y2;   \
	VFMADD231PS  Y0, Y2, Y8;        \
	VFMADD231PS  Y1, Y2, Y9;        \
	VBROADCASTSS (SI)(AX*1), Y3;    \
	VFMADD231PS  Y0, Y3, Y10;       \
	VFMADD231PS  Y1, Y3, Y11;       \
	VBROADCASTSS (SI)(R11*4), Y2;   \
	VFMADD231PS  Y0, Y2, Y12;       \
	VFMADD231PS  Y1, Y2, Y13;       \
	VBROADCASTSS (SI)(BX*1), Y3;    \
	VFMADD231PS  Y0, Y3, Y14;       \
	VFMADD231PS  Y1, Y3, Y15;       \
	ADDQ         R12, SI

// SET32 is SET64 for float32.
#define SET32(lo, hi) \
	VMULPS  lo, Y0, Y1; \
	VMOVUPS Y1, (DX);   \
	VMULPS  hi, Y0, Y2; \
	VMOVUPS Y2, 32(DX); \
	ADDQ    R8, DX

#define STORE32(lo, hi) \
	VMOVUPS     (DX), Y1;     \
	VFMADD231PS lo, Y0, Y1;   \
	VMOVUPS     Y1, (DX);     \
	VMOVUPS     32(DX), Y2;   \
	VFMADD231PS hi, Y0, Y2;   \
	VMOVUPS     Y2, 32(DX);   \
	ADDQ        R8, DX

// func kernAVX2F32(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)
TEXT ·kernAVX2F32(SB), NOSPLIT, $0-60
	XORQ R13, R13
	JMP  kern32<>(SB)

// func kernAVX2F32Set(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)
TEXT ·kernAVX2F32Set(SB), NOSPLIT, $0-60
	MOVQ $1, R13
	JMP  kern32<>(SB)

// kern32 is both float32 kernels: R13 = 1 sets C instead of adding to it.
TEXT kern32<>(SB), NOSPLIT, $0-60
	LOADARGS(2)
	PREFETCHC(60)
	ZEROACC
	TESTQ R9, R9
	JZ    f32tail

f32loop4:
	STEP32(0)
	STEP32(1)
	STEP32(2)
	STEP32(3)
	ADDQ $256, DI
	DECQ R9
	JNZ  f32loop4

f32tail:
	TESTQ CX, CX
	JZ    f32store

f32loop1:
	STEP32(0)
	ADDQ $64, DI
	DECQ CX
	JNZ  f32loop1

f32store:
	VBROADCASTSS alpha+56(FP), Y0
	TESTQ        R13, R13
	JNZ          f32set
	STORE32(Y4, Y5)
	STORE32(Y6, Y7)
	STORE32(Y8, Y9)
	STORE32(Y10, Y11)
	STORE32(Y12, Y13)
	STORE32(Y14, Y15)
	VZEROUPPER
	RET

f32set:
	SET32(Y4, Y5)
	SET32(Y6, Y7)
	SET32(Y8, Y9)
	SET32(Y10, Y11)
	SET32(Y12, Y13)
	SET32(Y14, Y15)
	VZEROUPPER
	RET

// Matrix-vector helpers. AXPY4 adds x0·b0 + x1·b1 + x2·b2 + x3·b3 to c
// over n elements (n a multiple of 2·lanes), where bt = b + t·ldb.
//	DX c, SI b0, R9 b1, R10 b2, R11 b3, CX index, BX n
//	Y0..Y3 broadcast x, Y4, Y5 two vectors of c

// func axpy4F64(n int, c, b *float64, ldb int, x *[4]float64)
TEXT ·axpy4F64(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), BX
	MOVQ         c+8(FP), DX
	MOVQ         b+16(FP), SI
	MOVQ         ldb+24(FP), R8
	MOVQ         x+32(FP), AX
	SHLQ         $3, R8
	LEAQ         (SI)(R8*1), R9
	LEAQ         (SI)(R8*2), R10
	LEAQ         (R10)(R8*1), R11
	VBROADCASTSD (AX), Y0
	VBROADCASTSD 8(AX), Y1
	VBROADCASTSD 16(AX), Y2
	VBROADCASTSD 24(AX), Y3
	XORQ         CX, CX
	TESTQ        BX, BX
	JZ           axpy64done

axpy64loop:
	VMOVUPD     (DX)(CX*8), Y4
	VMOVUPD     32(DX)(CX*8), Y5
	VFMADD231PD (SI)(CX*8), Y0, Y4
	VFMADD231PD 32(SI)(CX*8), Y0, Y5
	VFMADD231PD (R9)(CX*8), Y1, Y4
	VFMADD231PD 32(R9)(CX*8), Y1, Y5
	VFMADD231PD (R10)(CX*8), Y2, Y4
	VFMADD231PD 32(R10)(CX*8), Y2, Y5
	VFMADD231PD (R11)(CX*8), Y3, Y4
	VFMADD231PD 32(R11)(CX*8), Y3, Y5
	VMOVUPD     Y4, (DX)(CX*8)
	VMOVUPD     Y5, 32(DX)(CX*8)
	ADDQ        $8, CX
	CMPQ        CX, BX
	JLT         axpy64loop

axpy64done:
	VZEROUPPER
	RET

// func axpy4F32(n int, c, b *float32, ldb int, x *[4]float32)
TEXT ·axpy4F32(SB), NOSPLIT, $0-40
	MOVQ         n+0(FP), BX
	MOVQ         c+8(FP), DX
	MOVQ         b+16(FP), SI
	MOVQ         ldb+24(FP), R8
	MOVQ         x+32(FP), AX
	SHLQ         $2, R8
	LEAQ         (SI)(R8*1), R9
	LEAQ         (SI)(R8*2), R10
	LEAQ         (R10)(R8*1), R11
	VBROADCASTSS (AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	XORQ         CX, CX
	TESTQ        BX, BX
	JZ           axpy32done

axpy32loop:
	VMOVUPS     (DX)(CX*4), Y4
	VMOVUPS     32(DX)(CX*4), Y5
	VFMADD231PS (SI)(CX*4), Y0, Y4
	VFMADD231PS 32(SI)(CX*4), Y0, Y5
	VFMADD231PS (R9)(CX*4), Y1, Y4
	VFMADD231PS 32(R9)(CX*4), Y1, Y5
	VFMADD231PS (R10)(CX*4), Y2, Y4
	VFMADD231PS 32(R10)(CX*4), Y2, Y5
	VFMADD231PS (R11)(CX*4), Y3, Y4
	VFMADD231PS 32(R11)(CX*4), Y3, Y5
	VMOVUPS     Y4, (DX)(CX*4)
	VMOVUPS     Y5, 32(DX)(CX*4)
	ADDQ        $16, CX
	CMPQ        CX, BX
	JLT         axpy32loop

axpy32done:
	VZEROUPPER
	RET

// DOT4 computes the dot products of v with the four vectors u + t·ut over
// k elements (k a multiple of 2·lanes) into out[0:4].
//	DI v, SI u0, R9 u1, R10 u2, R11 u3, CX index, BX k
//	Y4..Y7 and Y8..Y11 two sets of accumulators, Y0, Y1 two vectors of v

// HSUM64 reduces Y register y (with its X name x) to its low lane.
#define HSUM64(y, x) \
	VEXTRACTF128 $1, y, X12; \
	VADDPD       X12, x, x;  \
	VHADDPD      x, x, x

// func dot4F64(k int, u *float64, ut int, v *float64, out *[4]float64)
TEXT ·dot4F64(SB), NOSPLIT, $0-40
	MOVQ   k+0(FP), BX
	MOVQ   u+8(FP), SI
	MOVQ   ut+16(FP), R8
	MOVQ   v+24(FP), DI
	MOVQ   out+32(FP), AX
	SHLQ   $3, R8
	LEAQ   (SI)(R8*1), R9
	LEAQ   (SI)(R8*2), R10
	LEAQ   (R10)(R8*1), R11
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	XORQ   CX, CX
	TESTQ  BX, BX
	JZ     dot64sum

dot64loop:
	VMOVUPD     (DI)(CX*8), Y0
	VMOVUPD     32(DI)(CX*8), Y1
	VFMADD231PD (SI)(CX*8), Y0, Y4
	VFMADD231PD (R9)(CX*8), Y0, Y5
	VFMADD231PD (R10)(CX*8), Y0, Y6
	VFMADD231PD (R11)(CX*8), Y0, Y7
	VFMADD231PD 32(SI)(CX*8), Y1, Y8
	VFMADD231PD 32(R9)(CX*8), Y1, Y9
	VFMADD231PD 32(R10)(CX*8), Y1, Y10
	VFMADD231PD 32(R11)(CX*8), Y1, Y11
	ADDQ        $8, CX
	CMPQ        CX, BX
	JLT         dot64loop

dot64sum:
	VADDPD Y8, Y4, Y4
	VADDPD Y9, Y5, Y5
	VADDPD Y10, Y6, Y6
	VADDPD Y11, Y7, Y7
	HSUM64(Y4, X4)
	HSUM64(Y5, X5)
	HSUM64(Y6, X6)
	HSUM64(Y7, X7)
	VMOVSD X4, (AX)
	VMOVSD X5, 8(AX)
	VMOVSD X6, 16(AX)
	VMOVSD X7, 24(AX)
	VZEROUPPER
	RET

// HSUM32 reduces Y register y (with its X name x) to its low lane.
#define HSUM32(y, x) \
	VEXTRACTF128 $1, y, X12; \
	VADDPS       X12, x, x;  \
	VHADDPS      x, x, x;    \
	VHADDPS      x, x, x

// func dot4F32(k int, u *float32, ut int, v *float32, out *[4]float32)
TEXT ·dot4F32(SB), NOSPLIT, $0-40
	MOVQ   k+0(FP), BX
	MOVQ   u+8(FP), SI
	MOVQ   ut+16(FP), R8
	MOVQ   v+24(FP), DI
	MOVQ   out+32(FP), AX
	SHLQ   $2, R8
	LEAQ   (SI)(R8*1), R9
	LEAQ   (SI)(R8*2), R10
	LEAQ   (R10)(R8*1), R11
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ   CX, CX
	TESTQ  BX, BX
	JZ     dot32sum

dot32loop:
	VMOVUPS     (DI)(CX*4), Y0
	VMOVUPS     32(DI)(CX*4), Y1
	VFMADD231PS (SI)(CX*4), Y0, Y4
	VFMADD231PS (R9)(CX*4), Y0, Y5
	VFMADD231PS (R10)(CX*4), Y0, Y6
	VFMADD231PS (R11)(CX*4), Y0, Y7
	VFMADD231PS 32(SI)(CX*4), Y1, Y8
	VFMADD231PS 32(R9)(CX*4), Y1, Y9
	VFMADD231PS 32(R10)(CX*4), Y1, Y10
	VFMADD231PS 32(R11)(CX*4), Y1, Y11
	ADDQ        $16, CX
	CMPQ        CX, BX
	JLT         dot32loop

dot32sum:
	VADDPS Y8, Y4, Y4
	VADDPS Y9, Y5, Y5
	VADDPS Y10, Y6, Y6
	VADDPS Y11, Y7, Y7
	HSUM32(Y4, X4)
	HSUM32(Y5, X5)
	HSUM32(Y6, X6)
	HSUM32(Y7, X7)
	VMOVSS X4, (AX)
	VMOVSS X5, 4(AX)
	VMOVSS X6, 8(AX)
	VMOVSS X7, 12(AX)
	VZEROUPPER
	RET

// Rank-one row helpers: AXPY1 adds x·b to c, SCAL1 sets c = x·b, over n
// elements (n a multiple of 2·lanes).
//	DX c, SI b, CX index, BX n, Y0 broadcast x, Y4, Y5 two vectors

// func axpy1F64(n int, c, b *float64, x float64)
TEXT ·axpy1F64(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), BX
	MOVQ         c+8(FP), DX
	MOVQ         b+16(FP), SI
	VBROADCASTSD x+24(FP), Y0
	XORQ         CX, CX
	TESTQ        BX, BX
	JZ           axpy1f64done

axpy1f64loop:
	VMOVUPD     (DX)(CX*8), Y4
	VMOVUPD     32(DX)(CX*8), Y5
	VFMADD231PD (SI)(CX*8), Y0, Y4
	VFMADD231PD 32(SI)(CX*8), Y0, Y5
	VMOVUPD     Y4, (DX)(CX*8)
	VMOVUPD     Y5, 32(DX)(CX*8)
	ADDQ        $8, CX
	CMPQ        CX, BX
	JLT         axpy1f64loop

axpy1f64done:
	VZEROUPPER
	RET

// func scal1F64(n int, c, b *float64, x float64)
TEXT ·scal1F64(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), BX
	MOVQ         c+8(FP), DX
	MOVQ         b+16(FP), SI
	VBROADCASTSD x+24(FP), Y0
	XORQ         CX, CX
	TESTQ        BX, BX
	JZ           scal1f64done

scal1f64loop:
	VMULPD  (SI)(CX*8), Y0, Y4
	VMULPD  32(SI)(CX*8), Y0, Y5
	VMOVUPD Y4, (DX)(CX*8)
	VMOVUPD Y5, 32(DX)(CX*8)
	ADDQ    $8, CX
	CMPQ    CX, BX
	JLT     scal1f64loop

scal1f64done:
	VZEROUPPER
	RET

// func axpy1F32(n int, c, b *float32, x float32)
TEXT ·axpy1F32(SB), NOSPLIT, $0-28
	MOVQ         n+0(FP), BX
	MOVQ         c+8(FP), DX
	MOVQ         b+16(FP), SI
	VBROADCASTSS x+24(FP), Y0
	XORQ         CX, CX
	TESTQ        BX, BX
	JZ           axpy1f32done

axpy1f32loop:
	VMOVUPS     (DX)(CX*4), Y4
	VMOVUPS     32(DX)(CX*4), Y5
	VFMADD231PS (SI)(CX*4), Y0, Y4
	VFMADD231PS 32(SI)(CX*4), Y0, Y5
	VMOVUPS     Y4, (DX)(CX*4)
	VMOVUPS     Y5, 32(DX)(CX*4)
	ADDQ        $16, CX
	CMPQ        CX, BX
	JLT         axpy1f32loop

axpy1f32done:
	VZEROUPPER
	RET

// func scal1F32(n int, c, b *float32, x float32)
TEXT ·scal1F32(SB), NOSPLIT, $0-28
	MOVQ         n+0(FP), BX
	MOVQ         c+8(FP), DX
	MOVQ         b+16(FP), SI
	VBROADCASTSS x+24(FP), Y0
	XORQ         CX, CX
	TESTQ        BX, BX
	JZ           scal1f32done

scal1f32loop:
	VMULPS  (SI)(CX*4), Y0, Y4
	VMULPS  32(SI)(CX*4), Y0, Y5
	VMOVUPS Y4, (DX)(CX*4)
	VMOVUPS Y5, 32(DX)(CX*4)
	ADDQ    $16, CX
	CMPQ    CX, BX
	JLT     scal1f32loop

scal1f32done:
	VZEROUPPER
	RET

// func transpose8F32(kb int, src *float32, lds int, dst *float32, ldd int)
//
// For q < kb (a multiple of 8), dst[q·ldd + r] = src[r·lds + q], r < 8:
// eight source rows transposed an 8×8 block at a time (unpack, shuffle,
// permute lanes). Registers: SI src at column q, R8 lds, R9 3·lds, R10
// 5·lds, R11 7·lds (bytes); DI dst at row q, DX ldd (bytes), CX blocks.
TEXT ·transpose8F32(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), DX
	SHLQ $2, R8
	SHLQ $2, DX
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	LEAQ (R9)(R8*4), R11
	SHRQ $3, CX
	JZ   tr8done

tr8loop:
	VMOVUPS    (SI), Y0
	VMOVUPS    (SI)(R8*1), Y1
	VMOVUPS    (SI)(R8*2), Y2
	VMOVUPS    (SI)(R9*1), Y3
	VMOVUPS    (SI)(R8*4), Y4
	VMOVUPS    (SI)(R10*1), Y5
	VMOVUPS    (SI)(R9*2), Y6
	VMOVUPS    (SI)(R11*1), Y7
	VUNPCKLPS  Y1, Y0, Y8
	VUNPCKHPS  Y1, Y0, Y9
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0
	VSHUFPS    $0xEE, Y10, Y8, Y1
	VSHUFPS    $0x44, Y11, Y9, Y2
	VSHUFPS    $0xEE, Y11, Y9, Y3
	VSHUFPS    $0x44, Y14, Y12, Y4
	VSHUFPS    $0xEE, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ       DI, AX
	VMOVUPS    Y8, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y9, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y10, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y11, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y12, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y13, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y14, (AX)
	ADDQ       DX, AX
	VMOVUPS    Y15, (AX)
	ADDQ       $32, SI
	LEAQ       (DI)(DX*8), DI
	DECQ       CX
	JNZ        tr8loop

tr8done:
	VZEROUPPER
	RET

// func copyRows128(rows int, src unsafe.Pointer, lds uintptr, dst unsafe.Pointer)
//
// Copies 128 bytes from src + r·lds to dst + r·128 for r < rows,
// prefetching the source eight rows ahead (the rows of a B panel are
// strided, often by whole pages, which the hardware prefetchers do not
// follow).
TEXT ·copyRows128(SB), NOSPLIT, $0-32
	MOVQ  rows+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  lds+16(FP), R8
	MOVQ  dst+24(FP), DI
	LEAQ  (SI)(R8*8), R9
	TESTQ CX, CX
	JZ    cr128done

cr128loop:
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	VMOVUPS    (SI), Y0
	VMOVUPS    32(SI), Y1
	VMOVUPS    64(SI), Y2
	VMOVUPS    96(SI), Y3
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	VMOVUPS    Y2, 64(DI)
	VMOVUPS    Y3, 96(DI)
	ADDQ       R8, SI
	ADDQ       R8, R9
	ADDQ       $128, DI
	DECQ       CX
	JNZ        cr128loop

cr128done:
	VZEROUPPER
	RET
