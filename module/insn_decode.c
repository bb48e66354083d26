// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder for the x86 instructions that guests use to access MMIO.
 *
 * An instruction is: legacy prefixes, in 64-bit mode an optional REX byte
 * right before the opcode, a one-byte opcode or 0F and a second byte, then
 * for most forms a ModRM byte, maybe a SIB byte and a displacement, and
 * last an offset (A0-A3) or an immediate (C6, C7).  The effective address
 * is not computed: the EPT violation already reports the guest-physical
 * address, so only the length and the operands matter here.
 *
 * Anything outside the short table below is refused with -EINVAL: hvx
 * would rather stop a guest than emulate an access it did not understand.
 */
#include <linux/types.h>
#include <linux/errno.h>

#include "insn_decode.h"

/* REX prefix bits */
#define REX_B		0x01
#define REX_X		0x02
#define REX_R		0x04
#define REX_W		0x08

/* How an opcode is encoded and what its memory operand is. */
#define D_KNOWN		0x0001	/* the opcode is in the table */
#define D_MODRM		0x0002	/* ModRM addresses the memory operand */
#define D_MOFFS		0x0004	/* address-size offset follows (A0-A3) */
#define D_STRING	0x0008	/* implicit rSI/rDI, takes REP */
#define D_IMM		0x0010	/* immediate follows (C6, C7) */
#define D_BYTE		0x0020	/* memory operand is a byte */
#define D_WORD		0x0040	/* memory operand is a word */
#define D_DWORD		0x0080	/* memory operand is a doubleword */
#define D_LONG		0x0100	/* exists in 64-bit mode only */
#define D_REG0		0x0200	/* ModRM reg field must be 0 (/0) */

struct hvx_insn_desc {
	u8 op;
	u16 flags;
};

#define OP(o, f)	{ .op = HVX_INSN_##o, .flags = D_KNOWN | (f) }

/* Indexed by [0F seen][opcode byte]; unlisted opcodes are unknown. */
static const struct hvx_insn_desc hvx_insn_table[2][256] = {
	[0] = {
		[0x88] = OP(STORE,     D_MODRM | D_BYTE),
		[0x89] = OP(STORE,     D_MODRM),
		[0x8a] = OP(LOAD,      D_MODRM | D_BYTE),
		[0x8b] = OP(LOAD,      D_MODRM),
		[0x63] = OP(LOAD_SX,   D_MODRM | D_DWORD | D_LONG),
		[0xa0] = OP(LOAD,      D_MOFFS | D_BYTE),
		[0xa1] = OP(LOAD,      D_MOFFS),
		[0xa2] = OP(STORE,     D_MOFFS | D_BYTE),
		[0xa3] = OP(STORE,     D_MOFFS),
		[0xa4] = OP(MOVS,      D_STRING | D_BYTE),
		[0xa5] = OP(MOVS,      D_STRING),
		[0xaa] = OP(STOS,      D_STRING | D_BYTE),
		[0xab] = OP(STOS,      D_STRING),
		[0xc6] = OP(STORE_IMM, D_MODRM | D_REG0 | D_IMM | D_BYTE),
		[0xc7] = OP(STORE_IMM, D_MODRM | D_REG0 | D_IMM),
	},
	[1] = {
		[0xb6] = OP(LOAD_ZX,   D_MODRM | D_BYTE),
		[0xb7] = OP(LOAD_ZX,   D_MODRM | D_WORD),
		[0xbe] = OP(LOAD_SX,   D_MODRM | D_BYTE),
		[0xbf] = OP(LOAD_SX,   D_MODRM | D_WORD),
	},
};

/*
 * Bytes still to be consumed; never more than HVX_INSN_MAX_LEN in all.
 * @ran_out: a read found the bytes at their end.
 */
struct hvx_insn_cursor {
	const u8 *bytes;
	unsigned int end;
	unsigned int pos;
	bool ran_out;
};

