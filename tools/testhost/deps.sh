#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install and cache everything hvx needs to build and to boot its test hosts.
#
# Usage: deps.sh BUILD_DIR
#
# Installs missing Debian packages with apt-get, resolves the current Debian
# 12 cloud kernel (6.1), downloads that kernel package into BUILD_DIR/cache
# (unpacked there, never installed), installs its matching headers, and
# extracts the kselftest headers and checkpatch.pl from linux-source-6.1.
#
# Then the Debian 13 cloud kernel (6.12): resolved from the Debian 13
# archive through a private apt configuration under BUILD_DIR/cache/
# apt-trixie (the machine's own apt sources are left alone, so nothing is
# ever installed from Debian 13), its image and headers packages are
# downloaded and unpacked under BUILD_DIR/cache.  Debian 13 builds its
# kernels with gcc 14 and glibc 2.41; this machine has Debian 12's gcc 12
# and glibc 2.36.  So the unpacked headers are adapted, see trixie_headers.
#
# Every step is skipped when its result is already present, so a second run
# does no network work.  Prints "KERNEL <name> <version> <build tree>" for
# each kernel, and "KVER=<version>" (the 6.1 kernel) right after 6.1's:
# make run, bench and stress boot only 6.1, and go on when the 6.12 part
# fails.

set -eu

build=${1:?usage: deps.sh BUILD_DIR}
mkdir -p "$build/cache"
build=$(cd "$build" && pwd)
cache=$build/cache

export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*" >&2; }

need_root() {
	if [ "$(id -u)" != 0 ]; then
		log "must run as root to install: $*"
		exit 1
	fi
}

# apt_locked ARGS...: apt-get ARGS, waited out for up to 10 minutes while
# another apt holds a lock it needs: at a fresh machine's first boot
# apt-daily and unattended-upgrades do (DPkg::Lock::Timeout covers only
# dpkg's lock, not the lists' nor the archives').
apt_locked() {
	tries=0
	while ! apt-get "$@" 2>"$cache/apt.err"; do
		cat "$cache/apt.err" >&2
		if ! grep -qE 'Could not get lock|Unable to (acquire|lock)' \
		     "$cache/apt.err" || [ "$tries" -ge 60 ]; then
			return 1
		fi
		log "another apt holds its lock: waiting"
		sleep 10
		tries=$((tries + 1))
	done
	cat "$cache/apt.err" >&2
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	need_root "packages"
	log "apt-get update"
	apt_locked update -q >&2
	apt_updated=1
}

