// SPDX-License-Identifier: GPL-2.0
/*
 * vm_test: the ioctls of /dev/hvx, VM and vCPU fds, on their success and
 * error paths, without running a guest: VM creation, memory slots, vCPU
 * creation and its run page mapping, registers, MSRs, CPUID, options,
 * fd lifetimes and leaks over many VMs.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvx_harness.h"

/* ioctl numbers no hvx version will use. */
#define HVX_BOGUS_DEV	_IO(HVXIO, 0x0f)
#define HVX_BOGUS_VM	_IO(HVXIO, 0x2f)
#define HVX_BOGUS_VCPU	_IO(HVXIO, 0x5f)

#define KERNEL_ADDR	((void *)0xffff888000000000ULL)

static int new_vm_fd(void)
{
	return hvx_create_vm(hvx_dev_fd());
}

/* @size bytes of fresh anonymous memory; aborts on failure. */
static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap %zu", size);
	return p;
}

/* An ioctl that must fail with @err. */
#define EXPECT_IOCTL_ERR(fd, cmd, arg, err) do {			\
	errno = 0;							\
	EXPECT_EQ(-1, ioctl(fd, cmd, arg));				\
	EXPECT_EQ(err, errno);						\
} while (0)

HVX_TEST(api_version_and_caps)
{
	const struct hvx_caps *caps;
	char *text = NULL, *line, *save;
	size_t len = 0;
	FILE *f;
	int fd, i;

	fd = hvx_dev_fd();
	HVX_REQUIRE(fd >= 0, "%s: %s", HVX_DEV_PATH, strerror(errno));
	caps = hvx_dev_caps();

	EXPECT_EQ(HVX_API_VERSION, hvx_get_api_version(fd));
	EXPECT_IOCTL_ERR(fd, HVX_GET_API_VERSION, 1, EINVAL);
	EXPECT_IOCTL_ERR(fd, HVX_GET_CAPS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(fd, HVX_BOGUS_DEV, 0, ENOTTY);

	EXPECT_GE(caps->max_vcpus, 1);
	EXPECT_LE(caps->max_vcpus, HVX_MAX_VCPUS);
	EXPECT_GE(caps->max_mem_slots, 1);
	EXPECT_LE(caps->max_mem_slots, HVX_MAX_MEM_SLOTS);
	EXPECT_GE(caps->run_page_size, HVX_RUN_DATA_OFFSET);
	EXPECT_LE(caps->run_page_size, HVX_PAGE_SIZE);
	for (i = 0; i < (int)ARRAY_SIZE(caps->reserved); i++)
		EXPECT_EQ(0, caps->reserved[i]);

	/* For the log: what this host offers. */
	f = open_memstream(&text, &len);
	ASSERT_NE(NULL, f);
	hvx_caps_print(f, caps);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line);
	free(text);
}

HVX_TEST(create_vm)
{
	int a, b;

	HVX_REQUIRE_VM();
	EXPECT_IOCTL_ERR(hvx_dev_fd(), HVX_CREATE_VM, 1, EINVAL);
	a = new_vm_fd();
	ASSERT_LE(0, a);
	b = new_vm_fd();
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_IOCTL_ERR(a, HVX_BOGUS_VM, 0, ENOTTY);
	/* vCPU ioctls on a VM fd are unknown there. */
	EXPECT_IOCTL_ERR(a, HVX_RUN, 0, ENOTTY);
	EXPECT_IOCTL_ERR(a, HVX_SET_MEMORY_REGION, NULL, EFAULT);
	EXPECT_IOCTL_ERR(a, HVX_VM_SET_OPTION, NULL, EFAULT);
	close(a);
	close(b);
}

/*
 * With no fd left, HVX_CREATE_VM fails with EMFILE, and the VM it built
 * is gone before netlink could see it; the next one is made as usual.
 */
HVX_TEST(create_vm_without_a_free_fd)
{
	struct rlimit rl, none;
	int fd;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	fd = dup(0);
	ASSERT_LE(0, fd);
	close(fd);
	/* the lowest free fd is the first the limit refuses */
	none = rl;
	none.rlim_cur = fd;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &none));
	EXPECT_IOCTL_ERR(hvx_dev_fd(), HVX_CREATE_VM, 0, EMFILE);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	fd = new_vm_fd();
	EXPECT_LE(0, fd);
	close(fd);
}

/*
 * A signal during HVX_CREATE_VM (the MMU notifier's registration gives up
 * on a pending one) has its handler run and the call made again: no VMM
 * with a timer signal gets EINTR.  A 1 kHz interval timer, as a VMM's
 * device timer might be, for 100 of its signals; a VM kept open spares
 * each create the VMXON on every CPU.  (A storm of signals, one after
 * another, would keep the call from ever ending, as it would a VMM
 * looping on EINTR.)
 */
static volatile sig_atomic_t create_signals;

static void count_create_signal(int sig)
{
	create_signals++;
}

