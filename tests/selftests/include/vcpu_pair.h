/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a test's vCPUs each in a thread of its own, for the tests of
 * IPIs and of INIT and SIPI.  Include after hvx_harness.h.
 */
#ifndef SELFTEST_HVX_VCPU_PAIR_H
#define SELFTEST_HVX_VCPU_PAIR_H

#include <pthread.h>
#include <string.h>

/* Two vCPUs, each run by its own thread until GUEST_DONE. */
struct runner {
	struct test_vcpu *vcpu;
	uint64_t syncs;
	uint32_t last_port;
	uint64_t last_data;
	bool failed;
};

static inline void *run_to_done(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;
	uint64_t cmd;

	for (;;) {
		vcpu_run(r->vcpu);
		if (r->vcpu->run->exit_reason == HVX_EXIT_IO &&
		    r->vcpu->run->io.port != UCALL_PORT) {
			/* the SIPI guest's report */
			r->last_port = r->vcpu->run->io.port;
			memcpy(&r->last_data, (uint8_t *)r->vcpu->run +
			       r->vcpu->run->io.data_offset, 2);
			return NULL;
		}
		cmd = get_ucall(r->vcpu, &uc);
		if (cmd == UCALL_SYNC) {
			r->syncs++;
			continue;
		}
		r->failed = cmd != UCALL_DONE;
		if (r->failed)
			ucall_report(r->vcpu, &uc);
		return NULL;
	}
}

/* Run the BSP and the AP, each in its thread, until both stop. */
static inline void run_pair(struct __test_metadata *_metadata,
			    struct runner *r, struct test_vcpu *bsp,
			    struct test_vcpu *ap)
{
	pthread_t th[2];
	int i;

	r[0].vcpu = bsp;
	r[1].vcpu = ap;
	/* the AP first, so that it waits before the BSP sends */
	for (i = 1; i >= 0; i--)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, run_to_done, &r[i]));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
}

#endif /* SELFTEST_HVX_VCPU_PAIR_H */
