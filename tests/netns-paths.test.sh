#!/bin/bash
# netns-paths.test.sh - the /proc and ctnetlink paths of `ctune facts` agree
# exactly on a frozen table of more than 10,000 mixed entries, in a private
# network namespace.
#
# The test compiles tests/data/netns/ctfill.c (cc, pkg-config libmnl), which
# creates the known mix tests/data/netns/mix over ctnetlink in batches (both
# tuples, timeouts >= 600 s, TCP and SCTP states, SEEN_REPLY/ASSURED status
# bits, three conntrack zones; accounting and timestamps on, so the /proc
# lines carry packets=/bytes=/delta-time=).  The namespace has no interface
# up and no rule: nothing but the test touches its table, which is frozen
# from the fill to the end (asserted: the stat file is byte-identical and
# the counts and the awk summary are unchanged before and after every ctune
# run).  Then, inside the namespace:
#   - references: nf_conntrack_count == `conntrack -C` == `conntrack -L | wc -l`
#     == lines of /proc/net/nf_conntrack == the mix, and a plain awk summary
#     of /proc/net/nf_conntrack == the summary the mix file implies;
#   - `ctune facts --table` with --source proc, --source netlink and the
#     default (auto): each table summary == the awk summary == the mix, every
#     field; the three summaries are equal; count == the references, with
#     and without --table; `source`, `source_reason`, table/stats `file` and
#     `source` name the path used (auto: netlink, for CAP_NET_ADMIN); the
#     whole facts objects are equal apart from source, source_reason, stats,
#     the kernel-log events and the sizing advice (whose peak is the global
#     conntrack slab);
#   - per-CPU statistics: /proc's rows == the stat file, netlink's rows ==
#     /proc's on every column netlink gives, netlink's columns == the header
#     minus the ones src/netlink.h says ctnetlink cannot give (which /proc
#     shows as 0);
#   - without CAP_NET_ADMIN (setpriv, or capsh): auto falls back to /proc with
#     a source_reason naming CAP_NET_ADMIN and the same figures; --source
#     netlink fails (non-zero exit, failed: true, a message naming
#     CAP_NET_ADMIN) and prints no figures;
#   - --source netlink --root DIR is refused with a clear message; --root DIR
#     alone uses /proc files and says so.
# The host's own namespace is never changed: its nf_conntrack sysctls and nft
# ruleset are compared before and after, none of the test's addresses may
# show up in the host's table, and the host's nf_conntrack_count (the hash
# table is global, the count per namespace) must not have taken the entries.
#
# Environment: CTUNE (path of ctune, required), CTUNE_TESTS (tests/ dir).
# Exit: 0 passed, 1 failed, 77 skipped (reason on stderr): not root; ip,
# conntrack, cc, pkg-config + libmnl, setpriv/capsh or /usr/bin/python3
# missing; no conntrack, no /proc/net/nf_conntrack, no namespace, or no
# ctnetlink in the kernel.
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
NS=ctune-p-$$
LONG=86400
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
DATA=$TESTS/data/netns
FIXROOT=$TESTS/fixtures/debian12

if [ -z "${CTUNE:-}" ] || [ ! -x "${CTUNE:-}" ]; then
	echo "netns-paths.test.sh: CTUNE is not set to an executable (${CTUNE:-unset})" >&2
	exit 1
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (creates a network namespace and conntrack entries)"
for t in ip conntrack cc pkg-config; do
	command -v "$t" >/dev/null 2>&1 ||
		skip "'$t' is not installed (Debian: iproute2, conntrack, gcc, pkg-config)"
done
pkg-config --exists libmnl || skip "libmnl is not installed (Debian: libmnl-dev)"
[ -x "$PY" ] || skip "$PY is missing"
if command -v setpriv >/dev/null 2>&1; then
	nocap=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin --)
	nocap_how="setpriv --inh-caps=-net_admin --bounding-set=-net_admin"
