#!/bin/bash
# watch.test.sh - `ctune watch` against the real kernel (issue 16, item 4),
# in a network namespace the test makes (removed by the EXIT trap):
#   - JSON lines while entries are added with `conntrack -I`: every line one
#     object valid against schemas/watch.json; --count N gives N lines,
#     numbered 1..N; counts never fall (the entries outlive the test) and the
#     last equals the namespace's nf_conntrack_count afterwards; the first
#     line has no rates; change_per_s x interval_s adds up to the growth;
#     the growth is seen as state "growing" with seconds_to_full =
#     (max - count) / trend_per_s;
#   - an idle table reads "stable";
#   - SIGINT and SIGTERM stop a run without --count: exit 0, every line
#     whole (the output ends with a newline, every line parses);
#   - a reader that goes away (| head -n 2): exit 0, nothing on stderr;
#   - a namespace filled to the global max (bench/ct-fill.c) and sent new
#     flows: "full" exactly on the lines whose count is at max, the drop and
#     early_drop rates adding up to their counters' growth;
#   - under a pseudo-terminal (script -qec) the human line: a header, then
#     "HH:MM:SS  usage%  count/max ..." with "full in ... at +N/s";
#   - --root on a fixture: the /proc files of that root (source proc);
#     --source netlink with a root: refused;
#   - bad input: intervals 0, 0ms, 5ms, -1s, 1.5s, 2d, abc, "", --count 0,
#     -1, x, --format prometheus, an Ansible call: exit 2, one JSON object.
# Timing is never asserted: only what the lines say.
#
# Environment: CTUNE, CTUNE_REAL (the stream goes to files directly: the
# logged wrapper keeps one document per run), CTUNE_TESTS.  Exit 77 without
# root, ip, conntrack, python3 with jsonschema, or a namespace.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
NS=ctune-wat-$$
if [ -z "${CTUNE:-}" ] || [ ! -x "${CTUNE:-}" ]; then
	echo "watch.test.sh: CTUNE is not set to an executable (${CTUNE:-unset})" >&2
	exit 1
fi
REAL=${CTUNE_REAL:-$CTUNE}
SCHEMA=$CTUNE_TESTS/../schemas/watch.json
[ "$(id -u)" -eq 0 ] || skip "needs root (creates a network namespace and conntrack entries)"
for t in ip conntrack; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed"
done
[ -x "$PY" ] && "$PY" -c 'import jsonschema' 2>/dev/null || skip "$PY with jsonschema is missing"
[ -r /proc/sys/net/netfilter/nf_conntrack_count ] || skip "no nf_conntrack in this kernel"

scratch watch
ns_made=0
bg=
cleanup() {
	[ -n "$bg" ] && { kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; }
	[ "$ns_made" -eq 1 ] && ip netns del "$NS" 2>/dev/null
	[ -n "${FULL:-}" ] && ip netns del "$FULL" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
exit_on_signals
ip netns add "$NS" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ns_made=1
nsx() { ip netns exec "$NS" "$@"; }

# validate FILE [MIN_LINES]: every line of FILE is an object of watch.json;
# prints why not.
validate() {
	"$PY" - "$SCHEMA" "$1" "${2:-1}" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
v = Draft202012Validator(json.load(open(sys.argv[1])))
text = open(sys.argv[2]).read()
if not text.endswith("\n"):
    print("the last line is cut"); sys.exit(1)
lines = text.splitlines()
if len(lines) < int(sys.argv[3]):
    print("%d lines" % len(lines)); sys.exit(1)
for i, l in enumerate(lines, 1):
    try:
        o = json.loads(l)
    except ValueError as e:
        print("line %d is not JSON: %s" % (i, e)); sys.exit(1)
    errs = list(v.iter_errors(o))
    if errs:
        print("line %d: %s" % (i, "; ".join("%s: %s" % (list(e.absolute_path), e.message) for e in errs[:3])))
        sys.exit(1)
PY
}

# adder NET N DELAY: N distinct UDP entries from 10.NET.x.y, DELAY seconds
# apart, in the namespace
adder() {
	local i
	for ((i = 1; i <= $2; i++)); do
		nsx conntrack -I -p udp -s "10.$1.$((i / 250)).$((i % 250 + 1))" -d 198.51.100.7 --sport 5000 --dport 53 \
			-t 3000 >/dev/null 2>&1
		sleep "$3"
	done
}

# --- JSON lines while the table grows ------------------------------------------
adder 9 60 0.03 &
bg=$!
nsx "$REAL" watch --interval 100ms --count 25 >"$tmp/grow" 2>"$tmp/err"
rc=$?
wait "$bg"
bg=
after=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_count)
why=$(validate "$tmp/grow" 25)
[ "$rc" -eq 0 ] && [ -z "$why" ] && ok "watch --count 25: 25 JSON lines valid against watch.json" ||
	bad "watch while growing (rc $rc): $why $(cat "$tmp/err")"
