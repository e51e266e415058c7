#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gunyah.ko against the real Gunyah hypervisor and Resource Manager: boot
# the open-source hypervisor + RM (hypvm.elf, the ../shared/real-gunyah
# fixture; docs/testing.md tells how to rebuild it from public sources)
# under qemu-system-aarch64 (TCG), with Debian's arm64 kernel as the primary
# VM (HLOS) and a busybox initramfs (tests/qemu/init-gunyah.sh) that loads
# gunyah.ko on the hvc transport and runs:
#   - test-real-payload: bare-metal payloads (tests/qemu/payload) started
#     with GH_CREATE_VM ... GH_VM_START; counter, PSCI SYSTEM_OFF (exit
#     type 1), forced stop (exit type 7), graceful stop over the guest's
#     RM-RPC link, the guest's line on its RM console read from a
#     GH_VM_OPEN_CONSOLE fd, close while running
#   - the backend conformance suite (tests/daemon/test-hyp-conformance, static
#     arm64 build), whose results must equal the sim's
#   - the daemon scenario, when tests/qemu/gunyah-daemon-bundle.sh exists
#   - the RM still answers at the end; nothing pinned, no zombie, rmmod
# and passes only when the guest reported success, its kernel log is clean
# and the hypervisor and RM logged no assertion or exit.
#
#   tests/qemu/gunyah-suite.sh SRCDIR OUTDIR [MESON_BUILD_ROOT]
#
# MESON_BUILD_ROOT supplies the host's tests/daemon/test-hyp-conformance for
# the sim's results. The fixture is SRCDIR/../shared/real-gunyah, or
# $GH_REAL_GUNYAH; without hypvm.elf there the suite skips (77). A missing
# tool or package skips too, or fails with GH_QEMU_REQUIRED=1. Everything
# built is cached in OUTDIR.
#
# Machine and memory layout (fixed by the hypervisor's qemu platform
# config): virt, GICv3, 8 CPUs, 2 GiB at 0x40000000, of which the HLOS owns
# 0x40000000-0x7fffffff. QEMU's own devicetree is used as is, with its PSCI
# method "smc" (gunyah.ko's hvc transport probes on either SMCCC conduit),
# minus the GIC ITS and msi-map as upstream's run-qemu.sh does. Load
# addresses: devicetree 0x40f00000, kernel Image 0x41000000, and the initrd
# at GH_INITRD_ADDR, default 0x48000000 (the README's 0x40800000 leaves only
# 7 MiB below the devicetree; 0x48000000 is HLOS RAM well above the kernel's
# image and its early allocations, and Linux reserves whatever
# linux,initrd-start/end says): up to GH_INITRD_MAX bytes (default 32 MiB;
# verified with 6 MB, the daemon bundle included; the HLOS has about
# 900 MiB free, "GH-QEMU: memory" in the serial log).
#
# GH_REAL_PLAN=bigguest (the benchmark big-guest-real, bench/meson.build)
# runs bench-big-guest -R (bench/big-guest.c, static arm64) with its pin
# floor ghpin.ko (tests/qemu/guest/pin-floor) in place of the payloads, the
# conformance suite and the daemon: GH_BIGGUEST_SIZES (MiB, default 256),
# GH_BIGGUEST_KINDS (default 4k,thp,hugetlb), GH_BIGGUEST_N (runs, default
# 3). Its work directory is OUTDIR/gunyah-arm64-bigguest; the default plan
# is unchanged.
#
# Environment: GH_QEMU_TIMEOUT (seconds for the guest, default 480),
# GH_RM_TIMEOUT_MS (gunyah.ko's rm_timeout_ms, default 30000: the RM is
# slow releasing parcels under TCG), GH_REAL_GUNYAH, GH_QEMU_REQUIRED,
# GH_QEMU_DAEMON=0 leaves the daemon scenario out.
set -euo pipefail

