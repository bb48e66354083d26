// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test: the shared I/O ring (Documentation/rings.rst).  Posted port
 * and MMIO writes arrive in order with their sequence numbers and before
 * any later synchronous exit; a full ring falls back to exits and loses
 * nothing; indices wrap; eventfd, poll and HVX_COMPLETE_WAIT wake-ups are
 * batched, and a halt delivers a deferred one; doorbells; argument
 * checks.  Requests served by device threads are in ring_request_test.c.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring_util.h"

/* Posted write number @k: sizes and spaces rotate. */
static inline void post_one(uint64_t k)
{
	switch (k % 4) {
	case 0:
		outb(PORT_POSTED, k);
		break;
	case 1:
		outw(PORT_POSTED + 2, k);
		break;
	case 2:
		outl(PORT_POSTED, k);
		break;
	default:
		mmio_w64(MMIO_POSTED_GPA + 8 * (k % 16), k * 0x100000001ULL);
	}
}

/* What post_one(@k) looks like on the ring. */
static void expect_of(uint64_t k, uint8_t *type, uint64_t *addr,
		      uint8_t *size, uint64_t *data)
{
	switch (k % 4) {
	case 0:
		*type = HVX_RING_PIO, *addr = PORT_POSTED, *size = 1;
		*data = k & 0xff;
		break;
	case 1:
		*type = HVX_RING_PIO, *addr = PORT_POSTED + 2, *size = 2;
		*data = k & 0xffff;
		break;
	case 2:
		*type = HVX_RING_PIO, *addr = PORT_POSTED, *size = 4;
		*data = (uint32_t)k;
		break;
	default:
		*type = HVX_RING_MMIO, *addr = MMIO_POSTED_GPA + 8 * (k % 16);
		*size = 8, *data = k * 0x100000001ULL;
	}
}

/* Entry @e must be post number @k with sequence number @seq. */
static void check_post(struct __test_metadata *_metadata,
		       const struct hvx_ring_entry *e, uint64_t k,
		       uint64_t seq)
{
	uint64_t addr, data;
	uint8_t type, size;

	expect_of(k, &type, &addr, &size, &data);
	ASSERT_EQ(seq, e->seq) TH_LOG("post %llu", (unsigned long long)k);
	ASSERT_EQ(type, e->type);
	ASSERT_EQ(addr, e->addr);
	ASSERT_EQ(size, e->size);
	ASSERT_EQ(data, e->data) TH_LOG("post %llu", (unsigned long long)k);
	ASSERT_EQ(HVX_RING_F_WRITE | HVX_RING_F_POSTED, e->flags);
}

/* A synchronous exit of post_one(@k) that fell back: check the run page. */
static void check_fallback(struct __test_metadata *_metadata,
			   struct hvx_run *run, uint64_t k)
{
	uint64_t addr, data, got = 0;
	uint8_t type, size;

	expect_of(k, &type, &addr, &size, &data);
	if (type == HVX_RING_PIO) {
		ASSERT_EQ(HVX_EXIT_IO, run->exit_reason);
		ASSERT_EQ(HVX_IO_OUT, run->io.direction);
		ASSERT_EQ(addr, run->io.port);
		ASSERT_EQ(size, run->io.size);
		memcpy(&got, (char *)run + run->io.data_offset, size);
	} else {
		ASSERT_EQ(HVX_EXIT_MMIO, run->exit_reason);
		ASSERT_TRUE(run->mmio.is_write);
		ASSERT_EQ(addr, run->mmio.phys_addr);
		ASSERT_EQ(size, run->mmio.len);
		memcpy(&got, run->mmio.data, size);
	}
	ASSERT_EQ(data, got);
}

/* ---- argument checks ---- */

static int create_ring_raw(int vm_fd, struct hvx_ring_setup rs)
{
	return ioctl(vm_fd, HVX_CREATE_RING, &rs);
}

