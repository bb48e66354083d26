#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the in-host task scripts (sourced, busybox sh).
#
# Result lines a task prints itself carry the number 0: the summary on the
# build machine counts "ok"/"not ok" lines, not their numbers.

tap_result() {
	if [ "$1" = pass ]; then
		echo "ok 0 $2"
	else
		echo "not ok 0 $2"
	fi
}

# run_tap_binary PATH [ARGS...]: run a kselftest binary and check that it
# printed as many results as its plan announced.
run_tap_binary() {
	bin=$1
	shift
	name=${bin##*/}
	out=/tmp/$name.tap
	echo "# hvx-run: $name ($(cut -d" " -f1 /proc/uptime) s up)"
	"$bin" "$@" >"$out" 2>&1
	status=$?
	cat "$out"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	got=$(grep -c -E '^(not )?ok [0-9]+' "$out")
	if [ -z "$plan" ]; then
		tap_result fail "$name: no TAP plan (exit status $status)"
		return 1
	fi
	if [ "$got" -lt "$plan" ]; then
		tap_result fail "$name: $((plan - got)) of $plan results missing (exit status $status)"
		return 1
	fi
	case $status in
	0|4) return 0 ;;
	1) grep -q '^not ok' "$out" && return 1 ;;
	esac
	# a full plan, yet a status no result explains (a crash at exit)
	tap_result fail "$name: exit status $status"
	return 1
}

# hvx_load PREFIX: load hvx.ko unless it is loaded (a task run on its own
# rather than inside suite.sh); sets hvx_loaded=1 when it did, so that
# hvx_unload takes it out again.  A failure is a result, and ends the task.
hvx_load() {
	hvx_loaded=
	grep -q '^hvx ' /proc/modules && return 0
	if ! insmod /hvx/hvx.ko; then
		tap_result fail "$1: insmod hvx.ko"
		exit 1
	fi
	hvx_loaded=1
}

hvx_unload() {
	[ -n "$hvx_loaded" ] && rmmod hvx
	return 0
}

# Swap on a 64 MiB zram device, for tests that page memory out: the test
# host has no disk.  Once per boot; without it those tests skip.
zram_swap_on() {
	grep -q '^/dev/zram0' /proc/swaps && return 0
	for m in zsmalloc lzo-rle lz4_compress lz4hc_compress zram; do
		insmod "/lib/modules/$(uname -r)/$m.ko" 2>/dev/null
	done
	[ -e /sys/block/zram0/disksize ] || return 1
	echo 64M >/sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
}
