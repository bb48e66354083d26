// SPDX-License-Identifier: GPL-2.0
/*
 * stats_test: the "hvx" generic netlink family and the tracepoints.
 *
 * Tiny real-mode guests whose exits are known exactly (CPUID, OUT, HLT)
 * must show up with those counts; VM creation and destruction, a triple
 * fault and an internal error must each produce their event; malformed
 * requests get errors; an unprivileged process cannot read another
 * process's VM, nor one whose creator died and left its pid to it; a VM
 * whose vCPU sleeps in a page fault stalls neither the dump nor VM
 * creation; dumps of many rounds list each VM and vCPU once; a VM
 * serial tells apart two VMs of one id; a mapped run page keeps its VM
 * after its fds are closed; the hvx_exit tracepoint records
 * the right reason.
 *
 * "stats_test --hold-vm" is a helper for tests/testhost/hvx_stat.sh: it
 * runs the CPUID guest to its HLT, prints "ready VM_ID" and keeps the VM
 * until it is killed or its stdin closes.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/vmx.h>
#include <linux/netlink.h>
#include <linux/userfaultfd.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "hvx_harness.h"
#include "nlq.h"

#define CODE_GPA	0x1000
#define STACK_TOP	0x8000
#define N_CPUID		5
#define N_OUT		3
#define OUT_PORT	0x80

/*
 * 16-bit real mode at 0:0x1000: xor eax,eax; N_CPUID x cpuid;
 * N_OUT x out 0x80,al; hlt.
 */
static const uint8_t cpuid_out_hlt[] = {
	0x66, 0x31, 0xc0,
	0x0f, 0xa2, 0x0f, 0xa2, 0x0f, 0xa2, 0x0f, 0xa2, 0x0f, 0xa2,
	0xe6, OUT_PORT, 0xe6, OUT_PORT, 0xe6, OUT_PORT,
	0xf4,
};

/* WRMSR of IA32_TSC_DEADLINE (0), which hvx serves interrupts off; HLT */
static const uint8_t wrmsr_deadline_hlt[] = {
	0x66, 0xb9, 0xe0, 0x06, 0x00, 0x00,	/* mov ecx, 0x6e0 */
	0x66, 0x31, 0xc0,			/* xor eax, eax */
	0x66, 0x31, 0xd2,			/* xor edx, edx */
	0x0f, 0x30,				/* wrmsr, at CODE_GPA + 12 */
	0xf4,
};

/* lidt [0x1100] (six zero bytes: limit 0); int3: #BP, #GP, #DF, shutdown */
static const uint8_t triple_fault[] = {
	0x0f, 0x01, 0x1e, 0x00, 0x11,
	0xcc,
	0xf4,
};

/* jmp far 0x9000:0: code fetch outside the 64 KiB of RAM */
static const uint8_t fetch_unbacked[] = {
	0xea, 0x00, 0x00, 0x00, 0x90,
};

/* A bare VM of @ram bytes with @code at CODE_GPA and vCPU 0 on it. */
static struct test_vm *tiny_vm(struct test_vcpu **vcpu, uint64_t ram,
			       const uint8_t *code, size_t len)
{
	struct test_vm *vm = vm_create_bare(ram);

	vm_load_blob(vm, CODE_GPA, code, code + len);
	*vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_setup_real_mode(*vcpu, CODE_GPA, STACK_TOP);
	return vm;
}

/* Run the cpuid_out_hlt guest to its HLT, checking each exit. */
static void run_cpuid_guest(struct test_vcpu *vcpu)
{
	int i;

	for (i = 0; i < N_OUT; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
		TEST_ASSERT(vcpu->run->io.port == OUT_PORT &&
			    vcpu->run->io.direction == HVX_IO_OUT,
			    "I/O exit on port %#x", vcpu->run->io.port);
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HLT);
}

/* A request with just HVX_ATTR_VM_ID (@dump: as a dump); its error. */
static int request_vm(struct nlq *q, uint8_t cmd, bool dump, uint32_t vm)
{
	struct nl_msg *msg = nlq_msg(q, cmd, dump ? NLM_F_DUMP : 0);

	nla_put_u32(msg, HVX_ATTR_VM_ID, vm);
	return nlq_send(q, msg, NULL, NULL);
}

/* ---- The tests ---- */

