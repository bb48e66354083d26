// SPDX-License-Identifier: GPL-2.0
/*
 * kill_test: a process killed with SIGKILL while its vCPUs run leaves
 * nothing behind: its memory (guest RAM included) comes back,
 * and hvx goes on creating and running VMs.  The suite's rmmod at the end
 * checks that no VM outlived its process.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvx_harness.h"

/* Guest RAM each child touches, so that a leak of it would show. */
#define TOUCH_START	(8 * MiB)
#define TOUCH_END	(12 * MiB)
#define KILLS		2
#define SLACK_KB	(4 * 1024)

enum child_mode {
	CHILD_SPIN,		/* one vCPU spinning without exits */
	CHILD_UCALLS,		/* one vCPU exiting to userspace nonstop */
	CHILD_TWO_VCPUS,	/* two vCPU threads spinning */
};

static void guest_touch_and_spin(uint64_t mode)
{
	volatile uint8_t *p;

	for (p = (uint8_t *)TOUCH_START; p < (uint8_t *)TOUCH_END; p += 4096)
		*p = 1;
	GUEST_SYNC(0);
	for (;;) {
		if (mode == CHILD_UCALLS)
			GUEST_SYNC(1);
		else
			cpu_relax();
	}
}

static void *spin_thread(void *arg)
{
	struct test_vcpu *vcpu = arg;

	for (;;)
		vcpu_run(vcpu);
	return NULL;
}

/*
 * In the child: start the guest, tell the parent through @fd once it
 * runs, and keep it running until the parent's SIGKILL.
 */
static void __noreturn child(enum child_mode mode, int fd)
{
	struct test_vcpu *vcpu, *second;
	struct test_vm *vm;
	pthread_t th;

	vm = vm_create_with_one_vcpu(&vcpu, guest_touch_and_spin);
	vcpu_args_set(vcpu, 1, (uint64_t)mode);
	vcpu_expect_sync(vcpu, 0);
	if (mode == CHILD_TWO_VCPUS) {
		second = vm_vcpu_add(vm, 1, guest_touch_and_spin);
		vcpu_args_set(second, 1, (uint64_t)mode);
		vcpu_expect_sync(second, 0);
		TEST_ASSERT(!pthread_create(&th, NULL, spin_thread, second),
			    "pthread_create");
	}
	TEST_ASSERT(write(fd, "r", 1) == 1, "write to parent");
	for (;;)
		vcpu_run(vcpu);
}

/* Fork a child in @mode, wait until its guest runs, SIGKILL it. */
static int kill_one(enum child_mode mode)
{
	struct pollfd pfd;
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child(mode, p[1]);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	if (poll(&pfd, 1, 60000) != 1 || read(p[0], &c, 1) != 1) {
		/* The child died (it printed why) or hung. */
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(p[0]);
		return -1;
	}
	close(p[0]);
	/* Let it get deep into HVX_RUN, then kill it there. */
	usleep(100 * 1000);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

static void guest_done(void)
{
	GUEST_SYNC(7);
	GUEST_DONE();
}

/* hvx still works: a new VM runs a guest to its end. */
static void vm_still_works(void)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_done);
	vcpu_expect_sync(vcpu, 7);
	vcpu_expect_done(vcpu);
	vm_free(vm);
}

static void kill_test(struct __test_metadata *_metadata,
		      enum child_mode mode)
{
	long before, after;
	int i;

	/* One round first, so that caches are warm. */
	ASSERT_EQ(0, kill_one(mode));
	before = meminfo_settled_kb("MemFree");
	ASSERT_LT(0, before);
	for (i = 0; i < KILLS; i++)
		ASSERT_EQ(0, kill_one(mode)) TH_LOG("kill %d", i);
	after = meminfo_settled_kb("MemFree");
	/* Both count the per-CPU free lists, shown apart (6.12 fills them). */
	TH_LOG("free %ld -> %ld kB over %d kills (per-CPU lists now %ld kB)",
	       before, after, KILLS, pcp_free_kb());
	/* Each child had 5 MiB of guest RAM (image, stack, 4 MiB touched). */
	EXPECT_GE(after, before - SLACK_KB);
	vm_still_works();
}

HVX_TEST_TIMEOUT(kill_spinning_vcpu, 300)
{
	HVX_REQUIRE_VM();
	kill_test(_metadata, CHILD_SPIN);
}

HVX_TEST_TIMEOUT(kill_during_ucalls, 300)
{
	HVX_REQUIRE_VM();
	kill_test(_metadata, CHILD_UCALLS);
}

HVX_TEST_TIMEOUT(kill_two_vcpu_threads, 300)
{
	HVX_REQUIRE_VM();
	kill_test(_metadata, CHILD_TWO_VCPUS);
}

/* A child that exits with a VM, its vCPU and mappings still open. */
static int exit_one(void)
{
	struct test_vcpu *vcpu;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		vm_create_with_one_vcpu(&vcpu, guest_touch_and_spin);
		vcpu_args_set(vcpu, 1, (uint64_t)CHILD_SPIN);
		vcpu_expect_sync(vcpu, 0);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

HVX_TEST(exit_without_close)
{
	long before, after;
	int i;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, exit_one());
	before = meminfo_settled_kb("MemFree");
	for (i = 0; i < KILLS; i++)
		ASSERT_EQ(0, exit_one());
	after = meminfo_settled_kb("MemFree");
	TH_LOG("free %ld -> %ld kB (per-CPU lists now %ld kB)", before, after,
	       pcp_free_kb());
	EXPECT_GE(after, before - SLACK_KB);
	vm_still_works();
}

TEST_HARNESS_MAIN
