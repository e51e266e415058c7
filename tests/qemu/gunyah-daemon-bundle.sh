#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gunyahd's part of the real-hypervisor suite (tests/qemu/gunyah-suite.sh
# calls it before packing the initramfs; contract: the suite's header):
#
#   gunyah-daemon-bundle.sh SRCDIR WORKDIR ROOTDIR PAYLOADDIR
#
# Cross-builds gunyahd and gunyahctl for arm64 and adds to ROOTDIR what the
# in-guest scenario tests/qemu/gunyah-e2e.sh needs: the two programs,
# dbus-daemon, exactly the shared libraries these need (found with readelf
# -d, recursively), the system bus configuration, the VM definitions
# (/etc/gunyah/vms.d, kernels /srv/payload/payload-*.bin from PAYLOADDIR),
# a small helper that reads a payload's counter from guest memory, and
# /bin/gunyah-e2e.sh itself.
#
# The arm64 libraries are Debian's packages, fetched with `apt-get download`
# and unpacked with `dpkg-deb -x` into WORKDIR/sysroot: never installed,
# since apt would remove the amd64 cross compiler to install them. The
# build uses tests/qemu/cross/arm64.ini with the sysroot named in
# WORKDIR/sysroot.ini. Everything is cached in WORKDIR; a second run only
# rebuilds what changed.
#
# Exit: 0 done; 77 skipped (a tool or the arm64 package lists are missing;
# the reason is printed); anything else failed.
set -euo pipefail

log() { echo "gunyah-daemon-bundle: $*" >&2; }
skip() { log "SKIP: $*"; exit 77; }
die() { log "FAIL: $*"; exit 1; }

