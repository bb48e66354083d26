/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: the PC's legacy chips, each a device of its own file: the
 * MC146818 RTC and CMOS (rtc.c), the i8259A pair (pic.c), the i8254
 * timer (pit.c) and the I/O APIC (ioapic.c).  They raise interrupts
 * through irq_line_fn (the ISA lines) or msi_fn (the I/O APIC's
 * messages); irq.c wires them together.
 */
#ifndef HVX_RUN_PC_CHIPS_H
#define HVX_RUN_PC_CHIPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct io_bus;

/*
 * How a device drives one of the guest's interrupt lines: @gsi is the
 * global system interrupt (ISA IRQ n is GSI n), @level true raises it.
 * An edge-triggered ISA device raises then lowers its line.
 */
typedef void (*irq_line_fn)(void *ctx, unsigned int gsi, bool level);

/* rtc.c: MC146818 CMOS and real-time clock */
#define RTC_INDEX_PORT		0x70
#define RTC_DATA_PORT		0x71
#define RTC_CMOS_SIZE		128

/**
 * struct rtc - the MC146818 and its interrupt thread
 * @lock:	protects everything below but @thread and @thread_on
 * @index:	the index register
 * @cmos:	the registers and RAM; status C is @flags
 * @flags:	status C's PF, AF and UF
 * @checked_ns:	@flags account for what happened up to this time
 * @now_ns:	the wall clock, in nanoseconds since the epoch
 * @clock_ctx:	passed to @now_ns
 * @irq:	drives the line, or NULL
 * @irq_ctx:	passed to @irq
 * @gsi:	the line
 * @irq_level:	the level @irq was last called with
 * @thread:	the interrupt thread, while @thread_on
 * @thread_on:	rtc_start() started it
 * @stopping:	rtc_stop() asks it to end
 * @armed:	when its timer fires (UINT64_MAX: never; 0: woken already)
 * @timer_fd:	its timerfd
 * @wake_fd:	eventfd that wakes it, or -1
 */
struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE];
	uint8_t flags;
	uint64_t checked_ns;
	uint64_t (*now_ns)(void *ctx);
	void *clock_ctx;
	irq_line_fn irq;
	void *irq_ctx;
	unsigned int gsi;
	bool irq_level;
	pthread_t thread;
	bool thread_on, stopping;
	uint64_t armed;
	int timer_fd, wake_fd;
};

void rtc_init(struct rtc *r, uint64_t ram_size, uint64_t (*now_ns)(void *),
	      void *clock_ctx);
void rtc_destroy(struct rtc *r);
int rtc_register(struct rtc *r, struct io_bus *bus);
void rtc_connect_irq(struct rtc *r, irq_line_fn irq, void *ctx,
		     unsigned int gsi);
uint8_t rtc_read(struct rtc *r, uint8_t reg);
void rtc_write(struct rtc *r, uint8_t reg, uint8_t val);
uint64_t rtc_next_event(struct rtc *r);
void rtc_expire(struct rtc *r);
int rtc_start(struct rtc *r);
void rtc_stop(struct rtc *r);
/* pic.c: the i8259A master/slave pair and the ELCR */
#define PIC_MASTER_BASE		0x20
#define PIC_SLAVE_BASE		0xa0
#define PIC_ELCR_BASE		0x4d0

/**
 * struct pic_chip - one i8259A
 * @irr:	interrupt request register
 * @isr:	in-service register
 * @imr:	interrupt mask register
 * @lines:	the input lines' levels, for edge detection
 * @elcr:	level-triggered inputs
 * @elcr_mask:	the ELCR bits that exist
 * @base:	vector of IR0 (ICW2)
 * @init_step:	the ICW expected next, 0 when initialised
 * @icw4:	ICW1 said an ICW4 follows
 * @single:	ICW1 said there is no cascade
 * @auto_eoi:	ICW4's auto-EOI
 * @read_isr:	OCW3 selected the ISR for reads of port 0, else the IRR
 * @poll:	OCW3's poll command waits for the next read
 */
