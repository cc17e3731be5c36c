"""check_return.py - the Ansible RETURN documentation of plugin/ansible/*.yml
against what ctune really returns, three ways:

 1. schemas/response.json (which every test output is validated against, with
    additionalProperties false): every top-level key of a branch the module
    can answer is documented in its RETURN (Ansible's own common keys aside),
    and every documented key exists in the schema; for a RETURN key with
    ``contains``, the same between its sub-keys and the schema's;
 2. the C source: every key plugin/response.c and plugin/main.c set on a
    response object (json_object_set*/ctune_json_set on it, in the functions
    that build the responses) is in the schema and documented;
 3. real responses: every key of examples/json/*.response.json is documented.

Usage: python3 check_return.py TOP.  Prints ok/FAIL lines and "N passed, M failed";
exit 1 when something failed.
"""

import glob
import json
import os
import re
import sys

import yaml

TOP = sys.argv[1]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)


def load_yaml(name):
    with open(os.path.join(TOP, "plugin", "ansible", name)) as f:
        return yaml.safe_load(f)["RETURN"]


with open(os.path.join(TOP, "schemas", "response.json")) as f:
    schema = json.load(f)
branches = {}
for b in schema["oneOf"]:
    props = b.get("properties") or {}
    if "ansible_facts" in props:
        branches["facts"] = props
    elif props.get("failed", {}).get("const") is True:
        branches["failure"] = props
    elif "tunables" in props:
        branches["set"] = props
check(set(branches) == {"facts", "failure", "set"},
      "schemas/response.json: the facts, set and failure branches found ({})".format(sorted(branches)))

# Ansible's common return values, documented by Ansible for every module.
COMMON = {"changed", "failed"}
modules = {
    # module: (RETURN, the branches it can answer, keys that need no entry)
    "ctune": (load_yaml("ctune.yml"), ("set", "facts", "failure"), COMMON),
    "ctune_facts": (load_yaml("ctune_facts.yml"), ("facts", "failure"), COMMON | {"msg"}),
}


def sub_properties(node):
    """The properties of an object schema, of the items of an array one, or
    of the values of a map (tunables: additionalProperties)."""
    if not isinstance(node, dict):
        return None
    if "properties" in node:
        return node["properties"]
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict) and "properties" in node[key]:
            return node[key]["properties"]
    return None


for module, (ret, names, exempt) in modules.items():
    keys = set()
    for n in names:
        keys |= set(branches.get(n, {}))
    documented = set(ret)
    missing = sorted(keys - documented - exempt)
    check(not missing, "{}: every key the module returns is in RETURN{}".format(
        module, "" if not missing else " - missing: " + ", ".join(missing)))
    stale = sorted(documented - keys)
    check(not stale, "{}: every RETURN key exists in schemas/response.json{}".format(
        module, "" if not stale else " - not returned: " + ", ".join(stale)))
    for key, doc in sorted(ret.items()):
        if not isinstance(doc, dict) or "contains" not in doc or key == "ansible_facts":
            continue
        node = None
        for n in names:
            node = node or sub_properties(branches.get(n, {}).get(key))
        if node is None:
            check(False, "{}: RETURN {} has contains, the schema no sub-keys".format(module, key))
            continue
        have, want = set(doc["contains"]), set(node)
        check(have == want, "{}: RETURN {}.contains matches the schema{}".format(
            module, key, "" if have == want else " - undocumented: {}, not returned: {}".format(
                sorted(want - have), sorted(have - want))))


# 2. The C source.
def function_body(text, signature):
    start = text.find(signature)
    if start < 0:
        return None
    brace = text.find("{", start)
    end = text.find("\n}\n", brace)
    return text[brace:end]


SET = re.compile(r'(?:json_object_set(?:_new)?|ctune_json_set)\(\s*(\w+)\s*,\s*"(\w+)"')


def keys_set(body, var):
    return {k for v, k in SET.findall(body or "") if v == var}


with open(os.path.join(TOP, "plugin", "response.c")) as f:
    response_c = f.read()
with open(os.path.join(TOP, "plugin", "main.c")) as f:
    main_c = f.read()
plan = function_body(response_c, "json_t *ctune_plan_to_json(")
error = function_body(response_c, "json_t *ctune_error_response(")
item = function_body(response_c, "static json_t *item_to_json(")
check(plan is not None and error is not None and item is not None,
      "plugin/response.c: ctune_plan_to_json, ctune_error_response and item_to_json found")
# main.c: the function that wraps the facts under ansible_facts.
facts_fn = None
for m in re.finditer(r'\n(?:static )?[\w *]+\(([^)]*)\)\n\{', main_c):
    body = main_c[m.end():main_c.find("\n}\n", m.end())]
    if '"ansible_facts"' in body:
        facts_fn = body
        break
check(facts_fn is not None, "plugin/main.c: the function that builds the facts response found")

from_c = {
    "set": keys_set(plan, "j"),
    "failure": keys_set(error, "o"),
    "facts": keys_set(facts_fn, "o"),
}
for branch, keys in sorted(from_c.items()):
    check(bool(keys), "the C code of the {} response sets keys ({})".format(branch, ", ".join(sorted(keys))))
    extra = sorted(keys - set(branches.get(branch, {})))
    check(not extra, "{}: every key the C code sets is in the schema{}".format(
        branch, "" if not extra else " - not in the schema: " + ", ".join(extra)))
ctune_ret = modules["ctune"][0]
undoc = sorted((from_c["set"] | from_c["failure"] | from_c["facts"]) - set(ctune_ret) - COMMON)
check(not undoc, "ctune: every key the C code sets is in RETURN{}".format(
    "" if not undoc else " - missing: " + ", ".join(undoc)))
item_keys = keys_set(item, "j")
have = set(ctune_ret["tunables"]["contains"])
check(item_keys <= have, "ctune: every per-tunable key item_to_json sets is in RETURN tunables.contains{}".format(
    "" if item_keys <= have else " - missing: " + ", ".join(sorted(item_keys - have))))
ml = keys_set(plan, "m")
have = set(ctune_ret.get("module_load", {}).get("contains", {}))
check(ml and ml <= have, "ctune: every module_load key is in RETURN module_load.contains ({})".format(", ".join(sorted(ml))))

# 3. Real responses.
for path in sorted(glob.glob(os.path.join(TOP, "examples", "json", "*.response.json"))):
    with open(path) as f:
        doc = json.load(f)
    undoc = sorted(set(doc) - set(ctune_ret) - COMMON)
    check(not undoc, "{}: every key documented{}".format(
        os.path.basename(path), "" if not undoc else " - missing: " + ", ".join(undoc)))

print("{} passed, {} failed".format(passed, failed))
sys.exit(1 if failed else 0)
