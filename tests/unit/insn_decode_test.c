// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the MMIO instruction decoder (module/insn_decode.c),
 * built into this program through tests/unit/kernel_shim.h.
 *
 * Every table entry gives the bytes of one instruction, the GNU as (Intel
 * syntax) text it was assembled from and what the decoder must make of
 * it.  The bytes of each valid entry are also fed in truncated (which must
 * fail) and followed by junk (which must not change the length).
 */
#include "kernel_shim.h"
#include "kselftest_harness.h"

#include "../../module/insn_decode.c"

#define M16	HVX_INSN_MODE_16
#define M32	HVX_INSN_MODE_32
#define M64	HVX_INSN_MODE_64

#define HI	0x1	/* high8 */
#define REP	0x2	/* rep */

struct dec_case {
	unsigned int mode;
	const char *bytes;
	unsigned int nbytes;
	const char *text;
	u8 op, size, opsize, reg;
	unsigned int flags;
	u8 addr_size;
	u64 imm;
};

/* A valid instruction: mode, bytes, text, op, size, opsize, reg, flags,
 * address size, immediate.
 */
#define V(m, b, t, o, s, os, r, f, a, i) {				\
	.mode = (m), .bytes = (b), .nbytes = sizeof(b) - 1, .text = (t), \
	.op = HVX_INSN_##o, .size = (s), .opsize = (os), .reg = (r),	\
	.flags = (f), .addr_size = (a), .imm = (i) }

