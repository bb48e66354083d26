// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-stat: what hvx.ko reports about its VMs, over the "hvx" generic
 * netlink family.
 *
 *   hvx-stat            one line per VM
 *   hvx-stat -v VM      that VM's exits per vCPU, by VMX exit reason
 *   hvx-stat -w         follow the events group, one line per event
 *   -j, --json          the same as JSON (-w: one object per line)
 *
 * A process sees its own VMs; root (CAP_NET_ADMIN) sees every VM and may
 * follow events.  Exit status 1 when the module is not loaded or the
 * request fails, 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvx_stat.h"

static bool json;

static const char *state_name(uint32_t state)
{
	static const char * const names[] = {
		[HVX_VM_STATE_CREATED]	= "created",
		[HVX_VM_STATE_RUNNING]	= "running",
		[HVX_VM_STATE_STOPPED]	= "stopped",
		[HVX_VM_STATE_SHUTDOWN]	= "shutdown",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ?
	       names[state] : "unknown";
}

static const char *event_name(uint32_t event)
{
	static const char * const names[] = {
		[HVX_EVENT_VM_CREATED]		= "vm_created",
		[HVX_EVENT_VM_DESTROYED]	= "vm_destroyed",
		[HVX_EVENT_VCPU_SHUTDOWN]	= "vcpu_shutdown",
		[HVX_EVENT_FAIL_ENTRY]		= "fail_entry",
		[HVX_EVENT_INTERNAL_ERROR]	= "internal_error",
	};

	return event < sizeof(names) / sizeof(names[0]) && names[event] ?
	       names[event] : "unknown";
}

/* "CPUID", or "REASON_77" for a number <asm/vmx.h> does not name. */
static const char *reason_name(uint32_t reason, char *buf, size_t len)
{
	const char *name = hs_exit_reason_name(reason);

	if (name)
		return name;
	snprintf(buf, len, "REASON_%" PRIu32, reason);
	return buf;
}

static void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char * const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < sizeof(units) / sizeof(units[0]) - 1) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f%s", v, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "B", bytes);
}

static void json_vm(const struct hs_vm *vm)
{
	printf("{\"id\":%" PRIu32 ",\"serial\":%" PRIu64 ",\"pid\":%" PRIu32
	       ",\"vcpus\":%" PRIu32 ",\"mem_size\":%" PRIu64
	       ",\"mapped_4k\":%" PRIu64 ",\"mapped_2m\":%" PRIu64
	       ",\"mapped_1g\":%" PRIu64 ",\"ept_splits\":%" PRIu64
	       ",\"state\":\"%s\"", vm->id, vm->serial, vm->pid,
	       vm->nr_vcpus, vm->mem_size, vm->mapped[0], vm->mapped[1],
	       vm->mapped[2], vm->splits, state_name(vm->state));
}

static void json_stats(const struct hs_stats *st)
{
	char buf[32];
	bool first = true;
	int r;

	printf("\"exits\":%" PRIu64 ",\"runs\":%" PRIu64
	       ",\"guest_ns\":%" PRIu64 ",\"host_ns\":%" PRIu64
	       ",\"ring_posted\":%" PRIu64 ",\"ring_fallback\":%" PRIu64
	       ",\"l1d_flushes\":%" PRIu64 ",\"irqs\":%" PRIu64
	       ",\"nmis\":%" PRIu64 ",\"halts\":%" PRIu64
	       ",\"halt_poll_ok\":%" PRIu64 ",\"halt_poll_fail\":%" PRIu64
	       ",\"timer_vmx\":%" PRIu64 ",\"exit_reasons\":[",
	       st->exits, st->runs, st->guest_ns, st->host_ns,
	       st->ring_posted, st->ring_fallback, st->l1d_flushes,
	       st->irqs, st->nmis, st->halts, st->poll_ok, st->poll_fail,
	       st->timer_vmx);
	for (r = 0; r < HS_EXIT_REASONS; r++) {
		if (!st->reasons[r])
			continue;
		printf("%s{\"reason\":%d,\"name\":\"%s\",\"count\":%" PRIu64 "}",
		       first ? "" : ",", r, reason_name(r, buf, sizeof(buf)),
		       st->reasons[r]);
		first = false;
	}
	printf("]");
}

