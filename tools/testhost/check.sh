#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build everything against the test
# host's kernel, run the host-side tests and checkpatch, then boot the QEMU
# (no VT-x) and Bochs (VT-x, 2 CPUs) test hosts and run the suite there.
# Every result is a TAP line under BUILD/check/; the full log is
# BUILD/check.log and its last line is "N passed, N failed, N skipped".
#
# Usage: check.sh BUILD_DIR

set -u

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost
results=$build/check
log=$build/check.log

rm -rf "$results"
mkdir -p "$results"

step() { echo; echo "=== $* ($(date +%T))"; }

finish() {
	step "summary"
	"$th/tap-summary.sh" "$results"/*.tap
	exit $?
}

main() {

step "dependencies"
kver=$("$th/deps.sh" "$build" | sed -n 's/^KVER=//p')
if [ -z "$kver" ]; then
	echo "not ok 0 dependencies installed" >"$results/00-deps.tap"
	finish
fi
echo "test host kernel: $kver"

step "build"
if make -C "$src" --no-print-directory -j"$(nproc)" BUILD="$build" \
	KDIR="/usr/src/linux-headers-$kver" all; then
	echo "ok 0 build (module, userspace, tools, tests)" >"$results/01-build.tap"
else
	echo "not ok 0 build (module, userspace, tools, tests)" \
		>"$results/01-build.tap"
	finish
fi

step "make install (staged)"
stage=$build/install-test
rm -rf "$stage"
if make -C "$src" --no-print-directory BUILD="$build" DESTDIR="$stage" \
	KDIR="/usr/src/linux-headers-$kver" install >"$build/install.log" 2>&1 &&
   [ -n "$(find "$stage/lib/modules/$kver" -name hvx.ko)" ] &&
   [ -x "$stage/usr/local/bin/hvx-run" ] &&
   [ -f "$stage/etc/udev/rules.d/60-hvx.rules" ]; then
	echo "ok 0 make install stages hvx.ko, the programs and the udev rule"
else
	tail -n 20 "$build/install.log" | sed 's/^/# /'
	echo "not ok 0 make install stages hvx.ko, the programs and the udev rule"
fi >"$results/05-install.tap"
cat "$results/05-install.tap"

step "host unit tests"
for t in "$build"/unit/*_test "$src"/tests/unit/*_test.sh; do
	[ -x "$t" ] || continue
	"$t" >"$results/10-unit-${t##*/}.tap" 2>&1
	cat "$results/10-unit-${t##*/}.tap"
done

step "checkpatch"
"$th/checkpatch.sh" "$build" | tee "$results/20-checkpatch.tap"

step "test host initramfs"
initrd=$build/testhost/initrd.gz
mkdir -p "$build/testhost"
if ! "$th/mkinitramfs.sh" "$build" "$kver" "$initrd"; then
	echo "not ok 0 test host initramfs" >"$results/30-initramfs.tap"
	finish
fi

# run_host NAME EMU CPUS TIMEOUT TASK: boot a test host, keep its TAP.
run_host() {
	local name=$1 work=$build/testhost/$1 status tap=$results/$6.tap

	step "$name test host ($2, $3 CPU)"
	"$th/boot.sh" "$2" "$3" "$4" "$5" "$build" "$kver" "$initrd" "$work"
	status=$?
	tr -d '\r' <"$work/serial.log" |
		sed -n '/^HVX-TESTHOST-BEGIN/,/^HVX-DMESG-BEGIN/p' >"$tap"
	cat "$tap"
	case $status in
	124) echo "not ok 0 $name test host finished within $4 s" >>"$tap" ;;
	125) echo "not ok 0 $name test host ran without a kernel panic" >>"$tap" ;;
	*) echo "ok 0 $name test host finished" >>"$tap" ;;
	esac
	"$th/kernel-log-check.sh" "$name" "$work/serial.log" >>"$tap"
	tail -n 1 "$tap"
}

run_host qemu qemu 1 180 novmx 40-qemu
# Linux as a guest runs in a test host of its own, beside the suite's:
# each Bochs keeps one core busy, and the two take about as long.
run_host linux bochs 1 1200 linux_boot 60-linux \
	>"$build/testhost/linux-host.log" 2>&1 &
linux_pid=$!
run_host bochs bochs 2 1200 suite 50-bochs
wait "$linux_pid"
cat "$build/testhost/linux-host.log"

finish
}

# The whole run goes to the terminal and to BUILD/check.log; the summary
# is the log's last line.
main 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
