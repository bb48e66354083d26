// SPDX-License-Identifier: GPL-2.0
/*
 * ring_request_test: port and MMIO accesses in HVX_RANGE_SYNC ranges,
 * served through the shared I/O ring (Documentation/rings.rst).  A device
 * thread serves two vCPUs' requests in the kernel, with HVX_RING_COMPLETE
 * and with HVX_COMPLETE_WAIT, polling or not; a signal while a vCPU waits
 * for its completion; the ring's file closed while a vCPU waits; a
 * process killed while its vCPU waits.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring_util.h"

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
	if (access(HVX_STAT, X_OK)) {
		TH_LOG("no hvx-stat: statistics not checked");
	} else {
		ASSERT_TRUE(vm_ring_stats(&posted, &fb));
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

#define RING_POLL_NS	HVX_PARAM("ring_poll_ns")

/*
 * The same with polling off (ring_poll_ns 0): every request puts the vCPU
 * to sleep and every empty ring the device thread, and each is woken.
 */
HVX_GUEST_TEST(device_thread_no_polling, guest_requests)
{
	unsigned long old, v;

	HVX_REQUIRE_RING();
	ASSERT_TRUE(hvx_param_get(RING_POLL_NS, &old))
		TH_LOG("%s: %s", RING_POLL_NS, strerror(errno));
	EXPECT_EQ(50000, old);
	ASSERT_TRUE(hvx_param_set(RING_POLL_NS, 0));
	EXPECT_TRUE(hvx_param_get(RING_POLL_NS, &v));
	EXPECT_EQ(0, v);
	two_vcpus_one_device(_metadata, vm, vcpu, device_thread_wait, true);
	EXPECT_TRUE(hvx_param_set(RING_POLL_NS, old));
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

/* run_with_alarm(), past EINTRs of task work: until the alarm came. */
static int run_to_alarm(struct test_vcpu *vcpu)
{
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	int ret;

	alarms = 0;
	TEST_ASSERT(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
	ret = __vcpu_run_to_signal(vcpu, &alarms);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	return ret;
}

/*
 * A sync ring of 64 entries that nobody serves, and the vCPU run until
 * its first request waits there (a signal ends HVX_RUN).
 */
static void request_waits(struct __test_metadata *_metadata,
			  struct test_vm *vm, struct test_vcpu *vcpu,
			  struct hvx_ring_map *map)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ring_setup(vm, 64, HVX_RING_SYNC, -1, map);
	register_sync(vm);
	ASSERT_EQ(-1, run_to_alarm(vcpu));
	ASSERT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	ASSERT_EQ(1, hvx_ring_pending(map));
}

HVX_GUEST_TEST(signal_while_waiting, guest_one_in)
{
	struct hvx_ring_entry e;
	struct hvx_ring_map map;
	struct hvx_regs regs, regs2;

	HVX_REQUIRE_RING();
	/* Nobody serves the ring: the signal ends the wait. */
	request_waits(_metadata, vm, vcpu, &map);
	EXPECT_LT(0, alarms);
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

/*
 * A request abandoned (HVX_SET_REGS replaced the state it would finish),
 * or whose vCPU closed: its completion answers ENOENT, not 0.
 */
HVX_GUEST_TEST(abandoned_request_completes_nothing, guest_one_in)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */
	struct hvx_ring_entry e;
	struct hvx_ring_map map;
	struct hvx_regs regs;
	int i;

	HVX_REQUIRE_RING();
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ring_setup(vm, 64, HVX_RING_SYNC, -1, &map);
	register_sync(vm);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(-1, run_to_alarm(vcpu));
		ASSERT_EQ(EINTR, errno);
		ASSERT_EQ(1, hvx_ring_consume(&map, &e, 1));
		if (i == 0) {
			vcpu_regs_get(vcpu, &regs);
			vcpu_regs_set(vcpu, &regs);
		} else {
			/* closed, and a vCPU of the same id in its place */
			vm_vcpu_close(vcpu);
			vcpu = vm_vcpu_add(vm, 0, guest_one_in);
		}
		EXPECT_EQ(-1, hvx_ring_complete(map.fd, 0, e.seq, IN_MAGIC));
		EXPECT_EQ(ENOENT, errno);
	}
	ring_teardown(&map);
}

/*
 * The ring's file closed while a vCPU waits for a completion that can
 * then never come: the vCPU gives the request up and its IN, run again,
 * takes the classic exit, as every access to the ranges does since.
 * Before, the vCPU waited for ever, again at every HVX_RUN.
 */
HVX_GUEST_TEST(ring_closed_while_waiting, guest_one_in)
{
	struct hvx_ring_map map;
	struct hvx_regs regs, regs2;
	struct hvx_run *run = vcpu->run;
	uint32_t v = IN_MAGIC;
	int ret;

	HVX_REQUIRE_RING();
	request_waits(_metadata, vm, vcpu, &map);
	vcpu_regs_get(vcpu, &regs);
	ring_teardown(&map);

	ret = run_to_alarm(vcpu);
	ASSERT_EQ(0, ret) {
		TH_LOG("HVX_RUN after the ring's close: errno %d", errno);
	}
	ASSERT_EQ(HVX_EXIT_IO, run->exit_reason);
	EXPECT_EQ(HVX_IO_IN, run->io.direction);
	EXPECT_EQ(PORT_SYNC, run->io.port);
	EXPECT_EQ(4, run->io.size);
	vcpu_regs_get(vcpu, &regs2);
	EXPECT_EQ(regs.rip, regs2.rip);		/* the same IN */
	memcpy((uint8_t *)run + run->io.data_offset, &v, sizeof(v));
	vcpu_expect_done(vcpu);
}

static void guest_one_out(void)
{
	outl(PORT_SYNC, IN_MAGIC);
	GUEST_DONE();
}

/*
 * The same with an OUT its consumer took before the ring's file went:
 * the device has the write, which is finished as if completed rather
 * than made again as a classic exit.
 */
HVX_GUEST_TEST(ring_closed_after_the_write_was_taken, guest_one_out)
{
	struct hvx_ring_entry e;
	struct hvx_ring_map map;

	HVX_REQUIRE_RING();
	request_waits(_metadata, vm, vcpu, &map);
	ASSERT_EQ(1, hvx_ring_consume(&map, &e, 1));
	EXPECT_EQ(HVX_RING_F_REQUEST | HVX_RING_F_WRITE, e.flags);
	EXPECT_EQ(IN_MAGIC, e.data);
	ring_teardown(&map);
	vcpu_expect_done(vcpu);
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
