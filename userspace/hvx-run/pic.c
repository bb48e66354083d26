// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the two i8259A interrupt controllers of a PC and the edge/level
 * control registers (ELCR) of the chipsets that followed.
 *
 * The master is at ports 0x20-0x21 and takes ISA IRQs 0-7, the slave at
 * 0xa0-0xa1 takes IRQs 8-15 and is cascaded on the master's IR2.  The ELCR
 * at 0x4d0 (master) and 0x4d1 (slave) selects level triggering per IRQ, as
 * on PIIX and later chipsets; IRQs 0, 1, 2, 8 and 13 are always edge
 * triggered there, so their bits read as 0.  ICW1's LTIM bit is ignored:
 * the ELCR is the only source of the trigger mode, as on those chipsets.
 *
 * Emulated: the ICW1-ICW4 sequence (vector base from ICW2; ICW3 is
 * accepted and ignored, the slave is always on IR2; ICW4's auto-EOI),
 * OCW1 (the mask), OCW2's non-specific and specific EOI, OCW3's IRR/ISR
 * read select and poll command, and fully nested priority with IR0
 * highest.  Not emulated: priority rotation (the rotating EOIs act as
 * the plain ones, "set priority" and "rotate in auto-EOI" do nothing),
 * special mask mode, special fully nested mode (a slave request waits
 * for the master's EOI of IR2 like any other), buffered mode and the
 * 8080 call sequence (ICW4 bit 0 is taken as set).
 *
 * Edge-triggered inputs latch the request on the rising edge; lowering
 * the line does not withdraw it (a device that raises and then lowers its
 * line at once still gets its interrupt).  Level-triggered inputs request
 * while the line is high.  The master's IR2 follows the slave's INT output
 * as a level, whatever the master's trigger mode: a slave request is never
 * lost to a missed edge.
 *
 * The state after pic_init() is what a BIOS leaves: both chips
 * initialised, vectors 0x08 and 0x70, every IRQ masked and edge triggered.
 */
#include <string.h>

#include "hvx-run.h"

#define PIC_ICW1		0x10	/* port 0: an ICW1 */
#define PIC_ICW1_IC4		0x01	/* ICW4 follows */
#define PIC_ICW1_SNGL		0x02	/* no slave: no ICW3 */
#define PIC_OCW3		0x08	/* port 0, not ICW1: OCW3, else OCW2 */
#define PIC_OCW3_RIS		0x01	/* read ISR (with RR), else IRR */
#define PIC_OCW3_RR		0x02	/* RIS is valid */
#define PIC_OCW3_POLL		0x04
#define PIC_OCW2_EOI		0x20
#define PIC_OCW2_SL		0x40	/* specific: bits 2:0 name the IR */
#define PIC_ICW4_AEOI		0x02
#define PIC_POLL_INT		0x80	/* poll word: an IR was pending */

#define PIC_CASCADE_IR		2
#define PIC_SPURIOUS_IR		7

/* ELCR bits that exist: not IRQs 0, 1, 2 (master), 8 and 13 (slave). */
#define ELCR_MASTER_MASK	0xf8
#define ELCR_SLAVE_MASK		0xde

enum {
	INIT_DONE,
	INIT_ICW2,
	INIT_ICW3,
	INIT_ICW4,
};

/* The highest-priority (lowest-numbered) set bit, or 8 when none. */
static unsigned int first_bit(uint8_t bits)
{
	return bits ? __builtin_ctz(bits) : 8;
}

/*
 * The IR the chip would deliver: the highest-priority unmasked request
 * that beats everything in service.  -1 when none, and while it is being
 * initialised.
 */
static int chip_pending(const struct pic_chip *c)
{
	unsigned int req = first_bit(c->irr & ~c->imr);

	if (c->init_step != INIT_DONE)
		return -1;
	return req < first_bit(c->isr) ? (int)req : -1;
}

static void chip_set_line(struct pic_chip *c, unsigned int ir, bool level)
{
	uint8_t bit = 1 << ir;

	if (level) {
		if ((c->elcr & bit) || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		if (c->elcr & bit)
			c->irr &= ~bit;
		c->lines &= ~bit;
	}
}

/* The INTA (or poll) of @ir: in service unless auto-EOI, edge consumed. */
static void chip_ack(struct pic_chip *c, unsigned int ir)
{
	uint8_t bit = 1 << ir;

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
}

/* Feed the slave's INT output to the master's IR2 (a level, see above). */
static void update_cascade(struct pic *p)
{
	struct pic_chip *m = &p->chip[0];

	if (chip_pending(&p->chip[1]) >= 0)
		m->irr |= 1 << PIC_CASCADE_IR;
	else
		m->irr &= ~(1 << PIC_CASCADE_IR);
}

static bool output_locked(struct pic *p)
{
	return chip_pending(&p->chip[0]) >= 0;
}

/*
 * Take the lock and report INTR changes on the way out of it.
 *
 * @intr is called without the lock so that it may call back into the PIC
 * (pic_output(), pic_ack(), even pic_set_irq()).  Whoever calls into the
 * PIC may be the one that reports, so must not hold a lock that @intr
 * takes (unless that lock is recursive).  @intr's calls must still
 * come in the order of the changes, so only one thread reports at a
 * time: the one that finds nobody reporting loops until the level it
 * last reported is the current one, and a thread that changes the state
 * while another reports leaves its change to that one, which may report
 * it after the changing call returned.  Consecutive reports therefore
 * alternate, and the last one is the current level.
 */
static void pic_lock(struct pic *p)
{
	pthread_mutex_lock(&p->lock);
}

static void pic_unlock(struct pic *p)
{
	bool level;

	update_cascade(p);
	if (p->notifying || !p->intr) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->notifying = true;
	while ((level = output_locked(p)) != p->reported) {
		p->reported = level;
		pthread_mutex_unlock(&p->lock);
		p->intr(p->ctx, level);
		pthread_mutex_lock(&p->lock);
	}
	p->notifying = false;
	pthread_mutex_unlock(&p->lock);
}

static void chip_reset(struct pic_chip *c, uint8_t base, uint8_t elcr_mask)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->imr = 0xff;
	c->elcr_mask = elcr_mask;
}

/**
 * pic_init() - the PIC pair as a BIOS leaves it
 * @p: the device
 * @intr: called when the master's INTR output changes, with the new
 *	level, from whichever thread changed it (or another one reporting
 *	at the time); never with the PIC's lock held, never twice at once
 *	(see pic_unlock())
 * @ctx: passed to @intr
 */
void pic_init(struct pic *p, void (*intr)(void *ctx, bool level), void *ctx)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	chip_reset(&p->chip[0], 0x08, ELCR_MASTER_MASK);
	chip_reset(&p->chip[1], 0x70, ELCR_SLAVE_MASK);
	p->intr = intr;
	p->ctx = ctx;
}

/**
 * pic_destroy() - undo pic_init()
 * @p: the device
 */
void pic_destroy(struct pic *p)
{
	pthread_mutex_destroy(&p->lock);
}

/**
 * pic_set_irq() - drive an ISA interrupt line
 * @p: the device
 * @irq: 0-15; 2 (the cascade, which no ISA device drives: IRQ 9 took its
 *	place on the bus) and anything above 15 are ignored
 * @level: true raises the line
 */
void pic_set_irq(struct pic *p, unsigned int irq, bool level)
{
	if (irq > 15 || irq == PIC_CASCADE_IR)
		return;
	pic_lock(p);
	chip_set_line(&p->chip[irq / 8], irq % 8, level);
	pic_unlock(p);
}

/**
 * pic_output() - the master's INTR output
 * @p: the device
 *
 * Return: true while an interrupt waits for pic_ack().
 */
bool pic_output(struct pic *p)
{
	bool level;

	pthread_mutex_lock(&p->lock);
	level = output_locked(p);
	pthread_mutex_unlock(&p->lock);
	return level;
}

/**
 * pic_ack() - the CPU's interrupt acknowledge cycle
 * @p: the device
 *
 * The highest-priority request goes in service (unless auto-EOI) and an
 * edge-triggered request is consumed; a request on IR2 is the slave's,
 * which does the same with its own.
 *
 * Return: the vector to inject, or -1 when INTR was low.  Real hardware
 * answers an INTA without a request (one that went away since INTR rose)
 * with the vector of IR7 and nothing in service, the "spurious IRQ 7";
 * hvx-run asks before it injects anything, so it is told there is nothing
 * to inject instead.  The slave has its spurious IR7 too, but the master's
 * IR2 follows the slave's output under the same lock, so the slave always
 * has a request when the master acknowledges IR2.
 */
int pic_ack(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int ir, vec;

	pic_lock(p);
	ir = chip_pending(m);
	if (ir < 0) {
		vec = -1;
	} else {
		chip_ack(m, ir);
		vec = m->base + ir;
		if (ir == PIC_CASCADE_IR && !m->single) {
			ir = chip_pending(s);
			if (ir < 0) {
				vec = s->base + PIC_SPURIOUS_IR;
			} else {
				chip_ack(s, ir);
				vec = s->base + ir;
			}
		}
	}
	pic_unlock(p);
	return vec;
}

/* The poll command's answer: an INTA of this chip alone.  Lock held. */
static uint8_t chip_poll(struct pic_chip *c)
{
	int ir = chip_pending(c);

	c->poll = false;
	if (ir < 0)
		return 0;
	chip_ack(c, ir);
	return PIC_POLL_INT | ir;
}

static void chip_eoi(struct pic_chip *c, uint8_t ocw2)
{
	if (!(ocw2 & PIC_OCW2_EOI))
		return;	/* rotate in auto-EOI, set priority: no rotation */
	if (ocw2 & PIC_OCW2_SL)
		c->isr &= ~(1 << (ocw2 & 7));
	else if (c->isr)
		c->isr &= c->isr - 1;	/* the highest priority in service */
}

static void chip_write0(struct pic_chip *c, uint8_t val)
{
	if (val & PIC_ICW1) {
		/*
		 * The edge sense is reset: an edge input that is high must
		 * go low and high again to request.  A level input still
		 * requests.
		 */
		c->irr = c->lines & c->elcr;
		c->isr = 0;
		c->imr = 0;
		c->read_isr = false;
		c->poll = false;
		c->auto_eoi = false;
		c->icw4 = val & PIC_ICW1_IC4;
		c->single = val & PIC_ICW1_SNGL;
		c->init_step = INIT_ICW2;
	} else if (val & PIC_OCW3) {
		if (val & PIC_OCW3_RR)
			c->read_isr = val & PIC_OCW3_RIS;
		c->poll = val & PIC_OCW3_POLL;
	} else {
		chip_eoi(c, val);
	}
}

static void chip_write1(struct pic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case INIT_ICW2:
		c->base = val & 0xf8;
		if (!c->single)
			c->init_step = INIT_ICW3;
		else if (c->icw4)
			c->init_step = INIT_ICW4;
		else
			c->init_step = INIT_DONE;
		break;
	case INIT_ICW3:
		c->init_step = c->icw4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->auto_eoi = val & PIC_ICW4_AEOI;
		c->init_step = INIT_DONE;
		break;
	default:
		c->imr = val;
		break;
	}
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	struct pic *p = opaque;
	struct pic_chip *c;
	uint8_t v;

	pic_lock(p);
	if (port == PIC_ELCR_BASE || port == PIC_ELCR_BASE + 1) {
		v = p->chip[port - PIC_ELCR_BASE].elcr;
	} else {
		c = &p->chip[port >= PIC_SLAVE_BASE];
		/* Either port answers a poll: it is the next read. */
		if (c->poll)
			v = chip_poll(c);
		else if (port & 1)
			v = c->imr;
		else
			v = c->read_isr ? c->isr : c->irr;
	}
	pic_unlock(p);
	return v;
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct pic *p = opaque;
	struct pic_chip *c;

	pic_lock(p);
	if (port == PIC_ELCR_BASE || port == PIC_ELCR_BASE + 1) {
		c = &p->chip[port - PIC_ELCR_BASE];
		c->elcr = val & c->elcr_mask;
		/* Inputs now level triggered request as their line says. */
		c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	} else {
		c = &p->chip[port >= PIC_SLAVE_BASE];
		if (port & 1)
			chip_write1(c, val);
		else
			chip_write0(c, val);
	}
	pic_unlock(p);
}

static const struct io_port_ops pic_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * pic_register() - put the PICs at 0x20-0x21 and 0xa0-0xa1, the ELCR at
 *	0x4d0-0x4d1
 * @p: the device
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int pic_register(struct pic *p, struct io_bus *bus)
{
	if (io_bus_register(bus, PIC_MASTER_BASE, 2, &pic_ops, p, "pic") ||
	    io_bus_register(bus, PIC_SLAVE_BASE, 2, &pic_ops, p, "pic"))
		return -1;
	return io_bus_register(bus, PIC_ELCR_BASE, 2, &pic_ops, p, "elcr");
}