HVX_TEST(create_vm_under_signals_no_eintr)
{
	struct sigaction sa = { .sa_handler = count_create_signal }, old;
	struct itimerval tick = {
		.it_interval = { .tv_usec = 1000 },
		.it_value = { .tv_usec = 1000 },
	}, off = { 0 };
	int keep, fd, i, failed = 0, err = 0;

	HVX_REQUIRE_VM();
	keep = new_vm_fd();
	ASSERT_LE(0, keep);
	/* no SA_RESTART: only the module's restart may make the call again */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, &old));
	create_signals = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &tick, NULL));
	for (i = 0; i < 100000 && create_signals < 100; i++) {
		fd = ioctl(hvx_dev_fd(), HVX_CREATE_VM, 0);
		if (fd < 0) {
			failed++;
			err = errno;
			continue;
		}
		close(fd);
	}
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &old, NULL));
	close(keep);
	TH_LOG("%d creates, %d signals", i, (int)create_signals);
	EXPECT_EQ(0, failed) TH_LOG("last errno %d", err);
	EXPECT_LE(100, create_signals);
}

HVX_TEST(memslot_invalid)
{
	const struct hvx_caps *caps = hvx_dev_caps();
	uint8_t *mem;
	int fd;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	mem = anon(4 * MiB);

	EXPECT_REGION_ERR(fd, caps->max_mem_slots, 0, 0, MiB, mem, EINVAL);
	EXPECT_REGION_ERR(fd, ~0U, 0, 0, MiB, mem, EINVAL);
	EXPECT_REGION_ERR(fd, 0, 1U << 2, 0, MiB, mem, EINVAL);
	EXPECT_REGION_ERR(fd, 0, 1U << 31, 0, MiB, mem, EINVAL);
	/* Unaligned GPA, size and userspace address. */
	EXPECT_REGION_ERR(fd, 0, 0, 0x800, MiB, mem, EINVAL);
	EXPECT_REGION_ERR(fd, 0, 0, 0, MiB + 0x800, mem, EINVAL);
	EXPECT_REGION_ERR(fd, 0, 0, 0, MiB, mem + 0x10, EINVAL);
	/* Beyond any guest-physical address space, or wrapping around. */
	EXPECT_REGION_ERR(fd, 0, 0, 0, 1ULL << 62, mem, EINVAL);
	EXPECT_REGION_ERR(fd, 0, 0, ~0ULL << 12, 2 * HVX_PAGE_SIZE, mem,
			  EINVAL);
	/* Memory the caller cannot own: EFAULT. */
	EXPECT_REGION_ERR(fd, 0, 0, 0, MiB, KERNEL_ADDR, EFAULT);
	/* Deleting what is not there. */
	EXPECT_REGION_ERR(fd, 3, 0, 0, 0, NULL, EINVAL);

	/* None of that left a slot behind. */
	EXPECT_EQ(0, hvx_set_memory_region(fd, 0, 0, 0, MiB, mem));
	munmap(mem, 4 * MiB);
	close(fd);
}

HVX_TEST(memslot_overlap_busy_delete)
{
	uint8_t *mem;
	int fd;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	mem = anon(8 * MiB);

	ASSERT_EQ(0, hvx_set_memory_region(fd, 0, 0, 0, 2 * MiB, mem));
	/* Overlapping GPA ranges, from below, inside and above. */
	EXPECT_REGION_ERR(fd, 1, 0, MiB, 2 * MiB, mem + 2 * MiB, EEXIST);
	EXPECT_REGION_ERR(fd, 1, 0, 0, HVX_PAGE_SIZE, mem + 2 * MiB, EEXIST);
	EXPECT_REGION_ERR(fd, 1, 0, 2 * MiB - HVX_PAGE_SIZE, MiB,
			  mem + 2 * MiB, EEXIST);
	/* Adjacent is fine. */
	EXPECT_EQ(0, hvx_set_memory_region(fd, 1, 0, 2 * MiB, 2 * MiB,
					   mem + 2 * MiB));
	/* An occupied slot cannot be changed in place. */
	EXPECT_REGION_ERR(fd, 0, 0, 16 * MiB, 2 * MiB, mem, EBUSY);
	EXPECT_REGION_ERR(fd, 0, HVX_MEM_READONLY, 0, 2 * MiB, mem, EBUSY);

	/* Size 0 deletes; then the slot and its GPA range are free. */
	EXPECT_EQ(0, hvx_delete_memory_region(fd, 0));
	EXPECT_REGION_ERR(fd, 0, 0, 0, 0, NULL, EINVAL);
	EXPECT_EQ(0, hvx_set_memory_region(fd, 2, 0, 0, MiB, mem + 4 * MiB));
	EXPECT_EQ(0, hvx_set_memory_region(fd, 0, HVX_MEM_READONLY,
					   MiB, MiB, mem));
	EXPECT_EQ(0, hvx_delete_memory_region(fd, 0));
	EXPECT_EQ(0, hvx_delete_memory_region(fd, 1));
	EXPECT_EQ(0, hvx_delete_memory_region(fd, 2));
	EXPECT_EQ(0, hvx_set_memory_region(fd, 0, 0, 0, 8 * MiB, mem));

	munmap(mem, 8 * MiB);
	close(fd);
}

