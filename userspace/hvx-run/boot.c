// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the state vCPU 0 starts in, per boot mode.
 *
 * Real mode (flat images) needs nothing in RAM.  Protected mode (ELF32)
 * gets a flat GDT in the last page below min(RAM, 4 GiB); long mode
 * (ELF64) gets, at the top of RAM, 4-level page tables identity-mapping
 * the first max(4 GiB, RAM) in 2 MiB pages and a GDT in the page below
 * them.  The stack starts right below the GDT.  Linux (bzImage) gets the
 * same long mode with the GDT and page tables in low memory instead, at
 * the fixed addresses of LINUX_* in hvx-run.h, and its own selectors
 * (__BOOT_CS 0x10, __BOOT_DS 0x18, as the boot protocol asks), since the
 * top of RAM holds the initrd.  A multiboot kernel starts as an ELF32
 * image does, with the multiboot magic in EAX and its information
 * structure in EBX.  Documentation/hvx-run.rst
 * gives the addresses; the descriptors follow the Intel SDM, "Segment
 * Descriptors" and "Hierarchical Paging Structures".
 */
#include <inttypes.h>
#include <string.h>

#include "hvx-run.h"

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define RFLAGS_FIXED	0x2ULL

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

/* GDT descriptors: flat 4 GiB, present, DPL 0. */
#define DESC_CODE32	0x00cf9b000000ffffULL	/* execute/read, D, G */
#define DESC_CODE64	0x00af9b000000ffffULL	/* execute/read, L, G */
#define DESC_DATA	0x00cf93000000ffffULL	/* read/write, B, G */
#define GDT_ENTRIES	3
#define GDT_LIMIT	(GDT_ENTRIES * 8 - 1)
#define LINUX_GDT_LIMIT	((LINUX_DS_SEL / 8 + 1) * 8 - 1)

/* The same segments in the VMCS access-rights format. */
#define AR_CODE16	(0xb | HVX_AR_S | HVX_AR_P)
#define AR_DATA16	(0x3 | HVX_AR_S | HVX_AR_P)
#define AR_CODE32	(AR_CODE16 | HVX_AR_DB | HVX_AR_G)
#define AR_CODE64	(AR_CODE16 | HVX_AR_L | HVX_AR_G)
#define AR_DATA32	(AR_DATA16 | HVX_AR_DB | HVX_AR_G)
#define AR_TSS_BUSY	(0xb | HVX_AR_P)
#define AR_LDT		(0x2 | HVX_AR_P)

static const char *const mode_names[] = {
	[BOOT_REAL16] = "16-bit real mode",
	[BOOT_PROT32] = "32-bit protected mode",
	[BOOT_LONG64] = "64-bit mode",
	[BOOT_LINUX64] = "64-bit Linux boot protocol",
	[BOOT_MULTIBOOT] = "multiboot (32-bit protected mode)",
};

/**
 * boot_mode_name() - for messages
 * @mode: enum boot_mode
 *
 * Return: "16-bit real mode" and so on.
 */
const char *boot_mode_name(enum boot_mode mode)
{
	return mode_names[mode];
}

/**
 * boot_layout() - where the boot structures of @mode go
 * @mode: the boot mode
 * @ram_size: bytes of guest RAM at guest-physical 0, a page multiple
 * @bl: filled in
 *
 * The caller checks that RAM is large enough (boot_cpu_state() does).
 */
void boot_layout(enum boot_mode mode, uint64_t ram_size,
		 struct boot_layout *bl)
{
	uint64_t top, mapped;

