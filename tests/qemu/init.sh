#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# /init of the QEMU suites' initramfs. Loads gunyah.ko on the loopback
# transport, runs the in-guest tests (first with the test itself as the RM,
# then against gh-rm-emu), checks that rmmod is refused while a VM fd is open
# and works afterwards, runs the zombie test last (a zombie pins the module
# for good), prints the kernel log between markers and a result marker, and
# powers off. The host side (suite.sh) judges the serial log.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# written by suite.sh
# shellcheck source=/dev/null
. /etc/gh-suite.conf
export GH_EMU_CONTROL=/run/gh-rm-emu.sock GH_STRESS_THREADS GH_STRESS_ITERATIONS

failed=""
emu_pid=""

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

load() {
	insmod /lib/gunyah.ko transport=loopback parcel_read=1 rm_timeout_ms=2000
}

emu_start() {
	rm -f /run/emu.ready
	gh-rm-emu --foreground --control "$GH_EMU_CONTROL" --ready-file /run/emu.ready \
		--log /tmp/gh-rm-emu.log &
	emu_pid=$!
	for _ in $(seq 100); do
		[ -e /run/emu.ready ] && return 0
		kill -0 "$emu_pid" 2>/dev/null || break
		sleep 0.1
	done
	say "gh-rm-emu did not become ready"
	return 1
}

emu_stop() {
	[ -n "$emu_pid" ] || return 0
	kill "$emu_pid"
	wait "$emu_pid"
	emu_pid=""
}

no_module() { [ ! -e /sys/module/gunyah ]; }
param_is() { [ "$(cat "/sys/module/gunyah/parameters/$1")" = "$2" ]; }

say "booted $GH_ARCH $(uname -r)"
check insmod load
check dev-gunyah test -c /dev/gunyah
check dev-gunyah-rm test -c /dev/gunyah-rm

# The test is the RM: transport, reply matching, golden sequence, teardown
run loopback 120 test-loopback

if check emu-start emu_start; then
	run ioctl 180 test-ioctl
	if [ "$GH_CONFORMANCE" = yes ]; then
		run hyp-conformance 180 env GUNYAHD_TEST_BACKEND=kernel \
			GUNYAHD_TEST_DEVICE=/dev/gunyah test-hyp-conformance --tap
	fi
	run lifecycle 180 test-lifecycle
	run faults 180 test-faults
	run stress 240 test-stress
	run rmmod-refused 60 test-rmmod
	check no-zombies param_is zombies 0
	check nothing-pinned param_is pinned_pages 0
	emu_stop
fi

# Nothing holds the module any more: it must unload cleanly, and load again
check rmmod rmmod gunyah
check module-gone no_module
check insmod-again load

if check emu-restart emu_start; then
	run zombie 120 test-zombie
	emu_stop
fi

echo "GH-QEMU-DMESG-BEGIN"
dmesg
echo "GH-QEMU-DMESG-END"
if [ -z "$failed" ]; then
	echo "GH-QEMU-RESULT: PASS"
else
	echo "GH-QEMU-RESULT: FAIL:$failed"
	echo "--- gh-rm-emu log (last 60 lines)"
	tail -n 60 /tmp/gh-rm-emu.log 2>/dev/null
fi
poweroff -f
