// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's PC platform as a hostile guest sees it:
 * the devices of -k with a disk and --console virtio, on their port and
 * MMIO bus as hvx-run builds them (devices_init()), their
 * virtio devices' threads serving rings in a guest RAM of random bytes
 * followed by an inaccessible guard page, driven by random port and MMIO
 * accesses of every size: to the chips' ports, the PCI configuration
 * ports and ECAM window, the I/O APIC and wherever the guest moved the
 * devices' BARs.  hvx-run must neither crash nor touch anything past
 * guest RAM, and a device's identity in its configuration space must
 * stay as it was.  No VM exists: MSIs and doorbells fail quietly.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/devices.h"
#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/pc_chips.h"
#include "../../userspace/hvx-run/pci.h"
#include "../../userspace/hvx-run/virtio_pci.h"
#include "xorshift.h"

#define RAM_SIZE	(16ULL << 20)
#define DISK_SIZE	(1 << 20)
#define ROUNDS		200000

/* msg() lines, counted rather than printed */
static unsigned int nr_msgs;

static void count_msg(void *ctx, const char *buf, size_t len)
{
	__atomic_add_fetch(&nr_msgs, 1, __ATOMIC_RELAXED);
}

/* The chips' ports a guest would touch, and a few nobody claims. */
static const struct {
	uint16_t base, len;
} ports[] = {
	{ 0x20, 2 }, { 0xa0, 2 }, { 0x4d0, 2 }, { 0x40, 4 }, { 0x61, 1 },
	{ 0x60, 1 }, { 0x64, 1 }, { 0x70, 2 }, { SERIAL_COM1_BASE, 8 },
	{ 0x510, 2 }, { 0xcf8, 8 }, { PM_SLEEP_CONTROL_PORT, 3 },
	{ 0x80, 1 }, { 0x2f8, 8 },
};

FIXTURE(pc) {
	uint8_t *ram;
	char disk[64];
	int null_fd;
	struct machine m;
	struct console_out out;
	struct devices d;
	uint64_t rsdp;
};

FIXTURE_SETUP(pc)
{
	long page = sysconf(_SC_PAGESIZE);
	const char *disks[1] = { self->disk };
	struct devices_cfg cfg = {
		.pc = true,
		.cmdline = "console=ttyS0",
		.ram_size = RAM_SIZE,
		.disks = disks,
		.nr_disks = 1,
		.console_virtio = true,
	};
	uint64_t x = 0x853c49e6748fea9bULL, i;
	int fd;

	self->ram = mmap(NULL, RAM_SIZE + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	ASSERT_EQ(0, mprotect(self->ram + RAM_SIZE, page, PROT_NONE));
	/* rings and buffers wherever the guest points them: random bytes */
	for (i = 0; i < (1 << 20); i += 8)
		*(uint64_t *)(self->ram + i) = xorshift64(&x);
	strcpy(self->disk, "/tmp/hvx-fuzz-disk.XXXXXX");
	fd = mkstemp(self->disk);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	close(fd);
	self->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->null_fd);
	msg_set_output(count_msg, NULL);

	/* the machine as main.c's run_machine() sets it up, without a VM */
	self->m.vm_fd = -1;
	self->m.stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->m.stop_efd);
	self->m.nr_vcpus = 1;
	self->m.vcpus = calloc(1, sizeof(*self->m.vcpus));
	ASSERT_NE(NULL, self->m.vcpus);
	pthread_mutex_init(&self->m.lock, NULL);
	pthread_cond_init(&self->m.stop_cond, NULL);
	self->out.wfd = self->null_fd;
	self->m.out = &self->out;

	ASSERT_EQ(0, platform_build_tables(&self->d.plat, self->ram, RAM_SIZE,
					   2, &self->rsdp));
	ASSERT_EQ(0, devices_init(&self->d, &cfg, &self->m, self->ram));
	ASSERT_TRUE(self->d.plat.acpi.pci);
	/* the device threads, but not the console's reader of stdin */
	ASSERT_EQ(0, virtio_start(self->d.pdev.rng));
	ASSERT_EQ(0, virtio_start(self->d.pdev.console));
	ASSERT_EQ(0, virtio_start(self->d.pdev.disks[0]));
}

FIXTURE_TEARDOWN(pc)
{
	devices_stop(&self->d);
	devices_destroy(&self->d);
	msg_set_output(NULL, NULL);
	free(self->m.vcpus);
	close(self->m.stop_efd);
	close(self->null_fd);
	unlink(self->disk);
	munmap(self->ram, RAM_SIZE + sysconf(_SC_PAGESIZE));
}

/* Configuration dword @reg of device @dev on bus 0, through ECAM. */
static uint32_t ecam_read(struct io_bus *bus, unsigned int dev,
			  unsigned int reg)
{
	uint32_t v = 0;

	io_bus_mmio(bus, PCI_ECAM_BASE + (dev << 15) + reg, 4, false,
		    (uint8_t *)&v);
	return v;
}

