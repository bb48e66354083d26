// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUID table a guest sees.
 *
 * Defaults come from the host with what hvx does not virtualize hidden:
 * VMX and SMX, MONITOR/MWAIT, performance monitoring, debug stores,
 * thermal and power leaves, XSAVES and RDTSCP (their MSRs are not
 * switched), RDPID, INVPCID where VMX cannot enable it, SGX, PT, PKU, AMX
 * and the speculation-control and core-capability MSRs.  The local APIC,
 * x2APIC and the TSC-deadline timer are shown as hvx's APIC has them
 * (lapic.c), the topology as hvx makes it.  The hypervisor bit is set and
 * leaf 0x40000000 says "hvxhvxhvx".
 *
 * Time is announced, so that a guest needs no PIT to calibrate: leaf 0x15
 * gives the TSC as the host's tsc_khz over a 1 GHz "crystal" which is also
 * the local APIC timer's clock (lapic.h), leaf 0x16 the base frequency in
 * MHz, leaf 0x40000010 both rates in kHz (the VMware convention other
 * hypervisors follow), and leaf 6 says the
 * APIC timer keeps running in deep C-states (ARAT; the guest never sees a
 * C-state).  Linux then takes its TSC and APIC timer rates from CPUID and
 * uses the TSC-deadline timer without ever touching the PIT.  Userspace can replace the table with
 * HVX_SET_CPUID; OSXSAVE and the XSAVE area size always follow the guest's
 * CR4 and XCR0.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "vcpu.h"

/*
 * CPUID.1 ECX: DTES64, MONITOR, DS-CPL, VMX, SMX, EIST, TM2, CNXT-ID
 * (set through MISC_ENABLE, which the guest cannot), SDBG (its MSR is
 * not backed), xTPR, PDCM, DCA, OSXSAVE (the guest's CR4 shows it).
 */
#define C1_ECX_HIDE	(GENMASK(8, 2) | BIT(10) | BIT(11) | BIT(14) | \
			 BIT(15) | BIT(18) | BIT(27))
#define C1_EDX_HIDE	(BIT(7) | BIT(12) | BIT(14) | BIT(18) | \
			 BIT(21) | BIT(22) | BIT(29) | BIT(31))
/* shown as hvx's local APIC has them, whatever the host's */
#define C1_ECX_X2APIC		BIT(21)
/* FMA, XSAVE, AVX, F16C: hidden where the host runs without XSAVE */
#define C1_ECX_XSAVE_DEPS	(BIT(12) | BIT(26) | BIT(28) | BIT(29))
#define C1_ECX_TSC_DEADLINE	BIT(24)
#define C1_EDX_APIC		BIT(9)
#define C1_EDX_HTT		BIT(28)	/* EBX[23:16] counts the package's */
/*
 * CPUID.7.0, the features the guest may see: the host's among them.  An
 * allow-list: what a newer processor adds (CET, TME, bus-lock detection,
 * TSX abort control, Key Locker, PKS, user interrupts...) stays hidden
 * until hvx virtualizes what goes with it, its MSRs or its CR4 bit,
 * which a guest that saw it would use and fault on (a Linux guest with
 * CET_SS panics setting CR4.CET).  EBX: FSGSBASE, TSC_ADJUST, BMI1, HLE,
 * AVX2, FDP_EXCPTN_ONLY, SMEP, BMI2, ERMS, INVPCID, RTM, the deprecated
 * FPU CS/DS, AVX512F, DQ, RDSEED, ADX, SMAP, AVX512IFMA, CLFLUSHOPT,
 * CLWB, AVX512PF, ER, CD, SHA, AVX512BW, VL.
 */
#define C7_EBX_SHOW	(GENMASK(1, 0) | GENMASK(11, 3) | BIT(13) | \
			 GENMASK(21, 16) | BIT(23) | BIT(24) | GENMASK(31, 26))
/*
 * ECX: PREFETCHWT1, AVX512_VBMI, UMIP, AVX512_VBMI2, GFNI, VAES,
 * VPCLMULQDQ, AVX512_VNNI, AVX512_BITALG, AVX512_VPOPCNTDQ, CLDEMOTE,
 * MOVDIRI, MOVDIR64B.  Not PKU and OSPKE (userspace may show them),
 * WAITPKG, LA57, RDPID (#UD in VMX non-root without "enable RDTSCP").
 */
