#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hvx-run end to end, inside the VT-x test host: every boot mode and image
# format, every device, every exit status.  The guests are the images of
# tests/guests (in /hvx/images); each run's stdout is compared byte for
# byte, its stderr searched for the documented messages and its exit
# status checked.  One TAP line per check, "hvx-run: ...".
#
# Loads hvx.ko when it is not loaded (and unloads it again at the end), so
# it runs on its own (task hvx_run) and inside suite.sh alike.

. /hvx/tasks/tap-lib.sh

BIN=/hvx/bin/hvx-run
IMG=/hvx/images
T=/tmp/hvx_run
LIMIT=120

[ "${hvxtask:-}" = hvx_run ] && echo "TAP version 13"
rm -rf "$T"
mkdir -p "$T"
rc=0

hvx_load hvx-run

# ok NAME / notok NAME [FILE...]: a result; the files go to the log.
ok() {
	tap_result pass "hvx-run: $1"
}

notok() {
	name=$1
	shift
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "# --- ${f##*/}"
		sed 's/^/# /' "$f" | head -n 40
	done
	tap_result fail "hvx-run: $name"
	rc=1
}

# run ID STDIN ARGS...: run hvx-run, keep ID.out, ID.err and the status.
run() {
	id=$1
	input=$2
	shift 2
	timeout -s KILL "$LIMIT" "$BIN" "$@" <"$input" >"$T/$id.out" \
		2>"$T/$id.err"
	status=$?
	echo "$status" >"$T/$id.status"
}

# expect_status ID WANT DESCRIPTION
expect_status() {
	got=$(cat "$T/$1.status")
	if [ "$got" = "$2" ]; then
		ok "$3: exit status $2"
	else
		echo "# exit status $got, want $2"
		notok "$3: exit status $2" "$T/$1.err" "$T/$1.out"
	fi
}

# expect_out ID TEXT DESCRIPTION: stdout is exactly TEXT (printf format)
expect_out() {
	# shellcheck disable=SC2059
	printf "$2" >"$T/$1.want"
	if cmp -s "$T/$1.want" "$T/$1.out"; then
		ok "$3: stdout"
	else
		diff "$T/$1.want" "$T/$1.out" >"$T/$1.diff" 2>&1
		notok "$3: stdout" "$T/$1.diff" "$T/$1.err"
	fi
}

# expect_err ID STRING DESCRIPTION: stderr holds STRING
expect_err() {
	if grep -qF -- "$2" "$T/$1.err"; then
		ok "$3: stderr says '$2'"
	else
		notok "$3: stderr says '$2'" "$T/$1.err"
	fi
}

# expect_err_count ID STRING N DESCRIPTION: STRING on N lines of stderr
expect_err_count() {
	n=$(grep -cF -- "$2" "$T/$1.err")
	if [ "$n" = "$3" ]; then
		ok "$4: '$2' reported $3 time(s)"
	else
		echo "# reported $n times"
		notok "$4: '$2' reported $3 time(s)" "$T/$1.err"
	fi
}

HELLO='Hello from a guest of hvx! This text came through a 16550 UART.\n'
NULL=/dev/null

# --- capabilities, help, command line
run caps $NULL --caps
expect_status caps 0 "--caps"
if grep -qE '^  ept +yes' "$T/caps.out"; then
	ok "--caps reports ept"
else
	notok "--caps reports ept" "$T/caps.out" "$T/caps.err"
fi
if grep -qE '^  verw +(yes|no)' "$T/caps.out"; then
	ok "--caps reports the mitigations"
else
	notok "--caps reports the mitigations" "$T/caps.out" "$T/caps.err"
fi
run help $NULL --help
expect_status help 0 "--help"
expect_err_count help "Usage: hvx-run" 0 "--help on stdout"
if grep -q '^Usage: hvx-run \[OPTIONS\] IMAGE' "$T/help.out"; then
	ok "--help prints the usage"
else
	notok "--help prints the usage" "$T/help.out"