HVX_TEST(exit_counts_are_exact)
{
	struct stats vcpu_st, vm_st;
	struct stats_list l = {};
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	struct nl_msg *msg;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));

	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(1, info.nr_vcpus);
	EXPECT_EQ(1 * MiB, info.mem_size);
	EXPECT_EQ(HVX_VM_STATE_CREATED, info.state);

	run_cpuid_guest(vcpu);

	ASSERT_EQ(0, get_stats(&q, info.id, 0, &vcpu_st));
	EXPECT_EQ(0, vcpu_st.vcpu);
	EXPECT_EQ(N_CPUID, vcpu_st.reason[EXIT_REASON_CPUID]);
	EXPECT_EQ(N_OUT, vcpu_st.reason[EXIT_REASON_IO_INSTRUCTION]);
	EXPECT_EQ(1, vcpu_st.reason[EXIT_REASON_HLT]);
	EXPECT_GE(vcpu_st.exits, N_CPUID + N_OUT + 1);
	EXPECT_GE(vcpu_st.exits, vcpu_st.reason_sum);
	EXPECT_EQ(N_OUT + 1, vcpu_st.runs);
	EXPECT_LT(0, vcpu_st.guest_ns);
	EXPECT_LT(0, vcpu_st.host_ns);
	/* No exit ring yet: its counters exist and stay 0. */
	EXPECT_EQ(0, vcpu_st.posted);
	EXPECT_EQ(0, vcpu_st.fallback);

	/* The VM's totals: one vCPU, the same counts. */
	ASSERT_EQ(0, get_stats(&q, info.id, -1, &vm_st));
	EXPECT_EQ(-1, vm_st.vcpu);
	EXPECT_EQ(N_CPUID, vm_st.reason[EXIT_REASON_CPUID]);
	EXPECT_EQ(N_OUT, vm_st.reason[EXIT_REASON_IO_INSTRUCTION]);
	EXPECT_EQ(1, vm_st.reason[EXIT_REASON_HLT]);
	EXPECT_EQ(vcpu_st.exits, vm_st.exits);

	/* The per-vCPU dump: one message, vCPU 0, the same counts. */
	msg = nlq_msg(&q, HVX_CMD_GET_STATS, NLM_F_DUMP);
	nla_put_u32(msg, HVX_ATTR_VM_ID, info.id);
	ASSERT_EQ(0, nlq_send(&q, msg, stats_cb, &l));
	ASSERT_EQ(1, l.n);
	EXPECT_EQ(0, l.s[0].vcpu);
	EXPECT_EQ(N_CPUID, l.s[0].reason[EXIT_REASON_CPUID]);

	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(HVX_VM_STATE_STOPPED, info.state);

	vm_free(vm);
	nlq_close(&q);
}

/* Closing a vCPU keeps its counts in the VM's totals. */
/* 16-bit real mode: LOOP with ECX (67 E2 FD) until ECX is 0, then HLT. */
static const uint8_t spin_ecx[] = { 0x67, 0xe2, 0xfd, 0xf4 };

/* Bochs counts TSC ticks as instructions: 1 tick per LOOP iteration. */
HVX_TEST(preemption_timer_slices_a_spinning_guest)
{
	unsigned int shift;
	struct test_vcpu *vcpu;
	struct hvx_regs regs;
	struct vm_info info;
	struct test_vm *vm;
	struct stats st;
	struct nlq q;

	HVX_REQUIRE_VM();
	HVX_REQUIRE_VMX(HVX_VMX_PREEMPTION_TIMER);
	shift = hvx_dev_caps()->preemption_timer_shift;
	HVX_REQUIRE(shift <= 6, "timer too slow to test: shift %u", shift);
	ASSERT_EQ(0, nlq_open(&q));
	vm = tiny_vm(&vcpu, 1 * MiB, spin_ecx, sizeof(spin_ecx));
	vcpu_regs_get(vcpu, &regs);
	/* three time slices' worth of iterations at least */
	regs.rcx = 3ULL << (20 + shift);
	vcpu_regs_set(vcpu, &regs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, regs.rcx & 0xffffffff);

	info = vm_of_pid(&q, getpid());
	ASSERT_EQ(0, get_stats(&q, info.id, 0, &st));
	/* the guest never exits by itself: only the timer interrupts it */
	EXPECT_LE(2, st.reason[EXIT_REASON_PREEMPTION_TIMER]);
	EXPECT_EQ(1, st.reason[EXIT_REASON_HLT]);
	EXPECT_EQ(1, st.runs);
	vm_free(vm);
	nlq_close(&q);
}

