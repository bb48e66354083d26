// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: the ioctl fuzzer of make stress.
 *
 * Threads share one table of VM, vCPU and ring fds and make random calls
 * on them and on /dev/hvx: valid HVX_* commands with plausible or random
 * arguments, commands mutated in size, direction and number, pointers
 * that are NULL, unmapped, unaligned, in the kernel, straddling a guard
 * page or on a page another thread unmaps and maps again mid-call; and
 * create, close, mmap, munmap, slot deletion and HVX_RUN in random order,
 * so that run races set-regs, close, munmap of the run page or ring, slot
 * deletion and ring teardown.  A per-thread timer signal ends every call
 * that waits (a guest that runs, HVX_RING_COMPLETE's wait, a halted vCPU)
 * with EINTR.
 *
 * What it checks itself: a command that no hvx fd knows fails with ENOTTY
 * (or EBADF for an fd another thread closed), whatever the fd; no call
 * hangs (the timer); the process survives.  Kernel splats, leaks and the
 * module's unload are checked by the stress task around it.
 *
 * Usage: fuzz [--seed S] [--calls N] [--threads T]
 * Each thread's sequence of calls follows from the seed; with --threads 1
 * a run replays exactly.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/hvx.h>

#include "prng.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_VMS		3
#define MAX_VCPUS	6
#define PAGE		4096UL
#define GUEST_MEM	(2UL << 20)
#define DIRTY_SLOT	1
#define DIRTY_SLOT_GPA	(16UL << 20)
#define BUF_SIZE	(3 * PAGE)	/* the largest argument, cpuid at 64 */
#define TIMER_NS	(3 * 1000 * 1000)
#define KERNEL_PTR_A	0xffffffff81000000UL
#define KERNEL_PTR_B	0xffff888000001000UL

/* A mapping of a table fd: taken by exchange, so unmapped once. */
struct mapping {
	void *addr;
	size_t len;
};

/* An fd of the shared table and what is mapped of it; -1 when none. */
struct fd_slot {
	atomic_int fd;
	_Atomic(struct mapping *) map;
};

static struct fd_slot vms[MAX_VMS], vcpus[MAX_VCPUS], rings[MAX_VMS];
static int dev_fd, efd;
static uint8_t *guest_mem;	/* what slots point at; half of it flaps */
static uint8_t *unmapped;	/* a PROT_NONE page: never readable */
static uint8_t *flap;		/* a page the flapper unmaps and maps again */
/*
 * Held for writing while a flap leaves its hole, for reading around the
 * fuzzer's own mmap()s: a mapping of the fuzzer's that landed in the hole
 * would be replaced by the flap's MAP_FIXED, or unmapped by the next flap
 * while the fuzzer writes to it (op_run()).  Calls still meet the hole.
 */
static pthread_rwlock_t hole_lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_ulong wrong;
static atomic_ulong created_vms, runs, run_exits;

/*
 * Every command of each kind of fd, the valid set for the ENOTTY check
 * (tests/unit/fuzz_cmds_test.sh checks that every command of the uapi
 * header is here).
 */
static const unsigned int dev_cmds[] = {
	HVX_GET_API_VERSION, HVX_GET_CAPS, HVX_CREATE_VM,
};
static const unsigned int vm_cmds[] = {
	HVX_SET_MEMORY_REGION, HVX_CREATE_VCPU, HVX_VM_SET_OPTION,
	HVX_CREATE_RING, HVX_REGISTER_RANGE, HVX_SIGNAL_MSI, HVX_IRQFD,
	HVX_GET_DIRTY_LOG, HVX_CLEAR_DIRTY_LOG,
};
static const unsigned int vcpu_cmds[] = {
	HVX_RUN, HVX_GET_REGS, HVX_SET_REGS, HVX_GET_SREGS, HVX_SET_SREGS,
	HVX_GET_MSRS, HVX_SET_MSRS, HVX_GET_CPUID, HVX_SET_CPUID,
	HVX_INTERRUPT, HVX_NMI, HVX_GET_MP_STATE, HVX_SET_MP_STATE,
	HVX_GET_LAPIC, HVX_SET_LAPIC, HVX_GET_VCPU_EVENTS, HVX_SET_VCPU_EVENTS,
	HVX_GET_DEBUGREGS, HVX_SET_DEBUGREGS, HVX_GET_XSAVE, HVX_SET_XSAVE,
	HVX_GET_PDPTRS, HVX_SET_PDPTRS,
};
static const unsigned int ring_cmds[] = { HVX_RING_COMPLETE };

struct cmd_set {
	const unsigned int *cmds;
	unsigned int n;
};

enum kind { K_DEV, K_VM, K_VCPU, K_RING, NR_KINDS };

static const struct cmd_set cmd_sets[NR_KINDS] = {
	[K_DEV] = { dev_cmds, sizeof(dev_cmds) / sizeof(dev_cmds[0]) },
	[K_VM] = { vm_cmds, sizeof(vm_cmds) / sizeof(vm_cmds[0]) },
	[K_VCPU] = { vcpu_cmds, sizeof(vcpu_cmds) / sizeof(vcpu_cmds[0]) },
	[K_RING] = { ring_cmds, sizeof(ring_cmds) / sizeof(ring_cmds[0]) },
};

struct worker {
	pthread_t th;
	unsigned int id;
	uint64_t rnd;
	unsigned long calls, budget;
	uint8_t *buf;		/* BUF_SIZE bytes, a guard page after */
	timer_t timer;
};

static bool known_cmd(unsigned int cmd)
{
	unsigned int k, i;

	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < cmd_sets[k].n; i++)
			if (cmd_sets[k].cmds[i] == cmd)
				return true;
	return false;
}

