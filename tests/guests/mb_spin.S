/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_spin: a multiboot kernel that prints "spinning" and then loops
 * forever without a VM exit, for the signal tests with what -k brings
 * (the PC platform's device threads, and -d's disk workers).
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY bad_magic
	PRINT	"spinning\n"
1:	jmp	1b

	MB_END
