// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the PC platform a kernel (-k) gets on top of the devices every
 * guest has (UART, debug exit, i8042, CMOS clock): ACPI and MP tables, an I/O
 * APIC turning pins into MSIs for the local APICs in hvx.ko, the 8259
 * pair with its ExtINT path to vCPU 0, the 8254 with its timer thread,
 * the power registers ACPI points the guest at, the fw_cfg device, and
 * IRQ 8 with its thread for the CMOS clock every guest has.
 *
 * The ISA lines go through the router of irq.c to both interrupt
 * controllers, the PCI lines (GSIs 16-23) to the I/O APIC; the guest picks
 * one (Linux masks the 8259s once it uses
 * the I/O APIC).  Flat and ELF images keep the bare set of devices, as
 * their tests expect.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvx-run.h"
#include "pci.h"

#define COM1_IRQ	4
#define RTC_IRQ		8

/* The I/O APIC's messages go to the local APICs in hvx.ko. */
static int send_msi(void *ctx, uint64_t address, uint32_t data)
{
	struct machine *m = ctx;

	return hvx_signal_msi(m->vm_fd, address, data);
}

/**
 * platform_build_tables() - write the ACPI and the MP tables into guest RAM
 * @p: the platform
 * @ram: guest RAM
 * @ram_size: its size
 * @nr_cpus: vCPUs
 * @rsdp: filled with the RSDP's guest-physical address
 *
 * Both describe the same machine, @p->acpi; a guest that does not use
 * ACPI (Linux with acpi=off) finds its processors and interrupt wiring
 * in the MP tables.
 *
 * Return: 0, or -1 after a message.
 */
int platform_build_tables(struct platform *p, void *ram, uint64_t ram_size,
			  uint32_t nr_cpus, uint64_t *rsdp)
{
	char err[256];

	acpi_config_default(&p->acpi, nr_cpus);
	p->acpi.fw_cfg = true;
	/* platform_init() puts the 8259 pair on the bus */
	p->acpi.pic = true;
	/* the PCI window lies above RAM */
	p->acpi.pci = ram_size <= PCI_MMIO_BASE;
	p->ram_size = ram_size;
	if (acpi_build(ram, ram_size, &p->acpi, rsdp, err, sizeof(err))) {
		msg("ACPI tables: %s", err);
		return -1;
	}
	if (mptable_build(ram, ram_size, &p->acpi, MPTABLE_BASE, err,
			  sizeof(err))) {
		msg("%s", err);
		return -1;
	}
	return 0;
}

/**
 * platform_init() - create the platform's devices and put them on the bus
 * @p: the platform, after platform_build_tables()
 * @m: the machine (its vm_fd is read only when an MSI is sent)
 * @bus: the bus
 * @com1: the UART, registered: its line is connected here
 * @rtc: the CMOS clock, registered: its line is connected here, its
 *	thread runs from platform_start() to platform_destroy()
 * @cmdline: the kernel command line fw_cfg offers, or NULL; it must
 *	outlive the platform
 *
 * Return: 0, or -1 after a message.
 */
int platform_init(struct platform *p, struct machine *m, struct io_bus *bus,
		  struct serial *com1, struct rtc *rtc, const char *cmdline)
{
	pic_init(&p->pic, irq_extint_changed, m);
	pit_init(&p->pit, NULL, NULL, irq_router_line, &m->irq);
	ioapic_init(&p->ioapic, p->acpi.ioapic_base, p->acpi.ioapic_id,
		    send_msi, m);
	pm_init(&p->pm, &p->acpi, machine_stop, m);
	fw_cfg_init(&p->fw_cfg, p->ram_size, p->acpi.nr_cpus, cmdline);
	p->rtc = rtc;
	p->on = true;

	m->irq.pic = &p->pic;
	m->irq.ioapic_line = ioapic_irq_line;
	m->irq.ioapic_ctx = &p->ioapic;
	m->ioapic = &p->ioapic;
	serial_connect_irq(com1, irq_router_line, &m->irq, COM1_IRQ);
	rtc_connect_irq(rtc, irq_router_line, &m->irq, RTC_IRQ);

	if (pic_register(&p->pic, bus) || pit_register(&p->pit, bus) ||
	    ioapic_register(&p->ioapic, bus) || pm_register(&p->pm, bus) ||
	    fw_cfg_register(&p->fw_cfg, bus)) {
		msg("cannot register the platform's devices");
		return -1;
	}
	return 0;
}

