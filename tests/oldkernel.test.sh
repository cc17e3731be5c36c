#!/usr/bin/env bash
# oldkernel.test.sh - the static ctune on the system calls of CentOS 5
# (2.6.18), CentOS 6 (2.6.32) and CentOS 7 (3.10), through the launcher
# tests/oldkernel (a seccomp filter: calls newer than the release fail with
# ENOSYS, flags it refused with EINVAL; see tests/oldkernel.c).
#
#   oldkernel.test.sh --launcher   the launcher alone: its table, its usage
#                                  errors, and what a probe sees under each
#                                  release (ctest's sh-oldkernel-launcher,
#                                  every build)
#   oldkernel.test.sh              the same, then ctune under the launcher
#                                  for each release: facts on every fixture
#                                  root (== expected.json and == the same run
#                                  without the filter), facts --table, set
#                                  --check / for real / again unchanged /
#                                  --backup on scratch roots, and facts and
#                                  set for real in a private network and
#                                  mount namespace (never the host's values)
#
# Environment:
#   CTUNE_OLDKERNEL  the launcher (build/tests/oldkernel); unset: skipped
#   CTUNE_FLAVOUR    "static" for the ctune part, else skipped: glibc refuses
#                    to start on kernels older than 3.2, so the static musl
#                    binary is the product for those hosts
#   CTUNE_REAL       the ctune under test, run directly (tests/ctune-logged is
#                    a bash script, and bash is a dynamic glibc program)
#   CTUNE_TESTS      the tests/ source directory (default: this script's)
#   CTUNE_OLDKERNEL_RELEASES  the releases for ctune (default
#                    "2.6.18 2.6.32 3.10"; "3.10" lets a dynamic glibc build
#                    try the plumbing)
# Exit: 0 all passed, 1 a check failed, 77 skipped (reason on stderr).
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "$0")" && pwd)}
FIX=$TESTS/fixtures
ROOTS="centos5 centos7 debian12 noproc unloaded"
RELEASES=${CTUNE_OLDKERNEL_RELEASES:-2.6.18 2.6.32 3.10}
L=${CTUNE_OLDKERNEL:-}
mode=${1:-}

[ -n "$L" ] || skip "CTUNE_OLDKERNEL is not set (the launcher, build/tests/oldkernel, needs libseccomp)"
[ -x "$L" ] || skip "CTUNE_OLDKERNEL=$L is not an executable"
if [ "$mode" != --launcher ]; then
	[ "${CTUNE_FLAVOUR:-}" = static ] ||
		skip "CTUNE_FLAVOUR is not static: glibc refuses to start on kernels older than 3.2, the static musl binary is the product for those hosts"
	[ -n "${CTUNE_REAL:-}" ] && [ -x "$CTUNE_REAL" ] || skip "CTUNE_REAL (the static ctune) is not an executable"
	[ -x "$PY" ] || skip "$PY is missing (the comparer needs python3)"
fi

# 2.6.18 -> 132626: compare releases as numbers.
kv() {
	local a b c
	IFS=. read -r a b c <<<"$1"
	echo $(((a << 16) + (b << 8) + ${c:-0}))
}

scratch oldkernel
dump() {
	sed 's/^/     stderr: /' "$tmp/err" | head -n 20
	head -c 600 "$tmp/out" | sed 's/^/     stdout: /'
	echo
}

# A sandbox that refuses seccomp filters (some container runtimes) is a
# reason to skip, not a failure of ctune.
if ! "$L" 2.6.18 "$L" --list 2.6.18 >/dev/null 2>"$tmp/err"; then
	grep -q "seccomp" "$tmp/err" && skip "no seccomp filters here: $(head -1 "$tmp/err")"
fi

# ============================ the launcher ===================================
# 1. Its table holds every call this libseccomp knows past 2.6.18.
if out=$("$L" --check 2>&1); then
	ok "launcher --check: $(printf '%s\n' "$out" | tail -1)"
