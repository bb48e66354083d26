// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test: the shared I/O ring (Documentation/rings.rst).  Posted port
 * and MMIO writes arrive in order with their sequence numbers and before
 * any later synchronous exit; a full ring falls back to exits and loses
 * nothing; indices wrap; a device thread serves two vCPUs' requests in
 * the kernel; eventfd and poll wake-ups are batched; doorbells; argument
 * checks; a signal during a request; a process killed while its vCPU
 * waits on the ring.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvx_harness.h"

#define PORT_POSTED	0x500		/* 4 ports, posted */
#define PORT_SYNC	0x600		/* 4 ports, ring requests */
#define PORT_DOORBELL	0x700		/* 1 port, doorbell */
#define MMIO_POSTED_GPA	0x40000000ULL	/* 4 KiB, posted */
#define MMIO_SYNC_GPA	0x40100000ULL	/* 4 KiB, ring requests */
#define MMIO_DB_GPA	0x40200000ULL	/* 4 bytes, doorbell */

#define SYNC_ITERS	200
#define IN_MAGIC	0xabcd1234U

static inline void mmio_w32(uint64_t a, uint32_t v)
{
	asm volatile("movl %1, (%0)" : : "r"(a), "r"(v) : "memory");
}

static inline void mmio_w64(uint64_t a, uint64_t v)
{
	asm volatile("movq %1, (%0)" : : "r"(a), "r"(v) : "memory");
}

static inline uint32_t mmio_r32(uint64_t a)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint64_t mmio_r64(uint64_t a)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

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

static int ring_setup(struct test_vm *vm, uint32_t entries, uint32_t flags,
		      int efd, struct hvx_ring_map *map)
{
	int fd = hvx_create_ring(vm->fd, entries, flags, efd);

	TEST_ASSERT(fd >= 0, "HVX_CREATE_RING: %s", strerror(errno));
	TEST_ASSERT(!hvx_ring_map(fd, map), "ring mmap: %s", strerror(errno));
	return fd;
}

static void ring_teardown(struct hvx_ring_map *map)
{
	hvx_ring_unmap(map);
	close(map->fd);
}

static void register_posted(struct test_vm *vm)
{
	TEST_ASSERT(!hvx_register_posted(vm->fd, HVX_RING_PIO, PORT_POSTED, 4,
					 0), "posted PIO: %s", strerror(errno));
	TEST_ASSERT(!hvx_register_posted(vm->fd, HVX_RING_MMIO,
					 MMIO_POSTED_GPA, 4096, 0),
		    "posted MMIO: %s", strerror(errno));
}

static bool ring_supported(void)
{
	return hvx_vm_supported() &&
	       (hvx_dev_caps()->hvx_features & HVX_FEAT_RING);
}

/*
 * The ring_posted and ring_fallback totals of this process's only VM, as
 * hvx-stat (netlink) reports them; false when hvx-stat is not there.
 */
#define HVX_STAT	"/hvx/bin/hvx-stat"

static bool vm_ring_stats(uint64_t *posted, uint64_t *fallback)
{
	static char buf[65536];
	char key[48], *p, *end;
	size_t n;
	FILE *f;

	if (access(HVX_STAT, X_OK))
		return false;
	f = popen(HVX_STAT " --json", "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	pclose(f);
	buf[n] = 0;
	snprintf(key, sizeof(key), "\"pid\":%d,", (int)getpid());
	p = strstr(buf, key);
	if (!p)
		return false;
	end = strchr(p, '}');
	p = strstr(p, "\"ring_posted\":");
	if (!p || !end || p > end)
		return false;
	*posted = strtoull(p + strlen("\"ring_posted\":"), NULL, 10);
	p = strstr(p, "\"ring_fallback\":");
	if (!p || p > end)
		return false;
	*fallback = strtoull(p + strlen("\"ring_fallback\":"), NULL, 10);
	return true;
}

#define HVX_REQUIRE_RING()						\
	HVX_REQUIRE(ring_supported(), "hvx without HVX_FEAT_RING")

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
	EXPECT_EQ(-1, hvx_create_ring(vm->fd, 64, 0, -1));
	EXPECT_EQ(EEXIST, errno);
	/* No mapping past the end, none at an offset. */
	x = mmap(NULL, map.size + 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, x);
	x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	EXPECT_EQ(MAP_FAILED, x);
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
	return ioctl(vm_fd, HVX_REGISTER_POSTED, &r);
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
	/* The statistics count the same. */
	if (vm_ring_stats(&posted, &fb)) {
		EXPECT_EQ(seq, posted);
		EXPECT_EQ(fallbacks, fb);
	} else {
		TH_LOG("no hvx-stat: statistics not checked");
	}
	ring_teardown(&map);
}

