// SPDX-License-Identifier: GPL-2.0
/*
 * run_test: guests running C code in 64-bit mode, and every kind of exit
 * hvx reports to userspace: ucalls, memory shared both ways, CPUID, HLT,
 * port I/O (single and string), MMIO (unbacked and read-only memory, a
 * page that becomes RAM and back, instruction bytes that change),
 * hypercalls, unknown MSRs, VMX instructions, and a single step over
 * the instructions hvx completes.  Guest exceptions are exception_test.c's;
 * control and debug registers cr_test.c's; register state, signals and
 * concurrency are in state_test.c and smp_test.c.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvx_harness.h"

#define MMIO_GPA	0x40000000ULL	/* 1 GiB: beyond RAM, mapped */
#define RO_SLOT_GPA	0xc0000000ULL	/* a read-only slot at 3 GiB */
#define RO_SLOT_SIZE	(2 * MiB)

static void guest_sync_loop(void)
{
	uint64_t i;

	for (i = 0; i < 10; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

HVX_GUEST_TEST(sync_roundtrip, guest_sync_loop)
{
	uint64_t i;

	for (i = 0; i < 10; i++)
		vcpu_expect_sync(vcpu, i);
	vcpu_expect_done(vcpu);
}

static void guest_returns(void)
{
}

HVX_GUEST_TEST(guest_return_is_reported, guest_returns)
{
	struct ucall uc;

	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_ABORT, get_ucall(vcpu, &uc));
	EXPECT_EQ(UCALL_ASSERT_FAIL, uc.kind);
}

/* Guest and host exchange data through guest RAM and a global. */
static volatile uint64_t shared_global = 0x600d;

static void guest_memory(void)
{
	volatile uint64_t *p = (volatile uint64_t *)GUEST_SCRATCH_GPA;
	uint64_t i;

	GUEST_ASSERT_EQ(shared_global, 0x600d);
	for (i = 0; i < 512; i++)
		p[i] = 0x1000 + i;
	shared_global = 0xfeed;
	GUEST_SYNC(1);
	for (i = 0; i < 512; i++)
		GUEST_ASSERT_EQ(p[i], 0x2000 + i);
	GUEST_ASSERT_EQ(shared_global, 0xbeef);
	GUEST_DONE();
}

HVX_GUEST_TEST(memory_shared, guest_memory)
{
	uint64_t *p = addr_gpa2hva(vm, GUEST_SCRATCH_GPA, 4096);
	uint64_t i;

	vcpu_expect_sync(vcpu, 1);
	for (i = 0; i < 512; i++)
		ASSERT_EQ(0x1000 + i, p[i]);
	EXPECT_EQ(0xfeed, guest_global(vm, shared_global));
	EXPECT_EQ(0x600d, shared_global);	/* the host's own copy */
	for (i = 0; i < 512; i++)
		p[i] = 0x2000 + i;
	guest_global(vm, shared_global) = 0xbeef;
	vcpu_expect_done(vcpu);
}

#define CPUID_TEST_LEAF	0x40000001
#define CPUID_IDX_LEAF	0x40000002
#define CPUID_FAR_IDX	9	/* a subleaf leaf 4 does not have */

static void guest_cpuid(void)
{
	uint32_t a, b, c, d, max;

	cpuid_count(HVX_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(b, HVX_CPUID_SIG_EBX);
	GUEST_ASSERT_EQ(c, HVX_CPUID_SIG_ECX);
	GUEST_ASSERT_EQ(d, HVX_CPUID_SIG_EDX);
	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & CPUID_1_ECX_HYPERVISOR);
	GUEST_ASSERT(!(c & CPUID_1_ECX_VMX));
	cpuid_count(CPUID_TEST_LEAF, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0x11111111);
	GUEST_ASSERT_EQ(b, 0x22222222);
	GUEST_ASSERT_EQ(c, 0x33333333);
	GUEST_ASSERT_EQ(d, 0x44444444);
	cpuid_count(CPUID_IDX_LEAF, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0xa0);
	cpuid_count(CPUID_IDX_LEAF, 1, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0xa1);
	/*
	 * Leaf 0xb past its levels: zeros, ECX[7:0] echoed, EDX the x2APIC
	 * ID (vCPU 0), not the highest basic leaf of an unknown subleaf.
	 */
	cpuid_count(0xb, 0x107, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0);
	GUEST_ASSERT_EQ(b, 0);
	GUEST_ASSERT_EQ(c, 7);
	GUEST_ASSERT_EQ(d, 0);
	/*
	 * A subleaf that a leaf in range lacks reads as zeros; a leaf past
	 * the highest basic one reads as that leaf (the host gave it 0xb9).
	 */
	cpuid_count(0, 0, &max, &b, &c, &d);
	cpuid_count(4, CPUID_FAR_IDX, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a | b | c | d, 0);
	cpuid_count(max + 1, CPUID_FAR_IDX, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0xb9);
	GUEST_DONE();
}

HVX_GUEST_TEST(cpuid, guest_cpuid)
{
	struct hvx_cpuid *old, *cpuid;
	struct hvx_cpuid_entry *e;
	uint32_t n, max;

	old = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, old);
	n = old->nent;
	ASSERT_GE(HVX_MAX_CPUID_ENTRIES, n + 3);
	cpuid = hvx_cpuid_alloc(n + 3);
	ASSERT_NE(NULL, cpuid);
	memcpy(cpuid->entries, old->entries, n * sizeof(*e));
	e = hvx_cpuid_find(cpuid, HVX_CPUID_SIGNATURE, 0);
	ASSERT_NE(NULL, e);
	e->eax = CPUID_IDX_LEAF;

	/* A second entry for a leaf the table has would be shadowed. */
	cpuid->entries[n] = (struct hvx_cpuid_entry){
		.function = CPUID_TEST_LEAF,
		.eax = 0x11111111, .ebx = 0x22222222,
		.ecx = 0x33333333, .edx = 0x44444444,
	};
	ASSERT_NE(NULL, hvx_cpuid_find(cpuid, CPUID_TEST_LEAF, 0));
	cpuid->nent = n + 1;
	EXPECT_EQ(-1, hvx_set_cpuid(vcpu->fd, cpuid));
	EXPECT_EQ(EINVAL, errno);

	/* So change the existing entry instead. */
	e = hvx_cpuid_find(cpuid, CPUID_TEST_LEAF, 0);
	ASSERT_NE(NULL, e);
	*e = cpuid->entries[n];
	cpuid->entries[n] = (struct hvx_cpuid_entry){
		.function = CPUID_IDX_LEAF, .index = 0, .eax = 0xa0,
		.flags = HVX_CPUID_FLAG_SIGNIFICANT_INDEX,
	};
	cpuid->entries[n + 1] = (struct hvx_cpuid_entry){
		.function = CPUID_IDX_LEAF, .index = 1, .eax = 0xa1,
		.flags = HVX_CPUID_FLAG_SIGNIFICANT_INDEX,
	};
	cpuid->nent = n + 2;

	/* the highest basic leaf's answer at CPUID_FAR_IDX */
	e = hvx_cpuid_find(cpuid, 0, 0);
	ASSERT_NE(NULL, e);
	max = e->eax;
	ASSERT_LE(4, max);
	ASSERT_EQ(NULL, hvx_cpuid_find(cpuid, 4, CPUID_FAR_IDX));
	e = hvx_cpuid_find(cpuid, max, CPUID_FAR_IDX);
	if (!e) {
		e = &cpuid->entries[cpuid->nent++];
		*e = (struct hvx_cpuid_entry){
			.function = max, .index = CPUID_FAR_IDX,
			.flags = HVX_CPUID_FLAG_SIGNIFICANT_INDEX,
		};
	}
	e->eax = 0xb9;
	ASSERT_EQ(0, hvx_set_cpuid(vcpu->fd, cpuid));
	vcpu_expect_done(vcpu);
	free(cpuid);
	free(old);
}

