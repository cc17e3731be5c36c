#!/bin/bash
# netns.test.sh - ctune facts against the real kernel, in a private network
# namespace, through both sources: /proc (--source proc), ctnetlink
# (--source netlink) and the default (auto, which must pick netlink here:
# root, CAP_NET_ADMIN, no --root).
#
# The test creates a network namespace (always removed by the EXIT trap),
# makes the kernel track in it (an nft rule that uses `ct state`), creates a
# known mix of entries with `conntrack -I` plus a little real loopback traffic,
# and asserts, for each source, that `ctune facts [--table]` run inside the
# namespace reports
#   - count == nf_conntrack_count == `conntrack -C` == table.total
#           == the number of entries created (mix + real traffic), with and
#              without --table;
#   - the table breakdown == a plain awk count of /proc/net/nf_conntrack
#           == the created mix plus the real-traffic entries as the kernel
#              lists them over netlink (`conntrack -L`);
#   - source / source_reason, and stats/table `file` and `source` name the
#     path that was used;
#   - max, buckets and expect_max not writable (0444 outside the initial
#     namespace), count not writable, timeouts writable, no alias;
#   - every tunable's value == the file under /proc/sys in the namespace, and
#     the timeouts are the defaults a fresh namespace gets;
#   - stats: entries == count, one row per CPU of the stat file; columns ==
#     the stat file's header exactly for /proc, and for netlink the header
#     minus the columns src/netlink.h documents ctnetlink cannot give
#     (searched, new, ignore, delete, delete_list: on this kernel new, ignore
#     and delete, which /proc prints as constant 0 - asserted too).
# and, across the sources: the table summaries are equal field by field, and
# the whole facts object is the same apart from source, source_reason,
# stats, the kernel-log events and the sizing advice (its peak is the
# global conntrack slab).  Per-CPU counters are compared value by
# value (/proc's rows == the stat file, netlink's rows == /proc's on the
# shared columns) in a round in which the stat file was byte-identical
# before and after both ctune runs (counters only grow), so a packet between
# two reads cannot make the test flaky; up to five rounds are tried.
# Nothing in the host's own namespace is changed: its netfilter sysctls and
# nft ruleset are compared before and after, and none of the test's
# addresses may appear in the host's table.
#
# The ≥10,000-entry frozen-table agreement of the two paths is
# tests/netns-paths.test.sh.
#
# Environment: CTUNE (path of ctune, required), CTUNE_TESTS (tests/ dir).
# Exit: 0 passed, 1 failed, 77 skipped (reason on stderr): not root, `ip`,
# `nft`, `conntrack` or /usr/bin/python3 missing, or the kernel refusing a
# namespace / an nft table / a conntrack entry.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
NS=ctune-t-$$
LONG=86400

if [ -z "${CTUNE:-}" ] || [ ! -x "${CTUNE:-}" ]; then
	echo "netns.test.sh: CTUNE is not set to an executable (${CTUNE:-unset})" >&2
	exit 1
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (creates a network namespace and conntrack entries)"
for t in ip nft conntrack; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed (Debian: iproute2, nftables, conntrack)"
done
[ -x "$PY" ] || skip "$PY is missing"
[ -r /proc/sys/net/netfilter/nf_conntrack_count ] ||
	skip "nf_conntrack is not available in this kernel (no /proc/sys/net/netfilter/nf_conntrack_count)"
[ -r /proc/net/nf_conntrack ] ||
	skip "no /proc/net/nf_conntrack (kernel built without CONFIG_NF_CONNTRACK_PROCFS): no reference count possible"

scratch netns
ns_made=0
listener=

