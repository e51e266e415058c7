#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""sysusers and tmpfiles snippets applied to an installed tree, for real.

1. `meson install --destdir` into a temporary tree.
2. `systemd-sysusers --root=TREE` creates the users and groups in TREE/etc
   only (never on this machine); the entries are checked.
3. `systemd-tmpfiles --root=TREE --create` makes the directories, resolving
   the owners from TREE/etc/passwd; owners and modes are checked.
4. The files agree with each other: the unit's User=, Group=,
   SupplementaryGroups= and StateDirectory=, the sysusers entries, the udev
   rule's GROUP=, the bus policy's user and group, the tmpfiles lines and the
   default access-group of gunyahd.yaml.

Usage: check-users-dirs.py --meson M --builddir B --sysconfdir S
       --unit U --sysusers F --tmpfiles F --udev-rule F --policy F
"""

import argparse
import os
import re
import shutil
import stat
import xml.etree.ElementTree as ET

import sdtest


def read_db(path):
    """/etc/passwd or /etc/group as {name: fields}."""
    db = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            fields = line.rstrip('\n').split(':')
            db[fields[0]] = fields
    return db


def sysusers_entries(path):
    entries = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                entries.append(re.findall(r'"[^"]*"|\S+', line))
    return entries


def tmpfiles_entries(path):
    entries = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                t, p, mode, user, group, *_ = line.split()
                entries[p] = (t, mode, user, group)
    return entries


def udev_groups(path):
    with open(path, encoding='utf-8') as f:
        return re.findall(r'\bGROUP="([^"]*)"', f.read())


def check_quiet(p, what):
    """Any warning about our snippets is a failure; "Creating ..." is information."""
    print(p.stdout + p.stderr, end='')
    warnings = [line for line in (p.stdout + p.stderr).splitlines()
                if line.strip() and not line.startswith('Creating ')]
    if warnings:
        sdtest.fail(f'{what} warned:\n' + '\n'.join(warnings))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--meson', default='')
    ap.add_argument('--builddir', required=True)
    ap.add_argument('--sysconfdir', required=True)
    ap.add_argument('--unit', required=True)
    ap.add_argument('--sysusers', required=True)
    ap.add_argument('--tmpfiles', required=True)
    ap.add_argument('--udev-rule', required=True)
    ap.add_argument('--policy', required=True)
    args = ap.parse_args()
    sysusers = sdtest.require_tool('systemd-sysusers')
    tmpfiles = sdtest.require_tool('systemd-tmpfiles')

    unit = sdtest.unit_settings(args.unit)
    user = sdtest.unit_value(unit, 'Service', 'User')
    group = sdtest.unit_value(unit, 'Service', 'Group')
    access_group = sdtest.unit_value(unit, 'Service', 'SupplementaryGroups')
    state = sdtest.unit_value(unit, 'Service', 'StateDirectory')
    state_mode = sdtest.unit_value(unit, 'Service', 'StateDirectoryMode')
    state_dir = '/var/lib/' + state

    tree = sdtest.install_tree(args.meson, args.builddir)
    try:
        # 2. Users and groups, in the tree only. The snippet (installed as
        # gunyahd.conf) is looked up in the tree's sysusers.d, as at boot.
        # A prefix other than /usr leaves the tree without /etc, which a
        # system image always has.
        os.makedirs(os.path.join(tree, 'etc'), exist_ok=True)
        p = sdtest.run([sysusers, f'--root={tree}', 'gunyahd.conf'])
        check_quiet(p, 'systemd-sysusers')
        passwd = read_db(os.path.join(tree, 'etc/passwd'))
        groups = read_db(os.path.join(tree, 'etc/group'))
        if user not in passwd:
            sdtest.fail(f'sysusers did not create user {user}')
        _, _, uid, gid, _, home, shell = passwd[user]
        if not 0 < int(uid) < 1000:
            sdtest.fail(f'{user} has uid {uid}, not a system uid')
        if groups.get(group, [None, None, None])[2] != gid:
            sdtest.fail(f'{user}: primary group {gid} is not group {group}')
        if home != state_dir:
            sdtest.fail(f'{user}: home {home}, expected the state directory {state_dir}')
        if not shell.endswith('/nologin'):
            sdtest.fail(f'{user}: login shell {shell}')
        if access_group not in groups:
            sdtest.fail(f'sysusers did not create group {access_group}')
        if user not in groups[access_group][3].split(','):
            sdtest.fail(f'{user} is not a member of {access_group}')
        print(f'ok {user} uid {uid} gid {gid}, member of {access_group} '
              f'(gid {groups[access_group][2]})')

        # 3. Directories, owners resolved in the tree's /etc/passwd.
        p = sdtest.run([tmpfiles, f'--root={tree}', '--create', 'gunyahd.conf'])
        check_quiet(p, 'systemd-tmpfiles')
        entries = tmpfiles_entries(args.tmpfiles)
        gunyah_etc = os.path.join(args.sysconfdir, 'gunyah')
        want = {
            state_dir: (0o700, user, group),
            state_dir + '/images': (0o755, 'root', 'root'),
            gunyah_etc: (0o755, 'root', 'root'),
            gunyah_etc + '/vms.d': (0o755, 'root', 'root'),
        }
        ids = {'root': ('0', '0'), user: (uid, gid)}
        for path, (mode, owner, owner_group) in want.items():
            st = os.stat(sdtest.in_tree(tree, path))
            if not stat.S_ISDIR(st.st_mode):
                sdtest.fail(f'{path} is not a directory')
            if stat.S_IMODE(st.st_mode) != mode:
                sdtest.fail(f'{path}: mode {stat.S_IMODE(st.st_mode):o}, expected {mode:o}')
            # root is not in the tree's /etc/passwd (an image's base files add it).
            owner_gid = '0' if owner_group == 'root' else groups[owner_group][2]
            if (str(st.st_uid), str(st.st_gid)) != (ids[owner][0], owner_gid):
                sdtest.fail(f'{path}: owner {st.st_uid}:{st.st_gid}, '
                            f'expected {owner}:{owner_group}')
            if path not in entries:
                sdtest.fail(f'{path} made, but not by a line of its own')
            print(f'ok {path} {mode:o} {owner}:{owner_group}')

        # 4. One story across the files.
        t, mode, owner, owner_group = entries[state_dir]
        if (int(mode, 8), owner, owner_group) != (int(state_mode, 8), user, group):
            sdtest.fail(f'tmpfiles makes {state_dir} {mode} {owner}:{owner_group}, but the unit '
                        f'wants {state_mode} {user}:{group} (systemd would chown it at start)')
        su = sysusers_entries(args.sysusers)
        if ['u', user] not in [e[:2] for e in su]:
            sdtest.fail(f'sysusers has no u {user}')
        if ['g', access_group] not in [e[:2] for e in su]:
            sdtest.fail(f'sysusers has no g {access_group}')
        if ['m', user, access_group] not in [e[:3] for e in su]:
            sdtest.fail(f'sysusers has no m {user} {access_group}')
        if udev_groups(args.udev_rule) != [access_group]:
            sdtest.fail(f'udev rule groups {udev_groups(args.udev_rule)}, '
                        f'expected [{access_group}]')
        policy = ET.parse(args.policy).getroot()
        owners = {p.get('user') for p in policy.iter('policy')
                  if p.find("allow[@own='org.gunyah.Manager1']") is not None}
        if owners != {user, 'root'}:
            sdtest.fail(f'bus policy lets {owners} own the name, expected {user} and root')
        managers = {p.get('group') for p in policy.iter('policy') if p.get('group')}
        if managers != {access_group}:
            sdtest.fail(f'bus policy groups {managers}, expected {access_group}')
        yaml = sdtest.in_tree(tree, os.path.join(gunyah_etc, 'gunyahd.yaml'))
        if os.path.exists(yaml):
            with open(yaml, encoding='utf-8') as f:
                m = re.search(r'^access-group:\s*(\S+)', f.read(), re.M)
            if m and m.group(1) != access_group:
                sdtest.fail(f'gunyahd.yaml access-group {m.group(1)}, but the unit, udev '
                            f'rule and bus policy use {access_group}')
        print('ok the unit, sysusers, tmpfiles, udev rule, bus policy and gunyahd.yaml agree')
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    print('PASS')


if __name__ == '__main__':
    main()
