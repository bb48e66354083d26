// SPDX-License-Identifier: GPL-2.0
/*
 * VMX operation on the host CPUs, and which VMCS is active where.
 *
 * VMXON runs on every online CPU while at least one VM exists, through a
 * dynamic CPU hotplug state: registering it turns VMX on everywhere (and on
 * CPUs that come online later), removing it turns VMX off.  A CPU going
 * offline first VMCLEARs the VMCSs active on it.  A system suspend, which
 * takes the other CPUs offline, does the same on the one CPU left and
 * turns VMX on there again at resume; a reboot, halt or kexec turns VMX
 * off everywhere for good.
 *
 * A vCPU's VMCS is active on at most one CPU (Intel SDM "VMCS Life Cycle").
 * When the vCPU thread is scheduled in on another CPU, the preempt notifier
 * VMCLEARs it on the old CPU (an IPI) and VMPTRLDs it on the new one, and
 * the per-CPU host fields of the VMCS are refreshed.  The notifier is
 * registered only while HVX_RUN runs, so exit handlers may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>

#include "compat.h"
#include "mitigate.h"
#include "vcpu.h"
#include "vmx_ops.h"

/**
 * struct hvx_cpu - VMX state of one host CPU
 * @vmxon_region:	the VMXON region, allocated on first use
 * @current_vcpu:	whose VMCS is current (VMPTRLD) here
 * @loaded:		vCPUs whose VMCS is active here; changed and walked
 *			with interrupts disabled on this CPU only
 */
struct hvx_cpu {
	void *vmxon_region;
	struct hvx_vcpu *current_vcpu;
	struct list_head loaded;
};

static DEFINE_PER_CPU(struct hvx_cpu, hvx_cpus);

/* VMXON done on this CPU; changed with interrupts disabled on it. */
DEFINE_PER_CPU(bool, hvx_vmx_on);

/*
 * Guards hvx_vmx_users, hvx_cpuhp_state, hvx_vmx_stopped,
 * kvm_intel_present, kvm_intel_seen and emergency_registered.
 */
static DEFINE_MUTEX(hvx_vmx_lock);
static unsigned int hvx_vmx_users;
static int hvx_cpuhp_state;
/*
 * The system reboots, halts or kexecs: no VMXON any more.  Also written
 * under the CPU hotplug lock, under which the online callback reads it.
 */
static bool hvx_vmx_stopped;

/*
 * hvx_suspend() turned VMX off on the CPU that suspends the system, and
 * hvx_resume() turns it on again.  Both run on that CPU alone, with
 * interrupts off.
 */
static bool hvx_vmx_suspended;

/*
 * The kernel keeps one emergency-reboot callback for virtualization, and
 * kvm_intel registers its own for as long as it is loaded: registering a
 * second WARNs, and the first would be lost.  KVM's callback turns VMX off
 * on every CPU where CR4.VMXE is set, whoever set it, which is all a reboot
 * needs; so hvx registers its own (which also VMCLEARs hvx's VMCSs for a
 * kdump kernel) only while it has VMs and kvm_intel is not loaded, and
 * steps aside when kvm_intel comes.
 */
static bool kvm_intel_present;
static bool kvm_intel_seen;
static bool emergency_registered;

static DEFINE_IDA(hvx_vpid_ida);

void hvx_vmx_insn_failed(const char *insn, unsigned long field)
{
	pr_err_ratelimited("%s failed: field %#lx, VM-instruction error %lu\n",
			   insn, field, hvx_vmread(VM_INSTRUCTION_ERROR));
}

/* VMCLEAR every VMCS active on this CPU. Interrupts are disabled. */
static void hvx_clear_loaded_local(void)
{
	struct hvx_cpu *c = this_cpu_ptr(&hvx_cpus);
	struct hvx_vcpu *vcpu, *tmp;

	list_for_each_entry_safe(vcpu, tmp, &c->loaded, loaded_link) {
		hvx_vmclear(__pa(vcpu->vmcs));
		list_del_init(&vcpu->loaded_link);
		vcpu->launched = false;
		/*
		 * Order the list removal and launched before another CPU
		 * may VMPTRLD (it reads cpu -1 first).
		 */
		smp_wmb();
		WRITE_ONCE(vcpu->cpu, -1);
	}
	c->current_vcpu = NULL;
}

