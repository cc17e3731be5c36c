#!/usr/bin/env bash
# set-netns.test.sh - the set verb against the real kernel, inside a private
# network (and mount) namespace, so live writes hit real /proc/sys files that
# belong to a throwaway namespace.
#
# The root prefix is a scratch directory whose proc is a symbolic link to
# /proc (live reads and writes go to this namespace's /proc/sys) and whose
# etc/ is scratch.  Covered: per-namespace timeouts set live and persisted and
# read back from /proc/sys; a second run changes nothing; check mode leaves
# live values alone; nf_conntrack_max, read-only (0444) outside the initial
# namespace, fails with a clear message and succeeds with live: false; a
# kernel refusal mid-way (frag6_low_thresh above frag6_high_thresh: EINVAL)
# rolls the earlier live write back and leaves the file as it was; a save
# that fails after the live writes (read-only or full tmpfs over etc/) rolls
# them back and leaves no temporary file.  The host's own namespace is never
# touched: a few of its values are recorded before and compared after.
#
# Skipped (exit 77) unless run as root with unshare and conntrack sysctls.
set -u
: "${CTUNE:?}"
py=/usr/bin/python3

NF=/proc/sys/net/netfilter/nf_conntrack_
host_keys="tcp_timeout_established udp_timeout icmp_timeout max frag6_low_thresh frag6_high_thresh"

