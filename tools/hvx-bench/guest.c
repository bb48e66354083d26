// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark guest: 16-bit real-mode code, loaded at GUEST_CODE_GPA
 * with CS = DS = ES = SS = 0, interrupts off.  It reads its parameter
 * block (struct guest_params at GUEST_PARAMS_GPA), jumps to the loop of
 * params.op, runs params.warm untimed iterations, then params.n timed
 * ones between two RDTSCs, stores the delta, runs the op's own check if
 * it has one (GOP_LOAD, GOP_DEADLINE: params.mismatch), stores "DONE" and
 * halts.
 *
 * Registers in the loops: ESI counts down and is the value every store
 * or OUT writes; DI holds the port, BX the MMIO address, EDI the page
 * GOP_TOUCH writes next (GOP_IPI: the interrupt count before its IPI).
 * GOP_TOUCH alone runs in protected mode with paging (bench.h), as its
 * backend sets up: the same 16-bit code, its 32-bit addresses through a
 * flat 4 GiB DS.  The same bytes run under hvx and under KVM, so their deltas compare the hypervisors'
 * exit paths and nothing else.
 *
 * GOP_IPI has a second vCPU: it starts at bench_guest_ap (real mode, the
 * same segments, its own stack), turns its x2APIC on, says so in struct
 * guest_ap and waits in HLT with interrupts on; its handler answers each
 * IPI_VECTOR with IRQ_VECTOR to vCPU 0.  HLT, not a pause loop: an idle
 * vCPU of a real guest halts, so the IPI's cost includes the wakeup of
 * a halted vCPU, and a spinning vCPU 1 would also share the test host's
 * second CPU with nothing but itself (no wakeup to measure).
 */
#include <stddef.h>

#include "bench.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/* Absolute addresses of the parameter block's fields, as assembler text. */
#define P(field)	STR(GUEST_PARAMS_GPA) "+" STR(PARAMS_OFF_##field)

/* offsetof() is not assembler text: spell the offsets, check them below. */
#define PARAMS_OFF_op		0
#define PARAMS_OFF_warm		4
#define PARAMS_OFF_n		8
#define PARAMS_OFF_port		12
#define PARAMS_OFF_addr		14
#define PARAMS_OFF_t0		16
#define PARAMS_OFF_delta	24
#define PARAMS_OFF_done		32
#define PARAMS_OFF_irqs		36
#define PARAMS_OFF_base		40
#define PARAMS_OFF_entries	44
#define PARAMS_OFF_mismatch	48

_Static_assert(offsetof(struct guest_params, op) == PARAMS_OFF_op, "op");
_Static_assert(offsetof(struct guest_params, warm) == PARAMS_OFF_warm, "warm");
_Static_assert(offsetof(struct guest_params, n) == PARAMS_OFF_n, "n");
_Static_assert(offsetof(struct guest_params, port) == PARAMS_OFF_port, "port");
_Static_assert(offsetof(struct guest_params, addr) == PARAMS_OFF_addr, "addr");
_Static_assert(offsetof(struct guest_params, t0) == PARAMS_OFF_t0, "t0");
_Static_assert(offsetof(struct guest_params, delta) == PARAMS_OFF_delta,
	       "delta");
_Static_assert(offsetof(struct guest_params, done) == PARAMS_OFF_done, "done");
_Static_assert(offsetof(struct guest_params, irqs) == PARAMS_OFF_irqs, "irqs");
_Static_assert(offsetof(struct guest_params, entries) == PARAMS_OFF_entries,
	       "entries");
_Static_assert(offsetof(struct guest_params, base) == PARAMS_OFF_base, "base");
_Static_assert(offsetof(struct guest_params, mismatch) == PARAMS_OFF_mismatch,
	       "mismatch");
_Static_assert(GUEST_PARAMS_GPA + sizeof(struct guest_params) <= GUEST_AP_GPA,
	       "the parameter block ends below struct guest_ap");
#define A(field)	STR(GUEST_AP_GPA) "+" STR(AP_OFF_##field)
#define AP_OFF_ready		0
#define AP_OFF_ipis		4
_Static_assert(offsetof(struct guest_ap, ready) == AP_OFF_ready, "ready");
_Static_assert(offsetof(struct guest_ap, ipis) == AP_OFF_ipis, "ipis");
/* enum guest_op is not assembler text either. */
#define GUEST_OPS	10
_Static_assert(NR_GUEST_OPS == GUEST_OPS, "the jump table has 10 entries");
_Static_assert(TOUCH_PAGE == 4096, "GOP_TOUCH's stride is spelled below");

