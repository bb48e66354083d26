/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_flood: a multiboot kernel that prints "spinning" and then lines of
 * text for ever, for the test of a stdout that takes nothing: the output
 * fills it, and a signal must still end hvx-run.  The lines go out 54 at
 * a time (3 KiB, what one exit moves) with REP OUTSB: polling LSR before
 * each byte took an exit a byte, and filling the pipes took the test
 * host minutes.
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
	cld
	mov	$0x3f8, %dx
1:	mov	$lines, %esi
	mov	$(lines_end - lines), %ecx
	rep outsb
	jmp	1b

	.data
lines:
	.rept	54
	.ascii	"flooding the console of a guest of hvx, line after line\n"
	.endr
lines_end:
	.text

	MB_END
