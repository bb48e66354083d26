/* SPDX-License-Identifier: GPL-2.0 */
/*
 * halt: a flat real-mode image (load address 0x1000) that prints a line
 * and executes HLT with interrupts disabled; hvx-run exits with status 0
 * and "guest halted".
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$text, %si
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
3:	hlt
	/* not reached: hvx-run ends the guest at its first HLT */
	mov	$0x77, %al
	out	%al, $0xf4

text:	.asciz	"halting now\n"
