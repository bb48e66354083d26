// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capability probing: is VMX there and enabled, which controls can be
 * set, and the one set of controls every VMCS of hvx uses.
 *
 * Every control goes through hvx_adjust_controls() against its capability
 * MSR (the TRUE_* variant where IA32_VMX_BASIC says it exists), so reserved
 * bits always follow the hardware (Intel SDM "VMX Capability Reporting
 * Facility").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dmi.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/vmx.h>

#include "compat.h"
#include "hvx.h"
#include "mitigate.h"

struct hvx_vmx_config hvx_vmx;

/*
 * The processor's APIC virtualization (TPR shadow, APIC-register
 * virtualization, virtual-interrupt delivery, x2APIC virtualization,
 * APIC-access virtualization),
 * all of it where the CPU has all of it.  Read-only: every vCPU of the
 * module's lifetime uses the same, as its VMCS and APIC page agree.
 */
/*
 * Off by default: the test host's emulated CPU delivers a pending virtual
 * interrupt while the guest has interrupts disabled when a host interrupt
 * arrives, which deadlocks the Debian 13 guest's boot (Documentation/
 * design.rst, "APIC virtualization in the test host").
 */
static bool enable_apicv;
module_param(enable_apicv, bool, 0444);
MODULE_PARM_DESC(enable_apicv, "use the CPU's APIC virtualization where it has it (default off)");

/*
 * Compute the control value to use: @want with the allowed-0 bits (low
 * word, must be 1) forced on, masked by the allowed-1 bits (high word).
 * Returns -EOPNOTSUPP if a bit of @need cannot be set.
 */
static int hvx_adjust_controls(u32 msr, u32 need, u32 want, u32 *out)
{
	u32 allowed0, allowed1, ctl;

	rdmsr(msr, allowed0, allowed1);
	ctl = ((need | want) | allowed0) & allowed1;
	if ((ctl & need) != need)
		return -EOPNOTSUPP;
	*out = ctl;
	return 0;
}

/* Allowed-1 bits of a control MSR: what the CPU lets software turn on. */
static u32 allowed1(u32 msr)
{
	u32 lo, hi;

	if (rdmsr_safe(msr, &lo, &hi))
		return 0;
	return hi;
}

/*
 * Bochs's VMX records no IDT-vectoring information for a virtual
 * interrupt whose delivery exits, but leaves the last event it recorded
 * there (hvx_apicv_vectoring()).  Known by its BIOS, the test host's,
 * on a CPU that is no hypervisor's guest: QEMU's SeaBIOS says "Bochs"
 * too, and KVM (nested VMX) sets CPUID's hypervisor bit and reports
 * the event right.
 */
static bool emulator_vectoring_quirk(void)
{
	const char *vendor = dmi_get_system_info(DMI_BIOS_VENDOR);
	const char *version = dmi_get_system_info(DMI_BIOS_VERSION);

	if (boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	return (vendor && strstr(vendor, "Bochs")) ||
	       (version && strstr(version, "Bochs"));
}

static void hvx_probe_features(struct hvx_vmx_config *c)
{
	u32 pin = allowed1(MSR_IA32_VMX_PINBASED_CTLS);
	u32 proc = allowed1(MSR_IA32_VMX_PROCBASED_CTLS);
	u32 proc2 = 0;
	u64 f = 0;

	if (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		proc2 = allowed1(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (proc2 & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
		rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid_cap);

	if (pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		f |= HVX_VMX_PREEMPTION_TIMER;
	if (pin & PIN_BASED_VIRTUAL_NMIS)
		f |= HVX_VMX_VNMI;
	if (pin & PIN_BASED_POSTED_INTR)
		f |= HVX_VMX_POSTED_INTR;
	if (proc & CPU_BASED_USE_TSC_OFFSETTING)
		f |= HVX_VMX_TSC_OFFSET;
	if (proc & CPU_BASED_TPR_SHADOW)
		f |= HVX_VMX_VTPR;
	if (proc & CPU_BASED_MONITOR_TRAP_FLAG)
		f |= HVX_VMX_MTF;
	if (proc2 & SECONDARY_EXEC_ENABLE_EPT)
		f |= HVX_VMX_EPT;
	if (proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST)
		f |= HVX_VMX_UNRESTRICTED_GUEST;
	if (proc2 & SECONDARY_EXEC_ENABLE_VPID)
		f |= HVX_VMX_VPID;
	if (proc2 & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES)
		f |= HVX_VMX_VAPIC;
	if (proc2 & SECONDARY_EXEC_APIC_REGISTER_VIRT)
		f |= HVX_VMX_VAPIC_REG;
	if (proc2 & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)
		f |= HVX_VMX_VID;
	if (proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING)
		f |= HVX_VMX_PLE;
	if (proc2 & SECONDARY_EXEC_SHADOW_VMCS)
		f |= HVX_VMX_SHADOW_VMCS;
	if (proc2 & SECONDARY_EXEC_ENABLE_PML)
		f |= HVX_VMX_PML;
	if (proc2 & SECONDARY_EXEC_MODE_BASED_EPT_EXEC)
		f |= HVX_VMX_EPT_MODE_BASED_EXEC;
	if (proc2 & SECONDARY_EXEC_TSC_SCALING)
		f |= HVX_VMX_TSC_SCALING;
	if (c->ept_vpid_cap & VMX_EPT_EXECUTE_ONLY_BIT)
		f |= HVX_VMX_EPT_X_ONLY;
	if (c->ept_vpid_cap & VMX_EPT_AD_BIT)
		f |= HVX_VMX_EPT_AD;
	if (c->ept_vpid_cap & VMX_EPT_1GB_PAGE_BIT)
		f |= HVX_VMX_EPT_1GB;
	if (c->ept_vpid_cap & VMX_EPT_2MB_PAGE_BIT)
		f |= HVX_VMX_EPT_2MB;
	if (c->ept_vpid_cap & ((u64)VMX_VPID_INVVPID_BIT << 32))
		f |= HVX_VMX_INVVPID;
	if ((f & HVX_VMX_VTPR) && (f & HVX_VMX_VAPIC))
		f |= HVX_VMX_FLEXPRIORITY;
	if (enable_apicv && (f & HVX_VMX_VTPR) && (f & HVX_VMX_VAPIC_REG) &&
	    (f & HVX_VMX_VID) && (f & HVX_VMX_VAPIC) &&
	    (proc2 & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE))
		c->apicv = HVX_APICV_TPR_SHADOW | HVX_APICV_REG_VIRT |
			   HVX_APICV_VID | HVX_APICV_X2APIC |
			   HVX_APICV_APIC_ACCESS;
	if ((f & HVX_VMX_VTPR) && (f & HVX_VMX_VAPIC_REG) &&
	    (f & HVX_VMX_VID) && (f & HVX_VMX_POSTED_INTR))
		f |= HVX_VMX_APICV;
	c->features = f;
	c->vectoring_quirk = emulator_vectoring_quirk();
}

/*
 * The controls of every hvx VMCS, one row per control MSR: the bits hvx
 * needs (loading fails without them), those it uses where present, and
 * those it turns on per vCPU later, which must be allowed.
 *
 * Pin-based: exits on external interrupts and NMIs; virtual NMIs for NMI
 * blocking and NMI-window exits of guest NMIs.
 */
#define PIN_NEED	(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING | \
			 PIN_BASED_VIRTUAL_NMIS)
/*
 * Processor-based: CR3 accesses and INVLPG stay in the guest (EPT); port
 * I/O and MSR accesses go through bitmaps so that hot paths can be opened
 * to the guest; RDPMC exits (no virtual PMU).  The window exits are
 * turned on while an event waits for the guest (inject.c).
 */
#define PROC_NEED	(CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS | \
			 CPU_BASED_CR8_LOAD_EXITING | \
			 CPU_BASED_CR8_STORE_EXITING | \
			 CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MWAIT_EXITING | \
			 CPU_BASED_MONITOR_EXITING | CPU_BASED_RDPMC_EXITING | \
			 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
#define PROC_WANT	(CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_MOV_DR_EXITING)
#define PROC_LATER	(CPU_BASED_INTR_WINDOW_EXITING | \
			 CPU_BASED_NMI_WINDOW_EXITING)
/*
 * With APIC virtualization CR8 goes to the TPR shadow instead; x2APIC
 * virtualization and APIC-access virtualization follow each vCPU's APIC
 * mode.
 */
#define PROC_CR8	(CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING)
#define PROC2_APICV	(SECONDARY_EXEC_APIC_REGISTER_VIRT | \
			 SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)
/* Secondary: RDTSCP and XSAVES stay off, TSC_AUX and XSS not switched. */
#define PROC2_NEED	(SECONDARY_EXEC_ENABLE_EPT | \
			 SECONDARY_EXEC_UNRESTRICTED_GUEST)
#define PROC2_WANT	(SECONDARY_EXEC_ENABLE_INVPCID | \
			 SECONDARY_EXEC_WBINVD_EXITING)
