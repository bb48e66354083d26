// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-pci transport
 * (userspace/hvx-run/virtio_pci.c) with its virtio-rng, through the PCI
 * bus as a driver uses them: the vendor capabilities, feature
 * negotiation (VERSION_1 required, nothing the device did not offer),
 * queue setup, the doorbell registered when the queue is enabled and
 * removed at reset, a request served by the device thread and completed
 * through the queue's MSI-X eventfd, virtio-rng's random bytes in every
 * writable buffer of a chain, and a malformed chain that sets
 * NEEDS_RESET and interrupts through the configuration vector; with
 * MSI-X off, completions and NEEDS_RESET assert INTA# until the
 * driver reads the ISR, and the INTx disable bit keeps it off the line;
 * a device out of memory for a chain serves it later.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "virtio_pci_fixture.h"
#include "virtio_driver.h"
#include "vring_build.h"

FIXTURE(vp) {
	struct io_bus *bus;
	struct pci_bus pb;
	struct virtio_dev *v;
	struct calls calls;
	uint8_t *ram;
	uint64_t bar;
};

FIXTURE_SETUP(vp)
{
	struct vq_mem mem;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, NULL);
	memset(&self->calls, 0, sizeof(self->calls));
	self->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	mem.base = self->ram;
	mem.size = RAM_SIZE;
	ASSERT_EQ(0, pci_bus_init(&self->pb, self->bus, route, &self->calls));
	self->v = virtio_rng_create(&mem, doorbell, &self->calls);
	ASSERT_NE(NULL, self->v);
	ASSERT_EQ(0, pci_bus_add(&self->pb, &self->v->pci));
	self->bar = ecam32(self->bus, PCI_BAR0);
	io_bus_mmio(self->bus, PCI_ECAM_BASE + (1 << 15) + PCI_COMMAND, 2,
		    true, (uint8_t *)&cmd);
}

FIXTURE_TEARDOWN(vp)
{
	virtio_stop(self->v);
	virtio_rng_free(self->v);
	pci_bus_destroy(&self->pb);
	io_bus_destroy(self->bus);
	free(self->bus);
	free(self->ram);
}

#define CC(off)		(self->bar + VIRTIO_COMMON_OFF + (off))

TEST_F(vp, identity_and_capabilities)
{
	unsigned int at, types = 0;

	EXPECT_EQ(0x10441af4U, ecam32(self->bus, 0));
	EXPECT_EQ(VIRTIO_PCI_REVISION, ecam32(self->bus, 8) & 0xff);
	EXPECT_EQ(0x00401af4U, ecam32(self->bus, PCI_SUBSYSTEM_VENDOR_ID));
	for (at = ecam32(self->bus, PCI_CAPABILITY_LIST) & 0xff; at;
	     at = (ecam32(self->bus, at) >> 8) & 0xff) {
		uint32_t w0 = ecam32(self->bus, at);

		if ((w0 & 0xff) != PCI_CAP_ID_VNDR)
			continue;
		types |= 1U << ((w0 >> 24) & 0xff);
		/* BAR 0, offset and length inside it */
		EXPECT_EQ(0, ecam32(self->bus, at + 4) & 0xff);
		EXPECT_LE(ecam32(self->bus, at + 8) +
			  ecam32(self->bus, at + 12), VIRTIO_BAR_SIZE);
		if (((w0 >> 24) & 0xff) == 2)
			EXPECT_EQ(VIRTIO_NOTIFY_MULT,
				  ecam32(self->bus, at + 16));
	}
	EXPECT_EQ(0x3e, types);	/* common, notify, ISR, device, PCI cfg */
	EXPECT_EQ(1, rd(self->bus, CC(0x12), 2));	/* num_queues */
}

