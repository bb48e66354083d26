/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared I/O ring of a VM and its registered port and MMIO ranges
 * (ring.c; Documentation/rings.rst).
 */
#ifndef HVX_MODULE_RING_H
#define HVX_MODULE_RING_H

#include <linux/types.h>

struct hvx_vm;
struct hvx_vcpu;

/* What the completion of a ring request finishes (vcpu->ring_op). */
enum hvx_ring_op {
	HVX_RING_OP_WRITE,	/* OUT or store: step over */
	HVX_RING_OP_PIO_IN,	/* IN: data into AL/AX/EAX */
	HVX_RING_OP_MMIO_READ,	/* load: data into vcpu->mmio_insn's reg */
};

void hvx_ring_vm_init(struct hvx_vm *vm);
void hvx_ring_vm_free(struct hvx_vm *vm);
long hvx_ring_create(struct hvx_vm *vm, void __user *argp);
long hvx_ring_register(struct hvx_vm *vm, void __user *argp);

int hvx_ring_pio(struct hvx_vcpu *vcpu, u16 port, unsigned int size,
		 bool in, unsigned int insn_len);
int hvx_ring_mmio(struct hvx_vcpu *vcpu, u64 gpa, unsigned int size,
		  bool write, u64 data);
int hvx_ring_resume(struct hvx_vcpu *vcpu);
void hvx_ring_abandon(struct hvx_vcpu *vcpu);
void hvx_ring_sync_point(struct hvx_vm *vm);
void hvx_ring_vcpu_idle(struct hvx_vm *vm);

#endif /* HVX_MODULE_RING_H */