elif command -v capsh >/dev/null 2>&1; then
	# shellcheck disable=SC2016 # "$@" is for the shell capsh starts
	nocap=(capsh --drop=cap_net_admin -- -c 'exec "$@"' nocap)
	nocap_how="capsh --drop=cap_net_admin"
else
	skip "neither setpriv (util-linux) nor capsh (libcap2-bin) to run without CAP_NET_ADMIN"
fi
[ -r /proc/sys/net/netfilter/nf_conntrack_count ] ||
	skip "nf_conntrack is not available in this kernel (no /proc/sys/net/netfilter/nf_conntrack_count)"
[ -r /proc/net/nf_conntrack ] ||
	skip "no /proc/net/nf_conntrack (kernel built without CONFIG_NF_CONNTRACK_PROCFS): nothing to compare netlink with"
for f in "$DATA/ctfill.c" "$DATA/mix" "$FIXROOT/proc/sys/net/netfilter/nf_conntrack_max"; do
	[ -r "$f" ] || {
		echo "netns-paths.test.sh: $f is missing" >&2
		exit 1
	}
done

scratch paths
ns_made=0
cleanup() {
	if [ "$ns_made" -eq 1 ]; then
		ip netns del "$NS" 2>/dev/null
		ns_made=0
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
exit_on_signals

now_ms() { echo $(($(date +%s%N) / 1000000)); }
t_start=$(now_ms)

# --- the helper --------------------------------------------------------------
# shellcheck disable=SC2046 # pkg-config output is meant to split into words
if ! cc -std=c11 -O2 -Wall -Wextra -Werror $(pkg-config --cflags libmnl) -o "$tmp/ctfill" "$DATA/ctfill.c" \
	$(pkg-config --libs libmnl) 2>"$tmp/cc.err"; then
	bad "compile tests/data/netns/ctfill.c: $(head -c 1500 "$tmp/cc.err")"
	echo "$pass passed, $fail failed"
	exit 1
fi

# --- the host before ---------------------------------------------------------
host_snapshot >"$tmp/host.before"
host_count_before=$(cat /proc/sys/net/netfilter/nf_conntrack_count)
host_ns=$(readlink /proc/self/ns/net)

# --- the namespace -------------------------------------------------------------
ip netns add "$NS" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ns_made=1
if [ "$(nsx readlink /proc/self/ns/net)" = "$host_ns" ]; then
	bad "ip netns exec $NS runs in the host's network namespace: refusing to go on"
	echo "$pass passed, $fail failed"
	exit 1
fi
# Accounting and timestamps on (per-namespace keys): the /proc lines then
# carry packets=/bytes= after each tuple and delta-time=, netlink the
# counters; neither may change a figure.  No interface is brought up and no
# rule is added, so no packet can create, change or count anything here.
if ! nsx sh -c 'echo 1 >/proc/sys/net/netfilter/nf_conntrack_acct &&
		echo 1 >/proc/sys/net/netfilter/nf_conntrack_timestamp' 2>"$tmp/err"; then
	bad "turn on nf_conntrack_acct/timestamp in $NS: $(cat "$tmp/err")"
fi

t0=$(now_ms)
nsx "$tmp/ctfill" <"$DATA/mix" >"$tmp/fill.out" 2>"$tmp/fill.err"
fill_rc=$?
t1=$(now_ms)
created=$(sed -n 's/^created //p' "$tmp/fill.out")
created=${created:-0}
if [ "$fill_rc" -ne 0 ] && [ "$created" -eq 0 ]; then
	skip "the kernel refused every entry over ctnetlink: $(head -c 400 "$tmp/fill.err")"
fi
if [ "$fill_rc" -eq 0 ]; then
	ok "ctfill created $created entries in $NS over ctnetlink in $((t1 - t0)) ms"
else
	bad "ctfill exited $fill_rc after $created entries: $(head -c 600 "$tmp/fill.err")"
fi

# --- references ------------------------------------------------------------------
# conntrack_summary (lib.sh), as in netns.test.sh: the kernel's text, word by word.
refs() {
	nsx cat /proc/net/nf_conntrack >"$tmp/table.$1"
	conntrack_summary "$LONG" <"$tmp/table.$1" >"$tmp/awk.$1"
	wc -l <"$tmp/table.$1" >"$tmp/lines.$1"
	nsx cat /proc/sys/net/netfilter/nf_conntrack_count >"$tmp/count.$1"
	nsx conntrack -C >"$tmp/conntrack-C.$1" 2>/dev/null
	nsx conntrack -L 2>/dev/null | wc -l >"$tmp/conntrack-L.$1"
	nsx cat /proc/net/stat/nf_conntrack >"$tmp/stat.$1"
}
refs 1

# --- ctune on each path --------------------------------------------------------------
SOURCES="proc netlink auto"
: >"$tmp/timings"
for src in $SOURCES; do
	sa=()
	[ "$src" = auto ] || sa=(--source "$src")
	a=$(now_ms)
	nsx "$CTUNE" facts --table "${sa[@]}" >"$tmp/facts.$src.json" 2>"$tmp/facts.$src.err"
	echo $? >"$tmp/rc.$src"
	b=$(now_ms)
	nsx "$CTUNE" facts "${sa[@]}" >"$tmp/notable.$src.json" 2>"$tmp/notable.$src.err"
	echo $? >"$tmp/rc.notable.$src"
	c=$(now_ms)
	echo "$src $((b - a)) $((c - b))" >>"$tmp/timings"
done
refs 2

# --- without CAP_NET_ADMIN -------------------------------------------------------------
# Premise: the capability is really gone in the process ctune runs as.
nsx "${nocap[@]}" grep '^CapEff:' /proc/self/status >"$tmp/nocap.capeff" 2>&1
nsx "${nocap[@]}" "$CTUNE" facts --table >"$tmp/nocap.auto.json" 2>"$tmp/nocap.auto.err"
echo $? >"$tmp/rc.nocap.auto"
nsx "${nocap[@]}" "$CTUNE" facts --table --source netlink >"$tmp/nocap.netlink.json" 2>"$tmp/nocap.netlink.err"
echo $? >"$tmp/rc.nocap.netlink"

# --- a root prefix ---------------------------------------------------------------------
nsx "$CTUNE" facts --source netlink --root "$FIXROOT" >"$tmp/root.netlink.json" 2>"$tmp/root.netlink.err"
echo $? >"$tmp/rc.root.netlink"
nsx "$CTUNE" facts --root "$FIXROOT" >"$tmp/root.auto.json" 2>"$tmp/root.auto.err"
echo $? >"$tmp/rc.root.auto"
refs 3

# --- the assertions ------------------------------------------------------------------------
"$PY" - "$tmp" "$LONG" "$DATA/mix" "$SOURCES" "$created" "$nocap_how" >"$tmp/results" <<'EOF'
import json, os, sys
tmp, LONG, mixfile, SOURCES, created, nocap_how = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                                  sys.argv[4].split(), int(sys.argv[5]), sys.argv[6])
# Columns src/netlink.h documents that ctnetlink cannot give: current kernels
# no longer count them (/proc prints them as constant 0).
NETLINK_LACKS = ("searched", "new", "ignore", "delete", "delete_list")
KEYS = ("total", "family", "protocol", "tcp_state", "assured", "unreplied", "offload", "long_timeout", "malformed")
out = []
def check(cond, what, detail=""):
    out.append(("ok   " if cond else "FAIL ") + what + ("" if cond else ": " + detail))

