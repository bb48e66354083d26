// SPDX-License-Identifier: GPL-2.0
/*
 * irq_test: external interrupts and NMIs from userspace (HVX_INTERRUPT,
 * HVX_NMI) in a long-mode guest.
 *
 * - An interrupt queued while the guest has interrupts disabled waits for
 *   STI and its one-instruction shadow, then arrives before anything else.
 * - request_interrupt_window: HVX_RUN returns HVX_EXIT_IRQ_WINDOW_OPEN the
 *   moment the guest can take one; the run page says so
 *   (ready_for_interrupt_injection, if_flag).  Not while the guest's
 *   LINT0 is masked: the window waits, and so does an interrupt queued
 *   then (saved and restored as one that waits), until the guest
 *   unmasks LINT0 in ExtINT mode; the local APIC's interrupts go
 *   meanwhile, and one whose delivery an exit cut short does not take
 *   the waiting one's place.
 * - HLT with interrupts enabled sleeps in the kernel: a signal ends
 *   HVX_RUN with EINTR and the guest stays halted; an interrupt queued
 *   then ends the halt, and the guest resumes after its HLT.  With the
 *   window asked for, the halted vCPU exits for it instead; its run page
 *   says it is ready while its masked APIC timer expires; an event
 *   HVX_SET_VCPU_EVENTS gives it ends the halt.
 * - NMIs: delivered at once, blocked while the handler runs (the second
 *   one waits for IRET: NMI-window exiting), and two queued NMIs merge.
 *   A blocked NMI does not end a HLT in the handler; an interrupt does.
 *   One that only an STI shadow holds back comes after the shadow's
 *   instruction (hvx waits for the interrupt window then: a processor
 *   may take the NMI-window exit inside the shadow, at every entry).
 * - Bad input: EINVAL for a vector above 255 or padding, EBUSY while one
 *   is queued, EINVAL for HVX_NMI with an argument.
 */
#include <signal.h>

#include "hvx_harness.h"
#include "xapic.h"

#define IRQ_VEC		0x40
#define NMI_VEC		2

static volatile uint64_t irqs, nmis, nmi_seen_nested;
static volatile uint64_t irq_rip;

static void irq_handler(struct guest_ex_regs *regs)
{
	irqs++;
	irq_rip = regs->rip;
}

static void queue_irq(struct __test_metadata *_metadata,
		      struct test_vcpu *vcpu, uint32_t vector)
{
	struct hvx_interrupt irq = { .vector = vector };

	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
}

extern char after_sti_nop[];

static void guest_waits_for_sti(void)
{
	asm volatile("cli");
	GUEST_SYNC(0);
	/* queued now, but interrupts are off: nothing arrives */
	GUEST_ASSERT_EQ(irqs, 0);
	asm volatile("sti\n\t"
		     "nop\n"		/* the STI shadow */
		     "after_sti_nop:\n\t"
		     "cli" : : : "memory");
	GUEST_ASSERT_EQ(irqs, 1);
	/* taken right after the shadow, before anything else ran */
	GUEST_ASSERT_EQ(irq_rip, (uint64_t)after_sti_nop);
	GUEST_DONE();
}

HVX_GUEST_TEST(interrupt_waits_for_sti, guest_waits_for_sti)
{
	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(0, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	queue_irq(_metadata, vcpu, IRQ_VEC);
	vcpu_expect_done(vcpu);
}

static void guest_opens_window(void)
{
	uint64_t i;

	asm volatile("cli");
	for (i = 0; i < 1000; i++)
		asm volatile("" : : : "memory");
	asm volatile("sti\n\tnop\n\tnop" : : : "memory");
	GUEST_ASSERT_EQ(irqs, 1);
	asm volatile("cli");
	GUEST_DONE();
}

HVX_GUEST_TEST(interrupt_window_exit, guest_opens_window)
{
	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	vcpu->run->request_interrupt_window = 0;
	queue_irq(_metadata, vcpu, IRQ_VEC);
	vcpu_expect_done(vcpu);
}

static void spin(void)
{
	uint64_t i;

	for (i = 0; i < 1000; i++)
		asm volatile("" : : : "memory");
}

/*
 * HVX_INTERRUPT is the 8259's INTR at LINT0: masked there (as Linux
 * leaves it once it routes through the I/O APIC) it neither opens the
 * window nor is taken, until the guest unmasks LINT0 in ExtINT mode.
 */
static void guest_masks_lint0(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_LVT0, LVT_MASKED | LVT_EXTINT);
	asm volatile("sti");
	GUEST_SYNC(0);
	spin();
	GUEST_SYNC(1);
	spin();
	GUEST_ASSERT_EQ(irqs, 0);
	apic_w(APIC_LVT0, LVT_EXTINT);
	/* taken at the entry after the write */
	GUEST_ASSERT_EQ(irqs, 1);
	GUEST_SYNC(2);
	asm volatile("cli");
	GUEST_DONE();
}

