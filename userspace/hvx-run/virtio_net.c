// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: virtio-net (virtio 1.2 section 5.1) on a tap device, for -n.
 * One receive and one transmit queue, no control queue, the MAC address
 * and the link status in the configuration, the checksum and TSO
 * offloads the tap takes, and mergeable receive buffers: with
 * VIRTIO_NET_F_MRG_RXBUF a frame spreads over as many receive chains as
 * it needs, so that a driver that takes 64 KiB TSO frames posts pages,
 * not 64 KiB per chain.  Without it each frame goes into one chain.
 *
 * The device thread does everything: besides the two doorbells it waits
 * on the tap while the driver has receive buffers (virtio_ops.poll_fd),
 * and reads each frame with its header straight into a chain (with
 * mergeable buffers, into a frame buffer first, since its length picks
 * the chains), writes each transmit chain to the tap with one writev.
 * While no receive buffer is posted it leaves the tap alone, so frames
 * wait in the tap's queue (or the tap drops them) until the driver kicks
 * receiveq.  Transmitting goes in bursts of VNET_TX_BUDGET frames, so
 * that a guest that never stops sending still receives.
 *
 * A driver reset waits (net_quiesce()) until the device thread is out of
 * guest memory and forgets the receive chains it held and a frame that
 * waited for chains.  A chain that
 * breaks the rules of the rings or of virtio-net (a receive chain with
 * readable buffers or too small for the header, a transmit chain with
 * writable buffers or shorter than the header) sets NEEDS_RESET.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvx-run.h"
#include "virtio_net.h"
#include "virtio_pci.h"

#define PCI_CLASS_NETWORK_ETHERNET	0x020000

/* Offered when the tap takes every TUNSETOFFLOAD flag we use. */
#define VNET_OFFLOAD_FEATURES	(1ULL << VIRTIO_NET_F_CSUM |		\
				 1ULL << VIRTIO_NET_F_GUEST_CSUM |	\
				 1ULL << VIRTIO_NET_F_GUEST_TSO4 |	\
				 1ULL << VIRTIO_NET_F_GUEST_TSO6 |	\
				 1ULL << VIRTIO_NET_F_GUEST_ECN |	\
				 1ULL << VIRTIO_NET_F_HOST_TSO4 |	\
				 1ULL << VIRTIO_NET_F_HOST_TSO6 |	\
				 1ULL << VIRTIO_NET_F_HOST_ECN)

/**
 * struct virtio_net - the device
 * @v:		the transport
 * @fd:		the tap (or, in the unit tests, a socket)
 * @set_offload: applies TUNSETOFFLOAD flags to @fd
 * @cfg:	the configuration space
 * @lock:	protects everything below; the device thread holds it
 *		while it uses guest buffers, so that a reset can wait
 * @rx:		without MRG_RXBUF, the receive chain taken and not yet
 *		filled, if @rx_held
 * @tx:		the transmit chain being sent
 * @chains:	with MRG_RXBUF, the receive chains taken and not yet
 *		filled: @nr_chains of them from slot @first of a ring of
 *		VQ_MAX_SIZE (a queue never has more in flight), each
 *		allocated when first needed and kept
 * @frame:	with MRG_RXBUF, a frame read from the tap, header first,
 *		that waits for chains; VNET_HDR_LEN + VNET_FRAME_MAX + 1
 *		bytes (one more tells a frame too long)
 * @frame_len:	its length, 0 while there is none
 * @used:	the chains one frame took, for virtio_complete_many()
 * @rx_held:	@rx holds a chain
 * @rx_wait:	no receive buffer: the tap is not polled until a kick
 * @offloads_set: @offloads and @features match this negotiation
 * @offloads:	the flags the tap was last given
 * @features:	the driver's features, for the received headers
 * @rx_said, @tx_said: the errnos of failed tap reads and writes said so
 *		far, one bit each (bit 0: any above 63, and a read's end of
 *		file): each is said once, however often the guest makes it
 * @tx_down:	writes fail with EIO, the tap being down; said, and said
 *		again when a write goes through
 * @tap_failed:	poll() reported the tap failed, said once
 * @rx_big:	a frame too big for its receive chain was said once
 * @rx_huge:	a received frame over VNET_FRAME_MAX was said once
 * @rx_short:	a frame longer than all the receive chains the driver
 *		can post was said once
 * @tx_big:	a transmit frame over VNET_FRAME_MAX was said once
 * @tx_hdr_bad:	a transmit header asking for too much was said once
 * @rx_hdr_bad:	a received frame the driver cannot take was said once
 */
