//go:build amd64 && !purego

#include "textflag.h"

// AVX2 loops of AddRows (addrows.go): each column block's running sums
// stay in YMM registers while the rows stream past; every addition is the
// one the Go loop makes, in the same order.

// func addRows32(dst, x *float32, rows, ld, n int)
TEXT ·addRows32(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ ld+24(FP), DX
	SHLQ $2, DX
	MOVQ n+32(FP), BX
addRows32_wide:
	CMPQ BX, $64
	JLT addRows32_narrow
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ SI, R8
	MOVQ CX, R9
addRows32_wloop:
	VADDPS 0(R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	VADDPS 64(R8), Y2, Y2
	VADDPS 96(R8), Y3, Y3
	VADDPS 128(R8), Y4, Y4
	VADDPS 160(R8), Y5, Y5
	VADDPS 192(R8), Y6, Y6
	VADDPS 224(R8), Y7, Y7
	ADDQ DX, R8
	DECQ R9
	JNZ addRows32_wloop
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, BX
	JMP addRows32_wide
addRows32_narrow:
	CMPQ BX, $8
	JLT addRows32_done
	VMOVUPS (DI), Y0
	MOVQ SI, R8
	MOVQ CX, R9
addRows32_nloop:
	VADDPS (R8), Y0, Y0
	ADDQ DX, R8
	DECQ R9
	JNZ addRows32_nloop
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, BX
	JMP addRows32_narrow
addRows32_done:
	VZEROUPPER
	RET

// func addRows64(dst, x *float64, rows, ld, n int)
TEXT ·addRows64(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ ld+24(FP), DX
	SHLQ $3, DX
	MOVQ n+32(FP), BX
addRows64_wide:
	CMPQ BX, $32
	JLT addRows64_narrow
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ SI, R8
	MOVQ CX, R9
addRows64_wloop:
	VADDPD 0(R8), Y0, Y0
	VADDPD 32(R8), Y1, Y1
	VADDPD 64(R8), Y2, Y2
	VADDPD 96(R8), Y3, Y3
	VADDPD 128(R8), Y4, Y4
	VADDPD 160(R8), Y5, Y5
	VADDPD 192(R8), Y6, Y6
	VADDPD 224(R8), Y7, Y7
	ADDQ DX, R8
	DECQ R9
	JNZ addRows64_wloop
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $32, BX
	JMP addRows64_wide
addRows64_narrow:
	CMPQ BX, $4
	JLT addRows64_done
	VMOVUPS (DI), Y0
	MOVQ SI, R8
	MOVQ CX, R9
addRows64_nloop:
	VADDPD (R8), Y0, Y0
	ADDQ DX, R8
	DECQ R9
	JNZ addRows64_nloop
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $4, BX
	JMP addRows64_narrow
addRows64_done:
	VZEROUPPER
	RET
