/* SPDX-License-Identifier: GPL-2.0 */
/*
 * entry: a flat real-mode image for --entry.  Started at its first byte
 * it exits with status 0x99 at once; started 0x10 bytes in (--entry
 * LOAD+0x10) it prints "entry ok" and exits with 0.  It runs at any load
 * address below 64 KiB (it only uses offsets from CS:IP).
 */
	.code16
	.text
	.globl	_start
_start:
	mov	$0x99, %al
	out	%al, $0xf4
	hlt

	.org	0x10
second:
	call	1f
1:	pop	%si
	add	$(text - 1b), %si
	mov	%cs, %ax
	mov	%ax, %ds
	call	uart_puts
	xor	%al, %al
	out	%al, $0xf4
	hlt

text:	.asciz	"entry ok\n"

	.include "uart16.inc"
