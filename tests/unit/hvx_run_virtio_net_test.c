// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-net (userspace/hvx-run/virtio_net.c
 * and virtio_net_tap.c) with split rings built by hand in a fake guest
 * RAM and a datagram socket pair in place of the tap: -n's argument,
 * the offered features and the configuration, frames both ways with
 * their virtio-net header, a frame waiting for a receive buffer, the
 * tap's offloads following the driver's features, chains that set
 * NEEDS_RESET, and a reset that drops the receive chain the device held.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "virtio_net_fixture.h"

TEST(parse_tap_and_mac)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	static const uint8_t dflt[6] = { 0x02, 0x68, 0x76, 0x78, 0x00, 0x01 };
	struct vnet_spec s;
	char err[160];

	ASSERT_EQ(0, vnet_parse("tap=hvxtap0", &s, err, sizeof(err)));
	EXPECT_STREQ("hvxtap0", s.ifname);
	EXPECT_EQ(0, memcmp(dflt, s.mac, 6));
	ASSERT_EQ(0, vnet_parse("tap=t1,mac=52:54:00:AB:cd:ef", &s, err,
				sizeof(err)));
	EXPECT_STREQ("t1", s.ifname);
	EXPECT_EQ(0, memcmp(mac, s.mac, 6));
	ASSERT_EQ(0, vnet_parse("mac=52:54:00:ab:cd:ef,tap=t2", &s, err,
				sizeof(err)));
	EXPECT_STREQ("t2", s.ifname);
}

TEST(parse_refuses_bad_arguments)
{
	static const char *const bad[] = {
		"", "mac=52:54:00:ab:cd:ef", "tap=", "tap=0123456789abcdef",
		"tap=a/b", "tap=t,mac=52:54:00:ab:cd", "tap=t,mac=52:54:00:ab:cd:ef:01",
		"tap=t,mac=5:54:00:ab:cd:ef", "tap=t,mac=52-54-00-ab-cd-ef",
		"tap=t,mac=01:00:5e:00:00:01", "tap=t,mac=52:54:00:ab:cd:eg",
		"tap=t,vhost=on", "tap=t,mac=+2:54:00:ab:cd:ef",
		"tap=t,mac=00:00:00:00:00:00", "tap=tap%d",
	};
	struct vnet_spec s;
	char err[160];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		EXPECT_EQ(-1, vnet_parse(bad[i], &s, err, sizeof(err)))
			TH_LOG("accepted '%s'", bad[i]);
		EXPECT_NE(0, err[0]);
	}
}

TEST(offloads_follow_the_guest_features)
{
	EXPECT_EQ(0, vnet_tun_offloads(0));
	/* TSO without the checksum offload means nothing to the tap */
	EXPECT_EQ(0, vnet_tun_offloads(F(VIRTIO_NET_F_GUEST_TSO4)));
	EXPECT_EQ(TUN_F_CSUM, vnet_tun_offloads(F(VIRTIO_NET_F_GUEST_CSUM) |
						F(VIRTIO_NET_F_GUEST_ECN)));
	EXPECT_EQ(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
		  vnet_tun_offloads(F(VIRTIO_NET_F_GUEST_CSUM) |
				    F(VIRTIO_NET_F_GUEST_TSO4) |
				    F(VIRTIO_NET_F_GUEST_TSO6) |
				    F(VIRTIO_NET_F_GUEST_ECN)));
	/* the host side's offloads are not the tap's business */
	EXPECT_EQ(0, vnet_tun_offloads(F(VIRTIO_NET_F_CSUM) |
				       F(VIRTIO_NET_F_HOST_TSO4)));
}

TEST_F(net, features_and_config)
{
	uint8_t mac[6], status[2];
	uint32_t df;

	cc_write(self->v, 0x00, 0, 4);	/* device_feature_select */
	virtio_bar_read(self->v, VIRTIO_BAR, VIRTIO_COMMON_OFF + 0x04, &df, 4);
	EXPECT_EQ(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
		  F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) |
		  F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
		  F(VIRTIO_NET_F_GUEST_ECN) | F(VIRTIO_NET_F_HOST_TSO4) |
		  F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_HOST_ECN) |
		  F(VIRTIO_NET_F_MRG_RXBUF) |
		  F(VIRTIO_F_INDIRECT_DESC) | F(VIRTIO_F_EVENT_IDX), df);
	/* the device tried every flag, then took them back */
	EXPECT_EQ(2, tap.calls);
	EXPECT_EQ(0, tap.flags);
	virtio_bar_read(self->v, VIRTIO_BAR, VIRTIO_DEVCFG_OFF, mac, 6);
	EXPECT_EQ(0, memcmp("\x02\x11\x22\x33\x44\x55", mac, 6));
	virtio_bar_read(self->v, VIRTIO_BAR, VIRTIO_DEVCFG_OFF + 6, status, 2);
	EXPECT_EQ(VIRTIO_NET_S_LINK_UP, get_le16(status));
	/* features it does not offer (CTRL_VQ): no FEATURES_OK */
	driver_features(self->v, F(VIRTIO_F_VERSION_1) | F(17));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_FEATURES_OK);
}