HVX_TEST(memslot_all_slots)
{
	const struct hvx_caps *caps = hvx_dev_caps();
	uint8_t *mem;
	uint32_t i;
	int fd;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	mem = anon(caps->max_mem_slots * 64 * KiB);
	for (i = 0; i < caps->max_mem_slots; i++)
		EXPECT_EQ(0, hvx_set_memory_region(fd, i, 0, i * MiB,
						   64 * KiB,
						   mem + i * 64 * KiB));
	/* Closing the VM with every slot set releases them all. */
	close(fd);
	munmap(mem, caps->max_mem_slots * 64 * KiB);
}

HVX_TEST(create_vcpu)
{
	const struct hvx_caps *caps = hvx_dev_caps();
	int fd, v0, vlast;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	EXPECT_IOCTL_ERR(fd, HVX_CREATE_VCPU, caps->max_vcpus, EINVAL);
	EXPECT_IOCTL_ERR(fd, HVX_CREATE_VCPU, 1UL << 32, EINVAL);
	v0 = hvx_create_vcpu(fd, 0);
	ASSERT_LE(0, v0);
	EXPECT_IOCTL_ERR(fd, HVX_CREATE_VCPU, 0, EEXIST);
	vlast = hvx_create_vcpu(fd, caps->max_vcpus - 1);
	ASSERT_LE(0, vlast);
	EXPECT_NE(v0, vlast);

	EXPECT_IOCTL_ERR(v0, HVX_BOGUS_VCPU, 0, ENOTTY);
	/* VM ioctls on a vCPU fd are unknown there. */
	EXPECT_IOCTL_ERR(v0, HVX_CREATE_VCPU, 1, ENOTTY);
	EXPECT_IOCTL_ERR(v0, HVX_SET_MEMORY_REGION, NULL, ENOTTY);

	EXPECT_IOCTL_ERR(v0, HVX_GET_REGS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_SET_REGS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_GET_SREGS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_SET_SREGS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_GET_MSRS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_SET_MSRS, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_GET_CPUID, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_SET_CPUID, NULL, EFAULT);
	EXPECT_IOCTL_ERR(v0, HVX_GET_REGS, KERNEL_ADDR, EFAULT);
	close(vlast);
	close(v0);
	close(fd);
}

HVX_TEST(create_max_vcpus)
{
	const struct hvx_caps *caps = hvx_dev_caps();
	int fd, vfd[HVX_MAX_VCPUS];
	uint32_t i;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	for (i = 0; i < caps->max_vcpus; i++) {
		vfd[i] = hvx_create_vcpu(fd, i);
		ASSERT_LE(0, vfd[i]) TH_LOG("vCPU %u: %s", i, strerror(errno));
	}
	for (i = 0; i < caps->max_vcpus; i++)
		close(vfd[i]);
	close(fd);
}

HVX_TEST(run_page_mmap)
{
	struct hvx_run *run;
	void *p;
	int fd, vfd;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	vfd = hvx_create_vcpu(fd, 0);
	ASSERT_LE(0, vfd);

	p = mmap(NULL, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vfd, HVX_PAGE_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * HVX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* a private copy: the two sides would stop seeing each other */
	p = mmap(NULL, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 vfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	run = hvx_map_run(vfd, HVX_PAGE_SIZE);
	ASSERT_NE(NULL, run);
	EXPECT_EQ(HVX_EXIT_NONE, run->exit_reason);
	EXPECT_EQ(0, run->immediate_exit);
	/*
	 * The page is shared with hvx, not a private copy: hvx reads
	 * immediate_exit from it and writes the exit reason into it.
	 */
	run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(vfd, HVX_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, ((volatile struct hvx_run *)run)->exit_reason);
	run->immediate_exit = 0;
	/* A second mapping sees the same page. */
	p = hvx_map_run(vfd, HVX_PAGE_SIZE);
	ASSERT_NE(NULL, p);
	run->rip = 0x5a5a5a5a;
	EXPECT_EQ(0x5a5a5a5a, ((volatile struct hvx_run *)p)->rip);
	run->rip = 0;
	munmap(p, HVX_PAGE_SIZE);
	/* Dropped from the mapping, the page faults back, the same one. */
	ASSERT_EQ(0, madvise(run, HVX_PAGE_SIZE, MADV_DONTNEED));
	run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(vfd, HVX_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	run->immediate_exit = 0;
	munmap(run, HVX_PAGE_SIZE);
	close(vfd);
	close(fd);
}

HVX_TEST(regs_roundtrip)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct hvx_regs in, out;
	uint64_t *w = (uint64_t *)&in;
	unsigned int i;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(2 * MiB);
	vcpu = vm_vcpu_add_bare(vm, 0);
	for (i = 0; i < sizeof(in) / 8; i++)
		w[i] = 0x0101010101010101ULL * (i + 1);
	in.rip = 0xfff0;
	in.rflags = X86_RFLAGS_FIXED | (1 << 0) | (1 << 6) | (1 << 11);
	vcpu_regs_set(vcpu, &in);
	memset(&out, 0xcc, sizeof(out));
	vcpu_regs_get(vcpu, &out);
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));

	/*
	 * RFLAGS bit 1 is fixed to 1, bit 3 to 0; VM (bit 17) is refused in
	 * real mode.
	 */
	out = in;
	out.rflags &= ~X86_RFLAGS_FIXED;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_REGS, &out, EINVAL);
	out.rflags = in.rflags | (1 << 3);
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_REGS, &out, EINVAL);
	out.rflags = in.rflags | (1 << 17);
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_REGS, &out, EINVAL);
	vcpu_regs_get(vcpu, &out);
	EXPECT_EQ(in.rflags, out.rflags);
	vm_free(vm);
}

