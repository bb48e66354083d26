// SPDX-License-Identifier: GPL-2.0
/*
 * Speculative-execution mitigations around VM entry and exit.
 *
 * hvx follows the host's own mitigation state, as the host kernel chose
 * it at boot from the CPU's bugs (X86_BUG_*), IA32_ARCH_CAPABILITIES and
 * the command line:
 *
 * - L1TF: the L1 data cache is flushed before VM entry (MSR_IA32_FLUSH_CMD
 *   where the CPU has it, else by reading 64 KiB), as the module parameter
 *   vmentry_l1d_flush says: "always", "cond" (only when the host ran code
 *   that may have pulled secrets into L1D since the last entry: the ioctl
 *   came from userspace, the thread was scheduled in, an interrupt was
 *   taken; not for the exits served from guest data alone, CPUID, MMIO
 *   decoded from the guest's own bytes into the ring, nor for an EPT
 *   violation that faults guest memory in, as KVM's "cond" does not),
 *   "never", or "auto" (the host's l1tf= choice, as KVM reads it).
 * - MDS, TAA, RFDS, MMIO stale data: VERW clears the CPU buffers right
 *   before VMLAUNCH/VMRESUME where the host clears them (vmenter.S).
 * - Spectre v2 and RSB underflow: the return stack is filled after the
 *   exit, the branch history cleared, and on hosts with legacy IBRS,
 *   SPEC_CTRL written again, all before the first unbalanced RET
 *   (vmenter.S).  The guest cannot write SPEC_CTRL (it is not in the MSR
 *   bitmap), so the host's value is never lost otherwise.
 * - Cross-guest branch-target injection: IBPB when a CPU loads a vCPU of
 *   another VM than the last one it ran (hvx_mitigate_vm_switch()).
 * - Guest-to-VMM branch-target injection (VMSCAPE): the host's IBPB
 *   before the CPU returns to user mode after running a guest
 *   (hvx_mitigate_exit_to_user()).
 * - iTLB multihit: on an affected CPU a guest that executes from a page
 *   whose size the host changes under it can raise a machine check that
 *   takes the host down.  Large EPT pages are then never executable: an
 *   instruction fetch maps 4 KiB, or splits the large page (ept.c), as
 *   KVM's nx_huge_pages does.  The module parameter nx_huge_pages: auto
 *   (on where the CPU is affected and mitigations are not off), on, off.
 *
 * What is in force is in hvx_mitigations (HVX_MITIGATE_*), reported by
 * HVX_GET_CAPS and logged at load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/vmx.h>

#include "mitigate.h"
#include "vcpu.h"

/* A 32 KiB L1D is flushed by reading twice its size (replacement order). */
#define L1D_FLUSH_ORDER		4
#define L1D_FLUSH_SIZE		(PAGE_SIZE << L1D_FLUSH_ORDER)

u64 hvx_mitigations __read_mostly;
enum hvx_l1d_flush hvx_l1d_flush __read_mostly;
bool hvx_nx_huge_pages __read_mostly;
static void *l1d_flush_pages;

static char *nx_huge_pages = "auto";
module_param(nx_huge_pages, charp, 0444);
MODULE_PARM_DESC(nx_huge_pages,
		 "no executable large EPT pages (iTLB multihit): auto (where the CPU is affected), on, off");

/* nx_huge_pages' values, by index: auto, on, off. */
static const char *const nx_huge_pages_values[] = { "auto", "on", "off" };

/* 0, or -EINVAL for a value nx_huge_pages does not know. */
static int nx_huge_pages_choose(void)
{
	int v = sysfs_match_string(nx_huge_pages_values, nx_huge_pages);

	if (v < 0)
		return v;
	if (v == 0)	/* auto */
		hvx_nx_huge_pages = boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT) &&
				    !cpu_mitigations_off();
	else
		hvx_nx_huge_pages = v == 1;
	return 0;
}

static char *vmentry_l1d_flush = "auto";
module_param(vmentry_l1d_flush, charp, 0444);
MODULE_PARM_DESC(vmentry_l1d_flush,
		 "L1D flush before VM entry: auto (as the host's l1tf=), never, cond, always");

static const char *const l1d_flush_names[] = {
	[HVX_L1D_FLUSH_NOT_REQUIRED]	= "not required",
	[HVX_L1D_FLUSH_NEVER]		= "never",
	[HVX_L1D_FLUSH_COND]		= "cond",
	[HVX_L1D_FLUSH_ALWAYS]		= "always",
};

