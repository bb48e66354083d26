// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the device thread of hvx-run's virtio-pci devices
 * (userspace/hvx-run/virtio_pci.c), with devices of the test's own on a
 * bus each: a driver's reset waits until the thread is done with the
 * chain it took, a kick already there when the thread is told to stop
 * is served, and nothing is served while the device quiesces for a
 * reset.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "virtio_pci_fixture.h"
#include "virtio_driver.h"
#include "vring_build.h"

/*
 * One device of the tests here on a bus of its own: at 00:01.0, memory
 * and bus mastering on, its queue set up and DRIVER_OK; its thread not
 * started.
 */
struct lone {
	struct io_bus bus;
	struct pci_bus pb;
	struct calls calls;
	uint8_t *ram;
	uint64_t bar;
};

static void lone_setup(struct __test_metadata *_metadata, struct lone *l,
		       struct virtio_dev *v, const struct virtio_ops *ops)
{
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	struct vq_mem mem;

	memset(l, 0, sizeof(*l));
	l->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, l->ram);
	mem.base = l->ram;
	mem.size = RAM_SIZE;
	io_bus_init(&l->bus, NULL);
	ASSERT_EQ(0, pci_bus_init(&l->pb, &l->bus, route, &l->calls));
	ASSERT_EQ(0, virtio_init(v, ops, &mem, doorbell, &l->calls));
	ASSERT_EQ(0, pci_bus_add(&l->pb, &v->pci));
	l->bar = ecam32(&l->bus, PCI_BAR0);
	io_bus_mmio(&l->bus, PCI_ECAM_BASE + (1 << 15) + PCI_COMMAND, 2, true,
		    (uint8_t *)&cmd);
	setup_queue(&l->bus, l->bar);
}

static void lone_teardown(struct lone *l, struct virtio_dev *v)
{
	virtio_stop(v);
	virtio_destroy(v);
	pci_bus_destroy(&l->pb);
	io_bus_destroy(&l->bus);
	free(l->ram);
}

/*
 * A device whose kick holds its chain until the test lets it go: a
 * driver's reset must not complete (device_status read 0) while the
 * device thread still uses a chain it took.
 */
struct held_dev {
	struct virtio_dev v;
	int taken_efd, release_efd;
};

static void held_cfg_read(struct virtio_dev *v, unsigned int off,
			  void *data, unsigned int len)
{
	memset(data, 0, len);
}

static void held_kick(struct virtio_dev *v, unsigned int q)
{
	struct held_dev *h = (struct held_dev *)v;
	struct vq_elem e;
	uint64_t one = 1;

	if (vq_pop(&v->vq[q], &e) != 1)
		return;
	if (write(h->taken_efd, &one, sizeof(one)) != sizeof(one) ||
	    !wait_efd(h->release_efd))
		return;
	memset(e.iov[0].iov_base, 0xaa, e.iov[0].iov_len);
	virtio_complete(v, q, e.head, e.iov[0].iov_len);
}

static const struct virtio_ops held_ops = {
	.name = "held",
	.device_id = 4,
	.class = 0xff0000,
	.nr_queues = 1,
	.cfg_read = held_cfg_read,
	.kick = held_kick,
};

struct reset_call {
	struct io_bus *bus;
	uint64_t cc;
	int done_efd;
};

static void *reset_thread(void *arg)
{
	struct reset_call *r = arg;
	uint64_t one = 1;

	wr(r->bus, r->cc + 0x14, 0, 1);
	if (write(r->done_efd, &one, sizeof(one)) != sizeof(one))
		return NULL;
	return NULL;
}