fi
run noimage $NULL
expect_status noimage 2 "no image"
expect_err noimage "no image given" "no image"
run badmem $NULL -m 1X "$IMG/hello.bin"
expect_status badmem 2 "bad --mem"
expect_err badmem "bad memory size '1X'" "bad --mem"
run badcpus $NULL -c 0 "$IMG/hello.bin"
expect_status badcpus 2 "bad --cpus"
expect_err badcpus "bad vCPU count '0'" "bad --cpus"
run badformat $NULL --format bin "$IMG/hello.bin"
expect_status badformat 2 "unknown --format"
expect_err badformat "unknown format 'bin': flat or elf" "unknown --format"
run badconsole $NULL --console vga -k "$IMG/multiboot.elf"
expect_status badconsole 2 "unknown --console"
expect_err badconsole "unknown console 'vga': uart or virtio" \
	"unknown --console"
run elfload $NULL --load-addr 0x2000 "$IMG/pm32.elf"
expect_status elfload 2 "--load-addr with an ELF image"
expect_err elfload "--load-addr applies to flat images" \
	"--load-addr with an ELF image"
run missing $NULL /hvx/images/no-such-image
expect_status missing 124 "missing image"
expect_err missing "/hvx/images/no-such-image" "missing image"
run diskflat $NULL -d /dev/null "$IMG/hello.bin"
expect_status diskflat 2 "-d without -k"
expect_err diskflat "go with -k" "-d without -k"
run nodisk $NULL -k "$IMG/multiboot.elf" -d /hvx/images/no-such-disk
expect_status nodisk 124 "-d with a missing file"
expect_err nodisk "no-such-disk" "-d with a missing file"
# -k -c 2 with a kernel that starts no AP and halts: the AP it never
# started does not keep hvx-run from ending
run mbhalt $NULL -c 2 -k "$IMG/mb_halt.elf"
expect_status mbhalt 0 "-k -c 2, the guest halts without starting the AP"
expect_err mbhalt "every vCPU halted with interrupts disabled" \
	"-k -c 2, the guest halts without starting the AP"
# -k -c 2, the AP halted (parked), started again (inside hvx.ko, no exit)
# and working while the BSP halts: not every vCPU halted, the AP's exit
# decides
run aprestart $NULL -c 2 -k "$IMG/mb_ap_restart.elf"
expect_status aprestart 66 "-k -c 2, an AP started again works on"
expect_out aprestart 'starting the AP\nstarting it again\nBSP halting\n' "-k -c 2, an AP started again works on"
# -k, an INIT to the BSP: the reset vector's page leads to the reset code
run mbinit $NULL -k "$IMG/mb_init.elf"
expect_status mbinit 120 "-k, the guest sends its BSP an INIT"
expect_out mbinit 'INIT to the BSP\n' "-k, the guest sends its BSP an INIT"
expect_err mbinit "guest requested reboot (ACPI reset register)" \
	"-k, the guest sends its BSP an INIT"
run nomod $NULL -k "$IMG/multiboot.elf" -i /hvx/images/no-such-module
expect_status nomod 124 "-i with a missing file"
expect_err nomod "no-such-module" "-i with a missing file"
run netflat $NULL -n tap=hvxt0 "$IMG/hello.bin"
expect_status netflat 2 "-n without -k"
expect_err netflat "go with -k" "-n without -k"
run netbad $NULL -k "$IMG/multiboot.elf" -n tap=hvxt0,mac=01:00:5e:00:00:01
expect_status netbad 2 "-n with a multicast MAC"
expect_err netbad "multicast" "-n with a multicast MAC"
run toohigh $NULL -m 64K --load-addr 0xffc0 "$IMG/hello.bin"
expect_status toohigh 124 "flat image beyond RAM"
expect_err toohigh "do not fit" "flat image beyond RAM"
run notelf $NULL --format elf "$IMG/hello.bin"
expect_status notelf 124 "--format elf on a flat image"
expect_err notelf "not an ELF image" "--format elf on a flat image"

# --- flat images: 16-bit real mode
run hello $NULL "$IMG/hello.bin"
expect_status hello 0 "flat hello"
expect_out hello "$HELLO" "flat hello"
if [ -s "$T/hello.err" ]; then
	notok "flat hello: stderr empty" "$T/hello.err"
else
	ok "flat hello: stderr empty"