HVX_TEST(closed_vcpu_counts_stay)
{
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	struct stats st;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	run_cpuid_guest(vcpu);
	info = vm_of_pid(&q, getpid());
	vm_vcpu_close(vcpu);

	EXPECT_EQ(-ENOENT, get_stats(&q, info.id, 0, &st));
	ASSERT_EQ(0, get_stats(&q, info.id, -1, &st));
	EXPECT_EQ(N_CPUID, st.reason[EXIT_REASON_CPUID]);
	EXPECT_EQ(N_OUT, st.reason[EXIT_REASON_IO_INSTRUCTION]);
	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(0, info.nr_vcpus);
	vm_free(vm);
	nlq_close(&q);
}

HVX_TEST(events_create_shutdown_destroy)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq_event ev;
	uint32_t id;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	ASSERT_EQ(0, nlq_events_join(&q));

	vm = tiny_vm(&vcpu, 1 * MiB, triple_fault, sizeof(triple_fault));
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	EXPECT_EQ(HVX_EVENT_VM_CREATED, ev.event);
	EXPECT_EQ(-1, ev.vcpu);
	id = ev.vm;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	EXPECT_EQ(HVX_EVENT_VCPU_SHUTDOWN, ev.event);
	EXPECT_EQ(id, ev.vm);
	EXPECT_EQ(0, ev.vcpu);

	vm_free(vm);
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	EXPECT_EQ(HVX_EVENT_VM_DESTROYED, ev.event);
	EXPECT_EQ(id, ev.vm);
	nlq_close(&q);
}

/*
 * A vCPU's run page, mapped, holds its VM: with every fd closed the VM
 * stays (listed, no destroy event) until the mapping goes.
 */
HVX_TEST(mapped_run_page_keeps_vm)
{
	int dev, vmfd, vcpufd;
	struct nlq_event ev;
	struct vm_info info;
	struct nlq q;
	void *run;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	ASSERT_EQ(0, nlq_events_join(&q));
	dev = open("/dev/hvx", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	vmfd = ioctl(dev, HVX_CREATE_VM, 0);
	ASSERT_LE(0, vmfd);
	vcpufd = ioctl(vmfd, HVX_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpufd);
	run = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpufd, 0);
	ASSERT_NE(MAP_FAILED, run);
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	ASSERT_EQ(HVX_EVENT_VM_CREATED, ev.event);
	close(vcpufd);
	close(vmfd);
	close(dev);
	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(ev.vm, info.id);
	EXPECT_EQ(1, info.nr_vcpus);
	ASSERT_EQ(0, munmap(run, getpagesize()));
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	EXPECT_EQ(HVX_EVENT_VM_DESTROYED, ev.event);
	EXPECT_EQ(info.id, ev.vm);
	nlq_close(&q);
}

/*
 * A freed VM's id goes to the next VM at once; the serial in every reply
 * and event tells the two apart (hvx-stat joins its requests by both).
 */
HVX_TEST(vm_serial_tells_reused_ids_apart)
{
	struct stats vm_st, vcpu_st;
	struct vm_info a, b;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq_event ev;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	ASSERT_EQ(0, nlq_events_join(&q));

	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	ASSERT_EQ(HVX_EVENT_VM_CREATED, ev.event);
	a = vm_of_pid(&q, getpid());
	EXPECT_NE(0, a.serial);
	EXPECT_EQ(a.serial, ev.serial);
	ASSERT_EQ(0, get_stats(&q, a.id, -1, &vm_st));
	ASSERT_EQ(0, get_stats(&q, a.id, 0, &vcpu_st));
	EXPECT_EQ(a.serial, vm_st.vm_serial);
	EXPECT_EQ(a.serial, vcpu_st.vm_serial);
	vm_free(vm);
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	ASSERT_EQ(HVX_EVENT_VM_DESTROYED, ev.event);
	EXPECT_EQ(a.serial, ev.serial);

	/* The id is free when the event goes out: B takes it. */
	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	b = vm_of_pid(&q, getpid());
	EXPECT_EQ(a.id, b.id);
	EXPECT_LT(a.serial, b.serial);
	EXPECT_EQ(b.serial, ev.serial);
	ASSERT_EQ(0, get_stats(&q, b.id, -1, &vm_st));
	EXPECT_EQ(b.serial, vm_st.vm_serial);
	vm_free(vm);
	nlq_close(&q);
}

/*
 * Dumps longer than one round: each round goes on where the last one
 * stopped, so every VM and every vCPU is in its dump once, in increasing
 * id order.
 */
