// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: virtio-rng (virtio 1.2 section 5.4), always present so that
 * the guest's entropy pool fills at boot.  One queue; each chain's
 * writable buffers are filled from the host's getrandom().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hvx-run.h"
#include "virtio_pci.h"

#define VIRTIO_ID_RNG		4
#define PCI_CLASS_OTHER		0xff0000

static void rng_cfg_read(struct virtio_dev *v, unsigned int off,
			 void *data, unsigned int len)
{
	/* virtio-rng has no configuration */
	memset(data, 0, len);
}

static void rng_req(struct virtio_dev *v, unsigned int q, struct vq_elem *e)
{
	uint32_t done = 0;
	unsigned int i;
	ssize_t n;

	for (i = e->nr_out; i < e->nr_out + e->nr_in; i++) {
		/* a signal before the first byte: again (one or more) */
		do {
			n = getrandom(e->iov[i].iov_base, e->iov[i].iov_len, 0);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			msg("virtio-rng: getrandom: %s", strerror(errno));
			break;
		}
		done += n;
		if ((size_t)n < e->iov[i].iov_len)
			break;
	}
	virtio_complete(v, q, e->head, done);
	free(e);
}

static void rng_kick(struct virtio_dev *v, unsigned int q)
{
	virtio_serve(v, q, rng_req);
}

static const struct virtio_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.class = PCI_CLASS_OTHER,
	.nr_queues = 1,
	.cfg_read = rng_cfg_read,
	.kick = rng_kick,
};

/**
 * virtio_rng_create() - the entropy device
 * @mem: guest RAM
 * @doorbell: registers its doorbell
 * @ctx: passed to @doorbell
 *
 * Return: the device (virtio_rng_free() frees it), or NULL after a
 * message.
 */
struct virtio_dev *virtio_rng_create(const struct vq_mem *mem,
				     virtio_doorbell_fn doorbell, void *ctx)
{
	struct virtio_dev *v = calloc(1, sizeof(*v));

	if (!v) {
		msg("virtio-rng: out of memory");
		return NULL;
	}
	if (virtio_init(v, &rng_ops, mem, doorbell, ctx)) {
		virtio_destroy(v);
		free(v);
		return NULL;
	}
	return v;
}

/**
 * virtio_rng_free() - free the device, stopped
 * @v: the device
 */
void virtio_rng_free(struct virtio_dev *v)
{
	virtio_destroy(v);
	free(v);
}