HVX_GUEST_TEST(interrupt_waits_for_lint0, guest_masks_lint0)
{
	struct hvx_vcpu_events ev, bad;

	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	/* no window exit while LINT0 is masked: the guest runs on */
	vcpu->run->request_interrupt_window = 1;
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	vcpu->run->request_interrupt_window = 0;
	/* one queued anyway (LINT0 masked after the exit) waits */
	queue_irq(_metadata, vcpu, IRQ_VEC);
	/* and is saved and restored as one that waits */
	vcpu_complete_exit(vcpu);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_EXTINT,
		  ev.flags & (HVX_EVENTS_IRQ | HVX_EVENTS_EXTINT));
	EXPECT_EQ(IRQ_VEC, ev.extint_vector);
	bad = ev;
	bad.flags &= ~HVX_EVENTS_EXTINT;
	EXPECT_ERRNO(EINVAL, hvx_set_vcpu_events(vcpu->fd, &bad));
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	vcpu_expect_sync(vcpu, 2);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IRQ_WINDOW_OPEN);
	vcpu->run->request_interrupt_window = 0;
	vcpu_expect_done(vcpu);
}

#define MSI_VEC		0x50
#define LM_MMIO_IDT	0x80000000ULL	/* beyond RAM, mapped by the guest */

static volatile uint64_t msis;

static void msi_handler(struct guest_ex_regs *regs)
{
	msis++;
	apic_w(APIC_EOI, 0);
}

static void guest_masks_lint0_takes_msi(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_LVT0, LVT_MASKED | LVT_EXTINT);
	asm volatile("sti");
	GUEST_SYNC(0);
	while (!msis)
		asm volatile("" : : : "memory");
	GUEST_ASSERT_EQ(irqs, 0);
	apic_w(APIC_LVT0, LVT_EXTINT);
	GUEST_ASSERT_EQ(irqs, 1);
	asm volatile("cli");
	GUEST_DONE();
}

/*
 * An HVX_INTERRUPT waits at a masked LINT0 while the local APIC's MSI
 * goes; an exit that cuts the MSI's delivery short (its IDT gate in
 * MMIO) keeps both: the MSI first, the waiting one once LINT0 passes it.
 * (The two shared one slot: the MSI put back went over the waiting one,
 * whose 8259 had already acknowledged it.)
 */
HVX_GUEST_TEST(cut_short_interrupt_keeps_waiting_one,
	       guest_masks_lint0_takes_msi)
{
	struct hvx_msi msi = { .address = APIC_GPA, .data = MSI_VEC };
	struct hvx_vcpu_events ev;
	struct hvx_sregs sregs;
	uint64_t idt;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vm_install_exception_handler(vm, MSI_VEC, msi_handler);
	vcpu_expect_sync(vcpu, 0);
	vcpu_complete_exit(vcpu);
	queue_irq(_metadata, vcpu, IRQ_VEC);
	ASSERT_EQ(1, ioctl(vm->fd, HVX_SIGNAL_MSI, &msi));
	vcpu_sregs_get(vcpu, &sregs);
	idt = sregs.idt.base;
	sregs.idt.base = LM_MMIO_IDT;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	ASSERT_EQ(HVX_INTERNAL_DELIVERY, vcpu->run->internal.suberror);
	ASSERT_EQ(LM_MMIO_IDT + MSI_VEC * 16, vcpu->run->internal.data[2]);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_IRQ | HVX_EVENTS_EXTINT,
		  ev.flags & (HVX_EVENTS_IRQ | HVX_EVENTS_EXTINT));
	EXPECT_EQ(MSI_VEC, ev.irq_vector);
	EXPECT_EQ(IRQ_VEC, ev.extint_vector);
	sregs.idt.base = idt;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_expect_done(vcpu);
}

extern char after_hlt[];

static void guest_halts(void)
{
	asm volatile("cli");
	GUEST_SYNC(0);
	asm volatile("sti\n\t"
		     "hlt\n"
		     "after_hlt:\n\t"
		     "cli" : : : "memory");
	GUEST_ASSERT_EQ(irqs, 1);
	/* HLT ended by the interrupt: it returns after the HLT */
	GUEST_ASSERT_EQ(irq_rip, (uint64_t)after_hlt);
	GUEST_DONE();
}

HVX_GUEST_TEST(halt_sleeps_until_interrupt, guest_halts)
{
	int i;

	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vcpu_expect_sync(vcpu, 0);
	/* asleep in HLT: only signals end HVX_RUN, and the halt stays */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, alarm_in_ms(300));
		EXPECT_EQ(-1, __vcpu_run(vcpu));
		EXPECT_EQ(EINTR, errno);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTR);
		EXPECT_EQ(1, vcpu->run->if_flag);
	}
	signal(SIGALRM, SIG_DFL);
	queue_irq(_metadata, vcpu, IRQ_VEC);
	vcpu_expect_done(vcpu);
}