#define MANY_VMS	50

HVX_TEST(dumps_go_on_across_rounds)
{
	struct stats_list totals = {}, vcpus = {};
	int fds[MANY_VMS], big, i, mine = 0;
	struct vm_info info;
	struct nl_msg *msg;
	struct vm_list l;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	big = hvx_create_vm(hvx_dev_fd());
	ASSERT_LE(0, big);
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		ASSERT_LE(0, ioctl(big, HVX_CREATE_VCPU, i));
	info = vm_of_pid(&q, getpid());
	ASSERT_EQ(HVX_MAX_VCPUS, info.nr_vcpus);
	for (i = 0; i < MANY_VMS; i++) {
		fds[i] = hvx_create_vm(hvx_dev_fd());
		ASSERT_LE(0, fds[i]);
	}

	l.n = 0;
	EXPECT_LT(1, nlq_dump_by_rounds(nlq_msg(&q, HVX_CMD_GET_VM, 0),
				    vm_list_add, &l));
	for (i = 0; i < l.n; i++) {
		if (i)
			EXPECT_LT(l.vm[i - 1].id, l.vm[i].id);
		mine += l.vm[i].pid == (uint32_t)getpid();
	}
	EXPECT_EQ(MANY_VMS + 1, mine);

	/* The totals: one message per VM of that list, in its order. */
	EXPECT_LT(1, nlq_dump_by_rounds(nlq_msg(&q, HVX_CMD_GET_STATS, 0),
				    stats_cb, &totals));
	ASSERT_EQ(l.n, totals.n);
	for (i = 0; i < l.n; i++) {
		EXPECT_EQ(l.vm[i].id, totals.s[i].vm_id);
		EXPECT_EQ(l.vm[i].serial, totals.s[i].vm_serial);
		EXPECT_EQ(-1, totals.s[i].vcpu);
	}

	/* The big VM's vCPUs: 0 to 63, once each. */
	msg = nlq_msg(&q, HVX_CMD_GET_STATS, 0);
	nla_put_u32(msg, HVX_ATTR_VM_ID, info.id);
	EXPECT_LT(1, nlq_dump_by_rounds(msg, stats_cb, &vcpus));
	ASSERT_EQ(HVX_MAX_VCPUS, vcpus.n);
	for (i = 0; i < vcpus.n; i++) {
		EXPECT_EQ(i, vcpus.s[i].vcpu);
		EXPECT_EQ(info.id, vcpus.s[i].vm_id);
		EXPECT_EQ(info.serial, vcpus.s[i].vm_serial);
	}

	for (i = 0; i < MANY_VMS; i++)
		close(fds[i]);
	close(big);
	nlq_close(&q);
}

HVX_TEST(triple_fault_is_counted_and_shown)
{
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	struct stats st;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	vm = tiny_vm(&vcpu, 1 * MiB, triple_fault, sizeof(triple_fault));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(HVX_VM_STATE_SHUTDOWN, info.state);
	ASSERT_EQ(0, get_stats(&q, info.id, 0, &st));
	EXPECT_EQ(1, st.reason[EXIT_REASON_TRIPLE_FAULT]);

	/* the VM stays shut down when its VMM closes the vCPU */
	vm_vcpu_close(vcpu);
	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(0, info.nr_vcpus);
	EXPECT_EQ(HVX_VM_STATE_SHUTDOWN, info.state);
	/* until a new vCPU runs */
	vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_complete_exit(vcpu);
	info = vm_of_pid(&q, getpid());
	EXPECT_EQ(HVX_VM_STATE_STOPPED, info.state);
	vm_free(vm);
	nlq_close(&q);
}

HVX_TEST(internal_error_event)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq_event ev;
	uint32_t id;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	ASSERT_EQ(0, nlq_events_join(&q));
	vm = tiny_vm(&vcpu, 64 * KiB, fetch_unbacked, sizeof(fetch_unbacked));
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	ASSERT_EQ(HVX_EVENT_VM_CREATED, ev.event);
	id = ev.vm;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	EXPECT_EQ(HVX_EVENT_INTERNAL_ERROR, ev.event);
	EXPECT_EQ(id, ev.vm);
	EXPECT_EQ(0, ev.vcpu);
	EXPECT_TRUE(ev.has_data);
	EXPECT_EQ(vcpu->run->internal.suberror, ev.data);
	/* a fetch from no memory: nothing to emulate */
	EXPECT_EQ(HVX_INTERNAL_EMULATION, ev.data);
	vm_free(vm);
	nlq_close(&q);
}

