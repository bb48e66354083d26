// SPDX-License-Identifier: GPL-2.0
/*
 * modes_test: tiny assembly guests in the processor modes a boot loader
 * goes through: 16-bit real mode (arithmetic, segments, a software
 * interrupt through the IVT, port I/O), the switch to 32-bit protected
 * mode through a GDT and a far jump, 32-bit paging with 4 MiB and 4 KiB
 * pages, the switch to long mode (PAE, EFER.LME by WRMSR, CR0.PG, far jump
 * to 64-bit code), a start directly in flat 32-bit protected mode, PAE
 * paging's cached PDPTEs (and their save and restore), the #AC loop a
 * hostile 32-bit guest builds to hang the host core, and an external
 * interrupt (HVX_INTERRUPT) through the IVT and through the IDT.
 *
 * Each image is assembled below for one load address, BLOB_GPA, so every
 * absolute address in it is written "label - start + BLOB".  Results go
 * to ports and to memory at RESULT_GPA; the host checks both and the
 * registers hvx reports.  Modes without paging need VMX's unrestricted
 * guest.
 */
#include <signal.h>

#include "hvx_harness.h"

#define BLOB_GPA	0x1000
#define RESULT_GPA	0x500
#define TINY_RAM	(4 * MiB)
#define TINY_SP		0x7000
#define PAE_MMIO_GPA	0x800000	/* beyond TINY_RAM */

/*
 * The images live in .rodata: the host never runs them, it copies them.
 * ENTER_PM32: from real mode with DS = 0, load the image's GDT and far
 * jump to its 32-bit code (selector 0x08).
 */