/*
 * The APIC IDs of CPUID are the executing vCPU's: leaf 1's initial APIC
 * ID, and leaf 0xb's x2APIC ID at every subleaf, past the levels too.
 */
static void guest_cpuid_apic_ids(void)
{
	uint32_t a, b, c, d;

	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_SYNC(b >> 24);
	cpuid_count(0xb, 0, &a, &b, &c, &d);
	GUEST_SYNC(d);
	cpuid_count(0xb, 1, &a, &b, &c, &d);
	GUEST_SYNC(d);
	cpuid_count(0xb, 0x107, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(c, 7);
	GUEST_SYNC(d);
	GUEST_DONE();
}

HVX_TEST(cpuid_apic_ids_of_the_vcpu)
{
	static const uint32_t ids[] = { 0, 3, HVX_MAX_VCPUS - 1 };
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i, k;

	HVX_REQUIRE_VM();
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		/* a stack per vCPU id below the top of RAM, up to the last */
		vm = vm_create(VM_RAM_SIZE_DEFAULT +
			       HVX_MAX_VCPUS * GUEST_STACK_SIZE);
		vcpu = vm_vcpu_add(vm, ids[i], guest_cpuid_apic_ids);
		for (k = 0; k < 4; k++)
			vcpu_expect_sync(vcpu, ids[i]);
		vcpu_expect_done(vcpu);
		vm_free(vm);
	}
}

/* The run page's padding must be zero: HVX_RUN refuses to run over it. */
HVX_GUEST_TEST(run_page_padding, guest_cpuid_apic_ids)
{
	vcpu->run->pad0[5] = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_RUN, 0));
	EXPECT_EQ(EINVAL, errno);
	vcpu->run->pad0[5] = 0;
	vcpu_expect_sync(vcpu, 0);
}

static void guest_hlt(void)
{
	hlt();
	GUEST_SYNC(1);
	hlt();
	GUEST_DONE();
}

HVX_GUEST_TEST(hlt_exits, guest_hlt)
{
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HLT);
	vcpu_expect_sync(vcpu, 1);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HLT);
	vcpu_expect_done(vcpu);
}