static void hvx_emergency_disable(void)
{
	struct hvx_cpu *c = this_cpu_ptr(&hvx_cpus);
	struct hvx_vcpu *vcpu;

	/* Write back VMCS data so a kdump kernel sees consistent memory. */
	if (this_cpu_read(hvx_vmx_on))
		list_for_each_entry(vcpu, &c->loaded, loaded_link)
			hvx_vmclear(__pa(vcpu->vmcs));
	/*
	 * VMXOFF where CR4.VMXE is set, then clear it (KVM's helper did),
	 * hvx_vmx_on or not: vmx_on_local() sets it after the VMXON, and
	 * a CPU left in VMX operation cannot kexec (kdump) or reset.
	 */
	if (__read_cr4() & X86_CR4_VMXE) {
		hvx_vmxoff();
		cr4_clear_bits(X86_CR4_VMXE);
	}
}

/* VMXON here; interrupts are disabled, the VMXON region allocated. */
static int vmx_on_local(unsigned int cpu)
{
	struct hvx_cpu *c = this_cpu_ptr(&hvx_cpus);
	int err = 0;

	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_err("CPU%u: VMX is in use by another hypervisor (kvm_intel?)\n",
		       cpu);
		return -EBUSY;
	}
	cr4_set_bits(X86_CR4_VMXE);
	if (hvx_vmxon(__pa(c->vmxon_region))) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("CPU%u: VMXON failed\n", cpu);
		return -EIO;
	}
	/* Mappings cached by whoever used VMX here before are stale. */
	if (hvx_vmx.ept_vpid_cap & VMX_EPT_EXTENT_GLOBAL_BIT)
		err = hvx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	this_cpu_write(hvx_vmx_on, true);
	if (err)
		pr_warn_once("global INVEPT failed\n");
	return 0;
}

/* VMCLEAR what is active here, then VMXOFF; interrupts are disabled. */
static void vmx_off_local(void)
{
	if (!this_cpu_read(hvx_vmx_on))
		return;
	hvx_clear_loaded_local();
	hvx_vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
	this_cpu_write(hvx_vmx_on, false);
}

static int hvx_cpu_online(unsigned int cpu)
{
	struct hvx_cpu *c = this_cpu_ptr(&hvx_cpus);
	unsigned long cr0 = read_cr0();
	int err;

	/* after the reboot notifier, VMX stays off (it holds the hotplug lock) */
	if (READ_ONCE(hvx_vmx_stopped))
		return 0;

	if (!c->vmxon_region) {
		c->vmxon_region = (void *)get_zeroed_page(GFP_KERNEL);
		if (!c->vmxon_region)
			return -ENOMEM;
	}
	*(u32 *)c->vmxon_region = hvx_vmx.revision_id;

	err = hvx_caps_check_cpu(cpu);
	if (err)
		return err;
	if ((cr0 & hvx_vmx.cr0_fixed0) != hvx_vmx.cr0_fixed0 ||
	    (cr0 & ~hvx_vmx.cr0_fixed1)) {
		pr_err("CPU%u: CR0 %#lx does not allow VMX operation\n",
		       cpu, cr0);
		return -EIO;
	}

	local_irq_disable();
	err = vmx_on_local(cpu);
	local_irq_enable();
	return err;
}

static int hvx_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	vmx_off_local();
	local_irq_enable();
	return 0;
}

/*
 * The system sleeps (or takes a hibernation image) with tasks frozen and
 * the other CPUs offline, whose VMX went with them.  This one would come
 * back from the firmware out of VMX operation, its VMCSs never written
 * back: VMCLEAR and VMXOFF now, and CR4 is saved without VMXE.
 */
static int hvx_suspend(void *unused)
{
	hvx_vmx_suspended = this_cpu_read(hvx_vmx_on);
	vmx_off_local();
	return 0;
}

/* VMX on again where hvx_suspend() turned it off; the vCPUs load anew. */
static void hvx_resume(void *unused)
{
	if (!hvx_vmx_suspended)
		return;
	hvx_vmx_suspended = false;
	if (vmx_on_local(smp_processor_id()))
		pr_err("VMX stays off on this CPU after resume: guests here fail with EIO\n");
}

HVX_DEFINE_SYSCORE(hvx_syscore, hvx_suspend, hvx_resume);

static void vmx_off_ipi(void *unused)
{
	vmx_off_local();
}

/*
 * Firmware may hang on a restart in VMX operation, and a kexec'd kernel
 * cannot start CPUs that are (they block INIT).  VMX goes off everywhere
 * before, for good: a vCPU that runs on gets EIO (irqs_off_for_entry()),
 * and a new VM EBUSY.
 */