/*
 * HVX_RUN with the interrupt window asked for, under a 2 s alarm: the
 * window exit, the guest ready for an interrupt.
 */
static void expect_window_exit(struct __test_metadata *_metadata,
			       struct test_vcpu *vcpu)
{
	vcpu->run->request_interrupt_window = 1;
	ASSERT_EQ(0, alarm_in_ms(2000));
	EXPECT_EQ(0, __vcpu_run_to_signal(vcpu, &alarms_caught));
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	vcpu->run->request_interrupt_window = 0;
}

/*
 * The window asked for while the guest had interrupts off, then "sti;
 * hlt": no window exit can come before the HLT (the STI shadow), so the
 * halted vCPU makes it rather than sleep (nothing would wake it: a PIC
 * in userspace kicks once, when its output rises).  It stays halted
 * until the interrupt.
 */
HVX_GUEST_TEST(window_exit_from_sti_hlt, guest_halts)
{
	uint32_t mp;

	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vcpu_expect_sync(vcpu, 0);
	expect_window_exit(_metadata, vcpu);
	ASSERT_EQ(0, hvx_get_mp_state(vcpu->fd, &mp));
	EXPECT_EQ(HVX_MP_HALTED, mp);
	queue_irq(_metadata, vcpu, IRQ_VEC);
	vcpu_expect_done(vcpu);
}

#define TIMER_VEC	0x60

static volatile uint64_t ticks;

static void tick_handler(struct guest_ex_regs *regs)
{
	ticks++;
	apic_w(APIC_EOI, 0);
}

static void guest_halts_masked_timer(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);			/* divide by 1 */
	/* masked, periodic, 1 ms: expiries that deliver nothing */
	apic_w(APIC_LVTT, LVT_PERIODIC | LVT_MASKED | TIMER_VEC);
	apic_w(APIC_TMICT, 1000 * 1000);
	asm volatile("sti; hlt; cli");
	apic_w(APIC_TMICT, 0);
	GUEST_ASSERT_EQ(irqs, 1);
	GUEST_ASSERT_EQ(ticks, 0);
	GUEST_DONE();
}

/*
 * A halted vCPU whose masked timer expires again and again, each expiry
 * a wake-up that finds nothing to deliver, is still ready for an
 * HVX_INTERRUPT: the run page said not (the expiry's request stays while
 * the vCPU sleeps), and a PIC in userspace then waited for a window exit
 * that never came.
 */
HVX_GUEST_TEST(masked_timer_keeps_halted_vcpu_ready, guest_halts_masked_timer)
{
	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	ASSERT_EQ(0, alarm_in_ms(100));
	EXPECT_EQ(-1, __vcpu_run_to_signal(vcpu, &alarms_caught));
	EXPECT_EQ(EINTR, errno);
	signal(SIGALRM, SIG_DFL);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTR);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	queue_irq(_metadata, vcpu, IRQ_VEC);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t uds;

static void ud_handler(struct guest_ex_regs *regs)
{
	uds++;
}

static void guest_halts_for_an_event(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
	GUEST_ASSERT_EQ(uds, 1);
	GUEST_DONE();
}

/*
 * An event HVX_SET_VCPU_EVENTS gives a halted vCPU ends the halt, as one
 * due at the HLT's exit does (a debugger, a restore): the vCPU slept on,
 * and with the window asked for, HVX_RUN made that exit again and again
 * with ready_for_interrupt_injection 0, the guest never running.
 */
HVX_GUEST_TEST(injected_event_ends_halt, guest_halts_for_an_event)
{
	struct hvx_vcpu_events ev;
	uint32_t mp;

	vm_install_exception_handler(vm, UD_VECTOR, ud_handler);
	ASSERT_EQ(0, alarm_in_ms(300));
	EXPECT_EQ(-1, __vcpu_run_to_signal(vcpu, &alarms_caught));
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(0, hvx_get_mp_state(vcpu->fd, &mp));
	ASSERT_EQ(HVX_MP_HALTED, mp);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	ev.flags = HVX_EVENTS_INJECTED;
	ev.inject_type = HVX_EVENT_HW_EXCEPTION;
	ev.inject_vector = UD_VECTOR;
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	/* the #UD taken, its IRET opened the window */
	expect_window_exit(_metadata, vcpu);
	vcpu_expect_done(vcpu);
}

static void nmi_handler(struct guest_ex_regs *regs)
{
	nmis++;
	if (nmis == 1) {
		/* the host queues a second NMI while this one runs */
		GUEST_SYNC(1);
		nmi_seen_nested = nmis;
	}
}