/* Is FEATURES_OK taken for @features, after a reset? */
static bool features_taken(struct virtio_dev *v, uint64_t features)
{
	cc_write(v, CC_STATUS, 0, 1);
	driver_features(v, F(VIRTIO_F_VERSION_1) | features);
	return dev_status(v) & VIRTIO_STATUS_FEATURES_OK;
}

/*
 * Offloads without what they depend on (virtio 1.2, 5.1.3.1) are
 * refused; each with its dependency is taken.
 */
TEST_F(net, offload_dependencies_checked_at_features_ok)
{
	const uint64_t csum = F(VIRTIO_NET_F_CSUM);
	const uint64_t gcsum = F(VIRTIO_NET_F_GUEST_CSUM);

	EXPECT_FALSE(features_taken(self->v, F(VIRTIO_NET_F_GUEST_TSO4)));
	EXPECT_FALSE(features_taken(self->v, F(VIRTIO_NET_F_GUEST_TSO6)));
	EXPECT_FALSE(features_taken(self->v,
				    gcsum | F(VIRTIO_NET_F_GUEST_ECN)));
	EXPECT_FALSE(features_taken(self->v, F(VIRTIO_NET_F_HOST_TSO4)));
	EXPECT_FALSE(features_taken(self->v, F(VIRTIO_NET_F_HOST_TSO6)));
	EXPECT_FALSE(features_taken(self->v, csum | F(VIRTIO_NET_F_HOST_ECN)));
	EXPECT_TRUE(features_taken(self->v, gcsum |
				   F(VIRTIO_NET_F_GUEST_TSO4) |
				   F(VIRTIO_NET_F_GUEST_ECN)));
	EXPECT_TRUE(features_taken(self->v, gcsum |
				   F(VIRTIO_NET_F_GUEST_TSO6)));
	EXPECT_TRUE(features_taken(self->v, csum | F(VIRTIO_NET_F_HOST_TSO6) |
				   F(VIRTIO_NET_F_HOST_ECN)));
	EXPECT_TRUE(features_taken(self->v, csum | F(VIRTIO_NET_F_HOST_TSO4)));
	EXPECT_TRUE(features_taken(self->v, csum | gcsum));
}

TEST(no_offloads_when_the_tap_refuses_them)
{
	struct vq_mem mem;
	struct virtio_dev *v;
	uint32_t df;
	int sv[2];
	uint8_t *ram = calloc(1, RAM_SIZE);

	ASSERT_NE(NULL, ram);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	memset(&tap, 0, sizeof(tap));
	tap.refuse = true;
	mem.base = ram;
	mem.size = RAM_SIZE;
	v = virtio_net_create_fd(sv[0], (const uint8_t *)"\x02\0\0\0\0\1",
				 fake_offload, &mem, no_doorbell, NULL);
	ASSERT_NE(NULL, v);
	cc_write(v, 0x00, 0, 4);
	virtio_bar_read(v, VIRTIO_BAR, VIRTIO_COMMON_OFF + 0x04, &df, 4);
	EXPECT_EQ(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
		  F(VIRTIO_NET_F_MRG_RXBUF) |
		  F(VIRTIO_F_INDIRECT_DESC) | F(VIRTIO_F_EVENT_IDX), df);
	virtio_net_free(v);
	close(sv[1]);
	free(ram);
}

TEST_F(net, receive_a_frame)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];
	uint8_t *hdr = self->ram + BUF(0);

	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_MAC));
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	make_frame(frame, 2, 0x5a);	/* DATA_VALID, which the tap sets */
	put_le16(frame + VNET_HDR_NUM_BUFFERS, 7);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(0, get_le32(self->ram + USED(VNET_RXQ) + 4));
	EXPECT_EQ(sizeof(frame), get_le32(self->ram + USED(VNET_RXQ) + 8));
	/* the header as the tap gave it, but one buffer, and no flags */
	EXPECT_EQ(0, hdr[0]);	/* without GUEST_CSUM */
	EXPECT_EQ(0, memcmp(frame + 1, hdr + 1, VNET_HDR_NUM_BUFFERS - 1));
	EXPECT_EQ(1, get_le16(hdr + VNET_HDR_NUM_BUFFERS));
	EXPECT_EQ(0, memcmp(frame + VNET_HDR_LEN, hdr + VNET_HDR_LEN,
			    FRAME_LEN));
	EXPECT_EQ(0xcc, hdr[VNET_HDR_LEN + FRAME_LEN]);
	/* without the driver's GUEST_CSUM the tap hands over no offloads */
	EXPECT_EQ(0, tap.flags);
}

