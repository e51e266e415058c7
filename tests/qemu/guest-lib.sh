# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# What both initramfs /init scripts (init.sh, init-gunyah.sh) share,
# installed as /lib/gh-guest-lib.sh: the markers the host-side suites read
# in the serial log, and the record of what failed ($failed).

say() { echo "GH-QEMU: $*"; }

# run NAME TIMEOUT CMD...: one test program; a failure or a timeout is noted
run() {
	name=$1 limit=$2
	shift 2
	say "BEGIN $name"
	t0=$(date +%s)
	timeout "$limit" "$@"
	rc=$?
	say "END $name rc=$rc $(($(date +%s) - t0))s"
	[ "$rc" -eq 0 ] || failed="$failed $name"
}

check() {	# check NAME CONDITION-CMD...
	name=$1
	shift
	if "$@"; then
		say "CHECK $name ok"
	else
		say "CHECK $name FAILED"
		failed="$failed $name"
	fi
}
