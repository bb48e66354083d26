#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Linux as a guest of hvx-run, inside the VT-x test host: the test host's
# own kernel (Debian's cloud kernel, a bzImage) with a busybox initramfs
# (tools/testhost/guest/init) boots to /init with 1, 2, 4 and 64 vCPUs.
# Checks: the guest sees as many CPUs as it was given, its kernel log has
# no BUG, WARNING, Call Trace, unstable TSC or failed APIC calibration,
# "sleep 10" in the guest takes 10 host seconds within 1 %, poweroff ends
# hvx-run with status 0 and reboot with 120; with two vCPUs the guest
# takes CPU 1 offline and brings it back; with four vCPUs and pci=nomsi
# the guest reads a virtio disk whose interrupts come through INTA# and
# the I/O APIC (level triggered, the DSDT's _PRT); with acpi=off and
# pci=nomsi the guest finds two vCPUs, the I/O APIC and the disk's INTA#
# in the MP tables.  With virtio (PCI, MSI-X,
# doorbells, two vCPUs): the guest loads its virtio modules, virtio-rng
# is its entropy source, it reads a disk whose checksum the host knows,
# writes a pattern the host then finds in the image file, zeroes two
# ranges of it with write zeroes (with and without unmap), a read-only
# disk refuses its write and, once its bus mastering was off, needs a
# reset (also after the bit is set again) and reads again after its
# driver is bound anew; with --console virtio, a marker the guest writes to
# hvc0 arrives on hvx-run's stdout and a line given on its stdin is read
# by the guest from hvc0.  One TAP line per check, "linux: ...".
# "hvxboots=one,virtio" on the test host's command line runs only those
# boots (one, two, four, mp, sixtyfour, virtio, console, net; default all
# but mp and sixtyfour, see below).
# virtio and console share one boot: the disks when virtio is asked for,
# the console when console is.

. /hvx/tasks/tap-lib.sh

BIN=/hvx/bin/hvx-run
G=/hvx/guest
T=/tmp/linux_boot
LIMIT=300
# cryptomgr.notests: the crypto self-tests were half of a guest's boot,
# and ran only generic C code (the SIMD drivers are modules the guest
# does not load).
PARAMS="console=ttyS0 quiet panic=-1 cryptomgr.notests"

[ "${hvxtask:-}" = linux_boot ] && echo "TAP version 13"
rm -rf "$T"
mkdir -p "$T"
rc=0

hvx_load linux

# The 64-vCPU boot costs about five minutes of the 2-core machine, too
# much for make check; it runs when hvxboots names it.  (With four vCPUs
# in the virtio boot instead of a boot of its own, the read-only disk's
# check failed once in five runs on 6.12, cause not found: two it stays.)
boots=one,two,four,virtio,console,net

# want BOOT: the boot is among those hvxboots names
want() {
	case ",${hvxboots:-$boots}," in
	*,"$1",*) return 0 ;;
	esac
	return 1
}

check() {
	if [ "$2" = 0 ]; then
		tap_result pass "linux: $1"
	else
		tap_result fail "linux: $1"
		rc=1
	fi
}

# boot NAME CPUS ACTIONS [OPTIONS...]: run the guest; each line of its console gets
# the host's uptime in front, so that the host can time what the guest
# does.  One awk stamps every line, with no process forked per line:
# with a cut per line, one run out of four timed sleep10 179 ms long.  hvx-run's stdin is $T/NAME.in (a file or a FIFO) if it exists,
# else /dev/null.  $XPARAMS, if set, adds to the guest's command line.
# Leaves $T/NAME.out, $T/NAME.err and $T/NAME.status.
boot() {
	name=$1
	cpus=$2
	actions=$3
	shift 3
	input=/dev/null
	[ -e "$T/$name.in" ] && input=$T/$name.in
	t0=$(cut -d' ' -f1 /proc/uptime)
	(
		timeout $LIMIT "$BIN" -m 256M -c "$cpus" -k $G/vmlinuz \
			-i $G/initrd.gz \
			-p "$PARAMS ${XPARAMS:-}hvxguest=$actions" "$@" \
			<"$input" 2>"$T/$name.err"
		echo $? >"$T/$name.status"
	) | awk '{
		getline up <"/proc/uptime"
		close("/proc/uptime")
		split(up, f, " ")
		print f[1], $0
		fflush()
	}' >"$T/$name.out"
	echo "# linux: $name: $cpus vCPUs, $(awk -v t0="$t0" \
		'{ printf "%.1f", $1 - t0 }' /proc/uptime) s of test-host time"
}

