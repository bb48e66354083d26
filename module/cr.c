// SPDX-License-Identifier: GPL-2.0
/*
 * Control registers, EFER and XCR0 of the guest.
 *
 * The guest owns no CR0/CR4 bit (both guest/host masks are all ones):
 * every write exits and is checked here, reads come from the read
 * shadows.  The hardware values add what VMX requires (CR0.NE, CR4.VMXE)
 * and drop CR0.CD/NW, whose caching effects EPT's memory types replace.
 * Entering long mode (CR0.PG with EFER.LME) sets EFER.LMA and the
 * "IA-32e mode guest" entry control together, as the SDM requires.
 * A CR4 bit whose feature the guest's CPUID hides is reserved, as on a
 * processor without the feature (cpuid.c keeps the mask).
 *
 * A write the processor would make flush the TLB (SDM "Operations that
 * Invalidate TLBs and Paging-Structure Caches") flushes the vCPU's VPID
 * here: the intercepted instruction did not, and with VPIDs the guest's
 * translations outlive VM exits and entries.
 */
#include <linux/kernel.h>
#include <asm/fpu/xcr.h>
#include <asm/processor-flags.h>
#include <asm/tlbflush.h>

#include "vcpu.h"
#include "vmx_ops.h"

u64 hvx_host_xcr0;

#define CR0_VALID	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
#define CR4_GUEST	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | \
			 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | \
			 X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | \
			 X86_CR4_OSXMMEXCPT | X86_CR4_UMIP | \
			 X86_CR4_FSGSBASE | X86_CR4_PCIDE | X86_CR4_OSXSAVE | \
			 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE)
#define EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/*
 * The processor's CR4 in the guest: the guest's, with VMX's fixed bits,
 * and MCE as the host has it.  A machine check in VMX non-root operation
 * with CR4.MCE clear shuts the processor down (SDM 3C, "Machine-Check
 * Considerations" of VMX); with it set, it exits to the host's handler
 * (hvx_handle_machine_check()).  The guest sees its own MCE bit in the
 * read shadow: hvx's default CPUID hides MCE, and guests leave it clear.
 */
static unsigned long hw_cr4(unsigned long cr4)
{
	cr4 = (cr4 & ~X86_CR4_MCE) | (cr4_read_shadow() & X86_CR4_MCE);
	return (cr4 | hvx_vmx.cr4_fixed0) & hvx_vmx.cr4_fixed1;
}

static int cr_check(struct hvx_vcpu *vcpu, unsigned long cr0,
		    unsigned long cr4, u64 efer)
{
	if ((cr0 & ~CR0_VALID) || (cr0 >> 32))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if (cr4 & (~(CR4_GUEST & hvx_vmx.cr4_fixed1) | vcpu->cr4_hidden))
		return -EINVAL;
	/* hvx switches PKRU with RDPKRU/WRPKRU, which need the host's PKE */
	if ((cr4 & X86_CR4_PKE) && !boot_cpu_has(X86_FEATURE_OSPKE))
		return -EINVAL;
	/* and XCR0 with XSETBV: #UD in a host that runs without XSAVE */
	if ((cr4 & X86_CR4_OSXSAVE) && !boot_cpu_has(X86_FEATURE_OSXSAVE))
		return -EINVAL;
	if (efer & ~EFER_VALID)
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && (efer & EFER_LME) && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	if ((cr4 & X86_CR4_PCIDE) && !(efer & EFER_LMA))
		return -EINVAL;
	return 0;
}

/*
 * PAE paging outside long mode: entry loads PDPTEs from the VMCS.  All
 * four are checked before any is written: a refused load changes nothing.
 */
static int write_pdptes(const u64 *pdpte)
{
	int i;

	for (i = 0; i < 4; i++) {
		/* present entries with reserved bits set: #GP on MOV */
		if ((pdpte[i] & 1) && (pdpte[i] & (0x1e6ULL |
		     GENMASK_ULL(63, boot_cpu_data.x86_phys_bits))))
			return -EINVAL;
	}
	for (i = 0; i < 4; i++)
		hvx_vmwrite(GUEST_PDPTR0 + 2 * i, pdpte[i]);
	return 0;
}

/*
 * -EINVAL for a table outside guest RAM or with reserved bits set; -EINTR
 * when a signal ended the wait for its page, or it is poisoned (as
 * hvx_read_gpa()): nothing changed then, and the write runs again.
 */
static int load_pdptrs(struct hvx_vcpu *vcpu, unsigned long cr3)
{
	u64 pdpte[4];
	int r;

	r = hvx_read_gpa(vcpu->vm, cr3 & ~0x1fUL & 0xffffffffUL, pdpte,
			 sizeof(pdpte));
	if (r)
		return r == -EINTR ? r : -EINVAL;
	return write_pdptes(pdpte);
}

/* Drop the guest's cached translations, global ones included. */
static void cr_flush_tlb(struct hvx_vcpu *vcpu)
{
	/* without VPIDs every entry and exit flushes them */
	if (vcpu->vpid)
		hvx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid);
}

