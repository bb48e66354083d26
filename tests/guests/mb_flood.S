/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_flood: a multiboot kernel that prints "spinning" and then lines of
 * text for ever, for the test of a stdout that takes nothing: the output
 * fills it, and a signal must still end hvx-run.
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
1:	PRINT	"flooding the console of a guest of hvx, line after line\n"
	jmp	1b

	MB_END
