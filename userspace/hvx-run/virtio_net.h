/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: virtio-net on a tap device (virtio_net.c) and the tap side
 * (virtio_net_tap.c), for the unit tests.
 */
#ifndef HVX_RUN_VIRTIO_NET_H
#define HVX_RUN_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_ID_NET		1
#define VNET_RXQ		0	/* receiveq1: tap to guest */
#define VNET_TXQ		1	/* transmitq1: guest to tap */

/* Feature bits (virtio 1.2 section 5.1.3) */
#define VIRTIO_NET_F_CSUM	0	/* the guest sends partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM	1	/* the guest takes them */
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4	7
#define VIRTIO_NET_F_GUEST_TSO6	8
#define VIRTIO_NET_F_GUEST_ECN	9
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_HOST_ECN	13
#define VIRTIO_NET_F_MRG_RXBUF	15	/* a frame may span receive chains */
#define VIRTIO_NET_F_STATUS	16

#define VIRTIO_NET_S_LINK_UP	1

/*
 * struct virtio_net_hdr with num_buffers, which virtio 1.x always has;
 * the tap is told the same size (TUNSETVNETHDRSZ).
 */
#define VNET_HDR_LEN		12
#define VNET_HDR_NUM_BUFFERS	10	/* its offset */

/* Its flags (byte 0) and gso_type (byte 1) */
#define VNET_HDR_F_NEEDS_CSUM	1
#define VNET_HDR_GSO_NONE	0
#define VNET_HDR_GSO_TCPV4	1
#define VNET_HDR_GSO_TCPV6	4
#define VNET_HDR_GSO_ECN	0x80

bool vnet_tx_hdr_allowed(const uint8_t *hdr, uint64_t features);
bool vnet_rx_hdr_fix(uint8_t *hdr, uint64_t features);

/* Configuration: mac, status, max_virtqueue_pairs */
#define VNET_CFG_MAC		0
#define VNET_CFG_STATUS		6
#define VNET_CFG_PAIRS		8
#define VNET_CFG_LEN		10

#define VNET_MAC_LEN		6
#define VNET_IFNAME_MAX		16	/* IFNAMSIZ, the NUL included */
#define VNET_RX_BUDGET		64	/* packets per wake-up of the tap */
#define VNET_TX_BUDGET		256	/* frames sent before receiving */

/*
 * The largest frame the device sends or receives, header aside: a GSO
 * frame's 64 KiB and room for its headers, the bound of QEMU's net
 * layer.  A tap takes larger ones and hands them to the host's packet
 * sockets whole.
 */
#define VNET_FRAME_MAX		(65536 + 4096)

/*
 * Tells the tap which offloads the driver takes (TUNSETOFFLOAD flags).
 * Return: 0, or -1 with errno.
 */
typedef int (*vnet_offload_fn)(int fd, unsigned int tun_flags);

/**
 * struct vnet_spec - what -n says
 * @ifname:	the tap device
 * @mac:	the guest's MAC address
 */
struct vnet_spec {
	char ifname[VNET_IFNAME_MAX];
	uint8_t mac[VNET_MAC_LEN];
};

/* virtio_net_tap.c */
int vnet_parse(const char *arg, struct vnet_spec *spec, char *err,
	       size_t errlen);
int vnet_tap_open(const char *ifname);
int vnet_tap_offload(int fd, unsigned int tun_flags);
unsigned int vnet_tun_offloads(uint64_t features);

/* virtio_net.c: -n tap=NAME[,mac=MAC] */
struct virtio_dev *virtio_net_create_fd(int fd, const uint8_t *mac,
					vnet_offload_fn set_offload,
					const struct vq_mem *mem,
					virtio_doorbell_fn doorbell,
					void *ctx);
struct virtio_dev *virtio_net_create(const struct vnet_spec *spec,
				     const struct vq_mem *mem,
				     virtio_doorbell_fn doorbell, void *ctx);
void virtio_net_free(struct virtio_dev *v);

#endif /* HVX_RUN_VIRTIO_NET_H */
