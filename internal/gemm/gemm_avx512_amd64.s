//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 micro-kernels: the AVX2 kernels of gemm_amd64.s with ZMM
// registers, so the tile is twice as wide: 6×16 for float64 and 6×32 for
// float32, the packed B panel holding 128 bytes (two ZMM registers) per k
// step. Arguments, strides and registers are those of the AVX2 kernels
// (LOADARGS), with Z in place of Y:
//	Z0, Z1  current B row; Z2, Z3  broadcast A values
//	Z4..Z15 accumulators: row r in Z(4+2r) (left half) and Z(5+2r)
// The k loop is unrolled eight times and prefetches the B panel 512 bytes
// ahead (four k steps).

#define LOADARGS512(shift) \
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
	SHRQ $3, R9;              \
	ANDQ $7, CX

// ZPREFETCHC warms the six 128-byte rows of the C tile.
#define ZPREFETCHC \
	MOVQ       DX, R10;     \
	PREFETCHT0 (R10);       \
	PREFETCHT0 64(R10);     \
	PREFETCHT0 127(R10);    \
	ADDQ       R8, R10;     \
	PREFETCHT0 (R10);       \
	PREFETCHT0 64(R10);     \
	PREFETCHT0 127(R10);    \
	ADDQ       R8, R10;     \
	PREFETCHT0 (R10);       \
	PREFETCHT0 64(R10);     \
	PREFETCHT0 127(R10);    \
	ADDQ       R8, R10;     \
	PREFETCHT0 (R10);       \
	PREFETCHT0 64(R10);     \
	PREFETCHT0 127(R10);    \
	ADDQ       R8, R10;     \
	PREFETCHT0 (R10);       \
	PREFETCHT0 64(R10);     \
	PREFETCHT0 127(R10);    \
	ADDQ       R8, R10;     \
	PREFETCHT0 (R10);       \
	PREFETCHT0 64(R10);     \
	PREFETCHT0 127(R10)

#define ZZEROACC \
	VPXORQ Z4, Z4, Z4;    \
	VPXORQ Z5, Z5, Z5;    \
	VPXORQ Z6, Z6, Z6;    \
	VPXORQ Z7, Z7, Z7;    \
	VPXORQ Z8, Z8, Z8;    \
	VPXORQ Z9, Z9, Z9;    \
	VPXORQ Z10, Z10, Z10; \
	VPXORQ Z11, Z11, Z11; \
	VPXORQ Z12, Z12, Z12; \
	VPXORQ Z13, Z13, Z13; \
	VPXORQ Z14, Z14, Z14; \
	VPXORQ Z15, Z15, Z15

// ZSTEP does k step i of an unrolled group and moves SI on; mov, bcast and
// fma are the instructions for the element type (PD or PS).
#define ZSTEP(i, mov, bcast, fma) \
	mov   (i*128)(DI), Z0;    \
	mov   (i*128+64)(DI), Z1; \
	bcast (SI), Z2;           \
	fma   Z0, Z2, Z4;         \
	fma   Z1, Z2, Z5;         \
	bcast (SI)(R11*1), Z3;    \
	fma   Z0, Z3, Z6;         \
	fma   Z1, Z3, Z7;         \
	bcast (SI)(R11*2), Z2;    \
	fma   Z0, Z2, Z8;         \
	fma   Z1, Z2, Z9;         \
	bcast (SI)(AX*1), Z3;     \
	fma   Z0, Z3, Z10;        \
	fma   Z1, Z3, Z11;        \
	bcast (SI)(R11*4), Z2;    \
	fma   Z0, Z2, Z12;        \
	fma   Z1, Z2, Z13;        \
	bcast (SI)(BX*1), Z3;     \
	fma   Z0, Z3, Z14;        \
	fma   Z1, Z3, Z15;        \
	ADDQ  R12, SI

// ZSTEP8 does eight k steps (an unrolled group), prefetching the B panel
// 512 bytes ahead, and moves DI on.
#define ZSTEP8(mov, bcast, fma) \
	PREFETCHT0 512(DI);        \
	PREFETCHT0 576(DI);        \
	ZSTEP(0, mov, bcast, fma); \
	ZSTEP(1, mov, bcast, fma); \
	PREFETCHT0 640(DI);        \
	PREFETCHT0 704(DI);        \
	ZSTEP(2, mov, bcast, fma); \
	ZSTEP(3, mov, bcast, fma); \
	PREFETCHT0 768(DI);        \
	PREFETCHT0 832(DI);        \
	ZSTEP(4, mov, bcast, fma); \
	ZSTEP(5, mov, bcast, fma); \
	PREFETCHT0 896(DI);        \
	PREFETCHT0 960(DI);        \
	ZSTEP(6, mov, bcast, fma); \
	ZSTEP(7, mov, bcast, fma); \
	ADDQ $1024, DI