cleanup() {
	if [ -n "$listener" ]; then
		kill "$listener" 2>/dev/null
		wait "$listener" 2>/dev/null
		listener=
	fi
	if [ "$ns_made" -eq 1 ]; then
		ip netns del "$NS" 2>/dev/null
		ns_made=0
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
exit_on_signals

# --- the host before ------------------------------------------------------
host_snapshot >"$tmp/host.before"

# --- the namespace ---------------------------------------------------------
ip netns add "$NS" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ns_made=1
nsx ip link set lo up || { bad "bring lo up in $NS"; exit 1; }

# What a fresh namespace starts with, before anything in it changes.
# shellcheck disable=SC2016 # the inner shell expands it
nsx sh -c 'for f in /proc/sys/net/netfilter/nf_conntrack_*; do printf "%s %s\n" "${f##*/}" "$(cat "$f")"; done' \
	>"$tmp/fresh.sysctl"

if ! { nsx nft add table inet ctune_t &&
	nsx nft add chain inet ctune_t out '{ type filter hook output priority 0; }' &&
	nsx nft add rule inet ctune_t out ct state new,established accept; } 2>"$tmp/err"; then
	skip "nft cannot make the namespace track: $(cat "$tmp/err")"
fi

# --- the known mix -----------------------------------------------------------
# count family proto state flags timeout src dst first-port dport
# (flags: - none, R = SEEN_REPLY, A = SEEN_REPLY,ASSURED).  Addresses are
# documentation ranges, distinct per line, so no two entries collide.
cat >"$tmp/mix" <<'EOF'
40 ipv4 tcp ESTABLISHED A 200000 192.0.2.10 198.51.100.1 40000 443
15 ipv4 tcp SYN_SENT - 1000 192.0.2.11 198.51.100.1 41000 80
10 ipv4 tcp TIME_WAIT A 1200 192.0.2.12 198.51.100.1 42000 443
3 ipv4 tcp CLOSE_WAIT A 1500 192.0.2.13 198.51.100.1 42100 443
2 ipv4 tcp FIN_WAIT A 1500 192.0.2.14 198.51.100.1 42200 443
2 ipv4 tcp SYN_RECV R 900 192.0.2.15 198.51.100.1 42300 443
20 ipv4 udp - - 900 192.0.2.20 198.51.100.2 43000 53
10 ipv4 udp - A 3000 192.0.2.21 198.51.100.2 44000 123
3 ipv4 icmp - - 900 192.0.2.30 198.51.100.3 100 0
2 ipv4 icmp - R 900 192.0.2.31 198.51.100.3 200 0
2 ipv4 sctp ESTABLISHED A 100000 192.0.2.40 198.51.100.4 45000 3868
12 ipv6 tcp ESTABLISHED A 100000 2001:db8::10 2001:db8::1 46000 443
4 ipv6 tcp SYN_SENT - 1000 2001:db8::11 2001:db8::1 47000 22
4 ipv6 udp - - 900 2001:db8::12 2001:db8::1 48000 53
3 ipv6 icmpv6 - - 900 2001:db8::13 2001:db8::1 300 0
EOF

created=0
while read -r n _fam proto state flags tmo src dst port dport; do
	for ((i = 0; i < n; i++)); do
		args=(-I -s "$src" -d "$dst" -p "$proto" -t "$tmo")
		case $proto in
		tcp | udp | sctp) args+=(--sport $((port + i)) --dport "$dport") ;;
		icmp) args+=(--icmp-type 8 --icmp-code 0 --icmp-id $((port + i))) ;;
		icmpv6) args+=(--icmpv6-type 128 --icmpv6-code 0 --icmpv6-id $((port + i))) ;;
		esac
		[ "$state" != - ] && args+=(--state "$state")
		[ "$proto" = sctp ] && args+=(--orig-vtag $((1000 + i)) --reply-vtag $((2000 + i)))
		case $flags in
		R) args+=(-u SEEN_REPLY) ;;
		A) args+=(-u "SEEN_REPLY,ASSURED") ;;
		esac
		if ! nsx conntrack "${args[@]}" >/dev/null 2>"$tmp/err"; then
			if [ "$created" -eq 0 ]; then
				skip "conntrack -I refused the first entry (ctnetlink?): $(cat "$tmp/err")"
			fi
			bad "conntrack ${args[*]}: $(cat "$tmp/err")"
			continue
		fi
		created=$((created + 1))
	done
done <"$tmp/mix"
ok "created $created entries with conntrack -I in $NS"

