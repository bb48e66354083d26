/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rm_devices: a flat 16-bit real-mode image (load address 0x1000) that
 * checks every device of hvx-run from the guest's side and prints one
 * line per check, "ok NAME" or "FAIL NAME: got X want Y".  It ends through
 * the debug-exit port with the number of failed checks as status.
 *
 * It first echoes what stdin holds, up to a newline, as "rx [...]"; then
 * come the 16550 registers and loopback, string I/O, the i8042, the CMOS
 * and clock (it prints "rtc date 20YY-MM-DD" for the test to compare with
 * the host's date), and ports no device owns.  Expectations assume the
 * default 64M of RAM.
 */
	.code16

	.set	COM1, 0x3f8
	.set	RBR, COM1 + 0
	.set	DLL, COM1 + 0
	.set	IER, COM1 + 1
	.set	DLM, COM1 + 1
	.set	IIR, COM1 + 2
	.set	FCR, COM1 + 2
	.set	LCR, COM1 + 3
	.set	MCR, COM1 + 4
	.set	LSR, COM1 + 5
	.set	MSR, COM1 + 6
	.set	SCR, COM1 + 7

/* AL = byte at port \port */
	.macro	INB port
	mov	$\port, %dx
	in	%dx, %al
	.endm

/* byte \val to port \port */
	.macro	OUTB port, val
	mov	$\port, %dx
	mov	$\val, %al
	out	%al, %dx
	.endm

/* Print the string \s. */
	.macro	PRINT s
	.pushsection .data
str\@:	.asciz	"\s"
	.popsection
	mov	$str\@, %si
	call	puts
	.endm

/* Check that AX (the byte in AL for CHECK8) equals \want. */
	.macro	CHECK16 want, name
	.pushsection .data
str\@:	.asciz	"\name"
	.popsection
	mov	$\want, %bx
	mov	$str\@, %si
	call	check
	.endm

	.macro	CHECK8 want, name
	xor	%ah, %ah
	CHECK16	\want, "\name"
	.endm

/* CMOS register \reg into AL. */
	.macro	CMOS reg
	mov	$\reg, %al
	call	cmos_read
	.endm

	.text
	.globl	_start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es

	/* stdin: echo up to a newline, with a bound on the waiting */
	PRINT	"rx ["
	mov	$2000, %cx
rx_loop:
	INB	LSR
	test	$0x01, %al
	jnz	rx_byte
	loop	rx_loop
	jmp	rx_done
rx_byte:
	INB	RBR
	cmp	$'\n', %al
	je	rx_done
	call	putc
	mov	$2000, %cx
	jmp	rx_loop
rx_done:
	PRINT	"]\n"

	/*
	 * 16550 registers.  Nothing is printed while DLAB, loopback or the
	 * THR-empty interrupt is on: that would change what is checked.
	 */
	OUTB	SCR, 0x5a
	INB	SCR
	CHECK8	0x5a, "uart scratch register"
	OUTB	LCR, 0x83
	OUTB	DLL, 0x01
	OUTB	DLM, 0x02
	INB	DLL
	mov	%al, saved
	INB	DLM
	mov	%al, saved + 1
	INB	LCR
	mov	%al, saved + 2
	OUTB	LCR, 0x03
	mov	saved, %al
	CHECK8	0x01, "uart divisor latch low"
	mov	saved + 1, %al
	CHECK8	0x02, "uart divisor latch high"
	mov	saved + 2, %al
	CHECK8	0x83, "uart line control with DLAB"
	INB	LCR
	CHECK8	0x03, "uart line control"
	OUTB	IER, 0x00
	INB	IER
	CHECK8	0x00, "uart interrupt enable"
	INB	IIR
	CHECK8	0x01, "uart iir without fifo"
	OUTB	FCR, 0x07
	INB	IIR
	CHECK8	0xc1, "uart iir with fifo"
	INB	LSR
	CHECK8	0x60, "uart lsr empty"
	INB	MSR
	CHECK8	0xb0, "uart msr"
	OUTB	IER, 0x02
	INB	IIR
	mov	%al, saved
	INB	IIR
	mov	%al, saved + 1
	OUTB	IER, 0x00
	mov	saved, %al
	CHECK8	0xc2, "uart iir thr empty"
	mov	saved + 1, %al
	CHECK8	0xc1, "uart iir thr empty acknowledged"

	/* loopback: THR comes back in RBR, MSR follows MCR */
	OUTB	MCR, 0x10
	INB	MSR
	mov	%al, saved
	OUTB	MCR, 0x1a
	INB	MSR
	mov	%al, saved + 1
	INB	MSR
	mov	%al, saved + 2
	OUTB	RBR, 'X'
	INB	LSR
	mov	%al, saved + 3
	INB	RBR
	mov	%al, saved + 4
	INB	LSR
	mov	%al, saved + 5
	OUTB	MCR, 0x03
	mov	saved, %al
	CHECK8	0x0b, "uart loopback msr deltas"
	mov	saved + 1, %al
	CHECK8	0x99, "uart loopback msr rts out2"
	mov	saved + 2, %al
	CHECK8	0x90, "uart loopback msr again"
	mov	saved + 3, %al
	CHECK8	0x61, "uart loopback data ready"
	mov	saved + 4, %al
	CHECK8	'X', "uart loopback data"
	mov	saved + 5, %al
	CHECK8	0x60, "uart loopback data taken"
	INB	MCR
	CHECK8	0x03, "uart modem control"
	INB	MSR
	CHECK8	0xb2, "uart msr after loopback"

	/* a word access covers two registers: MSR, then SCR */
	mov	$MSR, %dx
	in	%dx, %ax
	CHECK16	0x5ab0, "uart word read msr scr"

	/* string I/O through the UART, and from a port without device */
	mov	$outs_text, %si
	mov	$outs_len, %cx
	mov	$RBR, %dx
	cld
	rep outsb
	mov	$buf, %di
	movw	$0, (%di)
	movw	$0, 2(%di)
	mov	$2, %cx
	mov	$0x2f8, %dx
	rep insw
	mov	buf, %ax
	CHECK16	0xffff, "rep insw unknown port first"
	mov	buf + 2, %ax
	CHECK16	0xffff, "rep insw unknown port second"

	/* i8042 */
	INB	0x64
	CHECK8	0x14, "i8042 status"
	OUTB	0x64, 0x20
	INB	0x64
	CHECK8	0x1d, "i8042 status output full"
	INB	0x60
	CHECK8	0x45, "i8042 command byte"
	INB	0x64
	CHECK8	0x1c, "i8042 status output read"
	OUTB	0x64, 0xaa
	INB	0x60
	CHECK8	0x55, "i8042 self test"
	OUTB	0x64, 0xd0
	INB	0x60
	CHECK8	0x03, "i8042 output port"

	/*
	 * CMOS and clock.  UIP (A bit 7) is set in the 244 us before each
	 * update; status C's flags are set by the clock whether or not
	 * interrupts are enabled (PF at 1024 Hz, UF each second), but IRQF
	 * (bit 7) stays clear while none is and bits 3:0 always read 0.
	 */
	CMOS	0x0a
	and	$0x7f, %al
	CHECK8	0x26, "rtc status a"
	CMOS	0x0b
	CHECK8	0x02, "rtc status b 24h bcd"
	CMOS	0x0c
	and	$0x8f, %al
	CHECK8	0x00, "rtc status c"
	CMOS	0x0d
	CHECK8	0x80, "rtc status d"
	CMOS	0x32
	CHECK8	0x20, "rtc century"
	CMOS	0x18
	CHECK8	0xfc, "cmos extended memory high"
	CMOS	0x35
	CHECK8	0x03, "cmos memory above 16M high"
	mov	$0x40, %al
	mov	$0xa5, %ah
	call	cmos_write
	CMOS	0x40
	CHECK8	0xa5, "cmos ram"
	mov	$0x00, %bl
	mov	$0x59, %bh
	call	bcd_check
	CHECK8	1, "rtc seconds bcd"
	mov	$0x02, %bl
	mov	$0x59, %bh
	call	bcd_check
	CHECK8	1, "rtc minutes bcd"
	mov	$0x04, %bl
	mov	$0x23, %bh
	call	bcd_check
	CHECK8	1, "rtc hours bcd"
	mov	$0x06, %bl
	mov	$0x07, %bh
	call	bcd_check
	CHECK8	1, "rtc day of week bcd"
	mov	$0x07, %bl
	mov	$0x31, %bh
	call	bcd_check
	CHECK8	1, "rtc day of month bcd"
	mov	$0x08, %bl
	mov	$0x12, %bh
	call	bcd_check
	CHECK8	1, "rtc month bcd"
	mov	$0x09, %bl
	mov	$0x99, %bh
	call	bcd_check
	CHECK8	1, "rtc year bcd"
	PRINT	"rtc date "
	CMOS	0x32
	call	puthex8
	CMOS	0x09
	call	puthex8
	mov	$'-', %al
	call	putc
	CMOS	0x08
	call	puthex8
	mov	$'-', %al
	call	putc
	CMOS	0x07
	call	puthex8
	mov	$'\n', %al
	call	putc

	/* ports without device: all ones, twice (logged once) */
	INB	0x2f8
	CHECK8	0xff, "unknown port byte"
	INB	0x2f8
	CHECK8	0xff, "unknown port byte again"
	OUTB	0x2f8, 0x00
	mov	$0x1234, %dx
	in	%dx, %ax
	CHECK16	0xffff, "unknown port word"
	mov	$0x1234, %dx
	in	%dx, %eax
	cmp	$0xffffffff, %eax
	sete	%al
	CHECK8	1, "unknown port dword"

	/* done: the status is the number of failures */
	mov	failures, %al
	out	%al, $0xf4
	hlt

/* AL = CMOS register AL */
cmos_read:
	out	%al, $0x70
	in	$0x71, %al
	ret

/* CMOS register AL = AH */
cmos_write:
	out	%al, $0x70
	mov	%ah, %al
	out	%al, $0x71
	ret

/* AL = 1 if CMOS register BL is BCD and at most BH, else 0 */
bcd_check:
	mov	%bl, %al
	call	cmos_read
	mov	%al, %ah
	and	$0x0f, %ah
	cmp	$9, %ah
	ja	1f
	cmp	$0x9f, %al
	ja	1f
	cmp	%bh, %al
	ja	1f
	mov	$1, %al
	ret
1:	xor	%al, %al
	ret

/* Compare AX with BX; SI names the check. */
check:
	push	%ax
	cmp	%bx, %ax
	jne	1f
	push	%si
	mov	$ok_text, %si
	call	puts
	pop	%si
	call	puts
	mov	$'\n', %al
	call	putc
	pop	%ax
	ret
1:	incb	failures
	push	%si
	mov	$fail_text, %si
	call	puts
	pop	%si
	call	puts
	mov	$got_text, %si
	call	puts
	pop	%ax
	call	puthex16
	mov	$want_text, %si
	call	puts
	mov	%bx, %ax
	call	puthex16
	mov	$'\n', %al
	call	putc
	ret

/* Print AX as four hex digits. */
puthex16:
	push	%ax
	mov	%ah, %al
	call	puthex8
	pop	%ax
	/* fall through */
/* Print AL as two hex digits. */
puthex8:
	push	%ax
	shr	$4, %al
	call	puthex4
	pop	%ax
	push	%ax
	call	puthex4
	pop	%ax
	ret
puthex4:
	and	$0x0f, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	putc
	add	$('a' - '9' - 1), %al
	/* fall through */
/* Print AL. */
putc:
	push	%dx
	push	%ax
	mov	$LSR, %dx
1:	in	%dx, %al
	test	$0x20, %al
	jz	1b
	pop	%ax
	mov	$RBR, %dx
	out	%al, %dx
	pop	%dx
	ret

/* Print the NUL-terminated string at SI. */
puts:
	push	%ax
1:	lodsb
	test	%al, %al
	jz	2f
	call	putc
	jmp	1b
2:	pop	%ax
	ret

	.data
ok_text:	.asciz	"ok "
fail_text:	.asciz	"FAIL "
got_text:	.asciz	": got "
want_text:	.asciz	" want "
outs_text:	.ascii	"rep outsb through the uart\n"
	.set	outs_len, . - outs_text
failures:	.byte	0
saved:		.byte	0, 0, 0, 0, 0, 0
	.balign	2
buf:		.word	0, 0