fi
# Guest RAM from hugetlbfs: refused with an empty pool, runs with one.
HP=/proc/sys/vm/nr_hugepages
if [ -w "$HP" ]; then
	echo 0 >"$HP"
	run hugetlb0 $NULL --hugetlb -m 4M "$IMG/hello.bin"
	expect_status hugetlb0 124 "--hugetlb, empty pool"
	expect_err hugetlb0 "from hugetlbfs" "--hugetlb, empty pool"
	echo 2 >"$HP"
	run hugetlb $NULL --hugetlb -m 4M "$IMG/hello.bin"
	expect_status hugetlb 0 "--hugetlb"
	expect_out hugetlb "$HELLO" "--hugetlb"
	echo 0 >"$HP"
fi
# COM1's THR writes go through the shared I/O ring (posted, drained by the
# device thread), in order: the hvx_ring_post tracepoint counts them.
TR=/sys/kernel/tracing
if grep -qE '^  ring +yes' "$T/caps.out" &&
   [ -w "$TR/events/hvx/hvx_ring_post/enable" ]; then
	echo >"$TR/trace"
	echo 1 >"$TR/events/hvx/hvx_ring_post/enable"
	echo 1 >"$TR/tracing_on"
	run helloring $NULL "$IMG/hello.bin"
	echo 0 >"$TR/events/hvx/hvx_ring_post/enable"
	posts=$(grep -c 'hvx_ring_post:' "$TR/trace")
	echo >"$TR/trace"
	expect_status helloring 0 "flat hello through the ring"
	expect_out helloring "$HELLO" "flat hello through the ring"
	if [ "$posts" -ge 64 ]; then
		ok "flat hello through the ring: $posts writes posted"
	else
		notok "flat hello through the ring: only $posts writes posted" \
			"$T/helloring.err"
	fi
else
	ok "flat hello through the ring # SKIP no ring or no tracefs"
fi
run hello7c00 $NULL --format flat --load-addr 0x7c00 "$IMG/hello.bin"
expect_status hello7c00 0 "flat hello at 0x7c00"
expect_out hello7c00 "$HELLO" "flat hello at 0x7c00"
run hello20000 $NULL --load-addr 0x20000 "$IMG/hello.bin"
expect_status hello20000 0 "flat hello at 0x20000 (CS 0x2000)"
expect_out hello20000 "$HELLO" "flat hello at 0x20000 (CS 0x2000)"
run hellosmp $NULL -c 4 -m 16M "$IMG/hello.bin"
expect_status hellosmp 0 "flat hello with 4 vCPUs"
expect_out hellosmp "$HELLO" "flat hello with 4 vCPUs"
run hellobig $NULL -m 1G "$IMG/hello.bin"
expect_status hellobig 0 "flat hello with 1G of RAM"
expect_out hellobig "$HELLO" "flat hello with 1G of RAM"

run entry0 $NULL "$IMG/entry.bin"
expect_status entry0 153 "flat entry at the load address"
run entry1 $NULL --entry 0x1010 "$IMG/entry.bin"
expect_status entry1 0 "flat --entry 0x1010"
expect_out entry1 'entry ok\n' "flat --entry 0x1010"
run entry2 $NULL --load-addr 0x8000 --entry 0x8010 "$IMG/entry.bin"
expect_status entry2 0 "flat --load-addr 0x8000 --entry 0x8010"
expect_out entry2 'entry ok\n' "flat --load-addr 0x8000 --entry 0x8010"

# --- every device, from a real-mode guest
printf 'hvx rx test\n' >"$T/rx.in"
run devices "$T/rx.in" "$IMG/rm_devices.bin"
expect_status devices 0 "devices"
{
	echo "rx [hvx rx test]"
	for c in "uart scratch register" "uart divisor latch low" \
		 "uart divisor latch high" "uart line control with DLAB" \
		 "uart line control" "uart interrupt enable" \
		 "uart iir without fifo" "uart iir with fifo" \
		 "uart lsr empty" "uart msr" "uart iir thr empty" \
		 "uart iir thr empty acknowledged" \
		 "uart loopback msr deltas" "uart loopback msr rts out2" \
		 "uart loopback msr again" "uart loopback data ready" \
		 "uart loopback data" "uart loopback data taken" \
		 "uart modem control" "uart msr after loopback" \
		 "uart word read msr scr"; do
		echo "ok $c"
	done
	echo "rep outsb through the uart"
	for c in "rep insw unknown port first" \
		 "rep insw unknown port second" "i8042 status" \
		 "i8042 status output full" "i8042 command byte" \
		 "i8042 status output read" "i8042 self test" \
		 "i8042 output port" "rtc status a" "rtc status b 24h bcd" \
		 "rtc status c" "rtc status d" "rtc century" \
		 "cmos extended memory high" "cmos memory above 16M high" \
		 "cmos ram" "rtc seconds bcd" "rtc minutes bcd" \
		 "rtc hours bcd" "rtc day of week bcd" \
		 "rtc day of month bcd" "rtc month bcd" "rtc year bcd"; do
		echo "ok $c"
	done
	echo "rtc date $(date -u +%Y-%m-%d)"
	for c in "unknown port byte" "unknown port byte again" \
		 "unknown port word" "unknown port dword"; do
		echo "ok $c"
	done
} >"$T/devices.want"
if cmp -s "$T/devices.want" "$T/devices.out"; then
	ok "devices: stdout"
