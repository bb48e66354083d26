// SPDX-License-Identifier: GPL-2.0
/*
 * The hvx backend of the benchmarks: one VM with 32 KiB of RAM at GPA 0
 * and one real-mode vCPU, run through libhvx.  Exits to userspace are
 * served by the loop in hvx_bench_run(), which just resumes (and answers
 * MMIO loads); the ring cases are served by ring.c's device thread.
 * first_touch adds a slot and paging; ipi_roundtrip adds vCPU 1 (made
 * when that case first runs, so that the other cases measure a VM of one
 * vCPU): the launcher puts it in real mode at bench_guest_ap, runnable,
 * and a thread runs it for the case.  The VM's counters (COUNTS lines,
 * first_touch's) are read over the hvx generic netlink family (hvx-stat's
 * client), on one connection opened when first needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#include "bench.h"
#include "hvx-run.h"
#include "hvx_stat.h"
#include "ring.h"

/* Access rights of real-mode segments and of the TSS VM entry wants. */
#define AR_REAL_CODE	0x009b
#define AR_REAL_DATA	0x0093
#define AR_TSS_BUSY	0x008b
#define CR0_ET		(1ULL << 4)
#define RFLAGS_FIXED	(1ULL << 1)

/* first_touch: its slot, and protected mode with 32-bit 4 MiB paging. */
#define TOUCH_SLOT	1
#define AR_FLAT_DATA	(AR_REAL_DATA | HVX_AR_G)
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define CR0_PE		(1ULL << 0)
#define CR0_NE		(1ULL << 5)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)

static struct {
	int dev_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *ram;
	struct hvx_run *run;
	size_t run_size;
	const struct bench_case *c;	/* the case being measured */
	struct bench_counts cnt;	/* exits and writes, all rounds */
	uint8_t *touch;			/* first_touch's slot, or NULL */
	/* ipi_roundtrip: vCPU 1, its run page and its thread */
	int ap_fd;
	struct hvx_run *ap_run;
	struct vcpu_thread ap;
	/* hvx's counters of the VM, by netlink, once hvx_nl() opened it */
	struct hs_conn nl;
	bool nl_open;
	uint32_t vm_id;			/* the VM's id there */
} hx = { .dev_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .ap_fd = -1 };

static struct hvx_segment seg(uint32_t ar)
{
	struct hvx_segment s = { .base = 0, .limit = 0xffff, .ar = ar };

	return s;
}

static int set_real_mode(int vcpu_fd)
{
	struct hvx_sregs sregs;

	if (hvx_get_sregs(vcpu_fd, &sregs))
		return -1;
	sregs.cs = seg(AR_REAL_CODE);
	sregs.ds = seg(AR_REAL_DATA);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.tr = seg(AR_TSS_BUSY);
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.ar = HVX_AR_UNUSABLE;
	memset(&sregs.gdt, 0, sizeof(sregs.gdt));
	sregs.gdt.limit = 0xffff;
	memset(&sregs.idt, 0, sizeof(sregs.idt));
	sregs.idt.limit = 0x3ff;
	sregs.cr0 = CR0_ET;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.cr8 = 0;
	sregs.efer = 0;
	return hvx_set_sregs(vcpu_fd, &sregs);
}

