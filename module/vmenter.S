/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM entry and exit.
 *
 * __hvx_vmx_enter(vcpu, launched) saves the host's callee-saved registers,
 * loads the guest's general-purpose registers from vcpu->regs (which is the
 * first member of struct hvx_vcpu, indexed in the hardware's register
 * encoding: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15) and enters the
 * guest with VMLAUNCH or VMRESUME.  The VM exit lands at __hvx_vmx_exit
 * (HOST_RIP) on the stack the entry left (HOST_RSP), stores the guest's
 * registers back and returns 0.  A failed VMLAUNCH/VMRESUME returns 1.
 * Guest RSP and RIP live in the VMCS, not here.  The speculative-execution
 * mitigations that must sit next to the VMX instructions are here too
 * (mitigate.c explains them all).
 */
#include <linux/linkage.h>
#include <asm/alternative.h>
#include <asm/asm.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/percpu.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#include "compat.h"

#define VCPU_RAX	(0 * 8)
#define VCPU_RCX	(1 * 8)
#define VCPU_RDX	(2 * 8)
#define VCPU_RBX	(3 * 8)
#define VCPU_RBP	(5 * 8)
#define VCPU_RSI	(6 * 8)
#define VCPU_RDI	(7 * 8)
#define VCPU_R8		(8 * 8)
#define VCPU_R9		(9 * 8)
#define VCPU_R10	(10 * 8)
#define VCPU_R11	(11 * 8)
#define VCPU_R12	(12 * 8)
#define VCPU_R13	(13 * 8)
#define VCPU_R14	(14 * 8)
#define VCPU_R15	(15 * 8)

	/*
	 * Neither traced nor probed: it runs after the L1D flush, and after
	 * the exit with NMIs blocked (a kprobe's INT3 would unblock them);
	 * so does the NMI's hand-off below.
	 */
	.section .noinstr.text, "ax"

/* int __hvx_vmx_enter(struct hvx_vcpu *vcpu, unsigned long launched) */
SYM_FUNC_START(__hvx_vmx_enter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* Found again at 8(%rsp) and (%rsp) after the VM exit. */
	push %rdi
	push %rsi

	/* The VM exit returns to this stack: tell the VMCS where it is. */
	mov %rsp, %rsi
	call hvx_vmx_update_host_rsp

	mov (%rsp), %rbx
	mov 8(%rsp), %rax
	/*
	 * CF says which of VMLAUNCH/VMRESUME: the MOVs below keep the flags
	 * and VERW changes only ZF.
	 */
	bt $0, %ebx

	mov VCPU_RCX(%rax), %rcx
	mov VCPU_RDX(%rax), %rdx
	mov VCPU_RBX(%rax), %rbx
	mov VCPU_RBP(%rax), %rbp
	mov VCPU_RSI(%rax), %rsi
	mov VCPU_RDI(%rax), %rdi
	mov VCPU_R8(%rax), %r8
	mov VCPU_R9(%rax), %r9
	mov VCPU_R10(%rax), %r10
	mov VCPU_R11(%rax), %r11
	mov VCPU_R12(%rax), %r12
	mov VCPU_R13(%rax), %r13
	mov VCPU_R14(%rax), %r14
	mov VCPU_R15(%rax), %r15
	mov VCPU_RAX(%rax), %rax

	/*
	 * MDS, TAA, RFDS, MMIO stale data: clear the CPU buffers last, where
	 * the host clears them on its own way to user mode.
	 */
	ALTERNATIVE_2 "jmp .Lverw_done", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw x86_verw_sel(%rip)
.Lverw_done:

	jc .Lresume
	UNWIND_HINT_SAVE
	vmlaunch
	jmp .Lfail
.Lresume:
	vmresume
	jmp .Lfail

SYM_INNER_LABEL(__hvx_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push %rax
	mov 16(%rsp), %rax
	mov %rcx, VCPU_RCX(%rax)
	mov %rdx, VCPU_RDX(%rax)
	mov %rbx, VCPU_RBX(%rax)
	mov %rbp, VCPU_RBP(%rax)
	mov %rsi, VCPU_RSI(%rax)
	mov %rdi, VCPU_RDI(%rax)
	mov %r8, VCPU_R8(%rax)
	mov %r9, VCPU_R9(%rax)
	mov %r10, VCPU_R10(%rax)
	mov %r11, VCPU_R11(%rax)
	mov %r12, VCPU_R12(%rax)
	mov %r13, VCPU_R13(%rax)
	mov %r14, VCPU_R14(%rax)
	mov %r15, VCPU_R15(%rax)
	popq VCPU_RAX(%rax)
	/* 0: a VM exit.  EBX keeps the result through the calls below. */
	xor %ebx, %ebx

.Lclear:
	/*
	 * Guest values must not reach speculative gadgets in the host: every
	 * register but the result goes, before the branch history the guest
	 * trained is cleared, and the callee-saved ones too (their reload
	 * from the stack below may be slow enough to speculate past).
	 */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d

	/*
	 * Before the first unbalanced RET: fill the return stack the guest
	 * may have poisoned or underflowed (retpoline and IBRS hosts), write
	 * IBRS again on hosts that set it on kernel entry (the guest ran in
	 * a less privileged predictor mode), and clear the branch history
	 * where the host does.  (After a failed entry too: the registers
	 * held the guest's values then as well.)
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_KERNEL_IBRS
	mov $MSR_IA32_SPEC_CTRL, %ecx
	mov PER_CPU_VAR(x86_spec_ctrl_current), %eax
	mov PER_CPU_VAR(x86_spec_ctrl_current + 4), %edx
	wrmsr
.Lspec_ctrl_done:
	CLEAR_BRANCH_HISTORY_VMEXIT

	mov %ebx, %eax
	add $16, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET

.Lfail:
	mov $1, %ebx
	jmp .Lclear
SYM_FUNC_END(__hvx_vmx_enter)

/*
 * void hvx_vmx_do_nmi_irqoff(void): an NMI that caused a VM exit is
 * consumed; hand it to the host's NMI handler with the interrupt frame
 * the handler's IRET expects.
 */
SYM_FUNC_START(hvx_vmx_do_nmi_irqoff)
	push %rbp
	mov %rsp, %rbp
	and $-16, %rsp
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	call HVX_NMI_ENTRY
	leave
	RET
SYM_FUNC_END(hvx_vmx_do_nmi_irqoff)