struct virtio_net {
	struct virtio_dev v;
	int fd;
	vnet_offload_fn set_offload;
	uint8_t cfg[VNET_CFG_LEN];
	pthread_mutex_t lock;
	struct vq_elem rx, tx;
	struct vq_elem **chains;
	unsigned int first, nr_chains;
	uint8_t *frame;
	uint64_t frame_len;
	struct vq_used *used;
	bool rx_held, rx_wait, offloads_set;
	unsigned int offloads;
	uint64_t features;
	uint64_t rx_said, tx_said;
	bool tx_down, tap_failed;
	bool rx_big, rx_huge, rx_short, tx_big, tx_hdr_bad, rx_hdr_bad;
};

/* Whether @err is said for the first time in @said (and it is now). */
static bool first_said(uint64_t *said, int err)
{
	uint64_t bit = 1ULL << (err > 0 && err < 64 ? err : 0);
	bool first = !(*said & bit);

	*said |= bit;
	return first;
}

static struct virtio_net *to_net(struct virtio_dev *v)
{
	return (struct virtio_net *)v;
}

static void net_cfg_read(struct virtio_dev *v, unsigned int off,
			 void *data, unsigned int len)
{
	virtio_cfg_copy(to_net(v)->cfg, VNET_CFG_LEN, off, data, len);
}

/* Give the tap the offloads of the features just negotiated. */
static void sync_offloads(struct virtio_net *n)
{
	unsigned int want;

	if (n->offloads_set)
		return;
	pthread_mutex_lock(&n->v.lock);
	n->features = n->v.guest_features;
	pthread_mutex_unlock(&n->v.lock);
	want = vnet_tun_offloads(n->features);
	if (want != n->offloads && n->set_offload(n->fd, want))
		msg("virtio-net: tap offloads 0x%x: %s", want,
		    strerror(errno));
	else
		n->offloads = want;
	n->offloads_set = true;
}

/*
 * Take a receive chain into @e: writable buffers only, with room for a
 * header (with MRG_RXBUF too, 5.1.6.3.1).  Return: 1 with one taken, 0
 * when the driver posted none, -1 after NEEDS_RESET.
 */
static int rx_pop(struct virtio_net *n, struct vq_elem *e)
{
	struct virtqueue *vq = &n->v.vq[VNET_RXQ];
	int r;

	for (;;) {
		r = vq_pop(vq, e);
		if (r < 0) {
			virtio_needs_reset(&n->v);
			return -1;
		}
		if (r)
			break;
		/* ask for the next kick, unless a buffer came */
		if (!vq_has_more(vq))
			return 0;
	}
	if (e->nr_out || e->in_len < VNET_HDR_LEN) {
		virtio_bad(&n->v, "receive chain without room for a header");
		return -1;
	}
	return 1;
}

/* A receive chain into @n->rx, unless one is held: as rx_pop(). */
static int rx_take(struct virtio_net *n)
{
	int r;

	if (n->rx_held)
		return 1;
	r = rx_pop(n, &n->rx);
	n->rx_held = r > 0;
	return r;
}

/*
 * What the tap's read @r of at most @room bytes (and one more) gave.
 * Return: 1 for a frame, 0 for one longer than @room, which the caller
 * drops (as a NIC drops one longer than its buffers), -1 when there is
 * none now (at an end of file, @n->rx_wait set), -2 after a failed read,
 * which the caller takes as a frame dropped: the tap frees a frame it
 * fails to hand over (a header it cannot express, a fault), and the
 * next may come; a tap that went away makes poll() report an error.
 */
static int rx_read_result(struct virtio_net *n, ssize_t r, uint64_t room)
{
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (r > 0 && (uint64_t)r > room)
		return 0;
	if (r <= 0) {
		int err = r ? errno : 0;

		if (first_said(&n->rx_said, err))
			msg("virtio-net: tap read: %s",
			    r ? strerror(err) : "end of file");
		if (r)
			return -2;
		/* try again when the driver next posts buffers */
		n->rx_wait = true;
		return -1;
	}
	return 1;
}

