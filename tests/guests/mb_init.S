/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_init: a multiboot kernel that sends its own processor an INIT
 * through the local APIC, as software resetting the BSP does.  The
 * processor restarts at the reset vector (0xfffffff0), whose page hvx-run
 * maps under -k: it jumps to the reset code below 1 MiB, which writes the
 * ACPI reset register.  hvx-run exits with its reboot status, 120, and
 * the line after the INIT is never printed.
 */
	.code32

	.set	APIC_SVR, 0xfee000f0
	.set	APIC_ICR_LO, 0xfee00300
	.set	APIC_ICR_HI, 0xfee00310

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"INIT to the BSP\n"
	cli
	movl	$0x1ff, APIC_SVR		/* enabled, spurious 0xff */
	movl	$0, APIC_ICR_HI			/* destination APIC ID 0 */
	movl	$0x4500, APIC_ICR_LO		/* INIT, level, assert */
	mov	$1000000, %ecx			/* it comes at once */
1:	pause
	loop	1b
	PRINT	"no INIT\n"
	mov	$0x77, %al
	out	%al, $0xf4
	hlt

	MB_END
