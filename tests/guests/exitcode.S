/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exitcode: a flat real-mode image (load address 0x1000) that reads one
 * byte from the UART (stdin) and writes it to the debug-exit port, so the
 * test chooses hvx-run's exit status.  With no input within a few
 * thousand polls it exits with 0xee.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	mov	$5000, %cx
	mov	$0x3fd, %dx
1:	in	%dx, %al
	test	$0x01, %al
	jnz	2f
	loop	1b
	mov	$0xee, %al
	out	%al, $0xf4
2:	mov	$0x3f8, %dx
	in	%dx, %al
	out	%al, $0xf4
	hlt