src=$(cd "${1:?srcdir}" && pwd)
out=${2:?outdir}
buildroot=${3:-}
# shellcheck source=tests/qemu/lib.sh
. "$src/tests/qemu/lib.sh"

gh_log() { printf 'gunyah-suite: %s\n' "$*" >&2; }

real=${GH_REAL_GUNYAH:-$src/../shared/real-gunyah}
if [ ! -f "$real/hypvm.elf" ]; then
	# the fixture is not a tool: its absence always skips, never passes
	printf 'SKIP: no real Gunyah fixture: %s/hypvm.elf is absent (set GH_REAL_GUNYAH; docs/testing.md)\n' "$real"
	exit 77
fi
real=$(cd "$real" && pwd)

plan=${GH_REAL_PLAN:-default}
case $plan in
default | bigguest) ;;
*) gh_fail "GH_REAL_PLAN: unknown plan '$plan' (default or bigguest)" ;;
esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/gunyah-arm64
[ "$plan" = default ] || work=$out/gunyah-arm64-$plan
mkdir -p "$work/bin"
t_start=$(date +%s)
initrd_addr=${GH_INITRD_ADDR:-0x48000000}
initrd_max=${GH_INITRD_MAX:-$((32 << 20))}
rm_timeout_ms=${GH_RM_TIMEOUT_MS:-30000}

# ---------------------------------------------------------------------------
# Tools and the arm64 kernel
for t in make cpio gzip timeout dtc fdtoverlay; do
	gh_have "$t" || gh_skip "$t is not installed"
done
host_rel=$(gh_amd64_release) ||
	gh_skip "no linux-headers-*-amd64 with a matching /boot/vmlinuz (install linux-headers-amd64 linux-image-amd64)"
cache=$out/arm64-debs
gh_arm64_prepare "$host_rel" "$cache"
if [ "$plan" = default ]; then
	gh_arm64_fetch_glib "$cache" ||
		gh_skip "cannot fetch libglib2.0-dev:arm64 and libpcre2-dev:arm64 (static GLib for test-hyp-conformance)"
fi
gh_log "plan $plan, arm64 kernel $rel on $(basename "$real")/hypvm.elf"

# ---------------------------------------------------------------------------
# gunyah.ko (W=1, and sparse when installed: warnings fail the build)
check=()
gh_have sparse && check=(C=1)
gh_log "building gunyah.ko (arm64, W=1${check:+ C=1})"
gh_build_kmod "$src" "$work/src" "$kdir" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
	"${check[@]}" -j2 || gh_fail "gunyah.ko does not build cleanly"
case $(strings "$work/src/kmod/gunyah.ko" | grep -m1 '^vermagic=' || true) in
"vermagic=$rel "*) ;;
*) gh_fail "gunyah.ko does not match the kernel $rel" ;;
esac

# ---------------------------------------------------------------------------
# Static arm64 programs, the payloads and their devicetree
cc=(aarch64-linux-gnu-gcc -I"$arm/usr/include" -L"$arm/usr/lib/aarch64-linux-gnu")
cflags=(-static -O2 -g0 -Wall -Wextra -Werror -Wno-missing-field-initializers
	-I"$src/include/uapi" -I"$src/include" -I"$src/tests/common")
guest=$src/tests/qemu/guest
tp_src=("$guest/test-real-payload.c" "$guest/ghtest.c" "$src/tests/common/guest-dtb.c")
if gh_stale "$work/bin/test-real-payload" "${tp_src[@]}" "$guest/ghtest.h" \
	"$src/tests/common/guest-dtb.h" "$src/include/uapi/linux/gunyah.h" "$0"; then
	gh_log "building test-real-payload (arm64, static)"
	"${cc[@]}" "${cflags[@]}" -o "$work/bin/test-real-payload.tmp" "${tp_src[@]}" -lfdt ||
		gh_fail "cannot build test-real-payload"
	mv "$work/bin/test-real-payload.tmp" "$work/bin/test-real-payload"