/* Run to an I/O exit and check its shape; returns its data pointer. */
static void *expect_io(struct test_vcpu *vcpu, int dir, uint16_t port,
		       uint8_t size, uint32_t count)
{
	struct hvx_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	TEST_ASSERT(run->io.direction == dir && run->io.port == port &&
		    run->io.size == size && run->io.count == count,
		    "want %s port %#x size %u count %u, got %s port %#x size %u count %u",
		    dir == HVX_IO_OUT ? "out" : "in", port, size, count,
		    run->io.direction == HVX_IO_OUT ? "out" : "in",
		    run->io.port, run->io.size, run->io.count);
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset + (uint64_t)size * count <=
		    vcpu->run_size,
		    "data_offset %#llx",
		    (unsigned long long)run->io.data_offset);
	return (uint8_t *)run + run->io.data_offset;
}

static void guest_pio(void)
{
	outb(0x10, 0x12);
	outw(0x12, 0x3456);
	outl(0x14, 0x789abcde);
	GUEST_ASSERT_EQ(inb(0x20), 0xab);
	GUEST_ASSERT_EQ(inw(0x22), 0xcdef);
	GUEST_ASSERT_EQ(inl(0x24), 0x12345678);
	/* The 16-bit port forms through DX. */
	outb(0x3f8, 0x5a);
	GUEST_ASSERT_EQ(inb(0xcf8), 0xa5);
	GUEST_DONE();
}

HVX_GUEST_TEST(pio, guest_pio)
{
	uint8_t *d;
	uint16_t w = 0xcdef;
	uint32_t l = 0x12345678;

	d = expect_io(vcpu, HVX_IO_OUT, 0x10, 1, 1);
	EXPECT_EQ(0x12, d[0]);
	d = expect_io(vcpu, HVX_IO_OUT, 0x12, 2, 1);
	EXPECT_EQ(0x3456, d[0] | d[1] << 8);
	d = expect_io(vcpu, HVX_IO_OUT, 0x14, 4, 1);
	EXPECT_EQ(0x789abcde, (uint32_t)(d[0] | d[1] << 8 | d[2] << 16 |
					 (uint32_t)d[3] << 24));
	d = expect_io(vcpu, HVX_IO_IN, 0x20, 1, 1);
	d[0] = 0xab;
	d = expect_io(vcpu, HVX_IO_IN, 0x22, 2, 1);
	memcpy(d, &w, 2);
	d = expect_io(vcpu, HVX_IO_IN, 0x24, 4, 1);
	memcpy(d, &l, 4);
	d = expect_io(vcpu, HVX_IO_OUT, 0x3f8, 1, 1);
	EXPECT_EQ(0x5a, d[0]);
	d = expect_io(vcpu, HVX_IO_IN, 0xcf8, 1, 1);
	d[0] = 0xa5;
	vcpu_expect_done(vcpu);
}

#define STR_LEN		64

static void guest_pio_string(void)
{
	uint8_t *out = (uint8_t *)GUEST_SCRATCH_GPA;
	uint8_t *in = out + 0x100;
	uint64_t n, i;
	void *p;

	for (i = 0; i < STR_LEN; i++)
		out[i] = i ^ 0x5a;
	p = out;
	n = STR_LEN;
	asm volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(0x30) : "memory");
	GUEST_ASSERT_EQ(n, 0);
	GUEST_ASSERT_EQ((uintptr_t)p, (uintptr_t)(out + STR_LEN));
	p = in;
	n = STR_LEN;
	asm volatile("rep insb" : "+D"(p), "+c"(n) : "d"(0x31) : "memory");
	GUEST_ASSERT_EQ(n, 0);
	for (i = 0; i < STR_LEN; i++)
		GUEST_ASSERT_EQ(in[i], 0x80 + i);
	/* Word strings: 8 words. */
	p = out;
	n = 8;
	asm volatile("rep outsw" : "+S"(p), "+c"(n) : "d"(0x32) : "memory");
	GUEST_DONE();
}

/* Run through the exits of one string instruction, however hvx splits it. */
static void string_io(struct test_vcpu *vcpu, int dir, uint16_t port,
		      uint8_t size, uint8_t *buf, uint32_t count)
{
	struct hvx_run *run = vcpu->run;
	uint32_t done = 0, exits = 0;
	uint8_t *d;

	while (done < count) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
		TEST_ASSERT(run->io.direction == dir && run->io.port == port &&
			    run->io.size == size && run->io.count >= 1 &&
			    run->io.count <= count - done,
			    "string I/O: port %#x size %u count %u after %u",
			    run->io.port, run->io.size, run->io.count, done);
		d = (uint8_t *)run + run->io.data_offset;
		if (dir == HVX_IO_OUT)
			memcpy(buf + done * size, d, run->io.count * size);
		else
			memcpy(d, buf + done * size, run->io.count * size);
		done += run->io.count;
		exits++;
	}
	/* One exit per element would defeat the string form. */
	TEST_ASSERT(exits < count, "%u exits for %u elements", exits, count);
}

