#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-readme.sh SRCDIR BUILDDIR BUS_CONF: runs README.md's "Using it" block
# exactly as written, as a user would paste it into bash, on a private
# session bus (dbus-run-session) with a scratch $HOME, from a directory
# whose build/ is this build. The block must succeed and show the VM
# defined, then running, then defined again: the README cannot drift from
# what gunyahd and gunyahctl do.
set -euo pipefail

src=${1:?srcdir}
build=$(cd "${2:?builddir}" && pwd)
conf=${3:?bus config}
for t in dbus-run-session busctl; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

block=$(awk '/^## Using it/ { section = 1; next }
	     section && /^## / { exit }
	     section && /^```sh$/ { inside = 1; next }
	     inside && /^```$/ { exit }
	     inside { print }' "$src/README.md")
[ -n "$block" ] || { echo "FAIL: no sh block under '## Using it' in README.md"; exit 1; }

scratch=$(mktemp -d /tmp/gunyahd-readme.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/home" "$scratch/cwd"
ln -s "$build" "$scratch/cwd/build"
out=$scratch/out
rc=0
(cd "$scratch/cwd" && HOME=$scratch/home env -u XDG_STATE_HOME -u LOGS_DIRECTORY timeout 120 \
	dbus-run-session --config-file="$conf" -- bash -euo pipefail -c "$block") \
	>"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: the README block exited with $rc"; exit 1; }

expect() {	# expect REGEX WHAT
	grep -Eq "$1" "$out" || { echo "FAIL: the README block did not show $2 ($1)"; exit 1; }
}
expect '^a\(ssuo\) 1 "demo" "defined" 0 "/org/gunyah/Manager1/vm/demo"$' "ListVMs with demo defined"
expect '^s "running"$' "demo running after StartVM"
expect '^ +Cmdline: console=hvc0$' "gunyahctl status with the definition's cmdline"
expect "^gunyah-sim: 'demo' booted \\(VMID 0x[0-9a-f]+\\)$" "the guest's console through gunyahctl logs"
expect '^demo +defined ' "demo defined again in gunyahctl list"
grep -Eq "^gunyah-sim: 'demo' booted" "$scratch/home/.local/state/log/gunyah/demo.log" ||
	{ echo "FAIL: no console log file under \$HOME/.local/state/log/gunyah"; exit 1; }
# Nothing worse than a notice, but the simulated backend's own warning.
if grep -E '^<[0-4]>' "$out" | grep -Ev 'SIMULATED hypervisor|VMs will not run'; then
	echo "FAIL: the README block logged the warnings above"
	exit 1
fi
echo "PASS"
