// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_test: guest memory in a userfaultfd range (postcopy migration, lazy
 * restore).  The guest's faults, and the accesses hvx makes for it, are
 * the handler's events and wait for it, without holding the VM's slots,
 * as dirty-log calls whose bitmap is there do; a signal ends a read's
 * wait (6.2 and later), HVX_SET_SREGS's load of PAE page-directory
 * pointers too, and a store that completes an instruction userspace
 * half served waits through it.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "hvx_harness.h"

/* An extra slot above the test VM's RAM, mapped by the guest's tables. */
#define EXTRA_SLOT	1
#define EXTRA_GPA	(1ULL << 30)
#define EXTRA_SIZE	(64 * HVX_PAGE_SIZE)

/* Report the extra slot's first word. */
static void guest_read_word(void)
{
	GUEST_SYNC(*(volatile uint64_t *)EXTRA_GPA);
}

#define UFFD_PATTERN	0x7575a5a5c3c3e1e1ULL

struct uffd_server {
	int uffd;
	uint64_t word;		/* the served page's first word */
	uint64_t fault_addr;	/* out: where the fault was, 0 if none */
};

/* The next missing-page fault of @uffd in @msg; false after 30 s without. */
static bool uffd_wait_fault(int uffd, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	return poll(&pfd, 1, 30000) == 1 &&
	       read(uffd, msg, sizeof(*msg)) == sizeof(*msg) &&
	       msg->event == UFFD_EVENT_PAGEFAULT;
}

/* Serve the fault at @addr: its page, @word the first word. */
static int uffd_serve_word(int uffd, uint64_t addr, uint64_t word)
{
	static uint64_t page[HVX_PAGE_SIZE / 8] __attribute__((aligned(4096)));
	struct uffdio_copy copy = {
		.dst = addr & ~(uint64_t)(HVX_PAGE_SIZE - 1),
		.src = (uintptr_t)page,
		.len = HVX_PAGE_SIZE,
	};

	page[0] = word;
	return ioctl(uffd, UFFDIO_COPY, &copy);
}

/* Serve one missing-page fault of @arg's userfaultfd with its word. */
static void *uffd_serve_one(void *arg)
{
	struct uffd_server *srv = arg;
	struct uffd_msg msg;

	if (!uffd_wait_fault(srv->uffd, &msg))
		return NULL;
	srv->fault_addr = msg.arg.pagefault.address;
	uffd_serve_word(srv->uffd, srv->fault_addr, srv->word);
	return NULL;
}

/* Whether a signal ends a wait for a page: 6.2 and later. */
static bool signals_end_waits(void)
{
	int major = 0, minor = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 2);
}

/*
 * A VM running @guest (by default reading the first word of the extra
 * slot), which lies in a userfaultfd range of @srv's (missing pages).
 */
static struct test_vm *uffd_vm_with(struct __test_metadata *_metadata,
				    struct uffd_server *srv,
				    struct test_vcpu **vcpu, void *guest)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct test_vm *vm;
	uint64_t *hva;

	ASSERT_EQ(0, ioctl(srv->uffd, UFFDIO_API, &api));
	vm = vm_create_with_one_vcpu(vcpu, guest);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	reg.range.start = (uintptr_t)hva;
	reg.range.len = EXTRA_SIZE;
	ASSERT_EQ(0, ioctl(srv->uffd, UFFDIO_REGISTER, &reg));
	srv->word = UFFD_PATTERN;
	srv->fault_addr = 0;
	return vm;
}

#define uffd_vm(_metadata, srv, vcpu) \
	uffd_vm_with(_metadata, srv, vcpu, guest_read_word)

/*
 * Guest memory in a userfaultfd range (postcopy migration, lazy restore):
 * the guest's first touch is the handler's fault event, and the guest
 * reads what the handler put there.  (The fault failed with SIGBUS, and
 * HVX_RUN with EFAULT, without an event.)
 */
