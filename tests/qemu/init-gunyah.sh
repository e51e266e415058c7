#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# /init of the real-hypervisor suite's initramfs (tests/qemu/gunyah-suite.sh):
# the HLOS under the real Gunyah hypervisor and Resource Manager. Loads
# gunyah.ko on the hvc transport, runs the bare-metal payload lifecycles
# (test-real-payload), the backend conformance suite, and the daemon
# scenario when the initramfs has one (/bin/gunyah-e2e.sh), or with
# GH_REAL_PLAN=bigguest only bench-big-guest -R and its pin floor ghpin.ko;
# checks that the RM still answers and that nothing is pinned or a zombie,
# unloads the module, prints the kernel log between markers and a result
# marker, and powers off. The host side judges the serial log.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# written by gunyah-suite.sh
# shellcheck source=/dev/null
. /etc/gh-suite.conf

failed=""
payloads=/srv/payload

# say, run, check (tests/qemu/guest-lib.sh)
# shellcheck source=tests/qemu/guest-lib.sh
. /lib/gh-guest-lib.sh

param_is() { [ "$(cat "/sys/module/gunyah/parameters/$1")" = "$2" ]; }
probed() { dmesg | grep -q 'Gunyah API v1; RM queues: '; }
no_module() { [ ! -e /sys/module/gunyah ]; }

say "booted $(uname -r) under $(tr '\0' ' ' </sys/firmware/devicetree/base/hypervisor/compatible 2>/dev/null)"
say "PSCI method: $(tr -d '\0' </sys/firmware/devicetree/base/psci/method 2>/dev/null)"
say "memory: $(grep -E 'MemTotal|MemFree' /proc/meminfo | tr -s ' \n' ' ')"
say "reserved-memory: $(cd /sys/firmware/devicetree/base/reserved-memory 2>/dev/null && echo *)"
check insmod insmod /lib/gunyah.ko transport=hvc "rm_timeout_ms=$GH_RM_TIMEOUT_MS"
check dev-gunyah test -c /dev/gunyah
check hvc-probed probed
dmesg | grep -E 'gunyah|Gunyah' | sed 's/^/GH-QEMU: dmesg: /'

if [ -c /dev/gunyah ] && [ "${GH_REAL_PLAN:-default}" = bigguest ]; then
	check ghpin-insmod insmod /lib/ghpin.ko
	# shellcheck disable=SC2086 # a list of sizes
	run big-guest "$GH_BIGGUEST_TIMEOUT" bench-big-guest -R -n "$GH_BIGGUEST_N" \
		-k "$GH_BIGGUEST_KINDS" $GH_BIGGUEST_SIZES
	check ghpin-rmmod rmmod ghpin
elif [ -c /dev/gunyah ]; then
	run payload 300 test-real-payload "$payloads"
	if [ "$GH_CONFORMANCE" = yes ]; then
		run hyp-conformance 420 env GUNYAHD_TEST_BACKEND=kernel GUNYAHD_TEST_DEVICE=/dev/gunyah \
			GUNYAHD_TEST_PAYLOAD="$payloads/payload-rpc.bin" test-hyp-conformance --tap
	fi
	if [ -x /bin/gunyah-e2e.sh ]; then
		run daemon 600 /bin/gunyah-e2e.sh
	fi
fi
if [ -c /dev/gunyah ]; then
	# every RM call still answers, and nothing leaked
	run rm-alive 120 test-real-payload --alive
	check no-zombies param_is zombies 0
	check nothing-pinned param_is pinned_pages 0
	check rmmod rmmod gunyah
	check module-gone no_module
fi

echo "GH-QEMU-DMESG-BEGIN"
dmesg
echo "GH-QEMU-DMESG-END"
if [ -z "$failed" ]; then
	echo "GH-QEMU-RESULT: PASS"
else
	echo "GH-QEMU-RESULT: FAIL:$failed"
fi
poweroff -f
