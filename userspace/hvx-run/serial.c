// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: a 16550A UART (COM1) on stdin and stdout.
 *
 * The transmitter is infinitely fast: a byte written to THR goes out at
 * once (posted through the I/O ring when hvx.ko has one, and through
 * hvx-run's output pipe: console_out.c), and LSR always reports the holding and shift
 * registers empty.  The receiver reads the input file without ever
 * blocking: whenever the guest looks at LSR, RBR or IIR and the receive
 * FIFO is empty, whatever input is ready is taken (one byte with FIFOs
 * off, up to 16 with them on).  End of input leaves LSR.DR clear for
 * good.  A guest that waits for its receive interrupt instead of polling
 * gets an input thread (serial_start_input()): it sleeps in poll() until
 * input comes, reads it at once (the escape sequence is seen even while
 * the guest takes nothing), holds it until the FIFO is empty and raises
 * the line; then the input file is read only by that thread.  In
 * loopback mode (MCR bit 4) transmitted bytes are received instead, and
 * MSR reflects the MCR outputs, as on the real part.
 *
 * IIR reports what is pending (line status, received data, THR empty,
 * modem status, by priority).  Once connected (serial_connect_irq()), the
 * UART drives its interrupt line while something enabled in IER is
 * pending and MCR's OUT2 is set: on a PC, OUT2 gates the UART's IRQ onto
 * the ISA bus, and drivers set it when they want interrupts.  The line is
 * updated after every register access, under the UART's lock, so the
 * interrupt controller sees the edges in the order they happened.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvx-run.h"

/* Registers (offsets from the base port). */
#define UART_RBR	0	/* in: receive buffer (DLAB 0) */
#define UART_THR	0	/* out: transmit holding (DLAB 0) */
#define UART_DLL	0	/* divisor latch low (DLAB 1) */
#define UART_IER	1	/* interrupt enable (DLAB 0) */
#define UART_DLM	1	/* divisor latch high (DLAB 1) */
#define UART_IIR	2	/* in: interrupt identification */
#define UART_FCR	2	/* out: FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_MSR	6	/* modem status */
#define UART_SCR	7	/* scratch */

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* THR empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_FIFO	0xc0	/* FIFOs enabled */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_KEEP	0xc9	/* enable, DMA mode, trigger level */

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01	/* data ready */
#define LSR_OE		0x02	/* overrun error */
#define LSR_THRE	0x20	/* THR empty */
#define LSR_TEMT	0x40	/* transmitter empty */

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

/* 115200 / 12 = 9600 baud, what a PC BIOS leaves behind. */
#define DIVISOR_RESET	12

/**
 * serial_init() - a UART after reset
 * @s: the UART
 * @in_fd: where received bytes come from, or -1 for none
 * @out_fd: where transmitted bytes go, or -1 to drop them
 *
 * Neither file is changed (no O_NONBLOCK, no terminal mode).
 */
void serial_init(struct serial *s, int in_fd, int out_fd)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->in_eof = in_fd < 0;
	s->dll = DIVISOR_RESET;
	s->in_stop_efd = -1;
	s->in_room_efd = -1;
}

/**
 * serial_destroy() - undo serial_init()
 * @s: the UART
 */
void serial_destroy(struct serial *s)
{
	serial_stop_input(s);
	pthread_mutex_destroy(&s->lock);
}

static unsigned int fifo_size(struct serial *s)
{
	return s->fcr & FCR_ENABLE ? SERIAL_FIFO_SIZE : 1;
}

/*
 * An overrun: without FIFOs the new character replaces the one in the
 * receiver buffer, destroying it; a full FIFO keeps its sixteen and the
 * new one is lost (16550A datasheet, LSR bit 1).
 */
static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count >= fifo_size(s)) {
		s->lsr_err |= LSR_OE;
		if (!(s->fcr & FCR_ENABLE))
			s->rx[s->rx_head] = c;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = c;
	s->rx_count++;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t c = s->rx[s->rx_head];

	s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
	s->rx_count--;
	return c;
}

/*
 * Read what the input file has into @buf and pass each byte through the
 * escape sequence as it is read, so that Ctrl-A x ends hvx-run even while
 * the guest takes nothing.  The bytes for the guest stay in @buf; *@end
 * is set at the end of input (EOF, an error, or Ctrl-A x, which has
 * stopped the guest).  Without s->lock: one reader alone reads the input
 * (the input thread, or the register path when there is none), and the
 * escape must not wait for the UART, which holds its lock while stdout
 * takes nothing.
 *
 * Return: the bytes for the guest.
 */
static size_t input_get(struct serial *s, uint8_t *buf, size_t size,
			bool *end)
{
	ssize_t n = read(s->in_fd, buf, size);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		*end = true;
		return 0;
	}
	return console_escape_buf(&s->esc, buf, n, end);
}

