/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_pic: a multiboot (v1) kernel for hvx-run -k that takes the PIT's
 * interrupts through the 8259 pair, the path of a guest that never
 * touches its local APIC (ExtINT, delivered by hvx-run through
 * HVX_INTERRUPT and interrupt-window exits).  It initialises both PICs
 * (vectors 0x20 and 0x28), unmasks IRQ 0 alone, runs PIT channel 0 in
 * mode 2 at 100 Hz and counts TICKS interrupts in HLT.  In each handler
 * the master's ISR (OCW3 read) must show IRQ 0 in service before the EOI
 * and nothing after it.  Prints what it saw and ends with debug-exit
 * status 77; any other vector, or a wrong ISR, prints why and ends with
 * status 1.
 */
	.code32

	.set	PIC1, 0x20
	.set	PIC2, 0xa0
	.set	PIT_CH0, 0x40
	.set	PIT_MODE, 0x43
	.set	PIT_DIVISOR, 11932		/* 1193182 Hz / 100 */
	.set	TICKS, 50
	.set	VEC_IRQ0, 0x20
	.set	NVEC, 0x30
	.set	CODE_SEL, 0x08
	.set	DATA_SEL, 0x10

	.include "print32.inc"
	.include "multiboot.inc"

	MB_ENTRY fail
	/* the loader's GDT is undefined too: our own */
	lgdt	gdt_desc
	ljmp	$CODE_SEL, $1f
1:	mov	$DATA_SEL, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss

	/* IDT: every vector "unexpected" but IRQ 0's */
	xor	%ecx, %ecx
2:	mov	$unexpected, %eax
	cmp	$VEC_IRQ0, %ecx
	jne	3f
	mov	$irq0, %eax
3:	mov	%ax, idt(, %ecx, 8)
	movw	$CODE_SEL, idt + 2(, %ecx, 8)
	movw	$0x8e00, idt + 4(, %ecx, 8)	/* present 32-bit intr gate */
	shr	$16, %eax
	mov	%ax, idt + 6(, %ecx, 8)
	inc	%ecx
	cmp	$NVEC, %ecx
	jb	2b
	lidt	idt_desc

	/* ICW1-4: edge, cascade, vectors 0x20/0x28, slave on IRQ 2, 8086 */
	mov	$0x11, %al
	out	%al, $PIC1
	out	%al, $PIC2
	mov	$VEC_IRQ0, %al
	out	%al, $PIC1 + 1
	mov	$VEC_IRQ0 + 8, %al
	out	%al, $PIC2 + 1
	mov	$0x04, %al
	out	%al, $PIC1 + 1
	mov	$0x02, %al
	out	%al, $PIC2 + 1
	mov	$0x01, %al
	out	%al, $PIC1 + 1
	out	%al, $PIC2 + 1
	/* OCW1: IRQ 0 only */
	mov	$0xfe, %al
	out	%al, $PIC1 + 1
	mov	$0xff, %al
	out	%al, $PIC2 + 1

	/* PIT channel 0: lobyte/hibyte, mode 2 (rate generator) */
	mov	$0x34, %al
	out	%al, $PIT_MODE
	mov	$(PIT_DIVISOR & 0xff), %al
	out	%al, $PIT_CH0
	mov	$(PIT_DIVISOR >> 8), %al
	out	%al, $PIT_CH0

	sti
4:	hlt
	cmpl	$TICKS, ticks
	jb	4b
	cli

	PRINT	"mb_pic: ticks="
	mov	ticks, %eax
	call	putdec
	PRINT	" vector=0x20 isr-before-eoi=01 isr-after-eoi=00\n"
	mov	$77, %al
	out	%al, $0xf4
	hlt

/* IRQ 0: count; the master's ISR holds IRQ 0 until our EOI */
irq0:
	push	%eax
	mov	$0x0b, %al		/* OCW3: read ISR */
	out	%al, $PIC1
	in	$PIC1, %al
	cmp	$0x01, %al
	jne	bad_isr
	mov	$0x20, %al		/* non-specific EOI */
	out	%al, $PIC1
	in	$PIC1, %al
	test	%al, %al
	jnz	bad_isr
	incl	ticks
	pop	%eax
	iret

bad_isr:
	PRINT	"mb_pic: wrong ISR in the IRQ 0 handler\n"
	jmp	fail

unexpected:
	PRINT	"mb_pic: an unexpected vector\n"
fail:
	mov	$1, %al
	out	%al, $0xf4
	hlt

/* Print EAX in decimal. */
putdec:
	push	%ebx
	push	%ecx
	push	%edx
	mov	$10, %ebx
	xor	%ecx, %ecx
1:	xor	%edx, %edx
	div	%ebx
	push	%edx
	inc	%ecx
	test	%eax, %eax
	jnz	1b
2:	pop	%eax
	add	$'0', %al
	call	putc
	loop	2b
	pop	%edx
	pop	%ecx
	pop	%ebx
	ret

	.include "uart32.inc"

	.data
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: flat data */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt
	.balign	4
idt_desc:
	.word	NVEC * 8 - 1
	.long	idt
ticks:
	.long	0

	.bss
	.balign	16
idt:
	.skip	NVEC * 8
	.balign	16
	.skip	4096
stack_top:
