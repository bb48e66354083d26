/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pseudo-random numbers of the random tests and of make stress:
 * xorshift64*, small and the same sequence everywhere for a seed, so that
 * a printed seed replays a run.
 */
#ifndef HVX_SELFTEST_PRNG_H
#define HVX_SELFTEST_PRNG_H

#include <stdint.h>
#include <stddef.h>

static inline uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Uniform enough below @n (> 0) for tests. */
static inline uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return rnd_next(s) % n;
}

/* A state for stream @stream of run @seed; never 0 (xorshift's fixed point). */
static inline uint64_t rnd_stream(uint64_t seed, uint64_t stream)
{
	uint64_t s = seed ^ (stream * 0x9e3779b97f4a7c15ULL);

	return s ? s : 1;
}

static inline void rnd_fill(uint64_t *s, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rnd_next(s) >> 56;
}

#endif /* HVX_SELFTEST_PRNG_H */