/* Consume @n bytes as a little-endian number into @val (may be NULL). */
static int hvx_insn_take(struct hvx_insn_cursor *c, unsigned int n, u64 *val)
{
	u64 v = 0;
	unsigned int i;

	if (n > c->end - c->pos) {
		c->ran_out = true;
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		v |= (u64)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	if (val)
		*val = v;
	return 0;
}

static u64 hvx_insn_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static u64 hvx_insn_sext(u64 v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return (u64)((s64)(v << shift) >> shift);
}

/*
 * Consume ModRM, SIB and displacement.  Only memory forms are accepted;
 * returns the ModRM byte or a negative errno.
 */
static int hvx_insn_modrm(struct hvx_insn_cursor *c, unsigned int addr_size)
{
	unsigned int mod, rm, disp;
	u64 modrm, sib;

	if (hvx_insn_take(c, 1, &modrm))
		return -EINVAL;
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return -EINVAL;

	if (addr_size == 2) {
		/* [BX+SI] ... [BX]; mod 0 rm 6 is a bare disp16 */
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || rm == 6)
			disp = 2;
		else
			disp = 0;
	} else {
		/*
		 * rm 4 brings a SIB byte, whose base 5 with mod 0 is a bare
		 * disp32; rm 5 with mod 0 is disp32, RIP-relative in 64-bit
		 * mode.  REX.B and REX.X extend the registers but change none
		 * of this.
		 */
		sib = 0;
		if (rm == 4 && hvx_insn_take(c, 1, &sib))
			return -EINVAL;
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || rm == 5 || (rm == 4 && (sib & 7) == 5))
			disp = 4;
		else
			disp = 0;
	}
	if (hvx_insn_take(c, disp, NULL))
		return -EINVAL;
	return modrm;
}

/* The prefixes before an opcode, and whether it is a two-byte one. */
struct insn_prefixes {
	bool osize, asize, rep, two_byte;
	u64 rex;
};

/*
 * Read the legacy prefixes (segment overrides ignored), REX and 0F.
 * Return: the opcode byte, or -EINVAL when the bytes end first.
 */
static int take_prefixes(struct hvx_insn_cursor *c, unsigned int mode,
			 struct insn_prefixes *p)
{
	u64 b;

	for (;;) {
		if (hvx_insn_take(c, 1, &b))
			return -EINVAL;
		if (b == 0x66)
			p->osize = true;
		else if (b == 0x67)
			p->asize = true;
		else if (b == 0xf2 || b == 0xf3)
			p->rep = true;
		else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e &&
			 b != 0x64 && b != 0x65)
			break;
	}
	/*
	 * 40-4F are REX only in 64-bit mode (INC/DEC otherwise, not in the
	 * table).  A prefix after REX would void it: that, a second REX and
	 * LOCK (F0) all end up as unknown opcodes below.
	 */
	if (mode == HVX_INSN_MODE_64 && (b & 0xf0) == 0x40) {
		p->rex = b;
		if (hvx_insn_take(c, 1, &b))
			return -EINVAL;
	}
	if (b == 0x0f) {
		p->two_byte = true;
		if (hvx_insn_take(c, 1, &b))
			return -EINVAL;
	}
	return b;
}

/*
 * The memory operand's size (@size), the register's (@opsize: they
 * differ only for MOVZX and MOVSX), and the address size.
 * Return: 0, or -EINVAL for MOVSXD to a 16-bit register.
 */
static int operand_sizes(const struct hvx_insn_desc *d, unsigned int mode,
			 const struct insn_prefixes *p, unsigned int *size,
			 unsigned int *opsize, unsigned int *addr_size)
{
	unsigned int os = mode == HVX_INSN_MODE_16 ? 2 : 4;

	if (p->osize)
		os = os == 2 ? 4 : 2;
	if (p->rex & REX_W)
		os = 8;
	*addr_size = mode;
	if (p->asize)
		*addr_size = mode == HVX_INSN_MODE_32 ? 2 : 4;

	if (d->flags & D_BYTE)
		*size = 1;
	else if (d->flags & D_WORD)
		*size = 2;
	else if (d->flags & D_DWORD)
		*size = 4;
	else
		*size = os;
	if (d->op != HVX_INSN_LOAD_ZX && d->op != HVX_INSN_LOAD_SX)
		os = *size;
	if (os < *size)	/* MOVSXD r16, m32 */
		return -EINVAL;
	*opsize = os;
	return 0;
}

/* hvx_insn_decode() from the cursor @c on; -EINVAL for any failure. */
static int decode(struct hvx_insn_cursor *c, unsigned int mode,
		  struct hvx_insn *insn)
{
	unsigned int opsize, addr_size, size, reg = 0;
	const struct hvx_insn_desc *d;
	struct insn_prefixes p = {};
	int op, modrm;
	u64 imm = 0;