/* The next HVX_RUN of @vcpu_fd starts at @rip, interrupts off. */
static int start_at(int vcpu_fd, uint64_t rip, uint64_t rsp)
{
	struct hvx_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = RFLAGS_FIXED;
	if (hvx_set_regs(vcpu_fd, &regs)) {
		bench_err("hvx: HVX_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * first_touch: the same 16-bit code segment in protected mode, flat
 * 4 GiB data segments for the 32-bit addresses, paging through
 * GUEST_PD_GPA.  The selectors only satisfy VM entry: the guest loads
 * none, so there is no GDT.
 */
static int set_paged_mode(void)
{
	struct hvx_sregs sregs;

	if (set_real_mode(hx.vcpu_fd) || hvx_get_sregs(hx.vcpu_fd, &sregs))
		return -1;
	sregs.cs.selector = SEL_CODE;
	sregs.ss.selector = SEL_DATA;
	sregs.ds = seg(AR_FLAT_DATA);
	sregs.ds.limit = 0xffffffff;
	sregs.ds.selector = SEL_DATA;
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sregs.cr3 = GUEST_PD_GPA;
	sregs.cr4 = CR4_PSE;
	return hvx_set_sregs(hx.vcpu_fd, &sregs);
}

static int hvx_bench_open(void)
{
	struct hvx_caps caps;

	hx.dev_fd = hvx_open();
	if (hx.dev_fd < 0) {
		bench_err("hvx: open %s: %s", HVX_DEV_PATH, strerror(errno));
		return -1;
	}
	if (hvx_get_caps(hx.dev_fd, &caps)) {
		bench_err("hvx: HVX_GET_CAPS: %s", strerror(errno));
		return -1;
	}
	hx.vm_fd = hvx_create_vm(hx.dev_fd);
	if (hx.vm_fd < 0) {
		bench_err("hvx: HVX_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	hx.ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hx.ram == MAP_FAILED) {
		hx.ram = NULL;
		bench_err("hvx: mmap: %s", strerror(errno));
		return -1;
	}
	memcpy(hx.ram + GUEST_CODE_GPA, bench_guest_start,
	       bench_guest_end - bench_guest_start);
	if (hvx_set_memory_region(hx.vm_fd, 0, 0, 0, GUEST_RAM_SIZE,
				  hx.ram)) {
		bench_err("hvx: HVX_SET_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	hx.vcpu_fd = hvx_create_vcpu(hx.vm_fd, 0);
	if (hx.vcpu_fd < 0) {
		bench_err("hvx: HVX_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	hx.run_size = caps.run_page_size;
	hx.run = hvx_map_run(hx.vcpu_fd, hx.run_size);
	if (!hx.run) {
		bench_err("hvx: mmap of the run page: %s", strerror(errno));
		return -1;
	}
	if (set_real_mode(hx.vcpu_fd)) {
		bench_err("hvx: HVX_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	/* The ring plugs in here (ring.c); without it its cases are n/a. */
	bench_ring_open(hx.vm_fd);
	return 0;
}


static bool is_ring_case(const struct bench_case *c)
{
	return strcmp(c->name, "pio_ring") == 0 ||
	       strstr(c->name, "_posted") || strstr(c->name, "_doorbell") ||
	       strstr(c->name, "_irqfd");
}

/*
 * The netlink connection and this VM's id there, opened on first use and
 * kept until close; 0, or -1 (printed).
 */
static int hvx_nl(void)
{
	int err;

	if (hx.nl_open)
		return 0;
	err = hs_open(&hx.nl);
	if (err) {
		bench_err("hvx: netlink: %s", hs_strerror(err));
		return -1;
	}
	err = hs_find_vm(&hx.nl, getpid(), &hx.vm_id);
	if (err) {
		bench_err("hvx: no VM of pid %d: %s", (int)getpid(),
			  hs_strerror(err));
		hs_close(&hx.nl);
		return -1;
	}
	hx.nl_open = true;
	return 0;
}

/* first_touch: paging on; the VM's counters, or a message and none. */
static int touch_setup(void)
{
	if (touch_page_dir(hx.ram) || set_paged_mode()) {
		bench_err("hvx: first_touch: paging: %s", strerror(errno));
		return -1;
	}
	if (hvx_nl())
		bench_err("hvx: first_touch without counters");
	return 0;
}

/* The VM's counters now: EPT violations and exits so far, pages mapped. */
static void hvx_bench_mm_read(struct bench_mm *m)
{
	static struct linux_boot b;
	struct hs_vm vm;
	int64_t ept;

	m->ept_violations = m->vm_exits = m->pages_4k = m->pages_2m = -1;
	if (!hx.nl_open)
		return;
	b.nr = 0;
	if (!hvx_vm_counters(&hx.nl, getpid(), &b)) {
		/* an exit reason not yet seen has no counter */
		ept = linux_boot_get(&b, "exit:EPT_VIOLATION");
		m->ept_violations = ept < 0 ? 0 : ept;
		m->vm_exits = b.exits;
	}
	if (!hs_get_vm(&hx.nl, hx.vm_id, &vm)) {
		m->pages_4k = vm.mapped[0];
		m->pages_2m = vm.mapped[1];
	}
}

/* Delete the slot and free its memory. */
static void touch_slot_free(void)
{
	if (!hx.touch)
		return;
	if (hvx_delete_memory_region(hx.vm_fd, TOUCH_SLOT))
		bench_err("hvx: deleting the first_touch slot: %s",
			  strerror(errno));
	else
		ram_free(hx.touch, TOUCH_SIZE);
	hx.touch = NULL;
}

/* A fresh slot, allocated as hvx-run allocates guest RAM. */
static uint8_t *hvx_bench_touch_slot(void)
{
	touch_slot_free();
	hx.touch = ram_alloc(TOUCH_SIZE, false);
	if (!hx.touch) {
		bench_err("hvx: first_touch: mmap: %s", strerror(errno));
		return NULL;
	}
	if (hvx_set_memory_region(hx.vm_fd, TOUCH_SLOT, 0, TOUCH_GPA,
				  TOUCH_SIZE, hx.touch)) {
		bench_err("hvx: first_touch: HVX_SET_MEMORY_REGION: %s",
			  strerror(errno));
		ram_free(hx.touch, TOUCH_SIZE);
		hx.touch = NULL;
	}
	return hx.touch;
}

/* One HVX_RUN of vCPU 1: it only ever sleeps in HLT or takes an IPI. */
static int hvx_ap_run(void *ctx)
{
	(void)ctx;
	if (hvx_run(hx.ap_fd)) {
		if (errno == EINTR)
			return 0;
		bench_err("hvx: vCPU 1: HVX_RUN: %s", strerror(errno));
		return -1;
	}
	if (hx.ap_run->exit_reason == HVX_EXIT_INTR)
		return 0;
	bench_err("hvx: vCPU 1: unexpected exit %s (%u) at rip 0x%llx",
		  hvx_exit_reason_name(hx.ap_run->exit_reason),
		  hx.ap_run->exit_reason, (unsigned long long)hx.ap_run->rip);
	return -1;
}

/* vCPU 1, made once, started again at bench_guest_ap for each setup. */
static int hvx_ap_start(void)
{
	struct guest_ap *ap = (void *)(hx.ram + GUEST_AP_GPA);

	if (hx.ap_fd < 0) {
		hx.ap_fd = hvx_create_vcpu(hx.vm_fd, AP_APIC_ID);
		if (hx.ap_fd < 0) {
			bench_err("hvx: HVX_CREATE_VCPU 1: %s", strerror(errno));
			return -1;
		}
		hx.ap_run = hvx_map_run(hx.ap_fd, hx.run_size);
		if (!hx.ap_run) {
			bench_err("hvx: mmap of vCPU 1's run page: %s",
				  strerror(errno));
			return -1;
		}
		if (set_real_mode(hx.ap_fd)) {
			bench_err("hvx: vCPU 1: HVX_SET_SREGS: %s",
				  strerror(errno));
			return -1;
		}
	}
	memset(ap, 0, sizeof(*ap));
	if (start_at(hx.ap_fd, GUEST_AP_ENTRY, GUEST_AP_STACK_TOP))
		return -1;
	hx.ap.run = hvx_ap_run;
	return vcpu_thread_start(&hx.ap);
}

static int hvx_bench_setup(const struct bench_case *c, const char **why)
{
	hx.c = c;
	memset(&hx.cnt, 0, sizeof(hx.cnt));
	if (c->op == GOP_TOUCH)
		return touch_setup();
	if (is_ring_case(c))
		return bench_ring_setup(c, &((struct guest_params *)
					     (hx.ram + GUEST_PARAMS_GPA))->entries,
					why);
	if (c->op == GOP_IPI)
		return hvx_ap_start() ? -1 : 0;
	return 0;
}

static void count_write(const struct guest_params *p, uint64_t val)
{
	uint32_t max = p->warm > p->n ? p->warm : p->n;

	hx.cnt.writes++;
	if (!val || val > max)
		hx.cnt.bad++;
}

static int hvx_bench_run(struct guest_params *p, struct bench_counts *cnt)
{
	struct guest_params *gp = (void *)(hx.ram + GUEST_PARAMS_GPA);
	struct hvx_run *run = hx.run;
	uint32_t val;

	*gp = *p;
	if (start_at(hx.vcpu_fd, GUEST_CODE_GPA, GUEST_STACK_TOP))
		return -1;
	for (;;) {
		if (hvx_run(hx.vcpu_fd)) {
			if (errno == EINTR)
				continue;
			bench_err("hvx: HVX_RUN: %s", strerror(errno));
			return -1;
		}
		hx.cnt.exits++;
		bench_ring_after_exit(hx.c);
		switch (run->exit_reason) {
		case HVX_EXIT_HLT:
			*p = *gp;
			*cnt = hx.cnt;
			return 0;
		case HVX_EXIT_IO:
			if (run->io.port == PORT_DONE) {
				*p = *gp;
				*cnt = hx.cnt;
				return 0;
			}
			if (run->io.direction != HVX_IO_OUT ||
			    run->io.port != p->port || run->io.size != 4) {
				hx.cnt.bad++;
				continue;
			}
			memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
			count_write(p, val);
			continue;
		case HVX_EXIT_MMIO:
			if (run->mmio.phys_addr != p->addr ||
			    run->mmio.len != 4) {
				hx.cnt.bad++;
			} else if (run->mmio.is_write) {
				memcpy(&val, run->mmio.data, 4);
				count_write(p, val);
			} else {
				val = MMIO_READ_VALUE;
				memcpy(run->mmio.data, &val, 4);
			}
			continue;
		default:
			bench_err("hvx: unexpected exit %s (%u) at rip 0x%llx",
				  hvx_exit_reason_name(run->exit_reason),
				  run->exit_reason,
				  (unsigned long long)run->rip);
			return -1;
		}
	}
}

static void hvx_bench_teardown(const struct bench_case *c,
			       struct bench_counts *cnt)
{
	struct guest_ap *ap = (void *)(hx.ram + GUEST_AP_GPA);

	if (c->op == GOP_TOUCH) {
		touch_slot_free();
		if (set_real_mode(hx.vcpu_fd))
			bench_err("hvx: back to real mode: %s",
				  strerror(errno));
	}
	if (is_ring_case(c))
		bench_ring_teardown(c, &hx.cnt);
	if (c->op == GOP_IPI) {
		if (vcpu_thread_stop(&hx.ap))
			hx.cnt.bad++;
		hx.cnt.ap_ipis = ap->ipis;
	}
	*cnt = hx.cnt;
	hx.c = NULL;
}

static int hvx_bench_counters(struct linux_boot *b)
{
	if (hvx_nl())
		return -1;
	return hvx_vm_counters(&hx.nl, getpid(), b);
}

static void hvx_bench_close(void)
{
	if (hx.nl_open)
		hs_close(&hx.nl);
	hx.nl_open = false;
	bench_ring_close();
	touch_slot_free();
	vcpu_thread_stop(&hx.ap);
	if (hx.ap_run)
		hvx_unmap_run(hx.ap_run, hx.run_size);
	if (hx.ap_fd >= 0)
		close(hx.ap_fd);
	if (hx.run)
		hvx_unmap_run(hx.run, hx.run_size);
	if (hx.vcpu_fd >= 0)
		close(hx.vcpu_fd);
	if (hx.vm_fd >= 0)
		close(hx.vm_fd);
	if (hx.ram)
		munmap(hx.ram, GUEST_RAM_SIZE);
	if (hx.dev_fd >= 0)
		close(hx.dev_fd);
	hx.run = NULL;
	hx.ap_run = NULL;
	hx.ram = NULL;
	hx.ap_fd = hx.vcpu_fd = hx.vm_fd = hx.dev_fd = -1;
}

const struct bench_backend hvx_backend = {
	.name = "hvx",
	.mask = BENCH_HVX,
	.open = hvx_bench_open,
	.setup = hvx_bench_setup,
	.run = hvx_bench_run,
	.teardown = hvx_bench_teardown,
	.counters = hvx_bench_counters,
	.close = hvx_bench_close,
	.touch_slot = hvx_bench_touch_slot,
	.mm_read = hvx_bench_mm_read,
};