HVX_TEST(fail_entry_event)
{
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;
	struct nlq_event ev;
	uint32_t id;
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	ASSERT_EQ(0, nlq_events_join(&q));
	vm = tiny_vm(&vcpu, 64 * KiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	ASSERT_EQ(HVX_EVENT_VM_CREATED, ev.event);
	id = ev.vm;

	/* TR must be a busy TSS: an available one fails the entry. */
	vcpu_sregs_get(vcpu, &sregs);
	sregs.tr.ar = (sregs.tr.ar & ~HVX_AR_TYPE_MASK) | 0x9;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_FAIL_ENTRY);
	ASSERT_TRUE(nlq_next_event(&q, &ev));
	EXPECT_EQ(HVX_EVENT_FAIL_ENTRY, ev.event);
	EXPECT_EQ(id, ev.vm);
	EXPECT_EQ(0, ev.vcpu);
	EXPECT_TRUE(ev.has_data);
	EXPECT_EQ(vcpu->run->fail_entry.hardware_exit_reason, ev.data);
	/* entry failed, invalid guest state (33) */
	EXPECT_EQ(0x80000021ULL, ev.data);
	vm_free(vm);
	nlq_close(&q);
}

HVX_TEST(malformed_requests_fail)
{
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	struct nl_msg *msg;
	char big[1000] = {};
	struct nlq q;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	info = vm_of_pid(&q, getpid());

	/* Missing HVX_ATTR_VM_ID. */
	EXPECT_EQ(-EINVAL, nlq_send(&q, nlq_msg(&q, HVX_CMD_GET_STATS, 0),
				    NULL, NULL));
	EXPECT_EQ(-EINVAL, nlq_send(&q, nlq_msg(&q, HVX_CMD_GET_VM, 0),
				    NULL, NULL));

	/* HVX_ATTR_VM_ID of 8 bytes, and of 1000. */
	msg = nlq_msg(&q, HVX_CMD_GET_STATS, 0);
	nla_put_u64(msg, HVX_ATTR_VM_ID, info.id);
	EXPECT_EQ(-EINVAL, nlq_send(&q, msg, NULL, NULL));
	msg = nlq_msg(&q, HVX_CMD_GET_VM, 0);
	nla_put(msg, HVX_ATTR_VM_ID, sizeof(big), big);
	EXPECT_EQ(-EINVAL, nlq_send(&q, msg, NULL, NULL));
	/* ... also in a dump */
	msg = nlq_msg(&q, HVX_CMD_GET_STATS, NLM_F_DUMP);
	nla_put(msg, HVX_ATTR_VM_ID, sizeof(big), big);
	EXPECT_EQ(-EINVAL, nlq_send(&q, msg, NULL, NULL));

	/* An attribute type the family does not have, and padding. */
	msg = nlq_msg(&q, HVX_CMD_GET_VM, 0);
	nla_put_u32(msg, HVX_ATTR_VM_ID, info.id);
	nla_put_u32(msg, HVX_ATTR_MAX + 1, 0);
	EXPECT_EQ(-EINVAL, nlq_send(&q, msg, NULL, NULL));
	msg = nlq_msg(&q, HVX_CMD_GET_VM, 0);
	nla_put_u32(msg, HVX_ATTR_VM_ID, info.id);
	nla_put_u32(msg, HVX_ATTR_PAD, 0);
	EXPECT_EQ(-EINVAL, nlq_send(&q, msg, NULL, NULL));

	/* A vCPU id beyond the policy's range; a vCPU that does not exist. */
	msg = nlq_msg(&q, HVX_CMD_GET_STATS, 0);
	nla_put_u32(msg, HVX_ATTR_VM_ID, info.id);
	nla_put_u32(msg, HVX_ATTR_VCPU_ID, HVX_MAX_VCPUS);
	EXPECT_EQ(-ERANGE, nlq_send(&q, msg, NULL, NULL));
	msg = nlq_msg(&q, HVX_CMD_GET_STATS, 0);
	nla_put_u32(msg, HVX_ATTR_VM_ID, info.id);
	nla_put_u32(msg, HVX_ATTR_VCPU_ID, 5);
	EXPECT_EQ(-ENOENT, nlq_send(&q, msg, NULL, NULL));

	/* Unknown VM id, in each command and as a dump filter. */
	EXPECT_EQ(-ENOENT, request_vm(&q, HVX_CMD_GET_VM, false, 0xfffffff0));
	EXPECT_EQ(-ENOENT, request_vm(&q, HVX_CMD_GET_STATS, false,
				      0xfffffff0));
	EXPECT_EQ(-ENOENT, request_vm(&q, HVX_CMD_GET_STATS, true,
				      0xfffffff0));

	/* A command the family does not have; the event "command". */
	EXPECT_EQ(-EOPNOTSUPP, nlq_send(&q, nlq_msg(&q, HVX_CMD_MAX + 1, 0),
					NULL, NULL));
	EXPECT_EQ(-EOPNOTSUPP, nlq_send(&q, nlq_msg(&q, HVX_CMD_EVENT, 0),
					NULL, NULL));

	/* And the family still answers. */
	EXPECT_EQ(0, request_vm(&q, HVX_CMD_GET_VM, false, info.id));
	vm_free(vm);
	nlq_close(&q);
}

