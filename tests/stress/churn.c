// SPDX-License-Identifier: GPL-2.0
/*
 * churn: the create/destroy cycles of make stress.
 *
 * First N VMs, each with a memory slot the guest has touched and a vCPU
 * that ran, created and destroyed one after the other; then N adds and
 * removals of a memory slot while a vCPU runs a guest that reads the
 * slot's first page nonstop (RAM while the slot is there, an MMIO exit
 * while it is not).  The stress task measures memory before and after.
 *
 * Usage: churn [--cycles N]
 * Every call must succeed: a failed one is counted as wrong.
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
#define SLOT_VALUE	0x5a5a5a5a5a5a5a5aULL

static atomic_ulong wrong, reads_ram, reads_mmio;
static atomic_bool stop;

static void guest_read_slot(void)
{
	volatile uint64_t *p = (uint64_t *)SLOT_GPA;

	GUEST_SYNC(0);
	for (;;)
		(void)*p;
}

static void count_wrong(const char *what)
{
	atomic_fetch_add(&wrong, 1);
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
}

/* One VM: RAM the guest runs from, real mode at 0: HLT. */
static void vm_cycle(int dev, void *ram)
{
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
		if (hvx_run(vcpu))
			count_wrong("HVX_RUN");
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
			memset(vcpu->run->mmio.data, 0, 8);
			atomic_fetch_add(&reads_mmio, 1);
			continue;
		}
		if (get_ucall(vcpu, &uc) == UCALL_SYNC) {
			atomic_fetch_add(&reads_ram, 1);
			continue;
		}
		errno = 0;
		count_wrong("unexpected exit");
		break;
	}
	return NULL;
}

static void slot_cycles(unsigned long n, void *mem)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned long i;
	pthread_t th;

	sigaction(SIGUSR1, &sa, NULL);
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_slot);
	if (pthread_create(&th, NULL, run_thread, vcpu)) {
		count_wrong("pthread_create");
		return;
	}
	for (i = 0; i < n; i++) {
		if (hvx_set_memory_region(vm->fd, SLOT, 0, SLOT_GPA, SLOT_SIZE,
					  mem))
			count_wrong("add slot");
		if (hvx_delete_memory_region(vm->fd, SLOT))
			count_wrong("delete slot");
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
	uint8_t *ram, *mem;
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
	mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dev < 0 || ram == MAP_FAILED || mem == MAP_FAILED) {
		perror("churn");
		return 2;
	}
	memset(ram, 0xf4, SLOT_SIZE);	/* HLT everywhere */
	for (i = 0; i < SLOT_SIZE / 8; i++)
		((uint64_t *)mem)[i] = SLOT_VALUE;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		vm_cycle(dev, ram);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	slot_cycles(n, mem);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("CHURN vm_cycles=%lu vm_seconds=%.1f slot_cycles=%lu slot_seconds=%.1f guest_exits=%lu mmio_reads=%lu wrong=%lu\n",
	       n, t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       n, t2.tv_sec - t1.tv_sec + (t2.tv_nsec - t1.tv_nsec) / 1e9,
	       atomic_load(&reads_ram), atomic_load(&reads_mmio),
	       atomic_load(&wrong));
	return atomic_load(&wrong) ? 1 : 0;
}
