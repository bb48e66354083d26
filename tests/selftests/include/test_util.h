/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host-side assertions of the hvx selftest library.
 *
 * The library cannot use the kselftest harness's ASSERT_*() (they need
 * the harness's per-test metadata, and the harness header may be included
 * by one file only), so its own checks print a "# "-prefixed report to
 * stderr, keeping the TAP stream intact, and abort().  Inside a harness
 * test that reads as "Test terminated by assertion": a failure.
 */
#ifndef HVX_SELFTEST_TEST_UTIL_H
#define HVX_SELFTEST_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* A macro's value as a string, for guest code in asm(). */
#define __XSTR(x)	#x
#define XSTR(x)		__XSTR(x)

#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)

void __noreturn __printf(4, 5) test_assert_fail(const char *file, int line,
						const char *expr,
						const char *fmt, ...);

/* TEST_ASSERT(cond, fmt, ...): report @fmt and abort unless @cond. */
#define TEST_ASSERT(cond, fmt, ...) do {				\
	if (!(cond))							\
		test_assert_fail(__FILE__, __LINE__, #cond,		\
				 fmt, ##__VA_ARGS__);			\
} while (0)

#define TEST_ASSERT_EQ(a, b) do {					\
	uint64_t __ta = (uint64_t)(a), __tb = (uint64_t)(b);		\
	TEST_ASSERT(__ta == __tb, "%s is %#llx, %s is %#llx",		\
		    #a, (unsigned long long)__ta,			\
		    #b, (unsigned long long)__tb);			\
} while (0)

#define TEST_FAIL(fmt, ...)						\
	test_assert_fail(__FILE__, __LINE__, "TEST_FAIL", fmt, ##__VA_ARGS__)

/*
 * A "Field:  N kB" line of a /proc file (/proc/self/status's "VmPin")
 * in KiB, or -1.
 */
long proc_kb(const char *path, const char *field);

/*
 * A field of /proc/meminfo ("MemFree", "MemAvailable") in KiB, or -1.
 * meminfo_settled_kb() first lets deferred frees (RCU, task work) finish
 * and folds the per-CPU counters, and counts the free pages on the
 * per-CPU free lists in MemFree and MemAvailable (which leave them out),
 * so that memory a process or VM gave back shows as free on every kernel.
 */
long meminfo_kb(const char *field);
long meminfo_settled_kb(const char *field);

/* The free pages on every CPU's free lists (/proc/zoneinfo), in KiB, or -1. */
long pcp_free_kb(void);

/*
 * Whether free memory measures a leak in this test host: not in the debug
 * test host (make check-debug sets HVX_TEST_KASAN), whose KASAN holds freed
 * objects in a quarantine of up to 1/32 of RAM, so MemFree falls by
 * megabytes without a leak.  There kmemleak's scan after the suite judges.
 */
bool memfree_measures_leaks(void);

#endif /* HVX_SELFTEST_TEST_UTIL_H */
