// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits: IN, OUT and the string forms INS/OUTS with REP.
 *
 * Every port exits (both I/O bitmaps are all ones).  IN and OUT in a range
 * registered for the shared I/O ring are served there (ring.c); the rest
 * goes to userspace through the run page.  A string instruction moves as
 * many elements per exit as fit in the run page's data area; what is left
 * of a REP count makes the guest execute the instruction again, which
 * exits again.
 */
#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vcpu.h"
#include "ring.h"
#include "vmx_ops.h"
#include "trace.h"

/* Exit qualification of an I/O instruction (SDM table 28-5). */
#define IO_SIZE(q)	(((q) & 7) + 1)
#define IO_IN		BIT(3)
#define IO_STRING	BIT(4)
#define IO_REP		BIT(5)
#define IO_PORT(q)	(((q) >> 16) & 0xffff)

/* VM-exit instruction information of INS/OUTS: address size, segment. */
#define IO_INFO_ASIZE(i)	(((i) >> 7) & 7)
#define IO_INFO_SEG(i)		(((i) >> 15) & 7)

/* The address size of INS/OUTS with instruction information @info. */
static unsigned int string_asize(struct hvx_vcpu *vcpu, u32 info)
{
	static const u8 sizes[] = { 2, 4, 8 };

	if (hvx_vmx.basic & VMX_BASIC_INOUT && IO_INFO_ASIZE(info) < 3)
		return sizes[IO_INFO_ASIZE(info)];
	return hvx_guest_mode(vcpu);
}

/* Segment registers as the instruction information numbers them. */
enum { IO_SEG_ES, IO_SEG_CS, IO_SEG_SS, IO_SEG_DS, IO_SEG_FS, IO_SEG_GS };

/*
 * The VMCS fields of segment @seg: the guest-state encodings of ES, CS,
 * SS, DS, FS and GS are two apart, in that order (SDM appendix B).
 */
#define IO_SEG_FIELD(es_field, seg)	((es_field) + 2 * (seg))

/*
 * The operand of INS (ES:RDI) or OUTS (DS:RSI or the override, from the
 * instruction information @info) of exit qualification @q: its linear
 * address in *@gva, and *@n bounded by the elements that fit the
 * segment's limit.  The I/O exit comes before the processor checks the
 * segment (SDM 26.1.1: its usability, its limit, alignment), and the
 * guest-linear address field is undefined for an unusable one, which a
 * null DS or ES of 64-bit code is: hvx makes the checks and the address.
 * Without the instruction information (VMX_BASIC_INOUT) the segment of an
 * OUTS is unknown: the field it is.
 *
 * Return: 0, or 1 after injecting #GP(0) (#SS(0) for SS) when the first
 * element does not fit, or #AC(0) for a misaligned one at CPL 3.
 */
