// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of a vCPU's state that no register ioctl covers, for
 * snapshots and migration: the local APIC (HVX_GET_LAPIC, apic.c), the
 * events in flight (HVX_GET_VCPU_EVENTS), the debug registers
 * (HVX_GET_DEBUGREGS), the x87/SSE/AVX state with XCR0
 * (HVX_GET_XSAVE), and the PDPTEs of PAE paging (HVX_GET_PDPTRS); each
 * with its setter.
 *
 * A setter takes any state the guest could have reached and refuses, with
 * nothing changed, what it could not: what VM entry would reject is
 * checked here, against the registers already set, so that a restore in
 * the documented order (Documentation/api.rst) never fails the next entry.
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>
#include <asm/trapnr.h>

#include "event.h"
#include "vcpu.h"
#include "vmx_ops.h"

/**
 * hvx_set_dr6() - DR6 as a MOV to DR6 leaves it
 * @vcpu: the vCPU
 * @val: the value written; bits 63:32 already checked clear
 */
void hvx_set_dr6(struct hvx_vcpu *vcpu, unsigned long val)
{
	const struct hvx_cpuid_entry *e = hvx_cpuid_find(vcpu, 7, 0);
	unsigned long fixed = HVX_DR6_FIXED;

	/* the RTM bit is reserved, and reads 1, unless the guest has RTM */
	if (!e || !(e->ebx & BIT(11)))
		fixed |= HVX_DR6_RTM;
	vcpu->dr6 = (val & HVX_DR6_RW) | fixed;
}

/**
 * hvx_set_dr7() - DR7 as a MOV to DR7 leaves it
 * @vcpu: the vCPU, loaded
 * @val: the value written; bits 63:32 already checked clear
 */
void hvx_set_dr7(struct hvx_vcpu *vcpu, unsigned long val)
{
	hvx_vmwrite(GUEST_DR7, (val & ~HVX_DR7_RSVD) | HVX_DR7_FIXED);
	vcpu->db_armed = val & HVX_DR7_ENABLED;
}

/**
 * hvx_db_clears_gd() - DR7.GD as a #DB leaves it
 * @vcpu: the vCPU, loaded, a #DB about to be delivered
 *
 * The processor clears GD as it enters the #DB handler, so that the
 * handler can read DR6; a #DB an entry injects does not.
 */
void hvx_db_clears_gd(struct hvx_vcpu *vcpu)
{
	unsigned long dr7 = hvx_vmread(GUEST_DR7);

	if (dr7 & HVX_DR7_GD)
		hvx_set_dr7(vcpu, dr7 & ~HVX_DR7_GD);
}

/* The interruptibility bits the event state owns; SMI blocking is not. */
#define EVENT_INTR_BITS	(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS | \
			 GUEST_INTR_STATE_NMI)

static bool soft_event(u8 type)
{
	return type == HVX_EVENT_SOFT_INTR || type == HVX_EVENT_PRIV_SW_EXC ||
	       type == HVX_EVENT_SOFT_EXC;
}