# --- a little real traffic -----------------------------------------------------
# A listener with one TCP connection over IPv4 and one over IPv6 held open
# (ESTABLISHED, the default 5-day timeout), one UDP request answered, and
# one UDP datagram to a closed port (unreplied).
ip netns exec "$NS" "$PY" -c '
import socket, sys, time
srv4 = socket.socket(); srv4.bind(("127.0.0.1", 0)); srv4.listen(1)
c4 = socket.create_connection(srv4.getsockname()); a4, _ = srv4.accept()
srv6 = socket.socket(socket.AF_INET6); srv6.bind(("::1", 0)); srv6.listen(1)
c6 = socket.create_connection(srv6.getsockname()[:2]); a6, _ = srv6.accept()
c4.sendall(b"hello"); a4.recv(5); a4.sendall(b"world"); c4.recv(5)
c6.sendall(b"hello"); a6.recv(5); a6.sendall(b"world"); c6.recv(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); e.sendto(b"ping", u.getsockname())
data, peer = u.recvfrom(16); u.sendto(b"pong", peer); e.recvfrom(16)
closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); closed.bind(("127.0.0.1", 0))
port = closed.getsockname()[1]; closed.close()
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", port))
print("ready", flush=True)
time.sleep(3600)
' >"$tmp/listener.out" 2>"$tmp/listener.err" &
listener=$!
for _ in $(seq 1 100); do
	grep -q ready "$tmp/listener.out" 2>/dev/null && break
	kill -0 "$listener" 2>/dev/null || break
	sleep 0.05
done
if grep -q ready "$tmp/listener.out"; then
	ok "real loopback traffic in $NS (TCP v4+v6 held open, UDP answered, UDP unanswered)"
else
	bad "real traffic helper did not start: $(cat "$tmp/listener.err")"
fi
# UDP entries time out after 30 s: give them the mix's long timeout so
# nothing expires between the reference counts and ctune.
nsx conntrack -U -p udp -s 127.0.0.1 -t 900 >/dev/null 2>&1

# --- the kernel's view and the reference counts ------------------------------------
nsx conntrack -L -o extended >"$tmp/netlink.all" 2>/dev/null
grep -E 'src=(127\.0\.0\.1|::1|0000:0000:0000:0000:0000:0000:0000:0001) ' "$tmp/netlink.all" >"$tmp/netlink.real"

# Take everything twice around the ctune runs: the figures must not move.
refs() {
	nsx cat /proc/net/nf_conntrack >"$tmp/proc.table.$1"
	conntrack_summary "$LONG" <"$tmp/proc.table.$1" >"$tmp/proc.summary.$1"
	nsx cat /proc/sys/net/netfilter/nf_conntrack_count >"$tmp/count.$1"
	nsx conntrack -C >"$tmp/conntrack-C.$1" 2>/dev/null
}
# Each source in turn: forced /proc, forced netlink, and the default.
SOURCES="proc netlink auto"
refs 1
for src in $SOURCES; do
	sa=()
	[ "$src" = auto ] || sa=(--source "$src")
	nsx "$CTUNE" facts --table "${sa[@]}" >"$tmp/facts.$src.json" 2>"$tmp/facts.$src.err"
	echo $? >"$tmp/rc.$src"
	nsx "$CTUNE" facts "${sa[@]}" >"$tmp/notable.$src.json" 2>"$tmp/notable.$src.err"
	echo $? >"$tmp/rc.notable.$src"
done
refs 2
conntrack_summary "$LONG" <"$tmp/netlink.real" >"$tmp/real.summary"

# Per-CPU statistics, value by value: both paths read the same per-namespace
# counters, but a counter moves whenever a packet is tracked, so two reads
# agree only while nothing happens in the namespace.  A round reads the stat
# file, runs ctune on both paths, and reads the file again; only a round in
# which the file did not change at all is compared (the counters only grow,
# and entries is also checked by the count references above).
stats_round=0
for round in 1 2 3 4 5; do
	nsx cat /proc/net/stat/nf_conntrack >"$tmp/stat.$round.before" 2>/dev/null
	for src in proc netlink; do
		nsx "$CTUNE" facts --source "$src" --no-log-events --no-advice >"$tmp/stats.$src.$round.json" 2>/dev/null
	done
	nsx cat /proc/net/stat/nf_conntrack >"$tmp/stat.$round.after" 2>/dev/null
	if [ -s "$tmp/stat.$round.before" ] && cmp -s "$tmp/stat.$round.before" "$tmp/stat.$round.after"; then
		stats_round=$round
		break
	fi
	sleep 0.3
