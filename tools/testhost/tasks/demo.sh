#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The "make run" demo, inside the VT-x test host: load hvx.ko, print what
# hvx and the (emulated) CPU support, boot Linux (the test host's own
# kernel, Debian's cloud kernel, with a busybox initramfs) as a guest of
# hvx-run with 2 vCPUs and show its console: uname -a, nproc, its
# /proc/interrupts and its boot time, then its poweroff.  Each part sits
# between markers that tools/testhost/run-demo.sh cuts out of the serial
# log; the task's status is hvx-run's.

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
/hvx/bin/hvx-run -c 2 -m 256M -k /hvx/guest/vmlinuz \
	-i /hvx/guest/initrd.gz -p "console=ttyS0 quiet panic=-1" \
	</dev/null >/tmp/demo.out 2>/tmp/demo.err
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