/* Results of the unprivileged child, one bit per failed check. */
enum {
	UNPRIV_OPEN		= 1 << 0,
	UNPRIV_OWN_VM		= 1 << 1,
	UNPRIV_OTHER_VM		= 1 << 2,
	UNPRIV_OTHER_STATS	= 1 << 3,
	UNPRIV_OTHER_DUMP	= 1 << 4,
	UNPRIV_LIST		= 1 << 5,
	UNPRIV_EVENTS		= 1 << 6,
	UNPRIV_SETUID		= 1 << 7,
};

/* Child: make a VM, drop to nobody, read its own VM and VM @other. */
static int unprivileged_reader(uint32_t other)
{
	struct vm_info own;
	struct vm_list l;
	int fails = 0, i;
	struct nlq q;

	if (hvx_create_vm(hvx_dev_fd()) < 0)
		return UNPRIV_OWN_VM;
	if (setgid(65534) || setuid(65534))
		return UNPRIV_SETUID;
	if (nlq_open(&q))
		return UNPRIV_OPEN;
	own = vm_of_pid(&q, getpid());
	if (request_vm(&q, HVX_CMD_GET_STATS, false, own.id) ||
	    request_vm(&q, HVX_CMD_GET_VM, false, own.id))
		fails |= UNPRIV_OWN_VM;

	/* The list holds this process's VM only. */
	if (list_vms(&q, &l) || l.n != 1)
		fails |= UNPRIV_LIST;
	for (i = 0; i < l.n; i++)
		if (l.vm[i].pid != (uint32_t)getpid())
			fails |= UNPRIV_LIST;

	if (request_vm(&q, HVX_CMD_GET_VM, false, other) != -EPERM)
		fails |= UNPRIV_OTHER_VM;
	if (request_vm(&q, HVX_CMD_GET_STATS, false, other) != -EPERM)
		fails |= UNPRIV_OTHER_STATS;
	if (request_vm(&q, HVX_CMD_GET_STATS, true, other) != -EPERM)
		fails |= UNPRIV_OTHER_DUMP;
	if (nlq_events_join(&q) != -EPERM)
		fails |= UNPRIV_EVENTS;
	nlq_close(&q);
	return fails;
}

HVX_TEST(unprivileged_reader_is_refused)
{
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	int status, i;
	struct nlq q;
	pid_t child;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(getuid() == 0, "needs root to drop privileges");
	ASSERT_EQ(0, nlq_open(&q));
	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	info = vm_of_pid(&q, getpid());

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(unprivileged_reader(info.id));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		for (i = 0; i < 8; i++)
			if (WEXITSTATUS(status) & (1 << i))
				TH_LOG("check %d failed in the child", i);
	}
	/* Root reads the parent's VM. */
	EXPECT_EQ(0, request_vm(&q, HVX_CMD_GET_STATS, false, info.id));
	vm_free(vm);
	nlq_close(&q);
}

#define TRACEFS "/sys/kernel/tracing"

/* The whole trace buffer, NUL-terminated; free() it. */
static char *read_trace(void)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(TRACEFS "/trace", O_RDONLY);
	ssize_t n;

	TEST_ASSERT(buf && fd >= 0, "cannot read " TRACEFS "/trace");
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			TEST_ASSERT(buf, "realloc");
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* Slot 1, its memory in a userfaultfd range; the guest reads it. */
#define FAR_GPA		(1ULL << 30)

static void guest_read_far(void)
{
	GUEST_SYNC(*(volatile uint64_t *)FAR_GPA);
}

