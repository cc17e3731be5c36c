#!/usr/bin/env bash
# report.test.sh - `ctune report`, the fleet view, over every input form the
# engines write, produced by the real tools:
#   - a directory of `ctune facts --format json` files (varied from the
#     fixture roots' facts), the same as JSON lines, and on stdin;
#   - Ansible's jsonfile fact cache and `ansible all -m ctune_facts --tree`,
#     from the real ansible-playbook / ansible over many simulated hosts
#     (local connection, one fixture root each), through
#     examples/fleet/gather.yml, which also runs the report on the controller;
#   - Salt's `--out=json --static` of ctune.facts and of the conntrack grain
#     (and the non-static stream), from the Salt glue itself
#     (tests/data/glue/salt_fleet.py), also through examples/fleet/salt/report.sh
#     with that harness standing in for the `salt` command.
# Then the faces: JSON against schemas/report.json, Prometheus through
# promtool, the human table within the terminal's width, and the HTML page
# in headless chromium (no console errors, the host count and the top host;
# a screenshot in $CTUNE_BUILD/report-screenshot.png).  And bad input:
# truncated, 100 MB strings, 10,000-deep nesting, wrong types, NaN-like
# numbers, hostile host names, duplicates: reported per host, the report
# goes on, within its memory bound.
# Parts whose tool is missing (ansible, promtool, chromium) are skipped with
# a note; python3 is needed for the checks.
# ok and bad both return 0, so `test && ok || bad` is if-then-else here.
# shellcheck disable=SC2015
set -u
: "${CTUNE:?}" "${CTUNE_REAL:?}" "${CTUNE_TESTS:?}"
py=/usr/bin/python3
if ! $py -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: needs python3 with python3-jsonschema" >&2
	exit 77
fi
top=$(cd "$CTUNE_TESTS/.." && pwd)
abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
CTUNE=$(abs "$CTUNE")
CTUNE_REAL=$(abs "$CTUNE_REAL")
export CTUNE_REAL
build=${CTUNE_BUILD:-$top/build}
tmp=$(mktemp -d /tmp/ctune-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
note() { echo "note: $*"; }
# q WHAT FILE EXPR: the JSON report in FILE satisfies the Python expression
# EXPR over d (the document), hosts (by name), errs (list of (host, reason)).
q() {
	local detail
	if detail=$($py - "$2" "$3" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
hosts = {h["host"]: h for h in d["hosts"]}
errs = [(e["host"], e["reason"]) for e in d["errors"]]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps({k: d[k] for k in ("fleet", "ranked", "errors")})[:3000])
sys.exit(0 if ok else 1)
PY
	); then ok; else bad "$1: $3"$'\n'"$detail"; fi
}
# valid FILE: the report validates against schemas/report.json.
valid() {
	local detail
	if detail=$($py - "$top/schemas/report.json" "$2" 2>&1 <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
errs = list(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:5]:
    print(list(e.absolute_path), e.message[:300])
sys.exit(1 if errs else 0)
PY
	); then ok; else bad "$1: not valid against schemas/report.json"$'\n'"$detail"; fi
}
# rep OUT ARGS...: ctune report, JSON into OUT; rc set.
rep() {
	local out=$1
	shift
	"$CTUNE" report "$@" --format json >"$out" 2>"$out.err" </dev/null
	rc=$?
}
rc0() { [ "$rc" = 0 ] && ok || bad "$1: exit $rc: $(head -c 600 "$2.err")"; }

# ======================================================= facts files
fixtures="centos5 centos7 debian12 unloaded noproc"
mkdir -p "$tmp/base"
for fx in $fixtures; do
	"$CTUNE_REAL" facts --format json --root "$top/tests/fixtures/$fx" >"$tmp/base/$fx.json" || bad "facts $fx"
