// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: an I/O APIC in the manner of the 82093AA, with 24 input pins
 * (GSI 0-23) and the EOI register of the later, PCI 2.2 parts.
 *
 * The MMIO window (4 KiB, at 0xfec00000 by default) has IOREGSEL at
 * +0x00, IOWIN at +0x10 and the EOI register at +0x40.  IOREGSEL takes
 * any write width (its low byte is the register index); IOWIN is written
 * with 32-bit (or wider: the low 32 bits count) accesses only, as the
 * datasheet requires, narrower writes to it are dropped; reads of any
 * width return the bytes of the registers they cover, 0 outside them.
 * A write to the EOI register ends the interrupt whose vector is its low
 * byte, as an EOI message from a local APIC does.
 *
 * Registers, selected through IOREGSEL:
 *
 *   0x00 ID	bits 27:24 the APIC ID, writable
 *   0x01 VER	0x00170020: version 0x20, 24 entries (maximum entry 23),
 *		no pin assertion register
 *   0x02 ARB	the arbitration ID, which is the APIC ID (read-only)
 *   0x10-0x3f	redirection entry n at 0x10 + 2n (bits 31:0) and
 *		0x11 + 2n (bits 63:32): vector 7:0, delivery mode 10:8,
 *		logical destination 11, delivery status 12 (read-only,
 *		always 0: a message is sent at once), active low 13, remote
 *		IRR 14 (read-only), level triggered 15, masked 16,
 *		destination 63:56.  The other bits read 0.  Every entry
 *		starts masked and zero otherwise.
 *
 * Others read 0 and ignore writes.
 *
 * Why version 0x20: Linux knows that an I/O APIC of version 0x20 or later
 * has the EOI register, and uses it whenever it must end a level-triggered
 * interrupt itself (an interrupt that reached a CPU looking edge
 * triggered, a CPU going offline, clearing the entries at boot and
 * shutdown): one register write.  Before 0x20 it has to mask the entry,
 * switch it to edge and back, which this model supports too (an entry
 * switched to edge loses its remote IRR) but which is three MMIO exits
 * more and no better.  Version 0x20 with 24 entries is also what the
 * I/O APICs of PC chipsets since the ICH report, so no guest is surprised.
 *
 * The inputs: ioapic_set_irq() sets the electrical level of a pin.  A pin
 * programmed active high is asserted while its line is high, one
 * programmed active low while it is low; every line starts low, as ISA
 * lines are when idle, so a device on an active-low line must drive it
 * high to be idle.  An edge-triggered entry sends its interrupt when its
 * pin becomes asserted (an edge while masked is lost).  A level-triggered
 * entry (fixed or lowest priority: NMI, SMI, INIT and ExtINT are edge
 * whatever the trigger-mode bit says) sends its interrupt while its pin is asserted, unmasked and its
 * remote IRR clear, and sets remote IRR on sending; an EOI for the
 * entry's vector (ioapic_eoi(), the EOI register) clears remote IRR, and
 * if the pin is still asserted the interrupt is sent again.  Unmasking an
 * asserted level-triggered pin sends its interrupt.
 *
 * An interrupt is a message-signalled interrupt in the xAPIC format:
 * address 0xfee00000 | destination << 12 | logical << 2, data
 * vector | delivery mode << 8 | 1 << 14 (assert; an I/O APIC sends
 * nothing else) | level << 15.  The local APICs (hvx.ko) set their TMR
 * bit from bit 15, which is how a level-triggered EOI is recognised.
 *
 * Locking: one mutex guards the registers.  The messages an operation
 * decides to send are collected under it and sent after it is dropped,
 * in pin order, on the calling thread: the msi callback may block (an
 * ioctl), may run on several threads at once and may call back into the
 * I/O APIC.  A message the callback fails to send is counted in
 * msi_errors, the first also reported (msg()); a level-triggered entry
 * keeps its remote IRR then, as a message no local APIC accepts leaves it
 * on hardware.
 */
#include <errno.h>
#include <string.h>

#include "hvx-run.h"

#define RTE_DELMODE_MASK	(7ULL << IOAPIC_RTE_DELMODE_SHIFT)
#define RTE_LO_WRITABLE		(IOAPIC_RTE_VECTOR | RTE_DELMODE_MASK | \
				 IOAPIC_RTE_LOGICAL | IOAPIC_RTE_ACTIVE_LOW | \
				 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)
#define RTE_HI_WRITABLE		(0xffULL << IOAPIC_RTE_DEST_SHIFT)

#define ID_SHIFT		24
#define ID_MASK			0xf
#define VER_MAX_ENTRY_SHIFT	16

#define MSI_ADDR_BASE		0xfee00000ULL
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_LOGICAL	(1ULL << 2)
#define MSI_DATA_DELMODE_SHIFT	8
#define MSI_DATA_ASSERT		(1U << 14)
#define MSI_DATA_LEVEL		(1U << 15)

/* The messages one operation sends: at most one per pin. */
struct msi_batch {
	unsigned int n;
	struct {
		uint64_t address;
		uint32_t data;
		unsigned int pin;
	} m[IOAPIC_NUM_PINS];
};