if "$PY" - "$tmp/grow" "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" >"$tmp/why" <<'PY'; then
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
gmax = int(sys.argv[2])
bad = []
if [o["sample"] for o in L] != list(range(1, 26)): bad.append("samples %s" % [o["sample"] for o in L])
if len(L) != 25: bad.append("%d lines" % len(L))
c = [o["count"] for o in L]
if c != sorted(c): bad.append("count fell: %s" % c)
if c[-1] <= c[0]: bad.append("no growth seen: %s" % c)
f = L[0]
if f["interval_s"] is not None or f["change_per_s"] is not None or f["trend_per_s"] is not None or f["rates"] or f["state"] != "unknown":
    bad.append("first line has rates: %s" % f)
if any(o["source"] != "netlink" or o["max"] != gmax for o in L): bad.append("source/max")
grow = sum(o["change_per_s"] * o["interval_s"] for o in L[1:])
if abs(grow - (c[-1] - c[0])) > 0.01 * len(L) + 1: bad.append("changes add up to %.2f, not %d" % (grow, c[-1] - c[0]))
g = [o for o in L if o["state"] == "growing"]
if not g: bad.append("never growing: %s" % [o["state"] for o in L])
for o in g:
    want = (o["max"] - o["count"]) / o["trend_per_s"]
    if abs(o["seconds_to_full"] - want) > 0.002 * want + 0.01: bad.append("seconds_to_full %s, want %s" % (o["seconds_to_full"], want))
if any(o["state"] != "growing" and o["seconds_to_full"] is not None for o in L): bad.append("seconds_to_full when not growing")
if any(o["drop_per_s"] not in (None, 0.0) for o in L): bad.append("drops where none were")
print("%s|%d" % ("; ".join(bad), c[-1]))
sys.exit(1 if bad else 0)
PY
	ok "the lines: samples 1..25, counts only grow, changes add up, growing with seconds_to_full = (max-count)/trend"
else
	bad "the lines: $(cat "$tmp/why")"
fi
last=$(cut -d'|' -f2 "$tmp/why")
# the adder may still run when the 25th sample is taken: a later sample,
# once it is done, must then see exactly the namespace's count
[ -n "$last" ] && [ "$last" -le "$after" ] && [ "$after" -eq 60 ] &&
	ok "last count $last <= nf_conntrack_count $after after the run" || bad "last count $last, nf_conntrack_count $after"
nsx "$REAL" watch --count 1 >"$tmp/one" 2>&1
"$PY" -c 'import json,sys; o=json.loads(open(sys.argv[1]).read()); sys.exit(o["count"] != int(sys.argv[2]))' "$tmp/one" "$after" &&
	ok "one sample (--count 1): count == nf_conntrack_count" || bad "--count 1: $(cat "$tmp/one")"

# --- an idle table ----------------------------------------------------------------
nsx "$REAL" watch --interval 20ms --count 4 >"$tmp/idle" 2>&1
"$PY" -c 'import json,sys; L=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(not (L[-1]["state"]=="stable" and L[-1]["change_per_s"]==0))' "$tmp/idle" &&
	ok "an idle table: stable" || bad "idle: $(tail -1 "$tmp/idle")"

# --- stopping ---------------------------------------------------------------------
for sig in INT TERM; do
	out=$tmp/sig.$sig
	: >"$out"
	# ip execs ctune: $! is ctune itself (a function would be a subshell)
	ip netns exec "$NS" "$REAL" watch --interval 20ms >>"$out" 2>"$tmp/err.$sig" &
	w=$!
	for _ in $(seq 200); do
		[ "$(wc -l <"$out")" -ge 3 ] && break
		sleep 0.05
	done
	kill -"$sig" "$w"
	rc=0
	wait "$w" || rc=$?
	why=$(validate "$out" 3)
	[ "$rc" -eq 0 ] && [ -z "$why" ] && [ ! -s "$tmp/err.$sig" ] && ok "SIG$sig: exit 0, $(wc -l <"$out") whole lines" ||
		bad "SIG$sig: rc $rc, $why $(cat "$tmp/err.$sig")"
done

# --- a reader that goes away -------------------------------------------------------
nsx "$REAL" watch --interval 10ms 2>"$tmp/err" | head -n 2 >"$tmp/head"
st=("${PIPESTATUS[@]}")
[ "${st[0]}" -eq 0 ] && [ ! -s "$tmp/err" ] && [ "$(wc -l <"$tmp/head")" -eq 2 ] &&
	ok "| head -n 2: exit 0, quiet" || bad "| head: status ${st[*]}, $(cat "$tmp/err")"

