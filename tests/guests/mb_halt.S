/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_halt: a multiboot kernel that prints "halting" and halts with
 * interrupts disabled, starting no other CPU: under -k with -c 2 that
 * ends hvx-run with status 0 (the AP it never started does not count).
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"halting\n"
	cli
1:	hlt
	jmp	1b

	MB_END