	memset(bl, 0, sizeof(*bl));
	switch (mode) {
	case BOOT_REAL16:
		bl->rsvd_lo = bl->rsvd_hi = ram_size;
		break;
	case BOOT_PROT32:
	case BOOT_MULTIBOOT:
		top = ram_size < SZ_4G ? ram_size : SZ_4G;
		bl->gdt = top - SZ_4K;
		bl->stack = bl->gdt;
		bl->rsvd_lo = bl->gdt;
		bl->rsvd_hi = top;
		break;
	case BOOT_LONG64:
		mapped = ram_size > SZ_4G ? ram_size : SZ_4G;
		bl->npd = (mapped + SZ_1G - 1) / SZ_1G;
		bl->pml4 = ram_size - (2 + bl->npd) * SZ_4K;
		bl->pdpt = bl->pml4 + SZ_4K;
		bl->pd = bl->pdpt + SZ_4K;
		bl->gdt = bl->pml4 - SZ_4K;
		bl->stack = bl->gdt;
		bl->rsvd_lo = bl->gdt;
		bl->rsvd_hi = ram_size;
		break;
	case BOOT_LINUX64:
		bl->npd = LINUX_NPD;
		bl->gdt = LINUX_GDT;
		bl->pml4 = LINUX_PML4;
		bl->pdpt = bl->pml4 + SZ_4K;
		bl->pd = bl->pdpt + SZ_4K;
		bl->stack = LINUX_STACK;
		bl->rsvd_lo = LINUX_GDT;
		bl->rsvd_hi = LINUX_LOW_END;
		break;
	}
}

/**
 * boot_write_tables() - put the GDT and page tables of @mode into RAM
 * @mode: the boot mode
 * @bl: from boot_layout()
 * @ram: guest RAM
 */
void boot_write_tables(enum boot_mode mode, const struct boot_layout *bl,
		       void *ram)
{
	uint8_t *base = ram;
	uint64_t *gdt, *pml4, *pdpt, *pd, i;

	if (mode == BOOT_REAL16)
		return;

	gdt = (uint64_t *)(base + bl->gdt);
	memset(gdt, 0, SZ_4K);
	if (mode == BOOT_LINUX64) {
		gdt[LINUX_CS_SEL / 8] = DESC_CODE64;
		gdt[LINUX_DS_SEL / 8] = DESC_DATA;
	} else {
		gdt[BOOT_CS_SEL / 8] = mode == BOOT_LONG64 ? DESC_CODE64 :
				       DESC_CODE32;
		gdt[BOOT_DS_SEL / 8] = DESC_DATA;
	}
	if (mode == BOOT_PROT32 || mode == BOOT_MULTIBOOT)
		return;

	pml4 = (uint64_t *)(base + bl->pml4);
	pdpt = (uint64_t *)(base + bl->pdpt);
	pd = (uint64_t *)(base + bl->pd);
	memset(pml4, 0, (2 + bl->npd) * SZ_4K);
	pml4[0] = bl->pdpt | PTE_P | PTE_RW;
	for (i = 0; i < bl->npd; i++)
		pdpt[i] = (bl->pd + i * SZ_4K) | PTE_P | PTE_RW;
	for (i = 0; i < bl->npd * 512; i++)
		pd[i] = (i * SZ_2M) | PTE_P | PTE_RW | PTE_PS;
}

static struct hvx_segment seg(uint16_t sel, uint64_t base, uint32_t limit,
			      uint32_t ar)
{
	struct hvx_segment s = {
		.base = base, .limit = limit, .selector = sel, .ar = ar,
	};

	return s;
}

static void real_mode(const struct load_info *li, struct hvx_regs *regs,
		      struct hvx_sregs *sregs)
{
	/* CS = 0 while the entry is below 64 KiB, else its 64 KiB frame. */
	uint16_t cs = (li->entry >> 4) & 0xf000;
	struct hvx_segment data = seg(0, 0, 0xffff, AR_DATA16);

	sregs->cs = seg(cs, (uint64_t)cs << 4, 0xffff, AR_CODE16);
	sregs->ds = data;
	sregs->es = data;
	sregs->fs = data;
	sregs->gs = data;
	sregs->ss = data;
	sregs->gdt.base = 0;
	sregs->gdt.limit = 0xffff;
	sregs->idt.base = 0;
	sregs->idt.limit = 0x3ff;
	sregs->cr0 = X86_CR0_ET;
	regs->rip = li->entry & 0xffff;
	/* The stack grows down from the load address, or from 64 KiB. */
	regs->rsp = li->low < SZ_64K ? li->low : 0;
}