/*
 * Input for the guest waits in s->held until the receiver has room.
 * Beyond SERIAL_HELD_SIZE bytes waiting, typed bytes are lost, as a
 * UART's overrun loses them.  s->lock held.
 */
static void input_hold(struct serial *s, const uint8_t *buf, size_t n,
		       bool end)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s->held_len == SERIAL_HELD_SIZE) {
			s->lsr_err |= LSR_OE;
			continue;
		}
		s->held[(s->held_head + s->held_len) % SERIAL_HELD_SIZE] =
			buf[i];
		s->held_len++;
	}
	if (end)
		s->in_eof = true;
}

/* The register path's read of the input, s->lock held. */
static void input_read(struct serial *s)
{
	uint8_t buf[256];
	bool end = false;
	size_t n = input_get(s, buf, sizeof(buf), &end);

	input_hold(s, buf, n, end);
}

/*
 * The receiver takes held input while it is empty (and not looped back);
 * an input thread that waits for room in s->held is told there is some.
 */
static void rx_from_held(struct serial *s)
{
	uint64_t one = 1;
	unsigned int n;

	if (s->rx_count || (s->mcr & MCR_LOOP) || !s->held_len)
		return;
	for (n = fifo_size(s); n && s->held_len; n--) {
		rx_push(s, s->held[s->held_head]);
		s->held_head = (s->held_head + 1) % SERIAL_HELD_SIZE;
		s->held_len--;
	}
	if (s->in_wants_room &&
	    write(s->in_room_efd, &one, sizeof(one)) == sizeof(one))
		s->in_wants_room = false;
}

/*
 * The register path's look at the input: without an input thread, the
 * input file is read here, without blocking, when nothing is held.
 */
static void rx_fill(struct serial *s)
{
	struct pollfd pfd = { .fd = s->in_fd, .events = POLLIN };

	if (!s->rx_count && !s->held_len && !s->in_thread_on && !s->in_eof &&
	    !(s->mcr & MCR_LOOP) &&
	    poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP)))
		input_read(s);
	rx_from_held(s);
}

static void tx(struct serial *s, uint8_t c)
{
	struct pollfd pfd = { .fd = s->out_fd, .events = POLLOUT };
	ssize_t n;

	s->thri_pending = true;
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		return;
	}
	if (s->out_fd < 0)
		return;
	for (;;) {
		n = write(s->out_fd, &c, 1);
		if (n == 1)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && poll(&pfd, 1, -1) >= 0)
			continue;
		return;		/* EPIPE and the like: the byte is lost */
	}
}

static uint8_t msr_lines(uint8_t mcr)
{
	uint8_t msr = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (mcr & MCR_RTS)
		msr |= MSR_CTS;
	if (mcr & MCR_DTR)
		msr |= MSR_DSR;
	if (mcr & MCR_OUT1)
		msr |= MSR_RI;
	if (mcr & MCR_OUT2)
		msr |= MSR_DCD;
	return msr;
}

static void set_mcr(struct serial *s, uint8_t val)
{
	uint8_t old = msr_lines(s->mcr), new = msr_lines(val & MCR_MASK);
	bool unloop = (s->mcr & MCR_LOOP) && !(val & MCR_LOOP);

	s->mcr = val & MCR_MASK;
	/* held input waited while loopback cut the receiver off */
	if (unloop)
		rx_from_held(s);
	if ((old ^ new) & MSR_CTS)
		s->msr_delta |= MSR_DCTS;
	if ((old ^ new) & MSR_DSR)
		s->msr_delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(new & MSR_RI))
		s->msr_delta |= MSR_TERI;
	if ((old ^ new) & MSR_DCD)
		s->msr_delta |= MSR_DDCD;
}

/* What IIR would report, without its side effects. */
static bool int_pending(struct serial *s)
{
	return ((s->ier & IER_RLSI) && s->lsr_err) ||
	       ((s->ier & IER_RDI) && s->rx_count) ||
	       ((s->ier & IER_THRI) && s->thri_pending) ||
	       ((s->ier & IER_MSI) && s->msr_delta);
}

/* Called with s->lock held, after each register access. */
static void update_irq(struct serial *s)
{
	bool level = (s->mcr & MCR_OUT2) && int_pending(s);

	if (!s->irq || level == s->irq_level)
		return;
	s->irq_level = level;
	s->irq(s->irq_ctx, s->gsi, level);
}

