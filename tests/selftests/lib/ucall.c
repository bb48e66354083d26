// SPDX-License-Identifier: GPL-2.0
/*
 * ucall: the guest half (filling a struct ucall and leaving through an
 * OUT to UCALL_PORT) and the host half (decoding and reporting it).  The
 * protocol is described in ucall.h.
 */
#include <stdio.h>

#include "hvx_util.h"

/* Guest code: hand @uc to the host; the host resumes after the OUT. */
static inline void ucall_out(struct ucall *uc)
{
	asm volatile("outl %%eax, %w1"
		     : : "a"((uint32_t)(uintptr_t)uc), "Nd"(UCALL_PORT),
		       "D"(uc)
		     : "memory");
}

void ucall(uint64_t cmd, uint64_t arg0, uint64_t arg1)
{
	struct ucall uc = {
		.cmd = cmd,
		.args = { arg0, arg1 },
	};

	ucall_out(&uc);
}

/* Guest code: a host that resumes a failed guest finds it halted. */
static void __noreturn guest_stop(void)
{
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
}

void ucall_assert(uint64_t kind, const char *expr, const char *file,
		  uint64_t line, uint64_t a, uint64_t b)
{
	struct ucall uc = {
		.cmd = UCALL_ABORT,
		.kind = kind,
		.args = { a, b },
		.line = line,
		.file = (uintptr_t)file,
		.expr = (uintptr_t)expr,
	};

	ucall_out(&uc);
	guest_stop();
}

void ucall_exception(uint64_t vector, uint64_t error_code, uint64_t rip,
		     uint64_t cr2)
{
	struct ucall uc = {
		.cmd = UCALL_UNHANDLED,
		.args = { vector, error_code, rip, cr2 },
	};

	ucall_out(&uc);
	guest_stop();
}

uint64_t get_ucall(struct test_vcpu *vcpu, struct ucall *uc)
{
	struct hvx_run *run = vcpu->run;
	struct ucall local;
	struct hvx_regs regs;

	if (!uc)
		uc = &local;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != HVX_EXIT_IO || run->io.port != UCALL_PORT)
		return UCALL_NONE;
	TEST_ASSERT(run->io.direction == HVX_IO_OUT && run->io.size == 4 &&
		    run->io.count == 1,
		    "ucall port: direction %u size %u count %u, want an OUT of 4 bytes",
		    run->io.direction, run->io.size, run->io.count);
	vcpu_regs_get(vcpu, &regs);
	memcpy(uc, addr_gva2hva(vcpu->vm, regs.rdi, sizeof(*uc)),
	       sizeof(*uc));
	return uc->cmd;
}

/* A NUL-terminated string at guest address @gva, or "?". */
static const char *guest_str(struct test_vm *vm, uint64_t gva, char *buf,
			     size_t len)
{
	const char *p;
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		p = __addr_gpa2hva(vm, gva + i, 1);
		if (!p)
			return "?";
		buf[i] = *p;
		if (!*p)
			return buf;
	}
	buf[i] = 0;
	return buf;
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void ucall_report(struct test_vcpu *vcpu, const struct ucall *uc)
{
	unsigned long long a = uc->args[0], b = uc->args[1];
	char file[256], expr[512];
	const char *vname;

	if (uc->cmd == UCALL_UNHANDLED) {
		vname = a < 32 && vector_names[a] ? vector_names[a] : "";
		fprintf(stderr,
			"# vCPU %u: unhandled guest exception %llu %s, error code %#llx, rip %#llx, cr2 %#llx\n",
			vcpu->id, a, vname, b,
			(unsigned long long)uc->args[2],
			(unsigned long long)uc->args[3]);
		return;
	}
	if (uc->cmd != UCALL_ABORT) {
		fprintf(stderr, "# vCPU %u: ucall %llu\n", vcpu->id,
			(unsigned long long)uc->cmd);
		return;
	}
	fprintf(stderr, "# vCPU %u: guest assertion failed at %s:%llu: %s\n",
		vcpu->id, guest_str(vcpu->vm, uc->file, file, sizeof(file)),
		(unsigned long long)uc->line,
		guest_str(vcpu->vm, uc->expr, expr, sizeof(expr)));
	switch (uc->kind) {
	case UCALL_ASSERT_EQ:
		fprintf(stderr, "#   left %#llx (%lld), right %#llx (%lld)\n",
			a, (long long)a, b, (long long)b);
		break;
	case UCALL_ASSERT_NE:
		fprintf(stderr, "#   both %#llx (%lld)\n", a, (long long)a);
		break;
	case UCALL_ASSERT_COND:
		if (a)
			fprintf(stderr, "#   value %#llx (%lld)\n",
				a, (long long)a);
		break;
	}
}

uint64_t vcpu_get_ucall(struct test_vcpu *vcpu, struct ucall *uc)
{
	struct ucall local;
	uint64_t cmd;
	char buf[256];

	if (!uc)
		uc = &local;
	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, uc);
	switch (cmd) {
	case UCALL_SYNC:
	case UCALL_DONE:
		return cmd;
	case UCALL_NONE:
		TEST_FAIL("vCPU %u: want a ucall, got %s", vcpu->id,
			  vcpu_exit_str(vcpu, buf, sizeof(buf)));
	default:
		REPORT_GUEST_ASSERT(vcpu, *uc);
	}
}

void vcpu_expect_sync(struct test_vcpu *vcpu, uint64_t v)
{
	struct ucall uc;
	uint64_t cmd = vcpu_get_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_SYNC && uc.args[0] == v,
		    "vCPU %u: want GUEST_SYNC(%#llx), got ucall %llu (%#llx)",
		    vcpu->id, (unsigned long long)v,
		    (unsigned long long)cmd, (unsigned long long)uc.args[0]);
}

void vcpu_expect_done(struct test_vcpu *vcpu)
{
	struct ucall uc;
	uint64_t cmd = vcpu_get_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_DONE,
		    "vCPU %u: want GUEST_DONE(), got ucall %llu (%#llx)",
		    vcpu->id, (unsigned long long)cmd,
		    (unsigned long long)uc.args[0]);
}