static int hvx_reboot(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	mutex_lock(&hvx_vmx_lock);
	/* no CPU comes online between the flag and the IPIs */
	cpus_read_lock();
	WRITE_ONCE(hvx_vmx_stopped, true);
	if (hvx_vmx_users)
		on_each_cpu(vmx_off_ipi, NULL, 1);
	cpus_read_unlock();
	mutex_unlock(&hvx_vmx_lock);
	return NOTIFY_OK;
}

static struct notifier_block hvx_reboot_nb = {
	.notifier_call = hvx_reboot,
};

/* Register or drop hvx's emergency callback as the state says: lock held */
static void emergency_update(void)
{
	bool want = hvx_vmx_users && !kvm_intel_present;

	lockdep_assert_held(&hvx_vmx_lock);
	if (want == emergency_registered)
		return;
	if (want)
		cpu_emergency_register_virt_callback(hvx_emergency_disable);
	else
		cpu_emergency_unregister_virt_callback(hvx_emergency_disable);
	emergency_registered = want;
}

/*
 * kvm_intel registers its callback in its init and drops it in its exit:
 * COMING comes before the one, GOING after the other (and after a failed
 * init).
 */
static int hvx_module_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm_intel") ||
	    (action != MODULE_STATE_COMING && action != MODULE_STATE_GOING))
		return NOTIFY_DONE;
	mutex_lock(&hvx_vmx_lock);
	kvm_intel_present = action == MODULE_STATE_COMING;
	kvm_intel_seen = true;
	emergency_update();
	mutex_unlock(&hvx_vmx_lock);
	return NOTIFY_OK;
}

/*
 * Whether kvm_intel is loaded, from its kobject, for as long as the
 * notifier has not spoken: a load whose COMING came before hvx's
 * notifier may not have its kobject yet when hvx loads, so the look is
 * made again at each first VM; the notifier's word is final once it
 * came.  A kobject left by an unload whose GOING came first counts as
 * kvm_intel until it goes: registering beside kvm_intel's callback would
 * WARN, and a GOING module may still hold it.  Every module's kobject
 * lives in the one module kset.
 */
static void kvm_intel_probe(void)
{
	struct kobject *kobj;

	lockdep_assert_held(&hvx_vmx_lock);
	if (kvm_intel_seen)
		return;
	kobj = kset_find_obj(THIS_MODULE->mkobj.kobj.kset, "kvm_intel");
	kvm_intel_present = kobj;
	kobject_put(kobj);
}

static struct notifier_block hvx_module_nb = {
	.notifier_call = hvx_module_notify,
};

/**
 * hvx_vmx_get() - make sure VMX is on, for one more VM
 *
 * Return: 0, or a negative errno (-EBUSY when another hypervisor holds VMX
 * on some CPU or the reboot notifier turned VMX off for good, -EIO when
 * VMXON fails).  On failure VMX is off on every CPU again.
 */
int hvx_vmx_get(void)
{
	int ret = 0;

	mutex_lock(&hvx_vmx_lock);
	if (hvx_vmx_stopped) {
		ret = -EBUSY;
		goto out;
	}
	if (hvx_vmx_users++)
		goto out;
	kvm_intel_probe();
	/*
	 * The crash callback is in place before the first VMXON and stays
	 * until after the last VMXOFF: a CPU that crashes in between must
	 * find it.  It passes over CPUs with VMX off.
	 */
	emergency_update();
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hvx:online",
				hvx_cpu_online, hvx_cpu_offline);
	if (ret < 0) {
		hvx_vmx_users = 0;
		emergency_update();
		goto out;
	}
	hvx_cpuhp_state = ret;
	ret = 0;
out:
	mutex_unlock(&hvx_vmx_lock);
	return ret;
}

/**
 * hvx_vmx_put() - one VM fewer; the last one turns VMX off everywhere
 */
void hvx_vmx_put(void)
{
	mutex_lock(&hvx_vmx_lock);
	if (!WARN_ON(!hvx_vmx_users) && !--hvx_vmx_users) {
		cpuhp_remove_state(hvx_cpuhp_state);
		emergency_update();
	}
	mutex_unlock(&hvx_vmx_lock);
}

static void hvx_invept_local(void *eptp)
{
	if (this_cpu_read(hvx_vmx_on))
		hvx_invept(VMX_EPT_EXTENT_CONTEXT, *(u64 *)eptp);
}