done
"$CTUNE_REAL" facts --format json --root "$top/examples/host" >"$tmp/base/examples-host.json" || bad "facts examples/host"
# 40 hosts: the fixtures' facts with varied counts; one dropping (the top
# host), one 97 % full, one with the drops helper's advice.drops block.
$py - "$tmp/base" "$tmp/facts" <<'PY' || bad "generating facts files"
import json, os, sys
base, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
srcs = [json.load(open(os.path.join(base, f))) for f in sorted(os.listdir(base))]
srcs = [s for s in srcs if s.get("max")]
for i in range(40):
    f = json.loads(json.dumps(srcs[i % len(srcs)]))
    f["count"] = (f["max"] * (i * 2)) // 100
    f["usage_percent"] = round(100 * f["count"] / f["max"], 2)
    if f.get("stats"):
        f["stats"]["total"].update(drop=0, early_drop=0, insert_failed=0)
    # The fixtures' own drop verdicts go with the statistics zeroed above.
    if isinstance(f.get("advice"), dict):
        f["advice"].pop("drops", None)
        f["advice"]["table_full_seen"] = False
    if i == 7:
        f["stats"] = f.get("stats") or {"total": {}}
        f["stats"]["total"].update(drop=1234, early_drop=5, insert_failed=2)
    if i == 11:
        f["count"] = f["max"] * 97 // 100
    if i == 17:  # insert races only (drop == insert_failed): a warning, not a full table
        f["stats"] = f.get("stats") or {"total": {}}
        f["stats"]["total"].update(drop=50, early_drop=0, insert_failed=50)
    if i == 13:
        f.setdefault("advice", {})["drops"] = {"drop": 0, "early_drop": 0, "insert_failed": 0,
                                              "since_boot": True, "boot_time": 1700000000}
    json.dump(f, open(os.path.join(out, "host-%02d.json" % i), "w"), indent=2)
PY
rep "$tmp/dir.json" "$tmp/facts"
rc0 "facts directory" "$tmp/dir.json"
valid "facts directory" "$tmp/dir.json"
q "facts directory" "$tmp/dir.json" "d['fleet']['hosts'] == 40 and d['fleet']['errors'] == 0 and d['ranked'][0] == 'host-07' and d['ranked'][1] == 'host-11'"
q "facts directory: drops" "$tmp/dir.json" "hosts['host-07']['drops'] == {'drop': 1234, 'early_drop': 5, 'insert_failed': 2, 'total': 1241, 'boot_time': None} and hosts['host-07']['level'] == 'critical' and d['fleet']['with_drops'] == 2"
q "facts directory: insert races are a warning" "$tmp/dir.json" "hosts['host-17']['level'] == 'warning' and hosts['host-17']['drops']['total'] == 100"
q "facts directory: advice.drops wins" "$tmp/dir.json" "hosts['host-13']['drops']['boot_time'] == 1700000000"
q "facts directory: totals" "$tmp/dir.json" "sum(d['fleet']['schemes'].values()) == 40 and d['fleet']['schemes']['legacy'] > 0 and d['fleet']['schemes']['modern'] > 0 and sum(d['fleet']['usage_histogram']) == d['fleet']['usage_known'] == 40 and d['fleet']['advised_memory_bytes'] == sum(h['recommended']['memory_bytes'] or 0 for h in d['hosts'])"
q "facts directory: drift" "$tmp/dir.json" "d['fleet']['drift']['default_established_timeout'] == sum('default_established_timeout' in h['drift'] for h in d['hosts']) > 0 and d['fleet']['needs']['change_buckets'] == sum(h['recommended']['change_buckets'] for h in d['hosts'])"
# centos7's max is persisted in a file the boot skips (the module loads late).
q "facts directory: boot drift" "$tmp/dir.json" "all('boot' in h['drift'] and h['boot_drift_first'] == 'max' for h in d['hosts'] if h['era'] == 'nf_conntrack_3.10') and d['fleet']['drift']['boot'] > 0"
rep "$tmp/top3.json" "$tmp/facts" --top 3
q "--top 3" "$tmp/top3.json" "d['ranked'] == ['host-07', 'host-11', 'host-38'] or len(d['ranked']) == 3 and d['ranked'][:2] == ['host-07', 'host-11']"