/*
 * A frame longer than its receive chain is dropped, not delivered cut
 * short; the chain takes the next frame that fits.
 */
TEST_F(net, frame_too_big_for_its_buffers_is_dropped)
{
	uint8_t big[VNET_HDR_LEN + 200], small[VNET_HDR_LEN + 100];

	driver_init(self->v, self->ram, self->next, 0);
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 100);
	driver_kick(self->v, VNET_RXQ);
	memset(big, 0xb1, sizeof(big));
	memset(big, 0, VNET_HDR_LEN);
	ASSERT_EQ(sizeof(big), send(self->peer, big, sizeof(big), 0));
	memset(small, 0x51, sizeof(small));
	memset(small, 0, VNET_HDR_LEN);
	ASSERT_EQ(sizeof(small), send(self->peer, small, sizeof(small), 0));
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(sizeof(small), get_le32(self->ram + USED(VNET_RXQ) + 8));
	EXPECT_EQ(0x51, self->ram[BUF(0) + VNET_HDR_LEN]);
	EXPECT_EQ(0x51, self->ram[BUF(0) + VNET_HDR_LEN + 99]);
	usleep(50 * 1000);
	EXPECT_EQ(1, used_idx(self->ram, VNET_RXQ));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * A tap read that fails (the tap dropped the frame it could not hand
 * over) costs that frame alone: the chain takes the next one, with no
 * kick from the driver in between.
 */
TEST_F(net, failed_tap_read_drops_one_frame)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];

	driver_init(self->v, self->ram, self->next, 0);
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	tap.fail_reads = 1;
	driver_kick(self->v, VNET_RXQ);
	make_frame(frame, 0, 0x61);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	ASSERT_TRUE(wait_failed_reads_done());
	/* and the failed read completed nothing */
	usleep(50 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	make_frame(frame, 0, 0x62);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(0x62, self->ram[BUF(0) + VNET_HDR_LEN]);
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

TEST_F(net, frame_waits_for_a_buffer)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];
	unsigned int i;

	driver_init(self->v, self->ram, self->next, 0);
	for (i = 0; i < 3; i++) {
		make_frame(frame, 0, 0x10 + i);
		ASSERT_EQ(sizeof(frame), send(self->peer, frame,
					      sizeof(frame), 0));
	}
	usleep(50 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	/* two buffers: two frames, in order; the third waits */
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	post_rx(self->ram, &self->next[VNET_RXQ], 2, 1, 1514);
	driver_kick(self->v, VNET_RXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 2));
	EXPECT_EQ(0x10, self->ram[BUF(0) + VNET_HDR_LEN]);
	EXPECT_EQ(0x11, self->ram[BUF(1) + VNET_HDR_LEN]);
	usleep(50 * 1000);
	EXPECT_EQ(2, used_idx(self->ram, VNET_RXQ));
	post_rx(self->ram, &self->next[VNET_RXQ], 4, 2, 1514);
	driver_kick(self->v, VNET_RXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 3));
	EXPECT_EQ(0x12, self->ram[BUF(2) + VNET_HDR_LEN]);
	EXPECT_EQ(4, get_le32(self->ram + USED(VNET_RXQ) + 4 + 8 * 2));
}

TEST_F(net, transmit_a_frame)
{
	uint8_t got[256], *p = self->ram + BUF(0);
	ssize_t n;

	driver_init(self->v, self->ram, self->next,
		    F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4));
	/* header and the first bytes in one buffer, the rest in another */
	make_frame(p, 1, 0x77);
	set_desc(self->ram, DESC(VNET_TXQ), 3, BUF(0), VNET_HDR_LEN + 20,
		 VRING_DESC_F_NEXT, 4);
	set_desc(self->ram, DESC(VNET_TXQ), 4, BUF(0) + VNET_HDR_LEN + 20,
		 FRAME_LEN - 20, 0, 0);
	vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE,
		    &self->next[VNET_TXQ], 3);
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_TXQ, 1));
	EXPECT_EQ(3, get_le32(self->ram + USED(VNET_TXQ) + 4));
	EXPECT_EQ(0, get_le32(self->ram + USED(VNET_TXQ) + 8));
	n = recv(self->peer, got, sizeof(got), MSG_DONTWAIT);
	ASSERT_EQ(VNET_HDR_LEN + FRAME_LEN, n);
	/* the header reaches the tap as the driver wrote it */
	EXPECT_EQ(0, memcmp(p, got, n));
	EXPECT_EQ(-1, recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
}

static char said[512];

static void keep_lines(void *ctx, const char *buf, size_t len)
{
	size_t have = strlen(said);

	if (len >= sizeof(said) - have)
		len = sizeof(said) - have - 1;
	memcpy(said + have, buf, len);
	said[have + len] = 0;
}