asm(
"	.pushsection .rodata.hvx_modes, \"a\"\n"
"	.set BLOB, " XSTR(BLOB_GPA) "\n"
"	.macro ENTER_PM32 start, gdtr, target\n"
"	cli\n"
"	xorw	%ax, %ax\n"
"	movw	%ax, %ds\n"
"	lgdtl	\\gdtr - \\start + BLOB\n"
"	movl	%cr0, %eax\n"
"	orl	$1, %eax\n"
"	movl	%eax, %cr0\n"
"	ljmpl	$0x08, $(\\target - \\start + BLOB)\n"
"	.endm\n"
/* null, 0x08 code32, 0x10 data, 0x18 code64, and its GDTR */
"	.macro GDT start, gdt\n"
"	.balign 8\n"
"\\gdt:\n"
"	.quad 0, 0x00cf9b000000ffff, 0x00cf93000000ffff, 0x00af9b000000ffff\n"
"\\gdt\\()r:\n"
"	.word 4 * 8 - 1\n"
"	.long \\gdt - \\start + BLOB\n"
"	.endm\n"
/* paging on: CR4 |= CR4_BITS (PSE, PAE), CR3 = 0x10000, CR0.PG */
"	.macro PAGING_ON cr4_bits\n"
"	movl	%cr4, %eax\n"
"	orl	$\\cr4_bits, %eax\n"
"	movl	%eax, %cr4\n"
"	movl	$0x10000, %eax\n"
"	movl	%eax, %cr3\n"
"	movl	%cr0, %eax\n"
"	orl	$0x80000000, %eax\n"
"	movl	%eax, %cr0\n"
"	.endm\n"
"	.macro DATA_SEGS\n"
"	movw	$0x10, %ax\n"
"	movw	%ax, %ds\n"
"	movw	%ax, %es\n"
"	movw	%ax, %ss\n"
"	.endm\n"

/* Real mode: sum 1..100, a store through ES = 0x2000, OUT, HLT. */
"	.balign 16\n"
"	.code16\n"
"rm_calc_start:\n"
"	xorw	%ax, %ax\n"
"	movw	%ax, %ds\n"
"	movw	$100, %cx\n"
"1:	addw	%cx, %ax\n"
"	loop	1b\n"
"	movw	%ax, 0x500\n"
"	movw	$0x2000, %bx\n"
"	movw	%bx, %es\n"
"	movw	$0x1234, %es:0x10\n"
"	outw	%ax, $0x10\n"
"	hlt\n"
"rm_calc_end:\n"

/*
 * Real mode: REP INSB of 16 bytes at ES:DI = 0x1000:0xfff8, where DI wraps
 * after 8 to 0x1000:0x0000; then REP OUTSB of the same 16 bytes back from
 * DS:SI = 0x1000:0xfff8; DI and SI out, HLT.
 */
"	.balign 16\n"
"rm_wrap_start:\n"
"	movw	$0x1000, %ax\n"
"	movw	%ax, %es\n"
"	movw	%ax, %ds\n"
"	cld\n"
"	movw	$0xfff8, %di\n"
"	movw	$16, %cx\n"
"	movw	$0x18, %dx\n"
"	rep insb\n"
"	movw	%di, %ax\n"
"	outw	%ax, $0x19\n"
"	movw	$0xfff8, %si\n"
"	movw	$16, %cx\n"
"	rep outsb\n"
"	movw	%si, %ax\n"
"	outw	%ax, $0x19\n"
"	hlt\n"
"rm_wrap_end:\n"

/* Real mode: INT 0x80 through the IVT, then IN and OUT of a byte. */
"	.balign 16\n"
"rm_int_start:\n"
"	xorw	%ax, %ax\n"
"	movw	%ax, %ds\n"
"	movw	%ax, %ss\n"
"	movw	$0x7000, %sp\n"
"	movw	$(rm_int_handler - rm_int_start + BLOB), 0x80 * 4\n"
"	movw	$0, 0x80 * 4 + 2\n"
"	movb	$0x55, %bl\n"
"	int	$0x80\n"
"	movb	%bl, 0x520\n"
"	outb	%al, $0x16\n"
"	inb	$0x17, %al\n"
"	movb	%al, 0x521\n"
"	incb	%al\n"
"	outb	%al, $0x17\n"
"	hlt\n"
"rm_int_handler:\n"
"	movb	$0x42, %al\n"
"	incb	%bl\n"
"	iret\n"
"rm_int_end:\n"

/* Real mode to 32-bit protected mode, no paging. */
"	.balign 16\n"
"rm_pm_start:\n"
"	ENTER_PM32 rm_pm_start, rm_pm_gdtr, rm_pm_32\n"
"	.code32\n"
"rm_pm_32:\n"
"	DATA_SEGS\n"
"	movl	$0x7000, %esp\n"
"	movl	$0xcafef00d, 0x504\n"
"	movl	$0xcafef00d, %eax\n"
"	outl	%eax, $0x11\n"
"	hlt\n"
"	GDT rm_pm_start, rm_pm_gdt\n"
"rm_pm_end:\n"

/*
 * 32-bit paging: page directory at 0x10000 with a 4 MiB identity page,
 * a 4 MiB alias of it at 0xc0000000, and at 0x40000000 a page table
 * (0x11000) whose entry 5 maps 0x40005000 to 0x2000.
 */
"	.balign 16\n"
"	.code16\n"
"pg_start:\n"
"	ENTER_PM32 pg_start, pg_gdtr, pg_32\n"
"	.code32\n"
"pg_32:\n"
"	DATA_SEGS\n"
"	movl	$0x00000083, 0x10000\n"
"	movl	$0x00000083, 0x10000 + 0x300 * 4\n"
"	movl	$0x00011003, 0x10000 + 0x100 * 4\n"
"	movl	$0x00002003, 0x11000 + 5 * 4\n"
"	PAGING_ON 0x10\n"		/* PSE */
"	movl	$0x600dbeef, 0xc0000508\n"
"	movl	0x508, %eax\n"
"	outl	%eax, $0x12\n"
"	movl	$0x4b1d4b1d, 0x40005008\n"
"	movl	0x2008, %eax\n"
"	outl	%eax, $0x13\n"
"	hlt\n"
"	GDT pg_start, pg_gdt\n"
"pg_end:\n"

/*
 * Real mode to long mode: 4-level tables at 0x10000 (PML4), 0x11000
 * (PDPT), 0x12000 (PD, two 2 MiB pages), CR4.PAE, EFER.LME, CR0.PG, far
 * jump to the 64-bit code segment 0x18.
 */
"	.balign 16\n"
"	.code16\n"
"lm_start:\n"
"	ENTER_PM32 lm_start, lm_gdtr, lm_32\n"
"	.code32\n"
"lm_32:\n"
"	DATA_SEGS\n"
"	movl	$0x11003, 0x10000\n"
"	movl	$0x12003, 0x11000\n"
"	movl	$0x00000083, 0x12000\n"
"	movl	$0x00200083, 0x12008\n"
"	movl	%cr4, %eax\n"
"	orl	$0x20, %eax\n"		/* PAE */
"	movl	%eax, %cr4\n"
"	movl	$0x10000, %eax\n"
"	movl	%eax, %cr3\n"
"	movl	$0xc0000080, %ecx\n"	/* EFER */
"	rdmsr\n"
"	orl	$0x100, %eax\n"		/* LME */
"	wrmsr\n"
"	movl	%cr0, %eax\n"
"	orl	$0x80000000, %eax\n"
"	movl	%eax, %cr0\n"
"	ljmp	$0x18, $(lm_64 - lm_start + BLOB)\n"
"	.code64\n"
"lm_64:\n"
"	DATA_SEGS\n"
"	movl	$0x7000, %esp\n"
"	movabsq	$0x1122334455667788, %rax\n"
"	movq	%rax, 0x510\n"
"	pushq	%rax\n"
"	popq	%rbx\n"
"	movl	$0x4c4d3634, %eax\n"
"	outl	%eax, $0x14\n"
"	hlt\n"
"	GDT lm_start, lm_gdt\n"
"lm_end:\n"

/* Started in flat 32-bit protected mode: 2^10 by doubling, OUT, HLT. */
"	.balign 16\n"
"	.code32\n"
"p32_start:\n"
"	movl	$1, %eax\n"
"	movl	$10, %ecx\n"
"1:	addl	%eax, %eax\n"
"	loop	1b\n"
"	movl	%eax, 0x514\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"p32_end:\n"

/*
 * PAE paging from flat 32-bit protected mode: PDPT at 0x10000, PD at
 * 0x11000 mapping 0-2 MiB and the MMIO page at PAE_MMIO_GPA with 2 MiB
 * pages.  With paging on, PDPTE 0 is cleared in memory: the processor
 * keeps the PDPTEs of the last CR3 load, so the code still runs and the
 * MMIO store still reaches its page.  OUT 0x600d, HLT.
 */
"pae_start:\n"
"	movl	$0x11001, 0x10000\n"
"	movl	$0x83, 0x11000\n"
"	movl	$(" XSTR(PAE_MMIO_GPA) " | 0x83), 0x11000 + 8 * ("
	XSTR(PAE_MMIO_GPA) " >> 21)\n"
"	PAGING_ON 0x20\n"		/* PAE */
"	movl	$0, 0x10000\n"
"	movl	$0x12345678, " XSTR(PAE_MMIO_GPA) " + 0x10\n"
"	movl	$0x11001, 0x10000\n"
"	movl	$0x600d, %eax\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"pae_end:\n"

/*
 * PAE paging as in pae_start, then PDPTE 0 cleared in memory for good:
 * the code runs on through the PDPTE of the CR3 load, which neither a
 * WRMSR to EFER nor a MOV to CR0 that sets only WP loads again.  OUT 1,
 * OUT 0x600d, HLT, all fetched through that PDPTE.
 */
"pdpte_start:\n"
"	movl	$0x11001, 0x10000\n"
"	movl	$0x83, 0x11000\n"
"	PAGING_ON 0x20\n"		/* PAE */
"	movl	$0, 0x10000\n"
"	movl	$0xc0000080, %ecx\n"	/* EFER */
"	rdmsr\n"
"	wrmsr\n"
"	movl	%cr0, %eax\n"
"	orl	$0x10000, %eax\n"	/* WP */
"	movl	%eax, %cr0\n"
"	movl	$1, %eax\n"
"	outl	%eax, $0x15\n"
"	movl	$0x600d, %eax\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"pdpte_end:\n"

/*
 * The #AC loop of CVE-2015-5307, from flat 32-bit protected mode: CR0.AM
 * on, to CPL 3 with RFLAGS.AC and a misaligned stack, a misaligned load.
 * Its #AC goes through a gate to a conforming code segment, so CPL stays
 * 3 and the frame is pushed to the misaligned stack: #AC again, for
 * ever.  Hardware loops in microcode and the core never takes another
 * interrupt, unless the hypervisor intercepts #AC.
 */
"	.balign 16\n"
"ac_start:\n"
"	lgdtl	ac_gdtr - ac_start + BLOB\n"
"	ljmpl	$0x08, $(1f - ac_start + BLOB)\n"
"1:	movw	$0x10, %ax\n"
"	movw	%ax, %ds\n"
"	movw	%ax, %es\n"
"	movw	%ax, %ss\n"
"	lidtl	ac_idtr - ac_start + BLOB\n"
"	movl	%cr0, %eax\n"
"	orl	$0x40000, %eax\n"		/* CR0.AM */
"	movl	%eax, %cr0\n"
"	pushl	$0x23\n"			/* user SS */
"	pushl	$0x7001\n"			/* misaligned user ESP */
"	pushl	$0x40002\n"			/* RFLAGS.AC */
"	pushl	$0x1b\n"			/* user CS */
"	pushl	$(ac_user - ac_start + BLOB)\n"
"	iretl\n"
"ac_user:\n"
"	movw	$0x23, %ax\n"			/* IRET nulled the DPL 0 DS */
"	movw	%ax, %ds\n"
"	movl	0x6001, %eax\n"
"	outl	%eax, $0x15\n"			/* never: #AC first */
"1:	jmp	1b\n"
"ac_handler:\n"
"	outl	%eax, $0x16\n"			/* never: the frame faults */
"1:	jmp	1b\n"
"	.balign 8\n"
/* null, 0x08 code, 0x10 data, 0x18 user code, 0x20 user data, 0x28 conforming code */
"ac_gdt:\n"
"	.quad 0, 0x00cf9b000000ffff, 0x00cf93000000ffff\n"
"	.quad 0x00cffb000000ffff, 0x00cff3000000ffff, 0x00cf9f000000ffff\n"
"ac_gdtr:\n"
"	.word 6 * 8 - 1\n"
"	.long ac_gdt - ac_start + BLOB\n"
"	.balign 8\n"
"ac_idt:\n"
"	.fill 17, 8, 0\n"
"	.word (ac_handler - ac_start + BLOB) & 0xffff, 0x28\n"
"	.byte 0, 0x8e\n"
"	.word (ac_handler - ac_start + BLOB) >> 16\n"
"ac_idtr:\n"
"	.word 18 * 8 - 1\n"
"	.long ac_idt - ac_start + BLOB\n"
"ac_end:\n"

/*
 * An external interrupt in protected mode: IDT gate 0x20 to a handler that
 * stores 0x5678 at RESULT_GPA; STI, the shadow, then the result out.
 */
"	.balign 16\n"
"pi_start:\n"
"	lidtl	pi_idtr - pi_start + BLOB\n"
"	sti\n"
"	nop\n"
"	cli\n"
"	movl	" XSTR(RESULT_GPA) ", %eax\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"pi_handler:\n"
"	movl	$0x5678, " XSTR(RESULT_GPA) "\n"
"	iretl\n"
"	.balign 8\n"
"pi_idt:\n"
"	.fill 0x20, 8, 0\n"
"	.word (pi_handler - pi_start + BLOB) & 0xffff, 0x08\n"
"	.byte 0, 0x8e\n"
"	.word (pi_handler - pi_start + BLOB) >> 16\n"
"pi_idtr:\n"
"	.word 0x21 * 8 - 1\n"
"	.long pi_idt - pi_start + BLOB\n"
"pi_end:\n"
"	.code16\n"

/* The same in real mode, through IVT entry 0x20. */
"ri_start:\n"
"	xorw	%ax, %ax\n"
"	movw	%ax, %ds\n"
"	movw	$(ri_handler - ri_start + BLOB), 0x80\n"
"	movw	%ax, 0x82\n"
"	sti\n"
"	nop\n"
"	cli\n"
"	movw	" XSTR(RESULT_GPA) ", %ax\n"
"	outw	%ax, $0x15\n"
"	hlt\n"
"ri_handler:\n"
"	movw	$0x1234, " XSTR(RESULT_GPA) "\n"
"	iret\n"
"ri_end:\n"
/*
 * Flat 32-bit protected mode: MOV to DR7 from EAX, whose register's
 * upper half the test sets, then DR7 read back to ECX.  OUT ECX, HLT.
 */
"	.code32\n"
"dr32_start:\n"
"	movl	%eax, %dr7\n"
"	movl	%dr7, %ecx\n"
"	movl	%ecx, %eax\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"dr32_end:\n"
/*
 * Flat 32-bit protected mode: PAE, EFER.LME, then paging on, which
 * would enter long mode.  The test has set CS.L: the MOV to CR0 raises
 * #GP, and without an IDT the guest shuts down.  OUT 1 if it does not.
 */
"lcs_start:\n"
"	movl	%cr4, %eax\n"
"	orl	$0x20, %eax\n"
"	movl	%eax, %cr4\n"
"	movl	$0xc0000080, %ecx\n"
"	rdmsr\n"
"	orl	$0x100, %eax\n"
"	wrmsr\n"
"	movl	$0x10000, %eax\n"
"	movl	%eax, %cr3\n"
"	movl	%cr0, %eax\n"
"	orl	$0x80000000, %eax\n"
"	movl	%eax, %cr0\n"
"	movl	$1, %eax\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"lcs_end:\n"
"	.code64\n"
"	.popsection\n");

