/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Glue between the kselftest harness and the hvx selftest library.
 * Include it from the test file only (the harness defines functions, so
 * one file per binary).
 *
 * Every test is TEST_F_TIMEOUT() on a fixture "hvxtest": the harness of
 * Linux 6.1 has no per-test timeout for plain TEST(), and 30 s is short
 * for a guest running inside the emulated test host.  Its teardown puts
 * back the system settings the test changed (hvx_setting_set()).  Skips happen in the
 * test body: a SKIP() in a 6.1 fixture setup still runs the body.
 */
#ifndef HVX_SELFTEST_HVX_HARNESS_H
#define HVX_SELFTEST_HVX_HARNESS_H

#include "kselftest_harness.h"
#include "hvx_util.h"

#define HVX_TEST_TIMEOUT_S	120

FIXTURE(hvxtest) {
	int unused;
};

FIXTURE_SETUP(hvxtest)
{
}

/* Runs after a failed ASSERT too (not after a timeout's kill). */
FIXTURE_TEARDOWN(hvxtest)
{
	hvx_settings_restore();
}

/* HVX_TEST(name) { body }: one TAP result "hvxtest.name". */
#define HVX_TEST(name)	TEST_F_TIMEOUT(hvxtest, name, HVX_TEST_TIMEOUT_S)
#define HVX_TEST_TIMEOUT(name, seconds) TEST_F_TIMEOUT(hvxtest, name, seconds)

/* Skip the running test unless @cond holds. */
#define HVX_REQUIRE(cond, fmt, ...) do {				\
	if (!(cond))							\
		SKIP(return, fmt, ##__VA_ARGS__);			\
} while (0)

#define HVX_REQUIRE_VM()						\
	HVX_REQUIRE(hvx_vm_supported(),					\
		    "no VMs here: /dev/hvx missing or HVX_FEAT_VM clear")

#define HVX_REQUIRE_VMX(bit)						\
	HVX_REQUIRE(hvx_has_vmx_feature(bit), "CPU lacks %s", #bit)

/* @call fails with @err. */
#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno);						\
} while (0)

/* An HVX_SET_MEMORY_REGION on VM fd @fd that must fail with @err. */
#define EXPECT_REGION_ERR(fd, slot, flags, gpa, size, hva, err) do {	\
	errno = 0;							\
	EXPECT_EQ(-1, hvx_set_memory_region(fd, slot, flags, gpa,	\
					    size, hva));		\
	EXPECT_EQ(err, errno);						\
} while (0)

/*
 * HVX_GUEST_TEST(name, guest_code) { body }: a test whose body gets a
 * fresh long-mode VM @vm with vCPU 0 @vcpu set to run @guest_code.
 */
#define HVX_GUEST_TEST(name, guest_code)				\
	static void hvx_body_##name(struct __test_metadata *_metadata,	\
				    struct test_vm *vm,			\
				    struct test_vcpu *vcpu);		\
	HVX_TEST(name)							\
	{								\
		struct test_vcpu *vcpu;					\
		struct test_vm *vm;					\
									\
		HVX_REQUIRE_VM();					\
		vm = vm_create_with_one_vcpu(&vcpu, guest_code);	\
		hvx_body_##name(_metadata, vm, vcpu);			\
		vm_free(vm);						\
	}								\
	static void hvx_body_##name(					\
		struct __test_metadata __attribute__((unused)) *_metadata, \
		struct test_vm __attribute__((unused)) *vm,		\
		struct test_vcpu __attribute__((unused)) *vcpu)

#endif /* HVX_SELFTEST_HVX_HARNESS_H */