/* The sregs of a long-mode guest, without any guest memory. */
static void long_mode_sregs(struct hvx_sregs *s)
{
	struct hvx_segment code = {
		.limit = 0xffffffff, .selector = GUEST_CS_SEL, .ar = AR_CODE64,
	};
	struct hvx_segment data = {
		.limit = 0xffffffff, .selector = GUEST_DS_SEL, .ar = AR_DATA,
	};

	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->fs.base = 0x7f0000001000ULL;
	s->gs.base = 0xffff888000002000ULL;
	s->tr = (struct hvx_segment){
		.base = GUEST_TSS_GPA, .limit = 0x67,
		.selector = GUEST_TSS_SEL(0), .ar = AR_TSS_BUSY,
	};
	s->ldt = (struct hvx_segment){ .ar = HVX_AR_UNUSABLE };
	s->gdt = (struct hvx_dtable){ .base = GUEST_GDT_GPA, .limit = 0xfff };
	s->idt = (struct hvx_dtable){ .base = GUEST_IDT_GPA, .limit = 0xfff };
	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		 X86_CR0_WP | X86_CR0_PG;
	s->cr2 = 0x1234000;
	s->cr3 = GUEST_PML4_GPA;
	s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s->cr8 = 0;
	s->efer = EFER_LME | EFER_LMA;
}

#define EXPECT_SEG_EQ(a, b) do {					\
	EXPECT_EQ((a).base, (b).base);					\
	EXPECT_EQ((a).limit, (b).limit);				\
	EXPECT_EQ((a).selector, (b).selector);				\
	EXPECT_EQ((a).ar & ~HVX_AR_UNUSABLE, (b).ar & ~HVX_AR_UNUSABLE);\
} while (0)

HVX_TEST(sregs_roundtrip_and_checks)
{
	struct hvx_sregs in, out, bad;
	struct hvx_regs regs;
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(2 * MiB);
	vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_sregs_get(vcpu, &in);
	long_mode_sregs(&in);
	vcpu_sregs_set(vcpu, &in);
	/* no virtual-8086 mode in IA-32e mode */
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= 1 << 17;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_REGS, &regs, EINVAL);
	vcpu_sregs_get(vcpu, &out);
	EXPECT_SEG_EQ(in.cs, out.cs);
	EXPECT_SEG_EQ(in.ds, out.ds);
	EXPECT_SEG_EQ(in.ss, out.ss);
	EXPECT_SEG_EQ(in.fs, out.fs);
	EXPECT_SEG_EQ(in.gs, out.gs);
	EXPECT_SEG_EQ(in.tr, out.tr);
	EXPECT_TRUE(out.ldt.ar & HVX_AR_UNUSABLE);
	EXPECT_EQ(in.gdt.base, out.gdt.base);
	EXPECT_EQ(in.gdt.limit, out.gdt.limit);
	EXPECT_EQ(in.idt.base, out.idt.base);
	EXPECT_EQ(in.idt.limit, out.idt.limit);
	EXPECT_EQ(in.cr0, out.cr0);
	EXPECT_EQ(in.cr2, out.cr2);
	EXPECT_EQ(in.cr3, out.cr3);
	EXPECT_EQ(in.cr4, out.cr4);
	EXPECT_EQ(in.efer, out.efer);

	/* EFER.LMA follows LME and PG whatever the caller says. */
	in.efer = EFER_LME;
	vcpu_sregs_set(vcpu, &in);
	vcpu_sregs_get(vcpu, &out);
	EXPECT_EQ(EFER_LME | EFER_LMA, out.efer);

	/* Architecturally invalid states: EINVAL, and nothing changes. */
	bad = out;
	bad.cr0 &= ~X86_CR0_PE;				/* PG without PE */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.cr0 = (bad.cr0 | X86_CR0_NW) & ~X86_CR0_CD;	/* NW without CD */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.cr4 |= 1ULL << 63;				/* reserved */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.cr4 |= X86_CR4_VMXE;			/* no nested VMX */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.cr4 &= ~X86_CR4_PAE;			/* long mode w/o PAE */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.efer |= 1ULL << 1;				/* reserved */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	/* Padding and reserved words must be zero; CR8 is four bits. */
	bad = out;
	bad.reserved[3] = 1;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.ss.pad2 = 1;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.idt.pad[2] = 1;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.cr8 = 16;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	/* what VM entry would refuse: CR3 past MAXPHYADDR, odd bases */
	bad = out;
	bad.cr3 |= 1ULL << 52;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.gdt.base = 0x0000800000000000ULL;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	bad = out;
	bad.idt.base = 0x8000000000000000ULL;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_SREGS, &bad, EINVAL);
	vcpu_sregs_get(vcpu, &in);
	EXPECT_EQ(out.cr0, in.cr0);
	EXPECT_EQ(out.cr4, in.cr4);
	EXPECT_EQ(out.efer, in.efer);
	vm_free(vm);
}