static const struct dec_case valid[] = {
	/* 64-bit mode: MOV loads, register and ModRM/SIB forms */
	V(M64, "\x8b\x03", "mov eax, [rbx]", LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x48\x8b\x03", "mov rax, [rbx]", LOAD, 8, 8, 0, 0, 8, 0),
	V(M64, "\x66\x8b\x03", "mov ax, [rbx]", LOAD, 2, 2, 0, 0, 8, 0),
	V(M64, "\x8a\x03", "mov al, [rbx]", LOAD, 1, 1, 0, 0, 8, 0),
	V(M64, "\x8a\x23", "mov ah, [rbx]", LOAD, 1, 1, 0, HI, 8, 0),
	V(M64, "\x8a\x3b", "mov bh, [rbx]", LOAD, 1, 1, 3, HI, 8, 0),
	V(M64, "\x8a\x0b", "mov cl, [rbx]", LOAD, 1, 1, 1, 0, 8, 0),
	V(M64, "\x40\x8a\x23", "mov spl, [rbx]", LOAD, 1, 1, 4, 0, 8, 0),
	V(M64, "\x40\x8a\x3b", "mov dil, [rbx]", LOAD, 1, 1, 7, 0, 8, 0),
	V(M64, "\x44\x8a\x03", "mov r8b, [rbx]", LOAD, 1, 1, 8, 0, 8, 0),
	V(M64, "\x4c\x8b\x3c\x24", "mov r15, [rsp]", LOAD, 8, 8, 15, 0, 8, 0),
	V(M64, "\x41\x8b\x45\x00", "mov eax, [r13]", LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x41\x8b\x04\x24", "mov eax, [r12]", LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x8b\x05\x78\x56\x34\x12", "mov eax, [rip+0x12345678]",
	  LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x8b\x04\x25\x00\x10\x00\x00", "mov eax, [0x1000]",
	  LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x8b\x44\x8b\x10", "mov eax, [rbx+rcx*4+0x10]",
	  LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x8b\x84\x8b\x78\x56\x34\x12", "mov eax, [rbx+rcx*4+0x12345678]",
	  LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x8b\x83\x00\x01\x00\x00", "mov eax, [rbx+0x100]",
	  LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x8b\x43\xf8", "mov eax, [rbx-8]", LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x42\x8b\x04\x25\x00\x10\x00\x00", "mov eax, [r12*1+0x1000]",
	  LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x43\x8b\x4c\xfd\x08", "mov ecx, [r13+r15*8+8]",
	  LOAD, 4, 4, 1, 0, 8, 0),
	V(M64, "\x67\x8b\x03", "mov eax, [ebx]", LOAD, 4, 4, 0, 0, 4, 0),
	V(M64, "\x67\x8b\x05\x78\x56\x34\x12", "mov eax, [eip+0x12345678]",
	  LOAD, 4, 4, 0, 0, 4, 0),
	V(M64, "\x64\x48\x8b\x04\x25\x28\x00\x00\x00", "mov rax, fs:[0x28]",
	  LOAD, 8, 8, 0, 0, 8, 0),
	V(M64, "\x65\x8b\x0d\x00\x01\x00\x00", "mov ecx, gs:[rip+0x100]",
	  LOAD, 4, 4, 1, 0, 8, 0),
	V(M64, "\x66\x48\x8b\x03", "data16 mov rax, [rbx]", LOAD, 8, 8, 0, 0, 8, 0),
	V(M64, "\x3e\x8b\x03", "ds mov eax, [rbx]", LOAD, 4, 4, 0, 0, 8, 0),

	/* 64-bit mode: MOV stores */
	V(M64, "\x89\x18", "mov [rax], ebx", STORE, 4, 4, 3, 0, 8, 0),
	V(M64, "\x48\x89\x18", "mov [rax], rbx", STORE, 8, 8, 3, 0, 8, 0),
	V(M64, "\x88\x38", "mov [rax], bh", STORE, 1, 1, 3, HI, 8, 0),
	V(M64, "\x88\x18", "mov [rax], bl", STORE, 1, 1, 3, 0, 8, 0),
	V(M64, "\x40\x88\x30", "mov [rax], sil", STORE, 1, 1, 6, 0, 8, 0),
	V(M64, "\x66\x44\x89\x08", "mov [rax], r9w", STORE, 2, 2, 9, 0, 8, 0),
	V(M64, "\x45\x88\x38", "mov [r8], r15b", STORE, 1, 1, 15, 0, 8, 0),
	V(M64, "\x4c\x89\x54\x24\x08", "mov [rsp+8], r10",
	  STORE, 8, 8, 10, 0, 8, 0),

	/* 64-bit mode: moffs, 8 bytes wide, 4 with 67 */
	V(M64, "\xa1\x88\x77\x66\x55\x44\x33\x22\x11",
	  "movabs eax, [0x1122334455667788]", LOAD, 4, 4, 0, 0, 8, 0),
	V(M64, "\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11",
	  "movabs rax, [0x1122334455667788]", LOAD, 8, 8, 0, 0, 8, 0),
	V(M64, "\xa0\x88\x77\x66\x55\x44\x33\x22\x11",
	  "movabs al, [0x1122334455667788]", LOAD, 1, 1, 0, 0, 8, 0),
	V(M64, "\x48\xa3\x88\x77\x66\x55\x44\x33\x22\x11",
	  "movabs [0x1122334455667788], rax", STORE, 8, 8, 0, 0, 8, 0),
	V(M64, "\x66\xa3\x88\x77\x66\x55\x44\x33\x22\x11",
	  "movabs [0x1122334455667788], ax", STORE, 2, 2, 0, 0, 8, 0),
	V(M64, "\xa2\x88\x77\x66\x55\x44\x33\x22\x11",
	  "movabs [0x1122334455667788], al", STORE, 1, 1, 0, 0, 8, 0),
	V(M64, "\x67\xa0\x78\x56\x34\x12", "addr32 movabs al, [0x12345678]",
	  LOAD, 1, 1, 0, 0, 4, 0),
	V(M64, "\x67\xa3\x78\x56\x34\x12", "addr32 movabs [0x12345678], eax",
	  STORE, 4, 4, 0, 0, 4, 0),

	/* 64-bit mode: MOV immediate */
	V(M64, "\xc6\x00\xab", "mov byte ptr [rax], 0xab",
	  STORE_IMM, 1, 1, 0, 0, 8, 0xab),
	V(M64, "\xc7\x00\x78\x56\x34\x12", "mov dword ptr [rax], 0x12345678",
	  STORE_IMM, 4, 4, 0, 0, 8, 0x12345678),
	V(M64, "\xc7\x44\x24\x08\xff\xff\xff\xff", "mov dword ptr [rsp+8], -1",
	  STORE_IMM, 4, 4, 0, 0, 8, 0xffffffff),
	V(M64, "\x48\xc7\x00\xf0\xff\xff\xff", "mov qword ptr [rax], -16",
	  STORE_IMM, 8, 8, 0, 0, 8, 0xfffffffffffffff0ULL),
	V(M64, "\x48\xc7\x00\x00\x00\x00\x80", "mov qword ptr [rax], -0x80000000",
	  STORE_IMM, 8, 8, 0, 0, 8, 0xffffffff80000000ULL),
	V(M64, "\x48\xc7\x00\xff\xff\xff\x7f", "mov qword ptr [rax], 0x7fffffff",
	  STORE_IMM, 8, 8, 0, 0, 8, 0x7fffffff),
	V(M64, "\x66\xc7\x00\x34\x12", "mov word ptr [rax], 0x1234",
	  STORE_IMM, 2, 2, 0, 0, 8, 0x1234),
	V(M64, "\x66\xc7\x00\x00\x80", "mov word ptr [rax], 0x8000",
	  STORE_IMM, 2, 2, 0, 0, 8, 0x8000),
	V(M64, "\xc7\x80\x00\x01\x00\x00\x01\x00\x00\x00",
	  "mov dword ptr [rax+0x100], 1", STORE_IMM, 4, 4, 0, 0, 8, 1),
	V(M64, "\xc7\x05\x00\x01\x00\x00\x01\x00\x00\x00",
	  "mov dword ptr [rip+0x100], 1", STORE_IMM, 4, 4, 0, 0, 8, 1),
	V(M64, "\x41\xc6\x44\x24\x10\x80", "mov byte ptr [r12+0x10], 0x80",
	  STORE_IMM, 1, 1, 0, 0, 8, 0x80),
	V(M64, "\x44\xc6\x00\xab", NULL, /* REX.R does not extend /0 */
	  STORE_IMM, 1, 1, 0, 0, 8, 0xab),
	V(M64, "\x41\xc7\x00\x01\x00\x00\x00", "mov dword ptr [r8], 1",
	  STORE_IMM, 4, 4, 0, 0, 8, 1),
	V(M64, "\x64\x67\x48\xc7\x84\x8b\x78\x56\x34\x12\xff\xff\xff\xff",
	  "mov qword ptr fs:[ebx+ecx*4+0x12345678], -1",
	  STORE_IMM, 8, 8, 0, 0, 4, 0xffffffffffffffffULL),
	/* 15 bytes: the longest legal instruction */
	V(M64, "\x64\x67\x66\x48\xc7\x84\x8b\x78\x56\x34\x12\x01\x00\x00\x00",
	  "fs data16 addr32 mov qword ptr [ebx+ecx*4+0x12345678], 1",
	  STORE_IMM, 8, 8, 0, 0, 4, 1),

	/* 64-bit mode: MOVZX, MOVSX, MOVSXD */
	V(M64, "\x0f\xb6\x03", "movzx eax, byte ptr [rbx]",
	  LOAD_ZX, 1, 4, 0, 0, 8, 0),
	V(M64, "\x48\x0f\xb6\x03", "movzx rax, byte ptr [rbx]",
	  LOAD_ZX, 1, 8, 0, 0, 8, 0),
	V(M64, "\x66\x0f\xb6\x23", "movzx sp, byte ptr [rbx]",
	  LOAD_ZX, 1, 2, 4, 0, 8, 0),
	V(M64, "\x0f\xb7\x03", "movzx eax, word ptr [rbx]",
	  LOAD_ZX, 2, 4, 0, 0, 8, 0),
	V(M64, "\x4c\x0f\xb7\x03", "movzx r8, word ptr [rbx]",
	  LOAD_ZX, 2, 8, 8, 0, 8, 0),
	V(M64, "\x0f\xbe\x03", "movsx eax, byte ptr [rbx]",
	  LOAD_SX, 1, 4, 0, 0, 8, 0),
	V(M64, "\x0f\xbe\x23", "movsx esp, byte ptr [rbx]",
	  LOAD_SX, 1, 4, 4, 0, 8, 0),
	V(M64, "\x48\x0f\xbf\x03", "movsx rax, word ptr [rbx]",
	  LOAD_SX, 2, 8, 0, 0, 8, 0),
	V(M64, "\x66\x0f\xbe\x4c\x24\x08", "movsx cx, byte ptr [rsp+8]",
	  LOAD_SX, 1, 2, 1, 0, 8, 0),
	V(M64, "\x48\x63\x03", "movsxd rax, dword ptr [rbx]",
	  LOAD_SX, 4, 8, 0, 0, 8, 0),
	V(M64, "\x4c\x63\x4b\x08", "movsxd r9, dword ptr [rbx+8]",
	  LOAD_SX, 4, 8, 9, 0, 8, 0),
	V(M64, "\x63\x03", "movsxd eax, dword ptr [rbx]",
	  LOAD_SX, 4, 4, 0, 0, 8, 0),

	/* 64-bit mode: string operations */
	V(M64, "\xaa", "stosb", STOS, 1, 1, 0, 0, 8, 0),
	V(M64, "\xab", "stosd", STOS, 4, 4, 0, 0, 8, 0),
	V(M64, "\xf3\xab", "rep stosd", STOS, 4, 4, 0, REP, 8, 0),
	V(M64, "\xf3\x48\xab", "rep stosq", STOS, 8, 8, 0, REP, 8, 0),
	V(M64, "\x66\xf3\xab", "rep stosw", STOS, 2, 2, 0, REP, 8, 0),
	V(M64, "\xf3\x66\xab", NULL, /* prefixes in either order */
	  STOS, 2, 2, 0, REP, 8, 0),
	V(M64, "\xf2\xab", "repne stosd", STOS, 4, 4, 0, REP, 8, 0),
	V(M64, "\x67\xf3\xaa", "addr32 rep stosb", STOS, 1, 1, 0, REP, 4, 0),
	V(M64, "\xa4", "movsb", MOVS, 1, 1, 0, 0, 8, 0),
	V(M64, "\xf3\xa4", "rep movsb", MOVS, 1, 1, 0, REP, 8, 0),
	V(M64, "\xf3\x48\xa5", "rep movsq", MOVS, 8, 8, 0, REP, 8, 0),
	V(M64, "\x66\xa5", "movsw", MOVS, 2, 2, 0, 0, 8, 0),
	V(M64, "\x67\xf3\xa5", "addr32 rep movsd", MOVS, 4, 4, 0, REP, 4, 0),

	/* 32-bit mode */
	V(M32, "\x8b\x03", "mov eax, [ebx]", LOAD, 4, 4, 0, 0, 4, 0),
	V(M32, "\x66\x8b\x03", "mov ax, [ebx]", LOAD, 2, 2, 0, 0, 4, 0),
	V(M32, "\x8a\x23", "mov ah, [ebx]", LOAD, 1, 1, 0, HI, 4, 0),
	V(M32, "\x8a\x27", "mov ah, [edi]", LOAD, 1, 1, 0, HI, 4, 0),
	V(M32, "\x8b\x15\x78\x56\x34\x12", "mov edx, [0x12345678]",
	  LOAD, 4, 4, 2, 0, 4, 0),
	V(M32, "\x8b\x3c\x24", "mov edi, [esp]", LOAD, 4, 4, 7, 0, 4, 0),
	V(M32, "\x8b\x44\x24\x04", "mov eax, [esp+4]", LOAD, 4, 4, 0, 0, 4, 0),
	V(M32, "\x8b\x04\x8d\x00\x10\x00\x00", "mov eax, [ecx*4+0x1000]",
	  LOAD, 4, 4, 0, 0, 4, 0),
	V(M32, "\x8b\x45\x00", "mov eax, [ebp]", LOAD, 4, 4, 0, 0, 4, 0),
	V(M32, "\x8b\x95\x00\x01\x00\x00", "mov edx, [ebp+0x100]",
	  LOAD, 4, 4, 2, 0, 4, 0),
	V(M32, "\x67\x8b\x07", "mov eax, [bx]", LOAD, 4, 4, 0, 0, 2, 0),
	V(M32, "\x67\x8b\x0e\x34\x12", "addr16 mov ecx, [0x1234]",
	  LOAD, 4, 4, 1, 0, 2, 0),
	V(M32, "\x64\x8b\x0d\x00\x00\x00\x00", "mov ecx, fs:[0]",
	  LOAD, 4, 4, 1, 0, 4, 0),
	V(M32, "\x3e\x8b\x03", "ds mov eax, [ebx]", LOAD, 4, 4, 0, 0, 4, 0),
	V(M32, "\xa1\x78\x56\x34\x12", "mov eax, [0x12345678]",
	  LOAD, 4, 4, 0, 0, 4, 0),
	V(M32, "\x67\xa1\x34\x12", "addr16 mov eax, [0x1234]",
	  LOAD, 4, 4, 0, 0, 2, 0),
	V(M32, "\xa2\x78\x56\x34\x12", "mov [0x12345678], al",
	  STORE, 1, 1, 0, 0, 4, 0),
	V(M32, "\x66\xa3\x78\x56\x34\x12", "mov [0x12345678], ax",
	  STORE, 2, 2, 0, 0, 4, 0),
	V(M32, "\x89\x18", "mov [eax], ebx", STORE, 4, 4, 3, 0, 4, 0),
	V(M32, "\x88\x3b", "mov [ebx], bh", STORE, 1, 1, 3, HI, 4, 0),
	V(M32, "\x88\x63\x04", "mov [ebx+4], ah", STORE, 1, 1, 0, HI, 4, 0),
	V(M32, "\xc7\x00\x78\x56\x34\x12", "mov dword ptr [eax], 0x12345678",
	  STORE_IMM, 4, 4, 0, 0, 4, 0x12345678),
	V(M32, "\x66\xc7\x00\xfe\xff", "mov word ptr [eax], -2",
	  STORE_IMM, 2, 2, 0, 0, 4, 0xfffe),
	V(M32, "\xc6\x05\x00\x10\x00\x00\x05", "mov byte ptr [0x1000], 5",
	  STORE_IMM, 1, 1, 0, 0, 4, 5),
	V(M32, "\x0f\xb6\x03", "movzx eax, byte ptr [ebx]",
	  LOAD_ZX, 1, 4, 0, 0, 4, 0),
	V(M32, "\x0f\xb7\x03", "movzx eax, word ptr [ebx]",
	  LOAD_ZX, 2, 4, 0, 0, 4, 0),
	V(M32, "\x66\x0f\xbe\x03", "movsx ax, byte ptr [ebx]",
	  LOAD_SX, 1, 2, 0, 0, 4, 0),
	V(M32, "\x0f\xbf\x03", "movsx eax, word ptr [ebx]",
	  LOAD_SX, 2, 4, 0, 0, 4, 0),
	V(M32, "\xaa", "stosb", STOS, 1, 1, 0, 0, 4, 0),
	V(M32, "\xf3\xab", "rep stosd", STOS, 4, 4, 0, REP, 4, 0),
	V(M32, "\x66\xf3\xa5", "rep movsw", MOVS, 2, 2, 0, REP, 4, 0),
	V(M32, "\x67\xf3\xa4", "addr16 rep movsb", MOVS, 1, 1, 0, REP, 2, 0),

	/* 16-bit mode */
	V(M16, "\x8b\x07", "mov ax, [bx]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x8b\x00", "mov ax, [bx+si]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x8b\x0e\x34\x12", "mov cx, [0x1234]", LOAD, 2, 2, 1, 0, 2, 0),
	V(M16, "\x8b\x46\x02", "mov ax, [bp+2]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x8b\x46\x00", "mov ax, [bp]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x8b\x87\x34\x12", "mov ax, [bx+0x1234]",
	  LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x8b\x96\x00\x01", "mov dx, [bp+0x100]",
	  LOAD, 2, 2, 2, 0, 2, 0),
	V(M16, "\x66\x8b\x07", "mov eax, [bx]", LOAD, 4, 4, 0, 0, 2, 0),
	V(M16, "\x67\x8b\x03", "mov ax, [ebx]", LOAD, 2, 2, 0, 0, 4, 0),
	V(M16, "\x67\x8b\x04\x24", "mov ax, [esp]", LOAD, 2, 2, 0, 0, 4, 0),
	V(M16, "\x67\x8b\x0d\x78\x56\x34\x12", "addr32 mov cx, [0x12345678]",
	  LOAD, 2, 2, 1, 0, 4, 0),
	V(M16, "\x67\x66\x8b\x44\x8b\x10", "mov eax, [ebx+ecx*4+0x10]",
	  LOAD, 4, 4, 0, 0, 4, 0),
	V(M16, "\x8a\x27", "mov ah, [bx]", LOAD, 1, 1, 0, HI, 2, 0),
	V(M16, "\x26\x8b\x07", "mov ax, es:[bx]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x2e\x8a\x1e\x34\x12", "mov bl, cs:[0x1234]",
	  LOAD, 1, 1, 3, 0, 2, 0),
	V(M16, "\x36\x8b\x04", "mov ax, ss:[si]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\x88\x3f", "mov [bx], bh", STORE, 1, 1, 3, HI, 2, 0),
	V(M16, "\x89\x1d", "mov [di], bx", STORE, 2, 2, 3, 0, 2, 0),
	V(M16, "\xa1\x34\x12", "mov ax, [0x1234]", LOAD, 2, 2, 0, 0, 2, 0),
	V(M16, "\xa0\x34\x12", "mov al, [0x1234]", LOAD, 1, 1, 0, 0, 2, 0),
	V(M16, "\x67\xa1\x78\x56\x34\x12", "addr32 mov ax, [0x12345678]",
	  LOAD, 2, 2, 0, 0, 4, 0),
	V(M16, "\x66\xa3\x34\x12", "mov [0x1234], eax",
	  STORE, 4, 4, 0, 0, 2, 0),
	V(M16, "\xc6\x07\xab", "mov byte ptr [bx], 0xab",
	  STORE_IMM, 1, 1, 0, 0, 2, 0xab),
	V(M16, "\xc7\x07\x34\x12", "mov word ptr [bx], 0x1234",
	  STORE_IMM, 2, 2, 0, 0, 2, 0x1234),
	V(M16, "\xc7\x06\x34\x12\x78\x56", "mov word ptr [0x1234], 0x5678",
	  STORE_IMM, 2, 2, 0, 0, 2, 0x5678),
	V(M16, "\x66\xc7\x07\xff\xff\xff\xff", "mov dword ptr [bx], -1",
	  STORE_IMM, 4, 4, 0, 0, 2, 0xffffffff),
	V(M16, "\x0f\xb6\x07", "movzx ax, byte ptr [bx]",
	  LOAD_ZX, 1, 2, 0, 0, 2, 0),
	V(M16, "\x66\x0f\xb6\x07", "movzx eax, byte ptr [bx]",
	  LOAD_ZX, 1, 4, 0, 0, 2, 0),
	V(M16, "\x66\x0f\xbf\x07", "movsx eax, word ptr [bx]",
	  LOAD_SX, 2, 4, 0, 0, 2, 0),
	V(M16, "\xab", "stosw", STOS, 2, 2, 0, 0, 2, 0),
	V(M16, "\xf3\xab", "rep stosw", STOS, 2, 2, 0, REP, 2, 0),
	V(M16, "\x66\xf3\xab", "rep stosd", STOS, 4, 4, 0, REP, 2, 0),
	V(M16, "\xf3\xa4", "rep movsb", MOVS, 1, 1, 0, REP, 2, 0),
	V(M16, "\x67\xf3\xa5", "addr32 rep movsw", MOVS, 2, 2, 0, REP, 4, 0),
};

/* An instruction that must be refused, and why. */
#define R(m, b, why) {							\
	.mode = (m), .bytes = (b), .nbytes = sizeof(b) - 1, .text = (why) }