else
	diff "$T/devices.want" "$T/devices.out" >"$T/devices.diff" 2>&1
	notok "devices: stdout" "$T/devices.diff" "$T/devices.err"
fi
expect_err_count devices "unhandled I/O port 0x02f8" 1 "devices"
expect_err_count devices "unhandled I/O port 0x1234" 1 "devices"
expect_err_count devices "unhandled I/O port" 2 "devices"

# --- ELF32: 32-bit protected mode
PM32_OUT='pm32: hello from 32-bit protected mode
cr0=00000033 esp=%s gdt=%s limit=00000017
ok cs is 0x08
ok ss is 0x10
ok interrupts disabled
ok segments reloaded from the gdt
ok mmio dword read is all ones
ok mmio write is ignored
ok mmio byte read on a second page
'
run pm32 $NULL "$IMG/pm32.elf"
expect_status pm32 32 "elf32"
# shellcheck disable=SC2059
expect_out pm32 "$(printf "$PM32_OUT" 03fff000 03fff000)\n" "elf32"
expect_err_count pm32 "unhandled MMIO" 2 "elf32"
expect_err_count pm32 "(page 0xfe000000)" 1 "elf32"
run pm32small $NULL -m 16M "$IMG/pm32.elf"
expect_status pm32small 32 "elf32 with 16M"
# shellcheck disable=SC2059
expect_out pm32small "$(printf "$PM32_OUT" 00fff000 00fff000)\n" \
	"elf32 with 16M"

# --- ELF64: 64-bit mode
LM64_OUT='lm64: hello from 64-bit mode
cr0=0000000080010033 cr3=%s cr4=0000000000000620
efer=0000000000000500 rsp=%s gdt=%s
ok cs is 0x08
ok running at the link address
ok ram write and read back
ok mmio qword read at 3 GiB is all ones
'
run lm64 $NULL "$IMG/lm64.elf"
expect_status lm64 64 "elf64"
# shellcheck disable=SC2059
expect_out lm64 "$(printf "$LM64_OUT" 0000000003ffa000 0000000003ff9000 \
	0000000003ff9000)\n" "elf64"
expect_err_count lm64 "(page 0xc0000000)" 1 "elf64"
run lm64big $NULL -m 128M -c 2 "$IMG/lm64.elf"
expect_status lm64big 64 "elf64 with 128M and 2 vCPUs"
# shellcheck disable=SC2059
expect_out lm64big "$(printf "$LM64_OUT" 0000000007ffa000 \
	0000000007ff9000 0000000007ff9000)\n" "elf64 with 128M and 2 vCPUs"

# --- -k with a multiboot kernel: its command line, modules and memory map
printf 'first module\n' >"$T/mod1"
printf 'second one\n' >"$T/mod2"
MB_OUT='multiboot: flags=0000024d mem_lower=0000027f mem_upper=0000fc00
loader: hvx-run
cmdline: /hvx/images/multiboot.elf hello world
mmap 0000000000000000 000000000009fc00 00000001
mmap 000000000009fc00 0000000000060400 00000002
mmap 0000000000100000 0000000003f00000 00000001
mmap 00000000fffff000 0000000000001000 00000002
mods=00000002
module /tmp/hvx_run/mod1: first module
module /tmp/hvx_run/mod2: second one
mp: 000f0000 table=000f0010 processors=00000001 ioapic=fec00000
'
run multiboot $NULL -k "$IMG/multiboot.elf" -p "hello world" \
	-i "$T/mod1" -i "$T/mod2"
