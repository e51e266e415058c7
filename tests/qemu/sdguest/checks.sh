#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gunyahd under real systemd, in the guest of tests/qemu/systemd-suite.sh
# (run by gunyah-sdtest.service once the base system is up): the project is
# installed as `meson install` put it, gunyah.ko and gh-rm-emu come from
# gunyah-rm-emu.service, and everything is driven through systemctl, busctl,
# dbus-send and journalctl, as an administrator would.
#
# Each check prints "GH-SD: ok NAME (seen: ...)" or "GH-SD: FAIL NAME (seen:
# ...)"; "GH-SD: GAP" lines name what the daemon does not do yet (they do not
# fail). Then the kernel log between markers and "GH-SD-RESULT: PASS" or
# "GH-SD-RESULT: FAIL: names"; the host judges the serial log.
#
# The checks are grouped in sections run in the order of GH_SECTIONS
# (conf, from the host's GH_SD_SECTIONS); each expects the ones before it in
# the default order. A new group (e.g. VMs surviving a daemon restart through
# the fd store) is a section_NAME function here and its name in the host's
# default list.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0 LC_ALL=C.UTF-8
T=/usr/lib/gunyah-sdtest
# GH_DEFS GH_SECTIONS GH_OFFLINE_EXPOSURE GH_MAX_EXPOSURE, written by the host
# shellcheck source=/dev/null
. "$T/conf"

MGR=org.gunyah.Manager1
MGR_PATH=/org/gunyah/Manager1
OP=gh-operator		# in group gunyah
OTHER=gh-other		# in no group of ours
failed=""

