// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the guest's port space, and its MMIO space.
 *
 * A device registers a range of ports with byte-wide handlers.  An access
 * whose first port belongs to a device reaches that device one byte at a
 * time, the bytes of a wider access going to consecutive ports as on an
 * ISA bus; bytes of it that fall outside every device read as 0xff.  A
 * device whose registers see the access's width (io_port_ops.access)
 * gets its part of the access whole instead.  An access whose first port
 * belongs to no device reads all ones, a write there is dropped, and the
 * port is reported once.
 *
 * A device registers a range of guest-physical addresses with MMIO
 * handlers, which get whole accesses (1 to 8 bytes) and the offset into
 * the range.  An access whose first byte belongs to a device goes to that
 * device; the bytes of it past the end of the range, if any, are left
 * out: they read as 0xff and are not written.  An access whose first byte
 * belongs to no device reads all ones, a write there is dropped, and the
 * page is reported once.
 *
 * Registration happens before the vCPUs start; after that the tables are
 * only read, so lookups take no lock.  Devices lock themselves.
 */
#include <inttypes.h>
#include <string.h>

#include "hvx-run.h"

/**
 * io_bus_init() - an empty bus
 * @bus: the bus
 * @log: where unhandled accesses are reported (hvx-run's: msg_stream_open())
 */
void io_bus_init(struct io_bus *bus, FILE *log)
{
	memset(bus, 0, sizeof(*bus));
	bus->log = log;
	pthread_mutex_init(&bus->mmio_lock, NULL);
}

/**
 * io_bus_destroy() - undo io_bus_init()
 * @bus: the bus
 */
void io_bus_destroy(struct io_bus *bus)
{
	pthread_mutex_destroy(&bus->mmio_lock);
}

/**
 * io_bus_register() - give ports @base .. @base + @len - 1 to a device
 * @bus: the bus
 * @base: first port
 * @len: number of ports, at least 1
 * @ops: the handlers
 * @opaque: passed to them
 * @name: for messages
 *
 * Return: 0, or -1 when the range wraps, overlaps another device's or the
 * table is full.
 */
int io_bus_register(struct io_bus *bus, uint16_t base, uint16_t len,
		    const struct io_port_ops *ops, void *opaque,
		    const char *name)
{
	struct io_region *r;
	unsigned int p;

	if (!len || base + len > 65536 || bus->nregions == IO_BUS_MAX_REGIONS)
		return -1;
	for (p = base; p < base + len; p++)
		if (bus->map[p])
			return -1;
	r = &bus->regions[bus->nregions++];
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	r->name = name;
	for (p = base; p < base + len; p++)
		bus->map[p] = bus->nregions;
	return 0;
}

/**
 * io_bus_register_mmio() - give guest-physical @base .. @base + @len - 1
 * to a device
 * @bus: the bus
 * @base: first address
 * @len: number of bytes, at least 1
 * @ops: the handlers
 * @opaque: passed to them
 * @name: for messages
 *
 * Only before the vCPUs start: lookups take no lock.
 *
 * Return: 0, or -1 when the range wraps, overlaps another device's or the
 * table is full.
 */
int io_bus_register_mmio(struct io_bus *bus, uint64_t base, uint64_t len,
			 const struct io_mmio_ops *ops, void *opaque,
			 const char *name)
{
	uint64_t last = base + len - 1;
	struct io_mmio_region *r;
	unsigned int i;

	if (!len || last < base || bus->nmmio == IO_BUS_MAX_MMIO)
		return -1;
	for (i = 0; i < bus->nmmio; i++) {
		r = &bus->mmio[i];
		if (base <= r->base + r->len - 1 && r->base <= last)
			return -1;
	}
	r = &bus->mmio[bus->nmmio++];
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	r->name = name;
	return 0;
}

static struct io_mmio_region *lookup_mmio(struct io_bus *bus, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < bus->nmmio; i++)
		if (gpa - bus->mmio[i].base < bus->mmio[i].len)
			return &bus->mmio[i];
	return NULL;
}

static struct io_region *lookup(struct io_bus *bus, uint16_t port)
{
	uint8_t i = bus->map[port];

	return i ? &bus->regions[i - 1] : NULL;
}

static void log_port(struct io_bus *bus, uint16_t port, bool out,
		     unsigned int size)
{
	uint64_t bit = 1ULL << (port % 64);
	uint64_t old;

	old = __atomic_fetch_or(&bus->logged[port / 64], bit,
				__ATOMIC_RELAXED);
	if (old & bit || !bus->log)
		return;
	fprintf(bus->log,
		"hvx-run: unhandled I/O port 0x%04x (%s, %u byte%s): reads return all ones, writes are ignored\n",
		port, out ? "out" : "in", size, size == 1 ? "" : "s");
}

/*
 * The part of an access of @size bytes at @port that region @r (or no
 * region) takes: the bytes up to its end for a device with whole
 * accesses, else one.  Return: the bytes done.
 */