done

# The namespace as it is now, for the tunable values and modes.
# shellcheck disable=SC2016 # the inner shell expands it
nsx sh -c 'for f in /proc/sys/net/netfilter/nf_conntrack_*; do printf "%s %s %s\n" "${f##*/}" "$(stat -c %a "$f")" "$(cat "$f")"; done' \
	>"$tmp/ns.sysctl"
nsx sh -c 'test -e /proc/sys/net/nf_conntrack_max && echo present || echo absent' >"$tmp/ns.alias"
nsx cat /proc/net/stat/nf_conntrack >"$tmp/ns.stat" 2>/dev/null
if [ -e /sys/module/nf_conntrack/initstate ]; then
	echo loaded >"$tmp/module"
elif [ -d /sys/module/nf_conntrack ]; then
	echo builtin >"$tmp/module"
else
	echo not_loaded >"$tmp/module"
fi

# --- the assertions ------------------------------------------------------------------
"$PY" - "$tmp" "$LONG" "$stats_round" "$SOURCES" >"$tmp/results" <<'EOF'
import json, os, sys
tmp, LONG, stats_round, SOURCES = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split()
# Columns src/netlink.h documents that ctnetlink cannot give: current kernels
# no longer count them (/proc prints them as constant 0).
NETLINK_LACKS = ("searched", "new", "ignore", "delete", "delete_list")
out = []
def check(cond, what, detail=""):
    out.append(("ok   " if cond else "FAIL ") + what + ("" if cond else ": " + detail))

def kv(path):
    d = {}
    for line in open(path):
        k, v = line.split()
        d[k] = int(v)
    return d

def nest(flat):
    """awk's 'family.ipv4 3' lines -> the facts table shape."""
    t = {"family": {}, "protocol": {}, "tcp_state": {}}
    for k, v in flat.items():
        if "." in k:
            a, b = k.split(".", 1)
            t[a][b] = v
        else:
            t[k] = v
    return t

def load(path):
    try:
        with open(path) as f:
            text = f.read()
        obj = json.loads(text)
        if not isinstance(obj, dict):
            raise ValueError("not an object")
        return obj, None
    except Exception as e:
        return None, "%s: %s" % (os.path.basename(path), e)

def diff(a, b, prefix=""):
    d = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) or isinstance(y, dict):
            d += diff(x if isinstance(x, dict) else {"<value>": x}, y if isinstance(y, dict) else {"<value>": y},
                      prefix + k + ".")
        elif x != y:
            d.append("%s%s: %r vs %r" % (prefix, k, x, y))
    return d

def first_line(path):
    try:
        return open(path).read().strip()[:400]
    except OSError:
        return ""

def stat_rows(path):
    """The stat file: header names and one {name: int} per CPU row (hex)."""
    lines = [l for l in open(path).read().splitlines() if l.strip()]
    if not lines:
        return [], []
    head = lines[0].split()
    return head, [dict(zip(head, (int(x, 16) for x in l.split()))) for l in lines[1:]]

facts, notable = {}, {}
for src in SOURCES:
    rc = int(open(os.path.join(tmp, "rc." + src)).read())
    check(rc == 0, "[%s] facts --table exited 0" % src,
          "exit %d: %s" % (rc, first_line(os.path.join(tmp, "facts.%s.err" % src))))
    f, err = load(os.path.join(tmp, "facts.%s.json" % src))
    check(f is not None, "[%s] facts --table printed exactly one JSON object" % src, err or "")
    facts[src] = f
    rc = int(open(os.path.join(tmp, "rc.notable." + src)).read())
    n, err = load(os.path.join(tmp, "notable.%s.json" % src))
    check(rc == 0 and n is not None, "[%s] facts (no --table) exited 0 with exactly one JSON object" % src,
          "exit %d: %s %s" % (rc, err or "", first_line(os.path.join(tmp, "notable.%s.err" % src))))
    notable[src] = n