static const struct hvx_msr_entry documented_msrs[] = {
	{ .index = MSR_STAR,		.data = 0x0023001000000000ULL },
	{ .index = MSR_LSTAR,		.data = 0xffffffff81000000ULL },
	{ .index = MSR_CSTAR,		.data = 0xffffffff81000100ULL },
	{ .index = MSR_SYSCALL_MASK,	.data = 0x47700 },
	{ .index = MSR_KERNEL_GS_BASE,	.data = 0xffff888000001000ULL },
	{ .index = MSR_FS_BASE,		.data = 0x00007f0000001000ULL },
	{ .index = MSR_GS_BASE,		.data = 0x00007f0000002000ULL },
	{ .index = MSR_IA32_SYSENTER_CS,	.data = 0x10 },
	{ .index = MSR_IA32_SYSENTER_ESP,	.data = 0xffffc90000001000ULL },
	{ .index = MSR_IA32_SYSENTER_EIP,	.data = 0xffffffff81000200ULL },
	{ .index = MSR_IA32_CR_PAT,	.data = 0x0007010600070106ULL },
};

HVX_TEST(msrs)
{
	uint32_t i, n = ARRAY_SIZE(documented_msrs);
	struct test_vcpu *vcpu;
	struct hvx_msrs *msrs;
	struct test_vm *vm;
	uint64_t v;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(2 * MiB);
	vcpu = vm_vcpu_add_bare(vm, 0);

	msrs = hvx_msrs_alloc(n);
	ASSERT_NE(NULL, msrs);
	memcpy(msrs->entries, documented_msrs, sizeof(documented_msrs));
	EXPECT_EQ((int)n, hvx_set_msrs(vcpu->fd, msrs));
	for (i = 0; i < n; i++)
		msrs->entries[i].data = 0;
	EXPECT_EQ((int)n, hvx_get_msrs(vcpu->fd, msrs));
	for (i = 0; i < n; i++)
		EXPECT_EQ(documented_msrs[i].data, msrs->entries[i].data)
			TH_LOG("MSR %#x", documented_msrs[i].index);

	/* Readable, and writable with what it reads. */
	v = vcpu_get_msr(vcpu, MSR_IA32_MISC_ENABLE);
	vcpu_set_msr(vcpu, MSR_IA32_MISC_ENABLE, v);
	EXPECT_EQ(v, vcpu_get_msr(vcpu, MSR_IA32_MISC_ENABLE));

	/* SFMASK's bits 63:32 are reserved: refused, the value kept. */
	errno = 0;
	EXPECT_EQ(-1, hvx_set_msr(vcpu->fd, MSR_SYSCALL_MASK,
				  1ULL << 32 | 0x700));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0x47700, vcpu_get_msr(vcpu, MSR_SYSCALL_MASK));

	/* The TSC keeps counting from what was written. */
	vcpu_set_msr(vcpu, MSR_IA32_TSC, 1ULL << 40);
	v = vcpu_get_msr(vcpu, MSR_IA32_TSC);
	EXPECT_LE(1ULL << 40, v);
	EXPECT_GT((1ULL << 40) + (1ULL << 38), v);

	/* The count stops short at the first unknown index. */
	msrs->nmsrs = 3;
	msrs->entries[0].index = MSR_STAR;
	msrs->entries[1].index = MSR_TEST_UNKNOWN;
	msrs->entries[2].index = MSR_LSTAR;
	EXPECT_EQ(1, hvx_get_msrs(vcpu->fd, msrs));
	EXPECT_EQ(1, hvx_set_msrs(vcpu->fd, msrs));
	errno = 0;
	EXPECT_EQ(-1, hvx_get_msr(vcpu->fd, MSR_TEST_UNKNOWN, &v));
	EXPECT_EQ(ENOENT, errno);
	free(msrs);

	/* More entries than hvx takes. */
	msrs = hvx_msrs_alloc(HVX_MAX_MSR_ENTRIES + 1);
	ASSERT_NE(NULL, msrs);
	for (i = 0; i < msrs->nmsrs; i++)
		msrs->entries[i].index = MSR_STAR;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_GET_MSRS, msrs, E2BIG);
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_MSRS, msrs, E2BIG);
	free(msrs);
	vm_free(vm);
}