/**
 * hvx_vmx_invept_all() - drop cached translations of an EPT everywhere
 * @eptp: the EPT pointer
 * @cpus: the CPUs that may hold them (struct hvx_ept's @cpus)
 *
 * Runs INVEPT on those CPUs; one running a guest of this EPT takes the
 * IPI as a VM exit and flushes before it re-enters.  Not on the others:
 * a guest's flushes would interrupt CPUs it never ran on, isolated ones
 * (nohz_full) among them.  The caller's clearing of EPT entries is
 * ordered before the read of @cpus, as a vCPU's setting of its CPU's bit
 * is before its entry (hvx_vcpu_load()): either this flush reaches that
 * CPU, or its guest finds the entries cleared.
 */
void hvx_vmx_invept_all(u64 eptp, const struct cpumask *cpus)
{
	/* the cleared entries before @cpus: pairs with hvx_vcpu_load() */
	smp_mb();
	on_each_cpu_mask(cpus, hvx_invept_local, &eptp, 1);
}

/**
 * hvx_vpid_alloc() - a VPID for a new vCPU
 *
 * Return: a VPID, or 0 when VPID is not used (or all are taken).
 */
int hvx_vpid_alloc(void)
{
	int vpid;

	if (!(hvx_vmx.proc2 & SECONDARY_EXEC_ENABLE_VPID))
		return 0;
	vpid = ida_alloc_range(&hvx_vpid_ida, 1, 0xffff, GFP_KERNEL);
	return vpid < 0 ? 0 : vpid;
}

/**
 * hvx_vpid_free() - give back a VPID from hvx_vpid_alloc()
 * @vpid: the VPID, 0 for none
 */
void hvx_vpid_free(int vpid)
{
	if (vpid)
		ida_free(&hvx_vpid_ida, vpid);
}

static void hvx_vcpu_clear_local(void *arg)
{
	struct hvx_vcpu *vcpu = arg;
	struct hvx_cpu *c = this_cpu_ptr(&hvx_cpus);

	/* The vCPU may have been cleared already (CPU offline). */
	if (vcpu->cpu != raw_smp_processor_id())
		return;
	hvx_vmclear(__pa(vcpu->vmcs));
	if (c->current_vcpu == vcpu)
		c->current_vcpu = NULL;
	list_del_init(&vcpu->loaded_link);
	vcpu->launched = false;
	/*
	 * Pairs with hvx_vcpu_load(): the VMCLEAR and launched are done
	 * before cpu = -1.
	 */
	smp_wmb();
	WRITE_ONCE(vcpu->cpu, -1);
}

/**
 * hvx_vcpu_clear() - VMCLEAR a vCPU's VMCS wherever it is active
 * @vcpu: the vCPU; not running
 */
void hvx_vcpu_clear(struct hvx_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->cpu);

	if (cpu < 0 || !smp_call_function_single(cpu, hvx_vcpu_clear_local,
						 vcpu, 1))
		return;
	/*
	 * The CPU is offline.  Its teardown (hvx_cpu_offline()) cleared
	 * every VMCS active there, this one included, unless the VMCS was
	 * loaded after it, which hvx_vcpu_load() does not do.  Should it
	 * have happened, forget the stale link rather than corrupt the next
	 * CPU's list: nothing walks the offline CPU's list any more.
	 */
	if (WARN_ON_ONCE(READ_ONCE(vcpu->cpu) == cpu)) {
		list_del_init(&vcpu->loaded_link);
		WRITE_ONCE(vcpu->cpu, -1);
		vcpu->launched = false;
	}
}

/**
 * hvx_vcpu_load() - make the vCPU's VMCS current on this CPU
 * @vcpu: the vCPU
 *
 * Called with preemption disabled.  Moving to a new CPU flushes the
 * vCPU's cached translations there, which may predate guest page-table
 * changes made elsewhere.  On a CPU without VMX (one going offline, after
 * hvx's teardown ran there) nothing is loaded; the run loop does not
 * enter the guest there (hvx_vmx_on).
 */