// ZSTORE sets C row += alpha (Z0) · accumulators lo, hi and moves to the
// next row.
#define ZSTORE(lo, hi, mov, fma) \
	mov (DX), Z1;     \
	fma lo, Z0, Z1;   \
	mov Z1, (DX);     \
	mov 64(DX), Z2;   \
	fma hi, Z0, Z2;   \
	mov Z2, 64(DX);   \
	ADDQ R8, DX

// ZSET sets C row = alpha (Z0) · accumulators lo, hi, not reading C, and
// moves to the next row.
#define ZSET(lo, hi, mov, mul) \
	mul lo, Z0, Z1; \
	mov Z1, (DX);   \
	mul hi, Z0, Z2; \
	mov Z2, 64(DX); \
	ADDQ R8, DX

// ZKERN is the body of both kernels of one element type (log2 size shift;
// instructions mov, bcast, fma, mul); R13 = 1 sets C instead of adding to
// it.
#define ZKERN(shift, mov, bcast, fma, mul) \
	LOADARGS512(shift);            \
	ZPREFETCHC;                    \
	ZZEROACC;                      \
	TESTQ R9, R9;                  \
	JZ    tail;                    \
loop8:                             \
	ZSTEP8(mov, bcast, fma);       \
	DECQ R9;                       \
	JNZ  loop8;                    \
tail:                              \
	TESTQ CX, CX;                  \
	JZ    store;                   \
loop1:                             \
	ZSTEP(0, mov, bcast, fma);     \
	ADDQ $128, DI;                 \
	DECQ CX;                       \
	JNZ  loop1;                    \
store:                             \
	bcast alpha+56(FP), Z0;        \
	TESTQ R13, R13;                \
	JNZ   set;                     \
	ZSTORE(Z4, Z5, mov, fma);      \
	ZSTORE(Z6, Z7, mov, fma);      \
	ZSTORE(Z8, Z9, mov, fma);      \
	ZSTORE(Z10, Z11, mov, fma);    \
	ZSTORE(Z12, Z13, mov, fma);    \
	ZSTORE(Z14, Z15, mov, fma);    \
	VZEROUPPER;                    \
	RET;                           \
set:                               \
	ZSET(Z4, Z5, mov, mul);        \
	ZSET(Z6, Z7, mov, mul);        \
	ZSET(Z8, Z9, mov, mul);        \
	ZSET(Z10, Z11, mov, mul);      \
	ZSET(Z12, Z13, mov, mul);      \
	ZSET(Z14, Z15, mov, mul);      \
	VZEROUPPER;                    \
	RET

// func kernAVX512F64(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)
TEXT ·kernAVX512F64(SB), NOSPLIT, $0-64
	XORQ R13, R13
	JMP  zkern64<>(SB)

// func kernAVX512F64Set(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)
TEXT ·kernAVX512F64Set(SB), NOSPLIT, $0-64
	MOVQ $1, R13
	JMP  zkern64<>(SB)

// zkern64 is both float64 kernels.
TEXT zkern64<>(SB), NOSPLIT, $0-64
	ZKERN(3, VMOVUPD, VBROADCASTSD, VFMADD231PD, VMULPD)

// func kernAVX512F32(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)
TEXT ·kernAVX512F32(SB), NOSPLIT, $0-60
	XORQ R13, R13
	JMP  zkern32<>(SB)

// func kernAVX512F32Set(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)
TEXT ·kernAVX512F32Set(SB), NOSPLIT, $0-60
	MOVQ $1, R13
	JMP  zkern32<>(SB)

// zkern32 is both float32 kernels.
TEXT zkern32<>(SB), NOSPLIT, $0-60
	ZKERN(2, VMOVUPS, VBROADCASTSS, VFMADD231PS, VMULPS)

// The float32 edge kernel computes a partial tile, of h ≤ 6 rows and w ≤ 32
// columns, straight into C: the columns are written through the masks K1
// (left 16) and K2 (right 16), from mask's bits, and the rows stop after h,
// so no scratch tile is needed. A tile at most 16 wide (K2 empty) runs a
// loop on the left half of the B panel only, alternating two sets of six
// accumulators (Z4, Z6, … and Z5, Z7, …) on even and odd k steps.

// HSTEP does k step i on the left half of the panel into accumulators
// r0..r5.
#define HSTEP(i, r0, r1, r2, r3, r4, r5) \
	VMOVUPS      (i*128)(DI), Z0; \
	VBROADCASTSS (SI), Z2;        \
	VFMADD231PS  Z0, Z2, r0;      \
	VBROADCASTSS (SI)(R11*1), Z3; \
	VFMADD231PS  Z0, Z3, r1;      \
	VBROADCASTSS (SI)(R11*2), Z2; \
	VFMADD231PS  Z0, Z2, r2;      \
	VBROADCASTSS (SI)(AX*1), Z3;  \
	VFMADD231PS  Z0, Z3, r3;      \
	VBROADCASTSS (SI)(R11*4), Z2; \
	VFMADD231PS  Z0, Z2, r4;      \
	VBROADCASTSS (SI)(BX*1), Z3;  \
	VFMADD231PS  Z0, Z3, r5;      \
	ADDQ         R12, SI