# --- a terminal ---------------------------------------------------------------------
if command -v script >/dev/null 2>&1; then
	adder 10 40 0.03 &
	bg=$!
	nsx script -qec "$REAL watch --interval 100ms --count 12" /dev/null >"$tmp/tty" 2>&1
	rc=$?
	wait "$bg"
	bg=
	tr -d '\r' <"$tmp/tty" >"$tmp/tty.txt"
	line='^[0-9]{2}:[0-9]{2}:[0-9]{2}  +[0-9]+\.[0-9]%  [0-9]+/[0-9]+'
	if [ "$rc" -eq 0 ] && head -1 "$tmp/tty.txt" | grep -q '^ctune watch: every 100ms through netlink' &&
		[ "$(grep -cE "$line" "$tmp/tty.txt")" -eq 12 ] &&
		grep -qE "$line  \+[0-9.]+/s  .*drops 0/s  full in [0-9dhms]+ at \+[0-9.]+/s$" "$tmp/tty.txt"; then
		ok "a terminal: the header and 12 human lines with 'full in ... at +N/s'"
	else
		bad "a terminal (rc $rc): $(cat "$tmp/tty.txt")"
	fi
	script -qec "$REAL watch --interval 10ms --count 2 --format json" /dev/null | tr -d '\r' >"$tmp/tj"
	[ -z "$(validate "$tmp/tj" 2)" ] && ok "--format json on a terminal: JSON lines" || bad "--format json on a tty"
else
	echo "note: no script(1): the terminal case is not run"
fi

# --- a root prefix -----------------------------------------------------------------
fx=$CTUNE_TESTS/fixtures/debian12
# (JSON lines go to a file, not through the logged wrapper, whose
# documents are one object each)
"$REAL" watch --root "$fx" --interval 10ms --count 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
want=$(cat "$fx/proc/sys/net/netfilter/nf_conntrack_count")
why=$(validate "$tmp/out" 3)
if [ "$rc" -eq 0 ] && [ -z "$why" ] && "$PY" -c '
import json,sys
L=[json.loads(l) for l in open(sys.argv[1])]
sys.exit(not all(o["source"]=="proc" and o["count"]==int(sys.argv[2]) and o["state"] in ("unknown","stable","full") for o in L))' "$tmp/out" "$want"; then
	ok "--root fixture: the root's /proc files, source proc"
else
	bad "--root fixture (rc $rc): $why $(head -c 300 "$tmp/out") $(cat "$tmp/err")"
fi

# --- a full, dropping table ----------------------------------------------------------
# The namespace filled to the global max through ctnetlink (bench/ct-fill.c,
# built here with libmnl), then new UDP flows while watch runs: every line
# says "full", and the rates show the evictions and drops.
if command -v cc >/dev/null 2>&1 && command -v nft >/dev/null 2>&1 && pkg-config --exists libmnl 2>/dev/null &&
	# shellcheck disable=SC2046 # the flags are words
	cc -O2 -o "$tmp/ct-fill" "$CTUNE_TESTS/../bench/ct-fill.c" $(pkg-config --cflags --libs libmnl) 2>/dev/null; then
	FULL=$NS-full
	ip netns add "$FULL" && full_made=1
	gmax=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
	if [ "${full_made:-0}" -eq 1 ] && ip netns exec "$FULL" "$tmp/ct-fill" 0 "$gmax" "$tmp/fill.json" 2>/dev/null &&
		ip netns exec "$FULL" ip link set lo up &&
		ip netns exec "$FULL" nft add table inet ctune_w &&
		ip netns exec "$FULL" nft add chain inet ctune_w out '{ type filter hook output priority 0; }' &&
		ip netns exec "$FULL" nft add rule inet ctune_w out ct state new,established accept; then
		ip netns exec "$FULL" "$PY" -c '
import socket, time
for p in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", ("127.0.0.1", 20000 + p))
    except OSError:
        pass
    s.close()
    time.sleep(0.01)' &
		bg=$!
		ip netns exec "$FULL" "$REAL" watch --interval 100ms --count 25 >"$tmp/full" 2>&1
		rc=$?
		wait "$bg"
		bg=
		why=$(validate "$tmp/full" 25)
		# The kernel's GC trims unassured entries above 95% (counted as
		# early_drop), so how long the table stays at max is the kernel's
		# business: what must hold is that every line's state follows its
		# count, and that the rates add up to the counters' growth.
		if [ "$rc" -eq 0 ] && [ -z "$why" ] && "$PY" -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
