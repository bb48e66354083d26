/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_crash: a multiboot kernel that prints "spinning", then 100 KiB
 * (burst32.inc), and executes UD2 without an IDT: a triple fault, which
 * ends hvx-run with status 121.
 */
	.code32

	.include "print32.inc"
	.include "burst32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
	BURST
	lidt	no_idt
	ud2

	.data
no_idt:	.word	0
	.long	0
	.text

	MB_END