TEST_F(vp, feature_negotiation)
{
	wr(self->bus, CC(0x00), 1, 4);
	EXPECT_EQ(1, rd(self->bus, CC(0x04), 4) & 1);	/* VERSION_1 */
	wr(self->bus, CC(0x00), 0, 4);
	EXPECT_EQ(3U << 28, rd(self->bus, CC(0x04), 4) & (3U << 28));
	wr(self->bus, CC(0x14), VIRTIO_STATUS_ACKNOWLEDGE |
	   VIRTIO_STATUS_DRIVER, 1);
	/* without VERSION_1: no FEATURES_OK */
	wr(self->bus, CC(0x14), 0x0b, 1);
	EXPECT_EQ(0x03, rd(self->bus, CC(0x14), 1));
	/* a feature the device did not offer: no FEATURES_OK */
	wr(self->bus, CC(0x08), 1, 4);
	wr(self->bus, CC(0x0c), 1 | 1U << 5, 4);
	wr(self->bus, CC(0x14), 0x0b, 1);
	EXPECT_EQ(0x03, rd(self->bus, CC(0x14), 1));
	wr(self->bus, CC(0x0c), 1, 4);
	wr(self->bus, CC(0x14), 0x0b, 1);
	EXPECT_EQ(0x0b, rd(self->bus, CC(0x14), 1));
	EXPECT_TRUE(virtio_has_feature(self->v, VIRTIO_F_VERSION_1));
	/* features are fixed once accepted */
	wr(self->bus, CC(0x0c), 0, 4);
	EXPECT_EQ(1, rd(self->bus, CC(0x0c), 4));
	/* reset */
	wr(self->bus, CC(0x14), 0, 1);
	EXPECT_EQ(0, rd(self->bus, CC(0x14), 1));
	EXPECT_FALSE(virtio_has_feature(self->v, VIRTIO_F_VERSION_1));
}

static void unmask_msix(struct io_bus *bus, uint64_t bar, unsigned int cap)
{
	uint16_t ctl = PCI_MSIX_FLAGS_ENABLE;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		wr(bus, bar + VIRTIO_MSIX_TABLE_OFF + 16 * i, 0xfee00000, 4);
		wr(bus, bar + VIRTIO_MSIX_TABLE_OFF + 16 * i + 8, 0x40 + i, 4);
		wr(bus, bar + VIRTIO_MSIX_TABLE_OFF + 16 * i + 12, 0, 4);
	}
	io_bus_mmio(bus, PCI_ECAM_BASE + (1 << 15) + cap + PCI_MSIX_FLAGS,
		    2, true, (uint8_t *)&ctl);
}

