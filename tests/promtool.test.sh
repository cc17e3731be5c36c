#!/usr/bin/env bash
# promtool.test.sh - the Prometheus face against Prometheus's own tool:
#   - examples/prometheus/ctune-alerts.yml passes `promtool check rules`, and
#     its unit tests (ctune-alerts.test.yml) pass `promtool test rules`;
#   - the same rules on series made from the real ctune's output (tests/
#     promtest.sh): a root whose statistics go from no drops to 295 drops
#     and 5 early drops fires the dropping alert and, the max being below
#     the advice, the since-boot one; a root that only loses races
#     (drop == insert_failed) fires neither;
#   - ctune's output passes `promtool check metrics` (the naming lint), with
#     and without --table and --per-cpu;
#   - per-CPU series only when asked for (--per-cpu, "per_cpu": true), one
#     per CPU and counter; per_cpu refused outside format prometheus;
#   - the table gauges carry the _entries unit suffix, the old names are gone;
#   - the drop verdicts (ctune_conntrack_drops_seen, _table_full_seen,
#     _drops_since_timestamp_seconds) follow the root's statistics and its
#     /proc/stat btime.
#
# Environment (ctest): CTUNE, CTUNE_TESTS.  Exit 0 passed, 1 failed, 77
# skipped: promtool (Debian: prometheus) or /usr/bin/python3 with yaml missing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/promtest.sh"

TESTS=${CTUNE_TESTS:-$(cd "$(dirname "$0")" && pwd)}
EX=$TESTS/../examples/prometheus
if [ -z "${CTUNE:-}" ] || [ ! -x "$CTUNE" ]; then
	echo "promtool.test.sh: CTUNE is not set to an executable" >&2
	exit 1
fi
command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian: prometheus)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "/usr/bin/python3 with yaml is missing (Debian: python3-yaml)"

scratch promtool

# --- the shipped rules and their unit tests -------------------------------------
if promtool check rules "$EX/ctune-alerts.yml" >"$tmp/o" 2>&1; then ok "promtool check rules"; else
	bad "promtool check rules: $(cat "$tmp/o")"
fi
if (cd "$EX" && promtool test rules ctune-alerts.test.yml) >"$tmp/o" 2>&1; then ok "promtool test rules (examples)"; else
	bad "promtool test rules (examples):"
	sed 's/^/    /' "$tmp/o" | head -30
fi

# --- a root whose statistics we write ------------------------------------------------
r=$tmp/root
cp -a "$TESTS/fixtures/debian12" "$r"
printf 'cpu  1 2 3 4\nintr 10 2 3\nbtime 1764745920\nprocesses 12\n' >"$r/proc/stat"
# stat ROWS...: the root's statistics file, one "drop early_drop insert_failed" a CPU
stat() {
	{
		echo "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart"
		for row in "$@"; do
			# shellcheck disable=SC2086 # three numbers
			set -- $row
			printf '00000266  00000000 00000007 00000000 00000067 00000000 00000000 00000002 00792f22 %08x %08x %08x 00000000  00000000 00000000 00000000 00000000\n' "$3" "$1" "$2"
		done
	} >"$r/proc/net/stat/nf_conntrack"
}
prom() { "$CTUNE" facts --root "$r" --format prometheus "$@"; }
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

stat "0 0 0" "0 0 0"
prom >"$tmp/before.prom" || bad "facts --format prometheus (no drops)"
stat "200 3 0" "95 2 0"
prom >"$tmp/after.prom" || bad "facts --format prometheus (drops)"
prom_alert_test "alerts on ctune's output: dropping root fires" "$tmp/before.prom" "$tmp/after.prom" dropping "$tmp"
[ "$(value 'ctune_conntrack_stat_total{counter="drop"}' "$tmp/after.prom")" = 295 ] && ok "stat_total drop 295" ||
	bad "stat_total drop: $(grep 'counter="drop"' "$tmp/after.prom")"
[ "$(value ctune_conntrack_drops_seen "$tmp/after.prom")" = 1 ] && ok "drops_seen 1" || bad "drops_seen after drops"
[ "$(value ctune_conntrack_table_full_seen "$tmp/after.prom")" = 1 ] && ok "table_full_seen 1" ||
	bad "table_full_seen after drops"
