//go:build amd64 && !purego

#include "textflag.h"

// Layer normalization's row kernels (rows.go): float32 in, float64
// arithmetic, four YMM accumulators of four float64s for the sums.

// HSUM4 sets X0 to the sum of Y0..Y3's sixteen lanes: (Y0+Y1)+(Y2+Y3),
// then the halves, then the pair.
#define HSUM4 \
	VADDPD       Y1, Y0, Y0 \
	VADDPD       Y3, Y2, Y2 \
	VADDPD       Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPD       X1, X0, X0 \
	VHADDPD      X0, X0, X0

#define ZERO4 \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3

// func sum32AVX2(a *float32, n int) float64
TEXT ·sum32AVX2(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $4, CX
	ZERO4

sumloop:
	VCVTPS2PD 0(SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sumloop

	HSUM4
	VZEROUPPER
	MOVSD X0, ret+16(FP)
	RET

// func sqDev32AVX2(a *float32, n int, c float64) float64
TEXT ·sqDev32AVX2(SB), NOSPLIT, $0-32
	MOVQ         a+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD c+16(FP), Y8
	SHRQ         $4, CX
	ZERO4

sqloop:
	VCVTPS2PD   0(SI), Y4
	VCVTPS2PD   16(SI), Y5
	VCVTPS2PD   32(SI), Y6
	VCVTPS2PD   48(SI), Y7
	VSUBPD      Y8, Y4, Y4
	VSUBPD      Y8, Y5, Y5
	VSUBPD      Y8, Y6, Y6
	VSUBPD      Y8, Y7, Y7
	VFMADD231PD Y4, Y4, Y0
	VFMADD231PD Y5, Y5, Y1
	VFMADD231PD Y6, Y6, Y2
	VFMADD231PD Y7, Y7, Y3
	ADDQ        $64, SI
	DECQ        CX
	JNZ         sqloop

	HSUM4
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func dotDev32AVX2(a, y *float32, n int, c float64) float64
TEXT ·dotDev32AVX2(SB), NOSPLIT, $0-40
	MOVQ         a+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD c+24(FP), Y8
	SHRQ         $4, CX
	ZERO4

dotloop:
	VCVTPS2PD   0(DI), Y4
	VCVTPS2PD   16(DI), Y5
	VCVTPS2PD   32(DI), Y6
	VCVTPS2PD   48(DI), Y7
	VSUBPD      Y8, Y4, Y4
	VSUBPD      Y8, Y5, Y5
	VSUBPD      Y8, Y6, Y6
	VSUBPD      Y8, Y7, Y7
	VCVTPS2PD   0(SI), Y9
	VCVTPS2PD   16(SI), Y10
	VCVTPS2PD   32(SI), Y11
	VCVTPS2PD   48(SI), Y12
	VFMADD231PD Y9, Y4, Y0
	VFMADD231PD Y10, Y5, Y1
	VFMADD231PD Y11, Y6, Y2
	VFMADD231PD Y12, Y7, Y3
	ADDQ        $64, SI
	ADDQ        $64, DI
	DECQ        CX
	JNZ         dotloop

	HSUM4
	VZEROUPPER
	MOVSD X0, ret+32(FP)
	RET

// func normalize32AVX2(z, x *float32, n int, mean, rstd float64)
TEXT ·normalize32AVX2(SB), NOSPLIT, $0-40
	MOVQ         z+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mean+24(FP), Y8
	VBROADCASTSD rstd+32(FP), Y9
	SHRQ         $3, CX

normloop:
	VCVTPS2PD   0(SI), Y0
	VCVTPS2PD   16(SI), Y1
	VSUBPD      Y8, Y0, Y0
	VSUBPD      Y8, Y1, Y1
	VMULPD      Y9, Y0, Y0
	VMULPD      Y9, Y1, Y1
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         normloop

	VZEROUPPER
	RET

// NGRAD4 sets R (float64) to rstd·((v - mv) - ((x - mean)·rstd)·mvx) for
// the four float32s of x and v at offset off, using T.
#define NGRAD4(off, R, T) \
	VCVTPS2PD off(SI), T \
	VSUBPD    Y8, T, T   \
	VMULPD    Y9, T, T   \
	VMULPD    Y11, T, T  \
	VCVTPS2PD off(DX), R \
	VSUBPD    Y10, R, R  \
	VSUBPD    T, R, R    \
	VMULPD    Y9, R, R

// func normGrad32AVX2(z, x, v *float32, n int, mean, rstd, mv, mvx float64)
TEXT ·normGrad32AVX2(SB), NOSPLIT, $0-64
	MOVQ         z+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         v+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD mean+32(FP), Y8
	VBROADCASTSD rstd+40(FP), Y9
	VBROADCASTSD mv+48(FP), Y10
	VBROADCASTSD mvx+56(FP), Y11
	SHRQ         $3, CX

ngloop:
	NGRAD4(0, Y0, Y2)
	NGRAD4(16, Y1, Y3)
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	DECQ        CX
	JNZ         ngloop

	VZEROUPPER
	RET

// func softmaxDot32AVX2(y, d *float32, n int, lanes *[8]float32)
// lanes[i] = Σ_t d[8t+i]·y[8t+i] (each product rounded to float32, then
// added in order), n a positive multiple of 8.
TEXT ·softmaxDot32AVX2(SB), NOSPLIT, $0-32
	MOVQ   y+0(FP), SI
	MOVQ   d+8(FP), DI
	MOVQ   n+16(FP), CX
	MOVQ   lanes+24(FP), DX
	SHRQ   $3, CX
	VXORPS Y0, Y0, Y0

sdloop:
	VMOVUPS (DI), Y1
	VMULPS  (SI), Y1, Y1
	VADDPS  Y1, Y0, Y0
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sdloop

	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

// func softmaxVJPFinish32AVX2(z, y, d *float32, n int, s float32)
// z = y·(d - s), n a multiple of 8.
TEXT ·softmaxVJPFinish32AVX2(SB), NOSPLIT, $0-36
	MOVQ         z+0(FP), DX
	MOVQ         y+8(FP), SI
	MOVQ         d+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS s+32(FP), Y2
	SHRQ         $3, CX
	JZ           sfdone

sfloop:
	VMOVUPS (DI), Y1
	VSUBPS  Y2, Y1, Y1
	VMOVUPS (SI), Y0
	VMULPS  Y1, Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     sfloop

sfdone:
	VZEROUPPER
	RET