expect_status multiboot 77 "multiboot kernel"
expect_out multiboot "$MB_OUT" "multiboot kernel"
if [ -s "$T/multiboot.err" ]; then
	notok "multiboot kernel: stderr empty" "$T/multiboot.err"
else
	ok "multiboot kernel: stderr empty"
fi
run mbnomods $NULL -c 3 -k "$IMG/multiboot.elf"
expect_status mbnomods 77 "multiboot kernel without -p and -i"
if grep -qx 'cmdline: /hvx/images/multiboot.elf' "$T/mbnomods.out" &&
   grep -qx 'mods=00000000' "$T/mbnomods.out"; then
	ok "multiboot kernel without -p and -i: the name alone, no modules"
else
	notok "multiboot kernel without -p and -i: the name alone, no modules" \
		"$T/mbnomods.out" "$T/mbnomods.err"
fi
# the MP tables (mptable.c) where a kernel's scan finds them, one
# processor entry per vCPU (the unit test reads every entry)
if grep -qx 'mp: 000f0000 table=000f0010 processors=00000003 ioapic=fec00000' \
	"$T/mbnomods.out"; then
	ok "multiboot kernel with -c 3: the MP tables list three processors"
else
	notok "multiboot kernel with -c 3: the MP tables list three processors" \
		"$T/mbnomods.out" "$T/mbnomods.err"
fi
# --- -k, a guest on the 8259 pair alone: the PIT's IRQ 0 as ExtINT
t0=$(cut -d' ' -f1 /proc/uptime)
run mbpic $NULL -k "$IMG/mb_pic.elf"
t1=$(cut -d' ' -f1 /proc/uptime)
expect_status mbpic 77 "PIT through the 8259"
expect_out mbpic \
	'mb_pic: ticks=50 vector=0x20 isr-before-eoi=01 isr-after-eoi=00\n' \
	"PIT through the 8259"
# 50 periods of 10 ms cannot take less than half a second of host time
ms=$(echo "$t0 $t1" | awk '{ printf "%d", ($2 - $1) * 1000 }')
if [ "$ms" -ge 490 ]; then
	ok "PIT through the 8259: 50 ticks at 100 Hz take at least 490 ms ($ms)"
else
	notok "PIT through the 8259: 50 ticks at 100 Hz take at least 490 ms ($ms)" \
		"$T/mbpic.err"
fi
run notkernel $NULL -k "$T/mod1"
expect_status notkernel 2 "-k with a text file"
expect_err notkernel \
	"$T/mod1: neither a Linux bzImage nor a multiboot kernel" \
	"-k with a text file"
run kbigmem $NULL -m 4G -k "$T/mod1"
expect_status kbigmem 2 "-k with 4G of RAM"
expect_err kbigmem "-k takes at most 3072M of RAM" "-k with 4G of RAM"
run ksmallmem $NULL -m 1M -k "$T/mod1"
expect_status ksmallmem 2 "-k with 1M of RAM"
expect_err ksmallmem "-k takes at least 2M of RAM" "-k with 1M of RAM"
if [ -f /hvx/guest/vmlinuz ]; then
	run bztwo $NULL -k /hvx/guest/vmlinuz -i "$T/mod1" -i "$T/mod2"
	expect_status bztwo 2 "-k bzImage with two -i"
	expect_err bztwo "a Linux bzImage takes one initrd (-i), 2 given" \
		"-k bzImage with two -i"
else
	ok "-k bzImage with two -i # SKIP no /hvx/guest/vmlinuz"
fi

# --- how a guest ends
run halt $NULL "$IMG/halt.bin"
expect_status halt 0 "hlt"
expect_out halt 'halting now\n' "hlt"
expect_err halt "hvx-run: guest halted" "hlt"

run reset $NULL "$IMG/reset.bin"
expect_status reset 0 "i8042 reset"
expect_out reset 'resetting now\n' "i8042 reset"
expect_err reset "hvx-run: guest requested reset" "i8042 reset"

printf '\052' >"$T/42.in"
run exit42 "$T/42.in" "$IMG/exitcode.bin"
expect_status exit42 42 "debug exit 42"
printf '\377' >"$T/255.in"
run exit255 "$T/255.in" "$IMG/exitcode.bin"
expect_status exit255 255 "debug exit 255"
printf '\000' >"$T/0.in"
run exit0 "$T/0.in" "$IMG/exitcode.bin"
expect_status exit0 0 "debug exit 0"