else
	bad "launcher --check"
	printf '%s\n' "$out" | sed 's/^/     /'
fi

# 2. Releases it cannot describe, and a missing command: usage error, exit 2,
# the command never runs.
for rel in 2.6.17 2.4.37 2.6 1.0 banana 3.10.x 3..10 "" 2.6.18-el5; do
	rm -f "$tmp/ran"
	"$L" "$rel" touch "$tmp/ran" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ ! -e "$tmp/ran" ] && grep -q "usage: oldkernel" "$tmp/err"; then
		ok "launcher: release '$rel' is a usage error"
	else
		bad "launcher: release '$rel': exit $rc, ran: $([ -e "$tmp/ran" ] && echo yes || echo no)"
		dump
	fi
done
"$L" 3.10 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && ok "launcher: no command is a usage error" || bad "launcher: no command: exit $rc"
"$L" 3.10 "$tmp/no-such-command" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 127 ] && grep -q "no-such-command" "$tmp/err" && ok "launcher: a missing command is exit 127" ||
	bad "launcher: a missing command: exit $rc"

# 3. What a probe (the launcher itself, --probe: raw calls, no libc
# fallback) sees under each release.  The expectations are written here,
# independently of the launcher's table: WHAT FIRST-RELEASE-THAT-ALLOWS ERROR.
expect="getrandom 3.17 ENOSYS
statx 4.11 ENOSYS
pipe2 2.6.27 ENOSYS
openat2 5.6 ENOSYS
renameat2 3.15 ENOSYS
prlimit64 2.6.36 ENOSYS
epoll_pwait 2.6.19 ENOSYS
socket-cloexec 2.6.27 EINVAL
socket-nonblock 2.6.27 EINVAL
socket-plain 0 -
fcntl-dupfd-cloexec 2.6.24 EINVAL
fstatat-empty-path 2.6.39 EINVAL
clock-boottime 2.6.39 EINVAL
clock-monotonic 0 -
futimesat-fd 2.6.22 EFAULT
open-tmpfile 3.11 EISDIR
netlink-ext-ack 4.12 ENOPROTOOPT
netlink-pktinfo 0 -"
# This kernel, unfiltered, is the baseline: a call it lacks itself is left out.
"$L" --probe >"$tmp/base" 2>"$tmp/err" || bad "launcher --probe without a filter: exit $?"
host=$(uname -r | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
for rel in 2.6.18 2.6.19 2.6.32 3.10 3.17 4.12 5.6 "$host"; do
	if ! "$L" "$rel" "$L" --probe >"$tmp/probe" 2>"$tmp/err"; then
		bad "probe under $rel: exit $?"
		dump
		continue
	fi
	diffs=""
	checked=0
	while read -r what since err; do
		base=$(awk -v w="$what" '$1 == w { print $2 }' "$tmp/base")
		[ "$base" = ok ] || continue
		got=$(awk -v w="$what" '$1 == w { print $2 }' "$tmp/probe")
		if [ "$since" != 0 ] && [ "$(kv "$rel")" -lt "$(kv "$since")" ]; then want=$err; else want=ok; fi
		checked=$((checked + 1))
		[ "$got" = "$want" ] || diffs="$diffs $what=$got(want $want)"
	done <<<"$expect"
	if [ -z "$diffs" ] && [ "$checked" -gt 10 ]; then
		ok "probe under $rel: $checked calls answer as $rel would"
	else
		bad "probe under $rel ($checked checked):$diffs"
	fi
done

# 4. The filter reaches the command's children, and a program that is not
# the probe: a shell's child, python's os.getrandom (3.10: glibc still runs).
out=$("$L" 3.10 /bin/sh -c "\"$L\" --probe" 2>&1)
if printf '%s\n' "$out" | grep -qx "getrandom ENOSYS"; then
	ok "launcher: a child of the command is filtered too"
else
	bad "launcher: a child of the command: $(printf '%s' "$out" | tr '\n' ' ')"
fi
if [ -x "$PY" ]; then
	prog='import os, sys
try:
    os.getrandom(1)
    print("ok")
except OSError as e:
    print(e.errno)'
	free=$("$PY" -c "$prog" 2>&1)
	old=$("$L" 3.10 "$PY" -c "$prog" 2>&1)
	new=$("$L" 3.17 "$PY" -c "$prog" 2>&1)
	if [ "$free" = ok ] && [ "$old" = 38 ] && [ "$new" = ok ]; then
		ok "python3 os.getrandom: ENOSYS under 3.10, allowed under 3.17"
	else
		bad "python3 os.getrandom: unfiltered '$free', 3.10 '$old' (want 38), 3.17 '$new'"
	fi
	prog='import socket
for proto in (12, 0):
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto).close()
        print(proto, "ok")
    except OSError as e:
        print(proto, e.errno)'
	out=$("$L" --no-ctnetlink 3.10 "$PY" -c "$prog" 2>&1 | tr '\n' ' ')
	if [ "$out" = "12 93 0 ok " ]; then
		ok "launcher --no-ctnetlink: NETLINK_NETFILTER is EPROTONOSUPPORT, NETLINK_ROUTE still opens"
	else
		bad "launcher --no-ctnetlink: '$out' (want '12 93 0 ok ')"
	fi