static void guest_nmis(void)
{
	GUEST_SYNC(0);
	/* the first NMI came and went; the second waited for its IRET */
	GUEST_SYNC2(2, nmis);
	GUEST_SYNC2(3, nmi_seen_nested);
	/* two NMIs queued before an entry are one, as on hardware */
	GUEST_SYNC2(4, nmis);
	GUEST_DONE();
}

static void expect_sync2(struct __test_metadata *_metadata,
			 struct test_vcpu *vcpu, uint64_t tag, uint64_t val)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(tag, uc.args[0]);
	EXPECT_EQ(val, uc.args[1]);
}

HVX_GUEST_TEST(nmi_blocked_until_iret, guest_nmis)
{
	vm_install_exception_handler(vm, NMI_VEC, nmi_handler);
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	expect_sync2(_metadata, vcpu, 2, 2);
	expect_sync2(_metadata, vcpu, 3, 1);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	expect_sync2(_metadata, vcpu, 4, 3);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t nmi_halt_woke;

/*
 * In the first NMI's handler, with a second NMI queued and blocked: HLT
 * with interrupts on sleeps until an interrupt, whose IRET then lets the
 * second NMI in.
 */
static void nmi_halt_handler(struct guest_ex_regs *regs)
{
	nmis++;
	if (nmis == 1) {
		GUEST_SYNC(1);
		asm volatile("sti; hlt; cli" : : : "memory");
		nmi_halt_woke = irqs;
	}
}

static void guest_nmi_halts(void)
{
	GUEST_SYNC(0);
	GUEST_SYNC2(2, nmi_halt_woke);
	GUEST_SYNC2(3, nmis);
	GUEST_DONE();
}

HVX_GUEST_TEST(blocked_nmi_does_not_end_halt, guest_nmi_halts)
{
	vm_install_exception_handler(vm, NMI_VEC, nmi_halt_handler);
	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	/* halted in the handler: the blocked NMI must not wake it */
	ASSERT_EQ(0, alarm_in_ms(300));
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTR);
	signal(SIGALRM, SIG_DFL);
	queue_irq(_metadata, vcpu, IRQ_VEC);
	expect_sync2(_metadata, vcpu, 2, 1);
	expect_sync2(_metadata, vcpu, 3, 2);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t nmi_rip;

static void nmi_rip_handler(struct guest_ex_regs *regs)
{
	nmis++;
	nmi_rip = regs->rip;
}

#define SHADOW_PORT	0x81

extern char shadow_nop[], after_shadow_nop[];

static void guest_nmi_in_shadow(void)
{
	/* the host's turn at the OUT: it resumes us in an STI shadow */
	asm volatile("cli\n\t"
		     "outb %%al, %0\n"
		     "shadow_nop:\n\t"
		     "nop\n"
		     "after_shadow_nop:\n\t"
		     "cli" : : "i" (SHADOW_PORT) : "memory");
	GUEST_SYNC2(1, nmis);
	GUEST_SYNC2(2, nmi_rip);
	GUEST_DONE();
}

HVX_GUEST_TEST(nmi_waits_out_sti_shadow, guest_nmi_in_shadow)
{
	struct hvx_vcpu_events ev;
	struct hvx_regs regs;

	vm_install_exception_handler(vm, NMI_VEC, nmi_rip_handler);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	ASSERT_EQ(SHADOW_PORT, vcpu->run->io.port);
	vcpu_complete_exit(vcpu);
	vcpu_regs_get(vcpu, &regs);
	ASSERT_EQ((uint64_t)shadow_nop, regs.rip);
	regs.rflags |= X86_RFLAGS_IF;	/* an STI shadow has IF set */
	vcpu_regs_set(vcpu, &regs);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	ev.flags |= HVX_EVENTS_STI_SHADOW | HVX_EVENTS_NMI_PENDING;
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	expect_sync2(_metadata, vcpu, 1, 1);
	/* not before the NOP in the shadow: right after it */
	expect_sync2(_metadata, vcpu, 2, (uint64_t)after_shadow_nop);
	vcpu_expect_done(vcpu);
}

static void guest_idle(void)
{
	asm volatile("cli");
	GUEST_SYNC(0);
	GUEST_DONE();
}

HVX_GUEST_TEST(bad_interrupt_requests, guest_idle)
{
	struct hvx_interrupt irq = { .vector = 256 };

	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
	irq = (struct hvx_interrupt){ .vector = IRQ_VEC, .pad = 1 };
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_INTERRUPT, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_NMI, 1));
	EXPECT_EQ(EINVAL, errno);
	irq.pad = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	/* the first still waits for the guest: one at a time */
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	EXPECT_EQ(EBUSY, errno);
	/* the guest keeps interrupts off: it stays queued across exits */
	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