/**
 * hvx_pae_paging() - whether the vCPU translates through PDPTEs
 * @vcpu: the vCPU, loaded
 *
 * Return: true for PAE paging: CR0.PG and CR4.PAE set, outside long mode.
 */
bool hvx_pae_paging(struct hvx_vcpu *vcpu)
{
	return (hvx_get_cr0(vcpu) & X86_CR0_PG) &&
	       (hvx_get_cr4(vcpu) & X86_CR4_PAE) &&
	       !(hvx_vmread(GUEST_IA32_EFER) & EFER_LMA);
}

/**
 * hvx_set_pdptes() - replace the PDPTEs of PAE paging (HVX_SET_PDPTRS)
 * @vcpu: the vCPU, loaded, in PAE paging
 * @pdpte: the four entries
 *
 * The guest's cached translations go: they came from the old ones.
 *
 * Return: 0, or -EINVAL for a present entry with reserved bits set, which
 * no MOV to CR3 could have loaded (nothing changed).
 */
int hvx_set_pdptes(struct hvx_vcpu *vcpu, const u64 *pdpte)
{
	int err = write_pdptes(pdpte);

	if (!err)
		cr_flush_tlb(vcpu);
	return err;
}

/* Whether MOV to CR0 or CR4 from @cr0/@cr4 flushes the TLB. */
static bool cr_flushes(unsigned long old0, unsigned long cr0,
		       unsigned long old4, unsigned long cr4)
{
	return ((old0 & X86_CR0_PG) && !(cr0 & X86_CR0_PG)) ||
	       ((old4 ^ cr4) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE)) ||
	       ((old4 & X86_CR4_PCIDE) && !(cr4 & X86_CR4_PCIDE)) ||
	       (!(old4 & X86_CR4_SMEP) && (cr4 & X86_CR4_SMEP));
}

/*
 * Long mode wants a 64-bit busy TSS in TR.  A guest cannot enter it with
 * a 16-bit one loaded (#GP: hvx_set_cr0()); a state that HVX_SET_SREGS
 * puts in long mode with one (a VMM's own making) gets the 64-bit type,
 * which VM entry requires.
 */
static void cr_fix_tr(void)
{
	u32 ar = hvx_vmread32(GUEST_TR_AR_BYTES);

	if ((ar & HVX_AR_TYPE_MASK) == 3)
		hvx_vmwrite(GUEST_TR_AR_BYTES, (ar & ~HVX_AR_TYPE_MASK) | 11);
}

/*
 * Whether a MOV to CR0 or CR4 taking them from @old0/@old4 to @cr0/@cr4
 * loads the PDPTEs, PAE paging being in use after it (SDM "PDPTE
 * Registers"): it modifies CR0.CD, NW or PG, or CR4.PAE, PGE, PSE or
 * SMEP.  Other writes, and WRMSR to EFER, keep them.
 */
static bool cr_loads_pdptes(unsigned long old0, unsigned long cr0,
			    unsigned long old4, unsigned long cr4)
{
	return ((old0 ^ cr0) & (X86_CR0_CD | X86_CR0_NW | X86_CR0_PG)) ||
	       ((old4 ^ cr4) & (X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE |
				X86_CR4_SMEP));
}

/* How cr_apply() treats the PDPTEs of PAE paging. */
enum cr_pdptes {
	CR_PDPTES_ARCH,		/* as the guest's write: cr_loads_pdptes() */
	CR_PDPTES_SREGS,	/* HVX_SET_SREGS: always loaded, see below */
};

