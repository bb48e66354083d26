/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 definitions for hvx selftests: architectural constants, the guest
 * memory layout the library builds, and guest-side instruction helpers.
 *
 * Everything static inline here may run inside a guest: no libc, no TLS.
 */
#ifndef HVX_SELFTEST_PROCESSOR_H
#define HVX_SELFTEST_PROCESSOR_H

#include <stdint.h>

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_EM	(1ULL << 2)
#define X86_CR0_TS	(1ULL << 3)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_AM	(1ULL << 18)
#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR0_PG	(1ULL << 31)

#define X86_CR4_PSE	(1ULL << 4)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_VMXE	(1ULL << 13)
#define X86_CR4_PCIDE	(1ULL << 17)
#define X86_CR4_FSGSBASE (1ULL << 16)
#define X86_CR4_OSXSAVE	(1ULL << 18)
#define X86_CR4_SMEP	(1ULL << 20)
#define X86_CR4_SMAP	(1ULL << 21)

#define EFER_SCE	(1ULL << 0)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)

#define X86_RFLAGS_FIXED (1ULL << 1)
#define X86_RFLAGS_IF	(1ULL << 9)

#define MSR_IA32_TSC		0x00000010
#define MSR_IA32_PLATFORM_ID	0x00000017
#define MSR_APIC_BASE		0x0000001b
#define MSR_IA32_TSC_ADJUST	0x0000003b
#define MSR_IA32_UCODE_REV	0x0000008b
#define MSR_IA32_SYSENTER_CS	0x00000174
#define MSR_IA32_SYSENTER_ESP	0x00000175
#define MSR_IA32_SYSENTER_EIP	0x00000176
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MSR_IA32_DEBUGCTL	0x000001d9
#define MSR_IA32_CR_PAT		0x00000277
#define MSR_TSC_DEADLINE	0x000006e0
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

/* An MSR index that no CPU and no hvx version implements. */
#define MSR_TEST_UNKNOWN	0x1badcafe

/* CPUID.1:ECX bits */
#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_PCID	(1U << 17)
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_OSXSAVE	(1U << 27)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)

/* CPUID.(7,0):EBX bits */
#define CPUID_7_EBX_SMEP	(1U << 7)
#define CPUID_7_EBX_SMAP	(1U << 20)

#define XFEATURE_X87		(1ULL << 0)
#define XFEATURE_SSE		(1ULL << 1)
#define XFEATURE_AVX		(1ULL << 2)

#define X86_EFLAGS_TF		(1UL << 8)
#define X86_EFLAGS_RF		(1UL << 16)
#define X86_EFLAGS_VM		(1UL << 17)

/* DR6: its value after RESET (no RTM), and the single-step bit */
#define DR6_RESET		0xffff0ff0UL
#define DR6_BS			(1UL << 14)

/* Exception vectors */
#define DE_VECTOR	0
#define DB_VECTOR	1
#define BP_VECTOR	3
#define UD_VECTOR	6
#define NM_VECTOR	7
#define DF_VECTOR	8
#define GP_VECTOR	13
#define PF_VECTOR	14

/*
 * Guest-physical layout of a long-mode test VM (vm_create()): one RAM
 * slot at GPA 0, identity-mapped (GVA == GPA) for the first 4 GiB with
 * 2 MiB pages, except the first 2 MiB, mapped with 4 KiB pages so that
 * page 0 stays unmapped and a NULL dereference faults.  GPAs beyond the
 * RAM slot are mapped in the guest page tables but back nothing, so
 * guest accesses there become HVX_EXIT_MMIO.
 *
 *   0x000000  not mapped (NULL page)
 *   0x001000  PML4
 *   0x002000  PDPT
 *   0x003000  4 page directories (0-4 GiB)
 *   0x007000  page table of the first 2 MiB
 *   0x008000  GDT: null, 0x08 code64, 0x10 data, 0x18 + 16 * id TSS of
 *             vCPU id
 *   0x009000  TSSs, 128 bytes per vCPU
 *   0x00b000  IDT, 256 gates to the entry points of lib/exception.S
 *   0x010000  free for tests (GUEST_SCRATCH_GPA .. +GUEST_SCRATCH_SIZE)
 *   0x100000  #DF stacks (IST1), 16 KiB per vCPU
 *   0x400000  the test binary's own image (GVA == its host address)
 *   ...       stacks, GUEST_STACK_SIZE per vCPU, vCPU 0's at the top of
 *             RAM
 */
