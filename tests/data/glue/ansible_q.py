"""ansible_q.py FILE EXPR - check what Ansible's json stdout callback printed.

FILE holds the callback's output (one JSON document, playbook or ad hoc);
EXPR is a Python expression that must be true.  It sees:
  d          the whole document
  stats      the PLAY RECAP figures of the host (changed, failures, ok, ...)
  task(s)    the host's result of the last task whose name contains s
  tasks      [(task name, the host's result), ...] in order
The host is localhost, or $ANSIBLE_Q_HOST when set.
  load(p)    a JSON file
Exit 0 when EXPR holds; else 1, printing why and the tasks' results.
"""

import json
import os
import sys

path, expr = sys.argv[1], sys.argv[2]
wanted = os.environ.get("ANSIBLE_Q_HOST", "localhost")
with open(path, encoding="utf-8", errors="replace") as f:
    text = f.read()
try:
    d = json.loads(text)
except ValueError as exc:
    print("    not one JSON document ({}): {}".format(exc, text.strip()[:800]))
    sys.exit(1)

tasks = []
for play in d.get("plays", []):
    for t in play.get("tasks", []):
        for host, result in t.get("hosts", {}).items():
            if host == wanted:
                tasks.append((t["task"]["name"], result))


def task(name):
    found = [r for n, r in tasks if name in n]
    if not found:
        raise KeyError("no task named like {!r} in {}".format(name, [n for n, _ in tasks]))
    return found[-1]


def load(p):
    with open(p) as fh:
        return json.load(fh)


stats = d.get("stats", {}).get(wanted, {})
scope = {"d": d, "stats": stats, "task": task, "tasks": tasks, "load": load, "json": json}
try:
    ok = bool(eval(expr, scope))  # noqa: S307 - the test's own expressions
    why = "false"
except Exception as exc:  # noqa: BLE001
    ok, why = False, "{}: {}".format(type(exc).__name__, exc)
if not ok:
    print("    {} :: stats {}".format(why, stats))
    for name, result in tasks:
        brief = {k: result.get(k) for k in ("changed", "failed", "skipped", "msg") if k in result}
        print("    - {}: {}".format(name, json.dumps(brief)[:400]))
    sys.exit(1)
