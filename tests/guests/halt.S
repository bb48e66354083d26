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
	call	uart_puts
3:	hlt
	/* not reached: hvx-run ends the guest at its first HLT */
	mov	$0x77, %al
	out	%al, $0xf4

text:	.asciz	"halting now\n"

	.include "uart16.inc"