static const struct dec_case invalid[] = {
	R(M64, "\x8b\xc3", "mov eax, ebx: register operand"),
	R(M64, "\x88\xe0", "mov al, ah: register operand"),
	R(M64, "\x0f\xb6\xc0", "movzx eax, al: register operand"),
	R(M64, "\xc7\xc0\x01\x00\x00\x00", "mov eax, 1 (C7 /0): register"),
	R(M64, "\xf0\x89\x03", "lock mov"),
	R(M64, "\xf0\x48\x89\x03", "lock rex.w mov"),
	R(M64, "\x01\x03", "add [rbx], eax: unknown opcode"),
	R(M64, "\xff\x03", "inc dword [rbx]: unknown opcode"),
	R(M64, "\x0f\x10\x03", "movups: unknown two-byte opcode"),
	R(M64, "\x0f\xb8\x03", "0F B8: unknown two-byte opcode"),
	R(M64, "\x0f\x0f\x03\x00", "3DNow!: unknown two-byte opcode"),
	R(M64, "\xc5\xf8\x10\x03", "VEX2 vmovups"),
	R(M64, "\xc4\xe1\x78\x10\x03", "VEX3 vmovups"),
	R(M64, "\x62\xf1\x7c\x48\x10\x03", "EVEX vmovups"),
	R(M64, "\x8f\xe9\x78\x80\x03", "XOP"),
	R(M64, "\xc6\x08\xab", "C6 /1: not a MOV"),
	R(M64, "\xc7\x48\x08\x01\x00\x00\x00", "C7 /1: not a MOV"),
	R(M64, "\xc7\xf8\x00\x00\x00\x00", "xbegin"),
	R(M64, "\x48\x66\x8b\x03", "prefix after REX"),
	R(M64, "\x48\x48\x8b\x03", "two REX prefixes"),
	R(M64, "\x48\x0f", "REX, 0F and nothing"),
	R(M64, "\xf3\x8b\x03", "rep mov"),
	R(M64, "\xf2\x89\x03", "repne mov"),
	R(M64, "\xf3\x0f\xb6\x03", "rep movzx"),
	R(M64, "\x66\x63\x03", "movsxd r16, m32"),
	R(M64, "\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26\x26"
	  "\x8b\x03", "16 bytes: 14 prefixes and 8B 03"),
	R(M64, "\x26\x64\x66\x67\x48\xc7\x84\x8b\x78\x56\x34\x12\x01\x00"
	  "\x00\x00", "16 bytes: prefix on a 15-byte C7"),
	R(M64, "\x66\x66\x66", "prefixes only"),
	R(M64, "\x0f", "0F only"),
	R(M64, "\x48", "REX only"),
	R(M64, "", "nothing"),
	R(M32, "\x48\x8b\x03", "REX.W in 32-bit mode (DEC EAX)"),
	R(M32, "\x41\x8b\x03", "REX.B in 32-bit mode (INC ECX)"),
	R(M32, "\x40\x8a\x23", "REX in 32-bit mode (INC EAX)"),
	R(M16, "\x44\x8a\x03", "REX in 16-bit mode (INC SP)"),
	R(M32, "\x63\x03", "arpl in 32-bit mode"),
	R(M16, "\x63\x07", "arpl in 16-bit mode"),
	R(M32, "\xc5\x03", "lds in 32-bit mode"),
	R(M32, "\x8b\xc3", "mov eax, ebx in 32-bit mode"),
	R(M32, "\xf0\x89\x03", "lock mov in 32-bit mode"),
	R(M16, "\x8b\xc3", "mov ax, bx in 16-bit mode"),
	R(M16, "\xf3\x89\x07", "rep mov in 16-bit mode"),
	R(3, "\x8b\x03", "mode 3"),
	R(0, "\x8b\x03", "mode 0"),
	R(16, "\x8b\x03", "mode 16"),
};