/* One transmit frame, in chain @i; completed, whatever the tap said. */
static void transmit_one(struct __test_metadata *_metadata,
			 FIXTURE_DATA(net) *self, unsigned int i)
{
	make_frame(self->ram + BUF(i), 0, 0x30 + i);
	set_desc(self->ram, DESC(VNET_TXQ), i, BUF(i),
		 VNET_HDR_LEN + FRAME_LEN, 0, 0);
	vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE,
		    &self->next[VNET_TXQ], i);
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_TXQ, i + 1));
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

/*
 * Failed tap writes: a tap that is down (EIO) is said once, and again
 * when it is up; any other error once per errno, however many frames
 * the guest sends that fail with it.  Every frame completes.
 */
TEST_F(net, tap_write_errors_said_once_each)
{
	char got[256];

	driver_init(self->v, self->ram, self->next, 0);
	memset(said, 0, sizeof(said));
	msg_set_output(keep_lines, NULL);
	tap.write_errno = EIO;
	transmit_one(_metadata, self, 0);
	transmit_one(_metadata, self, 1);
	tap.write_errno = EINVAL;
	transmit_one(_metadata, self, 2);
	transmit_one(_metadata, self, 3);
	tap.write_errno = 0;
	transmit_one(_metadata, self, 4);
	transmit_one(_metadata, self, 5);
	tap.write_errno = EINVAL;
	transmit_one(_metadata, self, 6);
	tap.write_errno = EIO;
	transmit_one(_metadata, self, 7);
	msg_set_output(NULL, NULL);
	EXPECT_EQ(2, count(said, "the tap is down"));
	EXPECT_EQ(1, count(said, "the tap is up"));
	EXPECT_EQ(1, count(said, strerror(EINVAL)));
	/* the two that went through reached the tap */
	EXPECT_EQ(VNET_HDR_LEN + FRAME_LEN,
		  recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(0x34, (uint8_t)got[VNET_HDR_LEN + FRAME_LEN - 1]);
	EXPECT_EQ(VNET_HDR_LEN + FRAME_LEN,
		  recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
}

/* A header asking for offloads the driver did not negotiate: dropped. */
TEST_F(net, transmit_header_needs_negotiated_offloads)
{
	uint8_t got[256], *p = self->ram + BUF(0);
	unsigned int i;
	ssize_t n;

	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_CSUM));
	for (i = 0; i < 3; i++) {
		/* a partial checksum (CSUM), TSO4 (not negotiated), none */
		make_frame(p + 256 * i, i == 2 ? 0 : VNET_HDR_F_NEEDS_CSUM,
			   0x30 + i);
		p[256 * i + 1] = i == 1 ? VNET_HDR_GSO_TCPV4 : 0;
		set_desc(self->ram, DESC(VNET_TXQ), i, BUF(0) + 256 * i,
			 VNET_HDR_LEN + FRAME_LEN, 0, 0);
		vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE,
			    &self->next[VNET_TXQ], i);
	}
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_TXQ, 3));
	n = recv(self->peer, got, sizeof(got), MSG_DONTWAIT);
	ASSERT_EQ(VNET_HDR_LEN + FRAME_LEN, n);
	EXPECT_EQ(0x30, got[VNET_HDR_LEN]);
	n = recv(self->peer, got, sizeof(got), MSG_DONTWAIT);
	ASSERT_EQ(VNET_HDR_LEN + FRAME_LEN, n);
	EXPECT_EQ(0x32, got[VNET_HDR_LEN]);
	EXPECT_EQ(-1, recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * A frame over 64 KiB and its headers' 4 KiB is dropped (its chain
 * completes); one of exactly that size goes out.
 */
