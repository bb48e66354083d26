/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of hvx, under /sys/kernel/tracing/events/hvx/.
 *
 * Each takes the vCPU and reads what it records from it (and from its
 * VMCS, which is loaded on the calling CPU wherever these fire), so a
 * disabled tracepoint costs its static branch and nothing else.
 * trace.c instantiates them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hvx

#if !defined(HVX_MODULE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define HVX_MODULE_TRACE_H

#include <linux/tracepoint.h>
#include <asm/vmx.h>

#include "vcpu.h"
#include "vmx_ops.h"

TRACE_EVENT(hvx_entry,
	TP_PROTO(struct hvx_vcpu *vcpu),
	TP_ARGS(vcpu),

	TP_STRUCT__entry(
		__field(int, vm)
		__field(u32, vcpu)
		__field(u64, rip)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->rip = hvx_vmread(GUEST_RIP);
	),

	TP_printk("vm=%d vcpu=%u rip=%#llx",
		  __entry->vm, __entry->vcpu, __entry->rip)
);

TRACE_EVENT(hvx_exit,
	TP_PROTO(struct hvx_vcpu *vcpu, u32 reason),
	TP_ARGS(vcpu, reason),

	TP_STRUCT__entry(
		__field(int, vm)
		__field(u32, vcpu)
		__field(u32, reason)
		__field(u64, qualification)
		__field(u64, rip)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->reason = reason;
		__entry->qualification = hvx_vmread(EXIT_QUALIFICATION);
		__entry->rip = hvx_vmread(GUEST_RIP);
	),

	TP_printk("vm=%d vcpu=%u reason=%u %s%s qual=%#llx rip=%#llx",
		  __entry->vm, __entry->vcpu, __entry->reason & 0xffff,
		  __print_symbolic(__entry->reason & 0xffff, VMX_EXIT_REASONS),
		  __entry->reason & VMX_EXIT_REASONS_FAILED_VMENTRY ?
		  " (entry failed)" : "",
		  __entry->qualification, __entry->rip)
);

TRACE_EVENT(hvx_io,
	TP_PROTO(struct hvx_vcpu *vcpu, u16 port, u8 size, u8 direction,
		 u32 count),
	TP_ARGS(vcpu, port, size, direction, count),

	TP_STRUCT__entry(
		__field(int, vm)
		__field(u32, vcpu)
		__field(u16, port)
		__field(u8, size)
		__field(u8, direction)
		__field(u32, count)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->port = port;
		__entry->size = size;
		__entry->direction = direction;
		__entry->count = count;
	),

	TP_printk("vm=%d vcpu=%u %s port=%#x size=%u count=%u",
		  __entry->vm, __entry->vcpu,
		  __entry->direction == HVX_IO_OUT ? "out" : "in",
		  __entry->port, __entry->size, __entry->count)
);

TRACE_EVENT(hvx_ring_post,
	TP_PROTO(struct hvx_vcpu *vcpu, u32 index, u32 exit_reason),
	TP_ARGS(vcpu, index, exit_reason),

	TP_STRUCT__entry(
		__field(int, vm)
		__field(u32, vcpu)
		__field(u32, index)
		__field(u32, exit_reason)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->index = index;
		__entry->exit_reason = exit_reason;
	),

	TP_printk("vm=%d vcpu=%u index=%u exit_reason=%u",
		  __entry->vm, __entry->vcpu, __entry->index,
		  __entry->exit_reason)
);

TRACE_EVENT(hvx_inject,
	TP_PROTO(struct hvx_vcpu *vcpu, u8 vector, u32 type, bool has_ec,
		 u32 error_code),
	TP_ARGS(vcpu, vector, type, has_ec, error_code),

	TP_STRUCT__entry(
		__field(int, vm)
		__field(u32, vcpu)
		__field(u8, vector)
		__field(u8, type)
		__field(bool, has_ec)
		__field(u32, error_code)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->vector = vector;
		__entry->type = (type & INTR_INFO_INTR_TYPE_MASK) >> 8;
		__entry->has_ec = has_ec;
		__entry->error_code = error_code;
	),

	TP_printk("vm=%d vcpu=%u vector=%u type=%u error_code=%s%#x",
		  __entry->vm, __entry->vcpu, __entry->vector, __entry->type,
		  __entry->has_ec ? "" : "none ", __entry->error_code)
);

#endif /* HVX_MODULE_TRACE_H */

/* Out of tree: define_trace.h finds this file in the module's folder. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