# sectors IMAGE FIRST COUNT: those 512-byte sectors of $T/IMAGE
sectors() {
	dd if="$T/$1" bs=512 skip="$2" count="$3" 2>/dev/null
}

# has_bits VALUE MASK: VALUE, a number the guest reported, has the bits
has_bits() {
	case $1 in
	'' | *[!0-9a-fA-Fx]*) return 1 ;;
	esac
	[ $(($1 & $2)) = $(($2)) ]
}

# field NAME KEY: what the guest reported after "HVX-GUEST-KEY "
field() {
	sed -n "s/^[0-9.]* HVX-GUEST-$2 //p" "$T/$1.out" | tr -d '\r' |
		head -n 1
}

# The common checks of one boot.
verify() {
	name=$1
	cpus=$2
	want=$3
	status=$(cat "$T/$name.status" 2>/dev/null)
	[ "$status" = "$want" ]
	check "$name: hvx-run exits with $want (got ${status:-none})" $?
	grep -q 'HVX-GUEST-INIT' "$T/$name.out"
	check "$name: the guest reaches /init" $?
	[ "$(field "$name" NPROC)" = "$cpus" ]
	check "$name: nproc in the guest is $cpus" $?
	if [ "$status" != "$want" ] || ! grep -q HVX-GUEST-INIT "$T/$name.out"
	then
		echo "# $name: console"
		sed 's/^/# /' "$T/$name.out" | tail -n 60
		echo "# $name: hvx-run's messages"
		sed 's/^/# /' "$T/$name.err"
	fi
}

# The guest kernel's log, between the markers of the "dmesg" action.
verify_log() {
	name=$1
	sed -n '/HVX-GUEST-DMESG-BEGIN/,/HVX-GUEST-DMESG-END/p' \
		"$T/$name.out" >"$T/$name.dmesg"
	grep -q 'Linux version' "$T/$name.dmesg"
	check "$name: the guest's kernel log, from its first line" $?
	if grep -E 'BUG|WARNING|Call Trace|TSC unstable|Marking TSC unstable|APIC calibration|calibration failed' \
		"$T/$name.dmesg" >"$T/$name.bad"; then
		sed 's/^/# /' "$T/$name.bad"
		check "$name: no BUG, WARNING, Call Trace, unstable TSC or failed calibration in the guest's log" 1
	else
		check "$name: no BUG, WARNING, Call Trace, unstable TSC or failed calibration in the guest's log" 0
	fi
}

# The "intx" action of a guest without MSI (pci=nomsi): it read the disk
# $T/IMAGE with the image's checksum, and every virtio line is an I/O
# APIC one, level triggered (fasteoi), none MSI.
verify_intx() {
	name=$1
	[ "$(field "$name" VDA-MD5)" = "$(md5sum <"$T/$2" | cut -d' ' -f1)" ]
	check "$name: with pci=nomsi the guest reads its virtio disk with the image's checksum" $?
	intx=$(field "$name" INTX)
	echo "$intx" | grep -q 'IO-APIC [0-9]*-fasteoi virtio' &&
		! echo "$intx" | grep -q MSI
	check "$name: the virtio devices interrupt through INTA# and the I/O APIC (${intx:-none})" $?
}

# One vCPU: sleep 10 timed by the host, the kernel log, poweroff.
if want one; then
boot one 1 sleep10,dmesg
verify one 1 0
verify_log one
t0=$(sed -n 's/^\([0-9.]*\) HVX-GUEST-SLEEP-BEGIN.*/\1/p' "$T/one.out")
t1=$(sed -n 's/^\([0-9.]*\) HVX-GUEST-SLEEP-END.*/\1/p' "$T/one.out")
ms=$(echo "$t0 $t1" | awk '{ if (NF == 2) printf "%d", ($2 - $1) * 1000 }')
[ -n "$ms" ] && [ "$ms" -ge 9900 ] && [ "$ms" -le 10100 ]
check "one: sleep 10 in the guest lasts 10 host seconds within 1 % (${ms:-?} ms)" $?
grep -q 'guest powered off' "$T/one.err"
check "one: hvx-run says the guest powered off" $?
fi

# Two vCPUs, started by the guest through INIT/SIPI; CPU 1 offline and
# online again (INIT/SIPI once more); reboot.
if want two; then
boot two 2 hotplug,reboot
verify two 2 120
hotplug=$(field two HOTPLUG)
[ "$hotplug" = "0 0-1" ]
check "two: CPU 1 goes offline and comes back online (online CPUs: ${hotplug:-none})" $?
grep -q 'HVX-GUEST-REBOOT' "$T/two.out"
check "two: the guest asked for a reboot" $?
fi

