#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=dash
# shellcheck disable=SC2317 # helpers run through ok look unreachable
#
# gunyahd end to end in the x86_64 QEMU guest (run by init.sh, which has
# loaded gunyah.ko on the loopback transport and started gh-rm-emu): a
# system bus (dbus-daemon with tests/qemu/e2e-bus.conf and the repository's
# bus policy), gunyahd --backend=kernel with the example definitions
# (config/examples, image paths rewritten to generated images), driven with
# busctl and gdbus and checked from the RM's side with `gh-rm-emu ctl`.
#
#   e2e.sh full       the scenario of docs/testing.md (module as shipped)
#   e2e.sh degraded   module loaded with extensions=0 (a seed-era kernel)
#   e2e.sh android    module loaded with android_lend=1 (Android's kernel)
#   e2e.sh bench      bench/e2e.sh against the daemon (prints, never fails
#                     on timing)
#   e2e.sh console-bench  bench-console (bench/console.c) against the daemon,
#                     with a configuration whose console.log-dir is
#                     /tmp/gh-console-log (prints, never fails on timing)
#
# TAP on stdout; exit 0 only when every check passed. Nothing is left
# behind on success: no daemon, no bus, no RM VM, no parcel, no pinned page.
set -u
mode=${1:?mode: full, degraded, android, bench or console-bench}

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
DEFS=/etc/gunyah/vms.d
DLOG=/tmp/gunyahd-$mode.log		# one per mode: the checks count its errors
BUS_SOCKET=/run/dbus/system_bus_socket
MGR_DEST=org.gunyah.Manager1
MGR_PATH=/org/gunyah/Manager1

n=0
nfailed=0
daemon_pid=""
bus_pid=""
monitor_pid=""
config=""			# --config for gunyahd, when the mode has one

# ---------------------------------------------------------------------------
# TAP

pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfailed=$((nfailed + 1)); echo "not ok $n - $*"; }
diag() { echo "# $*"; }
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3 (got '$1', want '$2')"; fi
}
# like GOT ERE DESCRIPTION
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3 (got '$1', want /$2/)"
	fi
}
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3 (got '$1', must not match /$2/)"
	else
		pass "$3"
	fi
}
# ok COMMAND...: passes when the command succeeds (its output is dropped;
# the command line is the description)
ok() {
	if "$@" >/dev/null; then pass "$*"; else fail "$*"; fi
}

