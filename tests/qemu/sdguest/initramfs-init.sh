#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
#
# /init of the systemd suite's initramfs (tests/qemu/systemd-suite.sh): loads
# the virtio and ext4 modules Debian's kernel has as modules (listed in order
# in /modules.order), mounts the root file system /dev/vda and hands over to
# systemd as PID 1. Anything wrong ends in a marker the host reads and a
# poweroff, never in a shell waiting for the timeout.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

die() {
	echo "GH-SD-RESULT: FAIL: initramfs: $*"
	poweroff -f
}

while read -r m; do
	insmod "/modules/$m" || die "insmod $m"
done </modules.order
i=0
while [ ! -b /dev/vda ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || die "cannot mount /dev/vda"
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
