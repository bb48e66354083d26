/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: virtio-console (virtio_console.c) and its data path
 * (virtio_console_io.c), for the unit tests.
 */
#ifndef HVX_RUN_VIRTIO_CONSOLE_H
#define HVX_RUN_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "hvx-run.h"
#include "virtio_pci.h"
#include "virtqueue.h"

#define VIRTIO_ID_CONSOLE	3
#define VCON_RECEIVEQ		0	/* port 0: host to guest */
#define VCON_TRANSMITQ		1	/* port 0: guest to host */
#define VCON_PENDING_MAX	4096	/* input read ahead of the driver */
#define VCON_RX_BUDGET		64	/* receive chains filled per go */

/**
 * struct vcon_pending - input read from the host, not yet in a buffer
 * @buf:	the bytes, from @off
 * @off:	the first not delivered
 * @len:	how many remain
 */
struct vcon_pending {
	uint8_t buf[VCON_PENDING_MAX];
	size_t off, len;
};

int vcon_transmit(const struct vq_elem *e, int out_fd);
uint32_t vcon_receive(struct vq_elem *e, struct vcon_pending *in);
void vcon_keep(struct vcon_pending *in, const uint8_t *buf, size_t n);

/* virtio_console.c: --console virtio, the guest's hvc0 */
struct virtio_dev *virtio_console_create(const struct vq_mem *mem,
					 virtio_doorbell_fn doorbell,
					 void *ctx, int in_fd, int out_fd);
int virtio_console_start_input(struct virtio_dev *v, bool escape,
			       stop_fn stop, void *ctx);
void virtio_console_stop_input(struct virtio_dev *v);
void virtio_console_free(struct virtio_dev *v);

#endif /* HVX_RUN_VIRTIO_CONSOLE_H */