# JSON lines (each document names its host), from a file and from stdin.
$py - "$tmp/facts" >"$tmp/fleet.jsonl" <<'PY'
import json, os, sys
for f in sorted(os.listdir(sys.argv[1])):
    d = json.load(open(os.path.join(sys.argv[1], f)))
    d["host"] = f[:-5]
    print(json.dumps(d))
PY
rep "$tmp/lines.json" "$tmp/fleet.jsonl"
q "JSON lines" "$tmp/lines.json" "d['fleet']['hosts'] == 40 and d['ranked'][0] == 'host-07' and d['fleet']['errors'] == 0"
"$CTUNE" report - --format json <"$tmp/fleet.jsonl" >"$tmp/stdin.json" 2>"$tmp/stdin.err"
q "stdin" "$tmp/stdin.json" "d['fleet']['hosts'] == 40 and d['inputs'] == ['-'] and all(h['time'] is None for h in d['hosts'])"

# --max-age: every file's mtime is now; a report "a week later" finds them stale.
now=$(date +%s)
rep "$tmp/stale.json" "$tmp/facts" --max-age 1d --now $((now + 7 * 86400))
q "--max-age" "$tmp/stale.json" "d['fleet']['stale'] == 40 and d['max_age'] == 86400 and all(h['stale'] for h in d['hosts'])"
rep "$tmp/fresh.json" "$tmp/facts" --max-age 1d
q "--max-age, fresh" "$tmp/fresh.json" "d['fleet']['stale'] == 0"

# Two samples of one host: the time to full from their rate.
mkdir -p "$tmp/s1" "$tmp/s2"
$py - "$tmp/base/debian12.json" "$tmp/s1/web.json" "$tmp/s2/web.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["max"], f["count"] = 100000, 10000
json.dump(f, open(sys.argv[2], "w"))
f["count"] = 20000
json.dump(f, open(sys.argv[3], "w"))
PY
touch -d @$((now - 1000)) "$tmp/s1/web.json"
touch -d @"$now" "$tmp/s2/web.json"
rep "$tmp/ttf.json" "$tmp/s1" "$tmp/s2"
q "time to full" "$tmp/ttf.json" "d['fleet']['hosts'] == 1 and d['fleet']['duplicates'] == 1 and hosts['web']['seconds_to_full'] == 8000 and hosts['web']['count'] == 20000 and 'duplicate' in errs[0][1]"

# Keys of the other naming scheme left in the boot's files
# (effective_at_boot.other_scheme_keys), from real facts: a debian12 copy
# whose sysctl.conf (read through 99-sysctl.conf) still holds CentOS 5's
# ip_conntrack_max, a centos5 copy whose sysctl.conf carries a modern key,
# and the untouched fixtures beside them.
mkdir -p "$tmp/os"
cp -a "$top/tests/fixtures/debian12" "$tmp/os-d12"
printf '%s\n' "# from an old CentOS 5 runbook" "net.ipv4.netfilter.ip_conntrack_max = 65536" >>"$tmp/os-d12/etc/sysctl.conf"
cp -a "$top/tests/fixtures/centos5" "$tmp/os-c5"
printf '%s\n' "net.netfilter.nf_conntrack_tcp_timeout_established = 43200" >>"$tmp/os-c5/etc/sysctl.conf"
for x in d12 c5; do
	"$CTUNE_REAL" facts --format json --root "$tmp/os-$x" >"$tmp/os/left-$x.json" || bad "facts $tmp/os-$x"
done
cp "$tmp/base/debian12.json" "$tmp/os/clean-d12.json"
cp "$tmp/base/centos5.json" "$tmp/os/clean-c5.json"
$py - "$tmp" <<'PY' && ok || bad "facts: effective_at_boot.other_scheme_keys"
import json, sys
t = sys.argv[1]
def boot(name):
    return json.load(open(t + "/os/" + name + ".json"))["effective_at_boot"]
