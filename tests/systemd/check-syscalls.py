#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Does gunyahd live within its unit's sandbox? Checked under strace.

Without systemd as PID 1 the unit cannot run here, so the daemon runs under
strace on a private bus (sim backend, watchdog on) through a full life: load
definitions, CreateVM, StartVM, GetDeviceTree, StopVM, DestroyVM, Reload,
SIGHUP when it handles it, SIGTERM. Then every system call it made, from the
dynamic loader on, is checked against what gunyahd.service allows:
- SystemCallFilter= (the allow list minus the ~ lists, expanded with
  `systemd-analyze syscall-filter`): a call outside it would fail with EPERM;
- RestrictAddressFamilies=AF_UNIX: sockets of other families;
- MemoryDenyWriteExecute=yes: mappings writable and executable, mprotect to
  executable;
- ProcSubset=pid / ProtectProc=invisible: /proc files other than processes';
- ProtectSystem=strict: files opened for writing (the daemon writes none but
  its console logs, in the unit's LogsDirectory=);
- DevicePolicy=closed: device nodes other than /dev/gunyah and the pseudo ones.
The kernel backend makes the same kinds of calls (open, ioctl, poll/epoll on
the VM fds) which the filter allows; its ioctls are not traced here.

Usage: check-syscalls.py UNIT GUNYAHD BUS_CONF
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import sdtest

BUS = 'org.gunyah.Manager1'
PATH = '/org/gunyah/Manager1'
PSEUDO_DEVICES = {'/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom',
                  '/dev/gunyah'}


def expand(analyze, names, cache):
    """Syscall names of a list of names and @groups, recursively."""
    out = set()
    for name in names:
        if not name.startswith('@'):
            out.add(name)
            continue
        if name not in cache:
            p = sdtest.run([analyze, 'syscall-filter', '--no-pager', name])
            members = []
            for line in p.stdout.splitlines()[1:]:
                line = line.split('#')[0].strip()
                if line:
                    members.append(line)
            cache[name] = expand(analyze, members, cache)
        out |= cache[name]
    return out


def allowed_syscalls(analyze, unit):
    """The effective allow list of the unit's SystemCallFilter= lines."""
    settings = sdtest.unit_settings(unit)
    lines = settings.get(('Service', 'SystemCallFilter'), [])
    if not lines or lines[0].startswith('~'):
        sdtest.fail('SystemCallFilter= must start with an allow list')
    cache = {}
    allowed = set()
    for line in lines:
        if line.startswith('~'):
            allowed -= expand(analyze, line[1:].split(), cache)
        else:
            allowed |= expand(analyze, line.split(), cache)
    return allowed


def busctl(address, *args, check=True):
    return sdtest.run(['busctl', f'--address={address}', '--timeout=30', *args], check=check)


def wait_notify(sock, what, deadline=60):
    end = time.monotonic() + deadline
    got = ''
    while what not in got:
        sock.settimeout(max(0.1, end - time.monotonic()))
        try:
            got += sock.recv(4096).decode() + '\n'
        except socket.timeout:
            sdtest.fail(f'no {what} from gunyahd within {deadline} s')
    return got


def vm_state(address, name):
    p = busctl(address, 'get-property', BUS, f'{PATH}/vm/{name}', 'org.gunyah.VM1', 'State')
    return p.stdout.split('"')[1]


def wait_state(address, name, states, deadline=20):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        state = vm_state(address, name)
        if state in states:
            return state
        time.sleep(0.1)
    sdtest.fail(f'VM {name} stuck in {state}, expected {states}')


def traced_pid(strace_pid):
    """gunyahd: the child of strace."""
    for _ in range(100):
        try:
            with open(f'/proc/{strace_pid}/task/{strace_pid}/children', encoding='ascii') as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    sdtest.fail('cannot find gunyahd under strace')


def handles_sighup(pid):
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        caught = int(re.search(r'^SigCgt:\s*([0-9a-f]+)', f.read(), re.M).group(1), 16)
    return bool(caught & (1 << (signal.SIGHUP - 1)))


def exercise(gunyahd, bus_conf, trace, tmp):
    defs = os.path.join(tmp, 'vms.d')
    os.mkdir(defs)
    kernel = os.path.join(tmp, 'Image')
    with open(kernel, 'wb') as f:
        f.write(bytes((i * 7) & 0xff for i in range(65536)))
    with open(os.path.join(defs, 'nav.yaml'), 'w', encoding='utf-8') as f:
        f.write('version: 1\nname: nav\nvcpus: 1\nmemory:\n  base: 0x80000000\n  size: 16M\n'
                f'kernel: {kernel}\n')

    bus = subprocess.Popen(['dbus-daemon', '--nofork', '--print-address=1',
                            f'--config-file={bus_conf}'], stdout=subprocess.PIPE, text=True)
    daemon = None
    try:
        address = bus.stdout.readline().strip()
        notify_path = os.path.join(tmp, 'notify')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        # The watchdog on (1 s) so that its timer path runs under the trace.
        env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC='1000000')
        # LeakSanitizer cannot run under ptrace: in a sanitizer build, leaks
        # are the other tests' business, not this one's.
        env['ASAN_OPTIONS'] = ':'.join(filter(None, [env.get('ASAN_OPTIONS'), 'detect_leaks=0']))
        daemon = subprocess.Popen(['strace', '-f', '-qq', '-s', '256', '-o', trace, gunyahd,
                                   f'--bus-address={address}', f'--definitions={defs}',
                                   '--backend=sim', '--log-level=debug'],
                                  env=env, stderr=open(os.path.join(tmp, 'log'), 'w'))
        wait_notify(sock, 'READY=1')
        pid = traced_pid(daemon.pid)

        busctl(address, 'call', BUS, PATH, BUS, 'ListVMs')
        busctl(address, 'call', BUS, PATH, BUS, 'CreateVM', 's', 'nav')
        busctl(address, 'call', BUS, PATH, BUS, 'StartVM', 's', 'nav')
        wait_state(address, 'nav', ['running'])
        busctl(address, 'call', BUS, f'{PATH}/vm/nav', 'org.gunyah.VM1', 'GetDeviceTree')
        busctl(address, 'introspect', BUS, f'{PATH}/vm/nav')
        busctl(address, 'call', BUS, PATH, BUS, 'StopVM', 'sb', 'nav', 'false')
        if wait_state(address, 'nav', ['exited', 'stopping']) == 'stopping':
            busctl(address, 'call', BUS, PATH, BUS, 'StopVM', 'sb', 'nav', 'true')
            wait_state(address, 'nav', ['exited'])
        busctl(address, 'call', BUS, PATH, BUS, 'DestroyVM', 's', 'nav')
        busctl(address, 'call', BUS, PATH, BUS, 'StartVM', 's', 'nav')
        busctl(address, 'call', BUS, PATH, BUS, 'ValidateDefinition', 's', 'version: 1\n',
               check=False)
        busctl(address, 'call', BUS, PATH, BUS, 'Reload', check=False)
        time.sleep(1.5)         # a watchdog period or so
        if handles_sighup(pid):
            os.kill(pid, signal.SIGHUP)
            wait_notify(sock, 'READY=1', deadline=30)
            busctl(address, 'call', BUS, PATH, BUS, 'ListVMs')
        else:
            print('NOTE: gunyahd does not handle SIGHUP yet: reload by signal not traced')
        os.kill(pid, signal.SIGTERM)
        if daemon.wait(timeout=60) != 0:
            with open(os.path.join(tmp, 'log'), encoding='utf-8') as f:
                sdtest.fail(f'gunyahd exited with {daemon.returncode}:\n{f.read()}')
        daemon = None
    finally:
        if daemon:
            daemon.kill()
            daemon.wait()
        bus.terminate()
        bus.wait()