static int cr_apply(struct hvx_vcpu *vcpu, unsigned long cr0,
		    unsigned long cr4, u64 efer, enum cr_pdptes how)
{
	static const u64 none[4];
	bool lma = (cr0 & X86_CR0_PG) && (efer & EFER_LME);
	unsigned long must1 = hvx_vmx.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
	unsigned long old0 = hvx_get_cr0(vcpu), old4 = hvx_get_cr4(vcpu);
	u32 entry = hvx_vmread32(VM_ENTRY_CONTROLS);
	int r = 0;

	if (lma && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !lma &&
	    (how == CR_PDPTES_SREGS || cr_loads_pdptes(old0, cr0, old4, cr4)))
		r = load_pdptrs(vcpu, hvx_vmread(GUEST_CR3));
	if (r) {
		if (how != CR_PDPTES_SREGS || r == -EINTR)
			return r;
		/*
		 * The guest may have reused its table since it loaded CR3:
		 * a state to restore all the same.  None is present until
		 * HVX_SET_PDPTRS puts the saved ones back.
		 */
		write_pdptes(none);
	}

	if (lma && !(entry & VM_ENTRY_IA32E_MODE))
		cr_fix_tr();
	efer = lma ? efer | EFER_LMA : efer & ~EFER_LMA;
	entry = lma ? entry | VM_ENTRY_IA32E_MODE :
		      entry & ~VM_ENTRY_IA32E_MODE;
	hvx_vmwrite(VM_ENTRY_CONTROLS, entry);
	hvx_vmwrite(GUEST_IA32_EFER, efer);
	hvx_vmwrite(CR0_READ_SHADOW, cr0);
	hvx_vmwrite(GUEST_CR0, ((cr0 | must1) & hvx_vmx.cr0_fixed1) &
		    ~(X86_CR0_CD | X86_CR0_NW));
	hvx_vmwrite(CR4_READ_SHADOW, cr4);
	hvx_vmwrite(GUEST_CR4, hw_cr4(cr4));
	if (cr_flushes(old0, cr0, old4, cr4))
		cr_flush_tlb(vcpu);
	return 0;
}

/* CR0, CR4 and EFER together; the guest's cached translations go. */
static int cr_set_all(struct hvx_vcpu *vcpu, unsigned long cr0,
		      unsigned long cr4, u64 efer, enum cr_pdptes how)
{
	int err;

	efer &= ~EFER_LMA;
	if ((cr0 & X86_CR0_PG) && (efer & EFER_LME))
		efer |= EFER_LMA;
	if (cr_check(vcpu, cr0, cr4, efer))
		return -EINVAL;
	err = cr_apply(vcpu, cr0, cr4, efer, how);
	if (!err)
		cr_flush_tlb(vcpu);
	return err;
}

/**
 * hvx_set_cr_all() - set CR0, CR4 and EFER together (HVX_SET_SREGS)
 * @vcpu: the vCPU, loaded
 * @cr0: new CR0
 * @cr4: new CR4
 * @efer: new EFER; LMA is computed
 *
 * With CR3 already set: PAE paging loads its PDPTEs from the table there,
 * as a MOV to CR3 would, or none present when the processor would refuse
 * that table.  The guest's cached translations go: CR3 may have changed
 * with them.
 *
 * Return: 0, -EINVAL for an invalid combination, or -EINTR when a signal
 * ended the wait for the page of the PDPTEs, or it is poisoned (as
 * hvx_read_gpa()); nothing changed on an error.
 */
int hvx_set_cr_all(struct hvx_vcpu *vcpu, unsigned long cr0,
		   unsigned long cr4, u64 efer)
{
	return cr_set_all(vcpu, cr0, cr4, efer, CR_PDPTES_SREGS);
}

/**
 * hvx_set_cr0() - a write to CR0, by the guest or by hvx
 * @vcpu: the vCPU, loaded
 * @cr0: the value
 *
 * Return: 0, -EINVAL where the processor would raise #GP, or -EINTR as
 * hvx_set_cr_all().
 */
int hvx_set_cr0(struct hvx_vcpu *vcpu, unsigned long cr0)
{
	unsigned long old = hvx_get_cr0(vcpu), cr4 = hvx_get_cr4(vcpu);
	u64 efer = hvx_vmread(GUEST_IA32_EFER);

	/*
	 * The processor ignores reserved bits 31:0; 63:32 are #GP.  ET is
	 * fixed at 1 since the 486: 387 detection code reads it back.
	 */
	if (!(cr0 >> 32))
		cr0 = (cr0 & CR0_VALID) | X86_CR0_ET;
	/*
	 * Paging on or off with EFER.LME set enters or leaves long mode,
	 * which needs a CS whose L bit is clear: long mode is left from
	 * compatibility mode, and entered with the bit that counts only in
	 * IA-32e mode clear (entry would refuse a CS both 64-bit and D).
	 */
	if (((old ^ cr0) & X86_CR0_PG) && (efer & EFER_LME) &&
	    (hvx_vmread32(GUEST_CS_AR_BYTES) & HVX_AR_L))
		return -EINVAL;
	/* and long mode has no 16-bit TSS: #GP entering it with one in TR */
	if ((cr0 & ~old & X86_CR0_PG) && (efer & EFER_LME) &&
	    (hvx_vmread32(GUEST_TR_AR_BYTES) & HVX_AR_TYPE_MASK) == 3)
		return -EINVAL;
	return cr_set_all(vcpu, cr0, cr4, efer, CR_PDPTES_ARCH);
}