#define GUEST_PML4_GPA		0x1000ULL
#define GUEST_PDPT_GPA		0x2000ULL
#define GUEST_PD_GPA		0x3000ULL
#define GUEST_PT0_GPA		0x7000ULL
#define GUEST_GDT_GPA		0x8000ULL
#define GUEST_TSS_GPA		0x9000ULL
#define GUEST_TSS_SIZE		128
#define GUEST_IDT_GPA		0xb000ULL
#define GUEST_SCRATCH_GPA	0x10000ULL
#define GUEST_SCRATCH_SIZE	0xf0000ULL
#define GUEST_IST_GPA		0x100000ULL
#define GUEST_IST_SIZE		0x4000ULL
#define GUEST_IMAGE_MIN_GPA	0x400000ULL
#define GUEST_STACK_SIZE	0x100000ULL
#define GUEST_MAPPED_SIZE	(4ULL << 30)

#define GUEST_CS_SEL		0x08
#define GUEST_DS_SEL		0x10
#define GUEST_TSS_SEL(id)	(0x18 + 16 * (id))

/* Segment access rights in the VMX format (hvx.h HVX_AR_*). */
#define AR_CODE64	0xa09b	/* P, S, execute/read accessed, L, G */
#define AR_DATA		0xc093	/* P, S, read/write accessed, D/B, G */
#define AR_CODE32	0xc09b	/* P, S, execute/read accessed, D/B, G */
#define AR_TSS_BUSY	0x008b	/* P, busy 32/64-bit TSS */
#define AR_REAL_CODE	0x009b
#define AR_REAL_DATA	0x0093

/**
 * struct guest_ex_regs - what lib/exception.S saves on an exception
 *
 * In stack order: the general-purpose registers the entry code pushed, the
 * vector and error code (0 for vectors without one), then the frame the
 * CPU pushed.  A handler may change any field; IRETQ reloads them.
 */
struct guest_ex_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*guest_handler_t)(struct guest_ex_regs *regs);

/* Indexed by vector; set from the host by vm_install_exception_handler(). */
extern guest_handler_t guest_exception_handlers[256];

static inline void cpuid_count(uint32_t leaf, uint32_t subleaf,
			       uint32_t *eax, uint32_t *ebx,
			       uint32_t *ecx, uint32_t *edx)
{
	asm volatile("cpuid"
		     : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
		     : "a"(leaf), "c"(subleaf));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return lo | ((uint64_t)hi << 32);
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr"
		     : : "c"(msr), "a"((uint32_t)val), "d"(val >> 32)
		     : "memory");
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Guest MMIO accessors: plain MOV encodings that hvx must decode. */
static inline void mmio_w8(uint64_t a, uint8_t v)
{
	asm volatile("movb %1, (%0)" : : "r"(a), "q"(v) : "memory");
}

static inline void mmio_w16(uint64_t a, uint16_t v)
{
	asm volatile("movw %1, (%0)" : : "r"(a), "r"(v) : "memory");
}

static inline void mmio_w32(uint64_t a, uint32_t v)
{
	asm volatile("movl %1, (%0)" : : "r"(a), "r"(v) : "memory");
}

static inline void mmio_w64(uint64_t a, uint64_t v)
{
	asm volatile("movq %1, (%0)" : : "r"(a), "r"(v) : "memory");
}

static inline uint8_t mmio_r8(uint64_t a)
{
	uint8_t v;

	asm volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}

