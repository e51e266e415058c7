#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
#
# gunyahd end to end under the real Gunyah hypervisor and RM
# (../shared/real-gunyah), in the arm64 primary VM of
# tests/qemu/gunyah-suite.sh. Its init runs this after the module tests,
# with gunyah.ko loaded (transport=hvc) and /dev/gunyah present; the files
# come from tests/qemu/gunyah-daemon-bundle.sh.
#
# A system bus (dbus-daemon), gunyahd on the kernel backend with the
# definitions in /etc/gunyah/vms.d (bare-metal payloads of
# tests/qemu/payload as kernels, 4 MiB shared main memory, one vCPU), all
# driven with gunyahctl:
#   - spin: create, start, running, its counter advancing in guest memory;
#     a graceful stop that the payload ignores: stopping, still counting,
#     then forced after its stop-timeout: exited (stopped); destroy:
#     nothing pinned, no zombie;
#   - console (if the payload exists): it opens its RM console and writes
#     a line (the RM-RPC link gunyahd's devicetree gives every VM, with
#     console-dev); the line must come out of gunyahctl logs and the
#     console log file (gunyahd's default console.log-dir,
#     /var/log/gunyah, or GH_E2E_LOGDIR); the RM's answers to the guest's
#     VM_CONSOLE_OPEN and VM_CONSOLE_WRITE, read from guest memory, must
#     be OK; then a forced stop;
#   - off: the payload powers off by itself: exited (poweroff);
#   - rpc (if the payload exists): it polls its RM-RPC queue and powers
#     off on the RM's shutdown notification, so a graceful stop should end
#     exited (poweroff) before its stop-timeout: the devicetree's rm-rpc
#     link end to end (a forced end is reported, not failed: that is the
#     payload's own test);
#   - the VMID comes back: spin created again gets its first VMID (the RM
#     hands out the first free one);
#   - gunyahd exits 0 on SIGTERM and leaves nothing behind.
#
# One "PASS: ..." or "FAIL: ..." line per check; exit 0 only if all passed.
#
# For development on the host, against the simulated hypervisor (no module,
# no guest memory to read: the daemon's side only):
#   GH_E2E_BACKEND=sim GH_E2E_DEFS=DIR GH_E2E_TMP=DIR GH_E2E_PATH=DIRS \
#   GH_E2E_BUS_CONFIG=FILE GH_E2E_BUS_SOCKET=PATH GH_E2E_LOGDIR=DIR gunyah-e2e.sh
# (a private bus: FILE listens on PATH; console logs in DIR).
set -u

export PATH=${GH_E2E_PATH:+$GH_E2E_PATH:}/bin:/sbin:/usr/bin:/usr/sbin
BACKEND=${GH_E2E_BACKEND:-kernel}
DEFS=${GH_E2E_DEFS:-/etc/gunyah/vms.d}
TMP=${GH_E2E_TMP:-/tmp}
DLOG=$TMP/gunyahd-e2e.log
BUS_SOCKET=${GH_E2E_BUS_SOCKET:-/run/dbus/system_bus_socket}
BUS_CONFIG=${GH_E2E_BUS_CONFIG:-}
[ -n "$BUS_CONFIG" ] && export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS_SOCKET"
# spin.yaml's stop-timeout (whole seconds): long enough that the checks
# made during the graceful phase (each gunyahctl run takes a while under
# TCG) come before the daemon forces the stop
STOP_TIMEOUT_MS=$(($(sed -n 's/^stop-timeout: *\([0-9][0-9]*\)s$/\1/p' "$DEFS/spin.yaml" 2>/dev/null || true) + 0))
STOP_TIMEOUT_MS=$((STOP_TIMEOUT_MS * 1000))
# gunyahd's console.log-dir: its default, or DIR through a configuration file
LOGDIR=${GH_E2E_LOGDIR:-/var/log/gunyah}
CONSOLE_LINE="gunyah payload: hello from the guest console"	# payload.S
VMID_MIN=128			# the RM's dynamic VMIDs: 0x80..0xbe
VMID_MAX=190

n=0
nfailed=0
bus_pid=""
daemon_pid=""

pass() { n=$((n + 1)); echo "PASS: $*"; }
fail() { n=$((n + 1)); nfailed=$((nfailed + 1)); echo "FAIL: $*"; }
info() { echo "INFO: $*"; }
is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3 (got '$1', want '$2')"; fi
}
ok() {	# ok COMMAND...: the command succeeds (output in the log)
	if "$@" >>"$DLOG" 2>&1; then pass "$*"; else fail "$*"; fi
}