/* One random port access. */
static void fuzz_port(struct io_bus *bus, uint64_t *x)
{
	uint64_t r = xorshift64(x);
	static const unsigned int sizes[] = { 1, 2, 4 };
	unsigned int size = sizes[(r >> 8) % 3], i = (r >> 12) % 16;
	uint32_t val = r >> 32;
	uint16_t port;

	if (i < ARRAY_SIZE(ports))
		port = ports[i].base + (r >> 16) % ports[i].len;
	else
		port = r >> 16;
	if (r & 1)
		io_bus_out(bus, port, size, &val);
	else
		io_bus_in(bus, port, size, &val);
}

/*
 * One random MMIO access: the ECAM window, the I/O APIC, or a BAR of one
 * of the first @nr_dev devices where the guest put it now.
 */
static void fuzz_mmio(struct io_bus *bus, unsigned int nr_dev, uint64_t *x)
{
	uint64_t r = xorshift64(x), gpa, val = xorshift64(x);
	unsigned int len = 1U << ((r >> 4) % 4), dev = (r >> 8) % nr_dev;
	uint32_t bar;

	switch ((r >> 16) % 4) {
	case 0:
		/* the header, the capabilities, and past them */
		gpa = PCI_ECAM_BASE + (dev << 15) + (r >> 24) % 0x120;
		break;
	case 1:
		gpa = IOAPIC_DEFAULT_BASE + (r >> 24) % 0x48;
		break;
	default:
		bar = ecam_read(bus, dev, 0x10) & ~0xfU;
		gpa = bar + (r >> 24) % VIRTIO_BAR_SIZE;
		/* where the common configuration's rings go: guest RAM */
		if (!((r >> 60) % 4))
			val %= RAM_SIZE;
	}
	io_bus_mmio(bus, gpa, len, r & 2, (uint8_t *)&val);
}

static void mmio_write(struct io_bus *bus, uint64_t gpa, uint64_t val,
		       unsigned int len)
{
	io_bus_mmio(bus, gpa, len, true, (uint8_t *)&val);
}

/*
 * Half of the rings get descriptors a driver could have written, if not
 * always well: buffers in RAM's first MiB of up to 8 KiB, in chains of
 * two readable and two writable buffers (a request) from every fourth
 * descriptor, some chained elsewhere, some indirect tables; and
 * available chains.
 */
static void shape_ring(uint8_t *ram, uint64_t desc, uint64_t avail,
		       unsigned int size, uint64_t *x)
{
	uint16_t flags, next;
	unsigned int i;
	uint64_t r;

	for (i = 0; i < size; i++) {
		r = xorshift64(x);
		flags = (i % 4 != 3 ? VRING_DESC_F_NEXT : 0) |
			(i % 4 >= 2 ? VRING_DESC_F_WRITE : 0);
		next = r % 8 ? (i + 1) % size : (r >> 4) % size;
		put_le64(ram + desc + 16 * i, (r >> 12) % (1 << 20));
		put_le32(ram + desc + 16 * i + 8, (r >> 40) % 8193);
		put_le16(ram + desc + 16 * i + 12, (r >> 56) % 16 ? flags :
			 VRING_DESC_F_INDIRECT);
		put_le16(ram + desc + 16 * i + 14, next);
	}
	for (i = 0; i < size; i++)
		put_le16(ram + avail + 4 + 2 * i, xorshift64(x) % size);
	put_le16(ram + avail, 0);
	put_le16(ram + avail + 2, xorshift64(x) % (size + 1));
}

/*
 * A driver's setup of virtio device @dev, which random accesses alone
 * seldom get through, on rings at random places in the random bytes of
 * RAM's first MiB, with VERSION_1 and a random part of the other
 * features the device offers: memory and bus mastering on, a reset, the negotiation,
 * two queues, DRIVER_OK, a kick of each.
 */