/* A command: valid for @kind, mutated, or random with hvx's type byte. */
static unsigned int pick_cmd(struct worker *w, enum kind kind)
{
	const struct cmd_set *set = &cmd_sets[kind];
	unsigned int cmd = set->cmds[rnd_below(&w->rnd, set->n)];

	switch (rnd_below(&w->rnd, 8)) {
	case 0:		/* size */
		return _IOC(_IOC_DIR(cmd), HVXIO, _IOC_NR(cmd),
			    rnd_below(&w->rnd, 4) ? rnd_below(&w->rnd, 2048) :
			    rnd_below(&w->rnd, _IOC_SIZEMASK + 1));
	case 1:		/* direction */
		return _IOC(rnd_below(&w->rnd, 4), HVXIO, _IOC_NR(cmd),
			    _IOC_SIZE(cmd));
	case 2:		/* number */
		return _IOC(_IOC_DIR(cmd), HVXIO,
			    rnd_below(&w->rnd, 2) ? _IOC_NR(cmd) ^ 1 :
			    rnd_below(&w->rnd, 256), _IOC_SIZE(cmd));
	case 3:		/* anything of hvx's type */
		return (rnd_next(&w->rnd) & ~(_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
		       HVXIO << _IOC_TYPESHIFT;
	default:
		return cmd;
	}
}

static uint64_t mem_region_arg(struct worker *w, struct hvx_memory_region *mr)
{
	memset(mr, 0, sizeof(*mr));
	mr->slot = rnd_below(&w->rnd, 8) ? rnd_below(&w->rnd, 4) :
		   rnd_below(&w->rnd, 64);
	mr->flags = rnd_below(&w->rnd, 4) ? 0 : rnd_below(&w->rnd, 8);
	mr->guest_phys_addr = rnd_below(&w->rnd, 8) ?
			      rnd_below(&w->rnd, 16) << 20 : rnd_next(&w->rnd);
	switch (rnd_below(&w->rnd, 4)) {
	case 0:		/* delete */
		break;
	case 3:
		mr->size = rnd_next(&w->rnd);
		break;
	default:
		mr->size = (1 + rnd_below(&w->rnd, 256)) * PAGE;
	}
	mr->userspace_addr = rnd_below(&w->rnd, 8) ?
		(uint64_t)(guest_mem + rnd_below(&w->rnd, 512) * PAGE) :
		rnd_next(&w->rnd);
	return (uint64_t)mr;
}

/* Real mode at 0:0, where the guest's loop of OUTs to port 0x80 is. */
static void real_mode_sregs(struct hvx_sregs *s)
{
	static const struct hvx_segment code = {
		.limit = 0xffff, .ar = 0x9b,
	}, data = {
		.limit = 0xffff, .ar = 0x93,
	};

	memset(s, 0, sizeof(*s));
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct hvx_segment){ .limit = 0xffff, .ar = 0x8b };
	s->ldt = (struct hvx_segment){ .ar = HVX_AR_UNUSABLE };
	s->gdt.limit = 0xffff;
	s->idt.limit = 0x3ff;
	s->cr0 = 0x10;
}

/*
 * 32-bit PAE paging, CR3 in the first page of guest memory: the only
 * state in which HVX_SET_PDPTRS is accepted, whatever the table holds
 * (HVX_SET_SREGS takes the mode and loads no entry from a bad one).
 */
static void pae_sregs(struct hvx_sregs *s)
{
	static const struct hvx_segment code = {
		.limit = 0xffffffff, .ar = 0xc09b,
	}, data = {
		.limit = 0xffffffff, .ar = 0xc093,
	};

	real_mode_sregs(s);
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->cr0 = 0x80000011;
	s->cr3 = 0xfe0;
	s->cr4 = 0x20;
}

static uint64_t hostile_arg(struct worker *w);

/* Values that arithmetic on a 64-bit field meets at its edges. */
static const uint64_t edges[] = {
	0, 1, 2, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32,
	(1ULL << 63) - 1, 1ULL << 63, (1ULL << 63) + 1, ~0ULL - 1, ~0ULL,
};

/* Which setter starts from which getter's answer. */
static unsigned int getter_of(unsigned int cmd, size_t *size)
{
	switch (cmd) {
	case HVX_SET_LAPIC:
		*size = sizeof(struct hvx_lapic_state);
		return HVX_GET_LAPIC;
	case HVX_SET_VCPU_EVENTS:
		*size = sizeof(struct hvx_vcpu_events);
		return HVX_GET_VCPU_EVENTS;
	case HVX_SET_DEBUGREGS:
		*size = sizeof(struct hvx_debugregs);
		return HVX_GET_DEBUGREGS;
	case HVX_SET_XSAVE:
		*size = sizeof(struct hvx_xsave);
		return HVX_GET_XSAVE;
	case HVX_SET_PDPTRS:
		*size = sizeof(struct hvx_pdptrs);
		return HVX_GET_PDPTRS;
	}
	return 0;
}

/*
 * Change one thing in @size bytes at @b, or nothing (a quarter of the
 * time): a bit, or a 64-bit word made random or an edge value.
 */
static void mutate(struct worker *w, uint8_t *b, size_t size)
{
	uint64_t v;

	switch (rnd_below(&w->rnd, 4)) {
	case 0:
		return;
	case 1:
		b[rnd_below(&w->rnd, size)] ^= 1 << rnd_below(&w->rnd, 8);
		return;
	default:
		v = rnd_below(&w->rnd, 2) ? rnd_next(&w->rnd) :
		    edges[rnd_below(&w->rnd, ARRAY_SIZE(edges))];
		memcpy(b + 8 * rnd_below(&w->rnd, size / 8), &v, sizeof(v));
	}
}

/*
 * A setter's argument from the vCPU's own state, its getter's answer, with
 * mutate()'s change: random bytes would fail the setter's first check
 * (flags, reserved fields, the APIC ID) and its body would never run
 * while other threads run, close and unmap.
 */
static uint64_t from_getter(struct worker *w, int fd, unsigned int get,
			    size_t size)
{
	w->calls++;
	if (!ioctl(fd, get, w->buf))
		mutate(w, w->buf, size);
	return (uint64_t)w->buf;
}

/* MSRs hvx knows, which a get or set walks past its first entry. */
static const uint32_t msr_indices[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x174, 0x175, 0x176, 0x1d9, 0x277, 0x6e0,
	0x802, 0x808, 0x80f, 0x832, 0x838, 0xc0000080, 0xc0000081,
	0xc0000082, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102,
	0xc0000103, 0x12345678,
};

/*
 * A list of known MSRs for a get or set; a set takes their values from a
 * get first, one changed.  An eighth of the lists end in the guard page
 * after the buffer, the last entry's data there: an EFAULT mid-list.
 */
static uint64_t msrs_arg(struct worker *w, int fd, unsigned int cmd)
{
	uint32_t n = rnd_below(&w->rnd, 4) ? 1 + rnd_below(&w->rnd, 8) :
		     rnd_below(&w->rnd, HVX_MAX_MSR_ENTRIES + 2);
	size_t len = sizeof(struct hvx_msrs) +
		     n * sizeof(struct hvx_msr_entry);
	size_t cut = n && !rnd_below(&w->rnd, 8) ? sizeof(uint64_t) : 0;
	struct hvx_msrs *m = (void *)(cut ? w->buf + BUF_SIZE - len + cut :
				      w->buf);
	uint32_t i;

	memset(m, 0, len - cut);
	m->nmsrs = n;
	for (i = 0; i < n; i++)
		m->entries[i].index =
			msr_indices[rnd_below(&w->rnd, ARRAY_SIZE(msr_indices))];
	if (cmd == HVX_SET_MSRS && n && !cut) {
		w->calls++;
		if (ioctl(fd, HVX_GET_MSRS, m) >= 0) {
			m->nmsrs = n;
			i = rnd_below(&w->rnd, n);
			mutate(w, (uint8_t *)&m->entries[i].data,
			       sizeof(m->entries[i].data));
		}
	}
	return (uint64_t)m;
}

/* The vCPU's CPUID table for a set, one entry changed; a count for a get. */
static uint64_t cpuid_arg(struct worker *w, int fd, unsigned int cmd)
{
	struct hvx_cpuid *c = (void *)w->buf;

	memset(c, 0, sizeof(*c));
	c->nent = rnd_below(&w->rnd, 4) ? HVX_MAX_CPUID_ENTRIES :
		  rnd_below(&w->rnd, HVX_MAX_CPUID_ENTRIES + 2);
	if (cmd == HVX_SET_CPUID) {
		w->calls++;
		if (ioctl(fd, HVX_GET_CPUID, c) >= 0 && c->nent)
			mutate(w, (uint8_t *)&c->entries[rnd_below(&w->rnd,
								   c->nent)],
			       sizeof(c->entries[0]));
	}
	return (uint64_t)c;
}

/*
 * A dirty-log call, mostly on the slot op_create() gives each VM with
 * HVX_MEM_LOG_DIRTY (mem_region_arg() may have replaced or deleted it),
 * its bitmap in the buffer's last two pages or anywhere hostile_arg()
 * points.
 */
static uint64_t dirty_log_arg(struct worker *w, unsigned int cmd)
{
	uint64_t bitmap = (uint64_t)w->buf + PAGE;

	if (!rnd_below(&w->rnd, 4))
		bitmap = hostile_arg(w);
	if (cmd == HVX_GET_DIRTY_LOG) {
		*(struct hvx_dirty_log *)w->buf = (struct hvx_dirty_log){
			.slot = rnd_below(&w->rnd, 4) ? DIRTY_SLOT :
				rnd_below(&w->rnd, 4),
			.flags = rnd_below(&w->rnd, 2) ? HVX_DIRTY_LOG_KEEP : 0,
			.bitmap = bitmap };
	} else {
		*(struct hvx_clear_dirty_log *)w->buf =
			(struct hvx_clear_dirty_log){
			.slot = rnd_below(&w->rnd, 4) ? DIRTY_SLOT :
				rnd_below(&w->rnd, 4),
			.first_page = rnd_below(&w->rnd, 2) ? 0 :
				      64 * rnd_below(&w->rnd, 8),
			.num_pages = rnd_below(&w->rnd, 4) ?
				     64 * (1 + rnd_below(&w->rnd, 4)) :
				     edges[rnd_below(&w->rnd,
						     ARRAY_SIZE(edges))],
			.bitmap = bitmap };
	}
	return (uint64_t)w->buf;
}

/* A plausible argument for @cmd on @fd in @w->buf, or a small number. */
/* The VM's structs (options, ring, ranges, MSIs, irqfds); 0: not one. */
static uint64_t vm_struct_arg(struct worker *w, unsigned int cmd, void *b)
{
	switch (cmd) {
	case HVX_VM_SET_OPTION:
		*(struct hvx_option *)b = (struct hvx_option){
			.option = rnd_below(&w->rnd, 4),
			.value = rnd_below(&w->rnd, 3) };
		return (uint64_t)b;
	case HVX_CREATE_RING:
		*(struct hvx_ring_setup *)b = (struct hvx_ring_setup){
			.entries = 1U << rnd_below(&w->rnd, 14),
			.flags = rnd_below(&w->rnd, 4) ? 0 : rnd_next(&w->rnd),
			.eventfd = rnd_below(&w->rnd, 2) ? -1 :
				   rnd_below(&w->rnd, 2) ? efd : 1 };
		return (uint64_t)b;
	case HVX_REGISTER_RANGE:
		*(struct hvx_io_range *)b = (struct hvx_io_range){
			.type = 1 + rnd_below(&w->rnd, 2),
			.flags = rnd_below(&w->rnd, 8),
			.base = rnd_below(&w->rnd, 2) ? 0x80 :
				rnd_below(&w->rnd, 0x10000),
			.length = 1 + rnd_below(&w->rnd, 16),
			.eventfd = rnd_below(&w->rnd, 2) ? -1 : efd };
		return (uint64_t)b;
	case HVX_SIGNAL_MSI:
		*(struct hvx_msi *)b = (struct hvx_msi){
			.address = 0xfee00000 | rnd_below(&w->rnd, 0x100000),
			.data = rnd_below(&w->rnd, 0x10000) };
		return (uint64_t)b;
	case HVX_IRQFD:
		*(struct hvx_irqfd *)b = (struct hvx_irqfd){
			.fd = rnd_below(&w->rnd, 4) ? efd : -1,
			.flags = rnd_below(&w->rnd, 2),
			.address = 0xfee00000, .data = 0x30 };
		return (uint64_t)b;
	}
	return 0;
}

static uint64_t plausible_arg(struct worker *w, int fd, unsigned int cmd)
{
	void *b = w->buf;
	unsigned int get;
	uint64_t arg;
	size_t size;

	rnd_fill(&w->rnd, b, 64);
	if (cmd == HVX_SET_PDPTRS && rnd_below(&w->rnd, 2)) {
		/* the one mode in which the call is accepted */
		pae_sregs(b);
		w->calls++;
		ioctl(fd, HVX_SET_SREGS, b);
	}
	get = getter_of(cmd, &size);
	if (get)
		return from_getter(w, fd, get, size);
	arg = vm_struct_arg(w, cmd, b);
	if (arg)
		return arg;
	switch (cmd) {
	case HVX_SET_MEMORY_REGION:
		return mem_region_arg(w, b);
	case HVX_CREATE_VCPU:
		return rnd_below(&w->rnd, 8) ? rnd_below(&w->rnd, 3) :
		       rnd_next(&w->rnd);
	case HVX_SET_SREGS:
		if (rnd_below(&w->rnd, 4))
			real_mode_sregs(b);
		else
			pae_sregs(b);
		return (uint64_t)b;
	case HVX_SET_REGS:
		memset(b, 0, sizeof(struct hvx_regs));
		((struct hvx_regs *)b)->rflags = 2;
		((struct hvx_regs *)b)->rip = rnd_below(&w->rnd, 4) ? 0 :
					      rnd_next(&w->rnd);
		return (uint64_t)b;
	case HVX_GET_MSRS:
	case HVX_SET_MSRS:
		return msrs_arg(w, fd, cmd);
	case HVX_GET_CPUID:
	case HVX_SET_CPUID:
		return cpuid_arg(w, fd, cmd);
	case HVX_GET_DIRTY_LOG:
	case HVX_CLEAR_DIRTY_LOG:
		return dirty_log_arg(w, cmd);
	case HVX_INTERRUPT:
	case HVX_SET_MP_STATE:
		((uint32_t *)b)[0] = rnd_below(&w->rnd, 2) ?
				     rnd_below(&w->rnd, 4) : rnd_next(&w->rnd);
		((uint32_t *)b)[1] = 0;
		return (uint64_t)b;
	case HVX_RING_COMPLETE:
		*(struct hvx_ring_completion *)b = (struct hvx_ring_completion){
			.seq = rnd_below(&w->rnd, 4),
			.flags = rnd_below(&w->rnd, 2) };
		return (uint64_t)b;
	}
	return rnd_below(&w->rnd, 2) ? 0 : (uint64_t)b;
}

/* A pointer or number of every kind a careless or hostile caller passes. */
static uint64_t hostile_arg(struct worker *w)
{
	switch (rnd_below(&w->rnd, 9)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)unmapped + rnd_below(&w->rnd, PAGE);
	case 2:
		return rnd_below(&w->rnd, 2) ? KERNEL_PTR_A : KERNEL_PTR_B;
	case 3:		/* unaligned, random contents */
		rnd_fill(&w->rnd, w->buf, 2048);
		return (uint64_t)w->buf + 1 + rnd_below(&w->rnd, 7);
	case 4:		/* the last bytes before the guard page */
		return (uint64_t)w->buf + BUF_SIZE - 1 - rnd_below(&w->rnd, 64);
	case 5:		/* unmapped by the flapper, maybe mid-call */
		return (uint64_t)flap + rnd_below(&w->rnd, 64);
	case 6:
		return rnd_below(&w->rnd, 64);
	case 7:
		return (uint64_t)guest_mem + rnd_below(&w->rnd, GUEST_MEM);
	default:
		return rnd_next(&w->rnd);
	}
}

