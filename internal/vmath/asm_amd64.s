//go:build amd64 && !purego

#include "textflag.h"

// AVX2/FMA float32 kernels (see asm_amd64.go and the package doc for the
// methods and their accuracy). Each handles 8 lanes an iteration without a
// branch; n is a multiple of 8. The constants are float32 bit patterns, 8
// copies each, so that they serve as memory operands: the exp polynomial's
// from fit_exp32.py, the erfcx rational's (halved) those of phi32, from
// fit_erfcx32.py.

#define CONST8(name, bits) \
	DATA name<>+0(SB)/4, bits \
	DATA name<>+4(SB)/4, bits \
	DATA name<>+8(SB)/4, bits \
	DATA name<>+12(SB)/4, bits \
	DATA name<>+16(SB)/4, bits \
	DATA name<>+20(SB)/4, bits \
	DATA name<>+24(SB)/4, bits \
	DATA name<>+28(SB)/4, bits \
	GLOBL name<>(SB), RODATA|NOPTR, $32

CONST8(expHi, $0x42b1999a) // 88.8: e^x overflows from 88.72
CONST8(expLo, $0xc2d00000) // -104: e^x rounds to 0 below -103.97
CONST8(log2e, $0x3fb8aa3b)
CONST8(ln2hi, $0x3f317218) // float32(ln 2)
CONST8(ln2lo, $0xb102e308) // ln 2 - ln2hi
CONST8(ec2, $0x3efffffe)   // e^r ≈ 1 + r + r²(ec2 + r(ec3 + … r·ec6))
CONST8(ec3, $0x3e2aaa49)
CONST8(ec4, $0x3d2aac79)
CONST8(ec5, $0x3c091ce8)
CONST8(ec6, $0x3ab51215)
CONST8(one, $0x3f800000) // also 127<<23, the exponent bias in place
CONST8(absMask, $0x7fffffff)
CONST8(xMax, $0x416d70a4)    // 14.84: beyond it Φ(-|x|) and x·φ(x) round to 0
CONST8(negXMax, $0xc16d70a4) // -14.84
CONST8(bias64, $0x4f800000)  // (127+32)<<23: EXP_FINISH scales by 2⁶⁴
CONST8(twoM64, $0x1f800000)  // 2⁻⁶⁴
CONST8(sqrt1_2, $0x3f3504f3)
CONST8(negHalf, $0xbf000000)
CONST8(p0, $0x3f000000) // erfcx(a)/2 ≈ P(a)/Q(a)
CONST8(p1, $0x3f1e6926)
CONST8(p2, $0x3ebb11ac)
CONST8(p3, $0x3dea4c27)
CONST8(p4, $0x3c85facc)
CONST8(q1, $0x40176bf3)
CONST8(q2, $0x4019a0b3)
CONST8(q3, $0x3fa970b9)
CONST8(q4, $0x3ecfa78a)
CONST8(q5, $0x3d6d7849)
CONST8(invSqrt2Pi, $0x3ecc422a)

// EXP_REDUCE sets K = round(X·log₂e) and R = X - K·ln2, exact to about
// 2⁻³³ with the two-part ln 2. R may be X.
#define EXP_REDUCE(X, K, R) \
	VMULPS       log2e<>(SB), X, K \
	VROUNDPS     $0, K, K \
	VMOVAPS      X, R \
	VFNMADD231PS ln2hi<>(SB), K, R \
	VFNMADD231PS ln2lo<>(SB), K, R

// EXP_FINISH sets P = e^R·2^K·2^S from EXP_REDUCE's K and R, using T,
// with BIAS = (127+S/2)<<23. 2^(K+S) is applied as two normal scales,
// 2^(K>>1+S/2)·2^(K-K>>1+S/2), so that results down in the subnormal range
// round once and those above 2¹²⁸ overflow to +Inf.
#define EXP_FINISH(K, R, T, P, BIAS) \
	VMOVUPS     ec6<>(SB), P \
	VFMADD213PS ec5<>(SB), R, P \
	VFMADD213PS ec4<>(SB), R, P \
	VFMADD213PS ec3<>(SB), R, P \
	VFMADD213PS ec2<>(SB), R, P \
	VMULPS      R, R, T \
	VFMADD213PS R, T, P \
	VADDPS      one<>(SB), P, P \
	VCVTPS2DQ   K, K \
	VPSRAD      $1, K, T \
	VPSUBD      T, K, K \
	VPSLLD      $23, T, T \
	VPSLLD      $23, K, K \
	VPADDD      BIAS, T, T \
	VPADDD      BIAS, K, K \
	VMULPS      T, P, P \
	VMULPS      K, P, P