#define C7_ECX_SHOW	(GENMASK(2, 0) | BIT(6) | GENMASK(12, 8) | BIT(14) | \
			 BIT(25) | BIT(27) | BIT(28))
/*
 * EDX: AVX512_4VNNIW, AVX512_4FMAPS, FSRM, AVX512_VP2INTERSECT,
 * SERIALIZE, TSXLDTRK, AVX512_FP16.  Not AMX (XCR0 refuses its state),
 * MD_CLEAR and the speculation controls (their MSRs are the host's).
 */
#define C7_EDX_SHOW	(GENMASK(4, 2) | BIT(8) | BIT(14) | BIT(16) | BIT(23))
/*
 * The features whose state XCR0 must hold: hidden where the host's XCR0,
 * and so the guest's, cannot (a host booted with clearcpuid=avx, or
 * gather_data_sampling=force without the microcode), else a guest would
 * run their instructions and take #UD.  AVX's: FMA, AVX, F16C; AVX2,
 * VAES, VPCLMULQDQ.  AVX-512's: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL;
 * VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ; 4VNNIW, 4FMAPS, VP2INTERSECT, FP16.
 */
#define C1_ECX_AVX		(BIT(12) | BIT(28) | BIT(29))
#define C7_EBX_AVX		BIT(5)
#define C7_ECX_AVX		(BIT(9) | BIT(10))
#define C7_EBX_AVX512		(GENMASK(17, 16) | BIT(21) | GENMASK(28, 26) | \
				 GENMASK(31, 30))
#define C7_ECX_AVX512		(BIT(1) | BIT(6) | GENMASK(12, 11) | BIT(14))
#define C7_EDX_AVX512		(GENMASK(3, 2) | BIT(8) | BIT(23))
/* INVPCID: #UD in VMX non-root mode without "enable INVPCID" */
#define C7_EBX_INVPCID	BIT(10)
/* CPUID.0xD.1: XSAVES and XFD */
#define CD1_EAX_HIDE	(BIT(3) | BIT(4))
/* CPUID.0x80000001: RDTSCP */
#define CE1_EDX_HIDE	BIT(27)
/* CPUID.6: the APIC timer runs in every C-state */
#define C6_EAX_ARAT	BIT(2)

/*
 * The topology: one package of up to HVX_MAX_VCPUS cores of one thread,
 * x2APIC ID = vCPU id (leaf 0xb, leaf 1 and leaf 4 agree).  With a
 * package per vCPU, Linux 6.9 and later keep the TSC clocksource
 * watchdog on beyond four packages (check_system_tsc_reliable()), and a
 * guest of many vCPUs on few host CPUs reads the watchdog's clock late
 * enough to mark its TSC unstable.
 */
#define LEAF_TOPOLOGY		0xb
#define TOPO_CORE_SHIFT		6	/* x2APIC ID bits of the core level */
static_assert(HVX_MAX_VCPUS <= 1 << TOPO_CORE_SHIFT);

/* The lowest maximum basic leaf: the frequency leaves are in range. */
#define LEAF_TSC_FREQ		0x15
#define LEAF_CPU_FREQ		0x16
#define LEAF_HV_TIMING		(HVX_CPUID_SIGNATURE + 0x10)
/* Leaf 0x15's crystal: the local APIC's bus clock, 1 count per ns. */
#define CRYSTAL_HZ		1000000000U
#define CRYSTAL_KHZ		(CRYSTAL_HZ / 1000)
/*
 * Linux (6.1 to 6.12 at least) computes crystal kHz * EBX / EAX in 32
 * bits: EBX must stay below 2^32 / CRYSTAL_KHZ.
 */
#define TSC_RATIO_NUM_MAX	(U32_MAX / CRYSTAL_KHZ)

/*
 * The best fraction p/q for num/den with p <= pmax: the last continued
 * fraction convergent whose numerator fits.  For most tsc_khz the ratio
 * comes out within a part per million, but a rate just off a simple
 * fraction snaps to it (2,000,393 kHz gives 2/1: 196 ppm slow), and
 * Linux keeps leaf 0x15's rate without refining it.  Exact would need a
 * crystal, and so an APIC timer clock, that follows the TSC.
 */
