#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: host-status.sh NAME STATUS TIMEOUT WORKDIR
#
# The TAP line for boot.sh's exit STATUS of test host NAME (which had
# TIMEOUT seconds, and WORKDIR as its work folder).  When the host
# stopped before its task ended (a panic, a reset, the emulator gone),
# the last lines of the emulator's log and output follow as comments:
# they say why the machine stopped.

name=$1 status=$2 timeout=$3 work=$4

case $status in
0) echo "ok 0 $name test host finished" ;;
124) echo "not ok 0 $name test host finished within $timeout s" ;;
125) echo "not ok 0 $name test host ran without a kernel panic" ;;
126) echo "not ok 0 $name test host ran its task once, without a reset" ;;
123) echo "not ok 0 $name test host's emulator ran until the task ended" ;;
*)
	# the task's own status (HVX-TESTHOST-END rc=), or boot.sh's when
	# it failed before the host ran
	echo "not ok 0 $name test host finished with status 0 (got $status)"
	;;
esac
case $status in
123|125|126)
	for f in bochs.log bochs.out qemu.out; do
		[ -s "$work/$f" ] || continue
		echo "# $f, last lines:"
		tail -n 8 "$work/$f" | sed 's/^/#   /'
	done
	;;
esac
