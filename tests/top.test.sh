#!/bin/bash
# top.test.sh - top talkers (`ctune facts --table --top N`, table.top) equal
# exact counts made independently of ctune, within their stated error, from
# the kernel through ctnetlink and through /proc text, and from saved files
# of both line formats.
#
# Exact counts come from tests/data/top/top-check.py (plain Python over the
# text of `conntrack -L`, the real tool as the oracle, or of a table file),
# which also checks ctune's answer against the guarantees docs/facts.md
# states (count - error <= true <= count, unlisted groups <= unlisted_max,
# error <= 2N/capacity, exact means equal, the true ranking where its gaps
# are wider than the error).
#   - fixtures: the modern (debian12) and legacy 2.6.18 (centos5) table
#     files under --root, every group (--top 1024): exact and complete;
#   - bad requests: --top out of range or not a number, --top without
#     --table, "top": 2.5 in JSON: a clear error, non-zero exit;
#   - a private network namespace filled over ctnetlink by
#     tests/data/top/ct-skew.c (compiled here with cc + libmnl) with a
#     skewed table: Zipf-like sources and destinations, a few heavy
#     destination ports, ICMP types, GRE, zones and marks, IPv4 and IPv6,
#     accounting and timestamps on (so the /proc lines carry packets=,
#     bytes= and delta-time=):
#       * 800 entries: every dimension exact, --source netlink and --source
#         proc both equal to `conntrack -L`'s counts, group for group, and
#         equal to each other;
#       * 45,800 entries (thousands of distinct sources, more than the
#         summary's 1024 counters): both sources within their error of the
#         oracle, the heavy sources and ports ranked as the truth;
#       * the namespace's /proc text saved as a file under a --root and read
#         in 1 and 4 parallel ranges (merged summaries): within the error;
#       * the human report shows the section with the top source.
# The host's own namespace is never changed (the namespace is removed on
# exit, the host's sysctls and ruleset compared before and after).
#
# Environment: CTUNE (path of ctune, required), CTUNE_TESTS (tests/ dir).
# Exit: 0 passed, 1 failed, 77 skipped (reason on stderr): not root; ip,
# conntrack, cc, pkg-config + libmnl or /usr/bin/python3 missing; no
# conntrack or /proc/net/nf_conntrack in the kernel, no namespace.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
NS=ctune-top-$$
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
DATA=$TESTS/data/top
CHECK=$DATA/top-check.py

if [ -z "${CTUNE:-}" ] || [ ! -x "${CTUNE:-}" ]; then
	echo "top.test.sh: CTUNE is not set to an executable (${CTUNE:-unset})" >&2
	exit 1
fi
[ -x "$PY" ] || skip "$PY is missing"
scratch top

# check NAME FACTS COUNTS [--complete]: top-check.py's verdict as ok/bad
check() {
	local name=$1
	shift
	if "$PY" "$CHECK" check "$@" >"$tmp/check.out" 2>&1; then
		ok "$name ($(tail -n1 "$tmp/check.out"))"
	else
		bad "$name: $(head -c 1500 "$tmp/check.out")"
	fi
}

