#!/usr/bin/env bash
# guards.test.sh - set's guards (src/guard.h) through both faces, on a
# scratch copy of tests/fixtures/debian12 (its live values are files under
# the root, so the count is that root's /proc, never the host's):
#   - max below the root's count: refused, exit 2, one JSON error that says
#     what would happen and how to force it; nothing under the root changes;
#     the same refusal in check mode (--check, check_mode, Ansible's
#     _ansible_check_mode); the count followed when the root's changes;
#   - tcp_timeout_established below 7200 s and udp_timeout_stream below
#     120 s: refused the same way, raised values and other timeouts not;
#   - --force / "force": true: applied, with a warning naming the guard;
#     force on facts refused;
#   - a value the guards do not question gets no guard warning with force.
#
# Environment (ctest): CTUNE, CTUNE_TESTS.  Exit 0 passed, 1 failed, 77
# skipped (python3 missing).
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "$0")" && pwd)}
if [ -z "${CTUNE:-}" ] || [ ! -x "$CTUNE" ]; then
	echo "guards.test.sh: CTUNE is not set to an executable" >&2
	exit 1
fi
[ -x "$PY" ] || skip "$PY is missing"

scratch guards
r=$tmp/root
cp -a "$TESTS/fixtures/debian12" "$r"
NF=$r/proc/sys/net/netfilter/nf_conntrack_
count=$(cat "${NF}count")

