#!/bin/bash
# fixtures.test.sh - `ctune facts --root <fixture> --table` on every fixture
# root under tests/fixtures/, compared with the root's expected.json; and the
# error contract of bad command-line use.
#
# Environment (set by ctest, see tests/CMakeLists.txt):
#   CTUNE        path of the ctune executable (required)
#   CTUNE_TESTS  the tests/ source directory (default: this script's directory)
# Exit: 0 all passed, 1 a check failed, 77 skipped (reason on stderr).
#
# File modes: git keeps only the executable bit, so the fixture trees are
# copied to a scratch directory and given explicit modes (0644 files, 0755
# directories) before ctune reads them; no check depends on the modes of the
# checkout.  Symlinks (etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf) are
# copied as symlinks.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "$0")" && pwd)}
FIX=$TESTS/fixtures
ROOTS="centos5 centos7 debian12 noproc unloaded"

if [ -z "${CTUNE:-}" ]; then
	echo "fixtures.test.sh: CTUNE is not set (path of the ctune executable)" >&2
	exit 1
fi
if [ ! -x "$CTUNE" ]; then
	echo "fixtures.test.sh: $CTUNE is not an executable" >&2
	exit 1
fi
[ -x "$PY" ] || skip "$PY is missing (the comparer needs python3)"

scratch fixtures

# Show stderr and the head of stdout of a failed run.
dump() {
	sed 's/^/     stderr: /' "$tmp/err" | head -n 20
	head -c 600 "$tmp/out" | sed 's/^/     stdout: /'
	echo
}

# 0. The committed generated files are what the generator produces.
if out=$("$PY" "$FIX/gen-tables.py" --check 2>&1); then
	ok "gen-tables.py --check: committed proc/, sys/, expected.json match the generator"
else
	bad "gen-tables.py --check"
	printf '%s\n' "$out" | sed 's/^/     /'
fi

# 0b. expected.json against a second, independent count of the fixture text:
# awk over the table file (either line format) and the stat file parsed by
# its header.  Guards the generator's model against its own formatter.
for r in $ROOTS; do
	exp=$FIX/$r/expected.json
	tfile=$("$PY" -c 'import json,sys; t=json.load(open(sys.argv[1])).get("table"); print(t["file"] if t else "")' "$exp")
	if [ -n "$tfile" ]; then
		conntrack_summary 86400 "$FIX/$r$tfile" >"$tmp/ref.$r"
		if res=$("$PY" - "$exp" "$tmp/ref.$r" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["table"]
flat = {}
for k, v in t.items():
    if isinstance(v, dict):
        flat.update({"%s.%s" % (k, kk): vv for kk, vv in v.items()})
    elif k != "file":
        flat[k] = v
ref = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[2])}
d = ["%s: expected.json %s, awk %s" % (k, flat.get(k), ref.get(k))
     for k in sorted(set(flat) | set(ref)) if flat.get(k) != ref.get(k)]
print("\n".join(d))
sys.exit(1 if d else 0)
EOF
		); then
			ok "$r: expected.json table == awk count of $tfile"
		else
			bad "$r: expected.json table disagrees with an awk count of $tfile"
			printf '%s\n' "$res" | sed 's/^/     /'
		fi
	fi
	if res=$("$PY" - "$exp" "$FIX/$r" <<'EOF'
import json, os, sys
exp = json.load(open(sys.argv[1]))
st = exp.get("stats")
if st is None:
    there = [f for f in ("proc/net/stat/nf_conntrack", "proc/net/stat/ip_conntrack")
             if os.path.exists(os.path.join(sys.argv[2], f))]
    print("\n".join("stats is null but %s exists" % f for f in there))
    sys.exit(1 if there else 0)
lines = open(os.path.join(sys.argv[2], st["file"].lstrip("/"))).read().splitlines()
cols = lines[0].split()
rows = [dict(zip(cols, (int(x, 16) for x in l.split()))) for l in lines[1:] if l.strip()]
total = {c: sum(r[c] for r in rows) for c in cols}
total["entries"] = rows[0]["entries"]
d = []
if cols != st["columns"]:
    d.append("columns differ")
if rows != st["per_cpu"]:
    d.append("per_cpu differs")
if total != st["total"]:
    d.append("total differs")
if total["entries"] != exp["count"]:
    d.append("entries %d != count %d" % (total["entries"], exp["count"]))
print("\n".join(d))
sys.exit(1 if d else 0)
EOF
	); then
		ok "$r: expected.json stats == the stat file parsed by header (or no stat file)"
	else
		bad "$r: expected.json stats disagree with the stat file"
		printf '%s\n' "$res" | sed 's/^/     /'
	fi