def last_line(path):
    return len(open(path).read().splitlines())
want = {
    "left-d12": [{"file": "/etc/sysctl.d/99-sysctl.conf", "line": last_line(t + "/os-d12/etc/sysctl.conf"),
                  "key": "net.ipv4.netfilter.ip_conntrack_max"}],
    "left-c5": [{"file": "/etc/sysctl.conf", "line": last_line(t + "/os-c5/etc/sysctl.conf"),
                 "key": "net.netfilter.nf_conntrack_tcp_timeout_established"}],
    "clean-d12": [], "clean-c5": [],
}
bad = [(n, boot(n)["other_scheme_keys"], boot(n)["other_scheme_keys_total"]) for n, w in want.items()
       if boot(n)["other_scheme_keys"] != w or boot(n)["other_scheme_keys_total"] != len(w)]
print(bad)
sys.exit(1 if bad else 0)
PY
rep "$tmp/os.json" "$tmp/os"
rc0 "other scheme keys" "$tmp/os.json"
valid "other scheme keys" "$tmp/os.json"
q "other scheme keys: the hosts flagged" "$tmp/os.json" "d['fleet']['hosts'] == 4 and all(('other_scheme_keys' in hosts[n]['drift']) == n.startswith('left-') for n in hosts) and d['fleet']['drift']['other_scheme_keys'] == 2 and d['fleet']['needs']['migrate'] == 2"
COLUMNS=200 "$CTUNE_REAL" report "$tmp/os" --format human >"$tmp/os.human" 2>&1 || bad "human: other scheme keys"
# The DRIFT column (the last) says "scheme" for the hosts with such keys only.
has_scheme() {
	case ",$(awk -v h="$1" '$2 == h { print $NF }' "$tmp/os.human")," in *,scheme,*) return 0 ;; esac
	return 1
}
has_scheme left-d12 && has_scheme left-c5 && ! has_scheme clean-d12 && ! has_scheme clean-c5 && ok ||
	bad "human: other scheme keys: $(cat "$tmp/os.human")"
"$CTUNE_REAL" report "$tmp/os" --format prometheus >"$tmp/os.prom" || bad "prometheus: other scheme keys"
grep -q '^ctune_report_host_drift{host="left-c5",kind="other_scheme_keys"} 1$' "$tmp/os.prom" &&
	grep -q '^ctune_report_host_drift{host="clean-c5",kind="other_scheme_keys"} 0$' "$tmp/os.prom" && ok ||
	bad "prometheus: other scheme keys: $(grep host_drift "$tmp/os.prom" | head)"

# ------------------------------------------------------ the other faces
for w in 60 100 200; do
	COLUMNS=$w "$CTUNE_REAL" report "$tmp/facts" --format human >"$tmp/human.$w" 2>&1 || bad "human $w"
	long=$(sed -n '/^Top /,/^$/p' "$tmp/human.$w" | awk -v w="$w" 'length($0) > w' | head -3)
	[ -z "$long" ] && ok || bad "human table wider than $w: $long"
	grep -q '^ *1 host-07 ' "$tmp/human.$w" && grep -q '^Fleet: 40 hosts: 2 critical' "$tmp/human.$w" && ok ||
		bad "human $w: $(head -20 "$tmp/human.$w")"
done
grep -q 'DRIFT' "$tmp/human.200" && ! grep -q 'DRIFT' "$tmp/human.60" && ok || bad "the drift column follows the width"
"$CTUNE_REAL" report "$tmp/facts" --format prometheus >"$tmp/prom.txt" || bad "prometheus"
grep -q '^ctune_report_hosts 40$' "$tmp/prom.txt" && grep -q '^ctune_report_host_drops{host="host-07"} 1241$' "$tmp/prom.txt" && ok ||
	bad "prometheus: $(head -5 "$tmp/prom.txt")"
