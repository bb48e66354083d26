#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the whole suite in debug test hosts, a kernel with
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak and DEBUG_LIST
# (tools/testhost/debug.config, built once by debug-kernel.sh and cached).
# Builds the programs and the tests, hvx.ko against the debug kernel's tree,
# boots that kernel in Bochs (2 CPUs, 2 GiB: with less its boot runs out of
# memory) once per part of the suite, one host per core at a time, and runs
# tools/testhost/tasks/debug.sh in each: suite.sh with that part's tests,
# then a kmemleak scan with hvx.ko unloaded.  Any KASAN report, lockdep splat,
# sleeping-in-atomic warning, kmemleak suspect, BUG, WARNING or oops is a
# failed TAP line.  Every result is a TAP line under BUILD/check-debug/; the
# full log is BUILD/check-debug.log and its last line is "N passed, N
# failed" (after "N skipped").
#
# Usage: check-debug.sh BUILD_DIR
#
# CHECK_DEBUG_TIMEOUT: seconds each test host may run (5400).
# CHECK_DEBUG_PARTS: the suite's parts, one test host each, as hvxtests=
# lists separated by spaces (debug_parts below).  CHECK_DEBUG_JOBS: test
# hosts at once (one per core).

set -u

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost
results=$build/check-debug
log=$build/check-debug.log
timeout=${CHECK_DEBUG_TIMEOUT:-5400}
# Each debug test host keeps one core busy.
jobs=${CHECK_DEBUG_JOBS:-$(nproc)}

rm -rf "$results"
mkdir -p "$results"

step() { echo; echo "=== $* ($(date +%T))"; }

finish() {
	step "summary"
	"$th/tap-summary.sh" "$results"/*.tap
	exit $?
}

# tap FILE DESCRIPTION COMMAND...: one TAP line in FILE, whether COMMAND
# succeeded; its output's tail as comments when it did not.
tap() {
	local file=$results/$1.tap what=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		echo "ok 0 $what"
	else
		echo "$out" | tail -n 30 | sed 's/^/# /'
		echo "not ok 0 $what"
	fi >"$file"
	cat "$file"
	grep -q '^ok' "$file"
}

build_kmod() {
	rm -rf "$kmod"
	make -C "$src" --no-print-directory DKMS_DEST="$kmod" dkms-src &&
	make -C "$tree" M="$kmod" modules &&
	[ "$(modinfo -F vermagic "$kmod/module/hvx.ko" | cut -d' ' -f1)" = "$rel" ]
}

# The suite in parts, one debug test host each (hvxtests= lists, as in
# suite.sh): a whole suite in one host ran past 85 minutes, and kmemleak's
# scan at the end of a host takes many minutes more.  Emulated seconds
# measured in the debug kernel: the first part about 165 (host_test 39,
# irqfd_test 32, the enable_apicv=1 pass of the APIC tests 48), the second
# about 140 (random_guest_test 41, hvx_run.sh about 40); a selftest named
# in no part runs in the second.  module_test runs in each (suite.sh runs
# it first).
debug_parts() {
	local a b t named

	a=apic_test,apicv_test,delivery_test,dev_test,dirty_log_test
	a=$a,dirty_switch_test,eoi_test,exception_test,fd_test,host_test,irq_test
	a=$a,irqfd_test,isolation_test,kill_test,mp_test
	b=mem_test,mm_test,mmio_straddle_test,mmio_string_test,modes_test
	b=$b,random_guest_test,ring_request_test,ring_test,run_test,smp_test
	b=$b,snapshot_test
	b=$b,state_test
	b=$b,stats_test,stress_regress_test,vm_test
	named=",$a,$b,"
	for t in "$src"/tests/selftests/*_test.c; do
		t=$(basename "$t" .c)
		case $named in
		*",$t,"*) ;;
		*) [ "$t" = module_test ] || b=$b,$t ;;
		esac
	done
	echo "${CHECK_DEBUG_PARTS:-$a $b,hvx_run,hvx_stat}"
}

# debug_host N TESTS INITRD: one debug test host running the tests TESTS
# (a hvxtests= list); its TAP lines in RESULTS/50-bochs-debug-N.tap, its
# kernel log's verdict in RESULTS/60-debug-log-N.tap.
debug_host() {
	local n=$1 part=$2 initrd=$3 work=$build/testhost/debug-$1
	local tap=$results/50-bochs-debug-$1.tap status

	HVX_APPEND="${HVX_APPEND:-} hvxtests=$part" HVX_TESTHOST_MEGS=2048 \
		"$th/boot.sh" bochs 2 "$timeout" debug "$build" "$rel" \
		"$initrd" "$work"
	status=$?
	"$th/serial-tap.sh" "$work/serial.log" >"$tap"
	echo "# debug test host $n: $part" >>"$tap"
	"$th/host-status.sh" "debug $n" "$status" "$timeout" "$work" >>"$tap"
	{
		"$th/kernel-log-check.sh" "debug-$n" "$work/serial.log"
		"$th/debug-log-check.sh" "debug-$n" "$work/serial.log"
	} >"$results/60-debug-log-$n.tap"
	echo "=== debug test host $n: $part"
	cat "$tap" "$results/60-debug-log-$n.tap"
}

main() {

step "dependencies"
kver=$("$th/deps.sh" "$build" | sed -n 's/^KVER=//p')
[ -n "$kver" ] || { echo "not ok 0 dependencies" >"$results/00-deps.tap"; finish; }

step "debug kernel (built once, then cached)"
dk=$("$th/debug-kernel.sh" "$build" "$kver" | tail -n 1)
read -r _ rel tree <<<"$dk"
if [ -z "${tree:-}" ]; then
	echo "not ok 0 debug kernel built from linux-source-6.1" \
		>"$results/00-debug-kernel.tap"
	finish
fi
echo "debug kernel $rel, build tree $tree"

step "build"
tap 01-build "build (userspace, tools, tests)" \
	make -C "$src" --no-print-directory -j"$(nproc)" BUILD="$build" \
	userspace tools tests || finish
kmod=$build/kmod/$rel
tap 02-kmod "hvx.ko builds against $rel" build_kmod || finish

step "test host initramfs ($rel)"
initrd=$build/testhost/initrd-debug.img
mkdir -p "$build/testhost"
# hvx-run's Linux guest stays the cloud kernel: a KASAN guest in Bochs
# would take most of the time.
tap 03-initramfs "debug test host initramfs" env HVX_GUEST_KVER="$kver" \
	"$th/mkinitramfs.sh" "$build" "$rel" "$initrd" \
	"$kmod/module/hvx.ko" || finish

step "debug test hosts (bochs, 2 CPU, 2048 MiB, $rel)"
# shellcheck source=tools/testhost/host-jobs.sh
. "$th/host-jobs.sh"
stop_hosts_on_signal
local part n=0 running=0
for part in $(debug_parts); do
	n=$((n + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "$(date +%T) debug test host $n: $part"
	debug_host "$n" "$part" "$initrd" >"$build/testhost/debug-$n.log" 2>&1 &
	running=$((running + 1))
done
wait
for part in $(seq 1 "$n"); do
	cat "$build/testhost/debug-$part.log"
done

finish
}

# The whole run goes to the terminal and to BUILD/check-debug.log; the
# summary is the log's last line.
main 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