HVX_TEST(guest_fault_waits_for_userfaultfd)
{
	struct uffd_server srv = {};
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t thread;

	HVX_REQUIRE_VM();
	srv.uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	HVX_REQUIRE(srv.uffd >= 0, "no userfaultfd: %s", strerror(errno));
	vm = uffd_vm(_metadata, &srv, &vcpu);
	ASSERT_EQ(0, pthread_create(&thread, NULL, uffd_serve_one, &srv));
	vcpu_expect_sync(vcpu, UFFD_PATTERN);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ((uintptr_t)addr_gpa2hva(vm, EXTRA_GPA, 8), srv.fault_addr);
	vm_free(vm);
	close(srv.uffd);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/*
 * What a test of a signal's end of a wait for a page skips without: a
 * VM, 6.2 or later, a userfaultfd (into @srv).
 */
#define REQUIRE_SIGNALLED_UFFD(srv) do {				\
	HVX_REQUIRE_VM();						\
	HVX_REQUIRE(signals_end_waits(),				\
		    "before 6.2 only a fatal signal ends a wait for a page"); \
	(srv)->uffd = syscall(__NR_userfaultfd, O_CLOEXEC);		\
	HVX_REQUIRE((srv)->uffd >= 0, "no userfaultfd: %s",		\
		    strerror(errno));					\
} while (0)

/* uffd_vm(), and SIGALRM (caught) a second later. */
static struct test_vm *uffd_vm_alarmed(struct __test_metadata *_metadata,
				       struct uffd_server *srv,
				       struct test_vcpu **vcpu)
{
	struct test_vm *vm = uffd_vm(_metadata, srv, vcpu);

	ASSERT_EQ(0, alarm_in_ms(1000));
	return vm;
}

struct fault_then_signal {
	struct uffd_server *srv;
	pthread_t vcpu_thread;
	bool got;
};

/*
 * The handler that reads the vCPU's fault, and instead of serving it
 * signals the vCPU's thread: the signal comes while the vCPU waits.
 */
static void *fault_then_signal(void *arg)
{
	struct fault_then_signal *f = arg;
	struct uffd_msg msg;

	f->got = uffd_wait_fault(f->srv->uffd, &msg);
	if (f->got)
		f->srv->fault_addr = msg.arg.pagefault.address;
	pthread_kill(f->vcpu_thread, SIGALRM);
	return NULL;
}

/*
 * A signal ends a vCPU's wait for the userfaultfd handler (6.2 and
 * later; before, a fatal one only): HVX_RUN fails with EINTR, and the
 * next one waits again, as a VMM that pauses its vCPUs with signals
 * expects.  (The wait ignored all but fatal signals.)  The signal is sent
 * once the handler has read the fault, so the vCPU was waiting for it.
 */
HVX_TEST(userfaultfd_wait_ends_at_a_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */
	struct uffd_server srv = {};
	struct fault_then_signal f = { .srv = &srv };
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t thread;

	REQUIRE_SIGNALLED_UFFD(&srv);
	vm = uffd_vm(_metadata, &srv, &vcpu);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarms = 0;
	f.vcpu_thread = pthread_self();
	ASSERT_EQ(0, pthread_create(&thread, NULL, fault_then_signal, &f));
	EXPECT_EQ(-1, __vcpu_run_to_signal(vcpu, &alarms));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_TRUE(f.got);
	EXPECT_EQ((uintptr_t)addr_gpa2hva(vm, EXTRA_GPA, 8), srv.fault_addr);
	/* served now: the next HVX_RUN takes the page */
	ASSERT_EQ(0, uffd_serve_word(srv.uffd, srv.fault_addr, srv.word));
	vcpu_expect_sync(vcpu, UFFD_PATTERN);
	vm_free(vm);
	close(srv.uffd);
}

/* A page-directory-pointer table: entry 0 present, for page 0x5000. */
#define PDPTE0		0x5001ULL

/*
 * HVX_SET_SREGS into PAE paging loads the four page-directory pointers
 * from the table at the new CR3, as a MOV to CR3 does.  A table in a page
 * missing in a userfaultfd range waits for the handler, and a signal ends
 * the wait (6.2 and later) with EINTR, the registers as they were; the
 * call again, the page served, takes the table.  (No test had seen the
 * EINTR.)
 */
