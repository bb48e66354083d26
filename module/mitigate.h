/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Speculative-execution mitigations around VM entry and exit (mitigate.c).
 */
#ifndef HVX_MODULE_MITIGATE_H
#define HVX_MODULE_MITIGATE_H

#include <linux/types.h>

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

int hvx_mitigate_init(void);
void hvx_mitigate_exit(void);
void hvx_mitigate_l1d(struct hvx_vcpu *vcpu);
void hvx_mitigate_vm_switch(struct hvx_vcpu *vcpu);

#endif /* HVX_MODULE_MITIGATE_H */
