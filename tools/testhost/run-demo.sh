#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make run: build everything, boot the emulated VT-x test host (Bochs) and
# run the demo there (tools/testhost/tasks/demo.sh): hvx.ko loads,
# "hvx-run --caps" reports the capabilities, and hvx-run boots Linux (the
# test host's own kernel) with 2 vCPUs and a busybox initramfs, which
# reports what it sees and powers off.  Prints the capability report and
# the guest's console, and exits with hvx-run's status.
#
# Usage: run-demo.sh BUILD_DIR

set -u

build=$(cd "${1:?usage: run-demo.sh BUILD_DIR}" && pwd) || exit 1
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost
work=$build/testhost/demo
initrd=$build/testhost/demo-initrd.img

say() { echo "run-demo: $*" >&2; }

kver=$("$th/prepare.sh" demo "$build") || exit 1

say "booting the test host in Bochs, then Linux in it (a few minutes)"
"$th/boot.sh" bochs 1 900 demo "$build" "$kver" "$initrd" "$work"
boot=$?
log=$work/serial.log

# section BEGIN END: the lines between two markers of the serial log
section() {
	tr -d '\r' <"$log" | sed -n "/^$1\$/,/^$2/p" | sed '1d;$d'
}

status=$(tr -d '\r' <"$log" 2>/dev/null |
	 sed -n 's/^HVX-DEMO-GUEST-END status=\([0-9]*\)$/\1/p' | head -n 1)
if [ -z "$status" ]; then
	say "the demo did not finish (boot status $boot); serial log: $log"
	tail -n 20 "$log" >&2
	exit 1
fi

echo "=== hvx-run --caps"
section HVX-DEMO-CAPS-BEGIN HVX-DEMO-CAPS-END
echo
echo "=== the guest's console (hvx-run -c 2 -k vmlinuz -i initrd.gz)"
section HVX-DEMO-GUEST-BEGIN HVX-DEMO-GUEST-END
if grep -q '^HVX-DEMO-STDERR-BEGIN' "$log"; then
	echo "=== hvx-run's messages"
	section HVX-DEMO-STDERR-BEGIN HVX-DEMO-STDERR-END
fi
echo
echo "=== hvx-run exited with status $status"
exit "$status"