static struct fd_slot *pick_slot(struct worker *w, enum kind kind)
{
	switch (kind) {
	case K_VM:
		return &vms[rnd_below(&w->rnd, MAX_VMS)];
	case K_VCPU:
		return &vcpus[rnd_below(&w->rnd, MAX_VCPUS)];
	case K_RING:
		return &rings[rnd_below(&w->rnd, MAX_VMS)];
	default:
		return NULL;
	}
}

/*
 * Commands whose plausible arguments are built to pass their checks:
 * how often each was accepted (for the MSRs, an entry got through), so
 * that a run shows their handlers' bodies ran.
 */
static const struct {
	unsigned int cmd;
	const char *name;
} watched[] = {
	{ HVX_SET_LAPIC, "SET_LAPIC" },
	{ HVX_SET_VCPU_EVENTS, "SET_VCPU_EVENTS" },
	{ HVX_SET_DEBUGREGS, "SET_DEBUGREGS" },
	{ HVX_SET_XSAVE, "SET_XSAVE" },
	{ HVX_SET_PDPTRS, "SET_PDPTRS" },
	{ HVX_GET_MSRS, "GET_MSRS" },
	{ HVX_SET_MSRS, "SET_MSRS" },
	{ HVX_SET_CPUID, "SET_CPUID" },
	{ HVX_GET_DIRTY_LOG, "GET_DIRTY_LOG" },
	{ HVX_CLEAR_DIRTY_LOG, "CLEAR_DIRTY_LOG" },
};
static atomic_ulong accepted[ARRAY_SIZE(watched)];