static void *run_vcpu(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

/* In a child: what a monitor and a new VM do; 0 when all of it worked. */
static int list_and_create(void)
{
	struct vm_list l;
	struct nlq q;
	int fd;

	if (nlq_open(&q))
		return 1;
	if (list_vms(&q, &l) ||
	    nlq_send(&q, nlq_msg(&q, HVX_CMD_GET_STATS, NLM_F_DUMP), NULL,
		     NULL))
		return 2;
	nlq_close(&q);
	fd = hvx_create_vm(hvx_dev_fd());
	if (fd < 0)
		return 3;
	close(fd);
	return 0;
}

HVX_TEST(busy_vm_does_not_stall_the_dump)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zero = { .mode = 0 };
	struct test_vcpu *vcpu;
	struct uffd_msg fault;
	struct test_vm *vm;
	struct ucall uc = {};
	int uffd, status, i;
	bool stalled = true;
	struct pollfd pfd;
	pthread_t th;
	void *page;
	pid_t pid;

	HVX_REQUIRE_VM();
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	HVX_REQUIRE(uffd >= 0, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));

	/*
	 * The guest reads memory whose faults nobody answers yet: its
	 * vCPU's thread sleeps in the fault inside HVX_RUN, holding the
	 * vCPU, as it would on a FUSE file that never answers.
	 */
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_far);
	page = vm_mem_add(vm, 1, 0, FAR_GPA, HVX_PAGE_SIZE);
	reg.range.start = (uintptr_t)page;
	reg.range.len = HVX_PAGE_SIZE;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, pthread_create(&th, NULL, run_vcpu, vcpu));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 60000));
	ASSERT_EQ(sizeof(fault), read(uffd, &fault, sizeof(fault)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, fault.event);
	EXPECT_EQ((uintptr_t)page, fault.arg.pagefault.address);

	/* Listing VMs and creating one must not wait for that VM. */
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(list_and_create());
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			stalled = false;
			break;
		}
		usleep(100 * 1000);
	}
	EXPECT_FALSE(stalled)
		TH_LOG("the dump or HVX_CREATE_VM waited 20 s for a busy VM");

	/* Answer the fault: the guest reads the page and reports it. */
	zero.range.start = (uintptr_t)page;
	zero.range.len = HVX_PAGE_SIZE;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[0]);
	if (stalled)
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	vm_free(vm);
	close(uffd);
}

enum reuse_check {
	REUSE_NOT_C		= 1 << 0,	/* got another pid: retry */
	REUSE_SETUID		= 1 << 1,
	REUSE_OPEN		= 1 << 2,
	REUSE_GET_VM		= 1 << 3,
	REUSE_GET_STATS		= 1 << 4,
	REUSE_LIST		= 1 << 5,
};

/* Child with (we hope) the dead creator's pid @creator, as nobody. */
static int pid_reuser(pid_t creator, uint32_t vm_id)
{
	struct vm_list l;
	int fails = 0, i;
	struct nlq q;

	if (getpid() != creator)
		return REUSE_NOT_C;
	if (setgid(65534) || setuid(65534))
		return REUSE_SETUID;
	if (nlq_open(&q))
		return REUSE_OPEN;
	if (request_vm(&q, HVX_CMD_GET_VM, false, vm_id) != -EPERM)
		fails |= REUSE_GET_VM;
	if (request_vm(&q, HVX_CMD_GET_STATS, true, vm_id) != -EPERM)
		fails |= REUSE_GET_STATS;
	if (list_vms(&q, &l))
		fails |= REUSE_LIST;
	for (i = 0; i < l.n; i++)
		if (l.vm[i].id == vm_id)
			fails |= REUSE_LIST;
	nlq_close(&q);
	return fails;
}

/* Set the pid the next fork() gets, if nothing forks in between. */
static bool next_pid(pid_t pid)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", pid - 1);
	return hvx_write_file("/proc/sys/kernel/ns_last_pid", buf);
}

