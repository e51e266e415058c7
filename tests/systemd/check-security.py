#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""systemd-analyze security --offline=yes on the built gunyahd.service.

Asserts that the overall exposure is at most MAX_EXPOSURE and that the
settings the integration relies on are reported as effective. The full table
is printed on failure (and always, for the log).

Usage: check-security.py UNIT
"""

import re
import sys

import sdtest

MAX_EXPOSURE = 2.5

# Settings that must show as effective (✓) in the table. Each is a promise of
# docs/integration.md; losing one silently would weaken the sandbox.
REQUIRED = [
    'User=/DynamicUser=',
    'NoNewPrivileges=',
    'CapabilityBoundingSet=~CAP_SYS_ADMIN',
    'CapabilityBoundingSet=~CAP_IPC_LOCK',
    'AmbientCapabilities=',
    'ProtectSystem=',
    'ProtectHome=',
    'PrivateTmp=',
    'PrivateNetwork=',
    'ProtectKernelTunables=',
    'ProtectKernelModules=',
    'ProtectKernelLogs=',
    'ProtectControlGroups=',
    'ProtectClock=',
    'ProtectHostname=',
    'ProtectProc=',
    'ProcSubset=',
    'RestrictNamespaces=~user',
    'RestrictRealtime=',
    'RestrictSUIDSGID=',
    'LockPersonality=',
    'MemoryDenyWriteExecute=',
    'SystemCallArchitectures=',
    'SystemCallFilter=~@privileged',
    'SystemCallFilter=~@resources',
    'RestrictAddressFamilies=~AF_(INET|INET6)',
    'RestrictAddressFamilies=~AF_NETLINK',
    'UMask=',
]


def main():
    if len(sys.argv) != 2:
        sdtest.fail('usage: check-security.py UNIT')
    unit = sys.argv[1]
    analyze = sdtest.require_tool('systemd-analyze')

    # --offline=yes: judge the file alone, without a running manager.
    p = sdtest.run([analyze, 'security', '--offline=yes', '--no-pager', unit], check=False)
    table = p.stdout + p.stderr
    print(table)

    m = re.search(r'Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)', table)
    if not m:
        sdtest.fail(f'no overall exposure in the output (exit status {p.returncode})')
    exposure = float(m.group(1))
    if exposure > MAX_EXPOSURE:
        sdtest.fail(f'exposure {exposure} > {MAX_EXPOSURE}')

    # Rows look like "✓ NAME   description" or "✗ NAME   description   0.1".
    rows = {}
    for line in table.splitlines():
        m = re.match(r'^\s*([✓✗])\s+(\S+)\s', line)
        if m:
            rows[m.group(2)] = m.group(1)
    missing = [name for name in REQUIRED if rows.get(name) != '✓']
    if missing:
        sdtest.fail('not effective: ' + ', '.join(
            f'{n} ({"absent" if n not in rows else "exposed"})'
            for n in missing))

    print(f'PASS: exposure {exposure} <= {MAX_EXPOSURE}, '
          f'{len(REQUIRED)} required settings effective')


if __name__ == '__main__':
    main()
