#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds the bare-metal payloads of payload.S as raw arm64 Image files:
#   tests/qemu/payload/build.sh OUTDIR
# writes OUTDIR/payload-spin.bin, OUTDIR/payload-off.bin and
# OUTDIR/payload-rpc.bin (honours a graceful stop; for the conformance suite)
# and OUTDIR/payload-console.bin (payload-rpc that first writes a line to its
# RM console).
# CROSS_COMPILE defaults to aarch64-linux-gnu-.
set -eu
out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in spin off rpc console; do
	case $v in
	spin) def=-DPAYLOAD_SPIN ;;
	off) def=-DPAYLOAD_OFF ;;
	rpc) def=-DPAYLOAD_RPC ;;
	console) def="-DPAYLOAD_RPC -DPAYLOAD_CONSOLE" ;;
	esac
	# shellcheck disable=SC2086 # $def: one or two -D flags
	"${cross}gcc" -nostdlib -nostartfiles -static -fPIC $def -Wl,-Ttext=0 -Wl,--build-id=none \
		-Wl,-e,_start -o "$tmp/payload-$v.elf" "$here/payload.S"
	"${cross}objcopy" -O binary -j .text "$tmp/payload-$v.elf" "$tmp/payload-$v.bin"
	# the header's magic, and the marker where the contract says
	[ "$(dd if="$tmp/payload-$v.bin" bs=1 skip=56 count=4 2>/dev/null | od -An -tx1 | tr -d ' ')" = 41524d64 ] ||
		{ echo "payload-$v.bin: no arm64 Image magic" >&2; exit 1; }
	[ "$(dd if="$tmp/payload-$v.bin" bs=1 skip=4096 count=8 2>/dev/null)" = GHCOUNT! ] ||
		{ echo "payload-$v.bin: no GHCOUNT! marker at 0x1000" >&2; exit 1; }
	mv "$tmp/payload-$v.bin" "$out/payload-$v.bin"
done