HVX_TEST(bad_setup)
{
	struct hvx_ring_setup rs = { .entries = 64, .eventfd = -1 };
	static const uint32_t bad_entries[] = { 0, 1, 32, 63, 100, 8192 };
	struct hvx_ring_map map;
	struct test_vm *vm;
	int fd, p[2];
	unsigned int i;
	void *x;

	HVX_REQUIRE_RING();
	vm = vm_create_bare(1 * MiB);
	for (i = 0; i < ARRAY_SIZE(bad_entries); i++) {
		rs.entries = bad_entries[i];
		EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
		EXPECT_EQ(EINVAL, errno) TH_LOG("entries %u", bad_entries[i]);
	}
	rs.entries = 64;
	rs.flags = 1U << 5;
	EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
	EXPECT_EQ(EINVAL, errno);
	rs.flags = 0;
	rs.pad = 1;
	EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
	EXPECT_EQ(EINVAL, errno);
	rs.pad = 0;
	rs.reserved[3] = 1;
	EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
	EXPECT_EQ(EINVAL, errno);
	rs.reserved[3] = 0;
	rs.eventfd = -2;
	EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, pipe(p));
	rs.eventfd = p[0];		/* an fd, but no eventfd */
	EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
	rs.eventfd = p[0];		/* closed now */
	EXPECT_EQ(-1, create_ring_raw(vm->fd, rs));
	EXPECT_EQ(EBADF, errno);

	/* A good one; then no second. */
	fd = ring_setup(vm, 128, 0, -1, &map);
	EXPECT_EQ(HVX_RING_VERSION, map.hdr->version);
	EXPECT_EQ(sizeof(struct hvx_ring_entry), map.hdr->entry_size);
	EXPECT_EQ(128, map.hdr->capacity);
	EXPECT_EQ(0, map.hdr->producer);
	EXPECT_EQ(0, map.hdr->consumer);
	EXPECT_EQ(HVX_RING_MMAP_SIZE(128), map.size);
	/* Dropped from the mapping, the pages fault back: the ring's own. */
	ASSERT_EQ(0, madvise((void *)map.hdr, map.size, MADV_DONTNEED));
	EXPECT_EQ(HVX_RING_VERSION, map.hdr->version);
	EXPECT_EQ(128, map.hdr->capacity);
	EXPECT_EQ(-1, hvx_create_ring(vm->fd, 64, 0, -1));
	EXPECT_EQ(EEXIST, errno);
	/* No mapping past the end, none at an offset. */
	x = mmap(NULL, map.size + 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, x);
	x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	EXPECT_EQ(MAP_FAILED, x);
	/* nor a private copy, which would not see the producer move */
	x = mmap(NULL, map.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, x);
	EXPECT_EQ(EINVAL, errno);
	/* Completing what was never requested. */
	EXPECT_EQ(-1, hvx_ring_complete(fd, 0, 1, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, hvx_ring_complete(fd, HVX_MAX_VCPUS, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, hvx_ring_complete(fd, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	ring_teardown(&map);
	/* The VM keeps its ring after the fd is gone. */
	EXPECT_EQ(-1, hvx_create_ring(vm->fd, 64, 0, -1));
	EXPECT_EQ(EEXIST, errno);
	vm_free(vm);
}

static int range_raw(int vm_fd, struct hvx_io_range r)
{
	return ioctl(vm_fd, HVX_REGISTER_RANGE, &r);
}

/* ---- memory accounting ---- */

#define CG_TEST		HVX_CG_ROOT "/hvx-ring-test"
#define CG_RINGS	32

/*
 * The ring's pages are the VM owner's memory: a memory cgroup's limit
 * sees them.  memory.current counts what is charged, plus what each
 * CPU's stock holds charged ahead (up to 64 pages a CPU), which the
 * rings may have used up.
 */
HVX_TEST(ring_pages_count_in_the_memory_cgroup)
{
	const uint64_t ring_bytes = HVX_RING_MMAP_SIZE(4096ULL);
	uint64_t stock = 64 * 4096ULL * sysconf(_SC_NPROCESSORS_ONLN);
	int vms[CG_RINGS], rings[CG_RINGS];
	unsigned long before, after;
	int64_t charged;
	unsigned int i;

	HVX_REQUIRE_RING();
	HVX_REQUIRE(hvx_memcg_child(CG_TEST), "no cgroup v2 memory controller: %s",
		    strerror(errno));
	ASSERT_TRUE(hvx_write_file(CG_TEST "/cgroup.procs", "0"));
	for (i = 0; i < CG_RINGS; i++) {
		vms[i] = hvx_create_vm(hvx_dev_fd());
		ASSERT_LE(0, vms[i]);
	}
	ASSERT_TRUE(hvx_param_get(CG_TEST "/memory.current", &before));
	for (i = 0; i < CG_RINGS; i++) {
		rings[i] = hvx_create_ring(vms[i], 4096, 0, -1);
		ASSERT_LE(0, rings[i]);
	}
	ASSERT_TRUE(hvx_param_get(CG_TEST "/memory.current", &after));
	charged = (int64_t)after - (int64_t)before;
	EXPECT_LE((int64_t)(CG_RINGS * ring_bytes - stock), charged)
		TH_LOG("%lld bytes charged for %u rings of %llu bytes",
		       (long long)charged, CG_RINGS,
		       (unsigned long long)ring_bytes);
	for (i = 0; i < CG_RINGS; i++) {
		close(rings[i]);
		close(vms[i]);
	}
	ASSERT_TRUE(hvx_write_file(HVX_CG_ROOT "/cgroup.procs", "0"));
	EXPECT_EQ(0, rmdir(CG_TEST));
}

HVX_TEST(bad_ranges)
{
	struct hvx_io_range r = {
		.type = HVX_RING_PIO, .base = 0x100, .length = 8,
		.eventfd = -1,
	};
	struct test_vm *vm;
	int efd, ring_fd, p[2];
	unsigned int i;

	HVX_REQUIRE_RING();
	vm = vm_create_bare(1 * MiB);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);

#define BAD(field, val, err) do {					\
	struct hvx_io_range __b = r;					\
									\
	__b.field = val;						\
	EXPECT_EQ(-1, range_raw(vm->fd, __b)) TH_LOG(#field " " #val);	\
	EXPECT_EQ(err, errno) TH_LOG(#field " " #val);			\
} while (0)
	BAD(type, 0, EINVAL);
	BAD(type, 3, EINVAL);
	BAD(length, 0, EINVAL);
	BAD(base, 0xffff, EINVAL);		/* 0xffff + 8 > 64 Ki ports */
	BAD(base, 0x10000, EINVAL);
	BAD(length, 0x10001, EINVAL);
	BAD(flags, 1U << 7, EINVAL);
	BAD(flags, HVX_RANGE_DOORBELL | HVX_RANGE_SYNC, EINVAL);
	BAD(flags, HVX_RANGE_DOORBELL, EINVAL);	/* no eventfd */
	BAD(flags, HVX_RANGE_SYNC, EINVAL);	/* no HVX_RING_SYNC ring */
	BAD(eventfd, efd, EINVAL);		/* eventfd on a posted range */
	BAD(pad, 1, EINVAL);
	BAD(reserved[1], 1, EINVAL);
	r.type = HVX_RING_MMIO;
	r.base = MMIO_POSTED_GPA;
	BAD(base, MMIO_POSTED_GPA + 2, EINVAL);	/* misaligned */
	BAD(length, 6, EINVAL);
	BAD(length, (1ULL << 30) + 4, EINVAL);	/* too long */
	BAD(base, ~0ULL - 3, EINVAL);		/* wraps */
	ASSERT_EQ(0, pipe(p));
	r.flags = HVX_RANGE_DOORBELL;
	BAD(eventfd, p[0], EINVAL);		/* not an eventfd */
	close(p[0]);
	close(p[1]);
	BAD(eventfd, p[0], EBADF);
#undef BAD

	/* Overlaps within one space, not across. */
	ASSERT_EQ(0, hvx_register_posted(vm->fd, HVX_RING_PIO, 0x100, 8, 0));
	EXPECT_EQ(-1, hvx_register_posted(vm->fd, HVX_RING_PIO, 0x107, 1, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, hvx_register_doorbell(vm->fd, HVX_RING_PIO, 0xf0, 0x11,
					    efd));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, hvx_register_posted(vm->fd, HVX_RING_PIO, 0x108, 1, 0));
	EXPECT_EQ(0, hvx_register_posted(vm->fd, HVX_RING_MMIO, 0x100, 8, 0));
	/* Unregistering: the exact range only. */
	EXPECT_EQ(-1, hvx_unregister_range(vm->fd, HVX_RING_PIO, 0x100, 4));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, hvx_unregister_range(vm->fd, HVX_RING_PIO, 0x100, 8));
	EXPECT_EQ(-1, hvx_unregister_range(vm->fd, HVX_RING_PIO, 0x100, 8));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, hvx_register_doorbell(vm->fd, HVX_RING_PIO, 0x100, 8,
					   efd));
	/* The limit: 3 registered, fill up, then ENOSPC. */
	for (i = 3; i < HVX_MAX_IO_RANGES; i++)
		ASSERT_EQ(0, hvx_register_posted(vm->fd, HVX_RING_PIO,
						 0x1000 + i, 1, 0));
	EXPECT_EQ(-1, hvx_register_posted(vm->fd, HVX_RING_PIO, 0x2000, 1, 0));
	EXPECT_EQ(ENOSPC, errno);
	/* A sync range needs a HVX_RING_SYNC ring; this VM's has none. */
	ring_fd = hvx_create_ring(vm->fd, 64, 0, -1);
	EXPECT_LE(0, ring_fd);
	EXPECT_EQ(0, hvx_unregister_range(vm->fd, HVX_RING_PIO, 0x108, 1));
	EXPECT_EQ(-1, hvx_register_posted(vm->fd, HVX_RING_PIO, PORT_SYNC, 4,
					  HVX_RANGE_SYNC));
	EXPECT_EQ(EINVAL, errno);
	close(ring_fd);
	close(efd);
	vm_free(vm);		/* frees the doorbell's eventfd reference */
}

/* ---- posted writes: order, fallback, wrap-around ---- */

static void guest_posts(uint64_t rounds, uint64_t per)
{
	uint64_t r, j, k = 0;

	for (r = 0; r < rounds; r++) {
		for (j = 0; j < per; j++)
			post_one(k++);
		GUEST_SYNC(r);
	}
	GUEST_DONE();
}

/*
 * Run @rounds rounds of @per posts each through a ring of @entries; at
 * every GUEST_SYNC all of that round's posts must be in the ring already.
 */
static void posts_in_rounds(struct __test_metadata *_metadata,
			    struct test_vm *vm, struct test_vcpu *vcpu,
			    uint32_t entries, uint64_t rounds, uint64_t per)
{
	struct hvx_ring_entry *buf = calloc(per, sizeof(*buf));
	struct hvx_ring_map map;
	uint64_t r, j, k = 0;

	ASSERT_NE(NULL, buf);
	ring_setup(vm, entries, 0, -1, &map);
	register_posted(vm);
	vcpu_args_set(vcpu, 2, rounds, per);
	for (r = 0; r < rounds; r++) {
		vcpu_expect_sync(vcpu, r);
		ASSERT_EQ(per, hvx_ring_pending(&map));
		ASSERT_EQ(per, hvx_ring_consume(&map, buf, per));
		for (j = 0; j < per; j++, k++)
			check_post(_metadata, &buf[j], k, k + 1);
	}
	vcpu_expect_done(vcpu);
	EXPECT_EQ(0, hvx_ring_pending(&map));
	EXPECT_EQ((uint32_t)(rounds * per), map.hdr->producer);
	ring_teardown(&map);
	free(buf);
}

HVX_GUEST_TEST(posted_order, guest_posts)
{
	HVX_REQUIRE_RING();
	posts_in_rounds(_metadata, vm, vcpu, 64, 8, 40);
}

HVX_GUEST_TEST(wrap_around, guest_posts)
{
	HVX_REQUIRE_RING();
	/* 60 rounds of 63: the indices go round the ring 59 times. */
	posts_in_rounds(_metadata, vm, vcpu, 64, 60, 63);
}

#define FULL_POSTS	2000

static void guest_many_posts(void)
{
	uint64_t k;

	for (k = 0; k < FULL_POSTS; k++)
		post_one(k);
	GUEST_DONE();
}

HVX_GUEST_TEST(full_ring_falls_back, guest_many_posts)
{
	struct hvx_ring_entry buf[64];
	struct hvx_ring_map map;
	uint64_t k = 0, seq = 0, fallbacks = 0, posted, fb;
	unsigned int n, i;

	HVX_REQUIRE_RING();
	ring_setup(vm, 64, 0, -1, &map);
	register_posted(vm);
	for (;;) {
		vcpu_run(vcpu);
		/* Everything posted before this exit is there: drain it. */
		while ((n = hvx_ring_consume(&map, buf, 64)) > 0) {
			for (i = 0; i < n; i++, k++)
				check_post(_metadata, &buf[i], k, ++seq);
		}
		if (get_ucall(vcpu, NULL) == UCALL_DONE)
			break;
		/* The exit is the next post, which found the ring full. */
		check_fallback(_metadata, vcpu->run, k);
		k++;
		fallbacks++;
	}
	EXPECT_EQ(FULL_POSTS, k);
	/* The host never consumed while the guest ran: 64 in, 1 out. */
	EXPECT_EQ(FULL_POSTS / 65, fallbacks);
	EXPECT_EQ(FULL_POSTS - fallbacks, seq);
	/* The statistics count the same (hvx-stat is in every test host). */
	if (access(HVX_STAT, X_OK)) {
		TH_LOG("no hvx-stat: statistics not checked");
	} else {
		ASSERT_TRUE(vm_ring_stats(&posted, &fb));
		EXPECT_EQ(seq, posted);
		EXPECT_EQ(fallbacks, fb);
	}
	ring_teardown(&map);
}

/* ---- notification ---- */

static void guest_notify(void)
{
	outb(PORT_POSTED, 1);
	outb(PORT_POSTED, 2);
	outb(PORT_POSTED, 3);
	GUEST_SYNC(1);
	outb(PORT_POSTED, 4);
	outb(PORT_POSTED, 5);
	outb(PORT_POSTED, 6);
	GUEST_SYNC(2);
	outb(PORT_POSTED, 7);
	GUEST_DONE();
}

static volatile int waiter_asleep;

/*
 * poll()'s own result, not hvx_ring_wait()'s, which looks at the ring
 * after a timeout too: a wakeup that never came would pass for one.
 */
static void *waiter_thread(void *arg)
{
	struct hvx_ring_map *map = arg;
	struct pollfd pfd = { .fd = map->fd, .events = POLLIN };
	intptr_t n;

	if (hvx_ring_prepare_sleep(map))
		return (void *)(intptr_t)-2;	/* nothing may be there yet */
	waiter_asleep = 1;
	n = poll(&pfd, 1, 20000);
	hvx_ring_awake(map);
	return (void *)(n == 1 && pfd.revents == POLLIN ? n : -1);
}

/* A 64-entry ring with the posted ranges and an eventfd, returned. */
static int eventfd_ring(struct test_vm *vm, struct hvx_ring_map *map)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	TEST_ASSERT(efd >= 0, "eventfd: %s", strerror(errno));
	ring_setup(vm, 64, 0, efd, map);
	register_posted(vm);
	return efd;
}