def read(name):
    try:
        return open(os.path.join(tmp, name)).read()
    except OSError:
        return ""

def kv(name):
    d = {}
    for line in read(name).splitlines():
        k, v = line.split()
        d[k] = int(v)
    return d

def nest(flat):
    t = {"family": {}, "protocol": {}, "tcp_state": {}}
    for k, v in flat.items():
        if "." in k:
            a, b = k.split(".", 1)
            t[a][b] = v
        else:
            t[k] = v
    return t

def load(name):
    try:
        obj = json.loads(read(name))
        if not isinstance(obj, dict):
            raise ValueError("not an object")
        return obj, None
    except Exception as e:
        return None, "%s: %s (stdout %r)" % (name, e, read(name)[:200])

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

def stat_rows(text):
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return [], []
    head = lines[0].split()
    return head, [dict(zip(head, (int(x, 16) for x in l.split()))) for l in lines[1:]]

def summary(f):
    t = (f or {}).get("table")
    return {k: t.get(k) for k in KEYS} if isinstance(t, dict) else None

# --- the mix, as the data file says ------------------------------------------
exp = {"total": 0, "assured": 0, "unreplied": 0, "offload": 0, "long_timeout": 0, "malformed": 0,
       "family": {k: 0 for k in ("ipv4", "ipv6", "other")},
       "protocol": {k: 0 for k in ("tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "gre", "other")},
       "tcp_state": {k: 0 for k in ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
                                    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2", "UNKNOWN")}}
bad_tmo = []
kinds = set()
for line in open(mixfile):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    n, fam, proto, state, flags, tmo = line.split()[:6]
    n, tmo = int(n), int(tmo)
    if not (600 <= tmo <= 7200 or tmo >= 100000):
        bad_tmo.append(line.strip())
    p = proto if proto in exp["protocol"] else "other"
    exp["total"] += n
    exp["family"][fam] += n
    exp["protocol"][p] += n
    if p == "tcp":
        exp["tcp_state"][state] += n
    exp["assured"] += n if flags in ("A", "U") else 0
    exp["unreplied"] += n if flags in ("-", "U") else 0
    exp["long_timeout"] += n if tmo > LONG else 0
    kinds.add((fam, p, flags))
check(not bad_tmo, "mix timeouts are 600..7200 s or >= 100000 s (nothing expires or crosses one day mid-test)",
      "; ".join(bad_tmo))
check(exp["total"] >= 10000 and all(exp["tcp_state"][s] for s in exp["tcp_state"] if s != "UNKNOWN")
      and exp["family"]["ipv6"] and exp["protocol"]["udp"] and exp["protocol"]["icmp"] and exp["protocol"]["icmpv6"]
      and exp["assured"] and exp["unreplied"] and exp["long_timeout"],
      "the mix has %d entries: every TCP state, UDP, ICMP, IPv6, assured, unreplied, long timeouts" % exp["total"],
      "mix summary %r" % (exp,))
check(created == exp["total"], "ctfill created the whole mix (%d)" % exp["total"], "created %d" % created)

# --- frozen, and the references agree ------------------------------------------
refs = {}
for i in (1, 2, 3):
    refs[i] = {"awk": kv("awk.%d" % i), "lines": int(read("lines.%d" % i) or -1),
               "count": int(read("count.%d" % i) or -1),
               "conntrack -C": int((read("conntrack-C.%d" % i).split() or ["-1"])[0]),
               "conntrack -L": int(read("conntrack-L.%d" % i) or -1), "stat": read("stat.%d" % i)}
moved = [k for k in refs[1] if not (refs[1][k] == refs[2][k] == refs[3][k])]
check(not moved, "the table is frozen: counts, awk summary and the stat file byte for byte equal before, "
      "between and after the ctune runs", "changed: %s" % ", ".join(moved))
r = refs[1]
check(r["count"] == r["conntrack -C"] == r["conntrack -L"] == r["lines"] == r["awk"].get("total") == exp["total"],
      "nf_conntrack_count == conntrack -C == conntrack -L lines == /proc/net/nf_conntrack lines == awk total "
      "== mix (%d)" % exp["total"],
      "count %d, conntrack -C %d, conntrack -L %d, lines %d, awk %r, mix %d"
      % (r["count"], r["conntrack -C"], r["conntrack -L"], r["lines"], r["awk"].get("total"), exp["total"]))
awk = nest(r["awk"])
d = diff(awk, exp)
check(not d, "awk summary of /proc/net/nf_conntrack == the mix, every field", "awk vs mix: " + "; ".join(d))
count = r["count"]
header, rows = stat_rows(r["stat"])
lacks = [c for c in header if c in NETLINK_LACKS]
shared = [c for c in header if c not in NETLINK_LACKS]
zero = [(c, i) for c in lacks for i, row in enumerate(rows) if row[c] != 0]
check(bool(header) and not zero,
      "the stat file's %s columns are 0 on every CPU (premise: netlink may leave them out)" % "/".join(lacks),
      "header %r, non-zero %r" % (header, zero[:5]))

# --- each path ---------------------------------------------------------------------
facts, notable = {}, {}
for src in SOURCES:
    L = "[%s] " % src
    used = "netlink" if src == "auto" else src
    rc = int(read("rc." + src) or -1)
    f, err = load("facts.%s.json" % src)
    check(rc == 0 and f is not None, L + "facts --table exited 0 with one JSON object",
          "exit %d %s %s" % (rc, err or "", read("facts.%s.err" % src)[:300]))
    rc = int(read("rc.notable." + src) or -1)
    n, err = load("notable.%s.json" % src)
    check(rc == 0 and n is not None, L + "facts exited 0 with one JSON object",
          "exit %d %s %s" % (rc, err or "", read("notable.%s.err" % src)[:300]))
    facts[src], notable[src] = f, n
    if f is None:
        continue
    reason = f.get("source_reason")
    check(f.get("source") == used and isinstance(reason, str) and reason
          and (src != "auto" or "CAP_NET_ADMIN" in reason),
          L + "source %s, source_reason %r" % (used, reason),
          "source %r, source_reason %r" % (f.get("source"), reason))
    t = f.get("table") if isinstance(f.get("table"), dict) else {}
    st = f.get("stats") if isinstance(f.get("stats"), dict) else {}
    want_tf = "/proc/net/nf_conntrack" if used == "proc" else None
    want_sf = "/proc/net/stat/nf_conntrack" if used == "proc" else None
    check(t.get("file") == want_tf and t.get("source") == used and st.get("file") == want_sf
          and st.get("source") == used,
          L + "table.file %s, stats.file %s, both source %s" % (json.dumps(want_tf), json.dumps(want_sf), used),
          "table file/source %r/%r, stats file/source %r/%r"
          % (t.get("file"), t.get("source"), st.get("file"), st.get("source")))
    d = diff(summary(f) or {}, awk)
    check(not d, L + "table summary == awk summary of /proc/net/nf_conntrack (%d), every field" % awk.get("total", 0),
          "ctune vs awk: " + "; ".join(d))
    d = diff(summary(f) or {}, exp)
    check(not d, L + "table summary == the mix, every field", "ctune vs mix: " + "; ".join(d))
    check(f.get("count") == count == t.get("total")
          and (f.get("tunables") or {}).get("count", {}).get("value") == count,
          L + "count == tunables.count.value == table.total == nf_conntrack_count (%d)" % count,
          "count %r, tunables.count %r, table.total %r" % (f.get("count"), (f.get("tunables") or {}).get("count"),
                                                          t.get("total")))
    if n is not None:
        check(n.get("count") == count and "table" not in n and n.get("source") == used,
              L + "facts without --table: count %d, no table, source %s" % (count, used),
              "count %r, table present %s, source %r" % (n.get("count"), "table" in n, n.get("source")))
    want_cols = header if used == "proc" else shared
    check(st.get("columns") == want_cols,
          L + ("stats.columns == the stat file's header" if used == "proc" else
               "stats.columns == the stat file's header minus %s" % "/".join(lacks)),
          "columns %r, want %r" % (st.get("columns"), want_cols))
    pc = st.get("per_cpu") or []
    if used == "proc":
        check(pc == rows, L + "per_cpu == the stat file's %d rows, every column (frozen table)" % len(rows),
              "%r vs %r" % (pc[:2], rows[:2]))
    else:
        bad_cpu = [] if len(pc) == len(rows) else ["%d rows, the file has %d" % (len(pc), len(rows))]
        for i, (row, got) in enumerate(zip(rows, pc)):
            bad_cpu += ["cpu%d %s: netlink %r, /proc %d" % (i, c, got.get(c), row[c]) for c in shared
                        if got.get(c) != row[c]]
            if set(got) - set(shared):
                bad_cpu.append("cpu%d has %s" % (i, sorted(set(got) - set(shared))))
        check(not bad_cpu, L + "per_cpu == the stat file's %d rows on all %d shared columns (frozen table)"
              % (len(rows), len(shared)), "; ".join(bad_cpu[:10]))
    tot = st.get("total") or {}
    bad_tot = ["%s: %r, rows give %r" % (c, tot.get(c), count if c == "entries" else sum(x.get(c, 0) for x in pc))
               for c in st.get("columns") or []
               if tot.get(c) != (count if c == "entries" else sum(x.get(c, 0) for x in pc))]
    check(not bad_tot, L + "stats.total == sum of the CPU rows (entries == count)", "; ".join(bad_tot))

# --- the paths against each other ----------------------------------------------------
# advice is left out too: its peak comes from the conntrack slab, which is
# global (other namespaces move it between two runs).
PATH_KEYS = ("source", "source_reason", "stats", "events", "advice")
def strip(f):
    g = {k: v for k, v in f.items() if k not in PATH_KEYS}
    if isinstance(g.get("table"), dict):
        g["table"] = {k: v for k, v in g["table"].items() if k not in ("file", "source")}
    return g
if all(facts[s] is not None for s in SOURCES):
    for other in ("netlink", "auto"):
        d = diff(summary(facts["proc"]) or {}, summary(facts[other]) or {})
        check(not d and summary(facts["proc"]) is not None,
              "table summary: proc == %s exactly, every field (%d entries)" % (other, count),
              "proc vs %s: %s" % (other, "; ".join(d)))
        for kind, objs in (("--table", facts), ("without --table", notable)):
            if objs["proc"] is not None and objs[other] is not None:
                d = diff(strip(objs["proc"]), strip(objs[other]))
                check(not d, "facts %s: proc == %s apart from source, source_reason, stats, events and advice"
                      % (kind, other), "; ".join(d)[:1500])
counts = {"%s%s" % (s, k): o[s].get("count") for s in SOURCES for k, o in (("", facts), (" (no --table)", notable))
          if o[s] is not None}
check(len(counts) == 2 * len(SOURCES) and set(counts.values()) == {count},
      "count is %d on every path, with and without --table" % count, "%r" % (counts,))

# --- without CAP_NET_ADMIN ---------------------------------------------------------------
capeff = read("nocap.capeff").split()
has_cap = None
try:
    has_cap = bool(int(capeff[1], 16) & (1 << 12))
except (IndexError, ValueError):
    pass
check(has_cap is False, "premise: %s leaves ctune without CAP_NET_ADMIN (CapEff %s)"
      % (nocap_how, capeff[1] if len(capeff) > 1 else "?"), "CapEff line %r" % (read("nocap.capeff"),))
rc = int(read("rc.nocap.auto") or -1)
f, err = load("nocap.auto.json")
check(rc == 0 and f is not None, "no CAP_NET_ADMIN, auto: exit 0 with one JSON object",
      "exit %d %s %s" % (rc, err or "", read("nocap.auto.err")[:300]))
if f is not None:
    reason = f.get("source_reason")
    check(f.get("source") == "proc" and isinstance(reason, str) and "CAP_NET_ADMIN" in reason,
          "no CAP_NET_ADMIN, auto: falls back to proc, the reason names CAP_NET_ADMIN (%r)" % (reason,),
          "source %r, source_reason %r" % (f.get("source"), reason))
    d = diff(summary(f) or {}, awk)
    check(not d and f.get("count") == count, "no CAP_NET_ADMIN, auto: count %d and table summary == awk" % count,
          "count %r; %s" % (f.get("count"), "; ".join(d)))
    t = f.get("table") if isinstance(f.get("table"), dict) else {}
    st = f.get("stats") if isinstance(f.get("stats"), dict) else {}
    check(t.get("source") == "proc" and st.get("source") == "proc" and st.get("columns") == header,
          "no CAP_NET_ADMIN, auto: table and stats from /proc (all %d columns)" % len(header),
          "table.source %r, stats.source %r, columns %r" % (t.get("source"), st.get("source"), st.get("columns")))
rc = int(read("rc.nocap.netlink") or -1)
f, err = load("nocap.netlink.json")
msg = (f or {}).get("msg") if f else None
errtext = read("nocap.netlink.err")
check(rc != 0, "no CAP_NET_ADMIN, --source netlink: exits non-zero (%d)" % rc, "exit 0, stdout %r" % read("nocap.netlink.json")[:300])
check(f is not None and f.get("failed") is True and isinstance(msg, str) and "CAP_NET_ADMIN" in msg
      and "CAP_NET_ADMIN" in errtext and "count" not in f and "table" not in f,
      "no CAP_NET_ADMIN, --source netlink: failed: true, no figures, stdout and stderr name CAP_NET_ADMIN (%r)" % (msg,),
      "stdout %r, stderr %r" % (read("nocap.netlink.json")[:300], errtext[:300]))

# --- a root prefix ---------------------------------------------------------------------------
rc = int(read("rc.root.netlink") or -1)
f, err = load("root.netlink.json")
msg = (f or {}).get("msg") if f else None
errtext = read("root.netlink.err")
check(rc != 0 and f is not None and f.get("failed") is True and isinstance(msg, str) and "netlink" in msg
      and "root" in msg and "root" in errtext and "count" not in f,
      "--source netlink --root DIR: refused (exit %d), failed: true, message %r" % (rc, msg),
      "exit %d, stdout %r, stderr %r" % (rc, read("root.netlink.json")[:300], errtext[:300]))
rc = int(read("rc.root.auto") or -1)
f, err = load("root.auto.json")
check(rc == 0 and f is not None and f.get("source") == "proc" and "root" in str(f.get("source_reason")),
      "--root DIR (auto): source proc, reason %r" % ((f or {}).get("source_reason"),),
      "exit %d %s, source %r" % (rc, err or "", (f or {}).get("source")))

print("\n".join(out))
EOF
while IFS= read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done <"$tmp/results"
while read -r src with without; do
	echo "     timing: ctune facts --table (source $src) ${with} ms, without --table ${without} ms, $created entries"
done <"$tmp/timings"
if [ "$fail" -gt 0 ]; then
	for src in $SOURCES; do
		echo "     (ctune facts --table, $src: $(head -c 1200 "$tmp/facts.$src.json"))"
	done
fi

# --- the host after ----------------------------------------------------------------------------
ip netns del "$NS" 2>/dev/null
ns_made=0
host_snapshot >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then
	ok "host namespace unchanged (nf_conntrack sysctls, nft ruleset; $NS removed)"
else
	bad "host namespace changed: $(diff "$tmp/host.before" "$tmp/host.after" | tr '\n' ' ')"
fi
host_count_after=$(cat /proc/sys/net/netfilter/nf_conntrack_count)
if [ $((host_count_after - host_count_before)) -lt "$created" ]; then
	ok "host nf_conntrack_count $host_count_before -> $host_count_after: the $created entries were counted in $NS only"
else
	bad "host nf_conntrack_count rose from $host_count_before to $host_count_after ($created entries created in $NS)"
fi
leaked=$(grep -c -E 'dst=(203\.0\.113\.|2001:0db8:00c7:)' /proc/net/nf_conntrack)
if [ "$leaked" -eq 0 ]; then
	ok "none of the test's entries is in the host's table"
else
	bad "$leaked of the test's entries are in the host's table"
fi
echo "     total time $(($(now_ms) - t_start)) ms"

report