fi

# 5. --list names what a release takes away.
"$L" --list 2.6.18 >"$tmp/list.old" 2>"$tmp/err"
"$L" --list 4.11 >"$tmp/list.new" 2>>"$tmp/err"
if grep -qx "getrandom ENOSYS (3.17)" "$tmp/list.old" && grep -q "^socket SOCK_CLOEXEC EINVAL" "$tmp/list.old" &&
	! grep -q "^getrandom\|^statx\|^socket " "$tmp/list.new" && grep -q "^openat2 ENOSYS" "$tmp/list.new"; then
	ok "launcher --list: 2.6.18 loses getrandom and SOCK_CLOEXEC, 4.11 keeps them and statx"
else
	bad "launcher --list"
	head -5 "$tmp/list.old" "$tmp/list.new" | sed 's/^/     /'
fi

if [ "$mode" = --launcher ]; then
	report
	exit
fi

# ============================ ctune under it =================================
C=$CTUNE_REAL

# Fixture roots with explicit modes, as fixtures.test.sh makes them.
mkdir -p "$tmp/roots"
for r in $ROOTS; do
	cp -R -P "$FIX/$r" "$tmp/roots/$r" || bad "copy $r"
	find "$tmp/roots/$r" -type d -exec chmod 0755 {} +
	find "$tmp/roots/$r" -type f -exec chmod 0644 {} +
done

# oldrun REL ARGS...: ctune under the launcher; stdout $tmp/out, rc in $rc.
oldrun() {
	local rel=$1
	shift
	"$L" "$rel" "$C" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}
