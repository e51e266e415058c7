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
# MESON_BUILD_ROOT, when given, supplies the x86_64 guest's dynamically
# linked programs (copied with their libraries): tests/daemon/test-hyp-conformance
# (the backend conformance suite against the module), and gunyahd with
# bench/bench-e2e-* for the daemon scenario (tests/qemu/e2e.sh: dbus-daemon,
# busctl and gdbus from the host come along). The arm64 guest gets a static
# cross-build of test-hyp-conformance (GLib unpacked from Debian's arm64
# packages). Exit status: 0 pass, 1 fail, 77 skip (only when a tool or
# package is genuinely missing). Everything built is cached in OUTDIR; a
# second run rebuilds what changed only.
#
# Environment: GH_QEMU_TIMEOUT (seconds, default 300), GH_QEMU_KEEP=1 keeps
# the guest's serial log even on success (it always stays in OUTDIR),
# GH_QEMU_PLAN: what the guest runs, a comma-separated list of
#   kmod   the module's own tests (test-loopback ... test-zombie) and the
#          conformance suite
#   e2e    the daemon scenario: module as shipped, extensions=0, android_lend=1
#          (x86_64 only; needs MESON_BUILD_ROOT)
#   bench  bench/e2e.sh (x86_64 only; needs MESON_BUILD_ROOT)
#   bigguest  bench-big-guest (bench/big-guest.c) with the pin floor module
#          (tests/qemu/guest/pin-floor); x86_64 only, never part of all.
#          GH_BIGGUEST_SIZES (MiB, default "256 1024"; GH_BIGGUEST_4G=1 adds
#          4096, about 5 more minutes under TCG), GH_BIGGUEST_N (runs, default
#          3), the guest's RAM GH_BIGGUEST_MEM (default 2560M; 6G with 4096).
#   consolebench  bench-console (bench/console.c) against gunyahd: console
#          throughput to its log file and to an OpenConsole client against a
#          raw console fd (tests/qemu/e2e.sh console-bench); x86_64 only,
#          needs MESON_BUILD_ROOT, never part of all. GH_CONSOLE_BENCH_N
#          (runs, default 3), GH_CONSOLE_BENCH_BYTES (per flood, default 8 MiB),
#          GH_CONSOLE_BENCH_LIMIT (s in the guest, default 1200; GH_QEMU_TIMEOUT
#          must leave room for it: meson's benchmark sets 1500).
# or all (the default: everything the architecture supports but bigguest
# and consolebench).
# GH_E2E_BENCH_N: iterations of bench/e2e.sh (default 3).
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

plan=${GH_QEMU_PLAN:-all}
want() {	# want GROUP: the plan includes it
	case ",$plan," in
	*,all,* | *",$1,"*) return 0 ;;
	esac
	return 1
}
for g in ${plan//,/ }; do
	case $g in
	all | kmod | e2e | bench | bigguest | consolebench) ;;
	*) gh_fail "GH_QEMU_PLAN: unknown group '$g' (kmod, e2e, bench, bigguest, consolebench or all)" ;;
	esac
done

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
	guest_mem=1G
	if [[ ",$plan," == *,bigguest,* ]]; then
		guest_mem=${GH_BIGGUEST_MEM:-$([ "${GH_BIGGUEST_4G:-0}" = 1 ] && echo 6G || echo 2560M)}
	fi
	qemu=(qemu-system-x86_64 -accel tcg -m "$guest_mem" -smp 2)
	console=ttyS0
	;;
arm64)
	cache=$out/arm64-debs
	gh_arm64_prepare "$host_rel" "$cache"
	if want kmod; then
		gh_arm64_fetch_glib "$cache" ||
			gh_skip "cannot fetch libglib2.0-dev:arm64 and libpcre2-dev:arm64 (static GLib for test-hyp-conformance)"
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

# The daemon scenario (x86_64): gunyahd and the bench clients from the meson
# build; dbus-daemon, busctl and gdbus from the host, with their libraries.
e2e=no
consolebench=no
if [ "$arch" = x86_64 ] && { want e2e || want bench || [[ ",$plan," == *,consolebench,* ]]; }; then
	if [ -z "$buildroot" ] || [ ! -x "$buildroot/daemon/gunyahd" ]; then
		[ "$plan" = all ] ||
			gh_skip "the daemon scenario needs MESON_BUILD_ROOT with daemon/gunyahd"
		gh_log "no MESON_BUILD_ROOT with daemon/gunyahd: the daemon scenario does not run"
	else
		gh_have ldd || gh_skip "ldd is not installed"
		gh_have dbus-daemon || gh_skip "dbus-daemon is not installed"
		gh_have busctl || gh_skip "busctl is not installed (systemd)"
		gh_have gdbus || gh_skip "gdbus is not installed (libglib2.0-bin)"
		for t in bench/bench-e2e-dbus bench/bench-e2e-ioctl; do
			[ -x "$buildroot/$t" ] || gh_fail "$buildroot/$t is missing: build it first"
		done
		e2e=yes
		if [[ ",$plan," == *,consolebench,* ]]; then
			[ -x "$buildroot/bench/bench-console" ] ||
				gh_fail "$buildroot/bench/bench-console is missing: build it first"
			consolebench=yes
		fi
	fi