static unsigned int port_access(struct io_region *r, uint16_t port,
				unsigned int size, uint8_t *data, bool write)
{
	unsigned int n;

	if (r && r->ops->access) {
		n = r->base + r->len - port;
		n = n < size ? n : size;
		r->ops->access(r->opaque, port, n, data, write);
		return n;
	}
	if (write) {
		if (r && r->ops->out)
			r->ops->out(r->opaque, port, *data);
	} else {
		*data = r && r->ops->in ? r->ops->in(r->opaque, port) : 0xff;
	}
	return 1;
}

/**
 * io_bus_in() - a guest read of @size bytes from @port
 * @bus: the bus
 * @port: the port
 * @size: 1, 2 or 4
 * @data: filled with the bytes read, lowest port first
 */
void io_bus_in(struct io_bus *bus, uint16_t port, unsigned int size,
	       void *data)
{
	uint8_t *d = data;
	unsigned int i = 0;

	if (!lookup(bus, port)) {
		memset(d, 0xff, size);
		log_port(bus, port, false, size);
		return;
	}
	while (i < size)
		i += port_access(lookup(bus, port + i), port + i, size - i,
				 d + i, false);
}

/**
 * io_bus_out() - a guest write of @size bytes to @port
 * @bus: the bus
 * @port: the port
 * @size: 1, 2 or 4
 * @data: the bytes, lowest port first
 */
void io_bus_out(struct io_bus *bus, uint16_t port, unsigned int size,
		const void *data)
{
	unsigned int i = 0;
	uint8_t buf[4];

	if (!lookup(bus, port)) {
		log_port(bus, port, true, size);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	while (i < size)
		i += port_access(lookup(bus, port + i), port + i, size - i,
				 buf + i, true);
}

/* Report the first unhandled access to each page, up to a limit. */
static void log_mmio(struct io_bus *bus, uint64_t gpa, unsigned int len,
		     bool is_write)
{
	uint64_t page = gpa & ~(SZ_4K - 1);
	unsigned int i;
	bool first = true, last = false;

	pthread_mutex_lock(&bus->mmio_lock);
	for (i = 0; i < bus->nmmio_pages; i++)
		if (bus->mmio_pages[i] == page)
			first = false;
	if (first && bus->nmmio_pages == IO_BUS_MAX_MMIO_LOG) {
		first = false;
	} else if (first) {
		bus->mmio_pages[bus->nmmio_pages++] = page;
		last = bus->nmmio_pages == IO_BUS_MAX_MMIO_LOG;
	}
	pthread_mutex_unlock(&bus->mmio_lock);

	if (!first || !bus->log)
		return;
	fprintf(bus->log,
		"hvx-run: unhandled MMIO %s of %u byte%s at 0x%" PRIx64 " (page 0x%" PRIx64 "): reads return all ones, writes are ignored\n",
		is_write ? "write" : "read", len, len == 1 ? "" : "s", gpa,
		page);
	if (last)
		fprintf(bus->log,
			"hvx-run: %u MMIO pages reported, no more will be\n",
			IO_BUS_MAX_MMIO_LOG);
}

/**
 * io_bus_mmio() - a guest access to a guest-physical address without RAM
 * @bus: the bus
 * @gpa: the address
 * @len: 1, 2, 4 or 8
 * @is_write: a write of @data, else a read into @data
 * @data: the bytes
 */
void io_bus_mmio(struct io_bus *bus, uint64_t gpa, unsigned int len,
		 bool is_write, uint8_t *data)
{
	struct io_mmio_region *r = lookup_mmio(bus, gpa);
	uint64_t off, n;

	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
		log_mmio(bus, gpa, len, is_write);
		return;
	}
	off = gpa - r->base;
	n = r->len - off < len ? r->len - off : len;
	if (is_write) {
		if (r->ops->write)
			r->ops->write(r->opaque, off, data, n);
		return;
	}
	memset(data + n, 0xff, len - n);
	if (r->ops->read)
		r->ops->read(r->opaque, off, data, n);
	else
		memset(data, 0xff, n);
}

/**
 * io_bus_handle_run() - serve an HVX_EXIT_IO from the run page
 * @bus: the bus
 * @run: the vCPU's run page; for IN the data is written there
 *
 * String instructions come with @run->io.count elements, each of
 * @run->io.size bytes, at @run->io.data_offset.
 *
 * Return: 0, or -1 when the exit describes data outside the run page.
 */
int io_bus_handle_run(struct io_bus *bus, struct hvx_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int size = run->io.size;
	uint64_t off = run->io.data_offset;
	uint32_t i;

	if ((size != 1 && size != 2 && size != 4) || off > HVX_PAGE_SIZE ||
	    (uint64_t)run->io.count * size > HVX_PAGE_SIZE - off)
		return -1;
	for (i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == HVX_IO_OUT)
			io_bus_out(bus, run->io.port, size, data);
		else
			io_bus_in(bus, run->io.port, size, data);
	}
	return 0;
}
