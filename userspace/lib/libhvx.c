// SPDX-License-Identifier: GPL-2.0
/*
 * libhvx: thin wrappers over the /dev/hvx ioctls, and the pure helpers
 * (exit reason names, capability printing) that tools and tests share.
 * Conventions are in <hvx/libhvx.h>: 0 or a count / fd on success, -1
 * with errno on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int hvx_open(void)
{
	return open(HVX_DEV_PATH, O_RDWR | O_CLOEXEC);
}

int hvx_get_api_version(int hvx_fd)
{
	return ioctl(hvx_fd, HVX_GET_API_VERSION, 0);
}

int hvx_get_caps(int hvx_fd, struct hvx_caps *caps)
{
	return ioctl(hvx_fd, HVX_GET_CAPS, caps);
}

int hvx_create_vm(int hvx_fd)
{
	return ioctl(hvx_fd, HVX_CREATE_VM, 0);
}

int hvx_set_memory_region(int vm_fd, uint32_t slot, uint32_t flags,
			  uint64_t gpa, uint64_t size, void *uaddr)
{
	struct hvx_memory_region mr = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)uaddr,
	};

	return ioctl(vm_fd, HVX_SET_MEMORY_REGION, &mr);
}

int hvx_delete_memory_region(int vm_fd, uint32_t slot)
{
	return hvx_set_memory_region(vm_fd, slot, 0, 0, 0, NULL);
}

int hvx_create_vcpu(int vm_fd, uint32_t id)
{
	return ioctl(vm_fd, HVX_CREATE_VCPU, (unsigned long)id);
}

int hvx_vm_set_option(int vm_fd, uint32_t option, uint64_t value)
{
	struct hvx_option opt = { .option = option, .value = value };

	return ioctl(vm_fd, HVX_VM_SET_OPTION, &opt);
}

int hvx_signal_msi(int vm_fd, uint64_t address, uint32_t data)
{
	struct hvx_msi msi = { .address = address, .data = data };

	return ioctl(vm_fd, HVX_SIGNAL_MSI, &msi);
}

int hvx_irqfd_assign(int vm_fd, int eventfd, uint64_t address,
		     uint32_t data)
{
	struct hvx_irqfd irqfd = {
		.fd = eventfd,
		.address = address,
		.data = data,
	};

	return ioctl(vm_fd, HVX_IRQFD, &irqfd);
}

int hvx_irqfd_deassign(int vm_fd, int eventfd)
{
	struct hvx_irqfd irqfd = {
		.fd = eventfd,
		.flags = HVX_IRQFD_DEASSIGN,
	};

	return ioctl(vm_fd, HVX_IRQFD, &irqfd);
}

int hvx_get_dirty_log(int vm_fd, uint32_t slot, uint32_t flags,
		      uint64_t *bitmap)
{
	struct hvx_dirty_log log = {
		.slot = slot,
		.flags = flags,
		.bitmap = (uintptr_t)bitmap,
	};

	return ioctl(vm_fd, HVX_GET_DIRTY_LOG, &log);
}

int hvx_clear_dirty_log(int vm_fd, uint32_t slot, uint64_t first,
			uint64_t num, const uint64_t *bitmap)
{
	struct hvx_clear_dirty_log c = {
		.slot = slot,
		.first_page = first,
		.num_pages = num,
		.bitmap = (uintptr_t)bitmap,
	};

	return ioctl(vm_fd, HVX_CLEAR_DIRTY_LOG, &c);
}

struct hvx_run *hvx_map_run(int vcpu_fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vcpu_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int hvx_unmap_run(struct hvx_run *run, size_t size)
{
	return munmap(run, size);
}

int hvx_run(int vcpu_fd)
{
	return ioctl(vcpu_fd, HVX_RUN, 0);
}

int hvx_get_regs(int vcpu_fd, struct hvx_regs *regs)
{
	return ioctl(vcpu_fd, HVX_GET_REGS, regs);
}

int hvx_set_regs(int vcpu_fd, const struct hvx_regs *regs)
{
	return ioctl(vcpu_fd, HVX_SET_REGS, regs);
}

int hvx_get_sregs(int vcpu_fd, struct hvx_sregs *sregs)
{
	return ioctl(vcpu_fd, HVX_GET_SREGS, sregs);
}

int hvx_set_sregs(int vcpu_fd, const struct hvx_sregs *sregs)
{
	return ioctl(vcpu_fd, HVX_SET_SREGS, sregs);
}

int hvx_get_mp_state(int vcpu_fd, uint32_t *state)
{
	struct hvx_mp_state mp;

	if (ioctl(vcpu_fd, HVX_GET_MP_STATE, &mp) < 0)
		return -1;
	*state = mp.state;
	return 0;
}

int hvx_set_mp_state(int vcpu_fd, uint32_t state)
{
	struct hvx_mp_state mp = { .state = state };

	return ioctl(vcpu_fd, HVX_SET_MP_STATE, &mp);
}

int hvx_interrupt(int vcpu_fd, uint32_t vector)
{
	struct hvx_interrupt irq = { .vector = vector };

	return ioctl(vcpu_fd, HVX_INTERRUPT, &irq);
}

int hvx_get_lapic(int vcpu_fd, struct hvx_lapic_state *state)
{
	return ioctl(vcpu_fd, HVX_GET_LAPIC, state);
}

int hvx_set_lapic(int vcpu_fd, const struct hvx_lapic_state *state)
{
	return ioctl(vcpu_fd, HVX_SET_LAPIC, state);
}

int hvx_get_vcpu_events(int vcpu_fd, struct hvx_vcpu_events *events)
{
	return ioctl(vcpu_fd, HVX_GET_VCPU_EVENTS, events);
}

int hvx_set_vcpu_events(int vcpu_fd, const struct hvx_vcpu_events *events)
{
	return ioctl(vcpu_fd, HVX_SET_VCPU_EVENTS, events);
}

int hvx_get_debugregs(int vcpu_fd, struct hvx_debugregs *dregs)
{
	return ioctl(vcpu_fd, HVX_GET_DEBUGREGS, dregs);
}

int hvx_set_debugregs(int vcpu_fd, const struct hvx_debugregs *dregs)
{
	return ioctl(vcpu_fd, HVX_SET_DEBUGREGS, dregs);
}

int hvx_get_xsave(int vcpu_fd, struct hvx_xsave *xsave)
{
	return ioctl(vcpu_fd, HVX_GET_XSAVE, xsave);
}

int hvx_set_xsave(int vcpu_fd, const struct hvx_xsave *xsave)
{
	return ioctl(vcpu_fd, HVX_SET_XSAVE, xsave);
}

int hvx_get_pdptrs(int vcpu_fd, struct hvx_pdptrs *pdptrs)
{
	return ioctl(vcpu_fd, HVX_GET_PDPTRS, pdptrs);
}

int hvx_set_pdptrs(int vcpu_fd, const struct hvx_pdptrs *pdptrs)
{
	return ioctl(vcpu_fd, HVX_SET_PDPTRS, pdptrs);
}

/*
 * @n entries of @entry bytes after a @head-byte header, zeroed; NULL with
 * ENOMEM when that many do not fit a size_t (a 32-bit program).
 */