static void flat_mode(enum boot_mode mode, const struct boot_layout *bl,
		      const struct load_info *li, struct hvx_regs *regs,
		      struct hvx_sregs *sregs)
{
	bool linux64 = mode == BOOT_LINUX64;
	bool lm = mode == BOOT_LONG64 || linux64;
	struct hvx_segment data = seg(linux64 ? LINUX_DS_SEL : BOOT_DS_SEL, 0,
				      0xffffffff, AR_DATA32);

	sregs->cs = seg(linux64 ? LINUX_CS_SEL : BOOT_CS_SEL, 0, 0xffffffff,
			lm ? AR_CODE64 : AR_CODE32);
	sregs->ds = data;
	sregs->es = data;
	sregs->fs = data;
	sregs->gs = data;
	sregs->ss = data;
	sregs->gdt.base = bl->gdt;
	sregs->gdt.limit = linux64 ? LINUX_GDT_LIMIT : GDT_LIMIT;
	/* No IDT: any exception is a triple fault. */
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE;
	sregs->cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	if (lm) {
		sregs->cr0 |= X86_CR0_WP | X86_CR0_PG;
		sregs->cr3 = bl->pml4;
		sregs->cr4 |= X86_CR4_PAE;
		sregs->efer = EFER_LME | EFER_LMA;
	}
	regs->rip = li->entry;
	regs->rsp = bl->stack;
	/* the 64-bit boot protocol: RSI holds the boot_params page */
	if (linux64)
		regs->rsi = li->boot_params;
	/* multiboot: the magic in EAX, the information structure in EBX */
	if (mode == BOOT_MULTIBOOT) {
		regs->rax = MB_BOOT_MAGIC;
		regs->rbx = li->mb_info;
	}
}

/**
 * boot_cpu_state() - the registers vCPU 0 starts with
 * @li: the loaded image: its mode, entry and load address
 * @bl: from boot_layout()
 * @regs: in: the vCPU's registers after RESET; out: RIP, RSP and RFLAGS
 *	  set for @li (and RSI for Linux, EAX and EBX for multiboot), the
 *	  rest kept
 * @sregs: filled in: segments, descriptor tables, CR0, CR3, CR4, EFER
 * @err: message on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set when a real-mode entry is beyond 1 MiB
 * or the image overlaps the boot structures.
 */
int boot_cpu_state(const struct load_info *li, const struct boot_layout *bl,
		   struct hvx_regs *regs, struct hvx_sregs *sregs,
		   char *err, size_t errlen)
{
	struct hvx_sregs s;

	memset(&s, 0, sizeof(s));
	s.tr = seg(0, 0, 0xffff, AR_TSS_BUSY);
	s.ldt = seg(0, 0, 0xffff, AR_LDT);

	switch (li->mode) {
	case BOOT_REAL16:
		if (li->entry >= SZ_1M)
			return errf(err, errlen,
				    "entry 0x%" PRIx64 " is beyond the first MiB that real mode reaches",
				    li->entry);
		real_mode(li, regs, &s);
		break;
	case BOOT_PROT32:
	case BOOT_LONG64:
	case BOOT_LINUX64:
	case BOOT_MULTIBOOT:
		/*
		 * The entry is used as given: one that the VM-entry checks
		 * on RIP refuse (bits 63:32 set outside 64-bit mode) makes
		 * the entry fail, which is what hvx-run reports.
		 */
		if (bl->rsvd_lo < li->high && li->low < bl->rsvd_hi)
			return errf(err, errlen,
				    "the image overlaps the boot structures of %s at 0x%" PRIx64 "-0x%" PRIx64,
				    boot_mode_name(li->mode), bl->rsvd_lo,
				    bl->rsvd_hi - 1);
		flat_mode(li->mode, bl, li, regs, &s);
		break;
	}
	regs->rflags = RFLAGS_FIXED;
	*sregs = s;
	return 0;
}