# --- fixtures: both line formats, every group ---------------------------------
for fx in debian12:nf_conntrack centos5:ip_conntrack; do
	dir=${fx%%:*} file=${fx#*:}
	"$PY" "$CHECK" counts "$TESTS/fixtures/$dir/proc/net/$file" >"$tmp/$dir.counts"
	run facts --root "$TESTS/fixtures/$dir" --table --top 1024 --format json
	if [ "$rc" -eq 0 ]; then
		check "$dir ($file): every group exact and equal to the counts" "$tmp/out" "$tmp/$dir.counts" --complete
	else
		bad "$dir: facts --table --top 1024 exited $rc: $(head -c 500 "$tmp/err")"
	fi
done
# the JSON face, and the default of 10
printf '{"root": "%s", "table": true}' "$TESTS/fixtures/debian12" | "$CTUNE" >"$tmp/out" 2>"$tmp/err"
if [ "$($PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["ansible_facts"]["conntrack"]["table"]["top"]; print(t["limit"], len(t["by_src"]["groups"]))' "$tmp/out" 2>&1)" = "10 10" ]; then
	ok "JSON request with table: true lists 10 groups by default"
else
	bad "JSON request: table.top not the default 10: $(head -c 300 "$tmp/out")"
fi
printf '{"root": "%s", "table": true, "top": 0}' "$TESTS/fixtures/debian12" | "$CTUNE" >"$tmp/out" 2>"$tmp/err"
if "$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["ansible_facts"]["conntrack"]["table"]; sys.exit("top" in t or t["total"] == 0)' "$tmp/out"; then
	ok '"top": 0 turns top talkers off (table without top)'
else
	bad '"top": 0 still reports table.top'
fi

# --- bad requests ------------------------------------------------------------------
for args in "--top 1025" "--top -3" "--top 12x" "--top 99999999999" "--top="; do
	# shellcheck disable=SC2086 # args split into words on purpose
	run facts --root "$TESTS/fixtures/debian12" --table $args --format json
	if [ "$rc" -ne 0 ] && grep -q '"failed":true' "$tmp/out" && grep -q 'top:' "$tmp/out"; then
		ok "facts --table $args: refused ($(grep -o '"msg":"[^"]*"' "$tmp/out"))"
	else
		bad "facts --table $args: rc $rc, $(head -c 300 "$tmp/out")"
	fi
done
run facts --root "$TESTS/fixtures/debian12" --top 5 --format json
if [ "$rc" -ne 0 ] && grep -q 'needs the table' "$tmp/out"; then
	ok "--top without --table is refused"
else
	bad "--top without --table: rc $rc, $(head -c 300 "$tmp/out")"
fi
for req in '{"table": true, "top": 2.5}' '{"table": true, "top": -1}' '{"table": true, "top": "ten"}' \
	'{"table": true, "top": true}' '{"table": true, "top": 5000}'; do
	printf '%s' "$req" | "$CTUNE" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q '"failed":true' "$tmp/out" && grep -q 'top:' "$tmp/out"; then
		ok "request $req: refused"
	else
		bad "request $req: rc $rc, $(head -c 300 "$tmp/out")"
	fi
done

# --- the kernel: a skewed table in a private namespace -------------------------------
[ "$(id -u)" -eq 0 ] || { report; skip_rest=1; }
[ "${skip_rest:-0}" -eq 1 ] && { echo "not root: the namespace part is skipped" >&2; report; exit; }
for t in ip conntrack cc pkg-config; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "'$t' is not installed: the namespace part is skipped" >&2
		report
		exit
	}
done
if ! pkg-config --exists libmnl || [ ! -r /proc/sys/net/netfilter/nf_conntrack_count ] ||
	[ ! -r /proc/net/nf_conntrack ]; then
	echo "no libmnl, conntrack or /proc/net/nf_conntrack: the namespace part is skipped" >&2
	report
	exit
fi

ns_made=0
cleanup() {
	[ "$ns_made" -eq 1 ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
exit_on_signals

# shellcheck disable=SC2046 # pkg-config output is meant to split into words
if ! cc -std=c11 -O2 -Wall -Wextra -Werror $(pkg-config --cflags libmnl) -o "$tmp/ct-skew" "$DATA/ct-skew.c" \
	$(pkg-config --libs libmnl) -lm 2>"$tmp/cc.err"; then
	bad "compile tests/data/top/ct-skew.c: $(head -c 1500 "$tmp/cc.err")"
	report
	exit
fi
host_snapshot >"$tmp/host.before"
host_ns=$(readlink /proc/self/ns/net)
ip netns add "$NS" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ns_made=1
if [ "$(nsx readlink /proc/self/ns/net)" = "$host_ns" ]; then
	bad "ip netns exec $NS runs in the host's network namespace: refusing to go on"
	report
	exit
fi
nsx sh -c 'echo 1 >/proc/sys/net/netfilter/nf_conntrack_acct && echo 1 >/proc/sys/net/netfilter/nf_conntrack_timestamp' \
	2>/dev/null || echo "(accounting/timestamps not switched on in $NS)" >&2

# fill N FIRST COUNT: add entries, or fail the test
fill() {
	if nsx "$tmp/ct-skew" "$1" "$2" 7 >"$tmp/fill.out" 2>"$tmp/fill.err"; then
		ok "ct-skew added $2 entries ($(cat "$tmp/fill.out"))"
	else
		bad "ct-skew $1 $2: $(head -c 600 "$tmp/fill.err")"
		report
		exit
	fi
}

# oracle NAME: exact counts from `conntrack -L` in the namespace
oracle() {
	nsx conntrack -L >"$tmp/$1.ctl" 2>/dev/null
	"$PY" "$CHECK" counts "$tmp/$1.ctl" >"$tmp/$1.counts"
}

# facts SOURCE TOP OUT [ENV...]: ctune facts --table in the namespace
facts() {
	local src=$1 top=$2 out=$3
	shift 3
	nsx env "$@" "$CTUNE" facts --table --top "$top" --source "$src" --format json >"$out" 2>"$tmp/err"
}

# --- 800 entries: exact --------------------------------------------------------
fill 0 800
oracle small
for src in netlink proc; do
	if facts "$src" 1024 "$tmp/small.$src"; then
		check "800 entries, --source $src: exact and equal to conntrack -L" "$tmp/small.$src" "$tmp/small.counts" \
			--complete
	else
		bad "facts --source $src exited non-zero: $(head -c 500 "$tmp/err")"
	fi
done
if cmp -s <("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["table"]["top"], sort_keys=True))' "$tmp/small.netlink") \
	<("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["table"]["top"], sort_keys=True))' "$tmp/small.proc"); then
	ok "netlink and /proc give the same table.top (IPv6 in the same canonical text)"
else
	bad "netlink and /proc table.top differ"
fi

# --- 45,800 entries: past the summary's capacity ---------------------------------------
fill 800 45000
oracle big
distinct=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["by_src"]))' "$tmp/big.counts")
if [ "$distinct" -gt 1024 ]; then
	ok "$distinct distinct sources: more than the 1024 counters"