count1 = int(open(os.path.join(tmp, "count.1")).read())
count2 = int(open(os.path.join(tmp, "count.2")).read())
c1 = int(open(os.path.join(tmp, "conntrack-C.1")).read().split()[0])
c2 = int(open(os.path.join(tmp, "conntrack-C.2")).read().split()[0])
p1 = kv(os.path.join(tmp, "proc.summary.1"))
p2 = kv(os.path.join(tmp, "proc.summary.2"))
check(count1 == count2 and c1 == c2 and p1 == p2,
      "the namespace did not change while ctune ran",
      "count %d->%d, conntrack -C %d->%d, table summary changed: %s" % (count1, count2, c1, c2, p1 != p2))

# the known mix, plus the real traffic as netlink lists it
exp = {"total": 0, "assured": 0, "unreplied": 0, "offload": 0, "long_timeout": 0, "malformed": 0,
       "family": {k: 0 for k in ("ipv4", "ipv6", "other")},
       "protocol": {k: 0 for k in ("tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "gre", "other")},
       "tcp_state": {k: 0 for k in ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
                                    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2", "UNKNOWN")}}
for line in open(os.path.join(tmp, "mix")):
    n, fam, proto, state, flags, tmo = line.split()[:6]
    n, tmo = int(n), int(tmo)
    exp["total"] += n
    exp["family"][fam] += n
    exp["protocol"][proto] += n
    if proto == "tcp":
        exp["tcp_state"][state] += n
    if flags == "A":
        exp["assured"] += n
    if flags == "-":
        exp["unreplied"] += n
    if tmo - 5 > LONG:
        exp["long_timeout"] += n
real = nest(kv(os.path.join(tmp, "real.summary")))
check(real["total"] >= 4, "the kernel lists the real-traffic entries over netlink",
      "only %d loopback entries" % real["total"])
for k, v in real.items():
    if isinstance(v, dict):
        for kk, vv in v.items():
            exp[k][kk] += vv
    else:
        exp[k] += v

proc = nest(p1)
d = diff(proc, exp)
check(not d, "awk count of /proc/net/nf_conntrack == created mix + real traffic (%d)" % exp["total"],
      "awk vs expected: " + "; ".join(d))

# what the namespace itself says
ns = {}
for line in open(os.path.join(tmp, "ns.sysctl")):
    name, mode, val = line.split(None, 2)
    ns[name[len("nf_conntrack_"):]] = (mode, val.strip())
fresh = {}
for line in open(os.path.join(tmp, "fresh.sysctl")):
    name, val = line.split(None, 1)
    fresh[name[len("nf_conntrack_"):]] = val.strip()
check(ns.get("max", ("",))[0] == "444" and ns.get("buckets", ("",))[0] == "444",
      "max and buckets are mode 0444 in the namespace (premise)", "modes: %r" % ({k: ns.get(k) for k in ("max", "buckets")},))
ns_alias = open(os.path.join(tmp, "ns.alias")).read().strip()
module = open(os.path.join(tmp, "module")).read().strip()
header, _ = stat_rows(os.path.join(tmp, "ns.stat"))
ncpu = len(_)
lacks = [c for c in header if c in NETLINK_LACKS]
want_columns = {"proc": header, "netlink": [c for c in header if c not in NETLINK_LACKS]}

KEYS = ("total", "family", "protocol", "tcp_state", "assured", "unreplied", "offload", "long_timeout", "malformed")

def per_source(src, facts, notable):
    L = "[%s] " % src
    used = "netlink" if src == "auto" else src
    check(facts.get("source") == used, L + "source is %s" % used, "source = %r" % (facts.get("source"),))
    reason = facts.get("source_reason")
    check(isinstance(reason, str) and reason != "", L + "source_reason says why (%r)" % (reason,),
          "source_reason = %r" % (reason,))
    if src == "auto":
        check(isinstance(reason, str) and "CAP_NET_ADMIN" in reason,
              L + "the reason for netlink names CAP_NET_ADMIN", "source_reason = %r" % (reason,))

    table = facts.get("table")
    check(isinstance(table, dict), L + "facts --table has a table summary", "table = %r" % (table,))
    table = table if isinstance(table, dict) else {}
    want_file = "/proc/net/nf_conntrack" if used == "proc" else None
    check(table.get("file") == want_file and table.get("source") == used,
          L + "table.file %s, table.source %s" % (json.dumps(want_file), used),
          "file=%r source=%r" % (table.get("file"), table.get("source")))
    ctune_t = {k: table.get(k) for k in KEYS}
    d = diff(ctune_t, proc)
    check(not d, L + "table breakdown == awk count of /proc/net/nf_conntrack (%d entries)" % proc.get("total", 0),
          "ctune vs awk: " + "; ".join(d))
    d = diff(ctune_t, exp)
    check(not d, L + "table breakdown == created mix + real traffic", "ctune vs expected: " + "; ".join(d))

    count = facts.get("count")
    check(count == count1 == c1 == table.get("total") == exp["total"],
          L + "count == nf_conntrack_count == conntrack -C == table.total == created (%d)" % exp["total"],
          "facts.count=%r nf_conntrack_count=%d conntrack -C=%d table.total=%r created=%d"
          % (count, count1, c1, table.get("total"), exp["total"]))
    if notable is not None:
        check(notable.get("count") == count1 and "table" not in notable and notable.get("source") == used,
              L + "facts without --table: same count, no table, source %s" % used,
              "count=%r, table present=%s, source=%r" % (notable.get("count"), "table" in notable,
                                                         notable.get("source")))

    tun = facts.get("tunables") or {}
    for name, want in (("max", False), ("buckets", False), ("expect_max", False), ("count", False),
                       ("tcp_timeout_established", True), ("udp_timeout", True)):
        got = (tun.get(name) or {}).get("writable")
        check(got is want, L + "tunables.%s.writable is %s" % (name, str(want).lower()), "got %r" % (got,))
    alias = facts.get("alias") or {}
    check(ns_alias == "absent" and alias.get("present") is False and alias.get("key") == "net.nf_conntrack_max",
          L + "alias net.nf_conntrack_max reported absent (it is %s in the namespace)" % ns_alias,
          "alias = %r" % (alias,))

    bad_vals = []
    for name, t in sorted(tun.items()):
        key = t.get("key", "")
        if not key.startswith("net.netfilter.nf_conntrack_"):
            bad_vals.append("%s: key %r" % (name, key))
            continue
        short = key[len("net.netfilter.nf_conntrack_"):]
        if short not in ns:
            bad_vals.append("%s: no such file in the namespace" % name)
        elif name == "count":
            if t.get("value") != count1:
                bad_vals.append("count: %r, nf_conntrack_count was %d" % (t.get("value"), count1))
        elif str(t.get("value")) != ns[short][1]:
            bad_vals.append("%s: %r, /proc/sys says %s" % (name, t.get("value"), ns[short][1]))
    check(not bad_vals and len(tun) > 20,
          L + "every tunable (%d) has the value /proc/sys shows in the namespace" % len(tun),
          "; ".join(bad_vals) or "only %d tunables" % len(tun))

    timeouts = facts.get("timeouts") or {}
    want_t = {k: int(v) for k, v in fresh.items() if "timeout" in k}
    d = diff(timeouts, want_t)
    check(not d, L + "timeouts (%d) == the fresh namespace's defaults read from /proc/sys" % len(want_t),
          "facts vs /proc/sys: " + "; ".join(d))
    check(timeouts.get("tcp_timeout_established") == 432000,
          L + "tcp_timeout_established is the kernel default 432000 in a fresh namespace",
          "got %r" % (timeouts.get("tcp_timeout_established"),))
    settings = facts.get("settings") or {}
    want_s = {k: int(v) for k, v in fresh.items()
              if "timeout" not in k and k not in ("count", "max", "buckets") and v.lstrip("-").isdigit()}
    d = diff(settings, want_s)
    check(not d, L + "settings (%d) == /proc/sys in the namespace" % len(want_s),
          "facts vs /proc/sys: " + "; ".join(d))

    for k, want in (("max", int(ns["max"][1])), ("buckets", int(ns["buckets"][1]))):
        check(facts.get(k) == want, L + "%s == /proc/sys (%d)" % (k, want), "got %r" % (facts.get(k),))
    if facts.get("max"):
        up = round(100.0 * count1 / facts["max"], 2)
        check(isinstance(facts.get("usage_percent"), (int, float)) and abs(facts["usage_percent"] - up) < 0.0051,
              L + "usage_percent == 100*count/max (%.2f)" % up, "got %r" % (facts.get("usage_percent"),))

    check((facts.get("module") or {}).get("state") == module and facts.get("scheme") == "modern",
          L + "scheme modern, module state %s" % module,
          "module=%r scheme=%r" % (facts.get("module"), facts.get("scheme")))
    tf = facts.get("table_file") or {}
    check(tf.get("present") is True and tf.get("path") == "/proc/net/nf_conntrack",
          L + "table_file /proc/net/nf_conntrack present", "table_file = %r" % (tf,))

    st = facts.get("stats") or {}
    want_sf = "/proc/net/stat/nf_conntrack" if used == "proc" else None
    check(st.get("file") == want_sf and st.get("source") == used,
          L + "stats.file %s, stats.source %s" % (json.dumps(want_sf), used),
          "file=%r source=%r" % (st.get("file"), st.get("source")))
    if used == "proc":
        check(bool(header) and st.get("columns") == header, L + "stats.columns == the stat file's header",
              "columns=%r header=%r" % (st.get("columns"), header))
    else:
        check(bool(header) and st.get("columns") == want_columns["netlink"],
              L + "stats.columns == the stat file's header minus %s (what ctnetlink cannot give)" % "/".join(lacks),
              "columns=%r, want %r" % (st.get("columns"), want_columns["netlink"]))
    check(len(st.get("per_cpu") or []) == ncpu and (st.get("total") or {}).get("entries") == count1,
          L + "stats: %d CPU rows, total.entries == count" % ncpu,
          "per_cpu rows=%d total.entries=%r" % (len(st.get("per_cpu") or []), (st.get("total") or {}).get("entries")))
    bad_tot = []
    for c in st.get("columns") or []:
        rows = [r.get(c) for r in st.get("per_cpu") or []]
        want = count1 if c == "entries" else sum(r or 0 for r in rows)
        if (st.get("total") or {}).get(c) != want:
            bad_tot.append("%s: total %r, rows give %r" % (c, (st.get("total") or {}).get(c), want))
    check(not bad_tot, L + "stats.total is the sum of the CPU rows (entries: the count)", "; ".join(bad_tot))

for src in SOURCES:
    if facts[src] is not None:
        per_source(src, facts[src], notable[src])

# --- the paths against each other -----------------------------------------------
if all(facts[s] is not None for s in SOURCES):
    tp = {k: (facts["proc"].get("table") or {}).get(k) for k in KEYS}
    for other in ("netlink", "auto"):
        to = {k: (facts[other].get("table") or {}).get(k) for k in KEYS}
        d = diff(tp, to)
        check(not d, "table summary: proc == %s, every field" % other, "proc vs %s: " % other + "; ".join(d))
    # Everything but what names the path (and the kernel log, which may grow
    # between runs) is the same object.
    # advice is left out too: its peak comes from the conntrack slab, which
    # is global (other namespaces move it between two runs).
    PATH_KEYS = ("source", "source_reason", "stats", "events", "advice")
    def strip(f):
        g = {k: v for k, v in f.items() if k not in PATH_KEYS}
        if isinstance(g.get("table"), dict):
            g["table"] = {k: v for k, v in g["table"].items() if k not in ("file", "source")}
        return g
    for other in ("netlink", "auto"):
        for kind, objs in (("--table", facts), ("no --table", notable)):
            if objs["proc"] is None or objs[other] is None:
                continue
            d = diff(strip(objs["proc"]), strip(objs[other]))
            check(not d, "facts %s: proc == %s apart from source, source_reason, stats, events and advice" % (kind, other),
                  "; ".join(d)[:1500])

# --- per-CPU statistics on a frozen round -----------------------------------------
if stats_round == 0:
    check(False, "a round with unchanged /proc/net/stat/nf_conntrack for the per-CPU comparison",
          "the counters moved in all 5 rounds")
else:
    head, rows = stat_rows(os.path.join(tmp, "stat.%d.before" % stats_round))
    sp, e1 = load(os.path.join(tmp, "stats.proc.%d.json" % stats_round))
    sn, e2 = load(os.path.join(tmp, "stats.netlink.%d.json" % stats_round))
    check(sp is not None and sn is not None, "frozen round %d: both sources printed facts" % stats_round,
          "%s %s" % (e1 or "", e2 or ""))
    zero = [(c, i) for c in head if c in NETLINK_LACKS for i, r in enumerate(rows) if r[c] != 0]
    check(not zero, "the stat file's %s columns are 0 on every CPU (premise: netlink may leave them out)"
          % "/".join(lacks) if lacks else "the stat file has none of the columns netlink cannot give",
          "non-zero: %r" % (zero[:5],))
    if sp is not None and sn is not None:
        pp = (sp.get("stats") or {}).get("per_cpu") or []
        nn = (sn.get("stats") or {}).get("per_cpu") or []
        check(pp == rows, "frozen: [proc] per_cpu == the stat file's %d rows, every column" % len(rows),
              "proc %r vs file %r" % (pp[:2], rows[:2]))
        shared = [c for c in head if c not in NETLINK_LACKS]
        bad_cpu = []
        if len(nn) != len(rows):
            bad_cpu.append("%d netlink rows, %d in the file" % (len(nn), len(rows)))
        for i, (r, n) in enumerate(zip(rows, nn)):
            for c in shared:
                if n.get(c) != r[c]:
                    bad_cpu.append("cpu%d %s: netlink %r, /proc %d" % (i, c, n.get(c), r[c]))
            extra = sorted(set(n) - set(shared))
            if extra:
                bad_cpu.append("cpu%d: netlink has columns /proc lacks: %s" % (i, extra))
        check(not bad_cpu, "frozen: [netlink] per_cpu == /proc's rows on all %d shared columns" % len(shared),
              "; ".join(bad_cpu[:10]))
        tp_, tn_ = (sp.get("stats") or {}).get("total") or {}, (sn.get("stats") or {}).get("total") or {}
        d = [c for c in shared if tp_.get(c) != tn_.get(c)]
        check(not d, "frozen: stats.total equal on the shared columns",
              "; ".join("%s: proc %r netlink %r" % (c, tp_.get(c), tn_.get(c)) for c in d))

print("\n".join(out))
EOF
while IFS= read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done <"$tmp/results"
if [ "$fail" -gt 0 ]; then
	for src in $SOURCES; do
		echo "     (ctune --table --source $src output: $(head -c 1500 "$tmp/facts.$src.json"))"
	done
fi

# --- the host after ---------------------------------------------------------------
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
listener=
ip netns del "$NS" 2>/dev/null
ns_made=0
host_snapshot >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then
	ok "host namespace unchanged (netfilter sysctls, nf_conntrack_max alias, nft ruleset; $NS removed)"
else
	bad "host namespace changed: $(diff "$tmp/host.before" "$tmp/host.after" | tr '\n' ' ')"
fi
leaked=$(grep -c -E 'src=(192\.0\.2\.|198\.51\.100\.|2001:0db8:0000:0000:0000:0000:0000:00)' /proc/net/nf_conntrack)
if [ "$leaked" -eq 0 ]; then
	ok "none of the test's entries is in the host's table"
else
	bad "$leaked of the test's entries are in the host's table"
fi

report