# download DIR PACKAGE [APT]: fetch PACKAGE's .deb into DIR unless there.
# apt-get download writes straight to the final name: into a scratch
# folder first, checked whole, then moved, so that an interrupted download
# leaves nothing a later run would trust.
download() {
	if ! ls "$1/$2"_*.deb >/dev/null 2>&1; then
		log "downloading $2"
		rm -rf "$1/.part"
		mkdir -p "$1/.part"
		if [ "${3:-}" = trixie ]; then
			(cd "$1/.part" && apt_trixie download -q "$2" >&2)
		else
			apt_update_once
			(cd "$1/.part" &&
			 apt-get -o APT::Sandbox::User=root download -q "$2" >&2)
		fi
		for d in "$1/.part"/*.deb; do
			dpkg-deb --info "$d" >/dev/null
			mv "$d" "$1/"
		done
		rm -rf "$1/.part"
	fi
	ls "$1/$2"_*.deb | head -n 1
}

# Packages: builders, the emulators, the boot medium, libnl (and pkgconf,
# which finds it) for hvx-stat,
# iasl and acpiexec for hvx-run's ACPI table test, DKMS and the Debian
# packaging tools (make deb, its lintian check).
# dwarves (pahole): module BTF for the 6.12 headers, which ship vmlinux.
# flex, bison, libelf-dev, libssl-dev, openssl: the debug test host's
# kernel, built from linux-source-6.1 (debug-kernel.sh, make check-debug).
# git: checkpatch.sh and make deb list the tracked files.
# procps (pgrep, pkill) and util-linux (unshare): the hosts' control.
pkgs="build-essential bc kmod cpio gzip xz-utils zstd bochs bochsbios vgabios \
busybox-static isolinux syslinux-common xorriso qemu-system-x86 \
libnl-3-dev libnl-genl-3-dev pkgconf linux-source-6.1 perl acpica-tools \
dwarves dkms dh-dkms debhelper dpkg-dev fakeroot lintian flex bison \
libelf-dev libssl-dev openssl git procps util-linux"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	apt_update_once
	log "installing:$missing"
	# shellcheck disable=SC2086
	apt_locked install -y -q -o DPkg::Lock::Timeout=600 \
		--no-install-recommends $missing >&2
fi

# The kernel the test host boots: the one Debian's cloud meta-package names.
kver_file=$cache/kver
resolve_kver() {
	# from fresh lists: an old list can name an ABI that the archive
	# (bookworm-security keeps one upload) no longer has
	apt_update_once
	kver=$(apt-cache depends linux-image-cloud-amd64 |
	       sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
	[ -n "$kver" ] || { log "cannot resolve the cloud kernel"; exit 1; }
	echo "$kver" >"$kver_file"
}
install_headers() {
	apt_locked install -y -q -o DPkg::Lock::Timeout=600 \
		--no-install-recommends "linux-headers-$kver" >&2
}
if [ -s "$kver_file" ]; then
	kver=$(cat "$kver_file")
else
	resolve_kver
fi

if ! dpkg-query -W -f='${Status}' "linux-headers-$kver" 2>/dev/null |
     grep -q 'ok installed'; then
	apt_update_once
	log "installing linux-headers-$kver"
	# a cache from another machine may name an ABI the archive dropped
	# since: the headers are installed, not cached, so resolve again
	if ! install_headers; then
		log "cannot install linux-headers-$kver (the archive may have dropped that ABI): resolving the kernel again"
		resolve_kver
		install_headers
	fi
fi

kroot=$cache/kernel-$kver
if [ ! -f "$kroot/.unpacked" ]; then
	deb=$(download "$cache" "linux-image-$kver")
	rm -rf "$kroot"
	dpkg-deb -x "$deb" "$kroot"
	touch "$kroot/.unpacked"
fi

# kselftest headers, checkpatch and kernel-doc, from the kernel source
# Debian ships (a cache from before kernel-doc was taken is extracted again).
ksrc=$cache/linux-source
if [ ! -f "$ksrc/.extracted" ] || [ ! -f "$ksrc/scripts/kernel-doc" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
	rm -rf "$ksrc"
	mkdir -p "$ksrc"
	log "extracting kselftest, checkpatch and kernel-doc from $tarball"
	tar -xf "$tarball" -C "$ksrc" --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' \
		'*/scripts/kernel-doc' \
		'*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch "$ksrc/.extracted"
fi

echo "KERNEL 6.1 $kver /usr/src/linux-headers-$kver"
echo "KVER=$kver"

# ---- Debian 13 (trixie): its 6.12 cloud kernel and headers ----------------

# apt_trixie ARGS...: apt-get with only the Debian 13 archive as source, its
# lists under the cache; the machine's package database is not consulted
# (download only).
tapt=$cache/apt-trixie
apt_trixie_opts() {
	echo "-o Dir::Etc::SourceList=$tapt/sources.list" \
	     "-o Dir::Etc::SourceParts=$tapt/sources.list.d" \
	     "-o Dir::State::Lists=$tapt/lists" \
	     "-o Dir::Cache=$tapt/cache" \
	     "-o Dir::State::status=$tapt/status" \
	     "-o APT::Architecture=amd64 -o Acquire::Languages=none" \
	     "-o APT::Sandbox::User=root"
}
trixie_updated=
apt_trixie_update() {
	[ -n "$trixie_updated" ] && return 0
	mkdir -p "$tapt/lists/partial" "$tapt/cache/archives/partial" \
		 "$tapt/sources.list.d"
	: >"$tapt/status"
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$tapt/sources.list" <<EOF
deb [signed-by=$key] http://deb.debian.org/debian trixie main
deb [signed-by=$key] http://deb.debian.org/debian-security trixie-security main
EOF
	log "apt-get update (Debian 13 archive, kernel packages only)"
	# shellcheck disable=SC2046
	apt-get $(apt_trixie_opts) update -q >&2
	trixie_updated=1
}
apt_trixie() {
	apt_trixie_update
	# shellcheck disable=SC2046
	apt-get $(apt_trixie_opts) "$@"
}


kver12_file=$cache/kver-6.12
if [ -s "$kver12_file" ]; then
	kver12=$(cat "$kver12_file")
else
	apt_trixie_update
	# shellcheck disable=SC2046
	kver12=$(apt-cache $(apt_trixie_opts) depends linux-image-cloud-amd64 |
		 sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
	case $kver12 in
	6.12.*-cloud-amd64) ;;
	*) log "cannot resolve Debian 13's cloud kernel (got '$kver12')"
	   exit 1 ;;
	esac
	echo "$kver12" >"$kver12_file"
fi
abi12=${kver12%-cloud-amd64}		# 6.12.N+deb13
up12=${abi12%%+*}			# 6.12.N
debs12=$cache/debs-$abi12
mkdir -p "$debs12"

kroot12=$cache/kernel-$kver12
if [ ! -f "$kroot12/.unpacked" ]; then
	deb=$(download "$debs12" "linux-image-$kver12" trixie)
	rm -rf "$kroot12.tmp"
	dpkg-deb -x "$deb" "$kroot12.tmp"
	touch "$kroot12.tmp/.unpacked"
	rm -rf "$kroot12"
	mv "$kroot12.tmp" "$kroot12"
fi

