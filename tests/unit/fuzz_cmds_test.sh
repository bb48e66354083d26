#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ioctl fuzzer (tests/stress/fuzz.c) counts a command it does not know
# as wrong unless it fails with ENOTTY: every command the uapi header
# defines must be in its tables, or make stress reports hvx's own answers
# to a new command as faults.  Prints TAP; run by check.sh on the build
# machine.

src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tools/testhost/tap-check.sh"

hdr=$src/uapi/linux/hvx.h
fuzz=$src/tests/stress/fuzz.c
cmds=$(sed -n 's/^#define \(HVX_[A-Z0-9_]*\)[[:space:]]*_IO[RW]*(HVXIO,.*/\1/p' "$hdr")

echo "TAP version 13"
echo "1..$(($(echo "$cmds" | wc -l) + 1))"

[ "$(echo "$cmds" | wc -l)" -ge 20 ]
tap_check $? "the uapi header defines the ioctl commands ($(echo $cmds | wc -w) found)"

# the tables: from dev_cmds[] to the cmd_set they make
tables=$(sed -n '/^static const unsigned int dev_cmds/,/^struct cmd_set/p' "$fuzz")
for c in $cmds; do
	echo "$tables" | grep -qw "$c"
	tap_check $? "fuzz.c knows $c"
done

exit $fail
