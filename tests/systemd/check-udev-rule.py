#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The udev rule for /dev/gunyah: parsed, and applied by udev itself.

1. Static: every line parses by the grammar of udev(7) (known keys, right
   operators, quoted values); exactly one rule matches the misc device
   'gunyah' and it sets GROUP, MODE 0660 and TAG+="systemd"; no rule matches
   'gunyah-rm' (the test-only loopback device stays root-only).
2. udev: `udevadm verify` does not exist in systemd 252, so the rule is run
   through `udevadm test` on fake misc devices 'gunyah' and 'gunyah-rm', inside
   a private mount namespace (unshare) where /sys, /dev and /run are
   scratch tmpfs, /etc/udev/rules.d holds only this rule and /etc/group gains
   the group if this machine lacks it. Nothing outside the namespace changes.
   udev must report no problem with the file, give /dev/gunyah the group and
   mode 0660 and tag it 'systemd', and leave /dev/gunyah-rm 0600 root:root.
   This part needs root, unshare(1) and udevadm; without them only part 1
   runs, and the output says so.

Usage: check-udev-rule.py RULES_FILE
"""

import fnmatch
import grp
import os
import re
import shutil
import subprocess
import sys
import tempfile

import sdtest

MATCH_KEYS = {'ACTION', 'DEVPATH', 'KERNEL', 'KERNELS', 'NAME', 'SYMLINK', 'SUBSYSTEM',
              'SUBSYSTEMS', 'DRIVER', 'DRIVERS', 'ATTR', 'ATTRS', 'SYSCTL', 'ENV', 'CONST',
              'TAG', 'TAGS', 'TEST', 'PROGRAM', 'RESULT'}
ASSIGN_KEYS = {'NAME', 'SYMLINK', 'OWNER', 'GROUP', 'MODE', 'SECLABEL', 'ATTR', 'SYSCTL',
               'ENV', 'TAG', 'RUN', 'LABEL', 'GOTO', 'IMPORT', 'OPTIONS'}
PAIR = re.compile(r'\s*([A-Z]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


def parse(path):
    """The rules as lists of (key, attr, op, value); fails on a syntax error."""
    rules = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if line.endswith('\\'):
                sdtest.fail(f'{path}:{n}: keep rules on one line')
            pairs, pos = [], 0
            while pos < len(line):
                m = PAIR.match(line, pos)
                if not m:
                    sdtest.fail(f'{path}:{n}: cannot parse at column {pos + 1}: {line[pos:]!r}')
                key, attr, op, value = m.groups()
                is_match = op in ('==', '!=')
                if key not in (MATCH_KEYS if is_match else ASSIGN_KEYS):
                    sdtest.fail(f'{path}:{n}: {key} does not take {op}')
                pairs.append((key, attr, op, value))
                pos = m.end()
                if pos < len(line):
                    if line[pos] != ',':
                        sdtest.fail(f'{path}:{n}: expected "," at column {pos + 1}')
                    pos += 1
            rules.append((n, pairs))
    return rules


def matches(pairs, device):
    """Whether a rule's KERNEL/SUBSYSTEM matches apply to device (other keys: no)."""
    for key, _, op, value in pairs:
        if op not in ('==', '!='):
            continue
        if key not in device:
            return False
        hit = any(fnmatch.fnmatchcase(device[key], alt) for alt in value.split('|'))
        if hit != (op == '=='):
            return False
    return True


def check_static(path):
    rules = parse(path)
    device = {'KERNEL': 'gunyah', 'SUBSYSTEM': 'misc', 'ACTION': 'add'}
    hits = [(n, p) for n, p in rules if matches(p, device)]
    if len(hits) != 1:
        sdtest.fail(f'{len(hits)} rules match /dev/gunyah, expected exactly one')
    n, pairs = hits[0]
    assigned = {(k, op): v for k, _, op, v in pairs if op not in ('==', '!=')}
    group = assigned.get(('GROUP', '='))
    if not group:
        sdtest.fail(f'{path}:{n}: no GROUP="..."')
    if assigned.get(('MODE', '=')) != '0660':
        sdtest.fail(f'{path}:{n}: MODE is {assigned.get(("MODE", "="))}, expected 0660')
    if assigned.get(('TAG', '+=')) != 'systemd':
        sdtest.fail(f'{path}:{n}: no TAG+="systemd", so no dev-gunyah.device')
    rm = dict(device, KERNEL='gunyah-rm')
    for n, pairs in rules:
        if matches(pairs, rm):
            sdtest.fail(f'{path}:{n}: matches gunyah-rm, which must stay root-only')
    print(f'ok static: line {n} gives /dev/gunyah GROUP={group} MODE=0660 TAG+=systemd; '
          'nothing matches gunyah-rm')
    return group


