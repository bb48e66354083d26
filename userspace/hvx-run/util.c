// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: messages (to stderr, or into a caller's error buffer) and the
 * parsing of numbers and sizes on the command line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvx-run.h"

static void (*msg_sync)(void *);
static void *msg_sync_ctx;
static void (*msg_out)(void *, const char *, size_t);
static void *msg_out_ctx;

/**
 * msg_set_sync() - what msg() waits for before it prints
 * @sync: called with @ctx before each line, or NULL for nothing
 * @ctx: its argument
 *
 * hvx-run sets console_out_sync(), so its lines come after the guest's
 * output written before them.  Set while no other thread prints.
 */
void msg_set_sync(void (*sync)(void *), void *ctx)
{
	msg_sync = sync;
	msg_sync_ctx = ctx;
}

/**
 * msg_set_output() - where msg() and msg_write() put their bytes
 * @out: called with @ctx, the bytes and their count; NULL for stderr
 * @ctx: its argument
 *
 * hvx-run sets its stderr copy (console_out.c), which a signal can free
 * from a stalled stderr.  Set while no other thread prints.
 */
void msg_set_output(void (*out)(void *, const char *, size_t), void *ctx)
{
	msg_out = out;
	msg_out_ctx = ctx;
}

/**
 * msg_write() - bytes for stderr, after the guest's output before them
 * @buf: the bytes, whole lines
 * @len: their count
 */
void msg_write(const char *buf, size_t len)
{
	if (msg_sync)
		msg_sync(msg_sync_ctx);
	if (msg_out)
		msg_out(msg_out_ctx, buf, len);
	else
		fwrite(buf, 1, len, stderr);
}

/**
 * msg() - one line to stderr, prefixed "hvx-run: "
 * @fmt: printf format, without the newline
 */
void msg(const char *fmt, ...)
{
	char buf[512], line[sizeof(buf) + 16];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "hvx-run: %s\n", buf);
	/* one write, so that lines of several threads do not interleave */
	msg_write(line, n);
}

static void (*fail_hook)(void *);
static void *fail_ctx;

/**
 * msg_set_failure() - what device_failed() does after its line
 * @fail: called with @ctx, or NULL for nothing
 * @ctx: its argument
 *
 * hvx-run ends the guest (HVX_RUN_EXIT_ERROR).  Set while no device
 * thread runs.
 */
void msg_set_failure(void (*fail)(void *), void *ctx)
{
	fail_hook = fail;
	fail_ctx = ctx;
}

/**
 * device_failed() - a device's thread cannot go on: say why, end the guest
 * @fmt: printf format of the line, without the newline
 *
 * Its timer or its poll gone, the device would stop while the guest ran
 * on without it (no more ticks, no more I/O): the guest ends instead.
 */
void device_failed(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* the stop first: the message waits for stdout (vcpu.c, crash()) */
	if (fail_hook)
		fail_hook(fail_ctx);
	msg("%s%s", buf, fail_hook ? "; the guest ends" : "");
}

static ssize_t stream_write(void *cookie, const char *buf, size_t len)
{
	msg_write(buf, len);
	return len;
}

/**
 * msg_stream_open() - a stream whose lines go where msg()'s go
 *
 * Line-buffered: what a call that ends a line printed goes out in one
 * msg_write().
 *
 * Return: the stream, or NULL with errno set.
 */
FILE *msg_stream_open(void)
{
	static const cookie_io_functions_t io = { .write = stream_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/**
 * errf() - put a loader's or builder's error message into @err
 * @err: the buffer
 * @errlen: its size
 * @fmt: printf format
 *
 * Return: -1, so that callers can "return errf(...)".
 */
int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal, or hexadecimal with 0x; no sign, no octal. */
static int parse_number(const char *s, uint64_t *out, const char **end)
{
	unsigned long long v;
	char *e;
	int base = 10;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -1;
	}
	errno = 0;
	v = strtoull(s, &e, base);
	if (errno)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

/**
 * parse_u64() - a guest-physical address or count
 * @s: decimal or 0x-prefixed hexadecimal
 * @out: the value
 *
 * Return: 0, or -1 when @s is not a number that fits 64 bits.
 */
int parse_u64(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (parse_number(s, &v, &end) || *end)
		return -1;
	*out = v;
	return 0;
}

/**
 * parse_size() - a size such as "4096", "64K", "64M" or "1G"
 * @s: a number (decimal or 0x hexadecimal) and an optional suffix K, M, G
 *     or T (either case, powers of 1024), optionally followed by "B" or
 *     "iB"
 * @out: bytes
 *
 * Return: 0, or -1 for anything else, including a size that overflows.
 */
int parse_size(const char *s, uint64_t *out)
{
	const char *end;
	unsigned int shift = 0;
	uint64_t v;

	if (parse_number(s, &v, &end))
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	case '\0':
		*out = v;
		return 0;
	default:
		return -1;
	}
	end++;
	if (end[0] == 'i' && end[1] == 'B')
		end += 2;
	else if (end[0] == 'B')
		end++;
	if (*end)
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}
