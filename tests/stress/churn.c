// SPDX-License-Identifier: GPL-2.0
/*
 * churn: the create/destroy cycles of make stress.
 *
 * First N VMs, each with a memory slot the guest has touched and a vCPU
 * that ran to its HLT, created and destroyed one after the other; then N
 * adds and removals of a memory slot, backed in turn by two buffers of
 * different values, while a vCPU runs a guest that reads the slot's
 * first page nonstop (RAM while the slot is there, an MMIO exit while it
 * is not) and reports each change of what it reads.  The stress task
 * measures memory before and after.
 *
 * Usage: churn [--cycles N]
 * Wrong: a call that fails; a vCPU that does not end at its HLT; every
 * CHECK_EVERY cycles, no MMIO exit within CHECK_NS where no slot is, a
 * slot whose memory the guest does not read within CHECK_NS of its
 * adding, or whose removal brings no MMIO exit within CHECK_NS (an EPT
 * mapping that outlived its slot); the guest reading
 * the buffer of a slot that is gone after such an exit proved the
 * removal seen; and no MMIO read in all the slot cycles.
 */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hvx_util.h"

#define SLOT		1
#define SLOT_GPA	(1ULL * GiB)
#define SLOT_SIZE	(64 * KiB)
#define VALUE_A		0x5a5a5a5a5a5a5a5aULL
#define VALUE_B		0xa5a5a5a5a5a5a5a5ULL
#define MMIO_VALUE	0		/* what a read where no slot is gets */
#define NO_VALUE	1		/* nothing forbidden */
#define CHECK_EVERY	8
#define CHECK_NS	2000000000L

static atomic_ulong wrong, reads_ram;
static atomic_ullong reads_mmio, forbidden = NO_VALUE, last_ram = NO_VALUE;
static atomic_bool stop;

/* Report each change of what the slot's first word reads. */
static void guest_read_slot(void)
{
	volatile uint64_t *p = (uint64_t *)SLOT_GPA;
	uint64_t last = NO_VALUE, v;

	for (;;) {
		v = *p;
		if (v != last) {
			last = v;
			GUEST_SYNC(v);
		}
	}
}

/* What went wrong; errno, when not 0, says why a call failed. */
static void count_wrong(const char *what)
{
	atomic_fetch_add(&wrong, 1);
	if (errno)
		fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	else
		fprintf(stderr, "churn: %s\n", what);
}

static void wrong_exit(unsigned int reason)
{
	atomic_fetch_add(&wrong, 1);
	fprintf(stderr, "churn: HVX_RUN: exit reason %u, not the HLT\n",
		reason);
}

/* One VM: RAM the guest runs from, real mode at 0: HLT. */
static void vm_cycle(int dev, void *ram)
{
	struct hvx_run *run = NULL;
	struct hvx_sregs sregs;
	int vm, vcpu;

	vm = hvx_create_vm(dev);
	if (vm < 0)
		return count_wrong("HVX_CREATE_VM");
	if (hvx_set_memory_region(vm, 0, 0, 0, SLOT_SIZE, ram))
		count_wrong("HVX_SET_MEMORY_REGION");
	vcpu = hvx_create_vcpu(vm, 0);
	if (vcpu < 0) {
		count_wrong("HVX_CREATE_VCPU");
	} else {
		if (hvx_get_sregs(vcpu, &sregs))
			count_wrong("HVX_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (hvx_set_sregs(vcpu, &sregs) ||
		    hvx_set_regs(vcpu, &(struct hvx_regs){ .rflags = 2 }))
			count_wrong("HVX_SET_SREGS/REGS");
		run = hvx_map_run(vcpu, hvx_dev_caps()->run_page_size);
		if (!run)
			count_wrong("mmap run page");
		else if (hvx_run(vcpu))
			count_wrong("HVX_RUN");
		else if (run->exit_reason != HVX_EXIT_HLT)
			wrong_exit(run->exit_reason);
		if (run)
			hvx_unmap_run(run, hvx_dev_caps()->run_page_size);
		close(vcpu);
	}
	close(vm);
}

static void on_signal(int sig)
{
}

static void *run_thread(void *arg)
{
	struct test_vcpu *vcpu = arg;
	struct ucall uc;

	while (!atomic_load(&stop)) {
		if (__vcpu_run(vcpu) < 0) {
			if (errno != EINTR)
				count_wrong("HVX_RUN");
			continue;
		}
		if (vcpu->run->exit_reason == HVX_EXIT_MMIO) {
			memset(vcpu->run->mmio.data, MMIO_VALUE, 8);
			atomic_fetch_add(&reads_mmio, 1);
			continue;
		}
		if (get_ucall(vcpu, &uc) == UCALL_SYNC) {
			if (uc.args[0] == atomic_load(&forbidden)) {
				errno = 0;
				count_wrong("the guest read a removed slot's buffer");
			} else if (uc.args[0] != MMIO_VALUE) {
				atomic_fetch_add(&reads_ram, 1);
				atomic_store(&last_ram, uc.args[0]);
			}
			continue;
		}
		errno = 0;
		count_wrong("unexpected exit");
		break;
	}
	return NULL;
}