static bool check_valid(struct __test_metadata *_metadata,
			const struct dec_case *c, unsigned int avail,
			const u8 *buf)
{
	struct hvx_insn insn;
	int ret;

	memset(&insn, 0x5a, sizeof(insn));
	ret = hvx_insn_decode(buf, avail, c->mode, &insn);
	if (ret) {
		TH_LOG("mode %u %s: returned %d", c->mode * 8,
		       c->text ?: "", ret);
		return false;
	}
	if (insn.len != c->nbytes || insn.op != c->op ||
	    insn.size != c->size || insn.opsize != c->opsize ||
	    insn.reg != c->reg || insn.high8 != !!(c->flags & HI) ||
	    insn.rep != !!(c->flags & REP) ||
	    insn.addr_size != c->addr_size || insn.imm != c->imm) {
		TH_LOG("mode %u %s:", c->mode * 8, c->text ?: "");
		TH_LOG("  want len %u op %u size %u opsize %u reg %u high8 %d rep %d addr %u imm %#llx",
		       c->nbytes, c->op, c->size, c->opsize, c->reg,
		       !!(c->flags & HI), !!(c->flags & REP), c->addr_size,
		       (unsigned long long)c->imm);
		TH_LOG("  got  len %u op %u size %u opsize %u reg %u high8 %d rep %d addr %u imm %#llx",
		       insn.len, insn.op, insn.size, insn.opsize, insn.reg,
		       insn.high8, insn.rep, insn.addr_size,
		       (unsigned long long)insn.imm);
		return false;
	}
	return true;
}