/* vmentry_l1d_flush's values: "auto" where the others have their own. */
static const char *const l1d_flush_values[] = {
	[HVX_L1D_FLUSH_NOT_REQUIRED]	= "auto",
	[HVX_L1D_FLUSH_NEVER]		= "never",
	[HVX_L1D_FLUSH_COND]		= "cond",
	[HVX_L1D_FLUSH_ALWAYS]		= "always",
};

/* Which IBPB domain each CPU last entered: a VM's serial number. */
static DEFINE_PER_CPU(u64, last_vm_serial);

/* The host's own choice (l1tf=), the way KVM's "auto" reads it. */
static enum hvx_l1d_flush l1d_flush_auto(void)
{
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_OFF:
		return HVX_L1D_FLUSH_NEVER;
	case L1TF_MITIGATION_FULL:
	case L1TF_MITIGATION_FULL_FORCE:
		return HVX_L1D_FLUSH_ALWAYS;
	default:
		return HVX_L1D_FLUSH_COND;
	}
}

static int l1d_flush_choose(void)
{
	int choice;
	u64 cap = 0;

	/* a value the parameter does not know fails on every CPU */
	choice = sysfs_match_string(l1d_flush_values, vmentry_l1d_flush);
	if (choice < 0)
		return choice;
	if (choice == HVX_L1D_FLUSH_NOT_REQUIRED)
		choice = l1d_flush_auto();

	if (!boot_cpu_has_bug(X86_BUG_L1TF)) {
		hvx_l1d_flush = HVX_L1D_FLUSH_NOT_REQUIRED;
		return 0;
	}
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, cap);
	if (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH) {
		hvx_l1d_flush = HVX_L1D_FLUSH_NOT_REQUIRED;
		return 0;
	}
	hvx_l1d_flush = choice;
	/* l1tf=full,force: the administrator's word beats the parameter */
	if (l1tf_mitigation == L1TF_MITIGATION_FULL_FORCE)
		hvx_l1d_flush = HVX_L1D_FLUSH_ALWAYS;
	return 0;
}

/**
 * hvx_mitigate_init() - choose the mitigations, at module load
 *
 * Return: 0; -EINVAL for an unknown vmentry_l1d_flush or nx_huge_pages
 * value; -ENOMEM.
 */
int hvx_mitigate_init(void)
{
	u64 m = 0;
	int i, err;

	err = l1d_flush_choose();
	if (err) {
		pr_err("vmentry_l1d_flush=%s: not auto, never, cond or always\n",
		       vmentry_l1d_flush);
		return err;
	}
	err = nx_huge_pages_choose();
	if (err) {
		pr_err("nx_huge_pages=%s: not auto, on or off\n", nx_huge_pages);
		return err;
	}
	if (hvx_l1d_flush == HVX_L1D_FLUSH_COND)
		m |= HVX_MITIGATE_L1D_FLUSH_COND;
	if (hvx_l1d_flush == HVX_L1D_FLUSH_ALWAYS)
		m |= HVX_MITIGATE_L1D_FLUSH_ALWAYS;
	if (m && boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		m |= HVX_MITIGATE_L1D_FLUSH_MSR;
	} else if (m) {
		l1d_flush_pages = (void *)__get_free_pages(GFP_KERNEL,
							   L1D_FLUSH_ORDER);
		if (!l1d_flush_pages)
			return -ENOMEM;
		/* distinct contents, so that KSM on a host below never merges */
		for (i = 0; i < 1 << L1D_FLUSH_ORDER; i++)
			memset(l1d_flush_pages + i * PAGE_SIZE, i + 1,
			       PAGE_SIZE);
	}
	if (boot_cpu_has_bug(X86_BUG_L1TF) &&
	    hvx_l1d_flush == HVX_L1D_FLUSH_NEVER)
		m |= HVX_MITIGATE_L1D_FLUSH_OFF;
	if (cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF) ||
	    cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM))
		m |= HVX_MITIGATE_VERW;
	if (cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT) ||
	    cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT_LITE))
		m |= HVX_MITIGATE_RSB_FILL;
	if (cpu_feature_enabled(X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT))
		m |= HVX_MITIGATE_BHB_CLEAR;
	if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS))
		m |= HVX_MITIGATE_SPEC_CTRL;
	if (cpu_feature_enabled(X86_FEATURE_USE_IBPB))
		m |= HVX_MITIGATE_IBPB;