# ============================ inside the namespace ===========================
if [ "${1:-}" = --inner ]; then
	host_ns=$2 tmp=$3
	pass=0 fail=0
	ok() { pass=$((pass + 1)); }
	bad() {
		fail=$((fail + 1))
		echo "FAIL: $*"
	}
	finish() {
		echo "INNER $pass $fail"
		exit 0
	}
	# Never run a single write in the host's namespace.
	if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
		bad "not in a private network namespace: refusing to touch /proc/sys"
		finish
	fi
	ok
	q() {
		if $py - "$2" "$3" <<'PY'; then ok; else bad "$1: $3"; fi
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
    assert eval(sys.argv[2], {"d": d, "any": any, "all": all})
except Exception as e:
    print(f"    {type(e).__name__}: {e}\n    stdout: {text.strip()[:1500]}")
    sys.exit(1)
PY
	}
	run() {
		local out=$1
		shift
		"$CTUNE" set "$@" --root "$r" >"$out" 2>"$out.err" </dev/null
		rc=$?
	}
	run_json() {
		printf '%s' "$2" | "$CTUNE" >"$1" 2>"$1.err"
		rc=$?
	}
	rc_is() { if [ "$rc" = "$2" ]; then ok; else bad "$1: exit $rc, wanted $2: $(cat "$tmp/out.json" 2>/dev/null)"; fi; }
	val() { cat "$NF$1"; }
	# live NAME... : "name=value ..." of this namespace
	live() {
		local k s=""
		for k in "$@"; do s="$s $k=$(val "$k")"; done
		echo "${s# }"
	}
	snap() {
		(cd "$1" && find . -printf '%p %y %m %i %s %T@ %l\n' | LC_ALL=C sort &&
			find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
	}
	untouched() {
		if snap "$2" | cmp -s - "$3"; then ok; else
			bad "$1: etc/ changed"
			snap "$2" | diff "$3" - | head -10 | sed 's/^/    /'
		fi
	}
	same() {
		if cmp -s "$2" "$3"; then ok; else
			bad "$1: $2 differs"
			diff "$3" "$2" | head -10 | sed 's/^/    /'
		fi
	}

	r=$tmp/root
	mkdir -p "$r/etc/sysctl.d"
	# proc is this namespace's /proc, bound in (a link to /proc is a link
	# out of the root, which ctune never follows).
	mkdir "$r/proc" && mount --bind /proc "$r/proc" || bad "bind /proc"
	out=$tmp/out.json

	# A new namespace starts from the kernel's defaults.
	tcp0=$(val tcp_timeout_established)
	printf '# ctune netns test\nnet.ipv4.ip_forward = 0\n' >"$r/etc/sysctl.conf"

	# --- timeouts, live and persisted ---
	run "$out" tcp_timeout_established=12h udp_timeout=45
	rc_is "set timeouts" 0
	q "set timeouts" "$out" "d['changed'] and d['scheme'] == 'modern' and d['tunables']['tcp_timeout_established']['live_before'] == $tcp0 and d['tunables']['tcp_timeout_established']['live_after'] == 43200 and d['tunables']['udp_timeout']['live_after'] == 45 and d['warnings'] == []"
	if [ "$(live tcp_timeout_established udp_timeout)" = "tcp_timeout_established=43200 udp_timeout=45" ]; then ok; else
		bad "set timeouts: /proc/sys says $(live tcp_timeout_established udp_timeout)"
	fi
	printf '# ctune netns test\nnet.ipv4.ip_forward = 0\nnet.netfilter.nf_conntrack_tcp_timeout_established = 43200\nnet.netfilter.nf_conntrack_udp_timeout = 45\n' >"$tmp/want"
	same "set timeouts: file" "$r/etc/sysctl.conf" "$tmp/want"
	# procps applies what ctune wrote (all per-namespace keys here).
	err=$(sysctl -p "$r/etc/sysctl.conf" 2>&1 >/dev/null)
	if [ $? = 0 ] && [ -z "$err" ] && [ "$(live tcp_timeout_established udp_timeout)" = "tcp_timeout_established=43200 udp_timeout=45" ]; then ok; else
		bad "sysctl -p of the written file: $err"
	fi

	# --- again: nothing to do ---
	snap "$r/etc" >"$tmp/snap"
	run "$out" tcp_timeout_established=43200 udp_timeout=45s
	rc_is "again" 0
	q "again" "$out" "d['changed'] is False"
	untouched "again" "$r/etc" "$tmp/snap"

	# --- check mode: live values identical ---
	run_json "$out" '{"tcp_timeout_established": "3h", "udp_timeout": 60, "_ansible_check_mode": true, "_ansible_diff": true, "root": "'"$r"'"}'
	rc_is "check mode" 0
	q "check mode" "$out" "d['changed'] and d['check_mode'] and d['tunables']['udp_timeout']['live_after'] == 60 and 'nf_conntrack_udp_timeout = 60' in d['diff']['after']"
	if [ "$(live tcp_timeout_established udp_timeout)" = "tcp_timeout_established=43200 udp_timeout=45" ]; then ok; else
		bad "check mode changed live values: $(live tcp_timeout_established udp_timeout)"
	fi
	untouched "check mode" "$r/etc" "$tmp/snap"

	# --- the Ansible way in: one argument, a file of JSON ---
	printf '{"tcp_timeout_established": "2d", "root": "%s", "_ansible_check_mode": false, "_ansible_diff": false, "_ansible_module_name": "ctune", "_ansible_version": "2.14.18"}' "$r" >"$tmp/args"
	"$CTUNE" "$tmp/args" >"$out" 2>"$out.err"
	rc=$?
	rc_is "args file" 0
	q "args file" "$out" "d['changed'] and d['tunables']['tcp_timeout_established']['live_after'] == 172800"
	[ "$(val tcp_timeout_established)" = 172800 ] && ok || bad "args file: live $(val tcp_timeout_established)"
	run "$out" tcp_timeout_established=12h
	[ "$(val tcp_timeout_established)" = 43200 ] && ok || bad "back to 12h: live $(val tcp_timeout_established)"

	# --- max is read-only outside the initial namespace ---
	maxmode=$(stat -c %a "${NF}max")
	[ "$maxmode" = 444 ] && ok || bad "nf_conntrack_max is mode $maxmode in a new namespace (the test expects 444)"
	max0=$(val max)
	snap "$r/etc" >"$tmp/snap"
	run "$out" max=$((max0 + 1000)) udp_timeout=46
	rc_is "max live" 1
	q "max live" "$out" "d['failed'] and 'read-only' in d['msg'] and 'net.netfilter.nf_conntrack_max' in d['msg'] and 'live: false' in d['msg']"
	[ "$(live max udp_timeout)" = "max=$max0 udp_timeout=45" ] && ok || bad "max live: $(live max udp_timeout)"
	untouched "max live" "$r/etc" "$tmp/snap"
	run_json "$out" '{"max": "'$((max0 + 1000))'", "live": false, "root": "'"$r"'"}'
	rc_is "max, live false" 0
	q "max, live false" "$out" "d['changed'] and d['tunables']['max']['keys'] == ['net.netfilter.nf_conntrack_max'] and not d['tunables']['max']['live_changed'] and d['tunables']['max']['persisted_after'] == $((max0 + 1000))"
	[ "$(val max)" = "$max0" ] && ok || bad "max, live false: live max $(val max)"
	if grep -qx "net.netfilter.nf_conntrack_max = $((max0 + 1000))" "$r/etc/sysctl.conf" && ! grep -q '^net.nf_conntrack_max' "$r/etc/sysctl.conf"; then ok; else
		bad "max, live false: file $(tr '\n' '|' <"$r/etc/sysctl.conf")"
	fi

	# --- the kernel refuses a value mid-way: roll back ---
	high=$(val frag6_high_thresh)
	state0=$(live tcp_timeout_established frag6_low_thresh frag6_high_thresh udp_timeout)
	cp -p "$r/etc/sysctl.conf" "$tmp/file.before"
	snap "$r/etc" >"$tmp/snap"
	run "$out" tcp_timeout_established=10800 frag6_low_thresh=$((high + 1)) udp_timeout=77
	# Exit 1 or 2: the request failed (main.c maps EINVAL to 2).
	[ "$rc" = 1 ] || [ "$rc" = 2 ] && ok || bad "kernel refusal: exit $rc"
	q "kernel refusal" "$out" "d['failed'] and d['changed'] is False and 'frag6_low_thresh' in d['msg'] and 'Invalid argument' in d['msg']"
	state1=$(live tcp_timeout_established frag6_low_thresh frag6_high_thresh udp_timeout)
	[ "$state1" = "$state0" ] && ok || bad "kernel refusal: live values not restored: before [$state0] after [$state1]"
	same "kernel refusal: file" "$r/etc/sysctl.conf" "$tmp/file.before"
	untouched "kernel refusal" "$r/etc" "$tmp/snap"

	# --- the largest timeout the scheme table allows, the kernel takes too ---
	run "$out" tcp_timeout_established=2147483 --no-persist
	rc_is "largest timeout" 0
	[ "$(val tcp_timeout_established)" = 2147483 ] && ok || bad "largest timeout: live $(val tcp_timeout_established)"
	run "$out" tcp_timeout_established=12h --no-persist

	# --- thresholds that depend on each other: a valid wanted state is
	# reached whatever the order of the request (the kernel wants
	# low <= high at every single write) ---
	high=$(val frag6_high_thresh) low=$(val frag6_low_thresh)
	run "$out" frag6_low_thresh=$((high + 1000000)) frag6_high_thresh=$((high + 2000000)) --no-persist
	rc_is "raise both thresholds, low first" 0
	[ "$(live frag6_low_thresh frag6_high_thresh)" = "frag6_low_thresh=$((high + 1000000)) frag6_high_thresh=$((high + 2000000))" ] && ok ||
		bad "raise both thresholds, low first: $(live frag6_low_thresh frag6_high_thresh) ($(cat "$out"))"
	# back to where they were, then lower both, high first
	printf '%s\n' "$high" >"${NF}frag6_high_thresh"
	printf '%s\n' "$low" >"${NF}frag6_low_thresh"
	printf '%s\n' "$high" >"${NF}frag6_high_thresh"
	run_json "$out" '{"frag6_high_thresh": '$((low - 1000000))', "frag6_low_thresh": '$((low - 2000000))', "persist": false, "root": "'"$r"'"}'
	rc_is "lower both thresholds, high first" 0
	[ "$(live frag6_low_thresh frag6_high_thresh)" = "frag6_low_thresh=$((low - 2000000)) frag6_high_thresh=$((low - 1000000))" ] && ok ||
		bad "lower both thresholds, high first: $(live frag6_low_thresh frag6_high_thresh) ($(cat "$out"))"
	printf '%s\n' "$high" >"${NF}frag6_high_thresh"
	printf '%s\n' "$low" >"${NF}frag6_low_thresh"

	# --- the save fails after the live writes: roll back ---
	# etc/ becomes a read-only tmpfs (this is a private mount namespace).
	mount -t tmpfs -o size=64k,mode=0755 ctune-etc "$r/etc" || bad "mount tmpfs"
	cp -p "$tmp/file.before" "$r/etc/sysctl.conf"
	mount -o remount,ro "$r/etc" || bad "remount ro"
	state0=$(live tcp_timeout_established udp_timeout)
	run "$out" tcp_timeout_established=10800 udp_timeout=77
	rc_is "read-only etc" 1
	q "read-only etc" "$out" "d['failed'] and '/etc/sysctl.conf' in d['msg'] and 'Read-only file system' in d['msg']"
	state1=$(live tcp_timeout_established udp_timeout)
	[ "$state1" = "$state0" ] && ok || bad "read-only etc: live values not restored: before [$state0] after [$state1]"
	same "read-only etc: file" "$r/etc/sysctl.conf" "$tmp/file.before"
	[ "$(ls -A "$r/etc")" = sysctl.conf ] && ok || bad "read-only etc: left $(ls -A "$r/etc" | tr '\n' ' ')"
	# A full file system: the temporary file is made, the write fails.
	mount -o remount,rw "$r/etc" || bad "remount rw"
	dd if=/dev/zero of="$r/etc/filler" bs=4096 2>/dev/null
	for backup in "" --backup; do
		run "$out" tcp_timeout_established=10800 udp_timeout=77 $backup
		rc_is "full etc $backup" 1
		q "full etc $backup" "$out" "d['failed'] and '/etc/sysctl.conf' in d['msg'] and 'No space left on device' in d['msg']"
		state1=$(live tcp_timeout_established udp_timeout)
		[ "$state1" = "$state0" ] && ok || bad "full etc: live values not restored: before [$state0] after [$state1]"
		same "full etc: file" "$r/etc/sysctl.conf" "$tmp/file.before"
		[ "$(ls -A "$r/etc" | tr '\n' ' ')" = "filler sysctl.conf " ] && ok || bad "full etc: left $(ls -A "$r/etc" | tr '\n' ' ')"
	done
	umount "$r/etc"
	finish
fi

# ============================ outside: the host ==============================
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network and mount namespaces)" >&2
	exit 77
