/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_burst: a multiboot kernel that prints "spinning", then 100 KiB
 * (burst32.inc), and halts with interrupts disabled, which under -k ends
 * hvx-run with status 0.
 */
	.code32

	.include "print32.inc"
	.include "burst32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
	BURST
	cli
2:	hlt
	jmp	2b

	MB_END