#ifdef X86_FEATURE_IBPB_EXIT_TO_USER
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		m |= HVX_MITIGATE_IBPB_EXIT_TO_USER;
#endif
	if (hvx_nx_huge_pages)
		m |= HVX_MITIGATE_NX_HUGE_PAGES;
	hvx_mitigations = m;

	pr_info("vmentry_l1d_flush=%s%s; VERW %s; RSB fill %s; BHB clear %s; SPEC_CTRL restore %s; IBPB on VM switch %s, before user mode %s; NX huge pages %s\n",
		l1d_flush_names[hvx_l1d_flush],
		!(m & (HVX_MITIGATE_L1D_FLUSH_COND |
		       HVX_MITIGATE_L1D_FLUSH_ALWAYS)) ? "" :
		(m & HVX_MITIGATE_L1D_FLUSH_MSR) ? " (MSR)" : " (software)",
		(m & HVX_MITIGATE_VERW) ? "on" : "off",
		(m & HVX_MITIGATE_RSB_FILL) ? "on" : "off",
		(m & HVX_MITIGATE_BHB_CLEAR) ? "on" : "off",
		(m & HVX_MITIGATE_SPEC_CTRL) ? "on" : "off",
		(m & HVX_MITIGATE_IBPB) ? "on" : "off",
		(m & HVX_MITIGATE_IBPB_EXIT_TO_USER) ? "on" : "off",
		(m & HVX_MITIGATE_NX_HUGE_PAGES) ? "on" : "off");
	if (boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT) && !hvx_nx_huge_pages)
		pr_warn("iTLB multihit: the CPU is affected and nx_huge_pages is off: a guest may cause a machine check on the host\n");
	if (m & HVX_MITIGATE_L1D_FLUSH_OFF)
		pr_warn("L1TF: the CPU is affected and vmentry_l1d_flush=never: a guest may read host data from L1D (CVE-2018-3646)\n");
	return 0;
}

/**
 * hvx_mitigate_exit() - free the software flush buffer, at module unload
 */
void hvx_mitigate_exit(void)
{
	free_pages((unsigned long)l1d_flush_pages, L1D_FLUSH_ORDER);
	l1d_flush_pages = NULL;
}

/* Fill L1D with the buffer's lines, pushing out whatever it held. */
static noinstr void l1d_flush_software(void)
{
	unsigned long i;

	/* TLB entries first, so that the fill is not cut by page walks */
	for (i = 0; i < L1D_FLUSH_SIZE; i += PAGE_SIZE)
		READ_ONCE(*(u8 *)(l1d_flush_pages + i));
	/* serialise: every later load comes after the walks */
	native_cpuid_eax(0);
	for (i = 0; i < L1D_FLUSH_SIZE; i += L1_CACHE_BYTES)
		READ_ONCE(*(u8 *)(l1d_flush_pages + i));
	/* LFENCE: the fill completes before VM entry, not speculatively after */
	rmb();
}

/**
 * hvx_mitigate_l1d() - flush L1D before VM entry if the setting says so
 * @vcpu: the vCPU about to enter, interrupts disabled
 *
 * noinstr, as what it calls: a function tracer's exit hook or a kprobe
 * would run after the flush.
 */
noinstr void hvx_mitigate_l1d(struct hvx_vcpu *vcpu)
{
	if (hvx_l1d_flush == HVX_L1D_FLUSH_COND) {
		bool flush = vcpu->l1d_flush_pending ||
			     kvm_get_cpu_l1tf_flush_l1d();

		vcpu->l1d_flush_pending = false;
		kvm_clear_cpu_l1tf_flush_l1d();
		if (!flush)
			return;
	}
	hvx_stat_add(&vcpu->stats, HVX_STAT_L1D_FLUSHES, 1);
	if (hvx_mitigations & HVX_MITIGATE_L1D_FLUSH_MSR)
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	else
		l1d_flush_software();
}

/**
 * hvx_mitigate_vm_switch() - IBPB when this CPU changes to another VM
 * @vcpu: the vCPU being loaded, preemption disabled
 *
 * Branch targets one guest trained must not steer another's execution.
 * The host kernel itself is protected by its own mitigations.
 */
void hvx_mitigate_vm_switch(struct hvx_vcpu *vcpu)
{
	u64 serial = vcpu->vm->serial;

	if (this_cpu_read(last_vm_serial) == serial)
		return;
	this_cpu_write(last_vm_serial, serial);
	indirect_branch_prediction_barrier();
}