HVX_GUEST_TEST(eventfd_and_poll, guest_notify)
{
	struct pollfd pfd;
	struct hvx_ring_entry buf[8];
	struct hvx_ring_map map;
	uint64_t v;
	pthread_t th;
	void *res;
	int efd;

	HVX_REQUIRE_RING();
	efd = eventfd_ring(vm, &map);
	pfd = (struct pollfd){ .fd = map.fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* Asleep: three posts, one signal (hvx.ko clears need_wakeup). */
	ASSERT_EQ(0, hvx_ring_prepare_sleep(&map));
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0, map.hdr->need_wakeup);
	ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	EXPECT_EQ(1, v);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	EXPECT_EQ(3, hvx_ring_consume(&map, buf, 8));
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* Awake (need_wakeup clear): no signal at all. */
	vcpu_expect_sync(vcpu, 2);
	EXPECT_EQ(-1, read(efd, &v, sizeof(v)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(3, hvx_ring_consume(&map, buf, 8));
	EXPECT_EQ(6, buf[2].data);

	/* A thread asleep in poll() wakes up for the next post. */
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &map));
	while (!waiter_asleep)
		usleep(1000);
	usleep(100 * 1000);		/* into poll() by now */
	vcpu_expect_done(vcpu);
	pthread_join(th, &res);
	EXPECT_EQ(1, (intptr_t)res);
	/* it slept with need_wakeup set: the eventfd was signalled too */
	ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	EXPECT_EQ(1, v);
	EXPECT_EQ(1, hvx_ring_consume(&map, buf, 8));
	EXPECT_EQ(7, buf[0].data);
	ring_teardown(&map);
	close(efd);
}