HVX_TEST(cpuid)
{
	struct hvx_cpuid *cpuid, small = { .nent = 1 };
	struct hvx_cpuid_entry *e, *set;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint32_t nent;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(2 * MiB);
	vcpu = vm_vcpu_add_bare(vm, 0);

	/* Too small a table: E2BIG and the size needed. */
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_GET_CPUID, &small, E2BIG);
	EXPECT_LT(1, small.nent);
	EXPECT_GE(HVX_MAX_CPUID_ENTRIES, small.nent);

	cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, cpuid);
	EXPECT_EQ(small.nent, cpuid->nent);

	e = hvx_cpuid_find(cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->ecx & CPUID_1_ECX_VMX);
	EXPECT_NE(0, e->ecx & CPUID_1_ECX_HYPERVISOR);
	/* CNXT-ID and SDBG: no MSR behind them */
	EXPECT_EQ(0, e->ecx & (1U << 10 | 1U << 11));
	/* RDTSCP and RDPID are #UD in the guest: "enable RDTSCP" is off */
	e = hvx_cpuid_find(cpuid, 7, 0);
	if (e)
		EXPECT_EQ(0, e->ecx & (1U << 22));
	e = hvx_cpuid_find(cpuid, 0x80000001, 0);
	if (e)
		EXPECT_EQ(0, e->edx & (1U << 27));
	e = hvx_cpuid_find(cpuid, HVX_CPUID_SIGNATURE, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(HVX_CPUID_SIG_EBX, e->ebx);
	EXPECT_EQ(HVX_CPUID_SIG_ECX, e->ecx);
	EXPECT_EQ(HVX_CPUID_SIG_EDX, e->edx);

	/* What is set is what is read back. */
	nent = cpuid->nent;
	e = hvx_cpuid_find(cpuid, 0, 0);
	ASSERT_NE(NULL, e);
	e->ebx ^= 0x20202020;		/* vendor string in another case */
	set = malloc(nent * sizeof(cpuid->entries[0]));
	ASSERT_NE(NULL, set);
	memcpy(set, cpuid->entries, nent * sizeof(cpuid->entries[0]));
	EXPECT_EQ(0, hvx_set_cpuid(vcpu->fd, cpuid));
	memset(cpuid->entries, 0, nent * sizeof(cpuid->entries[0]));
	EXPECT_EQ(0, hvx_get_cpuid(vcpu->fd, cpuid));
	EXPECT_EQ(nent, cpuid->nent);
	EXPECT_EQ(0, memcmp(set, cpuid->entries,
			    nent * sizeof(cpuid->entries[0])));
	free(set);
	free(cpuid);

	cpuid = hvx_cpuid_alloc(HVX_MAX_CPUID_ENTRIES + 1);
	ASSERT_NE(NULL, cpuid);
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_CPUID, cpuid, E2BIG);
	/* Two answers for one leaf; an unknown flag; non-zero padding. */
	cpuid->nent = 2;
	cpuid->entries[0].function = 0x40000001;
	cpuid->entries[1].function = 0x40000001;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_CPUID, cpuid, EINVAL);
	cpuid->nent = 1;
	cpuid->entries[0].flags = 1U << 7;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_CPUID, cpuid, EINVAL);
	cpuid->entries[0].flags = 0;
	cpuid->entries[0].pad = 1;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_SET_CPUID, cpuid, EINVAL);
	/* a get's header has its padding too */
	cpuid->nent = HVX_MAX_CPUID_ENTRIES;
	cpuid->pad = 1;
	EXPECT_IOCTL_ERR(vcpu->fd, HVX_GET_CPUID, cpuid, EINVAL);
	free(cpuid);
	vm_free(vm);
}

/*
 * The default table shows no vector extension whose state XCR0 cannot
 * hold (a host booted with clearcpuid=avx has none of AVX's state), and
 * leaf 0xD.0's ECX is the largest area for the components it shows.
 */
HVX_TEST(cpuid_vector_features_have_their_state)
{
	const uint32_t avx512 = 0xe0;	/* opmask, ZMM_Hi256, Hi16_ZMM */
	struct hvx_cpuid_entry *d0, *l1, *l7, *c;
	uint32_t i, size = 512 + 64;
	struct hvx_cpuid *cpuid;
	struct test_vm *vm;
	bool ymm, zmm;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(2 * MiB);
	cpuid = hvx_get_cpuid_alloc(vm_vcpu_add_bare(vm, 0)->fd);
	ASSERT_NE(NULL, cpuid);
	d0 = hvx_cpuid_find(cpuid, 0xd, 0);
	l1 = hvx_cpuid_find(cpuid, 1, 0);
	l7 = hvx_cpuid_find(cpuid, 7, 0);
	ASSERT_NE(NULL, d0);
	ASSERT_NE(NULL, l1);
	ymm = d0->eax & (1U << 2);
	zmm = ymm && (d0->eax & avx512) == avx512;
	TH_LOG("XCR0 may hold 0x%x, leaf 1 ECX 0x%x", d0->eax, l1->ecx);
	if (!ymm)	/* FMA, AVX, F16C */
		EXPECT_EQ(0, l1->ecx & (1U << 12 | 1U << 28 | 1U << 29));
	if (l7 && !ymm) {
		EXPECT_EQ(0, l7->ebx & (1U << 5));		/* AVX2 */
		EXPECT_EQ(0, l7->ecx & (3U << 9));	/* VAES, VPCLMULQDQ */
	}
	if (l7 && !zmm) {
		EXPECT_EQ(0, l7->ebx & (1U << 16));		/* AVX512F */
		EXPECT_EQ(0, l7->ebx & (3U << 30));		/* BW, VL */
		EXPECT_EQ(0, l7->edx & (1U << 23));		/* FP16 */
	}
	for (i = 2; i < 32; i++) {
		if (!(d0->eax & (1U << i)))
			continue;
		c = hvx_cpuid_find(cpuid, 0xd, i);
		ASSERT_NE(NULL, c);
		if (c->eax + c->ebx > size)
			size = c->eax + c->ebx;
	}
	EXPECT_EQ(size, d0->ecx);
	free(cpuid);
	vm_free(vm);
}

