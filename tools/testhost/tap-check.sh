#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the build machine's TAP-printing checks (tests/unit/*.sh,
# deb-check.sh).  tap_check STATUS NAME prints "ok N NAME" when STATUS is
# 0, else "not ok N NAME" and sets $fail to 1; N counts from 1.

n=0
fail=0

tap_check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fail=1
	fi
}
