#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: serial-tap.sh SERIAL_LOG
#
# The TAP part of a test host's serial log: from the task's begin marker
# to the kernel log's (HVX-DMESG-BEGIN), or to a second begin marker (a
# host that reset and started again: only the first run counts).  A run
# that stopped before the kernel log (a timeout, a panic, a reset) and
# whose last test binary never printed its plan gets a failed line that
# names it: run_tap_binary prints a binary's output only once it exits.

tr -d '\r' <"$1" | awk '
/^HVX-TESTHOST-BEGIN/ { if (begun) exit; begun = 1 }
!begun { next }
/^HVX-DMESG-BEGIN/ { print; ended = 1; exit }
{ print }
# the marker of run_tap_binary, not a quoted guest line such as "# hvx-run: vCPU 0: ..."
/^# hvx-run: [A-Za-z0-9_.-]+ \([0-9.]+ s up\)$/ { running = $3; planned = 0 }
/^1\.\.[0-9]+/ { planned = 1 }
END {
	if (begun && !ended && running != "" && !planned)
		print "not ok 0 " running ": no result (the test host stopped while it ran)"
}'
