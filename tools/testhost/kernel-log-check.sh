#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: kernel-log-check.sh NAME SERIAL_LOG
#
# One TAP line: whether the test host's kernel log (its console and the
# dmesg dump at the end of the task) shows an oops, a BUG or a WARNING.
# Lines a task quotes ("# " first: a Linux guest's console when its boot
# fails) are the guest's, not the host's.  grep -a: a guest's quoted
# output may hold a NUL, after which grep would print nothing more.

name=$1
bad=$(tr -d '\r' <"$2" | grep -av '^# ' |
      grep -aE 'BUG:|WARNING:|Oops|general protection|Call Trace:|kernel BUG' |
      head -n 5)
if [ -n "$bad" ]; then
	echo "$bad" | sed 's/^/# /'
	echo "not ok 0 $name kernel log has no BUG, WARNING or oops"
else
	echo "ok 0 $name kernel log has no BUG, WARNING or oops"
fi