fi
if ! unshare -mn true 2>/dev/null; then
	echo "SKIP: unshare -mn is not permitted here" >&2
	exit 77
fi
if ! unshare -n test -w "${NF}tcp_timeout_established"; then
	echo "SKIP: no per-namespace conntrack sysctls (nf_conntrack not available)" >&2
	exit 77
fi
if ! unshare -n test -e "${NF}frag6_high_thresh"; then
	echo "SKIP: no nf_conntrack_frag6_* sysctls (IPv6 defragmentation not built)" >&2
	exit 77
fi

tmp=$(mktemp -d /tmp/ctune-set-netns-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

host_values() {
	local k
	for k in $host_keys; do
		[ -e "$NF$k" ] && echo "$k=$(cat "$NF$k")"
	done
	[ -e /proc/sys/net/nf_conntrack_max ] && echo "alias=$(cat /proc/sys/net/nf_conntrack_max)"
}
host_values >"$tmp/host.before"

unshare -mn bash "$0" --inner "$(readlink /proc/self/ns/net)" "$tmp" >"$tmp/inner.out" 2>&1
grep -v '^INNER ' "$tmp/inner.out"
counts=$(grep '^INNER ' "$tmp/inner.out" | tail -1)
if [ -n "$counts" ]; then
	read -r _ p f <<<"$counts"
	pass=$((pass + p))
	fail=$((fail + f))
else
	fail=$((fail + 1))
	echo "FAIL: the namespace part did not finish"
fi

host_values >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: the host's own values changed:"
	diff "$tmp/host.before" "$tmp/host.after" | sed 's/^/    /'
fi
if ! mount | grep -q ctune-etc; then pass=$((pass + 1)); else
	fail=$((fail + 1))
	echo "FAIL: a test mount leaked into the host's mount namespace"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