static uint8_t iir(struct serial *s)
{
	uint8_t fifo = s->fcr & FCR_ENABLE ? IIR_FIFO : 0;

	rx_fill(s);
	if ((s->ier & IER_RLSI) && s->lsr_err)
		return fifo | IIR_RLSI;
	if ((s->ier & IER_RDI) && s->rx_count)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending) {
		/* Reading IIR acknowledges a THR-empty interrupt. */
		s->thri_pending = false;
		return fifo | IIR_THRI;
	}
	if ((s->ier & IER_MSI) && s->msr_delta)
		return fifo | IIR_MSI;
	return fifo | IIR_NO_INT;
}

/**
 * serial_in() - a guest read of one register
 * @s: the UART
 * @reg: 0-7, the offset from the base port
 *
 * Return: the register's value.
 */
uint8_t serial_in(struct serial *s, unsigned int reg)
{
	bool dlab;
	uint8_t v = 0;

	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case UART_RBR:
		if (dlab) {
			v = s->dll;
			break;
		}
		rx_fill(s);
		if (s->rx_count)
			v = rx_pop(s);
		rx_from_held(s);
		break;
	case UART_IER:
		v = dlab ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = iir(s);
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		rx_fill(s);
		v = LSR_THRE | LSR_TEMT | s->lsr_err |
		    (s->rx_count ? LSR_DR : 0);
		s->lsr_err = 0;
		break;
	case UART_MSR:
		v = msr_lines(s->mcr) | s->msr_delta;
		s->msr_delta = 0;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return v;
}

/**
 * serial_out() - a guest write of one register
 * @s: the UART
 * @reg: 0-7, the offset from the base port
 * @val: the value
 */
void serial_out(struct serial *s, unsigned int reg, uint8_t val)
{
	bool dlab;

	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case UART_THR:
		if (dlab)
			s->dll = val;
		else
			tx(s, val);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = val;
			break;
		}
		/* Enabling the THR-empty interrupt raises it at once. */
		if ((val & IER_THRI) && !(s->ier & IER_THRI))
			s->thri_pending = true;
		s->ier = val & 0x0f;
		break;
	case UART_FCR:
		/*
		 * Turning the FIFOs on or off empties them; the other bits
		 * are programmed only by a write that has bit 0 set.  An
		 * emptied transmitter raises THR empty at once (PC16550D:
		 * "the transmitter interrupt after changing FCR0 will be
		 * immediate"), as a transmit FIFO reset does.
		 */
		if ((val ^ s->fcr) & FCR_ENABLE) {
			s->rx_count = 0;
			s->thri_pending = true;
		}
		if ((val & (FCR_ENABLE | FCR_CLEAR_TX)) ==
		    (FCR_ENABLE | FCR_CLEAR_TX))
			s->thri_pending = true;
		if (val & FCR_ENABLE) {
			if (val & FCR_CLEAR_RX)
				s->rx_count = 0;
			s->fcr = val & FCR_KEEP;
		} else {
			s->fcr &= ~FCR_ENABLE;
		}
		rx_from_held(s);
		break;
	case UART_LCR:
		s->lcr = val;
		break;
	case UART_MCR:
		set_mcr(s, val);
		break;
	case UART_LSR:
	case UART_MSR:
		break;		/* factory test registers: ignored */
	case UART_SCR:
		s->scr = val;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	struct serial *s = opaque;

	return serial_in(s, port & 7);
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct serial *s = opaque;

	serial_out(s, port & 7, val);
}

static const struct io_port_ops serial_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * serial_register() - put the UART at ports @base .. @base + 7
 * @s: the UART
 * @bus: the bus
 * @base: a multiple of 8 (0x3f8 for COM1)
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int serial_register(struct serial *s, struct io_bus *bus, uint16_t base)
{
	if (base & 7)
		return -1;
	return io_bus_register(bus, base, 8, &serial_ops, s, "serial");
}

/**
 * serial_connect_irq() - give the UART an interrupt line
 * @s: the UART, before the vCPUs start
 * @irq: how to drive the line
 * @ctx: passed to @irq
 * @gsi: the line (4 for COM1)
 *
 * @irq is called with the UART's lock held: it must not call back into
 * the UART.
 */
void serial_connect_irq(struct serial *s, irq_line_fn irq, void *ctx,
			unsigned int gsi)
{
	s->irq = irq;
	s->irq_ctx = ctx;
	s->gsi = gsi;
}

/*
 * A retry of the UART's lock while input waits for it, in ms: the lock
 * may be held for long by a vCPU whose output waits on a standard output
 * that takes nothing.
 */
#define SERIAL_RETRY_MS	10

/*
 * The input thread reads the input file as it comes, so that Ctrl-A x
 * ends hvx-run whatever the guest and its output do, and hands the
 * guest's bytes to the UART.  It never waits for the UART's lock: while
 * another thread holds it, the bytes wait in @pend and the thread goes
 * on reading, trying the lock again every SERIAL_RETRY_MS.  While s->held
 * is full (@room_wait) the bytes wait in @pend too, and the thread sleeps
 * until the guest's reads make room, not for SERIAL_RETRY_MS at a time.
 * Keys typed on a terminal beyond what s->held and @pend take (8 KiB)
 * are lost, as a UART's overrun loses them; a file or a pipe (no escape)
 * is read only as fast as the guest takes its bytes, and loses none.
 */
