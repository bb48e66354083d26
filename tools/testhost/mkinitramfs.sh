#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the test host's initramfs: static busybox, hvx.ko, the static
# userspace programs, selftests and stress programs, the in-host task scripts and /init.
#
# Usage: mkinitramfs.sh BUILD_DIR KVER OUTPUT [HVX_KO]
#
# HVX_KO: the hvx.ko built for KVER (default: module/hvx.ko of the tree).
# The kernel's own modules that tests load (irqbypass, kvm, kvm-intel: the
# EBUSY test and the benchmarks) are copied from the unpacked kernel package.
# HVX_GUEST_KVER: the kernel hvx-run boots as a guest, with its virtio
# modules (default KVER; the debug test host keeps the cloud kernel there).

set -eu

build=$1
kver=$2
out=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
# Scratch folders of this run alone: make run and make check may build
# initramfs images in one build folder at the same time.
mkdir -p "$build/testhost"
scratch=$(mktemp -d "$build/testhost/initramfs.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
root=$scratch/rootfs

mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin \
	 "$root"/proc "$root"/sys "$root"/dev "$root"/tmp "$root"/etc \
	 "$root"/hvx/tasks "$root"/hvx/bin "$root"/hvx/selftests \
	 "$root"/hvx/images "$root"/hvx/stress "$root"/lib/modules

cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	case $applet in
	busybox) ;;
	*) ln -sf busybox "$root/bin/$applet" ;;
	esac
done

cp "$src/tools/testhost/init" "$root/init"
chmod 0755 "$root/init"
cp "$src"/tests/testhost/*.sh "$root/hvx/tasks/"
cp "$src"/tools/testhost/tasks/*.sh "$root/hvx/tasks/" 2>/dev/null || true
chmod 0755 "$root"/hvx/tasks/*.sh

cp "${4:-$src/module/hvx.ko}" "$root/hvx/hvx.ko"
[ -d "$build/bin" ] && cp "$build"/bin/* "$root/hvx/bin/" 2>/dev/null || true
# only the programs whose source is in the tree: the suite runs every
# file in /hvx/selftests, and a reused build folder may still hold a
# test renamed or removed since
for f in "$build"/selftests/*_test; do
	if [ -f "$f" ] && [ -f "$src/tests/selftests/${f##*/}.c" ]; then
		cp "$f" "$root/hvx/selftests/"
	fi
done
for f in "$build"/stress/*; do
	if [ -f "$f" ] && [ -f "$src/tests/stress/${f##*/}.c" ]; then
		cp "$f" "$root/hvx/stress/"
	fi
