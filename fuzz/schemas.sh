#!/usr/bin/env bash
# schemas.sh - the JSON the fuzz targets produce, validated against schemas/.
#
#   fuzz/schemas.sh FUZZ_FACTS FUZZ_REQUEST FUZZ_DIR [WORK_DIR]
#
# Replays fuzz-facts over corpus/facts and regressions/facts, and
# fuzz-request over corpus/request and regressions/request (and, given
# WORK_DIR, the fuzzer's own grown corpora WORK_DIR/facts and
# WORK_DIR/request, e.g. build-fuzz/work after fuzz/run.sh), with
# CTUNE_FUZZ_OUTPUTS set so each target writes every facts object or error
# response it makes; then validates every one of them against
# schemas/facts.json or schemas/response.json with python3-jsonschema.
# Exit 0 when all are valid, 1 otherwise, 77 (skipped) without jsonschema.
set -u
facts=$1 request=$2 dir=$3 work=${4:-}
py=/usr/bin/python3
if ! $py -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: python3-jsonschema is not installed" >&2
	exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/ctune-fuzz-schemas.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT

inputs() { # TARGET: the directories that exist
	local d
	for d in "$dir/corpus/$1" "$dir/regressions/$1" ${work:+"$work/$1"}; do
		[ -d "$d" ] && echo "$d"
	done
}
status=0
mapfile -t fd < <(inputs facts)
mapfile -t rd < <(inputs request)
CTUNE_FUZZ_OUTPUTS=$out "$facts" -runs=0 "${fd[@]}" >/dev/null || { echo "FAIL: fuzz-facts replay"; status=1; }
CTUNE_FUZZ_OUTPUTS=$out "$request" -runs=0 "${rd[@]}" >/dev/null || { echo "FAIL: fuzz-request replay"; status=1; }

$py - "$dir/../schemas" "$out" <<'PY' || status=1
import json, os, sys
from jsonschema import Draft202012Validator
from jsonschema.validators import RefResolver

schemas_dir, out = sys.argv[1], sys.argv[2]
schemas = {n: json.load(open(os.path.join(schemas_dir, n + ".json"))) for n in ("facts", "request", "response")}
store = {s["$id"]: s for s in schemas.values()}
resolver = RefResolver(base_uri=schemas["response"]["$id"], referrer=schemas["response"], store=store)
validators = {n: Draft202012Validator(s, resolver=resolver) for n, s in schemas.items()}
seen, failed = {"facts": 0, "response": 0}, 0
for fn in sorted(os.listdir(out)):
    kind = fn.split(".")[0]
    doc = json.load(open(os.path.join(out, fn)))
    errs = list(validators[kind].iter_errors(doc))
    seen[kind] += 1
    if errs:
        failed += 1
        print(f"FAIL: {fn} ({kind}): " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errs[:3]))
print(f"validated {seen['facts']} facts objects and {seen['response']} error responses, {failed} invalid")
if seen["facts"] == 0 or seen["response"] == 0:
    print("FAIL: a target wrote no output to validate")
    failed += 1
sys.exit(1 if failed else 0)
PY
exit $status