static void count_accepted(unsigned int cmd, int ret)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(watched); i++)
		if (watched[i].cmd == cmd && (cmd == HVX_GET_MSRS ||
					      cmd == HVX_SET_MSRS ? ret > 0 :
					      ret == 0))
			atomic_fetch_add(&accepted[i], 1);
}

static void call_ioctl(struct worker *w, int fd, unsigned int cmd,
		       uint64_t arg)
{
	int ret;

	w->calls++;
	ret = ioctl(fd, cmd, arg);
	count_accepted(cmd, ret);
	if (!known_cmd(cmd) && (ret != -1 || (errno != ENOTTY &&
					       errno != EBADF))) {
		atomic_fetch_add(&wrong, 1);
		fprintf(stderr, "fuzz: thread %u: unknown command %#x on fd %d: ret %d errno %d\n",
			w->id, cmd, fd, ret, ret < 0 ? errno : 0);
	}
	if (cmd == HVX_CREATE_VM && ret >= 0)
		close(ret);	/* the table's VMs come from op_create */
	if (ret >= 0 && (cmd == HVX_CREATE_VCPU || cmd == HVX_CREATE_RING))
		close(ret);
}

/* One random ioctl on an fd of a random kind. */
static void op_ioctl(struct worker *w, bool plausible)
{
	enum kind kind = rnd_below(&w->rnd, NR_KINDS);
	struct fd_slot *slot = pick_slot(w, kind);
	int fd = slot ? atomic_load(&slot->fd) : dev_fd;
	unsigned int cmd;
	uint64_t arg;

	if (plausible) {
		cmd = cmd_sets[kind].cmds[rnd_below(&w->rnd, cmd_sets[kind].n)];
		arg = plausible_arg(w, fd, cmd);
	} else {
		cmd = pick_cmd(w, kind);
		arg = rnd_below(&w->rnd, 2) ? hostile_arg(w) :
		      plausible_arg(w, fd, cmd);
	}
	if (cmd == HVX_CREATE_VM && kind == K_DEV)
		cmd = HVX_GET_API_VERSION;	/* VMs only through the table */
	call_ioctl(w, fd, cmd, arg);
}