extern const char rm_calc_start[], rm_calc_end[];
extern const char rm_int_start[], rm_int_end[];
extern const char rm_wrap_start[], rm_wrap_end[];
extern const char rm_pm_start[], rm_pm_end[], rm_pm_gdt[];
extern const char pg_start[], pg_end[];
extern const char lm_start[], lm_end[];
extern const char p32_start[], p32_end[];
extern const char pae_start[], pae_end[];
extern const char pdpte_start[], pdpte_end[];
extern const char ac_start[], ac_end[];
extern const char pi_start[], pi_end[];
extern const char ri_start[], ri_end[];
extern const char dr32_start[], dr32_end[];
extern const char lcs_start[], lcs_end[];

/* A bare VM with the image at BLOB_GPA and vCPU 0 at its start. */
static struct test_vm *tiny_vm(struct test_vcpu **vcpu, const char *start,
			       const char *end, bool real_mode)
{
	struct test_vm *vm = vm_create_bare(TINY_RAM);

	vm_load_blob(vm, BLOB_GPA, start, end);
	*vcpu = vm_vcpu_add_bare(vm, 0);
	if (real_mode)
		vcpu_setup_real_mode(*vcpu, BLOB_GPA, TINY_SP);
	else
		vcpu_setup_pm32(*vcpu, 0x800, BLOB_GPA, TINY_SP);
	return vm;
}

