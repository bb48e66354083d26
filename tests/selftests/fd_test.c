// SPDX-License-Identifier: GPL-2.0
/*
 * fd_test: VM, vCPU and ring fds belong to the process that created the
 * VM.  Passed to another process over a Unix socket (SCM_RIGHTS), or
 * inherited by a child across fork(), their ioctls and mmap() fail with
 * EIO there, and the owner's VM goes on running as if nothing happened.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvx_harness.h"

enum { FD_VM, FD_VCPU, FD_RING, NR_FDS };

static void guest_sync_loop(void)
{
	uint64_t i;

	for (i = 0;; i++)
		GUEST_SYNC(i);
}

/*
 * In a process that is not the owner: every use of the three fds must
 * fail with EIO.  Returns the number of uses that did not.
 */
static int foreign_uses(const int fds[NR_FDS])
{
	struct hvx_ring_completion c = { .flags = HVX_COMPLETE_WAIT };
	struct hvx_regs regs;
	int bad = 0;
	void *p;

#define EXPECT_EIO(call) do {						\
	errno = 0;							\
	if ((call) != -1 || errno != EIO) {				\
		fprintf(stderr, "# %s: errno %d, not EIO\n", #call, errno); \
		bad++;							\
	}								\
} while (0)
	EXPECT_EIO(hvx_create_vcpu(fds[FD_VM], 1));
	EXPECT_EIO(hvx_set_memory_region(fds[FD_VM], 3, 0, 1ULL << 30,
					 4096, &regs));
	EXPECT_EIO(hvx_create_ring(fds[FD_VM], 64, 0, -1));
	EXPECT_EIO(hvx_get_regs(fds[FD_VCPU], &regs));
	EXPECT_EIO(hvx_set_regs(fds[FD_VCPU], &regs));
	EXPECT_EIO(hvx_run(fds[FD_VCPU]));
	EXPECT_EIO(ioctl(fds[FD_RING], HVX_RING_COMPLETE, &c));
#undef EXPECT_EIO
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fds[FD_VCPU], 0);
	if (p != MAP_FAILED || errno != EIO) {
		fprintf(stderr, "# mmap of the vCPU fd: errno %d, not EIO\n",
			errno);
		bad++;
	}
	p = mmap(NULL, HVX_RING_MMAP_SIZE(64), PROT_READ, MAP_SHARED,
		 fds[FD_RING], 0);
	if (p != MAP_FAILED || errno != EIO) {
		fprintf(stderr, "# mmap of the ring fd: errno %d, not EIO\n",
			errno);
		bad++;
	}
	return bad;
}

/* The owner's VM still runs: the guest goes on from where it was. */
static void owner_still_works(struct __test_metadata *_metadata,
			      struct test_vcpu *vcpu, uint64_t next)
{
	struct ucall uc;

	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(next, uc.args[0]);
}

static int send_fds(int sock, const int fds[NR_FDS])
{
	char cbuf[CMSG_SPACE(NR_FDS * sizeof(int))] = {};
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(NR_FDS * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, NR_FDS * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fds(int sock, int fds[NR_FDS])
{
	char cbuf[CMSG_SPACE(NR_FDS * sizeof(int))];
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(NR_FDS * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(cm), NR_FDS * sizeof(int));
	return 0;
}

/* A VM whose guest has made its first ucall, with a ring. */
static struct test_vm *owner_vm(struct test_vcpu **vcpu, int fds[NR_FDS])
{
	struct test_vm *vm = vm_create_with_one_vcpu(vcpu, guest_sync_loop);

	vcpu_expect_sync(*vcpu, 0);
	fds[FD_VM] = vm->fd;
	fds[FD_VCPU] = (*vcpu)->fd;
	fds[FD_RING] = hvx_create_ring(vm->fd, 64, 0, -1);
	return vm;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

HVX_TEST(fds_passed_over_unix_socket)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	int sv[2], fds[NR_FDS], theirs[NR_FDS];
	pid_t pid;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fflush(stdout);
	fflush(stderr);
	/* the receiver forks before the VM exists: it inherits nothing */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		if (recv_fds(sv[1], theirs))
			_exit(100);
		_exit(foreign_uses(theirs));
	}
	close(sv[1]);
	vm = owner_vm(&vcpu, fds);
	ASSERT_LE(0, fds[FD_RING]);
	ASSERT_EQ(0, send_fds(sv[0], fds));
	EXPECT_EQ(0, wait_child(pid));
	close(sv[0]);
	owner_still_works(_metadata, vcpu, 1);
	close(fds[FD_RING]);
	vm_free(vm);
}

HVX_TEST(fds_used_after_fork)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	int fds[NR_FDS];
	pid_t pid;

	HVX_REQUIRE_VM();
	vm = owner_vm(&vcpu, fds);
	ASSERT_LE(0, fds[FD_RING]);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad = foreign_uses(fds);

		/* closing its copies takes nothing from the owner */
		close(fds[FD_RING]);
		close(fds[FD_VCPU]);
		close(fds[FD_VM]);
		_exit(bad);
	}
	EXPECT_EQ(0, wait_child(pid));
	owner_still_works(_metadata, vcpu, 1);
	owner_still_works(_metadata, vcpu, 2);
	close(fds[FD_RING]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
