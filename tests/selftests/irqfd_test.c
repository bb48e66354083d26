// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd_test: HVX_IRQFD, eventfds whose signals are MSIs.
 *
 * - Signals from the test thread between HVX_RUNs and from another thread
 *   while the guest sleeps in HLT are delivered; the eventfd's count is
 *   consumed; deassigning stops delivery, and a signal stays the
 *   eventfd's.
 * - A count there before the assignment is one MSI, and taken; one
 *   eventfd with irqfds in two VMs interrupts both.
 * - Two MSIs that reach a running guest one after the other (interrupts
 *   disabled, so each one only ends a run), the higher vector first: the
 *   higher is delivered first once the guest enables interrupts.  With
 *   APIC virtualization each arrival updates the processor's RVI alone
 *   (module/apicv.c, hvx_apicv_sync_irr()), which must keep the higher
 *   vector there.
 * - errno for a bad fd, the same eventfd twice, bad flags or padding, a
 *   bad MSI, too many irqfds, deassigning one never assigned; closing an
 *   eventfd frees its place.
 * - VMs closed with live irqfds (half of the eventfds closed before, the
 *   rest signalled nonstop by another thread meanwhile and once more
 *   after) lose no more memory than the same cycles without irqfds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvx_harness.h"
#include "xapic.h"

#define MSI_ADDR	0xfee00000ULL		/* physical, APIC ID 0 */
#define MSI_LEVEL	((1U << 15) | (1U << 14))	/* trigger, assert */
#define IRQFD_VEC	0x58

static volatile uint64_t hits;

static void xapic_handler(struct guest_ex_regs *regs)
{
	hits++;
	apic_w(APIC_EOI, 0);
}

#define SIGNALS		3

static void guest_counts_irqfd(void)
{
	/* a software-disabled APIC would drop the MSIs */
	apic_w(APIC_SVR, 0x1ff);
	asm volatile("cli");
	GUEST_SYNC(0);
	while (hits < SIGNALS)
		asm volatile("sti; hlt; cli");
	GUEST_SYNC(hits);
	/* deassigned now: a signal delivers nothing */
	asm volatile("sti; nop; nop; cli");
	GUEST_SYNC(hits);
	GUEST_DONE();
}

struct signaller {
	struct test_vm *vm;
	int efd;
	bool timed_out;
};