static void unmap_slot(struct worker *w, struct fd_slot *slot)
{
	struct mapping *m = atomic_exchange(&slot->map, NULL);

	if (m) {
		w->calls++;
		munmap(m->addr, m->len);
		free(m);
	}
}

/* Put @fd into @slot; the old fd there, if any, is closed. */
static void install(struct worker *w, struct fd_slot *slot, int fd)
{
	int old;

	unmap_slot(w, slot);
	old = atomic_exchange(&slot->fd, fd);
	if (old >= 0) {
		w->calls++;
		close(old);
	}
}

static void op_create(struct worker *w)
{
	unsigned int i = rnd_below(&w->rnd, MAX_VMS);
	struct hvx_ring_setup rs = { .entries = 64, .eventfd = -1 };
	int vm = atomic_load(&vms[i].fd), fd;

	w->calls++;
	switch (rnd_below(&w->rnd, 4)) {
	case 0:
		fd = ioctl(dev_fd, HVX_CREATE_VM, 0);
		if (fd < 0)
			return;
		atomic_fetch_add(&created_vms, 1);
		/* the guest: OUT AL, 0x80; JMP back; at guest-physical 0 */
		w->calls++;
		ioctl(fd, HVX_SET_MEMORY_REGION, &(struct hvx_memory_region){
			.size = GUEST_MEM / 2,
			.userspace_addr = (uint64_t)guest_mem });
		/* and a slot whose dirty log the dirty-log calls read */
		w->calls++;
		ioctl(fd, HVX_SET_MEMORY_REGION, &(struct hvx_memory_region){
			.slot = DIRTY_SLOT, .flags = HVX_MEM_LOG_DIRTY,
			.guest_phys_addr = DIRTY_SLOT_GPA,
			.size = GUEST_MEM / 2,
			.userspace_addr = (uint64_t)guest_mem + GUEST_MEM / 2 });
		install(w, &vms[i], fd);
		return;
	case 1:
		if (rnd_below(&w->rnd, 2))
			rs.entries = 1U << rnd_below(&w->rnd, 14);
		fd = ioctl(vm, HVX_CREATE_RING, &rs);
		if (fd >= 0)
			install(w, &rings[i], fd);
		return;
	default:
		fd = ioctl(vm, HVX_CREATE_VCPU, rnd_below(&w->rnd, 3));
		if (fd >= 0)
			install(w, &vcpus[rnd_below(&w->rnd, MAX_VCPUS)], fd);
		return;
	}
}

