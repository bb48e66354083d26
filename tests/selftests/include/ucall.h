/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall: how guest code of a selftest talks to its host half.
 *
 * Protocol: the guest fills a struct ucall in its own memory (its stack)
 * and executes "outl %eax, $UCALL_PORT" with RDI = the struct's address
 * (EAX holds its low 32 bits too, but the host uses RDI).  The host sees
 * HVX_EXIT_IO for an OUT of size 4 to UCALL_PORT, reads RDI with
 * HVX_GET_REGS and copies the struct out of guest memory (GVA == GPA, and
 * the host maps GPA g at ram + g).  The next HVX_RUN resumes the guest
 * after the OUT.  The strings a struct points at (file names, assertion
 * text) live in the guest's copy of the binary's .rodata, at the same
 * addresses as in the host.
 */
#ifndef HVX_SELFTEST_UCALL_H
#define HVX_SELFTEST_UCALL_H

#include <stdint.h>

#include "test_util.h"

#define UCALL_PORT	0xe7

enum {
	UCALL_NONE,		/* the exit was not a ucall */
	UCALL_SYNC,		/* GUEST_SYNC(): args[0] = the value */
	UCALL_ABORT,		/* a guest assertion failed */
	UCALL_DONE,		/* GUEST_DONE() */
	UCALL_UNHANDLED,	/* an exception nobody handled, below */
};

/*
 * UCALL_UNHANDLED: args[0] vector, args[1] error code, args[2] RIP,
 * args[3] CR2.  What a UCALL_ABORT compared, in ucall.kind:
 */
enum {
	UCALL_ASSERT_COND,	/* expr is the condition */
	UCALL_ASSERT_EQ,	/* args[0] == args[1] failed */
	UCALL_ASSERT_NE,	/* args[0] != args[1] failed */
	UCALL_ASSERT_FAIL,	/* expr is a message */
};

#define UCALL_MAX_ARGS	4

/**
 * struct ucall - one guest-to-host call, in guest memory
 * @cmd:	UCALL_*
 * @kind:	for UCALL_ABORT, UCALL_ASSERT_*
 * @args:	values, meaning per @cmd
 * @line:	source line of the call
 * @file:	guest address of __FILE__ (0 if none)
 * @expr:	guest address of the assertion text (0 if none)
 */
struct ucall {
	uint64_t cmd;
	uint64_t kind;
	uint64_t args[UCALL_MAX_ARGS];
	uint64_t line;
	uint64_t file;
	uint64_t expr;
};

/* Guest side (lib/ucall.c). */
void ucall(uint64_t cmd, uint64_t arg0, uint64_t arg1);
void __noreturn ucall_assert(uint64_t kind, const char *expr,
			     const char *file, uint64_t line,
			     uint64_t a, uint64_t b);
/* From the exception dispatcher: an exception nobody handled. */
void __noreturn ucall_exception(uint64_t vector, uint64_t error_code,
				uint64_t rip, uint64_t cr2);

#define GUEST_SYNC(v)		ucall(UCALL_SYNC, (uint64_t)(v), 0)
#define GUEST_SYNC2(v, w)	ucall(UCALL_SYNC, (uint64_t)(v), (uint64_t)(w))
#define GUEST_DONE()		ucall(UCALL_DONE, 0, 0)

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		ucall_assert(UCALL_ASSERT_COND, #cond, __FILE__,	\
			     __LINE__, 0, 0);				\
} while (0)

/* Like GUEST_ASSERT(), also reporting the value @v. */
#define GUEST_ASSERT_1(cond, v) do {					\
	if (!(cond))							\
		ucall_assert(UCALL_ASSERT_COND, #cond, __FILE__,	\
			     __LINE__, (uint64_t)(v), 0);		\
} while (0)

#define __GUEST_ASSERT_CMP(a, b, op, kind) do {				\
	uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);		\
									\
	if (!(__ga op __gb))						\
		ucall_assert(kind, #a " " #op " " #b, __FILE__,		\
			     __LINE__, __ga, __gb);			\
} while (0)

#define GUEST_ASSERT_EQ(a, b)	__GUEST_ASSERT_CMP(a, b, ==, UCALL_ASSERT_EQ)
#define GUEST_ASSERT_NE(a, b)	__GUEST_ASSERT_CMP(a, b, !=, UCALL_ASSERT_NE)

#define GUEST_FAIL(msg)							\
	ucall_assert(UCALL_ASSERT_FAIL, msg, __FILE__, __LINE__, 0, 0)

/* Host side (lib/ucall.c). */
struct test_vcpu;

/*
 * get_ucall() - decode the vCPU's last exit as a ucall
 *
 * Return: the UCALL_* command, UCALL_NONE when the exit was something
 * else.  @uc (may be NULL) receives the struct.
 */
uint64_t get_ucall(struct test_vcpu *vcpu, struct ucall *uc);

/* Print what a UCALL_ABORT or UCALL_UNHANDLED says, "# "-prefixed. */
void ucall_report(struct test_vcpu *vcpu, const struct ucall *uc);

#define REPORT_GUEST_ASSERT(vcpu, uc) do {				\
	ucall_report(vcpu, &(uc));					\
	TEST_FAIL("guest reported ucall %llu",				\
		  (unsigned long long)(uc).cmd);			\
} while (0)

/*
 * vcpu_get_ucall() - run the vCPU to its next exit, which must be a ucall
 *
 * An ABORT or UNHANDLED ucall is reported and fails the test; any other
 * exit fails it too.  Return: the command (SYNC or DONE).
 */
uint64_t vcpu_get_ucall(struct test_vcpu *vcpu, struct ucall *uc);

/* Run; expect GUEST_SYNC(@v). */
void vcpu_expect_sync(struct test_vcpu *vcpu, uint64_t v);

/* Run; expect GUEST_DONE(). */
void vcpu_expect_done(struct test_vcpu *vcpu);

#endif /* HVX_SELFTEST_UCALL_H */