static void fuzz_driver(struct io_bus *bus, uint8_t *ram, unsigned int dev,
			uint64_t *x)
{
	uint64_t cc, bar, desc, avail, r = xorshift64(x);
	unsigned int size;
	uint32_t df = 0;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	unsigned int q;

	io_bus_mmio(bus, PCI_ECAM_BASE + (dev << 15) + PCI_COMMAND, 2, true,
		    (uint8_t *)&cmd);
	/* BAR 0 (64-bit) back in the window, where the bus decodes it */
	bar = PCI_MMIO_BASE + (dev << 20);
	mmio_write(bus, PCI_ECAM_BASE + (dev << 15) + 0x10, bar, 4);
	mmio_write(bus, PCI_ECAM_BASE + (dev << 15) + 0x14, 0, 4);
	cc = bar + VIRTIO_COMMON_OFF;
	mmio_write(bus, cc + 0x14, 0, 1);
	mmio_write(bus, cc + 0x14, VIRTIO_STATUS_ACKNOWLEDGE |
		   VIRTIO_STATUS_DRIVER, 1);
	for (q = 0; q < 2; q++) {
		mmio_write(bus, cc + 0x00, q, 4);
		io_bus_mmio(bus, cc + 0x04, 4, false, (uint8_t *)&df);
		mmio_write(bus, cc + 0x08, q, 4);
		mmio_write(bus, cc + 0x0c, (df & (r >> 32 * q)) | q, 4);
	}
	mmio_write(bus, cc + 0x14, 0x0b, 1);
	for (q = 0; q < 2; q++) {
		r = xorshift64(x);
		size = 1U << (r % 9);
		desc = (r >> 8) % (1 << 20) & ~15ULL;
		avail = (r >> 28) % (1 << 20) & ~1ULL;
		mmio_write(bus, cc + 0x16, q, 2);
		mmio_write(bus, cc + 0x18, size, 2);
		mmio_write(bus, cc + 0x1a, (r >> 4) % 3, 2);
		mmio_write(bus, cc + 0x20, desc, 8);
		mmio_write(bus, cc + 0x28, avail, 8);
		mmio_write(bus, cc + 0x30, (r >> 48) % (1 << 16) << 4, 8);
		mmio_write(bus, cc + 0x1c, 1, 2);
		if (r >> 63)
			shape_ring(ram, desc, avail, size, x);
	}
	mmio_write(bus, cc + 0x14, 0x0f, 1);
	for (q = 0; q < 2; q++)
		mmio_write(bus, bar + VIRTIO_NOTIFY_OFF +
			   q * VIRTIO_NOTIFY_MULT, q, 2);
}

TEST_F(pc, random_accesses)
{
	uint32_t id[4];
	uint64_t x = 0x6a09e667f3bcc908ULL;
	unsigned int dev, round;

	for (dev = 0; dev < 4; dev++)
		id[dev] = ecam_read(&self->d.bus, dev, 0);
	/* the host bridge, then rng, console and the disk */
	ASSERT_NE(0xffffffff, id[3]);
	for (round = 0; round < ROUNDS; round++) {
		if (!(round % 500)) {
			fuzz_driver(&self->d.bus, self->ram,
				    1 + xorshift64(&x) % 3, &x);
			usleep(500);	/* for the device's threads */
		} else if (xorshift64(&x) % 5 < 2)
			fuzz_port(&self->d.bus, &x);
		else
			fuzz_mmio(&self->d.bus, 4, &x);
	}
	/* the devices' threads had time to serve what was kicked */
	usleep(100 * 1000);
	for (dev = 0; dev < 4; dev++)
		EXPECT_EQ(id[dev], ecam_read(&self->d.bus, dev, 0));
	TH_LOG("%u messages", nr_msgs);
}

/* The ACPI table with signature @sig that the XSDT lists, or NULL. */
static const uint8_t *acpi_table(const uint8_t *ram, uint64_t rsdp,
				 const char *sig)
{
	uint64_t xsdt, table;
	uint32_t len, i;

	memcpy(&xsdt, ram + rsdp + 24, sizeof(xsdt));
	memcpy(&len, ram + xsdt + 4, sizeof(len));
	for (i = 36; i + 8 <= len; i += 8) {
		memcpy(&table, ram + xsdt + i, sizeof(table));
		if (table < RAM_SIZE - 4 && !memcmp(ram + table, sig, 4))
			return ram + table;
	}
	return NULL;
}

/*
 * The 8259 pair is on the bus (and the MP table routes it to LINT0):
 * the MADT says so with PCAT_COMPAT, as ACPI asks of a PC that has it.
 */
TEST_F(pc, madt_announces_the_8259_pair)
{
	const uint8_t *madt = acpi_table(self->ram, self->rsdp, "APIC");
	uint32_t flags;

	ASSERT_NE(NULL, madt);
	memcpy(&flags, madt + 40, sizeof(flags));
	EXPECT_EQ(1, flags & 1);	/* PCAT_COMPAT */
}

/*
 * A vCPU thread that ended is no longer running: the 8259's kick
 * (irq_extint_changed(), from the timer's thread, which outlives the
 * vCPUs) must not signal a joined thread.  Here HVX_RUN fails on a
 * vCPU without a VM, which stops the machine and ends the thread.
 */
TEST_F(pc, ended_vcpu_thread_is_not_running)
{
	struct vcpu *v = &self->m.vcpus[0];

	v->m = &self->m;
	v->fd = -1;
	v->run = calloc(1, sysconf(_SC_PAGESIZE));
	ASSERT_NE(NULL, v->run);
	ASSERT_EQ(0, vcpus_start(&self->m));
	vcpus_join(&self->m);
	EXPECT_TRUE(self->m.stopping);
	EXPECT_FALSE(v->running);
	/* the kick finds it ended and sends nothing (the stop set it) */
	v->run->immediate_exit = 0;
	irq_extint_changed(&self->m, true);
	EXPECT_EQ(0, v->run->immediate_exit);
	free(v->run);
}

TEST_HARNESS_MAIN