static inline uint16_t mmio_r16(uint64_t a)
{
	uint16_t v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint32_t mmio_r32(uint64_t a)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline uint64_t mmio_r64(uint64_t a)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline uint64_t get_cr0(void)
{
	uint64_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t get_cr3(void)
{
	uint64_t v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t get_cr4(void)
{
	uint64_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/*
 * Inline assembly that keeps values live in every vector register across
 * an exit: XMM_LOAD_ALL / XMM_STORE_ALL move XMM0-15 from and to the 256
 * bytes at the operands %[src] and %[dst]; YMM_LOAD_ALL / YMM_STORE_ALL
 * YMM0-15 and 512 bytes (AVX).  XMM_CLOBBERS names the registers.
 */
#define XMM_LD(n)	"movdqu " #n "*16(%[src]), %%xmm" #n "\n\t"
#define XMM_ST(n)	"movdqu %%xmm" #n ", " #n "*16(%[dst])\n\t"
#define YMM_LD(n)	"vmovdqu " #n "*32(%[src]), %%ymm" #n "\n\t"
#define YMM_ST(n)	"vmovdqu %%ymm" #n ", " #n "*32(%[dst])\n\t"
#define VEC_ALL(op)							\
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)			\
	op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XMM_LOAD_ALL	VEC_ALL(XMM_LD)
#define XMM_STORE_ALL	VEC_ALL(XMM_ST)
#define YMM_LOAD_ALL	VEC_ALL(YMM_LD)
#define YMM_STORE_ALL	VEC_ALL(YMM_ST)
#define XMM_CLOBBERS							\
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",	\
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | ((uint64_t)hi << 32);
}

/* VMCALL: RAX = nr, args in RBX, RCX, RDX, RSI, RDI, R8; result in RAX. */
static inline uint64_t vmcall(uint64_t nr, uint64_t a0, uint64_t a1,
			      uint64_t a2, uint64_t a3, uint64_t a4,
			      uint64_t a5)
{
	register uint64_t r8 asm("r8") = a5;
	uint64_t ret;

	asm volatile("vmcall"
		     : "=a"(ret)
		     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3), "D"(a4),
		       "r"(r8)
		     : "memory");
	return ret;
}

/*
 * Instructions that may fault.  The prologue loads a magic value into R11
 * and the resume address into R10; the library's exception dispatcher,
 * when no handler is installed for the vector and R11 holds the magic,
 * resumes at R10 with R11 = vector and R10 = error code.  Without a fault
 * R11 ends as -1.  The helpers return the vector, or -1.
 */
#define GUEST_SAFE_MAGIC	0x5afe5afe5afe5afeULL
#define GUEST_NO_FAULT		(-1)

#define GUEST_SAFE_BEGIN						\
	"movabsq $0x5afe5afe5afe5afe, %%r11\n\t"			\
	"leaq 1f(%%rip), %%r10\n\t"
#define GUEST_SAFE_END							\
	"\n\tmovq $-1, %%r11\n"						\
	"1:\n\t"

/* An instruction that reads EDX:EAX for ECX = @idx into *@val, or faults. */
#define GUEST_READ_SAFE(insn, idx, val)					\
({									\
	register uint64_t r10 asm("r10");				\
	register uint64_t r11 asm("r11");				\
	uint32_t lo = 0, hi = 0;					\
									\
	asm volatile(GUEST_SAFE_BEGIN insn GUEST_SAFE_END		\
		     : "+a"(lo), "+d"(hi), "=&r"(r10), "=&r"(r11)	\
		     : "c"(idx)						\
		     : "memory");					\
	if ((int64_t)r11 == GUEST_NO_FAULT)				\
		*(val) = lo | ((uint64_t)hi << 32);			\
	(int)r11;							\
})

static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	return GUEST_READ_SAFE("rdmsr", msr, val);
}

/* RDPMC (with CR4.PCE set for CPL > 0) */
static inline int rdpmc_safe(uint32_t counter, uint64_t *val)
{
	return GUEST_READ_SAFE("rdpmc", counter, val);
}

/* MOV to CR4; the vector it raised, or -1 */
static inline int set_cr4_safe(uint64_t val)
{
	register uint64_t r10 asm("r10");
	register uint64_t r11 asm("r11");

	asm volatile(GUEST_SAFE_BEGIN "mov %2, %%cr4" GUEST_SAFE_END
		     : "=&r"(r10), "=&r"(r11) : "r"(val) : "memory");
	return (int)r11;
}

/* An instruction that writes EDX:EAX = @val for ECX = @idx, or faults. */
#define GUEST_WRITE_SAFE(insn, idx, val)				\
({									\
	register uint64_t r10 asm("r10");				\
	register uint64_t r11 asm("r11");				\
									\
	asm volatile(GUEST_SAFE_BEGIN insn GUEST_SAFE_END		\
		     : "=&r"(r10), "=&r"(r11)				\
		     : "c"(idx), "a"((uint32_t)(val)), "d"((val) >> 32)	\
		     : "memory");					\
	(int)r11;							\
})

static inline int wrmsr_safe(uint32_t msr, uint64_t val)
{
	return GUEST_WRITE_SAFE("wrmsr", msr, val);
}

static inline int xsetbv_safe(uint32_t index, uint64_t val)
{
	return GUEST_WRITE_SAFE("xsetbv", index, val);
}

/*
 * guest_insn_safe(insn): run one instruction written with fixed
 * registers: RAX points at a zeroed 4 KiB-aligned scratch page (a memory
 * operand for VMPTRLD, VMXON, INVEPT), RBX and RCX are 0 and may be
 * written.  Evaluates to the vector it raised, or -1.
 */
#define guest_insn_safe(insn) ({					\
	register uint64_t __r10 asm("r10");				\
	register uint64_t __r11 asm("r11");				\
	uint64_t __rax = GUEST_SCRATCH_GPA, __rbx = 0, __rcx = 0;	\
									\
	asm volatile(GUEST_SAFE_BEGIN insn GUEST_SAFE_END		\
		     : "+a"(__rax), "+b"(__rbx), "+c"(__rcx),		\
		       "=&r"(__r10), "=&r"(__r11)			\
		     : : "rdx", "memory", "cc");			\
	(int)__r11;							\
})

#endif /* HVX_SELFTEST_PROCESSOR_H */