say() { echo "GH-SD: $*"; }
oneline() { printf '%s' "$*" | tr '\n' ' ' | cut -c1-300; }
pass() { say "ok $1 (seen: $(oneline "$2"))"; }
fail() { say "FAIL $1 (seen: $(oneline "$2"))"; failed="$failed $1"; }
# is NAME SEEN WANT
is() { if [ "$2" = "$3" ]; then pass "$1" "$2"; else fail "$1" "$2; want: $3"; fi; }
# like NAME SEEN ERE
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then pass "$1" "$2"; else fail "$1" "$2; want /$3/"; fi
}
unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then fail "$1" "$2; must not match /$3/"; else pass "$1" "$2"; fi
}
# wait_for TENTHS CMD...: 0 as soon as CMD succeeds
wait_for() {
	local n=$1 i=0
	shift
	while [ "$i" -lt "$n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

show() { systemctl show --value -p "$2" "$1"; }
active() { systemctl is-active "$1" 2>&1; }
mgr() { busctl call "$MGR" "$MGR_PATH" "$MGR" "$@" 2>&1; }
vm_state() {
	busctl get-property "$MGR" "$MGR_PATH/vm/$1" org.gunyah.VM1 State 2>&1 |
		sed -e 's/^s //' -e 's/"//g'
}
state_is() { [ "$(vm_state "$1")" = "$2" ]; }
# as USER CMD...: CMD as USER with USER's groups (no login, no PAM)
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups -- "$@" 2>&1
}
ctl() { "$T/gh-rm-emu" ctl --control /run/gh-rm-emu.sock "$@" 2>&1; }
# journal lines (MESSAGE only) of gunyahd.service at PRIORITY or more urgent
jmsg() { journalctl -q -u gunyahd.service -o cat -p "${1:-debug}"; }
# The values of FIELD in what gunyahd logged (through sd-journal; not
# systemd's own messages about the unit), one per line, sorted
jvalues() {
	journalctl -q _SYSTEMD_UNIT=gunyahd.service _TRANSPORT=journal -o cat \
		--output-fields="$1" | grep . | sort -u
}
# The PRIORITY= of gunyahd's journal entries whose message has TEXT
jprio() {
	local p
	for p in 0 1 2 3 4 5 6 7; do
		journalctl -q _SYSTEMD_UNIT=gunyahd.service _TRANSPORT=journal "PRIORITY=$p" -o cat |
			grep -qF -- "$1" && echo "$p"
	done
}

# ---------------------------------------------------------------------------
# The base system: systemd, the users and directories from the package's
# sysusers.d and tmpfiles.d, the bus

section_boot() {
	is pid1-systemd "$(readlink /proc/1/exe)" /usr/lib/systemd/systemd
	like sysusers-group-gunyah "$(getent group gunyah)" '^gunyah:x:[0-9]+:(.*,)?gunyahd(,.*)?$'
	like sysusers-user-gunyahd "$(getent passwd gunyahd)" '^gunyahd:x:[0-9]+:[0-9]+:Gunyah VM manager:/var/lib/gunyah:'
	is tmpfiles-state-dir "$(stat -c '%U:%G %a' /var/lib/gunyah 2>&1)" "gunyahd:gunyahd 700"
	is tmpfiles-definitions-dir "$(stat -c '%U:%G %a' "$GH_DEFS" 2>&1)" "root:root 755"
	is dbus-socket "$(active dbus.socket)" active
	is gunyahd-not-yet-running "$(active gunyahd.service)" inactive
}

# ---------------------------------------------------------------------------
# gunyah.ko and the RM emulator: /dev/gunyah from udev and the package's rule

emu_ready() { [ -e /run/gh-rm-emu.ready ]; }
dev_active() { [ "$(active dev-gunyah.device)" = active ]; }

section_device() {
	local out
	out=$(systemctl start gunyah-rm-emu.service 2>&1)
	is emu-unit-started "$?${out:+ $out}" 0
	wait_for 300 emu_ready
	is emu-ready "$(cat /run/gh-rm-emu.ready 2>&1)" "$(show gunyah-rm-emu.service MainPID)"
	udevadm settle --timeout=30
	wait_for 300 dev_active
	is dev-gunyah-device-unit "$(active dev-gunyah.device)" active
	is dev-gunyah-group-mode "$(stat -c '%G %a' /dev/gunyah 2>&1)" "gunyah 660"
	is dev-gunyah-rm-root-only "$(stat -c '%U:%G %a' /dev/gunyah-rm 2>&1)" "root:root 600"
}

# ---------------------------------------------------------------------------
# systemctl start: Type=notify, so the start returns once READY=1 came

section_start() {
	local out pid gid
	out=$(systemctl start gunyahd.service 2>&1)
	is start-gunyahd "$?${out:+ $out}" 0
	is start-active-running "$(show gunyahd.service ActiveState)/$(show gunyahd.service SubState)" \
		active/running
	is start-type-notify "$(show gunyahd.service Type)" notify
	# STATUS= comes with READY=1 (sd_notify "READY=1\nSTATUS=...")
	like start-status-text "$(show gunyahd.service StatusText)" 'kernel backend'
	is start-no-restarts "$(show gunyahd.service NRestarts)" 0
	pid=$(show gunyahd.service MainPID)
	gid=$(getent group gunyah | cut -d: -f3)
	is start-user "$(stat -c %U "/proc/$pid" 2>&1)" gunyahd
	like start-groups "$(grep '^Groups:' "/proc/$pid/status" 2>&1)" "[[:space:]]$gid([[:space:]]|\$)"
	is start-no-capabilities "$(grep '^CapEff:' "/proc/$pid/status" 2>&1)" \
		"CapEff:	0000000000000000"
	is start-backend-kernel "$(busctl get-property "$MGR" "$MGR_PATH" "$MGR" Backend 2>&1)" 's "kernel"'
	like start-lists-nav "$(mgr ListVMs)" '"nav" "defined"'
}

# ---------------------------------------------------------------------------
# The bus policy, for real: an operator in group gunyah changes VMs, anyone
# else may read but is refused by dbus-daemon itself

section_access() {
	local out uid
	useradd -M -U -G gunyah -s /usr/sbin/nologin "$OP"
	useradd -M -U -s /usr/sbin/nologin "$OTHER"
	uid=$(id -u "$OP")

	is op-create "$(as "$OP" busctl call "$MGR" "$MGR_PATH" "$MGR" CreateVM s nav)" \
		'o "/org/gunyah/Manager1/vm/nav"'
	out=$(as "$OP" busctl call "$MGR" "$MGR_PATH" "$MGR" StartVM s nav)
	is op-start "$?${out:+ $out}" 0
	is op-start-running "$(vm_state nav)" running
	like op-start-rm-running "$(ctl vms)" 'state=RUNNING'
	like op-start-audit "$(jmsg info | grep "StartVM by uid $uid ")" \
		"^VM 'nav': StartVM by uid $uid pid [0-9]+ \\(:[0-9.]+\\): done\$"

	# dbus-send names the error; the text is dbus-daemon's, not gunyahd's
	out=$(as "$OTHER" dbus-send --system --print-reply --dest="$MGR" "$MGR_PATH" \
		"$MGR.StopVM" string:nav boolean:true)
	like other-denied "$out" '^Error org\.freedesktop\.DBus\.Error\.AccessDenied: Rejected send message'
	is other-denied-still-running "$(vm_state nav)" running
	like other-may-read "$(as "$OTHER" busctl call "$MGR" "$MGR_PATH" "$MGR" ListVMs)" '"nav" "running"'

	out=$(as "$OP" busctl call "$MGR" "$MGR_PATH" "$MGR" StopVM sb nav true)
	is op-stop "$?${out:+ $out}" 0
	wait_for 300 state_is nav exited
	is op-stop-exited "$(vm_state nav)" exited
	out=$(as "$OP" busctl call "$MGR" "$MGR_PATH" "$MGR" DestroyVM s nav)
	is op-destroy "$?${out:+ $out}" 0
	is op-destroy-defined "$(vm_state nav)" defined
	is op-destroy-rm-empty "$(ctl vms)" ""
}

# ---------------------------------------------------------------------------
# D-Bus activation: a call while gunyahd is stopped starts gunyahd.service

section_activation() {
	local out before
	before=$(show gunyahd.service InvocationID)
	out=$(systemctl stop gunyahd.service 2>&1)
	is activation-stopped "$?$out $(active gunyahd.service)" "0 inactive"
	# an unprivileged reader: activation needs no privilege
	like activation-call "$(as "$OTHER" busctl call "$MGR" "$MGR_PATH" "$MGR" ListVMs)" '"nav" "defined"'
	is activation-active "$(active gunyahd.service)" active
	out=$(show gunyahd.service InvocationID)
	if [ -n "$out" ] && [ "$out" != "$before" ]; then
		pass activation-new-invocation "$before -> $out"
	else
		fail activation-new-invocation "$before -> $out"
	fi
	like activation-by-dbus "$(journalctl -q -o cat -u dbus.service | grep "$MGR")" \
		"Activating via systemd: service name='$MGR' unit='gunyahd.service'"
}

# ---------------------------------------------------------------------------
# systemctl reload: SIGHUP, the definitions read again, same process

has_vm() { mgr ListVMs | grep -q "\"$1\""; }

section_reload() {
	local out pid
	pid=$(show gunyahd.service MainPID)
	sed 's/^name: nav$/name: sdreload/' "$GH_DEFS/nav.yaml" >"$GH_DEFS/sdreload.yaml"
	printf 'version: 1\nname: sdbroken\nvcpus: many\n' >"$GH_DEFS/sdbroken.yaml"
	out=$(systemctl reload gunyahd.service 2>&1)
	is reload "$?${out:+ $out}" 0
	wait_for 300 has_vm sdreload
	like reload-new-definition "$(mgr ListVMs)" '"sdreload" "defined"'
	unlike reload-broken-left-out "$(mgr ListVMs)" '"sdbroken"'
	is reload-same-process "$(show gunyahd.service MainPID) $(active gunyahd.service)" "$pid active"
	like reload-logged "$(jmsg info | grep 'Reloaded: ')" 'Reloaded: [0-9]+ VM\(s\) defined'
	like reload-broken-logged "$(jmsg warning | grep sdbroken)" 'sdbroken'
	rm -f "$GH_DEFS/sdreload.yaml" "$GH_DEFS/sdbroken.yaml"
	systemctl reload gunyahd.service
	wait_for 300 eval '! has_vm sdreload'
	unlike reload-removed "$(mgr ListVMs)" '"sdreload"'
}

# ---------------------------------------------------------------------------
# journalctl: the daemon's messages at their priorities

section_journal() {
	local out
	out=$(mgr StartVM s sdnosuchvm)
	like journal-failing-call "$out" 'Call failed'
	out=$(jmsg | grep -m1 'serving org.gunyah.Manager1')
	like journal-ready-message "$out" '^gunyahd .* serving org\.gunyah\.Manager1 on the kernel backend'
	is journal-notice-priority "$(jprio 'serving org.gunyah.Manager1')" 5
	is journal-info-priority "$(jprio "StartVM by uid $(id -u "$OP") ")" 6
	is journal-warning-priority "$(jprio "sdnosuchvm")" 4
	like journal-p-warning "$(jmsg warning | grep sdnosuchvm)" "StartVM by uid 0 .* failed: .*sdnosuchvm"
	unlike journal-p-warning-no-info "$(jmsg warning)" ': done$'
	unlike journal-no-raw-prefix "$(jmsg)" '^<[0-7]>'
	is journal-identifier "$(jvalues SYSLOG_IDENTIFIER)" gunyahd
	# gunyahd writes to the journal itself (sd-journal), not as a stream
	is journal-transport "$(journalctl -q _SYSTEMD_UNIT=gunyahd.service _TRANSPORT=stdout -o cat | grep -c .)" 0
	# VM_NAME=: every message about a VM carries its name as a field
	like journal-vm-name "$(jvalues VM_NAME)" '^nav$'
	like journal-vm-name-match "$(journalctl -q _SYSTEMD_UNIT=gunyahd.service VM_NAME=nav -o cat)" "^VM 'nav': "
}

# ---------------------------------------------------------------------------
# VMs outlive gunyahd: systemctl restart, kill -9 and a watchdog kill hand a
# running VM to the next gunyahd through systemd's fd store; the RM never
# hears of it (no VM_STOP, VM_RESET or MEM_RECLAIM; same VMID and parcels)

vm_prop() {
	busctl get-property "$MGR" "$MGR_PATH/vm/$1" org.gunyah.VM1 "$2" 2>&1 |
		cut -d' ' -f2- | sed 's/"//g'
}
main_pid() { show gunyahd.service MainPID; }
# a new main process that is up: READY=1 came, the bus name is served
new_daemon() {
	local pid
	pid=$(main_pid)
	[ "$pid" != 0 ] && [ "$pid" != "$1" ] && [ "$(active gunyahd.service)" = active ] &&
		mgr ListVMs >/dev/null
}
# what the RM was asked since the last `ctl log clear` that would end a VM
rm_teardown() { ctl log | grep -E ' (VM_STOP|VM_RESET|MEM_RECLAIM) ' | cut -d' ' -f2 | sort -u; }
fdstore() { show gunyahd.service NFileDescriptorStore; }

# survived HOW PID VMID PARCELS: the checks after each way gunyahd went away
survived() {
	local how=$1 pid=$2 vmid=$3 parcels=$4
	wait_for 600 new_daemon "$pid"
	like "survive-$how-new-daemon" "$pid -> $(main_pid) $(active gunyahd.service)" \
		"^$pid -> [0-9]+ active\$"
	is "survive-$how-running" "$(vm_state nav)" running
	is "survive-$how-same-vmid" "$(vm_prop nav VMID)" "$vmid"
	is "survive-$how-rm-running" "$(ctl vms | grep -c 'state=RUNNING')" 1
	is "survive-$how-rm-not-stopped" "$(rm_teardown)" ""
	is "survive-$how-same-parcels" "$(ctl parcels)" "$parcels"
	like "survive-$how-adopted" "$(jmsg info | grep "VM 'nav': adopted" | tail -n 1)" "adopted \\(VMID $(printf '%#x' "$vmid")\\), running"
}

LOG=/var/log/gunyah/nav.log

section_survive() {
	local out pid vmid parcels banners
	out=$(mgr StartVM s nav)
	is survive-start "$?${out:+ $out}" 0
	wait_for 300 state_is nav running
	vmid=$(vm_prop nav VMID)
	parcels=$(ctl parcels)
	like survive-state-file "$(head -c 4096 /run/gunyah/nav.state 2>&1 | grep -a '^state=')" '^state=running$'

	# the console: from the first byte, in the log file, through gunyahctl
	wait_for 300 grep -q 'echoing input' "$LOG"
	like console-log-banner "$(grep -a 'booting VM' "$LOG" 2>&1)" "booting VM $(printf '%#x' "$vmid") \\(nav\\)"
	like console-logs-cli "$(gunyahctl logs nav -n 1 2>&1)" 'up; echoing input$'
	out=$( (echo hello-from-sdguest; sleep 5) | timeout 60 gunyahctl console nav --timeout 4 2>&1)
	like console-echo-cli "$out" hello-from-sdguest
	like console-echo-logged "$(grep -a hello-from-sdguest "$LOG")" hello-from-sdguest
	like console-busctl-open "$(busctl call "$MGR" "$MGR_PATH/vm/nav" org.gunyah.VM1 OpenConsole 2>&1)" '^h [0-9]+$'
	like console-busctl-output "$(busctl call "$MGR" "$MGR_PATH/vm/nav" org.gunyah.VM1 GetConsoleOutput t 4096 2>&1)" '^ay [0-9]+ '
	# console output can hold secrets: the rights of Start, from the real bus policy
	like console-operator-may "$(as "$OP" busctl call "$MGR" "$MGR_PATH/vm/nav" org.gunyah.VM1 GetConsoleOutput t 16)" '^ay [0-9]+ '
	like console-other-denied "$(as "$OTHER" dbus-send --system --print-reply --dest="$MGR" "$MGR_PATH/vm/nav" \
		org.gunyah.VM1.GetConsoleOutput uint64:16)" '^Error org\.freedesktop\.DBus\.Error\.AccessDenied'
	like console-features "$(busctl get-property "$MGR" "$MGR_PATH" "$MGR" Features)" '"console"'
	is console-log-owner "$(stat -c '%U %a' "$LOG" 2>&1)" "gunyahd 600"
	# VM fd + main memory + region 1 + console
	is survive-fds-stored "$(fdstore)" 4
	ctl log clear >/dev/null

	# 1. systemctl restart: SIGTERM during a restart job hands over
	pid=$(main_pid)
	out=$(systemctl restart gunyahd.service 2>&1)
	is survive-restart "$?${out:+ $out}" 0
	survived restart "$pid" "$vmid" "$parcels"
	like survive-restart-left "$(jmsg info | grep "left running for the next gunyahd")" "VM 'nav'"

	# 2. kill -9: Restart=on-failure brings gunyahd back, the store kept; what
	# the guest printed meanwhile waits in gunyah.ko's ring and reaches the
	# log once, after everything before it (the console fd kept its position)
	pid=$(main_pid)
	banners=$(grep -c 'booting VM' "$LOG")
	kill -STOP "$pid"
	ctl console "$vmid" print 'while-gunyahd-was-away\r\n' >/dev/null
	kill -KILL "$pid"
	survived kill9 "$pid" "$vmid" "$parcels"
	wait_for 300 grep -q while-gunyahd-was-away "$LOG"
	# nothing read twice: the banners of this and earlier runs of nav, as before
	is survive-kill9-console-once "$(grep -c while-gunyahd-was-away "$LOG") $(grep -c 'booting VM' "$LOG")" "1 $banners"
	like survive-kill9-console-order "$(grep -a -e 'echoing input' -e while-gunyahd "$LOG" | tr -d '\r' | tr '\n' ' ')" \
		'echoing input .*while-gunyahd-was-away $'
	like survive-kill9-restarted "$(show gunyahd.service NRestarts)" '^[1-9]'

	# 3. the watchdog: a stalled gunyahd is killed and restarted by systemd
	mkdir -p /run/systemd/system/gunyahd.service.d
	printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=2s\nTimeoutStopSec=5s\n' \
		>/run/systemd/system/gunyahd.service.d/50-sdtest-watchdog.conf
	systemctl daemon-reload
	# the drop-in's watchdog needs a new process: restarted, the VM survives once more
	pid=$(main_pid)
	systemctl restart gunyahd.service
	survived watchdog-armed "$pid" "$vmid" "$parcels"
	pid=$(main_pid)
	kill -STOP "$pid"
	survived watchdog "$pid" "$vmid" "$parcels"
	like survive-watchdog-journal "$(journalctl -q -o cat -u gunyahd.service | grep -i watchdog)" \
		'[Ww]atchdog timeout'

	# 4. an exit while gunyahd is away: reported with its exit type
	pid=$(main_pid)
	kill -STOP "$pid"
	ctl exit "$vmid" VM_EXIT >/dev/null
	kill -KILL "$pid"
	wait_for 600 new_daemon "$pid"
	is survive-away-exited "$(vm_state nav)/$(vm_prop nav StateReason)/$(vm_prop nav ExitType)" \
		exited/poweroff/vm-exit
	like survive-away-logged "$(jmsg notice | grep "VM 'nav': exited while gunyahd was away")" nav

	# ...and then it is destroyed as usual, nothing left behind
	out=$(mgr DestroyVM s nav)
	is survive-destroy "$?${out:+ $out}" 0
	is survive-destroy-rm-empty "$(ctl vms) $(ctl parcels)" " "
	is survive-destroy-state-file "$(ls /run/gunyah)" ""
	is survive-destroy-fds-dropped "$(fdstore)" 0

	# 5. a transient VM survives with its passed image: after a kill -9 it can
	# be stopped and started again (re-created from the stored kernel fd)
	printf 'version: 1\nname: sdtrans\nmemory:\n  size: 64M\nkernel: fd:kernel\n' >/run/sdtrans.yaml
	out=$("$T/gh-sd-transient" /run/sdtrans.yaml kernel=/var/lib/gunyah/images/nav/Image 2>&1)
	is survive-transient-create "$out" /org/gunyah/Manager1/vm/sdtrans
	out=$(mgr StartVM s sdtrans)
	is survive-transient-start "$?${out:+ $out}" 0
	wait_for 300 state_is sdtrans running
	# VM fd, main memory, console, the kernel
	is survive-transient-fds "$(fdstore)" 4
	pid=$(main_pid)
	kill -KILL "$pid"
	wait_for 600 new_daemon "$pid"
	is survive-transient-adopted "$(vm_state sdtrans) $(vm_prop sdtrans Transient)" "running true"
	out=$(mgr StopVM sb sdtrans true)
	is survive-transient-stop "$?${out:+ $out}" 0
	wait_for 300 state_is sdtrans exited
	out=$(mgr StartVM s sdtrans)
	is survive-transient-restart "$?${out:+ $out} $(vm_state sdtrans)" "0 running"
	out=$(mgr DestroyVM s sdtrans)
	is survive-transient-destroy "$?${out:+ $out}" 0
	unlike survive-transient-gone "$(mgr ListVMs)" sdtrans
	is survive-transient-fds-dropped "$(fdstore) $(ctl vms)" "0 "

	# 6. fds without a state: the new gunyahd closes them and the VM goes
	out=$(mgr StartVM s nav)
	is survive-orphan-start "$?${out:+ $out}" 0
	wait_for 300 state_is nav running
	pid=$(main_pid)
	kill -STOP "$pid"
	rm -f /run/gunyah/nav.state
	printf 'version=1\nname=bogus\n' >/run/gunyah/bogus.state
	kill -KILL "$pid"
	wait_for 600 new_daemon "$pid"
	wait_for 300 eval '[ -z "$(ctl vms)" ]'
	is survive-orphan-torn-down "$(vm_state nav) $(ctl vms)" "defined "
	like survive-orphan-logged "$(jmsg warning | grep "Stored fd 'vm-nav'")" 'belongs to no VM'
	is survive-orphan-fds-dropped "$(fdstore)" 0
	like survive-bad-state-logged "$(jmsg err | grep bogus.state)" 'not a state file gunyahd can read'
	is survive-bad-state-removed "$(ls /run/gunyah)" ""

	# 7. the unit ends while gunyahd is away (here it dies and may not be
	# restarted): PID 1 drops the store and closes the VM fd itself, and
	# gunyah.ko tears the VM down off PID 1, which answers while the RM is
	# still releasing the memory; nothing is left behind
	out=$(mgr StartVM s nav)
	is survive-unit-gone-start "$?${out:+ $out}" 0
	wait_for 300 state_is nav running
	printf '[Service]\nRestart=no\n' >/run/systemd/system/gunyahd.service.d/60-sdtest-norestart.conf
	systemctl daemon-reload
	ctl set release-delay 15000 >/dev/null
	pid=$(main_pid)
	kill -KILL "$pid"
	wait_for 300 eval '[ "$(active gunyahd.service)" = failed ] && [ "$(fdstore)" = 0 ]'
	is survive-unit-gone-pid1-free "$(active gunyahd.service) $(fdstore) $(ctl vms | grep -c .)" \
		"failed 0 1"
	wait_for 600 eval '[ -z "$(ctl vms)" ]'
	is survive-unit-gone-torn-down "$(ctl vms)|$(ctl parcels)|$(cat /sys/module/gunyah/parameters/zombies)" \
		"||0"
	ctl set release-delay 0 >/dev/null
	rm -f /run/systemd/system/gunyahd.service.d/60-sdtest-norestart.conf
	systemctl reset-failed gunyahd.service

	rm -f /run/systemd/system/gunyahd.service.d/50-sdtest-watchdog.conf
	systemctl daemon-reload
	systemctl restart gunyahd.service
	is survive-unit-gone-fresh "$(vm_state nav) $(ls /run/gunyah)" "defined "
	# left running: systemctl stop (section stop) must destroy it
	out=$(mgr StartVM s nav)
	is survive-left-running "$?${out:+ $out}" 0
}

# ---------------------------------------------------------------------------
# systemd-analyze security on the running system = the offline check

section_security() {
	local out exp
	out=$(systemd-analyze security --no-pager gunyahd.service 2>&1)
	exp=$(printf '%s\n' "$out" | sed -n 's/^→ Overall exposure level for gunyahd.service: \([0-9.]*\).*/\1/p')
	is security-exposure-as-offline "$exp" "$GH_OFFLINE_EXPOSURE"
	if [ -n "$exp" ] && awk -v e="$exp" -v m="$GH_MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
		pass security-exposure-max "$exp <= $GH_MAX_EXPOSURE"
	else
		fail security-exposure-max "'$exp' > $GH_MAX_EXPOSURE"
	fi
}

# ---------------------------------------------------------------------------
# systemctl stop: a clean exit, every VM and the device given back

module_gone() { [ ! -e /sys/module/gunyah ]; }

section_stop() {
	local out
	out=$(systemctl stop gunyahd.service 2>&1)
	is stop "$?${out:+ $out}" 0
	is stop-result "$(show gunyahd.service Result) $(show gunyahd.service ExecMainStatus)" "success 0"
	is stop-rm-empty "$(ctl vms)" ""
	like stop-destroyed-running "$(jmsg info | grep "destroying for shutdown" | tail -n 1)" "VM 'nav'"
	is stop-fds-dropped "$(fdstore)" 0
	# errors: the broken definition of section reload, the watchdog kill and
	# the bad state file of section survive, nothing else
	unlike stop-no-other-errors "$(jmsg err | grep -v -e sdbroken -e 'Watchdog timeout' -e bogus.state)" .
	systemctl stop gunyah-rm-emu.service
	wait_for 300 module_gone
	is stop-module-removed "$(cat /sys/module/gunyah/refcnt 2>&1)" \
		"cat: /sys/module/gunyah/refcnt: No such file or directory"
}

say "booted $(uname -r), systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')"
for s in $GH_SECTIONS; do
	say "section $s (uptime $(cut -d' ' -f1 /proc/uptime) s)"
	"section_$s"
done

if [ -n "$failed" ]; then
	echo "--- journalctl -u gunyahd -u gunyah-rm-emu -u dbus (last 80)"
	journalctl -q --no-pager -o short-monotonic -n 80 -u gunyahd.service \
		-u gunyah-rm-emu.service -u dbus.service
	echo "--- gh-rm-emu log (last 40)"
	tail -n 40 /run/gh-rm-emu.log 2>/dev/null
fi
echo "GH-SD-DMESG-BEGIN"
dmesg
echo "GH-SD-DMESG-END"
if [ -z "$failed" ]; then
	echo "GH-SD-RESULT: PASS"
else
	echo "GH-SD-RESULT: FAIL:$failed"
fi
