#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hvx-stat in the test host: without hvx.ko it says so and exits 1; with
# a VM held open by "stats_test --hold-vm" it lists the VM, shows its
# exits per vCPU (text and --json), and "hvx-stat -w" reports the VM's
# creation and destruction.  Runs with hvx.ko unloaded and leaves it so.

. /hvx/tasks/tap-lib.sh

stat=/hvx/bin/hvx-stat
holder=/hvx/selftests/stats_test
tmp=/tmp/hvx_stat
rc=0

check() {
	if [ "$1" = 0 ]; then
		tap_result pass "hvx-stat: $2"
	else
		tap_result fail "hvx-stat: $2"
		rc=1
	fi
}

rm -rf "$tmp"
mkdir -p "$tmp"

if grep -q '^hvx ' /proc/modules; then
	tap_result fail "hvx-stat: hvx.ko must not be loaded at the start"
	exit 1
fi

# No module: a clear message and exit status 1.
"$stat" >"$tmp/out" 2>"$tmp/err"
st=$?
cat "$tmp/err" | sed 's/^/# /'
[ $st = 1 ] && grep -q 'not loaded' "$tmp/err"
check $? "without hvx.ko: 'not loaded', exit status 1 (got $st)"

if ! insmod /hvx/hvx.ko; then
	tap_result fail "hvx-stat: insmod hvx.ko"
	exit 1
fi

"$stat" >"$tmp/out" 2>&1
st=$?
[ $st = 0 ] && grep -q 'no VMs' "$tmp/out"
check $? "no VMs: an empty list (exit status $st)"

# Output that cannot be written is a failure, not a silent success.
"$stat" --json >/dev/full 2>"$tmp/err"
st=$?
[ $st = 1 ] && grep -q 'writing the output' "$tmp/err"
check $? "output to a full device: a message, exit status 1 (got $st)"

# Follow the events while a VM comes and goes.
"$stat" -w >"$tmp/events" 2>&1 &
watcher=$!
sleep 1

mkfifo "$tmp/hold.in"
"$holder" --hold-vm <"$tmp/hold.in" >"$tmp/hold.out" 2>&1 &
hpid=$!
exec 3>"$tmp/hold.in"
id=
for _ in $(seq 60); do
	id=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$tmp/hold.out")
	[ -n "$id" ] && break
	sleep 1
done
[ -n "$id" ]
check $? "helper VM is up (stats_test --hold-vm)"
if [ -z "$id" ]; then
	sed 's/^/# /' "$tmp/hold.out"
	id=-1
fi

"$stat" >"$tmp/list" 2>&1
st=$?
sed 's/^/# /' "$tmp/list"
[ $st = 0 ] &&
	awk -v id="$id" -v pid="$hpid" \
	    '$1 == id && $2 == pid && $3 == 1 && $5 == "stopped" { f = 1 }
	     END { exit !f }' "$tmp/list"
check $? "the list shows VM $id of pid $hpid, 1 vCPU, stopped"

"$stat" -v "$id" >"$tmp/vm" 2>&1
st=$?
sed 's/^/# /' "$tmp/vm"
[ $st = 0 ] && grep -Eq '^ +CPUID +10 +5$' "$tmp/vm" &&
	grep -Eq '^ +IO_INSTRUCTION +30 +3$' "$tmp/vm" &&
	grep -Eq '^ +HLT +12 +1$' "$tmp/vm" && grep -q 'vCPU 0:' "$tmp/vm"
check $? "-v $id: CPUID 5, IO_INSTRUCTION 3, HLT 1 on vCPU 0"

"$stat" --json >"$tmp/json" 2>&1
st=$?
[ $st = 0 ] &&
	grep -Eq "\\{\"id\":$id,\"serial\":[1-9][0-9]*,\"pid\":$hpid,\"vcpus\":1," \
		"$tmp/json"
check $? "--json lists the VM with its serial"

"$stat" --json -v "$id" >"$tmp/vjson" 2>&1
st=$?
[ $st = 0 ] && grep -q '"name":"CPUID","count":5}' "$tmp/vjson" &&
	grep -q '"vcpus":\[{"id":0,' "$tmp/vjson"
check $? "--json -v $id: per-vCPU exit reasons"

"$stat" -v 4000000 >"$tmp/out" 2>&1
st=$?
sed 's/^/# /' "$tmp/out"
[ $st = 1 ]
check $? "-v of an unknown VM: exit status 1 (got $st)"

# Closing the helper's stdin ends it and frees the VM.
exec 3>&-
wait $hpid
sleep 1
kill $watcher 2>/dev/null
wait $watcher 2>/dev/null
sed 's/^/# /' "$tmp/events"
grep -q "^vm_created vm=$id pid=$hpid\$" "$tmp/events" &&
	grep -q "^vm_destroyed vm=$id pid=$hpid\$" "$tmp/events"
check $? "-w: vm_created and vm_destroyed of VM $id"

if rmmod hvx; then
	tap_result pass "hvx-stat: rmmod hvx afterwards"
else
	tap_result fail "hvx-stat: rmmod hvx afterwards"
	rc=1
fi
exit $rc
