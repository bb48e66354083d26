#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the whole suite in the debug test host, a kernel with
# KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak and DEBUG_LIST
# (tools/testhost/debug.config, built once by debug-kernel.sh and cached).
# Builds the programs and the tests, hvx.ko against the debug kernel's tree,
# boots that kernel in Bochs (2 CPUs, 2 GiB: with less its boot runs out of
# memory) and runs tools/testhost/tasks/debug.sh there: suite.sh, then a
# kmemleak scan with hvx.ko unloaded.  Any KASAN report, lockdep splat,
# sleeping-in-atomic warning, kmemleak suspect, BUG, WARNING or oops is a
# failed TAP line.  Every result is a TAP line under BUILD/check-debug/; the
# full log is BUILD/check-debug.log and its last line is "N passed, N
# failed, N skipped".
#
# Usage: check-debug.sh BUILD_DIR
#
# CHECK_DEBUG_TIMEOUT: seconds the test host may run (5400).

set -u

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost
results=$build/check-debug
log=$build/check-debug.log
work=$build/testhost/debug
timeout=${CHECK_DEBUG_TIMEOUT:-5400}

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
initrd=$build/testhost/initrd-debug.gz
mkdir -p "$build/testhost"
# hvx-run's Linux guest stays the cloud kernel: a KASAN guest in Bochs
# would take most of the time.
tap 03-initramfs "debug test host initramfs" env HVX_GUEST_KVER="$kver" \
	"$th/mkinitramfs.sh" "$build" "$rel" "$initrd" \
	"$kmod/module/hvx.ko" || finish

step "debug test host (bochs, 2 CPU, 2048 MiB, $rel)"
local tap=$results/50-bochs-debug.tap status
HVX_TESTHOST_MEGS=2048 "$th/boot.sh" bochs 2 "$timeout" debug "$build" \
	"$rel" "$initrd" "$work"
status=$?
tr -d '\r' <"$work/serial.log" |
	sed -n '/^HVX-TESTHOST-BEGIN/,/^HVX-DMESG-BEGIN/p' >"$tap"
cat "$tap"
case $status in
124) echo "not ok 0 debug test host finished within $timeout s" ;;
125) echo "not ok 0 debug test host ran without a kernel panic" ;;
*) echo "ok 0 debug test host finished" ;;
esac >>"$tap"
{
	"$th/kernel-log-check.sh" debug "$work/serial.log"
	"$th/debug-log-check.sh" debug "$work/serial.log"
} >"$results/60-debug-log.tap"
cat "$results/60-debug-log.tap"

finish
}

# The whole run goes to the terminal and to BUILD/check-debug.log; the
# summary is the log's last line.
main 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