static void op_close(struct worker *w)
{
	struct fd_slot *slot = pick_slot(w, 1 + rnd_below(&w->rnd, 3));

	install(w, slot, -1);
}

/* mmap a vCPU's run page or a ring, or unmap what another thread mapped. */
static void op_map(struct worker *w)
{
	bool ring = rnd_below(&w->rnd, 2);
	struct fd_slot *slot = pick_slot(w, ring ? K_RING : K_VCPU);
	size_t len = ring ? HVX_RING_MMAP_SIZE(64) : PAGE;
	struct mapping *m;
	void *p;

	if (rnd_below(&w->rnd, 3) == 0) {
		unmap_slot(w, slot);
		return;
	}
	if (rnd_below(&w->rnd, 4) == 0)
		len = (1 + rnd_below(&w->rnd, 8)) * PAGE;
	w->calls++;
	pthread_rwlock_rdlock(&hole_lock);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 atomic_load(&slot->fd), rnd_below(&w->rnd, 8) ? 0 : PAGE);
	pthread_rwlock_unlock(&hole_lock);
	if (p == MAP_FAILED)
		return;
	m = malloc(sizeof(*m));
	if (!m) {
		munmap(p, len);
		return;
	}
	*m = (struct mapping){ .addr = p, .len = len };
	unmap_slot(w, slot);
	m = atomic_exchange(&slot->map, m);
	if (m) {	/* another thread mapped meanwhile */
		w->calls++;
		munmap(m->addr, m->len);
		free(m);
	}
}