# trixie_headers ROOT: unpack Debian 13's headers (cloud, common, kbuild)
# under ROOT and make them usable with Debian 12's toolchain:
# - the kbuild host programs (fixdep, modpost, objtool, resolve_btfids, ...)
#   need glibc 2.38: each is replaced by the same program from Debian 12's
#   linux-kbuild package of the same upstream release, built from the same
#   source against glibc 2.36;
# - the compiler: .kernelvariables names gcc-14, and the configuration
#   records what gcc 14 can do (CONFIG_CC_HAS_*, for example
#   -fmin-function-alignment).  The toolchain-derived options are taken from
#   Debian 12's build of the same kernel (its cloud headers package), which
#   ran Kconfig with gcc 12; every other option stays Debian 13's.  An
#   option set in one configuration and not in the other, toolchain
#   aside, is refused;
# - the headers Makefile includes the common tree by an absolute /usr/src
#   path: made relative.
# Module.symvers (the CRCs the module is checked against) is Debian 13's.
tc_re='^CONFIG_(CC_HAS_|CC_IS_|CC_CAN_|CC_OPT_|CC_VERSION_TEXT|GCC_VERSION|GCC_ASM_|AS_|LD_|LLD_|CLANG_|RUSTC_|PAHOLE_|TOOLS_SUPPORT_|BUILD_SALT)'
cfg_merge() {	# TRIXIE_FILE BOOKWORM_FILE: toolchain lines from bookworm
	awk -v re="$tc_re" '
	function name(l, f) {
		if (l ~ /^#define / || l ~ /^# CONFIG_/) {
			split(l, f, " ")
			return f[2]
		}
		split(l, f, "=")
		return f[1]
	}
	FNR == NR { if (name($0) ~ re) tc[++n] = $0; next }
	name($0) !~ re { print }
	END { for (i = 1; i <= n; i++) print tc[i] }' "$2" "$1" >"$1.new" &&
	mv "$1.new" "$1"
}
cfg_names() {	# options set in a .config, toolchain ones left out
	sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=.*/\1/p' "$1" | grep -Ev "$tc_re" |
		LC_ALL=C sort
}
trixie_headers() {
	root=$1
	h13=$root/usr/src/linux-headers-$kver12
	b12=$root/bookworm
	for p in "linux-headers-$kver12" "linux-headers-$abi12-common" \
		 "linux-kbuild-$abi12"; do
		dpkg-deb -x "$(download "$debs12" "$p" trixie)" "$root"
	done
	# Debian 12's build of the same upstream release, else its newest 6.12.
	babi=$(apt-cache pkgnames linux-kbuild-6.12 2>/dev/null |
	       sed -n "s/^linux-kbuild-\($up12+deb12\)$/\1/p")
	same=$babi
	if [ -z "$babi" ]; then
		apt_update_once
		babi=$(apt-cache pkgnames linux-kbuild-6.12 |
		       sed -n 's/^linux-kbuild-\(6\.12\.[0-9]*+deb12\)$/\1/p' |
		       sort -V | tail -n 1)
		[ -n "$babi" ] || { log "no Debian 12 linux-kbuild-6.12"; return 1; }
		log "no Debian 12 build of $up12: using $babi's host programs"
	fi
	mkdir -p "$b12"
	for p in "linux-kbuild-$babi" "linux-headers-$babi-cloud-amd64"; do
		dpkg-deb -x "$(download "$debs12" "$p")" "$b12"
	done
	k13=$root/usr/lib/linux-kbuild-$abi12
	k12=$b12/usr/lib/linux-kbuild-$babi
	(cd "$k13" && find . -type f) | while read -r f; do
		head -c 4 "$k13/$f" | grep -q 'ELF' || continue
		[ -f "$k12/$f" ] || { log "no Debian 12 build of $f"; return 1; }
		cp "$k12/$f" "$k13/$f"
	done || return 1
	hb=$b12/usr/src/linux-headers-$babi-cloud-amd64
	cfg_names "$h13/.config" >"$root/c13"
	cfg_names "$hb/.config" >"$root/c12"
	# Only the toolchain's options are taken from Debian 12's build;
	# the others must match where it is the same release.  Another
	# release may add options (the archives do not move together).
	if ! diff "$root/c13" "$root/c12" >&2; then
		if [ -n "$same" ]; then
			log "Debian 12's and 13's 6.12 configurations differ beyond the toolchain"
			return 1
		fi
		log "Debian 12's $babi configuration differs from $up12's (another release): only its toolchain options are used"
	fi
	for f in .config include/config/auto.conf include/generated/autoconf.h; do
		cfg_merge "$h13/$f" "$hb/$f"
	done
	cc=$(grep '^CC = ' "$hb/.kernelvariables")
	sed -i "s|^CC = .*|$cc|" "$h13/.kernelvariables"
	sed -i 's|^include /usr/src/|include ../|' "$h13/Makefile"
	rm -rf "$b12" "$root/c13" "$root/c12"
}

hroot12=$cache/headers-$kver12
kdir12=$hroot12/usr/src/linux-headers-$kver12
if [ ! -f "$hroot12/.unpacked" ]; then
	rm -rf "$hroot12.tmp"
	mkdir -p "$hroot12.tmp"
	# not in a condition: there set -e would stop at no failing step
	log "preparing the $kver12 headers"
	trixie_headers "$hroot12.tmp"
	touch "$hroot12.tmp/.unpacked"
	rm -rf "$hroot12"
	mv "$hroot12.tmp" "$hroot12"
fi
echo "KERNEL 6.12 $kver12 $kdir12"