# Milliseconds since boot (/proc/uptime has centiseconds)
now_ms() {
	read -r up _ </proc/uptime
	cs=${up#*.}
	cs=${cs#0}
	echo $((${up%.*} * 1000 + cs * 10))
}

param() { cat "/sys/module/gunyah/parameters/$1" 2>/dev/null || echo "?"; }

ctl() { gunyahctl "$@"; }
# status_field VM LABEL: the value of "LABEL: value" in gunyahctl status
status_field() {
	ctl status "$1" 2>/dev/null | sed -n "s/^ *$2: //p" | head -n 1
}
state() { status_field "$1" State; }		# "exited (stopped)"
state_word() { state "$1" | cut -d' ' -f1; }	# "exited"
vmid() {	# decimal, or empty
	v=$(status_field "$1" VMID)
	case $v in
	0x*) echo $((v)) ;;
	*) echo "" ;;
	esac
}
# wait_state VM STATE-LINE TENTHS: 0 once "State:" reads STATE-LINE
wait_state() {
	i=0
	while [ "$i" -lt "$3" ]; do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_not_state VM STATE-WORD TENTHS: 0 once the state is something else
wait_not_state() {
	i=0
	while [ "$i" -lt "$3" ]; do
		s=$(state_word "$1")
		[ -n "$s" ] && [ "$s" != "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

counter() {
	[ "$BACKEND" = kernel ] || return 1
	gunyah-e2e-peek "$daemon_pid" "$1"
}
# counter_at VM OFFSET: the u64 at OFFSET of the payload's image ("?" if unreadable)
counter_at() {
	gunyah-e2e-peek "$daemon_pid" "$1" "$2" 2>/dev/null || echo "?"
}

# counter_advances VM DESCRIPTION: two reads one second apart, the second larger
counter_advances() {
	if [ "$BACKEND" != kernel ]; then
		info "$2: skipped on the $BACKEND backend (no guest runs)"
		return 0
	fi
	c1=$(counter "$1" 2>&1)
	sleep 1
	c2=$(counter "$1" 2>&1)
	case "$c1$c2" in
	*[!0-9]* | "")
		fail "$2 (cannot read the counter: '$c1' '$c2')"
		return 0
		;;
	esac
	if [ "$c2" -gt "$c1" ] && [ "$c1" -gt 0 ]; then
		pass "$2 ($c1 -> $c2 in 1 s)"
	else
		fail "$2 (counter $c1 then $c2)"
	fi
}

vmid_in_range() {	# vmid_in_range VMID DESCRIPTION
	if [ -n "$1" ] && [ "$1" -ge "$VMID_MIN" ] && [ "$1" -le "$VMID_MAX" ]; then
		pass "$2 ($(printf '%#x' "$1"))"
	else
		fail "$2 (VMID '$1', want 0x80..0xbe)"
	fi
}

nothing_held() {	# nothing_held DESCRIPTION: the module pins nothing, no zombie
	if [ "$BACKEND" != kernel ]; then
		info "$1: skipped on the $BACKEND backend"
		return 0
	fi
	i=0
	while [ "$i" -lt 100 ]; do
		[ "$(param pinned_pages)" = 0 ] && [ "$(param zombies)" = 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	is "pinned_pages=$(param pinned_pages) zombies=$(param zombies)" \
		"pinned_pages=0 zombies=0" "$1"
}

bus_start() {
	rm -f "$BUS_SOCKET"
	if [ -n "$BUS_CONFIG" ]; then
		dbus-daemon --config-file="$BUS_CONFIG" --nofork --nopidfile --nosyslog \
			2>>"$TMP/dbus.log" &
	else
		mkdir -p /run/dbus /var/lib/dbus
		dbus-daemon --system --nofork --nopidfile --nosyslog 2>>"$TMP/dbus.log" &
	fi
	bus_pid=$!
	i=0
	while [ ! -S "$BUS_SOCKET" ] && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$BUS_SOCKET" ]
}

daemon_start() {
	set --
	if [ -n "${GH_E2E_LOGDIR:-}" ]; then
		printf 'version: 1\nconsole:\n  log-dir: %s\n' "$LOGDIR" >"$TMP/gunyahd-e2e.yaml"
		set -- --config="$TMP/gunyahd-e2e.yaml"
	fi
	mkdir -p "$LOGDIR"
	gunyahd --backend="$BACKEND" --device=/dev/gunyah --definitions="$DEFS" \
		--log-level=debug "$@" 2>>"$DLOG" &
	daemon_pid=$!
	# ready once it answers on the bus
	i=0
	while [ "$i" -lt 300 ]; do
		ctl list >/dev/null 2>&1 && return 0
		kill -0 "$daemon_pid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ -n "$bus_pid" ]; then
		kill "$bus_pid" 2>/dev/null
		wait "$bus_pid" 2>/dev/null
	fi
}
trap cleanup EXIT

finish() {
	echo "$((n - nfailed)) of $n checks passed"
	if [ "$nfailed" -ne 0 ]; then
		echo "--- gunyahd's log (last 60 lines):"
		tail -n 60 "$DLOG"
		echo "--- dbus-daemon's log:"
		tail -n 10 "$TMP/dbus.log" 2>/dev/null
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------------------

: >"$DLOG"
info "backend $BACKEND, definitions $DEFS"
if [ "$BACKEND" = kernel ]; then
	if [ -c /dev/gunyah ]; then pass "/dev/gunyah is present"; else fail "/dev/gunyah is present"; finish; fi
	info "module: pinned_pages=$(param pinned_pages) zombies=$(param zombies) rm_timeout_ms=$(param rm_timeout_ms)"
	[ "$(param zombies)" = 0 ] ||
		info "zombies before the scenario: an earlier test left a VM the RM never released (is the RM still answering?)"
fi
if bus_start; then pass "dbus-daemon serves the system bus"; else fail "dbus-daemon serves the system bus"; finish; fi
if daemon_start; then
	pass "gunyahd (--backend=$BACKEND) answers on the bus"
else
	fail "gunyahd (--backend=$BACKEND) answers on the bus"
	finish
fi
list=$(ctl list 2>&1)
echo "$list" | sed 's/^/INFO: /'
for v in spin off; do
	if echo "$list" | grep -Eq "^$v +defined "; then pass "$v is defined"; else fail "$v is defined"; fi
done

# --- spin: create, start, counter (nothing else can work if these fail:
# each later call would wait for the RM's timeout)
if ctl create spin >>"$DLOG" 2>&1; then
	pass "ctl create spin"
else
	fail "ctl create spin"
	finish
fi
is "$(state spin)" created "spin is created"
vmid1=$(vmid spin)
vmid_in_range "$vmid1" "spin has a VMID"
t0=$(now_ms)
if ctl start spin >>"$DLOG" 2>&1; then
	pass "ctl start spin"
else
	fail "ctl start spin"
	ctl destroy spin >>"$DLOG" 2>&1
	finish
fi
info "StartVM took $(($(now_ms) - t0)) ms"
is "$(state spin)" running "spin is running once StartVM replied"
counter_advances spin "spin's counter advances in guest memory"

# --- graceful stop, ignored by the payload: forced after stop-timeout
t0=$(now_ms)
ok ctl stop --no-wait spin
s=$(state_word spin)
case $s in
stopping | running) pass "after a graceful StopVM spin is still up ($s)" ;;
*) fail "after a graceful StopVM spin is still up (state '$s')" ;;
esac
counter_advances spin "spin keeps counting while it ignores the stop"
if [ "$STOP_TIMEOUT_MS" -le 0 ]; then
	fail "spin.yaml has a stop-timeout in whole seconds"
elif wait_not_state spin stopping 1200; then
	t1=$(now_ms)
	is "$(state spin)" "exited (stopped)" "spin is forced: exited (stopped)"
	is "$(status_field spin Exit)" "forced-stop, code 0" "spin's exit: forced-stop"
	if [ $((t1 - t0)) -ge $((STOP_TIMEOUT_MS - 200)) ]; then
		pass "forced after the stop-timeout ($((t1 - t0)) ms >= ${STOP_TIMEOUT_MS} ms)"
	else
		fail "forced after the stop-timeout ($((t1 - t0)) ms < ${STOP_TIMEOUT_MS} ms)"
	fi
else
	fail "spin leaves stopping (state '$(state spin)')"
fi
ok ctl destroy spin
is "$(state spin)" "defined (destroyed)" "spin is defined again"
nothing_held "after destroying spin: nothing pinned, no zombie"

# --- console: the guest's line through gunyahd
if [ -f "$DEFS/console.yaml" ]; then
	rm -f "$LOGDIR/console.log"
	t0=$(now_ms)
	ok ctl start console
	is "$(state console)" running "console is running"
	out=""
	while [ $(($(now_ms) - t0)) -lt 20000 ]; do
		out=$(ctl logs console 2>&1)
		case $out in *"$CONSOLE_LINE"*) break ;; esac
		sleep 0.2
	done
	case $out in
	*"$CONSOLE_LINE"*)
		pass "gunyahctl logs console shows the guest's line ($(($(now_ms) - t0)) ms after StartVM)"
		;;
	*)
		fail "gunyahctl logs console shows the guest's line (got '$(printf '%s' "$out" | head -c 200)')"
		;;
	esac
	if grep -qF "$CONSOLE_LINE" "$LOGDIR/console.log" 2>/dev/null; then
		pass "the console log $LOGDIR/console.log has the guest's line"
	else
		fail "the console log $LOGDIR/console.log has the guest's line ($(wc -c <"$LOGDIR/console.log" 2>&1) bytes)"
	fi
	# what the RM answered the guest (payload.S leaves it at 0x1020..)
	if [ "$BACKEND" = kernel ]; then
		c_stage=$(counter_at console 0x1020)
		c_open=$(counter_at console 0x1038)
		c_write=$(counter_at console 0x1040)
		info "console: stage $c_stage, send capability $(counter_at console 0x1028)," \
			"reply capability $(counter_at console 0x1030), MSGQ_SEND of the WRITE" \
			"$(counter_at console 0x1048), rounds $(counter_at console 0x1050)"
		is "$c_stage" 4 "console: the payload got the RM's replies to OPEN and WRITE"
		is "$c_open" 0 "console: the RM accepts the guest's VM_CONSOLE_OPEN (RM error 0)"
		is "$c_write" 0 "console: the RM accepts the guest's VM_CONSOLE_WRITE (RM error 0)"
	fi
	# forced: the graceful stop (and the guest's PSCI exit) is rpc's test
	ok ctl stop --force console
	is "$(state console)" "exited (stopped)" "console is stopped: exited (stopped)"
	ok ctl destroy console
	nothing_held "after destroying console: nothing pinned, no zombie"