TEST_F(vp, request_through_doorbell_and_msix)
{
	uint8_t *d = self->ram + DESC;
	uint8_t gen;

	/* the MSI-X capability follows the five vendor capabilities */
	ASSERT_EQ(0x98, self->v->pci.msix_cap);
	ASSERT_EQ(PCI_CAP_ID_MSIX, ecam32(self->bus, 0x98) & 0xff);
	unmask_msix(self->bus, self->bar, 0x98);
	EXPECT_EQ(2, self->calls.routes);
	setup_queue(self->bus, self->bar);
	EXPECT_EQ(1, rd(self->bus, CC(0x1c), 2));
	EXPECT_EQ(1, self->calls.doorbells);
	EXPECT_EQ(self->bar + VIRTIO_NOTIFY_OFF, self->calls.db_gpa);
	ASSERT_EQ(0, virtio_start(self->v));

	/* one writable buffer of 64 bytes */
	put_le64(d, BUF);
	put_le32(d + 8, 64);
	put_le16(d + 12, VRING_DESC_F_WRITE);
	put_le16(self->ram + AVAIL + 4, 0);
	put_le16(self->ram + AVAIL + 2, 1);
	/* the notify write, as the doorbell would signal it */
	wr(self->bus, self->bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_TRUE(wait_efd(self->v->pci.msix[1].efd));
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	EXPECT_EQ(0, get_le32(self->ram + USED + 4));
	EXPECT_EQ(64, get_le32(self->ram + USED + 8));

	/* a loop: NEEDS_RESET, and the configuration vector */
	gen = rd(self->bus, CC(0x15), 1);
	put_le16(d + 12, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
	put_le16(d + 14, 0);
	put_le16(self->ram + AVAIL + 6, 0);
	put_le16(self->ram + AVAIL + 2, 2);
	wr(self->bus, self->bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_TRUE(wait_efd(self->v->pci.msix[0].efd));
	EXPECT_EQ(0x4f, rd(self->bus, CC(0x14), 1));
	/* a configuration change: a new generation, the ISR's bit 1 once */
	EXPECT_NE(gen, rd(self->bus, CC(0x15), 1));
	EXPECT_EQ(VIRTIO_ISR_CONFIG, rd(self->bus, self->bar + VIRTIO_ISR_OFF, 1)
		  & VIRTIO_ISR_CONFIG);
	EXPECT_EQ(0, rd(self->bus, self->bar + VIRTIO_ISR_OFF, 1));
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	/* reset: the doorbell goes, the queue is off */
	wr(self->bus, CC(0x14), 0, 1);
	EXPECT_EQ(1, self->calls.undoorbells);
	EXPECT_EQ(0, rd(self->bus, CC(0x1c), 2));
	EXPECT_EQ(0, rd(self->bus, CC(0x14), 1));
}

static void ecam_wr(struct io_bus *bus, unsigned int reg, uint32_t v,
		    unsigned int len)
{
	io_bus_mmio(bus, PCI_ECAM_BASE + (1 << 15) + reg, len, true,
		    (uint8_t *)&v);
}

/* GSI 17's level, slot 1's INTA#, as the device thread drives it */
static bool gsi17;

static void record_line(void *ctx, unsigned int gsi, bool level)
{
	if (gsi == 17)
		__atomic_store_n(&gsi17, level, __ATOMIC_SEQ_CST);
}

static bool wait_gsi17(bool level)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&gsi17, __ATOMIC_SEQ_CST) == level)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * pci_msix_notify() is wrapped (-Wl,--wrap): with msix_off_bus set, the
 * driver turns MSI-X off just before the device's next MSI, after the
 * device chose MSI-X for it, the race a test cannot time otherwise; with
 * msix_back_on too, it turns MSI-X on again just after the device found
 * it off.  (The MSI-X control word takes only the function's lock, so
 * this works under the device's lock, as NEEDS_RESET sends.)
 */
static struct io_bus *msix_off_bus;
static bool msix_back_on;

bool __real_pci_msix_notify(struct pci_dev *d, unsigned int vector);

bool __wrap_pci_msix_notify(struct pci_dev *d, unsigned int vector)
{
	struct io_bus *bus = __atomic_exchange_n(&msix_off_bus, NULL,
						 __ATOMIC_SEQ_CST);
	bool on;

	if (bus)
		ecam_wr(bus, 0x98 + PCI_MSIX_FLAGS, 0, 2);
	on = __real_pci_msix_notify(d, vector);
	if (bus && msix_back_on)
		ecam_wr(bus, 0x98 + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	return on;
}

/* One writable buffer of 64 bytes at avail index @idx - 1, kicked. */
static void post_buffer(struct io_bus *bus, uint64_t bar, uint8_t *ram,
			uint16_t idx)
{
	put_le64(ram + DESC, BUF);
	put_le32(ram + DESC + 8, 64);
	put_le16(ram + DESC + 12, VRING_DESC_F_WRITE);
	put_le16(ram + AVAIL + 4 + 2 * ((idx - 1) % QSIZE), 0);
	/* the device thread may be reading it: published, as a driver does */
	__atomic_store_n((uint16_t *)(ram + AVAIL + 2), idx, __ATOMIC_RELEASE);
	wr(bus, bar + VIRTIO_NOTIFY_OFF, 0, 2);
}

/*
 * A driver without MSI-X (Linux's pci=nomsi): a completion sets the
 * ISR's queue bit and asserts INTA# (GSI 17, active low); reading the ISR
 * releases it.  NEEDS_RESET asserts it with the configuration bit, and
 * a reset releases it too.  With MSI-X on, the pin stays idle.
 */
TEST_F(vp, request_through_intx)
{
	uint8_t *d = self->ram + DESC;

	pci_bus_connect_intx(&self->pb, record_line, NULL);
	EXPECT_TRUE(gsi17);
	EXPECT_EQ(PCI_INTERRUPT_PIN_A << 8 | 17,
		  ecam32(self->bus, PCI_INTERRUPT_LINE) & 0xffff);
	setup_queue(self->bus, self->bar);
	ASSERT_EQ(0, virtio_start(self->v));

	post_buffer(self->bus, self->bar, self->ram, 1);
	ASSERT_TRUE(wait_gsi17(false));
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	EXPECT_EQ(64, get_le32(self->ram + USED + 8));
	EXPECT_TRUE(ecam32(self->bus, PCI_COMMAND) >> 16 &
		    PCI_STATUS_INTERRUPT);
	/* the driver's interrupt handler reads the ISR: the pin goes idle */
	EXPECT_EQ(VIRTIO_ISR_QUEUE, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
				       1));
	EXPECT_TRUE(gsi17);
	EXPECT_FALSE(ecam32(self->bus, PCI_COMMAND) >> 16 &
		     PCI_STATUS_INTERRUPT);
	EXPECT_EQ(0, rd(self->bus, self->bar + VIRTIO_ISR_OFF, 1));

	/* a loop in the chain: NEEDS_RESET, the configuration bit */
	put_le16(d + 12, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
	put_le16(d + 14, 0);
	put_le16(self->ram + AVAIL + 6, 0);
	__atomic_store_n((uint16_t *)(self->ram + AVAIL + 2), 2,
			 __ATOMIC_RELEASE);
	wr(self->bus, self->bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_TRUE(wait_gsi17(false));
	EXPECT_EQ(0x4f, rd(self->bus, CC(0x14), 1));
	/* the reset ends it without a read of the ISR */
	wr(self->bus, CC(0x14), 0, 1);
	EXPECT_TRUE(gsi17);
	EXPECT_EQ(0, rd(self->bus, self->bar + VIRTIO_ISR_OFF, 1));

	/* MSI-X on: the vector, and the pin stays idle */
	memset(self->ram + AVAIL, 0, 0x2000);
	unmask_msix(self->bus, self->bar, 0x98);
	setup_queue(self->bus, self->bar);
	post_buffer(self->bus, self->bar, self->ram, 1);
	ASSERT_TRUE(wait_efd(self->v->pci.msix[1].efd));
	EXPECT_TRUE(gsi17);
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	/*
	 * and turning MSI-X off does not assert it for what MSI-X sent:
	 * INTx carries only what is notified while MSI-X is off, as QEMU's
	 * devices do (a driver falling back to INTx would otherwise take
	 * an interrupt for completions it already had)
	 */
	ecam_wr(self->bus, 0x98 + PCI_MSIX_FLAGS, 0, 2);
	EXPECT_TRUE(gsi17);
	EXPECT_FALSE(ecam32(self->bus, PCI_COMMAND) >> 16 &
		     PCI_STATUS_INTERRUPT);
	/* but what completes after it does, as a driver falling back wants */
	EXPECT_EQ(VIRTIO_ISR_QUEUE, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
				       1));
	post_buffer(self->bus, self->bar, self->ram, 2);
	ASSERT_TRUE(wait_gsi17(false));
	EXPECT_EQ(2, get_le16(self->ram + USED + 2));
	EXPECT_EQ(VIRTIO_ISR_QUEUE, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
				       1));
	EXPECT_TRUE(gsi17);

	/*
	 * and so does one that MSI-X was chosen for when MSI-X went off
	 * before its MSI was sent: no MSI, INTA# instead, not lost
	 */
	unmask_msix(self->bus, self->bar, 0x98);
	__atomic_store_n(&msix_off_bus, self->bus, __ATOMIC_SEQ_CST);
	post_buffer(self->bus, self->bar, self->ram, 3);
	ASSERT_TRUE(wait_gsi17(false));
	EXPECT_EQ(NULL, msix_off_bus);
	EXPECT_EQ(3, get_le16(self->ram + USED + 2));
	EXPECT_EQ(VIRTIO_ISR_QUEUE, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
				       1));
	EXPECT_TRUE(gsi17);
	EXPECT_EQ(0, poll(&(struct pollfd){ .fd = self->v->pci.msix[1].efd,
					    .events = POLLIN }, 1, 0));

	/*
	 * The command register's INTx disable bit: the function still has
	 * its interrupt (the status bit, the ISR) but does not drive the
	 * line; clearing the bit drives it, and the ISR read releases it.
	 */
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
	post_buffer(self->bus, self->bar, self->ram, 4);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 4));
	EXPECT_TRUE(ecam32(self->bus, PCI_COMMAND) >> 16 &
		    PCI_STATUS_INTERRUPT);
	EXPECT_TRUE(gsi17);
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER, 2);
	EXPECT_FALSE(gsi17);
	EXPECT_EQ(VIRTIO_ISR_QUEUE, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
				       1));
	EXPECT_TRUE(gsi17);
	EXPECT_FALSE(ecam32(self->bus, PCI_COMMAND) >> 16 &
		     PCI_STATUS_INTERRUPT);

	/* MSI-X off and on again in that window: the MSI after all */
	unmask_msix(self->bus, self->bar, 0x98);
	msix_back_on = true;
	__atomic_store_n(&msix_off_bus, self->bus, __ATOMIC_SEQ_CST);
	post_buffer(self->bus, self->bar, self->ram, 5);
	ASSERT_TRUE(wait_efd(self->v->pci.msix[1].efd));
	EXPECT_EQ(5, get_le16(self->ram + USED + 2));
	EXPECT_TRUE(gsi17);
	EXPECT_EQ(VIRTIO_ISR_QUEUE, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
				       1));

	/* NEEDS_RESET's interrupt, MSI-X gone off before its MSI: INTA# */
	msix_back_on = false;
	__atomic_store_n(&msix_off_bus, self->bus, __ATOMIC_SEQ_CST);
	put_le16(d + 12, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
	put_le16(d + 14, 0);
	put_le16(self->ram + AVAIL + 4 + 2 * 5, 0);
	__atomic_store_n((uint16_t *)(self->ram + AVAIL + 2), 6,
			 __ATOMIC_RELEASE);
	wr(self->bus, self->bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_TRUE(wait_gsi17(false));
	EXPECT_EQ(0x4f, rd(self->bus, CC(0x14), 1));
	EXPECT_EQ(VIRTIO_ISR_CONFIG, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
					1));
	EXPECT_TRUE(gsi17);
	EXPECT_EQ(0, poll(&(struct pollfd){ .fd = self->v->pci.msix[0].efd,
					    .events = POLLIN }, 1, 0));
}

