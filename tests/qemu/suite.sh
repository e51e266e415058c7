#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One QEMU suite of gunyah.ko: build the module, gh-rm-emu and the in-guest
# tests for ARCH, pack them into an initramfs, boot Debian's kernel under
# QEMU (TCG) and pass only when the guest reported success AND its kernel
# log shows no oops, WARN, BUG, KASAN report or call trace.
#
#   tests/qemu/suite.sh x86_64|arm64 SRCDIR OUTDIR [MESON_BUILD_ROOT]
#
# MESON_BUILD_ROOT, when given, supplies tests/unit/test-hyp-conformance
# (GLib, dynamic) for the x86_64 guest, which then runs the backend
# conformance suite against the module. Exit status: 0 pass, 1 fail, 77 skip
# (only when a tool or package is genuinely missing). Everything built is
# cached in OUTDIR; a second run rebuilds what changed only.
#
# Environment: GH_QEMU_TIMEOUT (seconds, default 240), GH_QEMU_KEEP=1 keeps
# the guest's serial log even on success (it always stays in OUTDIR).
set -euo pipefail

arch=${1:?arch}
src=$(cd "${2:?srcdir}" && pwd)
out=${3:?outdir}
buildroot=${4:-}
# shellcheck source=tests/qemu/lib.sh
. "$src/tests/qemu/lib.sh"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/$arch
mkdir -p "$work/bin"
t_start=$(date +%s)

# ---------------------------------------------------------------------------
# Tools and kernels
for t in make cpio gzip timeout; do
	gh_have "$t" || gh_skip "$t is not installed"
done
host_rel=$(gh_amd64_release) ||
	gh_skip "no linux-headers-*-amd64 with a matching /boot/vmlinuz (install linux-headers-amd64 linux-image-amd64)"

case $arch in
x86_64)
	gh_have qemu-system-x86_64 || gh_skip "qemu-system-x86 is not installed"
	gh_have gcc || gh_skip "gcc is not installed"
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		gh_skip "busybox-static is not installed"
	fi
	[ -f /usr/lib/x86_64-linux-gnu/libfdt.a ] || gh_skip "libfdt-dev (libfdt.a) is not installed"
	rel=$host_rel
	kdir=/usr/src/linux-headers-$rel
	vmlinuz=/boot/vmlinuz-$rel
	busybox=/bin/busybox
	cc=(gcc)
	kmake=()
	qemu=(qemu-system-x86_64 -accel tcg -m 1G -smp 2)
	console=ttyS0
	;;
arm64)
	gh_have qemu-system-aarch64 || gh_skip "qemu-system-arm is not installed"
	gh_have aarch64-linux-gnu-gcc || gh_skip "gcc-aarch64-linux-gnu is not installed"
	[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || gh_skip "libc6-dev-arm64-cross is not installed"
	if ! gh_have dpkg-deb || ! gh_have apt-get; then
		gh_skip "dpkg-deb/apt-get missing"
	fi
	cache=$out/arm64-debs
	if [ ! -f "$cache/root/.complete-${host_rel%-amd64}-arm64-$(gh_pkg_version "$host_rel")" ] &&
	   [ "$(id -u)" -ne 0 ]; then
		gh_skip "fetching the arm64 kernel packages needs root (dpkg --add-architecture)"
	fi
	rel=$(gh_arm64_fetch "$host_rel" "$cache") ||
		gh_skip "cannot fetch the arm64 kernel, headers, libfdt-dev and busybox-static packages"
	arm=$cache/root
	kdir=$arm/usr/src/linux-headers-$rel
	vmlinuz=$arm/boot/vmlinuz-$rel
	busybox=$arm/bin/busybox
	if [ ! -f "$vmlinuz" ] || [ ! -x "$busybox" ] ||
	   [ ! -f "$arm/usr/lib/aarch64-linux-gnu/libfdt.a" ]; then
		gh_fail "unpacked arm64 packages are incomplete in $cache"
	fi
	cc=(aarch64-linux-gnu-gcc -I"$arm/usr/include" -L"$arm/usr/lib/aarch64-linux-gnu")
	kmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	# -cpu's argument has commas
	# shellcheck disable=SC2054
	qemu=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -accel tcg -m 1G -smp 2)
	console=ttyAMA0
	;;
*)
	gh_fail "unknown arch '$arch' (x86_64 or arm64)"
	;;
esac
gh_log "$arch: kernel $rel"

# ---------------------------------------------------------------------------
# gunyah.ko
# sparse too when it is installed (Debian's sparse package): warnings fail the build
check=()
gh_have sparse && check=(C=1)
gh_log "building gunyah.ko ($arch, W=1${check:+ C=1})"
gh_build_kmod "$src" "$work/src" "$kdir" "${kmake[@]}" "${check[@]}" -j2 ||
	gh_fail "gunyah.ko does not build cleanly"
modinfo_vermagic=$(strings "$work/src/kmod/gunyah.ko" | grep -m1 '^vermagic=' || true)
case $modinfo_vermagic in
"vermagic=$rel "*) ;;
*) gh_fail "gunyah.ko has '$modinfo_vermagic', the kernel is $rel" ;;
esac

# ---------------------------------------------------------------------------
# Static userspace: gh-rm-emu and the tests
cflags=(-static -O2 -g0 -Wall -Wextra -Wno-missing-field-initializers
	-I"$src/include/uapi" -I"$src/include")