HVX_TEST(pae_pointers_wait_ends_at_a_signal)
{
	struct hvx_sregs old, pae, now;
	struct uffd_server srv = {};
	struct hvx_pdptrs pdptrs;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t thread;

	REQUIRE_SIGNALLED_UFFD(&srv);
	vm = uffd_vm_alarmed(_metadata, &srv, &vcpu);
	vcpu_sregs_get(vcpu, &old);
	ASSERT_TRUE(old.cr4 & X86_CR4_PAE);
	pae = old;
	pae.cr3 = EXTRA_GPA;
	pae.efer &= ~(EFER_LME | EFER_LMA);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_SET_SREGS, &pae));
	EXPECT_EQ(EINTR, errno);
	vcpu_sregs_get(vcpu, &now);
	EXPECT_EQ(old.cr3, now.cr3);
	EXPECT_EQ(old.efer, now.efer);

	srv.word = PDPTE0;
	ASSERT_EQ(0, pthread_create(&thread, NULL, uffd_serve_one, &srv));
	EXPECT_EQ(0, ioctl(vcpu->fd, HVX_SET_SREGS, &pae));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ((uintptr_t)addr_gpa2hva(vm, EXTRA_GPA, 8), srv.fault_addr);
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &pdptrs));
	EXPECT_EQ(HVX_PDPTRS_VALID, pdptrs.flags);
	EXPECT_EQ(PDPTE0, pdptrs.pdptr[0]);
	vm_free(vm);
	close(srv.uffd);
}

#define OUTS_PORT	0x80

/* OUTS of the extra slot's first byte, which hvx reads for the guest. */
static void guest_outs_word(void)
{
	const void *src = (const void *)EXTRA_GPA;

	asm volatile("outsb" : "+S"(src) : "d"(OUTS_PORT) : "memory");
	GUEST_DONE();
}

