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

// ZSTEP64 does k step i of an unrolled group for float64 and moves SI on.
#define ZSTEP64(i) \
	VMOVUPD      (i*128)(DI), Z0;    \
	VMOVUPD      (i*128+64)(DI), Z1; \
	VBROADCASTSD (SI), Z2;           \
	VFMADD231PD  Z0, Z2, Z4;         \
	VFMADD231PD  Z1, Z2, Z5;         \
	VBROADCASTSD (SI)(R11*1), Z3;    \
	VFMADD231PD  Z0, Z3, Z6;         \
	VFMADD231PD  Z1, Z3, Z7;         \
	VBROADCASTSD (SI)(R11*2), Z2;    \
	VFMADD231PD  Z0, Z2, Z8;         \
	VFMADD231PD  Z1, Z2, Z9;         \
	VBROADCASTSD (SI)(AX*1), Z3;     \
	VFMADD231PD  Z0, Z3, Z10;        \
	VFMADD231PD  Z1, Z3, Z11;        \
	VBROADCASTSD (SI)(R11*4), Z2;    \
	VFMADD231PD  Z0, Z2, Z12;        \
	VFMADD231PD  Z1, Z2, Z13;        \
	VBROADCASTSD (SI)(BX*1), Z3;     \
	VFMADD231PD  Z0, Z3, Z14;        \
	VFMADD231PD  Z1, Z3, Z15;        \
	ADDQ         R12, SI

#define ZSTORE64(lo, hi) \
	VMOVUPD     (DX), Z1;     \
	VFMADD231PD lo, Z0, Z1;   \
	VMOVUPD     Z1, (DX);     \
	VMOVUPD     64(DX), Z2;   \
	VFMADD231PD hi, Z0, Z2;   \
	VMOVUPD     Z2, 64(DX);   \
	ADDQ        R8, DX

#define ZSET64(lo, hi) \
	VMULPD  lo, Z0, Z1; \
	VMOVUPD Z1, (DX);   \
	VMULPD  hi, Z0, Z2; \
	VMOVUPD Z2, 64(DX); \
	ADDQ    R8, DX

// func kernAVX512F64(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)
TEXT ·kernAVX512F64(SB), NOSPLIT, $0-64
	XORQ R13, R13
	JMP  zkern64<>(SB)

// func kernAVX512F64Set(k int, a *float64, rs, cs int, b, c *float64, ldc int, alpha float64)
TEXT ·kernAVX512F64Set(SB), NOSPLIT, $0-64
	MOVQ $1, R13
	JMP  zkern64<>(SB)

// zkern64 is both float64 kernels: R13 = 1 sets C instead of adding to it.
TEXT zkern64<>(SB), NOSPLIT, $0-64
	LOADARGS512(3)
	ZPREFETCHC
	ZZEROACC
	TESTQ R9, R9
	JZ    z64tail

z64loop8:
	PREFETCHT0 512(DI)
	PREFETCHT0 576(DI)
	ZSTEP64(0)
	ZSTEP64(1)
	PREFETCHT0 640(DI)
	PREFETCHT0 704(DI)
	ZSTEP64(2)
	ZSTEP64(3)
	PREFETCHT0 768(DI)
	PREFETCHT0 832(DI)
	ZSTEP64(4)
	ZSTEP64(5)
	PREFETCHT0 896(DI)
	PREFETCHT0 960(DI)
	ZSTEP64(6)
	ZSTEP64(7)
	ADDQ $1024, DI
	DECQ R9
	JNZ  z64loop8

z64tail:
	TESTQ CX, CX
	JZ    z64store

z64loop1:
	ZSTEP64(0)
	ADDQ $128, DI
	DECQ CX
	JNZ  z64loop1

z64store:
	VBROADCASTSD alpha+56(FP), Z0
	TESTQ        R13, R13
	JNZ          z64set
	ZSTORE64(Z4, Z5)
	ZSTORE64(Z6, Z7)
	ZSTORE64(Z8, Z9)
	ZSTORE64(Z10, Z11)
	ZSTORE64(Z12, Z13)
	ZSTORE64(Z14, Z15)
	VZEROUPPER
	RET

z64set:
	ZSET64(Z4, Z5)
	ZSET64(Z6, Z7)
	ZSET64(Z8, Z9)
	ZSET64(Z10, Z11)
	ZSET64(Z12, Z13)
	ZSET64(Z14, Z15)
	VZEROUPPER
	RET

