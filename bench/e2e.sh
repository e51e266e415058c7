#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# bench/e2e.sh: create + start + destroy of one VM through gunyahd's D-Bus
# API (bench-e2e-dbus) against the same ioctl sequence issued directly
# (bench-e2e-ioctl), on the same gunyah.ko and gh-rm-emu. It runs inside the
# x86_64 QEMU guest, where tests/qemu/e2e.sh has started the system bus and
# gunyahd --backend=kernel; the direct run reuses the VM's own layout (its
# MemorySize, Vcpus and the size of region 1, read over D-Bus).
#
# Prints DESIGN §10 "name value unit" lines and the ratios; never fails on
# timing, only when a call fails. Environment: GH_BENCH_N (iterations,
# default 5), GH_BENCH_VM (default nav).
#
# On the host: `meson test -C BUILD --benchmark --suite bench e2e` boots the
# guest for this benchmark alone (tests/qemu/suite.sh, GH_QEMU_PLAN=bench).
set -u
n=${GH_BENCH_N:-5}
vm=${GH_BENCH_VM:-nav}
path=/org/gunyah/Manager1/vm/$vm

prop() {
	busctl get-property org.gunyah.Manager1 "$path" org.gunyah.VM1 "$1" | sed 's/^[^ ]* //'
}

mem=$(prop MemorySize)
vcpus=$(prop Vcpus)
# "N label base size access sharing ...": the size of label 1, else 0
shm=$(prop Regions | tr -d '"' |
	awk '{ for (i = 2; i + 4 <= NF; i += 5) if ($i == 1) print $(i + 2) }')
shm=${shm:-0}
echo "# bench/e2e: VM '$vm' ($mem bytes, $vcpus vCPUs, shared window $shm bytes), $n iterations"

dbus_out=$(bench-e2e-dbus -n "$n" "$vm") || exit 1
ioctl_out=$(bench-e2e-ioctl -n "$n" -m "$mem" -s "$shm" -c "$vcpus") || exit 1
printf '%s\n%s\n' "$dbus_out" "$ioctl_out"

value() { printf '%s\n%s\n' "$dbus_out" "$ioctl_out" | awk -v k="$1" '$1 == k {print $2}'; }
ratio() {	# ratio NAME NUMERATOR DENOMINATOR
	awk -v name="$1" -v a="$(value "$2")" -v b="$(value "$3")" \
		'BEGIN { if (b > 0) printf "%s %.2f x\n", name, a / b }'
}
ratio e2e-create-start-destroy-dbus-vs-ioctl e2e-dbus-create-start-destroy \
	e2e-ioctl-create-start-destroy
ratio e2e-start-dbus-vs-ioctl e2e-dbus-start e2e-ioctl-start
ratio e2e-destroy-dbus-vs-ioctl e2e-dbus-destroy e2e-ioctl-destroy
exit 0