TEST_F(net, transmit_frame_too_big_dropped)
{
	static uint8_t got[VNET_HDR_LEN + 65536 + 4096 + 1];
	int sz = 4 * sizeof(got);
	uint8_t *p = self->ram + BUF(0);
	unsigned int i;
	ssize_t n;

	ASSERT_EQ(0, setsockopt(self->peer, SOL_SOCKET, SO_RCVBUF, &sz,
				sizeof(sz)));
	driver_init(self->v, self->ram, self->next, 0);
	make_frame(p, 0, 0x44);
	for (i = 0; i < 2; i++) {
		set_desc(self->ram, DESC(VNET_TXQ), i, BUF(0),
			 VNET_HDR_LEN + 65536 + 4096 + !i, 0, 0);
		vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE,
			    &self->next[VNET_TXQ], i);
	}
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_TXQ, 2));
	n = recv(self->peer, got, sizeof(got), MSG_DONTWAIT);
	EXPECT_EQ(VNET_HDR_LEN + 65536 + 4096, n);
	EXPECT_EQ(-1, recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/* What each feature lets a transmit header ask for. */
TEST(transmit_header_rules)
{
	const uint64_t csum = F(VIRTIO_NET_F_CSUM),
		       tso4 = F(VIRTIO_NET_F_HOST_TSO4),
		       tso6 = F(VIRTIO_NET_F_HOST_TSO6),
		       ecn = F(VIRTIO_NET_F_HOST_ECN);
	uint8_t h[VNET_HDR_LEN] = { 0 };

	EXPECT_TRUE(vnet_tx_hdr_allowed(h, 0));
	h[0] = VNET_HDR_F_NEEDS_CSUM;
	EXPECT_FALSE(vnet_tx_hdr_allowed(h, tso4 | tso6 | ecn));
	EXPECT_TRUE(vnet_tx_hdr_allowed(h, csum));
	h[0] = 2;	/* DATA_VALID: not the driver's, ignored (cleared) */
	EXPECT_TRUE(vnet_tx_hdr_allowed(h, 0));
	h[0] = VNET_HDR_F_NEEDS_CSUM;
	h[1] = VNET_HDR_GSO_TCPV4;
	EXPECT_FALSE(vnet_tx_hdr_allowed(h, csum | tso6));
	EXPECT_TRUE(vnet_tx_hdr_allowed(h, csum | tso4));
	h[1] = VNET_HDR_GSO_TCPV6;
	EXPECT_FALSE(vnet_tx_hdr_allowed(h, csum | tso4));
	EXPECT_TRUE(vnet_tx_hdr_allowed(h, csum | tso6));
	h[1] = VNET_HDR_GSO_TCPV6 | VNET_HDR_GSO_ECN;
	EXPECT_FALSE(vnet_tx_hdr_allowed(h, csum | tso6));
	EXPECT_TRUE(vnet_tx_hdr_allowed(h, csum | tso6 | ecn));
	h[1] = VNET_HDR_GSO_ECN;			/* ECN, no GSO */
	EXPECT_FALSE(vnet_tx_hdr_allowed(h, ~0ULL));
	h[1] = 3;					/* UDP, never offered */
	EXPECT_FALSE(vnet_tx_hdr_allowed(h, ~0ULL));
}

/*
 * A received header says only what the driver negotiated: no flags
 * without GUEST_CSUM, no segmentation it did not take (dropped).
 */
TEST(receive_header_rules)
{
	const uint64_t csum = F(VIRTIO_NET_F_GUEST_CSUM),
		       tso4 = F(VIRTIO_NET_F_GUEST_TSO4),
		       tso6 = F(VIRTIO_NET_F_GUEST_TSO6),
		       ecn = F(VIRTIO_NET_F_GUEST_ECN);
	uint8_t h[VNET_HDR_LEN] = { 2 };	/* DATA_VALID */

	EXPECT_TRUE(vnet_rx_hdr_fix(h, 0));
	EXPECT_EQ(0, h[0]);
	h[0] = 2;
	EXPECT_TRUE(vnet_rx_hdr_fix(h, csum));
	EXPECT_EQ(2, h[0]);
	h[0] = VNET_HDR_F_NEEDS_CSUM;	/* a partial checksum */
	EXPECT_FALSE(vnet_rx_hdr_fix(h, tso4 | tso6 | ecn));
	EXPECT_TRUE(vnet_rx_hdr_fix(h, csum));
	h[0] = VNET_HDR_F_NEEDS_CSUM;
	h[1] = VNET_HDR_GSO_TCPV4;
	EXPECT_FALSE(vnet_rx_hdr_fix(h, csum | tso6));
	EXPECT_TRUE(vnet_rx_hdr_fix(h, csum | tso4));
	EXPECT_EQ(VNET_HDR_F_NEEDS_CSUM, h[0]);
	h[1] = VNET_HDR_GSO_TCPV6 | VNET_HDR_GSO_ECN;
	EXPECT_FALSE(vnet_rx_hdr_fix(h, csum | tso6));
	EXPECT_TRUE(vnet_rx_hdr_fix(h, csum | tso6 | ecn));
	h[1] = 3;					/* UDP, never offered */
	EXPECT_FALSE(vnet_rx_hdr_fix(h, ~0ULL));
}

/*
 * A segmented frame the driver did not negotiate (queued in the tap
 * before it negotiated again) is dropped; its chain takes the next.
 */
TEST_F(net, unnegotiated_segmented_frame_is_dropped)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];

	driver_init(self->v, self->ram, self->next, 0);
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	make_frame(frame, VNET_HDR_F_NEEDS_CSUM, 0x44);
	frame[1] = VNET_HDR_GSO_TCPV4;
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	make_frame(frame, 0, 0x55);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(0x55, self->ram[BUF(0) + VNET_HDR_LEN]);
	EXPECT_EQ(0, self->ram[BUF(0) + 1]);
	usleep(50 * 1000);
	EXPECT_EQ(1, used_idx(self->ram, VNET_RXQ));
}

