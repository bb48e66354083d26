// SPDX-License-Identifier: GPL-2.0
/*
 * The processor's APIC virtualization (Intel SDM vol. 3C, "APIC
 * Virtualization and Virtual Interrupts"), used for every vCPU when the
 * module has it (hvx_vmx.apicv, the enable_apicv parameter).
 *
 * The model's register page (vcpu->apic.regs) is the virtual-APIC page:
 * the processor and lapic.c read and write the same TPR, ISR and IRR, so
 * there is one copy of the APIC's state.  What the processor does alone:
 *  - CR8 and, in x2APIC mode, TPR writes (TPR shadow);
 *  - x2APIC register reads (APIC-register virtualization), all but the
 *    timer's current count, which the model computes, and the ICR, whose
 *    destination it keeps at 310H, not at 304H where the processor reads;
 *  - delivery of the highest pending vector when the guest can take it,
 *    edge-triggered EOIs and self-IPIs (virtual-interrupt delivery).
 * A level-triggered vector's EOI still exits (EOI-exit bitmap, from the
 * TMR), so userspace's I/O APIC always hears of it (apic.c).
 *
 * In xAPIC mode at the default base (0xfee00000) the APIC page is
 * virtualized too: the VM's APIC-access page (vm->apic_access_page,
 * never read) is mapped there in the EPT, and the processor serves what
 * it can from the virtual-APIC page: register reads, TPR writes, EOIs
 * and self-IPIs through the ICR.  A write to another register it stores
 * in the page and then exits (APIC-write, trap-like): the model takes
 * the write from there as if the register had held, before it, what it
 * held at the entry (hvx_apicv_save_regs()).  What it does not
 * virtualize (the timer's current count, APR and PPR on the test host's
 * CPU, accesses wider than 32 bits) exits before the
 * access (APIC-access, fault-like) and is emulated as an MMIO access.
 * An APIC elsewhere (IA32_APIC_BASE moved it) or disabled is not
 * virtualized, as with KVM: its page exits as before.  The leaf is
 * VM-wide: a vCPU leaving xAPIC mode clears it, but while another vCPU
 * still in xAPIC mode maps it again, the first one's accesses to
 * 0xfee00000 (meaningless outside xAPIC mode) reach the page itself.
 *
 * Interrupts from elsewhere (IPIs, MSIs, the timer) set the IRR bit under
 * the APIC lock and kick the vCPU (apic.c): without posted interrupts a
 * vCPU in the guest learns of a new vector only at its next entry, where
 * hvx_apicv_sync() gives the processor the highest one (RVI).  Level-
 * triggered ones wait outside the IRR until then (apic_defer_level()),
 * so that none is delivered before its EOI-exit bit is set.
 *
 * Everything here runs on the vCPU's own thread with its VMCS loaded.
 */
#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/mm.h>

#include "vcpu.h"
#include "vmx_ops.h"

/* In the MSR bitmap: reads of MSRs 0-0x1fff, then (2 KiB on) writes. */
#define MSR_BITMAP_WRITE_LOW	(2048 * 8)

/**
 * hvx_apicv_msr_bitmap_init() - the x2APIC bitmap from the VM's default
 * @bitmap: the VM's two MSR bitmap pages, the first one set up
 *
 * The second page is the first with the x2APIC registers the processor
 * serves opened: a vCPU uses it while its APIC is in x2APIC mode.  In
 * xAPIC mode every 0x800-0x8ff access must exit: without x2APIC
 * virtualization the processor would pass it to the host's own APIC.
 */
void hvx_apicv_msr_bitmap_init(unsigned long *bitmap)
{
	unsigned long *x2 = bitmap + PAGE_SIZE / sizeof(*bitmap);
	u32 msr;

	memcpy(x2, bitmap, PAGE_SIZE);
	for (msr = HVX_X2APIC_MSR_BASE; msr <= HVX_X2APIC_MSR_LAST; msr++) {
		if (hvx_lapic_x2apic_hw_access(msr, false))
			__clear_bit(msr, x2);
		if (hvx_lapic_x2apic_hw_access(msr, true))
			__clear_bit(MSR_BITMAP_WRITE_LOW + msr, x2);
	}
}

/**
 * hvx_apicv_vmcs_init() - the APIC virtualization fields of a new VMCS
 * @vcpu: the vCPU, loaded
 *
 * Return: 0, or -EIO when a VMWRITE failed.
 */
int hvx_apicv_vmcs_init(struct hvx_vcpu *vcpu)
{
	int err = 0;

	err |= hvx_vmwrite(VIRTUAL_APIC_PAGE_ADDR, __pa(vcpu->apic.regs));
	err |= hvx_vmwrite(APIC_ACCESS_ADDR,
			   page_to_phys(vcpu->vm->apic_access_page));
	/* no TPR-below-threshold exits with virtual-interrupt delivery */
	err |= hvx_vmwrite(TPR_THRESHOLD, 0);
	err |= hvx_vmwrite(GUEST_INTR_STATUS, 0);
	err |= hvx_vmwrite(EOI_EXIT_BITMAP0, 0);
	err |= hvx_vmwrite(EOI_EXIT_BITMAP1, 0);
	err |= hvx_vmwrite(EOI_EXIT_BITMAP2, 0);
	err |= hvx_vmwrite(EOI_EXIT_BITMAP3, 0);
	memset(vcpu->eoi_exit_bitmap, 0, sizeof(vcpu->eoi_exit_bitmap));
	return err ? -EIO : 0;
}

