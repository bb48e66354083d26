// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux KVM backend of the benchmarks: the same guest, the same
 * layout (32 KiB of RAM at GPA 0, one real-mode vCPU), run through the
 * KVM ioctls of <linux/kvm.h>.  Besides plain exits to userspace it has
 * KVM's two ways of not returning to userspace for a write: coalesced
 * MMIO/PIO (a ring in the vCPU mmap, drained by the run loop whenever
 * KVM_RUN returns; a full ring makes the write exit synchronously) and
 * ioeventfd (the write signals an eventfd; a device thread reads it).
 * The local APIC is KVM's in-kernel one (KVM_CREATE_IRQCHIP): KVM then
 * keeps the guest's HLT to itself, so the guest ends with an OUT to
 * PORT_DONE.  first_touch adds a slot and paging.  ipi_roundtrip adds
 * vCPU 1 with its in-kernel local APIC (made when that case first runs,
 * as on hvx): KVM makes it wait for INIT-SIPI, the launcher instead puts
 * it in real mode at bench_guest_ap and makes it runnable, as hvx.c
 * does, and a thread runs it.  KVM's counters (COUNTS lines,
 * first_touch's) come from debugfs (kvm_stats.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "bench.h"
#include "hvx-run.h"

#define KVM_BENCH_CPUID_MAX		100
#define KVM_BENCH_GSI			24	/* past the I/O APIC's pins */
#define CPUID_1_ECX_X2APIC		(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE	(1U << 24)

/* Where KVM keeps the real-mode TSS; any GPA outside RAM and MMIO. */
#define KVM_TSS_GPA	0xfffbd000UL

/* first_touch: its slot, and protected mode with 32-bit 4 MiB paging. */
#define TOUCH_SLOT	1
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEG_TYPE_DATA	3	/* read/write, accessed */
#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)

static struct {
	int dev_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *ram;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_coalesced_mmio_ring *ring;	/* NULL without the cap */
	uint32_t ring_max;
	bool coalesced_pio;		/* KVM_CAP_COALESCED_PIO */
	const struct bench_case *c;
	struct bench_counts cnt;
	/* coalesced zone or ioeventfd of the current case */
	struct kvm_coalesced_mmio_zone zone;
	bool zone_set;
	struct kvm_ioeventfd ioev;
	bool ioev_set;
	struct ev_reader reader;
	/* msi_irqfd: the reader's answer, an MSI through GSI KVM_BENCH_GSI */
	struct kvm_irqfd irqfd;
	int irqfd_fd;			/* its eventfd, or -1 */
	/* first_touch: its slot, and the real-mode state to go back to */
	uint8_t *touch;
	struct kvm_sregs real_sregs;
	bool paged;
	/* ipi_roundtrip: vCPU 1, its kvm_run and its thread */
	int ap_fd;
	struct kvm_run *ap_run;
	struct vcpu_thread ap;
} kx = { .dev_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .irqfd_fd = -1,
	 .ap_fd = -1 };

/*
 * The MSI of msi_irqfd as KVM takes it: a GSI routed to the MSI, and an
 * eventfd on that GSI.
 */
static int kvm_irqfd_open(void)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} route = { .r.nr = 1 };
	int fd;

	route.e[0].gsi = KVM_BENCH_GSI;
	route.e[0].type = KVM_IRQ_ROUTING_MSI;
	route.e[0].u.msi.address_lo = (uint32_t)MSI_ADDRESS;
	route.e[0].u.msi.data = IRQ_VECTOR;
	if (ioctl(kx.vm_fd, KVM_SET_GSI_ROUTING, &route)) {
		bench_err("kvm: KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0) {
		bench_err("eventfd: %s", strerror(errno));
		return -1;
	}
	memset(&kx.irqfd, 0, sizeof(kx.irqfd));
	kx.irqfd.fd = fd;
	kx.irqfd.gsi = KVM_BENCH_GSI;
	if (ioctl(kx.vm_fd, KVM_IRQFD, &kx.irqfd)) {
		bench_err("kvm: KVM_IRQFD: %s", strerror(errno));
		close(fd);
		return -1;
	}
	kx.irqfd_fd = fd;
	return 0;
}

/*
 * The CPUID KVM supports, with x2APIC and the TSC-deadline timer, which
 * hvx offers by default: the guest of lapic_timer uses both.
 */
