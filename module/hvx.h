/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx.ko internals shared between its files.
 */
#ifndef HVX_MODULE_HVX_H
#define HVX_MODULE_HVX_H

#include <linux/types.h>
#include <linux/hvx.h>

/* What this build of hvx offers (HVX_FEAT_*). */
#define HVX_FEATURES		0ULL

/**
 * struct hvx_vmx_config - VMX capabilities and the controls hvx uses
 *
 * Filled once by hvx_caps_probe() at module load; read-only afterwards.
 */
struct hvx_vmx_config {
	u64 basic;
	u64 misc;
	u64 ept_vpid_cap;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	u64 features;		/* HVX_VMX_* */
	u32 revision_id;
	u32 vmcs_size;
	u32 pin, proc, proc2;	/* VM-execution controls */
	u32 exit, entry;	/* VM-exit and VM-entry controls */
};

extern struct hvx_vmx_config hvx_vmx;

int hvx_caps_probe(void);
void hvx_caps_fill(struct hvx_caps *caps);

#endif /* HVX_MODULE_HVX_H */
