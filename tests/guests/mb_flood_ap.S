/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_flood_ap: a multiboot kernel for -k -c 2.  The BSP starts AP 1
 * (INIT, SIPI), prints 120 KiB with REP OUTSB (burst32.inc: the cheap way
 * to fill most of what the output pipes hold, two pipes of 64 KiB and
 * what the reader took), then writes to COM1 one OUT at a time for ever
 * (posted writes, through hvx-run's I/O ring, the dear way: an exit
 * each, so the fewer the better: 30 KiB of them were a minute of the
 * test host), counting them.  The AP waits
 * until the count stops moving for a while (the BSP waits on a stdout
 * that takes nothing), then executes UD2 in real mode with an empty
 * interrupt table: a triple fault.  hvx-run must record that crash
 * (status 121) though the BSP's output waits.
 */
	.code32

	.set	APIC_SVR, 0xfee000f0
	.set	APIC_ICR_LO, 0xfee00300
	.set	APIC_ICR_HI, 0xfee00310
	.set	COUNT, 0x7000		/* bytes the BSP wrote */
	.set	TRAMP, 0x8000		/* SIPI vector 0x08 */
	.set	QUIET, 10000000		/* rounds the count must stay put */

	.include "print32.inc"
	.include "burst32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"flooding\n"
	cli
	movl	$0x1ff, APIC_SVR		/* enabled, spurious 0xff */
	movl	$0, COUNT
	mov	$tramp, %esi
	mov	$TRAMP, %edi
	mov	$(tramp_end - tramp), %ecx
	rep movsb
	movl	$(1 << 24), APIC_ICR_HI
	movl	$0x4500, APIC_ICR_LO		/* INIT, level, assert */
	movl	$(1 << 24), APIC_ICR_HI
	movl	$(0x4600 | (TRAMP >> 12)), APIC_ICR_LO	/* SIPI */
	BURST 48
	mov	$0x3f8, %dx
	mov	$'x', %al
1:	out	%al, %dx
	incl	COUNT
	jmp	1b

	/* the AP's trampoline, copied to TRAMP: real mode, DS = 0 */
	.code16
tramp:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
2:	mov	COUNT, %ebx
	test	%ebx, %ebx
	jz	2b
	mov	$QUIET, %ecx
3:	cmp	COUNT, %ebx
	jne	2b
	dec	%ecx
	jnz	3b
	lidt	TRAMP + (no_idt - tramp)
	ud2
no_idt:	.word	0
	.long	0
tramp_end:
	.code32

	MB_END