TEST(decode_valid)
{
	unsigned int i, failed = 0;
	u8 buf[32];

	for (i = 0; i < ARRAY_SIZE(valid); i++) {
		const struct dec_case *c = &valid[i];

		ASSERT_GE((unsigned int)HVX_INSN_MAX_LEN, c->nbytes);
		/* Exactly the instruction, then followed by junk. */
		memcpy(buf, c->bytes, c->nbytes);
		if (!check_valid(_metadata, c, c->nbytes, buf))
			failed++;
		memset(buf + c->nbytes, 0x90, sizeof(buf) - c->nbytes);
		if (!check_valid(_metadata, c, sizeof(buf), buf))
			failed++;
		memset(buf + c->nbytes, 0xff, sizeof(buf) - c->nbytes);
		if (!check_valid(_metadata, c, sizeof(buf), buf))
			failed++;
	}
	EXPECT_EQ(0U, failed);
	TH_LOG("%zu valid encodings", ARRAY_SIZE(valid));
}

/*
 * Every valid encoding cut short is -ENODATA, which tells hvx to fault in
 * the next page of the instruction, not an unknown one.
 */
TEST(decode_truncated)
{
	struct hvx_insn insn;
	unsigned int i, avail, failed = 0;

	for (i = 0; i < ARRAY_SIZE(valid); i++) {
		const struct dec_case *c = &valid[i];

		for (avail = 0; avail < c->nbytes; avail++) {
			/* A copy, so that reading past avail would be caught
			 * by sanitizers.
			 */
			u8 *buf = malloc(avail ? avail : 1);

			ASSERT_NE(NULL, buf);
			memcpy(buf, c->bytes, avail);
			if (hvx_insn_decode(buf, avail, c->mode, &insn) !=
			    -ENODATA) {
				TH_LOG("mode %u %s: not -ENODATA with %u of %u bytes",
				       c->mode * 8, c->text ?: "", avail,
				       c->nbytes);
				failed++;
			}
			free(buf);
		}
	}
	EXPECT_EQ(0U, failed);
}