TEST(reset_waits_for_the_device_thread)
{
	struct held_dev h = {};
	struct reset_call rc;
	struct pollfd p;
	struct lone l;
	uint64_t one = 1;
	uint8_t *ram;
	pthread_t t;

	h.taken_efd = eventfd(0, EFD_CLOEXEC);
	h.release_efd = eventfd(0, EFD_CLOEXEC);
	rc.done_efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, h.taken_efd);
	ASSERT_LE(0, h.release_efd);
	ASSERT_LE(0, rc.done_efd);
	lone_setup(_metadata, &l, &h.v, &held_ops);
	ram = l.ram;
	ASSERT_EQ(0, virtio_start(&h.v));

	/* one writable buffer; the device takes it and holds it */
	put_le64(ram + DESC, BUF);
	put_le32(ram + DESC + 8, 64);
	put_le16(ram + DESC + 12, VRING_DESC_F_WRITE);
	put_le16(ram + AVAIL + 4, 0);
	put_le16(ram + AVAIL + 2, 1);
	wr(&l.bus, l.bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_TRUE(wait_efd(h.taken_efd));

	/* the reset waits as long as the chain is in use */
	rc.bus = &l.bus;
	rc.cc = l.bar + VIRTIO_COMMON_OFF;
	ASSERT_EQ(0, pthread_create(&t, NULL, reset_thread, &rc));
	ASSERT_TRUE(wait_resetting(&h.v));
	p.fd = rc.done_efd;
	p.events = POLLIN;
	EXPECT_EQ(0, poll(&p, 1, 200));
	ASSERT_EQ(sizeof(one), write(h.release_efd, &one, sizeof(one)));
	EXPECT_TRUE(wait_efd(rc.done_efd));
	pthread_join(t, NULL);
	/* done before the reset finished; its completion was dropped */
	EXPECT_EQ(0xaa, ram[BUF]);
	EXPECT_EQ(0, get_le16(ram + USED + 2));
	EXPECT_EQ(0, rd(&l.bus, rc.cc + 0x14, 1));

	lone_teardown(&l, &h.v);
	close(h.taken_efd);
	close(h.release_efd);
	close(rc.done_efd);
}

static int kicks_served;

static void count_kick(struct virtio_dev *v, unsigned int q)
{
	__atomic_add_fetch(&kicks_served, 1, __ATOMIC_RELEASE);
}

static const struct virtio_ops count_ops = {
	.name = "count",
	.device_id = 4,
	.class = 0xff0000,
	.nr_queues = 1,
	.cfg_read = held_cfg_read,
	.kick = count_kick,
};

/*
 * A kick already there when the device thread is told to stop is served
 * before it ends: the guest's last output before it powered off.
 */
TEST(kick_before_stop_is_served)
{
	struct virtio_dev v = {};
	uint64_t one = 1;
	struct lone l;

	lone_setup(_metadata, &l, &v, &count_ops);
	/* both the kick and the stop wait when the thread first looks */
	wr(&l.bus, l.bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_EQ(sizeof(one), write(v.stop_efd, &one, sizeof(one)));
	kicks_served = 0;
	ASSERT_EQ(0, virtio_start(&v));
	virtio_stop(&v);
	EXPECT_EQ(1, kicks_served);

	lone_teardown(&l, &v);
}

static int kicks_while_quiescing;

/*
 * Its quiesce kicks the queue and gives the device thread time to serve
 * the kick, as a doorbell or a tap's frame can come then.
 */
static void kick_quiesce(struct virtio_dev *v)
{
	int before = __atomic_load_n(&kicks_served, __ATOMIC_ACQUIRE);

	virtio_kick_queue(v, 0);
	usleep(100 * 1000);
	kicks_while_quiescing =
		__atomic_load_n(&kicks_served, __ATOMIC_ACQUIRE) - before;
}

static const struct virtio_ops quiesce_ops = {
	.name = "quiesce",
	.device_id = 4,
	.class = 0xff0000,
	.nr_queues = 1,
	.cfg_read = held_cfg_read,
	.kick = count_kick,
	.quiesce = kick_quiesce,
};

/*
 * From the driver's write of 0 to the end of the reset, device_status
 * still reads DRIVER_OK, but the device thread serves nothing: what
 * ops->quiesce() took back (virtio-net's offloads) stays taken back.
 */
TEST(nothing_served_while_the_device_quiesces)
{
	struct virtio_dev v = {};
	struct lone l;

	lone_setup(_metadata, &l, &v, &quiesce_ops);
	ASSERT_EQ(0, virtio_start(&v));
	/* the device serves kicks before the reset */
	__atomic_store_n(&kicks_served, 0, __ATOMIC_RELEASE);
	wr(&l.bus, l.bar + VIRTIO_NOTIFY_OFF, 0, 2);
	usleep(50 * 1000);
	EXPECT_EQ(1, __atomic_load_n(&kicks_served, __ATOMIC_ACQUIRE));
	kicks_while_quiescing = -1;
	wr(&l.bus, l.bar + VIRTIO_COMMON_OFF + 0x14, 0, 1);
	EXPECT_EQ(0, kicks_while_quiescing);
	EXPECT_EQ(0, rd(&l.bus, l.bar + VIRTIO_COMMON_OFF + 0x14, 1));

	lone_teardown(&l, &v);
}

TEST_HARNESS_MAIN