bad = [o["sample"] for o in L if (o["state"] == "full") != (o["count"] >= o["max"])]
for a, b in zip(L, L[1:]):
    for c in ("drop", "early_drop"):
        grew = b["totals"][c] - a["totals"][c]
        if abs(b["rates"][c] * b["interval_s"] - grew) > 0.01 * grew + 0.5:
            bad.append((b["sample"], c))
lost = L[-1]["totals"]["drop"] + L[-1]["totals"]["early_drop"]
if L[0]["count"] < 0.9 * L[0]["max"] or lost == 0:
    bad.append("not full at the start, or nothing evicted: %d, %d" % (L[0]["count"], lost))
print(bad)
sys.exit(1 if bad else 0)' "$tmp/full" >"$tmp/why"; then
			ok "a full table: state follows the count on every line, the drop and early_drop rates add up to their counters"
		else
			bad "a full table (rc $rc): $why $(cat "$tmp/why")"
		fi
	else
		echo "note: the full namespace could not be made"
	fi
	[ "${full_made:-0}" -eq 1 ] && ip netns del "$FULL"
else
	echo "note: no cc, nft or libmnl: the full table is not watched"
fi

# --- no conntrack under the root: the machine's answer, exit 1 ----------------------
run watch --root "$CTUNE_TESTS/fixtures/unloaded" --count 1
[ "$rc" -eq 1 ] && grep -q '"failed":true.*not loaded' "$tmp/out" && ok "a root without conntrack: exit 1, not loaded" ||
	bad "unloaded root: rc $rc $(cat "$tmp/out")"
mkdir "$tmp/empty"
run watch --root "$tmp/empty" --count 1
[ "$rc" -eq 1 ] && grep -q 'nothing to watch' "$tmp/out" && ok "an empty root: exit 1, nothing to watch" ||
	bad "empty root: rc $rc $(cat "$tmp/out")"

# --- the count going away mid-run: a last {"failed": true} line, exit 1 -------------
cp -a "$CTUNE_TESTS/fixtures/debian12" "$tmp/root"
"$REAL" watch --root "$tmp/root" --interval 20ms >"$tmp/late" 2>"$tmp/err" &
w=$!
for _ in $(seq 200); do
	[ "$(wc -l <"$tmp/late")" -ge 3 ] && break
	sleep 0.05
done
rm -f "$tmp/root/proc/sys/net/netfilter/nf_conntrack_count"
rc=0
wait "$w" || rc=$?
why=$(validate "$tmp/late" 4)
if [ "$rc" -eq 1 ] && [ -z "$why" ] && tail -1 "$tmp/late" | grep -q '^{"failed":true,"msg":".*not loaded' &&
	[ "$(grep -c '"failed":true' "$tmp/late")" -eq 1 ] && grep -q "watch stopped" "$tmp/err"; then
	ok "the count gone mid-run: a last failed line (valid), exit 1, a word on stderr"
else
	bad "mid-run failure: rc $rc $why $(tail -2 "$tmp/late") $(cat "$tmp/err")"
fi

# --- bad input ----------------------------------------------------------------------
refused() { # WHAT ARGS...: exit 2 and one JSON object with failed
	local what=$1
	shift
	"$CTUNE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$?
	if [ "$rc" -eq 2 ] && "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not d["failed"])' "$tmp/out"; then
		ok "$what: exit 2 ($(sed -n 's/.*"msg":"\([^"]*\)".*/\1/p' "$tmp/out" | cut -c1-60))"
	else
		bad "$what: rc $rc $(cat "$tmp/out")"
	fi
}
for i in 0 0ms 5ms -1s 1.5s 2d 86401s abc "" 99999999999999999999ms; do
	refused "interval '$i'" watch --interval "$i"
done
for c in 0 -1 x 1000000001; do
	refused "count '$c'" watch --count "$c"
done
refused "--format prometheus" watch --format prometheus
refused "--source netlink with a root" watch --source netlink --root "$fx" --count 1
refused "--interval on facts" facts --interval 1s
echo '{"verb": "watch", "interval": "0"}' >"$tmp/req"
refused "JSON interval 0" "$tmp/req"
echo '{"verb": "watch", "samples": 0}' >"$tmp/req"
refused "JSON samples 0" "$tmp/req"
echo '{"verb": "watch", "_ansible_module_name": "ctune"}' >"$tmp/req"
refused "an Ansible call" "$tmp/req"
echo '{"verb": "watch", "samples": 2, "interval": "10ms"}' | "$REAL" >"$tmp/out" 2>&1
[ -z "$(validate "$tmp/out" 2)" ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] && ok "JSON request: samples 2, interval 10ms" ||
	bad "JSON request: $(cat "$tmp/out")"
report