if command -v promtool >/dev/null; then
	promtool check metrics <"$tmp/prom.txt" >"$tmp/promtool.out" 2>&1 && ok || bad "promtool: $(head -5 "$tmp/promtool.out")"
else
	note "promtool is not installed: the Prometheus text is not linted"
fi
"$CTUNE_REAL" report "$tmp/facts" --format html --output "$tmp/report.html" && [ -s "$tmp/report.html" ] && ok || bad "html --output"
! grep -Eiq '(src|href)=["'"'"']?(https?:)?//' "$tmp/report.html" && ok || bad "the page fetches something"

# ============================================================ Ansible
if command -v ansible-playbook >/dev/null && command -v ansible >/dev/null; then
	a=$tmp/ansible
	mkdir -p "$a/library"
	cp "$CTUNE_REAL" "$a/library/ctune_facts"
	cp "$top/plugin/ansible/ctune_facts.yml" "$a/library/ctune_facts.yml"
	# 24 simulated hosts, local connection, one fixture root each; examples/host
	# (93 % full) is the riskiest.
	{
		echo "[fleet]"
		i=0
		for r in debian12 centos5 centos7 unloaded debian12 centos7 debian12 centos5; do
			for k in 1 2 3; do
				root=$top/tests/fixtures/$r
				[ "$i" = 5 ] && root=$top/examples/host
				echo "node$i.example ansible_connection=local ctune_root=$root"
				i=$((i + 1))
			done
		done
		echo "[all:vars]"
		echo "ansible_python_interpreter=$py"
	} >"$a/inventory"
	export HOME=$a ANSIBLE_LOCAL_TEMP=$a/tmp ANSIBLE_REMOTE_TEMP=$a/rtmp ANSIBLE_NOCOLOR=1
	export ANSIBLE_CONFIG=$top/examples/fleet/ansible.cfg ANSIBLE_CACHE_PLUGIN_CONNECTION=$a/cache
	ansible-playbook -i "$a/inventory" -M "$a/library" "$top/examples/fleet/gather.yml" \
		-e report_bin="$CTUNE" -e report_file="$a/fleet.json" -e report_format=json >"$a/play.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && ok || bad "examples/fleet/gather.yml: exit $rc: $(tail -30 "$a/play.out")"
	[ "$(find "$a/cache" -type f | wc -l)" = 24 ] && ok || bad "the jsonfile cache: $(ls "$a/cache" | head)"
	valid "ansible: the playbook's report" "$a/fleet.json"
	q "ansible: the playbook's report" "$a/fleet.json" "d['fleet']['hosts'] == 24 and d['ranked'][0] == 'node5.example' and d['fleet']['errors'] == 0 and hosts['node5.example']['level'] == 'critical'"
	rep "$a/cache.json" "$a/cache" --max-age 1h
	q "ansible: jsonfile cache" "$a/cache.json" "d['fleet']['hosts'] == 24 and d['fleet']['stale'] == 0 and d['fleet']['schemes']['legacy'] == 5 and d['fleet']['inits'].get('systemd', 0) > 0"
	ansible all -i "$a/inventory" -M "$a/library" -m ctune_facts -a 'root={{ ctune_root }}' --tree "$a/tree" >"$a/tree.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && ok || bad "ansible --tree: exit $rc: $(tail -5 "$a/tree.out")"
	rep "$a/tree.json" "$a/tree"
	q "ansible --tree" "$a/tree.json" "d['fleet']['hosts'] == 24 and d['ranked'][0] == 'node5.example'"
	# An unreachable host's result file is an error of that host.
	printf '{"unreachable": true, "msg": "Failed to connect to the host via ssh", "changed": false}' >"$a/tree/node99.example"
	rep "$a/tree2.json" "$a/tree"
	q "ansible --tree: unreachable" "$a/tree2.json" "d['fleet']['hosts'] == 24 and errs == [('node99.example', 'unreachable: Failed to connect to the host via ssh')]"
	# Both forms together: every host is a duplicate.
	rep "$a/both.json" "$a/cache" "$a/tree"
	q "cache + tree: duplicates" "$a/both.json" "d['fleet']['hosts'] == 24 and d['fleet']['duplicates'] == 24"