/*
 * The topology CPUID gives: one package of HVX_MAX_VCPUS cores of one
 * thread, the vCPU id as x2APIC ID (leaf 0xb), and leaf 1 and leaf 4
 * counting the same package (a package per vCPU makes Linux 6.9 and
 * later keep the TSC watchdog on for guests of more than four vCPUs).
 */
HVX_TEST(cpuid_topology)
{
	struct hvx_cpuid *cpuid;
	struct hvx_cpuid_entry *e;
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(2 * MiB);
	vcpu = vm_vcpu_add_bare(vm, 5);
	cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, cpuid);

	e = hvx_cpuid_find(cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(5, e->ebx >> 24);			/* initial APIC ID */
	EXPECT_EQ(HVX_MAX_VCPUS, (e->ebx >> 16) & 0xff);
	EXPECT_NE(0, e->edx & (1U << 28));		/* HTT: that count holds */
	e = hvx_cpuid_find(cpuid, 4, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(HVX_MAX_VCPUS - 1, e->eax >> 26);	/* cores per package */
	EXPECT_EQ(0, (e->eax >> 14) & 0xfff);		/* a cache per thread */

	e = hvx_cpuid_find(cpuid, 0xb, 0);		/* the thread level */
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->eax & 0x1f);
	EXPECT_EQ(1, e->ebx & 0xffff);
	EXPECT_EQ(0x100, e->ecx & 0xffff);
	EXPECT_EQ(5, e->edx);
	e = hvx_cpuid_find(cpuid, 0xb, 1);		/* the core level */
	ASSERT_NE(NULL, e);
	EXPECT_LE(HVX_MAX_VCPUS, 1 << (e->eax & 0x1f));
	EXPECT_EQ(HVX_MAX_VCPUS, e->ebx & 0xffff);
	EXPECT_EQ(0x201, e->ecx & 0xffff);
	EXPECT_EQ(5, e->edx);
	e = hvx_cpuid_find(cpuid, 0xb, 2);		/* the end of the list */
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->ebx & 0xffff);
	EXPECT_EQ(2, e->ecx & 0xffff);
	EXPECT_EQ(5, e->edx);
	free(cpuid);
	vm_free(vm);
}

HVX_TEST(set_option)
{
	struct hvx_option opt = { .option = HVX_OPT_UNKNOWN_MSR_EXIT };
	int fd;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	if (hvx_dev_caps()->hvx_features & HVX_FEAT_USER_MSR_EXIT) {
		opt.value = 1;
		EXPECT_EQ(0, ioctl(fd, HVX_VM_SET_OPTION, &opt));
		opt.value = 0;
		EXPECT_EQ(0, ioctl(fd, HVX_VM_SET_OPTION, &opt));
		opt.value = 2;
		EXPECT_IOCTL_ERR(fd, HVX_VM_SET_OPTION, &opt, EINVAL);
	} else {
		opt.value = 1;
		EXPECT_IOCTL_ERR(fd, HVX_VM_SET_OPTION, &opt, EINVAL);
	}
	opt.value = 0;
	opt.pad = 1;
	EXPECT_IOCTL_ERR(fd, HVX_VM_SET_OPTION, &opt, EINVAL);
	opt.pad = 0;
	opt.option = 0;
	EXPECT_IOCTL_ERR(fd, HVX_VM_SET_OPTION, &opt, EINVAL);
	opt.option = 0x7fff;
	EXPECT_IOCTL_ERR(fd, HVX_VM_SET_OPTION, &opt, EINVAL);
	close(fd);
}

HVX_TEST(vcpu_outlives_vm_fd)
{
	struct hvx_regs regs;
	int fd, vfd;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	vfd = hvx_create_vcpu(fd, 0);
	ASSERT_LE(0, vfd);
	close(fd);
	/* The vCPU holds the VM: its ioctls go on working. */
	EXPECT_EQ(0, hvx_get_regs(vfd, &regs));
	EXPECT_EQ(0, hvx_set_regs(vfd, &regs));
	close(vfd);
}

HVX_TEST(other_process)
{
	struct hvx_regs regs;
	int fd, vfd, status;
	pid_t pid;

	HVX_REQUIRE_VM();
	fd = new_vm_fd();
	ASSERT_LE(0, fd);
	vfd = hvx_create_vcpu(fd, 0);
	ASSERT_LE(0, vfd);

	/* A VM belongs to the process that made it, not to its fds. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad = 0;

		if (hvx_create_vcpu(fd, 1) != -1 || errno != EIO)
			bad |= 1;
		if (hvx_get_regs(vfd, &regs) != -1 || errno != EIO)
			bad |= 2;
		if (hvx_run(vfd) != -1 || errno != EIO)
			bad |= 4;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child got no EIO from: %s%s%s",
		       WEXITSTATUS(status) & 1 ? "CREATE_VCPU " : "",
		       WEXITSTATUS(status) & 2 ? "GET_REGS " : "",
		       WEXITSTATUS(status) & 4 ? "RUN" : "");
	/* And the owner can still use it. */
	EXPECT_EQ(0, hvx_get_regs(vfd, &regs));
	close(vfd);
	close(fd);
}