void hvx_vcpu_load(struct hvx_vcpu *vcpu)
{
	int cpu = smp_processor_id();
	struct hvx_cpu *c = this_cpu_ptr(&hvx_cpus);
	bool moved = vcpu->cpu != cpu;

	unsigned long flags;

	if (unlikely(!this_cpu_read(hvx_vmx_on)))
		return;
	/* Other tasks ran here since the last entry: flush if "cond". */
	vcpu->l1d_flush_pending = true;
	if (moved) {
		hvx_vcpu_clear(vcpu);
		/* Pairs with the clear: see its VMCLEAR before our VMPTRLD. */
		smp_rmb();
	}
	/*
	 * The reboot notifier's IPI turns VMX off between two interrupts:
	 * looked at again with them off, VMX stays on to the VMPTRLD.
	 */
	local_irq_save(flags);
	if (unlikely(!this_cpu_read(hvx_vmx_on)))
		goto out;
	if (moved) {
		list_add(&vcpu->loaded_link, &c->loaded);
		vcpu->cpu = cpu;
		/* before any entry here: see hvx_vmx_invept_all() */
		if (!cpumask_test_cpu(cpu, vcpu->vm->ept.cpus)) {
			cpumask_set_cpu(cpu, vcpu->vm->ept.cpus);
			/* the bit before the entry's EPT walks */
			smp_mb__after_atomic();
		}
	}
	if (c->current_vcpu != vcpu) {
		hvx_mitigate_vm_switch(vcpu);
		c->current_vcpu = vcpu;
		if (hvx_vmptrld(__pa(vcpu->vmcs)))
			pr_err_ratelimited("VMPTRLD failed on CPU%d\n", cpu);
	}
	if (moved) {
		hvx_vmcs_set_host_percpu(vcpu);
		if (vcpu->vpid)
			hvx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid);
		else
			hvx_invept(VMX_EPT_EXTENT_CONTEXT, vcpu->vm->ept.eptp);
	}
out:
	local_irq_restore(flags);
}

/**
 * hvx_vcpu_put() - give the host its state back when leaving the vCPU
 * @vcpu: the vCPU
 *
 * Called with preemption disabled, on scheduling out and at the end of
 * HVX_RUN.  The VMCS stays active on this CPU.
 */
void hvx_vcpu_put(struct hvx_vcpu *vcpu)
{
	hvx_msrs_load_host(vcpu);
}

static inline struct hvx_vcpu *pn_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct hvx_vcpu, pn);
}

static void hvx_sched_in(struct preempt_notifier *pn, int cpu)
{
	hvx_vcpu_load(pn_to_vcpu(pn));
}

static void hvx_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
	hvx_vcpu_put(pn_to_vcpu(pn));
}

static struct preempt_ops hvx_preempt_ops = {
	.sched_in = hvx_sched_in,
	.sched_out = hvx_sched_out,
};

/**
 * hvx_vcpu_run_begin() - load the vCPU and follow the thread's migrations
 * @vcpu: the vCPU, whose ioctl the current thread runs
 */
void hvx_vcpu_run_begin(struct hvx_vcpu *vcpu)
{
	preempt_notifier_init(&vcpu->pn, &hvx_preempt_ops);
	preempt_disable();
	hvx_vcpu_load(vcpu);
	preempt_notifier_register(&vcpu->pn);
	preempt_enable();
}

/**
 * hvx_vcpu_run_end() - stop following the thread, restore host state
 * @vcpu: the vCPU
 */
void hvx_vcpu_run_end(struct hvx_vcpu *vcpu)
{
	preempt_disable();
	preempt_notifier_unregister(&vcpu->pn);
	hvx_vcpu_put(vcpu);
	preempt_enable();
}

/**
 * hvx_vmx_module_init() - per-CPU state, kvm_intel's comings and goings,
 * suspend, resume and reboot, at module load
 *
 * Return: 0, or a negative errno from a notifier's registration.
 */
int hvx_vmx_module_init(void)
{
	int cpu, err;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(hvx_cpus, cpu).loaded);
	/* Watch first, then look: a kvm_intel loading in between is seen. */
	err = register_reboot_notifier(&hvx_reboot_nb);
	if (err)
		return err;
	err = register_module_notifier(&hvx_module_nb);
	if (err) {
		unregister_reboot_notifier(&hvx_reboot_nb);
		return err;
	}
	hvx_register_syscore(&hvx_syscore);
	mutex_lock(&hvx_vmx_lock);
	kvm_intel_probe();
	mutex_unlock(&hvx_vmx_lock);
	preempt_notifier_inc();
	return 0;
}

/**
 * hvx_vmx_module_exit() - free per-CPU state, at module unload
 *
 * No VM exists any more, so VMX is off everywhere.
 */
void hvx_vmx_module_exit(void)
{
	int cpu;

	preempt_notifier_dec();
	hvx_unregister_syscore(&hvx_syscore);
	unregister_module_notifier(&hvx_module_nb);
	unregister_reboot_notifier(&hvx_reboot_nb);
	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(hvx_cpus, cpu).vmxon_region);
		per_cpu(hvx_cpus, cpu).vmxon_region = NULL;
	}
	ida_destroy(&hvx_vpid_ida);
}
