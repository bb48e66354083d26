// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-net (userspace/hvx-run/virtio_net.c),
 * its mergeable receive buffers and its transmit bursts: a frame spread
 * over chains and handed back at once, one that waits for enough chains,
 * one longer than all the driver can post, a reset with a frame waiting;
 * a thousand transmit chains on one kick, and receiving while another
 * thread keeps the transmit queue full (virtio_net_fixture.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"

#include "virtio_net_fixture.h"

/* Receive chain @head: one buffer of @len bytes at BUF(@i). */
static void post_buf(uint8_t *ram, uint16_t *next, uint16_t head,
		     unsigned int i, uint32_t len)
{
	memset(ram + BUF(i), 0xcc, len);
	set_desc(ram, DESC(VNET_RXQ), head, BUF(i), len, VRING_DESC_F_WRITE,
		 0);
	vring_offer(ram, AVAIL(VNET_RXQ), QSIZE, next, head);
}

/* Used element @i of the receive queue: its head and length. */
static uint32_t rx_used_head(uint8_t *ram, unsigned int i)
{
	return get_le32(ram + USED(VNET_RXQ) + 4 + 8 * i);
}

static uint32_t rx_used_len(uint8_t *ram, unsigned int i)
{
	return get_le32(ram + USED(VNET_RXQ) + 8 + 8 * i);
}

/* A frame of @len bytes after the header, byte i of it (i & 0xff) ^ @x. */
static void send_pattern(struct __test_metadata *_metadata, int peer,
			 unsigned int len, uint8_t x)
{
	static uint8_t f[VNET_HDR_LEN + 4096];
	unsigned int i;

	memset(f, 0, VNET_HDR_LEN);
	for (i = 0; i < len; i++)
		f[VNET_HDR_LEN + i] = (i & 0xff) ^ x;
	ASSERT_EQ(VNET_HDR_LEN + len, send(peer, f, VNET_HDR_LEN + len, 0));
}

/*
 * With MRG_RXBUF a frame spreads over as many chains as it needs, in
 * order, the last one part filled; num_buffers in the first says how
 * many, and all of them come back at once.
 */
TEST_F(net, merged_frame_spans_chains)
{
	uint8_t *hdr = self->ram + BUF(0), *p;
	unsigned int i, off;

	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MRG_RXBUF));
	for (i = 0; i < 4; i++)
		post_buf(self->ram, &self->next[VNET_RXQ], i, i, 100);
	driver_kick(self->v, VNET_RXQ);
	send_pattern(_metadata, self->peer, 250, 0x5a);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 3));
	EXPECT_EQ(3, get_le16(hdr + VNET_HDR_NUM_BUFFERS));
	EXPECT_EQ(0, hdr[0]);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i, rx_used_head(self->ram, i));
		EXPECT_EQ(i < 2 ? 100 : VNET_HDR_LEN + 250 - 200,
			  rx_used_len(self->ram, i));
	}
	for (off = 0; off < 250; off++) {
		i = VNET_HDR_LEN + off;
		p = self->ram + BUF(i / 100) + i % 100;
		if (*p != ((off & 0xff) ^ 0x5a))
			break;
	}
	EXPECT_EQ(250, off);
	EXPECT_EQ(0xcc, self->ram[BUF(2) + 62]);
	/* the fourth chain takes the next frame */
	send_pattern(_metadata, self->peer, 20, 0);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 4));
	EXPECT_EQ(3, rx_used_head(self->ram, 3));
	EXPECT_EQ(VNET_HDR_LEN + 20, rx_used_len(self->ram, 3));
	EXPECT_EQ(1, get_le16(self->ram + BUF(3) + VNET_HDR_NUM_BUFFERS));
}

/* A failed tap read costs its frame alone, as without MRG_RXBUF. */
TEST_F(net, merged_failed_tap_read_drops_one_frame)
{
	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MRG_RXBUF));
	post_buf(self->ram, &self->next[VNET_RXQ], 0, 0, 100);
	tap.fail_reads = 1;
	driver_kick(self->v, VNET_RXQ);
	send_pattern(_metadata, self->peer, 20, 0x11);
	ASSERT_TRUE(wait_failed_reads_done());
	/* and the failed read completed nothing */
	usleep(50 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	send_pattern(_metadata, self->peer, 20, 0x22);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(VNET_HDR_LEN + 20, rx_used_len(self->ram, 0));
	EXPECT_EQ(0x22, self->ram[BUF(0) + VNET_HDR_LEN]);
}

