// SPDX-License-Identifier: GPL-2.0
/*
 * The host's performance counters around a VM entry.
 *
 * perf keeps counting on the CPU while a guest runs there.  Events that
 * exclude the guest must stop for it, and so must a counter with PEBS,
 * unless the processor isolates PEBS from the guest: PEBS writes its
 * records through the current paging, which in the guest puts the host's
 * records into guest memory.  perf_guest_get_msrs() says which MSRs need
 * other values while the guest runs (global control with those counters
 * masked, PEBS enable at 0), with both values; where they differ, the
 * VM-entry MSR-load list loads the guest's and the VM-exit MSR-load list
 * the host's.  Loaded by the entry and the exit themselves, they hold
 * even when a PMI (an NMI) reprograms the counters right before the
 * entry.  The guest itself has no performance monitoring (cpuid.c), so
 * its values are only ever perf's.
 *
 * perf has that hook only where it drives the PMU, which it decides at
 * boot (one with no PMU it can use, as the test host's emulated one,
 * answers nothing ever after): hvx_perf_init() asks once, and without
 * the hook no entry calls it.
 */
#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <asm/perf_event.h>

#include "vcpu.h"
#include "vmx_ops.h"

DEFINE_STATIC_KEY_FALSE(hvx_perf_switching);

/**
 * hvx_perf_init() - whether entries must ask perf, at module load
 */
void hvx_perf_init(void)
{
	int nr = 0;
	bool hook;

	/* it looks at this CPU's counters */
	preempt_disable();
	hook = perf_guest_get_msrs(&nr, NULL);
	preempt_enable();
	if (hook)
		static_branch_enable(&hvx_perf_switching);
}

/**
 * hvx_perf_vmcs_init() - the vCPU's MSR-load lists, empty
 * @vcpu: the vCPU, its VMCS current
 *
 * Return: 0, or non-zero when a VMWRITE failed.
 */
int hvx_perf_vmcs_init(struct hvx_vcpu *vcpu)
{
	int err = 0;

	vcpu->perf_nr = 0;
	err |= hvx_vmwrite(VM_ENTRY_MSR_LOAD_ADDR, __pa(vcpu->perf_guest));
	err |= hvx_vmwrite(VM_EXIT_MSR_LOAD_ADDR, __pa(vcpu->perf_host));
	err |= hvx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	err |= hvx_vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	return err;
}

/**
 * hvx_perf_switch() - the counters' values for the next entry and exit
 * @vcpu: the vCPU, loaded, with interrupts disabled up to the entry
 *
 * perf's answer holds until interrupts are enabled again: it changes its
 * counters from interrupts and IPIs only.  Called only where perf has
 * the hook (hvx_perf_switching).
 */
void hvx_perf_switch(struct hvx_vcpu *vcpu)
{
	struct perf_guest_switch_msr *msrs;
	unsigned int n = 0;
	int i, nr = 0;

	/* nr is not set where perf has no such hook: no list then */
	msrs = perf_guest_get_msrs(&nr, NULL);
	for (i = 0; msrs && i < nr; i++) {
		if (msrs[i].host == msrs[i].guest)
			continue;
		if (WARN_ON_ONCE(n == HVX_PERF_MSRS))
			break;
		vcpu->perf_guest[n].index = msrs[i].msr;
		vcpu->perf_guest[n].value = msrs[i].guest;
		vcpu->perf_host[n].index = msrs[i].msr;
		vcpu->perf_host[n].value = msrs[i].host;
		n++;
	}
	if (n != vcpu->perf_nr) {
		hvx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, n);
		hvx_vmwrite(VM_EXIT_MSR_LOAD_COUNT, n);
		vcpu->perf_nr = n;
	}
}