/* hvx-stat: one line per VM. */
static int list_vms(struct hs_conn *c)
{
	struct hs_stats *st = NULL;
	struct hs_vm *vms;
	size_t n, nst = 0, i, j;
	char mem[32];
	int err;

	err = hs_list_vms(c, &vms, &n);
	if (err)
		return err;
	/*
	 * The totals too.  A VM created in between has none; one that
	 * replaced a listed VM under its id has another serial, and is not
	 * taken for it.
	 */
	if (hs_dump_stats(c, -1, &st, &nst))
		nst = 0;

	if (json)
		printf("{\"vms\":[");
	else
		printf("%6s %8s %5s %11s %-9s %12s %12s %12s\n", "VM", "PID",
		       "VCPUS", "MEMORY", "STATE", "EXITS", "GUEST_MS",
		       "HOST_MS");
	for (i = 0; i < n; i++) {
		const struct hs_stats *s = NULL;

		for (j = 0; j < nst; j++)
			if (st[j].vm_id == vms[i].id &&
			    st[j].vm_serial == vms[i].serial)
				s = &st[j];
		if (json) {
			printf("%s", i ? "," : "");
			json_vm(&vms[i]);
			if (s) {
				printf(",");
				json_stats(s);
			}
			printf("}");
			continue;
		}
		format_size(vms[i].mem_size, mem, sizeof(mem));
		printf("%6" PRIu32 " %8" PRIu32 " %5" PRIu32 " %11s %-9s",
		       vms[i].id, vms[i].pid, vms[i].nr_vcpus, mem,
		       state_name(vms[i].state));
		if (s)
			printf(" %12" PRIu64 " %12.3f %12.3f\n", s->exits,
			       s->guest_ns / 1e6, s->host_ns / 1e6);
		else
			printf(" %12s %12s %12s\n", "-", "-", "-");
	}
	if (json)
		printf("]}\n");
	else if (!n)
		/*
		 * The module decides by CAP_NET_ADMIN in the initial user
		 * namespace, which the uid does not tell (a container's
		 * root, file capabilities): the hint goes with every
		 * empty list.
		 */
		printf("(no VMs visible: another process's VMs need"
		       " CAP_NET_ADMIN)\n");
	free(vms);
	free(st);
	return 0;
}

static void print_stats_text(const char *what, const struct hs_stats *st)
{
	char buf[32];
	int r;

	printf("%s: %" PRIu64 " exits, %" PRIu64 " runs, guest %.3f ms, "
	       "host %.3f ms, ring %" PRIu64 " posted / %" PRIu64
	       " fallback, %" PRIu64 " L1D flushes\n", what, st->exits,
	       st->runs, st->guest_ns / 1e6, st->host_ns / 1e6,
	       st->ring_posted, st->ring_fallback, st->l1d_flushes);
	printf("    interrupts %" PRIu64 ", NMIs %" PRIu64 ", halts %" PRIu64
	       " (polls: %" PRIu64 " ended the halt, %" PRIu64 " slept), "
	       "APIC timer ticks on the VMX timer %" PRIu64 "\n",
	       st->irqs, st->nmis, st->halts, st->poll_ok, st->poll_fail,
	       st->timer_vmx);
	for (r = 0; r < HS_EXIT_REASONS; r++)
		if (st->reasons[r])
			printf("    %-24s %4d %12" PRIu64 "\n",
			       reason_name(r, buf, sizeof(buf)), r,
			       st->reasons[r]);
}

/* Whether the totals and every vCPU's counters are VM @vm's. */
static bool same_vm(const struct hs_vm *vm, const struct hs_stats *total,
		    const struct hs_stats *st, size_t n)
{
	size_t i;

	if (total->vm_serial != vm->serial)
		return false;
	for (i = 0; i < n; i++)
		if (st[i].vm_serial != vm->serial)
			return false;
	return true;
}

/*
 * VM @id, its totals and its vCPUs' counters, all of one VM: three
 * requests, between which the VM may go and another take its id (read
 * again, a few times, as long as VMs come and go that fast).
 */
static int read_vm(struct hs_conn *c, uint32_t id, struct hs_vm *vm,
		   struct hs_stats *total, struct hs_stats **st, size_t *n)
{
	int err, tries;

	for (tries = 0; tries < 5; tries++) {
		err = hs_get_vm(c, id, vm);
		if (!err)
			err = hs_get_stats(c, id, -1, total);
		if (!err)
			err = hs_dump_stats(c, id, st, n);
		if (err)
			return err;
		if (same_vm(vm, total, *st, *n))
			return 0;
		free(*st);
	}
	return -EAGAIN;
}