// ZSTEP32 does k step i of an unrolled group for float32 and moves SI on.
#define ZSTEP32(i) \
	VMOVUPS      (i*128)(DI), Z0;    \
	VMOVUPS      (i*128+64)(DI), Z1; \
	VBROADCASTSS (SI), Z2;           \
	VFMADD231PS  Z0, Z2, Z4;         \
	VFMADD231PS  Z1, Z2, Z5;         \
	VBROADCASTSS (SI)(R11*1), Z3;    \
	VFMADD231PS  Z0, Z3, Z6;         \
	VFMADD231PS  Z1, Z3, Z7;         \
	VBROADCASTSS (SI)(R11*2), Z2;    \
	VFMADD231PS  Z0, Z2, Z8;         \
	VFMADD231PS  Z1, Z2, Z9;         \
	VBROADCASTSS (SI)(AX*1), Z3;     \
	VFMADD231PS  Z0, Z3, Z10;        \
	VFMADD231PS  Z1, Z3, Z11;        \
	VBROADCASTSS (SI)(R11*4), Z2;    \
	VFMADD231PS  Z0, Z2, Z12;        \
	VFMADD231PS  Z1, Z2, Z13;        \
	VBROADCASTSS (SI)(BX*1), Z3;     \
	VFMADD231PS  Z0, Z3, Z14;        \
	VFMADD231PS  Z1, Z3, Z15;        \
	ADDQ         R12, SI

#define ZSTORE32(lo, hi) \
	VMOVUPS     (DX), Z1;     \
	VFMADD231PS lo, Z0, Z1;   \
	VMOVUPS     Z1, (DX);     \
	VMOVUPS     64(DX), Z2;   \
	VFMADD231PS hi, Z0, Z2;   \
	VMOVUPS     Z2, 64(DX);   \
	ADDQ        R8, DX

#define ZSET32(lo, hi) \
	VMULPS  lo, Z0, Z1; \
	VMOVUPS Z1, (DX);   \
	VMULPS  hi, Z0, Z2; \
	VMOVUPS Z2, 64(DX); \
	ADDQ    R8, DX

// func kernAVX512F32(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)
TEXT ·kernAVX512F32(SB), NOSPLIT, $0-60
	XORQ R13, R13
	JMP  zkern32<>(SB)

// func kernAVX512F32Set(k int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32)
TEXT ·kernAVX512F32Set(SB), NOSPLIT, $0-60
	MOVQ $1, R13
	JMP  zkern32<>(SB)

// zkern32 is both float32 kernels: R13 = 1 sets C instead of adding to it.
TEXT zkern32<>(SB), NOSPLIT, $0-60
	LOADARGS512(2)
	ZPREFETCHC
	ZZEROACC
	TESTQ R9, R9
	JZ    z32tail

z32loop8:
	PREFETCHT0 512(DI)
	PREFETCHT0 576(DI)
	ZSTEP32(0)
	ZSTEP32(1)
	PREFETCHT0 640(DI)
	PREFETCHT0 704(DI)
	ZSTEP32(2)
	ZSTEP32(3)
	PREFETCHT0 768(DI)
	PREFETCHT0 832(DI)
	ZSTEP32(4)
	ZSTEP32(5)
	PREFETCHT0 896(DI)
	PREFETCHT0 960(DI)
	ZSTEP32(6)
	ZSTEP32(7)
	ADDQ $1024, DI
	DECQ R9
	JNZ  z32loop8

z32tail:
	TESTQ CX, CX
	JZ    z32store

z32loop1:
	ZSTEP32(0)
	ADDQ $128, DI
	DECQ CX
	JNZ  z32loop1

z32store:
	VBROADCASTSS alpha+56(FP), Z0
	TESTQ        R13, R13
	JNZ          z32set
	ZSTORE32(Z4, Z5)
	ZSTORE32(Z6, Z7)
	ZSTORE32(Z8, Z9)
	ZSTORE32(Z10, Z11)
	ZSTORE32(Z12, Z13)
	ZSTORE32(Z14, Z15)
	VZEROUPPER
	RET

z32set:
	ZSET32(Z4, Z5)
	ZSET32(Z6, Z7)
	ZSET32(Z8, Z9)
	ZSET32(Z10, Z11)
	ZSET32(Z12, Z13)
	ZSET32(Z14, Z15)
	VZEROUPPER
	RET