HVX_TEST(reused_pid_does_not_own_the_vm)
{
	int hold[2], status, tries, i;
	pid_t creator, holder, reuser;
	struct vm_info info;
	struct nlq q;
	char c;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(getuid() == 0, "needs root to set ns_last_pid");
	ASSERT_EQ(0, nlq_open(&q));
	ASSERT_EQ(0, pipe(hold));

	/*
	 * The creator makes a VM, leaves its fd to a child that keeps it
	 * until @hold closes, and exits: the VM outlives its creator.
	 */
	fflush(stdout);
	creator = fork();
	ASSERT_LE(0, creator);
	if (!creator) {
		close(hold[1]);
		if (hvx_create_vm(hvx_dev_fd()) < 0)
			_exit(1);
		holder = fork();
		if (holder < 0)
			_exit(2);
		if (!holder) {
			while (read(hold[0], &c, 1) > 0)
				;
			_exit(0);
		}
		_exit(0);
	}
	close(hold[0]);
	ASSERT_EQ(creator, waitpid(creator, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	info = vm_of_pid(&q, creator);
	/* The number stays what it was, for display. */
	EXPECT_EQ((uint32_t)creator, info.pid);

	/* A new process with the creator's number is not its creator. */
	for (tries = 0; tries < 5; tries++) {
		ASSERT_TRUE(next_pid(creator));
		reuser = fork();
		ASSERT_LE(0, reuser);
		if (!reuser) {
			close(hold[1]);
			_exit(pid_reuser(creator, info.id));
		}
		ASSERT_EQ(reuser, waitpid(reuser, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		if (WEXITSTATUS(status) != REUSE_NOT_C)
			break;
	}
	ASSERT_LT(tries, 5) TH_LOG("pid %d never came round again", creator);
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		for (i = 1; i < 6; i++)
			if (WEXITSTATUS(status) & (1 << i))
				TH_LOG("check %d failed in the child", i);
	}
	close(hold[1]);
	nlq_close(&q);
}

HVX_TEST(exit_tracepoint_records_reason)
{
	static const char * const events[] = { "hvx_exit", "hvx_io",
					       "hvx_entry" };
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	char path[128], *trace;
	unsigned int i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(!access(TRACEFS "/events/hvx/hvx_exit/enable", W_OK),
		    "no " TRACEFS "/events/hvx/hvx_exit");
	ASSERT_TRUE(hvx_write_file(TRACEFS "/trace", ""));
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/hvx/%s/enable",
			 events[i]);
		ASSERT_TRUE(hvx_setting_set(path, "1"));
	}
	ASSERT_TRUE(hvx_setting_set(TRACEFS "/tracing_on", "1"));

	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	run_cpuid_guest(vcpu);
	vm_free(vm);
	/* the WRMSR hvx serves with interrupts off: before it is served */
	vm = tiny_vm(&vcpu, 1 * MiB, wrmsr_deadline_hlt,
		     sizeof(wrmsr_deadline_hlt));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_HLT);

	/* the events go off again at teardown, tracing_on as it was */
	trace = read_trace();
	EXPECT_NE(NULL, strstr(trace, "hvx_exit: vm="));
	EXPECT_NE(NULL, strstr(trace, "reason=10 CPUID"));
	EXPECT_NE(NULL, strstr(trace, "reason=30 IO_INSTRUCTION"));
	EXPECT_NE(NULL, strstr(trace, "reason=12 HLT"));
	EXPECT_NE(NULL, strstr(trace, "out port=0x80 size=1 count=1"));
	EXPECT_NE(NULL, strstr(trace, "hvx_entry: vm="));
	/* at the WRMSR (0x100c), not past it */
	EXPECT_NE(NULL, strstr(trace, "reason=32 MSR_WRITE qual=0x0 rip=0x100c"));
	if (!strstr(trace, "reason=10 CPUID"))
		TH_LOG("trace:\n%.2000s", trace);
	free(trace);
	hvx_write_file(TRACEFS "/trace", "");
	vm_free(vm);
}

/* --hold-vm: the helper of tests/testhost/hvx_stat.sh. */
static int hold_vm(void)
{
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	struct nlq q;
	char c;

	if (nlq_open(&q)) {
		fprintf(stderr, "hvx family missing\n");
		return 1;
	}
	vm = tiny_vm(&vcpu, 1 * MiB, cpuid_out_hlt, sizeof(cpuid_out_hlt));
	run_cpuid_guest(vcpu);
	info = vm_of_pid(&q, getpid());
	nlq_close(&q);
	printf("ready %u\n", info.id);
	fflush(stdout);
	/* Until stdin ends or a signal ends the process. */
	while (read(0, &c, 1) > 0)
		;
	vm_free(vm);
	return 0;
}

static void __attribute__((constructor)) stats_test_order(void)
{
	/* As TEST_HARNESS_MAIN: tests run in the order of this file. */
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--hold-vm"))
		return hold_vm();
	return test_harness_run(argc, argv);
}