HVX_GUEST_TEST(pio_string, guest_pio_string)
{
	uint8_t buf[STR_LEN];
	int i;

	string_io(vcpu, HVX_IO_OUT, 0x30, 1, buf, STR_LEN);
	for (i = 0; i < STR_LEN; i++)
		ASSERT_EQ(i ^ 0x5a, buf[i]);
	for (i = 0; i < STR_LEN; i++)
		buf[i] = 0x80 + i;
	string_io(vcpu, HVX_IO_IN, 0x31, 1, buf, STR_LEN);
	string_io(vcpu, HVX_IO_OUT, 0x32, 2, buf, 8);
	for (i = 0; i < 16; i++)
		ASSERT_EQ(i ^ 0x5a, buf[i]);
	vcpu_expect_done(vcpu);
}

/*
 * REP INS/OUTS with @count bytes at @addr: the vector it raised (-1: none),
 * with the error code, CR2 and the RCX left.
 */
static int string_pio_safe(bool in, uint64_t addr, uint64_t count,
			   uint64_t *ec, uint64_t *cr2, uint64_t *rcx)
{
	register uint64_t r10 asm("r10");
	register uint64_t r11 asm("r11");
	uint64_t c = count, p = addr;

	if (in)
		asm volatile(GUEST_SAFE_BEGIN "rep insb" GUEST_SAFE_END
			     : "+c"(c), "+D"(p), "=&r"(r10), "=&r"(r11)
			     : "d"(0x33) : "memory");
	else
		asm volatile(GUEST_SAFE_BEGIN "rep outsb" GUEST_SAFE_END
			     : "+c"(c), "+S"(p), "=&r"(r10), "=&r"(r11)
			     : "d"(0x33) : "memory");
	*ec = r10;
	*rcx = c;
	asm volatile("mov %%cr2, %0" : "=r"(*cr2));
	return (int)r11;
}

/* REP INSL of @count doublewords at @addr, as string_pio_safe(). */
static int insl_safe(uint64_t addr, uint64_t count, uint64_t *ec,
		     uint64_t *cr2, uint64_t *rcx)
{
	register uint64_t r10 asm("r10");
	register uint64_t r11 asm("r11");
	uint64_t c = count, p = addr;

	asm volatile(GUEST_SAFE_BEGIN "rep insl" GUEST_SAFE_END
		     : "+c"(c), "+D"(p), "=&r"(r10), "=&r"(r11)
		     : "d"(0x33) : "memory");
	*ec = r10;
	*rcx = c;
	asm volatile("mov %%cr2, %0" : "=r"(*cr2));
	return (int)r11;
}

/*
 * INS/OUTS whose memory operand the guest's page tables do not map, or
 * that is not canonical: the guest takes #PF (CR2, W bit for INS) or #GP,
 * with nothing moved, as on a CPU; never an internal error.
 */
static void guest_string_pio_faults(void)
{
	uint64_t ec, cr2, rcx;

	GUEST_ASSERT_EQ(string_pio_safe(true, 0x800, 4, &ec, &cr2, &rcx),
			PF_VECTOR);
	GUEST_ASSERT_EQ(cr2, 0x800);
	GUEST_ASSERT_EQ(ec, 2);		/* not present, write, supervisor */
	GUEST_ASSERT_EQ(rcx, 4);
	GUEST_ASSERT_EQ(string_pio_safe(false, 0x900, 4, &ec, &cr2, &rcx),
			PF_VECTOR);
	GUEST_ASSERT_EQ(cr2, 0x900);
	GUEST_ASSERT_EQ(ec, 0);		/* not present, read */
	GUEST_ASSERT_EQ(rcx, 4);
	GUEST_ASSERT_EQ(string_pio_safe(true, 0x8000000000000000ULL, 4, &ec,
					&cr2, &rcx), GP_VECTOR);
	GUEST_ASSERT_EQ(rcx, 4);
	GUEST_DONE();
}

HVX_GUEST_TEST(string_pio_faults, guest_string_pio_faults)
{
	vcpu_expect_done(vcpu);
}

/* The guest pages whose mapping the VMM takes away under an INS. */
#define INS_RACE_GVA	(GUEST_SCRATCH_GPA + 0x20000)

/*
 * REP INSB whose destination the guest's page tables stop mapping while
 * userspace reads the port (another vCPU's work, done here by the VMM):
 * the guest takes the #PF, with what moved before the faulting element,
 * as the processor would raise it; never an internal error.  First all
 * four bytes on the page taken away, then two before it, two on it.  Last
 * a doubleword that starts before the page, still gone, and ends on it:
 * CR2 is the first byte on that page, as the processor reports it (hvx
 * gave the doubleword's last byte).
 */