/*
 * A frame that needs more chains than the driver posted waits for them,
 * and the chains it holds come back only with the rest.
 */
TEST_F(net, merged_frame_waits_for_enough_chains)
{
	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MRG_RXBUF));
	post_buf(self->ram, &self->next[VNET_RXQ], 0, 0, 100);
	driver_kick(self->v, VNET_RXQ);
	send_pattern(_metadata, self->peer, 250, 1);
	usleep(50 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	EXPECT_EQ(0xcc, self->ram[BUF(0)]);
	post_buf(self->ram, &self->next[VNET_RXQ], 1, 1, 100);
	driver_kick(self->v, VNET_RXQ);
	usleep(50 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	post_buf(self->ram, &self->next[VNET_RXQ], 2, 2, 1000);
	driver_kick(self->v, VNET_RXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 3));
	EXPECT_EQ(3, get_le16(self->ram + BUF(0) + VNET_HDR_NUM_BUFFERS));
	EXPECT_EQ(62, rx_used_len(self->ram, 2));
	EXPECT_EQ((249 & 0xff) ^ 1, self->ram[BUF(2) + 61]);
}

/*
 * A frame longer than every chain the queue can hold together is
 * dropped; the chains take the next frame.
 */
TEST_F(net, merged_frame_longer_than_the_queue_is_dropped)
{
	unsigned int i;

	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MRG_RXBUF));
	for (i = 0; i < QSIZE; i++)
		post_buf(self->ram, &self->next[VNET_RXQ], i, i, 16);
	driver_kick(self->v, VNET_RXQ);
	send_pattern(_metadata, self->peer, QSIZE * 16, 2);
	send_pattern(_metadata, self->peer, 40, 3);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 4));
	EXPECT_EQ(4, get_le16(self->ram + BUF(0) + VNET_HDR_NUM_BUFFERS));
	EXPECT_EQ(3, self->ram[BUF(0) + VNET_HDR_LEN]);
	EXPECT_EQ(4, rx_used_len(self->ram, 3));
	usleep(50 * 1000);
	EXPECT_EQ(4, used_idx(self->ram, VNET_RXQ));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * The same with chains of two descriptors (a header buffer and one for
 * the rest), half as many as the queue's size: the driver can post no
 * more, and the long frame is dropped.
 */
TEST_F(net, merged_frame_longer_than_two_descriptor_chains_is_dropped)
{
	unsigned int i;

	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MRG_RXBUF));
	for (i = 0; i < QSIZE / 2; i++)
		post_rx(self->ram, &self->next[VNET_RXQ], 2 * i, i, 16);
	driver_kick(self->v, VNET_RXQ);
	send_pattern(_metadata, self->peer, 300, 2);
	send_pattern(_metadata, self->peer, 20, 3);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 2));
	EXPECT_EQ(2, get_le16(self->ram + BUF(0) + VNET_HDR_NUM_BUFFERS));
	EXPECT_EQ(3, self->ram[BUF(0) + VNET_HDR_LEN]);
	EXPECT_EQ(VNET_HDR_LEN + 16, rx_used_len(self->ram, 0));
	EXPECT_EQ(4, rx_used_len(self->ram, 1));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/* The bytes of the datagram waiting in socket @fd, 0 for none, or -1. */
static int socket_bytes(int fd)
{
	int n;

	return ioctl(fd, FIONREAD, &n) ? -1 : n;
}

/*
 * A reset drops the frame that waited for chains, and the chains the
 * device held stay the old driver's.  The new driver negotiates
 * MRG_RXBUF too, so that a frame or a chain the reset left behind
 * would go to it.
 */
TEST_F(net, reset_drops_the_waiting_merged_frame)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];
	unsigned int ms;

	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MRG_RXBUF));
	post_buf(self->ram, &self->next[VNET_RXQ], 0, 0, 64);
	driver_kick(self->v, VNET_RXQ);
	send_pattern(_metadata, self->peer, 250, 4);
	/*
	 * The device thread read the frame to wait for chains (it sets
	 * frame_len under the lock the reset takes): the socket is empty.
	 * A fixed sleep let a late thread leave the frame there, for the
	 * new driver to get instead of the next one.
	 */
	for (ms = 0; ms < 5000 && socket_bytes(tap.fd); ms++)
		usleep(1000);
	ASSERT_EQ(0, socket_bytes(tap.fd));
	cc_write(self->v, CC_STATUS, 0, 1);
	EXPECT_EQ(0, dev_status(self->v));
	EXPECT_EQ(0xcc, self->ram[BUF(0)]);
	make_frame(frame, 0, 0x33);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	new_driver_gets_the_frame(_metadata, self, F(VIRTIO_NET_F_MRG_RXBUF),
				  0x33);
}