/* A transmit header's flags other than NEEDS_CSUM do not reach the tap. */
TEST_F(net, transmit_flags_it_does_not_know_are_ignored)
{
	uint8_t got[256], *p = self->ram + BUF(0);
	ssize_t n;

	driver_init(self->v, self->ram, self->next, 0);
	make_frame(p, 0x82, 0x66);	/* DATA_VALID and an unknown bit */
	set_desc(self->ram, DESC(VNET_TXQ), 0, BUF(0),
		 VNET_HDR_LEN + FRAME_LEN, 0, 0);
	vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE, &self->next[VNET_TXQ],
		    0);
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_TXQ, 1));
	n = recv(self->peer, got, sizeof(got), MSG_DONTWAIT);
	ASSERT_EQ(VNET_HDR_LEN + FRAME_LEN, n);
	EXPECT_EQ(0, got[0]);
	EXPECT_EQ(0x66, got[VNET_HDR_LEN]);
}

TEST_F(net, offloads_set_then_taken_back_at_reset)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];

	driver_init(self->v, self->ram, self->next,
		    F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4));
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	make_frame(frame, 0, 1);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(TUN_F_CSUM | TUN_F_TSO4, tap.flags);
	cc_write(self->v, CC_STATUS, 0, 1);
	EXPECT_EQ(0, dev_status(self->v));
	EXPECT_EQ(0, tap.flags);
	/* the next driver's features, not the last one's */
	driver_init(self->v, self->ram, self->next, F(VIRTIO_NET_F_GUEST_CSUM));
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(TUN_F_CSUM, tap.flags);
}

TEST_F(net, malformed_transmit_chain_needs_reset)
{
	driver_init(self->v, self->ram, self->next, 0);
	/* a loop */
	set_desc(self->ram, DESC(VNET_TXQ), 0, BUF(0), 64, VRING_DESC_F_NEXT,
		 1);
	set_desc(self->ram, DESC(VNET_TXQ), 1, BUF(0), 64, VRING_DESC_F_NEXT,
		 0);
	vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE,
		    &self->next[VNET_TXQ], 0);
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_status(self->v, VIRTIO_STATUS_NEEDS_RESET));
	EXPECT_EQ(0, used_idx(self->ram, VNET_TXQ));
}

TEST_F(net, transmit_chain_without_a_header_needs_reset)
{
	uint8_t got[VNET_HDR_LEN + FRAME_LEN];

	driver_init(self->v, self->ram, self->next, 0);
	/* a receive buffer waits for a frame */
	post_rx(self->ram, &self->next[VNET_RXQ], 2, 1, 1514);
	driver_kick(self->v, VNET_RXQ);
	usleep(20 * 1000);
	set_desc(self->ram, DESC(VNET_TXQ), 0, BUF(0), VNET_HDR_LEN - 1, 0, 0);
	vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE,
		    &self->next[VNET_TXQ], 0);
	driver_kick(self->v, VNET_TXQ);
	ASSERT_TRUE(wait_status(self->v, VIRTIO_STATUS_NEEDS_RESET));
	EXPECT_EQ(-1, recv(self->peer, got, sizeof(got), MSG_DONTWAIT));
	/* and it takes no frame until the driver resets it */
	make_frame(got, 0, 4);
	ASSERT_EQ(VNET_HDR_LEN + FRAME_LEN,
		  send(self->peer, got, VNET_HDR_LEN + FRAME_LEN, 0));
	usleep(50 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
}

TEST_F(net, receive_chain_too_small_or_readable_needs_reset)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		driver_init(self->v, self->ram, self->next, 0);
		EXPECT_EQ(0x0f, dev_status(self->v));
		if (i)	/* readable */
			set_desc(self->ram, DESC(VNET_RXQ), 0, BUF(0), 1514, 0,
				 0);
		else	/* no room for the header */
			set_desc(self->ram, DESC(VNET_RXQ), 0, BUF(0),
				 VNET_HDR_LEN - 2, VRING_DESC_F_WRITE, 0);
		memset(self->ram + BUF(0), 0xcc, 64);
		vring_offer(self->ram, AVAIL(VNET_RXQ), QSIZE,
			    &self->next[VNET_RXQ], 0);
		driver_kick(self->v, VNET_RXQ);
		make_frame(frame, 0, 2);
		ASSERT_EQ(sizeof(frame), send(self->peer, frame,
					      sizeof(frame), 0));
		ASSERT_TRUE(wait_status(self->v, VIRTIO_STATUS_NEEDS_RESET));
		usleep(20 * 1000);
		EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
		EXPECT_EQ(0xcc, self->ram[BUF(0)]);
		cc_write(self->v, CC_STATUS, 0, 1);
		EXPECT_EQ(0, dev_status(self->v));
		/* the frame stays in the socket for the next driver */
	}
}