# Milliseconds since boot (/proc/uptime has centiseconds)
now_ms() {
	read -r up _ </proc/uptime
	cs=${up#*.}
	cs=${cs#0}
	echo $((${up%.*} * 1000 + cs * 10))
}

# ---------------------------------------------------------------------------
# The RM's view

ctl() { gh-rm-emu ctl --control "$GH_EMU_CONTROL" "$@"; }
param() { cat "/sys/module/gunyah/parameters/$1"; }
# the RM's VM lines for one VMID (hex, 0x80 form)
rm_vm() { ctl vms | grep "^vmid=$1 " || true; }
rm_vms() { ctl vms; }
rm_parcels() { ctl parcels; }
field() {	# field LINE KEY: the value of KEY= in LINE
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
hex() { printf '0x%x' "$1"; }

# Waits (up to $2 tenths of a second) until the RM has no VM and no parcel
rm_empty() {
	i=0
	while [ "$i" -lt "${1:-50}" ]; do
		[ -z "$(rm_vms)" ] && [ -z "$(rm_parcels)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ---------------------------------------------------------------------------
# The daemon's view: busctl and gdbus on the system bus

mgr() { busctl call "$MGR_DEST" "$MGR_PATH" org.gunyah.Manager1 "$@"; }
mgr_prop() { busctl get-property "$MGR_DEST" "$MGR_PATH" org.gunyah.Manager1 "$1"; }
vm_prop() { busctl get-property "$MGR_DEST" "$MGR_PATH/vm/$1" org.gunyah.VM1 "$2"; }
# the value of a scalar property without its type and quotes: 's "running"' -> running
vm_val() { vm_prop "$1" "$2" | sed -e 's/^[^ ]* //' -e 's/"//g'; }
state() { vm_val "$1" State 2>/dev/null; }
gmgr() {	# gmgr METHOD ARGS...: gdbus call on Manager1
	m=$1
	shift
	gdbus call --system --dest "$MGR_DEST" --object-path "$MGR_PATH" \
		--method "org.gunyah.Manager1.$m" "$@"
}
gprop() {	# gprop PATH INTERFACE NAME
	gdbus call --system --dest "$MGR_DEST" --object-path "$1" \
		--method org.freedesktop.DBus.Properties.Get "$2" "$3"
}

# wait_state VM STATE [TENTHS]: 0 once State reads STATE
wait_state() {
	i=0
	while [ "$i" -lt "${3:-100}" ]; do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

vmid_of() { vm_val "$1" VMID; }
exit_type_is() { [ "$(vm_val "$1" ExitType)" = "$2" ]; }

bus_start() {
	mkdir -p /run/dbus /var/lib/dbus
	rm -f "$BUS_SOCKET"
	dbus-daemon --system --nofork --nopidfile --nosyslog 2>>/tmp/dbus.log &
	bus_pid=$!
	i=0
	while [ ! -S "$BUS_SOCKET" ] && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$BUS_SOCKET" ]
}

bus_stop() {
	[ -n "$bus_pid" ] || return 0
	kill "$bus_pid" 2>/dev/null
	wait "$bus_pid" 2>/dev/null
	bus_pid=""
}

# Starts gunyahd as systemd would (Type=notify): 0 once it sent READY=1
daemon_start() {
	rm -f /run/gunyahd.notify
	e2e-notify /run/gunyahd.notify 30000 >/tmp/notify.out &
	npid=$!
	i=0
	while [ ! -S /run/gunyahd.notify ] && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	echo "--- gunyahd start ($mode)" >>"$DLOG"
	NOTIFY_SOCKET=/run/gunyahd.notify gunyahd --backend=kernel --device=/dev/gunyah \
		--definitions="$DEFS" ${config:+--config="$config"} --log-level=debug 2>>"$DLOG" &
	daemon_pid=$!
	wait "$npid"
}

# ok_ready DESCRIPTION: daemon_start as a check
ok_ready() {
	if daemon_start; then pass "$1"; else fail "$1"; fi
}

# Stops gunyahd with SIGTERM (it destroys every VM); its exit status
daemon_stop() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=""
	return "$rc"
}

cleanup() {
	[ -n "$monitor_pid" ] && kill "$monitor_pid" 2>/dev/null
	if [ -n "$daemon_pid" ]; then
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	bus_stop
}
trap cleanup EXIT

finish() {
	ok param_is_zero zombies
	ok param_is_zero pinned_pages
	echo "1..$n"
	if [ "$nfailed" -ne 0 ]; then
		diag "$nfailed of $n checks failed; gunyahd's log (last 80 lines):"
		tail -n 80 "$DLOG" | sed 's/^/# /'
		exit 1
	fi
	exit 0
}
param_is_zero() { [ "$(param "$1")" = 0 ]; }

# ---------------------------------------------------------------------------
# Common start: bus, daemon, what it says about itself

setup() {
	ok bus_start
	if daemon_start; then
		pass "gunyahd sent READY=1 ($(grep -c . /tmp/notify.out) notify line(s))"
	else
		fail "gunyahd sent READY=1"
		finish
	fi
	like "$(grep STATUS= /tmp/notify.out)" "on the kernel backend" "STATUS= names the kernel backend"
	is "$(mgr_prop Backend)" 's "kernel"' "Manager1.Backend is kernel"
	vms=$(mgr ListVMs)
	p=/org/gunyah/Manager1/vm
	want="^a\\(ssuo\\) 2 \"cluster\" \"defined\" 0 \"$p/cluster\""
	like "$vms" "$want \"nav\" \"defined\" 0 \"$p/nav\"\$" "ListVMs lists cluster and nav, defined"
}

# ---------------------------------------------------------------------------
# full: the module as shipped

# check_parcels VMID: main memory lent to the guest alone, the window shared
check_parcels() {
	vmid=$1
	parcels=$(rm_parcels)
	p0=$(printf '%s\n' "$parcels" | grep ' label=0 ')
	p1=$(printf '%s\n' "$parcels" | grep ' label=1 ')
	is "$(printf '%s\n' "$parcels" | grep -c .)" 2 "the RM holds two parcels"
	is "$(field "$p0" type)" LEND "label 0 is lent"
	is "$(field "$p0" size)" "$(vm_val nav MemorySize)" "label 0 size = MemorySize"
	is "$(field "$p0" size)" 268435456 "label 0 size = 256 MiB (nav.yaml)"
	is "$(field "$p0" acl)" "$vmid:rwx" "label 0 ACL: the guest alone, RWX"
	is "$(field "$p0" state)" accepted "label 0 accepted by the running VM"
	is "$(field "$p1" type)" SHARE "label 1 is shared"
	is "$(field "$p1" size)" 2097152 "label 1 size = 2 MiB (nav.yaml)"
	is "$(field "$p1" acl)" "$vmid:rw,0x3:rwx" "label 1 ACL: guest RW, host (VMID 3) RWX"
}

# check_config_image VMID: what VM_CONFIG_IMAGE and VM_INIT told the RM
check_config_image() {
	vmid=$1
	log=$(ctl log)
	ci=$(printf '%s\n' "$log" | grep " VM_CONFIG_IMAGE .*vmid=$vmid " | tail -n 1)
	init=$(printf '%s\n' "$log" | grep " VM_INIT .*vmid=$vmid " | tail -n 1)
	# shellcheck disable=SC2046 # split on purpose: "(tt) ADDRESS SIZE"
	set -- $(vm_prop nav DeviceTree)
	dt_addr=$2 dt_size=$3
	base=$(vm_val nav MemoryBase)
	is "$(field "$ci" result)" OK "VM_CONFIG_IMAGE succeeded"
	is "$(field "$ci" dtb_offset)" "$((dt_addr - base))" \
		"VM_CONFIG_IMAGE dtb_offset = DeviceTree address - MemoryBase"
	is "$(field "$ci" dtb_size)" "$dt_size" "VM_CONFIG_IMAGE dtb_size = DeviceTree size"
	is "$(field "$ci" image_offset)/$(field "$ci" image_size)/$(field "$ci" auth)" 0/0/0 \
		"VM_CONFIG_IMAGE image 0/0, auth 0"
	is "$(field "$init" dtb)" ok "VM_INIT: the RM accepted the generated devicetree"
	is "$(field "$init" image-name)" nav "VM_INIT: image-name nav"
	is "$(field "$init" vcpus)" 2 "VM_INIT: 2 vCPUs (nav.yaml)"
	# The golden order, from the lend to the start (VM_GET_VMID once per module
	# life and MEM_APPENDs of long scatter lists left out; the module opens
	# the console before the start, docs/kmod.md)
	order=$(printf '%s\n' "$log" | grep "vmid=$vmid " | awk '{print $2}' |
		grep -v -e VM_GET_VMID -e MEM_APPEND | tr '\n' ' ')
	golden='VM_ALLOCATE MEM_LEND MEM_SHARE VM_CONFIG_IMAGE VM_INIT VM_GET_HYP_RESOURCES VM_CONSOLE_OPEN VM_START'
	like "$order" "$golden \$" \
		"RPCs in the golden order"
}

full() {
	setup
	is "$(mgr_prop Features)" 'as 3 "vm-status" "vm-stop" "console"' "Features: vm-status vm-stop console"
	like "$(gprop "$MGR_PATH" org.gunyah.Manager1 Features)" "<\['vm-status', 'vm-stop', 'console'\]>" \
		"Features through gdbus"
	gdbus monitor --system --dest "$MGR_DEST" >/tmp/monitor.out 2>&1 &
	monitor_pid=$!

	# --- create and start nav
	is "$(gmgr CreateVM nav)" "(objectpath '/org/gunyah/Manager1/vm/nav',)" "gdbus CreateVM nav"
	is "$(state nav)" created "nav is created"
	vmid=$(hex "$(vmid_of nav)")
	like "$vmid" '^0x(8|9|a|b)[0-9a-f]$' "VMID $vmid in 0x80..0xbf"
	like "$(rm_vm "$vmid")" "state=LOAD" "the RM has VM $vmid in LOAD"
	ok mgr StartVM s nav
	is "$(state nav)" running "nav is running once StartVM replied"
	like "$(rm_vm "$vmid")" "state=RUNNING" "the RM has VM $vmid RUNNING"
	like "$(vm_val nav StartedTimestamp)" '^[1-9][0-9]+$' "StartedTimestamp set"
	check_parcels "$vmid"
	check_config_image "$vmid"

	# --- an exit the RM initiates
	ok ctl exit "$vmid" PLATFORM_OFF
	ok wait_state nav exited 50
	is "$(vm_val nav ExitType)" platform-off "ExitType platform-off"
	is "$(vm_val nav StateReason)" poweroff "StateReason poweroff"

	# --- graceful stop (the emulated guest powers off)
	ok mgr StartVM s nav
	is "$(state nav)" running "StartVM from exited recreates: running"
	vmid=$(hex "$(vmid_of nav)")
	is "$(gmgr StopVM nav false)" "()" "gdbus StopVM nav false"
	ok wait_state nav exited 100
	is "$(vm_val nav StateReason)" poweroff "graceful stop: StateReason poweroff"
	is "$(vm_val nav ExitType)" platform-off "graceful stop: ExitType platform-off"
	like "$(ctl log | grep " VM_STOP .*vmid=$vmid " | tail -n 1)" " flags=0x?0 " \
		"graceful stop: VM_STOP without FORCE"

	# --- forced stop
	ok mgr StartVM s nav
	is "$(state nav)" running "nav running again"
	ok mgr StopVM sb nav true
	ok wait_state nav exited 50
	is "$(vm_val nav StateReason)" stopped "forced stop: StateReason stopped"
	is "$(vm_val nav ExitType)" forced-stop "forced stop: ExitType forced-stop"

	# --- destroy gives everything back
	vmid=$(hex "$(vmid_of nav)")
	ok mgr DestroyVM s nav
	is "$(state nav)" defined "DestroyVM: nav is defined"
	is "$(vm_val nav StateReason)" destroyed "StateReason destroyed"
	is "$(vm_val nav VMID)" 0 "VMID 0 once destroyed"
	is "$(rm_parcels)" "" "ctl parcels: every parcel reclaimed"
	is "$(rm_vm "$vmid")" "" "ctl vms: VMID $vmid freed"
	ok param_is_zero pinned_pages

	# --- crash and reboot (cluster: restart policy no)
	ok mgr StartVM s cluster
	cvmid=$(hex "$(vmid_of cluster)")
	ok ctl exit "$cvmid" WATCHDOG_BITE
	ok wait_state cluster crashed 50
	is "$(vm_val cluster ExitType)" watchdog-bite "ExitType watchdog-bite"
	is "$(vm_val cluster StateReason)" watchdog-bite "StateReason watchdog-bite"
	sleep 1.5
	is "$(state cluster)" crashed "restart policy no: cluster stays crashed"
	ok mgr StartVM s cluster
	cvmid=$(hex "$(vmid_of cluster)")
	ok ctl exit "$cvmid" PLATFORM_RESET
	i=0
	while [ "$i" -lt 100 ] && [ "$(vm_val cluster RestartCount)" != 1 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ok wait_state cluster running 100
	is "$(vm_val cluster RestartCount)" 1 "a reboot restarts the VM (RestartCount 1)"
	ok exit_type_is cluster platform-reset
	ok mgr DestroyVM s cluster

	# --- hypervisor errors carry the ioctl and the errno's text
	ok ctl fault VM_START error DENIED count 1
	err=$(mgr StartVM s cluster 2>&1)
	like "$err" "GH_VM_START: Operation not permitted" \
		"RM DENIED: GH_VM_START: Operation not permitted"
	is "$(state cluster)" failed "a failed start: failed"
	is "$(vm_val cluster StateReason)" "start-failed: Operation not permitted" \
		"StateReason start-failed: Operation not permitted"
	err=$(gmgr StartVM cluster 2>&1)
	unlike "$err" "Error" "StartVM from failed works"
	ok mgr DestroyVM s cluster
	ok ctl fault VM_START error UNIMPLEMENTED count 1
	err=$(gmgr StartVM cluster 2>&1)
	like "$err" "org.gunyah.Error.NotSupported" "RM UNIMPLEMENTED: org.gunyah.Error.NotSupported"
	like "$err" "GH_VM_START: Operation not supported" \
		"... naming the ioctl: GH_VM_START: Operation not supported"
	ok mgr DestroyVM s cluster
	ok ctl fault VM_ALLOCATE error NORESOURCE count 1
	err=$(gmgr StartVM cluster 2>&1)
	like "$err" "org\.gunyah\.Error\.LimitExceeded.*GH_CREATE_VM: No such device" \
		"RM NORESOURCE at create: LimitExceeded (GH_CREATE_VM: No such device)"
	is "$(state cluster)" defined "a failed create leaves cluster defined"
	echo 1000 >/sys/module/gunyah/parameters/rm_timeout_ms
	ok ctl fault VM_START drop count 1
	err=$(gmgr StartVM cluster 2>&1)
	like "$err" "org\.gunyah\.Error\.Hypervisor.*GH_VM_START: Connection timed out" \
		"silent RM: org.gunyah.Error.Hypervisor GH_VM_START: Connection timed out"
	echo 5000 >/sys/module/gunyah/parameters/rm_timeout_ms
	ok ctl fault clear
	ok mgr DestroyVM s cluster
	ok rm_empty 50

	# --- D-Bus stays responsive while the RM is slow (delay < rm_timeout_ms)
	ok ctl log clear
	ok ctl fault VM_START delay 2000 count 1
	t0=$(now_ms)
	mgr StartVM s nav >/tmp/start.out 2>&1 &
	spid=$!
	i=0
	while [ "$i" -lt 100 ] && ! ctl log | grep -q ' VM_START '; do
		sleep 0.05
		i=$((i + 1))
	done
	t1=$(now_ms)
	vms=$(mgr ListVMs)
	t2=$(now_ms)
	st=$(state nav)
	t3=$(now_ms)
	pending=$(field "$(ctl stats)" pending)
	like "$vms" '"nav" "starting"' "ListVMs answers while the RM delays VM_START (nav starting)"
	is "$st" starting "State reads starting meanwhile"
	is "$pending" 1 "... all before the RM sent VM_START's reply (ctl stats pending=1)"
	diag "VM_START reached the RM after $((t1 - t0)) ms;" \
		"ListVMs took $((t2 - t1)) ms, State $((t3 - t2)) ms"
	wait "$spid"
	is "$?" 0 "the delayed StartVM succeeds"
	t4=$(now_ms)
	diag "StartVM took $((t4 - t0)) ms in all"
	if [ $((t4 - t0)) -ge 2000 ]; then
		pass "StartVM replied only after the RM's 2 s delay ($((t4 - t0)) ms)"
	else
		fail "StartVM replied only after the RM's 2 s delay ($((t4 - t0)) ms)"
	fi
	is "$(state nav)" running "nav running after the slow start"
	ok ctl fault clear

	# --- ... and while the module tears a VM down for a slow RM (DestroyVM:
	# the close of the VM fd runs the module's teardown, on a worker thread)
	ok ctl log clear
	ok ctl fault VM_RESET delay 2000 count 1
	mgr DestroyVM s nav >/tmp/destroy.out 2>&1 &
	dpid=$!
	i=0
	while [ "$i" -lt 100 ] && ! ctl log | grep -q ' VM_RESET '; do
		sleep 0.05
		i=$((i + 1))
	done
	t1=$(now_ms)
	vms=$(mgr ListVMs)
	pending=$(field "$(ctl stats)" pending)
	like "$vms" '"nav"' "ListVMs answers while the RM delays VM_RESET of a DestroyVM"
	is "$pending" 1 "... before the RM sent VM_RESET's reply (ctl stats pending=1)"
	diag "ListVMs during a teardown waiting 2 s for VM_RESET took $(($(now_ms) - t1)) ms"
	wait "$dpid"
	is "$?" 0 "DestroyVM with a slow VM_RESET succeeds"
	ok rm_empty 50
	ok ctl fault clear
	ok mgr StartVM s nav

	# --- the signals seen on the bus so far
	kill "$monitor_pid"
	monitor_pid=""
	sig=$(grep VMStateChanged /tmp/monitor.out | sed 's/.*VMStateChanged //')
	like "$sig" "\('nav', 'running', ''\)" "VMStateChanged (nav, running)"
	like "$sig" "\('nav', 'exited', 'poweroff'\)" "VMStateChanged (nav, exited, poweroff)"
	like "$sig" "\('cluster', 'crashed', 'watchdog-bite'\)" \
		"VMStateChanged (cluster, crashed, watchdog-bite)"
	like "$sig" "\('cluster', 'exited', 'reboot'\)" "VMStateChanged (cluster, exited, reboot)"

	# --- kill -9 of the daemon while VMs run: the module tears them down
	ok mgr StartVM s cluster
	is "$(ctl vms | grep -c 'state=RUNNING')" 2 "nav and cluster run"
	kill -KILL "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=""
	ok rm_empty 100
	is "$(rm_vms)" "" "after kill -9: ctl vms is empty"
	is "$(rm_parcels)" "" "after kill -9: ctl parcels is empty"
	ok param_is_zero zombies
	ok param_is_zero pinned_pages

	# --- a restarted daemon comes up clean
	ok_ready "restarted gunyahd sent READY=1"
	like "$(mgr ListVMs)" '"cluster" "defined" 0 .*"nav" "defined" 0' "ListVMs: both defined again"
	ok mgr StartVM s nav
	is "$(state nav)" running "a VM starts on the restarted daemon"
	like "$(rm_vm "$(hex "$(vmid_of nav)")")" "state=RUNNING" "the RM runs it"

	# --- SIGTERM: a clean shutdown destroys every VM
	ok daemon_stop
	ok rm_empty 50
	grep -E '^<[0-4]>' "$DLOG" | sed 's/^/# gunyahd warning or error: /'
	is "$(grep -cE '^<[0-3]>' "$DLOG")" 0 "gunyahd logged no error"

	# --- the RM does not answer the start-up probe: the extensions are
	# probed again on the first VM
	echo 1000 >/sys/module/gunyah/parameters/rm_timeout_ms
	ok ctl fault VM_ALLOCATE drop count 1
	ok_ready "gunyahd starts while the RM ignores it"
	echo 5000 >/sys/module/gunyah/parameters/rm_timeout_ms
	is "$(mgr_prop Features)" "as 0" "Features: none known before the probe could run"
	# the RM allocated the probe's VMID, the module never learnt it
	lost=$(ctl vms | sed -n 's/^vmid=\(0x[0-9a-f]*\) .*/\1/p')
	ok ctl forget "$lost"
	ok mgr CreateVM s nav
	is "$(mgr_prop Features)" 'as 3 "vm-status" "vm-stop" "console"' \
		"Features complete after the first VM's probe"
	ok mgr StartVM s nav
	ok mgr StopVM sb nav false
	ok wait_state nav exited 100
	ok daemon_stop
	ok rm_empty 50
}

# ---------------------------------------------------------------------------
# degraded: GH_VM_GET_STATUS and GH_VM_STOP answer -ENOTTY, the VM fd is not
# pollable (always "ready", as files without a poll method are)

# Clock ticks gunyahd used (user + system)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$daemon_pid/stat"; }

degraded() {
	setup
	is "$(mgr_prop Features)" "as 0" "Features: none (no vm-status, no vm-stop)"
	like "$(gprop "$MGR_PATH" org.gunyah.Manager1 Features)" "<@as \[\]>" "Features through gdbus: []"
	like "$(grep -i 'GH_VM_GET_STATUS\|GH_VM_STOP' "$DLOG")" "." \
		"gunyahd says which extension is missing"
	ok mgr StartVM s nav
	is "$(state nav)" running "nav runs on a module without the extensions"
	vmid=$(ctl vms | sed -n 's/^vmid=\(0x[0-9a-f]*\) state=RUNNING .*image-name=nav .*/\1/p')
	like "$vmid" '^0x' "the RM runs nav as $vmid"
	is "$(vm_val nav VMID)" 0 "VMID 0: the daemon cannot learn it without GH_VM_GET_STATUS"
	check_parcels "$vmid"
	c0=$(cpu_ticks)
	sleep 1
	c1=$(cpu_ticks)
	diag "gunyahd used $((c1 - c0)) clock ticks in 1 s with a running VM"
	if [ $((c1 - c0)) -lt 20 ]; then
		pass "gunyahd does not poll the always-ready VM fd"
	else
		fail "gunyahd does not poll the always-ready VM fd ($((c1 - c0)) ticks in 1 s)"
	fi
	# Graceful StopVM falls back to destroy
	ok mgr StopVM sb nav false
	is "$(state nav)" defined "StopVM (graceful) destroys: defined"
	is "$(vm_val nav StateReason)" destroyed "StateReason destroyed"
	ok rm_empty 50
	is "$(rm_vms)" "" "ctl vms: the VM is gone"
	# An exit is not observed; a forced StopVM destroys it all the same
	ok mgr StartVM s nav
	vmid=$(ctl vms | sed -n 's/^vmid=\(0x[0-9a-f]*\) state=RUNNING .*/\1/p')
	ok ctl exit "$vmid" PLATFORM_OFF
	sleep 1
	is "$(state nav)" running \
		"without vm-status the exit goes unnoticed (DESIGN §3: exits not observed)"
	ok mgr StopVM sb nav true
	is "$(state nav)" defined "StopVM (forced) destroys: defined"
	ok rm_empty 50
	ok daemon_stop
	# nothing tried to watch or read a status the module does not have
	grep -E '^<[0-4]>' "$DLOG" | sed 's/^/# gunyahd warning: /'
	is "$(grep -cE '^<[0-4]>' "$DLOG")" 0 "gunyahd logged no warning and no error"
}

# ---------------------------------------------------------------------------
# android: GH_MEM_LENT is a reserved flag, GH_VM_ANDROID_LEND_USER_MEM lends

android() {
	setup
	is "$(mgr_prop Features)" 'as 3 "vm-status" "vm-stop" "console"' "Features before any lend"
	ok mgr StartVM s nav
	is "$(state nav)" running "nav runs, lent through GH_VM_ANDROID_LEND_USER_MEM"
	is "$(mgr_prop Features)" 'as 4 "vm-status" "vm-stop" "android-lend" "console"' \
		"Features: android-lend once the fallback is in use"
	check_parcels "$(hex "$(vmid_of nav)")"
	like "$(grep -i android "$DLOG")" "ANDROID_LEND" "gunyahd logs the fallback"
	ok mgr StopVM sb nav false
	ok wait_state nav exited 100
	ok mgr DestroyVM s nav
	ok rm_empty 50
	ok daemon_stop
}

# ---------------------------------------------------------------------------
# bench: bench/e2e.sh against this daemon

bench() {
	setup
	GH_BENCH_N=${GH_E2E_BENCH_N:-5} e2e-bench.sh
	rc=$?
	is "$rc" 0 "bench/e2e.sh ran"
	ok daemon_stop
	ok rm_empty 50
}

# ---------------------------------------------------------------------------
# console-bench: bench-console against this daemon, its log files in a
# directory of their own with a limit no run reaches (bench-console counts
# a rotation all the same)

console_bench() {
	log_dir=/tmp/gh-console-log
	config=/tmp/gunyahd-console-bench.yaml
	mkdir -p "$log_dir"
	printf 'version: 1\nconsole:\n  log-dir: %s\n  log-max-size: 1G\n' "$log_dir" >"$config"
	setup
	bench-console -n "${GH_CONSOLE_BENCH_N:-3}" -b "${GH_CONSOLE_BENCH_BYTES:-8388608}" \
		-l "$log_dir" cluster
	rc=$?
	is "$rc" 0 "bench-console ran"
	ok daemon_stop
	ok rm_empty 50
	rm -rf "$log_dir"
}

case $mode in
full) full ;;
degraded) degraded ;;
android) android ;;
bench) bench ;;
console-bench) console_bench ;;
*) echo "unknown mode '$mode'" >&2; exit 2 ;;
esac
finish