#define PROC2_MODES	(SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE | \
			 SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES)

/*
 * x2APIC virtualization and its MSR bitmap, or APIC-access
 * virtualization, follow the APIC's mode.
 */
static void sync_mode(struct hvx_vcpu *vcpu, enum hvx_apicv_mode mode)
{
	u32 ctl = vcpu->proc2_ctl & ~PROC2_MODES;
	unsigned long bitmap = __pa(vcpu->vm->msr_bitmap);

	if (mode == HVX_APICV_X2APIC_MSRS)
		ctl |= SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE;
	else if (mode == HVX_APICV_XAPIC_PAGE)
		ctl |= SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES;
	if (ctl == vcpu->proc2_ctl)
		return;
	if ((ctl ^ vcpu->proc2_ctl) & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE)
		hvx_vmwrite(MSR_BITMAP, mode == HVX_APICV_X2APIC_MSRS ?
			    bitmap + PAGE_SIZE : bitmap);
	vcpu->proc2_ctl = ctl;
	hvx_vmwrite(SECONDARY_VM_EXEC_CONTROL, ctl);
}

static __always_inline void save_reg(struct hvx_vcpu *vcpu, unsigned int off)
{
	vcpu->apicv_old[off >> 4] = hvx_lapic_reg(&vcpu->apic, off);
}

/**
 * hvx_apicv_save_regs() - what the registers held at this entry
 * @vcpu: the vCPU, about to enter with APIC-access virtualization
 *
 * The model's register writes depend on the old value (a new timer mode
 * stops the timer, a new divide goes on from the current count, read-
 * only bits stay): after an APIC-write exit only this copy has it.  Only
 * this thread changes these registers, and never while the guest runs.
 *
 * The registers are those whose xAPIC writes the processor stores in
 * the page and then reports with an APIC-write exit (SDM vol. 3C,
 * "Virtualizing Memory-Mapped APIC Accesses"), CMCI in case a processor
 * adds it.  This runs before every such entry, so it is written out: a
 * loop over a table of offsets cost ten instructions a register.
 */
void hvx_apicv_save_regs(struct hvx_vcpu *vcpu)
{
	save_reg(vcpu, HVX_APIC_REG_ID);
	save_reg(vcpu, HVX_APIC_REG_LDR);
	save_reg(vcpu, HVX_APIC_REG_DFR);
	save_reg(vcpu, HVX_APIC_REG_SVR);
	save_reg(vcpu, HVX_APIC_REG_ESR);
	save_reg(vcpu, HVX_APIC_REG_LVT_CMCI);
	save_reg(vcpu, HVX_APIC_REG_ICR);
	save_reg(vcpu, HVX_APIC_REG_ICR2);
	save_reg(vcpu, HVX_APIC_REG_LVT_TIMER);
	save_reg(vcpu, HVX_APIC_REG_LVT_THERMAL);
	save_reg(vcpu, HVX_APIC_REG_LVT_PMC);
	save_reg(vcpu, HVX_APIC_REG_LVT_LINT0);
	save_reg(vcpu, HVX_APIC_REG_LVT_LINT1);
	save_reg(vcpu, HVX_APIC_REG_LVT_ERROR);
	save_reg(vcpu, HVX_APIC_REG_TMICT);
	save_reg(vcpu, HVX_APIC_REG_TDCR);
}

/**
 * hvx_apicv_base_changed() - the guest or userspace wrote IA32_APIC_BASE
 * @vcpu: the vCPU, from its own thread, preemptible
 *
 * The controls follow before the next entry.  An APIC that left xAPIC
 * mode at the default base must find its accesses there trapped again,
 * so the APIC-access page leaves the EPT (the next access of a vCPU in
 * xAPIC mode maps it again).
 */
void hvx_apicv_base_changed(struct hvx_vcpu *vcpu)
{
	if (!hvx_vmx.apicv)
		return;
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
	if (hvx_apic_mode(vcpu) != HVX_APICV_XAPIC_PAGE)
		hvx_ept_unmap_own(vcpu->vm, HVX_APIC_DEFAULT_BASE);
}

/**
 * hvx_apicv_map_access_page() - an EPT violation on the xAPIC page
 * @vcpu: the vCPU, loaded, preemptible, running with APIC-access
 *	virtualization
 * @gpa: the address, in the page at HVX_APIC_DEFAULT_BASE
 *
 * Return: 1 when the APIC-access page is mapped there (the access is
 * retried and virtualized), 0 when a slot's RAM is there, -ENOMEM.
 */
