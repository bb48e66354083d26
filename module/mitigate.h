/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Speculative-execution mitigations around VM entry and exit (mitigate.c).
 */
#ifndef HVX_MODULE_MITIGATE_H
#define HVX_MODULE_MITIGATE_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <asm/cpufeature.h>
#include <asm/nospec-branch.h>

struct hvx_vcpu;

/* vmentry_l1d_flush, as resolved at load */
enum hvx_l1d_flush {
	HVX_L1D_FLUSH_NOT_REQUIRED,	/* the CPU is not affected by L1TF */
	HVX_L1D_FLUSH_NEVER,
	HVX_L1D_FLUSH_COND,
	HVX_L1D_FLUSH_ALWAYS,
};

extern u64 hvx_mitigations;		/* HVX_MITIGATE_* in force */
extern enum hvx_l1d_flush hvx_l1d_flush;
/* iTLB multihit: large EPT pages never executable (ept.c) */
extern bool hvx_nx_huge_pages;

/*
 * VMSCAPE: a guest can train the branch predictors that the VMM's own
 * code, in user mode on this CPU, then uses.  Where the host mitigates
 * it, it issues an IBPB before this CPU next returns to user mode when
 * asked, as KVM asks after every exit; called with preemption disabled,
 * so that the CPU asked is the one that ran the guest.  Kernels without
 * the mitigation have no flag to set.
 */
static __always_inline void hvx_mitigate_exit_to_user(void)
{
#ifdef X86_FEATURE_IBPB_EXIT_TO_USER
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
#endif
}

int hvx_mitigate_init(void);
void hvx_mitigate_exit(void);
void hvx_mitigate_l1d(struct hvx_vcpu *vcpu);
void hvx_mitigate_vm_switch(struct hvx_vcpu *vcpu);

#endif /* HVX_MODULE_MITIGATE_H */