/* ---- requests served by a device thread ---- */

/**
 * struct device - a device thread serving ring requests
 * @map:	the ring
 * @stop:	the thread ends
 * @count:	per vCPU: IN reads so far
 * @mem:	per vCPU: the 8 MMIO bytes
 * @bad:	requests that were not what the guest did
 * @served:	requests completed
 */
struct device {
	struct hvx_ring_map *map;
	volatile bool stop;
	uint32_t count[2];
	uint64_t mem[2];
	unsigned int bad;
	unsigned int served;
};

/*
 * Check request @e against what the guest does and return the data for its
 * completion; false when it is not a request of this test.
 */
static bool device_data(struct device *d, const struct hvx_ring_entry *e,
			uint64_t *out)
{
	uint64_t data = 0, mask;
	unsigned int v = e->vcpu;

	if (v > 1 || !(e->flags & HVX_RING_F_REQUEST) ||
	    e->flags & HVX_RING_F_POSTED) {
		d->bad++;
		return false;
	}
	mask = e->size == 8 ? ~0ULL : (1ULL << (e->size * 8)) - 1;
	if (e->type == HVX_RING_PIO && e->addr == PORT_SYNC && e->size == 4) {
		if (e->flags & HVX_RING_F_WRITE) {
			if (e->data != ((((uint64_t)v << 24) |
					 (d->count[v] - 1)) ^ 0x5a5a5a5a))
				d->bad++;
		} else {
			data = ((uint64_t)v << 24) | d->count[v]++;
		}
	} else if (e->type == HVX_RING_MMIO &&
		   e->addr == MMIO_SYNC_GPA + 8 * v) {
		if (e->flags & HVX_RING_F_WRITE)
			d->mem[v] = e->data;
		else
			data = d->mem[v] & mask;
	} else {
		d->bad++;
	}
	*out = data;
	return true;
}

static void device_serve(struct device *d, const struct hvx_ring_entry *e)
{
	uint64_t data;

	if (!device_data(d, e, &data))
		return;
	if (hvx_ring_complete(d->map->fd, e->vcpu, e->seq, data))
		d->bad++;
	d->served++;
}

/*
 * The same device in one system call per batch: every request but the
 * last is completed at once, the last with HVX_COMPLETE_WAIT, which then
 * sleeps until the next entry.  A signal (sent by the test to stop it)
 * ends a wait with EINTR.
 */
static void *device_thread_wait(void *arg)
{
	struct device *d = arg;
	struct hvx_ring_entry buf[16], last = { 0 };
	uint64_t data = 0, v;
	unsigned int n, i;

	while (!d->stop) {
		if (hvx_ring_complete_wait(d->map->fd, last.vcpu, last.seq,
					   data) && errno != EINTR)
			d->bad++;
		if (last.seq)
			d->served++;
		last.seq = 0;
		last.vcpu = 0;
		data = 0;
		n = hvx_ring_consume(d->map, buf, 16);
		for (i = 0; i < n; i++) {
			if (!device_data(d, &buf[i], &v))
				continue;
			if (last.seq) {
				if (hvx_ring_complete(d->map->fd, last.vcpu,
						      last.seq, data))
					d->bad++;
				d->served++;
			}
			last = buf[i];
			data = v;
		}
	}
	if (last.seq) {
		if (hvx_ring_complete(d->map->fd, last.vcpu, last.seq, data))
			d->bad++;
		d->served++;
	}
	return NULL;
}