/*
 * Make a received header one the driver negotiated.  A frame queued
 * before this negotiation may not be: false, it is dropped (said once)
 * and its chains take the next.
 */
static bool rx_hdr_fix(struct virtio_net *n, uint8_t *hdr)
{
	if (vnet_rx_hdr_fix(hdr, n->features))
		return true;
	if (!n->rx_hdr_bad)
		msg("virtio-net: a frame with offloads the driver did not negotiate (flags 0x%x, gso_type 0x%x) dropped; dropping such frames",
		    hdr[0], hdr[1]);
	n->rx_hdr_bad = true;
	return false;
}

/*
 * One frame from the tap into one receive chain: a read gives as much
 * of the frame as the buffers hold, so one byte more of the host's
 * tells a frame that did not fit.  Return: true when one went (or was
 * dropped), false when there is none or no buffer for it (@n->rx_wait
 * set then).
 */
static bool rx_one(struct virtio_net *n)
{
	struct iovec iov[VQ_MAX_SEGS + 1];
	uint8_t hdr[VNET_HDR_LEN], past;
	unsigned int nr;
	ssize_t r;
	int got;

	if (rx_take(n) <= 0) {
		n->rx_wait = true;
		return false;
	}
	nr = n->rx.nr_in;
	memcpy(iov, n->rx.iov + n->rx.nr_out, nr * sizeof(*iov));
	iov[nr].iov_base = &past;
	iov[nr].iov_len = 1;
	r = readv(n->fd, iov, nr + 1);
	got = rx_read_result(n, r, n->rx.in_len);
	if (!got) {
		if (!n->rx_big)
			msg("virtio-net: a frame longer than its receive buffers (%" PRIu64 " bytes) dropped; dropping such frames",
			    n->rx.in_len);
		n->rx_big = true;
		return true;
	}
	if (got < 0)
		return got == -2;
	if (r >= VNET_HDR_LEN) {
		iov_copy(n->rx.iov + n->rx.nr_out, n->rx.nr_in, 0, hdr,
			 sizeof(hdr), false);
		if (!rx_hdr_fix(n, hdr))
			return true;
		/* one chain per frame: the tap leaves num_buffers as it was */
		put_le16(hdr + VNET_HDR_NUM_BUFFERS, 1);
		iov_copy(n->rx.iov + n->rx.nr_out, n->rx.nr_in, 0, hdr,
			 sizeof(hdr), true);
	}
	n->rx_held = false;
	virtio_complete(&n->v, VNET_RXQ, n->rx.head, r);
	return true;
}

/* The chain @i places after the first held one (MRG_RXBUF). */
static struct vq_elem *held_chain(struct virtio_net *n, unsigned int i)
{
	return n->chains[(n->first + i) % VQ_MAX_SIZE];
}

/*
 * Take receive chains until the held ones have room for @len bytes.
 * Return: how many of them it takes; 0 when the driver has posted too
 * few so far; -1 after NEEDS_RESET.
 */
static int rx_chains_for(struct virtio_net *n, uint64_t len)
{
	struct vq_elem **slot;
	uint64_t room = 0;
	unsigned int i;
	int r;

	for (i = 0; room < len; i++) {
		if (i == n->nr_chains) {
			/* a queue never has more in flight */
			if (n->nr_chains == VQ_MAX_SIZE)
				return 0;
			slot = &n->chains[(n->first + i) % VQ_MAX_SIZE];
			if (!*slot)
				*slot = malloc(sizeof(**slot));
			if (!*slot) {
				virtio_bad(&n->v, "out of memory for receive chains");
				return -1;
			}
			r = rx_pop(n, *slot);
			if (r <= 0)
				return r;
			n->nr_chains++;
		}
		room += held_chain(n, i)->in_len;
	}
	return i;
}

/*
 * Whether the driver can post no more receive chains: the descriptors
 * the held ones take leave fewer free than the shortest of them needs
 * (a driver posts chains of one shape).  Only asked when a frame waits
 * for chains that did not come, so it counts them then.
 */
