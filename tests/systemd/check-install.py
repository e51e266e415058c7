#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install --destdir` and `systemd-analyze verify` on the installed unit.

1. Installs the build into a temporary DESTDIR.
2. Every file of the systemd/D-Bus integration is at its place, identical to
   what the build made; with prefix /usr, those places are the standard ones
   a system image expects; nothing lands outside the prefix and sysconfdir.
3. The bus policy is well-formed XML, the activation file names the unit.
4. `systemd-analyze verify --root=DESTDIR gunyahd.service` passes without a
   single warning, and `systemctl --root=DESTDIR enable` links it where its
   WantedBy= says. systemd 252 without PID 1: --root makes it load units and
   resolve ExecStart= inside the tree, so /usr/sbin/gunyahd must really be
   there. What the OS provides rather than gunyahd (sysinit.target and the
   other units default dependencies pull in, /bin/sh) is copied from this
   machine into the tree first; gunyahd's own files never are.

Usage: check-install.py --meson M --builddir B --prefix P --sysconfdir S
                        --mandir M --expect INSTALLED=BUILT ...
"""

import argparse
import configparser
import os
import shutil
import stat
import xml.etree.ElementTree as ET

import sdtest

# With -Dprefix=/usr, where a system image wants each file.
STANDARD_USR = {
    'gunyahd.service': '/usr/lib/systemd/system/gunyahd.service',
    'gunyahd.sysusers': '/usr/lib/sysusers.d/gunyahd.conf',
    'gunyahd.tmpfiles': '/usr/lib/tmpfiles.d/gunyahd.conf',
    '60-gunyah.rules': '/usr/lib/udev/rules.d/60-gunyah.rules',
    'org.gunyah.Manager1.conf': '/usr/share/dbus-1/system.d/org.gunyah.Manager1.conf',
    'org.gunyah.Manager1.service':
        '/usr/share/dbus-1/system-services/org.gunyah.Manager1.service',
    'org.gunyah.Manager1.xml': '/usr/share/dbus-1/interfaces/org.gunyah.Manager1.xml',
    'org.gunyah.VM1.xml': '/usr/share/dbus-1/interfaces/org.gunyah.VM1.xml',
}

# The units the OS ships, to be found in the tree as on a real image.
HOST_UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system']


def check_files(destdir, args):
    expected = {}
    for pair in args.expect:
        installed, _, built = pair.partition('=')
        expected[os.path.basename(built)] = installed
        path = sdtest.in_tree(destdir, installed)
        if not os.path.isfile(path):
            sdtest.fail(f'{installed} is not installed')
        with open(path, 'rb') as a, open(built, 'rb') as b:
            if a.read() != b.read():
                sdtest.fail(f'{installed} differs from {built}')
        print(f'ok {installed}')

    if args.prefix == '/usr':
        for name, path in STANDARD_USR.items():
            if expected.get(name) != path:
                sdtest.fail(f'{name} installed as {expected.get(name)}, expected {path}')

    daemon = os.path.join(args.prefix, args.sbindir, 'gunyahd')
    if not os.access(sdtest.in_tree(destdir, daemon), os.X_OK):
        sdtest.fail(f'{daemon} is not installed or not executable')
    print(f'ok {daemon}')

    # A tree an image can take as it is: everything under the prefix or
    # sysconfdir (gunyahd.yaml), nothing in split-/usr places like /lib.
    allowed = [args.prefix.rstrip('/') + '/', args.sysconfdir.rstrip('/') + '/']
    for top, _, files in os.walk(destdir):
        for f in files:
            rel = '/' + os.path.relpath(os.path.join(top, f), destdir)
            if not any(rel.startswith(a) for a in allowed):
                sdtest.fail(f'{rel} is installed outside {" and ".join(allowed)}')
            print(f'  {rel}')
    return expected


def check_dbus_files(destdir, expected, unit_name):
    policy = sdtest.in_tree(destdir, expected['org.gunyah.Manager1.conf'])
    root = ET.parse(policy).getroot()
    if root.tag != 'busconfig':
        sdtest.fail(f'{policy}: root element is <{root.tag}>, not <busconfig>')
    for el in root.iter():
        if el.tag not in ('busconfig', 'policy', 'allow', 'deny'):
            sdtest.fail(f'{policy}: unexpected element <{el.tag}>')

    service = configparser.ConfigParser(interpolation=None)
    service.optionxform = str
    service.read(sdtest.in_tree(destdir, expected['org.gunyah.Manager1.service']))
    section = service['D-BUS Service']
    if section.get('Name') != 'org.gunyah.Manager1':
        sdtest.fail(f'activation file: Name={section.get("Name")}')
    if section.get('SystemdService') != unit_name:
        sdtest.fail(f'activation file: SystemdService={section.get("SystemdService")}')
    # dbus-daemon-launch-helper refuses a system service file without these.
    for key in ('Exec', 'User'):
        if not section.get(key):
            sdtest.fail(f'activation file: {key}= missing')
    print('ok bus policy and activation file')


def supply_os_parts(destdir, unit, prefix):
    """Copies into the tree what the OS, not gunyahd, provides."""
    unitdir = os.path.dirname(unit)
    seen = set()
    for d in HOST_UNIT_DIRS:
        if not os.path.isdir(d) or os.path.realpath(d) in seen:
            continue
        seen.add(os.path.realpath(d))
        for name in os.listdir(d):
            src, dst = os.path.join(d, name), os.path.join(unitdir, name)
            if name.startswith('gunyahd') or os.path.lexists(dst):
                continue
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif os.path.isdir(src):
                shutil.copytree(src, dst, symlinks=True)
            else:
                shutil.copy2(src, dst)

    settings = sdtest.unit_settings(unit)
    for (section, key), values in settings.items():
        if section != 'Service' or not key.startswith('Exec'):
            continue
        for value in values:
            cmd = value.lstrip('-@:+!|').split()[0]
            if not os.path.isabs(cmd):
                sdtest.fail(f'{key}={value}: use an absolute path')
            if cmd.startswith(prefix.rstrip('/') + '/'):
                continue        # gunyahd's own: must already be in the tree
            if not os.access(cmd, os.X_OK):
                sdtest.fail(f'{key}={value}: {cmd} does not exist on this OS either')
            dst = sdtest.in_tree(destdir, cmd)
            if not os.path.lexists(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(os.path.realpath(cmd), dst)
                print(f'supplied {cmd} from the host')


def verify(destdir, unit, mandir):
    analyze = sdtest.require_tool('systemd-analyze')
    settings = sdtest.unit_settings(unit)
    env = dict(os.environ)
    man = 'no'
    pages = [d for v in settings.get(('Unit', 'Documentation'), []) for d in v.split()
             if d.startswith('man:')]
    tree_mandir = sdtest.in_tree(destdir, mandir)
    if pages and shutil.which('man') and os.path.isdir(tree_mandir):
        # verify runs man(1) on this machine: point it at the tree's pages.
        man = 'yes'
        env['MANPATH'] = tree_mandir
    elif pages:
        print(f'NOTE: {" ".join(pages)} not checked: '
              + ('man(1) is not installed' if not shutil.which('man')
                 else f'the tree has no {mandir}'))
    p = sdtest.run([analyze, 'verify', f'--root={destdir}', f'--man={man}',
                    os.path.basename(unit)], check=False, env=env)
    out = (p.stdout + p.stderr).strip()
    if p.returncode != 0 or out:
        sdtest.fail(f'systemd-analyze verify (exit status {p.returncode}):\n{out}')
    print('ok systemd-analyze verify')


def enable(destdir, unit):
    """`systemctl --root` enables the unit offline, as an image build would."""
    systemctl = shutil.which('systemctl')
    if not systemctl:
        print('NOTE: systemctl is not installed: enabling not checked')
        return
    wanted_by = sdtest.unit_value(sdtest.unit_settings(unit), 'Install', 'WantedBy')
    sdtest.run([systemctl, f'--root={destdir}', 'enable', os.path.basename(unit)])
    link = os.path.join(destdir, 'etc/systemd/system', wanted_by + '.wants',
                        os.path.basename(unit))
    if not os.path.islink(link):
        sdtest.fail(f'systemctl enable made no {link}')
    print(f'ok enabled: {os.path.relpath(link, destdir)} -> {os.readlink(link)}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--meson', default='')
    ap.add_argument('--builddir', required=True)
    ap.add_argument('--prefix', required=True)
    ap.add_argument('--sbindir', required=True)
    ap.add_argument('--sysconfdir', required=True)
    ap.add_argument('--mandir', required=True)
    ap.add_argument('--expect', action='append', default=[])
    args = ap.parse_args()
    sdtest.require_tool('systemd-analyze')

    destdir = sdtest.install_tree(args.meson, args.builddir)
    try:
        expected = check_files(destdir, args)
        check_dbus_files(destdir, expected, 'gunyahd.service')
        unit = sdtest.in_tree(destdir, expected['gunyahd.service'])
        mode = os.stat(unit).st_mode
        if stat.S_IMODE(mode) & 0o022:
            sdtest.fail(f'{unit} is writable by group or others')
        supply_os_parts(destdir, unit, args.prefix)
        verify(destdir, unit, args.mandir)
        enable(destdir, unit)
    finally:
        shutil.rmtree(destdir, ignore_errors=True)
    print('PASS')


if __name__ == '__main__':
    main()