[ "$(value ctune_conntrack_drops_seen "$tmp/before.prom")" = 0 ] &&
	[ "$(value ctune_conntrack_table_full_seen "$tmp/before.prom")" = 0 ] && ok "verdicts 0 without drops" ||
	bad "verdicts without drops"
[ "$(value ctune_conntrack_drops_since_timestamp_seconds "$tmp/after.prom")" = 1764745920 ] &&
	ok "drops_since_timestamp_seconds is the root's btime" || bad "drops_since_timestamp_seconds"

# Races only: drop == insert_failed, no early drop.
stat "40 0 40" "2 0 2"
prom >"$tmp/races.prom" || bad "facts --format prometheus (races)"
mkdir "$tmp/races"
prom_alert_test "alerts on ctune's output: races alone stay quiet" "$tmp/before.prom" "$tmp/races.prom" quiet "$tmp/races"
[ "$(value ctune_conntrack_drops_seen "$tmp/races.prom")" = 1 ] &&
	[ "$(value ctune_conntrack_table_full_seen "$tmp/races.prom")" = 0 ] && ok "races: drops seen, not full" ||
	bad "races: verdicts"

# --- the naming lint, per-CPU series and unit suffixes ------------------------------
stat "200 3 0" "95 2 0" "0 0 0"
for args in "" "--table" "--per-cpu" "--table --per-cpu"; do
	# shellcheck disable=SC2086 # options
	prom $args >"$tmp/m.prom" 2>"$tmp/err" || bad "facts --format prometheus $args: $(cat "$tmp/err")"
	if promtool check metrics <"$tmp/m.prom" >"$tmp/o" 2>&1; then ok "promtool check metrics $args"; else
		bad "promtool check metrics $args: $(head -c 2000 "$tmp/o")"
	fi
done
prom >"$tmp/default.prom"
prom --per-cpu >"$tmp/percpu.prom"
n=$(grep -c '^ctune_conntrack_stat_per_cpu_total{' "$tmp/default.prom")
[ "$n" = 0 ] && ok "no per-CPU series by default" || bad "per-CPU series by default: $n"
n=$(grep -c '^ctune_conntrack_stat_per_cpu_total{' "$tmp/percpu.prom")
# 3 CPU lines x 16 counters (the 17 columns but entries)
[ "$n" = 48 ] && ok "--per-cpu: 48 series (3 CPUs x 16 counters)" || bad "--per-cpu: $n series, not 48"
grep -q '^ctune_conntrack_stat_per_cpu_total{cpu="2",counter="drop"} 0$' "$tmp/percpu.prom" &&
	grep -q '^ctune_conntrack_stat_per_cpu_total{cpu="0",counter="drop"} 200$' "$tmp/percpu.prom" &&
	ok "--per-cpu values by CPU" || bad "--per-cpu values"
echo '{"verb": "facts", "root": "'"$r"'", "format": "prometheus", "per_cpu": true}' | "$CTUNE" >"$tmp/j.prom"
cmp -s "$tmp/j.prom" "$tmp/percpu.prom" && ok 'JSON "per_cpu": true is --per-cpu' || bad 'JSON per_cpu'
run facts --root "$r" --format json --per-cpu
[ "$rc" = 2 ] && grep -q 'per_cpu: only for facts in format prometheus' "$tmp/out" && ok "--per-cpu refused with json" ||
	bad "--per-cpu with json: rc $rc $(cat "$tmp/out")"
run set max=1210856 --per-cpu --root "$r" --check
[ "$rc" = 2 ] && ok "--per-cpu refused on set" || bad "--per-cpu on set: rc $rc"

prom --table >"$tmp/table.prom"
for m in assured unreplied offload long_timeout; do
	if grep -q "^ctune_conntrack_${m}_entries " "$tmp/table.prom" && ! grep -q "^ctune_conntrack_${m} " "$tmp/table.prom"; then
		ok "ctune_conntrack_${m}_entries"
	else
		bad "ctune_conntrack_${m}_entries missing or the old name left"
	fi
done

report