/* The reset vector: F000:FFF0, in real mode. */
#define RESET_VECTOR	0xffff0ULL

/**
 * platform_write_firmware() - the only firmware code a -k guest gets
 * @p: the platform, after platform_build_tables()
 * @ram: guest RAM (at least 1 MiB)
 *
 * There is no BIOS.  A kernel that reboots by jumping to the reset vector
 * (Linux does when the ACPI reset and the EFI reset it tries first do not
 * end it: under hardware-reduced ACPI it prefers EFI, which is absent)
 * finds there what a BIOS's reset path amounts to: a write of the reset
 * value to the ACPI reset register, then HLT.
 */
void platform_write_firmware(struct platform *p, void *ram)
{
	uint8_t *v = (uint8_t *)ram + RESET_VECTOR;
	const uint8_t reset_code[] = {
		0xb0, p->acpi.reset_value,		/* mov $value, %al */
		0xba, p->acpi.reset_port & 0xff,	/* mov $port, %dx */
		p->acpi.reset_port >> 8,
		0xee,					/* out %al, (%dx) */
		0xfa,					/* 1: cli */
		0xf4,					/* hlt */
		0xeb, 0xfc,				/* jmp 1b */
	};

	memcpy(v, reset_code, sizeof(reset_code));
}

/* A far jump to the reset vector's alias below 1 MiB: F000:FFF0. */
#define RESET_ROM_JMP	0xff0

/**
 * platform_map_reset_rom() - the page holding the reset vector
 * @vm_fd: the VM
 * @slot: a memory slot of its own
 *
 * A processor leaves RESET or an INIT (the BSP's: hvx restarts it as a
 * processor does, rather than making it wait for a SIPI) at 0xfffffff0,
 * CS's base 0xffff0000, where a PC's BIOS ROM jumps to its code below
 * 1 MiB.  This page does the same, read-only, so that a -k guest that
 * sends its BSP an INIT ends at platform_write_firmware()'s reset code:
 * a reboot, as on a PC.
 *
 * Return: the page, to unmap after the VM, or NULL after a message.
 */
void *platform_map_reset_rom(int vm_fd, uint32_t slot)
{
	const uint8_t jmp[] = { 0xea, 0xf0, 0xff, 0x00, 0xf0 };
	uint8_t *rom;

	rom = mmap(NULL, RESET_ROM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rom == MAP_FAILED) {
		msg("cannot map the reset vector's page: %s", strerror(errno));
		return NULL;
	}
	memcpy(rom + RESET_ROM_JMP, jmp, sizeof(jmp));
	if (hvx_set_memory_region(vm_fd, slot, HVX_MEM_READONLY,
				  RESET_ROM_BASE, RESET_ROM_SIZE, rom) < 0) {
		msg("HVX_SET_MEMORY_REGION (the reset vector's page): %s",
		    strerror(errno));
		munmap(rom, RESET_ROM_SIZE);
		return NULL;
	}
	return rom;
}

/**
 * platform_start() - start the platform's threads
 * @p: the platform
 * @com1: the UART, whose input thread starts too
 * @tty_fd: the console's input (the UART's or virtio-console's), put in
 *	raw mode if it is a terminal
 * @m: the machine, for the UART's escape sequence
 *
 * Return: 0, or -1 after a message.
 */
int platform_start(struct platform *p, struct serial *com1, int tty_fd,
		   struct machine *m)
{
	if (!p->on)
		return 0;
	if (pit_start(&p->pit)) {
		msg("cannot start the PIT's thread: %s", strerror(errno));
		return -1;
	}
	if (rtc_start(p->rtc)) {
		msg("cannot start the RTC's thread: %s", strerror(errno));
		return -1;
	}
	p->tty_raw = terminal_raw(tty_fd);
	if (serial_start_input(com1, p->tty_raw, machine_stop_user, m)) {
		msg("cannot start the UART's input thread: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * platform_destroy() - stop the threads and free the devices
 * @p: the platform (platform_init() may not have run)
 */
void platform_destroy(struct platform *p)
{
	if (!p->on)
		return;
	pit_stop(&p->pit);
	pit_destroy(&p->pit);
	rtc_stop(p->rtc);
	fw_cfg_destroy(&p->fw_cfg);
	ioapic_destroy(&p->ioapic);
	pic_destroy(&p->pic);
	p->on = false;
}
