#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The "make run" demo, inside the VT-x test host: load hvx.ko, print what
# hvx and the (emulated) CPU support, boot the hello guest with hvx-run
# and show what it printed on its UART.  Each part sits between markers
# that tools/testhost/run-demo.sh cuts out of the serial log; the task's
# status is the guest's.

echo "HVX-DEMO-CAPS-BEGIN"
if ! insmod /hvx/hvx.ko; then
	echo "HVX-DEMO-CAPS-END"
	echo "HVX-DEMO-GUEST-BEGIN"
	echo "insmod hvx.ko failed: no VT-x here?"
	echo "HVX-DEMO-GUEST-END status=1"
	exit 1
fi
/hvx/bin/hvx-run --caps
echo "HVX-DEMO-CAPS-END"

# The guest's output goes to a file first, so kernel messages on the
# console cannot interleave with it.
/hvx/bin/hvx-run /hvx/images/hello.bin </dev/null >/tmp/demo.out \
	2>/tmp/demo.err
status=$?
echo "HVX-DEMO-GUEST-BEGIN"
cat /tmp/demo.out
echo "HVX-DEMO-GUEST-END status=$status"
if [ -s /tmp/demo.err ]; then
	echo "HVX-DEMO-STDERR-BEGIN"
	cat /tmp/demo.err
	echo "HVX-DEMO-STDERR-END"
fi
rmmod hvx
exit $status