static int string_operand(struct hvx_vcpu *vcpu, unsigned long q, u32 info,
			  unsigned int asize, bool down, u64 *gva, u64 *n)
{
	bool in = q & IO_IN;
	u64 idx = vcpu->regs[in ? HVX_RDI : HVX_RSI] & hvx_asize_mask(asize);
	unsigned int seg = IO_SEG_ES, size = IO_SIZE(q);
	u64 lo = 0, hi, room;
	u32 ar;

	if (!(hvx_vmx.basic & VMX_BASIC_INOUT)) {
		*gva = hvx_vmread(GUEST_LINEAR_ADDRESS);
		return 0;
	}
	if (!in)
		seg = IO_INFO_SEG(info);
	if (hvx_guest_mode(vcpu) == 8) {
		/* no limits; bases only for FS and GS */
		*gva = idx;
		if (seg == IO_SEG_FS || seg == IO_SEG_GS)
			*gva += hvx_vmread(IO_SEG_FIELD(GUEST_ES_BASE, seg));
		goto align;
	}
	*gva = (u32)(hvx_vmread(IO_SEG_FIELD(GUEST_ES_BASE, seg)) + idx);
	ar = hvx_vmread32(IO_SEG_FIELD(GUEST_ES_AR_BYTES, seg));
	if (ar & VMX_AR_UNUSABLE_MASK)
		goto fault;
	hi = hvx_vmread32(IO_SEG_FIELD(GUEST_ES_LIMIT, seg));
	/* an expand-down data segment: above the limit, up to 64K or 4G */
	if ((ar & (VMX_AR_S_MASK | 0xc)) == (VMX_AR_S_MASK | 0x4)) {
		lo = hi + 1;
		hi = ar & VMX_AR_DB_MASK ? U32_MAX : U16_MAX;
	}
	if (idx < lo || idx > hi || hi - idx < size - 1)
		goto fault;
	room = down ? (idx - lo) / size + 1 : (hi - idx - (size - 1)) / size + 1;
	*n = min(*n, room);
align:
	if ((*gva & (size - 1)) && hvx_guest_cpl(vcpu) == 3 &&
	    (hvx_get_cr0(vcpu) & X86_CR0_AM) &&
	    (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_AC)) {
		hvx_inject_exception(vcpu, X86_TRAP_AC, true, 0);
		return 1;
	}
	return 0;

fault:
	if (seg == IO_SEG_SS)
		hvx_inject_exception(vcpu, X86_TRAP_SS, true, 0);
	else
		hvx_inject_gp(vcpu);
	return 1;
}

/*
 * Elements the index register @reg (RSI or RDI, at linear @gva) can step
 * through, downwards with RFLAGS.DF (@down), before it wraps at the
 * address size, or the linear address at 4 GiB outside 64-bit mode: one
 * batch is one contiguous copy.  A 32-bit address size in 64-bit mode
 * gets the 4 GiB bound too: a shorter batch, never a wrong one.
 */
static u64 string_room(struct hvx_vcpu *vcpu, unsigned int reg, u64 gva,
		       unsigned int size, unsigned int asize, bool down)
{
	u64 mask = hvx_asize_mask(asize), idx = vcpu->regs[reg] & mask;
	u64 room;

	room = down ? idx / size + 1 : (mask - idx) / size + 1;
	if (asize < 8)
		room = min(room, down ? (u32)gva / size + 1 :
					(U32_MAX - (u32)gva) / size + 1);
	return room;
}

/*
 * Copy @n elements between guest memory and @buf, downwards with
 * RFLAGS.DF (@down), checked as the guest's accesses at its CPL: OUTS
 * from CPL 3 may not read a supervisor page, INS not write one.
 */
static int string_copy(struct hvx_vcpu *vcpu, u64 gva, void *buf,
		       unsigned int size, u64 n, bool to_guest, bool down)
{
	u32 access = hvx_guest_cpl(vcpu) == 3 ? HVX_ACC_USER : 0;
	struct hvx_paging pg;
	u64 i;

	hvx_get_paging(vcpu, &pg);
	if (!down)
		return to_guest ?
		       hvx_write_gva(vcpu->vm, &pg, gva, buf, n * size, access) :
		       hvx_read_gva(vcpu->vm, &pg, gva, buf, n * size, access);
	for (i = 0; i < n; i++) {
		u64 a = gva - i * size;
		void *b = buf + i * size;
		int err = to_guest ?
			  hvx_write_gva(vcpu->vm, &pg, a, b, size, access) :
			  hvx_read_gva(vcpu->vm, &pg, a, b, size, access);

		if (err)
			return err;
	}
	return 0;
}

/**
 * hvx_string_fault() - check a string instruction's memory operand
 * @vcpu: the vCPU, loaded
 * @gva: the linear address of the first element
 * @size: bytes per element
 * @n: elements, stepping down with RFLAGS.DF
 * @write: the elements are written
 *
 * As the CPU checks it before it moves an element, as the guest's access
 * at its CPL: the guest's page tables must map it for this access.  For
 * INS/OUTS, and for the RAM operand of a MOVS whose other operand exited
 * (mmio_string.c).  The element that faults is the first of the next
 * round, and the guest takes the fault with RCX and RSI/RDI counting only
 * what moved.
 *
 * Return: how many of the @n elements (at most LONG_MAX) can move; 0 when
 * the first cannot, after injecting its fault (#PF with CR2, or #GP for a
 * non-canonical address); -EINTR when a signal ended the wait for a
 * page of the guest's tables, or it is poisoned (as hvx_gva_to_gpa()).
 */