/*
 * VM exit: without "acknowledge interrupt on exit" an external interrupt
 * stays pending and the host takes it when hvx enables interrupts again.
 */
#define EXIT_NEED	(VM_EXIT_HOST_ADDR_SPACE_SIZE | \
			 VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER | \
			 VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT | \
			 VM_EXIT_SAVE_DEBUG_CONTROLS)
#define ENTRY_NEED	(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT | \
			 VM_ENTRY_LOAD_DEBUG_CONTROLS)

struct control_req {
	u32 msr, true_msr;	/* capability MSRs; true_msr 0: none */
	u32 need, want, later;
	u32 *out;
	const char *missing;	/* the log line when @need cannot be had */
};

/* VPID and the preemption timer are used where present. */
static int hvx_setup_controls(struct hvx_vmx_config *c)
{
	bool tru = c->basic & VMX_BASIC_TRUE_CTLS;
	u32 timer = c->features & HVX_VMX_PREEMPTION_TIMER;
	u32 proc_need = c->apicv ? (PROC_NEED & ~PROC_CR8) |
			CPU_BASED_TPR_SHADOW : PROC_NEED;
	u32 proc2_need = c->apicv ? PROC2_NEED | PROC2_APICV : PROC2_NEED;
	const struct control_req reqs[] = {
		{ MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		  PIN_NEED, timer ? PIN_BASED_VMX_PREEMPTION_TIMER : 0, 0,
		  &c->pin,
		  "CPU cannot exit on external interrupts and NMIs, or lacks virtual NMIs" },
		{ MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
		  proc_need, PROC_WANT, PROC_LATER, &c->proc,
		  "CPU lacks required processor-based VM-execution controls" },
		{ MSR_IA32_VMX_PROCBASED_CTLS2, 0, proc2_need,
		  PROC2_WANT | ((c->features & HVX_VMX_VPID) ?
				SECONDARY_EXEC_ENABLE_VPID : 0),
		  c->apicv ? SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE |
			     SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES : 0,
		  &c->proc2,
		  "CPU lacks EPT or unrestricted guest, both required" },
		{ MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
		  EXIT_NEED, timer ? VM_EXIT_SAVE_VMX_PREEMPTION_TIMER : 0, 0,
		  &c->exit, "CPU lacks required VM-exit controls" },
		{ MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS,
		  ENTRY_NEED, 0, 0, &c->entry,
		  "CPU lacks required VM-entry controls" },
	};
	const struct control_req *r;
	int err;

	for (r = reqs; r < reqs + ARRAY_SIZE(reqs); r++) {
		err = hvx_adjust_controls(tru && r->true_msr ? r->true_msr :
					  r->msr, r->need, r->want, r->out);
		if (!err && (~allowed1(r->msr) & r->later))
			err = -EOPNOTSUPP;
		if (err) {
			pr_err("%s\n", r->missing);
			return err;
		}
	}
	/* IA-32e mode is set per vCPU from the guest's EFER.LMA. */
	c->entry &= ~VM_ENTRY_IA32E_MODE;
	/*
	 * The time slice (vmcs.c, exit.c) counts down across exits: were its
	 * value not saved at each, every entry would start a new slice, and
	 * with exits more often than one lasts none would ever end.
	 */
	if (!(c->exit & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER))
		c->pin &= ~PIN_BASED_VMX_PREEMPTION_TIMER;

	if (!(c->ept_vpid_cap & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(c->ept_vpid_cap & VMX_EPTP_WB_BIT) ||
	    !(c->ept_vpid_cap & VMX_EPT_INVEPT_BIT) ||
	    !(c->ept_vpid_cap & VMX_EPT_EXTENT_CONTEXT_BIT)) {
		pr_err("CPU lacks 4-level write-back EPT with single-context INVEPT\n");
		return -EOPNOTSUPP;
	}
	if ((c->proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
	    (!(c->features & HVX_VMX_INVVPID) ||
	     !(c->ept_vpid_cap &
	       ((u64)VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT << 32))))
		c->proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	return 0;
}

/*
 * The VMX capability MSRs, which every CPU must answer as the one that
 * probed them did: the VMCS revision, the controls hvx chose and the fixed
 * CR0/CR4 bits come from them (KVM refuses a CPU whose differ too).  One
 * the CPU lacks reads as 0 on every CPU alike.
 */
static const u32 vmx_cap_msrs[] = {
	MSR_IA32_VMX_BASIC, MSR_IA32_VMX_PINBASED_CTLS,
	MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_EXIT_CTLS,
	MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_MISC, MSR_IA32_VMX_CR0_FIXED0,
	MSR_IA32_VMX_CR0_FIXED1, MSR_IA32_VMX_CR4_FIXED0,
	MSR_IA32_VMX_CR4_FIXED1, MSR_IA32_VMX_PROCBASED_CTLS2,
	MSR_IA32_VMX_EPT_VPID_CAP, MSR_IA32_VMX_TRUE_PINBASED_CTLS,
	MSR_IA32_VMX_TRUE_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
	MSR_IA32_VMX_TRUE_ENTRY_CTLS,
};

/* As the probing CPU read them; written once, at load. */
static u64 vmx_cap_values[ARRAY_SIZE(vmx_cap_msrs)];

static void vmx_caps_read(u64 *val)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vmx_cap_msrs); i++)
		if (rdmsrl_safe(vmx_cap_msrs[i], &val[i]))
			val[i] = 0;
}