	if (mode != HVX_INSN_MODE_16 && mode != HVX_INSN_MODE_32 &&
	    mode != HVX_INSN_MODE_64)
		return -EINVAL;
	op = take_prefixes(c, mode, &p);
	if (op < 0)
		return op;
	d = &hvx_insn_table[p.two_byte][op];
	if (!(d->flags & D_KNOWN))
		return -EINVAL;
	if ((d->flags & D_LONG) && mode != HVX_INSN_MODE_64)
		return -EINVAL;
	if (p.rep && !(d->flags & D_STRING))
		return -EINVAL;
	if (operand_sizes(d, mode, &p, &size, &opsize, &addr_size))
		return -EINVAL;

	if (d->flags & D_MODRM) {
		modrm = hvx_insn_modrm(c, addr_size);
		if (modrm < 0)
			return -EINVAL;
		reg = ((modrm >> 3) & 7) | (p.rex & REX_R ? 8 : 0);
		if ((d->flags & D_REG0) && (reg & 7))	/* REX.R ignored */
			return -EINVAL;
	} else if (d->flags & D_MOFFS) {
		if (hvx_insn_take(c, addr_size, NULL))
			return -EINVAL;
	}
	if (d->flags & D_IMM) {
		if (hvx_insn_take(c, size < 4 ? size : 4, &imm))
			return -EINVAL;
		imm = hvx_insn_sext(imm, size < 4 ? size : 4) &
		      hvx_insn_mask(size);
	}
	if (d->op == HVX_INSN_STORE_IMM || d->op == HVX_INSN_MOVS)
		reg = 0;

	*insn = (struct hvx_insn) {
		.len = c->pos,
		.op = d->op,
		.size = size,
		.opsize = opsize,
		.reg = reg,
		.rep = p.rep,
		.addr_size = addr_size,
		.imm = imm,
	};
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (opsize == 1 && !p.rex && reg >= 4) {
		insn->high8 = true;
		insn->reg = reg - 4;
	}
	return 0;
}

/**
 * hvx_insn_decode() - decode an instruction that accessed MMIO
 * @bytes:	the instruction bytes, from its first prefix on
 * @avail:	number of valid bytes at @bytes
 * @mode:	HVX_INSN_MODE_16, _32 or _64: the code segment's default
 *		address size in bytes
 * @insn:	filled with the result on success
 *
 * Accepts legacy prefixes (66, 67, segment overrides, F2/F3 on string
 * operations only), a REX prefix in 64-bit mode when it comes last, and
 * the memory forms of the opcodes listed in enum hvx_insn_op.  MOVSXD is
 * accepted with a 64-bit or 32-bit destination; its 16-bit form, whose
 * behaviour differs between vendors, is not.
 *
 * Return: 0 on success; -ENODATA when fewer than HVX_INSN_MAX_LEN bytes
 * were given and the instruction goes on past them (the caller may have
 * more to read); -EINVAL for an unknown or unsupported instruction
 * (register operand, LOCK, VEX, REP on a non-string operation, ...), an
 * invalid @mode, or one longer than HVX_INSN_MAX_LEN bytes.
 */
int hvx_insn_decode(const u8 *bytes, unsigned int avail, unsigned int mode,
		    struct hvx_insn *insn)
{
	struct hvx_insn_cursor c = {
		.bytes = bytes,
		.end = avail < HVX_INSN_MAX_LEN ? avail : HVX_INSN_MAX_LEN,
	};
	int ret;

	ret = decode(&c, mode, insn);
	if (ret && c.ran_out && c.end < HVX_INSN_MAX_LEN)
		return -ENODATA;
	return ret;
}

/**
 * hvx_insn_load_result() - value of the destination register after a load
 * @insn:	a decoded LOAD, LOAD_ZX or LOAD_SX
 * @old:	the full 64-bit value of register @insn->reg before the load
 * @data:	the data read from memory; bits above @insn->size are ignored
 *
 * Extends @data as the instruction does and writes it into @old with the
 * rules of the architecture: a 32-bit destination clears bits 63:32, an
 * 8-bit or 16-bit one leaves the other bits alone, AH..BH land in 15:8.
 *
 * Return: the new 64-bit value of register @insn->reg.
 */
u64 hvx_insn_load_result(const struct hvx_insn *insn, u64 old, u64 data)
{
	u64 val = data & hvx_insn_mask(insn->size);

	if (insn->op == HVX_INSN_LOAD_SX)
		val = hvx_insn_sext(val, insn->size);

	switch (insn->opsize) {
	case 8:
		return val;
	case 4:
		return val & 0xffffffffULL;
	case 2:
		return (old & ~0xffffULL) | (val & 0xffff);
	default:
		if (insn->high8)
			return (old & ~0xff00ULL) | ((val & 0xff) << 8);
		return (old & ~0xffULL) | (val & 0xff);
	}
}