/*
 * Linux's remove of a virtio driver (an unbind, a module unloaded): a
 * reset, ACKNOWLEDGE set again, then bus mastering cleared.  Nothing of a
 * driver's is at stake: no NEEDS_RESET, and no interrupt on the pin that
 * the next driver enables.  One that got to FEATURES_OK needs a reset.
 */
TEST_F(vp, remove_leaves_no_reset_pending)
{
	pci_bus_connect_intx(&self->pb, record_line, NULL);
	setup_queue(self->bus, self->bar);
	ASSERT_EQ(0, virtio_start(self->v));
	wr(self->bus, CC(0x14), 0, 1);
	wr(self->bus, CC(0x14), VIRTIO_STATUS_ACKNOWLEDGE, 1);
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(VIRTIO_STATUS_ACKNOWLEDGE, rd(self->bus, CC(0x14), 1));
	EXPECT_TRUE(gsi17);
	EXPECT_FALSE(ecam32(self->bus, PCI_COMMAND) >> 16 &
		     PCI_STATUS_INTERRUPT);
	EXPECT_EQ(0, rd(self->bus, self->bar + VIRTIO_ISR_OFF, 1));

	/* the next driver, as far as FEATURES_OK, then bus mastering off */
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER, 2);
	wr(self->bus, CC(0x14), 0x03, 1);
	wr(self->bus, CC(0x08), 1, 4);
	wr(self->bus, CC(0x0c), 1, 4);
	wr(self->bus, CC(0x14), 0x0b, 1);
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(0x4b, rd(self->bus, CC(0x14), 1));
	EXPECT_FALSE(gsi17);
	EXPECT_EQ(VIRTIO_ISR_CONFIG, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
					1));
}