static void no_op(int sig)
{
}

/*
 * Send SIGUSR1 (whose handler must be no_op(), without SA_RESTART) to @th
 * until it ends, every 20 ms: a signal that lands just before the thread
 * enters its wait is lost, so one is not enough.
 */
static void kick_and_join(pthread_t th, void **res)
{
	struct timespec ts;

	do {
		pthread_kill(th, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	} while (pthread_timedjoin_np(th, res, &ts) == ETIMEDOUT);
}

/* Stop a device_thread_wait(): a signal ends its wait. */
static void device_stop_wait(struct device *d, pthread_t th)
{
	struct sigaction sa = { .sa_handler = no_op };	/* no SA_RESTART */

	sigaction(SIGUSR1, &sa, NULL);
	d->stop = true;
	kick_and_join(th, NULL);
}

static void *device_thread(void *arg)
{
	struct device *d = arg;
	struct hvx_ring_entry buf[16];
	unsigned int n, i;

	while (!d->stop) {
		n = hvx_ring_consume(d->map, buf, 16);
		if (!n) {
			hvx_ring_wait(d->map, 100);
			continue;
		}
		for (i = 0; i < n; i++)
			device_serve(d, &buf[i]);
	}
	return NULL;
}

static void guest_requests(uint64_t id)
{
	uint64_t i, m;
	uint32_t v;

	for (i = 0; i < SYNC_ITERS; i++) {
		v = inl(PORT_SYNC);
		GUEST_ASSERT_EQ(v, (id << 24) | i);
		outl(PORT_SYNC, v ^ 0x5a5a5a5a);
		m = (i << 40) | (i * 3 + id);
		mmio_w64(MMIO_SYNC_GPA + 8 * id, m);
		GUEST_ASSERT_EQ(mmio_r64(MMIO_SYNC_GPA + 8 * id), m);
		GUEST_ASSERT_EQ(mmio_r32(MMIO_SYNC_GPA + 8 * id), (uint32_t)m);
	}
	GUEST_DONE();
}

static void *vcpu_done_thread(void *arg)
{
	vcpu_expect_done(arg);
	return NULL;
}

static void register_sync(struct test_vm *vm)
{
	TEST_ASSERT(!hvx_register_posted(vm->fd, HVX_RING_PIO, PORT_SYNC, 4,
					 HVX_RANGE_SYNC), "sync PIO: %s",
		    strerror(errno));
	TEST_ASSERT(!hvx_register_posted(vm->fd, HVX_RING_MMIO, MMIO_SYNC_GPA,
					 4096, HVX_RANGE_SYNC),
		    "sync MMIO: %s", strerror(errno));
}

/*
 * Two vCPUs whose every port and MMIO access is a ring request, served by
 * one device thread running @fn; @wait: it sleeps in HVX_COMPLETE_WAIT.
 */
static void two_vcpus_one_device(struct __test_metadata *_metadata,
				 struct test_vm *vm, struct test_vcpu *vcpu,
				 void *(*fn)(void *), bool wait)
{
	struct test_vcpu *second;
	struct hvx_ring_map map;
	struct device d = { .map = &map };
	pthread_t dev, th[2];
	uint64_t posted, fb;

	ring_setup(vm, 64, HVX_RING_SYNC, -1, &map);
	register_sync(vm);
	second = vm_vcpu_add(vm, 1, guest_requests);
	vcpu_args_set(vcpu, 1, 0ULL);
	vcpu_args_set(second, 1, 1ULL);
	ASSERT_EQ(0, pthread_create(&dev, NULL, fn, &d));
	/*
	 * Each vCPU's only exit to userspace is its GUEST_DONE: every port
	 * and MMIO access was served inside HVX_RUN by the device thread.
	 */
	ASSERT_EQ(0, pthread_create(&th[0], NULL, vcpu_done_thread, vcpu));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, vcpu_done_thread, second));
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	if (wait) {
		device_stop_wait(&d, dev);
	} else {
		d.stop = true;
		pthread_join(dev, NULL);
	}
	EXPECT_EQ(0, d.bad);
	EXPECT_EQ(2 * SYNC_ITERS * 5, d.served);
	EXPECT_EQ(SYNC_ITERS, d.count[0]);
	EXPECT_EQ(SYNC_ITERS, d.count[1]);
	EXPECT_EQ(2 * SYNC_ITERS * 5, map.hdr->producer);
	if (vm_ring_stats(&posted, &fb)) {
		EXPECT_EQ(2 * SYNC_ITERS * 5, posted);
		EXPECT_EQ(0, fb);
	}
	ring_teardown(&map);
}