done

# Copy the roots with explicit modes.
mkdir -p "$tmp/roots"
for r in $ROOTS; do
	cp -R -P "$FIX/$r" "$tmp/roots/$r" || { bad "copy $r"; continue; }
	find "$tmp/roots/$r" -type d -exec chmod 0755 {} +
	find "$tmp/roots/$r" -type f -exec chmod 0644 {} +
done
touch "$tmp/plainfile"

# 1. Every fixture root against its expected.json.
for r in $ROOTS; do
	root=$tmp/roots/$r
	run facts --root "$root" --table
	if [ "$rc" -ne 0 ]; then
		bad "$r: ctune facts --root $r --table exited $rc"
		dump
	elif diffs=$("$PY" "$FIX/compare.py" "$FIX/$r/expected.json" "$tmp/out"); then
		ok "$r: facts --table equals expected.json"
	else
		bad "$r: facts --table differs from expected.json ($(printf '%s\n' "$diffs" | wc -l) mismatches)"
		printf '%s\n' "$diffs" | sed 's/^/     /'
	fi

	# Default facts never walk the table: no "table" key without --table,
	# everything else the same.
	run facts --root "$root" --format json
	if [ "$rc" -ne 0 ]; then
		bad "$r: facts --format json exited $rc"
		dump
	else
		if res=$("$PY" - "$FIX/$r/expected.json" "$tmp/out" "$FIX/compare.py" <<'EOF'
import json, subprocess, sys, tempfile
exp = json.load(open(sys.argv[1]))
exp.pop("table", None)
act = json.loads(open(sys.argv[2]).read())
msgs = []
if "table" in act:
    msgs.append("table: present without --table")
with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
    json.dump(exp, f)
    f.flush()
    p = subprocess.run([sys.executable, sys.argv[3], f.name, sys.argv[2]],
                       capture_output=True, text=True)
    msgs += p.stdout.splitlines()
print("\n".join(msgs))
sys.exit(1 if msgs else 0)
EOF
		); then
			ok "$r: facts without --table: same figures, no table walk"
		else
			bad "$r: facts without --table"
			printf '%s\n' "$res" | sed 's/^/     /'
		fi
	fi
done

# 2. The root prefix given as a relative path and with a trailing slash.
(cd "$tmp" && "$CTUNE" facts --root roots/debian12 --table >"$tmp/out" 2>"$tmp/err")
rc=$?
if [ "$rc" -eq 0 ] && diffs=$("$PY" "$FIX/compare.py" "$FIX/debian12/expected.json" "$tmp/out"); then
	ok "relative --root roots/debian12"
else
	bad "relative --root roots/debian12 (exit $rc)"
	printf '%s\n' "${diffs:-}" | sed 's/^/     /'
	dump
fi
run facts --root "$tmp/roots/centos5/" --table
if [ "$rc" -eq 0 ] && diffs=$("$PY" "$FIX/compare.py" "$FIX/centos5/expected.json" "$tmp/out"); then
	ok "--root with a trailing slash"
else
	bad "--root $tmp/roots/centos5/ (exit $rc)"
	printf '%s\n' "${diffs:-}" | sed 's/^/     /'
	dump
fi

# 3. Bad command-line use: a JSON error object on stdout, non-zero exit.
expect_error() {
	local what=$1
	shift
	run "$@"
	if [ "$rc" -eq 0 ]; then
		bad "$what: exited 0 (ctune $*)"
		dump
		return
	fi
	if msgs=$("$PY" "$FIX/compare.py" --error "$tmp/out"); then
		ok "$what: exit $rc, {\"failed\": true, \"msg\": ...}"
	else
		bad "$what: exit $rc but stdout is not the error object (ctune $*)"
		printf '%s\n' "$msgs" | sed 's/^/     /'
		dump
	fi
}
expect_error "unknown option" facts --bogus
expect_error "unknown option before the verb" --bogus facts
expect_error "--root to a missing directory" facts --root "$tmp/no/such/dir"
expect_error "--root to a regular file" facts --root "$tmp/plainfile"
expect_error "--root without its argument" facts --root
expect_error "unknown verb" frobnicate --table
expect_error "unknown verb alone" frobnicate
expect_error "--format xml" facts --format xml
expect_error "--format xml with a root" facts --root "$tmp/roots/centos7" --format xml

report