else
	bad "only $distinct distinct sources: the approximate path is not exercised"
fi
for src in netlink proc; do
	if facts "$src" 20 "$tmp/big.$src"; then
		check "45800 entries, --source $src: within the error of conntrack -L" "$tmp/big.$src" "$tmp/big.counts"
		if "$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["table"]; sys.exit(t["top"]["by_src"]["exact"] or t["malformed"] != 0 or t["total"] != 45800)' "$tmp/big.$src"; then
			ok "--source $src: by_src is not exact, nothing malformed, 45800 entries"
		else
			bad "--source $src: by_src exact, or malformed/total wrong"
		fi
	else
		bad "facts --source $src exited non-zero: $(head -c 500 "$tmp/err")"
	fi
done

# --- the same text as a file: sequential and parallel ranges --------------------------------
mkdir -p "$tmp/root"
cp -r "$TESTS/fixtures/debian12/." "$tmp/root/"
nsx cat /proc/net/nf_conntrack >"$tmp/root/proc/net/nf_conntrack"
"$PY" "$CHECK" counts "$tmp/root/proc/net/nf_conntrack" >"$tmp/file.counts"
if cmp -s "$tmp/file.counts" "$tmp/big.counts"; then
	ok "the /proc text's counts equal conntrack -L's"
else
	bad "the /proc text's counts differ from conntrack -L's"
fi
for n in 1 4; do
	if CTUNE_TABLE_THREADS=$n "$CTUNE" facts --root "$tmp/root" --table --top 15 --format json >"$tmp/file.$n" 2>"$tmp/err"; then
		check "the table as a file, $n range(s): within the error" "$tmp/file.$n" "$tmp/file.counts"
	else
		bad "facts --root (threads $n) exited non-zero: $(head -c 500 "$tmp/err")"
	fi
done

# --- the human report ----------------------------------------------------------------------
nsx "$CTUNE" facts --table --top 3 --format human >"$tmp/human" 2>"$tmp/err"
heavy=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["by_src"]; print(max(c, key=c.get))' "$tmp/big.counts")
if grep -q '^Top talkers (the 3 largest groups)' "$tmp/human" && grep -q "by source  *$heavy " "$tmp/human"; then
	ok "human report: Top talkers section, $heavy first by source"
else
	bad "human report: no top talkers section with $heavy: $(grep -A6 'Top talkers' "$tmp/human" | head -c 600)"
fi

ip netns del "$NS" && ns_made=0
host_snapshot >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then
	ok "the host's conntrack sysctls and ruleset are unchanged, $NS removed"
else
	bad "the host changed: $(diff "$tmp/host.before" "$tmp/host.after" | head -c 600)"
fi
report
