/* SPDX-License-Identifier: GPL-2.0 */
/*
 * triple: an ELF32 image (linked at 1 MiB) that prints a line and
 * executes UD2.  hvx-run starts 32-bit images without an IDT, so the #UD
 * becomes a double and then a triple fault: hvx-run dumps the registers
 * and exits with status 121.  EBX holds a marker for the dump.
 */
	.code32
	.text
	.globl	_start
_start:
	mov	$text, %esi
1:	lodsb
	test	%al, %al
	jz	3f
	mov	%al, %ah
	mov	$0x3fd, %dx
2:	in	%dx, %al
	test	$0x20, %al
	jz	2b
	mov	$0x3f8, %dx
	mov	%ah, %al
	out	%al, %dx
	jmp	1b
3:	mov	$0x7e1f1e00, %ebx
	ud2

text:	.asciz	"about to triple fault\n"