/* hvx-stat -v VM: the VM, its totals and each vCPU's exits. */
static int show_vm(struct hs_conn *c, uint32_t id)
{
	struct hs_stats total, *st;
	char mem[32], what[32];
	struct hs_vm vm;
	size_t n, i;
	int err;

	err = read_vm(c, id, &vm, &total, &st, &n);
	if (err)
		return err;

	if (json) {
		printf("{\"vm\":");
		json_vm(&vm);
		printf("},\"total\":{");
		json_stats(&total);
		printf("},\"vcpus\":[");
		for (i = 0; i < n; i++) {
			printf("%s{\"id\":%" PRId32 ",", i ? "," : "",
			       st[i].vcpu_id);
			json_stats(&st[i]);
			printf("}");
		}
		printf("]}\n");
	} else {
		format_size(vm.mem_size, mem, sizeof(mem));
		printf("VM %" PRIu32 ": pid %" PRIu32 ", %" PRIu32
		       " vCPU(s), %s, %s\n", vm.id, vm.pid, vm.nr_vcpus, mem,
		       state_name(vm.state));
		printf("  EPT pages mapped: %" PRIu64 " x 4K, %" PRIu64
		       " x 2M, %" PRIu64 " x 1G; %" PRIu64 " split\n",
		       vm.mapped[0], vm.mapped[1], vm.mapped[2], vm.splits);
		for (i = 0; i < n; i++) {
			snprintf(what, sizeof(what), "  vCPU %" PRId32,
				 st[i].vcpu_id);
			print_stats_text(what, &st[i]);
		}
		print_stats_text("  all vCPUs", &total);
	}
	free(st);
	return 0;
}

static void print_event(const struct hs_event *ev, void *arg)
{
	if (json) {
		printf("{\"event\":\"%s\",\"vm\":%" PRIu32
		       ",\"vm_serial\":%" PRIu64 ",\"pid\":%" PRIu32,
		       event_name(ev->event), ev->vm_id, ev->vm_serial,
		       ev->pid);
		if (ev->vcpu_id >= 0)
			printf(",\"vcpu\":%" PRId32, ev->vcpu_id);
		if (ev->has_data)
			printf(",\"data\":%" PRIu64, ev->data);
		printf("}\n");
	} else {
		printf("%s vm=%" PRIu32 " pid=%" PRIu32, event_name(ev->event),
		       ev->vm_id, ev->pid);
		if (ev->vcpu_id >= 0)
			printf(" vcpu=%" PRId32, ev->vcpu_id);
		if (ev->has_data)
			printf(" data=%#" PRIx64, ev->data);
		printf("\n");
	}
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvx-stat [-j|--json]         list VMs\n"
		"       hvx-stat [-j|--json] -v VM   exits of VM per vCPU\n"
		"       hvx-stat [-j|--json] -w      follow VM events\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm",		required_argument,	NULL, 'v' },
		{ "watch",	no_argument,		NULL, 'w' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool watch = false;
	long vm_id = -1;
	struct hs_conn c;
	char *end;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "v:wjh", opts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			errno = 0;
			vm_id = strtol(optarg, &end, 0);
			if (errno || *end || vm_id < 0 || vm_id > UINT32_MAX) {
				fprintf(stderr, "hvx-stat: bad VM id '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'w':
			watch = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (watch && vm_id >= 0)) {
		usage(stderr);
		return 2;
	}

	err = hs_open(&c);
	if (err) {
		fprintf(stderr, "hvx-stat: %s\n", hs_strerror(err));
		return 1;
	}
	if (watch)
		err = hs_watch(&c, print_event, NULL);
	else if (vm_id >= 0)
		err = show_vm(&c, vm_id);
	else
		err = list_vms(&c);
	if (err == -ENOENT && vm_id >= 0)
		fprintf(stderr, "hvx-stat: no VM %ld\n", vm_id);
	else if (err == -EPERM)
		fprintf(stderr, "hvx-stat: %s needs CAP_NET_ADMIN\n",
			watch ? "following events" :
				"reading another process's VM");
	else if (err)
		fprintf(stderr, "hvx-stat: %s\n", hs_strerror(err));
	hs_close(&c);
	/* a full disk or a closed pipe is a failed request too */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "hvx-stat: writing the output failed\n");
		return 1;
	}
	return err ? 1 : 0;
}