#define CYCLE_CODE	0x1000

/*
 * Real mode at CYCLE_CODE: fill 28 KiB from 0x2000 (EPT entries for
 * seven pages), then HLT with interrupts off, which exits.
 */
static const uint8_t cycle_code[] = {
	0xbf, 0x00, 0x20,		/* mov $0x2000, %di */
	0xb9, 0x00, 0x70,		/* mov $0x7000, %cx */
	0xf3, 0xaa,			/* rep stosb */
	0xf4,				/* hlt */
};

/*
 * One VM with a slot, a vCPU and its run page, run to its HLT (its VMCS
 * loaded, EPT tables built), then all of it closed.
 */
static void vm_cycle(uint8_t *mem)
{
	struct hvx_regs regs = { .rip = CYCLE_CODE, .rflags = 2 };
	struct hvx_sregs sregs;
	struct hvx_run *run;
	int fd, vfd, ret;

	fd = new_vm_fd();
	TEST_ASSERT(fd >= 0, "HVX_CREATE_VM");
	TEST_ASSERT(!hvx_set_memory_region(fd, 0, 0, 0, 2 * MiB, mem),
		    "HVX_SET_MEMORY_REGION");
	vfd = hvx_create_vcpu(fd, 0);
	TEST_ASSERT(vfd >= 0, "HVX_CREATE_VCPU");
	run = hvx_map_run(vfd, hvx_dev_caps()->run_page_size);
	TEST_ASSERT(run, "mmap run page");
	TEST_ASSERT(!hvx_get_sregs(vfd, &sregs), "HVX_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	TEST_ASSERT(!hvx_set_sregs(vfd, &sregs), "HVX_SET_SREGS");
	TEST_ASSERT(!hvx_set_regs(vfd, &regs), "HVX_SET_REGS");
	/* EINTR (6.12's mm_cid task work, say): run on, as a VMM does */
	do {
		ret = ioctl(vfd, HVX_RUN, 0);
	} while (ret && errno == EINTR && run->exit_reason == HVX_EXIT_INTR);
	TEST_ASSERT(!ret && run->exit_reason == HVX_EXIT_HLT,
		    "HVX_RUN to the HLT: exit reason %u", run->exit_reason);
	hvx_unmap_run(run, hvx_dev_caps()->run_page_size);
	close(vfd);
	close(fd);
}

/*
 * Create, run and destroy @cycles VMs and compare free memory before and
 * after.
 * With @keep_vmx another VM stays open meanwhile, so that VMX stays on and
 * only what each VM allocates is measured, quickly; without it every VM
 * also turns VMX on and off on every CPU (slow in the emulated host).
 */
static void vm_cycles(struct __test_metadata *_metadata, int cycles,
		      bool keep_vmx, long slack_kb)
{
	long free0, avail0, free1, avail1;
	int i, keeper = -1;
	uint8_t *mem;

	mem = anon(2 * MiB);
	memset(mem, 1, 2 * MiB);
	memcpy(mem + CYCLE_CODE, cycle_code, sizeof(cycle_code));
	if (keep_vmx) {
		keeper = new_vm_fd();
		ASSERT_LE(0, keeper);
	}
	/* Warm the slab caches so that only leaks show. */
	for (i = 0; i < 8; i++)
		vm_cycle(mem);
	free0 = meminfo_settled_kb("MemFree");
	avail0 = meminfo_settled_kb("MemAvailable");
	ASSERT_LT(0, free0);
	for (i = 0; i < cycles; i++)
		vm_cycle(mem);
	free1 = meminfo_settled_kb("MemFree");
	avail1 = meminfo_settled_kb("MemAvailable");
	TH_LOG("MemFree %ld -> %ld kB, MemAvailable %ld -> %ld kB over %d VMs",
	       free0, free1, avail0, avail1, cycles);
	if (keeper >= 0)
		close(keeper);
	munmap(mem, 2 * MiB);
	if (!memfree_measures_leaks())
		SKIP(return, "KASAN's quarantine moves MemFree: kmemleak judges");
	EXPECT_GE(free1, free0 - slack_kb);
	EXPECT_GE(avail1, avail0 - slack_kb);
}

/* A page lost per VM would be 1 MiB here. */
HVX_TEST_TIMEOUT(many_vms_no_leak, 300)
{
	HVX_REQUIRE_VM();
	vm_cycles(_metadata, 256, true, 768);
}

/* The first VM turns VMX on, the last turns it off: leak nothing either. */
HVX_TEST_TIMEOUT(vmx_on_off_no_leak, 300)
{
	HVX_REQUIRE_VM();
	vm_cycles(_metadata, 12, false, 512);
}

TEST_HARNESS_MAIN