struct pic_chip {
	uint8_t irr, isr, imr, lines, elcr, elcr_mask, base, init_step;
	bool icw4, single, auto_eoi, read_isr, poll;
};

/**
 * struct pic - the master (@chip[0]) and the slave (@chip[1])
 * @lock:	protects everything below but @intr and @ctx
 * @chip:	the two chips
 * @intr:	reports the master's INTR output
 * @ctx:	passed to @intr
 * @reported:	the level @intr was last called with
 * @notifying:	a thread is calling @intr
 */
struct pic {
	pthread_mutex_t lock;
	struct pic_chip chip[2];
	void (*intr)(void *ctx, bool level);
	void *ctx;
	bool reported, notifying;
};

void pic_init(struct pic *p, void (*intr)(void *ctx, bool level), void *ctx);
void pic_destroy(struct pic *p);
int pic_register(struct pic *p, struct io_bus *bus);
void pic_set_irq(struct pic *p, unsigned int irq, bool level);
int pic_ack(struct pic *p);
bool pic_output(struct pic *p);

/* pit.c: the i8254 timer and port 0x61 */
#define PIT_BASE		0x40
#define PIT_PORT_B		0x61
#define PIT_HZ			1193182ULL

/**
 * struct pit_channel - one of the 8254's three counters
 * @ctrl:	the control word's low six bits: access, mode, BCD
 * @mode:	the mode, 0-5 (6 and 7 are 2 and 3)
 * @count:	the count last written (1 - 65536, or 10000 in BCD)
 * @ce:		the count the counter runs with
 * @start_ns:	when counting last started or resumed
 * @base:	clocks counted before @start_ns
 * @irq_next:	the clock of OUT's next rising edge that interrupts
 *		(channel 0), PIT_NEVER when none
 * @latch:	the latched count
 * @status:	the latched status
 * @write_lo:	the low byte of a count being written
 * @gate:	the GATE input
 * @started:	the counter was loaded (and triggered, modes 1 and 5)
 * @has_count:	a count was written since the control word
 * @null_count:	the count written is not yet in the counter
 * @latched:	@latch waits to be read
 * @status_latched: @status waits to be read
 * @read_hi:	the next count byte read is the high one
 * @write_hi:	the next count byte written is the high one
 */
struct pit_channel {
	uint8_t ctrl, mode;
	uint32_t count, ce;
	uint64_t start_ns, base, irq_next;
	uint16_t latch;
	uint8_t status, write_lo;
	bool gate, started, has_count, null_count;
	bool latched, status_latched, read_hi, write_hi;
};

/**
 * struct pit - the 8254, port 0x61 and the thread that delivers IRQ 0
 * @lock:	protects @ch, @port_b, @refresh, @wake_fd and @stopping
 * @ch:		the three channels
 * @port_b:	port 0x61's writable bits 3:0
 * @refresh:	port 0x61's refresh toggle (bit 4)
 * @now_ns:	the clock
 * @clock_ctx:	passed to @now_ns
 * @irq:	drives GSI 0
 * @irq_ctx:	passed to @irq
 * @irq_lock:	keeps each raise and lower of GSI 0 together
 * @thread:	the timer thread, while @thread_on
 * @thread_on:	pit_start() started it
 * @stopping:	pit_stop() asks it to end
 * @timer_fd:	its timerfd
 * @wake_fd:	eventfd that wakes it when channel 0 changes, or -1
 */
struct pit {
	pthread_mutex_t lock;
	struct pit_channel ch[3];
	uint8_t port_b;
	bool refresh;
	uint64_t (*now_ns)(void *ctx);
	void *clock_ctx;
	irq_line_fn irq;
	void *irq_ctx;
	pthread_mutex_t irq_lock;
	pthread_t thread;
	bool thread_on, stopping;
	int timer_fd, wake_fd;
};

void pit_init(struct pit *p, uint64_t (*now_ns)(void *), void *clock_ctx,
	      irq_line_fn irq, void *irq_ctx);