// PHI computes, for x = Y0 and xc = Y8 = x clamped to [-14.84, 14.84]
// (beyond, Φ(-|x|) and x·φ(x) round to 0), Y5 = e^(-xc²/2)·2⁶⁴ and Y6 =
// Φ(-|xc|)·2⁶⁴ = Y5·erfcx(|xc|/√2)/2, using Y1–Y4 and Y7. The scale keeps
// both normal where the results are (x·Φ(x) ≈ -0.35·e^(-x²/2) near
// x = -13 is normal where Φ is not). xc² is split exactly, hi + lo, so
// that the exponent carries no rounding error.
#define PHI \
	VMAXPS       negXMax<>(SB), Y0, Y8 \
	VMINPS       xMax<>(SB), Y8, Y8 \
	VANDPS       absMask<>(SB), Y8, Y1 \
	VMULPS       Y1, Y1, Y2 \
	VMOVAPS      Y2, Y3 \
	VFMSUB231PS  Y1, Y1, Y3 \
	VMULPS       negHalf<>(SB), Y2, Y2 \
	EXP_REDUCE(Y2, Y4, Y2) \
	VFMADD231PS  negHalf<>(SB), Y3, Y2 \
	EXP_FINISH(Y4, Y2, Y3, Y5, bias64<>(SB)) \
	VMULPS       sqrt1_2<>(SB), Y1, Y1 \
	VMOVUPS      p4<>(SB), Y6 \
	VFMADD213PS  p3<>(SB), Y1, Y6 \
	VFMADD213PS  p2<>(SB), Y1, Y6 \
	VFMADD213PS  p1<>(SB), Y1, Y6 \
	VFMADD213PS  p0<>(SB), Y1, Y6 \
	VMOVUPS      q5<>(SB), Y7 \
	VFMADD213PS  q4<>(SB), Y1, Y7 \
	VFMADD213PS  q3<>(SB), Y1, Y7 \
	VFMADD213PS  q2<>(SB), Y1, Y7 \
	VFMADD213PS  q1<>(SB), Y1, Y7 \
	VFMADD213PS  one<>(SB), Y1, Y7 \
	VDIVPS       Y7, Y6, Y6 \
	VMULPS       Y5, Y6, Y6

// func exp32AVX2(dst, src *float32, n int)
TEXT ·exp32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   expdone

exploop:
	VMOVUPS (SI), Y0
	VMAXPS  expLo<>(SB), Y0, Y2 // clamped; NaN lanes are restored below
	VMINPS  expHi<>(SB), Y2, Y2
	EXP_REDUCE(Y2, Y1, Y2)
	EXP_FINISH(Y1, Y2, Y3, Y5, one<>(SB))
	VCMPPS    $3, Y0, Y0, Y4 // NaN lanes keep x
	VBLENDVPS Y4, Y0, Y5, Y5
	VMOVUPS   Y5, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       exploop

expdone:
	VZEROUPPER
	RET

// func gelu32AVX2(dst, src *float32, n int)
TEXT ·gelu32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   geludone

geluloop:
	VMOVUPS   (SI), Y0
	PHI
	VMULPS    Y8, Y6, Y7 // x < 0: (xc·Φ(xc)·2⁶⁴)·2⁻⁶⁴ - (x-x),
	VMULPS    twoM64<>(SB), Y7, Y7 // NaN at -Inf as x·Φ(x)
	VSUBPS    Y0, Y0, Y9
	VSUBPS    Y9, Y7, Y7
	VMULPS    twoM64<>(SB), Y6, Y6 // x ≥ 0: x·(1 - Φ(-xc))
	VMOVUPS   one<>(SB), Y10
	VSUBPS    Y6, Y10, Y10
	VMULPS    Y0, Y10, Y10
	VBLENDVPS Y0, Y7, Y10, Y10
	VMOVUPS   Y10, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     geluloop

