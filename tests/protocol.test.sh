#!/usr/bin/env bash
# protocol.test.sh - the three ways in (argv, Ansible args file, stdin) and
# the one-JSON-object-out rule, on a scratch root.
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/ctune-proto-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

root=$tmp/root
mkdir -p "$root/proc/sys/net/netfilter" "$root/proc/sys/kernel" "$root/etc"
echo 65536 >"$root/proc/sys/net/netfilter/nf_conntrack_max"
echo 12 >"$root/proc/sys/net/netfilter/nf_conntrack_count"
echo 432000 >"$root/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
echo 30 >"$root/proc/sys/net/netfilter/nf_conntrack_udp_timeout"
echo "5.10.0-28-amd64" >"$root/proc/sys/kernel/osrelease"
printf '# test\nnet.ipv4.ip_forward = 1\n' >"$root/etc/sysctl.conf"

# run NAME EXPECTED_RC PYTHON_ASSERTION [ctune args...] : stdout must be one
# JSON object (d) satisfying the assertion; stdin comes from $STDIN if set.
run() {
	local name=$1 want_rc=$2 expr=$3
	shift 3
	local out rc
	if [ -n "${STDIN+x}" ]; then
		out=$(printf '%s' "$STDIN" | "$CTUNE" "$@" 2>"$tmp/stderr")
	else
		out=$("$CTUNE" "$@" 2>"$tmp/stderr" </dev/null)
	fi
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		bad "$name: exit $rc, wanted $want_rc: $out"
		return
	fi
	if printf '%s' "$out" | $py -c "
import json, sys
text = sys.stdin.read()
d = json.loads(text)          # exactly one document, nothing else
assert isinstance(d, dict)
assert $expr, d
" 2>"$tmp/pyerr"; then ok; else bad "$name: $(tail -1 "$tmp/pyerr") :: $out"; fi
}

run "cli facts" 0 'd["max"] == 65536 and d["count"] == 12 and d["usage_percent"] == 0.02 and d["root"] == "'"$root"'"' facts --root "$root"
run "cli facts --format json" 0 'd["scheme"] == "modern"' facts --root="$root" --format json
run "cli unknown option" 2 'd["failed"] is True and "--bogus" in d["msg"]' facts --bogus
run "cli unknown verb" 2 'd["failed"] and "frobnicate" in d["msg"]' frobnicate --root "$root"
run "cli --root missing" 2 'd["failed"] and "/nonexistent" in d["msg"]' facts --root /nonexistent
run "cli --root needs a value" 2 'd["failed"] and "--root" in d["msg"]' facts --root
run "cli facts takes no tunables" 2 'd["failed"]' facts max=5

echo '{"verb": "facts", "root": "'"$root"'", "_ansible_check_mode": false, "_ansible_verbosity": 0, "_ansible_new_in_2099": "x"}' >"$tmp/args.json"
run "args file facts" 0 'd["changed"] is False and d["ansible_facts"]["conntrack"]["max"] == 65536' "$tmp/args.json"
run "args file missing" 2 'd["failed"] and "arguments file" in d["msg"]' "$tmp/none.json"
: >"$tmp/empty.json"
run "args file empty" 2 'd["failed"] and "empty" in d["msg"]' "$tmp/empty.json"

STDIN='{"verb": "facts", "root": "'"$root"'"}' run "stdin facts" 0 'd["ansible_facts"]["conntrack"]["scheme"] == "modern"'
STDIN='{"root": "'"$root"'", "bogus": 1}' run "unknown key" 2 'd["failed"] and "bogus" in d["msg"]'
STDIN='{"verb": "facts", "verb": "set"}' run "duplicate key" 2 'd["failed"] and "duplicate" in d["msg"]'
STDIN='[1, 2]' run "not an object" 2 'd["failed"] and "object" in d["msg"]'
STDIN='{"verb": "fa' run "truncated" 2 'd["failed"] and "JSON" in d["msg"]'
STDIN='{"table": "maybe", "root": "'"$root"'"}' run "bad boolean" 2 'd["failed"] and "table" in d["msg"]'
STDIN='{"max": 1.5, "root": "'"$root"'"}' run "float value" 2 'd["failed"] and "max" in d["msg"]'
STDIN='{"max": "12x", "root": "'"$root"'"}' run "bad number" 2 'd["failed"] and "max" in d["msg"]'
STDIN='{"tcp_timeout_established": "12h", "root": "'"$root"'", "_ansible_check_mode": true}' \
	run "set check mode" 0 'd["changed"] and d["check_mode"] and d["tunables"]["tcp_timeout_established"]["desired"] == 43200'
grep -q tcp_timeout "$root/etc/sysctl.conf" && bad "check mode wrote the file" || ok
[ "$(cat "$root/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established")" = 432000 ] && ok || bad "check mode changed a live value"

echo '{"tcp_timeout_established": "12h", "udp_timeout": 60, "root": "'"$root"'", "_ansible_diff": true}' >"$tmp/set.json"
run "set via args file" 0 'd["changed"] and "diff" in d and "43200" in d["diff"]["after"] and d["tunables"]["udp_timeout"]["live_after"] == 60' "$tmp/set.json"
[ "$(cat "$root/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established")" = 43200 ] && ok || bad "live value not written"
run "set again is idempotent" 0 'd["changed"] is False' "$tmp/set.json"
run "set from the command line" 0 'd["changed"] is False' set tcp_timeout_established=43200 udp_timeout=1m --root "$root"
run "tunables" 0 '"max" in d and d["max"]["keys"]["legacy"] == "net.ipv4.netfilter.ip_conntrack_max"' tunables

out=$("$CTUNE" --help </dev/null) && [[ $out == *"ctune set"* ]] && ok || bad "--help"
"$CTUNE" </dev/null >"$tmp/o" 2>/dev/null; rc=$?
[ $rc = 2 ] && grep -q '"failed":true' "$tmp/o" && ok || bad "empty stdin: rc=$rc $(cat "$tmp/o")"
"$CTUNE" <&- >"$tmp/o" 2>/dev/null; rc=$?
[ $rc = 2 ] && grep -q '"failed":true' "$tmp/o" && ok || bad "closed stdin: rc=$rc $(cat "$tmp/o")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
