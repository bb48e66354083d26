// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's port dispatch (userspace/hvx-run/io.c) and
 * the small devices on it: unknown ports and MMIO read all ones and are
 * reported once, MMIO devices get their accesses, wide and string
 * accesses from a run page, the debug-exit port, the i8042 (status,
 * commands, reset), and the register dump.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

/* A device that records what it sees: port p reads as p & 0xff. */
struct recorder {
	uint16_t last_port;
	uint8_t last_val;
	unsigned int nin, nout;
};

static uint8_t rec_in(void *opaque, uint16_t port)
{
	struct recorder *r = opaque;

	r->nin++;
	r->last_port = port;
	return port & 0xff;
}

static void rec_out(void *opaque, uint16_t port, uint8_t val)
{
	struct recorder *r = opaque;

	r->nout++;
	r->last_port = port;
	r->last_val = val;
}

static const struct io_port_ops rec_ops = {
	.in = rec_in,
	.out = rec_out,
};

/* An MMIO device that records its last access; reads return offset + i. */
struct mmio_rec {
	uint64_t offset;
	unsigned int len, nread, nwrite;
	uint8_t data[8];
};

static void mrec_read(void *opaque, uint64_t offset, void *data,
		      unsigned int len)
{
	struct mmio_rec *r = opaque;
	unsigned int i;

	r->nread++;
	r->offset = offset;
	r->len = len;
	for (i = 0; i < len; i++)
		((uint8_t *)data)[i] = offset + i;
}

static void mrec_write(void *opaque, uint64_t offset, const void *data,
		       unsigned int len)
{
	struct mmio_rec *r = opaque;

	r->nwrite++;
	r->offset = offset;
	r->len = len;
	memcpy(r->data, data, len);
}

static const struct io_mmio_ops mrec_ops = {
	.read = mrec_read,
	.write = mrec_write,
};

static const struct io_mmio_ops write_only_ops = {
	.write = mrec_write,
};

/* What a stop callback was asked. */
struct stopper {
	int calls, status;
	char why[128];
};

static void stop(void *ctx, int status, const char *why)
{
	struct stopper *s = ctx;

	s->calls++;
	s->status = status;
	snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
}

FIXTURE(bus) {
	struct io_bus *bus;
	FILE *log;
	struct recorder rec;
	struct stopper st;
};

FIXTURE_SETUP(bus)
{
	self->log = tmpfile();
	ASSERT_NE(NULL, self->log);
	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, self->log);
	memset(&self->rec, 0, sizeof(self->rec));
	memset(&self->st, 0, sizeof(self->st));
}

FIXTURE_TEARDOWN(bus)
{
	io_bus_destroy(self->bus);
	free(self->bus);
	fclose(self->log);
}