geludone:
	VZEROUPPER
	RET

// func geluGrad32AVX2(dst, src *float32, n int)
TEXT ·geluGrad32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   gradone

graloop:
	VMOVUPS      (SI), Y0
	PHI
	VMULPS       invSqrt2Pi<>(SB), Y5, Y5 // φ(xc)·2⁶⁴
	VMOVAPS      Y6, Y7
	VFMADD231PS  Y8, Y5, Y7 // x < 0: (Φ(-|xc|) + xc·φ(xc))·2⁶⁴
	VFNMADD231PS Y8, Y5, Y6 // x ≥ 0: (Φ(-|xc|) - xc·φ(xc))·2⁶⁴
	VMULPS       twoM64<>(SB), Y7, Y7
	VMULPS       twoM64<>(SB), Y6, Y6
	VMOVUPS      one<>(SB), Y10
	VSUBPS       Y6, Y10, Y10
	VBLENDVPS    Y0, Y7, Y10, Y10
	VSUBPS       Y0, Y0, Y9 // NaN at ±Inf as Φ(x) + x·φ(x)
	VSUBPS       Y9, Y10, Y10
	VMOVUPS      Y10, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         graloop

gradone:
	VZEROUPPER
	RET

// func expShiftSum32AVX2(dst, src *float32, n int, shift float32) float32
TEXT ·expShiftSum32AVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y15
	VXORPS       Y14, Y14, Y14
	SHRQ         $3, CX
	JZ           esdone

esloop:
	VMOVUPS   (SI), Y0
	VSUBPS    Y15, Y0, Y0
	VMAXPS    expLo<>(SB), Y0, Y2
	VMINPS    expHi<>(SB), Y2, Y2
	EXP_REDUCE(Y2, Y1, Y2)
	EXP_FINISH(Y1, Y2, Y3, Y5, one<>(SB))
	VCMPPS    $3, Y0, Y0, Y4
	VBLENDVPS Y4, Y0, Y5, Y5
	VMOVUPS   Y5, (DI)
	VADDPS    Y5, Y14, Y14
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       esloop

esdone:
	VEXTRACTF128 $1, Y14, X1
	VADDPS       X1, X14, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+32(FP)
	RET