static int get_events(struct hvx_vcpu *vcpu, struct hvx_vcpu_events *e)
{
	u32 info = hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD);
	u32 intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);
	unsigned long req = READ_ONCE(vcpu->requests);

	/* the exit's instruction is not finished: its RIP is not the state */
	if (vcpu->pending != HVX_PENDING_NONE)
		return -EBUSY;
	memset(e, 0, sizeof(*e));
	if (info & INTR_INFO_VALID_MASK) {
		e->flags |= HVX_EVENTS_INJECTED;
		e->inject_type = (info & INTR_INFO_INTR_TYPE_MASK) >> 8;
		e->inject_vector = info & INTR_INFO_VECTOR_MASK;
		if (info & INTR_INFO_DELIVER_CODE_MASK) {
			e->flags |= HVX_EVENTS_ERROR_CODE;
			e->inject_error_code =
				hvx_vmread32(VM_ENTRY_EXCEPTION_ERROR_CODE);
		}
		if (soft_event(e->inject_type))
			e->inject_insn_len =
				hvx_vmread32(VM_ENTRY_INSTRUCTION_LEN);
	}
	if (vcpu->irq_vector >= 0) {
		e->flags |= HVX_EVENTS_IRQ;
		e->irq_vector = vcpu->irq_vector;
	}
	if (vcpu->extint_vector >= 0) {
		e->flags |= HVX_EVENTS_EXTINT;
		e->extint_vector = vcpu->extint_vector;
	}
	/*
	 * An NMI whose delivery an exit cut short is the event the next
	 * entry injects, unless an exception took that place: then it can
	 * only merge into the latch.
	 */
	if (vcpu->nmi_injected && !(info & INTR_INFO_VALID_MASK)) {
		e->flags |= HVX_EVENTS_INJECTED;
		e->inject_type = HVX_EVENT_NMI;
		e->inject_vector = X86_TRAP_NMI;
	} else if (vcpu->nmi_injected) {
		e->flags |= HVX_EVENTS_NMI_PENDING;
	}
	if (vcpu->nmi_pending || (req & BIT(HVX_REQ_NMI)))
		e->flags |= HVX_EVENTS_NMI_PENDING;
	if (intr & GUEST_INTR_STATE_NMI)
		e->flags |= HVX_EVENTS_NMI_MASKED;
	if (intr & GUEST_INTR_STATE_STI)
		e->flags |= HVX_EVENTS_STI_SHADOW;
	if (intr & GUEST_INTR_STATE_MOV_SS)
		e->flags |= HVX_EVENTS_MOV_SS_SHADOW;
	if (req & BIT(HVX_REQ_INIT))
		e->flags |= HVX_EVENTS_INIT_PENDING;
	if (req & BIT(HVX_REQ_SIPI)) {
		e->flags |= HVX_EVENTS_SIPI_PENDING;
		e->sipi_vector = READ_ONCE(vcpu->sipi_vector);
	}
	e->pending_dbg = hvx_vmread(GUEST_PENDING_DBG_EXCEPTIONS);
	bitmap_to_arr64(e->eoi_pending, vcpu->eoi_exits, 256);
	return 0;
}

/*
 * The event to inject, as the VM-entry interruption-information field, or
 * 0 for none; -EINVAL for one VM entry would refuse with the registers as
 * they are (Intel SDM "Checks on VM-Entry Control Fields" and "Checks on
 * Guest Non-Register State"), or that no instruction can raise.
 */
static long inject_info(struct hvx_vcpu *vcpu, const struct hvx_vcpu_events *e)
{
	bool has_ec = e->flags & HVX_EVENTS_ERROR_CODE;
	bool shadow = e->flags & (HVX_EVENTS_STI_SHADOW |
				  HVX_EVENTS_MOV_SS_SHADOW);
	u8 type = e->inject_type, v = e->inject_vector;
	bool ok;

	if (!(e->flags & HVX_EVENTS_INJECTED))
		return (e->inject_type || e->inject_vector ||
			e->inject_insn_len || e->inject_error_code ||
			has_ec) ? -EINVAL : 0;
	switch (type) {
	case HVX_EVENT_EXT_INTR:
		ok = !shadow && (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF);
		break;
	case HVX_EVENT_NMI:
		ok = v == X86_TRAP_NMI && !shadow &&
		     !(e->flags & HVX_EVENTS_NMI_MASKED);
		break;
	case HVX_EVENT_HW_EXCEPTION:
		ok = v < 32 && v != X86_TRAP_NMI &&
		     has_ec == (hvx_exc_in(HVX_EXC_ERROR_CODE, v) &&
				(hvx_get_cr0(vcpu) & X86_CR0_PE));
		break;
	case HVX_EVENT_SOFT_INTR:
		ok = true;
		break;
	case HVX_EVENT_PRIV_SW_EXC:
		ok = v == X86_TRAP_DB;
		break;
	case HVX_EVENT_SOFT_EXC:
		ok = v == X86_TRAP_BP || v == X86_TRAP_OF;
		break;
	default:
		ok = false;
	}
	/* VM entry takes no error code above 16 bits */
	if (!ok || (has_ec && type != HVX_EVENT_HW_EXCEPTION) ||
	    (!has_ec && e->inject_error_code) || (e->inject_error_code >> 16))
		return -EINVAL;
	/* a software event has its instruction's length, others none */
	if (soft_event(type) ?
	    !e->inject_insn_len || e->inject_insn_len > HVX_INSN_MAX_LEN :
	    e->inject_insn_len)
		return -EINVAL;
	return v | (u32)type << 8 | INTR_INFO_VALID_MASK |
	       (has_ec ? INTR_INFO_DELIVER_CODE_MASK : 0);
}

