#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fresh-run.sh CMD [ARGS...]: runs CMD as it would run on a fresh machine,
# in a private mount namespace whose /run is an empty tmpfs: no /run/udev,
# /run/dbus or /run/systemd left behind by services or earlier runs. A test
# that passes here does not depend on what a daemon happened to create.
# Skips (77) only where a private mount namespace cannot be had.
set -eu
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (a private mount namespace)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: unshare is not installed"; exit 77; }
unshare --mount --propagation private true 2>/dev/null ||
	{ echo "SKIP: no private mount namespace here"; exit 77; }
exec unshare --mount --propagation private -- sh -c '
	mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
	[ -z "$(ls -A /run)" ] || { echo "FAIL: /run is not empty"; exit 1; }
	exec "$@"' fresh-run "$@"
