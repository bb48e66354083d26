// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the debug-exit port.  A byte V written to port 0xf4 ends the
 * guest, and hvx-run exits with status V (a wider write counts its low
 * byte, the first port).  Reads return all ones.  Any value 0-255 is
 * possible, so the guest can produce hvx-run's own error statuses too;
 * tests that use the port pick values that do not clash.
 */
#include "hvx-run.h"

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct debug_exit *d = opaque;

	if (port == DEBUG_EXIT_PORT)
		d->stop(d->ctx, val, NULL);
}

static const struct io_port_ops debug_exit_ops = {
	.out = port_out,
};

/**
 * debug_exit_register() - put the debug-exit port at 0xf4
 * @d: the device
 * @bus: the bus
 * @stop: called with the byte written
 * @ctx: passed to @stop
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int debug_exit_register(struct debug_exit *d, struct io_bus *bus,
			stop_fn stop, void *ctx)
{
	d->stop = stop;
	d->ctx = ctx;
	return io_bus_register(bus, DEBUG_EXIT_PORT, 1, &debug_exit_ops, d,
			       "debug-exit");
}
