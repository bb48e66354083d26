// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_string_test: STOS and MOVS on MMIO are unrolled, one element per
 * MMIO exit, in order, in both directions (RFLAGS.DF), with RDI, RSI and
 * RCX where the instruction would leave them; MOVS between two MMIO
 * addresses is an internal error carrying the instruction bytes, and so is
 * STOS on the xAPIC page, which the in-kernel APIC serves.
 */
#include "hvx_harness.h"

#define MMIO_GPA	0x40000000ULL	/* beyond RAM: every access exits */
#define N		5

static uint8_t src_buf[64];
static uint8_t dst_buf[64];

static void guest_rep_stos(void)
{
	uint64_t di = MMIO_GPA, cx = N;

	asm volatile("rep stosb"
		     : "+D"(di), "+c"(cx) : "a"(0xa5) : "memory");
	GUEST_ASSERT_EQ(cx, 0);
	GUEST_ASSERT_EQ(di, MMIO_GPA + N);

	di = MMIO_GPA + 0x100;
	cx = 3;
	asm volatile("std; rep stosl; cld"
		     : "+D"(di), "+c"(cx) : "a"(0x11223344) : "memory");
	GUEST_ASSERT_EQ(di, MMIO_GPA + 0x100 - 3 * 4);
	GUEST_DONE();
}

HVX_GUEST_TEST(rep_stos_unrolled, guest_rep_stos)
{
	int i;

	for (i = 0; i < N; i++)
		vcpu_expect_mmio(vcpu, MMIO_GPA + i, 1, true, 0xa5);
	for (i = 0; i < 3; i++)
		vcpu_expect_mmio(vcpu, MMIO_GPA + 0x100 - 4 * i, 4, true,
			    0x11223344);
	vcpu_expect_done(vcpu);
}

static void guest_movs(void)
{
	uint64_t si, di, cx;
	int i;

	for (i = 0; i < N; i++)
		src_buf[i] = 0x30 + i;

	/* RAM to MMIO, forwards */
	si = (uint64_t)src_buf;
	di = MMIO_GPA + 0x200;
	cx = N;
	asm volatile("rep movsb"
		     : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	GUEST_ASSERT_EQ(cx, 0);
	GUEST_ASSERT_EQ(si, (uint64_t)src_buf + N);
	GUEST_ASSERT_EQ(di, MMIO_GPA + 0x200 + N);

	/* MMIO to RAM, quadwords */
	si = MMIO_GPA + 0x300;
	di = (uint64_t)dst_buf;
	cx = 2;
	asm volatile("rep movsq"
		     : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	GUEST_ASSERT_EQ(((uint64_t *)dst_buf)[0], 0x0102030405060708ULL);
	GUEST_ASSERT_EQ(((uint64_t *)dst_buf)[1], 0x1112131415161718ULL);
	GUEST_ASSERT_EQ(di, (uint64_t)dst_buf + 16);

	/* a single MOVSW, no REP */
	si = MMIO_GPA + 0x400;
	di = (uint64_t)dst_buf + 32;
	asm volatile("movsw" : "+S"(si), "+D"(di) : : "memory");
	GUEST_ASSERT_EQ(*(uint16_t *)(dst_buf + 32), 0xbeef);
	GUEST_ASSERT_EQ(si, MMIO_GPA + 0x402);
	GUEST_DONE();
}

HVX_GUEST_TEST(movs_unrolled, guest_movs)
{
	int i;

	for (i = 0; i < N; i++)
		vcpu_expect_mmio(vcpu, MMIO_GPA + 0x200 + i, 1, true, 0x30 + i);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x300, 8, false,
			 0x0102030405060708ULL);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x308, 8, false,
			 0x1112131415161718ULL);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x400, 2, false, 0xbeef);
	vcpu_expect_done(vcpu);
}

static void guest_movs_mmio_to_mmio(void)
{
	uint64_t si = MMIO_GPA, di = MMIO_GPA + 0x1000;

	asm volatile("movsb" : "+S"(si), "+D"(di) : : "memory");
	GUEST_DONE();
}

HVX_GUEST_TEST(movs_mmio_to_mmio_is_internal_error, guest_movs_mmio_to_mmio)
{
	struct hvx_run *run = vcpu->run;

	/* the read side exits first; its data cannot land in MMIO */
	vcpu_expect_mmio(vcpu, MMIO_GPA, 1, false, 0x5a);
	ASSERT_EQ(0, __vcpu_run(vcpu));
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	EXPECT_LE(1, run->internal.data[3]);	/* bytes fetched */
	EXPECT_EQ(0xa4, run->internal.data[4] & 0xff);
}


#define APIC_EOI_GPA	0xfee000b0ULL

static void guest_stos_apic(void)
{
	uint64_t di = APIC_EOI_GPA;

	asm volatile("stosl" : "+D"(di) : "a"(0) : "memory");
	GUEST_DONE();
}

/*
 * (hvx made it an MMIO exit to userspace, where no device is: an EOI
 * written so was lost, the in-service bit left set.)
 */
HVX_GUEST_TEST(stos_on_the_apic_is_internal_error, guest_stos_apic)
{
	struct hvx_run *run = vcpu->run;

	ASSERT_EQ(0, __vcpu_run(vcpu));
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	EXPECT_EQ(APIC_EOI_GPA, run->internal.data[2]);
	EXPECT_EQ(0xab, run->internal.data[4] & 0xff);	/* stos */
}

TEST_HARNESS_MAIN