else
	note "ansible-playbook or ansible is not installed: the Ansible forms are not tested"
fi

# =============================================================== Salt
s=$tmp/salt
mkdir -p "$s/bin"
{
	for i in $(seq 0 19); do
		case $((i % 4)) in 0) r=debian12 ;; 1) r=centos5 ;; 2) r=centos7 ;; 3) r=unloaded ;; esac
		[ "$i" = 9 ] && r=../../examples/host
		echo "minion$i $top/tests/fixtures/$r"
	done
	echo "minion-down -"
} >"$s/minions"
fleet_py=$top/tests/data/glue/salt_fleet.py
$py -B "$fleet_py" "$top" "$CTUNE_REAL" "$s/minions" ctune.facts --static >"$s/static.json" 2>"$s/err" || bad "salt_fleet ctune.facts: $(tail -3 "$s/err")"
$py -B "$fleet_py" "$top" "$CTUNE_REAL" "$s/minions" grains.item --static >"$s/grains.json" 2>"$s/err" || bad "salt_fleet grains: $(tail -3 "$s/err")"
$py -B "$fleet_py" "$top" "$CTUNE_REAL" "$s/minions" ctune.facts >"$s/stream.json" 2>"$s/err" || bad "salt_fleet stream: $(tail -3 "$s/err")"
for form in static grains stream; do
	rep "$s/$form.report" "$s/$form.json"
	valid "salt $form" "$s/$form.report"
	q "salt $form" "$s/$form.report" "d['fleet']['hosts'] == 20 and d['ranked'][0] == 'minion9' and errs == [('minion-down', 'Minion did not return. [No response]')]"