/* Run to a one-element I/O exit; OUT: check the data; IN: supply it. */
static void expect_io(struct test_vcpu *vcpu, int dir, uint16_t port,
		      uint8_t size, uint32_t data)
{
	struct hvx_run *run = vcpu->run;
	uint32_t got = 0;
	uint8_t *d;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	TEST_ASSERT(run->io.direction == dir && run->io.port == port &&
		    run->io.size == size && run->io.count == 1,
		    "want %s port %#x size %u, got %s port %#x size %u count %u",
		    dir == HVX_IO_OUT ? "out" : "in", port, size,
		    run->io.direction == HVX_IO_OUT ? "out" : "in",
		    run->io.port, run->io.size, run->io.count);
	d = (uint8_t *)run + run->io.data_offset;
	if (dir == HVX_IO_OUT) {
		memcpy(&got, d, size);
		TEST_ASSERT_EQ(got, data);
	} else {
		memcpy(d, &data, size);
	}
}

static void expect_hlt(struct test_vcpu *vcpu)
{
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HLT);
}

static uint64_t peek(struct test_vm *vm, uint64_t gpa, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, addr_gpa2hva(vm, gpa, size), size);
	return v;
}

#define REQUIRE_UG()	HVX_REQUIRE_VMX(HVX_VMX_UNRESTRICTED_GUEST)

