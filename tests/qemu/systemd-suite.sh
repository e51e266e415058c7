#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gunyahd under real systemd: a QEMU x86_64 guest (TCG) booted from a Debian
# 12 root file system with systemd as PID 1, dbus and udev, into which the
# project is installed with `meson install --destdir`, exactly as an image
# would ship it. gunyah.ko (loopback transport) and gh-rm-emu stand in for
# the hypervisor, started by a unit of the test's own; the checks
# (tests/qemu/sdguest/checks.sh) drive the daemon with systemctl, busctl,
# dbus-send and journalctl. Passes only when every check passed AND the
# guest's kernel log shows no oops, WARN, BUG or call trace.
#
#   tests/qemu/systemd-suite.sh SRCDIR OUTDIR MESON_BUILD_ROOT
#
# The Debian root file system comes from mmdebstrap (bookworm, the host's
# apt sources) and is cached as a tarball in GH_SD_CACHE (default
# /var/cache/gunyah-sdguest), keyed by the recipe (suite, variant, package
# list): a fresh machine builds it once, every later run of any build
# directory reuses it. Each run unpacks a copy, installs the project into it
# and makes an ext4 image of it (mke2fs -d: no loop device). Needs root (the
# copy keeps the files' owners). Exit status: 0 pass, 1 fail, 77 skip (a tool
# or package genuinely missing).
#
# Environment: GH_QEMU_TIMEOUT (seconds for the guest, default 600),
# GH_SD_SECTIONS (the guest's check sections, default below),
# GH_SD_CACHE (the root file system cache).
set -euo pipefail

src=$(cd "${1:?srcdir}" && pwd)
out=${2:?outdir}
buildroot=${3:?meson build root}
# shellcheck source=tests/qemu/lib.sh
. "$src/tests/qemu/lib.sh"
sd=$src/tests/qemu/sdguest
sections=${GH_SD_SECTIONS:-boot device start access activation reload journal survive security stop}
cache=${GH_SD_CACHE:-/var/cache/gunyah-sdguest}

mkdir -p "$out"
work=$(cd "$out" && pwd)
t_start=$(date +%s)

# ---------------------------------------------------------------------------
# Tools, kernel, build
for t in make cpio gzip timeout tar gcc mke2fs flock meson qemu-system-x86_64 systemd-analyze; do
	gh_have "$t" || gh_skip "$t is not installed"
done
gh_have mmdebstrap || gh_skip "mmdebstrap is not installed"
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
	gh_skip "busybox-static is not installed"
fi
[ -f /usr/lib/x86_64-linux-gnu/libfdt.a ] || gh_skip "libfdt-dev (libfdt.a) is not installed"
[ "$(id -u)" -eq 0 ] || gh_skip "the root file system copy needs root (file owners)"
rel=$(gh_amd64_release) ||
	gh_skip "no linux-headers-*-amd64 with a matching /boot/vmlinuz (install linux-headers-amd64 linux-image-amd64)"
moddir=/lib/modules/$rel
[ -f "$moddir/modules.dep" ] || gh_skip "$moddir is missing (linux-image-$rel)"
[ -x "$buildroot/daemon/gunyahd" ] || gh_fail "$buildroot/daemon/gunyahd is missing: build it first"
gh_log "systemd-x86_64: kernel $rel"

# W=1 only: sparse runs in qemu-x86_64 already
gh_log "building gunyah.ko (W=1)"
gh_build_kmod "$src" "$work/src" "/usr/src/linux-headers-$rel" -j2 ||
	gh_fail "gunyah.ko does not build cleanly"
