// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the virtio 1.x PCI transport (virtio 1.2 section 4.1), modern
 * interface only: the capabilities, the common configuration, feature
 * negotiation, the device status and the queues' doorbells (the device
 * thread is in virtio_thread.c).  The layout of BAR 0 is in virtio_pci.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvx-run.h"
#include "virtio_pci.h"

/* virtio_pci_cap.cfg_type */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4
#define CAP_PCI_CFG	5	/* a window on BAR 0 in configuration space */
#define PCI_CFG_CAP_LEN	20	/* virtio_pci_cap and the data window */

/* Common configuration fields (virtio 1.2 section 4.1.4.3) */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX		0x10
#define CC_NUMQ		0x12
#define CC_STATUS	0x14
#define CC_CFGGEN	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30

/**
 * virtio_cfg_copy() - a driver's read of a device configuration held as
 * bytes; what lies beyond them reads 0
 * @cfg: the configuration
 * @size: its bytes
 * @off: where the read starts
 * @data: filled with @len bytes
 * @len: bytes read
 */
void virtio_cfg_copy(const uint8_t *cfg, unsigned int size, unsigned int off,
		     void *data, unsigned int len)
{
	memset(data, 0, len);
	if (off < size)
		memcpy(data, cfg + off, off + len <= size ? len : size - off);
}

/**
 * virtio_has_feature() - the driver accepted feature @bit
 * @v: the device
 * @bit: the feature's bit number
 *
 * Return: true when it did.
 */
bool virtio_has_feature(struct virtio_dev *v, unsigned int bit)
{
	bool on;

	pthread_mutex_lock(&v->lock);
	on = v->guest_features & (1ULL << bit);
	pthread_mutex_unlock(&v->lock);
	return on;
}

/**
 * virtio_broken() - the device set NEEDS_RESET
 * @v: the device
 *
 * Return: true until the driver resets it: it takes no chain meanwhile.
 */
bool virtio_broken(struct virtio_dev *v)
{
	bool broken;

	pthread_mutex_lock(&v->lock);
	broken = v->status & VIRTIO_STATUS_NEEDS_RESET;
	pthread_mutex_unlock(&v->lock);
	return broken;
}

/*
 * A virtio_pci_cap (+ the multiplier of the notify capability, the data
 * window of the PCI configuration access capability).  Return: its
 * offset, 0 when configuration space is full.
 */
static uint8_t add_cap(struct virtio_dev *v, uint8_t type, uint32_t off,
		       uint32_t len)
{
	uint8_t body[18] = { 0 };
	uint8_t clen = type == CAP_NOTIFY || type == CAP_PCI_CFG ? 20 : 16;

	body[0] = clen;
	body[1] = type;
	body[2] = VIRTIO_BAR;
	put_le32(body + 6, off);
	put_le32(body + 10, len);
	if (type == CAP_NOTIFY)
		put_le32(body + 14, VIRTIO_NOTIFY_MULT);
	return pci_add_cap(&v->pci, PCI_CAP_ID_VNDR, body, clen);
}

/*
 * The PCI configuration access capability's data window: an access of
 * cap.length (1, 2 or 4) bytes at cap.offset of BAR cap.bar, done when
 * the driver reads the window or writes its last byte.  Anything else
 * reads zeros and writes nothing.
 */
static void cfg_window(void *opaque, bool write, uint8_t *data,
		       unsigned int end)
{
	struct virtio_dev *v = opaque;
	uint8_t cap[16];
	uint32_t off, len;

	pci_cfg_read(&v->pci, v->pci.window - 16, cap, sizeof(cap));
	off = get_le32(cap + 8);
	len = get_le32(cap + 12);
	if (!write)
		memset(data, 0, 4);
	if (cap[4] != VIRTIO_BAR || (len != 1 && len != 2 && len != 4) ||
	    off % len || off > VIRTIO_BAR_SIZE - len || (write && end < len))
		return;
	pci_bar_access(&v->pci, VIRTIO_BAR, off, data, len, write);
}

static int add_cfg_cap(struct virtio_dev *v)
{
	uint8_t at = add_cap(v, CAP_PCI_CFG, 0, 0);

	if (!at)
		return -1;
	/* bar, offset, length and the data are the driver's */
	memset(v->pci.wmask + at + 4, 0xff, 1);
	memset(v->pci.wmask + at + 8, 0xff, 12);
	v->pci.window = at + 16;
	v->pci.window_access = cfg_window;
	return 0;
}