static void *alloc_table(size_t head, uint32_t n, size_t entry)
{
	if (n > (SIZE_MAX - head) / entry) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(1, head + n * entry);
}

struct hvx_msrs *hvx_msrs_alloc(uint32_t nmsrs)
{
	struct hvx_msrs *msrs;

	msrs = alloc_table(sizeof(*msrs), nmsrs, sizeof(msrs->entries[0]));
	if (msrs)
		msrs->nmsrs = nmsrs;
	return msrs;
}

int hvx_get_msrs(int vcpu_fd, struct hvx_msrs *msrs)
{
	return ioctl(vcpu_fd, HVX_GET_MSRS, msrs);
}

int hvx_set_msrs(int vcpu_fd, const struct hvx_msrs *msrs)
{
	return ioctl(vcpu_fd, HVX_SET_MSRS, msrs);
}

/* One MSR in a list of one, on the stack. */
struct hvx_msrs_one {
	struct hvx_msrs hdr;
	struct hvx_msr_entry entry;
};

int hvx_get_msr(int vcpu_fd, uint32_t index, uint64_t *data)
{
	struct hvx_msrs_one m = {
		.hdr.nmsrs = 1,
		.entry.index = index,
	};
	int n = hvx_get_msrs(vcpu_fd, &m.hdr);

	if (n < 0)
		return -1;
	if (n != 1) {
		errno = ENOENT;
		return -1;
	}
	*data = m.entry.data;
	return 0;
}