long hvx_string_fault(struct hvx_vcpu *vcpu, u64 gva, unsigned int size,
		      u64 n, bool write)
{
	bool down = hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_DF;
	bool lm = hvx_guest_mode(vcpu) == 8;
	u64 i, end, gpa, page = ~0ULL;
	u32 access = write ? HVX_ACC_WRITE : 0, ec;
	struct hvx_paging pg;
	int err = 0, k;

	hvx_get_paging(vcpu, &pg);
	if (!(pg.cr0 & X86_CR0_PG))
		return n;
	if (hvx_guest_cpl(vcpu) == 3)
		access |= HVX_ACC_USER;
	for (i = 0; i < n; i++) {
		u64 a = down ? gva - i * size : gva + i * size;

		/* the element's first and last byte: it may straddle a page */
		for (k = 0; k < 2; k++) {
			end = k ? a + size - 1 : a;
			if (!lm)
				end = (u32)end;
			if (end >> PAGE_SHIFT == page)
				continue;
			err = hvx_gva_to_gpa(vcpu->vm, &pg, end, access, &gpa,
					     &ec);
			if (err == -EINTR)
				return err;
			if (err == -EFAULT || err == -EINVAL)
				goto fault;
			page = end >> PAGE_SHIFT;
		}
	}
	return n;

fault:
	if (i)
		return i;
	if (err == -EINVAL) {
		hvx_inject_gp(vcpu);
	} else {
		/* an element's second page faults from its first byte */
		vcpu->cr2 = k ? end & PAGE_MASK : end;
		hvx_inject_exception(vcpu, X86_TRAP_PF, true, ec);
	}
	return 0;
}

/**
 * hvx_guest_copy() - an emulated instruction's access to guest RAM
 * @vcpu: the vCPU, loaded
 * @gva: linear address
 * @buf: the bytes read, or to write
 * @len: how many
 * @write: a store
 *
 * As the guest's own access at its CPL: a page its tables do not map for
 * it takes the fault the processor would raise (hvx_string_fault()).
 *
 * Return: 0 when done; 1 after injecting the fault; -EFAULT when the
 * address is mapped but no guest RAM (MMIO: not emulated); -EINTR as
 * hvx_read_gpa().
 */
int hvx_guest_copy(struct hvx_vcpu *vcpu, u64 gva, void *buf,
		   unsigned int len, bool write)
{
	u32 access = hvx_guest_cpl(vcpu) == 3 ? HVX_ACC_USER : 0;
	struct hvx_paging pg;
	long n;
	int err;

	hvx_get_paging(vcpu, &pg);
	err = write ? hvx_write_gva(vcpu->vm, &pg, gva, buf, len, access) :
		      hvx_read_gva(vcpu->vm, &pg, gva, buf, len, access);
	if (!err || err == -EINTR)
		return err;
	if (err != -EFAULT && err != -EINVAL)
		return -EFAULT;
	/* a walk that faults: walk again to raise the guest's fault */
	n = hvx_string_fault(vcpu, gva, len, 1, write);
	if (n < 0)
		return n;
	return n ? -EFAULT : 1;
}

/*
 * Advance RSI or RDI and RCX past @n elements; step over the instruction
 * once the count is done.
 */