mkdir -p "$work/bin"
emu_src=("$src"/rm/emu/*.c "$src/rm/wire/wire.c")
if gh_stale "$work/bin/gh-rm-emu" "${emu_src[@]}" "$src"/rm/emu/*.h \
	"$src/include/gunyah/rm-wire.h" "$src/include/uapi/linux/gunyah.h" "$0"; then
	gh_log "building gh-rm-emu (static)"
	gcc -static -O2 -g0 -Wall -Wextra -Wno-missing-field-initializers -D_GNU_SOURCE \
		-I"$src/include/uapi" -I"$src/include" -o "$work/bin/gh-rm-emu.tmp" \
		"${emu_src[@]}" -lfdt -lpthread || gh_fail "cannot build gh-rm-emu"
	mv "$work/bin/gh-rm-emu.tmp" "$work/bin/gh-rm-emu"
fi
# CreateTransientVM with fds, which busctl 252 cannot send (the guest has libsystemd0)
gcc -O2 -Wall -Wextra -Werror -o "$work/bin/gh-sd-transient" "$sd/gh-sd-transient.c" -lsystemd ||
	gh_fail "cannot build gh-sd-transient"

# ---------------------------------------------------------------------------
# The Debian root file system, cached machine-wide by its recipe
suite=bookworm
variant=essential
# no procps: gunyahd.service's ExecReload= must not need /bin/kill
packages=systemd,systemd-sysv,dbus,udev,kmod,passwd,mount,libsystemd0,libyaml-0-2,libevent-2.1-7,libfdt1
recipe="$suite $variant $packages nodoc"
key=$(printf '%s\n' "$recipe" | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$suite-$key.tar
mkdir -p "$cache"
# one build at a time on the machine; the others wait for it and reuse it
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$tarball" ]; then
	sources=/etc/apt/sources.list.d/debian.sources
	[ -f "$sources" ] || sources=/etc/apt/sources.list
	gh_log "building the root file system with mmdebstrap ($recipe)"
	t0=$(date +%s)
	mmdebstrap --quiet --mode=root --variant="$variant" --format=tar \
		--include="$packages" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		"$suite" "$tarball.tmp" "$sources" >"$work/mmdebstrap.log" 2>&1 || {
		cat "$work/mmdebstrap.log" >&2
		rm -f "$tarball.tmp"
		gh_fail "mmdebstrap failed (the log is above)"
	}
	mv "$tarball.tmp" "$tarball"
	gh_log "root file system cached as $tarball ($(($(date +%s) - t0)) s)"
else
	gh_log "root file system from the cache: $tarball"
fi
flock -u 9

# ---------------------------------------------------------------------------
# This run's copy: the project installed as an image would have it
root=$work/root
rm -rf "$root"
mkdir -p "$root"
tar -xpf "$tarball" -C "$root" --numeric-owner
meson install -C "$buildroot" --no-rebuild --quiet --destdir "$root" >"$work/install.log" 2>&1 || {
	cat "$work/install.log" >&2
	gh_fail "meson install --destdir failed"
}
# installed_path NAME: where the build installed the file NAME
installed_path() {
	meson introspect "$buildroot" --installed |
		python3 -c 'import json, sys; print(next(v for v in json.load(sys.stdin).values() if v.endswith("/" + sys.argv[1])))' "$1"
}
# udev and dbus-daemon read only /usr/lib (/lib), /usr/share and /etc: a
# prefix such as /usr/local needs the links an administrator would add.
link_into() {	# link_into FILE ETCDIR SEARCHED-DIR...
	local f=$1 etc=$2 d
	shift 2
	for d in "$@"; do
		[ "$(dirname "$f")" = "$d" ] && return 0
	done
	mkdir -p "$root$etc"
	ln -sfn "$f" "$root$etc/$(basename "$f")"
	gh_log "linked $f into $etc (not read from there)"
}
link_into "$(installed_path 60-gunyah.rules)" /etc/udev/rules.d \
	/usr/lib/udev/rules.d /lib/udev/rules.d
link_into "$(installed_path org.gunyah.Manager1.conf)" /etc/dbus-1/system.d \
	/usr/share/dbus-1/system.d
defs=$(meson introspect "$buildroot" --buildoptions |
	python3 -c 'import json, sys, os.path
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(os.path.join(o["prefix"], o["sysconfdir"], "gunyah", "vms.d"))')

# the test's own: module, emulator, units, checks; one VM definition with
# generated images at the paths of config/examples/nav.yaml
t=/usr/lib/gunyah-sdtest
install -D -m 0644 "$work/src/kmod/gunyah.ko" "$root$t/gunyah.ko"
install -D -m 0755 "$work/bin/gh-rm-emu" "$root$t/gh-rm-emu"
install -D -m 0755 "$work/bin/gh-sd-transient" "$root$t/gh-sd-transient"
install -m 0755 "$sd/checks.sh" "$root$t/checks.sh"
install -m 0644 "$sd"/gunyah-sdtest.target "$sd"/gunyah-sdtest.service \
	"$sd"/gunyah-rm-emu.service "$root/etc/systemd/system/"
mkdir -p "$root$defs"
cp "$src/config/examples/nav.yaml" "$root$defs/"
gh_fake_kernel "$root/var/lib/gunyah/images/nav/Image" 262144 2097152 ||
	gh_fail "cannot generate the nav kernel"
gh_fake_file "$root/var/lib/gunyah/images/nav/initrd.img" 65536 "gunyahd sd nav initrd " ||
	gh_fail "cannot generate the nav ramdisk"
# The offline verdict the running system must reproduce
# (tests/systemd/check-security.py; its MAX_EXPOSURE too)
offline=$(systemd-analyze security --offline=yes --no-pager "$buildroot/systemd/gunyahd.service" 2>&1 |
	sed -n 's/^→ Overall exposure level for gunyahd.service: \([0-9.]*\).*/\1/p')
[ -n "$offline" ] || gh_fail "systemd-analyze security --offline=yes gave no exposure"
max=$(sed -n 's/^MAX_EXPOSURE = //p' "$src/tests/systemd/check-security.py")
cat >"$root$t/conf" <<EOF
GH_DEFS=$defs
GH_SECTIONS="$sections"
GH_OFFLINE_EXPOSURE=$offline
GH_MAX_EXPOSURE=$max
EOF
printf '%s\n' 6775e796168642073797374656d64ff0 >"$root/etc/machine-id"
printf 'gunyah-sdtest\n' >"$root/etc/hostname"

img=$work/root.ext4
rm -f "$img"
size=$(($(du -sm "$root" | cut -f1) + 256))
mke2fs -q -t ext4 -L gunyah-sdtest -d "$root" "$img" "${size}M" ||
	gh_fail "mke2fs -d failed"
rm -rf "$root"	# the image has it all

# The initramfs: busybox and the modules needed to mount /dev/vda
ird=$work/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,modules}
cp /bin/busybox "$ird/bin/busybox"
install -m 0755 "$sd/initramfs-init.sh" "$ird/init"
# mod_deps MODULE: its dependencies then itself, as paths in modules.dep
mod_deps() {
	local line dep
	line=$(grep -E "(^|/)$1\\.ko:" "$moddir/modules.dep") || return 1
	for dep in ${line#*:}; do
		mod_deps "$(basename "${dep%.ko}")"
	done
	printf '%s\n' "${line%%:*}"
}
for m in virtio_pci virtio_blk crc32c_generic ext4; do
	mod_deps "$m" || gh_fail "module $m is not in $moddir/modules.dep"
done | awk '!seen[$0]++' | while read -r m; do
	cp "$moddir/$m" "$ird/modules/"
	basename "$m" >>"$ird/modules.order"
done
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
t_built=$(date +%s)

# ---------------------------------------------------------------------------
# Boot
serial=$work/serial.log
# sed -u, not tr: unbuffered, so a long guest run shows line by line.
gh_log "booting /boot/vmlinuz-$rel with systemd.unit=gunyah-sdtest.target (TCG)"
set +e
timeout --foreground -k 5 "${GH_QEMU_TIMEOUT:-600}" qemu-system-x86_64 \
	-machine q35 -accel tcg -m 1G -smp 2 \
	-nodefaults -nographic -serial stdio -no-reboot \
	-kernel "/boot/vmlinuz-$rel" -initrd "$work/initramfs.cpio.gz" \
	-drive "file=$img,if=virtio,format=raw,cache=unsafe" \
	-append "console=ttyS0 panic=-1 quiet slub_debug=FZP systemd.unit=gunyah-sdtest.target systemd.show_status=error" \
	</dev/null 2>&1 | sed -u 's/\r//g' | tee "$serial"
qemu_rc=${PIPESTATUS[0]}
set -e
t_end=$(date +%s)

# ---------------------------------------------------------------------------
# Verdict
verdict=0
gh_guest_verdict "$serial" GH-SD "$qemu_rc" || verdict=1
n_ok=$(grep -c '^GH-SD: ok ' "$serial" || true)
n_fail=$(grep -c '^GH-SD: FAIL ' "$serial" || true)
[ "$n_ok" -gt 0 ] || { gh_log "no check ran"; verdict=1; }
grep -E '^GH-SD: (FAIL|GAP) ' "$serial" >&2 || true
gh_log "systemd-x86_64: $n_ok checks ok, $n_fail failed; build $((t_built - t_start)) s, guest $((t_end - t_built)) s"
if [ "$verdict" -eq 0 ]; then
	gh_log "systemd-x86_64: PASS"
else
	gh_log "systemd-x86_64: FAIL (serial log: $serial)"
fi
exit "$verdict"