int hvx_set_msr(int vcpu_fd, uint32_t index, uint64_t data)
{
	struct hvx_msrs_one m = {
		.hdr.nmsrs = 1,
		.entry.index = index,
		.entry.data = data,
	};
	int n = hvx_set_msrs(vcpu_fd, &m.hdr);

	if (n < 0)
		return -1;
	if (n != 1) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

struct hvx_cpuid *hvx_cpuid_alloc(uint32_t nent)
{
	struct hvx_cpuid *cpuid;

	cpuid = alloc_table(sizeof(*cpuid), nent, sizeof(cpuid->entries[0]));
	if (cpuid)
		cpuid->nent = nent;
	return cpuid;
}

int hvx_get_cpuid(int vcpu_fd, struct hvx_cpuid *cpuid)
{
	return ioctl(vcpu_fd, HVX_GET_CPUID, cpuid);
}

int hvx_set_cpuid(int vcpu_fd, const struct hvx_cpuid *cpuid)
{
	return ioctl(vcpu_fd, HVX_SET_CPUID, cpuid);
}

struct hvx_cpuid *hvx_get_cpuid_alloc(int vcpu_fd)
{
	struct hvx_cpuid probe = { .nent = 0 };
	struct hvx_cpuid *cpuid;
	int err;

	/* An empty table always fails with E2BIG and says what it needs. */
	if (hvx_get_cpuid(vcpu_fd, &probe) == 0)
		return hvx_cpuid_alloc(0);
	if (errno != E2BIG)
		return NULL;
	cpuid = hvx_cpuid_alloc(probe.nent);
	if (!cpuid)
		return NULL;
	if (hvx_get_cpuid(vcpu_fd, cpuid) < 0) {
		err = errno;
		free(cpuid);
		errno = err;
		return NULL;
	}
	return cpuid;
}

struct hvx_cpuid_entry *hvx_cpuid_find(struct hvx_cpuid *cpuid,
				       uint32_t function, uint32_t index)
{
	struct hvx_cpuid_entry *e;
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		e = &cpuid->entries[i];
		if (e->function != function)
			continue;
		if ((e->flags & HVX_CPUID_FLAG_SIGNIFICANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

static const char *const exit_reason_names[] = {
	[HVX_EXIT_NONE]			= "NONE",
	[HVX_EXIT_IO]			= "IO",
	[HVX_EXIT_MMIO]			= "MMIO",
	[HVX_EXIT_HLT]			= "HLT",
	[HVX_EXIT_SHUTDOWN]		= "SHUTDOWN",
	[HVX_EXIT_FAIL_ENTRY]		= "FAIL_ENTRY",
	[HVX_EXIT_INTERNAL_ERROR]	= "INTERNAL_ERROR",
	[HVX_EXIT_HYPERCALL]		= "HYPERCALL",
	[HVX_EXIT_RDMSR]		= "RDMSR",
	[HVX_EXIT_WRMSR]		= "WRMSR",
	[HVX_EXIT_INTR]			= "INTR",
	[HVX_EXIT_IRQ_WINDOW_OPEN]	= "IRQ_WINDOW_OPEN",
	[HVX_EXIT_EOI]			= "EOI",
};

const char *hvx_exit_reason_name(uint32_t reason)
{
	if (reason >= ARRAY_SIZE(exit_reason_names) ||
	    !exit_reason_names[reason])
		return "UNKNOWN";
	return exit_reason_names[reason];
}

const struct hvx_flag_name hvx_vmx_flag_names[] = {
	{ HVX_VMX_EPT,			"ept" },
	{ HVX_VMX_UNRESTRICTED_GUEST,	"unrestricted_guest" },
	{ HVX_VMX_VPID,			"vpid" },
	{ HVX_VMX_PREEMPTION_TIMER,	"preemption_timer" },
	{ HVX_VMX_INVVPID,		"invvpid" },
	{ HVX_VMX_EPT_X_ONLY,		"ept_x_only" },
	{ HVX_VMX_EPT_AD,		"ept_ad" },
	{ HVX_VMX_EPT_1GB,		"ept_1gb" },
	{ HVX_VMX_EPT_2MB,		"ept_2mb" },
	{ HVX_VMX_VNMI,			"vnmi" },
	{ HVX_VMX_POSTED_INTR,		"posted_intr" },
	{ HVX_VMX_TSC_OFFSET,		"tsc_offset" },
	{ HVX_VMX_VTPR,			"vtpr" },
	{ HVX_VMX_MTF,			"mtf" },
	{ HVX_VMX_VAPIC,		"vapic" },
	{ HVX_VMX_VAPIC_REG,		"vapic_reg" },
	{ HVX_VMX_VID,			"vid" },
	{ HVX_VMX_PLE,			"ple" },
	{ HVX_VMX_SHADOW_VMCS,		"shadow_vmcs" },
	{ HVX_VMX_PML,			"pml" },
	{ HVX_VMX_FLEXPRIORITY,		"flexpriority" },
	{ HVX_VMX_APICV,		"apicv" },
	{ HVX_VMX_EPT_MODE_BASED_EXEC,	"ept_mode_based_exec" },
	{ HVX_VMX_TSC_SCALING,		"tsc_scaling" },
	{ 0, NULL }
};

const struct hvx_flag_name hvx_feature_names[] = {
	{ HVX_FEAT_VM,			"vm" },
	{ HVX_FEAT_USER_MSR_EXIT,	"user_msr_exit" },
	{ HVX_FEAT_RING,		"ring" },
	{ HVX_FEAT_EOI_EXIT,		"eoi_exit" },
	{ HVX_FEAT_IRQFD,		"irqfd" },
	{ HVX_FEAT_LAPIC_STATE,		"lapic_state" },
	{ HVX_FEAT_DIRECTED_EOI,	"directed_eoi" },
	{ HVX_FEAT_APICV,		"apicv" },
	{ HVX_FEAT_MMU_NOTIFIER,	"mmu_notifier" },
	{ HVX_FEAT_LARGE_PAGES,		"large_pages" },
	{ HVX_FEAT_DIRTY_LOG,		"dirty_log" },
	{ HVX_FEAT_DIRTY_LOG_SWITCH,	"dirty_log_switch" },
	{ HVX_FEAT_VCPU_STATE,		"vcpu_state" },
	{ HVX_FEAT_HALTED_SLEEPS,	"halted_sleeps" },
	{ HVX_FEAT_PDPTRS,		"pdptrs" },
	{ 0, NULL }
};

const struct hvx_flag_name hvx_mitigation_names[] = {
	{ HVX_MITIGATE_L1D_FLUSH_COND,	"l1d_flush_cond" },
	{ HVX_MITIGATE_L1D_FLUSH_ALWAYS, "l1d_flush_always" },
	{ HVX_MITIGATE_L1D_FLUSH_MSR,	"l1d_flush_msr" },
	{ HVX_MITIGATE_L1D_FLUSH_OFF,	"l1d_flush_off" },
	{ HVX_MITIGATE_VERW,		"verw" },
	{ HVX_MITIGATE_RSB_FILL,	"rsb_fill" },
	{ HVX_MITIGATE_BHB_CLEAR,	"bhb_clear" },
	{ HVX_MITIGATE_SPEC_CTRL,	"spec_ctrl" },
	{ HVX_MITIGATE_IBPB,		"ibpb" },
	{ HVX_MITIGATE_IBPB_EXIT_TO_USER, "ibpb_exit_to_user" },
	{ HVX_MITIGATE_NX_HUGE_PAGES,	"nx_huge_pages" },
	{ 0, NULL }
};

const struct hvx_flag_name hvx_apicv_names[] = {
	{ HVX_APICV_TPR_SHADOW,		"tpr_shadow" },
	{ HVX_APICV_REG_VIRT,		"reg_virt" },
	{ HVX_APICV_VID,		"vid" },
	{ HVX_APICV_X2APIC,		"x2apic" },
	{ HVX_APICV_APIC_ACCESS,	"apic_access" },
	{ 0, NULL }
};

/* Every bit that @table names. */
static uint64_t named_bits(const struct hvx_flag_name *table)
{
	uint64_t bits = 0;

	for (; table->name; table++)
		bits |= table->bit;
	return bits;
}

static void print_u64(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%-24s0x%016llx\n", name, (unsigned long long)v);
}

static void print_u32(FILE *f, const char *name, uint32_t v)
{
	fprintf(f, "%-24s%u\n", name, v);
}

/* One line per named bit of @bits, then any bits @table does not name. */
static void print_flags(FILE *f, const char *title,
			const struct hvx_flag_name *table, uint64_t bits)
{
	const struct hvx_flag_name *fl;
	uint64_t unknown;

	fprintf(f, "%s\n", title);
	for (fl = table; fl->name; fl++)
		fprintf(f, "  %-22s%s\n", fl->name,
			bits & fl->bit ? "yes" : "no");
	unknown = bits & ~named_bits(table);
	if (unknown)
		print_u64(f, "  unknown bits:", unknown);
}

void hvx_caps_print(FILE *f, const struct hvx_caps *caps)
{
	print_u64(f, "vmx_features:", caps->vmx_features);
	print_u64(f, "hvx_features:", caps->hvx_features);
	print_u64(f, "vmx_basic:", caps->vmx_basic);
	print_u64(f, "vmx_misc:", caps->vmx_misc);
	print_u64(f, "ept_vpid_cap:", caps->ept_vpid_cap);
	print_u32(f, "max_vcpus:", caps->max_vcpus);
	print_u32(f, "max_mem_slots:", caps->max_mem_slots);
	print_u32(f, "run_page_size:", caps->run_page_size);
	print_u32(f, "preemption_timer_shift:", caps->preemption_timer_shift);

	print_flags(f, "hvx features:", hvx_feature_names, caps->hvx_features);
	print_flags(f, "vmx flags:", hvx_vmx_flag_names, caps->vmx_features);
	print_flags(f, "mitigations:", hvx_mitigation_names, caps->mitigations);
	print_flags(f, "apicv:", hvx_apicv_names, caps->apicv);
}