done
# examples/fleet/salt/report.sh with the harness as the master's `salt`.
cat >"$s/bin/salt" <<EOF
#!/bin/sh
# stands in for the master: salt TARGET FUN --out=json --static
fun=\$2
[ "\$fun" = grains.item ] || fun=ctune.facts
exec $py -B "$fleet_py" "$top" "$CTUNE_REAL" "$s/minions" "\$fun" --static
EOF
ln -s "$CTUNE_REAL" "$s/bin/ctune"
chmod +x "$s/bin/salt"
(cd "$s" && PATH=$s/bin:$PATH sh "$top/examples/fleet/salt/report.sh" '*' "$s/fleet.html" >"$s/example.out" 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q '^Fleet: 20 hosts' "$s/example.out" && grep -q 'minion-down' "$s/example.out" && [ -s "$s/fleet.html" ] && ok ||
	bad "examples/fleet/salt/report.sh: exit $rc: $(head -20 "$s/example.out")"

# ========================================================== bad input
b=$tmp/bad
mkdir -p "$b"
cp "$tmp/facts/host-01.json" "$b/good.json"
head -c 700 "$tmp/facts/host-02.json" >"$b/truncated.json"
: >"$b/empty.json"
echo '[1, 2, 3]' >"$b/array.json"
echo '{"scheme": "modern", "count": "lots", "max": 10}' >"$b/wrongtype.json"
echo '{"scheme": "modern", "count": NaN, "max": 10}' >"$b/nan.json"
echo '{"scheme": "modern", "count": 1e999, "max": 10}' >"$b/huge-number.json"
echo '{"scheme": "modern", "count": -5, "max": 10}' >"$b/negative.json"
echo '{"scheme": "pink", "count": 5, "max": 10}' >"$b/scheme.json"
echo '{"scheme": "modern", "stats": {"total": {"drop": [1]}}}' >"$b/stats.json"
echo '{"scheme": "modern", "effective_at_boot": {"tunables": {"max": 5}}}' >"$b/boot.json"
echo '{"hello": 1}' >"$b/nofacts.json"
$py - "$b" "$tmp/facts/host-03.json" <<'PY'
import json, sys
b, good = sys.argv[1], json.load(open(sys.argv[2]))
# 10,000-deep nesting, in a member the report reads and in one it skips.
open(b + "/deep.json", "w").write('{"scheme": "modern", "advice": ' + "[" * 10000 + "]" * 10000 + "}")
open(b + "/deep-skipped.json", "w").write('{"scheme": "modern", "count": 1, "max": 10, "settings": ' + "[" * 10000 + "]" * 10000 + "}")
open(b + "/deep-unclosed.json", "w").write('{"scheme": "modern", "x": ' + "{\"a\":" * 10000)
# 100 MB strings: in a key the report skips (the host is fine) and in one it reads.
with open(b + "/bigstr-skipped.json", "w") as f:
    f.write('{"scheme": "modern", "count": 1, "max": 100, "root": "')
    f.write("x" * (100 << 20))
    f.write('"}')
with open(b + "/bigstr.json", "w") as f:
    f.write('{"scheme": "modern", "kernel_release": "')
    f.write("y" * (100 << 20))
    f.write('"}')
# Hostile host names, in a Salt map: markup, quotes, control bytes, bad UTF-8.
m = {'<script>alert(1)</script>': good, 'x" onload="alert(2)': good, "tab\tbell\x07": good,
     "a" * 300: good, "TABKEY": good, "SURROGATE": good}
s = json.dumps(m)
s = s.replace('"TABKEY"', '"\\u00ff\\u0007 tab"', 1).replace('"SURROGATE"', '"\\udcff"', 1)
open(b + "/hostile-salt.json", "w").write(s)
open(b + "/invalid-utf8.json", "wb").write(b'{"\xff\xfe<b>": ' + json.dumps(good).encode() + b"}")
PY
# Duplicates across inputs: the good host again under another input.
mkdir -p "$b/dup"
cp "$tmp/facts/host-01.json" "$b/dup/good.json"
mkfifo "$b/fifo.json" 2>/dev/null || true
rss=$($py - "$CTUNE_REAL" report "$b" "$b/dup" --format json --output "$tmp/bad.json" <<'PY'
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, timeout=600)
print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
set -- $rss
[ "${1:-x}" = 0 ] && ok || bad "bad input: exit ${1:-?}"
[ "${2:-999999}" -le 32768 ] && ok || bad "bad input: peak RSS ${2:-?} KiB is above 32 MiB"
valid "bad input" "$tmp/bad.json"
q "bad input: the good hosts" "$tmp/bad.json" "{'good', 'deep-skipped', 'bigstr-skipped', '<script>alert(1)</script>'} <= set(hosts) and any('onload' in h for h in hosts) and any(h.startswith('\\xff\\x07 tab') for h in hosts) and d['fleet']['duplicates'] == 1 and any('cannot be read' in r for h, r in errs)"
q "bad input: reasons" "$tmp/bad.json" "dict(errs).get('truncated', '').startswith('truncated') and 'empty' in dict(errs)['empty'] and 'not an object' in dict(errs)['array'] and 'count' in dict(errs)['wrongtype'] and 'not valid JSON' in dict(errs)['nan'] and 'not valid JSON' in dict(errs)['huge-number'] and 'count' in dict(errs)['negative'] and 'scheme' in dict(errs)['scheme'] and 'stats.total.drop' in dict(errs)['stats'] and 'effective_at_boot' in dict(errs)['boot'] and 'no ctune facts' in dict(errs)['nofacts']"
q "bad input: deep and big" "$tmp/bad.json" "'deeper' in dict(errs)['deep'] and dict(errs)['deep-unclosed'].startswith('truncated') and 'larger' in dict(errs)['bigstr'] and any('longer than 255' in r for h, r in errs) and any('duplicate' in r for h, r in errs if h == 'good') and dict(errs).get('fifo', 'not a regular file') == 'not a regular file' and 'cannot be read' in dict(errs)['(a key that is not valid UTF-8)']"
"$CTUNE_REAL" report "$b" "$b/dup" --format html --output "$tmp/bad.html" || bad "bad input: html"
! grep -q '<script>alert' "$tmp/bad.html" && ! grep -q 'x" onload' "$tmp/bad.html" && grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/bad.html" && ok ||
	bad "bad input: a host name reached the page unescaped"
"$CTUNE_REAL" report "$b" --format prometheus >"$tmp/bad.prom" || bad "bad input: prometheus"
if command -v promtool >/dev/null; then
	promtool check metrics <"$tmp/bad.prom" >"$tmp/promtool.out" 2>&1 && ok || bad "bad input: promtool: $(head -5 "$tmp/promtool.out")"
fi
"$CTUNE_REAL" report "$b" --format human >"$tmp/bad.human" || bad "bad input: human"
! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/bad.human" && ok || bad "bad input: control bytes reach the terminal"

# A missing input and bad options.
rep "$tmp/missing.json" "$tmp/no-such-dir" "$tmp/facts"
q "a missing input" "$tmp/missing.json" "d['fleet']['hosts'] == 40 and d['errors'][0]['host'] is None and 'No such file' in d['errors'][0]['reason']"
for args in "--top -1" "--max-age soon" "--format xml" "--bogus" "--top"; do
	# shellcheck disable=SC2086
	"$CTUNE_REAL" report "$tmp/facts" $args >"$tmp/opt.out" 2>&1 </dev/null
	rc=$?
	[ "$rc" = 2 ] && ok || bad "report $args: exit $rc"
done

# =========================================================== chromium
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chrome" ]; then
	page=$tmp/page.html
	cp "$tmp/bad.html" "$tmp/bad-page.html"
	"$CTUNE_REAL" report "$tmp/facts" --format html --output "$page" || bad "html page"
	for p in "$page" "$tmp/bad-page.html"; do
		timeout 120 "$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/chrome" \
			--enable-logging=stderr --v=0 --virtual-time-budget=2000 --dump-dom "file://$p" >"$p.dom" 2>"$p.log"
		rc=$?
		[ "$rc" = 0 ] && ok || bad "chromium --dump-dom $p: exit $rc: $(tail -5 "$p.log")"
		# Console messages of the page (an error, a CSP refusal of a fetch) come as CONSOLE lines.
		! grep -E 'CONSOLE|Uncaught|Content Security Policy|Refused to' "$p.log" | grep -v 'DevTools' | grep -q . && ok ||
			bad "chromium: console errors on $p: $(grep -E 'CONSOLE|Uncaught|Refused' "$p.log" | head -5)"
	done
	want_rows=$($py -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["ranked"]))' "$tmp/dir.json")
	grep -q "data-rendered=\"$want_rows\"" "$page.dom" && ok || bad "chromium: the page's script did not run (no data-rendered=$want_rows)"
	grep -q 'data-hosts="40"' "$page.dom" && grep -q 'data-top-host="host-07"' "$page.dom" &&
		grep -q '<b>40</b>hosts' "$page.dom" && grep -q '<td class="host">host-07</td>' "$page.dom" && ok ||
		bad "chromium: host count or top host missing from the rendered page"
	grep -q 'data-rendered=' "$tmp/bad-page.html.dom" && ! grep -q '<script>alert' "$tmp/bad-page.html.dom" && ok ||
		bad "chromium: the hostile page did not render safely"
	shot=$build/report-screenshot.png
	rm -f "$shot"
	timeout 120 "$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/chrome" \
		--hide-scrollbars --window-size=1280,1800 --screenshot="$shot" "file://$page" >"$tmp/shot.log" 2>&1
	[ -s "$shot" ] && [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && ok ||
		bad "chromium: no screenshot at $shot: $(tail -3 "$tmp/shot.log")"
else
	note "chromium is not installed: the HTML page is not tested in a browser"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
