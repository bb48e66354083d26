// SPDX-License-Identifier: GPL-2.0
/*
 * mem_test: what guest memory costs the host and who pays for it.
 *
 * A slot's size costs no kernel memory until the guest touches its pages,
 * and a VM's slots are capped (HVX_MAX_VM_MEM_SIZE, E2BIG); guest memory
 * is charged to nothing: RLIMIT_MEMLOCK does not limit it, and nothing
 * shows as VmPin (that it is not pinned at all, mm_test shows: it is
 * swapped out and seen changed); only anonymous, shmem and hugetlbfs
 * memory backs a slot, when it
 * is added and when a page is faulted in.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvx_harness.h"

#define CODE_GPA	0x1000
#define STACK_TOP	0x1000
/* Where the touch guest starts writing: segment 0x200, GPA 0x2000. */
#define TOUCH_SEG	0x0200
#define TOUCH_GPA	(TOUCH_SEG << 4)

/*
 * 16-bit real mode at 0:0x1000: write a byte to each of N pages from
 * segment S on, then hlt.
 *   mov cx, N; mov ax, S
 *   1: mov es, ax; mov byte [es:0], 1; add ax, 0x100; loop 1b
 *   hlt
 */
static const uint8_t touch_pages[] = {
	0xb9, 0x00, 0x00,
	0xb8, 0x00, 0x00,
	0x8e, 0xc0,
	0x26, 0xc6, 0x06, 0x00, 0x00, 0x01,
	0x05, 0x00, 0x01,
	0xe2, 0xf3,
	0xf4,
};

/* A 1 MiB real-mode VM whose guest writes to @npages pages from GPA 0x2000. */
static struct test_vm *touch_vm(struct test_vcpu **vcpu, uint16_t npages)
{
	uint8_t code[sizeof(touch_pages)];
	struct test_vm *vm;

	memcpy(code, touch_pages, sizeof(code));
	code[1] = npages & 0xff;
	code[2] = npages >> 8;
	code[4] = TOUCH_SEG & 0xff;
	code[5] = TOUCH_SEG >> 8;
	vm = vm_create_bare(1 * MiB);
	vm_load_blob(vm, CODE_GPA, code, code + sizeof(code));
	*vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_setup_real_mode(*vcpu, CODE_GPA, STACK_TOP);
	return vm;
}

/* Run the touch guest: 0 at its HLT, -errno when HVX_RUN failed. */
static int run_touch(struct test_vcpu *vcpu)
{
	if (__vcpu_run(vcpu) < 0)
		return -errno;
	return vcpu->run->exit_reason == HVX_EXIT_HLT ? 0 : -EPROTO;
}