/* One posted write, then an idle wait for the device's interrupt. */
static void guest_posts_then_halts(void)
{
	outb(PORT_POSTED, 9);
	asm volatile("sti; hlt; cli" : : : "memory");
	GUEST_DONE();
}

static void *run_vcpu_thread(void *arg)
{
	struct test_vcpu *vcpu = arg;

	return (void *)(intptr_t)(__vcpu_run(vcpu) < 0 ? errno : 0);
}

/*
 * The consumer asleep on the eventfd, which only hvx.ko's wake-up
 * signals, while the vCPU runs in a thread that posted 9: it must wake
 * within @timeout_ms; with @in_run, while HVX_RUN still runs.  A signal
 * then takes the vCPU out.
 */
static void expect_deferred_wakeup(struct __test_metadata *_metadata,
				   struct test_vm *vm, struct test_vcpu *vcpu,
				   int timeout_ms, bool in_run)
{
	struct sigaction sa = { .sa_handler = no_op };
	struct hvx_ring_entry buf[8];
	struct hvx_ring_map map;
	struct pollfd pfd;
	pthread_t runner;
	void *res;
	uint64_t v;
	int efd;

	efd = eventfd_ring(vm, &map);
	ASSERT_EQ(0, hvx_ring_prepare_sleep(&map));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&runner, NULL, run_vcpu_thread, vcpu));
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, timeout_ms));
	if (in_run)
		EXPECT_EQ(EBUSY, pthread_tryjoin_np(runner, &res));
	kick_and_join(runner, &res);
	EXPECT_EQ(EINTR, (intptr_t)res);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	EXPECT_EQ(1, v);
	EXPECT_EQ(1, hvx_ring_consume(&map, buf, 8));
	EXPECT_EQ(9, buf[0].data);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	ring_teardown(&map);
	close(efd);
}

