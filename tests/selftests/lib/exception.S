/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest exception entry of the selftest library: 256 IDT entry points,
 * 16 bytes apart (processor.c points gate v at guest_idt_entries + 16 * v),
 * and the common path that saves the registers as struct guest_ex_regs,
 * keeps the interrupted code's SSE state (handlers are C and may use XMM
 * registers) and calls guest_exception_dispatch().
 *
 * Vectors 8, 10-14, 17, 21, 29 and 30 come with an error code pushed by
 * the CPU (Intel SDM, "Exception and Interrupt Reference"); the other
 * entry points push 0 in its place so the frame is always the same.
 */

	.text
	.code64

	.balign 16
	.globl guest_idt_entries
guest_idt_entries:
	vector = 0
	.rept 256
	.balign 16
	.if (vector == 8) | ((vector >= 10) & (vector <= 14)) | \
	    (vector == 17) | (vector == 21) | (vector == 29) | (vector == 30)
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	guest_exception_common
	vector = vector + 1
	.endr

guest_exception_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi		/* struct guest_ex_regs * */
	movq	%rsp, %rbp
	subq	$512, %rsp
	andq	$-16, %rsp		/* FXSAVE area, ABI-aligned call */
	fxsave64 (%rsp)
	call	guest_exception_dispatch
	fxrstor64 (%rsp)
	movq	%rbp, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq

/*
 * The return address of every guest function the library starts: entered
 * by RET, so RSP is 16-byte aligned; realign anyway and report.
 */
	.globl guest_code_return_trap
guest_code_return_trap:
	andq	$-16, %rsp
	call	guest_code_returned
1:	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