static void string_advance(struct hvx_vcpu *vcpu, unsigned int ptr_reg,
			   unsigned int size, u64 n, bool rep, bool down,
			   unsigned int asize, unsigned int insn_len)
{
	u64 delta = n * size;
	u64 ptr = vcpu->regs[ptr_reg];

	ptr = down ? ptr - delta : ptr + delta;
	hvx_string_reg_set(vcpu, ptr_reg, ptr, asize);
	if (rep) {
		u64 left = (vcpu->regs[HVX_RCX] & hvx_asize_mask(asize)) - n;

		hvx_string_reg_set(vcpu, HVX_RCX, left, asize);
		/*
		 * The guest goes on with it: with RF set, as a processor
		 * resumes a REP string instruction between iterations, so
		 * that its instruction breakpoint fires once, not once a
		 * batch.
		 */
		if (left) {
			hvx_vmwrite(GUEST_RFLAGS,
				    hvx_vmread(GUEST_RFLAGS) | X86_EFLAGS_RF);
			return;
		}
	}
	hvx_skip_insn_len(vcpu, insn_len);
}

/*
 * INS or OUTS, REP or not: as many elements as the run page holds; the
 * guest executes the instruction again for the rest.
 */
static int exit_io_string(struct hvx_vcpu *vcpu, unsigned long q,
			  unsigned int len)
{
	struct hvx_run *run = vcpu->run;
	void *data = (void *)run + HVX_RUN_DATA_OFFSET;
	u32 info = hvx_vmread32(VMX_INSTRUCTION_INFO);
	unsigned int size = IO_SIZE(q), asize = string_asize(vcpu, info);
	bool down = hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_DF;
	bool in = q & IO_IN, copied = false;
	u64 n = 1, gva;
	long k;
	int r;

	if (q & IO_REP) {
		n = vcpu->regs[HVX_RCX] & hvx_asize_mask(asize);
		if (!n) {
			hvx_skip_insn_len(vcpu, len);
			return 1;
		}
	}
	n = min_t(u64, n, HVX_RUN_DATA_SIZE / size);
	if (string_operand(vcpu, q, info, asize, down, &gva, &n)) {
		run->exit_reason = HVX_EXIT_NONE;
		return 1;
	}
	n = min(n, string_room(vcpu, in ? HVX_RDI : HVX_RSI, gva, size, asize,
			       down));
	/*
	 * INS checks its destination before any port read; OUTS learns of a
	 * fault from the copy, and only then looks for the element.
	 */
	if (!in) {
		r = string_copy(vcpu, gva, data, size, n, false, down);
		if (r == -EINTR)
			return hvx_exit_intr(vcpu);
		copied = !r;
	}
	if (!copied) {
		k = hvx_string_fault(vcpu, gva, size, n, in);
		if (k < 0)
			return hvx_exit_intr(vcpu);
		if (!k) {
			/* the first element faults: #PF or #GP for the guest */
			run->exit_reason = HVX_EXIT_NONE;
			return 1;
		}
		n = k;
	}
	run->io.count = n;
	trace_hvx_io(vcpu, run->io.port, size, run->io.direction, n);

	if (in) {
		vcpu->pending = HVX_PENDING_IO_IN;
		vcpu->pending_insn_len = len;
		vcpu->pending_size = size;
		vcpu->pending_count = n;
		vcpu->pending_gva = gva;
		vcpu->pending_op = (q & IO_REP) | (asize << 8);
		return 0;
	}
	/* the elements before a faulting one, or an operand outside RAM */
	if (!copied) {
		r = string_copy(vcpu, gva, data, size, n, false, down);
		if (r == -EINTR)
			return hvx_exit_intr(vcpu);
		if (r)
			return hvx_exit_unemulated(vcpu, 0, true);
	}
	string_advance(vcpu, HVX_RSI, size, n, q & IO_REP, down, asize, len);
	return 0;
}

/**
 * hvx_exit_io() - IN, OUT, INS, OUTS
 * @vcpu: the vCPU, loaded
 *
 * Return: 0 (exit to userspace), or 1 when a REP string instruction has
 * a count of zero or the shared I/O ring served the access; -EINTR when a
 * signal interrupted the wait for a ring completion.
 */