TEST(decode_invalid)
{
	struct hvx_insn insn;
	unsigned int i, failed = 0;
	u8 buf[32];

	for (i = 0; i < ARRAY_SIZE(invalid); i++) {
		const struct dec_case *c = &invalid[i];
		int ret;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, c->bytes, c->nbytes);
		ret = hvx_insn_decode(buf, sizeof(buf), c->mode, &insn);
		if (ret != -EINVAL) {
			TH_LOG("%s: returned %d", c->text, ret);
			failed++;
		}
	}
	EXPECT_EQ(0U, failed);
	TH_LOG("%zu invalid encodings", ARRAY_SIZE(invalid));
}

/* Decode @bytes (which must succeed) into @insn. */
#define DECODE(mode, bytes, insn)					\
	ASSERT_EQ(0, hvx_insn_decode((const u8 *)(bytes), sizeof(bytes) - 1, \
				     (mode), (insn)))

TEST(load_result)
{
	const u64 old = 0x1122334455667788ULL;
	const u64 ones = ~0ULL;
	struct hvx_insn insn;

	/* mov eax, [rbx]: a 32-bit write clears bits 63:32 */
	DECODE(M64, "\x8b\x03", &insn);
	EXPECT_EQ(0x89abcdefULL, hvx_insn_load_result(&insn, ones,
						      0x89abcdefULL));
	/* data beyond the access size is ignored */
	EXPECT_EQ(0x89abcdefULL, hvx_insn_load_result(&insn, old,
						      0xdeadbeef89abcdefULL));
	/* mov rax, [rbx] */
	DECODE(M64, "\x48\x8b\x03", &insn);
	EXPECT_EQ(0xfedcba9876543210ULL,
		  hvx_insn_load_result(&insn, old, 0xfedcba9876543210ULL));
	/* mov ax, [rbx]: 16-bit write keeps bits 63:16 */
	DECODE(M64, "\x66\x8b\x03", &insn);
	EXPECT_EQ(0x112233445566abcdULL,
		  hvx_insn_load_result(&insn, old, 0xffffabcdULL));
	/* mov al, [rbx] */
	DECODE(M64, "\x8a\x03", &insn);
	EXPECT_EQ(0x11223344556677abULL,
		  hvx_insn_load_result(&insn, old, 0x12abULL));
	/* mov ah, [rbx]: merges into bits 15:8 of RAX */
	DECODE(M64, "\x8a\x23", &insn);
	EXPECT_EQ(0, insn.reg);
	EXPECT_EQ(0x112233445566ab88ULL,
		  hvx_insn_load_result(&insn, old, 0x12abULL));
	/* mov spl, [rbx]: REX makes reg 4 SPL, the low byte of RSP */
	DECODE(M64, "\x40\x8a\x23", &insn);
	EXPECT_EQ(4, insn.reg);
	EXPECT_EQ(0x11223344556677abULL,
		  hvx_insn_load_result(&insn, old, 0xabULL));
	/* movzx eax, byte ptr [rbx] */
	DECODE(M64, "\x0f\xb6\x03", &insn);
	EXPECT_EQ(0x80ULL, hvx_insn_load_result(&insn, ones, 0xff80ULL));
	/* movzx rax, word ptr [rbx] */
	DECODE(M64, "\x48\x0f\xb7\x03", &insn);
	EXPECT_EQ(0xffffULL, hvx_insn_load_result(&insn, old, 0x1ffffULL));
	/* movzx ax, byte ptr [rbx] */
	DECODE(M64, "\x66\x0f\xb6\x03", &insn);
	EXPECT_EQ(0x1122334455660080ULL,
		  hvx_insn_load_result(&insn, old, 0x80ULL));
	/* movsx eax, byte ptr [rbx]: 0xffffff80, zero-extended to 64 */
	DECODE(M64, "\x0f\xbe\x03", &insn);
	EXPECT_EQ(0xffffff80ULL, hvx_insn_load_result(&insn, old, 0x80ULL));
	EXPECT_EQ(0x7fULL, hvx_insn_load_result(&insn, ones, 0x7fULL));
	/* movsx rax, byte ptr [rbx] */
	DECODE(M64, "\x48\x0f\xbe\x03", &insn);
	EXPECT_EQ(0xffffffffffffff80ULL,
		  hvx_insn_load_result(&insn, old, 0x80ULL));
	/* movsx cx, byte ptr [rsp+8]: bits 63:16 kept */
	DECODE(M64, "\x66\x0f\xbe\x4c\x24\x08", &insn);
	EXPECT_EQ(0x112233445566ff80ULL,
		  hvx_insn_load_result(&insn, old, 0x80ULL));
	/* movsx eax, word ptr [rbx] */
	DECODE(M64, "\x0f\xbf\x03", &insn);
	EXPECT_EQ(0xffff8000ULL, hvx_insn_load_result(&insn, old, 0x8000ULL));
	/* movsx rax, word ptr [rbx] */
	DECODE(M64, "\x48\x0f\xbf\x03", &insn);
	EXPECT_EQ(0xffffffffffff8000ULL,
		  hvx_insn_load_result(&insn, old, 0x8000ULL));
	EXPECT_EQ(0x7fffULL, hvx_insn_load_result(&insn, old, 0x7fffULL));
	/* movsxd rax, dword ptr [rbx] */
	DECODE(M64, "\x48\x63\x03", &insn);
	EXPECT_EQ(0xffffffff80000000ULL,
		  hvx_insn_load_result(&insn, old, 0x80000000ULL));
	EXPECT_EQ(0x7fffffffULL,
		  hvx_insn_load_result(&insn, ones, 0x7fffffffULL));
	/* movsxd eax, dword ptr [rbx]: a plain 32-bit move */
	DECODE(M64, "\x63\x03", &insn);
	EXPECT_EQ(0x80000000ULL,
		  hvx_insn_load_result(&insn, ones, 0x80000000ULL));
	/* movabs rax, [moffs64] */
	DECODE(M64, "\x48\xa1\x00\x00\x00\x00\x00\x00\x00\x00", &insn);
	EXPECT_EQ(0x8000000000000001ULL,
		  hvx_insn_load_result(&insn, old, 0x8000000000000001ULL));
	/* 16-bit mode: mov ah, [bx]; mov ax, [bx]; movzx eax, byte */
	DECODE(M16, "\x8a\x27", &insn);
	EXPECT_EQ(0x112233445566cd88ULL,
		  hvx_insn_load_result(&insn, old, 0xcdULL));
	DECODE(M16, "\x8b\x07", &insn);
	EXPECT_EQ(0x1122334455661234ULL,
		  hvx_insn_load_result(&insn, old, 0x1234ULL));
	DECODE(M16, "\x66\x0f\xb6\x07", &insn);
	EXPECT_EQ(0xfeULL, hvx_insn_load_result(&insn, old, 0xfeULL));
}

