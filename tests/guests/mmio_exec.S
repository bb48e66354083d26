/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_exec: an ELF32 image (linked at 1 MiB) that jumps to 0xfee00000,
 * a guest-physical address without RAM.  Nothing can execute there: hvx
 * reports an internal error (emulation failure at that address) and
 * hvx-run exits with status 123.
 */
	.code32
	.text
	.globl	_start
_start:
	mov	$0xfee00000, %eax
	jmp	*%eax
