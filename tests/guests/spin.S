/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spin: a flat real-mode image that prints "spinning" and then loops
 * forever without a VM exit, for the signal tests (SIGINT: status 130,
 * SIGTERM: 143).
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
3:	jmp	3b

text:	.asciz	"spinning\n"