# Four vCPUs on the test host's two CPUs: the log, poweroff.  The guest
# has no MSI (pci=nomsi): virtio-rng and a disk interrupt through their
# INTA# pins, each an I/O APIC input, level triggered, that the devices
# hold until the driver reads their ISR, and whose EOIs, from whichever
# vCPU Linux routed them to, reach the I/O APIC.
if want four; then
dd if=/dev/urandom of="$T/intx.img" bs=64k count=16 2>/dev/null
XPARAMS="pci=nomsi "
boot four 4 intx,dmesg -d "$T/intx.img"
XPARAMS=
verify four 4 0
verify_log four
verify_intx four intx.img
fi

# Without ACPI (acpi=off) and without MSI: the guest finds its two
# vCPUs, the I/O APIC, the UART's pin and the disk's INTA# in the MP
# tables alone.  With no ACPI it cannot power off: it reboots (through
# the i8042).  Only when hvxboots names it: it needs a guest kernel built
# with CONFIG_X86_MPPARSE (HVX_GUEST_KVER, Documentation/testing.rst),
# which Debian's cloud kernels are not; the multiboot test kernel reads
# the tables in make check (hvx_run.sh).
if want mp; then
dd if=/dev/urandom of="$T/mp.img" bs=64k count=16 2>/dev/null
XPARAMS="acpi=off pci=nomsi "
boot mp 2 intx,dmesg,reboot -d "$T/mp.img"
XPARAMS=
verify mp 2 120
verify_log mp
grep -q 'MPS support code is not built-in' "$T/mp.dmesg" &&
	echo "# mp: the guest kernel has no CONFIG_X86_MPPARSE: it ignores MP tables"
grep -q 'Intel MultiProcessor Specification v1.4' "$T/mp.dmesg" &&
	! grep -q 'Using ACPI (MADT)' "$T/mp.dmesg"
check "mp: with acpi=off the guest takes its CPUs from the MP tables" $?
# COM1 on I/O APIC pin 4, edge, as the tables' ISA IRQ 4 says (the
# guest sets up no 8254 interrupt: its local APIC timer's rate is known)
sed -n '/HVX-GUEST-INTERRUPTS-BEGIN/,/HVX-GUEST-INTERRUPTS-END/p' \
	"$T/mp.out" | grep -q ' 4: .*IO-APIC *4-edge *ttyS0'
check "mp: the UART interrupts through I/O APIC pin 4" $?
verify_intx mp mp.img
fi

# 64 vCPUs, hvx's most, on the test host's two CPUs: the guest brings
# them all up itself, then the log, poweroff.
if want sixtyfour; then
boot sixtyfour 64 dmesg
verify sixtyfour 64 0
verify_log sixtyfour
fi

# The test host's side of the network: the tap hvxtap0 at 10.0.2.1; a
# 2 MiB file sent to the guest's port 5556 once it listens; nc on port
# 5555 for the file the guest sends, whose checksum goes back to the
# guest's port 5557.  The listening side always receives: busybox's nc
# can lose the end of what a listener sends.
NET_MAC=02:68:76:78:aa:01
net_up() {
	[ -e /dev/net/tun ] || insmod "/lib/modules/$(uname -r)/tun.ko"
	tunctl -t hvxtap0 >/dev/null &&
		ip addr add 10.0.2.1/24 dev hvxtap0 &&
		ip link set hvxtap0 up || return 1
	dd if=/dev/urandom of="$T/rx.bin" bs=64k count=32 2>/dev/null
	rm -f "$T/tx.bin" "$T/tx.md5" "$T/hold"
	(
		i=0
		until nc 10.0.2.15 5556 <"$T/rx.bin" 2>/dev/null ||
			[ $i -ge $LIMIT ]; do
			sleep 1
			i=$((i + 1))
		done
	) &
	rx_pid=$!
	(
		# a listener whose stdin ends shuts its side down at once, and
		# busybox's nc at the other end stops sending when it sees that
		mkfifo "$T/hold"
		exec 4<>"$T/hold"
		timeout $LIMIT nc -l -p 5555 <&4 >"$T/tx.bin" || exit
		md5sum <"$T/tx.bin" | cut -d' ' -f1 >"$T/tx.md5"
		i=0
		until nc 10.0.2.15 5557 <"$T/tx.md5" 2>/dev/null ||
			[ $i -ge 60 ]; do
			sleep 1
			i=$((i + 1))
		done
	) &
	tx_pid=$!
}