/* What set_events() checks before the injection: flags, words, shadows. */
static bool events_valid(const struct hvx_vcpu_events *e)
{
	if ((e->flags & ~HVX_EVENTS_FLAGS) ||
	    memchr_inv(e->reserved, 0, sizeof(e->reserved)) ||
	    memchr_inv(e->pad, 0, sizeof(e->pad)) ||
	    (!(e->flags & HVX_EVENTS_EXTINT) && e->extint_vector) ||
	    (e->pending_dbg & ~HVX_PENDING_DBG_VALID) ||
	    (!(e->flags & HVX_EVENTS_IRQ) && e->irq_vector) ||
	    (!(e->flags & HVX_EVENTS_SIPI_PENDING) && e->sipi_vector) ||
	    e->sipi_vector > 0xff ||
	    (e->eoi_pending[0] & 0xffff))	/* no APIC vector below 16 */
		return false;
	/*
	 * A #DB pending in a transaction (RTM) is one bit 12 alone stands
	 * beside, on a processor with RTM, outside a MOV SS shadow.
	 */
	if ((e->pending_dbg & BIT(16)) &&
	    ((e->pending_dbg & 0xffff) != BIT(12) ||
	     !boot_cpu_has(X86_FEATURE_RTM) ||
	     (e->flags & HVX_EVENTS_MOV_SS_SHADOW)))
		return false;
	/* one shadow at a time; the STI one only where STI set IF */
	return !(e->flags & HVX_EVENTS_STI_SHADOW) ||
	       (!(e->flags & HVX_EVENTS_MOV_SS_SHADOW) &&
		(hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF));
}