HVX_TEST(slot_size_costs_nothing_until_touched)
{
	const uint64_t span = HVX_MAX_VM_MEM_SIZE / 4;
	long free0, free1;
	void *reserve;
	int fd, i;

	HVX_REQUIRE_VM();
	/* Address space only: PROT_NONE anonymous memory is never committed. */
	reserve = mmap(NULL, HVX_MAX_VM_MEM_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, reserve);
	fd = hvx_create_vm(hvx_dev_fd());
	ASSERT_LE(0, fd);
	/* The test needs 320 GiB of guest-physical space (39 bits). */
	if (hvx_set_memory_region(fd, 0, 0, 5 * span - HVX_PAGE_SIZE,
				  HVX_PAGE_SIZE, reserve)) {
		close(fd);
		munmap(reserve, HVX_MAX_VM_MEM_SIZE);
		SKIP(return, "guest-physical space below 320 GiB");
	}
	ASSERT_EQ(0, hvx_delete_memory_region(fd, 0));

	free0 = meminfo_settled_kb("MemFree");
	/* Four slots of 64 GiB, all backed by the same reservation. */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, hvx_set_memory_region(fd, i, 0, i * span, span,
						   reserve));
	free1 = meminfo_settled_kb("MemFree");
	TH_LOG("MemFree %ld -> %ld kB for 256 GiB of slots", free0, free1);
	/* A page array sized by the slots would be 512 MiB. */
	EXPECT_GE(free1, free0 - 2048);

	/* Full: not one more page, in any slot. */
	EXPECT_REGION_ERR(fd, 4, 0, 4 * span, HVX_PAGE_SIZE, reserve, E2BIG);
	EXPECT_REGION_ERR(fd, 4, HVX_MEM_READONLY, 4 * span, HVX_PAGE_SIZE,
			  reserve, E2BIG);
	/* A deleted slot's size is room again, and exactly that. */
	EXPECT_EQ(0, hvx_delete_memory_region(fd, 3));
	EXPECT_EQ(0, hvx_set_memory_region(fd, 3, 0, 3 * span, span / 2,
					   reserve));
	EXPECT_EQ(0, hvx_set_memory_region(fd, 4, 0, 3 * span + span / 2,
					   span / 2, reserve));
	EXPECT_REGION_ERR(fd, 5, 0, 4 * span, HVX_PAGE_SIZE, reserve, E2BIG);
	/* One slot may be the whole budget. */
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, hvx_delete_memory_region(fd, i));
	EXPECT_EQ(0, hvx_set_memory_region(fd, 0, 0, 0, HVX_MAX_VM_MEM_SIZE,
					   reserve));
	EXPECT_REGION_ERR(fd, 1, 0, HVX_MAX_VM_MEM_SIZE, HVX_PAGE_SIZE,
			  reserve, E2BIG);
	close(fd);
	munmap(reserve, HVX_MAX_VM_MEM_SIZE);
}

#define MEMLOCK_PAGES	16
#define TOUCH_PAGES	160

enum memlock_check {
	MEMLOCK_SETUP	= 1 << 0,
	MEMLOCK_TOUCH	= 1 << 1,
	MEMLOCK_VMPIN	= 1 << 2,
	MEMLOCK_AGAIN	= 1 << 3,
};

/* As user nobody with a tiny RLIMIT_MEMLOCK; the failed checks. */
static int memlock_owner(void)
{
	const struct rlimit rl = {
		.rlim_cur = MEMLOCK_PAGES * HVX_PAGE_SIZE,
		.rlim_max = MEMLOCK_PAGES * HVX_PAGE_SIZE,
	};
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	int fails = 0;
	long pin;

	/* Nobody has no CAP_IPC_LOCK to lift the limit. */
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		return MEMLOCK_SETUP;
	/* Ten times the limit, touched by the guest. */
	vm = touch_vm(&vcpu, TOUCH_PAGES);
	if (run_touch(vcpu))
		fails |= MEMLOCK_TOUCH;
	pin = proc_kb("/proc/self/status", "VmPin");
	if (pin != 0) {
		printf("# VmPin %ld kB after %d pages\n", pin, TOUCH_PAGES);
		fails |= MEMLOCK_VMPIN;
	}
	/* Running again (the pages mapped now) changes nothing. */
	vcpu_setup_real_mode(vcpu, CODE_GPA, STACK_TOP);
	if (run_touch(vcpu))
		fails |= MEMLOCK_AGAIN;
	vm_free(vm);
	return fails;
}

HVX_TEST(memlock_does_not_limit_guest_memory)
{
	int status, i;
	pid_t pid;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(getuid() == 0, "needs root to become another user");
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(memlock_owner());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		for (i = 0; i < 8; i++)
			if (WEXITSTATUS(status) & (1 << i))
				TH_LOG("check %d failed", i);
	}
}

static char ramfs_dir[] = "/tmp/hvx-ramfs-XXXXXX";

/*
 * A 1 MiB file, open read-write, on a ramfs (a filesystem that is not
 * shmem) mounted for it; ramfs_unmount() removes both.
 */