/**
 * ioapic_init() - an I/O APIC after reset
 * @io: the device
 * @base: guest-physical address of its MMIO window
 * @id: its APIC ID, 0-15 (as the MADT says)
 * @msi: sends its interrupts
 * @msi_ctx: passed to @msi
 */
void ioapic_init(struct ioapic *io, uint64_t base, uint8_t id, msi_fn msi,
		 void *msi_ctx)
{
	unsigned int i;

	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	io->base = base;
	io->id = id & ID_MASK;
	io->msi = msi;
	io->msi_ctx = msi_ctx;
	for (i = 0; i < IOAPIC_NUM_PINS; i++)
		io->redir[i] = IOAPIC_RTE_MASKED;
}

/**
 * ioapic_destroy() - undo ioapic_init()
 * @io: the device
 */
void ioapic_destroy(struct ioapic *io)
{
	pthread_mutex_destroy(&io->lock);
}

static bool asserted(const struct ioapic *io, unsigned int pin)
{
	bool high = io->lines >> pin & 1;

	return high != !!(io->redir[pin] & IOAPIC_RTE_ACTIVE_LOW);
}

/*
 * Whether @rte is level-triggered: fixed and lowest-priority entries
 * only.  NMI, SMI, INIT and ExtINT are edge-triggered whatever the
 * trigger-mode bit says (82093AA; SDM, MSI data register): nothing ends
 * them with an EOI, so remote IRR would stay set and the pin silent.
 */
static bool rte_level(uint64_t rte)
{
	return (rte & IOAPIC_RTE_LEVEL) &&
	       (rte & RTE_DELMODE_MASK) >> IOAPIC_RTE_DELMODE_SHIFT <= 1;
}

/* Queue pin @pin's message.  Lock held. */
static void send(struct ioapic *io, unsigned int pin, struct msi_batch *b)
{
	uint64_t rte = io->redir[pin];
	uint64_t dest = rte >> IOAPIC_RTE_DEST_SHIFT & 0xff;
	uint32_t data;

	data = (rte & IOAPIC_RTE_VECTOR) |
	       ((rte & RTE_DELMODE_MASK) >> IOAPIC_RTE_DELMODE_SHIFT) <<
	       MSI_DATA_DELMODE_SHIFT | MSI_DATA_ASSERT;
	if (rte_level(rte)) {
		data |= MSI_DATA_LEVEL;
		io->redir[pin] |= IOAPIC_RTE_REMOTE_IRR;
	}
	b->m[b->n].address = MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT |
			     (rte & IOAPIC_RTE_LOGICAL ? MSI_ADDR_LOGICAL : 0);
	b->m[b->n].data = data;
	b->m[b->n].pin = pin;
	b->n++;
}

/* A level-triggered pin that must send now.  Lock held. */
static bool level_due(const struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->redir[pin];

	return rte_level(rte) &&
	       !(rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) &&
	       asserted(io, pin);
}

/*
 * Send what was queued.  Lock not held.  A refused message is the guest's
 * entry (hvx.ko refuses a vector under 16 and a reserved delivery mode,
 * which a local APIC would drop): the first is said, with its pin, so
 * that a guest whose device went quiet is not a mystery; the rest are
 * only counted, a guest being able to assert such a pin at any rate.
 */
static void flush(struct ioapic *io, const struct msi_batch *b)
{
	unsigned int i;
	int err;

	for (i = 0; i < b->n; i++) {
		if (io->msi(io->msi_ctx, b->m[i].address, b->m[i].data) >= 0)
			continue;
		err = errno;
		if (__atomic_fetch_add(&io->msi_errors, 1, __ATOMIC_RELAXED))
			continue;
		msg("I/O APIC: pin %u's interrupt (vector %u, delivery mode %u) not delivered: %s; more are only counted",
		    b->m[i].pin, b->m[i].data & 0xff,
		    b->m[i].data >> MSI_DATA_DELMODE_SHIFT & 7, strerror(err));
	}
}

/**
 * ioapic_set_irq() - drive an input pin
 * @io: the device
 * @pin: 0-23; others are ignored
 * @level: the line's new level, true for high
 */
void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	struct msi_batch b = { 0 };
	uint64_t rte;
	bool was;

	if (pin >= IOAPIC_NUM_PINS)
		return;
	pthread_mutex_lock(&io->lock);
	was = asserted(io, pin);
	if (level)
		io->lines |= 1U << pin;
	else
		io->lines &= ~(1U << pin);
	rte = io->redir[pin];
	if (rte_level(rte)) {
		if (level_due(io, pin))
			send(io, pin, &b);
	} else if (!(rte & IOAPIC_RTE_MASKED) && !was && asserted(io, pin)) {
		send(io, pin, &b);
	}
	pthread_mutex_unlock(&io->lock);
	flush(io, &b);
}

/**
 * ioapic_irq_line() - ioapic_set_irq() as an irq_line_fn
 * @ctx: the struct ioapic
 * @gsi: the pin (the I/O APIC's GSI base is 0)
 * @level: the line's new level
 */