/* Make the registered doorbells match BAR 0 and the enabled queues. */
static void sync_doorbells(struct virtio_dev *v)
{
	uint32_t bar = pci_bar_decoded(&v->pci, VIRTIO_BAR);
	struct virtio_queue_cfg *q;
	unsigned int i;
	uint64_t want;

	for (i = 0; i < v->ops->nr_queues; i++) {
		q = &v->q[i];
		want = bar && q->enable ?
		       bar + VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * i : 0;
		if (want == q->db_gpa)
			continue;
		if (q->db_gpa)
			v->doorbell(v->doorbell_ctx, q->kick_efd, q->db_gpa,
				    false);
		q->db_gpa = 0;
		/* without it, the write exits and virtio_bar_write() kicks */
		if (!want)
			continue;
		if (!v->doorbell(v->doorbell_ctx, q->kick_efd, want, true)) {
			q->db_gpa = want;
			continue;
		}
		/*
		 * Refused where another device's doorbell is (a BAR the
		 * guest put over another): each command or BAR write would
		 * say it again, so the first says it.
		 */
		if (!v->db_said)
			msg("%s: doorbell at 0x%llx: %s; its kicks exit to hvx-run, not said again",
			    v->ops->name, (unsigned long long)want,
			    strerror(errno));
		v->db_said = true;
	}
}

/**
 * virtio_kick_queue() - signal a queue's eventfd, as its doorbell does
 * @v: the device
 * @q: the queue
 *
 * Also for a device that stops serving a queue with chains left (a
 * budget spent): its thread comes back to the queue once it has served
 * what else was ready.
 */
void virtio_kick_queue(struct virtio_dev *v, unsigned int q)
{
	uint64_t one = 1;

	if (write(v->q[q].kick_efd, &one, sizeof(one)) < 0)
		msg("%s: kick: %s", v->ops->name, strerror(errno));
}

/*
 * Set @bit in the ISR and, while MSI-X is off, assert INTA# until the
 * driver reads the ISR (virtio 1.2 section 4.1.4.5).  Both under @lock,
 * with the read that clears the ISR and releases the pin (clear_isr()):
 * the line is never asserted with nothing in the ISR, an interrupt no
 * driver could end.  Return: MSI-X is on, the caller sends the vector
 * (pci_msix_notify()), after dropping @lock where it can.
 */
static bool isr_notify_locked(struct virtio_dev *v, uint8_t bit)
{
	v->isr |= bit;
	return pci_intx_notify(&v->pci);
}

/*
 * Send the MSI-X vector @vec that isr_notify_locked() chose; @lock held.
 * If the driver turned MSI-X off since, INTA# carries the interrupt, as
 * it would have, while the ISR still holds it (a read of the ISR
 * meanwhile took it, and the pin must not assert for nothing); if it
 * turned MSI-X on again before that, the vector does after all.
 */
static void msix_or_intx_locked(struct virtio_dev *v, uint16_t vec)
{
	while (!pci_msix_notify(&v->pci, vec) && v->isr &&
	       pci_intx_notify(&v->pci))
		;
}

/* The driver read the ISR, or reset the device; @lock held. */
static void clear_isr(struct virtio_dev *v)
{
	v->isr = 0;
	pci_intx_set(&v->pci, false);
}

/*
 * Whether the queues may take chains: only once the driver set DRIVER_OK
 * (virtio 1.2, 3.1.2), while bus mastering is on, and until the device
 * needs a reset or the driver resets it.  During a reset device_status
 * keeps DRIVER_OK until the device has quiesced: the device thread must
 * not serve a kick or its file then, after ops->quiesce() forgot what
 * this negotiation set up (virtio-net's tap offloads); @lock.
 */
