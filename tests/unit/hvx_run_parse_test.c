// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's command-line number parsing
 * (userspace/hvx-run/util.c): sizes such as "64M", "1G", "4096" and
 * addresses in decimal or hexadecimal.
 */
#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

struct size_case {
	const char *s;
	uint64_t v;
};

TEST(sizes)
{
	static const struct size_case ok[] = {
		{ "4096", 4096 },
		{ "0", 0 },
		{ "64K", 64 << 10 },
		{ "64k", 64 << 10 },
		{ "64M", 64ULL << 20 },
		{ "64m", 64ULL << 20 },
		{ "1G", 1ULL << 30 },
		{ "1g", 1ULL << 30 },
		{ "2T", 2ULL << 40 },
		{ "512MB", 512ULL << 20 },
		{ "512MiB", 512ULL << 20 },
		{ "0x1000", 0x1000 },
		{ "0x10M", 16ULL << 20 },
		{ "010", 10 },
		{ "16777216", 16ULL << 20 },
	};
	uint64_t v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		v = 12345;
		EXPECT_EQ(0, parse_size(ok[i].s, &v)) {
			TH_LOG("'%s' refused", ok[i].s);
		}
		EXPECT_EQ(ok[i].v, v) {
			TH_LOG("'%s' parsed as %llu", ok[i].s,
			       (unsigned long long)v);
		}
	}
}

TEST(bad_sizes)
{
	static const char *const bad[] = {
		"", "M", "-1", "+4", " 4", "4 ", "1.5G", "64X", "64MM",
		"64Mi", "64iB", "0x", "0xG", "1GBx", "abc",
		"18446744073709551616",	/* 2^64 */
		"16777216T",		/* 2^64 */
		"17179869184G",		/* 2^64 */
	};
	uint64_t v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = parse_size(bad[i], &v);

		if (r == 0)
			TH_LOG("'%s' accepted as %llu", bad[i],
			       (unsigned long long)v);
		EXPECT_EQ(-1, r);
	}
}

TEST(largest_size)
{
	uint64_t v;

	ASSERT_EQ(0, parse_size("16777215T", &v));
	EXPECT_EQ(16777215ULL << 40, v);
	ASSERT_EQ(0, parse_size("18446744073709551615", &v));
	EXPECT_EQ(UINT64_MAX, v);
}

TEST(addresses)
{
	uint64_t v;

	ASSERT_EQ(0, parse_u64("0x1000", &v));
	EXPECT_EQ(0x1000, v);
	ASSERT_EQ(0, parse_u64("0X7C00", &v));
	EXPECT_EQ(0x7c00, v);
	ASSERT_EQ(0, parse_u64("4096", &v));
	EXPECT_EQ(4096, v);
	ASSERT_EQ(0, parse_u64("0xffffffffffffffff", &v));
	EXPECT_EQ(UINT64_MAX, v);
	ASSERT_EQ(0, parse_u64("0x800000000000", &v));
	EXPECT_EQ(0x800000000000ULL, v);

	EXPECT_EQ(-1, parse_u64("", &v));
	EXPECT_EQ(-1, parse_u64("0x", &v));
	EXPECT_EQ(-1, parse_u64("4K", &v));
	EXPECT_EQ(-1, parse_u64("-1", &v));
	EXPECT_EQ(-1, parse_u64("0x1g", &v));
	EXPECT_EQ(-1, parse_u64("0x10000000000000000", &v));
}

TEST_HARNESS_MAIN