HVX_TEST(real_mode_arith)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, rm_calc_start, rm_calc_end, true);
	expect_io(vcpu, HVX_IO_OUT, 0x10, 2, 5050);
	expect_hlt(vcpu);
	EXPECT_EQ(5050, peek(vm, RESULT_GPA, 2));
	EXPECT_EQ(0x1234, peek(vm, 0x20010, 2));	/* 0x2000:0x10 */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(5050, regs.rax & 0xffff);
	EXPECT_EQ(0, regs.rcx & 0xffff);
	/* HLT exits with RIP past the HLT: here the end of the image. */
	EXPECT_EQ(BLOB_GPA + (rm_calc_end - rm_calc_start), regs.rip);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cr0 & X86_CR0_PE);
	EXPECT_EQ(0x2000, sregs.es.selector);
	EXPECT_EQ(0x20000, sregs.es.base);
	vm_free(vm);
}

/*
 * Serve REP INSB (or check REP OUTSB) of the bytes 1-16 at port 0x18,
 * however many exits they take.
 */
static void wrap_io(struct __test_metadata *_metadata,
		    struct test_vcpu *vcpu, int dir)
{
	struct hvx_run *run = vcpu->run;
	uint8_t next = 1, *d;
	unsigned int i;

	while (next <= 16) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
		ASSERT_EQ(dir, run->io.direction);
		ASSERT_EQ(0x18, run->io.port);
		ASSERT_GE(16 - next + 1, run->io.count);
		d = (uint8_t *)run + run->io.data_offset;
		for (i = 0; i < run->io.count; i++, next++) {
			if (dir == HVX_IO_IN)
				d[i] = next;
			else
				EXPECT_EQ(next, d[i]);
		}
	}
}

/*
 * The 16 bytes of a string I/O whose index wraps at 16 bits: bytes 1-8
 * are at 0x1fff8 and bytes 9-16 at 0x10000, nothing past the segment's
 * end at 0x20000, and OUTS reads them back from the same places.
 */
HVX_TEST(real_mode_string_io_wraps)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, rm_wrap_start, rm_wrap_end, true);
	wrap_io(_metadata, vcpu, HVX_IO_IN);
	expect_io(vcpu, HVX_IO_OUT, 0x19, 2, 0x0008);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(1 + i, peek(vm, 0x1fff8 + i, 1));
		EXPECT_EQ(9 + i, peek(vm, 0x10000 + i, 1));
	}
	EXPECT_EQ(0, peek(vm, 0x20000, 8));
	wrap_io(_metadata, vcpu, HVX_IO_OUT);
	expect_io(vcpu, HVX_IO_OUT, 0x19, 2, 0x0008);
	expect_hlt(vcpu);
	vm_free(vm);
}

