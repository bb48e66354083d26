#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: serial-verdict.sh SERIAL_LOG
#
# Where a test host is, from its serial log, for boot.sh's wait: "end RC"
# once the task printed its end marker (RC its status), "panic" after the
# host's own kernel panic, "reboot" when the task began a second time (the
# machine reset without a panic line and booted again: its results would
# be merged with the first boot's, and the test running at the reset
# would leave no line), else "running".

serial=$1

# the emulator writes the serial line a byte at a time: wait for the
# marker's end of line (the console's CR) before reading the status
rc=$(sed -n 's/^HVX-TESTHOST-END rc=\([0-9]*\)[^0-9].*/\1/p' "$serial" \
	2>/dev/null | head -n 1)
begins=$(grep -ac '^HVX-TESTHOST-BEGIN' "$serial" 2>/dev/null)
# the host's own panic, not a guest's console that a task quotes ("# "
# first) when a guest boot fails; -a: a quoted NUL must not make grep
# take the log for binary and stop matching.  (A panic resets the host,
# panic=-1, so it may be followed by a second start.)
panic=$(grep -av '^# ' "$serial" 2>/dev/null | grep -ac 'Kernel panic')
if [ "${begins:-0}" -gt 1 ]; then
	[ "${panic:-0}" -gt 0 ] && echo panic || echo reboot
elif [ -n "$rc" ]; then
	echo "end $rc"
elif [ "${panic:-0}" -gt 0 ]; then
	echo panic
else
	echo running
fi
