// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the event-injection rules (module/event.h): which
 * exceptions carry an error code into VM entry, and what two exceptions,
 * the second raised before the first is delivered, become.
 */
#include "kernel_shim.h"
#include "kselftest_harness.h"

#include "../../module/event.h"

TEST(error_code_vectors)
{
	static const u8 with[] = { 8, 10, 11, 12, 13, 14, 17 };
	unsigned int v, i, n = 0;

	for (v = 0; v < 256; v++) {
		bool want = false;

		for (i = 0; i < sizeof(with); i++)
			want |= v == with[i];
		EXPECT_EQ(want, hvx_exc_in(HVX_EXC_ERROR_CODE, v)) {
			TH_LOG("vector %u", v);
		}
		n += want;
	}
	EXPECT_EQ(sizeof(with), n);
}

/* Faults push RF; #DB (as hvx raises it), NMI, traps and aborts do not. */
TEST(fault_class_vectors)
{
	static const u8 not_fault[] = { 1, 2, 3, 4, 8, 18 };
	unsigned int v, i;

	for (v = 0; v < 256; v++) {
		bool want = v < 32;

		for (i = 0; i < sizeof(not_fault); i++)
			want &= v != not_fault[i];
		EXPECT_EQ(want, hvx_exc_in(HVX_EXC_FAULT, v)) {
			TH_LOG("vector %u", v);
		}
	}
}

struct pair {
	u8 first, second;
	int result;
};

TEST(double_fault_rules)
{
	static const struct pair pairs[] = {
		/* contributory after contributory: #DF */
		{ 13, 13, 8 }, { 0, 10, 8 }, { 11, 12, 8 }, { 12, 0, 8 },
		/* #PF after #PF, contributory after #PF: #DF */
		{ 14, 14, 8 }, { 14, 13, 8 }, { 14, 0, 8 },
		/* #PF after contributory: one after the other */
		{ 13, 14, 14 },
		/* contributory or #PF during #DF: triple fault */
		{ 8, 13, -1 }, { 8, 14, -1 }, { 8, 0, -1 },
		/* benign first or second: the second is delivered */
		{ 8, 6, 6 }, { 3, 13, 13 }, { 1, 14, 14 }, { 13, 6, 6 },
		{ 14, 17, 17 }, { 6, 6, 6 }, { 2, 13, 13 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		EXPECT_EQ(pairs[i].result,
			  hvx_combine_exceptions(pairs[i].first,
						 pairs[i].second)) {
			TH_LOG("#%u after #%u", pairs[i].second,
			       pairs[i].first);
		}
	}
}

TEST_HARNESS_MAIN