static int ramfs_file(void)
{
	char path[64];
	int fd;

	mkdir("/tmp", 01777);
	TEST_ASSERT(mkdtemp(ramfs_dir), "mkdtemp %s", ramfs_dir);
	TEST_ASSERT(!mount("hvx", ramfs_dir, "ramfs", 0, NULL),
		    "mount ramfs on %s", ramfs_dir);
	snprintf(path, sizeof(path), "%s/ram", ramfs_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0 && !ftruncate(fd, MiB), "%s", path);
	return fd;
}

static void ramfs_unmount(int fd)
{
	close(fd);
	umount(ramfs_dir);
	rmdir(ramfs_dir);
}

static void *map(int prot, int flags, int fd)
{
	void *p = mmap(NULL, MiB, prot, flags, fd, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap");
	return p;
}

HVX_TEST(file_mappings_cannot_back_slots)
{
	void *shared, *priv, *memfd_map, *shanon, *anon;
	int fd, file, memfd;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(getuid() == 0, "needs root to mount a ramfs");
	file = ramfs_file();
	fd = hvx_create_vm(hvx_dev_fd());
	ASSERT_LE(0, fd);

	/* A shared file mapping: writes would bypass its filesystem. */
	shared = map(PROT_READ | PROT_WRITE, MAP_SHARED, file);
	EXPECT_REGION_ERR(fd, 0, 0, 0, MiB, shared, EINVAL);
	EXPECT_REGION_ERR(fd, 0, HVX_MEM_READONLY, 0, MiB, shared, EINVAL);
	/* Part of the range is enough. */
	anon = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	ASSERT_EQ((uint8_t *)anon + MiB / 2,
		  mmap((uint8_t *)anon + MiB / 2, MiB / 2,
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		       file, 0));
	EXPECT_REGION_ERR(fd, 0, 0, 0, MiB, anon, EINVAL);
	munmap(anon, MiB);

	/* A private file mapping: a read-only slot only. */
	priv = map(PROT_READ, MAP_PRIVATE, file);
	EXPECT_REGION_ERR(fd, 0, 0, 0, MiB, priv, EINVAL);
	EXPECT_EQ(0, hvx_set_memory_region(fd, 0, HVX_MEM_READONLY, 0, MiB,
					   priv));

	/* shmem (memfd, shared anonymous) and anonymous memory are fine. */
	memfd = memfd_create("hvx-guest", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, MiB));
	memfd_map = map(PROT_READ | PROT_WRITE, MAP_SHARED, memfd);
	EXPECT_EQ(0, hvx_set_memory_region(fd, 1, 0, MiB, MiB, memfd_map));
	shanon = map(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	EXPECT_EQ(0, hvx_set_memory_region(fd, 2, 0, 2 * MiB, MiB, shanon));
	anon = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	EXPECT_EQ(0, hvx_set_memory_region(fd, 3, 0, 3 * MiB, MiB, anon));

	close(fd);
	munmap(shared, MiB);
	munmap(priv, MiB);
	munmap(memfd_map, MiB);
	munmap(shanon, MiB);
	munmap(anon, MiB);
	close(memfd);
	ramfs_unmount(file);
}

HVX_TEST(file_mapped_over_a_slot_is_refused)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t byte = 0xff;
	int file, ret;
	void *hva;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(getuid() == 0, "needs root to mount a ramfs");
	file = ramfs_file();

	/* The slot was anonymous when added; then a file replaces a page. */
	vm = touch_vm(&vcpu, 1);
	hva = addr_gpa2hva(vm, TOUCH_GPA, HVX_PAGE_SIZE);
	ASSERT_EQ(hva, mmap(hva, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED, file, 0));
	ret = run_touch(vcpu);
	EXPECT_EQ(-EFAULT, ret);
	/* The guest's write did not reach the file. */
	ASSERT_EQ(1, pread(file, &byte, 1, 0));
	EXPECT_EQ(0, byte);

	vm_free(vm);
	ramfs_unmount(file);
}

TEST_HARNESS_MAIN