void pit_destroy(struct pit *p);
int pit_register(struct pit *p, struct io_bus *bus);
uint64_t pit_next_event(struct pit *p);
void pit_expire(struct pit *p);
int pit_start(struct pit *p);
void pit_stop(struct pit *p);
/*
 * How an interrupt controller sends a message-signalled interrupt: the
 * xAPIC MSI @address (0xfee00000 | destination << 12 | logical << 2) and
 * @data (vector | delivery mode << 8 | assert << 14 | level << 15), as
 * HVX_SIGNAL_MSI takes them.  Return: negative, errno set, when it failed.
 */
typedef int (*msi_fn)(void *ctx, uint64_t address, uint32_t data);

/* ioapic.c: an I/O APIC, 24 pins, GSI 0-23 */
#define IOAPIC_DEFAULT_BASE	0xfec00000ULL
#define IOAPIC_MMIO_SIZE	0x1000
#define IOAPIC_NUM_PINS		24
#define IOAPIC_VERSION		0x20	/* PCI 2.2 I/O APIC: EOI register */

/* Offsets in the MMIO window */
#define IOAPIC_REGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40

/* Registers, through IOREGSEL/IOWIN */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10	/* pin n: 0x10 + 2n (low), + 1 (high) */

/* Redirection entry bits */
#define IOAPIC_RTE_VECTOR	0xffULL
#define IOAPIC_RTE_DELMODE_SHIFT 8	/* 3 bits */
#define IOAPIC_RTE_LOGICAL	(1ULL << 11)
#define IOAPIC_RTE_DELIVS	(1ULL << 12)	/* read-only, always 0 */
#define IOAPIC_RTE_ACTIVE_LOW	(1ULL << 13)
#define IOAPIC_RTE_REMOTE_IRR	(1ULL << 14)	/* read-only */
#define IOAPIC_RTE_LEVEL	(1ULL << 15)
#define IOAPIC_RTE_MASKED	(1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT	56

/**
 * struct ioapic - an I/O APIC
 * @lock:	protects everything below but @msi_errors
 * @base:	guest-physical address of its MMIO window
 * @id:		the ID register's APIC ID (4 bits)
 * @regsel:	IOREGSEL
 * @lines:	one bit per pin: the input's level, as last driven
 * @redir:	the redirection entries
 * @msi:	sends the interrupt messages (never called with @lock held)
 * @msi_ctx:	passed to @msi
 * @msi_errors:	messages @msi failed to send (atomic); the first is reported
 *
 * ioapic_set_irq(), ioapic_eoi() and the MMIO handlers may be called from
 * any thread.  They decide under @lock what to send and call @msi after
 * dropping it, on the calling thread, once per message in pin order; so
 * @msi may block (HVX_SIGNAL_MSI), run on several threads at once and
 * call back into the I/O APIC.  ioapic_eoi() is the local APICs' EOI
 * message for a level-triggered vector.
 */
struct ioapic {
	pthread_mutex_t lock;
	uint64_t base;
	uint8_t id;
	uint8_t regsel;
	uint32_t lines;
	uint64_t redir[IOAPIC_NUM_PINS];
	msi_fn msi;
	void *msi_ctx;
	uint64_t msi_errors;
};

void ioapic_init(struct ioapic *io, uint64_t base, uint8_t id, msi_fn msi,
		 void *msi_ctx);
void ioapic_destroy(struct ioapic *io);
int ioapic_register(struct ioapic *io, struct io_bus *bus);
void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level);
void ioapic_irq_line(void *ctx, unsigned int gsi, bool level);
void ioapic_eoi(struct ioapic *io, uint8_t vector);
void ioapic_mmio_read(void *opaque, uint64_t offset, void *data,
		      unsigned int len);
void ioapic_mmio_write(void *opaque, uint64_t offset, const void *data,
		       unsigned int len);

#endif /* HVX_RUN_PC_CHIPS_H */
