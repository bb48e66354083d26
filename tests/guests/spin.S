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
	call	uart_puts
3:	jmp	3b

text:	.asciz	"spinning\n"

	.include "uart16.inc"
