#!/bin/bash
# netns-list.test.sh - `ctune facts --netns` against the real kernel: every
# network namespace of the host with its entry count, /run/netns name and
# one process (issue 16, item 3).
#
# The test makes its own namespaces (removed by the EXIT trap):
#   A  ip netns add, no entry, no process
#   B  ip netns add, 7 entries, plus a second name (a bind mount of B's
#      mount: one namespace, listed once, under the first name in byte
#      order) and a sleeping process started in it (name and pid together)
#   C  ip netns add, 3 entries, no process
#   P  unshare -n with a sleeping process, 11 entries, no name
#   D  ip netns add, filled to the global max through ctnetlink, then sent
#      new UDP flows: it evicts (early_drop: the flows, or the kernel's GC,
#      which trims unassured entries above 95%) or drops, and is listed first
# (and each namespace's drop, early_drop and insert_failed, compared with the
# sums of its /proc/net/stat/nf_conntrack)
# plus a stale file in /run/netns that is not a mount and a symbolic link to
# C's mount (both ignored: C keeps its own name).  Entries are
# made with `conntrack -I` (ctnetlink) in each namespace; the expected
# counts are those, checked against the namespace's own nf_conntrack_count.
# It asserts: each of the four is listed exactly once (by inode, as `stat -L`
# gives it), with its count, max (the global one), name, pid, comm, the
# cgroup path of /proc/PID/cgroup and source netlink; no inode twice; the
# list sorted by count, descending; `current` only on ctune's own namespace;
# the JSON protocol ({"netns": true}) gives the same list; the human report
# shows the section; --netns with a root prefix is refused (exit 2, one JSON
# object) and with --root / accepted.  Without CAP_SYS_ADMIN (setpriv drops
# it): P's count still comes, through /proc/PID/net/stat (source proc), the
# mount-only namespaces carry an error and a null count, and a warning says
# why.  Nothing in the host's namespace changes (host_snapshot).
#
# Environment: CTUNE, CTUNE_TESTS.  Exit 77 (skipped) without root, ip,
# conntrack, unshare, python3, or where namespaces cannot be made.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
NS=ctune-nsl-$$
if [ -z "${CTUNE:-}" ] || [ ! -x "${CTUNE:-}" ]; then
	echo "netns-list.test.sh: CTUNE is not set to an executable (${CTUNE:-unset})" >&2
	exit 1
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (creates network namespaces and conntrack entries)"
for t in ip conntrack unshare nsenter mount; do
	command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed"
done
[ -x "$PY" ] || skip "$PY is missing"
[ -r /proc/sys/net/netfilter/nf_conntrack_count ] || skip "no nf_conntrack in this kernel"

scratch netns-list
made=()
pids=()
bound=
stale=
link=
cleanup() {
	local p n
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "$bound" ] && { umount "$bound" 2>/dev/null; rm -f "$bound"; }
	[ -n "$stale" ] && rm -f "$stale" "$link"
	for n in "${made[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
exit_on_signals
host_snapshot >"$tmp/host.before"

# fill NSENTER-ARGS... -- N: N distinct UDP entries with a long timeout.
fill() {
	local n=${*: -1} i
	local args=("${@:1:$#-2}")
	for ((i = 1; i <= n; i++)); do
		"${args[@]}" conntrack -I -p udp -s 192.0.2.$i -d 198.51.100.1 --sport 40000 --dport 53 -t 3000 \
			>/dev/null 2>"$tmp/fill.err" || { bad "conntrack -I: $(cat "$tmp/fill.err")"; return 1; }
	done
}

for x in a b c; do
	ip netns add "$NS-$x" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
	made+=("$NS-$x")
done
fill ip netns exec "$NS-b" -- 7 || exit 1
fill ip netns exec "$NS-c" -- 3 || exit 1
# B's second name: a bind mount of its mount, as `ip netns add` makes them
bound=/run/netns/$NS-b2
touch "$bound" && mount --bind "/run/netns/$NS-b" "$bound" || skip "cannot bind-mount a namespace"
stale=/run/netns/$NS-stale
: >"$stale"
# a link to C's mount: not followed, so C keeps its own name
link=/run/netns/$NS-0link
ln -s "/run/netns/$NS-c" "$link"
ip netns exec "$NS-b" sleep 300 &
pids+=($!)
unshare -n sleep 300 &
ppid=$!
pids+=("$ppid")
for _ in $(seq 50); do
	[ "$(stat -L -c %i "/proc/$ppid/ns/net" 2>/dev/null)" != "$(stat -L -c %i /proc/self/ns/net)" ] && break
	sleep 0.1