run triple $NULL "$IMG/triple.elf"
expect_status triple 121 "triple fault"
expect_out triple 'about to triple fault\n' "triple fault"
expect_err triple "hvx-run: vCPU 0: triple fault" "triple fault"
expect_err triple "exit reason 4 (SHUTDOWN)" "triple fault"
expect_err triple "RBX=000000007e1f1e00" "triple fault"
expect_err triple "CS   sel=0008" "triple fault"
expect_err triple "CR0=0000000000000033" "triple fault"
expect_err triple "EFER=" "triple fault"

# Outside 64-bit mode bits 63:32 of RIP must be clear for VM entry
# (SDM "Checks on Guest RIP, RFLAGS, and SSP").
run failentry $NULL --entry 0x100000000 "$IMG/pm32.elf"
expect_status failentry 122 "32-bit entry at 4 GiB: failed VM entry"
expect_err failentry "hvx-run: vCPU 0: VM entry failed" \
	"32-bit entry at 4 GiB: failed VM entry"
expect_err failentry "basic reason 33: invalid guest state" \
	"32-bit entry at 4 GiB: failed VM entry"
expect_err failentry "RIP=0000000100000000" \
	"32-bit entry at 4 GiB: failed VM entry"

# A non-canonical RIP in 64-bit mode: #GP, no IDT, triple fault.
run noncanon $NULL --entry 0x800000000000 "$IMG/lm64.elf"
expect_status noncanon 121 "non-canonical 64-bit entry: triple fault"
expect_err noncanon "RIP=0000800000000000" \
	"non-canonical 64-bit entry: triple fault"

run mmioexec $NULL "$IMG/mmio_exec.elf"
expect_status mmioexec 123 "executing from MMIO: internal error"
expect_err mmioexec "hvx-run: vCPU 0: hvx internal error" \
	"executing from MMIO: internal error"
expect_err mmioexec "suberror 1" "executing from MMIO: internal error"
expect_err mmioexec "guest-physical address 0xfee00000" \
	"executing from MMIO: internal error"

run mmioinsn $NULL "$IMG/mmio_insn.elf"
expect_status mmioinsn 123 "undecodable MMIO instruction: internal error"
expect_err mmioinsn "instruction bytes (" \
	"undecodable MMIO instruction: internal error"
expect_err mmioinsn "ff 05 00 00 e0 fe" \
	"undecodable MMIO instruction: internal error"
expect_err mmioinsn "RIP=0000000000100000" \
	"undecodable MMIO instruction: internal error"

