/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: virtio 1.x devices on PCI, the modern transport
 * (virtio_pci.c), and the devices on it (virtio_rng.c, virtio_blk.c,
 * virtio_console.c, virtio_net.c).
 *
 * One memory BAR (BAR 0) holds the common configuration, the ISR, the
 * device configuration, the notification addresses (one 4-byte doorbell
 * per queue) and the MSI-X table and PBA.  Each queue's notification
 * address is registered with hvx as a doorbell on the queue's eventfd,
 * so a guest kick costs no exit to userspace; the device's thread waits
 * on those eventfds and serves the queues; completions go out through
 * the queue's MSI-X vector (pci_msix_notify(), an irqfd), or, while the
 * driver has MSI-X off, assert INTA# until the driver reads the ISR.
 */
#ifndef HVX_RUN_VIRTIO_PCI_H
#define HVX_RUN_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "virtqueue.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + virtio device ID */
#define VIRTIO_PCI_REVISION	1	/* modern only */
#define VIRTIO_PCI_SUBSYS_ID	0x40	/* non-transitional */

/* Device status */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Transport features */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

#define VIRTIO_MSI_NO_VECTOR	0xffff
#define VIRTIO_MAX_QUEUES	4

/* BAR 0 */
#define VIRTIO_BAR		0
#define VIRTIO_BAR_SIZE		0x8000
#define VIRTIO_COMMON_OFF	0x0000
#define VIRTIO_COMMON_LEN	0x40
#define VIRTIO_ISR_OFF		0x1000
#define VIRTIO_ISR_LEN		0x4
#define VIRTIO_DEVCFG_OFF	0x2000
#define VIRTIO_DEVCFG_LEN	0x100
#define VIRTIO_NOTIFY_OFF	0x3000
#define VIRTIO_NOTIFY_MULT	4
#define VIRTIO_MSIX_TABLE_OFF	0x4000
#define VIRTIO_MSIX_PBA_OFF	0x5000

/* ISR bits */
#define VIRTIO_ISR_QUEUE	0x1
#define VIRTIO_ISR_CONFIG	0x2

struct virtio_dev;

/**
 * struct virtio_ops - what a device adds to the transport
 * @name:	for messages ("virtio-blk")
 * @device_id:	the virtio device ID
 * @class:	its PCI class code
 * @nr_queues:	its queues, up to VIRTIO_MAX_QUEUES
 * @features:	its own feature bits
 * @cfg_read:	read @len bytes of its configuration at @off (within
 *		VIRTIO_DEVCFG_LEN)
 * @kick:	the driver notified queue @q: serve it (the device thread)
 * @quiesce:	optional: the driver reset the device, its queues are
 *		stopped (vq_pop() finds nothing, vq_push() drops) and the
 *		device thread is out of @kick and @poll_ready: return once
 *		no chain that another thread of the device took is used
 *		any more.  Called without @lock, which completions take.
 * @drain:	optional: bus mastering went off, the queues are paused
 *		(vq_pop() finds nothing; vq_push() still completes) and the
 *		device thread is out of @kick and @poll_ready: return once
 *		the chains that another thread of the device took are
 *		completed.  Called without @lock.
 * @poll_fd:	optional: a file the device thread waits on beside the
 *		doorbells (virtio-net's tap): its descriptor, with the
 *		events to wait for in *@events, or -1 while there is none
 *		to wait on.  Called by the device thread only, and only
 *		while the device may use guest memory (bus mastering on,
 *		no NEEDS_RESET).
 * @poll_ready:	the device thread found @poll_fd ready with @revents
 * @features_ok: optional: whether the driver's @features (a subset of
 *		the device's) go together; false refuses FEATURES_OK, as a
 *		device may for a set the specification forbids (virtio 1.2,
 *		2.2.2)
 */
struct virtio_ops {
	const char *name;
	uint16_t device_id;
	uint32_t class;
	unsigned int nr_queues;
	uint64_t features;
	void (*cfg_read)(struct virtio_dev *v, unsigned int off, void *data,
			 unsigned int len);
	void (*kick)(struct virtio_dev *v, unsigned int q);
	void (*quiesce)(struct virtio_dev *v);
	void (*drain)(struct virtio_dev *v);
	int (*poll_fd)(struct virtio_dev *v, short *events);
	void (*poll_ready)(struct virtio_dev *v, short revents);
	bool (*features_ok)(uint64_t features);
};

/*
 * How the transport (un)registers a queue's doorbell: @efd signalled by
 * a write to the 4 bytes at @gpa.  hvx-run's is HVX_REGISTER_RANGE with
 * HVX_RANGE_DOORBELL.  Return: 0 or -1 with errno.
 */
typedef int (*virtio_doorbell_fn)(void *ctx, int efd, uint64_t gpa, bool on);