# tree: every file under the root with its content hash (what "nothing
# changed" means here)
tree() { (cd "$r" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
# q WHAT EXPR: a python expression over the JSON response d is true
q() {
	if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/out" "$2" 2>"$tmp/qerr"; then
		ok "$1"
	else
		bad "$1: $2 $(cat "$tmp/qerr")"
		head -c 1200 "$tmp/out" | sed 's/^/    /'
		echo
	fi
}
# refused WHAT WORDS ARGS...: exit 2, failed, msg holds WORDS, root unchanged
refused() {
	local what=$1 words=$2
	shift 2
	tree >"$tmp/tree.before"
	run "$@"
	tree >"$tmp/tree.after"
	if [ "$rc" -eq 2 ] && cmp -s "$tmp/tree.before" "$tmp/tree.after"; then
		q "$what" "d['failed'] is True and d['changed'] is False and $(printf '%s' "$words" | "$PY" -c 'import sys; print(repr(sys.stdin.read()))') in d['msg'] and 'force: true (--force)' in d['msg']"
	else
		bad "$what: exit $rc (want 2), root changed: $(cmp -s "$tmp/tree.before" "$tmp/tree.after" && echo no || echo yes)"
		head -c 800 "$tmp/out" | sed 's/^/    /'
	fi
}
# json REQUEST: run a JSON request on stdin
json() {
	printf '%s' "$1" | "$CTUNE" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# --- max below the count -----------------------------------------------------------
below=$((count - 14))
refused "cli: max below the count" "nf_conntrack_max $below is below the $count entries the table holds now" \
	set "max=$below" --root "$r" --format json
refused "cli --check: the same refusal" "is below the $count entries" set "max=$below" --root "$r" --check --format json
refused "cli --no-persist: refused (it goes live)" "is below the $count entries" set "max=$below" --no-persist --root "$r" --format json
tree >"$tmp/tree.before"
json '{"max": '"$below"', "root": "'"$r"'", "check_mode": true}'
[ "$rc" -eq 2 ] && q "json check_mode: refused" "d['failed'] and 'drop every new connection' in d['msg'] and 'until more than 14 entries expire' in d['msg']" ||
	bad "json check_mode: exit $rc"
json '{"max": '"$below"', "root": "'"$r"'", "_ansible_check_mode": true, "_ansible_diff": true}'
[ "$rc" -eq 2 ] && q "ansible check mode: refused" "d['failed'] and 'is below the $count entries' in d['msg']" ||
	bad "ansible check mode: exit $rc"
tree >"$tmp/tree.after"
cmp -s "$tmp/tree.before" "$tmp/tree.after" && ok "json refusals: root unchanged" || bad "json refusals changed the root"

# Persisted only: it applies at the next boot, to an empty table: a warning.
run set "max=$below" --no-live --root "$r" --check --format json
[ "$rc" -eq 0 ] && q "--no-live: a warning, not a refusal" "any('persisted only, it applies at the next boot' in w for w in d['warnings'])" ||
	bad "--no-live: exit $rc $(cat "$tmp/out")"

# The root's own count decides.
echo $((below - 100)) >"${NF}count"
run set "max=$below" --root "$r" --check --format json
[ "$rc" -eq 0 ] && q "the root's count followed: allowed once below it" "not any('below the' in w for w in d['warnings'])" ||
	bad "count followed: exit $rc $(cat "$tmp/out")"
echo "$count" >"${NF}count"

# --- timeouts -------------------------------------------------------------------------
refused "cli: tcp_timeout_established=1s" "nf_conntrack_tcp_timeout_established 1 s is below 7200 s" \
	set tcp_timeout_established=1s --root "$r" --format json
refused "cli --check: tcp_timeout_established=1h" "3600 s is below 7200 s" \
	set tcp_timeout_established=1h --root "$r" --check --format json
refused "cli: udp_timeout_stream=60" "nf_conntrack_udp_timeout_stream 60 s is below 120 s" \
	set udp_timeout_stream=60 --root "$r" --format json
json '{"tcp_timeout_established": "30m", "udp_timeout": 45, "root": "'"$r"'"}'
[ "$rc" -eq 2 ] && q "json: one guarded value refuses the whole request" "d['failed'] and '1800 s is below 7200 s' in d['msg']" ||
	bad "json timeout: exit $rc"
[ "$(cat "${NF}udp_timeout")" != 45 ] && ok "json: nothing of that request applied" || bad "udp_timeout applied"
run set tcp_timeout_established=2h udp_timeout_stream=120 udp_timeout=10 --root "$r" --check --format json
[ "$rc" -eq 0 ] && q "at the floors, and an unguarded timeout: allowed" "d['changed'] is True and not any('forced' in w for w in d['warnings'])" ||
	bad "at the floors: exit $rc $(cat "$tmp/out")"

# --- force ------------------------------------------------------------------------------
run set "max=$below" --force --root "$r" --format json
if [ "$rc" -eq 0 ] && [ "$(cat "${NF}max")" = "$below" ]; then
	q "--force: applied, with the guard's warning" "d['changed'] and any(w.startswith('forced (force: true): net.netfilter.nf_conntrack_max $below is below the $count entries') for w in d['warnings'])"
else
	bad "--force: exit $rc, max $(cat "${NF}max") $(cat "$tmp/out")"
fi
json '{"tcp_timeout_established": 600, "force": true, "root": "'"$r"'"}'
if [ "$rc" -eq 0 ] && [ "$(cat "${NF}tcp_timeout_established")" = 600 ]; then
	q 'json "force": true: applied, with the guard'"'"'s warning' "any(w.startswith('forced (force: true): net.netfilter.nf_conntrack_tcp_timeout_established 600 s is below 7200 s') for w in d['warnings'])"
else
	bad "json force: exit $rc $(cat "$tmp/out")"
fi
# From 600, raising to 3600 (still below the floor) makes it better: no refusal.
run set tcp_timeout_established=3600 --root "$r" --format json
[ "$rc" -eq 0 ] && [ "$(cat "${NF}tcp_timeout_established")" = 3600 ] && ok "raising a timeout below its floor: allowed" ||
	bad "raise below floor: exit $rc $(cat "$tmp/out")"
run set udp_timeout=40 --force --root "$r" --format json
[ "$rc" -eq 0 ] && q "--force on a value no guard questions: no guard warning" "not any('forced' in w for w in d['warnings'])" ||
	bad "force harmless: exit $rc"
run facts --force --root "$r" --format json
[ "$rc" -eq 2 ] && q "force on facts: refused" "'force: only for set' in d['msg']" || bad "facts --force: exit $rc"

report