HVX_TEST(real_mode_int_and_in)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, rm_int_start, rm_int_end, true);
	expect_io(vcpu, HVX_IO_OUT, 0x16, 1, 0x42);
	expect_io(vcpu, HVX_IO_IN, 0x17, 1, 0x99);
	expect_io(vcpu, HVX_IO_OUT, 0x17, 1, 0x9a);
	expect_hlt(vcpu);
	EXPECT_EQ(0x56, peek(vm, 0x520, 1));
	EXPECT_EQ(0x99, peek(vm, 0x521, 1));
	vm_free(vm);
}

HVX_TEST(real_to_protected)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, rm_pm_start, rm_pm_end, true);
	expect_io(vcpu, HVX_IO_OUT, 0x11, 4, 0xcafef00d);
	expect_hlt(vcpu);
	EXPECT_EQ(0xcafef00d, peek(vm, 0x504, 4));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_TRUE(sregs.cr0 & X86_CR0_PE);
	EXPECT_FALSE(sregs.cr0 & X86_CR0_PG);
	EXPECT_EQ(0x08, sregs.cs.selector);
	EXPECT_TRUE(sregs.cs.ar & HVX_AR_DB);
	EXPECT_EQ(0x10, sregs.ds.selector);
	EXPECT_EQ(0xffffffff, sregs.ds.limit);
	EXPECT_EQ(BLOB_GPA + (rm_pm_gdt - rm_pm_start), sregs.gdt.base);
	EXPECT_EQ(4 * 8 - 1, sregs.gdt.limit);
	vm_free(vm);
}

HVX_TEST(protected_paging)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, pg_start, pg_end, true);
	expect_io(vcpu, HVX_IO_OUT, 0x12, 4, 0x600dbeef);
	expect_io(vcpu, HVX_IO_OUT, 0x13, 4, 0x4b1d4b1d);
	expect_hlt(vcpu);
	EXPECT_EQ(0x600dbeef, peek(vm, 0x508, 4));
	EXPECT_EQ(0x4b1d4b1d, peek(vm, 0x2008, 4));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(X86_CR0_PE | X86_CR0_PG,
		  sregs.cr0 & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_TRUE(sregs.cr4 & X86_CR4_PSE);
	EXPECT_EQ(0x10000, sregs.cr3);
	EXPECT_FALSE(sregs.efer & EFER_LMA);
	vm_free(vm);
}

HVX_TEST(real_to_long)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, lm_start, lm_end, true);
	expect_io(vcpu, HVX_IO_OUT, 0x14, 4, 0x4c4d3634);
	expect_hlt(vcpu);
	EXPECT_EQ(0x1122334455667788ULL, peek(vm, 0x510, 8));
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x1122334455667788ULL, regs.rbx);
	EXPECT_EQ(0x7000, regs.rsp);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(EFER_LME | EFER_LMA, sregs.efer & (EFER_LME | EFER_LMA));
	EXPECT_EQ(X86_CR0_PE | X86_CR0_PG,
		  sregs.cr0 & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_TRUE(sregs.cr4 & X86_CR4_PAE);
	EXPECT_EQ(0x10000, sregs.cr3);
	EXPECT_EQ(0x18, sregs.cs.selector);
	EXPECT_TRUE(sregs.cs.ar & HVX_AR_L);
	EXPECT_FALSE(sregs.cs.ar & HVX_AR_DB);
	vm_free(vm);
}

/*
 * The same way into long mode with a 16-bit busy TSS in TR: the MOV to
 * CR0 raises #GP, as the SDM says of a processor (MOV to CR0, "the TR
 * references a 16-bit TSS"), and without an IDT the guest shuts down
 * with paging off.  A state set in long mode with such a TR (a VMM's own
 * making) gets the 64-bit busy type VM entry requires.
 */
HVX_TEST(real_to_long_with_16bit_tss)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, lm_start, lm_end, true);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.tr.ar = (sregs.tr.ar & ~HVX_AR_TYPE_MASK) | 3;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_FALSE(sregs.cr0 & X86_CR0_PG);
	EXPECT_FALSE(sregs.efer & EFER_LMA);
	EXPECT_EQ(3, sregs.tr.ar & HVX_AR_TYPE_MASK);
	vm_free(vm);

	/* the whole way with a 64-bit one: TR stays as it was */
	vm = tiny_vm(&vcpu, lm_start, lm_end, true);
	expect_io(vcpu, HVX_IO_OUT, 0x14, 4, 0x4c4d3634);
	expect_hlt(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_TRUE(sregs.efer & EFER_LMA);
	EXPECT_EQ(11, sregs.tr.ar & HVX_AR_TYPE_MASK);
	vm_free(vm);
}