else
	info "no console.yaml (payload-console.bin missing): the guest console not tested"
fi

# --- off: the payload powers off by itself
t0=$(now_ms)
ok ctl start off
if wait_state off "exited (poweroff)" 600; then
	pass "off powers off by itself: exited (poweroff) after $(($(now_ms) - t0)) ms"
else
	fail "off powers off by itself (state '$(state off)')"
fi
is "$(status_field off Exit)" "platform-off, code 0" "off's exit: platform-off"
ok ctl destroy off
nothing_held "after destroying off: nothing pinned, no zombie"

# --- rpc: a graceful stop the payload honours through its RM-RPC link
if [ -f "$DEFS/rpc.yaml" ]; then
	ok ctl start rpc
	is "$(state rpc)" running "rpc is running"
	counter_advances rpc "rpc's counter advances"
	t0=$(now_ms)
	ok ctl stop --no-wait rpc
	wait_not_state rpc stopping 1200
	s=$(state rpc)
	case $s in
	"exited (poweroff)")
		pass "rpc honours the graceful stop: exited (poweroff) after $(($(now_ms) - t0)) ms"
		;;
	"exited (stopped)")
		# The link and the RM worked (it stayed up, the daemon forced the
		# stop); whether the payload saw the notification is its own test's
		# business (tests/qemu/payload, test-real-payload).
		pass "rpc's graceful stop ends: exited (stopped), forced after its stop-timeout"
		info "payload-rpc did not power off on the RM's notification"
		;;
	*)
		fail "rpc's graceful stop ends (state '$s', exit '$(status_field rpc Exit)')"
		;;
	esac
	ok ctl destroy rpc
	nothing_held "after destroying rpc: nothing pinned, no zombie"
else
	info "no rpc.yaml (payload-rpc.bin missing): graceful stop honoured not tested"
fi

# --- the VMID is free again
ok ctl create spin
vmid2=$(vmid spin)
vmid_in_range "$vmid2" "spin created again gets a VMID"
# The RM hands out the first free dynamic VMID: the same one, if spin's
# first VMID was freed and nothing else holds a lower one.
is "$vmid2" "$vmid1" "spin's first VMID was freed and is handed out again"
ok ctl destroy spin
nothing_held "after the last destroy: nothing pinned, no zombie"

# --- gunyahd exits cleanly
kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=""
is "$rc" 0 "gunyahd exits 0 on SIGTERM"
finish
