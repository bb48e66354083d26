/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello: the demo guest.  A flat 16-bit real-mode image that prints a
 * greeting through the 16550 UART at 0x3f8 and ends through the
 * debug-exit port with status 0.
 *
 * It runs at any load address below 1 MiB: it takes its data segment from
 * CS and finds its own offset with CALL/POP, so the tests also use it for
 * --load-addr.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	call	1f
1:	pop	%bx
	sub	$(1b - _start), %bx	/* BX: offset of _start in CS */
	lea	(greeting - _start)(%bx), %si
	call	puts
	xor	%al, %al
	out	%al, $0xf4		/* debug exit, status 0 */
2:	hlt
	jmp	2b

/* Print the NUL-terminated string at DS:SI. */
puts:
	lodsb
	test	%al, %al
	jz	3f
	call	putc
	jmp	puts
3:	ret

/* Print AL: wait for THR empty (LSR bit 5), then write THR. */
putc:
	push	%dx
	mov	%al, %ah
	mov	$0x3fd, %dx
4:	in	%dx, %al
	test	$0x20, %al
	jz	4b
	mov	$0x3f8, %dx
	mov	%ah, %al
	out	%al, %dx
	pop	%dx
	ret

greeting:
	.asciz	"Hello from a guest of hvx! This text came through a 16550 UART.\n"