/* Signal once per interrupt the guest took, as it sleeps in HLT. */
static void *signal_thread(void *arg)
{
	struct signaller *sg = arg;
	uint64_t one = 1, want;
	int i;

	for (want = 1; want < SIGNALS; want++) {
		/* up to 30 s for the guest to take the last one */
		for (i = 0; i < 3000 && guest_global(sg->vm, hits) < want; i++)
			usleep(10000);
		if (guest_global(sg->vm, hits) < want) {
			sg->timed_out = true;
			break;
		}
		if (write(sg->efd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

HVX_GUEST_TEST(irqfd_delivers_and_deassigns, guest_counts_irqfd)
{
	struct signaller sg = { .vm = vm };
	uint64_t one = 1, cnt;
	pthread_t th;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_IRQFD,
		    "no HVX_FEAT_IRQFD");
	vm_install_exception_handler(vm, IRQFD_VEC, xapic_handler);
	sg.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, sg.efd);
	ASSERT_EQ(0, hvx_irqfd_assign(vm->fd, sg.efd, MSI_ADDR, IRQFD_VEC));
	vcpu_expect_sync(vcpu, 0);
	/* between HVX_RUNs: into the IRR at once, and the count is taken */
	ASSERT_EQ(sizeof(one), write(sg.efd, &one, sizeof(one)));
	EXPECT_EQ(-1, read(sg.efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, pthread_create(&th, NULL, signal_thread, &sg));
	vcpu_expect_sync(vcpu, SIGNALS);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_FALSE(sg.timed_out);

	ASSERT_EQ(0, hvx_irqfd_deassign(vm->fd, sg.efd));
	ASSERT_EQ(sizeof(one), write(sg.efd, &one, sizeof(one)));
	vcpu_expect_sync(vcpu, SIGNALS);
	/* nobody took this signal: it is still the eventfd's */
	EXPECT_EQ(sizeof(cnt), read(sg.efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(1, cnt);
	EXPECT_EQ(-1, hvx_irqfd_deassign(vm->fd, sg.efd));
	EXPECT_EQ(ENOENT, errno);
	vcpu_expect_done(vcpu);
	close(sg.efd);
}

static void guest_takes_pending(void)
{
	apic_w(APIC_SVR, 0x1ff);
	asm volatile("cli");
	GUEST_SYNC(0);
	asm volatile("sti; nop; nop; cli");
	GUEST_SYNC(hits);
	asm volatile("sti; nop; nop; cli");
	GUEST_SYNC(hits);
	GUEST_DONE();
}

/* Signals sent before the assignment are one MSI, and their count taken. */
HVX_GUEST_TEST(irqfd_takes_an_earlier_count, guest_takes_pending)
{
	uint64_t cnt;
	int efd;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_IRQFD,
		    "no HVX_FEAT_IRQFD");
	vm_install_exception_handler(vm, IRQFD_VEC, xapic_handler);
	efd = eventfd(2, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, hvx_irqfd_assign(vm->fd, efd, MSI_ADDR, IRQFD_VEC));
	EXPECT_EQ(-1, read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(EAGAIN, errno);
	vcpu_expect_sync(vcpu, 1);
	vcpu_expect_sync(vcpu, 1);
	vcpu_expect_done(vcpu);
	close(efd);
}

/* One eventfd, irqfds in two VMs: each signal interrupts both. */
HVX_TEST(irqfd_shared_by_two_vms)
{
	struct test_vcpu *vcpu[2];
	struct test_vm *vm[2];
	uint64_t one = 1;
	int efd, i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_IRQFD,
		    "no HVX_FEAT_IRQFD");
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	for (i = 0; i < 2; i++) {
		vm[i] = vm_create_with_one_vcpu(&vcpu[i], guest_takes_pending);
		vm_install_exception_handler(vm[i], IRQFD_VEC, xapic_handler);
		vcpu_expect_sync(vcpu[i], 0);
		ASSERT_EQ(0, hvx_irqfd_assign(vm[i]->fd, efd, MSI_ADDR,
					      IRQFD_VEC));
	}
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	for (i = 0; i < 2; i++) {
		vcpu_expect_sync(vcpu[i], 1);
		vcpu_expect_sync(vcpu[i], 1);
		vcpu_expect_done(vcpu[i]);
		vm_free(vm[i]);
	}
	close(efd);
}

#define HIGH_VEC	0x62
#define LOW_VEC		0x41

static volatile uint32_t order_go;
static volatile uint64_t order_spins;	/* moves while the guest runs */
static volatile uint32_t order_taken[4];
static volatile uint32_t order_n;

static void high_handler(struct guest_ex_regs *regs)
{
	order_taken[order_n++ & 3] = HIGH_VEC;
	apic_w(APIC_EOI, 0);
}

static void low_handler(struct guest_ex_regs *regs)
{
	order_taken[order_n++ & 3] = LOW_VEC;
	apic_w(APIC_EOI, 0);
}

static void guest_higher_first(void)
{
	apic_w(APIC_SVR, 0x1ff);
	asm volatile("cli");
	GUEST_SYNC(0);
	/* the guest runs, interrupts off, while the MSIs arrive */
	while (!order_go) {
		order_spins++;
		asm volatile("pause");
	}
	/* both come in the window; the first handler's IRET lets the other in */
	asm volatile("sti; nop; nop; cli");
	GUEST_SYNC2(order_n, order_taken[0] << 8 | order_taken[1]);
	GUEST_DONE();
}

struct order_signaller {
	struct test_vm *vm;
	int high, low;
	bool failed;
};

/*
 * Whether the guest's spin count moves within 10 s: the vCPU is in guest
 * mode (after 20 ms, for the exit a kick just caused to be over).
 */
static bool guest_spins(struct test_vm *vm)
{
	uint64_t s;
	int i;

	usleep(20000);
	s = guest_global(vm, order_spins);
	for (i = 0; i < 100000 && guest_global(vm, order_spins) == s; i++)
		usleep(100);
	return guest_global(vm, order_spins) != s;
}

/* High, then low, each while the vCPU runs the guest; then let it go on. */
static void *order_thread(void *arg)
{
	struct order_signaller *os = arg;
	uint64_t one = 1;

	os->failed = !guest_spins(os->vm);
	os->failed |= write(os->high, &one, sizeof(one)) != sizeof(one);
	os->failed |= !guest_spins(os->vm);
	os->failed |= write(os->low, &one, sizeof(one)) != sizeof(one);
	os->failed |= !guest_spins(os->vm);
	guest_global(os->vm, order_go) = 1;
	return NULL;
}

HVX_GUEST_TEST(irqfd_higher_vector_first, guest_higher_first)
{
	struct order_signaller os = { .vm = vm };
	struct ucall uc;
	pthread_t th;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_IRQFD,
		    "no HVX_FEAT_IRQFD");
	vm_install_exception_handler(vm, HIGH_VEC, high_handler);
	vm_install_exception_handler(vm, LOW_VEC, low_handler);
	os.high = eventfd(0, EFD_CLOEXEC);
	os.low = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, os.high);
	ASSERT_LE(0, os.low);
	ASSERT_EQ(0, hvx_irqfd_assign(vm->fd, os.high, MSI_ADDR, HIGH_VEC));
	ASSERT_EQ(0, hvx_irqfd_assign(vm->fd, os.low, MSI_ADDR, LOW_VEC));
	vcpu_expect_sync(vcpu, 0);

	ASSERT_EQ(0, pthread_create(&th, NULL, order_thread, &os));
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_FALSE(os.failed);
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(HIGH_VEC << 8 | LOW_VEC, uc.args[1]);
	vcpu_expect_done(vcpu);
	close(os.high);
	close(os.low);
}

static int irqfd_raw(int vm_fd, int fd, uint32_t flags, uint64_t address,
		     uint32_t data, uint32_t pad, uint64_t reserved)
{
	struct hvx_irqfd a = {
		.fd = fd, .flags = flags, .address = address, .data = data,
		.pad = pad, .reserved = reserved,
	};

	return ioctl(vm_fd, HVX_IRQFD, &a);
}

#define EXPECT_IRQFD_ERR(err, ...) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, irqfd_raw(__VA_ARGS__));				\
	EXPECT_EQ(err, errno);						\
} while (0)

HVX_TEST(irqfd_errors_and_limit)
{
	int vm_fd, efd, pfd[2], fds[HVX_MAX_IRQFDS + 1], i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_IRQFD,
		    "no HVX_FEAT_IRQFD");
	vm_fd = hvx_create_vm(hvx_dev_fd());
	ASSERT_LE(0, vm_fd);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pfd));

	EXPECT_IRQFD_ERR(EBADF, vm_fd, -1, 0, MSI_ADDR, IRQFD_VEC, 0, 0);
	EXPECT_IRQFD_ERR(EBADF, vm_fd, pfd[0], 0, MSI_ADDR, IRQFD_VEC, 0, 0);
	EXPECT_IRQFD_ERR(EINVAL, vm_fd, efd, 2, MSI_ADDR, IRQFD_VEC, 0, 0);
	EXPECT_IRQFD_ERR(EINVAL, vm_fd, efd, 0, MSI_ADDR, IRQFD_VEC, 1, 0);
	EXPECT_IRQFD_ERR(EINVAL, vm_fd, efd, 0, MSI_ADDR, IRQFD_VEC, 0, 1);
	/* what HVX_SIGNAL_MSI refuses: outside the range, vector, mode */
	EXPECT_IRQFD_ERR(EINVAL, vm_fd, efd, 0, 0xfed00000, IRQFD_VEC, 0, 0);
	EXPECT_IRQFD_ERR(EINVAL, vm_fd, efd, 0, MSI_ADDR, 15, 0, 0);
	EXPECT_IRQFD_ERR(EINVAL, vm_fd, efd, 0, MSI_ADDR,
			 (3 << 8) | IRQFD_VEC, 0, 0);
	EXPECT_IRQFD_ERR(ENOENT, vm_fd, efd, HVX_IRQFD_DEASSIGN, 0, 0, 0, 0);
	EXPECT_IRQFD_ERR(EBADF, vm_fd, pfd[1], HVX_IRQFD_DEASSIGN, 0, 0, 0, 0);
	EXPECT_EQ(-1, ioctl(vm_fd, HVX_IRQFD, NULL));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, hvx_irqfd_assign(vm_fd, efd, MSI_ADDR, IRQFD_VEC));
	EXPECT_IRQFD_ERR(EBUSY, vm_fd, efd, 0, MSI_ADDR, IRQFD_VEC + 1, 0, 0);
	/* a level-triggered one is fine too */
	for (i = 1; i < HVX_MAX_IRQFDS; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, hvx_irqfd_assign(vm_fd, fds[i], MSI_ADDR,
					      MSI_LEVEL | IRQFD_VEC))
			TH_LOG("irqfd %d: %s", i, strerror(errno));
	}
	fds[0] = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	EXPECT_IRQFD_ERR(ENOSPC, vm_fd, fds[0], 0, MSI_ADDR, IRQFD_VEC, 0, 0);
	/* a closed eventfd takes its irqfd with it, and frees its place */
	close(fds[1]);
	EXPECT_EQ(0, hvx_irqfd_assign(vm_fd, fds[0], MSI_ADDR, IRQFD_VEC));
	/* deassigning does too, and the eventfd may come back */
	EXPECT_EQ(0, hvx_irqfd_deassign(vm_fd, efd));
	EXPECT_EQ(0, hvx_irqfd_assign(vm_fd, efd, MSI_ADDR, IRQFD_VEC));

	close(vm_fd);
	close(efd);
	close(pfd[0]);
	close(pfd[1]);
	close(fds[0]);
	for (i = 2; i < HVX_MAX_IRQFDS; i++)
		close(fds[i]);
}

