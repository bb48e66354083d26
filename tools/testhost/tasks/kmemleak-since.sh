#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: kmemleak-since.sh JIFFIES REPORT
#
# Prints the objects of a kmemleak report (/sys/kernel/debug/kmemleak)
# allocated at JIFFIES or later: the second line of each object's report
# is "comm ..., pid N, jiffies N (age ...)".  tasks/debug.sh keeps so only
# what the suite allocated, without a scan before it to clear the boot's
# suspects (a scan takes many minutes in Bochs).

awk -v since="$1" '
function flush() { if (rec != "" && keep) printf "%s", rec }
/^unreferenced object/ { flush(); rec = ""; keep = 0 }
/ jiffies [0-9]+/ {
	for (i = 1; i < NF; i++)
		if ($i == "jiffies" && $(i + 1) + 0 >= since + 0)
			keep = 1
}
{ rec = rec $0 "\n" }
END { flush() }' "$2"