static bool rx_holds_all(struct virtio_net *n)
{
	struct virtqueue *vq = &n->v.vq[VNET_RXQ];
	unsigned int i, d, held = 0, least = VQ_MAX_SIZE;
	uint16_t size;

	if (!n->nr_chains)
		return false;
	pthread_mutex_lock(&vq->lock);
	size = vq->size;
	pthread_mutex_unlock(&vq->lock);
	for (i = 0; i < n->nr_chains; i++) {
		d = held_chain(n, i)->nr_desc;
		held += d;
		if (d < least)
			least = d;
	}
	return held + least > size;
}

/*
 * One frame from the tap with MRG_RXBUF: read whole into @n->frame
 * once the driver has posted a chain, then spread over as many chains
 * as it needs, handed back at once with their number in num_buffers.
 * A frame waits in @n->frame for chains the driver has yet to post; one
 * longer than all the chains the driver can post (rx_holds_all()) is
 * dropped.  Return: as rx_one().
 */
static bool rx_one_merged(struct virtio_net *n)
{
	uint64_t off = 0, len;
	struct vq_elem *e;
	ssize_t r;
	int i, k;

	if (!n->frame_len) {
		if (rx_chains_for(n, 1) <= 0) {
			n->rx_wait = true;
			return false;
		}
		r = read(n->fd, n->frame, VNET_HDR_LEN + VNET_FRAME_MAX + 1);
		k = rx_read_result(n, r, VNET_HDR_LEN + VNET_FRAME_MAX);
		if (!k) {
			if (!n->rx_huge)
				msg("virtio-net: a frame over %u bytes dropped; dropping such frames",
				    VNET_FRAME_MAX);
			n->rx_huge = true;
			return true;
		}
		if (k < 0)
			return k == -2;
		/* a tap's frames always have the header */
		if (r < VNET_HDR_LEN || !rx_hdr_fix(n, n->frame))
			return true;
		n->frame_len = r;
	}
	k = rx_chains_for(n, n->frame_len);
	if (!k && rx_holds_all(n)) {
		if (!n->rx_short)
			msg("virtio-net: a frame longer than all the receive buffers the driver can post (%" PRIu64 " bytes) dropped; dropping such frames",
			    n->frame_len);
		n->rx_short = true;
		n->frame_len = 0;
		return true;
	}
	if (k <= 0) {
		n->rx_wait = true;
		return false;
	}
	put_le16(n->frame + VNET_HDR_NUM_BUFFERS, k);
	for (i = 0; i < k; i++) {
		e = held_chain(n, i);
		len = n->frame_len - off;
		if (len > e->in_len)
			len = e->in_len;
		iov_copy(e->iov, e->nr_in, 0, n->frame + off, len, true);
		n->used[i].head = e->head;
		n->used[i].len = len;
		off += len;
	}
	n->first = (n->first + k) % VQ_MAX_SIZE;
	n->nr_chains -= k;
	n->frame_len = 0;
	virtio_complete_many(&n->v, VNET_RXQ, n->used, k);
	return true;
}

static void rx_serve(struct virtio_net *n)
{
	unsigned int i;
	bool merged;

	sync_offloads(n);
	merged = n->features & 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	for (i = 0; i < VNET_RX_BUDGET; i++)
		if (!(merged ? rx_one_merged(n) : rx_one(n)))
			break;
}

/**
 * vnet_tx_hdr_allowed() - a transmit header asks only for what was
 *	negotiated
 * @hdr: the header (VNET_HDR_LEN bytes)
 * @features: the driver's features
 *
 * A partial checksum needs CSUM, TCP segmentation HOST_TSO4/6, its ECN
 * HOST_ECN; no other segmentation is the driver's to ask for (virtio
 * 1.2, 5.1.6.2).  The tap would take any.  Other flags are ignored (the
 * caller clears them).
 *
 * Return: true when it does.
 */