/*
 * A post that leaves the ring less than half full defers its wake-up to
 * the VM's next sync point; a vCPU that halts, waiting for the device the
 * post fed, is one.  It was not: the consumer slept on, and so did the
 * guest, waiting for an interrupt that the device would only send after
 * it had seen the post.
 */
HVX_GUEST_TEST(halt_delivers_a_deferred_wakeup, guest_posts_then_halts)
{
	HVX_REQUIRE_RING();
	expect_deferred_wakeup(_metadata, vm, vcpu, 20000, false);
}

/* One posted write, then a spin that never exits to userspace. */
static void guest_posts_then_spins(void)
{
	outb(PORT_POSTED, 9);
	for (;;)
		asm volatile("pause" : : : "memory");
}

/*
 * A guest that posts and then spins, never halting nor exiting to
 * userspace, reaches the third sync point: the end of a VMX-preemption
 * timer slice (without the timer, the post itself wakes the consumer).
 * The host's ticks exit too, but those are no sync point.
 */
HVX_GUEST_TEST(spin_delivers_a_deferred_wakeup, guest_posts_then_spins)
{
	HVX_REQUIRE_RING();
	expect_deferred_wakeup(_metadata, vm, vcpu, 10000, true);
}

static void *complete_wait_thread(void *arg)
{
	struct hvx_ring_map *map = arg;

	if (hvx_ring_complete_wait(map->fd, 0, 0, 0))
		return (void *)(intptr_t)-errno;
	return (void *)(intptr_t)hvx_ring_pending(map);
}