static void guest_ins_loses_its_page(void)
{
	volatile uint8_t *p = (volatile uint8_t *)INS_RACE_GVA;
	uint64_t ec, cr2, rcx;

	GUEST_ASSERT_EQ(string_pio_safe(true, INS_RACE_GVA + 0x1000, 4, &ec,
					&cr2, &rcx), PF_VECTOR);
	GUEST_ASSERT_EQ(cr2, INS_RACE_GVA + 0x1000);
	GUEST_ASSERT_EQ(ec, 2);		/* not present, write, supervisor */
	GUEST_ASSERT_EQ(rcx, 4);
	GUEST_SYNC(1);			/* the VMM maps it again */
	GUEST_ASSERT_EQ(string_pio_safe(true, INS_RACE_GVA + 0xffe, 4, &ec,
					&cr2, &rcx), PF_VECTOR);
	GUEST_ASSERT_EQ(cr2, INS_RACE_GVA + 0x1000);
	GUEST_ASSERT_EQ(rcx, 2);
	GUEST_ASSERT_EQ(p[0xffe], 0xa1);
	GUEST_ASSERT_EQ(p[0xfff], 0xa2);
	GUEST_ASSERT_EQ(insl_safe(INS_RACE_GVA + 0xffe, 2, &ec, &cr2, &rcx),
			PF_VECTOR);
	GUEST_ASSERT_EQ(cr2, INS_RACE_GVA + 0x1000);
	GUEST_ASSERT_EQ(ec, 2);
	GUEST_ASSERT_EQ(rcx, 2);
	GUEST_DONE();
}

/* Serve one INS exit of 4 bytes at port 0x33 with the page taken away. */
static void ins_page_taken(struct test_vcpu *vcpu, uint64_t *pte)
{
	static const uint8_t data[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
	struct hvx_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	TEST_ASSERT(run->io.direction == HVX_IO_IN && run->io.port == 0x33 &&
		    run->io.size == 1 && run->io.count == 4,
		    "INS: port %#x size %u count %u", run->io.port,
		    run->io.size, run->io.count);
	memcpy((uint8_t *)run + run->io.data_offset, data, sizeof(data));
	*pte &= ~1ULL;
}

HVX_GUEST_TEST(ins_loses_its_page, guest_ins_loses_its_page)
{
	uint64_t *pte = addr_gpa2hva(vm, GUEST_PT0_GPA +
				     8 * ((INS_RACE_GVA + 0x1000) >> 12), 8);

	ins_page_taken(vcpu, pte);
	vcpu_expect_sync(vcpu, 1);
	*pte |= 1;
	ins_page_taken(vcpu, pte);
	vcpu_expect_done(vcpu);
}

static void guest_mmio(void)
{
	mmio_w8(MMIO_GPA + 1, 0x11);
	mmio_w16(MMIO_GPA + 2, 0x2222);
	mmio_w32(MMIO_GPA + 4, 0x33333333);
	mmio_w64(MMIO_GPA + 8, 0x4444444455555555ULL);
	GUEST_ASSERT_EQ(mmio_r8(MMIO_GPA + 0x11), 0x81);
	GUEST_ASSERT_EQ(mmio_r16(MMIO_GPA + 0x12), 0x8282);
	GUEST_ASSERT_EQ(mmio_r32(MMIO_GPA + 0x14), 0x83838383);
	GUEST_ASSERT_EQ(mmio_r64(MMIO_GPA + 0x18), 0x8484848485858585ULL);
	GUEST_DONE();
}

/* Serve guest_mmio()'s accesses. */
static void expect_guest_mmio(struct test_vcpu *vcpu)
{
	vcpu_expect_mmio(vcpu, MMIO_GPA + 1, 1, true, 0x11);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 2, 2, true, 0x2222);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 4, 4, true, 0x33333333);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 8, 8, true, 0x4444444455555555ULL);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x11, 1, false, 0x81);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x12, 2, false, 0x8282);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x14, 4, false, 0x83838383);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 0x18, 8, false,
			 0x8484848485858585ULL);
	vcpu_expect_done(vcpu);
}

HVX_GUEST_TEST(mmio, guest_mmio)
{
	expect_guest_mmio(vcpu);
}

/*
 * 64-bit mode ignores the CS base: one that HVX_SET_SREGS left in the
 * VMCS must not move the instruction hvx decodes.  (hvx fetched the
 * bytes at base + RIP.)
 */
HVX_GUEST_TEST(mmio_ignores_cs_base_in_64bit_mode, guest_mmio)
{
	struct hvx_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cs.base = 0x200000;
	vcpu_sregs_set(vcpu, &sregs);
	expect_guest_mmio(vcpu);
}

static void guest_readonly(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(RO_SLOT_GPA + 0x1000);

	GUEST_ASSERT_EQ(*p, 0x0123456789abcdefULL);
	mmio_w64(RO_SLOT_GPA + 0x1000, 0xdeadbeefdeadbeefULL);
	/* The write went to the host, not to memory. */
	GUEST_ASSERT_EQ(*p, 0x0123456789abcdefULL);
	GUEST_ASSERT_EQ(p[1], 0x1111111111111111ULL);
	GUEST_DONE();
}

HVX_GUEST_TEST(readonly_slot, guest_readonly)
{
	uint64_t *mem = vm_mem_add(vm, 1, HVX_MEM_READONLY, RO_SLOT_GPA,
				   RO_SLOT_SIZE);

	mem[0x1000 / 8] = 0x0123456789abcdefULL;
	mem[0x1000 / 8 + 1] = 0x1111111111111111ULL;
	vcpu_expect_mmio(vcpu, RO_SLOT_GPA + 0x1000, 8, true,
		    0xdeadbeefdeadbeefULL);
	vcpu_expect_done(vcpu);
	EXPECT_EQ(0x0123456789abcdefULL, mem[0x1000 / 8]);
}

