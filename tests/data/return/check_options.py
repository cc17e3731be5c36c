"""check_options.py - the options the Ansible modules document
(plugin/ansible/ctune.yml, ctune_facts.yml DOCUMENTATION) and the ones the
Salt glue passes (plugin/salt/_modules/ctune.py, _states/ctune.py) against
what ctune's request takes, without Ansible or Salt installed:

 1. schemas/request.json: every option of the request is documented for the
    ctune module unless it is one Ansible cannot use (NOT_FOR_ANSIBLE, each
    with its reason, each really refused by ctune under Ansible, or a plain
    spelling of Ansible's own switches), and every documented option is in
    the schema; the documented type, choices and default agree with it;
 2. the executable (plugin/request.c): every documented option and alias is
    a key ctune knows (a value of the wrong type draws that option's own
    error, not "unknown option"), under either module name;
 3. ctune_facts documents exactly the facts options (FACTS), as ctune does,
    and every option ctune describes as "With I(verb=facts)" is one of them;
 4. Salt: ctune.facts takes the facts options, ctune.remove and the states
    take the options of set (the request's, minus facts-only ones, the
    name/value form and what the functions themselves decide).

Usage: python3 check_options.py TOP CTUNE.  Prints ok/FAIL lines and
"N passed, M failed"; exit 1 when something failed.
"""

import importlib.util
import json
import os
import subprocess
import sys

import yaml

TOP, CTUNE = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + ("\n     " + str(detail) if detail != "" else ""))


def doc(name):
    with open(os.path.join(TOP, "plugin", "ansible", name + ".yml")) as f:
        return yaml.safe_load(f)["DOCUMENTATION"]


def ask(request):
    """ctune's JSON response to a request (a dict)."""
    out = subprocess.run([CTUNE], input=json.dumps(request), capture_output=True, text=True, check=False)
    try:
        return json.loads(out.stdout)
    except ValueError:
        return {"failed": True, "msg": "no JSON: " + out.stdout[:200] + out.stderr[:200]}


with open(os.path.join(TOP, "schemas", "request.json")) as f:
    schema = json.load(f)
props = schema["properties"]
tunables = json.loads(subprocess.run([CTUNE, "tunables"], capture_output=True, text=True, check=True).stdout)

# Keys of the request that no Ansible task should carry, and why; ctune
# refuses each under Ansible (the value that makes it refuse is given),
# except the plain spellings of Ansible's own --check and --diff.
NOT_FOR_ANSIBLE = {
    # reason, a value ctune refuses under Ansible (None: accepted, no use)
    "format": ("the human and Prometheus faces; Ansible reads JSON", "prometheus"),
    "per_cpu": ("the Prometheus face's per-CPU series; the JSON facts always hold stats.per_cpu", True),
    "interval": ("ctune watch's; watch prints until stopped, not one JSON object", "1s"),
    "samples": ("ctune watch's (the command line's --count)", 3),
    "check_mode": ("Ansible's --check reaches the module as _ansible_check_mode", None),
    "diff": ("Ansible's --diff reaches the module as _ansible_diff", None),
}
# The options of facts (ctune_facts's, Salt's ctune.facts).
FACTS = {"root", "scheme", "table", "top", "source", "log_events", "advice", "boot", "netns"}
FACTS_ONLY = FACTS - {"root", "scheme"}
# ansible.posix.sysctl's form (one key), and what Salt's functions decide
# themselves (verb, state: ctune.set/ctune.remove, tuned/absent).
SYSCTL_FORM = {"name", "value", "sysctl_file", "reload", "sysctl_set", "ignoreerrors"}
SALT_DECIDES = {"verb", "state"}

ctune_doc, facts_doc = doc("ctune"), doc("ctune_facts")
opts, facts_opts = ctune_doc["options"], facts_doc["options"]
request_opts = {k for k in props if not k.startswith("_ansible_")}
wanted = request_opts - set(NOT_FOR_ANSIBLE)
check(set(opts) == wanted, "ctune documents the request's options (schemas/request.json)",
      "documented only {}, undocumented {}".format(sorted(set(opts) - wanted), sorted(wanted - set(opts))))
check(set(NOT_FOR_ANSIBLE) <= request_opts, "the options kept from Ansible are request options",
      sorted(set(NOT_FOR_ANSIBLE) - request_opts))
settable = {n for n, t in tunables.items() if not t["read_only"]}
check(settable <= set(opts), "every settable tunable is an option of ctune", sorted(settable - set(opts)))

# Why each is kept out, said to the user (DOCUMENTATION notes), and refused.
notes = " ".join(ctune_doc.get("notes") or [])
for key, (why, refused) in sorted(NOT_FOR_ANSIBLE.items()):
    if refused is None:
        continue
    check("C({})".format(key) in notes, "ctune's notes say why {} is not an option ({})".format(key, why))
    res = ask({"_ansible_module_name": "ctune", "_ansible_check_mode": True, key: refused})
    msg = res.get("msg", "")
    check(res.get("failed") is True and (key in msg or "watch" in msg),
          "ctune refuses {} under Ansible".format(key), msg)
