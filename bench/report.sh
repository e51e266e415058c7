#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/report.sh: one table of every ratio the benchmarks printed, with its
# target. Reads the output of `meson test --benchmark --verbose` (or of the
# benchmarks themselves) on stdin, takes every DESIGN §10 "name value unit"
# line whose unit is x (a ratio) or ping (units of Peer.Ping), plus the few
# absolute values an issue asked for, and prints name, value, target and
# ok/over/under/- (no target: printed for information). The last value of a name
# wins (the QEMU suites repeat theirs at the end). Never fails on a value:
# timings are printed, not asserted (docs/testing.md, "Benchmarks").
#
#   meson test -C build --benchmark --verbose | tee bench.log; bench/report.sh <bench.log
set -euo pipefail

# name pattern (awk regex, anchored) <TAB> target ("<= N", ">= N", or - for none)
targets=$(
	cat <<'EOF'
layout-ratio-100k/10k	<= 15
create-ratio	<= 1.2
controlplane-(create|start|destroy|cycle)-budget	<= 1.00
worker-daemon-vs-per-job	<= 1.00
idle-wakeups-per-ping	<= 1.00
big-guest-[0-9]+M-(thp|hugetlb)-register-vs-pin	<= 1.3
big-guest-real-[0-9]+M-(thp|hugetlb)-register-vs-pin	<= 1.3
console-(log|client)-vs-raw	>= 0.8
EOF
)
# absolute values shown too
extra='^(idle-rss-per-live-vm|idle-rss-(anon|shmem)-per-live-vm|big-guest-[0-9]+M-[a-z0-9]+-(entries|packets)|controlplane-ping|e2e-dbus-ping|console-(emu|raw|log|client)-(mibps|lost))$'

awk -v targets="$targets" -v extra="$extra" '
BEGIN {
	n = split(targets, rows, "\n")
	for (i = 1; i <= n; i++) {
		split(rows[i], f, "\t")
		pat[i] = "^" f[1] "$"
		tgt[i] = f[2]
	}
	npat = n
}
# "name value unit [anything]": the name has no spaces, the value is a number
NF >= 3 && $1 ~ /^[a-z][a-zA-Z0-9\/._-]*$/ && $2 ~ /^-?[0-9]+(\.[0-9]+)?$/ &&
    ($3 == "x" || $3 == "ping" || $1 ~ extra) {
	if (!($1 in value))
		order[++count] = $1
	value[$1] = $2
	unit[$1] = $3
}
END {
	if (!count) {
		print "bench/report.sh: no benchmark lines in the input" > "/dev/stderr"
		exit 0
	}
	printf "%-52s %12s %-6s %-9s %s\n", "benchmark", "value", "unit", "target", "verdict"
	for (i = 1; i <= count; i++) {
		name = order[i]
		t = "-"
		for (j = 1; j <= npat; j++)
			if (name ~ pat[j]) {
				t = tgt[j]
				break
			}
		verdict = "-"
		if (t ~ /^<= /) {
			limit = substr(t, 4) + 0
			verdict = value[name] + 0 <= limit ? "ok" : "over"
		} else if (t ~ /^>= /) {
			limit = substr(t, 4) + 0
			verdict = value[name] + 0 >= limit ? "ok" : "under"
		}
		printf "%-52s %12s %-6s %-9s %s\n", name, value[name], unit[name], t, verdict
	}
}'