LINE = re.compile(r'^(\d+)\s+(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()(.*)$')


def check_trace(trace, allowed, writable):
    used = {}
    problems = []
    with open(trace, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            name = m.group(2) or m.group(3)
            args = m.group(4)
            if m.group(3):
                used.setdefault(name, line.strip())
            if name in ('mmap', 'mprotect', 'pkey_mprotect') and 'PROT_EXEC' in args:
                if name != 'mmap' or 'PROT_WRITE' in args:
                    problems.append(f'MemoryDenyWriteExecute: {line.strip()}')
            if name in ('socket', 'socketpair') and m.group(3) and not args.startswith('AF_UNIX'):
                problems.append(f'RestrictAddressFamilies: {line.strip()}')
            if name in ('open', 'openat', 'openat2') and m.group(3):
                pm = re.search(r'"([^"]*)"', args)
                path = pm.group(1) if pm else ''
                writing = re.search(r'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC', args)
                if path.startswith('/proc/') and not re.match(
                        r'/proc/(self|thread-self|\d+)(/|$)', path):
                    problems.append(f'ProcSubset=pid: {line.strip()}')
                if path.startswith('/dev/') and path not in PSEUDO_DEVICES:
                    problems.append(f'DevicePolicy=closed: {line.strip()}')
                if writing and not path.startswith('/dev/') and \
                        not any(path.startswith(d + '/') for d in writable):
                    problems.append(f'ProtectSystem=strict (write): {line.strip()}')
    denied = sorted(set(used) - allowed)
    for name in denied:
        problems.append(f'SystemCallFilter: {name}: {used[name]}')
    return used, problems


def main():
    if len(sys.argv) != 4:
        sdtest.fail('usage: check-syscalls.py UNIT GUNYAHD BUS_CONF')
    unit, gunyahd, bus_conf = sys.argv[1:]
    analyze = sdtest.require_tool('systemd-analyze')
    sdtest.require_tool('strace')
    sdtest.require_tool('busctl')
    sdtest.require_tool('dbus-daemon')

    allowed = allowed_syscalls(analyze, unit)
    # A filter that lost its groups would let anything through this check.
    for must in ('memfd_create', 'ioctl', 'mmap', 'mprotect', 'eventfd2', 'timerfd_create',
                 'epoll_wait', 'clone3', 'sendmsg', 'recvmsg'):
        if must not in allowed:
            sdtest.fail(f'the unit filters {must}, which the daemon needs')
    for never in ('setuid', 'mlock', 'setrlimit', 'mount', 'ptrace', 'init_module'):
        if never in allowed:
            sdtest.fail(f'the unit allows {never}')

    tmp = tempfile.mkdtemp(prefix='gunyahd-syscalls-')
    try:
        trace = os.path.join(tmp, 'trace')
        exercise(gunyahd, bus_conf, trace, tmp)
        logs = sdtest.unit_settings(unit).get(('Service', 'LogsDirectory'), [])
        writable = ['/var/log/' + d for v in logs for d in v.split()]
        used, problems = check_trace(trace, allowed, writable)
        if len(used) < 20:
            sdtest.fail(f'only {len(used)} system calls traced: is strace working?')
        print(f'{len(used)} distinct system calls: {" ".join(sorted(used))}')
        if problems:
            sdtest.fail('outside the sandbox of ' + os.path.basename(unit) + ':\n  '
                        + '\n  '.join(problems))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('PASS')


if __name__ == '__main__':
    main()