done
fill nsenter -t "$ppid" -n -- 11 || exit 1
for _ in $(seq 50); do # ip netns exec has become sleep
	[ "$(cat "/proc/${pids[0]}/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.1
done

# D: a namespace filled to the global max through ctnetlink (bench/ct-fill.c,
# built here with libmnl), then sent new UDP flows: the kernel must evict
# (early_drop) or drop, and --netns must show it on D alone.  Skipped, with
# a note, without cc, libmnl or nft.
full=
if command -v cc >/dev/null 2>&1 && command -v nft >/dev/null 2>&1 && pkg-config --exists libmnl 2>/dev/null &&
	# shellcheck disable=SC2046 # the flags are words
	cc -O2 -o "$tmp/ct-fill" "$CTUNE_TESTS/../bench/ct-fill.c" $(pkg-config --cflags --libs libmnl) 2>"$tmp/cc.err"; then
	ip netns add "$NS-d" || skip "cannot create a network namespace"
	made+=("$NS-d")
	gmax=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
	if ip netns exec "$NS-d" "$tmp/ct-fill" 0 "$gmax" "$tmp/fill.json" 2>"$tmp/fill.err" &&
		ip netns exec "$NS-d" ip link set lo up &&
		ip netns exec "$NS-d" nft add table inet ctune_nsl &&
		ip netns exec "$NS-d" nft add chain inet ctune_nsl out '{ type filter hook output priority 0; }' &&
		ip netns exec "$NS-d" nft add rule inet ctune_nsl out ct state new,established accept; then
		ip netns exec "$NS-d" "$PY" -c '
import socket
for p in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", ("127.0.0.1", 20000 + p))
    except OSError:
        pass  # a dropped packet is what this is for
    s.close()'
		full=$NS-d
	else
		echo "note: the full namespace could not be made: $(cat "$tmp/fill.err")"
	fi
else
	echo "note: no cc, nft or libmnl: the full (dropping) namespace is not made"
fi

# drops CMD...: "drop early_drop insert_failed" summed over the CPU lines of
# the namespace's /proc/net/stat/nf_conntrack (a reference independent of
# ctnetlink)
drops() {
	local -a hdr v
	local d=0 e=0 f=0 i
	{
		read -r -a hdr
		while read -r -a v; do
			for i in "${!hdr[@]}"; do
				case ${hdr[$i]} in
				drop) d=$((d + 16#${v[$i]})) ;;
				early_drop) e=$((e + 16#${v[$i]})) ;;
				insert_failed) f=$((f + 16#${v[$i]})) ;;
				esac
			done
		done
	} < <("$@" cat /proc/net/stat/nf_conntrack)
	echo "$d $e $f"
}

# what the kernel says, per namespace: inode count name pid drop early_drop insert_failed
{
	for x in a b c; do
		printf '%s %s %s %s %s\n' "$(stat -L -c %i "/run/netns/$NS-$x")" \
			"$(ip netns exec "$NS-$x" cat /proc/sys/net/netfilter/nf_conntrack_count)" "$NS-$x" "-" \
			"$(drops ip netns exec "$NS-$x")"
	done
	if [ -n "$full" ]; then
		printf '%s %s %s %s %s\n' "$(stat -L -c %i "/run/netns/$full")" \
			"$(ip netns exec "$full" cat /proc/sys/net/netfilter/nf_conntrack_count)" "$full" "-" \
			"$(drops ip netns exec "$full")"
	fi
	printf '%s %s %s %s %s\n' "$(stat -L -c %i "/proc/$ppid/ns/net")" \
		"$(nsenter -t "$ppid" -n cat /proc/sys/net/netfilter/nf_conntrack_count)" "-" "$ppid" \
		"$(drops nsenter -t "$ppid" -n)"
} >"$tmp/want"
bpid=${pids[0]}
max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
self=$(stat -L -c %i /proc/self/ns/net)

check_list() { # FILE WHAT: the facts (or ansible_facts) in FILE against $tmp/want
	"$PY" - "$1" "$tmp/want" "$max" "$self" "$bpid" "$NS" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
facts = doc.get("ansible_facts", {}).get("conntrack", doc)
lst = facts.get("netns")
want = [l.split() for l in open(sys.argv[2])]
gmax, self_ino, bpid, ns = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
bad = []
if not isinstance(lst, list):
    print("no netns list"); sys.exit(1)
inos = [e["inode"] for e in lst]
if len(inos) != len(set(inos)):
    bad.append("an inode is listed twice")
known = [e for e in lst if e["count"] is not None]
if lst[:len(known)] != known or [e["count"] for e in known] != sorted((e["count"] for e in known), reverse=True):
    bad.append("not sorted by count: %s" % [e["count"] for e in lst])
cur = [e for e in lst if e["current"]]
if len(cur) != 1 or cur[0]["inode"] != self_ino:
    bad.append("current: %s" % cur)
by = {e["inode"]: e for e in lst}
for ino, count, name, pid, drop, early, failed in want:
    e = by.get(int(ino))
    if not e:
        bad.append("namespace %s (%s) missing" % (ino, name)); continue
    if e["count"] != int(count): bad.append("%s: count %s, want %s" % (name, e["count"], count))
    if e["max"] != gmax: bad.append("%s: max %s, want %s" % (name, e["max"], gmax))
    if [e["drop"], e["early_drop"], e["insert_failed"]] != [int(drop), int(early), int(failed)]:
        bad.append("%s: drops %s, /proc/net/stat says %s" % (name, [e["drop"], e["early_drop"], e["insert_failed"]], [drop, early, failed]))
    if e["source"] != "netlink": bad.append("%s: source %s" % (name, e["source"]))
    if e["current"]: bad.append("%s: current" % name)
    if "error" in e: bad.append("%s: error %s" % (name, e["error"]))
    if name != "-" and e["name"] != name: bad.append("%s: name %s" % (name, e["name"]))
    if name == "-" and e["name"] is not None: bad.append("unshared: name %s" % e["name"])
    wpid = bpid if name == ns + "-b" else (None if pid == "-" else int(pid))
    if e["pid"] != wpid: bad.append("%s: pid %s, want %s" % (name, e["pid"], wpid))
    if wpid:
        if e["comm"] != "sleep": bad.append("%s: comm %s" % (name, e["comm"]))
        cg = open("/proc/%d/cgroup" % wpid).read().splitlines()
        v2 = [l[3:] for l in cg if l.startswith("0::")]
        wcg = v2[0] if v2 else cg[0].split(":", 2)[2]
        if e["cgroup"] != wcg: bad.append("%s: cgroup %s, want %s" % (name, e["cgroup"], wcg))
    elif e["comm"] is not None or e["cgroup"] is not None:
        bad.append("%s: a process where there is none" % name)
if any(e["name"] and e["name"].startswith(ns + "-stale") for e in lst):
    bad.append("the stale file is listed")
print("; ".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
PY
}

run facts --netns --format json
if [ "$rc" -eq 0 ] && check_list "$tmp/out" >"$tmp/why"; then
	ok "facts --netns: 4 namespaces, counts, names, pids, comm, cgroup, order, dedup"
else
	bad "facts --netns (rc $rc): $(cat "$tmp/why" "$tmp/err")"
fi
if [ -n "$full" ]; then
	if "$PY" - "$tmp/out" "$(stat -L -c %i "/run/netns/$full")" <<'PY'; then
import json, sys
lst = json.load(open(sys.argv[1]))["netns"]
d = [e for e in lst if e["inode"] == int(sys.argv[2])][0]
print("full namespace: count %d, drop %d, early_drop %d" % (d["count"], d["drop"], d["early_drop"]))
# The kernel's GC also evicts unassured entries once the table is above 95%
# (counted as early_drop), so the count may be a little under max by now.
ok = lst[0] is d and d["count"] >= 0.9 * d["max"] and d["drop"] + d["early_drop"] > 0
sys.exit(0 if ok else 1)
PY
		ok "the full namespace: first, count near max, drop + early_drop > 0 (equal to its /proc/net/stat)"
	else
		bad "the full namespace: $(grep -o "\"inode\":$(stat -L -c %i "/run/netns/$full")[^}]*" "$tmp/out")"
	fi
fi
grep -q "netns: .* processes could not be looked at" "$tmp/out" &&
	echo "note: some processes are hidden from this test (the sandbox's own)"

echo '{"verb": "facts", "netns": true}' | "$CTUNE" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && check_list "$tmp/out" >"$tmp/why"; then
	ok "JSON protocol {\"netns\": true}: the same list under ansible_facts.conntrack"
else
	bad "JSON protocol netns (rc $rc): $(cat "$tmp/why" "$tmp/err")"
fi

run facts --netns --root / --format json
[ "$rc" -eq 0 ] && check_list "$tmp/out" >/dev/null && ok "--root / is the running host" || bad "--netns --root / (rc $rc)"

run facts --format json
"$PY" -c 'import json,sys; sys.exit("netns" in json.load(open(sys.argv[1])))' "$tmp/out" &&
	ok "no netns key without --netns" || bad "netns listed without --netns"

run facts --netns --format human
if [ "$rc" -eq 0 ] && grep -q "^Network namespaces (" "$tmp/out" && grep -q "^  $NS-b .*7 entries.*pid $bpid (sleep)" "$tmp/out" &&
	grep -q "^  $NS-c .*3 entries.*no process" "$tmp/out" && grep -q "11 entries.*pid $ppid (sleep)" "$tmp/out" &&
	{ [ -z "$full" ] || tr '\n' ' ' <"$tmp/out" | grep -q "$full .*since boot drop [0-9]*, early_drop [0-9]*"; }; then
	ok "human report: the namespaces section"
else
	bad "human report: $(grep -A8 'Network namespaces' "$tmp/out")"
fi

for r in "$CTUNE_TESTS/fixtures/debian12" /tmp ///; do
	run facts --netns --root "$r"
	if [ "$rc" -eq 2 ] && "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["failed"] and "root prefix" in d["msg"]))' "$tmp/out"; then
		ok "--netns --root $r: refused, exit 2, one JSON object"
	else
		bad "--netns --root $r: rc $rc $(cat "$tmp/out")"
	fi
done
echo '{"netns": true, "root": "/tmp"}' | "$CTUNE" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "root prefix" "$tmp/out" && ok "JSON netns with root: refused" || bad "JSON netns with root: $(cat "$tmp/out")"
run watch --netns
[ "$rc" -eq 2 ] && grep -q "facts verb only" "$tmp/out" && ok "--netns on watch: refused" || bad "watch --netns: rc $rc"

# --- without CAP_SYS_ADMIN -------------------------------------------------
if command -v setpriv >/dev/null 2>&1 &&
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin true 2>/dev/null; then
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$CTUNE" facts --netns --format json >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ] && "$PY" - "$tmp/out" "$tmp/want" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
by = {e["inode"]: e for e in d["netns"]}
bad = []
for ino, count, name, pid, *_ in (l.split() for l in open(sys.argv[2])):
    e = by.get(int(ino))
    if pid != "-":   # held by a process: counted through /proc
        if not e or e["count"] != int(count) or e["source"] != "proc":
            bad.append("unshared: %s" % e)
    elif name.endswith(("-a", "-c")):  # only a mount: no way in
        if not e or e["count"] is not None or "CAP_SYS_ADMIN" not in e.get("error", ""):
            bad.append("%s: %s" % (name, e))
if not any("CAP_SYS_ADMIN" in w for w in d["warnings"]):
    bad.append("no warning")
bad and print("; ".join(bad)); sys.exit(1 if bad else 0)
PY
		ok "without CAP_SYS_ADMIN: counts through /proc where a process holds the namespace, errors elsewhere"
	else
		bad "without CAP_SYS_ADMIN (rc $rc): $(cat "$tmp/err")"
	fi
else
	echo "note: setpriv cannot drop CAP_SYS_ADMIN here: the unprivileged case is not run"
fi

host_snapshot >"$tmp/host.after"
# the test's own namespaces are gone only after cleanup: compare the sysctls
if diff <(grep -v netns-present "$tmp/host.before") <(grep -v netns-present "$tmp/host.after") >/dev/null; then
	ok "the host's namespace is unchanged"
else
	bad "the host changed: $(diff "$tmp/host.before" "$tmp/host.after")"
fi
report