int hvx_exit_io(struct hvx_vcpu *vcpu)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	unsigned int size = IO_SIZE(q), len;
	struct hvx_run *run = vcpu->run;
	bool in = q & IO_IN;
	int r;

	len = hvx_vmread32(VM_EXIT_INSTRUCTION_LEN);
	if (!(q & IO_STRING)) {
		r = hvx_ring_pio(vcpu, IO_PORT(q), size, in, len);
		if (r)
			return r;
	}

	run->exit_reason = HVX_EXIT_IO;
	run->io.direction = in ? HVX_IO_IN : HVX_IO_OUT;
	run->io.size = size;
	run->io.port = IO_PORT(q);
	run->io.data_offset = HVX_RUN_DATA_OFFSET;
	if (q & IO_STRING)
		return exit_io_string(vcpu, q, len);

	run->io.count = 1;
	trace_hvx_io(vcpu, run->io.port, size, run->io.direction, 1);
	if (in) {
		vcpu->pending = HVX_PENDING_IO_IN;
		vcpu->pending_insn_len = len;
		vcpu->pending_size = size;
		vcpu->pending_count = 0;
		return 0;
	}
	memcpy((void *)run + HVX_RUN_DATA_OFFSET, &vcpu->regs[HVX_RAX], size);
	hvx_skip_insn_len(vcpu, len);
	return 0;
}

/**
 * hvx_complete_io_in() - finish IN/INS with the data userspace supplied
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 to resume, 0 after reporting an internal error (a poisoned
 * page INS stores into among them, SIGBUS sent), or -EINTR when a fatal
 * signal ended the wait for such a page.
 */
int hvx_complete_io_in(struct hvx_vcpu *vcpu)
{
	return hvx_complete_io_in_data(vcpu,
				       (void *)vcpu->run + HVX_RUN_DATA_OFFSET);
}

/**
 * hvx_complete_io_in_data() - finish IN/INS with the data at @data
 * @vcpu: the vCPU, loaded
 * @data: the elements read (the run page's data area, or a ring
 *	  completion's value for a plain IN)
 *
 * Return: as hvx_complete_io_in().
 */
int hvx_complete_io_in_data(struct hvx_vcpu *vcpu, const void *data)
{
	unsigned int size = vcpu->pending_size;
	unsigned int asize = vcpu->pending_op >> 8;
	bool down;
	u64 val = 0, n;
	long k;
	int r;

	if (!vcpu->pending_count) {
		memcpy(&val, data, size);
		if (size == 4)
			vcpu->regs[HVX_RAX] = (u32)val;
		else
			vcpu->regs[HVX_RAX] = (vcpu->regs[HVX_RAX] &
					       ~((1UL << (size * 8)) - 1)) | val;
		hvx_skip_insn_len(vcpu, vcpu->pending_insn_len);
		return 1;
	}
	down = hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_DF;
	n = vcpu->pending_count;
	r = string_copy(vcpu, vcpu->pending_gva, (void *)data, size, n, true,
			down);
	if (r && r != -EINTR) {
		/*
		 * The guest's page tables changed while userspace read the
		 * port (another vCPU, or the VMM): the elements before the
		 * one that faults move, and the guest takes the fault (now,
		 * or when it runs the instruction again for the rest), as
		 * the processor would raise it.
		 */
		k = hvx_string_fault(vcpu, vcpu->pending_gva, size, n, true);
		if (!k)
			return 1;
		n = k;
		r = k < 0 ? k : string_copy(vcpu, vcpu->pending_gva,
					    (void *)data, size, n, true, down);
		if (r && r != -EINTR)
			return hvx_exit_unemulated(vcpu, 0, true);
	}
	/* a fatal signal: the elements stored so far go again, if ever */
	if (r) {
		vcpu->pending = HVX_PENDING_IO_IN;
		return hvx_exit_intr(vcpu);
	}
	string_advance(vcpu, HVX_RDI, size, n, vcpu->pending_op & IO_REP,
		       down, asize, vcpu->pending_insn_len);
	return 1;
}
