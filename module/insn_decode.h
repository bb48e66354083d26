/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder for the few x86 instructions that guests use to access MMIO.
 *
 * When a guest touches guest-physical memory with no backing, hvx fetches
 * the bytes of the faulting instruction and decodes them here to learn the
 * size and direction of the access, the register involved and, for stores,
 * the value.  Only plain moves, MOVZX/MOVSX/MOVSXD and the STOS/MOVS string
 * moves are known; everything else is refused, never guessed at.
 *
 * The decoder needs nothing from the kernel but its integer types, so the
 * host-side unit test builds this code in userspace.
 */
#ifndef HVX_MODULE_INSN_DECODE_H
#define HVX_MODULE_INSN_DECODE_H

#include <linux/types.h>

/* Longest x86 instruction; longer byte sequences fault on real hardware. */
#define HVX_INSN_MAX_LEN	15

/* Code segment modes for hvx_insn_decode(): the default address size. */
#define HVX_INSN_MODE_16	2	/* 16-bit code segment */
#define HVX_INSN_MODE_32	4	/* 32-bit code segment */
#define HVX_INSN_MODE_64	8	/* 64-bit code segment (CS.L=1) */

/**
 * enum hvx_insn_op - what a decoded instruction does
 * @HVX_INSN_LOAD:	MOV reg, [mem] (8A, 8B, A0, A1)
 * @HVX_INSN_STORE:	MOV [mem], reg (88, 89, A2, A3)
 * @HVX_INSN_STORE_IMM:	MOV [mem], imm (C6 /0, C7 /0)
 * @HVX_INSN_LOAD_ZX:	MOVZX reg, [mem] (0F B6, 0F B7)
 * @HVX_INSN_LOAD_SX:	MOVSX reg, [mem] (0F BE, 0F BF), MOVSXD (63)
 * @HVX_INSN_STOS:	STOSB/W/D/Q (AA, AB), possibly with REP
 * @HVX_INSN_MOVS:	MOVSB/W/D/Q (A4, A5), possibly with REP
 */
enum hvx_insn_op {
	HVX_INSN_LOAD,
	HVX_INSN_STORE,
	HVX_INSN_STORE_IMM,
	HVX_INSN_LOAD_ZX,
	HVX_INSN_LOAD_SX,
	HVX_INSN_STOS,
	HVX_INSN_MOVS,
};

/**
 * struct hvx_insn - a decoded MMIO instruction
 * @len:	total length in bytes, prefixes included
 * @op:		enum hvx_insn_op
 * @size:	bytes accessed in memory: 1, 2, 4 or 8
 * @opsize:	size of the register operand: the destination of a LOAD_ZX or
 *		LOAD_SX; equal to @size for every other operation
 * @reg:	GPR of the register operand (RAX=0 ... R15=15).  For the
 *		forms with an implied register (A0-A3, STOS) it is 0 (RAX);
 *		for STORE_IMM and MOVS it is 0 and unused.  With @high8 it is
 *		the GPR (0..3) whose bits 15:8 are accessed
 * @high8:	the register operand is AH, CH, DH or BH
 * @rep:	F3 (or F2) prefix on a string operation
 * @addr_size:	address size in bytes, 2, 4 or 8; for string operations
 *		the width of RCX, RSI and RDI
 * @imm:	STORE_IMM: the immediate, sign-extended to @size bytes
 */
struct hvx_insn {
	u8 len;
	u8 op;
	u8 size;
	u8 opsize;
	u8 reg;
	bool high8;
	bool rep;
	u8 addr_size;
	u64 imm;
};

int hvx_insn_decode(const u8 *bytes, unsigned int avail, unsigned int mode,
		    struct hvx_insn *insn);
u64 hvx_insn_load_result(const struct hvx_insn *insn, u64 old, u64 data);

/**
 * hvx_insn_store_value() - data written to memory by a store
 * @insn:	a decoded STORE, STORE_IMM or STOS
 * @regval:	the full 64-bit value of register @insn->reg (ignored for
 *		STORE_IMM)
 *
 * Inline: every posted MMIO store needs it.
 *
 * Return: the @insn->size bytes stored, in the low bits of the result.
 */
static inline u64 hvx_insn_store_value(const struct hvx_insn *insn,
				       u64 regval)
{
	u64 mask = insn->size >= 8 ? ~0ULL : (1ULL << (8 * insn->size)) - 1;

	if (insn->op == HVX_INSN_STORE_IMM)
		return insn->imm & mask;
	if (insn->high8)
		return (regval >> 8) & 0xff;
	return regval & mask;
}

#endif /* HVX_MODULE_INSN_DECODE_H */