static void *input_thread(void *arg)
{
	struct serial *s = arg;
	uint8_t buf[256], pend[SERIAL_HELD_SIZE];
	bool keep = !s->esc.on, end = false, lost = false, done, more;
	bool room_wait = false;
	size_t take, pend_len = 0;
	uint64_t val;
	int r;

	for (;;) {
		/* at the input's end, only the stop or the lock is awaited */
		more = !end && (!keep || pend_len < sizeof(pend));
		r = console_wait_input_for(more ? s->in_fd : -1,
					   room_wait ? s->in_room_efd : -1,
					   s->in_stop_efd,
					   (pend_len || end) && !room_wait ?
					   SERIAL_RETRY_MS : -1);
		if (r < 0)
			break;
		if (room_wait &&
		    read(s->in_room_efd, &val, sizeof(val)) == sizeof(val))
			room_wait = false;
		if (r && pend_len < sizeof(pend))
			pend_len += input_get(s, pend + pend_len,
					      sizeof(pend) - pend_len, &end);
		else if (r && input_get(s, buf, sizeof(buf), &end))
			lost = true;
		if ((!pend_len && !end) || pthread_mutex_trylock(&s->lock))
			continue;
		/*
		 * The rest waits for the guest's reads, which say so; a
		 * terminal is read on meanwhile (the escape), into what
		 * @pend has left.
		 */
		take = SERIAL_HELD_SIZE - s->held_len;
		if (take > pend_len)
			take = pend_len;
		room_wait = take < pend_len;
		s->in_wants_room = room_wait;
		if (!s->in_stop) {
			input_hold(s, pend, take, end && take == pend_len);
			if (lost)
				s->lsr_err |= LSR_OE;
			rx_from_held(s);
			update_irq(s);
		}
		memmove(pend, pend + take, pend_len - take);
		pend_len -= take;
		lost = false;
		done = s->in_eof || s->in_stop;
		pthread_mutex_unlock(&s->lock);
		if (done)
			break;
	}
	return NULL;
}

/**
 * serial_start_input() - serve the input file from a thread of its own
 * @s: the UART, its interrupt line connected
 * @escape: recognise Ctrl-A x (end hvx-run) and Ctrl-A Ctrl-A (a Ctrl-A)
 * @stop: how Ctrl-A x ends the guest
 * @ctx: passed to @stop
 *
 * The caller blocks the signals it waits for before; the thread inherits
 * the mask.
 *
 * Return: 0, or -1 with errno set.
 */
int serial_start_input(struct serial *s, bool escape, stop_fn stop,
		       void *ctx)
{
	int err;

	if (s->in_fd < 0 || s->in_eof)
		return 0;
	s->in_stop_efd = eventfd(0, EFD_CLOEXEC);
	s->in_room_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->in_stop_efd < 0 || s->in_room_efd < 0) {
		err = errno;
		goto fail;
	}
	console_escape_init(&s->esc, escape, stop, ctx);
	pthread_mutex_lock(&s->lock);
	s->in_thread_on = true;
	pthread_mutex_unlock(&s->lock);
	err = pthread_create(&s->in_thread, NULL, input_thread, s);
	if (!err)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->in_thread_on = false;
	pthread_mutex_unlock(&s->lock);
fail:
	if (s->in_stop_efd >= 0)
		close(s->in_stop_efd);
	if (s->in_room_efd >= 0)
		close(s->in_room_efd);
	s->in_stop_efd = -1;
	s->in_room_efd = -1;
	errno = err;
	return -1;
}

/**
 * serial_stop_input() - end the input thread, if there is one
 * @s: the UART
 */
void serial_stop_input(struct serial *s)
{
	uint64_t one = 1;

	if (s->in_stop_efd < 0)
		return;
	pthread_mutex_lock(&s->lock);
	s->in_stop = true;
	pthread_mutex_unlock(&s->lock);
	if (write(s->in_stop_efd, &one, sizeof(one)) < 0)
		msg("cannot stop the UART's input thread: %s",
		    strerror(errno));
	pthread_join(s->in_thread, NULL);
	/* a register read from now on must not write to the closed fd */
	pthread_mutex_lock(&s->lock);
	s->in_wants_room = false;
	pthread_mutex_unlock(&s->lock);
	close(s->in_stop_efd);
	close(s->in_room_efd);
	s->in_stop_efd = -1;
	s->in_room_efd = -1;
	s->in_thread_on = false;
}