fi
# the conformance suite with the kernel backend only, as suite.sh builds it
conf_src=("$src/tests/daemon/test-hyp-conformance.c" "$src/tests/common/test-guest.c"
	  "$src/tests/common/guest-dtb.c" "$src/daemon/hyp/hyp.c" "$src/daemon/hyp/hyp-kernel.c"
	  "$src/util/log.c" "$src/tests/qemu/hyp-sim-stub.c" "$src/tests/common/test-hyp.c")
if [ "$plan" = default ] &&
   gh_stale "$work/bin/test-hyp-conformance" "${conf_src[@]}" "$src/daemon/hyp/hyp.h" \
	"$src"/util/*.h "$src/tests/common/test-guest.h" "$src/tests/common/test-hyp.h" \
	"$src/tests/common/guest-dtb.h" "$src/include/uapi/linux/gunyah.h" "$0"; then
	gh_log "building test-hyp-conformance (arm64, static, kernel backend only)"
	if ! "${cc[@]}" "${cflags[@]}" -D_GNU_SOURCE -I"$src" -I"$src/daemon/hyp" -I"$src/daemon/image" -I"$src/daemon/def" \
		-I"$arm/usr/include/glib-2.0" -I"$arm/usr/lib/aarch64-linux-gnu/glib-2.0/include" \
		-o "$work/bin/test-hyp-conformance.tmp" "${conf_src[@]}" \
		-lglib-2.0 -lpcre2-8 -lfdt -pthread -lm >"$work/conformance-build.log" 2>&1; then
		cat "$work/conformance-build.log" >&2
		gh_fail "cannot build test-hyp-conformance for arm64"
	fi
	mv "$work/bin/test-hyp-conformance.tmp" "$work/bin/test-hyp-conformance"
fi
# bigguest: bench-big-guest and its pin floor, ghpin.ko (built like gunyah.ko)
if [ "$plan" = bigguest ]; then
	bg_src=("$src/bench/big-guest.c" "$guest/ghtest.c" "$src/tests/common/guest-dtb.c")
	if gh_stale "$work/bin/bench-big-guest" "${bg_src[@]}" "$guest/ghtest.h" "$src/bench/bench-stats.h" "$src/bench/bench-memfd.h" \
		"$guest/pin-floor/ghpin.h" "$src/include/uapi/linux/gunyah.h" "$0"; then
		gh_log "building bench-big-guest (arm64, static)"
		"${cc[@]}" "${cflags[@]}" -I"$guest" -o "$work/bin/bench-big-guest.tmp" \
			"${bg_src[@]}" -lfdt || gh_fail "cannot build bench-big-guest"
		mv "$work/bin/bench-big-guest.tmp" "$work/bin/bench-big-guest"
	fi
	mkdir -p "$work/ghpin"
	cp -p "$guest"/pin-floor/{Kbuild,ghpin.c,ghpin.h} "$work/ghpin/"
	if ! make -C "$kdir" M="$work/ghpin" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- W=1 \
		"${check[@]}" modules >"$work/ghpin-build.log" 2>&1 ||
		grep -E 'warning:|error:|warn:' "$work/ghpin-build.log" >&2; then
		cat "$work/ghpin-build.log" >&2
		gh_fail "ghpin.ko does not build cleanly"
	fi
fi
payloads=$work/payload
if gh_stale "$payloads/payload-console.bin" "$src"/tests/qemu/payload/* "$0" ||
   gh_stale "$payloads/vm-console.dtb" "$src"/tests/qemu/payload/*.dts; then
	gh_log "building the payloads"
	"$src/tests/qemu/payload/build.sh" "$payloads" || gh_fail "cannot build the payloads"
	# padded: the RM adds its overlay in place
	for d in vm vm-rpc vm-console; do
		dtc -q -I dts -O dtb -p 4096 -o "$payloads/$d.dtb" "$src/tests/qemu/payload/$d.dts" ||
			gh_fail "cannot compile tests/qemu/payload/$d.dts"
	done
fi

# ---------------------------------------------------------------------------
# initramfs
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,lib,etc,proc,sys,dev,tmp,run,srv/payload}
cp "$busybox" "$root/bin/busybox"
cp "$work/src/kmod/gunyah.ko" "$root/lib/gunyah.ko"
cp "$work/bin/test-real-payload" "$root/bin/"
if [ "$plan" = default ]; then
	cp "$work/bin/test-hyp-conformance" "$root/bin/"
else
	cp "$work/ghpin/ghpin.ko" "$root/lib/ghpin.ko"
	cp "$work/bin/bench-big-guest" "$root/bin/"
fi
cp "$payloads"/payload-*.bin "$payloads"/vm*.dtb "$root/srv/payload/"
install -m 0755 "$src/tests/qemu/init-gunyah.sh" "$root/init"
install -m 0644 "$src/tests/qemu/guest-lib.sh" "$root/lib/gh-guest-lib.sh"
# the daemon scenario (tests/qemu/gunyah-daemon-bundle.sh adds gunyahd and
# its world to the root, and /bin/gunyah-e2e.sh that init runs)
daemon=absent
bundle=$src/tests/qemu/gunyah-daemon-bundle.sh
if [ "$plan" != default ]; then
	daemon=plan
elif [ "${GH_QEMU_DAEMON:-1}" = 0 ]; then
	gh_log "GH_QEMU_DAEMON=0: the daemon scenario does not run"
	daemon=off
elif [ -f "$bundle" ]; then
	mkdir -p "$out/gunyah-daemon"
	set +e
	bash "$bundle" "$src" "$out/gunyah-daemon" "$root" "$payloads"
	rc=$?
	set -e
	case $rc in
	0) daemon=yes ;;
	77)
		[ "${GH_QEMU_REQUIRED:-0}" = 1 ] &&
			gh_fail "the daemon bundle skipped (required: -Dqemu_tests=enabled)"
		gh_log "the daemon scenario does not run: its bundle skipped"
		daemon=skipped
		;;
	*) gh_fail "tests/qemu/gunyah-daemon-bundle.sh failed ($rc)" ;;
	esac
else
	gh_log "no tests/qemu/gunyah-daemon-bundle.sh: the daemon scenario does not run"
fi
cat >"$root/etc/gh-suite.conf" <<EOF
GH_REAL_PLAN=$plan
GH_CONFORMANCE=$([ "$plan" = default ] && echo yes || echo no)
GH_RM_TIMEOUT_MS=$rm_timeout_ms
GH_BIGGUEST_SIZES="${GH_BIGGUEST_SIZES:-256}"
GH_BIGGUEST_KINDS=${GH_BIGGUEST_KINDS:-4k,thp,hugetlb}
GH_BIGGUEST_N=${GH_BIGGUEST_N:-3}
GH_BIGGUEST_TIMEOUT=$((${GH_QEMU_TIMEOUT:-480} - 120))
EOF
initrd=$work/initramfs.cpio.gz
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) >"$initrd"
initrd_size=$(stat -c %s "$initrd")
[ "$initrd_size" -le "$initrd_max" ] ||
	gh_fail "the initramfs is $initrd_size bytes, more than GH_INITRD_MAX=$initrd_max"
gh_log "initramfs: $initrd_size bytes at $initrd_addr"

# ---------------------------------------------------------------------------
# The HLOS devicetree: QEMU's own for a 1 GiB, 8-CPU machine (the HLOS's
# memory node), with the initrd range, without the ITS and msi-map
# (upstream run-qemu.sh), PSCI method left as QEMU writes it ("smc")
dtb=$work/virt.dtb
machine=virt,virtualization=on,gic-version=3,highmem=off
bootargs="rw root=/dev/ram rdinit=/init earlycon console=ttyAMA0 panic=-1 quiet slub_debug=FZP"
qemu-system-aarch64 -machine "$machine" -cpu max -m size=1G -smp cpus=8 -nographic \
	-kernel "$real/hypvm.elf" -append "$bootargs" \
	-machine "dumpdtb=$work/virt-qemu.dtb" >"$work/dumpdtb.log" 2>&1 ||
	{ cat "$work/dumpdtb.log" >&2; gh_fail "qemu cannot dump its devicetree"; }
cat >"$work/initrd.dts" <<EOF
/dts-v1/;
/plugin/;
/ { fragment@0 { target-path = "/chosen"; __overlay__ {
	linux,initrd-start = <$initrd_addr>;
	linux,initrd-end = <$(printf '%#x' $((initrd_addr + initrd_size)))>;
}; }; };
EOF
dtc -q -@ -I dts -O dtb -o "$work/initrd.dtbo" "$work/initrd.dts"
fdtoverlay -i "$work/virt-qemu.dtb" -o "$work/virt-initrd.dtb" "$work/initrd.dtbo"
dtc -q -I dtb -O dts "$work/virt-initrd.dtb" | sed '/its@/,/};/d' | grep -v 'msi-map ' |
	dtc -q -I dts -O dtb -o "$dtb" -
grep -q 'method = "smc"' < <(dtc -q -I dtb -O dts "$dtb") ||
	gh_fail "QEMU's devicetree has no PSCI method \"smc\" any more: revisit this suite"
[ "$(stat -c %s "$dtb")" -le $((1 << 20)) ] || gh_fail "the HLOS devicetree exceeds 1 MiB"
t_built=$(date +%s)

# ---------------------------------------------------------------------------
# Boot. The HLOS's poweroff does not necessarily end QEMU: stop it once the
# guest printed its verdict (or at the timeout).
serial=$work/serial.log
: >"$serial"
gh_log "booting hypvm.elf + $rel under qemu-system-aarch64 (TCG, 8 CPUs)"
qemu-system-aarch64 -machine "$machine" -cpu max,sve128=on -m size=2G -smp cpus=8 \
	-nographic -nodefaults -serial "file:$serial" -monitor none -no-reboot \
	-accel tcg,thread=multi -kernel "$real/hypvm.elf" \
	-device "loader,file=$dtb,addr=0x40f00000" \
	-device "loader,file=$vmlinuz,addr=0x41000000" \
	-device "loader,file=$initrd,addr=$initrd_addr" </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!
limit=$(($(date +%s) + ${GH_QEMU_TIMEOUT:-480}))
timed_out=0
shown=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	# the serial log as it comes, stripped of CRs
	n=$(wc -l <"$serial")
	if [ "$n" -gt "$shown" ]; then
		sed -n "$((shown + 1)),${n}p" "$serial" | tr -d '\r'
		shown=$n
	fi
	if grep -q '^GH-QEMU-RESULT:' "$serial"; then
		sleep 5	# the guest powers off
		break
	fi
	if [ "$(date +%s)" -ge "$limit" ]; then
		timed_out=1
		break
	fi
	sleep 2
done
if kill -0 "$qemu_pid" 2>/dev/null; then
	kill "$qemu_pid" 2>/dev/null || true
fi
wait "$qemu_pid" 2>/dev/null || true
sed -n "$((shown + 1)),\$p" "$serial" | tr -d '\r'
tr -d '\r' <"$serial" >"$serial.txt"
mv "$serial.txt" "$serial"
t_end=$(date +%s)

# ---------------------------------------------------------------------------
# Verdict
verdict=0
[ "$timed_out" -eq 0 ] || { gh_log "timeout after ${GH_QEMU_TIMEOUT:-480} s"; verdict=1; }
grep -q '^GH-QEMU-RESULT: PASS' "$serial" || { gh_log "the guest did not report success"; verdict=1; }
grep -q 'Hypervisor cold boot' "$serial" || { gh_log "no hypervisor boot log"; verdict=1; }
grep -q 'Resource Manager version' "$serial" || { gh_log "no RM boot log"; verdict=1; }
# The shipped RM stops printing once the HLOS boots: what it printed before,
# and the hypervisor's log, must show no assertion, abort or exit
hyp_bad=$(grep -E '\[(HYP|RM)\]' "$serial" | grep -iE 'assert|abort|panic|sys_exit|rm_reply: err' ||
	true)
if [ -n "$hyp_bad" ]; then
	gh_log "the hypervisor or RM log reports a failure:"
	printf '%s\n' "$hyp_bad" >&2
	verdict=1
fi
if ! grep -q '^GH-QEMU-DMESG-END' "$serial"; then
	gh_log "the guest's kernel log is missing"
	verdict=1
fi
dmesg=$(sed -n '/^GH-QEMU-DMESG-BEGIN/,/^GH-QEMU-DMESG-END/p' "$serial")
dmesg_bad=$(printf '%s\n' "$dmesg" |
	grep -E 'BUG:|WARNING:|WARN|Oops|Call Trace|KASAN|UBSAN|Kernel panic|kernel BUG|blocked for more than|lockdep|circular locking|scheduling while atomic|sleeping function called' ||
	true)
if [ -n "$dmesg_bad" ]; then
	gh_log "the guest's kernel log is not clean:"
	printf '%s\n' "$dmesg_bad" >&2
	verdict=1
fi
# the hvc transport probed on QEMU's "smc" conduit
if ! grep -q 'Gunyah API v1; RM queues: ' "$serial"; then
	gh_log "gunyah.ko's hvc transport did not report its probe"
	verdict=1
fi
# One conformance suite for both backends: the module on the real RM must
# give exactly the sim's results (suite.sh compares the emulator the same way)
conf_results() {	# TAP on stdin -> "ok|not ok PATH[ # directive]", sorted
	grep -E '^(not )?ok [0-9]+ /hyp/' | sed -E 's/^(not ok|ok) [0-9]+ /\1 /' | LC_ALL=C sort
}
host_conf=${buildroot:+$buildroot/tests/daemon/test-hyp-conformance}
kernel_results=$(sed -n '/^GH-QEMU: BEGIN hyp-conformance/,/^GH-QEMU: END hyp-conformance/p' \
	"$serial" | conf_results || true)
if [ "$plan" != default ]; then
	gh_log "plan $plan: no conformance suite"
elif [ -n "$host_conf" ] && [ -x "$host_conf" ]; then
	sim_results=$(GUNYAHD_TEST_BACKEND=sim "$host_conf" --tap 2>/dev/null | conf_results || true)
	if [ -z "$kernel_results" ] || [ "$sim_results" != "$kernel_results" ]; then
		gh_log "test-hyp-conformance: the real RM differs from the sim:"
		diff <(printf '%s\n' "$sim_results") <(printf '%s\n' "$kernel_results") |
			sed 's/^/  /' >&2 || true
		verdict=1
	else
		gh_log "test-hyp-conformance: real RM = sim ($(printf '%s\n' "$kernel_results" |
			grep -c '^ok ') passed, identical)"
	fi
else
	gh_log "no MESON_BUILD_ROOT with tests/daemon/test-hyp-conformance: not compared with the sim"
fi
case $daemon in
yes) ;;
skipped) gh_log "daemon scenario: skipped by its bundle" ;;
absent) gh_log "daemon scenario: not part of this tree" ;;
off) gh_log "daemon scenario: off (GH_QEMU_DAEMON=0)" ;;
plan) gh_log "daemon scenario: not in plan $plan" ;;
esac
grep -E '^GH-QEMU: (END|CHECK) ' "$serial" >&2 || true
grep -E '^big-guest-[a-zA-Z0-9-]+ [0-9.-]+ [a-z]+$' "$serial" | sed 's/^/gunyah-suite: bench: /' >&2 ||
	true
gh_log "build $((t_built - t_start)) s, guest $((t_end - t_built)) s"
if [ "$verdict" -eq 0 ]; then
	gh_log "PASS"
else
	gh_log "FAIL (serial log: $serial)"
fi
exit "$verdict"