/**
 * hvx_caps_check_cpu() - refuse a CPU whose VMX differs from the probed one
 * @cpu: this CPU, about to turn VMX on
 *
 * Return: 0, or -EIO after a line naming the first MSR that differs.
 */
int hvx_caps_check_cpu(unsigned int cpu)
{
	u64 val[ARRAY_SIZE(vmx_cap_msrs)];
	unsigned int i;

	vmx_caps_read(val);
	for (i = 0; i < ARRAY_SIZE(vmx_cap_msrs); i++) {
		if (val[i] == vmx_cap_values[i])
			continue;
		pr_err("CPU%u: VMX capability MSR %#x is %#llx, %#llx on the CPU that loaded hvx\n",
		       cpu, vmx_cap_msrs[i], val[i], vmx_cap_values[i]);
		return -EIO;
	}
	return 0;
}

/**
 * hvx_caps_probe() - check that VMX is usable and choose the VMCS controls
 *
 * Return: 0; -ENODEV when the CPU has no VMX; -EOPNOTSUPP when firmware
 * locked VMX off or the CPU lacks what hvx requires.  Each failure logs one
 * line saying why.
 */
int hvx_caps_probe(void)
{
	struct hvx_vmx_config *c = &hvx_vmx;
	u64 feat_ctl;
	int err;

	memset(c, 0, sizeof(*c));
	/* CPUID itself: the kernel clears its copy when firmware locks VMX off */
	if (!(cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31))) {
		pr_err("CPU does not support VMX (no vmx in CPUID)\n");
		return -ENODEV;
	}
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat_ctl) ||
	    !(feat_ctl & FEAT_CTL_LOCKED) ||
	    !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX is disabled by firmware (IA32_FEATURE_CONTROL)\n");
		return -EOPNOTSUPP;
	}
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("VMX is disabled in the kernel (X86_FEATURE_VMX clear)\n");
		return -EOPNOTSUPP;
	}

	vmx_caps_read(vmx_cap_values);
	rdmsrl(MSR_IA32_VMX_BASIC, c->basic);
	rdmsrl(MSR_IA32_VMX_MISC, c->misc);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);
	c->revision_id = c->basic & 0x7fffffff;
	c->vmcs_size = (c->basic >> 32) & 0x1fff;

	if (c->vmcs_size > PAGE_SIZE ||
	    vmx_basic_vmcs_mem_type(c->basic) != X86_MEMTYPE_WB) {
		pr_err("unsupported VMCS layout (IA32_VMX_BASIC %#llx)\n",
		       c->basic);
		return -EOPNOTSUPP;
	}

	hvx_probe_features(c);
	err = hvx_setup_controls(c);
	if (err)
		return err;
	return 0;
}

/**
 * hvx_caps_fill() - the capability report HVX_GET_CAPS returns
 * @caps: filled in
 */
void hvx_caps_fill(struct hvx_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->vmx_features = hvx_vmx.features;
	caps->hvx_features = HVX_FEATURES;
	caps->vmx_basic = hvx_vmx.basic;
	caps->vmx_misc = hvx_vmx.misc;
	caps->ept_vpid_cap = hvx_vmx.ept_vpid_cap;
	caps->max_vcpus = HVX_MAX_VCPUS;
	caps->max_mem_slots = HVX_MAX_MEM_SLOTS;
	caps->run_page_size = PAGE_SIZE;
	caps->preemption_timer_shift =
		vmx_misc_preemption_timer_rate(hvx_vmx.misc);
	caps->mitigations = hvx_mitigations;
	caps->apicv = hvx_vmx.apicv;
}