guest=$src/tests/qemu/guest
build_prog() {	# build_prog NAME FLAG SOURCES...
	local name=$1 flag=$2
	shift 2
	if gh_stale "$work/bin/$name" "$@" "$guest/ghtest.h" "$src/include/gunyah/rm-wire.h" \
		"$src/include/uapi/linux/gunyah.h" "$src"/rm/*.h "$0"; then
		"${cc[@]}" "${cflags[@]}" "$flag" -o "$work/bin/$name.tmp" "$@" -lfdt -lpthread ||
			gh_fail "cannot build $name"
		mv "$work/bin/$name.tmp" "$work/bin/$name"
	fi
}
[ -f "$src/rm/gh-rm-emu.c" ] || gh_fail "rm/gh-rm-emu.c is missing"
gh_log "building gh-rm-emu and the tests ($arch, static)"
# as meson builds it (docs/rm-emulator.md): the program, the library, the codec
build_prog gh-rm-emu -D_GNU_SOURCE "$src"/rm/gh-rm-emu.c "$src"/rm/emu*.c "$src"/rm/wire.c
tests=(test-loopback test-ioctl test-lifecycle test-faults test-stress test-rmmod test-zombie)
for t in "${tests[@]}"; do
	if [ "$t" = test-loopback ]; then
		build_prog "$t" -Werror "$guest/$t.c" "$guest/ghtest.c" "$src/rm/wire.c"
	else
		build_prog "$t" -Werror "$guest/$t.c" "$guest/ghtest.c"
	fi
done

# ---------------------------------------------------------------------------
# initramfs
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,lib,etc,proc,sys,dev,tmp,run}
cp "$busybox" "$root/bin/busybox"
cp "$work/src/kmod/gunyah.ko" "$root/lib/gunyah.ko"
cp "$work"/bin/gh-rm-emu "$root/bin/"
for t in "${tests[@]}"; do
	cp "$work/bin/$t" "$root/bin/"
done
install -m 0755 "$src/tests/qemu/init.sh" "$root/init"
conformance=no
conf_bin=${buildroot:+$buildroot/tests/unit/test-hyp-conformance}
if [ "$arch" = x86_64 ] && [ -n "$conf_bin" ] && [ -x "$conf_bin" ]; then
	# dynamically linked (GLib): bring its libraries and loader along
	cp "$conf_bin" "$root/bin/test-hyp-conformance"
	ldd "$conf_bin" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	conformance=yes
fi
cat >"$root/etc/gh-suite.conf" <<EOF
GH_ARCH=$arch
GH_CONFORMANCE=$conformance
GH_STRESS_THREADS=${GH_STRESS_THREADS:-8}
GH_STRESS_ITERATIONS=${GH_STRESS_ITERATIONS:-$([ "$arch" = x86_64 ] && echo 6 || echo 4)}
EOF
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
t_built=$(date +%s)

# ---------------------------------------------------------------------------
# Boot. slub_debug: Debian's kernels have no KASAN, but SLUB's red zones and
# poisoning report overruns and use-after-free of slab objects ("BUG kmalloc-…").
serial=$work/serial.log
gh_log "booting $vmlinuz under ${qemu[0]} (TCG)"
set +e
timeout --foreground -k 5 "${GH_QEMU_TIMEOUT:-240}" "${qemu[@]}" \
	-nodefaults -nographic -serial stdio -no-reboot \
	-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
	-append "console=$console panic=-1 quiet slub_debug=FZP" </dev/null 2>&1 |
	tr -d '\r' | tee "$serial"
qemu_rc=${PIPESTATUS[0]}
set -e
t_end=$(date +%s)

# ---------------------------------------------------------------------------
# Verdict
verdict=0
[ "$qemu_rc" -eq 0 ] || { gh_log "qemu exited with $qemu_rc (124: timeout)"; verdict=1; }
grep -q '^GH-QEMU-RESULT: PASS' "$serial" || { gh_log "the guest did not report success"; verdict=1; }
if ! grep -q '^GH-QEMU-DMESG-END' "$serial"; then
	gh_log "the guest's kernel log is missing"
	verdict=1
fi
dmesg_bad=$(sed -n '/^GH-QEMU-DMESG-BEGIN/,/^GH-QEMU-DMESG-END/p' "$serial" |
	grep -E 'BUG:|WARNING:|WARN|Oops|Call Trace|KASAN|UBSAN|general protection|Kernel panic|kernel BUG|RIP:|blocked for more than|lockdep|circular locking|scheduling while atomic|sleeping function called' ||
	true)
if [ -n "$dmesg_bad" ]; then
	gh_log "the guest's kernel log is not clean:"
	printf '%s\n' "$dmesg_bad" >&2
	verdict=1
fi
if grep -qE 'Kernel panic|Oops|Call Trace' "$serial"; then
	gh_log "the serial log shows a kernel crash"
	verdict=1
fi
grep -E '^GH-QEMU: END ' "$serial" >&2 || true
gh_log "$arch: build $((t_built - t_start)) s, guest $((t_end - t_built)) s"
if [ "$verdict" -eq 0 ]; then
	gh_log "$arch: PASS"
else
	gh_log "$arch: FAIL (serial log: $serial)"
fi
exit "$verdict"