static void best_ratio(u64 num, u64 den, u32 pmax, u32 *p, u32 *q)
{
	u64 p0 = 0, q0 = 1, p1 = 1, q1 = 0, a, p2, q2, t;

	while (den) {
		a = num / den;
		p2 = a * p1 + p0;
		q2 = a * q1 + q0;
		if (p2 > pmax || q2 > U32_MAX)
			break;
		p0 = p1;
		q0 = q1;
		p1 = p2;
		q1 = q2;
		t = num % den;
		num = den;
		den = t;
	}
	*p = q1 ? p1 : 0;
	*q = q1;
}

/* Leaves returned as zeros: power, PMU, topology, SGX, PT, AMX, ... */
static bool leaf_hidden(u32 f)
{
	switch (f) {
	case 5: case 6: case 9: case 0xa: case 0xb: case 0xf: case 0x10:
	case 0x12: case 0x14: case 0x19: case 0x1a: case 0x1b: case 0x1c:
	case 0x1d: case 0x1e: case 0x1f:
		return true;
	}
	return f > 0x1f && f < 0x80000000;
}

static struct hvx_cpuid_entry *add(struct hvx_vcpu *vcpu, u32 f, u32 idx,
				   u32 flags)
{
	struct hvx_cpuid_entry *e;

	if (vcpu->cpuid_nent >= HVX_MAX_CPUID_ENTRIES)
		return NULL;
	e = &vcpu->cpuid[vcpu->cpuid_nent++];
	memset(e, 0, sizeof(*e));
	e->function = f;
	e->index = idx;
	e->flags = flags;
	if (!leaf_hidden(f))
		cpuid_count(f, idx, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

/* A leaf the guest sees as zeros, whatever the host's holds. */
static void clear_regs(struct hvx_cpuid_entry *e)
{
	e->eax = 0;
	e->ebx = 0;
	e->ecx = 0;
	e->edx = 0;
}

/* Leaf 0xb: the thread level, the core level, the end of the list. */
static void add_topology(struct hvx_vcpu *vcpu)
{
	struct hvx_cpuid_entry *e;
	u32 i;

	for (i = 0; i < 3; i++) {
		e = add(vcpu, LEAF_TOPOLOGY, i,
			HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
		if (!e)
			return;
		e->eax = i == 1 ? TOPO_CORE_SHIFT : 0;
		e->ebx = i == 0 ? 1 : i == 1 ? HVX_MAX_VCPUS : 0;
		e->ecx = i | (i < 2 ? (i + 1) << 8 : 0);
		e->edx = vcpu->id;
	}
}

/* Leaf 7.0 without the vector extensions whose state XCR0 cannot hold. */
static void hide_unsaved_avx(struct hvx_cpuid_entry *e)
{
	u64 xf = hvx_guest_xfeatures();

	if ((xf & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	    !(xf & XFEATURE_MASK_YMM)) {
		e->ebx &= ~C7_EBX_AVX512;
		e->ecx &= ~C7_ECX_AVX512;
		e->edx &= ~C7_EDX_AVX512;
	}
	if (!(xf & XFEATURE_MASK_YMM)) {
		e->ebx &= ~C7_EBX_AVX;
		e->ecx &= ~C7_ECX_AVX;
	}
}

/* Bytes of an XSAVE area (standard format) for the components @xf. */
static u32 xsave_size_for(u64 xf)
{
	u32 size = 512 + 64, i, eax, ebx, ecx, edx;

	for (i = 2; i < 64; i++) {
		if (!(xf & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

/* Leaf 0xd: the XSAVE features hvx switches, without XSAVES and XFD. */
static void add_xsave(struct hvx_vcpu *vcpu)
{
	struct hvx_cpuid_entry *e;
	u32 i;

	e = add(vcpu, 0xd, 0, HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
	if (!e)
		return;
	e->eax = (u32)hvx_guest_xfeatures();
	e->edx = hvx_guest_xfeatures() >> 32;
	/* the largest area the guest's XCR0 can ask for, not the host's */
	e->ecx = xsave_size_for(hvx_guest_xfeatures());
	e = add(vcpu, 0xd, 1, HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
	if (!e)
		return;
	e->eax &= ~CD1_EAX_HIDE;
	e->ebx = 0;
	e->ecx = 0;
	e->edx = 0;
	for (i = 2; i < 64; i++)
		if (hvx_guest_xfeatures() & BIT_ULL(i))
			add(vcpu, 0xd, i, HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
}

/* Leaf 1: the feature flags hvx backs, the topology hvx makes. */
static void add_leaf1(struct hvx_vcpu *vcpu)
{
	struct hvx_cpuid_entry *e = add(vcpu, 1, 0, 0);

	if (!e)
		return;
	e->ecx = (e->ecx & ~C1_ECX_HIDE) | BIT(31) | C1_ECX_X2APIC |
		 C1_ECX_TSC_DEADLINE;
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		e->ecx &= ~C1_ECX_XSAVE_DEPS;
	if (!(hvx_guest_xfeatures() & XFEATURE_MASK_YMM))
		e->ecx &= ~C1_ECX_AVX;
	e->edx = (e->edx & ~C1_EDX_HIDE) | C1_EDX_APIC | C1_EDX_HTT;
	/* initial APIC id; the package's logical processors */
	e->ebx = (e->ebx & 0xffff) | (HVX_MAX_VCPUS << 16) | (vcpu->id << 24);
}

static void add_basic(struct hvx_vcpu *vcpu, u32 f)
{
	struct hvx_cpuid_entry *e;
	u32 i, n;

	switch (f) {
	case 1:
		add_leaf1(vcpu);
		break;
	case 4:
		for (i = 0; i < 8; i++) {
			e = add(vcpu, f, i, HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
			if (!e || !(e->eax & 0x1f))
				break;
			/* each cache one thread's; the package's cores */
			e->eax = (e->eax & 0x3ff) | ((HVX_MAX_VCPUS - 1) << 26);
		}
		break;
	case LEAF_TOPOLOGY:
		add_topology(vcpu);
		break;
	case 7:
		e = add(vcpu, f, 0, HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
		if (!e)
			return;
		n = min(e->eax, 2U);
		e->ebx &= C7_EBX_SHOW;
		if (!(hvx_vmx.proc2 & SECONDARY_EXEC_ENABLE_INVPCID))
			e->ebx &= ~C7_EBX_INVPCID;
		e->ecx &= C7_ECX_SHOW;
		e->edx &= C7_EDX_SHOW;
		hide_unsaved_avx(e);
		for (i = 1; i <= n; i++) {
			e = add(vcpu, f, i, HVX_CPUID_FLAG_SIGNIFICANT_INDEX);
			if (e)
				clear_regs(e);
		}
		break;
	case 0xd:
		add_xsave(vcpu);
		break;
	case 6:
		e = add(vcpu, f, 0, 0);
		if (e)
			e->eax = C6_EAX_ARAT;
		break;
	case LEAF_TSC_FREQ:
		/* TSC Hz = ECX * EBX / EAX; tsc_khz is 0 if never calibrated */
		e = add(vcpu, f, 0, 0);
		if (!e)
			return;
		clear_regs(e);
		best_ratio(tsc_khz, CRYSTAL_KHZ, TSC_RATIO_NUM_MAX, &e->ebx,
			   &e->eax);
		if (e->eax)
			e->ecx = CRYSTAL_HZ;
		break;
	case LEAF_CPU_FREQ:
		/* base and maximum MHz, bus (APIC timer) MHz */
		e = add(vcpu, f, 0, 0);
		if (!e)
			return;
		e->eax = tsc_khz / 1000;
		e->ebx = e->eax;
		e->ecx = CRYSTAL_KHZ / 1000;
		e->edx = 0;
		break;
	default:
		add(vcpu, f, 0, 0);
	}
}

static void update_hidden_controls(struct hvx_vcpu *vcpu);

/**
 * hvx_cpuid_init_vcpu() - the default CPUID table of a new vCPU
 * @vcpu: the vCPU
 */
void hvx_cpuid_init_vcpu(struct hvx_vcpu *vcpu)
{
	u32 f, hmax = min(cpuid_eax(0), 0x1fU);
	u32 max = max_t(u32, hmax, LEAF_CPU_FREQ);
	u32 emax = min(cpuid_eax(0x80000000), 0x80000008U);
	struct hvx_cpuid_entry *e;

	vcpu->cpuid_nent = 0;
	for (f = 0; f <= max; f++) {
		if (f > hmax && f != LEAF_TSC_FREQ && f != LEAF_CPU_FREQ &&
		    f != LEAF_TOPOLOGY) {
			/* beyond the host's leaves: reserved, zeros */
			e = add(vcpu, f, 0, 0);
			if (e)
				clear_regs(e);
			continue;
		}
		add_basic(vcpu, f);
	}
	/* leaf 0, the first entry, names the highest basic leaf */
	if (vcpu->cpuid_nent)
		vcpu->cpuid[0].eax = max;

	e = add(vcpu, HVX_CPUID_SIGNATURE, 0, 0);
	if (e) {
		e->eax = LEAF_HV_TIMING;
		e->ebx = HVX_CPUID_SIG_EBX;
		e->ecx = HVX_CPUID_SIG_ECX;
		e->edx = HVX_CPUID_SIG_EDX;
	}
	add(vcpu, HVX_CPUID_SIGNATURE + 1, 0, 0);
	e = add(vcpu, LEAF_HV_TIMING, 0, 0);
	if (e) {
		e->eax = tsc_khz;
		e->ebx = CRYSTAL_KHZ;
	}

	for (f = 0x80000000; f <= emax; f++) {
		e = add(vcpu, f, 0, 0);
		if (!e)
			break;
		if (f == 0x80000000)
			e->eax = emax;
		if (f == 0x80000001)
			e->edx &= ~CE1_EDX_HIDE;
	}
	update_hidden_controls(vcpu);
}

/**
 * hvx_cpuid_find() - the table entry for a leaf and subleaf
 * @vcpu: the vCPU
 * @function: leaf
 * @index: subleaf, used where the entry says it is significant
 *
 * Return: the entry, or NULL.
 */
const struct hvx_cpuid_entry *hvx_cpuid_find(struct hvx_vcpu *vcpu,
					     u32 function, u32 index)
{
	unsigned int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct hvx_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == function &&
		    (!(e->flags & HVX_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

/*
 * beyond_range() - whether @f lies past the highest leaf of its range
 * @vcpu: the vCPU
 * @f: a basic or extended leaf
 *
 * Intel CPUs answer such a leaf as the highest basic leaf; a leaf within
 * its range that the table lacks, or a subleaf it lacks, reads as zeros.
 */
static bool beyond_range(struct hvx_vcpu *vcpu, u32 f)
{
	const struct hvx_cpuid_entry *max = hvx_cpuid_find(vcpu,
							   f & 0x80000000, 0);

	return !max || f > max->eax;
}

/*
 * The answer to CPUID @f, @idx in @r (EAX, EBX, ECX, EDX).  An input beyond
 * the table answers as on Intel CPUs: leaf 0xb past its last level (when
 * the table has the leaf by level) as zeros but for ECX[7:0] echoed and
 * the x2APIC ID in EDX (level 1's); the hypervisor range as zeros; a
 * basic or extended leaf past the highest of its range as the highest
 * basic leaf (beyond_range()); anything else as zeros.
 *
 * Return: false when nothing answered (zeros).
 */
static bool lookup(struct hvx_vcpu *vcpu, u32 f, u32 idx, u32 r[4])
{
	const struct hvx_cpuid_entry *e = hvx_cpuid_find(vcpu, f, idx);

	memset(r, 0, 4 * sizeof(*r));
	if (!e && f == LEAF_TOPOLOGY) {
		e = hvx_cpuid_find(vcpu, f, 1);
		if (e) {
			r[2] = idx & 0xff;
			r[3] = e->edx;
			return true;
		}
	}
	if (!e && (f < HVX_CPUID_SIGNATURE || f >= 0x80000000) &&
	    beyond_range(vcpu, f)) {
		e = hvx_cpuid_find(vcpu, 0, 0);
		e = e ? hvx_cpuid_find(vcpu, e->eax, idx) : NULL;
	}
	if (!e)
		return false;
	r[0] = e->eax;
	r[1] = e->ebx;
	r[2] = e->ecx;
	r[3] = e->edx;
	return true;
}

/*
 * Control bits that need a CPUID feature.  Where the guest's table hides
 * the feature the bit is reserved, and setting it raises #GP, as on a
 * processor without it.  Looked up when the table changes, not on each
 * write: Linux without INVPCID toggles CR4.PGE on every global flush.
 */
static const struct {
	u32 leaf;
	u8 reg;			/* 0..3: EAX, EBX, ECX, EDX */
	u8 bit;
	bool efer;
	u64 mask;
} control_features[] = {
	{ 1, 2, 17, false, X86_CR4_PCIDE },
	{ 1, 2, 26, false, X86_CR4_OSXSAVE },
	{ 7, 1, 0, false, X86_CR4_FSGSBASE },
	{ 7, 1, 7, false, X86_CR4_SMEP },
	{ 7, 1, 20, false, X86_CR4_SMAP },
	{ 7, 2, 2, false, X86_CR4_UMIP },
	{ 7, 2, 3, false, X86_CR4_PKE },
	{ 0x80000001, 3, 20, true, EFER_NX },
	{ 0x80000001, 3, 29, true, EFER_LME | EFER_LMA },
};

static void update_hidden_controls(struct hvx_vcpu *vcpu)
{
	u32 apic = HVX_LAPIC_F_X2APIC | HVX_LAPIC_F_TSC_DEADLINE;
	unsigned long flags;
	unsigned int i;
	u32 r[4];

	vcpu->cr4_hidden = 0;
	vcpu->efer_hidden = 0;
	for (i = 0; i < ARRAY_SIZE(control_features); i++) {
		if (lookup(vcpu, control_features[i].leaf, 0, r) &&
		    (r[control_features[i].reg] & BIT(control_features[i].bit)))
			continue;
		if (control_features[i].efer)
			vcpu->efer_hidden |= control_features[i].mask;
		else
			vcpu->cr4_hidden |= control_features[i].mask;
	}
	/*
	 * The local APIC's x2APIC mode and TSC-deadline timer too: without
	 * them IA32_APIC_BASE.EXTD and LVT timer bit 18 are reserved.
	 */
	lookup(vcpu, 1, 0, r);
	if (!(r[2] & C1_ECX_X2APIC))
		apic &= ~HVX_LAPIC_F_X2APIC;
	if (!(r[2] & C1_ECX_TSC_DEADLINE))
		apic &= ~HVX_LAPIC_F_TSC_DEADLINE;
	spin_lock_irqsave(&vcpu->apic_lock, flags);
	vcpu->apic.cfg.features = (vcpu->apic.cfg.features &
				   ~(HVX_LAPIC_F_X2APIC |
				     HVX_LAPIC_F_TSC_DEADLINE)) | apic;
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
}

/**
 * hvx_exit_cpuid() - CPUID executed by the guest
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 (resume the guest).
 */
int hvx_exit_cpuid(struct hvx_vcpu *vcpu)
{
	u32 f = vcpu->regs[HVX_RAX], idx = vcpu->regs[HVX_RCX];
	u32 r[4];
	bool found = lookup(vcpu, f, idx, r);

	if (f == 1) {
		r[2] &= ~BIT(27);
		if (hvx_get_cr4(vcpu) & X86_CR4_OSXSAVE)
			r[2] |= BIT(27);
		/* as on hardware, the APIC flag follows IA32_APIC_BASE.EN */
		if (!hvx_lapic_hw_enabled(&vcpu->apic))
			r[3] &= ~C1_EDX_APIC;
	} else if (f == 0xd && idx == 0 && found) {
		/* bytes of the XSAVE area for the guest's XCR0 */
		r[1] = xsave_size_for(vcpu->xcr0);
	}
	vcpu->regs[HVX_RAX] = r[0];
	vcpu->regs[HVX_RBX] = r[1];
	vcpu->regs[HVX_RCX] = r[2];
	vcpu->regs[HVX_RDX] = r[3];
	hvx_skip_insn(vcpu);
	return 1;
}

/**
 * hvx_get_cpuid() - HVX_GET_CPUID
 * @vcpu: the vCPU
 * @uc: userspace's struct hvx_cpuid
 *
 * Return: 0; -E2BIG (with nent set to the size needed); -EINVAL for
 * non-zero padding; -EFAULT.
 */
int hvx_get_cpuid(struct hvx_vcpu *vcpu, struct hvx_cpuid __user *uc)
{
	struct hvx_cpuid hdr;

	if (copy_from_user(&hdr, uc, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad)
		return -EINVAL;
	if (hdr.nent < vcpu->cpuid_nent) {
		hdr.nent = vcpu->cpuid_nent;
		return copy_to_user(uc, &hdr, sizeof(hdr)) ? -EFAULT : -E2BIG;
	}
	hdr.nent = vcpu->cpuid_nent;
	if (copy_to_user(uc->entries, vcpu->cpuid,
			 hdr.nent * sizeof(vcpu->cpuid[0])) ||
	    copy_to_user(uc, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}

/* Would entry @i be shadowed by an earlier one for the same input? */
static bool cpuid_dup(const struct hvx_cpuid_entry *e, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (e[j].function == e[i].function &&
		    (!(e[j].flags & HVX_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		     !(e[i].flags & HVX_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		     e[j].index == e[i].index))
			return true;
	return false;
}

/*
 * Whether a VM entry got to the guest once, from the exit counts the exit
 * path keeps anyway: an exit that is no failed entry (reasons 33, 34 and
 * 41 come only as failed entries, which the VMM may follow with a fixed
 * state, CPUID included).  The vCPU's own thread writes the counts, under
 * the mutex HVX_SET_CPUID holds.
 */
static bool vcpu_ran(const struct hvx_vcpu *vcpu)
{
	const u64 *n = vcpu->stats.s.v;

	return n[HVX_STAT_EXITS] >
	       n[HVX_STAT_EXIT_REASON0 + EXIT_REASON_INVALID_STATE] +
	       n[HVX_STAT_EXIT_REASON0 + EXIT_REASON_MSR_LOAD_FAIL] +
	       n[HVX_STAT_EXIT_REASON0 + EXIT_REASON_MCE_DURING_VMENTRY];
}

/**
 * hvx_set_cpuid() - HVX_SET_CPUID: replace the table
 * @vcpu: the vCPU
 * @uc: userspace's struct hvx_cpuid
 *
 * Once the vCPU has run, only the table it has is taken (a VMM that sets
 * up a vCPU again the same way): the guest has seen the features, set
 * control bits and sized its state by them, and a table that hid one it
 * uses would make its next write of the same value fault.
 *
 * Return: 0; -E2BIG for more than HVX_MAX_CPUID_ENTRIES; -EINVAL for
 * unknown flags, non-zero padding or two entries for the same leaf and
 * subleaf; -EBUSY for a different table after the vCPU ran; -EFAULT.
 */
int hvx_set_cpuid(struct hvx_vcpu *vcpu, struct hvx_cpuid __user *uc)
{
	struct hvx_cpuid_entry *tmp;
	struct hvx_cpuid hdr;
	unsigned int i;
	int err = 0;

	if (copy_from_user(&hdr, uc, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad)
		return -EINVAL;
	if (hdr.nent > HVX_MAX_CPUID_ENTRIES)
		return -E2BIG;
	tmp = kcalloc(max(hdr.nent, 1U), sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	if (copy_from_user(tmp, uc->entries, hdr.nent * sizeof(*tmp))) {
		err = -EFAULT;
		goto out;
	}
	for (i = 0; i < hdr.nent; i++) {
		if ((tmp[i].flags & ~HVX_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		    tmp[i].pad || cpuid_dup(tmp, i)) {
			err = -EINVAL;
			goto out;
		}
	}
	if (vcpu_ran(vcpu)) {
		if (hdr.nent != vcpu->cpuid_nent ||
		    memcmp(tmp, vcpu->cpuid, hdr.nent * sizeof(*tmp)))
			err = -EBUSY;
		goto out;
	}
	memcpy(vcpu->cpuid, tmp, hdr.nent * sizeof(*tmp));
	vcpu->cpuid_nent = hdr.nent;
	update_hidden_controls(vcpu);
out:
	kfree(tmp);
	return err;
}
