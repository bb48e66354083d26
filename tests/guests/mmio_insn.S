/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_insn: an ELF32 image (linked at 1 MiB) that increments a dword at
 * 0xfee00000, a guest-physical address without RAM.  INC is not an
 * instruction hvx emulates for MMIO: it reports an internal error with
 * the instruction bytes (ff 05 00 00 e0 fe) and hvx-run exits with
 * status 123.
 */
	.code32
	.text
	.globl	_start
_start:
	incl	0xfee00000
	mov	$0x77, %al
	out	%al, $0xf4
	hlt