#define HOLE_GPA	(MMIO_GPA + 0x100000)	/* MMIO, then RAM, then not */

static void guest_slot_changes(void)
{
	mmio_w32(HOLE_GPA, 1);
	mmio_w32(HOLE_GPA + 4, 2);
	GUEST_SYNC(1);
	/* The host made the page RAM: no exits now. */
	GUEST_ASSERT_EQ(mmio_r32(HOLE_GPA + 8), 0x600dcafe);
	mmio_w32(HOLE_GPA, 3);
	GUEST_SYNC(2);
	/* And took it away again. */
	mmio_w32(HOLE_GPA, 4);
	GUEST_DONE();
}

/*
 * hvx remembers the last page a vCPU found to be MMIO; a slot added or
 * deleted there must be seen at the next access.
 */
HVX_GUEST_TEST(mmio_page_becomes_ram, guest_slot_changes)
{
	uint32_t *mem;

	vcpu_expect_mmio(vcpu, HOLE_GPA, 4, true, 1);
	vcpu_expect_mmio(vcpu, HOLE_GPA + 4, 4, true, 2);
	vcpu_expect_sync(vcpu, 1);
	mem = vm_mem_add(vm, 1, 0, HOLE_GPA, 0x1000);
	mem[2] = 0x600dcafe;
	vcpu_expect_sync(vcpu, 2);
	EXPECT_EQ(3, mem[0]);
	vm_set_memory_region(vm, 1, 0, HOLE_GPA, 0, NULL);
	vcpu_expect_mmio(vcpu, HOLE_GPA, 4, true, 4);
	vcpu_expect_done(vcpu);
}

/* movabs $HOLE_GPA, %rax; then the store under test at offset 10; ret */
static const uint8_t store_imm32[] = {
	0x48, 0xb8, 0x00, 0x00, 0x10, 0x40, 0, 0, 0, 0,
	0xc7, 0x00, 0x44, 0x33, 0x22, 0x11,		/* movl $0x11223344 */
	0xc3,
};
static const uint8_t store_imm32_b[] = {
	0x48, 0xb8, 0x00, 0x00, 0x10, 0x40, 0, 0, 0, 0,
	0xc7, 0x00, 0x88, 0x77, 0x66, 0x55,		/* movl $0x55667788 */
	0xc3,
};
static const uint8_t store_imm16[] = {
	0x48, 0xb8, 0x00, 0x00, 0x10, 0x40, 0, 0, 0, 0,
	0x66, 0xc7, 0x00, 0x22, 0x11,			/* movw $0x1122 */
	0xc3,
};

static void guest_code_changes(void)
{
	void (*fn)(void) = (void (*)(void))GUEST_SCRATCH_GPA;
	int i;

	for (i = 0; i < 4; i++) {
		fn();
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

/*
 * hvx keeps the last MMIO instruction it decoded; the same address with
 * other bytes (an immediate, an operand size) must be decoded afresh.
 */
HVX_GUEST_TEST(mmio_insn_bytes_change, guest_code_changes)
{
	uint8_t *code = addr_gpa2hva(vm, GUEST_SCRATCH_GPA, 64);

	TEST_ASSERT_EQ(HOLE_GPA, 0x40100000ULL);
	memcpy(code, store_imm32, sizeof(store_imm32));
	vcpu_expect_mmio(vcpu, HOLE_GPA, 4, true, 0x11223344);
	vcpu_expect_sync(vcpu, 0);
	vcpu_expect_mmio(vcpu, HOLE_GPA, 4, true, 0x11223344);
	vcpu_expect_sync(vcpu, 1);
	memcpy(code, store_imm32_b, sizeof(store_imm32_b));
	vcpu_expect_mmio(vcpu, HOLE_GPA, 4, true, 0x55667788);
	vcpu_expect_sync(vcpu, 2);
	memcpy(code, store_imm16, sizeof(store_imm16));
	vcpu_expect_mmio(vcpu, HOLE_GPA, 2, true, 0x1122);
	vcpu_expect_sync(vcpu, 3);
	vcpu_expect_done(vcpu);
}

static void guest_scan(uint64_t start, uint64_t end)
{
	uint64_t a;

	for (a = start; a < end; a += MiB)
		GUEST_ASSERT_EQ(mmio_r32(a), (uint32_t)(a >> 20) ^ 0xa5a5a5a5);
	GUEST_DONE();
}

HVX_TEST_TIMEOUT(mmio_scan_beyond_ram, 300)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t a, start = VM_RAM_SIZE_DEFAULT, end = GiB;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu, guest_scan);
	vcpu_args_set(vcpu, 2, start, end);
	/* Every read past RAM exits; nothing there is memory. */
	for (a = start; a < end; a += MiB)
		vcpu_expect_mmio(vcpu, a, 4, false,
			    (uint32_t)(a >> 20) ^ 0xa5a5a5a5);
	vcpu_expect_done(vcpu);
	vm_free(vm);
}

#define HC_NR	0x1234