static void *run_vcpu(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

struct slot_add {
	struct test_vm *vm;
	void *mem;
	uint64_t size;		/* 0: delete the slot */
};

static void *add_slot(void *arg)
{
	struct slot_add *a = arg;

	vm_set_memory_region(a->vm, EXTRA_SLOT + 1, 0, EXTRA_GPA + EXTRA_SIZE,
			     a->size, a->mem);
	return NULL;
}

/*
 * While a thread waits for the page at @fault_addr, another sets slot
 * EXTRA_SLOT + 1 as @a says: true when that took less than 20 s and the
 * fault was served (UFFD_PATTERN), which it is in any case, or the
 * waiting thread would never return.
 */
static bool slots_free_during_wait(int uffd, uint64_t fault_addr,
				   struct slot_add *a)
{
	bool started, joined = false;
	struct timespec ts;
	pthread_t thread;
	int serve_err;

	started = !pthread_create(&thread, NULL, add_slot, a);
	if (started && !clock_gettime(CLOCK_REALTIME, &ts)) {
		ts.tv_sec += 20;
		joined = !pthread_timedjoin_np(thread, NULL, &ts);
	}
	serve_err = uffd_serve_word(uffd, fault_addr, UFFD_PATTERN);
	if (started && !joined)
		pthread_join(thread, NULL);
	return joined && !serve_err;
}

/*
 * An access hvx emulates (OUTS from guest RAM) to a page missing in a
 * userfaultfd range waits for the handler as the guest's own access
 * does, but not holding the slots' lock: meanwhile the VMM changes the
 * slots (here adds one; dirty-log reads and other vCPUs' faults take the
 * same lock).  (The slot change waited for the handler: a VMM whose
 * handler thread changes slots first hung.)
 */
HVX_TEST(userfaultfd_wait_of_emulation_leaves_slots_free)
{
	struct slot_add add = { .size = HVX_PAGE_SIZE };
	struct uffd_server srv = {};
	struct test_vcpu *vcpu;
	pthread_t vcpu_thread;
	struct uffd_msg msg;
	struct test_vm *vm;
	uint8_t *data;

	HVX_REQUIRE_VM();
	srv.uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	HVX_REQUIRE(srv.uffd >= 0, "no userfaultfd: %s", strerror(errno));
	vm = uffd_vm_with(_metadata, &srv, &vcpu, guest_outs_word);
	add.vm = vm;
	add.mem = mmap(NULL, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, add.mem);
	ASSERT_EQ(0, pthread_create(&vcpu_thread, NULL, run_vcpu, vcpu));
	ASSERT_TRUE(uffd_wait_fault(srv.uffd, &msg));
	ASSERT_EQ((uintptr_t)addr_gpa2hva(vm, EXTRA_GPA, 8),
		  msg.arg.pagefault.address & ~(uint64_t)(HVX_PAGE_SIZE - 1));
	/* the vCPU waits for the page: the slot change must not */
	EXPECT_TRUE(slots_free_during_wait(srv.uffd,
					   msg.arg.pagefault.address, &add));
	ASSERT_EQ(0, pthread_join(vcpu_thread, NULL));
	ASSERT_EQ(HVX_EXIT_IO, vcpu->run->exit_reason);
	EXPECT_EQ(OUTS_PORT, vcpu->run->io.port);
	data = (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
	EXPECT_EQ((uint8_t)UFFD_PATTERN, data[0]);
	vcpu_expect_done(vcpu);
	vm_free(vm);
	munmap(add.mem, HVX_PAGE_SIZE);
	close(srv.uffd);
}

/* Write the first two pages of the extra slot, which logs. */
static void guest_write_two_pages(void)
{
	*(volatile uint64_t *)EXTRA_GPA = 1;
	*(volatile uint64_t *)(EXTRA_GPA + HVX_PAGE_SIZE) = 1;
	GUEST_DONE();
}

struct log_call {
	int vm_fd;
	unsigned long cmd;
	void *arg;
	int err;		/* out: the ioctl's errno, or 0 */
};

static void *log_call_thread(void *arg)
{
	struct log_call *c = arg;

	c->err = ioctl(c->vm_fd, c->cmd, c->arg) ? errno : 0;
	return NULL;
}

/*
 * @c's bitmap is a missing page of @uffd: while the call waits for it,
 * slot EXTRA_SLOT + 1 changes as @a says; then the call completes.
 */
static void log_call_waits_alone(struct __test_metadata *_metadata, int uffd,
				 struct log_call *c, struct slot_add *a)
{
	struct uffd_msg msg;
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, log_call_thread, c));
	ASSERT_TRUE(uffd_wait_fault(uffd, &msg));
	EXPECT_TRUE(slots_free_during_wait(uffd, msg.arg.pagefault.address,
					   a));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, c->err);
}

/*
 * The bitmap of HVX_GET_DIRTY_LOG and of HVX_CLEAR_DIRTY_LOG may be a
 * missing page of a userfaultfd range: the call waits for the handler
 * without the slots' lock, meanwhile the slots change (a slot added,
 * then deleted), and the call reads or clears the log as it would have.
 * (Both accessed the bitmap holding the lock: the slot change waited.)
 */