TEST_F(net, reset_drops_the_held_receive_chain)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];

	driver_init(self->v, self->ram, self->next, 0);
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	/* the device took the chain, no frame yet: the reset finds it held */
	ASSERT_TRUE(wait_rx_in_flight(self->v, 1));
	cc_write(self->v, CC_STATUS, 0, 1);
	EXPECT_EQ(0, dev_status(self->v));
	make_frame(frame, 0, 0x33);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	usleep(50 * 1000);
	/* the old chain's memory stays the driver's */
	EXPECT_EQ(0xcc, self->ram[BUF(0)]);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));

	new_driver_gets_the_frame(_metadata, self, 0, 0x33);
}

/*
 * Bus mastering off: a frame from the tap does not go into the receive
 * chain the device holds, nor once the bit is set again (the device
 * needs a reset); the driver that sets the device up anew gets it.
 */
TEST_F(net, bus_master_off_holds_frames)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];

	driver_init(self->v, self->ram, self->next, 0);
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	/* the device took the chain, no frame yet: it holds one to fill */
	ASSERT_TRUE(wait_rx_in_flight(self->v, 1));
	driver_bus_master(self->v, false);
	make_frame(frame, 0, 0x33);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	usleep(50 * 1000);
	EXPECT_EQ(0xcc, self->ram[BUF(0)]);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	driver_bus_master(self->v, true);
	driver_kick(self->v, VNET_RXQ);
	usleep(50 * 1000);
	EXPECT_EQ(0xcc, self->ram[BUF(0)]);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	EXPECT_NE(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);

	cc_write(self->v, CC_STATUS, 0, 1);
	new_driver_gets_the_frame(_metadata, self, 0, 0x33);
}

/* An experimental EtherType, so that the tap's own traffic is told apart */
#define TEST_ETHERTYPE	0x88b5

/* The tap up, without IPv6 (its router solicitations), or -1. */
static int link_up(const char *ifname)
{
	struct ifreq ifr;
	char path[96];
	int s, r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!r)
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return r;
}

/* A packet socket on the tap for TEST_ETHERTYPE, or -1. */
static int packet_socket(const char *ifname)
{
	struct sockaddr_ll sll;
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
		       htons(TEST_ETHERTYPE));

	if (s < 0)
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(TEST_ETHERTYPE);
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		close(s);
		return -1;
	}
	return s;
}

/* A frame the tap received from the device, not one sent on it. */
static ssize_t packet_recv(int s, uint8_t *buf, size_t len)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	struct sockaddr_ll from;
	socklen_t flen;
	ssize_t n;

	while (poll(&pfd, 1, 5000) == 1) {
		flen = sizeof(from);
		n = recvfrom(s, buf, len, 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return -1;
		if (from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
	return -1;
}

static void make_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src,
		     uint8_t fill)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = TEST_ETHERTYPE >> 8;
	p[13] = TEST_ETHERTYPE & 0xff;
	memset(p + 14, fill, FRAME_LEN - 14);
}