void ioapic_irq_line(void *ctx, unsigned int gsi, bool level)
{
	ioapic_set_irq(ctx, gsi, level);
}

/* End the interrupts with @vector.  Lock held. */
static void eoi(struct ioapic *io, uint8_t vector, struct msi_batch *b)
{
	unsigned int pin;

	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		uint64_t rte = io->redir[pin];

		if ((rte & IOAPIC_RTE_VECTOR) != vector ||
		    !(rte & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		if (level_due(io, pin))
			send(io, pin, b);
	}
}

/**
 * ioapic_eoi() - a local APIC's EOI message for a level-triggered vector
 * @io: the device
 * @vector: the vector the guest ended
 *
 * Clears remote IRR of the entries with @vector, and sends again those
 * whose pin is still asserted.
 */
void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	struct msi_batch b = { 0 };

	pthread_mutex_lock(&io->lock);
	eoi(io, vector, &b);
	pthread_mutex_unlock(&io->lock);
	flush(io, &b);
}

/* Lock held. */
static uint32_t reg_read(const struct ioapic *io, uint8_t reg)
{
	unsigned int pin;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (uint32_t)io->id << ID_SHIFT;
	case IOAPIC_REG_VER:
		return (IOAPIC_NUM_PINS - 1) << VER_MAX_ENTRY_SHIFT |
		       IOAPIC_VERSION;
	}
	if (reg < IOAPIC_REG_REDIR ||
	    reg >= IOAPIC_REG_REDIR + 2 * IOAPIC_NUM_PINS)
		return 0;
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (reg & 1)
		return io->redir[pin] >> 32;
	return io->redir[pin];
}

/* Lock held. */
static void reg_write(struct ioapic *io, uint8_t reg, uint32_t val,
		      struct msi_batch *b)
{
	unsigned int pin;
	uint64_t rte;

	if (reg == IOAPIC_REG_ID) {
		io->id = val >> ID_SHIFT & ID_MASK;
		return;
	}
	if (reg < IOAPIC_REG_REDIR ||
	    reg >= IOAPIC_REG_REDIR + 2 * IOAPIC_NUM_PINS)
		return;
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	rte = io->redir[pin];
	if (reg & 1) {
		rte = (rte & ~RTE_HI_WRITABLE) |
		      ((uint64_t)val << 32 & RTE_HI_WRITABLE);
	} else {
		rte = (rte & ~RTE_LO_WRITABLE) | (val & RTE_LO_WRITABLE);
		/*
		 * Remote IRR means nothing for an edge-triggered entry; an
		 * I/O APIC without the EOI register is made to forget it
		 * by switching the entry to edge and back.
		 */
		if (!rte_level(rte))
			rte &= ~IOAPIC_RTE_REMOTE_IRR;
	}
	io->redir[pin] = rte;
	if (level_due(io, pin))
		send(io, pin, b);
}

/* The 32-bit register at window offset @off.  Lock held. */
static uint32_t window_read(const struct ioapic *io, uint64_t off)
{
	if (off == IOAPIC_REGSEL)
		return io->regsel;
	if (off == IOAPIC_IOWIN)
		return reg_read(io, io->regsel);
	return 0;
}

/**
 * ioapic_mmio_read() - a guest read from the MMIO window
 * @opaque: the struct ioapic
 * @offset: offset into the window
 * @data: filled with @len bytes
 * @len: 1-8
 */
void ioapic_mmio_read(void *opaque, uint64_t offset, void *data,
		      unsigned int len)
{
	struct ioapic *io = opaque;
	uint8_t *d = data;
	unsigned int i;

	pthread_mutex_lock(&io->lock);
	for (i = 0; i < len; i++) {
		uint64_t off = offset + i;

		d[i] = window_read(io, off & ~3ULL) >> 8 * (off & 3);
	}
	pthread_mutex_unlock(&io->lock);
}

/**
 * ioapic_mmio_write() - a guest write to the MMIO window
 * @opaque: the struct ioapic
 * @offset: offset into the window
 * @data: @len bytes
 * @len: 1-8
 */
void ioapic_mmio_write(void *opaque, uint64_t offset, const void *data,
		       unsigned int len)
{
	struct ioapic *io = opaque;
	struct msi_batch b = { 0 };
	const uint8_t *d = data;
	uint32_t val;

	pthread_mutex_lock(&io->lock);
	switch (offset) {
	case IOAPIC_REGSEL:
		io->regsel = d[0];
		break;
	case IOAPIC_IOWIN:
		if (len < 4)
			break;
		val = d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
		reg_write(io, io->regsel, val, &b);
		break;
	case IOAPIC_EOI:
		eoi(io, d[0], &b);
		break;
	}
	pthread_mutex_unlock(&io->lock);
	flush(io, &b);
}

static const struct io_mmio_ops ioapic_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

/**
 * ioapic_register() - put the MMIO window on the bus, at @io->base
 * @io: the device
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register_mmio()).
 */
int ioapic_register(struct ioapic *io, struct io_bus *bus)
{
	return io_bus_register_mmio(bus, io->base, IOAPIC_MMIO_SIZE,
				    &ioapic_ops, io, "ioapic");
}
