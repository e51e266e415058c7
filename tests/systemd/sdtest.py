# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the tests of the systemd/D-Bus integration (suite 'systemd').

Exit codes follow meson's 'exitcode' protocol: 0 pass, 77 skip, anything else
fails. A test skips only when a tool it needs is not installed.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def skip(why):
    print(f'SKIP: {why}')
    sys.exit(SKIP)


def fail(why):
    print(f'FAIL: {why}')
    sys.exit(1)


def require_tool(name):
    path = shutil.which(name)
    if not path:
        skip(f'{name} is not installed')
    return path


def run(argv, check=True, **kwargs):
    """Runs argv, echoing it; returns the CompletedProcess (text mode)."""
    print('$ ' + ' '.join(argv), flush=True)
    p = subprocess.run(argv, text=True, capture_output=True, **kwargs)
    if check and p.returncode != 0:
        fail(f'{argv[0]} exited with {p.returncode}\n'
             f'--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}')
    return p


def install_tree(meson, builddir):
    """`meson install --destdir` into a fresh temporary directory; returns it."""
    if not meson:
        skip('meson is not installed')
    destdir = tempfile.mkdtemp(prefix='gunyahd-destdir-')
    run([meson, 'install', '-C', builddir, '--no-rebuild', '--quiet', '--destdir', destdir])
    return destdir


def in_tree(root, path):
    """root + an absolute path inside it."""
    return os.path.join(root, path.lstrip('/'))


def unit_settings(path):
    """The [section] key=value pairs of a unit file, as {(section, key): [values]}."""
    settings = {}
    section = None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in '#;':
                continue
            m = re.fullmatch(r'\[(.+)\]', line)
            if m:
                section = m.group(1)
                continue
            key, _, value = line.partition('=')
            settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


def unit_value(settings, section, key):
    values = settings.get((section, key))
    if not values:
        fail(f'[{section}] {key}= is not set')
    return values[-1]