HVX_TEST(start_in_protected_mode)
{
	struct test_vcpu *vcpu;
	struct hvx_regs regs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, p32_start, p32_end, false);
	expect_io(vcpu, HVX_IO_OUT, 0x15, 4, 1024);
	expect_hlt(vcpu);
	EXPECT_EQ(1024, peek(vm, 0x514, 4));
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(1024, regs.rax);
	EXPECT_EQ(0, regs.rcx);
	vm_free(vm);
}

/*
 * Outside 64-bit mode a MOV to a debug register takes the 32 bits of its
 * register: what the register's upper half holds (from 64-bit code run
 * before, or from userspace) is no reserved bit of DR7, and no #GP.
 */
HVX_TEST(dr7_write_in_protected_mode_takes_32_bits)
{
	struct test_vcpu *vcpu;
	struct hvx_regs regs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, dr32_start, dr32_end, false);
	vcpu_regs_get(vcpu, &regs);
	regs.rax = 0xdead000000000600ULL;	/* GE, bit 10 (always 1) */
	vcpu_regs_set(vcpu, &regs);
	expect_io(vcpu, HVX_IO_OUT, 0x15, 4, 0x600);
	expect_hlt(vcpu);
	vm_free(vm);
}

/*
 * Paging on with EFER.LME would enter long mode: with CS.L set (which
 * counts for nothing outside IA-32e mode) the MOV to CR0 raises #GP, as
 * on a processor, instead of making a CS that is 64-bit and 32-bit that
 * VM entry refuses.  Without an IDT the #GP shuts the guest down.
 */
HVX_TEST(long_mode_with_cs_l_set_is_gp)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, lcs_start, lcs_end, false);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cs.ar |= HVX_AR_L;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_FALSE(sregs.cr0 & X86_CR0_PG);
	EXPECT_FALSE(sregs.efer & EFER_LMA);
	vm_free(vm);
}

/*
 * An MMIO store under PAE paging, its PDPTE gone from memory but not from
 * the processor: hvx reads the instruction through the PDPTEs the guest
 * runs on, and emulates the store.
 */
HVX_TEST(pae_mmio_uses_cached_pdptes)
{
	struct test_vcpu *vcpu;
	struct hvx_run *run;
	struct test_vm *vm;
	uint32_t data = 0;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, pae_start, pae_end, false);
	run = vcpu->run;
	memset(run->mmio.pad, 0xff, sizeof(run->mmio.pad));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(PAE_MMIO_GPA + 0x10, run->mmio.phys_addr);
	EXPECT_EQ(4, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	/* zero, not what the page held (0xff, set before the run) */
	EXPECT_EQ(0, run->mmio.pad[0] | run->mmio.pad[1] | run->mmio.pad[2]);
	memcpy(&data, run->mmio.data, 4);
	EXPECT_EQ(0x12345678, data);
	expect_io(vcpu, HVX_IO_OUT, 0x15, 4, 0x600d);
	expect_hlt(vcpu);
	EXPECT_EQ(0x11001, peek(vm, 0x10000, 4));
	vm_free(vm);
}

/* A guest of pdpte_start at its OUT 1, and the PDPTEs it runs on. */
static struct test_vm *pdpte_vm(struct __test_metadata *_metadata,
				struct test_vcpu **vcpu,
				struct hvx_pdptrs *saved)
{
	struct test_vm *vm = tiny_vm(vcpu, pdpte_start, pdpte_end, false);
	int i;

	expect_io(*vcpu, HVX_IO_OUT, 0x15, 4, 1);
	EXPECT_EQ(0, peek(vm, 0x10000, 8));
	EXPECT_EQ(0, hvx_get_pdptrs((*vcpu)->fd, saved));
	EXPECT_EQ(HVX_PDPTRS_VALID, saved->flags);
	EXPECT_EQ(0x11001, saved->pdptr[0]);
	for (i = 1; i < 4; i++)
		EXPECT_EQ(0, saved->pdptr[i]);
	return vm;
}

/*
 * The PDPTEs a PAE guest runs on are not the table in memory after the
 * guest changed it (and its WRMSR to EFER and MOV to CR0 kept them):
 * HVX_GET_PDPTRS reads them, HVX_SET_SREGS reloads them from memory
 * (here a PDPTE gone: the next fetch faults, a triple fault without an
 * IDT; or none present from a table the processor would refuse), and
 * HVX_SET_PDPTRS puts the saved ones back, on which the guest runs on;
 * HVX_SET_MSRS of EFER keeps them.  Outside PAE paging there are none.
 */
