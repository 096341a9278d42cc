#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The manual page and the documents' tables against the module's own
# tables, so that none of them can drift (part of `make check`):
#
#   - every knob of module/knob_table.h, with its range and default, is in
#     tcp_teardown(7) (KNOBS), README's knob table and the admin guide's
#     table, and those list no other knob;
#   - every counter of module/counter_table.h is in tcp_teardown(7)
#     (COUNTERS) and in its policy's document (hd_* half-duplex-close.rst,
#     tw_* time-wait.rst, fw2_* fin-wait2.rst, close_calls admin-guide.rst),
#     and those list no other counter;
#   - if the module has trace events (TRACE_EVENT(name, DEFINE_EVENT(class,
#     name, or a macro wrapping DEFINE_EVENT, in module/*trace*.h), each
#     one is in tcp_teardown(7) (TRACE EVENTS); without such a header the page lists none;
#   - mandoc -Tlint, man --warnings and lexgrog accept the page.
#
# Prints what is wrong; exits non-zero if anything is.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
page=$TOP/Documentation/tcp_teardown.7
st=0

python3 - "$TOP" <<'EOF' || st=1
import glob, re, sys

top = sys.argv[1]
errors = []


def read(path):
    with open(f"{top}/{path}") as f:
        return f.read()


def num(s):
    """A range bound as the tables write it: 1073741824 or 2^30."""
    m = re.fullmatch(r"(\d+)\^(\d+)", s)
    return int(m[1]) ** int(m[2]) if m else int(s)


def compare(what, where, want, have):
    for n in sorted(set(want) - set(have)):
        errors.append(f"{where}: {what} {n} missing")
    for n in sorted(set(have) - set(want)):
        errors.append(f"{where}: {what} {n} is not in the module's table")
    for n in sorted(set(want) & set(have)):
        if want[n] is not None and have[n] is not None and want[n] != have[n]:
            errors.append(f"{where}: {n} says range/default {have[n]}, "
                          f"the module {want[n]}")


def man_section(page, title):
    """Lines of one .SH section of the page (up to the next .SH)."""
    m = re.search(rf'^\.SH "?{title}"?\n(.*?)(?=^\.SH )', page, re.M | re.S)
    return m[1] if m else ""


knobs = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in re.finditer(
    r"^TT_KNOB\((\w+), (\d+), (\d+), (\d+)\)", read("module/knob_table.h"), re.M)}
counters = {m[1]: None for m in re.finditer(
    r"^TT_COUNTER\((\w+),", read("module/counter_table.h"), re.M)}
if not knobs or not counters:
    errors.append("no knobs or no counters found in module/*_table.h")

page = read("Documentation/tcp_teardown.7")

# Knobs.  The page: '.BR name " (min..max, default d)"' in KNOBS.
sec = man_section(page, "KNOBS")
have = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in re.finditer(
    r'^\.BR (\w+) " \((\d+)\.\.(\d+), default (\d+)\)"$', sec, re.M)}
compare("knob", "tcp_teardown(7) KNOBS", knobs, have)

# README: the table under "  knob  range  default  meaning", to a blank line.
readme = read("README")
m = re.search(r"^  knob +range +default +meaning\n(.*?)\n\n", readme, re.M | re.S)
rows = m[1] if m else ""
have = {r[1]: (num(r[2]), num(r[3]), num(r[4])) for r in re.finditer(
    r"^  (\w+) +(\d+(?:\^\d+)?)\.\.(\d+(?:\^\d+)?) +(\d+) ", rows, re.M)}
if not have:
    errors.append("README: no knob table found")
compare("knob", "README knob table", knobs, have)

# The admin guide: the table of its section "Table".
guide = read("Documentation/admin-guide.rst")
m = re.search(r"^Table\n-+\n(.*?)\n\n", guide, re.M | re.S)
rows = m[1] if m else ""
have = {r[1]: (num(r[2]), num(r[3]), num(r[4])) for r in re.finditer(
    r"^(\w+) +(\d+(?:\^\d+)?)\.\.(\d+(?:\^\d+)?) +(\d+) ", rows, re.M)}