TEST_F(net, real_tap)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t got[256], frame[FRAME_LEN], *p = self->ram + BUF(0);
	struct virtio_dev *v;
	struct vnet_spec spec;
	struct vq_mem mem = { .base = self->ram, .size = RAM_SIZE };
	char arg[32], err[160];
	unsigned int i;
	uint32_t df;
	uint16_t n;
	int ps;

	if (geteuid() || access("/dev/net/tun", R_OK | W_OK))
		SKIP(return, "no root or no /dev/net/tun: no tap");
	snprintf(arg, sizeof(arg), "tap=hvxut%u", (unsigned int)getpid() % 100000);
	ASSERT_EQ(0, vnet_parse(arg, &spec, err, sizeof(err)));
	v = virtio_net_create(&spec, &mem, no_doorbell, NULL);
	if (!v)
		SKIP(return, "cannot make tap %s here", spec.ifname);
	/* the fixture's device goes; this one takes its place */
	virtio_stop(self->v);
	virtio_net_free(self->v);
	self->v = v;
	ASSERT_EQ(0, virtio_start(v));
	cc_write(v, 0x00, 0, 4);
	virtio_bar_read(v, VIRTIO_BAR, VIRTIO_COMMON_OFF + 0x04, &df, 4);
	EXPECT_TRUE(df & F(VIRTIO_NET_F_GUEST_TSO4));
	EXPECT_TRUE(df & F(VIRTIO_NET_F_HOST_TSO4));
	ASSERT_EQ(0, link_up(spec.ifname));
	ps = packet_socket(spec.ifname);
	ASSERT_LE(0, ps);
	driver_init(v, self->ram, self->next, F(VIRTIO_NET_F_GUEST_CSUM));

	/* out: header, then a broadcast frame, as the guest sends it */
	memset(p, 0, VNET_HDR_LEN);
	make_eth(p + VNET_HDR_LEN, bcast, spec.mac, 0x6b);
	set_desc(self->ram, DESC(VNET_TXQ), 0, BUF(0), VNET_HDR_LEN + FRAME_LEN,
		 0, 0);
	vring_offer(self->ram, AVAIL(VNET_TXQ), QSIZE, &self->next[VNET_TXQ],
		    0);
	driver_kick(v, VNET_TXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_TXQ, 1));
	ASSERT_EQ(FRAME_LEN, packet_recv(ps, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(p + VNET_HDR_LEN, got, FRAME_LEN));

	/* in: a frame sent on the tap lands in a receive chain */
	for (i = 0; i < 8; i++)
		post_rx(self->ram, &self->next[VNET_RXQ], 2 * i, 1 + i, 1514);
	driver_kick(v, VNET_RXQ);
	make_eth(frame, spec.mac, (const uint8_t *)"\x02\0\0\0\0\x09", 0x3c);
	ASSERT_EQ(FRAME_LEN, send(ps, frame, FRAME_LEN, 0));
	/* the first of our EtherType: the kernel may send its own first */
	for (i = 0; i < 8; i++) {
		if (!wait_used(self->ram, VNET_RXQ, i + 1))
			break;
		p = self->ram + BUF(1 + i);
		if (get_le16(self->ram + USED(VNET_RXQ) + 8 + 8 * i) ==
		    VNET_HDR_LEN + FRAME_LEN &&
		    !memcmp(frame, p + VNET_HDR_LEN, FRAME_LEN))
			break;
	}
	ASSERT_GT(8, i);
	/* a plain frame: no flags, no GSO, one buffer */
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, p[1]);
	n = get_le16(p + VNET_HDR_NUM_BUFFERS);
	EXPECT_EQ(1, n);

	/*
	 * A frame longer than the chain: the tap cuts it to what fits and
	 * says so in the length; nothing is written past the chain, and the
	 * next frame takes the next chain.
	 */
	cc_write(v, CC_STATUS, 0, 1);
	driver_init(v, self->ram, self->next, 0);
	for (i = 0; i < 4; i++) {
		post_rx(self->ram, &self->next[VNET_RXQ], 2 * i, 1 + i, 40);
		self->ram[BUF(1 + i) + VNET_HDR_LEN + 40] = 0xee;
	}
	driver_kick(v, VNET_RXQ);
	make_eth(frame, spec.mac, (const uint8_t *)"\x02\0\0\0\0\x09", 0x3d);
	ASSERT_EQ(FRAME_LEN, send(ps, frame, FRAME_LEN, 0));
	make_eth(frame, spec.mac, (const uint8_t *)"\x02\0\0\0\0\x09", 0x3e);
	ASSERT_EQ(34, send(ps, frame, 34, 0));
	for (i = 0; i < 4; i++) {
		if (!wait_used(self->ram, VNET_RXQ, i + 1))
			break;
		n = get_le16(self->ram + USED(VNET_RXQ) + 8 + 8 * i);
		EXPECT_GE(VNET_HDR_LEN + 40, n);
		p = self->ram + BUF(1 + i) + VNET_HDR_LEN;
		EXPECT_EQ(0xee, p[40]);
		if (n == VNET_HDR_LEN + 34 && !memcmp(frame, p, 34))
			break;
	}
	ASSERT_GT(4, i);
	close(ps);
}

/*
 * A frame that reaches the tap before DRIVER_OK stays there, though the
 * driver posted a receive buffer and kicked (virtio 1.2, 3.1.2);
 * DRIVER_OK delivers it.
 */
TEST_F(net, receive_waits_for_driver_ok)
{
	uint8_t frame[VNET_HDR_LEN + FRAME_LEN];
	unsigned int q;

	memset(self->ram, 0, BUF(0));
	driver_features(self->v, F(VIRTIO_NET_F_MAC) | F(VIRTIO_F_VERSION_1));
	for (q = 0; q < 2; q++) {
		driver_queue(self->v, q, QSIZE, DESC(q), AVAIL(q), USED(q));
		self->next[q] = 0;
	}
	post_rx(self->ram, &self->next[VNET_RXQ], 0, 0, 1514);
	driver_kick(self->v, VNET_RXQ);
	make_frame(frame, 0, 0x5a);
	ASSERT_EQ(sizeof(frame), send(self->peer, frame, sizeof(frame), 0));
	usleep(100 * 1000);
	EXPECT_EQ(0, used_idx(self->ram, VNET_RXQ));
	EXPECT_EQ(0xcc, self->ram[BUF(0) + VNET_HDR_LEN]);
	cc_write(self->v, CC_STATUS, 0x0f, 1);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(0x5a, self->ram[BUF(0) + VNET_HDR_LEN]);
}

TEST_HARNESS_MAIN