static int set_events(struct hvx_vcpu *vcpu, const struct hvx_vcpu_events *e)
{
	u32 intr;
	long info;
	int irq;

	if (!events_valid(e))
		return -EINVAL;
	info = inject_info(vcpu, e);
	if (info < 0)
		return info;
	/*
	 * An external interrupt injected is one acknowledged and not yet
	 * delivered: irq_vector, which the next entry takes, and where an
	 * exit that cuts its delivery short puts it back (over the other,
	 * were both given).
	 */
	irq = (e->flags & HVX_EVENTS_IRQ) ? e->irq_vector : -1;
	if (info && e->inject_type == HVX_EVENT_EXT_INTR) {
		if (irq >= 0)
			return -EINVAL;
		irq = e->inject_vector;
		info = 0;
	}

	hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
	hvx_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, e->inject_error_code);
	hvx_vmwrite(VM_ENTRY_INSTRUCTION_LEN, e->inject_insn_len);
	/* as if hvx_inject_events() had put it there (apicv.c) */
	vcpu->event_injected = info && e->inject_type == HVX_EVENT_NMI;
	vcpu->irq_vector = irq;
	vcpu->extint_vector = (e->flags & HVX_EVENTS_EXTINT) ?
			      e->extint_vector : -1;
	vcpu->nmi_pending = e->flags & HVX_EVENTS_NMI_PENDING;
	vcpu->nmi_injected = false;
	clear_bit(HVX_REQ_NMI, &vcpu->requests);

	intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) & ~EVENT_INTR_BITS;
	if (e->flags & HVX_EVENTS_NMI_MASKED)
		intr |= GUEST_INTR_STATE_NMI;
	if (e->flags & HVX_EVENTS_STI_SHADOW)
		intr |= GUEST_INTR_STATE_STI;
	if (e->flags & HVX_EVENTS_MOV_SS_SHADOW)
		intr |= GUEST_INTR_STATE_MOV_SS;
	hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO, intr);
	hvx_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, e->pending_dbg);

	WRITE_ONCE(vcpu->sipi_vector, e->sipi_vector);
	if (e->flags & HVX_EVENTS_INIT_PENDING)
		set_bit(HVX_REQ_INIT, &vcpu->requests);
	else
		clear_bit(HVX_REQ_INIT, &vcpu->requests);
	if (e->flags & HVX_EVENTS_SIPI_PENDING)
		set_bit(HVX_REQ_SIPI, &vcpu->requests);
	else
		clear_bit(HVX_REQ_SIPI, &vcpu->requests);
	/* the next HVX_RUN reports them first, one exit each */
	bitmap_from_arr64(vcpu->eoi_exits, e->eoi_pending, 256);
	if (bitmap_empty(vcpu->eoi_exits, 256))
		clear_bit(HVX_REQ_EOI_EXIT, &vcpu->requests);
	else
		set_bit(HVX_REQ_EOI_EXIT, &vcpu->requests);
	/* the next entry looks at the APIC and the windows again */
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
	return 0;
}

static void get_debugregs(struct hvx_vcpu *vcpu, struct hvx_debugregs *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->db, vcpu->db, sizeof(d->db));
	d->dr6 = vcpu->dr6;
	d->dr7 = hvx_vmread(GUEST_DR7);
}

static int set_debugregs(struct hvx_vcpu *vcpu, const struct hvx_debugregs *d)
{
	/* bits 63:32 of DR6 and DR7: MOV to them raises #GP */
	if ((d->dr6 >> 32) || (d->dr7 >> 32) || d->flags ||
	    memchr_inv(d->reserved, 0, sizeof(d->reserved)))
		return -EINVAL;
	memcpy(vcpu->db, d->db, sizeof(vcpu->db));
	hvx_set_dr6(vcpu, d->dr6);
	hvx_set_dr7(vcpu, d->dr7);
	return 0;
}

/* The components an XSAVE image may carry: the guest's, and PKRU. */
static u64 xsave_features(void)
{
	return hvx_guest_xfeatures() | XFEATURE_MASK_PKRU;
}

static int get_xsave(struct hvx_vcpu *vcpu, struct hvx_xsave *x)
{
	unsigned int size = vcpu->fpu.fpstate->user_size;

	/* never expected: the guest's fpstate has no dynamic features */
	if (size > sizeof(x->region))
		return -E2BIG;
	memset(x, 0, sizeof(*x));
	x->xcr0 = vcpu->xcr0;
	x->size = size;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, x->region, size,
				       xsave_features(), vcpu->pkru);
	return 0;
}

static int set_xsave(struct hvx_vcpu *vcpu, const struct hvx_xsave *x)
{
	int err;

	if (x->flags || memchr_inv(x->reserved, 0, sizeof(x->reserved)) ||
	    !hvx_xcr0_valid(vcpu, x->xcr0))
		return -EINVAL;
	/* header, MXCSR and components are checked before anything is set */
	err = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, x->region,
					     xsave_features(), &vcpu->pkru);
	if (err)
		return err;
	vcpu->xcr0 = x->xcr0;
	return 0;
}

static void get_pdptrs(struct hvx_vcpu *vcpu, struct hvx_pdptrs *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	if (!hvx_pae_paging(vcpu))
		return;
	p->flags = HVX_PDPTRS_VALID;
	for (i = 0; i < 4; i++)
		p->pdptr[i] = hvx_vmread64(GUEST_PDPTR0 + 2 * i);
}

