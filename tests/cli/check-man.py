#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages against what they describe, both ways.

- gunyahctl.1.scd: the commands, options and exit statuses of
  `gunyahctl --help`;
- gunyahd.8.scd: the options of `gunyahd --help`, and the gunyahd.yaml keys
  of docs/yaml.md section 4 (CONFIGURATION);
- gunyah-vm.yaml.5.scd: every key in the tables of docs/yaml.md section 2
  (KEYS), with the same type, and the same default where docs/yaml.md's
  default starts with a value in backquotes or is **required**.

Usage: check-man.py GUNYAHCTL GUNYAHD SOURCE_ROOT
"""
import re
import subprocess
import sys
from pathlib import Path

OPTION_RE = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
# scdoc: a definition's term at column 0, e.g. "*--timeout* _SECONDS_".
TERM_RE = re.compile(r"^\*([^*]+)\*")
# "*memory.size* (size, required)", "*limits* (mapping)"
KEY_TERM_RE = re.compile(r"^\*([a-z][a-z0-9.\-\[\]]*)\* \(([^,)]+)(?:, (.*))?\)$")

errors = []


def fail(msg):
    errors.append(msg)


def run_help(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True)
    return out.stdout


def help_sections(text):
    """Lines of each 'Title:' section of a help text; '' holds the rest."""
    sections = {"": []}
    current = ""
    for line in text.splitlines():
        if re.match(r"^[A-Z][\w ]*:$", line):
            current = line[:-1]
            sections[current] = []
        elif line.strip():
            sections[current].append(line)
    return sections


def help_options(lines):
    """Options named in the option column (before the description)."""
    found = set()
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("-"):
            continue
        column = re.split(r"\s{2,}", stripped)[0]
        found.update(OPTION_RE.findall(column))
    return found


def scd_sections(path):
    """Lines of each '# TITLE' section of a scdoc page."""
    sections = {}
    current = None
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def scd_term_lines(lines):
    """Terms of definition lists: a '*...' line after a blank line, then a tab."""
    return [line for i, line in enumerate(lines)
            if TERM_RE.match(line) and (i == 0 or not lines[i - 1].strip())
            and i + 1 < len(lines) and lines[i + 1].startswith("\t")]


def scd_terms(lines):
    return [TERM_RE.match(line).group(0) for line in scd_term_lines(lines)]


def scd_options(lines):
    found = set()
    for line in scd_term_lines(lines):
        found.update(re.findall(r"\*(--?[A-Za-z][\w-]*)\*", line))
    return found


def compare(what, in_help, in_man, help_name, man_name):
    for x in sorted(in_help - in_man):
        fail(f"{man_name}: {what} '{x}' from {help_name} is not documented")
    for x in sorted(in_man - in_help):
        fail(f"{man_name}: {what} '{x}' is documented but not in {help_name}")
    if not in_help:
        fail(f"{help_name}: no {what}s found (has the format changed?)")


def check_gunyahctl(binary, man):
    sections = help_sections(run_help(binary))
    page = scd_sections(man)
    for name in ("Commands", "Options", "Exit status"):
        if name not in sections:
            fail(f"gunyahctl --help: no '{name}:' section")
    for name in ("COMMANDS", "OPTIONS", "EXIT STATUS"):
        if name not in page:
            fail(f"{man.name}: no '# {name}' section")
    if errors:
        return

    help_cmds = {l.split()[0] for l in sections["Commands"] if re.match(r"^  [a-z]", l)}
    man_cmds = {re.match(r"^\*([a-z][\w-]*)\*", t).group(1)
                for t in scd_terms(page["COMMANDS"]) if re.match(r"^\*[a-z]", t)}
    compare("command", help_cmds, man_cmds, "gunyahctl --help", man.name)

    compare("option", help_options(sections["Options"]), scd_options(page["OPTIONS"]),
            "gunyahctl --help", man.name)

    help_exits = {m.group(1) for m in (re.match(r"^\s+(\d+)\s", l)
                                       for l in sections["Exit status"]) if m}
    man_exits = {m.group(1) for m in (re.match(r"^\*(\d+)\*$", l)
                                      for l in scd_term_lines(page["EXIT STATUS"])) if m}
    compare("exit status", help_exits, man_exits, "gunyahctl --help", man.name)


def check_gunyahd_options(binary, man):
    page = scd_sections(man)
    if "OPTIONS" not in page:
        fail(f"{man.name}: no '# OPTIONS' section")
        return
    compare("option", help_options(help_sections(run_help(binary))[""]),
            scd_options(page["OPTIONS"]), "gunyahd --help", man.name)


def yaml_md_keys(path, section):
    """{key path: (type, default cell)} of the tables in '## <section>.'."""
    keys = {}
    in_section = False
    prefix = None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            in_section = line.startswith(f"## {section}.")
            prefix = None
            continue
        if not in_section:
            continue
        if line.startswith("### "):
            m = re.match(r"^### `([^`]+)`", line)
            prefix = m.group(1) if m else ("" if line.strip() == "### Top level" else None)
            continue
        m = re.match(r"^\| `([^`]+)` \|([^|]*)\|([^|]*)\|", line)
        if m and prefix is not None:
            key = f"{prefix}.{m.group(1)}" if prefix else m.group(1)
            keys[key] = (m.group(2).strip(), m.group(3).strip())
    return keys


def man_keys(man, section):
    page = scd_sections(man)
    if section not in page:
        fail(f"{man.name}: no '# {section}' section")
        return {}
    keys = {}
    for line in scd_term_lines(page[section]):
        m = KEY_TERM_RE.match(line)
        if not m:
            fail(f"{man.name}: '{line}' is not '*key* (type[, default ...])'")
            continue
        keys[m.group(1).replace("[]", "")] = (m.group(2), m.group(3) or "")
    return keys


def check_keys(yaml_md, section, man, man_section):
    documented = yaml_md_keys(yaml_md, section)
    described = man_keys(man, man_section)
    compare("key", set(documented), set(described), f"docs/yaml.md section {section}",
            man.name)
    for key in sorted(set(documented) & set(described)):
        md_type, md_default = documented[key]
        man_type, man_rest = described[key]
        if man_type != md_type:
            fail(f"{man.name}: {key} has type '{man_type}', docs/yaml.md says '{md_type}'")
        if md_default == "**required**":
            if man_rest != "required":
                fail(f"{man.name}: {key} is required (docs/yaml.md), not '{man_rest}'")
            continue
        literal = re.match(r"`([^`]+)`", md_default)
        if literal and not re.match(rf"default {re.escape(literal.group(1))}(,|$)", man_rest):
            fail(f"{man.name}: {key} defaults to '{literal.group(1)}' (docs/yaml.md), "
                 f"the page says '{man_rest}'")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    gunyahctl, gunyahd, root = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    man = root / "docs" / "man"
    yaml_md = root / "docs" / "yaml.md"

    check_gunyahctl(gunyahctl, man / "gunyahctl.1.scd")
    check_gunyahd_options(gunyahd, man / "gunyahd.8.scd")
    check_keys(yaml_md, 2, man / "gunyah-vm.yaml.5.scd", "KEYS")
    check_keys(yaml_md, 4, man / "gunyahd.8.scd", "CONFIGURATION")

    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print("man pages match gunyahctl --help, gunyahd --help and docs/yaml.md")


if __name__ == "__main__":
    main()