net_down() {
	kill "$rx_pid" "$tx_pid" 2>/dev/null
	# a listener the guest never reached ends with an empty connection
	[ -e "$T/tx.md5" ] || nc 10.0.2.1 5555 </dev/null 2>/dev/null
	wait "$rx_pid" "$tx_pid" 2>/dev/null
	tunctl -d hvxtap0 >/dev/null
}

net_verify() {
	[ "$(field virtio NET-MAC)" = $NET_MAC ]
	check "net: the guest's eth0 has the MAC of -n ($(field virtio NET-MAC))" $?
	# GUEST_CSUM, GUEST_TSO4 (bits 1, 7), CSUM, HOST_TSO4 (0, 11) and
	# MRG_RXBUF (15)
	features=$(field virtio NET-FEATURES)
	[ "$(echo "$features" | cut -c1,2,8,12,16)" = 11111 ]
	check "net: the driver takes the tap's checksum and TSO offloads and mergeable buffers ($features)" $?
	[ "$(field virtio NET-PING)" = ok ]
	check "net: the guest pings the test host" $?
	[ "$(field virtio NET-RX-MD5)" = "$(md5sum <"$T/rx.bin" | cut -d' ' -f1)" ]
	check "net: the guest receives the test host's file with its checksum" $?
	[ "$(md5sum <"$T/tx.bin" | cut -d' ' -f1)" = "$(field virtio NET-TX-MD5)" ] &&
		[ "$(field virtio NET-TX-ACK)" = "$(field virtio NET-TX-MD5)" ]
	check "net: the test host receives the guest's file with its checksum ($(wc -c <"$T/tx.bin") bytes of 2097152, first 64K $(head -c 65536 "$T/tx.bin" | md5sum | cut -c1-8) against $(field virtio NET-TX-HEAD))" $?
}

# virtio: PCI, virtio-rng and three disks, on two vCPUs; console: in
# the same boot, --console virtio, the guest's hvc0; net: a virtio-net
# on the tap hvxtap0.
if want virtio || want console || want net; then
rc0=$rc
actions=virtio
set --
if want virtio; then
	dd if=/dev/urandom of="$T/data.img" bs=64k count=64 2>/dev/null
	dd if=/dev/zero of="$T/rw.img" bs=64k count=16 2>/dev/null
	dd if=/dev/zero of="$T/ro.img" bs=64k count=16 2>/dev/null
	ro_md5=$(md5sum <"$T/ro.img" | cut -d' ' -f1)
	set -- -d "$T/data.img" -d "$T/rw.img" -d "$T/ro.img,ro"
fi
feeder=
if want console; then
	# Typed once the guest shows it listens (its marker on hvc0), as a
	# user would: what arrives before its driver added the port is
	# dropped by the driver.
	mkfifo "$T/virtio.in"
	(
		exec 3>"$T/virtio.in"
		i=0
		until grep -q HVX-HVC-MARKER-WRITTEN-TO-HVC0 "$T/virtio.out" \
			2>/dev/null || [ $i -ge $LIMIT ]; do
			sleep 1
			i=$((i + 1))
		done
		printf 'typed-on-hvx-run-stdin\n' >&3
	) &
	feeder=$!
	actions=$actions,hvc
	set -- "$@" --console virtio
fi
net_ok=1
if want net; then
	net_up
	net_ok=$?
	check "net: the test host's tap hvxtap0 at 10.0.2.1" $net_ok
	[ $net_ok = 0 ] && actions=$actions,net && set -- "$@" -n tap=hvxtap0,mac=$NET_MAC
fi
boot virtio 2 $actions,dmesg "$@"
[ -n "$feeder" ] && wait "$feeder"
[ $net_ok = 0 ] && net_down
verify virtio 2 0
verify_log virtio
grep -q 'PCI host bridge to bus 0000:00' "$T/virtio.dmesg" &&
	! grep -q 'PCI: Fatal' "$T/virtio.dmesg"
