#!/bin/bash
# drops.test.sh - a namespace that drops, made for real, and what the
# default facts, the human report and Prometheus say about it.
#
# Nothing in the host is changed (its conntrack sysctls and nft ruleset are
# compared before and after): the test makes a network namespace (removed
# by the EXIT trap), makes the kernel track in it (an nft output rule using
# `ct state`, as netns.test.sh does), then fills its table up to the global
# nf_conntrack_max (read-only in a namespace, shared with the host) with
# ASSURED ESTABLISHED entries through ctnetlink (tests/ct-flood, batched
# IPCTNL_MSG_CT_NEW: 262144 entries take well under a second).  The kernel
# only evicts early entries that are not assured (or TCP entries closing),
# so every new flow then finds the table full: FLOWS real UDP datagrams to
# distinct local ports (one new flow each) are dropped and counted in the
# namespace's `drop` statistic.  Then, without --log-events:
#   - facts: advice.drops equals the kernel's statistics (the stat file's
#     per-CPU columns summed here, independently), since_boot true,
#     boot_time /proc/stat's btime; drops_seen and table_full_seen true;
#     the recommended max above the max, change_max true; a reason says how
#     many and since when; no events key (the log was not read);
#   - before the flood the same facts say no drops, table_full_seen false;
#   - the human report's first line under the title is the drop status;
#   - Prometheus: stat_total{counter="drop"}, drops_seen 1, table_full_seen
#     1, drops_since_timestamp_seconds, advice_change{name="max"} 1; and the
#     shipped alert rules fire on these real metrics (tests/promtest.sh)
#     when promtool is installed;
#   - the guards in set: max below the live count is refused in this
#     namespace (CLI and JSON, check mode too); with force the guard lets
#     it through and the namespace's read-only max refuses it instead.
#
# Environment (ctest): CTUNE, CTUNE_BUILD (for tests/ct-flood), CTUNE_TESTS.
# Exit: 0 passed, 1 failed, 77 skipped (not root; ip, nft or python3
# missing; no namespace; ct-flood not built; a max above 1048576, which
# this test will not fill).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/promtest.sh"

PY=/usr/bin/python3
NS=ctune-drops-$$
FLOWS=200
FLOOD=${CTUNE_BUILD:-$(dirname "$0")/../build}/tests/ct-flood

if [ -z "${CTUNE:-}" ] || [ ! -x "${CTUNE:-}" ]; then
	echo "drops.test.sh: CTUNE is not set to an executable (${CTUNE:-unset})" >&2
	exit 1
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (creates a network namespace and conntrack entries)"
for t in ip nft; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed (Debian: iproute2, nftables)"
done
[ -x "$PY" ] || skip "$PY is missing"
[ -x "$FLOOD" ] || skip "no tests/ct-flood in the build ($FLOOD)"
[ -r /proc/sys/net/netfilter/nf_conntrack_max ] || skip "nf_conntrack is not available in this kernel"

scratch drops
ns_made=0
cleanup() {
	[ "$ns_made" -eq 1 ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
exit_on_signals

host_snapshot >"$tmp/host.before"
ip netns add "$NS" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ns_made=1
nsx ip link set lo up || { bad "bring lo up in $NS"; exit 1; }
if ! { nsx nft add table inet ctune_d &&
	nsx nft add chain inet ctune_d out '{ type filter hook output priority 0; }' &&
	nsx nft add rule inet ctune_d out ct state new,established accept; } 2>"$tmp/err"; then
	skip "nft cannot make the namespace track: $(cat "$tmp/err")"
fi
max=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_max)
[ "$max" -le 1048576 ] || skip "nf_conntrack_max is $max: this test fills at most 1048576 entries"

# facts [ARGS...]: ctune facts inside the namespace, stdout in $tmp/out
facts() { nsx "$CTUNE" facts "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# q WHAT FILE EXPR: a python expression over the JSON document d is true
q() {
	if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>"$tmp/qerr"; then
		ok "$1"
	else
		bad "$1: $3 $(cat "$tmp/qerr")"
		head -c 1500 "$2" | sed 's/^/    /'
		echo
	fi
}
# stat_sum COLUMN: the namespace's statistic summed over CPUs, from the file
stat_sum() {
	nsx cat /proc/net/stat/nf_conntrack | "$PY" -c '
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
i = rows[0].index(sys.argv[1]); print(sum(int(r[i], 16) for r in rows[1:]))' "$1"
}
btime=$(awk '$1 == "btime" { print $2 }' /proc/stat)

# --- before: no drops ------------------------------------------------------------
facts --format json
[ "$rc" -eq 0 ] && ok "before: facts exit 0" || bad "before: facts exit $rc: $(cat "$tmp/err")"
cp "$tmp/out" "$tmp/before.json"
q "before: no drops, table not full" "$tmp/before.json" \
	'd["advice"]["drops"]["drop"] == 0 and d["advice"]["drops"]["early_drop"] == 0 and not d["advice"]["drops_seen"] and not d["advice"]["table_full_seen"]'
facts --format prometheus
cp "$tmp/out" "$tmp/before.prom"

# --- the flood -----------------------------------------------------------------------
count=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_count)
fill=$((max - count))
if nsx "$FLOOD" "$fill" >"$tmp/flood.out" 2>"$tmp/err"; then
	ok "ct-flood: $fill ASSURED entries"
else
	bad "ct-flood $fill: $(cat "$tmp/err")"
	exit 1
fi
count=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_count)
[ "$count" -eq "$max" ] && ok "the namespace's table is at its max ($max)" || bad "count $count after the flood, max $max"