/**
 * hvx_set_cr4() - a write to CR4
 * @vcpu: the vCPU, loaded
 * @cr4: the value
 *
 * Return: 0, -EINVAL where the processor would raise #GP, or -EINTR as
 * hvx_set_cr_all().
 */
int hvx_set_cr4(struct hvx_vcpu *vcpu, unsigned long cr4)
{
	u64 efer = hvx_vmread(GUEST_IA32_EFER);

	if ((efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	/* PCIDE turned on with CR3[11:0], PCD and PWT then, not PCID 0 */
	if ((cr4 & ~hvx_get_cr4(vcpu) & X86_CR4_PCIDE) &&
	    (hvx_vmread(GUEST_CR3) & 0xfff))
		return -EINVAL;
	if (cr_check(vcpu, hvx_get_cr0(vcpu), cr4, efer))
		return -EINVAL;
	return cr_apply(vcpu, hvx_get_cr0(vcpu), cr4, efer, CR_PDPTES_ARCH);
}

/**
 * hvx_set_efer() - a write to EFER
 * @vcpu: the vCPU, loaded
 * @efer: the value; LMA is kept as the hardware has it
 *
 * Return: 0, or -EINVAL where WRMSR would raise #GP (reserved bits, or
 * LME changed while paging is on).
 */
int hvx_set_efer(struct hvx_vcpu *vcpu, u64 efer)
{
	u64 old = hvx_vmread(GUEST_IA32_EFER);
	unsigned long cr0 = hvx_get_cr0(vcpu);

	if (efer & ~EFER_VALID)
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && ((efer ^ old) & EFER_LME))
		return -EINVAL;
	efer = (efer & ~EFER_LMA) | (old & EFER_LMA);
	if (cr_check(vcpu, cr0, hvx_get_cr4(vcpu), efer))
		return -EINVAL;
	return cr_apply(vcpu, cr0, hvx_get_cr4(vcpu), efer, CR_PDPTES_ARCH);
}

/**
 * hvx_set_cr3() - a write to CR3
 * @vcpu: the vCPU, loaded
 * @cr3: the value
 *
 * Return: 0, -EINVAL for invalid PAE page-directory pointers, or -EINTR
 * as hvx_set_cr_all().
 */
int hvx_set_cr3(struct hvx_vcpu *vcpu, unsigned long cr3)
{
	unsigned long cr0 = hvx_get_cr0(vcpu);

	int r;

	if ((cr0 & X86_CR0_PG) && (hvx_get_cr4(vcpu) & X86_CR4_PAE) &&
	    !(hvx_vmread(GUEST_IA32_EFER) & EFER_LMA)) {
		r = load_pdptrs(vcpu, cr3);
		if (r)
			return r;
	}
	hvx_vmwrite(GUEST_CR3, cr3);
	return 0;
}

/* Exit qualification of a control-register access (SDM table 28-3). */
#define CR_QUAL_CR(q)		((q) & 0xf)
#define CR_QUAL_TYPE(q)		(((q) >> 4) & 3)
#define CR_QUAL_GPR(q)		(((q) >> 8) & 0xf)
#define CR_QUAL_LMSW(q)		(((q) >> 16) & 0xffff)
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3

static int cr_write(struct hvx_vcpu *vcpu, unsigned int cr, unsigned long v)
{
	switch (cr) {
	case 0:
		return hvx_set_cr0(vcpu, v);
	case 3:
		return hvx_set_cr3(vcpu, v);
	case 4:
		return hvx_set_cr4(vcpu, v);
	case 8:
		if (v & ~0xfUL)
			return -EINVAL;
		hvx_apic_set_cr8(vcpu, v);
		return 0;
	}
	return -EINVAL;
}

/**
 * hvx_exit_cr_access() - MOV to/from CR, CLTS, LMSW
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 (resume the guest), or -EINTR (exit reason HVX_EXIT_INTR)
 * when a signal ended the wait for the page of the PDPTEs a write loads,
 * or it is poisoned: the guest writes again at the next HVX_RUN.
 */
int hvx_exit_cr_access(struct hvx_vcpu *vcpu)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	unsigned int cr = CR_QUAL_CR(q), gpr = CR_QUAL_GPR(q);
	unsigned long cr0 = hvx_get_cr0(vcpu), v;
	int err = 0;

	switch (CR_QUAL_TYPE(q)) {
	case CR_TYPE_MOV_TO:
		v = hvx_gpr_read(vcpu, gpr);
		if (hvx_guest_mode(vcpu) != 8)
			v = (u32)v;
		err = cr_write(vcpu, cr, v);
		break;
	case CR_TYPE_MOV_FROM:
		v = cr == 3 ? hvx_vmread(GUEST_CR3) : hvx_apic_cr8(vcpu);
		hvx_gpr_write(vcpu, gpr, v);
		break;
	case CR_TYPE_CLTS:
		err = hvx_set_cr0(vcpu, cr0 & ~X86_CR0_TS);
		break;
	case CR_TYPE_LMSW:
		/* LMSW writes CR0[3:0] but can set, never clear, PE. */
		v = (cr0 & ~0xeUL) | (CR_QUAL_LMSW(q) & 0xf);
		err = hvx_set_cr0(vcpu, v);
		break;
	}
	if (err == -EINTR)
		return hvx_exit_intr(vcpu);
	if (err)
		hvx_inject_gp(vcpu);
	else
		hvx_skip_insn(vcpu);
	return 1;
}