done
[ -d "$build/images" ] && cp "$build"/images/* "$root/hvx/images/" 2>/dev/null || true
# Without their debug information: 16 MB fewer for the test host's kernel
# to unpack, 5 s of a suite host's time.  BUILD keeps the programs' (for
# gdb and addr2line on what a test host reports); DKMS strips the hvx.ko
# it installs, so the module's is in the tree's module/hvx.ko (make
# install's, first kernel) or a build of make dkms-src.
strip --strip-debug "$root/hvx/hvx.ko" "$root"/hvx/bin/* \
	"$root"/hvx/selftests/* "$root"/hvx/stress/* 2>/dev/null || true

# Debian 12's kernel package has them in /lib/modules, uncompressed;
# Debian 13's in /usr/lib/modules, compressed with xz (unpacked here: the
# tests load them with finit_module() without flags).
# kmods KVER: where the unpacked kernel KVER keeps its modules.
kmods() {
	kroot=$build/cache/kernel-$1
	if [ -d "$kroot/lib/modules/$1/kernel" ]; then
		echo "$kroot/lib/modules/$1/kernel"
	else
		echo "$kroot/usr/lib/modules/$1/kernel"
	fi
}
# copy_kmod MODULE DIR: the kernel module MODULE (its path without .ko,
# in $kmods) into DIR, uncompressed, without its BTF, the local symbols
# no relocation needs and with those its signature; false when the
# package has no such module.  Loading kvm.ko took 9.9 s of a suite
# host's time, three or four loads per suite: 4.5 s without the BTF the
# kernel checks at each load, 2.4 s without the local symbols too
# (kvm-intel.ko 2.7, 0.5 and 0.4 s).  Unsigned, it taints the kernel as
# hvx.ko already has.
copy_kmod() {
	name=${1##*/}
	# called in a list (|| ...), where set -e does not act: exit here
	if [ -f "$kmods/$1.ko" ]; then
		cp "$kmods/$1.ko" "$scratch/$name.ko" || exit 1
	elif [ -f "$kmods/$1.ko.xz" ]; then
		xz -dc "$kmods/$1.ko.xz" >"$scratch/$name.ko" || exit 1
	else
		return 1
	fi
	objcopy --strip-unneeded --remove-section=.BTF "$scratch/$name.ko" \
		"$2/$name.ko" || exit 1
	rm -f "$scratch/$name.ko"
}
kmods=$(kmods "$kver")
mkdir -p "$root/lib/modules/$kver"
# zram and what it needs give mm_test and mm_host_test swap
# (tap-lib.sh's zram_swap_on; 6.12's zram links the LZ4 compressors);
# tun the tap of hvx-run's -n (linux_boot.sh).
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel \
	 mm/zsmalloc crypto/lzo-rle lib/lz4/lz4_compress lib/lz4/lz4hc_compress \
	 drivers/block/zram/zram drivers/net/tun; do
	copy_kmod "$m" "$root/lib/modules/$kver" || true
done

# The Linux guest of hvx-run: the test host's own kernel (or
# HVX_GUEST_KVER) and a busybox initramfs whose /init reports what the
# guest sees (guest/init).
gkver=${HVX_GUEST_KVER:-$kver}
kmods=$(kmods "$gkver")
guest=$scratch/guest-rootfs
mkdir -p "$guest"/bin "$guest"/sbin "$guest"/proc "$guest"/sys "$guest"/dev \
	 "$root"/hvx/guest
cp /bin/busybox "$guest/bin/busybox"
for applet in sh mount cat cut echo tr uname nproc sleep dmesg poweroff reboot \
	      insmod md5sum dd sync stty; do
	ln -sf busybox "$guest/bin/$applet"
done
# its virtio drivers, modules of the kernel package, in load order
mkdir -p "$guest/lib/modules"
for m in drivers/virtio/virtio_ring drivers/virtio/virtio \
	 drivers/virtio/virtio_pci_modern_dev \
	 drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci \
	 drivers/block/virtio_blk drivers/char/hw_random/virtio-rng \
	 drivers/char/virtio_console net/core/failover \
	 drivers/net/net_failover drivers/net/virtio_net; do
	copy_kmod "$m" "$guest/lib/modules" || continue
	echo "${m##*/}" >>"$guest/lib/modules/order"
done
# the reader of make bench's disk case, the same binary as the test host's
[ -x "$build/bin/hvx-diskread" ] && cp "$build/bin/hvx-diskread" "$guest/bin/"
# linux_boot's write zeroes on vdb
[ -x "$build/bin/hvx-zeroout" ] && cp "$build/bin/hvx-zeroout" "$guest/bin/"
cp "$src/tools/testhost/guest/init" "$guest/init"
chmod 0755 "$guest/init"
(cd "$guest" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
	gzip -9 >"$root/hvx/guest/initrd.gz"
cp "$build/cache/kernel-$gkver/boot/vmlinuz-$gkver" "$root/hvx/guest/vmlinuz"

echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "nogroup:x:65534:" >>"$root/etc/group"

# zstd, not gzip: the test host's kernel unpacked 83 MB of gzip in 9.5 s
# of a linux_boot host's time (1.9 billion emulated instructions); zstd
# takes half of that, and its file is a third smaller for the boot loader
# to read.  Whole or not at all: another run
# may be reading the last one.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
	zstd -3 -q -T0 >"$scratch/initrd.img"
mv -f "$scratch/initrd.img" "$out"
