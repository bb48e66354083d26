/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio driver's side of the transport for the unit tests: writes to
 * the common configuration, the status, a queue set up and enabled, a
 * kick.  After hvx-run.h (put_le*()) and virtio_pci.h.
 */
#ifndef HVX_TEST_VIRTIO_DRIVER_H
#define HVX_TEST_VIRTIO_DRIVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

/* Common configuration offsets the tests use */
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_STATUS	0x14
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_ENABLE	0x1c
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30

/* A write of @len bytes at @off of the common configuration. */
static inline void cc_write(struct virtio_dev *v, unsigned int off,
			    uint64_t val, unsigned int len)
{
	uint8_t b[8];

	put_le64(b, val);
	virtio_bar_write(v, VIRTIO_BAR, VIRTIO_COMMON_OFF + off, b, len);
}

static inline uint8_t dev_status(struct virtio_dev *v)
{
	uint8_t s;

	virtio_bar_read(v, VIRTIO_BAR, VIRTIO_COMMON_OFF + CC_STATUS, &s, 1);
	return s;
}

/*
 * The command register: memory space enabled, and bus mastering on or
 * off (Linux's pci_set_master(), pci_clear_master()).
 */
static inline void driver_bus_master(struct virtio_dev *v, bool on)
{
	uint8_t b[2];

	put_le16(b, PCI_COMMAND_MEMORY | (on ? PCI_COMMAND_MASTER : 0));
	pci_cfg_write(&v->pci, PCI_COMMAND, b, 2);
}

/* ACKNOWLEDGE, DRIVER, the driver's features, FEATURES_OK. */
static inline void driver_negotiate(struct virtio_dev *v, uint64_t features)
{
	cc_write(v, CC_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
		 VIRTIO_STATUS_DRIVER, 1);
	cc_write(v, CC_GFSELECT, 0, 4);
	cc_write(v, CC_GF, (uint32_t)features, 4);
	cc_write(v, CC_GFSELECT, 1, 4);
	cc_write(v, CC_GF, features >> 32, 4);
	cc_write(v, CC_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
		 VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK, 1);
}

/*
 * Bus mastering on, as Linux's virtio_pci sets it before its driver
 * probes, then the negotiation.
 */
static inline void driver_features(struct virtio_dev *v, uint64_t features)
{
	driver_bus_master(v, true);
	driver_negotiate(v, features);
}

/* Queue @q of @size on the three areas, enabled. */
static inline void driver_queue(struct virtio_dev *v, uint16_t q,
				uint16_t size, uint64_t desc, uint64_t avail,
				uint64_t used)
{
	cc_write(v, CC_Q_SELECT, q, 2);
	cc_write(v, CC_Q_SIZE, size, 2);
	cc_write(v, CC_Q_DESC, desc, 8);
	cc_write(v, CC_Q_DRIVER, avail, 8);
	cc_write(v, CC_Q_DEVICE, used, 8);
	cc_write(v, CC_Q_ENABLE, 1, 2);
}

/* The kick of queue @q, through BAR 0 (no doorbell registered). */
static inline void driver_kick(struct virtio_dev *v, uint16_t q)
{
	uint8_t b[4];

	put_le32(b, q);
	virtio_bar_write(v, VIRTIO_BAR, VIRTIO_NOTIFY_OFF +
			 VIRTIO_NOTIFY_MULT * q, b, 4);
}

/*
 * Wait (5 s at most) until the device took a reset the driver started in
 * another thread (device_status 0 written, the device quiescing): a test
 * that holds the device's requests then knows the reset waits for them.
 */
static inline bool wait_resetting(struct virtio_dev *v)
{
	unsigned int ms;
	bool on = false;

	for (ms = 0; ms < 5000 && !on; ms++) {
		pthread_mutex_lock(&v->lock);
		on = v->resetting;
		pthread_mutex_unlock(&v->lock);
		if (!on)
			usleep(1000);
	}
	return on;
}

#endif /* HVX_TEST_VIRTIO_DRIVER_H */