static void guest_hypercall(void)
{
	uint64_t ret = vmcall(HC_NR, 1, 2, 3, 4, 5, 6);

	GUEST_ASSERT_EQ(ret, 0xfeedfacecafebeefULL);
	GUEST_ASSERT_EQ(vmcall(HC_NR + 1, 0, 0, 0, 0, 0, 0), 7);
	GUEST_DONE();
}

HVX_GUEST_TEST(hypercall, guest_hypercall)
{
	struct hvx_run *run = vcpu->run;
	int i;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HYPERCALL);
	EXPECT_EQ(HC_NR, run->hypercall.nr);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(i + 1, run->hypercall.args[i]);
	run->hypercall.ret = 0xfeedfacecafebeefULL;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HYPERCALL);
	EXPECT_EQ(HC_NR + 1, run->hypercall.nr);
	run->hypercall.ret = 7;
	vcpu_expect_done(vcpu);
}

static volatile uint64_t gp_count;

/* RDMSR and WRMSR are both 2 bytes (0f 32, 0f 30). */
static void gp_skip_msr(struct guest_ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;
}

static void guest_unknown_msr(void)
{
	uint64_t v;

	rdmsr(MSR_TEST_UNKNOWN);
	wrmsr(MSR_TEST_UNKNOWN, 1);
	GUEST_ASSERT_EQ(gp_count, 2);
	/* Known MSRs do not fault. */
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_LSTAR, &v), GUEST_NO_FAULT);
	guest_exception_handlers[GP_VECTOR] = NULL;
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_TEST_UNKNOWN, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_TEST_UNKNOWN, 0), GP_VECTOR);
	GUEST_DONE();
}

HVX_GUEST_TEST(unknown_msr_gp, guest_unknown_msr)
{
	vm_install_exception_handler(vm, GP_VECTOR, gp_skip_msr);
	vcpu_expect_done(vcpu);
}

static void guest_msr_exit(void)
{
	uint64_t v = 0;

	GUEST_ASSERT_EQ(rdmsr_safe(MSR_TEST_UNKNOWN, &v), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(v, 0x1122334455667788ULL);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_TEST_UNKNOWN, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_TEST_UNKNOWN, 0xabcdef), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_TEST_UNKNOWN, 0xabcdef), GP_VECTOR);
	/* Known MSRs stay in the kernel. */
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_LSTAR, &v), GUEST_NO_FAULT);
	/* so do known ones refused: x2APIC registers in xAPIC mode */
	GUEST_ASSERT_EQ(rdmsr_safe(0x802, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(0x808, 0), GP_VECTOR);
	GUEST_DONE();
}

static void expect_msr_exit(struct test_vcpu *vcpu, uint32_t reason,
			    uint64_t data, bool error)
{
	struct hvx_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, reason);
	TEST_ASSERT_EQ(run->msr.index, MSR_TEST_UNKNOWN);
	/* zero, whatever the last exit or userspace left there (below) */
	TEST_ASSERT_EQ(run->msr.pad[0] | run->msr.pad[1] | run->msr.pad[2], 0);
	if (reason == HVX_EXIT_WRMSR)
		TEST_ASSERT_EQ(run->msr.data, data);
	else
		run->msr.data = data;
	run->msr.error = error;
	memset(run->msr.pad, 0xff, sizeof(run->msr.pad));
}

HVX_GUEST_TEST(unknown_msr_exit, guest_msr_exit)
{
	HVX_REQUIRE(vm->caps.hvx_features & HVX_FEAT_USER_MSR_EXIT,
		    "no HVX_FEAT_USER_MSR_EXIT");
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_UNKNOWN_MSR_EXIT, 1));
	expect_msr_exit(vcpu, HVX_EXIT_RDMSR, 0x1122334455667788ULL, false);
	expect_msr_exit(vcpu, HVX_EXIT_RDMSR, 0, true);
	expect_msr_exit(vcpu, HVX_EXIT_WRMSR, 0xabcdef, false);
	expect_msr_exit(vcpu, HVX_EXIT_WRMSR, 0xabcdef, true);
	vcpu_expect_done(vcpu);
}

static void guest_msr_exit_once(void)
{
	uint64_t v;

	rdmsr_safe(MSR_TEST_UNKNOWN, &v);
	GUEST_FAIL("ran on after a triple fault");
}

/*
 * A #DF set pending while an RDMSR waits for userspace, which then
 * answers with an error: the #GP of the completion makes a triple fault.
 * The run ends there with HVX_EXIT_SHUTDOWN, before any entry: the guest
 * must not run on (and RDMSR again) with the #DF dropped.
 */
HVX_GUEST_TEST(completion_triple_fault_ends_run, guest_msr_exit_once)
{
	struct hvx_vcpu_events ev;
	uint64_t exits0, exits1;

	HVX_REQUIRE(vm->caps.hvx_features & HVX_FEAT_USER_MSR_EXIT,
		    "no HVX_FEAT_USER_MSR_EXIT");
	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_UNKNOWN_MSR_EXIT, 1));
	/* the events as they are: not readable while the exit waits */
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_RDMSR);
	ev.flags |= HVX_EVENTS_INJECTED | HVX_EVENTS_ERROR_CODE;
	ev.inject_type = HVX_EVENT_HW_EXCEPTION;
	ev.inject_vector = 8;				/* #DF */
	ev.inject_error_code = 0;
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	vcpu->run->msr.error = 1;
	ASSERT_TRUE(vm_stat("exits", &exits0));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	ASSERT_TRUE(vm_stat("exits", &exits1));
	EXPECT_EQ(exits0, exits1);
}

