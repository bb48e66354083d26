#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/testing.rst's table of what the suite covers names every
# selftest binary the suite runs (tests/selftests/*_test.c), and nothing
# that is gone.  Prints TAP; run by check.sh on the build machine.

src=$(cd "$(dirname "$0")/../.." && pwd)
doc=$src/Documentation/testing.rst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tools/testhost/tap-check.sh"

echo "TAP version 13"
echo "1..2"

# the table's rows start with the binary's name as a literal
grep -o '^``[a-z0-9_]*_test``' "$doc" | tr -d '`' | sort -u >"$tmp/doc"
for f in "$src"/tests/selftests/*_test.c; do
	basename "$f" .c
done | sort >"$tmp/src"
missing=$(comm -13 "$tmp/doc" "$tmp/src" | tr '\n' ' ')
[ -z "$missing" ]
tap_check $? "testing.rst describes every selftest${missing:+ (not: $missing)}"
gone=$(comm -23 "$tmp/doc" "$tmp/src" | grep -v '^hvx_run_' | tr '\n' ' ')
[ -z "$gone" ]
tap_check $? "testing.rst describes no selftest that is gone${gone:+ (gone: $gone)}"

exit $fail
