#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: tap-summary.sh FILE...
#
# Counts the TAP results in FILEs: "ok" lines pass (or are skipped when
# they carry "# SKIP"), "not ok" lines fail, with TAP's todo directive
# too (hvx has no expected failures).  "Bail out!" counts as a failure.
# Prints the failed lines, then "N skipped", then "N passed, N failed" as
# the last line (skipped results are counted apart, in neither); exits 1
# if anything failed or nothing ran.

awk '
/^ok [0-9]+/ {
	if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skip++; else pass++
	next
}
/^not ok [0-9]+/ { fail++; failed[fail] = FILENAME ": " $0; next }
/^Bail out!/ { fail++; failed[fail] = FILENAME ": " $0; next }
END {
	for (i = 1; i <= fail; i++)
		print "FAILED: " failed[i]
	printf "%d skipped\n%d passed, %d failed\n", skip, pass, fail
	exit (fail > 0 || pass == 0) ? 1 : 0
}' "$@"