[ $# -eq 4 ] || die "usage: gunyah-daemon-bundle.sh SRCDIR WORKDIR ROOTDIR PAYLOADDIR"
src=$(cd "$1" && pwd) || die "no source dir $1"
mkdir -p "$2" "$3"
work=$(cd "$2" && pwd)
root=$(cd "$3" && pwd)
payload=$4

CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
for t in "${CROSS}gcc" "${CROSS}strip" "${CROSS}readelf" meson ninja pkg-config dpkg-deb \
	apt-get apt-cache gzip cpio; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
for f in spin off; do
	[ -f "$payload/payload-$f.bin" ] || die "$payload/payload-$f.bin is missing"
done

# Packages: what the build links against (headers, .so links, .pc files and
# the libraries behind them), then what only the guest needs.
BUILD_PKGS=(libsystemd-dev libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5
	libzstd1 libyaml-dev libyaml-0-2 libevent-dev libevent-2.1-7 libevent-core-2.1-7
	libevent-pthreads-2.1-7 libfdt-dev libfdt1)
RUNTIME_PKGS=(libc6 dbus-daemon libdbus-1-3 libexpat1 libapparmor1 libaudit1 libcap-ng0
	libselinux1 libpcre2-8-0)
sysroot=$work/sysroot
MULTIARCH=aarch64-linux-gnu

# ---------------------------------------------------------------------------
# The sysroot

fetch_sysroot() {
	local stamp="$sysroot/.complete" want pkgs=() p l t
	want=$(printf '%s\n' "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}")
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0

	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" = 0 ] || skip "the arm64 architecture is not enabled (dpkg --add-architecture arm64, as root)"
		log "enabling the arm64 architecture (dpkg --add-architecture arm64)"
		dpkg --add-architecture arm64
	fi
	for p in "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}"; do
		pkgs+=("$p:arm64")
	done
	if ! apt-cache show "${pkgs[@]}" >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || skip "no arm64 package lists (apt-get update, as root)"
		log "apt-get update (arm64 package lists)"
		apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
		apt-cache show "${pkgs[@]}" >/dev/null 2>&1 ||
			skip "arm64 packages not available: ${pkgs[*]}"
	fi
	rm -rf "$sysroot" "$work/debs"
	mkdir -p "$sysroot" "$work/debs"
	log "downloading ${#pkgs[@]} arm64 packages"
	(cd "$work/debs" && apt-get download -qq "${pkgs[@]}" >/dev/null 2>&1) ||
		skip "apt-get download failed: ${pkgs[*]}"
	for p in "$work"/debs/*.deb; do
		dpkg-deb -x "$p" "$sysroot"
	done
	rm -rf "$work/debs"
	# Absolute links (/usr/lib/... as on the target) would point into the
	# build host: make them relative inside the sysroot.
	find "$sysroot" -type l -lname '/*' | while read -r l; do
		t=$(readlink "$l")
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$sysroot$t")" "$l"
	done
	printf '%s\n' "$want" >"$stamp"
}

# ---------------------------------------------------------------------------
# The cross build (only gunyahd and gunyahctl)

build() {
	local bdir=$work/build ini=$work/sysroot.ini new
	new=$(printf "[constants]\nsysroot = '%s'\n" "$sysroot")
	# rewritten only when it changes, so that ninja does not reconfigure
	[ -f "$ini" ] && [ "$(cat "$ini")" = "$new" ] || printf '%s\n' "$new" >"$ini"
	if [ ! -f "$bdir/build.ninja" ]; then
		rm -rf "$bdir"
		log "meson setup (cross, arm64)"
		meson setup "$bdir" "$src" --cross-file "$ini" \
			--cross-file "$src/tests/qemu/cross/arm64.ini" \
			-Dtests=disabled -Dbuildtype=minsize -Dprefix=/usr -Dsysconfdir=/etc \
			>"$work/meson-setup.log" 2>&1 ||
			{ tail -n 30 "$work/meson-setup.log" >&2; die "meson setup failed"; }
	fi
	ninja -C "$bdir" daemon/gunyahd cli/gunyahctl >"$work/ninja.log" 2>&1 ||
		{ tail -n 40 "$work/ninja.log" >&2; die "the arm64 build failed"; }
	# install drops the build RUNPATH (the sysroot) and strips; should it
	# want a target not built here, plain copies do (the RUNPATH names a
	# directory the guest does not have, which the loader skips)
	rm -rf "$work/install"
	if ! meson install -C "$bdir" --destdir "$work/install" --tags runtime --strip \
		--no-rebuild >"$work/install.log" 2>&1; then
		log "meson install failed (see $work/install.log); copying the two programs"
		rm -rf "$work/install"
		mkdir -p "$work/install/usr/sbin" "$work/install/usr/bin"
		cp "$bdir/daemon/gunyahd" "$work/install/usr/sbin/"
		cp "$bdir/cli/gunyahctl" "$work/install/usr/bin/"
	fi
	"${CROSS}gcc" -Os -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-Wformat=2 -D_GNU_SOURCE -o "$work/gunyah-e2e-peek" \
		"$src/tests/qemu/gunyah-e2e-peek.c"
	"${CROSS}strip" "$work/gunyah-e2e-peek"
}

# ---------------------------------------------------------------------------
# The staging tree: everything this script adds to ROOTDIR

# find_lib NAME: the library's path in the sysroot
find_lib() {
	local d
	for d in "lib/$MULTIARCH" "usr/lib/$MULTIARCH"; do
		if [ -e "$sysroot/$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

# add_libs FILE: copies the libraries FILE needs, recursively, stripped
add_libs() {
	local lib rel
	for lib in $("${CROSS}readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		rel=$(find_lib "$lib") || die "$lib (needed by ${1#"$stage"}) is not in the sysroot"
		[ -e "$stage/$rel" ] && continue
		mkdir -p "$stage/$(dirname "$rel")"
		cp -L "$sysroot/$rel" "$stage/$rel"
		"${CROSS}strip" --strip-unneeded "$stage/$rel"
		add_libs "$stage/$rel"
	done
}

add_prog() {	# add_prog FILE DEST
	mkdir -p "$stage$(dirname "$2")"
	cp -L "$1" "$stage$2"
	"${CROSS}strip" "$stage$2"
	add_libs "$stage$2"
}

# definition NAME PAYLOAD STOP-TIMEOUT SIMULATE: a small VM for a payload.
# Main memory is shared, not lent, so that the host can read the counter
# (the debug RM skips ACL validation and accepts a shared image parcel).
# The simulate block mirrors the payload for runs on the sim backend; the
# kernel backend ignores it.
definition() {
	cat >"$stage/etc/gunyah/vms.d/$1.yaml" <<EOF
# gunyah-e2e.sh: $2 (tests/qemu/payload), 4 MiB, one vCPU
version: 1
name: $1
vcpus: 1
memory:
  base: 0x80000000
  size: 4M
  sharing: shared
kernel: /srv/payload/$2
devicetree:
  sched-priority: -2
stop-timeout: $3
simulate: $4
EOF
}

stage_tree() {
	local ld f
	rm -rf "$stage"
	mkdir -p "$stage/etc/gunyah/vms.d" "$stage/usr/share/dbus-1/system.d" \
		"$stage/var/lib/dbus" "$stage/srv/payload" "$stage/bin"
	add_prog "$work/install/usr/sbin/gunyahd" /usr/sbin/gunyahd
	add_prog "$work/install/usr/bin/gunyahctl" /usr/bin/gunyahctl
	add_prog "$sysroot/usr/bin/dbus-daemon" /usr/bin/dbus-daemon
	add_prog "$work/gunyah-e2e-peek" /usr/bin/gunyah-e2e-peek
	# the program interpreter, at the path the programs name
	ld=$(find_lib ld-linux-aarch64.so.1) || die "no ld-linux-aarch64.so.1 in the sysroot"
	[ -e "$stage/$ld" ] || cp -L "$sysroot/$ld" "$stage/$ld"
	[ "$ld" = lib/ld-linux-aarch64.so.1 ] ||
		ln -sfn "$MULTIARCH/ld-linux-aarch64.so.1" "$stage/lib/ld-linux-aarch64.so.1"

	cp "$src/tests/qemu/e2e-bus.conf" "$stage/usr/share/dbus-1/system.conf"
	cp "$src/dbus/org.gunyah.Manager1.conf" "$stage/usr/share/dbus-1/system.d/"
	for f in "$payload"/payload-*.bin; do
		cp "$f" "$stage/srv/payload/"
	done
	definition spin payload-spin.bin 20s '{ on-stop: ignore }'
	definition off payload-off.bin 3s '{ exit-after: 300ms, exit-type: platform-off }'
	[ -f "$payload/payload-rpc.bin" ] &&
		definition rpc payload-rpc.bin 30s '{ on-stop: poweroff, stop-delay: 100ms }'
	# payload-console writes this line to its RM console, then is payload-rpc
	[ -f "$payload/payload-console.bin" ] &&
		definition console payload-console.bin 30s \
			'{ on-stop: poweroff, stop-delay: 100ms, console-banner: "gunyah payload: hello from the guest console\r\n" }'
	install -m 0755 "$src/tests/qemu/gunyah-e2e.sh" "$stage/bin/gunyah-e2e.sh"
}

fetch_sysroot
build
stage=$work/stage
stage_tree

# Into ROOTDIR; the accounts and machine id dbus-daemon wants, unless the
# suite's root has its own.
cp -a "$stage/." "$root/"
mkdir -p "$root/etc"
[ -e "$root/etc/passwd" ] || printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
[ -e "$root/etc/group" ] || printf 'root:x:0:\ngunyah:x:990:\n' >"$root/etc/group"
[ -e "$root/etc/machine-id" ] ||
	printf '%s\n' 6775e796168642065326520677565731 >"$root/etc/machine-id"

size=$(du -sk "$stage" | cut -f1)
gz=$( (cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9 | wc -c) )
log "added $((size)) KiB to $root ($((gz / 1024)) KiB as gzip -9 cpio)"