if not have:
    errors.append("admin-guide.rst: no knob table found")
compare("knob", "admin-guide.rst Table", knobs, have)

# Counters.  The page: ".TP" then ".B name" in COUNTERS.
sec = man_section(page, "COUNTERS")
have = {m[1]: None for m in re.finditer(r"^\.TP\n\.B (\w+)$", sec, re.M)}
compare("counter", "tcp_teardown(7) COUNTERS", counters, have)

# Each policy document's "Counters" section: rows "``name``  text".
docs = {"hd_": "half-duplex-close.rst", "tw_": "time-wait.rst",
        "fw2_": "fin-wait2.rst"}
for prefix, doc in docs.items():
    text = read(f"Documentation/{doc}")
    m = re.search(r"^Counters\n=+\n(.*?)(?=^\S[^\n]*\n=+\n)", text, re.M | re.S)
    rows = m[1] if m else ""
    have = {r[1]: None for r in re.finditer(r"^``(\w+)`` {2,}", rows, re.M)}
    want = {n: None for n in counters if n.startswith(prefix)}
    compare("counter", f"{doc} Counters", want, have)
rest = [n for n in counters if not any(n.startswith(p) for p in docs)]
for n in rest:
    if f"``{n}``" not in guide:
        errors.append(f"admin-guide.rst: counter {n} missing")

# Trace events, if the module has any.
events = {}
for h in sorted(glob.glob(f"{top}/module/*trace*.h")):
    with open(h) as f:
        src = f.read()
    for m in re.finditer(r"\bTRACE_EVENT(?:_CONDITION)?\(\s*(\w+)", src):
        events[m[1]] = None
    # an event macro defined as DEFINE_EVENT(class, name, ...) stands for
    # DEFINE_EVENT at each use: its uses are the events, not "name"
    wrappers = set()
    for m in re.finditer(r"^#define (\w+)\(name\)\s*\\\n\s*DEFINE_EVENT\(", src, re.M):
        wrappers.add(m[1])
    for m in re.finditer(r"\bDEFINE_EVENT(?:_PRINT|_CONDITION)?\(\s*\w+\s*,\s*(\w+)", src):
        if not (m[1] == "name" and wrappers):
            events[m[1]] = None
    for w in wrappers:
        for m in re.finditer(rf"^{w}\((\w+)\);", src, re.M):
            events[m[1]] = None
sec = man_section(page, "TRACE EVENTS")
if not sec:
    errors.append("tcp_teardown(7): no TRACE EVENTS section")
have = {m[1]: None for m in re.finditer(r"^\.TP\n\.B (\w+)$", sec, re.M)}
compare("trace event", "tcp_teardown(7) TRACE EVENTS", events, have)

for e in errors:
    print(f"check-man: {e}")
print(f"check-man: {len(knobs)} knobs, {len(counters)} counters, "
      f"{len(events)} trace events checked, {len(errors)} problems")
sys.exit(1 if errors else 0)
EOF

# The page itself: mandoc's linter at its strictest, groff's warnings
# through man, and lexgrog (what mandb reads) must find its NAME.
if ! out=$(mandoc -Tlint -Wall "$page" 2>&1) || [ -n "$out" ]; then
	echo "check-man: mandoc -Tlint -Wall:"
	echo "$out"
	st=1
fi
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || st=1
if [ -n "$out" ]; then
	echo "check-man: man --warnings:"
	echo "$out"
	st=1
fi
lexgrog "$page" | grep -q ': "tcp_teardown - ' || {
	echo "check-man: lexgrog finds no NAME line"
	st=1
}
[ $st -eq 0 ] && echo "check-man: tcp_teardown(7) is clean"
exit $st
