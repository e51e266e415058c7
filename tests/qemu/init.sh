#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# /init of the QEMU suites' initramfs. Loads gunyah.ko on the loopback
# transport, runs the in-guest tests (first with the test itself as the RM,
# then against gh-rm-emu), checks that rmmod is refused while a VM fd is open
# and works afterwards, runs the daemon scenario (x86_64: tests/qemu/e2e.sh,
# once per module configuration, each with a fresh module and emulator) and
# bench/e2e.sh, runs the zombie test last (a zombie pins the module for
# good), prints the kernel log between markers and a result marker, and
# powers off. The host side (suite.sh) judges the serial log. GH_PLAN
# (from suite.sh's GH_QEMU_PLAN) selects kmod, e2e and bench; bigguest and
# consolebench come from GH_BIGGUEST and GH_CONSOLEBENCH.
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
export GH_EMU_CONTROL=/run/gh-rm-emu.sock GH_STRESS_THREADS GH_STRESS_ITERATIONS GH_E2E_BENCH_N \
	GH_RANDOM_SEEDS GH_RANDOM_OPS GH_CONSOLE_BENCH_N GH_CONSOLE_BENCH_BYTES

failed=""
emu_pid=""

# say, run, check (tests/qemu/guest-lib.sh)
# shellcheck source=tests/qemu/guest-lib.sh
. /lib/gh-guest-lib.sh

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
want() {	# want GROUP: GH_PLAN includes it
	case ",$GH_PLAN," in
	*,all,* | *",$1,"*) return 0 ;;
	esac
	return 1
}

# e2e NAME MODE [MODULE PARAMETERS...]: the daemon scenario in one module
# configuration, with its own module load and emulator, within e2e_limit
# seconds; leaves no module
e2e_limit=300
e2e() {
	e2e_name=$1 e2e_mode=$2
	shift 2
	check "$e2e_name-insmod" insmod /lib/gunyah.ko transport=loopback parcel_read=1 "$@"
	if check "$e2e_name-emu-start" emu_start; then
		run "$e2e_name" "$e2e_limit" e2e.sh "$e2e_mode"
		emu_stop
	fi
	check "$e2e_name-rmmod" rmmod gunyah
}

say "booted $GH_ARCH $(uname -r)"
check insmod load
check dev-gunyah test -c /dev/gunyah
check dev-gunyah-rm test -c /dev/gunyah-rm

if want kmod; then
	# The test is the RM: transport, reply matching, golden sequence, teardown
	run loopback 120 test-loopback

	if check emu-start emu_start; then
		run ioctl 180 test-ioctl
		if [ "$GH_CONFORMANCE" = yes ]; then
			run hyp-conformance 180 env GUNYAHD_TEST_BACKEND=kernel \
				GUNYAHD_TEST_DEVICE=/dev/gunyah test-hyp-conformance --tap
		fi
		run lifecycle 180 test-lifecycle
		run parcel-packing 180 test-parcel-packing
		run faults 180 test-faults
		run console 400 test-console
		run stress 240 test-stress
		run random 240 test-random
		run rmmod-refused 60 test-rmmod
		check no-zombies param_is zombies 0
		check nothing-pinned param_is pinned_pages 0
		emu_stop
	fi
fi

# bench-big-guest against its pin floor (GH_QEMU_PLAN=bigguest, never in all)
if [ "$GH_BIGGUEST" = yes ]; then
	check ghpin-insmod insmod /lib/ghpin.ko
	if check emu-start-bigguest emu_start; then
		# shellcheck disable=SC2086 # a list of sizes
		run big-guest 3000 bench-big-guest -n "$GH_BIGGUEST_N" $GH_BIGGUEST_SIZES
		emu_stop
	fi
	check ghpin-rmmod rmmod ghpin
fi

# Nothing holds the module any more: it must unload cleanly, and load again
check rmmod rmmod gunyah
check module-gone no_module

# gunyahd on the module: as shipped (rm_timeout_ms above the scenario's 2 s
# RM delay), then as a kernel of the seed's era and as Android's
if [ "$GH_E2E" = yes ]; then
	want e2e && e2e e2e full rm_timeout_ms=5000
	want bench && e2e e2e-bench bench rm_timeout_ms=5000
	want e2e && e2e e2e-degraded degraded extensions=0
	want e2e && e2e e2e-android android android_lend=1
	# bench-console (GH_QEMU_PLAN=consolebench, never in all): 12 floods of
	# 8 MiB took 2 to 5 minutes under TCG on a loaded 2-core host
	if [ "$GH_CONSOLEBENCH" = yes ]; then
		e2e_limit=$GH_CONSOLE_BENCH_LIMIT
		e2e e2e-console-bench console-bench rm_timeout_ms=5000
		e2e_limit=300
	fi
	check module-gone-e2e no_module
fi

if want kmod; then
	check insmod-again load
	if check emu-restart emu_start; then
		run zombie 120 test-zombie
		emu_stop
	fi
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
	for f in /tmp/gunyahd-*.log; do
		[ -s "$f" ] || continue
		echo "--- $f (last 60 lines)"
		tail -n 60 "$f"
	done
fi
poweroff -f