def fake_misc_device(name, minor):
    d = f'/sys/devices/virtual/misc/{name}'
    os.makedirs(d)
    with open(f'{d}/uevent', 'w', encoding='ascii') as f:
        f.write(f'MAJOR=10\nMINOR={minor}\nDEVNAME={name}\n')
    with open(f'{d}/dev', 'w', encoding='ascii') as f:
        f.write(f'10:{minor}\n')
    os.symlink('../../../../class/misc', f'{d}/subsystem')
    os.makedirs('/sys/class/misc', exist_ok=True)
    os.symlink(f'../../devices/virtual/misc/{name}', f'/sys/class/misc/{name}')
    os.mknod(f'/dev/{name}', 0o600 | 0o020000, os.makedev(10, minor))
    os.chmod(f'/dev/{name}', 0o600)


def inner(path, group, scratch):
    """Runs inside the private mount namespace."""
    def mount(*argv):
        subprocess.run(['mount', *argv], check=True)

    rules = os.path.join(scratch, 'rules')
    os.makedirs(rules)
    shutil.copy(path, rules)
    mount('--bind', rules, '/etc/udev/rules.d')
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = next(g for g in range(64000, 1000, -1) if g not in {e.gr_gid for e in grp.getgrall()})
        fake = os.path.join(scratch, 'group')
        shutil.copy('/etc/group', fake)
        with open(fake, 'a', encoding='utf-8') as f:
            f.write(f'{group}:x:{gid}:\n')
        mount('--bind', fake, '/etc/group')
    # Scratch /sys, /dev and /run: a machine where udevd never ran has no
    # /run/udev to mount over, so udev's database directory is made here.
    for d in ('/sys', '/dev', '/run'):
        mount('-t', 'tmpfs', 'tmpfs', d)
    os.makedirs('/run/udev')
    fake_misc_device('gunyah', 120)
    fake_misc_device('gunyah-rm', 121)

    # Our fake /sys is a tmpfs: tell sd-device not to insist on sysfs.
    env = dict(os.environ, SYSTEMD_DEVICE_VERIFY_SYSFS='0')
    base = os.path.basename(path)
    for name, want_mode, want_gid, want_tag in (('gunyah', 0o660, gid, True),
                                                ('gunyah-rm', 0o600, 0, False)):
        p = subprocess.run(['udevadm', 'test', '--action=add', f'/devices/virtual/misc/{name}'],
                           text=True, capture_output=True, env=env)
        out = p.stdout + p.stderr
        if p.returncode != 0:
            sdtest.fail(f'udevadm test {name} failed ({p.returncode}):\n{out}')
        for line in out.splitlines():
            if base not in line or 'Reading rules file' in line:
                continue
            if name == 'gunyah' and re.search(rf'{base}:\d+ (GROUP {gid}|MODE 0660)$', line):
                continue
            sdtest.fail(f'udev about {base} for {name}: {line}\n--- full output\n{out}')
        tagged = re.search(r'^TAGS=.*:systemd:', p.stdout, re.M) is not None
        st = os.stat(f'/dev/{name}')
        got = (st.st_mode & 0o7777, st.st_uid, st.st_gid, tagged)
        if got != (want_mode, 0, want_gid, want_tag):
            sdtest.fail(f'/dev/{name}: mode {got[0]:o} owner {got[1]}:{got[2]} systemd tag '
                        f'{got[3]}; expected {want_mode:o} 0:{want_gid} {want_tag}\n{out}')
        print(f'ok udev: /dev/{name} {want_mode:o} 0:{want_gid}'
              + (' tagged systemd' if want_tag else ' untouched'))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == '--inner':
        inner(*sys.argv[2:])
        return
    if len(sys.argv) != 2:
        sdtest.fail('usage: check-udev-rule.py RULES_FILE')
    path = os.path.abspath(sys.argv[1])
    group = check_static(path)

    missing = [t for t in ('udevadm', 'unshare', 'mount') if not shutil.which(t)]
    if missing:
        print(f'NOTE: udev part not run: {", ".join(missing)} not installed')
    elif os.geteuid() != 0:
        print('NOTE: udev part not run: needs root (a private mount namespace)')
    else:
        with tempfile.TemporaryDirectory(prefix='gunyah-udev-') as scratch:
            p = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                                sys.executable, os.path.abspath(__file__), '--inner', path,
                                group, scratch], text=True, capture_output=True)
            print(p.stdout, end='')
            if p.returncode != 0:
                if 'unshare failed' in p.stderr and 'Operation not permitted' in p.stderr:
                    print(f'NOTE: udev part not run: {p.stderr.strip()}')
                else:
                    sdtest.fail(f'udev part failed ({p.returncode}):\n{p.stderr}')
    print('PASS')


if __name__ == '__main__':
    main()
