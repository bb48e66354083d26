/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_burst: a multiboot kernel that prints "spinning", then 1800 lines
 * (about 100 KiB: more than a pipe holds, less than two), and halts with
 * interrupts disabled, which under -k ends hvx-run with status 0.  For
 * the test of a guest that ends while stdout has not taken its output.
 * The lines go out 45 at a time (2.5 KiB, within what one exit moves)
 * with REP OUTSB (see mb_flood.S).
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
	cld
	mov	$0x3f8, %dx
	mov	$40, %edi
1:	mov	$lines, %esi
	mov	$(lines_end - lines), %ecx
	rep outsb
	dec	%edi
	jnz	1b
	cli
2:	hlt
	jmp	2b

	.data
lines:
	.rept	45
	.ascii	"a line of a guest of hvx that ends before stdout took it\n"
	.endr
lines_end:
	.text

	MB_END
