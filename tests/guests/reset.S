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
	call	uart_puts
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

	.include "uart16.inc"
