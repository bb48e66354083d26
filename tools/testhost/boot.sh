#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test host headless and run one task in it.
#
# Usage: boot.sh bochs|qemu CPUS TIMEOUT TASK BUILD_DIR KVER INITRD WORKDIR
#
# bochs: emulates VT-x with EPT (the hvx test host).  qemu: TCG, whose CPU
#        has no VMX (the "no VT-x" path).
# The serial console is kept in WORKDIR/serial.log and is also what the
# runner reads.  HVX_APPEND adds to the kernel command line (for example
# hvxtests=a_test,b_test), HVX_TESTHOST_MEGS sets its RAM in MiB (512),
# HVX_BOCHS_IPS Bochs's emulated instructions per second (200000000).
# Exit status: the task's own status when it ends; 124 when
# the host did not finish within TIMEOUT seconds; 125 on a host kernel
# panic; 126 when the host reset without one and began its task again;
# 123 when the emulator ended before the task did (bochs.log says why).
# serial-verdict.sh reads the log.

set -eu

th=$(cd "$(dirname "$0")" && pwd)
emu=$1
cpus=$2
timeout=$3
task=$4
build=$5
kver=$6
initrd=$7
work=$8
megs=${HVX_TESTHOST_MEGS:-512}
# Bochs's clock (sync=none) counts emulated instructions: IPS of them make
# one second of the test host.  With two CPUs an idle test host still
# costs Bochs a round per 16 instructions' worth of time (main.cc counts a
# halted CPU as one quantum), about 3 s of wall time per idle second at
# 200 million; fewer IPS make idle seconds cheaper in the same proportion
# while the busy work costs the same (make check's suite hosts, which
# wait a lot, use 50 million).  Cycle counts (RDTSC) do not depend on it.
ips=${HVX_BOCHS_IPS:-200000000}

kernel=$build/cache/kernel-$kver/boot/vmlinuz-$kver
# softlockup_all_cpu_backtrace: a soft lockup shows every CPU's stack, not
# just the waiting one's.  cryptomgr.notests: the crypto self-tests were
# a third of the test host's boot, and test nothing of hvx.
append="console=ttyS0,115200 quiet panic=-1 softlockup_all_cpu_backtrace=1"
append="$append cryptomgr.notests"
append="$append hvxtask=$task ${HVX_APPEND:-}"
# idle=halt in Bochs: an idle CPU in MWAIT is woken by a store to its
# thread flags instead of an IPI (TIF_POLLING_NRFLAG).  About once in
# twenty suites CPU0 sat for tens of seconds in smp_call_function() waiting
# for idle CPU1, after test timeouts: as if the emulated MWAIT missed the
# store.  HLT is woken by a real IPI.
if [ "$emu" = bochs ]; then
	append="$append idle=halt"
fi
# Bochs: one package of CPUS cores (count=1:CPUS:1).  With count=CPUS,
# CPUS one-core packages, the CPUID topology leaves disagree and Linux
# 6.12's topology parser warns at boot (parse_legacy() in
# arch/x86/kernel/cpu/topology_common.c).
serial=$work/serial.log

rm -rf "$work"
mkdir -p "$work"
: >"$serial"

case $emu in
bochs)
	iso=$work/iso
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin "$iso/isolinux/"
	cp /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
	cp "$kernel" "$iso/vmlinuz"
	cp "$initrd" "$iso/initrd.img"
	cat >"$iso/isolinux/isolinux.cfg" <<EOF
DEFAULT hvx
PROMPT 0
TIMEOUT 0
LABEL hvx
  KERNEL /vmlinuz
  APPEND initrd=/initrd.img $append
EOF
	xorriso -as mkisofs -quiet -o "$work/boot.iso" \
		-b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
		2>"$work/xorriso.log"
	rm -rf "$iso"
	cat >"$work/bochsrc" <<EOF
megs: $megs
cpu: model=corei7_haswell_4770, count=1:$cpus:1, ips=$ips, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=boot.iso, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
com1: enabled=1, mode=file, dev=serial.log
log: bochs.log
clock: sync=none, time0=local
sound: waveoutdrv=dummy, waveout=none
EOF
	echo c >"$work/bochs.rc"
	# Bochs's RFB display (Debian's has no nogui) serves VNC on a port
	# from 5900, on every interface, without a password, for the whole
	# run: in a network namespace of its own nobody reaches it, and two
	# hosts started at once do not race for the port.  As root, or
	# where user namespaces let another user do it.
	isolate=
	if [ "$(id -u)" = 0 ]; then
		isolate="unshare --net"
	elif unshare -rn true 2>/dev/null; then
		isolate="unshare -rn"
	fi
	# shellcheck disable=SC2086 # the words of the command
	(cd "$work" && exec $isolate bochs -q -f bochsrc -rc bochs.rc \
		</dev/null >bochs.out 2>&1) &
	pid=$!
	;;
qemu)
	qemu-system-x86_64 -nographic -no-reboot -m "$megs" -cpu qemu64 \
		-smp "$cpus" -kernel "$kernel" -initrd "$initrd" \
		-append "$append" -serial "file:$serial" -monitor none \
		-display none -nodefaults >"$work/qemu.out" 2>&1 &
	pid=$!
	;;
*)
	echo "boot.sh: unknown emulator $emu" >&2
	exit 2
	;;
esac

# make run, bench and stress run this script in the foreground: a Ctrl-C
# ends it, and the emulator, a background job (SIGINT ignored), would run
# on alone until its own end, a busy core for up to an hour.
stop_emulator() {
	trap - INT TERM HUP
	kill "$pid" 2>/dev/null
	pkill -P "$pid" 2>/dev/null
	exit "$1"
}
trap 'stop_emulator 130' INT
trap 'stop_emulator 143' TERM
trap 'stop_emulator 129' HUP

status=124
elapsed=0
while [ "$elapsed" -lt "$timeout" ]; do
	verdict=$("$th/serial-verdict.sh" "$serial")
	case $verdict in
	end\ *)
		status=${verdict#end }
		break
		;;
	panic)
		status=125
		break
		;;
	reboot)
		status=126
		break
		;;
	esac
	if ! kill -0 "$pid" 2>/dev/null; then
		status=123
		break
	fi
	sleep 1
	elapsed=$((elapsed + 1))
done

# Let the guest power off by itself, then make sure the emulator is gone.
for _ in 1 2 3 4 5; do
	kill -0 "$pid" 2>/dev/null || break
	sleep 1
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pkill -P "$pid" 2>/dev/null || true

echo "$emu: task $task finished with status $status in ${elapsed}s" >&2
exit "$status"
