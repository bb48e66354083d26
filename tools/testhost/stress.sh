#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make stress: build everything, boot the emulated VT-x test host (Bochs,
# two CPUs) and run tools/testhost/tasks/stress.sh there: the ioctl
# fuzzer, hostile guests, SIGKILLs and churn (tests/stress/).  Prints the
# table of what ran, what went wrong and memory before and after, and
# whether the kernel log stayed free of BUG, WARNING and oops.
#
# Usage: stress.sh BUILD_DIR
#
# STRESS_SEED replays a run (the table prints the seed); STRESS_PARTS
# (fuzz,guests,kills,churn,fds), STRESS_CALLS, STRESS_GUESTS, STRESS_KILLS and
# STRESS_CYCLES pick parts and sizes (Documentation/testing.rst).
# STRESS_TIMEOUT: seconds the test host may run (9000: the full run took
# 5,350 s of wall time beside two other Bochs on two cores).
#
# Exit status: 0 when every row is clean, the kernel log is clean and
# hvx.ko unloaded; 1 otherwise.  The serial log stays in
# BUILD_DIR/testhost/stress/serial.log.

set -u

build=$(cd "${1:?usage: stress.sh BUILD_DIR}" && pwd) || exit 1
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost
work=$build/testhost/stress
initrd=$build/testhost/stress-initrd.img

say() { echo "stress: $*" >&2; }

kver=$("$th/prepare.sh" stress "$build") || exit 1

append=
[ -n "${STRESS_SEED:-}" ] && append="$append hvxstressseed=$STRESS_SEED"
[ -n "${STRESS_PARTS:-}" ] && append="$append hvxstressparts=$STRESS_PARTS"
[ -n "${STRESS_CALLS:-}" ] && append="$append hvxstresscalls=$STRESS_CALLS"
[ -n "${STRESS_GUESTS:-}" ] && append="$append hvxstressguests=$STRESS_GUESTS"
[ -n "${STRESS_KILLS:-}" ] && append="$append hvxstresskills=$STRESS_KILLS"
[ -n "${STRESS_CYCLES:-}" ] && append="$append hvxstresscycles=$STRESS_CYCLES"

say "booting the test host in Bochs, 2 CPUs (at the default sizes, an hour or more)"
start=$(date +%s)
HVX_APPEND="${HVX_APPEND:-}$append" \
"$th/boot.sh" bochs 2 "${STRESS_TIMEOUT:-9000}" stress "$build" "$kver" \
	"$initrd" "$work"
boot=$?
log=$work/serial.log

status=$(tr -d '\r' <"$log" 2>/dev/null |
	 sed -n 's/^HVX-STRESS-END status=\([0-9]*\)$/\1/p' | head -n 1)
if [ -z "$status" ]; then
	say "the stress run did not finish (boot status $boot); serial log: $log"
	tail -n 30 "$log" >&2
	exit 1
fi

echo "=== make stress: hvx in the emulated VT-x test host, kernel $kver," \
	"$(($(date +%s) - start)) s"
tr -d '\r' <"$log" | sed -n '/^HVX-STRESS-TABLE-BEGIN$/,/^HVX-STRESS-TABLE-END$/p' |
	sed '1d;$d'
klog=$("$th/kernel-log-check.sh" stress "$log")
echo "$klog"
case $klog in
not*) status=1 ;;
esac
[ "$status" = 0 ] && echo "=== stress: all rows clean" ||
	echo "=== stress: FAILED (serial log: $log)"
exit "$status"
