// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: where a device's interrupt line goes.
 *
 * An ISA device drives its IRQ line (irq_line_fn, with the ISA IRQ
 * number); on a PC that line reaches both the 8259 pair and the I/O APIC.
 * The PCI bus drives GSIs 16-23 (pci_intx.c), the I/O APIC's alone.
 * ISA IRQ 0 is wired to I/O APIC pin 2, the override the MADT announces
 * (acpi.c), and pin 0 is left to the 8259's ExtINT output, as on the
 * machines Linux knows.  Either controller may be absent.
 *
 * The 8259's INTR output reaches vCPU 0 only, through its LINT0, as an
 * external interrupt queued with HVX_INTERRUPT once the guest can take it
 * (interrupt-window exits, which hvx.ko holds back while LINT0 is masked):
 * irq_extint_changed() kicks vCPU 0's thread, which calls
 * irq_extint_deliver() before every entry.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "hvx-run.h"

/**
 * irq_router_line() - an ISA device's or a PCI GSI's line changed
 * @ctx: the struct irq_router
 * @irq: the ISA IRQ, 0-15 (or a GSI 16-23, which only the I/O APIC has)
 * @level: the new level
 */
void irq_router_line(void *ctx, unsigned int irq, bool level)
{
	struct irq_router *r = ctx;
	unsigned int gsi = irq == 0 ? 2 : irq;

	if (r->pic && irq < 16)
		pic_set_irq(r->pic, irq, level);
	if (r->ioapic_line && gsi < IOAPIC_NUM_PINS)
		r->ioapic_line(r->ioapic_ctx, gsi, level);
}

/**
 * irq_extint_changed() - the 8259's INTR output changed
 * @ctx: the struct machine
 * @level: the new level
 *
 * Called by the PIC from whichever thread changed it; vCPU 0's thread
 * does the rest.  The kick is sticky: vCPU 0 may be past its look at
 * INTR and not yet in HVX_RUN, where the signal changes nothing, and a
 * guest halted with interrupts on would then sleep in the kernel with
 * INTR high and no edge to come.  immediate_exit makes that HVX_RUN
 * return at once; run_loop() clears it before it looks again.
 */
void irq_extint_changed(void *ctx, bool level)
{
	struct machine *m = ctx;
	struct vcpu *v = &m->vcpus[0];

	__atomic_store_n(&m->irq.extint, level, __ATOMIC_SEQ_CST);
	if (!level)
		return;
	pthread_mutex_lock(&m->lock);
	if (v->running && !pthread_equal(v->thread, pthread_self())) {
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(v->thread, SIG_KICK);
	}
	pthread_mutex_unlock(&m->lock);
}

/**
 * irq_extint_deliver() - queue the 8259's interrupt for vCPU 0
 * @v: vCPU 0, between two HVX_RUNs, in its own thread
 *
 * Acknowledges the PIC and queues the vector when the guest can take it;
 * otherwise asks for an interrupt-window exit.
 */
void irq_extint_deliver(struct vcpu *v)
{
	struct pic *pic = v->m->irq.pic;
	int vector;

	v->run->request_interrupt_window = 0;
	/* every exit of vCPU 0 passes here: no PIC lock unless INTR is up */
	if (!pic || !__atomic_load_n(&v->m->irq.extint, __ATOMIC_SEQ_CST) ||
	    !pic_output(pic))
		return;
	if (!v->run->ready_for_interrupt_injection) {
		v->run->request_interrupt_window = 1;
		return;
	}
	vector = pic_ack(pic);
	if (vector < 0)
		return;
	if (hvx_interrupt(v->fd, vector) < 0) {
		/* the last one is still on its way: cannot happen once ready */
		msg("vCPU 0: HVX_INTERRUPT %d: %s", vector, strerror(errno));
		return;
	}
	v->run->ready_for_interrupt_injection = 0;
	/* another request behind this one: the window exit comes back */
	if (pic_output(pic))
		v->run->request_interrupt_window = 1;
}