HVX_GUEST_TEST(device_thread_two_vcpus, guest_requests)
{
	HVX_REQUIRE_RING();
	two_vcpus_one_device(_metadata, vm, vcpu, device_thread, false);
}

/* The same with HVX_COMPLETE_WAIT: one system call per request. */
HVX_GUEST_TEST(device_thread_complete_wait, guest_requests)
{
	HVX_REQUIRE_RING();
	two_vcpus_one_device(_metadata, vm, vcpu, device_thread_wait, true);
}

#define RING_POLL_NS	"/sys/module/hvx/parameters/ring_poll_ns"

/* Read (@val NULL) or write hvx.ko's ring_poll_ns; -1 on failure. */
static long ring_poll_ns(const char *val)
{
	char buf[32] = "";
	long ret = -1;
	FILE *f;

	f = fopen(RING_POLL_NS, val ? "w" : "r");
	if (!f)
		return -1;
	if (val)
		ret = fputs(val, f) < 0 ? -1 : 0;
	else if (fgets(buf, sizeof(buf), f))
		ret = strtol(buf, NULL, 10);
	if (fclose(f))
		ret = -1;
	return ret;
}

/*
 * The same with polling off (ring_poll_ns 0): every request puts the vCPU
 * to sleep and every empty ring the device thread, and each is woken.
 */
