/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pm32: an ELF32 image (linked at 1 MiB) checking the 32-bit protected
 * mode start of hvx-run.  It prints its CPU state (CR0, ESP, GDTR) for
 * the test to compare with the documented layout, reloads every segment
 * from hvx-run's GDT, reads and writes guest-physical addresses without
 * RAM (all ones, writes ignored), and ends with debug-exit status 32.
 */
	.code32

	.set	MMIO, 0xfe000000

	.include "print32.inc"

/* Print "NAME=" and EAX in hex. */
	.macro	SHOW name
	push	%eax
	PRINT	"\name="
	pop	%eax
	call	puthex32
	.endm

/* "ok NAME" when the flags say equal, else "FAIL NAME" */
	.macro	RESULT name
	.pushsection .data
str\@:	.asciz	"\name\n"
	.popsection
	mov	$str\@, %esi
	call	result
	.endm

	.text
	.globl	_start
_start:
	PRINT	"pm32: hello from 32-bit protected mode\n"

	mov	%cr0, %eax
	SHOW	"cr0"
	mov	%esp, %eax
	SHOW	" esp"
	sgdt	gdtr
	mov	gdtr + 2, %eax
	SHOW	" gdt"
	movzwl	gdtr, %eax
	SHOW	" limit"
	PRINT	"\n"

	mov	%cs, %ax
	cmp	$0x08, %ax
	RESULT	"cs is 0x08"
	mov	%ss, %ax
	cmp	$0x10, %ax
	RESULT	"ss is 0x10"
	pushf
	pop	%eax
	test	$0x200, %eax
	RESULT	"interrupts disabled"

	/* every segment again, from the GDT in guest RAM */
	ljmp	$0x08, $1f
1:	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	%cs, %ax
	cmp	$0x08, %ax
	RESULT	"segments reloaded from the gdt"

	/* guest-physical addresses without RAM */
	mov	MMIO, %eax
	cmp	$0xffffffff, %eax
	RESULT	"mmio dword read is all ones"
	movl	$0x12345678, MMIO
	mov	MMIO, %eax
	cmp	$0xffffffff, %eax
	RESULT	"mmio write is ignored"
	movzbl	MMIO + 0x1000, %eax
	cmp	$0xff, %eax
	RESULT	"mmio byte read on a second page"

	mov	$32, %al
	out	%al, $0xf4
	hlt

/* ZF set: print "ok " and the string at ESI, else "FAIL " and it. */
result:
	push	%esi
	jne	1f
	PRINT	"ok "
	jmp	2f
1:	PRINT	"FAIL "
2:	pop	%esi
	jmp	puts

/* Print EAX as eight hex digits. */
puthex32:
	mov	$8, %ecx
1:	rol	$4, %eax
	push	%eax
	and	$0x0f, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$('a' - '9' - 1), %al
2:	call	putc
	pop	%eax
	loop	1b
	ret

	.include "uart32.inc"

	.data
	.balign	4
gdtr:	.word	0
	.long	0