elif [ "$arch" = arm64 ] && ! want kmod; then
	gh_skip "the daemon scenario and bench/e2e run in the x86_64 guest only"
fi

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
	-I"$src/include/uapi" -I"$src/include" -I"$src/tests/common")
guest=$src/tests/qemu/guest
build_prog() {	# build_prog NAME FLAG SOURCES...
	local name=$1 flag=$2
	shift 2
	if gh_stale "$work/bin/$name" "$@" "$guest/ghtest.h" "$src/tests/common/guest-dtb.h" \
		"$src/tests/common/xorshift.h" "$src/bench/bench-stats.h" "$src/bench/bench-memfd.h" \
		"$src/include/gunyah/rm-wire.h" \
		"$src/include/uapi/linux/gunyah.h" "$src"/rm/emu/*.h "$0"; then
		"${cc[@]}" "${cflags[@]}" "$flag" -o "$work/bin/$name.tmp" "$@" -lfdt -lpthread ||
			gh_fail "cannot build $name"
		mv "$work/bin/$name.tmp" "$work/bin/$name"
	fi
}
[ -f "$src/rm/emu/gh-rm-emu.c" ] || gh_fail "rm/emu/gh-rm-emu.c is missing"
gh_log "building gh-rm-emu and the tests ($arch, static)"
# as meson builds it (docs/rm-emulator.md): the program, the library, the codec
build_prog gh-rm-emu -D_GNU_SOURCE "$src"/rm/emu/*.c "$src"/rm/wire/wire.c
tests=(test-loopback test-ioctl test-lifecycle test-parcel-packing test-faults test-console test-stress test-random test-rmmod test-zombie)
for t in "${tests[@]}"; do
	# these two use the wire codec itself
	if [ "$t" = test-loopback ] || [ "$t" = test-parcel-packing ]; then
		build_prog "$t" -Werror "$guest/$t.c" "$guest/ghtest.c" \
			"$src/tests/common/guest-dtb.c" "$src/rm/wire/wire.c"
	else
		build_prog "$t" -Werror "$guest/$t.c" "$guest/ghtest.c" \
			"$src/tests/common/guest-dtb.c"
	fi
done
[ "$e2e" = yes ] && build_prog e2e-notify -Werror "$guest/e2e-notify.c"
# bigguest: bench-big-guest and its pin floor, ghpin.ko (built like gunyah.ko)
bigguest=no
if [ "$arch" = x86_64 ] && [[ ",$plan," == *,bigguest,* ]]; then
	build_prog bench-big-guest -Werror -I"$guest" "$src/bench/big-guest.c" "$guest/ghtest.c" \
		"$src/tests/common/guest-dtb.c"
	mkdir -p "$work/ghpin"
	cp -p "$guest"/pin-floor/{Kbuild,ghpin.c,ghpin.h} "$work/ghpin/"
	if ! make -C "$kdir" M="$work/ghpin" W=1 "${check[@]}" modules >"$work/ghpin-build.log" 2>&1 ||
		grep -E 'warning:|error:' "$work/ghpin-build.log" >&2; then
		cat "$work/ghpin-build.log" >&2
		gh_fail "ghpin.ko does not build cleanly"
	fi
	bigguest=yes
fi

# arm64: the backend conformance suite, statically, with the kernel backend
# only (a stub stands in for the sim, so that its YAML and libevent
# dependencies need no arm64 builds) and the unpacked arm64 GLib
if [ "$arch" = arm64 ] && want kmod; then
	conf_src=("$src/tests/daemon/test-hyp-conformance.c" "$src/tests/common/test-guest.c"
		  "$src/tests/common/guest-dtb.c" "$src/daemon/hyp/hyp.c" "$src/daemon/hyp/hyp-kernel.c" "$src/util/log.c"
		  "$src/tests/qemu/hyp-sim-stub.c" "$src/tests/common/test-hyp.c")
	if gh_stale "$work/bin/test-hyp-conformance" "${conf_src[@]}" "$src/daemon/hyp/hyp.h" \
		"$src"/util/*.h "$src/tests/common/test-guest.h" "$src/tests/common/test-hyp.h" \
		"$src/tests/common/guest-dtb.h" \
		"$src/include/uapi/linux/gunyah.h" "$0"; then
		gh_log "building test-hyp-conformance ($arch, static, kernel backend only)"
		# GLib's static getpw* warnings are expected: nothing resolves users
		if ! "${cc[@]}" "${cflags[@]}" -D_GNU_SOURCE -Werror -I"$src" -I"$src/daemon/hyp" -I"$src/daemon/image" -I"$src/daemon/def" \
			-I"$src/tests/common" -I"$arm/usr/include/glib-2.0" \
			-I"$arm/usr/lib/aarch64-linux-gnu/glib-2.0/include" \
			-o "$work/bin/test-hyp-conformance.tmp" "${conf_src[@]}" \
			-lglib-2.0 -lpcre2-8 -lfdt -pthread -lm >"$work/conformance-build.log" 2>&1; then
			cat "$work/conformance-build.log" >&2
			gh_fail "cannot build test-hyp-conformance for $arch"
		fi
		mv "$work/bin/test-hyp-conformance.tmp" "$work/bin/test-hyp-conformance"
	fi
fi

# ---------------------------------------------------------------------------
# initramfs
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,lib,etc,proc,sys,dev,tmp,run}
cp "$busybox" "$root/bin/busybox"
cp "$work/src/kmod/gunyah.ko" "$root/lib/gunyah.ko"
if [ "$bigguest" = yes ]; then
	cp "$work/ghpin/ghpin.ko" "$root/lib/ghpin.ko"
	cp "$work/bin/bench-big-guest" "$root/bin/"
fi
cp "$work"/bin/gh-rm-emu "$root/bin/"
for t in "${tests[@]}"; do
	cp "$work/bin/$t" "$root/bin/"
done
install -m 0755 "$src/tests/qemu/init.sh" "$root/init"
install -m 0644 "$src/tests/qemu/guest-lib.sh" "$root/lib/gh-guest-lib.sh"
conformance=no
conf_bin=${buildroot:+$buildroot/tests/daemon/test-hyp-conformance}
if ! want kmod; then
	:
elif [ "$arch" = arm64 ] && [ -x "$work/bin/test-hyp-conformance" ]; then
	cp "$work/bin/test-hyp-conformance" "$root/bin/"
	conformance=yes
elif [ "$arch" = x86_64 ] && [ -n "$conf_bin" ] && [ -x "$conf_bin" ]; then
	# dynamically linked (GLib): bring its libraries and loader along
	gh_copy_prog "$root" "$conf_bin" /bin/test-hyp-conformance
	conformance=yes
fi
if [ "$e2e" = yes ]; then
	# The daemon scenario's world (tests/qemu/e2e.sh; docs/testing.md)
	gh_copy_prog "$root" "$buildroot/daemon/gunyahd" /usr/sbin/gunyahd
	gh_copy_prog "$root" "$buildroot/bench/bench-e2e-dbus" /usr/bin/bench-e2e-dbus
	gh_copy_prog "$root" "$buildroot/bench/bench-e2e-ioctl" /usr/bin/bench-e2e-ioctl
	[ "$consolebench" = yes ] &&
		gh_copy_prog "$root" "$buildroot/bench/bench-console" /usr/bin/bench-console
	gh_copy_prog "$root" "$(command -v dbus-daemon)" /usr/bin/dbus-daemon
	gh_copy_prog "$root" "$(command -v busctl)" /usr/bin/busctl
	gh_copy_prog "$root" "$(command -v gdbus)" /usr/bin/gdbus
	cp "$work/bin/e2e-notify" "$root/bin/"
	install -m 0755 "$src/tests/qemu/e2e.sh" "$root/bin/e2e.sh"
	install -m 0755 "$src/bench/e2e.sh" "$root/bin/e2e-bench.sh"
	# the system bus: its configuration and the repository's policy
	mkdir -p "$root/usr/share/dbus-1/system.d" "$root/var/lib/dbus"
	cp "$src/tests/qemu/e2e-bus.conf" "$root/usr/share/dbus-1/system.conf"
	cp "$src/dbus/org.gunyah.Manager1.conf" "$root/usr/share/dbus-1/system.d/"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\ngunyah:x:990:\n' >"$root/etc/group"
	printf '%s\n' 6775e796168642065326520677565730 >"$root/etc/machine-id"
	ln -s /run "$root/var/run"	# GLib's default system bus is under /var/run
	# the example definitions, image paths rewritten to generated images:
	# kernels with an arm64 Image header, ramdisks, all deterministic
	mkdir -p "$root/etc/gunyah/vms.d"
	for f in "$src"/config/examples/*.yaml; do
		sed 's|/var/lib/gunyah/images/|/srv/gunyah-e2e/|g' "$f" \
			>"$root/etc/gunyah/vms.d/$(basename "$f")"
	done
	grep -ho '/srv/gunyah-e2e/[^" ]*' "$root"/etc/gunyah/vms.d/*.yaml | sort -u |
		while read -r img; do
			case $img in
			*/Image) gh_fake_kernel "$root$img" 262144 2097152 ;;
			*) gh_fake_file "$root$img" 65536 "gunyahd e2e $(basename "$img") " ;;
			esac || gh_fail "cannot generate $img"
		done