HVX_TEST(dirty_log_bitmap_wait_leaves_slots_free)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct hvx_dirty_log log = { .slot = EXTRA_SLOT,
				     .flags = HVX_DIRTY_LOG_KEEP };
	struct hvx_clear_dirty_log clear = {
		.slot = EXTRA_SLOT, .num_pages = EXTRA_SIZE / HVX_PAGE_SIZE,
	};
	struct uffdio_api api = { .api = UFFD_API };
	struct slot_add add = { .size = HVX_PAGE_SIZE };
	uint64_t *bitmaps, word = ~0ULL;
	struct test_vcpu *vcpu;
	struct log_call c;
	struct test_vm *vm;
	int uffd;

	HVX_REQUIRE_VM();
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	HVX_REQUIRE(uffd >= 0, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	vm = vm_create_with_one_vcpu(&vcpu, guest_write_two_pages);
	vm_mem_add(vm, EXTRA_SLOT, HVX_MEM_LOG_DIRTY, EXTRA_GPA, EXTRA_SIZE);
	vcpu_expect_done(vcpu);
	add.vm = vm;
	add.mem = mmap(NULL, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, add.mem);
	bitmaps = mmap(NULL, 2 * HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bitmaps);
	reg.range.start = (uintptr_t)bitmaps;
	reg.range.len = 2 * HVX_PAGE_SIZE;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	log.bitmap = (uintptr_t)bitmaps;
	c = (struct log_call){ vm->fd, HVX_GET_DIRTY_LOG, &log };
	log_call_waits_alone(_metadata, uffd, &c, &add);
	EXPECT_EQ(3, bitmaps[0]);

	/* UFFD_PATTERN, the bitmap served, names page 0 and not page 1 */
	clear.bitmap = (uintptr_t)(bitmaps + HVX_PAGE_SIZE / 8);
	add.size = 0;
	c = (struct log_call){ vm->fd, HVX_CLEAR_DIRTY_LOG, &clear };
	log_call_waits_alone(_metadata, uffd, &c, &add);
	log.bitmap = (uintptr_t)&word;
	ASSERT_EQ(0, ioctl(vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ(2, word);

	vm_free(vm);
	munmap(bitmaps, 2 * HVX_PAGE_SIZE);
	munmap(add.mem, HVX_PAGE_SIZE);
	close(uffd);
}

#define INS_PORT	0x81
#define INS_BYTE	0x3c

/* INS of a byte into the extra slot's first byte; then report that byte. */
static void guest_ins_word(void)
{
	void *dst = (void *)EXTRA_GPA;

	asm volatile("insb" : "+D"(dst) : "d"(INS_PORT) : "memory");
	GUEST_SYNC(*(volatile uint8_t *)EXTRA_GPA);
}

struct late_server {
	struct uffd_server *srv;
	pthread_t vcpu_thread;
};

/*
 * Take the fault event, signal the vCPU's thread while it waits, then
 * serve the page (UFFD_PATTERN) a second later.
 */
static void *signal_then_serve(void *arg)
{
	struct late_server *l = arg;
	struct uffd_msg msg;

	if (!uffd_wait_fault(l->srv->uffd, &msg))
		return NULL;
	l->srv->fault_addr = msg.arg.pagefault.address;
	usleep(300 * 1000);
	pthread_kill(l->vcpu_thread, SIGALRM);
	usleep(1000 * 1000);
	uffd_serve_word(l->srv->uffd, l->srv->fault_addr, l->srv->word);
	return NULL;
}

/*
 * INS into a page missing in a userfaultfd range: userspace serves the
 * port read, and the store that completes the instruction waits for the
 * handler through a signal, as HVX_RUN's contract wants it (a completion
 * never stays half done: HVX_RUN with immediate_exit completes it before
 * a VMM saves the state).  HVX_RUN may return EINTR for the signal after
 * that, the byte stored.  (It returned EINTR with the store pending.)
 */
HVX_TEST(completion_store_waits_through_a_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct uffd_server srv = {};
	struct late_server l = { .srv = &srv };
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	pthread_t thread;
	uint8_t *data;

	REQUIRE_SIGNALLED_UFFD(&srv);
	vm = uffd_vm_with(_metadata, &srv, &vcpu, guest_ins_word);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	vcpu_run(vcpu);
	ASSERT_EQ(HVX_EXIT_IO, vcpu->run->exit_reason);
	ASSERT_EQ(INS_PORT, vcpu->run->io.port);
	ASSERT_EQ(HVX_IO_IN, vcpu->run->io.direction);
	data = (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
	data[0] = INS_BYTE;
	l.vcpu_thread = pthread_self();
	ASSERT_EQ(0, pthread_create(&thread, NULL, signal_then_serve, &l));
	if (__vcpu_run(vcpu)) {
		EXPECT_EQ(EINTR, errno);
		EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(INS_BYTE, *(uint8_t *)addr_gpa2hva(vm, EXTRA_GPA, 1));
	vcpu_expect_sync(vcpu, INS_BYTE);
	vm_free(vm);
	close(srv.uffd);
}

TEST_HARNESS_MAIN