int hvx_apicv_map_access_page(struct hvx_vcpu *vcpu, u64 gpa)
{
	struct hvx_vm *vm = vcpu->vm;
	int r;

	r = hvx_ept_map_own(vm, gpa & PAGE_MASK,
			    page_to_pfn(vm->apic_access_page));
	if (r == -EEXIST)
		return 0;
	return r ? r : 1;
}

static const unsigned long eoi_exit_field[4] = {
	EOI_EXIT_BITMAP0, EOI_EXIT_BITMAP1, EOI_EXIT_BITMAP2, EOI_EXIT_BITMAP3,
};

/**
 * hvx_apicv_sync() - give the processor what changed in the model
 * @vcpu: the vCPU, loaded, before an entry; HVX_REQ_EVENT was set
 *
 * The highest requested and in-service vectors (RVI, SVI), the EOI-exit
 * bitmap (every level-triggered vector, from the TMR) and the mode.  VM
 * entry then evaluates the priorities and delivers what the guest can
 * take.
 */
void hvx_apicv_sync(struct hvx_vcpu *vcpu)
{
	enum hvx_apicv_mode mode;
	u64 tmr[4];
	u16 status;
	int i;

	status = hvx_apic_vid_state(vcpu, tmr, &mode);
	sync_mode(vcpu, mode);
	hvx_vmwrite(GUEST_INTR_STATUS, status);
	for (i = 0; i < 4; i++) {
		if (tmr[i] == vcpu->eoi_exit_bitmap[i])
			continue;
		vcpu->eoi_exit_bitmap[i] = tmr[i];
		hvx_vmwrite(eoi_exit_field[i], tmr[i]);
	}
}

/**
 * hvx_apicv_sync_irr() - give the processor a vector that joined the IRR
 * @vcpu: the vCPU, loaded, before an entry; HVX_REQ_IRR was set and just
 *	cleared, HVX_REQ_EVENT was not set
 *
 * What a fixed MSI or IPI changes (apic.c, apic_accept()): one
 * edge-triggered vector more in the IRR, its TMR bit clear, nothing else.
 * RVI, exact since the last sync (the processor keeps it so while it
 * delivers), becomes the highest vector in the IRR if that is higher:
 * RVI names the vector the processor delivers, whatever the IRR says,
 * so it must never be above it.  No lock: other CPUs only add IRR bits,
 * each under the APIC lock and followed by its own request, so a bit
 * this scan misses has its request again for the next entry.
 */
void hvx_apicv_sync_irr(struct hvx_vcpu *vcpu)
{
	u16 status = hvx_vmread16(GUEST_INTR_STATUS);
	int irr;

	/* the request's clear comes before the scan */
	smp_mb__after_atomic();
	irr = hvx_lapic_irr_highest(&vcpu->apic);
	if (irr > (status & 0xff))
		hvx_vmwrite(GUEST_INTR_STATUS, (status & 0xff00) | irr);
}

/**
 * hvx_apicv_vectoring() - the event an exit interrupted, with APIC
 *	virtualization
 * @vcpu: the vCPU, loaded, just after the exit
 * @vect: the IDT-vectoring information, valid
 * @injected: hvx injected an interrupt or NMI at the entry
 *
 * When the delivery of a virtual interrupt exits (say, an EPT violation
 * on the guest's IDT or stack), the processor has already moved the
 * vector into the ISR and SVI, and the IDT-vectoring information names
 * it as an external interrupt.  The emulated CPU of the test host (Bochs
 * 2.7) records nothing for a virtual interrupt: the field holds the last
 * event it recorded, on any VMCS: an NMI, another vector, or an exception
 * that some earlier guest took.  Delivering that again is wrong, and
 * leaves the virtual interrupt in service but never delivered.
 *
 * An external interrupt or NMI that hvx did not inject can only be the
 * virtual interrupt, so it is taken from SVI, as on hardware; none there
 * means none was being delivered.  On Bochs (hvx_vmx.vectoring_quirk)
 * an exception is taken for the virtual interrupt when this run
 * delivered one (SVI or RVI moved since the entry; a self-IPI needs no
 * exit) and the guest has interrupts enabled: a delivery cut short
 * changed nothing else, while a handler entered through an interrupt
 * gate runs with them disabled.  Elsewhere the processor names the
 * exception right: taken for the in-service vector, a trap (a
 * single-step #DB) would be lost and the vector delivered twice.
 *
 * Return: the IDT-vectoring information to act on; 0 for none.
 */
u32 hvx_apicv_vectoring(struct hvx_vcpu *vcpu, u32 vect, bool injected)
{
	u32 type = vect & VECTORING_INFO_TYPE_MASK;
	u16 status;
	u8 svi;

	if (injected)
		return vect;
	status = hvx_vmread16(GUEST_INTR_STATUS);
	svi = status >> 8;
	if (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI_INTR) {
		if (svi < 16)
			return 0;
	} else if (!hvx_vmx.vectoring_quirk || svi < 16 ||
		   status == vcpu->entry_intr_status ||
		   !(hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF)) {
		return vect;
	}
	return VECTORING_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | svi;
}