/*
 * HVX_RUN, after a real-mode setup or as the vCPU is, sometimes with
 * immediate_exit set through a run page mapping of this call's own (the
 * table's mappings may go away under a write).
 */
static void op_run(struct worker *w)
{
	struct fd_slot *slot = &vcpus[rnd_below(&w->rnd, MAX_VCPUS)];
	int fd = atomic_load(&slot->fd);
	struct hvx_run *run = MAP_FAILED;
	struct hvx_sregs sregs;
	struct hvx_regs regs = { .rflags = 2 };

	if (rnd_below(&w->rnd, 2)) {
		real_mode_sregs(&sregs);
		w->calls += 2;
		ioctl(fd, HVX_SET_SREGS, &sregs);
		ioctl(fd, HVX_SET_REGS, &regs);
	}
	if (rnd_below(&w->rnd, 2)) {
		w->calls++;
		pthread_rwlock_rdlock(&hole_lock);
		run = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		pthread_rwlock_unlock(&hole_lock);
		if (run != MAP_FAILED)
			run->immediate_exit = rnd_below(&w->rnd, 2);
	}
	w->calls++;
	atomic_fetch_add(&runs, 1);
	if (!ioctl(fd, HVX_RUN, 0))
		atomic_fetch_add(&run_exits, 1);
	if (run != MAP_FAILED) {
		w->calls++;
		munmap(run, PAGE);
	}
}

/* Guest memory's upper half and the flap page come and go. */
static void op_flap(struct worker *w)
{
	void *half = guest_mem + GUEST_MEM / 2;
	void *p = rnd_below(&w->rnd, 2) ? half : (void *)flap;
	size_t len = p == half ? GUEST_MEM / 2 : PAGE;

	w->calls += 2;
	pthread_rwlock_wrlock(&hole_lock);
	munmap(p, len);
	mmap(p, len, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	pthread_rwlock_unlock(&hole_lock);
}

static void on_timer(int sig)
{
}

static char *put_hex(char *p, unsigned long v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	*p++ = '0';
	*p++ = 'x';
	for (i = 60; i >= 0; i -= 4)
		*p++ = hex[(v >> i) & 0xf];
	return p;
}

/*
 * "fuzz: signal S code C at ADDR, rip RIP" on stderr, with write() only
 * (the program is static and not position independent: addr2line finds
 * RIP in it).
 */
static void on_fatal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char msg[96] = "fuzz: signal ", *p = msg + strlen(msg);

	*p++ = '0' + sig / 10;
	*p++ = '0' + sig % 10;
	memcpy(p, " code ", 6);
	p += 6;
	*p++ = si->si_code < 0 ? '-' : '0' + si->si_code % 10;
	if (si->si_code < 0)
		*p++ = '0' + -si->si_code % 10;
	memcpy(p, " at ", 4);
	p = put_hex(p + 4, (unsigned long)si->si_addr);
	memcpy(p, ", rip ", 6);
	p = put_hex(p + 6, uc->uc_mcontext.gregs[REG_RIP]);
	*p++ = '\n';
	if (write(STDERR_FILENO, msg, p - msg) < 0)
		_exit(3);
	/* SA_RESETHAND: the default action now, when the handler returns */
	raise(sig);
}

static int arm_timer(struct worker *w)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		.it_value.tv_nsec = TIMER_NS,
		.it_interval.tv_nsec = TIMER_NS,
	};

	sev._sigev_un._tid = syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &w->timer))
		return -1;
	return timer_settime(w->timer, 0, &its, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t op;

	if (arm_timer(w)) {
		perror("fuzz: timer_create");
		atomic_fetch_add(&wrong, 1);
		return NULL;
	}
	while (w->calls < w->budget) {
		op = rnd_below(&w->rnd, 100);
		if (op < 55)
			op_ioctl(w, false);
		else if (op < 72)
			op_ioctl(w, true);
		else if (op < 80)
			op_run(w);
		else if (op < 86)
			op_create(w);
		else if (op < 90)
			op_close(w);
		else if (op < 97)
			op_map(w);
		else
			op_flap(w);
	}
	timer_delete(w->timer);
	return NULL;
}