// func max32AVX2(x *float32, n int) float32
TEXT ·max32AVX2(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	SHRQ    $3, CX
	VMOVUPS (SI), Y0

mxloop:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JNZ    mxloop

	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+16(FP)
	RET

// func scale32AVX2(x *float32, n int, a float32)
TEXT ·scale32AVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS a+16(FP), Y1
	SHRQ         $3, CX
	JZ           scdone

scloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     scloop

scdone:
	VZEROUPPER
	RET

// GELU's tanh form: ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + 0.044715x³),
// with σ(±|2u|) from one exp of -|2u|, which never overflows:
// σ(|2u|) = 1/(1+e^-|2u|) and σ(-|2u|) = e^-|2u|/(1+e^-|2u|). No
// cancellation, unlike 1 + tanh u in float32.
CONST8(gCubic, $0x3d372713)     // 0.044715
CONST8(gCubic3, $0x3e095d4f)    // 3·0.044715
CONST8(twoSqrt2Pi, $0x3fcc422a) // 2√(2/π)
CONST8(tMax, $0x461c4000)       // 10⁴: x is clamped to ±10⁴ inside, so that x³ stays finite
CONST8(negTMax, $0xc61c4000)
CONST8(signMask, $0x80000000)

// SIG2U sets, for x = Y0, Y8 = xc = x clamped to [-10⁴, 10⁴], Y1 = xc²,
// Y3 = 2u, Y10 = σ(|2u|), Y11 = σ(-|2u|) and Y12 = σ(2u), using Y2,
// Y4–Y7 and Y9.
#define SIG2U \
	VMAXPS      negTMax<>(SB), Y0, Y8 \
	VMINPS      tMax<>(SB), Y8, Y8 \
	VMULPS      Y8, Y8, Y1 \
	VMOVUPS     one<>(SB), Y2 \
	VFMADD231PS gCubic<>(SB), Y1, Y2 \
	VMULPS      Y8, Y2, Y3 \
	VMULPS      twoSqrt2Pi<>(SB), Y3, Y3 \
	VORPS       signMask<>(SB), Y3, Y6 \
	VMAXPS      expLo<>(SB), Y6, Y6 \
	EXP_REDUCE(Y6, Y4, Y6) \
	EXP_FINISH(Y4, Y6, Y7, Y5, one<>(SB)) \
	VADDPS      one<>(SB), Y5, Y9 \
	VMOVUPS     one<>(SB), Y10 \
	VDIVPS      Y9, Y10, Y10 \
	VMULPS      Y5, Y10, Y11 \
	VBLENDVPS   Y3, Y11, Y10, Y12

// func geluTanh32AVX2(dst, src *float32, n int)
TEXT ·geluTanh32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   gtdone

gtloop:
	VMOVUPS (SI), Y0
	SIG2U
	VMULPS  Y0, Y12, Y12 // x·σ(2u): NaN at -Inf, as the formula
	VMOVUPS Y12, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     gtloop

gtdone:
	VZEROUPPER
	RET

// func geluTanhGrad32AVX2(dst, src *float32, n int)
TEXT ·geluTanhGrad32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   gtgdone

gtgloop:
	VMOVUPS     (SI), Y0
	SIG2U
	VMOVUPS     one<>(SB), Y2 // σ(2u) + 2√(2/π)·xc(1 + 3·0.044715xc²)·σ(2u)σ(-2u)
	VFMADD231PS gCubic3<>(SB), Y1, Y2
	VMULPS      Y10, Y11, Y13
	VMULPS      Y8, Y13, Y13
	VMULPS      Y2, Y13, Y13
	VMULPS      twoSqrt2Pi<>(SB), Y13, Y13
	VADDPS      Y12, Y13, Y13
	VSUBPS      Y0, Y0, Y9 // NaN at ±Inf and NaN, as the formula
	VSUBPS      Y9, Y13, Y13
	VMOVUPS     Y13, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         gtgloop

gtgdone:
	VZEROUPPER
	RET

// AVX-512 forms of GELU and its derivative: the AVX2 kernels' operations
// lane for lane, on 16 lanes, so that the results are the same bit for
// bit. Constants are broadcast from the first element of the tables
// above; the sign blends become opmask blends (K1 = lanes whose sign bit
// is set).

// EXP_REDUCE_Z and EXP_FINISH_Z are EXP_REDUCE and EXP_FINISH on ZMM.
#define EXP_REDUCE_Z(X, K, R) \
	VMULPS.BCST       log2e<>(SB), X, K \
	VRNDSCALEPS       $0, K, K \
	VMOVAPS           X, R \
	VFNMADD231PS.BCST ln2hi<>(SB), K, R \
	VFNMADD231PS.BCST ln2lo<>(SB), K, R

#define EXP_FINISH_Z(K, R, T, P, BIAS) \
	VBROADCASTSS     ec6<>(SB), P \
	VFMADD213PS.BCST ec5<>(SB), R, P \
	VFMADD213PS.BCST ec4<>(SB), R, P \
	VFMADD213PS.BCST ec3<>(SB), R, P \
	VFMADD213PS.BCST ec2<>(SB), R, P \
	VMULPS           R, R, T \
	VFMADD213PS      R, T, P \
	VADDPS.BCST      one<>(SB), P, P \
	VCVTPS2DQ        K, K \
	VPSRAD           $1, K, T \
	VPSUBD           T, K, K \
	VPSLLD           $23, T, T \
	VPSLLD           $23, K, K \
	VPADDD.BCST      BIAS, T, T \
	VPADDD.BCST      BIAS, K, K \
	VMULPS           T, P, P \
	VMULPS           K, P, P

// PHI_Z is PHI on ZMM (Z0 = x; Z5, Z6 and Z8 as PHI's Y registers).
#define PHI_Z \
	VMAXPS.BCST      negXMax<>(SB), Z0, Z8 \
	VMINPS.BCST      xMax<>(SB), Z8, Z8 \
	VPANDD.BCST      absMask<>(SB), Z8, Z1 \
	VMULPS           Z1, Z1, Z2 \
	VMOVAPS          Z2, Z3 \
	VFMSUB231PS      Z1, Z1, Z3 \
	VMULPS.BCST      negHalf<>(SB), Z2, Z2 \
	EXP_REDUCE_Z(Z2, Z4, Z2) \
	VFMADD231PS.BCST negHalf<>(SB), Z3, Z2 \
	EXP_FINISH_Z(Z4, Z2, Z3, Z5, bias64<>(SB)) \
	VMULPS.BCST      sqrt1_2<>(SB), Z1, Z1 \
	VBROADCASTSS     p4<>(SB), Z6 \
	VFMADD213PS.BCST p3<>(SB), Z1, Z6 \
	VFMADD213PS.BCST p2<>(SB), Z1, Z6 \
	VFMADD213PS.BCST p1<>(SB), Z1, Z6 \
	VFMADD213PS.BCST p0<>(SB), Z1, Z6 \
	VBROADCASTSS     q5<>(SB), Z7 \
	VFMADD213PS.BCST q4<>(SB), Z1, Z7 \
	VFMADD213PS.BCST q3<>(SB), Z1, Z7 \
	VFMADD213PS.BCST q2<>(SB), Z1, Z7 \
	VFMADD213PS.BCST q1<>(SB), Z1, Z7 \
	VFMADD213PS.BCST one<>(SB), Z1, Z7 \
	VDIVPS           Z7, Z6, Z6 \
	VMULPS           Z5, Z6, Z6

// func gelu32AVX512(dst, src *float32, n int)
TEXT ·gelu32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   gelu5done

gelu5loop:
	VMOVUPS          (SI), Z0
	PHI_Z
	VPTESTMD.BCST    signMask<>(SB), Z0, K1
	VMULPS           Z8, Z6, Z7
	VMULPS.BCST      twoM64<>(SB), Z7, Z7
	VSUBPS           Z0, Z0, Z9
	VSUBPS           Z9, Z7, Z7
	VMULPS.BCST      twoM64<>(SB), Z6, Z6
	VBROADCASTSS     one<>(SB), Z10
	VSUBPS           Z6, Z10, Z10
	VMULPS           Z0, Z10, Z10
	VBLENDMPS        Z7, Z10, K1, Z10
	VMOVUPS          Z10, (DI)
	ADDQ             $64, SI
	ADDQ             $64, DI
	DECQ             CX
	JNZ              gelu5loop

gelu5done:
	VZEROUPPER
	RET

// func geluGrad32AVX512(dst, src *float32, n int)
TEXT ·geluGrad32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   gra5done

gra5loop:
	VMOVUPS       (SI), Z0
	PHI_Z
	VPTESTMD.BCST signMask<>(SB), Z0, K1
	VMULPS.BCST   invSqrt2Pi<>(SB), Z5, Z5
	VMOVAPS       Z6, Z7
	VFMADD231PS   Z8, Z5, Z7
	VFNMADD231PS  Z8, Z5, Z6
	VMULPS.BCST   twoM64<>(SB), Z7, Z7
	VMULPS.BCST   twoM64<>(SB), Z6, Z6
	VBROADCASTSS  one<>(SB), Z10
	VSUBPS        Z6, Z10, Z10
	VBLENDMPS     Z7, Z10, K1, Z10
	VSUBPS        Z0, Z0, Z9
	VSUBPS        Z9, Z10, Z10
	VMOVUPS       Z10, (DI)
	ADDQ          $64, SI
	ADDQ          $64, DI
	DECQ          CX
	JNZ           gra5loop

gra5done:
	VZEROUPPER
	RET