/* The transmit queue again: @size chains of one frame, at @desc. */
static void tx_queue_of(struct virtio_dev *v, uint8_t *ram, uint16_t size,
			uint64_t desc, uint64_t avail, uint64_t used)
{
	unsigned int i;

	cc_write(v, CC_STATUS, 0, 1);
	driver_features(v, F(VIRTIO_F_VERSION_1));
	driver_queue(v, VNET_RXQ, QSIZE, DESC(0), AVAIL(0), USED(0));
	driver_queue(v, VNET_TXQ, size, desc, avail, used);
	cc_write(v, CC_STATUS, 0x0f, 1);
	make_frame(ram + BUF(1), 0, 0x71);
	for (i = 0; i < size; i++)
		set_desc(ram, desc, i, BUF(1), VNET_HDR_LEN + FRAME_LEN, 0, 0);
}

/*
 * One kick of a thousand chains: the device sends them in bursts, and
 * comes back for the rest without another kick.
 */
TEST_F(net, transmit_bursts_serve_every_chain)
{
	uint16_t next = 0;
	unsigned int i;

	driver_init(self->v, self->ram, self->next, 0);
	tx_queue_of(self->v, self->ram, 1024, 0x80000, 0x84000, 0x86000);
	for (i = 0; i < 1000; i++)
		vring_offer(self->ram, 0x84000, 1024, &next, i);
	driver_kick(self->v, VNET_TXQ);
	EXPECT_TRUE(vring_wait_used(self->ram, 0x86000, 1000));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/* A transmitter that keeps the queue full, until told to stop. */
struct tx_flood {
	struct virtio_dev *v;
	uint8_t *ram;
	uint64_t desc, avail, used;
	uint16_t size, next;
	unsigned int rounds;
	bool stop;
};

static void *tx_flood(void *arg)
{
	struct tx_flood *f = arg;
	unsigned int offered = 0;
	uint16_t used, last = 0;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		used = __atomic_load_n((uint16_t *)(f->ram + f->used + 2),
				       __ATOMIC_ACQUIRE);
		/* chains come back in order: the next head is free again */
		while ((uint16_t)(f->next - used) < f->size) {
			vring_offer(f->ram, f->avail, f->size, &f->next,
				    f->next % f->size);
			offered++;
		}
		/*
		 * A kick is a system call, as long as the device's work on
		 * a frame: one per 256 chains keeps the queue full while
		 * the device works, and one when it stopped taking them
		 * (the used index stands still) wakes it.
		 */
		if (offered >= 256 || (offered && used == last)) {
			driver_kick(f->v, VNET_TXQ);
			f->rounds++;
			offered = 0;
		}
		last = used;
	}
	return NULL;
}

/*
 * A guest that transmits without pause still receives: the device
 * sends in bursts and serves the tap in between.
 */
TEST_F(net, transmitter_without_pause_does_not_stop_receiving)
{
	struct tx_flood f = {
		.v = self->v, .ram = self->ram, .size = 1024,
		.desc = 0x80000, .avail = 0x84000, .used = 0x86000,
	};
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];
	pthread_t t;
	unsigned int i;

	driver_init(self->v, self->ram, self->next, 0);
	tx_queue_of(self->v, self->ram, f.size, f.desc, f.avail, f.used);
	ASSERT_EQ(0, pthread_create(&t, NULL, tx_flood, &f));
	usleep(20 * 1000);
	/*
	 * Frames one after the other, each within 5 s.  Without the
	 * bursts, the device thread serves the tap only when it happens to
	 * empty the queue before the transmitter fills it again, which it
	 * does now and then: this test then fails in about half its runs.
	 */
	for (i = 0; i < 30; i++) {
		post_rx(self->ram, &self->next[VNET_RXQ], 2 * i % QSIZE,
			2 + i % 8, 1514);
		driver_kick(self->v, VNET_RXQ);
		make_frame(frame, 0, 0x50 + i);
		ASSERT_EQ(sizeof(frame), send(self->peer, frame,
					      sizeof(frame), 0));
		if (!wait_used(self->ram, VNET_RXQ, i + 1))
			break;
		EXPECT_EQ(0x50 + i, self->ram[BUF(2 + i % 8) + VNET_HDR_LEN]);
	}
	__atomic_store_n(&f.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_EQ(30, i);
	TH_LOG("%u rounds of the transmitter", f.rounds);
}

TEST_HARNESS_MAIN