# as_free REL LABEL ARGS...: ctune ARGS under REL says, byte for byte, what
# it says without the filter.
as_free() {
	local rel=$1 label=$2
	shift 2
	"$C" "$@" >"$tmp/free" 2>/dev/null </dev/null
	oldrun "$rel" "$@"
	if [ "$rc" -eq 0 ] && [ -s "$tmp/out" ] && cmp -s "$tmp/out" "$tmp/free"; then
		ok "$rel: facts $label == unfiltered"
	else
		bad "$rel: ctune $*: exit $rc or differs from the unfiltered run"
		diff "$tmp/free" "$tmp/out" | head -10 | sed 's/^/     /'
		dump
	fi
}
# q WHAT EXPR: a check on the JSON document in $tmp/out (d).
q() {
	local res
	if res=$("$PY" - "$tmp/out" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
    assert eval(sys.argv[2], {"d": d, "any": any, "all": all, "json": json})
except Exception as e:
    print("%s: %s | %s" % (type(e).__name__, e, text.strip()[:800]))
    sys.exit(1)
EOF
	); then ok "$1"; else
		bad "$1: $2"
		printf '%s\n' "$res" | sed 's/^/     /'
	fi
}
# snap DIR: names, types, modes, sizes and contents of a tree.
snap() {
	(cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}

for rel in $RELEASES; do
	# --- facts on every fixture root: what fixtures.test.sh expects, and
	# byte for byte what the same binary says without the filter ---
	for r in $ROOTS; do
		root=$tmp/roots/$r
		"$C" facts --root "$root" --table >"$tmp/free" 2>/dev/null </dev/null
		oldrun "$rel" facts --root "$root" --table
		if [ "$rc" -ne 0 ]; then
			bad "$rel $r: facts --table exited $rc"
			dump
		elif ! diffs=$("$PY" "$FIX/compare.py" "$FIX/$r/expected.json" "$tmp/out"); then
			bad "$rel $r: facts --table differs from expected.json"
			printf '%s\n' "$diffs" | head -20 | sed 's/^/     /'
		elif ! cmp -s "$tmp/out" "$tmp/free"; then
			bad "$rel $r: facts --table differs from the unfiltered run"
			diff "$tmp/free" "$tmp/out" | head -10 | sed 's/^/     /'
		else
			ok "$rel $r: facts --table == expected.json == unfiltered"
		fi
		as_free "$rel" "$r" facts --root "$root"
	done
	# --- the other outputs and the kernel-log reader, against the
	# unfiltered run of the same binary ---
	as_free "$rel" "debian12 --format human" facts --root "$tmp/roots/debian12" --format human
	as_free "$rel" "centos7 --format prometheus" facts --root "$tmp/roots/centos7" --format prometheus
	as_free "$rel" "syslog-legacy --log-events" facts --root "$TESTS/data/events/syslog-legacy" --log-events
	as_free "$rel" "kmsg-modern --log-events" facts --root "$TESTS/data/events/kmsg-modern" --log-events
	oldrun "$rel" tunables
	q "$rel: tunables" "isinstance(d, (dict, list)) and len(d) > 0"

	# --- set on scratch roots of both naming schemes ---
	for r in centos5 centos7; do
		s=$tmp/set-$rel-$r
		cp -R -P "$tmp/roots/$r" "$s"
		snap "$s" >"$tmp/snap0"
		oldrun "$rel" set udp_timeout=45 tcp_timeout_established=12h --root "$s" --check --diff
		[ "$rc" -eq 0 ] || { bad "$rel $r: set --check exited $rc"; dump; }
		q "$rel $r: set --check would change" "d['changed'] and d['check_mode'] and 'udp_timeout = 45' in json.dumps(d['diff'])"
		if snap "$s" | cmp -s - "$tmp/snap0"; then ok "$rel $r: set --check left the root alone"; else
			bad "$rel $r: set --check changed the root"
			snap "$s" | diff "$tmp/snap0" - | head | sed 's/^/     /'
		fi

		oldrun "$rel" set udp_timeout=45 tcp_timeout_established=12h --root "$s"
		[ "$rc" -eq 0 ] || { bad "$rel $r: set exited $rc"; dump; }
		q "$rel $r: set changed" "d['changed'] and not d['failed'] and d['tunables']['udp_timeout']['live_after'] == 45 and d['tunables']['tcp_timeout_established']['persisted_after'] == 43200"
		key=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tunables"]["udp_timeout"]["keys"][0])' "$tmp/out" 2>/dev/null)
		live=$s/proc/sys/$(printf '%s' "$key" | tr . /)
		if [ -n "$key" ] && grep -qx "$key = 45" "$s/etc/sysctl.conf" && [ "$(cat "$live" 2>/dev/null)" = 45 ]; then
			ok "$rel $r: $key = 45 persisted and live"
		else
			bad "$rel $r: $key: file says '$(grep "udp_timeout" "$s/etc/sysctl.conf" | tr '\n' ' ')', live '$(cat "$live" 2>/dev/null)'"
		fi
		[ -z "$(find "$s" -name '*.ctune-*')" ] && ok "$rel $r: no temporary file left" || bad "$rel $r: a temporary file was left"

		snap "$s" >"$tmp/snap1"
		oldrun "$rel" set udp_timeout=45s tcp_timeout_established=43200 --root "$s"
		[ "$rc" -eq 0 ] || { bad "$rel $r: second set exited $rc"; dump; }
		q "$rel $r: second set unchanged" "d['changed'] is False and not d['failed']"
		if snap "$s" | cmp -s - "$tmp/snap1"; then ok "$rel $r: second set wrote nothing"; else
			bad "$rel $r: second set changed the root"
			snap "$s" | diff "$tmp/snap1" - | head | sed 's/^/     /'
		fi

		# --backup copies the file with its times (futimens: utimensat is
		# 2.6.22, musl's fallback is futimesat on the descriptor).
		touch -d '2001-02-03 04:05:06' "$s/etc/sysctl.conf"
		oldrun "$rel" set udp_timeout=46 --root "$s" --backup
		[ "$rc" -eq 0 ] || { bad "$rel $r: set --backup exited $rc"; dump; }
		q "$rel $r: set --backup" "d['changed'] and d.get('backup_file')"
		b=$(find "$s/etc" -name 'sysctl.conf.*~' | head -1)
		if [ -n "$b" ] && [ "$(stat -c %Y "$b")" = "$(date -d '2001-02-03 04:05:06' +%s)" ] && grep -qx "$key = 45" "$b"; then
			ok "$rel $r: the backup keeps the old text and mtime"
		else
			bad "$rel $r: backup '${b:-none}' mtime $([ -n "$b" ] && stat -c %y "$b")"
		fi
	done
done

# --- facts and set for real, in a private network and mount namespace ---
NF=/proc/sys/net/netfilter/nf_conntrack_
if [ "$(id -u)" != 0 ] || ! unshare -mn true 2>/dev/null; then
	echo "note: not root or no unshare -mn: the namespace cases are left out"
elif ! unshare -n test -w "${NF}udp_timeout"; then
	echo "note: no per-namespace conntrack sysctls: the namespace cases are left out"
else
	host_before=$(cat "${NF}udp_timeout" "${NF}tcp_timeout_established" "${NF}max")
	host_ns=$(readlink /proc/self/ns/net)
	for rel in $RELEASES; do
		r=$tmp/ns-$rel
		mkdir -p "$r/etc" "$r/proc"
		printf '# ctune old-kernel test\n' >"$r/etc/sysctl.conf"
		# Inside: the checks print "ok ..."/"FAIL ..." lines themselves.
		unshare -mn /bin/bash -s "$L" "$rel" "$C" "$r" "$host_ns" "$PY" >"$tmp/ns.out" 2>&1 <<'EOF'
L=$1 rel=$2 C=$3 r=$4 host_ns=$5 PY=$6
NF=/proc/sys/net/netfilter/nf_conntrack_
say() { if [ "$1" = 0 ]; then echo "ok   $rel netns: $2"; else echo "FAIL $rel netns: $2"; fi; }
if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
	echo "FAIL $rel netns: not in a private network namespace, nothing run"
	exit 0
fi
# The root's proc is this namespace's /proc, bind-mounted in this private
# mount namespace (a symbolic link to /proc would resolve inside the root).
if ! mount --bind /proc "$r/proc"; then
	echo "FAIL $rel netns: cannot bind-mount /proc into the root"
	exit 0
fi
j() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
out=$r/out
"$L" "$rel" "$C" facts >"$out" 2>"$out.err" </dev/null
rc=$?
u=$(cat "${NF}udp_timeout")
j "$out" "d['timeouts']['udp_timeout'] == $u and d['max'] > 0 and d['count'] >= 0"
say $(( rc | $? )) "facts (exit $rc, source $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("source"))' "$out" 2>/dev/null)) reads this namespace's udp_timeout $u"
for src in proc netlink; do
	"$L" "$rel" "$C" facts --source $src >"$out" 2>"$out.err" </dev/null
	rc=$?
	j "$out" "d['source'] == '$src' and d['timeouts']['udp_timeout'] == $u"
	say $(( rc | $? )) "facts --source $src (exit $rc$([ "$rc" = 0 ] || echo ": $(head -c 300 "$out" | tr '\n' ' ')"))"
done
# A kernel without nfnetlink: facts reads /proc; --source netlink says why not.
"$L" --no-ctnetlink "$rel" "$C" facts >"$out" 2>"$out.err" </dev/null
rc=$?
j "$out" "d['source'] == 'proc' and 'NETLINK_NETFILTER' in d['source_reason'] and d['timeouts']['udp_timeout'] == $u"
say $(( rc | $? )) "facts without nfnetlink falls back to /proc (exit $rc)"
"$L" --no-ctnetlink "$rel" "$C" facts --source netlink >"$out" 2>"$out.err" </dev/null
rc=$?
j "$out" "d['failed'] and 'NETLINK_NETFILTER' in d['msg']"
r1=$?
[ "$rc" != 0 ] && [ "$r1" = 0 ]
say $? "facts --source netlink without nfnetlink: exit $rc, a JSON error naming it"
"$L" "$rel" "$C" facts --table >"$out" 2>"$out.err" </dev/null
rc=$?
j "$out" "'table' in d and d['table']['total'] >= 0"
say $(( rc | $? )) "facts --table (exit $rc)"
"$L" "$rel" "$C" set udp_timeout=47 tcp_timeout_established=7h --root "$r" >"$out" 2>"$out.err" </dev/null
rc=$?
j "$out" "d['changed'] and not d['failed']"
r1=$?
say $(( rc | r1 )) "set (exit $rc)$([ $(( rc | r1 )) = 0 ] || head -c 400 "$out" | tr '\n' ' ')"
[ "$(cat "${NF}udp_timeout") $(cat "${NF}tcp_timeout_established")" = "47 25200" ]
say $? "live values now 47 25200: $(cat "${NF}udp_timeout") $(cat "${NF}tcp_timeout_established")"
grep -qx "net.netfilter.nf_conntrack_udp_timeout = 47" "$r/etc/sysctl.conf"
say $? "persisted in the scratch etc/sysctl.conf"
"$L" "$rel" "$C" set udp_timeout=47 tcp_timeout_established=25200 --root "$r" >"$out" 2>"$out.err" </dev/null
rc=$?
j "$out" "d['changed'] is False and not d['failed']"
say $(( rc | $? )) "second set unchanged (exit $rc)"
"$L" "$rel" "$C" facts >"$out" 2>"$out.err" </dev/null
rc=$?
j "$out" "d['timeouts']['udp_timeout'] == 47 and d['timeouts']['tcp_timeout_established'] == 25200"
say $(( rc | $? )) "facts sees the new values"
EOF
		rc=$?
		cat "$tmp/ns.out"
		p=$(grep -c '^ok ' "$tmp/ns.out")
		f=$(grep -c '^FAIL ' "$tmp/ns.out")
		pass=$((pass + p))
		fail=$((fail + f))
		[ "$rc" -eq 0 ] && [ "$p" -ge 11 ] || bad "$rel netns: the namespace part did not finish (exit $rc, $p passed)"
	done
	if grep -q "$tmp/ns-" /proc/self/mountinfo; then bad "a namespace's bind mount leaked into the host's mount namespace"; else
		ok "no mount leaked into the host's mount namespace"
	fi
	host_after=$(cat "${NF}udp_timeout" "${NF}tcp_timeout_established" "${NF}max")
	if [ "$host_before" = "$host_after" ]; then ok "the host's own values are unchanged"; else
		bad "the host's own values changed: $(printf "%s " $host_before)-> $(printf "%s " $host_after)"
	fi
fi

report