TEST_F(vp, pci_cfg_access_window)
{
	unsigned int cap = 0x84, a = 0x80000000U | 1 << 11 | (cap + 16);
	uint32_t v;

	ASSERT_EQ(PCI_CAP_ID_VNDR | 5U << 24, ecam32(self->bus, cap) &
		  0xff0000ff);
	/* num_queues through the window: BAR 0, offset 0x12, 2 bytes */
	ecam_wr(self->bus, cap + 4, 0, 1);
	ecam_wr(self->bus, cap + 8, VIRTIO_COMMON_OFF + 0x12, 4);
	ecam_wr(self->bus, cap + 12, 2, 4);
	EXPECT_EQ(1, ecam32(self->bus, cap + 16));
	/* a status write through the window, by ports byte by byte */
	ecam_wr(self->bus, cap + 8, VIRTIO_COMMON_OFF + 0x14, 4);
	ecam_wr(self->bus, cap + 12, 1, 4);
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	v = VIRTIO_STATUS_ACKNOWLEDGE;
	io_bus_out(self->bus, PCI_CONFIG_DATA, 1, &v);
	EXPECT_EQ(VIRTIO_STATUS_ACKNOWLEDGE, rd(self->bus, CC(0x14), 1));
	/* misaligned or of another size: zeros, nothing written */
	ecam_wr(self->bus, cap + 8, VIRTIO_COMMON_OFF + 0x13, 4);
	ecam_wr(self->bus, cap + 12, 2, 4);
	EXPECT_EQ(0, ecam32(self->bus, cap + 16));
	ecam_wr(self->bus, cap + 8, VIRTIO_COMMON_OFF + 0x14, 4);
	ecam_wr(self->bus, cap + 12, 3, 4);
	ecam_wr(self->bus, cap + 16, 0, 4);
	EXPECT_EQ(VIRTIO_STATUS_ACKNOWLEDGE, rd(self->bus, CC(0x14), 1));
	/* an offset whose end wraps past 2^32 is outside the BAR */
	ecam_wr(self->bus, cap + 8, 0xfffffffc, 4);
	ecam_wr(self->bus, cap + 12, 4, 4);
	EXPECT_EQ(0, ecam32(self->bus, cap + 16));
}