bool vnet_tx_hdr_allowed(const uint8_t *hdr, uint64_t features)
{
	uint8_t flags = hdr[0], gso = hdr[1];

	if ((flags & VNET_HDR_F_NEEDS_CSUM) &&
	    !(features & 1ULL << VIRTIO_NET_F_CSUM))
		return false;
	if ((gso & VNET_HDR_GSO_ECN) &&
	    !(features & 1ULL << VIRTIO_NET_F_HOST_ECN))
		return false;
	switch (gso & ~VNET_HDR_GSO_ECN) {
	case VNET_HDR_GSO_NONE:
		return !(gso & VNET_HDR_GSO_ECN);
	case VNET_HDR_GSO_TCPV4:
		return features & 1ULL << VIRTIO_NET_F_HOST_TSO4;
	case VNET_HDR_GSO_TCPV6:
		return features & 1ULL << VIRTIO_NET_F_HOST_TSO6;
	}
	return false;
}

/**
 * vnet_rx_hdr_fix() - make a received header one the driver negotiated
 * @hdr: the header the tap gave (VNET_HDR_LEN bytes), changed in place
 * @features: the driver's features
 *
 * Without GUEST_CSUM the flags are 0 (virtio 1.2, 5.1.6.4.1): the tap
 * sets DATA_VALID whatever its offloads.  A partial checksum needs
 * GUEST_CSUM, a segmented frame GUEST_TSO4/6 (and GUEST_ECN for ECN);
 * the tap gives them only with its offloads on, so one that comes
 * without was queued before the driver negotiated again, and cannot be
 * delivered.
 *
 * Return: false when the frame must be dropped.
 */
