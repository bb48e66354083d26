// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the power management registers of the hardware-reduced ACPI
 * model, three byte-wide ports (0x600-0x602 by default, see struct
 * acpi_config; the FADT describes the same ports).
 *
 * Sleep control: writing SLP_EN (bit 5) with SLP_TYP (bits 4:2) equal to
 * the type \_S5 names ends the guest with HVX_RUN_EXIT_POWEROFF: the
 * guest powered off.  Other sleep types are ignored (the DSDT names no
 * other sleep state), as are writes without SLP_EN.  Reads return 0.
 *
 * Sleep status: reads 0, WAK_STS (bit 7) never being set since the guest
 * never sleeps; writes (the guest clears WAK_STS before it sleeps) are
 * ignored.
 *
 * Reset: writing the reset value ends the guest with HVX_RUN_EXIT_REBOOT;
 * other values are ignored.  Reads return 0.
 *
 * The device has no state of its own, so no lock: the stop callback
 * serialises.
 */
#include "hvx-run.h"

/**
 * pm_init() - the registers where @cfg says they are
 * @pm: the device
 * @cfg: the ports and values, as the ACPI tables describe them
 * @stop: ends the guest
 * @ctx: passed to @stop
 */
void pm_init(struct pm *pm, const struct acpi_config *cfg, stop_fn stop,
	     void *ctx)
{
	pm->sleep_control_port = cfg->sleep_control_port;
	pm->sleep_status_port = cfg->sleep_status_port;
	pm->reset_port = cfg->reset_port;
	pm->reset_value = cfg->reset_value;
	pm->s5_sleep_type = cfg->s5_sleep_type;
	pm->stop = stop;
	pm->ctx = ctx;
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	return 0;
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct pm *pm = opaque;

	if (port == pm->sleep_control_port && (val & PM_SLP_EN) &&
	    (val & PM_SLP_TYP_MASK) >> PM_SLP_TYP_SHIFT == pm->s5_sleep_type)
		pm->stop(pm->ctx, HVX_RUN_EXIT_POWEROFF,
			 "guest powered off (ACPI S5)");
	else if (port == pm->reset_port && val == pm->reset_value)
		pm->stop(pm->ctx, HVX_RUN_EXIT_REBOOT,
			 "guest requested reboot (ACPI reset register)");
}

static const struct io_port_ops pm_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * pm_register() - put the three registers on the bus
 * @pm: the device
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int pm_register(struct pm *pm, struct io_bus *bus)
{
	if (io_bus_register(bus, pm->sleep_control_port, 1, &pm_ops, pm,
			    "acpi-sleep-control") ||
	    io_bus_register(bus, pm->sleep_status_port, 1, &pm_ops, pm,
			    "acpi-sleep-status") ||
	    io_bus_register(bus, pm->reset_port, 1, &pm_ops, pm,
			    "acpi-reset"))
		return -1;
	return 0;
}