/* x2APIC and TSC-deadline MSRs, and the LVT's timer mode. */
#define MSR_APIC_BASE		0x1b
#define MSR_X2APIC_EOI		0x80b
#define MSR_X2APIC_SVR		0x80f
#define MSR_X2APIC_ICR		0x830
#define MSR_X2APIC_LVTT		0x832
#define MSR_TSC_DEADLINE	0x6e0
#define APIC_BASE_EN_EXTD	0xc00
#define LVTT_TSC_DEADLINE	0x40000
/* GOP_DEADLINE's deadline: 2^36 TSC cycles ahead, added to the high half */
#define DEADLINE_AHEAD_HI	0x10
_Static_assert(IRQ_VECTOR * 4 == 0x100, "its IVT entry is spelled below");
_Static_assert(IPI_VECTOR * 4 == 0x104, "its IVT entry is spelled below");

/* Where label @l of the image lands in guest-physical memory. */
#define GPA(l)	"(" #l " - bench_guest_start + " STR(GUEST_CODE_GPA) ")"

asm(
"	.pushsection .rodata.bench_guest, \"a\"\n"
"	.globl	bench_guest_start\n"
"	.globl	bench_guest_ap\n"
"	.globl	bench_guest_end\n"
"	.code16\n"
"bench_guest_start:\n"
"	cli\n"
"	cld\n"
"	movw	" P(op) ", %bx\n"
"	cmpw	$" STR(GUEST_OPS) ", %bx\n"
"	jae	bench_guest_bad\n"
"	shlw	$1, %bx\n"
"	movw	" P(port) ", %di\n"
"	jmp	*" GPA(bench_guest_ops) "(%bx)\n"

"bench_guest_bad:\n"
"	hlt\n"
"	jmp	bench_guest_bad\n"

/* The loop bodies. */
"	.macro	BENCH_BODY_LOOP\n"
"	.endm\n"
"	.macro	BENCH_BODY_CPUID\n"
"	xorl	%eax, %eax\n"
"	cpuid\n"
"	.endm\n"
"	.macro	BENCH_BODY_OUT\n"
"	movl	%esi, %eax\n"
"	movw	%di, %dx\n"
"	outl	%eax, (%dx)\n"
"	.endm\n"
"	.macro	BENCH_BODY_STORE\n"
"	movl	%esi, (%bx)\n"
"	.endm\n"
"	.macro	BENCH_BODY_LOAD\n"
"	movl	(%bx), %eax\n"
"	.endm\n"
/*
 * A TSC deadline already past fires the timer at once; the interrupt
 * comes in after STI's shadow, before the CLI.
 */
"	.macro	BENCH_BODY_TIMER\n"
"	rdtsc\n"
"	movl	$" STR(MSR_TSC_DEADLINE) ", %ecx\n"
"	wrmsr\n"
"	sti\n"
"	nop\n"
"	cli\n"
"	.endm\n"
/*
 * A deadline 2^36 TSC cycles ahead (seconds): the write arms the timer,
 * which does not fire in the case; interrupts stay off anyway.
 */
"	.macro	BENCH_BODY_DEADLINE\n"
"	rdtsc\n"
"	addl	$" STR(DEADLINE_AHEAD_HI) ", %edx\n"
"	movl	$" STR(MSR_TSC_DEADLINE) ", %ecx\n"
"	wrmsr\n"
"	.endm\n"
/* The doorbell OUT; the device thread answers with the MSI. */
"	.macro	BENCH_BODY_MSI\n"
"	movl	" P(irqs) ", %ecx\n"
"	movw	%di, %dx\n"
"	outl	%eax, (%dx)\n"
"	sti\n"
"5:\n"
"	cmpl	" P(irqs) ", %ecx\n"
"	je	5b\n"
"	cli\n"
"	.endm\n"

/* One word into each page; the value is the loop counter, as above. */
"	.macro	BENCH_BODY_TOUCH\n"
"	movl	%esi, (%edi)\n"
"	addl	$4096, %edi\n"
"	.endm\n"

/*
 * The IPI to vCPU 1 (x2APIC ICR: destination in the high half, fixed,
 * physical, edge); its handler's IPI back raises params.irqs.
 */
"	.macro	BENCH_BODY_IPI\n"
"	movl	" P(irqs) ", %edi\n"
"	movl	$" STR(MSR_X2APIC_ICR) ", %ecx\n"
"	movl	$" STR(AP_APIC_ID) ", %edx\n"
"	movl	$" STR(IPI_VECTOR) ", %eax\n"
"	wrmsr\n"
"	sti\n"
"5:\n"
"	cmpl	" P(irqs) ", %edi\n"
"	je	5b\n"
"	cli\n"
"	.endm\n"

/*
 * The guest's own checks of a case, after its timed loop (t0 and delta
 * stored, BX still the address), each failure counted in
 * params.mismatch.  None by default.
 */
"	.macro	BENCH_CHECK_NONE\n"
"	.endm\n"
/* One more load, untimed: the VMM's answer is MMIO_READ_VALUE. */
"	.macro	BENCH_CHECK_LOAD\n"
"	movl	(%bx), %eax\n"
"	cmpl	$" STR(MMIO_READ_VALUE) ", %eax\n"
"	je	8f\n"
"	incl	" P(mismatch) "\n"
"8:\n"
"	.endm\n"
/*
 * The deadline armed now is one the timed loop wrote: its TSC then plus
 * 2^36, a TSC between t0 and t0 + delta (the closing RDTSC).  So the
 * deadline less t0 less 2^36 lies in [0, delta]; 0 (the WRMSRs armed
 * nothing, or it fired) and anything else are a mismatch.
 */
"	.macro	BENCH_CHECK_DEADLINE\n"
"	movl	$" STR(MSR_TSC_DEADLINE) ", %ecx\n"
"	rdmsr\n"
"	subl	" P(t0) ", %eax\n"
"	sbbl	" P(t0) "+4, %edx\n"
"	subl	$" STR(DEADLINE_AHEAD_HI) ", %edx\n"
"	jb	8f\n"
"	cmpl	" P(delta) "+4, %edx\n"
"	ja	8f\n"
"	jb	9f\n"
"	cmpl	" P(delta) ", %eax\n"
"	jbe	9f\n"
"8:\n"
"	incl	" P(mismatch) "\n"
"9:\n"
"	.endm\n"

/*
 * warm untimed iterations, then n timed ones, then the case's check;
 * BX is loaded after the jump table is done with it.
 */
"	.macro	BENCH_TIMED body, check=BENCH_CHECK_NONE\n"
"	movw	" P(addr) ", %bx\n"
"	movl	" P(warm) ", %esi\n"
"	testl	%esi, %esi\n"
"	jz	2f\n"
"1:\n"
"	\\body\n"
"	decl	%esi\n"
"	jnz	1b\n"
"2:\n"
"	rdtsc\n"
"	movl	%eax, " P(t0) "\n"
"	movl	%edx, " P(t0) "+4\n"
"	movl	" P(n) ", %esi\n"
"3:\n"
"	\\body\n"
"	decl	%esi\n"
"	jnz	3b\n"
"	rdtsc\n"
"	subl	" P(t0) ", %eax\n"
"	sbbl	" P(t0) "+4, %edx\n"
"	movl	%eax, " P(delta) "\n"
"	movl	%edx, " P(delta) "+4\n"
"	\\check\n"
"	movl	$" STR(GUEST_DONE_MAGIC) ", " P(done) "\n"
"	movw	$" STR(PORT_DONE) ", %dx\n"
"	outl	%eax, (%dx)\n"
"4:\n"
"	hlt\n"
"	jmp	4b\n"
"	.endm\n"

"bench_guest_op_loop:\n"
"	BENCH_TIMED BENCH_BODY_LOOP\n"
"bench_guest_op_cpuid:\n"
"	BENCH_TIMED BENCH_BODY_CPUID\n"
"bench_guest_op_out:\n"
"	BENCH_TIMED BENCH_BODY_OUT\n"
"bench_guest_op_store:\n"
"	BENCH_TIMED BENCH_BODY_STORE\n"
"bench_guest_op_load:\n"
"	BENCH_TIMED BENCH_BODY_LOAD, BENCH_CHECK_LOAD\n"
/* The interrupt cases: x2APIC on and enabled, the handler in the IVT. */
"	.macro	BENCH_X2APIC_ON\n"
"	movl	$" STR(MSR_APIC_BASE) ", %ecx\n"
"	rdmsr\n"
"	orl	$" STR(APIC_BASE_EN_EXTD) ", %eax\n"
"	wrmsr\n"
"	xorl	%edx, %edx\n"
"	movl	$" STR(MSR_X2APIC_SVR) ", %ecx\n"
"	movl	$0x1ff, %eax\n"
"	wrmsr\n"
"	.endm\n"
"	.macro	BENCH_APIC_SETUP\n"
"	movw	$" GPA(bench_guest_isr) ", 0x100\n"
"	movw	$0, 0x102\n"
"	BENCH_X2APIC_ON\n"
"	.endm\n"
/* its timer in TSC-deadline mode */
"bench_guest_op_timer:\n"
"	BENCH_APIC_SETUP\n"
"	movl	$" STR(MSR_X2APIC_LVTT) ", %ecx\n"
"	movl	$(" STR(LVTT_TSC_DEADLINE) " | " STR(IRQ_VECTOR) "), %eax\n"
"	wrmsr\n"
"	BENCH_TIMED BENCH_BODY_TIMER\n"
"bench_guest_op_deadline:\n"
"	BENCH_APIC_SETUP\n"
"	movl	$" STR(MSR_X2APIC_LVTT) ", %ecx\n"
"	movl	$(" STR(LVTT_TSC_DEADLINE) " | " STR(IRQ_VECTOR) "), %eax\n"
"	wrmsr\n"
"	BENCH_TIMED BENCH_BODY_DEADLINE, BENCH_CHECK_DEADLINE\n"
"bench_guest_op_msi:\n"
"	BENCH_APIC_SETUP\n"
"	BENCH_TIMED BENCH_BODY_MSI\n"
/* warm is 0 here: every page is touched once, in the timed loop */
"bench_guest_op_touch:\n"
"	movl	" P(base) ", %edi\n"
"	BENCH_TIMED BENCH_BODY_TOUCH\n"
/* vCPU 1 must have its x2APIC on before the first IPI */
"bench_guest_op_ipi:\n"
"	BENCH_APIC_SETUP\n"
"6:\n"
"	pause\n"
"	cmpl	$0, " A(ready) "\n"
"	je	6b\n"
"	BENCH_TIMED BENCH_BODY_IPI\n"

/* vCPU 1 of GOP_IPI, from its start to the end of the case. */
"bench_guest_ap:\n"
"	cli\n"
"	cld\n"
"	movw	$" STR(GUEST_AP_STACK_TOP) ", %sp\n"
"	movw	$" GPA(bench_guest_ap_isr) ", 0x104\n"
"	movw	$0, 0x106\n"
"	BENCH_X2APIC_ON\n"
"	movl	$1, " A(ready) "\n"
"7:\n"
"	sti\n"
"	hlt\n"
"	jmp	7b\n"
/* The answer goes out before the EOI: the round trip waits for it. */
"bench_guest_ap_isr:\n"
"	pushl	%eax\n"
"	pushl	%ecx\n"
"	pushl	%edx\n"
"	xorl	%edx, %edx\n"
"	movl	$" STR(MSR_X2APIC_ICR) ", %ecx\n"
"	movl	$" STR(IRQ_VECTOR) ", %eax\n"
"	wrmsr\n"
"	xorl	%eax, %eax\n"
"	movl	$" STR(MSR_X2APIC_EOI) ", %ecx\n"
"	wrmsr\n"
"	incl	" A(ipis) "\n"
"	popl	%edx\n"
"	popl	%ecx\n"
"	popl	%eax\n"
"	iret\n"

/*
 * The interrupt handler of GOP_TIMER and GOP_MSI: count the entry (a
 * device thread may be watching for it), EOI, count the interrupt.
 */
"bench_guest_isr:\n"
"	incl	" P(entries) "\n"
"	pushl	%eax\n"
"	pushl	%ecx\n"
"	pushl	%edx\n"
"	xorl	%eax, %eax\n"
"	xorl	%edx, %edx\n"
"	movl	$" STR(MSR_X2APIC_EOI) ", %ecx\n"
"	wrmsr\n"
"	incl	" P(irqs) "\n"
"	popl	%edx\n"
"	popl	%ecx\n"
"	popl	%eax\n"
"	iret\n"

/* Jump table, in enum guest_op order. */
"	.balign	2\n"
"bench_guest_ops:\n"
"	.word	" GPA(bench_guest_op_loop) "\n"
"	.word	" GPA(bench_guest_op_cpuid) "\n"
"	.word	" GPA(bench_guest_op_out) "\n"
"	.word	" GPA(bench_guest_op_store) "\n"
"	.word	" GPA(bench_guest_op_load) "\n"
"	.word	" GPA(bench_guest_op_timer) "\n"
"	.word	" GPA(bench_guest_op_msi) "\n"
"	.word	" GPA(bench_guest_op_touch) "\n"
"	.word	" GPA(bench_guest_op_ipi) "\n"
"	.word	" GPA(bench_guest_op_deadline) "\n"
"bench_guest_end:\n"
"	.code64\n"
"	.popsection\n"
);
