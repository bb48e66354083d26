#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build everything, boot the emulated VT-x test host (Bochs,
# two CPUs: one for the vCPU, one for a device thread) and run the
# exit-path benchmarks there
# (tools/testhost/tasks/bench.sh): the same guest under hvx, then, with
# hvx.ko unloaded, under Linux KVM.  Prints the table of emulated TSC
# cycles per operation, hvx beside KVM, and the PASS/MISS of each target.
# Documentation/bench.rst explains the cases and the numbers.
#
# Usage: bench.sh BUILD_DIR
#
# HVX_BENCH_CASES=exit,touch,linux,disk (the default) picks the parts:
# "exit" the exit-path cases, "touch" the first touch of a guest's memory,
# "linux" the Linux boot case, "disk" a Linux guest's virtio disk reads
# beside the test host's own.  HVX_BENCH_ONLY=CASE,... runs only these
# cases of the "exit" and "touch" parts (all by default).  The test host
# gets HVX_BENCH_MEGS MiB of RAM (1024): first_touch fills a 256 MiB
# slot, with THP in 2 MiB blocks.  HVX_BENCH_TIMEOUT bounds the test
# host's run, in seconds (2400).
#
# Exit status: 0 when the benchmarks ran on both hypervisors (MISS targets
# do not fail it), 1 when they could not run.  The serial log stays in
# BUILD_DIR/testhost/bench/serial.log.

set -u

build=$(cd "${1:?usage: bench.sh BUILD_DIR}" && pwd) || exit 1
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost
work=$build/testhost/bench
initrd=$build/testhost/bench-initrd.img

say() { echo "bench: $*" >&2; }

# The ring-served cases need a CPU for the device thread besides the
# vCPU's, as a VMM would give it; Documentation/bench.rst.
cpus=2

kver=$("$th/prepare.sh" bench "$build") || exit 1

say "booting the test host in Bochs, $cpus CPUs (about 4 minutes)"
start=$(date +%s)
HVX_APPEND="${HVX_APPEND:-} hvxbenchcases=${HVX_BENCH_CASES:-exit,touch,linux,disk}\
${HVX_BENCH_ONLY:+ hvxbenchonly=$HVX_BENCH_ONLY}" \
HVX_TESTHOST_MEGS=${HVX_BENCH_MEGS:-1024} \
"$th/boot.sh" bochs "$cpus" "${HVX_BENCH_TIMEOUT:-2400}" bench "$build" "$kver" "$initrd" "$work"
boot=$?
log=$work/serial.log

# section BEGIN END: the lines between two markers of the serial log
section() {
	tr -d '\r' <"$log" | sed -n "/^$1\$/,/^$2/p" | sed '1d;$d'
}

status=$(tr -d '\r' <"$log" 2>/dev/null |
	 sed -n 's/^HVX-BENCH-END status=\([0-9]*\)$/\1/p' | head -n 1)
if [ -z "$status" ]; then
	say "the benchmarks did not finish (boot status $boot); serial log: $log"
	tail -n 20 "$log" >&2
	exit 1
fi

cpu=$(tr -d '\r' <"$log" | sed -n 's/^HVX-BENCH-CPU //p' | head -n 1)
echo "=== hvx vs Linux KVM $kver, Bochs $(dpkg-query -W -f='${Version}' \
	bochs 2>/dev/null), emulated $cpu, $cpus CPUs"
echo "=== cycles: guest RDTSC deltas per operation (in Bochs: emulated" \
	"instructions)"
echo
section HVX-BENCH-TABLE-BEGIN HVX-BENCH-TABLE-END
echo
tr -d '\r' <"$log" | grep -E '^HVX-BENCH-(HVX|KVM|LINUX|TOUCH|MEM|DISK|ERROR)' |
	sed 's/^HVX-BENCH-/run: /'
if grep -q '^HVX-BENCH-STDERR-BEGIN' "$log"; then
	echo "=== messages of the bench program"
	section HVX-BENCH-STDERR-BEGIN HVX-BENCH-STDERR-END
fi
echo "=== raw results: $work/serial.log (RESULT lines)," \
	"$(($(date +%s) - start)) s in the test host"
if [ "$status" != 0 ]; then
	say "the benchmarks could not run on both hypervisors"
	exit 1
fi
exit 0