res = ask({"_ansible_module_name": "ctune", "verb": "watch"})
check(res.get("failed") is True and "watch" in res.get("msg", "") and "Ansible" in res.get("msg", ""),
      "ctune refuses verb watch under Ansible, saying why", res.get("msg"))
check("C(ctune watch)" in notes and "C(ctune report)" in notes, "ctune's notes say where watch and report belong")


def schema_types(node):
    """The JSON types a schema property admits (None: any)."""
    if "enum" in node:
        return {"string"}
    if "oneOf" in node:
        out = set()
        for alt in node["oneOf"]:
            out |= schema_types(alt) or set()
        return out
    t = node.get("type")
    if t is None:
        return None
    return set(t) if isinstance(t, list) else {t}


ANSIBLE_TYPE = {"bool": "boolean", "int": "integer", "str": "string", "path": "string"}
for module, options in (("ctune", opts), ("ctune_facts", facts_opts)):
    for key, o in sorted(options.items()):
        node = props.get(key, {})
        t = o.get("type", "str")
        types = schema_types(node)
        if t != "raw" and types is not None:
            check(ANSIBLE_TYPE.get(t) in types, "{} {}: type {} is one the schema takes".format(module, key, t),
                  sorted(types))
        if "choices" in o:
            check(set(o["choices"]) <= set(node.get("enum", [])),
                  "{} {}: choices within the schema's enum".format(module, key), (o["choices"], node.get("enum")))
        if "default" in o and "choices" in o:
            check(o["default"] in o["choices"], "{} {}: default is a choice".format(module, key))
        if key in ("top",):
            check(node.get("minimum", 0) <= o.get("default", 0) <= node.get("maximum", 0),
                  "{} {}: default within the schema's range".format(module, key))
        # The executable knows the key (and its aliases): a value of the
        # wrong type (a list, which no option takes) is refused by its name.
        for name in [key] + list(o.get("aliases") or []):
            res = ask({"_ansible_module_name": module, "_ansible_check_mode": True, name: [1]})
            msg = res.get("msg", "")
            check(res.get("failed") is True and "unknown" not in msg and (name in msg or key in msg),
                  "{} knows {}".format(module, name), msg)

# ctune_facts: the facts options, as ctune documents them.
check(set(facts_opts) == FACTS, "ctune_facts documents the facts options",
      "documented only {}, undocumented {}".format(sorted(set(facts_opts) - FACTS), sorted(FACTS - set(facts_opts))))
for key in sorted(set(facts_opts) & set(opts)):
    same = {k: facts_opts[key].get(k) for k in ("type", "default", "choices")} == {
        k: opts[key].get(k) for k in ("type", "default", "choices")}
    check(same, "ctune_facts {}: the type, default and choices ctune documents".format(key))
said_facts = {k for k, o in opts.items() if " ".join(o.get("description") or []).startswith("With I(verb=facts)")}
check(said_facts == FACTS_ONLY, "ctune's options \"With I(verb=facts)\" are the facts-only ones",
      "said {}, facts-only {}".format(sorted(said_facts), sorted(FACTS_ONLY)))


# ------------------------------------------------------------------- Salt
def load(kind):
    spec = importlib.util.spec_from_file_location("ctune_" + kind, os.path.join(TOP, "plugin", "salt", kind, "ctune.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SET = set(opts) - set(tunables) - FACTS_ONLY - SYSCTL_FORM - SALT_DECIDES
ex, st = load("_modules"), load("_states")
check(set(ex._FACTS_OPTIONS) == FACTS, "Salt ctune.facts takes the facts options",
      "extra {}, missing {}".format(sorted(set(ex._FACTS_OPTIONS) - FACTS), sorted(FACTS - set(ex._FACTS_OPTIONS))))
check(set(ex._SET_OPTIONS) == SET, "Salt ctune.remove takes set's options",
      "extra {}, missing {}".format(sorted(set(ex._SET_OPTIONS) - SET), sorted(SET - set(ex._SET_OPTIONS))))
check(set(st._OPTIONS) == SET, "Salt states take set's options",
      "extra {}, missing {}".format(sorted(set(st._OPTIONS) - SET), sorted(SET - set(st._OPTIONS))))
for fn, names in (("facts", FACTS), ("set_", SET)):
    text = getattr(ex, fn).__doc__ or ""
    line = next((ln for ln in text.splitlines() if ln.strip().startswith("Options:")), "")
    said = {w.strip().split(" ")[0].strip(".,") for w in line.split(":", 1)[-1].split(",") if w.strip()}
    check(said == names, "Salt ctune.{} says its options".format(fn.rstrip("_")),
          "said {}, takes {}".format(sorted(said), sorted(names)))

print("{} passed, {} failed".format(passed, failed))
sys.exit(1 if failed else 0)
