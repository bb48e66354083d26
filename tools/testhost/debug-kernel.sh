#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug test host's kernel once and cache it: Debian's
# linux-source-6.1 (the release of the cloud kernel the test host boots),
# configured from that kernel's configuration plus tools/testhost/debug.config
# (KASAN, lockdep, kmemleak, ...).  deps.sh installs the source and the
# build dependencies.
#
# Usage: debug-kernel.sh BUILD_DIR KVER
#
# KVER: the cloud kernel (deps.sh's KVER=), whose configuration is the base.
# The build tree is BUILD_DIR/cache/debug-<source version>, to compile
# hvx.ko against.  Its kernel and modules are installed as an unpacked
# kernel package would be, in BUILD_DIR/cache/kernel-<release> (boot/vmlinuz-
# <release>, lib/modules/<release>/), where boot.sh and mkinitramfs.sh find
# the kernels they boot.  Each step is skipped when its result is there,
# made with the same debug.config.
# Prints "DEBUG_KERNEL <release> <build tree>" as its last line.  The build
# runs as "nice -n 19 make -j2" (DEBUG_JOBS overrides -j): about 15 to 30
# minutes on a 2-core machine.

set -eu

build=$(cd "${1:?usage: debug-kernel.sh BUILD_DIR KVER}" && pwd)
kver=${2:?usage: debug-kernel.sh BUILD_DIR KVER}
src=$(cd "$(dirname "$0")/../.." && pwd)
fragment=$src/tools/testhost/debug.config
jobs=${DEBUG_JOBS:-2}

log() { echo "debug-kernel: $*" >&2; }

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
tree=$build/cache/debug-$srcver
base=$build/cache/kernel-$kver/boot/config-$kver
[ -f "$base" ] || { log "no configuration $base (run deps.sh)"; exit 1; }

# configure: the cloud configuration with its modules left out (the test
# host loads only those debug.config names), then the fragment; every line
# of the fragment must have survived olddefconfig.
configure() {
	sed 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' "$base" \
		>"$tree/.config"
	(cd "$tree" &&
	 scripts/kconfig/merge_config.sh -m .config "$fragment" &&
	 make olddefconfig) >"$tree/merge.log" 2>&1 || return 1
	bad=0
	while read -r want; do
		case $want in
		CONFIG_*=*|"# CONFIG_"*" is not set") ;;
		*) continue ;;
		esac
		grep -qxF "$want" "$tree/.config" && continue
		name=$(echo "$want" | sed 's/^# //; s/[= ].*//')
		# "is not set" also holds when the option is absent.
		case $want in
		"# "*) grep -q "^$name=" "$tree/.config" || continue ;;
		esac
		log "wanted '$want', got: $(grep -E "^(# )?${name}[= ]" \
			"$tree/.config" || echo absent)"
		bad=1
	done <"$fragment"
	return "$bad"
}

# The tree is complete once .built holds the fragment it was built with
# (compared by content: each checkout has its own copy of the file).
if ! cmp -s "$fragment" "$tree/.built"; then
	if [ ! -f "$tree/.extracted" ]; then
		rm -rf "$tree"
		mkdir -p "$tree"
		log "extracting linux-source-6.1 $srcver"
		tar -xf /usr/src/linux-source-6.1.tar.xz -C "$tree" \
			--strip-components=1
		touch "$tree/.extracted"
	fi
	rm -f "$tree/.built"
	configure || { log "configuration refused ($tree/merge.log)"; exit 1; }
	log "building in $tree (nice -n 19 make -j$jobs: 15 to 30 minutes)"
	start=$(date +%s)
	if ! (cd "$tree" && nice -n 19 make -j"$jobs" bzImage modules \
		>"$tree/build.log" 2>&1); then
		tail -n 40 "$tree/build.log" >&2
		log "build failed, log in $tree/build.log"
		exit 1
	fi
	log "built in $(($(date +%s) - start)) s"
	cp "$fragment" "$tree/.built"
fi

rel=$(cat "$tree/include/config/kernel.release")
kroot=$build/cache/kernel-$rel
if ! cmp -s "$tree/.built" "$kroot/.unpacked"; then
	rm -rf "$kroot"
	mkdir -p "$kroot/boot"
	cp "$tree/arch/x86/boot/bzImage" "$kroot/boot/vmlinuz-$rel"
	cp "$tree/.config" "$kroot/boot/config-$rel"
	(cd "$tree" && make INSTALL_MOD_PATH="$kroot" modules_install) \
		>"$tree/install.log" 2>&1 ||
		{ log "modules_install failed ($tree/install.log)"; exit 1; }
	cp "$tree/.built" "$kroot/.unpacked"
fi
echo "DEBUG_KERNEL $rel $tree"
