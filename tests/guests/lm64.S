/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lm64: an ELF64 image (linked at 1 MiB) checking the 64-bit start of
 * hvx-run.  It prints CR0, CR3, CR4, EFER, RSP and GDTR for the test to
 * compare with the documented layout, checks that the first 4 GiB are
 * identity-mapped (RAM through the page tables, a read at 3 GiB reaching
 * guest-physical 3 GiB, which has no RAM: all ones) and that the code
 * segment is 0x08, and ends with debug-exit status 64.
 */
	.code64

	.set	COM1, 0x3f8
	.set	LSR, COM1 + 5

	.macro	PRINT s
	.pushsection .data
str\@:	.asciz	"\s"
	.popsection
	lea	str\@(%rip), %rsi
	call	puts
	.endm

	.macro	SHOW name
	push	%rax
	PRINT	"\name="
	pop	%rax
	call	puthex64
	.endm

	.macro	RESULT name
	.pushsection .data
str\@:	.asciz	"\name\n"
	.popsection
	lea	str\@(%rip), %rsi
	call	result
	.endm

	.text
	.globl	_start
_start:
	mov	%rsp, %rbx
	PRINT	"lm64: hello from 64-bit mode\n"
	mov	%cr0, %rax
	SHOW	"cr0"
	mov	%cr3, %rax
	SHOW	" cr3"
	mov	%cr4, %rax
	SHOW	" cr4"
	PRINT	"\n"
	mov	$0xc0000080, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	SHOW	"efer"
	mov	%rbx, %rax
	SHOW	" rsp"
	sgdt	gdtr(%rip)
	mov	gdtr + 2(%rip), %rax
	SHOW	" gdt"
	PRINT	"\n"

	mov	%cs, %ax
	cmp	$0x08, %ax
	RESULT	"cs is 0x08"

	/* RAM through the identity map: this code's own bytes */
	lea	_start(%rip), %rax
	cmp	$_start, %rax
	RESULT	"running at the link address"
	mov	$0x12345678, %eax
	mov	%eax, scratch
	mov	scratch(%rip), %edx
	cmp	%eax, %edx
	RESULT	"ram write and read back"

	/* 3 GiB: mapped, but no RAM behind it */
	mov	$0xc0000000, %rcx
	mov	(%rcx), %rax
	cmp	$-1, %rax
	RESULT	"mmio qword read at 3 GiB is all ones"
	movq	$0, (%rcx)

	mov	$64, %al
	out	%al, $0xf4
	hlt

/* ZF set: print "ok " and the string at RSI, else "FAIL " and it. */
result:
	push	%rsi
	jne	1f
	PRINT	"ok "
	jmp	2f
1:	PRINT	"FAIL "
2:	pop	%rsi
	jmp	puts

/* Print RAX as sixteen hex digits. */
puthex64:
	mov	$16, %ecx
1:	rol	$4, %rax
	push	%rax
	and	$0x0f, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$('a' - '9' - 1), %al
2:	call	putc
	pop	%rax
	loop	1b
	ret

/* Print AL. */
putc:
	push	%rdx
	push	%rax
	mov	$LSR, %dx
1:	in	%dx, %al
	test	$0x20, %al
	jz	1b
	pop	%rax
	mov	$COM1, %dx
	out	%al, %dx
	pop	%rdx
	ret

/* Print the NUL-terminated string at RSI. */
puts:
	lodsb
	test	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

	.data
	.balign	8
gdtr:	.word	0
	.quad	0
scratch:
	.long	0
