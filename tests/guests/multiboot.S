/* SPDX-License-Identifier: GPL-2.0 */
/*
 * multiboot: a multiboot (v1) kernel, an ELF32 image linked at 1 MiB
 * without the a.out kludge, for hvx-run -k.  It checks the magic in EAX,
 * then prints what the information structure at EBX holds: the flags and
 * memory sizes, the boot loader name, the command line, the memory map,
 * each module's string and contents (as text) and what the MP tables
 * say (where they are, the processors, the I/O APIC), and ends with
 * debug-exit status 77 (1 when EAX is wrong).
 */
	.code32

	.include "print32.inc"
	.include "multiboot.inc"

/* Print "NAME=" and the dword at OFF(%ebp) in hex. */
	.macro	FIELD name, off
	PRINT	"\name="
	mov	\off(%ebp), %eax
	call	puthex32
	.endm

	MB_ENTRY bad_magic
	mov	%ebx, %ebp

	FIELD	"multiboot: flags", 0
	FIELD	" mem_lower", 4
	FIELD	" mem_upper", 8
	PRINT	"\nloader: "
	mov	64(%ebp), %esi
	call	puts
	PRINT	"\ncmdline: "
	mov	16(%ebp), %esi
	call	puts
	PRINT	"\n"

	/* the memory map: size, base, length, type; size excludes itself */
	mov	48(%ebp), %ebx
	mov	44(%ebp), %edi
	add	%ebx, %edi
1:	cmp	%edi, %ebx
	jae	2f
	PRINT	"mmap "
	mov	8(%ebx), %eax
	call	puthex32
	mov	4(%ebx), %eax
	call	puthex32
	PRINT	" "
	mov	16(%ebx), %eax
	call	puthex32
	mov	12(%ebx), %eax
	call	puthex32
	PRINT	" "
	mov	20(%ebx), %eax
	call	puthex32
	PRINT	"\n"
	mov	(%ebx), %eax
	lea	4(%ebx, %eax), %ebx
	jmp	1b

	/* the modules: start, end (exclusive), string, reserved */
2:	FIELD	"mods", 20
	PRINT	"\n"
	mov	24(%ebp), %ebx
	mov	20(%ebp), %eax
	mov	%eax, mods_left
3:	cmpl	$0, mods_left
	je	5f
	PRINT	"module "
	mov	8(%ebx), %esi
	call	puts
	PRINT	": "
	mov	(%ebx), %esi
	mov	4(%ebx), %edi
4:	cmp	%edi, %esi
	jae	6f
	lodsb
	call	putc
	jmp	4b
6:	add	$16, %ebx
	decl	mods_left
	jmp	3b

5:	call	mp_tables
	mov	$77, %al
	out	%al, $0xf4
	hlt

bad_magic:
	PRINT	"multiboot: EAX is not 0x2badb002\n"
	mov	$1, %al
	out	%al, $0xf4
	hlt

/*
 * The MP tables as an OS finds them: the first "_MP_" on a 16-byte
 * boundary of 0xf0000-0xfffff whose 16 bytes sum to 0, then its
 * configuration table ("PCMP", its length summing to 0).  Prints where
 * they are, the processor entries and the I/O APIC's address.
 */
mp_tables:
	mov	$0xf0000, %ebx
1:	cmpl	$0x5f504d5f, (%ebx)		/* "_MP_" */
	jne	2f
	mov	$16, %ecx
	call	sum8
	jz	3f
2:	add	$16, %ebx
	cmp	$0x100000, %ebx
	jb	1b
	PRINT	"mp: none\n"
	ret
3:	PRINT	"mp: "
	mov	%ebx, %eax
	call	puthex32
	PRINT	" table="
	mov	4(%ebx), %ebx
	mov	%ebx, %eax
	call	puthex32
	cmpl	$0x504d4350, (%ebx)		/* "PCMP" */
	jne	9f
	movzwl	4(%ebx), %ecx
	call	sum8
	jnz	9f
	/* the entries: processors are 20 bytes, the others 8 */
	movzwl	34(%ebx), %ecx
	add	$44, %ebx
	xor	%edx, %edx
	xor	%edi, %edi
4:	jecxz	7f
	cmpb	$0, (%ebx)
	jne	5f
	inc	%edx
	add	$20, %ebx
	jmp	6f
5:	cmpb	$2, (%ebx)
	jne	8f
	mov	4(%ebx), %edi
8:	add	$8, %ebx
6:	dec	%ecx
	jmp	4b
7:	PRINT	" processors="
	mov	%edx, %eax
	call	puthex32
	PRINT	" ioapic="
	mov	%edi, %eax
	call	puthex32
	PRINT	"\n"
	ret
9:	PRINT	" bad\n"
	ret

/*
 * ZF: the ECX bytes at EBX sum to 0 (mod 256); ZF clear for none.
 * Clobbers EAX and ECX.
 */
sum8:
	push	%esi
	mov	%ebx, %esi
	xor	%ah, %ah
	inc	%ah
	jecxz	2f
	dec	%ah
1:	lodsb
	add	%al, %ah
	loop	1b
2:	test	%ah, %ah
	pop	%esi
	ret

/* Print EAX as eight hex digits. */
puthex32:
	push	%ecx
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
	pop	%ecx
	ret

	.include "uart32.inc"

	.bss
	.balign	16
mods_left:
	.long	0
	.balign	16
	.skip	4096
stack_top:
