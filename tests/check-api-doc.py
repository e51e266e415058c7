#!/usr/bin/env python3
# docs/api.md, the XML contract in dbus/, the sd-bus vtables and the
# error names in include/gunyah/dbus-names.h must describe the same API,
# in both directions.
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

top = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
problems = []


def xml_api(path):
    api = {}
    for iface in ET.parse(path).getroot().findall("interface"):
        members = {}
        for m in iface.findall("method"):
            ins = [(a.get("type"), a.get("name")) for a in m.findall("arg") if a.get("direction", "in") == "in"]
            outs = "".join(a.get("type") for a in m.findall("arg") if a.get("direction") == "out")
            members[("method", m.get("name"))] = (outs, ins)
        for s in iface.findall("signal"):
            members[("signal", s.get("name"))] = ("", [(a.get("type"), a.get("name")) for a in s.findall("arg")])
        for p in iface.findall("property"):
            members[("property", p.get("name"))] = (p.get("type"), [])
        api[iface.get("name")] = members
    return api


def doc_api(path):
    api, iface, kind = {}, None, None
    errors_by_member, current = {}, None
    for line in path.read_text().splitlines():
        if m := re.match(r"^## (org\.gunyah\.\w+)\s*$", line):
            iface = m.group(1)
            api[iface] = {}
            continue
        if m := re.match(r"^### (Methods|Signals|Properties)\s*$", line):
            kind = {"Methods": "method", "Signals": "signal", "Properties": "property"}[m.group(1)]
            continue
        if not iface:
            continue
        if m := re.match(r"^#### `(.*)`", line):
            sig = m.group(1)
            if kind == "property":
                t, name = sig.split(" ")
                api[iface][("property", name)] = (t, [])
            else:
                mm = re.match(r"^(?:(\S+) )?(\w+)\((.*)\)$", sig)
                if not mm:
                    problems.append(f"docs/api.md: cannot read '{sig}'")
                    continue
                outs, name, args = mm.group(1) or "", mm.group(2), mm.group(3)
                ins = [tuple(a.strip().split(" ")) for a in args.split(",") if a.strip()]
                api[iface][(kind, name)] = (outs, ins)
                current = (iface, name)
                errors_by_member[current] = None
            continue
        if line.startswith("Possible errors") and current:
            errors_by_member[current] = []
        elif (m := re.match(r"^- `([\w.]+)`", line)) and current and errors_by_member.get(current) is not None:
            errors_by_member[current].append(m.group(1))
    return api, errors_by_member


def vtable_api(paths):
    names = set()
    for p in paths:
        text = p.read_text()
        for kind, macro in (("method", "SD_BUS_METHOD_WITH_ARGS"), ("signal", "SD_BUS_SIGNAL_WITH_ARGS"),
                            ("property", "SD_BUS_PROPERTY")):
            for m in re.finditer(macro + r'\("(\w+)"', text):
                names.add((kind, m.group(1)))
    return names


xml = {}
for f in sorted((top / "dbus").glob("org.gunyah.*.xml")):
    xml.update(xml_api(f))
docs, doc_errors = doc_api(top / "docs/api.md")
vt = vtable_api(sorted((top / "daemon" / "bus").glob("bus-*.c")))

for iface in sorted(set(xml) | set(docs)):
    x, d = xml.get(iface, {}), docs.get(iface, {})
    for key in sorted(set(x) | set(d)):
        if key not in d:
            problems.append(f"{iface}: {key[0]} {key[1]} is in the XML but not in docs/api.md")
        elif key not in x:
            problems.append(f"{iface}: {key[0]} {key[1]} is in docs/api.md but not in the XML")
        elif x[key] != d[key]:
            problems.append(f"{iface}: {key[0]} {key[1]}: XML says {x[key]}, docs/api.md says {d[key]}")

xml_members = {k for members in xml.values() for k in members}
for key in sorted(xml_members - vt):
    problems.append(f"{key[0]} {key[1]} is in the XML but in no vtable")
for key in sorted(vt - xml_members):
    problems.append(f"{key[0]} {key[1]} is in a vtable but not in the XML")

names_h = (top / "include/gunyah/dbus-names.h").read_text()
code_errors = set(re.findall(r'"(org\.gunyah\.Error\.\w+)"', names_h))
table = set(re.findall(r"^\| `(org\.[\w.]+)` \|", (top / "docs/api.md").read_text(), re.M))
for e in sorted(code_errors - table):
    problems.append(f"{e} is defined in dbus-names.h but not in the docs' error table")
for e in sorted(t for t in table - code_errors if t.startswith("org.gunyah.")):
    problems.append(f"{e} is in the docs' error table but not in dbus-names.h")
for (iface, name), errs in sorted(doc_errors.items()):
    kind = next((k for k, n in docs[iface] if n == name), None)
    if kind == "method" and errs is None:
        problems.append(f"{iface}.{name}: no 'Possible errors' in docs/api.md")
    for e in errs or []:
        if e not in table:
            problems.append(f"{iface}.{name}: error {e} is not in the docs' error table")

for p in problems:
    print(p)
print(f"{len(problems)} problem(s)")
sys.exit(1 if problems else 0)
