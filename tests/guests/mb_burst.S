/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_burst: a multiboot kernel that prints "spinning", then 1800 lines
 * (about 110 KiB: more than a pipe holds, less than two), and halts with
 * interrupts disabled, which under -k ends hvx-run with status 0.  For
 * the test of a guest that ends while stdout has not taken its output.
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
	mov	$1800, %edi
1:	PRINT	"a line of a guest of hvx that ends before stdout took it\n"
	dec	%edi
	jnz	1b
	cli
2:	hlt
	jmp	2b

	MB_END