# signal_end ID SIG: send SIG to hvx-run ($pid) and keep its exit status
# in ID.status.  A signal that no thread takes through the signalfd is
# lost, and hvx-run runs on: it gets 30 s, then SIGKILL.  (The waits here
# poll every 0.1 s: a second of the test host costs Bochs seconds.)
signal_end() {
	kill -"$2" "$pid"
	i=0
	while [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	echo $? >"$T/$1.status"
}

# signal ID SIGNAL WANT ARGS...: start a spinning guest (ARGS name its
# image), signal it; with no_stdin set, standard input closed
signal() {
	id=$1
	sig=$2
	want=$3
	shift 3
	if [ -n "$no_stdin" ]; then
		"$BIN" "$@" <&- >"$T/$id.out" 2>"$T/$id.err" &
	else
		"$BIN" "$@" </dev/null >"$T/$id.out" 2>"$T/$id.err" &
	fi
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! grep -qs spinning "$T/$id.out"; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
	if [ -n "$no_stdin" ]; then
		fd0=$(readlink "/proc/$pid/fd/0")
		if [ "$fd0" = /dev/null ]; then
			ok "SIG$sig $*, stdin closed: fd 0 is /dev/null"
		else
			notok "SIG$sig $*, stdin closed: fd 0 is $fd0"
		fi
	fi
	signal_end "$id" "$sig"
	expect_status "$id" "$want" "SIG$sig $*"
	expect_out "$id" 'spinning\n' "SIG$sig $*"
	expect_err "$id" "hvx-run: stopped by SIG$sig" "SIG$sig $*"
}
signal sigint INT 130 -m 64M "$IMG/spin.bin"
signal sigterm TERM 143 -m 64M "$IMG/spin.bin"
signal sigterm4 TERM 143 -c 4 "$IMG/spin.bin"
# -k with a disk: its worker threads start before the run, and must not
# take the signal (SIGINT ignored, as for a job a script starts with &)
dd if=/dev/zero of="$T/disk.img" bs=64k count=16 2>/dev/null
signal sigintdisk INT 130 -k "$IMG/mb_spin.elf" -d "$T/disk.img"
signal sigtermdisk TERM 143 -k "$IMG/mb_spin.elf" -d "$T/disk.img"
# stdin closed: no descriptor of hvx-run's own (its signalfd) may become
# fd 0, which the UART's input thread reads, taking the signal away
no_stdin=1
signal sigtermnostdin TERM 143 -k "$IMG/mb_spin.elf"
no_stdin=
# a hangup stops the guest as SIGTERM does (it killed hvx-run outright:
# no message, the guest's output in hvx-run's own pipe lost)
signal sighup HUP 129 -k "$IMG/mb_spin.elf"

# Out of descriptors before the devices exist (the pipe of the output's
# copy): the teardown must not stop a UART never built, whose zeroed
# descriptors read as fd 0, here a file it would write its stop into.
printf 'original\n' >"$T/fdlimit.in"
# (the redirections first: busybox's sh needs a spare descriptor above 10
# for each one it makes under the limit)
(exec 0<>"$T/fdlimit.in" 3>&- 4>&- && ulimit -n 5 &&
 exec "$BIN" "$IMG/spin.bin") >"$T/fdlimit.out" 2>"$T/fdlimit.err"
echo $? >"$T/fdlimit.status"
expect_status fdlimit 124 "out of descriptors"
expect_err fdlimit "Too many open files" "out of descriptors"
if [ "$(cat "$T/fdlimit.in")" = original ]; then
	ok "out of descriptors: stdin untouched"
else
	notok "out of descriptors: stdin untouched" "$T/fdlimit.err"
fi

# stall_start ID ARGS...: hvx-run with ARGS in the background (pid), its
# stdout a FIFO that takes nothing more after the first line (a reader
# that stopped, a terminal on hold), read by $reader; with stall_err set,
# its stderr too (2>&1).
stall_start() {
	id=$1
	shift
	rm -f "$T/$id.fifo"
	mkfifo "$T/$id.fifo"
	(head -n 1 >"$T/$id.out"; exec sleep 300) <"$T/$id.fifo" &
	reader=$!
	if [ -n "$stall_err" ]; then
		"$BIN" "$@" </dev/null >"$T/$id.fifo" 2>&1 &
	else
		"$BIN" "$@" </dev/null >"$T/$id.fifo" 2>"$T/$id.err" &
	fi
	pid=$!
}

# stall_wait: until a thread of hvx-run waits on a full pipe (stdout's,
# or its own in front of it), up to 60 s; false if none did.
stall_wait() {
	i=0
	while [ $i -lt 600 ] &&
	      ! grep -qs '^pipe_write' /proc/"$pid"/task/*/wchan; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 600 ]
}

# stall_end ID SIG: signal_end, and the FIFO's reader goes.
stall_end() {
	signal_end "$1" "$2"
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
}

# vcpu0_waits [THREAD]: until hvx-run's vcpu0 (or THREAD) has waited on
# a futex (for stdout to take the guest's output) two seconds running, up
# to 60 s; false if it did not, or hvx-run ended.
vcpu0_waits() {
	i=0
	seen=0
	while [ $i -lt 60 ] && [ $seen -lt 2 ]; do
		sleep 1
		i=$((i + 1))
		for t in /proc/"$pid"/task/*; do
			[ "$(cat "$t/comm" 2>/dev/null)" = "${1:-vcpu0}" ] ||
				continue
			if grep -qs '^futex' "$t/wchan"; then
				seen=$((seen + 1))
			else
				seen=0
			fi
		done
	done
	[ $seen -ge 2 ] && kill -0 "$pid" 2>/dev/null
}

# stalled ID SIG STATUS ARGS...: the guest's output fills a stalled
# stdout and hvx-run waits, as it must; a signal must still end it,
# dropping what stdout did not take.
stalled() {
	id=$1
	sig=$2
	want=$3
	shift 3
	stall_start "$id" "$@"
	if stall_wait; then
		ok "a stalled stdout blocks hvx-run $*"
	else
		notok "a stalled stdout blocks hvx-run $*" "$T/$id.err"
	fi
	stall_end "$id" "$sig"
	expect_status "$id" "$want" "SIG$sig with a stalled stdout $*"
	expect_out "$id" 'spinning\n' "SIG$sig with a stalled stdout $*"
	expect_err "$id" "hvx-run: stopped by SIG$sig" \
		"SIG$sig with a stalled stdout $*"
}
stalled stallterm TERM 143 -k "$IMG/mb_flood.elf"
stalled stallint INT 130 -c 2 -k "$IMG/mb_flood.elf"

# stderr on the same stalled FIFO (2>&1 into a pager that stopped): the
# line saying why hvx-run stops waits on it too, and must not keep
# hvx-run from ending; it is dropped with the rest.
what="SIGINT with stdout and stderr stalled"
stall_err=1
stall_start stallboth -k "$IMG/mb_flood.elf"
stall_err=
if stall_wait; then
	ok "a stalled stdout and stderr block hvx-run"
else
	notok "a stalled stdout and stderr block hvx-run"
fi
stall_end stallboth INT
expect_status stallboth 130 "$what"
expect_out stallboth 'spinning\n' "$what"

# The guest ends by itself (mb_burst halts) with 40 KiB of its output not
# yet taken by a stalled stdout: hvx-run waits to write it, as it must,
# and a SIGTERM then drops it.  The status stays the guest's.
what="SIGTERM while a halted guest's output waits for a stalled stdout"
stall_start stallend -k "$IMG/mb_burst.elf"
if stall_wait; then
	ok "$what: the output waits"
else
	notok "$what: the output waits" "$T/stallend.err"
fi
# the guest prints the rest (into hvx-run's own pipe, which holds it) and
# halts: vcpu0 then waits to print why the guest ended after its output
if vcpu0_waits; then
	ok "$what: hvx-run waits after the halt"
else
	notok "$what: hvx-run waits after the halt" "$T/stallend.err"
fi
stall_end stallend TERM
expect_status stallend 0 "$what"
expect_out stallend 'spinning\n' "$what"
expect_err stallend "every vCPU halted" "$what"

# The same with a guest that triple-faults (mb_crash), stderr on the
# stalled FIFO too (2>&1 into a pager): the crash is recorded before its
# register dump waits for stdout and stderr, so the SIGTERM that abandons
# them does not take the status, nor do the other vCPUs run on
# meanwhile.  (The dump came first, and the SIGTERM's stop won: 143.)
what="SIGTERM while a crashed guest's output waits for a stalled stdout"
stall_err=1
stall_start stallcrash -k "$IMG/mb_crash.elf"
stall_err=
if stall_wait && vcpu0_waits; then
	ok "$what: hvx-run waits after the crash"
else
	notok "$what: hvx-run waits after the crash"
fi
stall_end stallcrash TERM
expect_status stallcrash 121 "$what"
expect_out stallcrash 'spinning\n' "$what"

# Two vCPUs (mb_flood_ap): vCPU 0 prints for ever through the I/O ring,
# whose consumer then waits on the stalled stdout, and vCPU 0 with it;
# vCPU 1 triple-faults meanwhile.  Its crash, which owes nothing to vCPU
# 0's output, is recorded at once: the SIGTERM does not take the status.
# (vCPU 1 waited for the whole ring to drain first: 143.)
what="SIGTERM while vCPU 0's output waits and vCPU 1 crashed"
stall_err=1
stall_start stallap -c 2 -k "$IMG/mb_flood_ap.elf"
stall_err=
if stall_wait && vcpu0_waits vcpu1; then
	ok "$what: hvx-run waits after the crash"
else
	notok "$what: hvx-run waits after the crash"
fi
stall_end stallap TERM
expect_status stallap 121 "$what"
expect_out stallap 'flooding\n' "$what"

if [ -n "$hvx_loaded" ]; then
	if rmmod hvx; then
		ok "rmmod hvx after the hvx-run tests"
	else
		notok "rmmod hvx after the hvx-run tests"
	fi
fi
exit $rc