#define HEVEN(i) HSTEP(i, Z4, Z6, Z8, Z10, Z12, Z14)
#define HODD(i) HSTEP(i, Z5, Z7, Z9, Z11, Z13, Z15)

// EADD adds alpha (Z0) times accumulators lo, hi to the masked columns of a
// C row and moves to the next row.
#define EADD(lo, hi) \
	VMOVUPS     (DX), K1, Z1;   \
	VFMADD231PS lo, Z0, Z1;     \
	VMOVUPS     Z1, K1, (DX);   \
	VMOVUPS     64(DX), K2, Z2; \
	VFMADD231PS hi, Z0, Z2;     \
	VMOVUPS     Z2, K2, 64(DX); \
	ADDQ        R8, DX

// ESET sets the masked columns of a C row to alpha (Z0) times accumulators
// lo, hi, not reading C, and moves to the next row.
#define ESET(lo, hi) \
	VMULPS  lo, Z0, Z1;     \
	VMOVUPS Z1, K1, (DX);   \
	VMULPS  hi, Z0, Z2;     \
	VMOVUPS Z2, K2, 64(DX); \
	ADDQ    R8, DX

// func kernAVX512F32Edge(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, mask, h, set int)
TEXT ·kernAVX512F32Edge(SB), NOSPLIT, $0-88
	LOADARGS512(2)
	MOVQ  mask+64(FP), R10
	KMOVW R10, K1
	SHRQ  $16, R10
	KMOVW R10, K2
	ZZEROACC
	TESTQ R10, R10
	JZ    half
	TESTQ R9, R9
	JZ    ftail

floop8:
	ZSTEP8(VMOVUPS, VBROADCASTSS, VFMADD231PS)
	DECQ R9
	JNZ  floop8

ftail:
	TESTQ CX, CX
	JZ    store

floop1:
	ZSTEP(0, VMOVUPS, VBROADCASTSS, VFMADD231PS)
	ADDQ $128, DI
	DECQ CX
	JNZ  floop1
	JMP  store

half:
	TESTQ R9, R9
	JZ    htail

hloop8:
	PREFETCHT0 512(DI)
	PREFETCHT0 640(DI)
	HEVEN(0)
	HODD(1)
	PREFETCHT0 768(DI)
	PREFETCHT0 896(DI)
	HEVEN(2)
	HODD(3)
	PREFETCHT0 1024(DI)
	PREFETCHT0 1152(DI)
	HEVEN(4)
	HODD(5)
	PREFETCHT0 1280(DI)
	PREFETCHT0 1408(DI)
	HEVEN(6)
	HODD(7)
	ADDQ       $1024, DI
	DECQ       R9
	JNZ        hloop8

htail:
	TESTQ CX, CX
	JZ    hsum

hloop1:
	HEVEN(0)
	ADDQ $128, DI
	DECQ CX
	JNZ  hloop1

hsum:
	// fold the odd steps' accumulators into the even ones'; the right
	// halves are masked off (K2 is empty)
	VADDPS Z5, Z4, Z4
	VADDPS Z7, Z6, Z6
	VADDPS Z9, Z8, Z8
	VADDPS Z11, Z10, Z10
	VADDPS Z13, Z12, Z12
	VADDPS Z15, Z14, Z14

store:
	VBROADCASTSS alpha+56(FP), Z0
	MOVQ         h+72(FP), R13
	MOVQ         set+80(FP), R10
	TESTQ        R10, R10
	JNZ          eset
	EADD(Z4, Z5)
	DECQ         R13
	JZ           done
	EADD(Z6, Z7)
	DECQ         R13
	JZ           done
	EADD(Z8, Z9)
	DECQ         R13
	JZ           done
	EADD(Z10, Z11)
	DECQ         R13
	JZ           done
	EADD(Z12, Z13)
	DECQ         R13
	JZ           done
	EADD(Z14, Z15)

done:
	VZEROUPPER
	RET

eset:
	ESET(Z4, Z5)
	DECQ R13
	JZ   done
	ESET(Z6, Z7)
	DECQ R13
	JZ   done
	ESET(Z8, Z9)
	DECQ R13
	JZ   done
	ESET(Z10, Z11)
	DECQ R13
	JZ   done
	ESET(Z12, Z13)
	DECQ R13
	JZ   done
	ESET(Z14, Z15)
	JMP  done