/* Everything logged so far, as one string (static buffer). */
static const char *logged(FILE *f)
{
	static char buf[65536];
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fseek(f, 0, SEEK_END);
	return buf;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

TEST_F(bus, registration)
{
	struct io_bus *bus = self->bus;

	EXPECT_EQ(0, io_bus_register(bus, 0x100, 4, &rec_ops, &self->rec,
				     "a"));
	EXPECT_EQ(-1, io_bus_register(bus, 0x103, 1, &rec_ops, NULL, "b"));
	EXPECT_EQ(-1, io_bus_register(bus, 0xff, 2, &rec_ops, NULL, "b"));
	EXPECT_EQ(-1, io_bus_register(bus, 0xffff, 2, &rec_ops, NULL, "b"));
	EXPECT_EQ(-1, io_bus_register(bus, 0x200, 0, &rec_ops, NULL, "b"));
	EXPECT_EQ(0, io_bus_register(bus, 0xffff, 1, &rec_ops, NULL, "b"));
	EXPECT_EQ(0, io_bus_register(bus, 0x104, 1, &rec_ops, NULL, "c"));
}

TEST_F(bus, dispatch)
{
	struct io_bus *bus = self->bus;
	uint8_t b[4] = { 0 };

	ASSERT_EQ(0, io_bus_register(bus, 0x100, 4, &rec_ops, &self->rec,
				     "rec"));
	io_bus_in(bus, 0x102, 1, b);
	EXPECT_EQ(0x02, b[0]);
	EXPECT_EQ(0x102, self->rec.last_port);
	b[0] = 0x5a;
	io_bus_out(bus, 0x103, 1, b);
	EXPECT_EQ(0x103, self->rec.last_port);
	EXPECT_EQ(0x5a, self->rec.last_val);

	/* Wide accesses: byte by byte, all ones past the device. */
	self->rec.nin = 0;
	io_bus_in(bus, 0x100, 4, b);
	EXPECT_EQ(4, self->rec.nin);
	EXPECT_EQ(0, memcmp(b, "\x00\x01\x02\x03", 4));
	io_bus_in(bus, 0x102, 4, b);
	EXPECT_EQ(0, memcmp(b, "\x02\x03\xff\xff", 4));
	self->rec.nout = 0;
	io_bus_out(bus, 0x102, 4, "\x10\x11\x12\x13");
	EXPECT_EQ(2, self->rec.nout);
	EXPECT_EQ(0x103, self->rec.last_port);
	EXPECT_EQ(0x11, self->rec.last_val);
	/* Known ports say nothing. */
	EXPECT_STREQ("", logged(self->log));
}

TEST_F(bus, unknown_ports)
{
	struct io_bus *bus = self->bus;
	uint8_t b[4] = { 0 };
	const char *log;

	ASSERT_EQ(0, io_bus_register(bus, 0x100, 4, &rec_ops, &self->rec,
				     "rec"));
	io_bus_in(bus, 0x80, 1, b);
	EXPECT_EQ(0xff, b[0]);
	io_bus_in(bus, 0x80, 4, b);
	EXPECT_EQ(0, memcmp(b, "\xff\xff\xff\xff", 4));
	io_bus_out(bus, 0x80, 1, b);
	memset(b, 0, 4);
	/* Starts before the device: the whole access is unhandled. */
	io_bus_in(bus, 0xff, 2, b);
	EXPECT_EQ(0, memcmp(b, "\xff\xff", 2));
	EXPECT_EQ(0, self->rec.nin);
	io_bus_out(bus, 0xffff, 1, b);

	log = logged(self->log);
	EXPECT_EQ(1, count(log, "port 0x0080")) {
		TH_LOG("%s", log);
	}
	EXPECT_EQ(1, count(log, "port 0x00ff"));
	EXPECT_EQ(1, count(log, "port 0xffff (out, 1 byte)"));
	EXPECT_EQ(3, count(log, "\n"));
	EXPECT_NE(NULL, strstr(log,
			       "hvx-run: unhandled I/O port 0x0080 (in, 1 byte): reads return all ones"));
}

TEST_F(bus, mmio)
{
	struct io_bus *bus = self->bus;
	uint8_t d[8] = { 0 };
	const char *log;
	unsigned int i;

	io_bus_mmio(bus, 0xfee00000, 4, false, d);
	EXPECT_EQ(0, memcmp(d, "\xff\xff\xff\xff\x00", 5));
	memset(d, 0x12, 8);
	io_bus_mmio(bus, 0xfee00ff8, 8, true, d);
	EXPECT_EQ(0x12, d[0]);
	io_bus_mmio(bus, 0xfee01000, 1, true, d);
	io_bus_mmio(bus, 0xfee00004, 8, false, d);
	EXPECT_EQ(0, memcmp(d, "\xff\xff\xff\xff\xff\xff\xff\xff", 8));

	log = logged(self->log);
	EXPECT_EQ(1, count(log, "(page 0xfee00000)")) {
		TH_LOG("%s", log);
	}
	EXPECT_EQ(1, count(log, "(page 0xfee01000)"));
	EXPECT_NE(NULL, strstr(log,
			       "unhandled MMIO read of 4 bytes at 0xfee00000 (page 0xfee00000)"));
	EXPECT_NE(NULL, strstr(log, "unhandled MMIO write of 1 byte at 0xfee01000"));

	/* The report stops after IO_BUS_MAX_MMIO_LOG pages. */
	for (i = 0; i < 2 * IO_BUS_MAX_MMIO_LOG; i++)
		io_bus_mmio(bus, 0x100000000ULL + i * SZ_4K, 1, false, d);
	log = logged(self->log);
	EXPECT_EQ(IO_BUS_MAX_MMIO_LOG, count(log, "unhandled MMIO"));
	EXPECT_EQ(1, count(log, "no more will be"));
}

TEST_F(bus, mmio_registration)
{
	struct io_bus *bus = self->bus;
	struct mmio_rec r = { 0 };
	unsigned int i;

	EXPECT_EQ(0, io_bus_register_mmio(bus, 0xfec00000, 0x1000, &mrec_ops,
					  &r, "a"));
	/* Overlaps, at either end or inside, are refused. */
	EXPECT_EQ(-1, io_bus_register_mmio(bus, 0xfec00fff, 1, &mrec_ops,
					   &r, "b"));
	EXPECT_EQ(-1, io_bus_register_mmio(bus, 0xfebff000, 0x1001,
					   &mrec_ops, &r, "b"));
	EXPECT_EQ(-1, io_bus_register_mmio(bus, 0xfe000000, 0x2000000,
					   &mrec_ops, &r, "b"));
	EXPECT_EQ(-1, io_bus_register_mmio(bus, 0xfec00800, 4, &mrec_ops,
					   &r, "b"));
	/* Empty and wrapping ranges too. */
	EXPECT_EQ(-1, io_bus_register_mmio(bus, 0x1000, 0, &mrec_ops, &r,
					   "b"));
	EXPECT_EQ(-1, io_bus_register_mmio(bus, ~0ULL - 0xfff, 0x2000,
					   &mrec_ops, &r, "b"));
	/* Neighbours and the very end of the address space are fine. */
	EXPECT_EQ(0, io_bus_register_mmio(bus, 0xfebff000, 0x1000, &mrec_ops,
					  &r, "c"));
	EXPECT_EQ(0, io_bus_register_mmio(bus, 0xfec01000, 1, &mrec_ops, &r,
					  "d"));
	EXPECT_EQ(0, io_bus_register_mmio(bus, ~0ULL - 0xfff, 0x1000,
					  &mrec_ops, &r, "e"));
	/* The table fills up. */
	for (i = 4; i < IO_BUS_MAX_MMIO; i++)
		EXPECT_EQ(0, io_bus_register_mmio(bus, 0x100000000ULL * i,
						  SZ_4K, &mrec_ops, &r, "f"));
	EXPECT_EQ(-1, io_bus_register_mmio(bus, 0x100000000ULL * i, SZ_4K,
					   &mrec_ops, &r, "g"));
}

TEST_F(bus, mmio_dispatch)
{
	struct io_bus *bus = self->bus;
	struct mmio_rec r = { 0 }, w = { 0 };
	uint8_t d[8];

	ASSERT_EQ(0, io_bus_register_mmio(bus, 0xfec00000, 0x100, &mrec_ops,
					  &r, "rec"));
	ASSERT_EQ(0, io_bus_register_mmio(bus, 0xfed00000, 0x10,
					  &write_only_ops, &w, "wo"));

	memset(d, 0, sizeof(d));
	io_bus_mmio(bus, 0xfec00010, 4, false, d);
	EXPECT_EQ(1, r.nread);
	EXPECT_EQ(0x10, r.offset);
	EXPECT_EQ(4, r.len);
	EXPECT_EQ(0, memcmp(d, "\x10\x11\x12\x13\x00", 5));
	io_bus_mmio(bus, 0xfec00040, 8, true, (uint8_t *)"abcdefgh");
	EXPECT_EQ(1, r.nwrite);
	EXPECT_EQ(0x40, r.offset);
	EXPECT_EQ(8, r.len);
	EXPECT_EQ(0, memcmp(r.data, "abcdefgh", 8));
	io_bus_mmio(bus, 0xfec000ff, 1, false, d);
	EXPECT_EQ(0xff, r.offset);
	EXPECT_EQ(0xff, d[0]);

	/* Past the end: the device sees the bytes inside, the rest is 0xff. */
	memset(d, 0, sizeof(d));
	io_bus_mmio(bus, 0xfec000fe, 4, false, d);
	EXPECT_EQ(0xfe, r.offset);
	EXPECT_EQ(2, r.len);
	EXPECT_EQ(0, memcmp(d, "\xfe\xff\xff\xff", 4));
	io_bus_mmio(bus, 0xfec000fc, 8, true, (uint8_t *)"ABCDEFGH");
	EXPECT_EQ(0xfc, r.offset);
	EXPECT_EQ(4, r.len);
	EXPECT_EQ(0, memcmp(r.data, "ABCD", 4));

	/* No read handler: all ones. */
	memset(d, 0, sizeof(d));
	io_bus_mmio(bus, 0xfed00004, 4, false, d);
	EXPECT_EQ(0, memcmp(d, "\xff\xff\xff\xff", 4));
	EXPECT_EQ(0, w.nread);
	io_bus_mmio(bus, 0xfed00008, 2, true, (uint8_t *)"xy");
	EXPECT_EQ(1, w.nwrite);
	EXPECT_EQ(8, w.offset);

	/* Devices say nothing; a miss around them is still unhandled. */
	EXPECT_STREQ("", logged(self->log));
	memset(d, 0, sizeof(d));
	io_bus_mmio(bus, 0xfec00100, 4, false, d);
	EXPECT_EQ(0, memcmp(d, "\xff\xff\xff\xff", 4));
	/* Starts before the device: the whole access is unhandled. */
	io_bus_mmio(bus, 0xfebffffe, 4, true, d);
	EXPECT_EQ(2, r.nwrite);
	EXPECT_EQ(1, count(logged(self->log), "(page 0xfec00000)"));
	EXPECT_EQ(1, count(logged(self->log), "(page 0xfebff000)"));
}

TEST_F(bus, run_page)
{
	struct io_bus *bus = self->bus;
	union {
		struct hvx_run run;
		uint8_t page[HVX_PAGE_SIZE];
	} *u = calloc(1, sizeof(*u));
	uint8_t *data;

	ASSERT_NE(NULL, u);
	data = u->page + HVX_RUN_DATA_OFFSET;
	ASSERT_EQ(0, io_bus_register(bus, 0x100, 4, &rec_ops, &self->rec,
				     "rec"));

	/* REP INSW from 0x101: three words. */
	u->run.exit_reason = HVX_EXIT_IO;
	u->run.io.direction = HVX_IO_IN;
	u->run.io.size = 2;
	u->run.io.port = 0x101;
	u->run.io.count = 3;
	u->run.io.data_offset = HVX_RUN_DATA_OFFSET;
	ASSERT_EQ(0, io_bus_handle_run(bus, &u->run));
	EXPECT_EQ(0, memcmp(data, "\x01\x02\x01\x02\x01\x02", 6));

	/* REP OUTSB to 0x100. */
	u->run.io.direction = HVX_IO_OUT;
	u->run.io.size = 1;
	u->run.io.port = 0x100;
	u->run.io.count = 4;
	memcpy(data, "wxyz", 4);
	self->rec.nout = 0;
	ASSERT_EQ(0, io_bus_handle_run(bus, &u->run));
	EXPECT_EQ(4, self->rec.nout);
	EXPECT_EQ('z', self->rec.last_val);

	/* Data described outside the page is refused. */
	u->run.io.count = HVX_RUN_DATA_SIZE + 1;
	EXPECT_EQ(-1, io_bus_handle_run(bus, &u->run));
	u->run.io.count = 1;
	u->run.io.size = 3;
	EXPECT_EQ(-1, io_bus_handle_run(bus, &u->run));
	u->run.io.size = 1;
	u->run.io.data_offset = HVX_PAGE_SIZE + 1;
	EXPECT_EQ(-1, io_bus_handle_run(bus, &u->run));
	free(u);
}

TEST_F(bus, debug_exit)
{
	struct io_bus *bus = self->bus;
	struct debug_exit d;
	uint8_t b = 42;

	ASSERT_EQ(0, debug_exit_register(&d, bus, stop, &self->st));
	io_bus_in(bus, DEBUG_EXIT_PORT, 1, &b);
	EXPECT_EQ(0xff, b);
	EXPECT_EQ(0, self->st.calls);
	b = 42;
	io_bus_out(bus, DEBUG_EXIT_PORT, 1, &b);
	EXPECT_EQ(1, self->st.calls);
	EXPECT_EQ(42, self->st.status);
	EXPECT_STREQ("", self->st.why);
	/* A word write exits with its low byte. */
	io_bus_out(bus, DEBUG_EXIT_PORT, 2, "\x07\x01");
	EXPECT_EQ(2, self->st.calls);
	EXPECT_EQ(7, self->st.status);
	b = 0xff;
	io_bus_out(bus, DEBUG_EXIT_PORT, 1, &b);
	EXPECT_EQ(255, self->st.status);
	EXPECT_STREQ("", logged(self->log));
}

TEST_F(bus, i8042)
{
	struct io_bus *bus = self->bus;
	struct i8042 k;
	uint8_t b;

	i8042_init(&k, stop, &self->st);
	ASSERT_EQ(0, i8042_register(&k, bus));

	io_bus_in(bus, 0x64, 1, &b);
	EXPECT_EQ(0x14, b);			/* system flag, unlocked */
	b = 0x20;				/* read command byte */
	io_bus_out(bus, 0x64, 1, &b);
	io_bus_in(bus, 0x64, 1, &b);
	EXPECT_EQ(0x1d, b);			/* output full, command */
	io_bus_in(bus, 0x60, 1, &b);
	EXPECT_EQ(0x45, b);
	io_bus_in(bus, 0x64, 1, &b);
	EXPECT_EQ(0x1c, b);

	b = 0x60;				/* write command byte */
	io_bus_out(bus, 0x64, 1, &b);
	b = 0x61;
	io_bus_out(bus, 0x60, 1, &b);
	EXPECT_EQ(0x61, k.cmd_byte);
	io_bus_in(bus, 0x64, 1, &b);
	EXPECT_EQ(0x10, b);			/* system flag from it */
	EXPECT_EQ(0, self->st.calls);

	i8042_out(&k, 0x64, 0xaa);
	EXPECT_EQ(0x55, i8042_in(&k, 0x60));
	i8042_out(&k, 0x64, 0xab);
	EXPECT_EQ(0x00, i8042_in(&k, 0x60));
	i8042_out(&k, 0x64, 0xad);
	EXPECT_EQ(0x10, k.cmd_byte & 0x10);
	i8042_out(&k, 0x64, 0xae);
	EXPECT_EQ(0x00, k.cmd_byte & 0x10);
	i8042_out(&k, 0x64, 0xd0);
	EXPECT_EQ(0x03, i8042_in(&k, 0x60));
	/* Keyboard data and unknown commands: ignored. */
	i8042_out(&k, 0x60, 0xff);
	i8042_out(&k, 0x64, 0xc0);
	i8042_out(&k, 0x64, 0xff);		/* pulse nothing */
	EXPECT_EQ(0, self->st.calls);

	/* Reset: pulse output port bit 0. */
	b = 0xfe;
	io_bus_out(bus, 0x64, 1, &b);
	EXPECT_EQ(1, self->st.calls);
	EXPECT_EQ(0, self->st.status);
	EXPECT_STREQ("guest requested reset", self->st.why);

	/* Reset: write the output port with bit 0 clear. */
	i8042_out(&k, 0x64, 0xd1);
	i8042_out(&k, 0x60, 0x03);
	EXPECT_EQ(1, self->st.calls);
	i8042_out(&k, 0x64, 0xd1);
	i8042_out(&k, 0x60, 0x02);
	EXPECT_EQ(2, self->st.calls);
	i8042_destroy(&k);
}

TEST(dump)
{
	struct hvx_regs regs = { .rax = 0x1234, .r15 = 0xf15, .rip = 0x1000,
				 .rflags = 2 };
	struct hvx_sregs sregs = { .cr0 = 0x80010033, .efer = 0x500 };
	struct hvx_run run = { .exit_reason = HVX_EXIT_INTERNAL_ERROR };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	sregs.cs.selector = 8;
	sregs.cs.ar = 0xa09b;
	sregs.cs.limit = 0xffffffff;
	run.internal.suberror = HVX_INTERNAL_EMULATION;
	run.internal.ndata = 6;
	run.internal.data[0] = 48;
	run.internal.data[2] = 0xfee00000;
	run.internal.data[3] = 6;
	memcpy(&run.internal.data[4], "\xff\x05\x00\x00\xe0\xfe", 6);

	f = open_memstream(&buf, &len);
	ASSERT_NE(NULL, f);
	dump_exit(f, &run);
	dump_regs(f, &regs, &sregs);
	run.exit_reason = HVX_EXIT_FAIL_ENTRY;
	run.fail_entry.hardware_exit_reason = 0x80000021;
	dump_exit(f, &run);
	run.fail_entry.hardware_exit_reason = HVX_FAIL_ENTRY_VMFAIL | 7;
	dump_exit(f, &run);
	run.exit_reason = HVX_EXIT_EOI;
	run.eoi.vector = 0x71;
	dump_exit(f, &run);
	fclose(f);

	EXPECT_NE(NULL, strstr(buf, "exit reason 6 (INTERNAL_ERROR)"));
	EXPECT_NE(NULL, strstr(buf, "suberror 1 (instruction hvx cannot emulate)"));
	EXPECT_NE(NULL, strstr(buf, "guest-physical address 0xfee00000"));
	EXPECT_NE(NULL, strstr(buf, "instruction bytes (6): ff 05 00 00 e0 fe\n"));
	EXPECT_NE(NULL, strstr(buf, "RAX=0000000000001234 "));
	EXPECT_NE(NULL, strstr(buf, "R15=0000000000000f15\n"));
	EXPECT_NE(NULL, strstr(buf, "RIP=0000000000001000 RFLAGS=00000002"));
	EXPECT_NE(NULL, strstr(buf,
			       "CS   sel=0008 base=0000000000000000 limit=ffffffff ar=0a09b"));
	EXPECT_NE(NULL, strstr(buf, "CR0=0000000080010033"));
	EXPECT_NE(NULL, strstr(buf, "EFER=0000000000000500"));
	EXPECT_NE(NULL, strstr(buf,
			       "hardware exit reason 0x80000021 (basic reason 33: invalid guest state)"));
	EXPECT_NE(NULL, strstr(buf, "VM-instruction error 7"));
	EXPECT_NE(NULL, strstr(buf, "exit reason 12 (EOI)\n"
			       "level-triggered EOI of vector 0x71\n"));
	free(buf);
}

TEST_HARNESS_MAIN