/*
 * An enabled queue's doorbell is where BAR 0 decodes: it goes while the
 * command register turns memory space off or the BAR is outside the
 * bridge's window, and moves with the BAR.
 */
TEST_F(vp, doorbell_follows_memory_enable_and_bar)
{
	uint32_t moved = self->bar + 0x100000;

	setup_queue(self->bus, self->bar);
	EXPECT_EQ(1, self->calls.doorbells);
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
	EXPECT_EQ(1, self->calls.undoorbells);
	/* nothing decodes there: all ones */
	EXPECT_EQ(0xffff, rd(self->bus, CC(0x1c), 2));
	ecam_wr(self->bus, PCI_COMMAND, PCI_COMMAND_MEMORY |
		PCI_COMMAND_MASTER, 2);
	EXPECT_EQ(2, self->calls.doorbells);
	EXPECT_EQ(self->bar + VIRTIO_NOTIFY_OFF, self->calls.db_gpa);
	EXPECT_EQ(1, rd(self->bus, CC(0x1c), 2));
	ecam_wr(self->bus, PCI_BAR0, moved, 4);
	EXPECT_EQ(2, self->calls.undoorbells);
	EXPECT_EQ(3, self->calls.doorbells);
	EXPECT_EQ(moved + VIRTIO_NOTIFY_OFF, self->calls.db_gpa);
	EXPECT_EQ(1, rd(self->bus, moved + VIRTIO_COMMON_OFF + 0x1c, 2));
	/*
	 * Outside the bridge's window (here over ECAM, or above it) the
	 * BAR decodes nowhere: no doorbell there either.
	 */
	ecam_wr(self->bus, PCI_BAR0, PCI_ECAM_BASE, 4);
	EXPECT_EQ(3, self->calls.undoorbells);
	EXPECT_EQ(3, self->calls.doorbells);
	ecam_wr(self->bus, PCI_BAR0, 0xf0000000, 4);
	EXPECT_EQ(3, self->calls.doorbells);
	EXPECT_EQ(0xffff, rd(self->bus, 0xf0000000 + VIRTIO_COMMON_OFF +
			     0x1c, 2));
	ecam_wr(self->bus, PCI_BAR0, moved, 4);
	EXPECT_EQ(4, self->calls.doorbells);
	EXPECT_EQ(moved + VIRTIO_NOTIFY_OFF, self->calls.db_gpa);
}

static unsigned int nr_lines;

static void count_lines(void *ctx, const char *buf, size_t len)
{
	nr_lines++;
}

TEST_F(vp, bad_rings_need_a_reset)
{
	uint8_t gen = rd(self->bus, CC(0x15), 1);

	nr_lines = 0;
	msg_set_output(count_lines, NULL);
	wr(self->bus, CC(0x14), 0x03, 1);
	wr(self->bus, CC(0x08), 1, 4);
	wr(self->bus, CC(0x0c), 1, 4);
	wr(self->bus, CC(0x14), 0x0b, 1);
	wr(self->bus, CC(0x18), QSIZE, 2);
	wr(self->bus, CC(0x20), RAM_SIZE - 16, 8);	/* outside RAM */
	wr(self->bus, CC(0x1c), 1, 2);
	EXPECT_EQ(0, rd(self->bus, CC(0x1c), 2));
	EXPECT_EQ(0x4b, rd(self->bus, CC(0x14), 1));
	EXPECT_EQ(0, self->calls.doorbells);
	/* a configuration change, as every NEEDS_RESET: generation, ISR */
	EXPECT_NE(gen, rd(self->bus, CC(0x15), 1));
	EXPECT_EQ(VIRTIO_ISR_CONFIG, rd(self->bus, self->bar + VIRTIO_ISR_OFF,
					1));
	/* one line: enabling it again until the reset says nothing more */
	wr(self->bus, CC(0x1c), 1, 2);
	wr(self->bus, CC(0x1c), 1, 2);
	EXPECT_EQ(1, nr_lines);
	EXPECT_EQ(0, rd(self->bus, CC(0x1c), 2));
	msg_set_output(NULL, NULL);
	/* a vector beyond the table reads back as NO_VECTOR */
	wr(self->bus, CC(0x1a), 7, 2);
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR, rd(self->bus, CC(0x1a), 2));
}

