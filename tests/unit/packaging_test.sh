#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The release's version and the module's name agree between dkms.conf,
# debian/changelog and module/Kbuild, and dkms.conf is valid shell that
# names a build command.  Prints TAP; run by check.sh on the build machine.

src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tools/testhost/tap-check.sh"

echo "TAP version 13"
echo "1..5"

# dkms sets kernel_source_dir and dkms_tree for the kernel it builds for:
# stand-ins show that MAKE uses them and not the running kernel's tree.
conf=$(bash -c 'kernel_source_dir=/KSRC dkms_tree=/DKMS && . "$1" &&
	echo "$PACKAGE_NAME $PACKAGE_VERSION" &&
	echo "${BUILT_MODULE_NAME[0]} ${BUILT_MODULE_LOCATION[0]}" &&
	echo "${MAKE[0]}" &&
	echo "$AUTOINSTALL ${DEST_MODULE_LOCATION[0]}"' sh "$src/dkms.conf" 2>&1)
tap_check $? "dkms.conf: valid shell"

set -- $(echo "$conf" | sed -n 1p)
name=$1 ver=$2
clver=$(sed -n '1s/^\([a-z0-9.+-]*\) (\([^)]*\)).*/\1 \2/p' \
	"$src/debian/changelog")
[ "$name $ver" = "$clver" ]
tap_check $? "dkms.conf $name $ver agrees with debian/changelog ($clver)"

set -- $(echo "$conf" | sed -n 2p)
grep -q "^obj-m := $1.o" "$src/module/Kbuild" && [ -f "$src/$2/Kbuild" ]
tap_check $? "dkms.conf: BUILT_MODULE $1 in $2 is module/Kbuild's obj-m"

make=$(echo "$conf" | sed -n 3p)
[ "$make" = "make -C /KSRC M=/DKMS/$name/$ver/build modules" ]
tap_check $? "dkms.conf: MAKE builds DKMS's copy against the kernel DKMS names ($make)"

# rebuilt at every kernel update, where DKMS's own modules go
[ "$(echo "$conf" | sed -n 4p)" = "yes /updates/dkms" ]
tap_check $? "dkms.conf: AUTOINSTALL yes, DEST_MODULE_LOCATION /updates/dkms"

exit $fail
