/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_ap_restart: a multiboot kernel for -k -c 2 that starts AP 1 (INIT,
 * SIPI), which halts with interrupts disabled at once (a CPU taken
 * offline), then starts it again: the second time the AP works a while
 * with no exit to hvx-run, then writes 0x42 to the debug-exit port.
 * Meanwhile the BSP halts with interrupts disabled.  hvx-run must not
 * take the AP, started again inside hvx.ko, for halted still: it exits
 * with status 0x42 (66), not with every vCPU halted.
 */
	.code32

	.set	APIC_SVR, 0xfee000f0
	.set	APIC_ICR_LO, 0xfee00300
	.set	APIC_ICR_HI, 0xfee00310
	.set	FLAG1, 0x7000		/* the AP's first start, set by it */
	.set	FLAG2, 0x7004		/* its second */
	.set	TRAMP1, 0x8000		/* SIPI vector 0x08 */
	.set	TRAMP2, 0x9000		/* SIPI vector 0x09 */
	.set	AP_WORK, 20000000	/* loop rounds before the AP's exit */

	.include "print32.inc"
	.include "multiboot.inc"

	/* INIT, then SIPI with vector \vec, to APIC ID 1 */
	.macro	START_AP vec
	movl	$(1 << 24), APIC_ICR_HI
	movl	$0x4500, APIC_ICR_LO		/* INIT, level, assert */
	movl	$(1 << 24), APIC_ICR_HI
	movl	$(0x4600 | \vec), APIC_ICR_LO	/* SIPI */
	.endm

	MB_ENTRY bad_magic
	PRINT	"starting the AP\n"
	cli
	movl	$0x1ff, APIC_SVR		/* enabled, spurious 0xff */
	movl	$0, FLAG1
	movl	$0, FLAG2
	mov	$tramp1, %esi
	mov	$TRAMP1, %edi
	mov	$(tramp1_end - tramp1), %ecx
	rep movsb
	mov	$tramp2, %esi
	mov	$TRAMP2, %edi
	mov	$(tramp2_end - tramp2), %ecx
	rep movsb
	START_AP (TRAMP1 >> 12)
1:	pause
	cmpl	$0, FLAG1
	je	1b
	/* time for its HLT to reach hvx-run, which parks it */
	mov	$2000000, %ecx
2:	pause
	loop	2b
	PRINT	"starting it again\n"
	START_AP (TRAMP2 >> 12)
3:	pause
	cmpl	$0, FLAG2
	je	3b
	PRINT	"BSP halting\n"
4:	hlt
	jmp	4b

	/* the AP's trampolines, copied below 1 MiB: real mode, DS = 0 */
	.code16
tramp1:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	movl	$1, FLAG1
5:	hlt
	jmp	5b
tramp1_end:

tramp2:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	movl	$1, FLAG2
	mov	$AP_WORK, %ecx
6:	dec	%ecx
	jnz	6b
	mov	$0x42, %al
	out	%al, $0xf4
7:	hlt
	jmp	7b
tramp2_end:
	.code32

	MB_END