/* Whether the @len bytes at @p all read @c. */
static bool all_bytes(const uint8_t *p, size_t len, uint8_t c)
{
	while (len--)
		if (*p++ != c)
			return false;
	return true;
}

/*
 * virtio-rng fills every writable buffer of a chain from the host's
 * random bytes and says how many: the guest credits them to its
 * entropy pool, so a device that reported the length without writing
 * (or wrote zeros, or stopped after the first buffer) would hand it
 * bytes an attacker knows.  A readable buffer is the driver's and is
 * skipped.  The writable buffers start as 0xcc and end neither all
 * 0xcc nor alike (a false failure has a chance of about 2^-256), with
 * the bytes just past each untouched.
 */
TEST_F(vp, rng_fills_every_writable_buffer)
{
	uint8_t *in = self->ram + BUF, *w1 = in + 0x100, *w2 = in + 0x200;
	uint16_t next = 0;

	memset(in, 0xcc, 0x300);
	set_desc(self->ram, DESC, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, BUF + 0x100, 64,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	set_desc(self->ram, DESC, 2, BUF + 0x200, 32, VRING_DESC_F_WRITE, 0);
	setup_queue(self->bus, self->bar);
	ASSERT_EQ(0, virtio_start(self->v));
	vring_offer(self->ram, AVAIL, QSIZE, &next, 0);
	wr(self->bus, self->bar + VIRTIO_NOTIFY_OFF, 0, 2);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(0, get_le32(self->ram + USED + 4));
	EXPECT_EQ(64 + 32, get_le32(self->ram + USED + 8));
	EXPECT_FALSE(all_bytes(w1, 64, 0xcc));
	EXPECT_FALSE(all_bytes(w2, 32, 0xcc));
	EXPECT_NE(0, memcmp(w1, w2, 32));
	EXPECT_TRUE(all_bytes(in, 0x100, 0xcc));
	EXPECT_TRUE(all_bytes(w1 + 64, 0x100 - 64, 0xcc));
	EXPECT_TRUE(all_bytes(w2 + 32, 0x100 - 32, 0xcc));
	EXPECT_EQ(0x0f, rd(self->bus, CC(0x14), 1));	/* no NEEDS_RESET */
}

/*
 * A doorbell hvx refuses (the guest put the BAR over another device's):
 * the kicks come through BAR writes instead, the refusal is said once
 * however many command register writes try again, and a kick still
 * reaches the device.
 */
TEST_F(vp, refused_doorbell_said_once)
{
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	unsigned int i;

	nr_lines = 0;
	msg_set_output(count_lines, NULL);
	self->calls.db_refused = true;
	setup_queue(self->bus, self->bar);
	for (i = 0; i < 100; i++) {
		ecam_wr(self->bus, PCI_COMMAND, 0, 2);
		ecam_wr(self->bus, PCI_COMMAND, cmd, 2);
	}
	EXPECT_EQ(101, self->calls.doorbells);
	EXPECT_EQ(0, self->calls.undoorbells);
	EXPECT_EQ(1, nr_lines);
	msg_set_output(NULL, NULL);
	ASSERT_EQ(0, virtio_start(self->v));
	/* bus mastering went off with a queue on: a reset, then anew */
	wr(self->bus, CC(0x14), 0, 1);
	setup_queue(self->bus, self->bar);
	post_buffer(self->bus, self->bar, self->ram, 1);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
}

/* Chains the device fails to allocate (as if out of memory) */
static int fail_elems;

void *__real_malloc(size_t size);

void *__wrap_malloc(size_t size)
{
	if (size == sizeof(struct vq_elem) &&
	    __atomic_fetch_sub(&fail_elems, 1, __ATOMIC_SEQ_CST) > 0)
		return NULL;
	return __real_malloc(size);
}

/*
 * A device thread out of memory for a chain comes back for it by itself:
 * with EVENT_IDX the driver need not kick again.  Said once, however
 * often it tries.
 */
TEST_F(vp, out_of_memory_serves_the_chain_later)
{
	nr_lines = 0;
	msg_set_output(count_lines, NULL);
	setup_queue(self->bus, self->bar);
	__atomic_store_n(&fail_elems, 3, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, virtio_start(self->v));
	post_buffer(self->bus, self->bar, self->ram, 1);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(64, get_le32(self->ram + USED + 8));
	EXPECT_GE(0, __atomic_load_n(&fail_elems, __ATOMIC_SEQ_CST));
	EXPECT_EQ(1, nr_lines);
	msg_set_output(NULL, NULL);
	EXPECT_EQ(0x0f, rd(self->bus, CC(0x14), 1));	/* no NEEDS_RESET */
}

/*
 * An interrupt a masked vector holds (here NEEDS_RESET's configuration
 * change) is the old device's: after a reset, the driver that unmasks
 * the vector does not get it (Linux's next kernel after a kexec).
 */
TEST_F(vp, reset_forgets_pending_vectors)
{
	uint16_t ctl = PCI_MSIX_FLAGS_ENABLE;
	struct pollfd p = { .fd = self->v->pci.msix[0].efd, .events = POLLIN };

	/* MSI-X on, every vector masked (as the table starts) */
	ecam_wr(self->bus, 0x98 + PCI_MSIX_FLAGS, ctl, 2);
	wr(self->bus, CC(0x14), 0x03, 1);
	wr(self->bus, CC(0x08), 1, 4);
	wr(self->bus, CC(0x0c), 1, 4);
	wr(self->bus, CC(0x14), 0x0b, 1);
	wr(self->bus, CC(0x10), 0, 2);			/* config vector 0 */
	wr(self->bus, CC(0x20), RAM_SIZE - 16, 8);	/* outside RAM */
	wr(self->bus, CC(0x1c), 1, 2);
	EXPECT_EQ(0x4b, rd(self->bus, CC(0x14), 1));
	EXPECT_EQ(1, rd(self->bus, self->bar + VIRTIO_MSIX_PBA_OFF, 1));
	wr(self->bus, CC(0x14), 0, 1);
	EXPECT_EQ(0, rd(self->bus, self->bar + VIRTIO_MSIX_PBA_OFF, 1));
	unmask_msix(self->bus, self->bar, 0x98);
	EXPECT_EQ(0, poll(&p, 1, 50));
}

/*
 * A queue enables only after FEATURES_OK; once enabled its registers
 * stay as they were (the device may be using the rings).  A driver
 * feature select past the two words ignores writes and reads 0.
 */
TEST_F(vp, queue_and_feature_register_rules)
{
	wr(self->bus, CC(0x14), 0x03, 1);
	wr(self->bus, CC(0x08), 1, 4);
	wr(self->bus, CC(0x0c), 1, 4);
	wr(self->bus, CC(0x18), QSIZE, 2);
	wr(self->bus, CC(0x20), DESC, 8);
	wr(self->bus, CC(0x28), AVAIL, 8);
	wr(self->bus, CC(0x30), USED, 8);
	wr(self->bus, CC(0x1c), 1, 2);		/* before FEATURES_OK */
	EXPECT_EQ(0, rd(self->bus, CC(0x1c), 2));
	wr(self->bus, CC(0x08), 2, 4);		/* no third word */
	wr(self->bus, CC(0x0c), 0xffffffff, 4);
	EXPECT_EQ(0, rd(self->bus, CC(0x0c), 4));
	wr(self->bus, CC(0x08), 1, 4);
	EXPECT_EQ(1, rd(self->bus, CC(0x0c), 4));
	EXPECT_EQ(0, self->v->guest_features >> 33);
	wr(self->bus, CC(0x14), 0x0b, 1);
	EXPECT_EQ(0x0b, rd(self->bus, CC(0x14), 1));
	wr(self->bus, CC(0x1c), 1, 2);
	EXPECT_EQ(1, rd(self->bus, CC(0x1c), 2));
	/* enabled: size and ring addresses no longer change */
	wr(self->bus, CC(0x18), QSIZE / 2, 2);
	wr(self->bus, CC(0x20), DESC + 0x1000, 8);
	EXPECT_EQ(QSIZE, rd(self->bus, CC(0x18), 2));
	EXPECT_EQ(DESC, rd(self->bus, CC(0x20), 8));
	EXPECT_EQ(0x0b, rd(self->bus, CC(0x14), 1));
	/*
	 * A status write clears no bit (only a reset does): FEATURES_OK
	 * stays, and the features with it.
	 */
	wr(self->bus, CC(0x14), 0x03, 1);
	EXPECT_EQ(0x0b, rd(self->bus, CC(0x14), 1));
	wr(self->bus, CC(0x08), 0, 4);
	wr(self->bus, CC(0x0c), 0xffffffff, 4);
	EXPECT_EQ(1ULL << VIRTIO_F_VERSION_1, self->v->guest_features);
	wr(self->bus, CC(0x14), 0x0f, 1);
	EXPECT_EQ(0x0f, rd(self->bus, CC(0x14), 1));
}

TEST_HARNESS_MAIN