TEST(store_value)
{
	const u64 val = 0x1122334455667788ULL;
	struct hvx_insn insn;

	/* mov [rax], ebx */
	DECODE(M64, "\x89\x18", &insn);
	EXPECT_EQ(0x55667788ULL, hvx_insn_store_value(&insn, val));
	/* mov [rax], rbx */
	DECODE(M64, "\x48\x89\x18", &insn);
	EXPECT_EQ(val, hvx_insn_store_value(&insn, val));
	/* mov [rax], r9w */
	DECODE(M64, "\x66\x44\x89\x08", &insn);
	EXPECT_EQ(9, insn.reg);
	EXPECT_EQ(0x7788ULL, hvx_insn_store_value(&insn, val));
	/* mov [rax], bl */
	DECODE(M64, "\x88\x18", &insn);
	EXPECT_EQ(0x88ULL, hvx_insn_store_value(&insn, val));
	/* mov [rax], bh: bits 15:8 of RBX */
	DECODE(M64, "\x88\x38", &insn);
	EXPECT_EQ(3, insn.reg);
	EXPECT_EQ(0x77ULL, hvx_insn_store_value(&insn, val));
	/* mov [rax], dil */
	DECODE(M64, "\x40\x88\x38", &insn);
	EXPECT_EQ(7, insn.reg);
	EXPECT_EQ(0x88ULL, hvx_insn_store_value(&insn, val));
	/* mov [moffs64], ax */
	DECODE(M64, "\x66\xa3\x00\x00\x00\x00\x00\x00\x00\x00", &insn);
	EXPECT_EQ(0x7788ULL, hvx_insn_store_value(&insn, val));
	/* immediates: the register value is ignored */
	DECODE(M64, "\x48\xc7\x00\xf0\xff\xff\xff", &insn);
	EXPECT_EQ(0xfffffffffffffff0ULL, hvx_insn_store_value(&insn, val));
	DECODE(M64, "\xc7\x00\xff\xff\xff\xff", &insn);
	EXPECT_EQ(0xffffffffULL, hvx_insn_store_value(&insn, val));
	DECODE(M64, "\x66\xc7\x00\x00\x80", &insn);
	EXPECT_EQ(0x8000ULL, hvx_insn_store_value(&insn, val));
	DECODE(M64, "\xc6\x00\x80", &insn);
	EXPECT_EQ(0x80ULL, hvx_insn_store_value(&insn, val));
	/* rep stosw, rep stosq: from RAX */
	DECODE(M64, "\x66\xf3\xab", &insn);
	EXPECT_EQ(0x7788ULL, hvx_insn_store_value(&insn, val));
	DECODE(M64, "\xf3\x48\xab", &insn);
	EXPECT_EQ(val, hvx_insn_store_value(&insn, val));
	/* 32-bit mode: mov [ebx+4], ah */
	DECODE(M32, "\x88\x63\x04", &insn);
	EXPECT_EQ(0, insn.reg);
	EXPECT_EQ(0x77ULL, hvx_insn_store_value(&insn, val));
	/* 16-bit mode: mov [di], bx */
	DECODE(M16, "\x89\x1d", &insn);
	EXPECT_EQ(0x7788ULL, hvx_insn_store_value(&insn, val));
}

TEST_HARNESS_MAIN