static int kvm_bench_cpuid(int vcpu_fd)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[KVM_BENCH_CPUID_MAX];
	} cpuid = { .c.nent = KVM_BENCH_CPUID_MAX };
	unsigned int i;

	if (ioctl(kx.dev_fd, KVM_GET_SUPPORTED_CPUID, &cpuid)) {
		bench_err("kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cpuid.c.nent; i++)
		if (cpuid.e[i].function == 1)
			cpuid.e[i].ecx |= CPUID_1_ECX_X2APIC |
					  CPUID_1_ECX_TSC_DEADLINE;
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid)) {
		bench_err("kvm: KVM_SET_CPUID2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reset state is real mode at CS 0xf000, base 0xffff0000: use 0. */
static int kvm_real_mode(int vcpu_fd)
{
	struct kvm_sregs sregs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs)) {
		bench_err("kvm: KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs)) {
		bench_err("kvm: KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The next KVM_RUN of @vcpu_fd starts at @rip, interrupts off. */
static int start_at(int vcpu_fd, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 2;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs)) {
		bench_err("kvm: KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int kvm_bench_open(void)
{
	struct kvm_userspace_memory_region mr;
	long page = sysconf(_SC_PAGESIZE);
	int ret, off;

	kx.dev_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kx.dev_fd < 0) {
		bench_err("kvm: open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	ret = ioctl(kx.dev_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		bench_err("kvm: API version %d, want %d", ret,
			  KVM_API_VERSION);
		return -1;
	}
	kx.vm_fd = ioctl(kx.dev_fd, KVM_CREATE_VM, 0);
	if (kx.vm_fd < 0) {
		bench_err("kvm: KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(kx.vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA)) {
		bench_err("kvm: KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	kx.ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kx.ram == MAP_FAILED) {
		kx.ram = NULL;
		bench_err("kvm: mmap: %s", strerror(errno));
		return -1;
	}
	memcpy(kx.ram + GUEST_CODE_GPA, bench_guest_start,
	       bench_guest_end - bench_guest_start);
	memset(&mr, 0, sizeof(mr));
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = GUEST_RAM_SIZE;
	mr.userspace_addr = (uintptr_t)kx.ram;
	if (ioctl(kx.vm_fd, KVM_SET_USER_MEMORY_REGION, &mr)) {
		bench_err("kvm: KVM_SET_USER_MEMORY_REGION: %s",
			  strerror(errno));
		return -1;
	}
	/* the local APIC in the kernel, as hvx has it (lapic_timer) */
	if (ioctl(kx.vm_fd, KVM_CREATE_IRQCHIP, 0)) {
		bench_err("kvm: KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	kx.vcpu_fd = ioctl(kx.vm_fd, KVM_CREATE_VCPU, 0);
	if (kx.vcpu_fd < 0) {
		bench_err("kvm: KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	if (kvm_bench_cpuid(kx.vcpu_fd))
		return -1;
	ret = ioctl(kx.dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret <= 0) {
		bench_err("kvm: KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	kx.run_size = ret;
	kx.run = mmap(NULL, kx.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      kx.vcpu_fd, 0);
	if (kx.run == MAP_FAILED) {
		kx.run = NULL;
		bench_err("kvm: mmap of kvm_run: %s", strerror(errno));
		return -1;
	}
	/* The coalesced ring is a page of the vCPU mmap, at this offset. */
	off = ioctl(kx.dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (off > 0 && (size_t)(off + 1) * page <= kx.run_size) {
		kx.ring = (void *)((uint8_t *)kx.run + off * page);
		kx.ring_max = (page - sizeof(*kx.ring)) /
			      sizeof(struct kvm_coalesced_mmio);
	}
	kx.coalesced_pio = ioctl(kx.dev_fd, KVM_CHECK_EXTENSION,
				 KVM_CAP_COALESCED_PIO) > 0;
	return kvm_real_mode(kx.vcpu_fd);
}

/* One KVM_RUN of vCPU 1: it only ever sleeps in HLT or takes an IPI. */
static int kvm_ap_run(void *ctx)
{
	(void)ctx;
	if (ioctl(kx.ap_fd, KVM_RUN, 0)) {
		if (errno == EINTR)
			return 0;
		bench_err("kvm: vCPU 1: KVM_RUN: %s", strerror(errno));
		return -1;
	}
	if (kx.ap_run->exit_reason == KVM_EXIT_INTR)
		return 0;
	bench_err("kvm: vCPU 1: unexpected exit %u (hardware reason 0x%llx)",
		  kx.ap_run->exit_reason,
		  (unsigned long long)kx.ap_run->hw.hardware_exit_reason);
	return -1;
}

/* vCPU 1 as hvx.c makes it; made once, started again for each setup. */
static int kvm_ap_create(void)
{
	kx.ap_fd = ioctl(kx.vm_fd, KVM_CREATE_VCPU, AP_APIC_ID);
	if (kx.ap_fd < 0) {
		bench_err("kvm: KVM_CREATE_VCPU 1: %s", strerror(errno));
		return -1;
	}
	if (kvm_bench_cpuid(kx.ap_fd))
		return -1;
	kx.ap_run = mmap(NULL, kx.run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, kx.ap_fd, 0);
	if (kx.ap_run == MAP_FAILED) {
		kx.ap_run = NULL;
		bench_err("kvm: mmap of vCPU 1's kvm_run: %s", strerror(errno));
		return -1;
	}
	return kvm_real_mode(kx.ap_fd);
}

static int kvm_ap_start(void)
{
	struct guest_ap *ap = (void *)(kx.ram + GUEST_AP_GPA);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	if (kx.ap_fd < 0 && kvm_ap_create())
		return -1;
	memset(ap, 0, sizeof(*ap));
	if (start_at(kx.ap_fd, GUEST_AP_ENTRY, GUEST_AP_STACK_TOP))
		return -1;
	if (ioctl(kx.ap_fd, KVM_SET_MP_STATE, &mp)) {
		bench_err("kvm: vCPU 1: KVM_SET_MP_STATE: %s", strerror(errno));
		return -1;
	}
	kx.ap.run = kvm_ap_run;
	return vcpu_thread_start(&kx.ap);
}

static void count_write(const struct guest_params *p, uint64_t val)
{
	uint32_t max = p->warm > p->n ? p->warm : p->n;

	kx.cnt.writes++;
	if (!val || val > max)
		kx.cnt.bad++;
}

/* Take every entry out of the coalesced ring (whenever KVM_RUN returns). */
static void drain_ring(const struct guest_params *p)
{
	struct kvm_coalesced_mmio_ring *ring = kx.ring;
	uint32_t first;

	if (!ring)
		return;
	first = ring->first;
	while (first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[first];
		uint32_t val = 0;

		memcpy(&val, e->data, sizeof(val));
		if (!kx.zone_set || e->phys_addr != kx.zone.addr ||
		    e->len != 4 || e->pio != kx.zone.pio)
			kx.cnt.bad++;
		else
			count_write(p, val);
		first = (first + 1) % kx.ring_max;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
	}
}

/*
 * first_touch: the same 16-bit code segment in protected mode, flat
 * 4 GiB data segments for the 32-bit addresses, paging through
 * GUEST_PD_GPA.  The selectors only satisfy VM entry: the guest loads
 * none, so there is no GDT.
 */
static int touch_setup(void)
{
	struct kvm_sregs s;

	if (touch_page_dir(kx.ram))
		return -1;
	if (ioctl(kx.vcpu_fd, KVM_GET_SREGS, &kx.real_sregs)) {
		bench_err("kvm: KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	s = kx.real_sregs;
	s.cs.selector = SEL_CODE;
	s.ss.selector = SEL_DATA;
	memset(&s.ds, 0, sizeof(s.ds));
	s.ds.limit = 0xffffffff;
	s.ds.selector = SEL_DATA;
	s.ds.type = SEG_TYPE_DATA;
	s.ds.present = 1;
	s.ds.s = 1;
	s.ds.g = 1;
	s.es = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s.cr3 = GUEST_PD_GPA;
	s.cr4 = CR4_PSE;
	s.efer = 0;
	if (ioctl(kx.vcpu_fd, KVM_SET_SREGS, &s)) {
		bench_err("kvm: first_touch: KVM_SET_SREGS: %s",
			  strerror(errno));
		return -1;
	}
	kx.paged = true;
	return 0;
}

/* KVM's counters now: page faults and exits so far, pages mapped. */
static void kvm_bench_mm_read(struct bench_mm *m)
{
	static struct linux_boot st;

	m->ept_violations = m->vm_exits = m->pages_4k = m->pages_2m = -1;
	st.nr = 0;
	if (kvm_vm_counters(&st))
		return;
	m->ept_violations = linux_boot_get(&st, "pf_taken");
	m->vm_exits = st.exits;
	m->pages_4k = linux_boot_get(&st, "pages_4k");
	m->pages_2m = linux_boot_get(&st, "pages_2m");
}

static int set_touch_slot(uint64_t size)
{
	struct kvm_userspace_memory_region mr = {
		.slot = TOUCH_SLOT,
		.guest_phys_addr = TOUCH_GPA,
		.memory_size = size,
		.userspace_addr = (uintptr_t)kx.touch,
	};

	return ioctl(kx.vm_fd, KVM_SET_USER_MEMORY_REGION, &mr);
}

/* Delete the slot and free its memory. */
static void touch_slot_free(void)
{
	if (!kx.touch)
		return;
	if (set_touch_slot(0))
		bench_err("kvm: deleting the first_touch slot: %s",
			  strerror(errno));
	else
		ram_free(kx.touch, TOUCH_SIZE);
	kx.touch = NULL;
}

/* A fresh slot, allocated as hvx-run allocates guest RAM. */
static uint8_t *kvm_bench_touch_slot(void)
{
	touch_slot_free();
	kx.touch = ram_alloc(TOUCH_SIZE, false);
	if (!kx.touch) {
		bench_err("kvm: first_touch: mmap: %s", strerror(errno));
		return NULL;
	}
	if (set_touch_slot(TOUCH_SIZE)) {
		bench_err("kvm: first_touch: KVM_SET_USER_MEMORY_REGION: %s",
			  strerror(errno));
		ram_free(kx.touch, TOUCH_SIZE);
		kx.touch = NULL;
	}
	return kx.touch;
}

static int kvm_bench_setup(const struct bench_case *c, const char **why)
{
	kx.c = c;
	memset(&kx.cnt, 0, sizeof(kx.cnt));
	kx.zone_set = false;
	kx.ioev_set = false;

	if (c->op == GOP_TOUCH)
		return touch_setup();
	if (c->op == GOP_IPI)
		return kvm_ap_start() ? -1 : 0;
	if (!strcmp(c->name, "pio_coalesced") ||
	    !strcmp(c->name, "mmio_coalesced")) {
		bool pio = c->op == GOP_OUT;

		if (!kx.ring || (pio && !kx.coalesced_pio)) {
			*why = pio ? "no KVM_CAP_COALESCED_PIO" :
				     "no KVM_CAP_COALESCED_MMIO";
			return 1;
		}
		memset(&kx.zone, 0, sizeof(kx.zone));
		kx.zone.addr = pio ? c->port : c->addr;
		kx.zone.size = pio ? 4 : 0x1000;
		kx.zone.pio = pio;
		if (ioctl(kx.vm_fd, KVM_REGISTER_COALESCED_MMIO, &kx.zone)) {
			bench_err("kvm: KVM_REGISTER_COALESCED_MMIO: %s",
				  strerror(errno));
			return -1;
		}
		kx.zone_set = true;
		return 0;
	}
	if (!strcmp(c->name, "pio_eventfd") ||
	    !strcmp(c->name, "mmio_eventfd") ||
	    c->op == GOP_MSI) {
		struct guest_params *gp = (void *)(kx.ram + GUEST_PARAMS_GPA);
		bool pio = c->op != GOP_STORE;

		if (c->op == GOP_MSI && kvm_irqfd_open())
			return -1;
		if (ev_reader_start(&kx.reader, kx.irqfd_fd,
				    c->to_isr ? &gp->entries : NULL))
			return -1;
		/*
		 * Any value; a length of 0 puts the MMIO one on KVM's fast
		 * path (the write is recognised from the EPT misconfig
		 * without decoding the instruction), the best KVM offers.
		 */
		memset(&kx.ioev, 0, sizeof(kx.ioev));
		kx.ioev.addr = pio ? c->port : c->addr;
		kx.ioev.len = pio ? 4 : 0;
		kx.ioev.fd = kx.reader.efd;
		kx.ioev.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
		if (ioctl(kx.vm_fd, KVM_IOEVENTFD, &kx.ioev)) {
			bench_err("kvm: KVM_IOEVENTFD: %s", strerror(errno));
			return -1;
		}
		kx.ioev_set = true;
		return 0;
	}
	return 0;
}

static int kvm_bench_run(struct guest_params *p, struct bench_counts *cnt)
{
	struct guest_params *gp = (void *)(kx.ram + GUEST_PARAMS_GPA);
	struct kvm_run *run = kx.run;
	uint32_t val;

	*gp = *p;
	if (start_at(kx.vcpu_fd, GUEST_CODE_GPA, GUEST_STACK_TOP))
		return -1;
	for (;;) {
		if (ioctl(kx.vcpu_fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			bench_err("kvm: KVM_RUN: %s", strerror(errno));
			return -1;
		}
		kx.cnt.exits++;
		drain_ring(p);
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			*p = *gp;
			*cnt = kx.cnt;
			return 0;
		case KVM_EXIT_IO:
			if (run->io.port == PORT_DONE) {
				*p = *gp;
				*cnt = kx.cnt;
				return 0;
			}
			if (run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.port != p->port || run->io.size != 4 ||
			    run->io.count != 1) {
				kx.cnt.bad++;
				continue;
			}
			memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
			count_write(p, val);
			continue;
		case KVM_EXIT_MMIO:
			if (run->mmio.phys_addr != p->addr ||
			    run->mmio.len != 4) {
				kx.cnt.bad++;
			} else if (run->mmio.is_write) {
				memcpy(&val, run->mmio.data, 4);
				count_write(p, val);
			} else {
				val = MMIO_READ_VALUE;
				memcpy(run->mmio.data, &val, 4);
			}
			continue;
		default:
			bench_err("kvm: unexpected exit %u (hardware reason 0x%llx)",
				  run->exit_reason, (unsigned long long)
				  run->hw.hardware_exit_reason);
			return -1;
		}
	}
}

static void kvm_bench_teardown(const struct bench_case *c,
			       struct bench_counts *cnt)
{
	struct guest_ap *ap = (void *)(kx.ram + GUEST_AP_GPA);

	touch_slot_free();
	if (kx.paged && ioctl(kx.vcpu_fd, KVM_SET_SREGS, &kx.real_sregs))
		bench_err("kvm: back to real mode: %s", strerror(errno));
	kx.paged = false;
	if (c->op == GOP_IPI) {
		if (vcpu_thread_stop(&kx.ap))
			kx.cnt.bad++;
		kx.cnt.ap_ipis = ap->ipis;
	}
	if (kx.zone_set) {
		ioctl(kx.vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &kx.zone);
		kx.zone_set = false;
	}
	if (kx.ioev_set) {
		kx.ioev.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(kx.vm_fd, KVM_IOEVENTFD, &kx.ioev);
		kx.ioev_set = false;
	}
	if (kx.reader.running) {
		ev_reader_stop(&kx.reader);
		kx.cnt.writes += kx.reader.total;
		kx.cnt.wakeups += kx.reader.wakeups;
	}
	if (kx.irqfd_fd >= 0) {
		kx.irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ioctl(kx.vm_fd, KVM_IRQFD, &kx.irqfd);
		close(kx.irqfd_fd);
		kx.irqfd_fd = -1;
	}
	*cnt = kx.cnt;
	kx.c = NULL;
}

static void kvm_bench_close(void)
{
	touch_slot_free();
	vcpu_thread_stop(&kx.ap);
	if (kx.ap_run)
		munmap(kx.ap_run, kx.run_size);
	if (kx.ap_fd >= 0)
		close(kx.ap_fd);
	if (kx.run)
		munmap(kx.run, kx.run_size);
	if (kx.vcpu_fd >= 0)
		close(kx.vcpu_fd);
	if (kx.vm_fd >= 0)
		close(kx.vm_fd);
	if (kx.ram)
		munmap(kx.ram, GUEST_RAM_SIZE);
	if (kx.dev_fd >= 0)
		close(kx.dev_fd);
	kx.run = NULL;
	kx.ap_run = NULL;
	kx.ram = NULL;
	kx.ring = NULL;
	kx.ap_fd = kx.vcpu_fd = kx.vm_fd = kx.dev_fd = -1;
}

const struct bench_backend kvm_backend = {
	.name = "kvm",
	.mask = BENCH_KVM,
	.open = kvm_bench_open,
	.setup = kvm_bench_setup,
	.run = kvm_bench_run,
	.teardown = kvm_bench_teardown,
	.counters = kvm_vm_counters,
	.close = kvm_bench_close,
	.touch_slot = kvm_bench_touch_slot,
	.mm_read = kvm_bench_mm_read,
};