HVX_TEST(pdptrs_saved_and_restored)
{
	struct hvx_pdptrs saved, p;
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, pdpte_start, pdpte_end, false);
	HVX_REQUIRE(vm->caps.hvx_features & HVX_FEAT_PDPTRS,
		    "no HVX_FEAT_PDPTRS");
	memset(&p, 0xff, sizeof(p));
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &p));
	EXPECT_EQ(0, p.flags);
	EXPECT_EQ(0, p.pdptr[0]);
	EXPECT_EQ(0, p.reserved[3]);
	p.flags = HVX_PDPTRS_VALID;
	EXPECT_ERRNO(EINVAL, hvx_set_pdptrs(vcpu->fd, &p));
	vm_free(vm);

	/* only SET_SREGS: the guest loses its PDPTE */
	vm = pdpte_vm(_metadata, &vcpu, &saved);
	vcpu_sregs_get(vcpu, &sregs);
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &p));
	EXPECT_EQ(HVX_PDPTRS_VALID, p.flags);
	EXPECT_EQ(0, p.pdptr[0]);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	vm_free(vm);

	/*
	 * SET_SREGS over a table with a reserved bit set in a present
	 * entry (the guest reused the page): none present.  Then
	 * SET_PDPTRS: it runs on.
	 */
	vm = pdpte_vm(_metadata, &vcpu, &saved);
	*(uint64_t *)addr_gpa2hva(vm, 0x10008, 8) = 0x11001 | 0x2;
	vcpu_sregs_get(vcpu, &sregs);
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &p));
	EXPECT_EQ(0, p.pdptr[0] | p.pdptr[1] | p.pdptr[2] | p.pdptr[3]);
	p = saved;
	p.flags = 0;
	EXPECT_ERRNO(EINVAL, hvx_set_pdptrs(vcpu->fd, &p));
	p = saved;
	p.pad = 1;
	EXPECT_ERRNO(EINVAL, hvx_set_pdptrs(vcpu->fd, &p));
	p = saved;
	p.reserved[3] = 1;
	EXPECT_ERRNO(EINVAL, hvx_set_pdptrs(vcpu->fd, &p));
	p = saved;
	p.pdptr[2] = 0x11001 | 0x2;	/* present, reserved bit 1 */
	EXPECT_ERRNO(EINVAL, hvx_set_pdptrs(vcpu->fd, &p));
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &p));
	EXPECT_EQ(0, p.pdptr[0]);		/* refusals changed nothing */
	EXPECT_EQ(0, p.pdptr[2]);
	ASSERT_EQ(0, hvx_set_pdptrs(vcpu->fd, &saved));
	/* in the documented order MSRS come after: EFER keeps them */
	vcpu_set_msr(vcpu, MSR_EFER, vcpu_get_msr(vcpu, MSR_EFER));
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &p));
	EXPECT_EQ(0, memcmp(&saved, &p, sizeof(p)));
	expect_io(vcpu, HVX_IO_OUT, 0x15, 4, 0x600d);
	expect_hlt(vcpu);
	vm_free(vm);
}

/*
 * The #AC loop (CVE-2015-5307) must leave the host in charge: every round
 * is a VM exit, so a signal ends HVX_RUN, and the guest is still looping
 * when it does (no OUT reached, no triple fault).
 */
HVX_TEST(alignment_check_loop_is_interruptible)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = tiny_vm(&vcpu, ac_start, ac_end, false);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, alarm_in_ms(2000));
		EXPECT_EQ(-1, __vcpu_run(vcpu));
		EXPECT_EQ(EINTR, errno);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTR);
	}
	signal(SIGALRM, SIG_DFL);
	vm_free(vm);
}

/* An interrupt queued before the guest runs, taken after its STI. */
static void expect_interrupt(struct __test_metadata *_metadata,
			     const char *start, const char *end, bool real,
			     uint8_t size, uint32_t result)
{
	struct hvx_interrupt irq = { .vector = 0x20 };
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	vm = tiny_vm(&vcpu, start, end, real);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	expect_io(vcpu, HVX_IO_OUT, 0x15, size, result);
	expect_hlt(vcpu);
	vm_free(vm);
}

HVX_TEST(real_mode_interrupt)
{
	HVX_REQUIRE_VM();
	REQUIRE_UG();
	expect_interrupt(_metadata, ri_start, ri_end, true, 2, 0x1234);
}

HVX_TEST(protected_mode_interrupt)
{
	HVX_REQUIRE_VM();
	REQUIRE_UG();
	expect_interrupt(_metadata, pi_start, pi_end, false, 4, 0x5678);
}

TEST_HARNESS_MAIN