struct hammer {
	int *fds;
	int n;
	atomic_bool stop;
};

/* Signal every eventfd, nonstop, until told to stop. */
static void *hammer_thread(void *arg)
{
	struct hammer *hm = arg;
	uint64_t one = 1;
	int i;

	while (!atomic_load(&hm->stop))
		for (i = 0; i < hm->n; i++)
			if (write(hm->fds[i], &one, sizeof(one)) < 0)
				return NULL;
	return NULL;
}

/*
 * One VM with HVX_MAX_IRQFDS eventfds, assigned as irqfds if @irqfds (and
 * a vCPU, whose APIC the signals reach, if @vcpu): the first half of the
 * eventfds closed while the VM lives, the VM closed while another thread
 * signals the rest, which are signalled once more after and closed.
 */
static void irqfd_vm_cycle(struct __test_metadata *_metadata, bool vcpu,
			   bool irqfds)
{
	struct hammer hm = { .n = HVX_MAX_IRQFDS / 2 };
	int fds[HVX_MAX_IRQFDS], vm_fd, vcpu_fd = -1, i;
	uint64_t one = 1;
	pthread_t th;

	vm_fd = hvx_create_vm(hvx_dev_fd());
	ASSERT_LE(0, vm_fd);
	if (vcpu) {
		vcpu_fd = hvx_create_vcpu(vm_fd, 0);
		ASSERT_LE(0, vcpu_fd);
	}
	for (i = 0; i < HVX_MAX_IRQFDS; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, fds[i]);
		if (irqfds)
			ASSERT_EQ(0, hvx_irqfd_assign(vm_fd, fds[i], MSI_ADDR,
						      IRQFD_VEC));
	}
	for (i = 0; i < HVX_MAX_IRQFDS / 2; i++)
		close(fds[i]);
	hm.fds = &fds[HVX_MAX_IRQFDS / 2];
	ASSERT_EQ(0, pthread_create(&th, NULL, hammer_thread, &hm));
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	close(vm_fd);
	atomic_store(&hm.stop, true);
	ASSERT_EQ(0, pthread_join(th, NULL));
	for (i = HVX_MAX_IRQFDS / 2; i < HVX_MAX_IRQFDS; i++) {
		EXPECT_EQ(sizeof(one), write(fds[i], &one, sizeof(one)));
		close(fds[i]);
	}
}