static void *map_or_die(void *addr, size_t len, int prot)
{
	void *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       (addr ? MAP_FIXED : 0), -1, 0);

	if (p == MAP_FAILED) {
		perror("fuzz: mmap");
		exit(2);
	}
	return p;
}

static void setup(void)
{
	static const uint8_t loop[] = { 0xe6, 0x80, 0xeb, 0xfc };
	static const int fatal_signals[] = {
		SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
	};
	struct sigaction sa = { .sa_handler = on_timer };
	struct sigaction fatal = {
		.sa_sigaction = on_fatal,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	unsigned int i;

	dev_fd = open("/dev/hvx", O_RDWR | O_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	if (dev_fd < 0 || efd < 0) {
		perror("fuzz: /dev/hvx or eventfd");
		exit(2);
	}
	/* no SA_RESTART: the timer's signal ends the call it interrupts */
	sigaction(SIGUSR1, &sa, NULL);
	/* a death of the fuzzer's own says how, for the replay */
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &fatal, NULL);
	guest_mem = map_or_die(NULL, GUEST_MEM, PROT_READ | PROT_WRITE);
	for (i = 0; i < GUEST_MEM / 2; i += sizeof(loop))
		memcpy(guest_mem + i, loop, sizeof(loop));
	unmapped = map_or_die(NULL, PAGE, PROT_NONE);
	flap = map_or_die(NULL, PAGE, PROT_READ | PROT_WRITE);
	for (i = 0; i < MAX_VMS; i++) {
		atomic_init(&vms[i].fd, -1);
		atomic_init(&rings[i].fd, -1);
	}
	for (i = 0; i < MAX_VCPUS; i++)
		atomic_init(&vcpus[i].fd, -1);
}

static void teardown(void)
{
	struct worker w = {};
	unsigned int i;

	for (i = 0; i < MAX_VCPUS; i++)
		install(&w, &vcpus[i], -1);
	for (i = 0; i < MAX_VMS; i++) {
		install(&w, &rings[i], -1);
		install(&w, &vms[i], -1);
	}
	close(efd);
	close(dev_fd);
}

/* The accepted counts, and the summary line the stress task reads. */
static void report(uint64_t seed, unsigned long total, unsigned int threads,
		   double seconds)
{
	unsigned int i, nr_accepted = 0;

	printf("fuzz: accepted:");
	for (i = 0; i < ARRAY_SIZE(watched); i++) {
		printf(" %s %lu", watched[i].name, atomic_load(&accepted[i]));
		if (atomic_load(&accepted[i]))
			nr_accepted++;
	}
	printf("\n");
	printf("FUZZ seed=%#llx calls=%lu threads=%u vms=%lu runs=%lu run_exits=%lu wrong=%lu setters=%u/%zu seconds=%.1f\n",
	       (unsigned long long)seed, total, threads,
	       atomic_load(&created_vms), atomic_load(&runs),
	       atomic_load(&run_exits), atomic_load(&wrong), nr_accepted,
	       ARRAY_SIZE(watched), seconds);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{}
	};
	unsigned long calls = 1000000, total = 0;
	unsigned int threads = 4, i;
	struct timespec t0, t1;
	uint64_t seed;
	struct worker *ws;
	int c;

	clock_gettime(CLOCK_REALTIME, &t0);
	seed = (uint64_t)t0.tv_nsec ^ ((uint64_t)getpid() << 32);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			threads = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: fuzz [--seed S] [--calls N] [--threads T]\n");
			return 2;
		}
	}
	if (!threads || threads > 64) {
		fprintf(stderr, "fuzz: 1 to 64 threads\n");
		return 2;
	}
	printf("fuzz: seed %#llx: replay with --seed %#llx --calls %lu --threads %u\n",
	       (unsigned long long)seed, (unsigned long long)seed, calls,
	       threads);
	fflush(stdout);
	setup();
	ws = calloc(threads, sizeof(*ws));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * Every buffer before the first thread: a buffer mapped into a
	 * flap's hole would be unmapped by the next flap.
	 */
	for (i = 0; i < threads; i++) {
		ws[i].id = i;
		ws[i].rnd = rnd_stream(seed, i);
		ws[i].budget = calls / threads + (i < calls % threads);
		ws[i].buf = map_or_die(NULL, BUF_SIZE + PAGE,
				       PROT_READ | PROT_WRITE);
		mprotect(ws[i].buf + BUF_SIZE, PAGE, PROT_NONE);
	}
	for (i = 0; i < threads; i++) {
		if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i])) {
			perror("fuzz: pthread_create");
			return 2;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(ws[i].th, NULL);
		total += ws[i].calls;
	}
	teardown();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(seed, total, threads,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return atomic_load(&wrong) ? 1 : 0;
}