static long since_ns(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000L + t.tv_nsec - t0->tv_nsec;
}

/*
 * Wait, at most CHECK_NS, for @v (reads_mmio or last_ram) to differ from
 * @value (@moved) or to equal it (!@moved).  Return: false, counted as
 * wrong (@what), when the time ran out.
 */
static bool await(atomic_ullong *v, uint64_t value, bool moved,
		  const char *what)
{
	struct timespec t0, pause = { 0, 100000 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((atomic_load(v) == value) == moved) {
		if (since_ns(&t0) > CHECK_NS) {
			errno = 0;
			count_wrong(what);
			return false;
		}
		nanosleep(&pause, NULL);
	}
	return true;
}

/*
 * Before a checked cycle adds its slot: the guest must be reading where
 * no slot is (an MMIO exit after @mmio), so that what it last read is
 * MMIO_VALUE and the slot's value, whichever buffer, is a change it
 * reports.  Without this, a guest that last read the same buffer two
 * cycles ago and did not run since would report nothing.
 */
static void check_absent(uint64_t mmio)
{
	await(&reads_mmio, mmio, true, "no MMIO exit where no slot is");
}

/* The slot backed by @value's buffer was added: the guest must read it. */
static void check_added(uint64_t value)
{
	await(&last_ram, value, false, "the guest did not read an added slot");
}

/*
 * The slot backed by the buffer holding @value was just removed: the
 * guest, reading nonstop, must take an MMIO exit (counted after @mmio)
 * soon, and once it has, never read @value again until the buffer is
 * added back.  A mapping that outlived its slot (an EPT fault installing
 * what it looked up before the removal) gives neither.
 */
static void check_removed(uint64_t value, uint64_t mmio)
{
	if (await(&reads_mmio, mmio, true,
		  "no MMIO exit after the slot's removal"))
		atomic_store(&forbidden, value);
}

static void slot_cycles(unsigned long n, void *mem[2])
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t mmio;
	unsigned long i;
	pthread_t th;
	bool check;

	sigaction(SIGUSR1, &sa, NULL);
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_slot);
	if (pthread_create(&th, NULL, run_thread, vcpu)) {
		count_wrong("pthread_create");
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t value = i & 1 ? VALUE_B : VALUE_A;

		/* the buffer comes back: its value is the slot's again */
		if (atomic_load(&forbidden) == value)
			atomic_store(&forbidden, NO_VALUE);
		check = i % CHECK_EVERY == CHECK_EVERY - 1;
		if (check) {
			check_absent(atomic_load(&reads_mmio));
			atomic_store(&last_ram, NO_VALUE);
		}
		if (hvx_set_memory_region(vm->fd, SLOT, 0, SLOT_GPA, SLOT_SIZE,
					  mem[i & 1]))
			count_wrong("add slot");
		if (check)
			check_added(value);
		mmio = atomic_load(&reads_mmio);
		if (hvx_delete_memory_region(vm->fd, SLOT))
			count_wrong("delete slot");
		if (check)
			check_removed(value, mmio);
	}
	atomic_store(&stop, true);
	vcpu->run->immediate_exit = 1;
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	vm_free(vm);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cycles", required_argument, NULL, 'n' },
		{}
	};
	unsigned long n = 10000, i;
	struct timespec t0, t1, t2;
	uint64_t *mem[2];
	uint8_t *ram;
	int c, dev;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: churn [--cycles N]\n");
			return 2;
		}
		n = strtoul(optarg, NULL, 0);
	}
	dev = hvx_dev_fd();
	ram = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 2; i++)
		mem[i] = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dev < 0 || ram == MAP_FAILED || mem[0] == MAP_FAILED ||
	    mem[1] == MAP_FAILED) {
		perror("churn");
		return 2;
	}
	memset(ram, 0xf4, SLOT_SIZE);	/* HLT everywhere */
	for (i = 0; i < SLOT_SIZE / 8; i++) {
		mem[0][i] = VALUE_A;
		mem[1][i] = VALUE_B;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		vm_cycle(dev, ram);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	slot_cycles(n, (void **)mem);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	if (n >= CHECK_EVERY && !atomic_load(&reads_mmio)) {
		errno = 0;
		count_wrong("no MMIO read in all the slot cycles");
	}
	printf("CHURN vm_cycles=%lu vm_seconds=%.1f slot_cycles=%lu slot_seconds=%.1f ram_reads=%lu mmio_reads=%llu wrong=%lu\n",
	       n, t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       n, t2.tv_sec - t1.tv_sec + (t2.tv_nsec - t1.tv_nsec) / 1e9,
	       atomic_load(&reads_ram), atomic_load(&reads_mmio),
	       atomic_load(&wrong));
	return atomic_load(&wrong) ? 1 : 0;
}