bool vnet_rx_hdr_fix(uint8_t *hdr, uint64_t features)
{
	uint8_t gso = hdr[1];

	if (!(features & 1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		if (hdr[0] & VNET_HDR_F_NEEDS_CSUM)
			return false;
		hdr[0] = 0;
	}
	if ((gso & VNET_HDR_GSO_ECN) &&
	    !(features & 1ULL << VIRTIO_NET_F_GUEST_ECN))
		return false;
	switch (gso & ~VNET_HDR_GSO_ECN) {
	case VNET_HDR_GSO_NONE:
		return true;
	case VNET_HDR_GSO_TCPV4:
		return features & 1ULL << VIRTIO_NET_F_GUEST_TSO4;
	case VNET_HDR_GSO_TCPV6:
		return features & 1ULL << VIRTIO_NET_F_GUEST_TSO6;
	}
	return false;
}

/*
 * One transmit chain to the tap: the header from a copy of the host's,
 * checked (the guest may change its own after the check), then the
 * frame from the guest's buffers; a frame either refuses is dropped.
 */
static void tx_one(struct virtio_net *n, uint64_t features)
{
	struct iovec iov[VQ_MAX_SEGS + 1];
	uint8_t hdr[VNET_HDR_LEN];
	unsigned int nr;
	ssize_t w;

	if (n->tx.out_len - VNET_HDR_LEN > VNET_FRAME_MAX) {
		if (!n->tx_big)
			msg("virtio-net: a frame of %llu bytes, over %u, dropped; dropping such frames",
			    (unsigned long long)(n->tx.out_len - VNET_HDR_LEN),
			    VNET_FRAME_MAX);
		n->tx_big = true;
		return;
	}
	iov_copy(n->tx.iov, n->tx.nr_out, 0, hdr, sizeof(hdr), false);
	/* flags it does not know the device ignores (5.1.6.2.2) */
	hdr[0] &= VNET_HDR_F_NEEDS_CSUM;
	if (!vnet_tx_hdr_allowed(hdr, features)) {
		if (!n->tx_hdr_bad)
			msg("virtio-net: a frame asking for offloads the driver did not negotiate (flags 0x%x, gso_type 0x%x) dropped; dropping such frames",
			    hdr[0], hdr[1]);
		n->tx_hdr_bad = true;
		return;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	nr = 1 + iov_slice(n->tx.iov, n->tx.nr_out, VNET_HDR_LEN,
			   n->tx.out_len - VNET_HDR_LEN, iov + 1);
	do {
		w = writev(n->fd, iov, nr);
	} while (w < 0 && errno == EINTR);
	/*
	 * A frame the tap refuses is dropped, as a wire would.  EIO: the
	 * tap is down (not yet configured on the host, or taken down):
	 * every frame goes until it is up again, which is said too.
	 */
	if (w < 0 && errno == EIO) {
		if (!n->tx_down)
			msg("virtio-net: tap write: %s: the tap is down, frames are dropped until it is up",
			    strerror(errno));
		n->tx_down = true;
	} else if (w < 0) {
		if (first_said(&n->tx_said, errno))
			msg("virtio-net: tap write: %s; dropping such frames",
			    strerror(errno));
	} else if (n->tx_down) {
		msg("virtio-net: the tap is up: frames go through");
		n->tx_down = false;
	}
}

/*
 * Every posted transmit chain to the tap, header and frame, in bursts:
 * after VNET_TX_BUDGET frames the queue is kicked again, and the device
 * thread serves the tap's frames before it comes back.
 */
static void tx_serve(struct virtio_net *n)
{
	struct virtqueue *vq = &n->v.vq[VNET_TXQ];
	unsigned int sent = 0;
	uint64_t features;
	int r;

	/* FEATURES_OK is set (a queue runs): they change only at a reset */
	pthread_mutex_lock(&n->v.lock);
	features = n->v.guest_features;
	pthread_mutex_unlock(&n->v.lock);

	for (;;) {
		r = vq_pop(vq, &n->tx);
		if (r < 0) {
			virtio_needs_reset(&n->v);
			return;
		}
		if (!r) {
			if (vq_has_more(vq))
				continue;
			return;
		}
		if (n->tx.nr_in || n->tx.out_len < VNET_HDR_LEN) {
			virtio_bad(&n->v, "transmit chain without a header");
			return;
		}
		tx_one(n, features);
		virtio_complete(&n->v, VNET_TXQ, n->tx.head, 0);
		if (++sent == VNET_TX_BUDGET) {
			if (vq_has_more(vq))
				virtio_kick_queue(&n->v, VNET_TXQ);
			return;
		}
	}
}

static void net_kick(struct virtio_dev *v, unsigned int q)
{
	struct virtio_net *n = to_net(v);

	pthread_mutex_lock(&n->lock);
	if (q == VNET_TXQ) {
		tx_serve(n);
	} else {
		n->rx_wait = false;
		rx_serve(n);
	}
	pthread_mutex_unlock(&n->lock);
}

static int net_poll_fd(struct virtio_dev *v, short *events)
{
	struct virtio_net *n = to_net(v);
	int fd;

	/* not one that needs a reset: the transport asks only then */
	pthread_mutex_lock(&n->lock);
	fd = n->rx_wait ? -1 : n->fd;
	pthread_mutex_unlock(&n->lock);
	*events = POLLIN;
	return fd;
}

static void net_poll_ready(struct virtio_dev *v, short revents)
{
	struct virtio_net *n = to_net(v);

	pthread_mutex_lock(&n->lock);
	if ((revents & POLLIN) && !(revents & (POLLERR | POLLHUP | POLLNVAL))) {
		rx_serve(n);
	} else {
		/* the tap went away: poll it again after the next kick */
		if (!n->tap_failed)
			msg("virtio-net: the tap failed (poll 0x%x)",
			    (unsigned int)revents);
		n->tap_failed = true;
		n->rx_wait = true;
	}
	pthread_mutex_unlock(&n->lock);
}

/*
 * The driver reset the device and its queues are stopped: once the
 * device thread is out of guest memory, forget the receive chain it
 * held, stop polling the tap and take the offloads back.
 */
static void net_quiesce(struct virtio_dev *v)
{
	struct virtio_net *n = to_net(v);

	pthread_mutex_lock(&n->lock);
	n->rx_held = false;
	n->nr_chains = 0;
	n->frame_len = 0;
	n->rx_wait = true;
	n->offloads_set = false;
	if (n->offloads && !n->set_offload(n->fd, 0))
		n->offloads = 0;
	pthread_mutex_unlock(&n->lock);
}

/*
 * The offloads' dependencies a driver must keep (virtio 1.2, 5.1.3.1):
 * segmentation needs checksums in the same direction, ECN needs
 * segmentation.  A set without them would leave the tap's offloads and
 * the headers at odds.
 */
static bool net_features_ok(uint64_t f)
{
	const uint64_t gtso = 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			      1ULL << VIRTIO_NET_F_GUEST_TSO6;
	const uint64_t htso = 1ULL << VIRTIO_NET_F_HOST_TSO4 |
			      1ULL << VIRTIO_NET_F_HOST_TSO6;

	if ((f & gtso) && !(f & 1ULL << VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if ((f & 1ULL << VIRTIO_NET_F_GUEST_ECN) && !(f & gtso))
		return false;
	if ((f & htso) && !(f & 1ULL << VIRTIO_NET_F_CSUM))
		return false;
	return !(f & 1ULL << VIRTIO_NET_F_HOST_ECN) || (f & htso);
}

static const struct virtio_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.class = PCI_CLASS_NETWORK_ETHERNET,
	.nr_queues = 2,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		    1ULL << VIRTIO_NET_F_MRG_RXBUF,
	.cfg_read = net_cfg_read,
	.kick = net_kick,
	.quiesce = net_quiesce,
	.poll_fd = net_poll_fd,
	.poll_ready = net_poll_ready,
	.features_ok = net_features_ok,
};

/**
 * virtio_net_create_fd() - a network device on an open tap
 * @fd: the tap, non-blocking, with the 12-byte virtio-net header; the
 *	device owns it from here (virtio_net_free() closes it)
 * @mac: the guest's MAC address
 * @set_offload: sets the tap's offloads (vnet_tap_offload())
 * @mem: guest RAM
 * @doorbell: registers its doorbells
 * @ctx: passed to @doorbell
 *
 * The offloads are offered when @set_offload takes all of them.
 *
 * Return: the device, or NULL after a message (@fd closed).
 */
struct virtio_dev *virtio_net_create_fd(int fd, const uint8_t *mac,
					vnet_offload_fn set_offload,
					const struct vq_mem *mem,
					virtio_doorbell_fn doorbell,
					void *ctx)
{
	struct virtio_net *n = calloc(1, sizeof(*n));

	if (!n) {
		msg("virtio-net: out of memory");
		close(fd);
		return NULL;
	}
	n->fd = fd;
	n->set_offload = set_offload;
	n->rx_wait = true;
	pthread_mutex_init(&n->lock, NULL);
	n->chains = calloc(VQ_MAX_SIZE, sizeof(*n->chains));
	n->used = calloc(VQ_MAX_SIZE, sizeof(*n->used));
	n->frame = malloc(VNET_HDR_LEN + VNET_FRAME_MAX + 1);
	if (!n->chains || !n->used || !n->frame) {
		msg("virtio-net: out of memory");
		virtio_net_free(&n->v);
		return NULL;
	}
	memcpy(n->cfg + VNET_CFG_MAC, mac, VNET_MAC_LEN);
	put_le16(n->cfg + VNET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(n->cfg + VNET_CFG_PAIRS, 1);
	if (virtio_init(&n->v, &net_ops, mem, doorbell, ctx)) {
		virtio_net_free(&n->v);
		return NULL;
	}
	if (!set_offload(fd, vnet_tun_offloads(VNET_OFFLOAD_FEATURES)) &&
	    !set_offload(fd, 0))
		n->v.host_features |= VNET_OFFLOAD_FEATURES;
	else
		msg("virtio-net: the tap takes no offloads: %s",
		    strerror(errno));
	return &n->v;
}

/**
 * virtio_net_create() - a network device on the tap -n names
 * @spec: the tap and the MAC address
 * @mem: guest RAM
 * @doorbell: registers its doorbells
 * @ctx: passed to @doorbell
 *
 * Return: the device (virtio_net_free() frees it), or NULL after a
 * message.
 */
struct virtio_dev *virtio_net_create(const struct vnet_spec *spec,
				     const struct vq_mem *mem,
				     virtio_doorbell_fn doorbell, void *ctx)
{
	int fd = vnet_tap_open(spec->ifname);

	if (fd < 0)
		return NULL;
	return virtio_net_create_fd(fd, spec->mac, vnet_tap_offload, mem,
				    doorbell, ctx);
}

/**
 * virtio_net_free() - close the tap, free the device
 * @v: the device, its thread stopped
 */
void virtio_net_free(struct virtio_dev *v)
{
	struct virtio_net *n = to_net(v);
	unsigned int i;

	if (v->ops)
		virtio_destroy(v);
	close(n->fd);
	pthread_mutex_destroy(&n->lock);
	if (n->chains)
		for (i = 0; i < VQ_MAX_SIZE; i++)
			free(n->chains[i]);
	free(n->chains);
	free(n->used);
	free(n->frame);
	free(n);
}
