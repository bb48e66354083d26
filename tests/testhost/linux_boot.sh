#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Linux as a guest of hvx-run, inside the VT-x test host: the test host's
# own kernel (Debian's cloud kernel, a bzImage) with a busybox initramfs
# (tools/testhost/guest/init) boots to /init with 1, 2 and 4 vCPUs.
# Checks: the guest sees as many CPUs as it was given, its kernel log has
# no BUG, WARNING, Call Trace, unstable TSC or failed APIC calibration,
# "sleep 10" in the guest takes 10 host seconds within 1 %, poweroff ends
# hvx-run with status 0 and reboot with 120.  One TAP line per check,
# "linux: ...".

. /hvx/tasks/tap-lib.sh

BIN=/hvx/bin/hvx-run
G=/hvx/guest
T=/tmp/linux_boot
LIMIT=300
PARAMS="console=ttyS0 quiet panic=-1"

[ "${hvxtask:-}" = linux_boot ] && echo "TAP version 13"
rm -rf "$T"
mkdir -p "$T"
rc=0

hvx_load linux

check() {
	if [ "$2" = 0 ]; then
		tap_result pass "linux: $1"
	else
		tap_result fail "linux: $1"
		rc=1
	fi
}

# boot NAME CPUS ACTIONS: run the guest; each line of its console gets
# the host's uptime in front, so that the host can time what the guest
# does.  Leaves $T/NAME.out, $T/NAME.err and $T/NAME.status.
boot() {
	name=$1
	(
		timeout $LIMIT "$BIN" -m 256M -c "$2" -k $G/vmlinuz \
			-i $G/initrd.gz -p "$PARAMS hvxguest=$3" </dev/null \
			2>"$T/$name.err"
		echo $? >"$T/$name.status"
	) | while IFS= read -r line; do
		echo "$(cut -d' ' -f1 /proc/uptime) $line"
	done >"$T/$name.out"
}

# field NAME KEY: what the guest reported after "HVX-GUEST-KEY "
field() {
	sed -n "s/^[0-9.]* HVX-GUEST-$2 //p" "$T/$1.out" | tr -d '\r' |
		head -n 1
}

# The common checks of one boot.
verify() {
	name=$1
	cpus=$2
	want=$3
	status=$(cat "$T/$name.status" 2>/dev/null)
	[ "$status" = "$want" ]
	check "$name: hvx-run exits with $want (got ${status:-none})" $?
	grep -q 'HVX-GUEST-INIT' "$T/$name.out"
	check "$name: the guest reaches /init" $?
	[ "$(field "$name" NPROC)" = "$cpus" ]
	check "$name: nproc in the guest is $cpus" $?
	if [ "$status" != "$want" ] || ! grep -q HVX-GUEST-INIT "$T/$name.out"
	then
		echo "# $name: console"
		sed 's/^/# /' "$T/$name.out" | tail -n 60
		echo "# $name: hvx-run's messages"
		sed 's/^/# /' "$T/$name.err"
	fi
}

# The guest kernel's log, between the markers of the "dmesg" action.
verify_log() {
	name=$1
	sed -n '/HVX-GUEST-DMESG-BEGIN/,/HVX-GUEST-DMESG-END/p' \
		"$T/$name.out" >"$T/$name.dmesg"
	[ -s "$T/$name.dmesg" ]
	check "$name: the guest's kernel log" $?
	if grep -E 'BUG|WARNING|Call Trace|TSC unstable|Marking TSC unstable|APIC calibration|calibration failed' \
		"$T/$name.dmesg" >"$T/$name.bad"; then
		sed 's/^/# /' "$T/$name.bad"
		check "$name: no BUG, WARNING, Call Trace, unstable TSC or failed calibration in the guest's log" 1
	else
		check "$name: no BUG, WARNING, Call Trace, unstable TSC or failed calibration in the guest's log" 0
	fi
}

# One vCPU: sleep 10 timed by the host, the kernel log, poweroff.
boot one 1 sleep10,dmesg
verify one 1 0
verify_log one
t0=$(sed -n 's/^\([0-9.]*\) HVX-GUEST-SLEEP-BEGIN.*/\1/p' "$T/one.out")
t1=$(sed -n 's/^\([0-9.]*\) HVX-GUEST-SLEEP-END.*/\1/p' "$T/one.out")
ms=$(echo "$t0 $t1" | awk '{ if (NF == 2) printf "%d", ($2 - $1) * 1000 }')
[ -n "$ms" ] && [ "$ms" -ge 9900 ] && [ "$ms" -le 10100 ]
check "one: sleep 10 in the guest lasts 10 host seconds within 1 % (${ms:-?} ms)" $?
grep -q 'guest powered off' "$T/one.err"
check "one: hvx-run says the guest powered off" $?

# Two vCPUs, started by the guest through INIT/SIPI: reboot.
boot two 2 reboot
verify two 2 120
grep -q 'HVX-GUEST-REBOOT' "$T/two.out"
check "two: the guest asked for a reboot" $?

# Four vCPUs on the test host's two CPUs: the log, poweroff.
boot four 4 dmesg
verify four 4 0
verify_log four

hvx_unload
exit $rc