HVX_GUEST_TEST(device_thread_no_polling, guest_requests)
{
	char old[32];
	long v;

	HVX_REQUIRE_RING();
	v = ring_poll_ns(NULL);
	ASSERT_LE(0, v) TH_LOG("%s: %s", RING_POLL_NS, strerror(errno));
	EXPECT_EQ(50000, v);
	snprintf(old, sizeof(old), "%ld", v);
	ASSERT_EQ(0, ring_poll_ns("0"));
	EXPECT_EQ(0, ring_poll_ns(NULL));
	two_vcpus_one_device(_metadata, vm, vcpu, device_thread_wait, true);
	EXPECT_EQ(0, ring_poll_ns(old));
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

static void *waiter_thread(void *arg)
{
	return (void *)(intptr_t)hvx_ring_wait(arg, 20000);
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
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ring_setup(vm, 64, 0, efd, &map);
	register_posted(vm);
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
	usleep(100 * 1000);
	vcpu_expect_done(vcpu);
	pthread_join(th, &res);
	EXPECT_EQ(1, (intptr_t)res);
	EXPECT_EQ(1, hvx_ring_consume(&map, buf, 8));
	EXPECT_EQ(7, buf[0].data);
	ring_teardown(&map);
	close(efd);
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

/* ---- a signal while waiting for a completion ---- */

static void guest_one_in(void)
{
	uint32_t v = inl(PORT_SYNC);

	GUEST_ASSERT_EQ(v, IN_MAGIC);
	GUEST_DONE();
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

static int run_with_alarm(struct test_vcpu *vcpu)
{
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	int ret;

	TEST_ASSERT(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
	ret = __vcpu_run(vcpu);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	return ret;
}

HVX_GUEST_TEST(signal_while_waiting, guest_one_in)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */
	struct hvx_ring_entry e;
	struct hvx_ring_map map;
	struct hvx_regs regs, regs2;

	HVX_REQUIRE_RING();
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ring_setup(vm, 64, HVX_RING_SYNC, -1, &map);
	register_sync(vm);

	/* Nobody serves the ring: the signal ends the wait. */
	ASSERT_EQ(-1, run_with_alarm(vcpu));
	ASSERT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_LT(0, alarms);
	ASSERT_EQ(1, hvx_ring_pending(&map));
	vcpu_regs_get(vcpu, &regs);

	/* Again: the same request is waited for, not posted twice. */
	ASSERT_EQ(-1, run_with_alarm(vcpu));
	ASSERT_EQ(EINTR, errno);
	EXPECT_EQ(1, map.hdr->producer);
	vcpu_regs_get(vcpu, &regs2);
	EXPECT_EQ(regs.rip, regs2.rip);		/* IN not finished */

	ASSERT_EQ(1, hvx_ring_consume(&map, &e, 1));
	EXPECT_EQ(HVX_RING_PIO, e.type);
	EXPECT_EQ(PORT_SYNC, e.addr);
	EXPECT_EQ(4, e.size);
	EXPECT_EQ(HVX_RING_F_REQUEST, e.flags);
	EXPECT_EQ(-1, hvx_ring_complete(map.fd, 0, e.seq + 1, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, hvx_ring_complete(map.fd, 1, e.seq, 0));
	EXPECT_EQ(ENOENT, errno);
	/* Completed while the vCPU is outside HVX_RUN; it resumes with it. */
	ASSERT_EQ(0, hvx_ring_complete(map.fd, 0, e.seq, IN_MAGIC));
	EXPECT_EQ(-1, hvx_ring_complete(map.fd, 0, e.seq, 0));
	EXPECT_EQ(ENOENT, errno);
	vcpu_expect_done(vcpu);
	EXPECT_EQ(1, map.hdr->producer);
	ring_teardown(&map);
}

/* ---- a process killed while its vCPU waits on the ring ---- */

static void *run_forever(void *arg)
{
	for (;;)
		vcpu_run(arg);
	return NULL;
}

static void __noreturn killed_child(int fd)
{
	struct test_vcpu *vcpu;
	struct hvx_ring_map map;
	struct test_vm *vm;
	pthread_t th;

	vm = vm_create_with_one_vcpu(&vcpu, guest_one_in);
	ring_setup(vm, 64, HVX_RING_SYNC, -1, &map);
	register_sync(vm);
	register_posted(vm);
	TEST_ASSERT(!pthread_create(&th, NULL, run_forever, vcpu), "thread");
	while (hvx_ring_pending(&map) < 1)
		hvx_ring_wait(&map, 100);
	TEST_ASSERT(write(fd, "r", 1) == 1, "write to parent");
	for (;;)
		pause();
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/hvx/refcnt", "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

HVX_TEST(killed_while_waiting)
{
	struct pollfd pfd;
	long before, after;
	int p[2], status, i;
	pid_t pid;
	char c;

	HVX_REQUIRE_RING();
	before = module_refcnt();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe(p));
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(p[0]);
			killed_child(p[1]);
		}
		close(p[1]);
		pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
		EXPECT_EQ(1, poll(&pfd, 1, 60000));
		EXPECT_EQ(1, read(p[0], &c, 1));
		close(p[0]);
		usleep(50 * 1000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	/* Every file of the children, VM and ring included, is gone. */
	after = module_refcnt();
	EXPECT_EQ(before, after);
}

TEST_HARNESS_MAIN