static void guest_vmx_insns(void)
{
	GUEST_ASSERT_EQ(guest_insn_safe("vmxon (%%rax)"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmread %%rax, %%rbx"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmwrite %%rbx, %%rax"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmptrld (%%rax)"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmptrst (%%rax)"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmclear (%%rax)"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmlaunch"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmresume"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("vmxoff"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("invept (%%rax), %%rbx"), UD_VECTOR);
	GUEST_ASSERT_EQ(guest_insn_safe("invvpid (%%rax), %%rbx"), UD_VECTOR);
	GUEST_DONE();
}

HVX_GUEST_TEST(vmx_instructions_ud, guest_vmx_insns)
{
	vcpu_expect_done(vcpu);
}

#define STEP_PORT	0x99
#define STEP_INSNS	8

static volatile uint64_t step_rip[2 * STEP_INSNS], step_dr6[2 * STEP_INSNS];
static volatile uint64_t step_count, step_stop;

/* Record each single-step trap; the last one of the sequence clears TF. */
static void step_record(struct guest_ex_regs *regs)
{
	uint64_t dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	asm volatile("mov %0, %%dr6" : : "r"(DR6_RESET));
	if (step_count < ARRAY_SIZE(step_rip)) {
		step_rip[step_count] = regs->rip;
		step_dr6[step_count] = dr6;
	}
	step_count++;
	if (regs->rip == step_stop)
		regs->rflags &= ~X86_EFLAGS_TF;
}

/*
 * Step over instructions that hvx completes for the guest, in the kernel
 * (RDMSR, MOV from DR7, CPUID, HLT) and in userspace (OUT, an MMIO
 * store): each must end with the trap that a completed instruction
 * raises, RIP at the next one.  HLT with interrupts off does not sleep:
 * the trap is already due.
 */
static void guest_step_emulated(void)
{
	uint64_t at[STEP_INSNS], rax, rdx, rcx = MSR_APIC_BASE;
	uint64_t rbx = MMIO_GPA;
	unsigned int i;

	/*
	 * Bochs 2.7 keeps a single step pending across the exit of a fault
	 * that hvx retries (the guest's page walk, first touched in EPT),
	 * where a processor clears it: walk to the MMIO page before.
	 */
	*(volatile uint8_t *)MMIO_GPA = 1;
	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "mov %%rax, 0(%[at])\n\t"
		     "lea 2f(%%rip), %%rax\n\t"
		     "mov %%rax, 8(%[at])\n\t"
		     "lea 3f(%%rip), %%rax\n\t"
		     "mov %%rax, 16(%[at])\n\t"
		     "lea 4f(%%rip), %%rax\n\t"
		     "mov %%rax, 24(%[at])\n\t"
		     "lea 5f(%%rip), %%rax\n\t"
		     "mov %%rax, 32(%[at])\n\t"
		     "lea 6f(%%rip), %%rax\n\t"
		     "mov %%rax, 40(%[at])\n\t"
		     "lea 7f(%%rip), %%rax\n\t"
		     "mov %%rax, 48(%[at])\n\t"
		     "lea 8f(%%rip), %%rax\n\t"
		     "mov %%rax, 56(%[at])\n\t"
		     "mov %%rax, %[stop]\n\t"
		     "pushf\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popf\n\t"
		     "nop\n"
		     "1: rdmsr\n"
		     "2: mov %%dr7, %%rax\n"
		     "3: outb %%al, $" XSTR(STEP_PORT) "\n"
		     "4: movb %%al, (%%rbx)\n"
		     "5: cpuid\n"
		     "6: hlt\n"
		     "7: nop\n"
		     "8:\n"
		     : "=&a"(rax), "+b"(rbx), "+c"(rcx), "=&d"(rdx),
		       [stop] "=m"(step_stop)
		     : [at] "r"(at)
		     : "memory", "cc");
	for (i = 0; i < STEP_INSNS && i < step_count; i++) {
		GUEST_ASSERT_EQ(step_rip[i], at[i]);
		GUEST_ASSERT_EQ(step_dr6[i], DR6_RESET | DR6_BS);
	}
	GUEST_ASSERT_EQ(step_count, STEP_INSNS);
	GUEST_DONE();
}

HVX_GUEST_TEST(single_step_over_emulated_insns, guest_step_emulated)
{
	uint8_t *data;

	vm_install_exception_handler(vm, DB_VECTOR, step_record);
	vcpu_expect_mmio(vcpu, MMIO_GPA, 1, true, 1);
	/* AL is DR7's low byte, 0 after RESET */
	data = expect_io(vcpu, HVX_IO_OUT, STEP_PORT, 1, 1);
	EXPECT_EQ(0, *data);
	vcpu_expect_mmio(vcpu, MMIO_GPA, 1, true, 0);
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
