//go:build amd64 && !purego

#include "textflag.h"

// AVX2 loops of AddRows (addrows.go): each column block's running sums
// stay in YMM registers while the rows stream past; every addition is the
// one the Go loop makes, in the same order.

// ADDROWS is the body of both: add is VADDPS or VADDPD, shift the log2
// element size, wide the elements of eight registers (a 256-byte column
// block) and per those of one.
#define ADDROWS(add, shift, wide, per) \
	MOVQ dst+0(FP), DI \
	MOVQ x+8(FP), SI \
	MOVQ rows+16(FP), CX \
	MOVQ ld+24(FP), DX \
	SHLQ $shift, DX \
	MOVQ n+32(FP), BX \
	wideblk: \
	CMPQ BX, $wide \
	JLT  narrow \
	VMOVUPS 0(DI), Y0 \
	VMOVUPS 32(DI), Y1 \
	VMOVUPS 64(DI), Y2 \
	VMOVUPS 96(DI), Y3 \
	VMOVUPS 128(DI), Y4 \
	VMOVUPS 160(DI), Y5 \
	VMOVUPS 192(DI), Y6 \
	VMOVUPS 224(DI), Y7 \
	MOVQ SI, R8 \
	MOVQ CX, R9 \
	wloop: \
	add 0(R8), Y0, Y0 \
	add 32(R8), Y1, Y1 \
	add 64(R8), Y2, Y2 \
	add 96(R8), Y3, Y3 \
	add 128(R8), Y4, Y4 \
	add 160(R8), Y5, Y5 \
	add 192(R8), Y6, Y6 \
	add 224(R8), Y7, Y7 \
	ADDQ DX, R8 \
	DECQ R9 \
	JNZ  wloop \
	VMOVUPS Y0, 0(DI) \
	VMOVUPS Y1, 32(DI) \
	VMOVUPS Y2, 64(DI) \
	VMOVUPS Y3, 96(DI) \
	VMOVUPS Y4, 128(DI) \
	VMOVUPS Y5, 160(DI) \
	VMOVUPS Y6, 192(DI) \
	VMOVUPS Y7, 224(DI) \
	ADDQ $256, DI \
	ADDQ $256, SI \
	SUBQ $wide, BX \
	JMP  wideblk \
	narrow: \
	CMPQ BX, $per \
	JLT  done \
	VMOVUPS (DI), Y0 \
	MOVQ SI, R8 \
	MOVQ CX, R9 \
	nloop: \
	add (R8), Y0, Y0 \
	ADDQ DX, R8 \
	DECQ R9 \
	JNZ  nloop \
	VMOVUPS Y0, (DI) \
	ADDQ $32, DI \
	ADDQ $32, SI \
	SUBQ $per, BX \
	JMP  narrow \
	done: \
	VZEROUPPER \
	RET

// func addRows32(dst, x *float32, rows, ld, n int)
TEXT ·addRows32(SB), NOSPLIT, $0-40
	ADDROWS(VADDPS, 2, 64, 8)

// func addRows64(dst, x *float64, rows, ld, n int)
TEXT ·addRows64(SB), NOSPLIT, $0-40
	ADDROWS(VADDPD, 3, 32, 4)