/*
 * The XCR0 features hvx ever lets a guest enable, whatever userspace puts
 * in CPUID: user state the guest FPU buffer holds and that needs nothing
 * else switched.  Not PKRU (an XRSTOR would load it behind hvx's back),
 * not MPX (its bound registers and BNDCFGU are not switched), not AMX
 * (dynamic state the guest buffer was not sized for).
 */
#define HVX_XFEATURES_GUEST	(XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | \
				 XFEATURE_MASK_AVX512)

/**
 * hvx_guest_xfeatures() - the XCR0 bits a guest may set on this host
 *
 * Return: the fixed allow-list, less what the host does not enable.
 */
u64 hvx_guest_xfeatures(void)
{
	return hvx_host_xcr0 & HVX_XFEATURES_GUEST;
}

/* XCR0 values the guest may set: the allow-list, as CPUID shows it. */
static u64 guest_xcr0_allowed(struct hvx_vcpu *vcpu)
{
	const struct hvx_cpuid_entry *e = hvx_cpuid_find(vcpu, 0xd, 0);
	u64 shown = e ? e->eax | ((u64)e->edx << 32) : XFEATURE_MASK_FPSSE;

	return (shown & hvx_guest_xfeatures()) | XFEATURE_MASK_FP;
}

/*
 * The architecture's pairing rules (Intel SDM "Extended Control
 * Registers"), on which the host's own XSETBV of the value would #GP:
 * x87 always; AVX with SSE; the three AVX-512 components together and
 * with AVX; MPX's two together; AMX tile configuration and data together.
 */
static bool xcr0_pairs_valid(u64 v)
{
	u64 amx = XFEATURE_MASK_XTILE_CFG | XFEATURE_MASK_XTILE_DATA;
	u64 mpx = XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR;

	if (!(v & XFEATURE_MASK_FP))
		return false;
	if ((v & XFEATURE_MASK_YMM) && !(v & XFEATURE_MASK_SSE))
		return false;
	if ((v & XFEATURE_MASK_AVX512) &&
	    ((v & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	     !(v & XFEATURE_MASK_YMM)))
		return false;
	if ((v & mpx) && (v & mpx) != mpx)
		return false;
	return !(v & amx) || (v & amx) == amx;
}

/**
 * hvx_xcr0_valid() - whether the guest may have @v in XCR0
 * @vcpu: the vCPU
 * @v: the value
 *
 * Return: true for a value XSETBV takes: only components CPUID shows and
 * hvx allows, paired as the architecture requires.
 */
bool hvx_xcr0_valid(struct hvx_vcpu *vcpu, u64 v)
{
	return !(v & ~guest_xcr0_allowed(vcpu)) && xcr0_pairs_valid(v);
}

/**
 * hvx_exit_xsetbv() - XSETBV, checked as the processor would
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 (resume the guest).
 */
int hvx_exit_xsetbv(struct hvx_vcpu *vcpu)
{
	u64 v = (u32)vcpu->regs[HVX_RAX] | (vcpu->regs[HVX_RDX] << 32);

	if ((u32)vcpu->regs[HVX_RCX] != 0 || hvx_guest_cpl(vcpu) ||
	    !hvx_xcr0_valid(vcpu, v)) {
		hvx_inject_gp(vcpu);
		return 1;
	}
	vcpu->xcr0 = v;
	hvx_skip_insn(vcpu);
	return 1;
}