# Real flows: one UDP datagram to each of FLOWS local ports, each a new
# flow the kernel cannot track: sendto() fails (EPERM) as the packet is dropped.
nsx bash -c 'for ((i = 0; i < '"$FLOWS"'; i++)); do echo x >/dev/udp/127.0.0.1/$((30000 + i)); done' 2>/dev/null
drop=$(stat_sum drop)
early=$(stat_sum early_drop)
failed=$(stat_sum insert_failed)
[ "$drop" -ge "$FLOWS" ] && ok "the kernel dropped $drop packets (early_drop $early, insert_failed $failed)" ||
	bad "the kernel dropped $drop packets, expected at least $FLOWS"

# --- default facts (no --log-events) --------------------------------------------------
facts --format json
[ "$rc" -eq 0 ] && ok "facts exit 0" || bad "facts exit $rc: $(cat "$tmp/err")"
cp "$tmp/out" "$tmp/after.json"
q "advice.drops equals the statistics" "$tmp/after.json" \
	"d['advice']['drops'] == {'drop': $drop, 'early_drop': $early, 'insert_failed': $failed, 'since_boot': True, 'boot_time': d['advice']['drops']['boot_time']}"
q "advice.drops.boot_time is /proc/stat's btime" "$tmp/after.json" "abs(d['advice']['drops']['boot_time'] - $btime) <= 2"
q "drops_seen and table_full_seen without --log-events" "$tmp/after.json" \
	'd["advice"]["drops_seen"] is True and d["advice"]["table_full_seen"] is True and "events" not in d'
q "the recommended max rises above the max" "$tmp/after.json" \
	"d['advice']['recommended_max'] > $max and d['advice']['change_max'] is True"
q "a reason says how many and since when" "$tmp/after.json" \
	"any(r.startswith('The table has been full since boot (') and 'dropped $drop packets' in r for r in d['advice']['reasons'])"
q "stats.total agrees" "$tmp/after.json" "d['stats']['total']['drop'] == $drop"

# --- the human report -------------------------------------------------------------------
facts --format human
cp "$tmp/out" "$tmp/after.human"
# The title, a blank line, then the drop status (wrapped over a few lines).
if sed -n 3p "$tmp/after.human" | grep -q '^  drops  ' &&
	sed -n 3,5p "$tmp/after.human" | tr -s ' \n' ' ' | grep -q "drops TABLE FULL since boot (.* UTC): $drop packets dropped, $early entr"; then
	ok "human: the drop status is the first line under the title"
else
	bad "human: no drop status at the top"
	head -8 "$tmp/after.human" | sed 's/^/    /'
fi
head -6 "$tmp/after.human" | tr -s ' \n' ' ' | grep -q "recommended max [0-9]* (now $max)" &&
	ok "human: the recommended max beside it" || bad "human: no recommended max at the top"

# --- Prometheus --------------------------------------------------------------------------
facts --format prometheus
cp "$tmp/out" "$tmp/after.prom"
for line in "ctune_conntrack_stat_total{counter=\"drop\"} $drop" "ctune_conntrack_drops_seen 1" \
	"ctune_conntrack_table_full_seen 1" 'ctune_conntrack_advice_change{name="max"} 1'; do
	grep -qxF "$line" "$tmp/after.prom" && ok "prometheus: $line" || bad "prometheus: no line '$line'"
done
t=$(awk '$1 == "ctune_conntrack_drops_since_timestamp_seconds" { print $2 }' "$tmp/after.prom")
[ -n "$t" ] && [ $((t - btime)) -le 2 ] && [ $((btime - t)) -le 2 ] && ok "prometheus: drops since btime" ||
	bad "prometheus: drops_since_timestamp_seconds '$t', btime $btime"
if command -v promtool >/dev/null 2>&1 && "$PY" -c 'import yaml' 2>/dev/null; then
	mkdir "$tmp/prom"
	prom_alert_test "alert rules fire on the dropping namespace's metrics" "$tmp/before.prom" "$tmp/after.prom" dropping "$tmp/prom"
else
	echo "(promtool or python3-yaml missing: the alert rules are not run here)"
fi

# --- the guards, live ------------------------------------------------------------------
nsx "$CTUNE" set max=1000 --no-persist >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "is below the $max entries the table holds now" "$tmp/out" &&
	ok "guard: max below the live count refused" || bad "guard: set max=1000 exit $rc: $(cat "$tmp/out")"
nsx "$CTUNE" set max=1000 --no-persist --check >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "is below the $max entries" "$tmp/out" && ok "guard: the same refusal in check mode" ||
	bad "guard: check mode exit $rc: $(cat "$tmp/out")"
echo '{"max": 1000, "persist": false, "_ansible_check_mode": true}' | nsx "$CTUNE" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && q "guard: JSON request refused, failed true" "$tmp/out" \
	"d['failed'] is True and 'force: true' in d['msg'] and 'drop every new connection' in d['msg']" ||
	bad "guard: JSON exit $rc: $(cat "$tmp/out")"
nsx "$CTUNE" set max=1000 --no-persist --force >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "read-only here" "$tmp/out" && ok "guard: --force passes it to the kernel's own refusal (read-only max)" ||
	bad "guard: --force exit $rc: $(cat "$tmp/out")"
[ "$(nsx cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$max" ] && ok "max unchanged" || bad "max changed"

# --- the host ----------------------------------------------------------------------------
ip netns del "$NS" && ns_made=0
host_snapshot >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then ok "host unchanged"; else
	bad "host changed:"
	diff "$tmp/host.before" "$tmp/host.after" | sed 's/^/    /'
fi
report