static int set_pdptrs(struct hvx_vcpu *vcpu, const struct hvx_pdptrs *p)
{
	/* outside PAE paging the processor keeps no PDPTEs */
	if (p->flags != HVX_PDPTRS_VALID || p->pad ||
	    memchr_inv(p->reserved, 0, sizeof(p->reserved)) ||
	    !hvx_pae_paging(vcpu))
		return -EINVAL;
	return hvx_set_pdptes(vcpu, p->pdptr);
}

/* Each command's state, kmalloc'ed: too big for the stack. */
union vcpu_state {
	struct hvx_lapic_state lapic;
	struct hvx_vcpu_events events;
	struct hvx_debugregs debugregs;
	struct hvx_xsave xsave;
	struct hvx_pdptrs pdptrs;
};

/**
 * hvx_vcpu_state_ioctl() - HVX_GET_LAPIC, HVX_SET_LAPIC,
 *	HVX_GET_VCPU_EVENTS, HVX_SET_VCPU_EVENTS, HVX_GET_DEBUGREGS,
 *	HVX_SET_DEBUGREGS, HVX_GET_XSAVE, HVX_SET_XSAVE, HVX_GET_PDPTRS,
 *	HVX_SET_PDPTRS
 * @vcpu: the vCPU, its mutex held
 * @cmd: the command
 * @argp: userspace's struct of the command
 *
 * Return: 0; -EFAULT when @argp cannot be read or written; -ENOMEM;
 * -EBUSY for HVX_GET_VCPU_EVENTS while an exit waits for userspace's
 * answer; -EINVAL for a state a setter refuses (nothing of it is taken),
 * and for HVX_SET_PDPTRS outside PAE paging;
 * -E2BIG for HVX_GET_XSAVE if the host's XSAVE image outgrew
 * HVX_XSAVE_REGION_SIZE (not expected: the guest has no dynamic features).
 */
long hvx_vcpu_state_ioctl(struct hvx_vcpu *vcpu, unsigned int cmd,
			  void __user *argp)
{
	unsigned int size = _IOC_SIZE(cmd);
	bool set = _IOC_DIR(cmd) & _IOC_WRITE;
	union vcpu_state *s;
	long r;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	if (set && copy_from_user(s, argp, size)) {
		r = -EFAULT;
		goto out;
	}

	hvx_vcpu_run_begin(vcpu);
	switch (cmd) {
	case HVX_GET_LAPIC:
		hvx_apic_get_state(vcpu, &s->lapic);
		r = 0;
		break;
	case HVX_SET_LAPIC:
		r = hvx_apic_set_state(vcpu, &s->lapic);
		break;
	case HVX_GET_VCPU_EVENTS:
		r = get_events(vcpu, &s->events);
		break;
	case HVX_SET_VCPU_EVENTS:
		r = set_events(vcpu, &s->events);
		break;
	case HVX_GET_DEBUGREGS:
		get_debugregs(vcpu, &s->debugregs);
		r = 0;
		break;
	case HVX_SET_DEBUGREGS:
		r = set_debugregs(vcpu, &s->debugregs);
		break;
	case HVX_GET_XSAVE:
		r = get_xsave(vcpu, &s->xsave);
		break;
	case HVX_SET_XSAVE:
		r = set_xsave(vcpu, &s->xsave);
		break;
	case HVX_GET_PDPTRS:
		get_pdptrs(vcpu, &s->pdptrs);
		r = 0;
		break;
	case HVX_SET_PDPTRS:
		r = set_pdptrs(vcpu, &s->pdptrs);
		break;
	default:
		r = -ENOTTY;
	}
	hvx_vcpu_run_end(vcpu);

	if (!r && !set && copy_to_user(argp, s, size))
		r = -EFAULT;
out:
	kfree(s);
	return r;
}