/**
 * struct virtio_queue_cfg - a queue's registers in the common config
 * @size:	queue_size
 * @msix:	queue_msix_vector
 * @enable:	queue_enable
 * @desc:	queue_desc
 * @driver:	queue_driver
 * @device:	queue_device
 * @kick_efd:	the eventfd the doorbell signals
 * @db_gpa:	where its doorbell is registered, 0: nowhere
 */
struct virtio_queue_cfg {
	uint16_t size, msix;
	bool enable;
	uint64_t desc, driver, device;
	int kick_efd;
	uint64_t db_gpa;
};

/**
 * struct virtio_dev - one virtio-pci device
 * @pci:	its PCI function
 * @ops:	the device
 * @lock:	protects everything below but @vq and the thread's fields
 * @dfsel:	device_feature_select
 * @gfsel:	driver_feature_select
 * @host_features: what the device offers
 * @guest_features: what the driver accepted
 * @status:	device_status
 * @resetting:	the driver wrote 0 to it and the device is still quiescing:
 *		no queue may start
 * @dma_off:	bus mastering is off: the queues are paused, the device
 *		thread serves nothing
 * @db_said:	a doorbell hvx refused was said once
 * @bad_said:	a request against the device's rules was said once
 *		(virtio_bad())
 * @oom_said:	running out of memory for a chain was said once
 * @config_gen:	config_generation
 * @config_vector: config_msix_vector
 * @qsel:	queue_select
 * @isr:	the ISR status
 * @q:		the queues' registers
 * @vq:		the queues
 * @doorbell:	(un)registers doorbells
 * @doorbell_ctx: passed to @doorbell
 * @serve_lock: held by the device thread while it serves a kick or its
 *		file, so that a reset can wait until it no longer uses a
 *		chain it took
 * @thread:	the device thread, while @thread_on
 * @thread_on:	virtio_start() started it
 * @stop_efd:	ends it
 * @names:	the queues' names for messages
 */
struct virtio_dev {
	struct pci_dev pci;
	const struct virtio_ops *ops;
	pthread_mutex_t lock;
	uint32_t dfsel, gfsel;
	uint64_t host_features, guest_features;
	uint8_t status, config_gen;
	bool resetting, dma_off, db_said, bad_said, oom_said;
	uint16_t config_vector, qsel;
	uint8_t isr;
	struct virtio_queue_cfg q[VIRTIO_MAX_QUEUES];
	struct virtqueue vq[VIRTIO_MAX_QUEUES];
	virtio_doorbell_fn doorbell;
	void *doorbell_ctx;
	pthread_mutex_t serve_lock;
	pthread_t thread;
	bool thread_on;
	int stop_efd;
	char names[VIRTIO_MAX_QUEUES][32];
};

int virtio_init(struct virtio_dev *v, const struct virtio_ops *ops,
		const struct vq_mem *mem, virtio_doorbell_fn doorbell,
		void *doorbell_ctx);
void virtio_destroy(struct virtio_dev *v);
int virtio_start(struct virtio_dev *v);
void virtio_stop(struct virtio_dev *v);
void virtio_serve(struct virtio_dev *v, unsigned int q,
		  void (*req)(struct virtio_dev *v, unsigned int q,
			      struct vq_elem *e));
void virtio_kick_queue(struct virtio_dev *v, unsigned int q);
bool virtio_may_serve(struct virtio_dev *v, int q);
void virtio_complete(struct virtio_dev *v, unsigned int q, uint16_t head,
		     uint32_t len);
void virtio_complete_many(struct virtio_dev *v, unsigned int q,
			  const struct vq_used *u, unsigned int n);
void virtio_needs_reset(struct virtio_dev *v);
void virtio_bad(struct virtio_dev *v, const char *what);
bool virtio_broken(struct virtio_dev *v);
bool virtio_has_feature(struct virtio_dev *v, unsigned int bit);
void virtio_cfg_copy(const uint8_t *cfg, unsigned int size, unsigned int off,
		     void *data, unsigned int len);
void virtio_bar_read(void *opaque, unsigned int bar, uint64_t off,
		     void *data, unsigned int len);
void virtio_bar_write(void *opaque, unsigned int bar, uint64_t off,
		      const void *data, unsigned int len);

/* virtio_rng.c: entropy from getrandom() */
struct virtio_dev *virtio_rng_create(const struct vq_mem *mem,
				     virtio_doorbell_fn doorbell, void *ctx);
void virtio_rng_free(struct virtio_dev *v);

/* virtio_blk.c: a raw image file (-d FILE[,ro]) */
struct virtio_dev *virtio_blk_create(const char *spec, unsigned int index,
				     const struct vq_mem *mem,
				     virtio_doorbell_fn doorbell, void *ctx);
void virtio_blk_free(struct virtio_dev *v);

#endif /* HVX_RUN_VIRTIO_PCI_H */
