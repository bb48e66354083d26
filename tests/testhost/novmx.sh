#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run in QEMU TCG, whose CPU has no VMX: hvx.ko must refuse to load with
# the documented errno and one clear log line (module_test checks both).

. /hvx/tasks/tap-lib.sh

echo "TAP version 13"
run_tap_binary /hvx/selftests/module_test /hvx/hvx.ko
