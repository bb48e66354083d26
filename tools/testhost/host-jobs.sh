# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the scripts that run test hosts in the background (check.sh,
# check-debug.sh).  A non-interactive shell starts background jobs with
# SIGINT ignored, and nothing passes a TERM on to them: a Ctrl-C ended
# the script and left its test hosts running, each Bochs a busy core
# until the host's timeout.  stop_hosts_on_signal makes INT, TERM and HUP
# end every process the calling shell started, whatever their depth, and
# then the shell.

# tree_pids PID: PID and every process below it.
tree_pids() {
	ps -e -o pid= -o ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			want[root] = 1
			do {
				more = 0
				for (p in parent)
					if (!(p in want) && (parent[p] in want)) {
						want[p] = 1
						more = 1
					}
			} while (more)
			for (p in want)
				print p
		}'
}

# stop_hosts STATUS: end the calling shell's descendants, then the shell.
stop_hosts() {
	local pids

	trap - INT TERM HUP
	pids=$(tree_pids "$BASHPID" | grep -vx "$BASHPID")
	# shellcheck disable=SC2086 # one word per process
	[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
	echo "interrupted: the test hosts were stopped" >&2
	exit "$1"
}

stop_hosts_on_signal() {
	trap 'stop_hosts 130' INT
	trap 'stop_hosts 143' TERM
	trap 'stop_hosts 129' HUP
}