static bool takes_chains(const struct virtio_dev *v)
{
	return !v->dma_off && !v->resetting &&
	       (v->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(v->status & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * Pause or restart the queues as takes_chains() changes, for every path
 * that takes chains (the device thread, virtio-console's input thread);
 * @lock.
 */
static void sync_pause(struct virtio_dev *v)
{
	unsigned int i;

	for (i = 0; i < v->ops->nr_queues; i++)
		vq_pause(&v->vq[i], !takes_chains(v));
}

/*
 * NEEDS_RESET, with its configuration interrupt; @lock held.  The queues
 * pause: no path takes a chain until the driver resets the device.
 */
static void needs_reset_locked(struct virtio_dev *v)
{
	v->status |= VIRTIO_STATUS_NEEDS_RESET;
	v->config_gen++;
	sync_pause(v);
	if (isr_notify_locked(v, VIRTIO_ISR_CONFIG))
		msix_or_intx_locked(v, v->config_vector);
}

/* Bus mastering went off or on; @lock. */
static void set_dma(struct virtio_dev *v, bool on)
{
	v->dma_off = !on;
	sync_pause(v);
}

/*
 * A kick for each enabled queue of a device that takes chains now, for
 * the kicks dropped while it took none; @lock.
 */
static void kick_enabled_locked(struct virtio_dev *v)
{
	unsigned int i;

	if (!takes_chains(v))
		return;
	for (i = 0; i < v->ops->nr_queues; i++)
		if (v->q[i].enable)
			virtio_kick_queue(v, i);
}

/*
 * Whether the driver got far enough that rings or negotiated features
 * are at stake: FEATURES_OK or DRIVER_OK set, or a queue enabled; @lock.
 * ACKNOWLEDGE and DRIVER alone are not: Linux's remove resets the device
 * and then sets ACKNOWLEDGE again before it clears bus mastering.
 */
static bool set_up_begun(const struct virtio_dev *v)
{
	unsigned int i;

	if (v->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK))
		return true;
	for (i = 0; i < v->ops->nr_queues; i++)
		if (v->q[i].enable)
			return true;
	return false;
}

/*
 * Bus mastering gates the device's access to guest memory.  A driver
 * clears it to stop the device's DMA: Linux's pci_device_shutdown()
 * before a kexec, whose next kernel reuses the rings' memory and sets it
 * again before it resets the device.  So once the clearing write is done
 * the device takes no chain and writes nothing: the queues pause, the
 * device thread serves nothing, and the requests it took before complete
 * first (ops->drain), as a reset waits for them.  A device the driver had
 * begun to set up (set_up_begun()) then needs a reset (NEEDS_RESET; its
 * MSI-X interrupt pending until bus mastering is back, an MSI being a
 * memory write, while INTx, a wire, asserts at once): setting the bit
 * again does not start it on rings that may no longer be the driver's.
 * One that was reset, or never had bus mastering, starts when it is set:
 * once DRIVER_OK is set too, each enabled queue gets a kick, for those
 * the device thread dropped meanwhile.
 */
static void pci_changed(void *opaque)
{
	struct virtio_dev *v = opaque;
	bool on;

	pthread_mutex_lock(&v->lock);
	sync_doorbells(v);
	on = pci_bus_master(&v->pci);
	if (on && v->dma_off) {
		set_dma(v, true);
		kick_enabled_locked(v);
	} else if (!on && !v->dma_off) {
		set_dma(v, false);
		/* under the same lock: a reset or a set may come next */
		if (set_up_begun(v) && !v->resetting &&
		    !(v->status & VIRTIO_STATUS_NEEDS_RESET))
			needs_reset_locked(v);
	}
	pthread_mutex_unlock(&v->lock);
	if (on)
		return;
	/* every write that finds it clear returns once the device is quiet */
	pthread_mutex_lock(&v->serve_lock);
	pthread_mutex_unlock(&v->serve_lock);
	if (v->ops->drain)
		v->ops->drain(v);
}

static void reset_locked(struct virtio_dev *v)
{
	unsigned int i;

	for (i = 0; i < v->ops->nr_queues; i++) {
		vq_reset(&v->vq[i]);
		v->q[i].enable = false;
		v->q[i].size = VQ_MAX_SIZE;
		v->q[i].msix = VIRTIO_MSI_NO_VECTOR;
		v->q[i].desc = v->q[i].driver = v->q[i].device = 0;
	}
	v->status = 0;
	v->guest_features = 0;
	v->dfsel = v->gfsel = 0;
	v->qsel = 0;
	clear_isr(v);
	/* as QEMU's virtio reset: no interrupt of before reaches the next */
	pci_msix_clear_pending(&v->pci);
	v->config_vector = VIRTIO_MSI_NO_VECTOR;
	v->resetting = false;
	sync_pause(v);
	sync_doorbells(v);
}

/*
 * The rest of a driver reset (write_status()), without @v->lock: the
 * device waits for the requests it still holds, and their completions
 * take the lock.  Only then does device_status read 0.
 */
static void finish_reset(struct virtio_dev *v)
{
	/* the device thread finishes what it is doing with a chain */
	pthread_mutex_lock(&v->serve_lock);
	pthread_mutex_unlock(&v->serve_lock);
	if (v->ops->quiesce)
		v->ops->quiesce(v);
	pthread_mutex_lock(&v->lock);
	reset_locked(v);
	pthread_mutex_unlock(&v->lock);
}

/* The common configuration as the driver would read it now. */
static void common_image(struct virtio_dev *v, uint8_t *c)
{
	struct virtio_queue_cfg *q;

	memset(c, 0, VIRTIO_COMMON_LEN);
	put_le32(c + CC_DFSELECT, v->dfsel);
	if (v->dfsel < 2)
		put_le32(c + CC_DF, v->host_features >> (32 * v->dfsel));
	put_le32(c + CC_GFSELECT, v->gfsel);
	if (v->gfsel < 2)
		put_le32(c + CC_GF, v->guest_features >> (32 * v->gfsel));
	put_le16(c + CC_MSIX, v->config_vector);
	put_le16(c + CC_NUMQ, v->ops->nr_queues);
	c[CC_STATUS] = v->status;
	c[CC_CFGGEN] = v->config_gen;
	put_le16(c + CC_Q_SELECT, v->qsel);
	if (v->qsel >= v->ops->nr_queues)
		return;
	q = &v->q[v->qsel];
	put_le16(c + CC_Q_SIZE, q->size);
	put_le16(c + CC_Q_MSIX, q->msix);
	put_le16(c + CC_Q_ENABLE, q->enable);
	put_le16(c + CC_Q_NOFF, v->qsel);
	put_le64(c + CC_Q_DESC, q->desc);
	put_le64(c + CC_Q_DRIVER, q->driver);
	put_le64(c + CC_Q_DEVICE, q->device);
}

/*
 * Return: true for a reset, which finish_reset() completes.  Its queues
 * stop here, so that nothing more is taken from the rings and vq_push()
 * drops the completions of requests still in progress; device_status
 * keeps its value until they are done, since a driver takes 0 to mean
 * that the device no longer touches its memory.
 */
static bool write_status(struct virtio_dev *v, uint8_t val)
{
	uint64_t g = v->guest_features;
	unsigned int i;
	uint8_t old;

	if (!val) {
		for (i = 0; i < v->ops->nr_queues; i++)
			vq_reset(&v->vq[i]);
		v->resetting = true;
		return true;
	}
	/*
	 * FEATURES_OK only for a subset of ours that has VERSION_1 and that
	 * the device can take
	 */
	if ((val & VIRTIO_STATUS_FEATURES_OK) &&
	    !(v->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((g & ~v->host_features) || !(g & (1ULL << VIRTIO_F_VERSION_1)) ||
	     (v->ops->features_ok && !v->ops->features_ok(g))))
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	/*
	 * The driver sets bits and clears none but by a reset (virtio 1.2,
	 * 2.1.2): FEATURES_OK stays, so the features stay negotiated.
	 */
	old = v->status;
	v->status |= val;
	/* the chains kicked before DRIVER_OK are taken now */
	if (!(old & VIRTIO_STATUS_DRIVER_OK)) {
		sync_pause(v);
		kick_enabled_locked(v);
	}
	return false;
}

static void enable_queue(struct virtio_dev *v, struct virtio_queue_cfg *q,
			 unsigned int i)
{
	/* a device that needs a reset starts nothing (nor says so again) */
	if (q->enable || v->resetting ||
	    !(v->status & VIRTIO_STATUS_FEATURES_OK) ||
	    (v->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	if (vq_start(&v->vq[i], q->size, q->desc, q->driver, q->device,
		     v->guest_features & (1ULL << VIRTIO_F_EVENT_IDX),
		     v->guest_features & (1ULL << VIRTIO_F_INDIRECT_DESC))) {
		/* with its configuration interrupt, as every NEEDS_RESET */
		needs_reset_locked(v);
		return;
	}
	q->enable = true;
	sync_doorbells(v);
}

/* A queue register the driver wrote: only while the queue is off. */
static void write_queue(struct virtio_dev *v, const uint8_t *c,
			unsigned int field)
{
	struct virtio_queue_cfg *q;
	uint16_t n;

	if (v->qsel >= v->ops->nr_queues)
		return;
	q = &v->q[v->qsel];
	if (field == CC_Q_MSIX) {
		n = get_le16(c + CC_Q_MSIX);
		q->msix = n < v->pci.nr_vectors ? n : VIRTIO_MSI_NO_VECTOR;
		return;
	}
	if (q->enable)
		return;
	switch (field) {
	case CC_Q_SIZE:
		n = get_le16(c + CC_Q_SIZE);
		q->size = n;
		break;
	case CC_Q_ENABLE:
		if (get_le16(c + CC_Q_ENABLE) == 1)
			enable_queue(v, q, v->qsel);
		break;
	case CC_Q_DESC:
		q->desc = get_le64(c + CC_Q_DESC);
		break;
	case CC_Q_DRIVER:
		q->driver = get_le64(c + CC_Q_DRIVER);
		break;
	case CC_Q_DEVICE:
		q->device = get_le64(c + CC_Q_DEVICE);
		break;
	}
}

static const struct {
	uint8_t off, len;
} fields[] = {
	{ CC_DFSELECT, 4 }, { CC_GFSELECT, 4 }, { CC_GF, 4 }, { CC_MSIX, 2 },
	{ CC_STATUS, 1 }, { CC_Q_SELECT, 2 }, { CC_Q_SIZE, 2 },
	{ CC_Q_MSIX, 2 }, { CC_Q_ENABLE, 2 }, { CC_Q_DESC, 8 },
	{ CC_Q_DRIVER, 8 }, { CC_Q_DEVICE, 8 },
};

/*
 * A write of @len bytes at @off of the common configuration: applied to
 * its image, then each writable field it touched takes effect.  Return:
 * true when it reset the device (write_status()).
 */
static bool common_write(struct virtio_dev *v, unsigned int off,
			 const uint8_t *data, unsigned int len)
{
	uint8_t c[VIRTIO_COMMON_LEN];
	unsigned int i, f, shift;
	bool reset = false;
	uint16_t vec;

	common_image(v, c);
	for (i = 0; i < len && off + i < VIRTIO_COMMON_LEN; i++)
		c[off + i] = data[i];
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		f = fields[i].off;
		if (off >= f + fields[i].len || f >= off + len)
			continue;
		switch (f) {
		case CC_DFSELECT:
			v->dfsel = get_le32(c + f);
			break;
		case CC_GFSELECT:
			v->gfsel = get_le32(c + f);
			break;
		case CC_GF:
			if (v->gfsel >= 2 ||
			    (v->status & VIRTIO_STATUS_FEATURES_OK))
				break;
			shift = 32 * v->gfsel;
			v->guest_features &= ~(0xffffffffULL << shift);
			v->guest_features |= (uint64_t)get_le32(c + f) << shift;
			break;
		case CC_MSIX:
			vec = get_le16(c + f);
			v->config_vector = vec < v->pci.nr_vectors ? vec :
					   VIRTIO_MSI_NO_VECTOR;
			break;
		case CC_STATUS:
			reset |= write_status(v, c[f]);
			break;
		case CC_Q_SELECT:
			v->qsel = get_le16(c + f);
			break;
		default:
			write_queue(v, c, f);
		}
	}
	return reset;
}

/**
 * virtio_bar_read() - a read of BAR 0 (not of the MSI-X table or PBA)
 * @opaque: the struct virtio_dev
 * @bar: the BAR
 * @off: offset in it
 * @data: filled with @len bytes
 * @len: 1-8
 */
void virtio_bar_read(void *opaque, unsigned int bar, uint64_t off,
		     void *data, unsigned int len)
{
	struct virtio_dev *v = opaque;
	uint8_t c[VIRTIO_COMMON_LEN];

	memset(data, 0, len);
	if (bar != VIRTIO_BAR)
		return;
	if (off - VIRTIO_DEVCFG_OFF < VIRTIO_DEVCFG_LEN) {
		off -= VIRTIO_DEVCFG_OFF;
		if (off + len <= VIRTIO_DEVCFG_LEN)
			v->ops->cfg_read(v, off, data, len);
		return;
	}
	pthread_mutex_lock(&v->lock);
	if (off < VIRTIO_COMMON_LEN) {
		common_image(v, c);
		memcpy(data, c + off, off + len <= VIRTIO_COMMON_LEN ?
		       len : VIRTIO_COMMON_LEN - off);
	} else if (off == VIRTIO_ISR_OFF) {
		/* reading the ISR clears it */
		*(uint8_t *)data = v->isr;
		clear_isr(v);
	}
	pthread_mutex_unlock(&v->lock);
}

/**
 * virtio_bar_write() - a write to BAR 0 (not to the MSI-X table or PBA)
 * @opaque: the struct virtio_dev
 * @bar: the BAR
 * @off: offset in it
 * @data: @len bytes
 * @len: 1-8
 *
 * A write to a queue's notification address that reaches here (its
 * doorbell is not registered) kicks the queue as the doorbell would.  A
 * write of 0 to device_status returns once the device is reset, its
 * requests in progress finished.
 */
void virtio_bar_write(void *opaque, unsigned int bar, uint64_t off,
		      const void *data, unsigned int len)
{
	struct virtio_dev *v = opaque;
	bool reset = false;
	uint64_t n;

	if (bar != VIRTIO_BAR)
		return;
	n = (off - VIRTIO_NOTIFY_OFF) / VIRTIO_NOTIFY_MULT;
	if (off >= VIRTIO_NOTIFY_OFF && n < v->ops->nr_queues) {
		virtio_kick_queue(v, n);
		return;
	}
	pthread_mutex_lock(&v->lock);
	if (off < VIRTIO_COMMON_LEN)
		reset = common_write(v, off, data, len);
	pthread_mutex_unlock(&v->lock);
	if (reset)
		finish_reset(v);
}

static const struct pci_bar_ops virtio_bar_ops = {
	.read = virtio_bar_read,
	.write = virtio_bar_write,
};

/**
 * virtio_needs_reset() - the device cannot go on until the driver resets
 * it: NEEDS_RESET, and a configuration change interrupt
 * @v: the device
 */
void virtio_needs_reset(struct virtio_dev *v)
{
	pthread_mutex_lock(&v->lock);
	needs_reset_locked(v);
	pthread_mutex_unlock(&v->lock);
}

/**
 * virtio_bad() - a request against the device's own rules: NEEDS_RESET,
 * said on standard error the first time only (a reset re-arms the device,
 * and a guest that made the same fault after each would fill the log)
 * @v: the device
 * @what: the fault
 */
void virtio_bad(struct virtio_dev *v, const char *what)
{
	if (!__atomic_exchange_n(&v->bad_said, true, __ATOMIC_RELAXED))
		msg("%s: %s: the device needs a reset; later faults are not said",
		    v->ops->name, what);
	virtio_needs_reset(v);
}

/**
 * virtio_complete_many() - hand chains back at once and interrupt when
 * the driver wants it
 * @v: the device
 * @q: the queue
 * @u: the chains and the bytes written into each (vq_push_many())
 * @n: how many
 */
void virtio_complete_many(struct virtio_dev *v, unsigned int q,
			  const struct vq_used *u, unsigned int n)
{
	uint16_t vec;
	bool msix;

	if (!vq_push_many(&v->vq[q], u, n))
		return;
	pthread_mutex_lock(&v->lock);
	msix = isr_notify_locked(v, VIRTIO_ISR_QUEUE);
	vec = v->q[q].msix;
	pthread_mutex_unlock(&v->lock);
	/*
	 * The disk's hot path: the MSI (an irqfd's injection) goes after
	 * the device's lock is dropped, so that the other workers'
	 * completions and the device thread's kicks do not wait on it
	 * (sent under it, make bench's random 4 KiB reads were a quarter
	 * slower).
	 */
	if (!msix || pci_msix_notify(&v->pci, vec))
		return;
	/* the driver turned MSI-X off since: the rare path, locked */
	pthread_mutex_lock(&v->lock);
	msix_or_intx_locked(v, vec);
	pthread_mutex_unlock(&v->lock);
}

/**
 * virtio_complete() - hand a chain back and interrupt when the driver
 * wants it
 * @v: the device
 * @q: the queue
 * @head: the chain's head
 * @len: bytes written into its writable buffers
 */
void virtio_complete(struct virtio_dev *v, unsigned int q, uint16_t head,
		     uint32_t len)
{
	struct vq_used u = { .head = head, .len = len };

	virtio_complete_many(v, q, &u, 1);
}

/**
 * virtio_init() - a virtio-pci device, before pci_bus_add()
 * @v: the device (its device part is the caller's)
 * @ops: the device
 * @mem: guest RAM
 * @doorbell: (un)registers the queues' doorbells
 * @doorbell_ctx: passed to @doorbell
 *
 * Return: 0, or -1 after a message.
 */
int virtio_init(struct virtio_dev *v, const struct virtio_ops *ops,
		const struct vq_mem *mem, virtio_doorbell_fn doorbell,
		void *doorbell_ctx)
{
	unsigned int i;

	pci_dev_init(&v->pci, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_DEVICE_BASE + ops->device_id, ops->class,
		     VIRTIO_PCI_REVISION);
	put_le16(v->pci.cfg + PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
	put_le16(v->pci.cfg + PCI_SUBSYSTEM_ID, VIRTIO_PCI_SUBSYS_ID);
	v->pci.ops = &virtio_bar_ops;
	v->pci.opaque = v;
	v->pci.changed = pci_changed;
	pci_add_intx(&v->pci);
	v->ops = ops;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->serve_lock, NULL);
	v->host_features = ops->features | 1ULL << VIRTIO_F_VERSION_1 |
			   1ULL << VIRTIO_F_EVENT_IDX |
			   1ULL << VIRTIO_F_INDIRECT_DESC;
	v->doorbell = doorbell;
	v->doorbell_ctx = doorbell_ctx;
	for (i = 0; i < VIRTIO_MAX_QUEUES; i++)
		v->q[i].kick_efd = -1;
	v->stop_efd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < ops->nr_queues; i++) {
		snprintf(v->names[i], sizeof(v->names[i]), "%s queue %u",
			 ops->name, i);
		vq_init(&v->vq[i], mem, v->names[i]);
		v->q[i].kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->q[i].kick_efd < 0)
			goto fail;
	}
	if (v->stop_efd < 0 || ops->nr_queues > VIRTIO_MAX_QUEUES)
		goto fail;
	reset_locked(v);
	set_dma(v, false);	/* the command register starts at 0 */
	if (pci_add_bar(&v->pci, VIRTIO_BAR, VIRTIO_BAR_SIZE) ||
	    !add_cap(v, CAP_COMMON, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN) ||
	    !add_cap(v, CAP_NOTIFY, VIRTIO_NOTIFY_OFF,
		     VIRTIO_NOTIFY_MULT * ops->nr_queues) ||
	    !add_cap(v, CAP_ISR, VIRTIO_ISR_OFF, VIRTIO_ISR_LEN) ||
	    !add_cap(v, CAP_DEVICE, VIRTIO_DEVCFG_OFF, VIRTIO_DEVCFG_LEN) ||
	    add_cfg_cap(v) ||
	    pci_add_msix(&v->pci, VIRTIO_BAR, VIRTIO_MSIX_TABLE_OFF,
			 VIRTIO_MSIX_PBA_OFF, ops->nr_queues + 1))
		goto fail;
	return 0;
fail:
	msg("%s: cannot create the device: %s", ops->name, strerror(errno));
	return -1;
}

/**
 * virtio_may_serve() - whether the device thread may serve a queue now
 * @v: the device
 * @q: the queue, or -1 for the device's own file
 *
 * Called under @v->serve_lock, so that a pause that comes after waits.
 */
bool virtio_may_serve(struct virtio_dev *v, int q)
{
	bool ok;

	pthread_mutex_lock(&v->lock);
	ok = takes_chains(v) && (q < 0 || v->q[q].enable);
	pthread_mutex_unlock(&v->lock);
	return ok;
}

/**
 * virtio_destroy() - remove the doorbells and routes, free the device
 * @v: the device, stopped (virtio_init() may have failed half-way)
 */
void virtio_destroy(struct virtio_dev *v)
{
	unsigned int i;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->ops->nr_queues; i++)
		v->q[i].enable = false;
	sync_doorbells(v);
	pthread_mutex_unlock(&v->lock);
	for (i = 0; i < v->ops->nr_queues; i++) {
		if (v->q[i].kick_efd >= 0)
			close(v->q[i].kick_efd);
		vq_destroy(&v->vq[i]);
	}
	if (v->stop_efd >= 0)
		close(v->stop_efd);
	pci_dev_destroy(&v->pci);
	pthread_mutex_destroy(&v->serve_lock);
	pthread_mutex_destroy(&v->lock);
}