/*
 * HVX_COMPLETE_WAIT: bad arguments, an immediate return when entries are
 * pending, EINTR on a signal, a wake-up for the next post, and no wait
 * after a completion that fails.
 */
HVX_GUEST_TEST(complete_wait, guest_notify)
{
	struct sigaction sa = { .sa_handler = no_op };	/* no SA_RESTART */
	struct hvx_ring_completion c;
	struct hvx_ring_entry buf[8];
	struct hvx_ring_map map;
	pthread_t th;
	void *res;

	HVX_REQUIRE_RING();
	ring_setup(vm, 64, HVX_RING_SYNC, -1, &map);
	register_posted(vm);
	memset(&c, 0, sizeof(c));
	c.flags = 2;
	EXPECT_EQ(-1, ioctl(map.fd, HVX_RING_COMPLETE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = 0;
	EXPECT_EQ(-1, ioctl(map.fd, HVX_RING_COMPLETE, &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, hvx_ring_complete_wait(map.fd, 1, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, hvx_ring_complete_wait(map.fd, 0, 0, 5));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, hvx_ring_complete_wait(map.fd, HVX_MAX_VCPUS, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	/* A completion that fails does not wait (the ring is empty). */
	EXPECT_EQ(-1, hvx_ring_complete_wait(map.fd, 0, 12345, 0));
	EXPECT_EQ(ENOENT, errno);

	/* Entries pending: back at once. */
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0, hvx_ring_complete_wait(map.fd, 0, 0, 0));
	EXPECT_EQ(3, hvx_ring_consume(&map, buf, 8));

	/* Empty: asleep until a signal ends the wait with EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, complete_wait_thread, &map));
	usleep(100 * 1000);
	EXPECT_EQ(EBUSY, pthread_tryjoin_np(th, &res));
	kick_and_join(th, &res);
	EXPECT_EQ(-EINTR, (intptr_t)res);

	/* Asleep: the posts wake it (at the latest when HVX_RUN returns). */
	ASSERT_EQ(0, pthread_create(&th, NULL, complete_wait_thread, &map));
	usleep(100 * 1000);
	vcpu_expect_sync(vcpu, 2);
	pthread_join(th, &res);
	EXPECT_EQ(3, (intptr_t)res);
	EXPECT_EQ(3, hvx_ring_consume(&map, buf, 8));
	EXPECT_EQ(6, buf[2].data);
	vcpu_expect_done(vcpu);
	ring_teardown(&map);
}

/* ---- doorbells ---- */

static void guest_doorbells(void)
{
	int i;

	for (i = 0; i < 5; i++)
		outb(PORT_DOORBELL, i);
	for (i = 0; i < 3; i++)
		mmio_w32(MMIO_DB_GPA, i);
	GUEST_SYNC(1);
	/* A read of a doorbell is an ordinary exit. */
	GUEST_ASSERT_EQ(inb(PORT_DOORBELL), 0x5a);
	/* Unregistered by now: an ordinary exit too. */
	outb(PORT_DOORBELL, 9);
	GUEST_DONE();
}

HVX_GUEST_TEST(doorbells, guest_doorbells)
{
	uint64_t v;
	int efd, efd2;

	HVX_REQUIRE_RING();
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, efd2);
	/* No ring needed. */
	ASSERT_EQ(0, hvx_register_doorbell(vm->fd, HVX_RING_PIO, PORT_DOORBELL,
					   1, efd));
	ASSERT_EQ(0, hvx_register_doorbell(vm->fd, HVX_RING_MMIO, MMIO_DB_GPA,
					   4, efd2));
	vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	EXPECT_EQ(5, v);
	ASSERT_EQ(sizeof(v), read(efd2, &v, sizeof(v)));
	EXPECT_EQ(3, v);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	ASSERT_EQ(HVX_IO_IN, vcpu->run->io.direction);
	ASSERT_EQ(PORT_DOORBELL, vcpu->run->io.port);
	*((uint8_t *)vcpu->run + vcpu->run->io.data_offset) = 0x5a;
	ASSERT_EQ(0, hvx_unregister_range(vm->fd, HVX_RING_PIO, PORT_DOORBELL,
					  1));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	ASSERT_EQ(HVX_IO_OUT, vcpu->run->io.direction);
	ASSERT_EQ(PORT_DOORBELL, vcpu->run->io.port);
	vcpu_expect_done(vcpu);
	EXPECT_EQ(-1, read(efd, &v, sizeof(v)));
	EXPECT_EQ(EAGAIN, errno);
	close(efd);
	close(efd2);
}

TEST_HARNESS_MAIN
