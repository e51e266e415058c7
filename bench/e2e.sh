#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# bench/e2e.sh: create + start + destroy of one VM through gunyahd's D-Bus
# API (bench-e2e-dbus) against the same ioctl sequence issued directly
# (bench-e2e-ioctl), on the same gunyah.ko and gh-rm-emu. It runs inside the
# x86_64 QEMU guest, where tests/qemu/e2e.sh has started the system bus and
# gunyahd --backend=kernel.
#
# Both sides do the same work: one cycle through the daemon first gives the
# VM's layout (MemorySize, Vcpus, the shared window, the pages main memory
# got, where the kernel, ramdisk and devicetree sit), and the direct side
# uses exactly that: the same page kind, the same image files read to the
# same offsets, the devicetree at the same place. Both time teardown to
# its end (DestroyVM replies once gunyahd closed the VM fd, which returns
# after the module's teardown, and unmapped guest memory; the direct side
# closes and unmaps). The cycles alternate between the sides, one each per
# round, the side going first alternating too, so that both see the same
# state of the guest's page allocator (it decides how many RM entries a
# parcel takes). The RM packets of each side's cycle (gh-rm-emu's
# rx_packets) are printed as a check that the RM saw the same work.
#
# Prints DESIGN §10 "name value unit" lines and the ratios, and the D-Bus
# side's extra time in units of Peer.Ping; never fails on timing, only
# when a call fails. Environment: GH_BENCH_N (rounds, default 5),
# GH_BENCH_VM (default nav).
#
# On the host: `meson test -C BUILD --benchmark --suite bench e2e` boots the
# guest for this benchmark alone (tests/qemu/suite.sh, GH_QEMU_PLAN=bench).
set -u
n=${GH_BENCH_N:-5}
vm=${GH_BENCH_VM:-nav}
path=/org/gunyah/Manager1/vm/$vm
out=/tmp/e2e-bench.$$
control=${GH_EMU_CONTROL:-/run/gh-rm-emu.sock}

prop() {
	busctl get-property org.gunyah.Manager1 "$path" org.gunyah.VM1 "$1" | sed 's/^[^ ]* //'
}
manager() {	# manager METHOD: METHOD(vm) on Manager1
	busctl call org.gunyah.Manager1 /org/gunyah/Manager1 org.gunyah.Manager1 "$1" s "$vm" >/dev/null
}
rx_packets() {
	gh-rm-emu ctl --control "$control" stats | tr ' ' '\n' | sed -n 's/^rx_packets=//p'
}
median() {	# the median of the numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
		else if (NR) printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The layout gunyahd gives the VM, read while it is created
manager CreateVM || exit 1
base=$(prop MemoryBase)
mem=$(prop MemorySize)
vcpus=$(prop Vcpus)
pages=$(prop MemoryPages | tr -d '"')
kernel=$(prop Kernel | tr -d '"')
ramdisk=$(prop Ramdisk | tr -d '"')
# "N label base size access sharing ...": the size of label 1, else 0
shm=$(prop Regions | tr -d '"' |
	awk '{ for (i = 2; i + 4 <= NF; i += 5) if ($i == 1) print $(i + 2) }')
shm=${shm:-0}
# "N name gpa size ...": the ramdisk's offset in main memory
roff=$(prop Extents | tr -d '"' | awk -v base="$base" \
	'{ for (i = 2; i + 2 <= NF; i += 3) if ($i == "ramdisk") print $(i + 1) - base }')
# "(tt) gpa size": the devicetree region handed to the hypervisor
dtb=$(prop DeviceTree | awk -v base="$base" '{ printf "%d@%d\n", $1 - base, $2 }')
manager DestroyVM || exit 1

set -- -m "$mem" -s "$shm" -c "$vcpus" -p "$pages" -t "$dtb"
[ -n "$kernel" ] && set -- "$@" -k "$kernel"
[ -n "$ramdisk" ] && [ -n "$roff" ] && set -- "$@" -r "$ramdisk@$roff"
echo "# bench/e2e: VM '$vm' ($mem bytes in $pages pages, $vcpus vCPUs, shared window $shm bytes), $n rounds"
echo "# bench/e2e: direct side: bench-e2e-ioctl $*"

one() {	# one SIDE [IOCTL ARGS...]: a cycle of SIDE, its lines and RM packets into $out.SIDE
	side=$1
	shift
	p0=$(rx_packets)
	if [ "$side" = dbus ]; then
		bench-e2e-dbus -n 1 -p 0 "$vm" >>"$out.dbus" || return 1
	else
		bench-e2e-ioctl -n 1 "$@" >>"$out.ioctl" || return 1
	fi
	echo "e2e-$side-rm-packets $(($(rx_packets) - p0)) packets" >>"$out.$side"
}
i=0
while [ "$i" -lt "$n" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		one dbus && one ioctl "$@"
	else
		one ioctl "$@" && one dbus
	fi || { rm -f "$out".*; exit 1; }
	i=$((i + 1))
done
bench-e2e-dbus -n 0 -p 50 "$vm" >"$out.ping" || exit 1

value() { awk -v k="$1" '$1 == k { print $2 }' "$out".* | median; }
results=$(for side in dbus ioctl; do
	for step in create-start-destroy create start destroy; do
		echo "e2e-$side-$step $(value "e2e-$side-$step") ms"
	done
	echo "e2e-$side-rm-packets $(value "e2e-$side-rm-packets") packets"
done
echo "e2e-dbus-ping $(value e2e-dbus-ping) ms")
rm -f "$out".*
printf '%s\n' "$results"

# ratio NAME STEP: D-Bus over direct, and the difference in Pings
value_of() { printf '%s\n' "$results" | awk -v k="$1" '$1 == k { print $2 }'; }
ratio() {
	awk -v name="$1" -v a="$(value_of "e2e-dbus-$2")" -v b="$(value_of "e2e-ioctl-$2")" \
		-v p="$(value_of e2e-dbus-ping)" 'BEGIN {
			if (b > 0) printf "%s %.2f x\n", name, a / b
			if (p > 0) printf "%s-overhead %.1f ping\n", name, (a - b) / p }'
}
ratio e2e-create-start-destroy-dbus-vs-ioctl create-start-destroy
ratio e2e-create-dbus-vs-ioctl create
ratio e2e-start-dbus-vs-ioctl start
ratio e2e-destroy-dbus-vs-ioctl destroy
exit 0