#define LEAK_CYCLES	48

/* MemFree once RCU and task work had time: several settles. */
static long settled_free_kb(void)
{
	meminfo_settled_kb("MemFree");
	meminfo_settled_kb("MemFree");
	return meminfo_settled_kb("MemFree");
}

/*
 * The same cycles with and without irqfds: the irqfds (some 12 KiB per
 * VM, a leak of 576 KiB over the cycles) may cost no more than the
 * eventfds, files and threads of the cycles without them, which the
 * kernel frees late (RCU) and the C library caches.  The warm-up cycles
 * have a vCPU the signals reach.
 */
HVX_TEST_TIMEOUT(irqfd_vm_close_no_leak, 300)
{
	long free0, free1, free2;
	int keeper, i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_IRQFD,
		    "no HVX_FEAT_IRQFD");
	/* VMX stays on: its per-CPU pages are no leak */
	keeper = hvx_create_vm(hvx_dev_fd());
	ASSERT_LE(0, keeper);
	for (i = 0; i < 8; i++) {
		irqfd_vm_cycle(_metadata, true, true);
		irqfd_vm_cycle(_metadata, false, false);
	}
	free0 = settled_free_kb();
	for (i = 0; i < LEAK_CYCLES; i++)
		irqfd_vm_cycle(_metadata, false, false);
	free1 = settled_free_kb();
	for (i = 0; i < LEAK_CYCLES; i++)
		irqfd_vm_cycle(_metadata, false, true);
	free2 = settled_free_kb();
	TH_LOG("MemFree %ld -> %ld kB without irqfds, -> %ld kB with, %d VMs each",
	       free0, free1, free2, LEAK_CYCLES);
	close(keeper);
	if (!memfree_measures_leaks())
		SKIP(return, "KASAN's quarantine moves MemFree: kmemleak judges");
	EXPECT_GE(free2 - free1, free1 - free0 - 384);
}

TEST_HARNESS_MAIN