fi
cat >"$root/etc/gh-suite.conf" <<EOF
GH_ARCH=$arch
GH_PLAN=$plan
GH_CONFORMANCE=$conformance
GH_E2E=$e2e
GH_E2E_BENCH_N=${GH_E2E_BENCH_N:-3}
GH_BIGGUEST=$bigguest
GH_BIGGUEST_SIZES="${GH_BIGGUEST_SIZES:-256 1024$([ "${GH_BIGGUEST_4G:-0}" = 1 ] && echo " 4096")}"
GH_BIGGUEST_N=${GH_BIGGUEST_N:-3}
GH_CONSOLEBENCH=$consolebench
GH_CONSOLE_BENCH_N=${GH_CONSOLE_BENCH_N:-3}
GH_CONSOLE_BENCH_BYTES=${GH_CONSOLE_BENCH_BYTES:-8388608}
GH_CONSOLE_BENCH_LIMIT=${GH_CONSOLE_BENCH_LIMIT:-1200}
GH_STRESS_THREADS=${GH_STRESS_THREADS:-8}
GH_STRESS_ITERATIONS=${GH_STRESS_ITERATIONS:-$([ "$arch" = x86_64 ] && echo 6 || echo 4)}
GH_RANDOM_SEEDS=${GH_RANDOM_SEEDS:-4}
GH_RANDOM_OPS=${GH_RANDOM_OPS:-400}
EOF
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
t_built=$(date +%s)