check "virtio: the guest finds the PCI bus" $?
[ "$(field virtio RNG)" = virtio_rng.0 ]
check "virtio: virtio-rng is the guest's entropy source ($(field virtio RNG))" $?
if want virtio; then
	[ "$(field virtio VDA-SERIAL)" = data.img ]
	check "virtio: vda's serial is its file name ($(field virtio VDA-SERIAL))" $?
	[ "$(field virtio VDA-MD5)" = "$(md5sum <"$T/data.img" | cut -d' ' -f1)" ]
	check "virtio: the guest reads vda with the image's checksum" $?
	dd if="$T/rw.img" bs=512 skip=8 count=1 2>/dev/null |
		grep -q HVX-PATTERN-WRITTEN-BY-THE-GUEST
	check "virtio: the guest's write to vdb is in the image file" $?
	# "MAX ZERO PUNCH": the driver took WRITE_ZEROES (its limit in
	# bytes), and both of the guest's zeroings succeeded; in the image,
	# sectors 16-23 and 32-39 are zeros, 24-31 and 40-47 still Zs.  The
	# guest's block layer writes zero pages instead when a WRITE_ZEROES
	# without unmap fails, so its log must show no failed one either.
	wz=$(field virtio VDB-ZEROES)
	read -r wz_max wz_zero wz_punch <<EOF
$wz
EOF
	[ "${wz_max:-0}" -gt 0 ] 2>/dev/null && [ "$wz_zero" = 0 ] &&
		[ "$wz_punch" = 0 ] &&
		[ "$(sectors rw.img 16 8 | tr -d '\000' | wc -c)" = 0 ] &&
		[ "$(sectors rw.img 24 8 | tr -d Z | wc -c)" = 0 ] &&
		[ "$(sectors rw.img 32 8 | tr -d '\000' | wc -c)" = 0 ] &&
		[ "$(sectors rw.img 40 8 | tr -d Z | wc -c)" = 0 ] &&
		[ "$(sectors rw.img 24 8 | wc -c)" = 4096 ] &&
		! grep -q WRITE_ZEROES "$T/virtio.dmesg"
	check "virtio: vdb's write zeroes, with and without unmap, zero the image file's sectors and no others ($wz)" $?
	[ "$(field virtio VDC-RO)" = 1 ] &&
		[ "$(field virtio VDC-WRITE)" = refused ] &&
		[ "$(md5sum <"$T/ro.img" | cut -d' ' -f1)" = "$ro_md5" ]
	vdc=$?
	# the guest refuses its own write (the device offers F_RO); the
	# device's refusal of a write is hvx_run_virtio_blk_test's
	check "virtio: vdc is read-only to the guest and its image unchanged" $vdc
	if [ "$vdc" != 0 ]; then
		# the lines themselves: the console dump below keeps only its end
		grep -a 'HVX-GUEST-VD' "$T/virtio.out" | sed 's/^/# /'
		echo "# ro.img: $(md5sum <"$T/ro.img" | cut -d' ' -f1) (was $ro_md5)"
	fi
	# "STATUS-OFF STATUS-ON COMMAND MD5": the device needed a reset once
	# bus mastering was off, still did once it was on again, and read
	# the image after its driver was bound again
	bm=$(field virtio VDC-BUSMASTER)
	read -r bm_off bm_on bm_cmd bm_md5 <<EOF
$bm
EOF
	has_bits "$bm_off" 0x40 && has_bits "$bm_on" 0x40 &&
		has_bits "$bm_cmd" 4 && [ "$bm_md5" = "$ro_md5" ]
	check "virtio: vdc needs a reset once its bus mastering is off, also once it is on again, and reads again after its driver is bound anew ($bm)" $?
fi
if want console; then
	grep -q 'HVX-HVC-MARKER-WRITTEN-TO-HVC0' "$T/virtio.out"
	check "console: what the guest writes to hvc0 reaches hvx-run's stdout" $?
	grep -aq 'HVX-GUEST-HVC-READ typed-on-hvx-run-stdin' "$T/virtio.out"
	check "console: the guest reads hvx-run's stdin from hvc0 ($(field virtio HVC-READ))" $?
	# hvc0's echo off: the typed line is not echoed back to hvx-run's
	# stdout, where it would land in the middle of the UART's lines
	! grep -a 'typed-on-hvx-run-stdin' "$T/virtio.out" |
		grep -aqv 'HVX-GUEST-HVC-READ typed-on-hvx-run-stdin'
	check "console: hvc0 does not echo the typed line to hvx-run's stdout" $?
fi
[ $net_ok = 0 ] && net_verify
if [ "$rc" != "$rc0" ]; then
	echo "# virtio: console"
	sed 's/^/# /' "$T/virtio.out" | grep -v ' HVX-GUEST-DMESG' | tail -n 80
	echo "# virtio: hvx-run's messages"
	sed 's/^/# /' "$T/virtio.err"
fi
fi

hvx_unload
exit $rc
