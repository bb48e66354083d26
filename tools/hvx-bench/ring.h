/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx's shared I/O ring in the benchmarks (ring.c): the pio_ring,
 * pio_posted and mmio_posted cases of the hvx backend.
 */
#ifndef HVX_BENCH_RING_H
#define HVX_BENCH_RING_H

#include "bench.h"

/*
 * Make the ring, route the ring cases' ports and addresses, start the
 * device thread.  Failure only makes bench_ring_setup() say why.
 */
void bench_ring_open(int vm_fd);
/*
 * 0 when the ring serves @c, 1 with @why when it cannot.  @entries: the
 * guest's handler entry count, which a @c with to_isr times its MSIs to.
 */
int bench_ring_setup(const struct bench_case *c, const uint32_t *entries,
		     const char **why);
/* After every return of HVX_RUN: the *_posted_vmm cases drain here. */
void bench_ring_after_exit(const struct bench_case *c);
/* Wait for the device thread to drain; add what it consumed to @cnt. */
void bench_ring_teardown(const struct bench_case *c, struct bench_counts *cnt);
/* Stop the device thread and unmap the ring. */
void bench_ring_close(void);

#endif /* HVX_BENCH_RING_H */
