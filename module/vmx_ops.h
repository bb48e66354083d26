/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX instructions as C functions.  VMCS field encodings come from the
 * kernel's <asm/vmx.h>, the one source of truth for them.
 *
 * A VMX instruction reports failure through RFLAGS: CF=1 (VMfailInvalid,
 * no current VMCS) or ZF=1 (VMfailValid, reason in VM_INSTRUCTION_ERROR).
 * A fault (#UD outside VMX operation) is caught by the exception table so
 * that a bug in hvx logs an error instead of oopsing the host.
 */
#ifndef HVX_MODULE_VMX_OPS_H
#define HVX_MODULE_VMX_OPS_H

#include <linux/bug.h>
#include <linux/printk.h>
#include <asm/asm.h>
#include <asm/vmx.h>

void hvx_vmx_insn_failed(const char *insn, unsigned long field);

/*
 * After a VMX instruction labelled 1: jump to the C label "fail" on
 * VMfailInvalid/VMfailValid (CF or ZF set) or when the instruction faults.
 */
#define HVX_FAIL_TAIL				\
	"jna %l[fail]\n\t"			\
	"jmp 3f\n"				\
	"2: jmp %l[fail]\n"			\
	"3:\n\t"				\
	_ASM_EXTABLE(1b, 2b)

static __always_inline unsigned long hvx_vmread(unsigned long field)
{
	unsigned long value;

	asm volatile("1: vmread %[field], %[value]\n\t"
		     "jna 2f\n\t"
		     "jmp 3f\n"
		     "2: mov $0, %[value]\n"
		     "3:\n"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "=&r" (value)
		     : [field] "r" (field)
		     : "cc");
	return value;
}

static __always_inline u16 hvx_vmread16(unsigned long field)
{
	return hvx_vmread(field);
}

static __always_inline u32 hvx_vmread32(unsigned long field)
{
	return hvx_vmread(field);
}

static __always_inline u64 hvx_vmread64(unsigned long field)
{
	return hvx_vmread(field);
}

/* Returns 0, or -EIO when the write failed (also logged). */
static __always_inline int hvx_vmwrite(unsigned long field,
				       unsigned long value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 HVX_FAIL_TAIL
		 : : [field] "r" (field), [value] "rm" (value)
		 : "cc" : fail);
	return 0;
fail:
	hvx_vmx_insn_failed("vmwrite", field);
	return -EIO;
}

static inline void hvx_vmcs_set_bits(unsigned long field, u32 mask)
{
	hvx_vmwrite(field, hvx_vmread32(field) | mask);
}

static inline void hvx_vmcs_clear_bits(unsigned long field, u32 mask)
{
	hvx_vmwrite(field, hvx_vmread32(field) & ~mask);
}

/* VMXON, VMCLEAR, VMPTRLD take the physical address of a region. */
static __always_inline int hvx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 HVX_FAIL_TAIL
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static __always_inline int hvx_vmclear(u64 pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 HVX_FAIL_TAIL
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static __always_inline int hvx_vmptrld(u64 pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 HVX_FAIL_TAIL
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static __always_inline int hvx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 "jmp 3f\n"
		 "2: jmp %l[fail]\n"
		 "3:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* INVEPT and INVVPID take a type in a register and a 128-bit descriptor. */
static __always_inline int hvx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 HVX_FAIL_TAIL
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static __always_inline int hvx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 HVX_FAIL_TAIL
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

#endif /* HVX_MODULE_VMX_OPS_H */
