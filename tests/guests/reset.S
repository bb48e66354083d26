/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reset: a flat real-mode image (load address 0x1000) that prints a line
 * and resets the machine the way PC software does, through the i8042:
 * wait for its input buffer to be empty, then command 0xfe.  hvx-run
 * exits with status 0 and "guest requested reset".
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
3:	in	$0x64, %al
	test	$0x02, %al
	jnz	3b
	mov	$0xfe, %al
	out	%al, $0x64
	/* not reached */
	mov	$0x77, %al
	out	%al, $0xf4
	hlt

text:	.asciz	"resetting now\n"