# ---------------------------------------------------------------------------
# Boot. slub_debug: Debian's kernels have no KASAN, but SLUB's red zones and
# poisoning report overruns and use-after-free of slab objects ("BUG kmalloc-…").
serial=$work/serial.log
# sed -u, not tr: unbuffered, so a long guest run shows line by line.
gh_log "booting $vmlinuz under ${qemu[0]} (TCG)"
set +e
timeout --foreground -k 5 "${GH_QEMU_TIMEOUT:-300}" "${qemu[@]}" \
	-nodefaults -nographic -serial stdio -no-reboot \
	-kernel "$vmlinuz" -initrd "$work/initramfs.cpio.gz" \
	-append "console=$console panic=-1 quiet slub_debug=FZP" </dev/null 2>&1 |
	sed -u 's/\r//g' | tee "$serial"
qemu_rc=${PIPESTATUS[0]}
set -e
t_end=$(date +%s)

# ---------------------------------------------------------------------------
# Verdict
verdict=0
gh_guest_verdict "$serial" GH-QEMU "$qemu_rc" || verdict=1
# One conformance suite for both backends: the module must give exactly the
# sim's results (tests/daemon runs the same binary against the sim)
conf_results() {	# TAP on stdin -> "ok|not ok PATH[ # directive]", sorted
	grep -E '^(not )?ok [0-9]+ /hyp/' | sed -E 's/^(not ok|ok) [0-9]+ /\1 /' | LC_ALL=C sort
}
host_conf=${buildroot:+$buildroot/tests/daemon/test-hyp-conformance}
if [ "$conformance" = yes ] && [ -n "$host_conf" ] && [ -x "$host_conf" ]; then
	sim_results=$(GUNYAHD_TEST_BACKEND=sim "$host_conf" --tap 2>/dev/null | conf_results || true)
	kernel_results=$(sed -n '/^GH-QEMU: BEGIN hyp-conformance/,/^GH-QEMU: END hyp-conformance/p' \
		"$serial" | conf_results || true)
	if [ -z "$kernel_results" ] || [ "$sim_results" != "$kernel_results" ]; then
		gh_log "test-hyp-conformance: the kernel backend ($arch) differs from the sim:"
		diff <(printf '%s\n' "$sim_results") <(printf '%s\n' "$kernel_results") |
			sed 's/^/  /' >&2 || true
		verdict=1
	else
		gh_log "test-hyp-conformance: $arch kernel backend = sim ($(printf '%s\n' "$kernel_results" |
			grep -c '^ok ') passed, identical)"
	fi
fi
grep -E '^GH-QEMU: END ' "$serial" >&2 || true
# bench/e2e's lines, once more at the end ("name value unit")
grep -E '^(e2e|big-guest|console)-[a-zA-Z0-9-]+ [0-9.-]+ [a-zA-Z/]+$' "$serial" | sed 's/^/qemu-suite: bench: /' >&2 || true
gh_log "$arch: build $((t_built - t_start)) s, guest $((t_end - t_built)) s"
if [ "$verdict" -eq 0 ]; then
	gh_log "$arch: PASS"
else
	gh_log "$arch: FAIL (serial log: $serial)"
fi
exit "$verdict"
