// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: an i8042 keyboard controller with no keyboard behind it.
 *
 * Port 0x64 reads the status register and takes controller commands;
 * port 0x60 reads the output buffer and takes command data.  What guests
 * use it for is a status read and the reset line: command 0xfe (pulse
 * output port bit 0) or writing the output port with bit 0 clear asks the
 * machine to reset.  hvx-run does not reset guests, so that ends the
 * guest with status 0 and "guest requested reset" on stderr.
 *
 * Implemented commands: 0x20 read and 0x60 write the command byte, 0xaa
 * self test (0x55), 0xab keyboard interface test (0x00), 0xad/0xae
 * disable/enable the keyboard, 0xa7/0xa8 disable/enable the aux port,
 * 0xd0 read and 0xd1 write the output port, 0xf0-0xff pulse output port
 * bits (bit 0 is reset).  Others are ignored.  Data written to port 0x60
 * outside a command (meant for the keyboard) is dropped.
 */
#include <string.h>

#include "hvx-run.h"

#define STS_OBF		0x01	/* output buffer full */
#define STS_SYS		0x04	/* system flag: self test passed */
#define STS_CMD		0x08	/* last write went to port 0x64 */
#define STS_UNLOCKED	0x10	/* keyboard not inhibited (keylock off) */

#define CB_KBD_INT	0x01
#define CB_SYS		0x04
#define CB_KBD_OFF	0x10
#define CB_AUX_OFF	0x20
#define CB_XLATE	0x40

#define OUTP_RESET	0x01	/* active low: 0 resets the CPU */
#define OUTP_A20	0x02

#define CMD_READ_CB	0x20
#define CMD_WRITE_CB	0x60
#define CMD_AUX_OFF	0xa7
#define CMD_AUX_ON	0xa8
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_OFF	0xad
#define CMD_KBD_ON	0xae
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_PULSE	0xf0	/* 0xf0-0xff: pulse bits 3:0 low */

/**
 * i8042_init() - the controller after a BIOS handed it over
 * @k: the controller
 * @stop: called when the guest asks for a reset
 * @ctx: passed to @stop
 */
void i8042_init(struct i8042 *k, stop_fn stop, void *ctx)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->status = STS_SYS | STS_UNLOCKED;
	k->reset_status = HVX_RUN_EXIT_OK;
	k->cmd_byte = CB_KBD_INT | CB_SYS | CB_XLATE;
	k->out_port = OUTP_RESET | OUTP_A20;
	k->stop = stop;
	k->ctx = ctx;
}

/**
 * i8042_destroy() - undo i8042_init()
 * @k: the controller
 */
void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

static void put_out(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->status |= STS_OBF;
}

/* Called with the lock held; returns true when a reset was asked for. */
static bool command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CB:
		put_out(k, k->cmd_byte);
		break;
	case CMD_WRITE_CB:
	case CMD_WRITE_OUTP:
		k->pending_cmd = cmd;
		break;
	case CMD_AUX_OFF:
		k->cmd_byte |= CB_AUX_OFF;
		break;
	case CMD_AUX_ON:
		k->cmd_byte &= ~CB_AUX_OFF;
		break;
	case CMD_SELF_TEST:
		put_out(k, 0x55);
		break;
	case CMD_KBD_TEST:
		put_out(k, 0x00);
		break;
	case CMD_KBD_OFF:
		k->cmd_byte |= CB_KBD_OFF;
		break;
	case CMD_KBD_ON:
		k->cmd_byte &= ~CB_KBD_OFF;
		break;
	case CMD_READ_OUTP:
		put_out(k, k->out_port);
		break;
	default:
		if (cmd >= CMD_PULSE && !(cmd & OUTP_RESET))
			return true;
		break;
	}
	return false;
}

/* Called with the lock held; returns true when a reset was asked for. */
static bool data(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CB:
		k->cmd_byte = val;
		k->status = (k->status & ~STS_SYS) | (val & CB_SYS);
		break;
	case CMD_WRITE_OUTP:
		k->out_port = val;
		return !(val & OUTP_RESET);
	}
	return false;
}

/**
 * i8042_in() - a guest read
 * @k: the controller
 * @port: 0x60 or 0x64
 *
 * Return: the output buffer (0x60; reading empties it) or the status.
 */
uint8_t i8042_in(struct i8042 *k, uint16_t port)
{
	uint8_t v;

	pthread_mutex_lock(&k->lock);
	if (port == I8042_DATA_PORT) {
		v = k->out;
		k->status &= ~STS_OBF;
	} else {
		v = k->status;
	}
	pthread_mutex_unlock(&k->lock);
	return v;
}

/**
 * i8042_out() - a guest write
 * @k: the controller
 * @port: 0x60 (data) or 0x64 (command)
 * @val: the byte
 */
void i8042_out(struct i8042 *k, uint16_t port, uint8_t val)
{
	bool reset;

	pthread_mutex_lock(&k->lock);
	if (port == I8042_DATA_PORT) {
		k->status &= ~STS_CMD;
		reset = data(k, val);
	} else {
		k->status |= STS_CMD;
		k->pending_cmd = 0;
		reset = command(k, val);
	}
	pthread_mutex_unlock(&k->lock);
	if (reset)
		k->stop(k->ctx, k->reset_status, "guest requested reset");
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	return i8042_in(opaque, port);
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	i8042_out(opaque, port, val);
}

static const struct io_port_ops i8042_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * i8042_register() - put the controller at ports 0x60 and 0x64
 * @k: the controller
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int i8042_register(struct i8042 *k, struct io_bus *bus)
{
	if (io_bus_register(bus, I8042_DATA_PORT, 1, &i8042_ops, k, "i8042"))
		return -1;
	return io_bus_register(bus, I8042_CMD_PORT, 1, &i8042_ops, k,
			       "i8042");
}
