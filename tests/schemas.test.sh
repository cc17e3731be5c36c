#!/usr/bin/env bash
# schemas.test.sh - the JSON Schemas in schemas/ are valid draft 2020-12,
# agree with the binary's table of tunables, and accept the real output of
# every test case the other shell tests ran (collected by ctune-logged).
set -u
top=$(cd "$CTUNE_TESTS/.." && pwd)
py=/usr/bin/python3
if ! $py -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: python3-jsonschema is not installed" >&2
	exit 77
fi
"$CTUNE" tunables >"$CTUNE_BUILD/tunables.json" || { echo "ctune tunables failed"; exit 1; }
exec $py - "$top/schemas" "$CTUNE_BUILD/tunables.json" "${CTUNE_OUTPUTS:-}" <<'PY'
import json, os, sys
from jsonschema import Draft202012Validator
from jsonschema.validators import RefResolver

schemas_dir, tunables_path, outputs = sys.argv[1], sys.argv[2], sys.argv[3]
passed = failed = 0
def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)

schemas = {}
for name in ("facts", "request", "response", "report"):
    with open(os.path.join(schemas_dir, name + ".json")) as f:
        schemas[name] = json.load(f)
    try:
        Draft202012Validator.check_schema(schemas[name])
        check(True, name)
    except Exception as e:
        check(False, f"{name}.json is not a valid schema: {e}")
store = {s["$id"]: s for s in schemas.values()}
resolver = RefResolver(base_uri=schemas["response"]["$id"], referrer=schemas["response"], store=store)
validators = {n: Draft202012Validator(s, resolver=resolver) for n, s in schemas.items()}

tunables = json.load(open(tunables_path))
names = set(tunables)
settable = {n for n, t in tunables.items() if not t["read_only"]}
check(set(schemas["facts"]["properties"]["tunables"]["propertyNames"]["enum"]) == names,
      "facts.json tunable names differ from `ctune tunables`")
req_names = {k for k in schemas["request"]["properties"] if k in names}
check(req_names == settable, f"request.json tunables differ: {sorted(req_names ^ settable)}")
resp_names = set(schemas["response"]["oneOf"][2]["properties"]["tunables"]["propertyNames"]["enum"])
check(resp_names == settable, "response.json tunable names differ from the settable ones")

# Examples of requests the protocol accepts and refuses.
good = [{"verb": "facts", "table": True}, {"max": 1210856, "tcp_timeout_established": "12h"},
        {"max": "1210856", "_ansible_check_mode": True, "_ansible_diff": False, "_ansible_new_key": 1},
        {"udp_timeout": None, "state": "absent", "file": "/etc/sysctl.d/90-conntrack.conf"}]
bad = [{"bogus": 1}, {"file": "/etc/passwd"}, {"state": "gone"}, {"max": 1.5}]
for r in good:
    errs = list(validators["request"].iter_errors(r))
    check(not errs, f"request {r} refused: {[e.message for e in errs]}")
for r in bad:
    check(list(validators["request"].iter_errors(r)) != [], f"request {r} accepted")

seen = 0
if outputs and os.path.isdir(outputs):
    for fn in sorted(os.listdir(outputs)):
        text = open(os.path.join(outputs, fn), encoding="utf-8", errors="replace").read().strip()
        if not text.startswith("{"):
            continue  # --help, --version
        try:
            doc = json.loads(text)
        except ValueError as e:
            check(False, f"{fn}: stdout is not one JSON document: {e}")
            continue
        kind = "report" if "fleet" in doc else "facts" if "ctune_version" in doc else "response"
        if kind == "response" and "failed" not in doc:
            continue  # `ctune tunables`
        errs = list(validators[kind].iter_errors(doc))
        seen += 1
        check(not errs, f"{fn} ({kind}): " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errs[:3]))
print(f"validated {seen} real outputs")
if seen == 0:
    print("FAIL: no outputs were collected from the other tests")
    failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
