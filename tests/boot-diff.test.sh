#!/usr/bin/env bash
# boot-diff.test.sh - ctune's effective_at_boot against the real boot tools,
# on many generated sysctl.d trees (tests/boot-diff-gen.py).
#
# For every tree, both real tools run: /lib/systemd/systemd-sysctl and procps
# `sysctl --system`, each in a fresh mount + network namespace (unshare -mn)
# with the tree bind-mounted over /etc, /run, /usr/lib/sysctl.d and
# /usr/local/lib (so the host's own files are out of sight, and nothing
# outside the namespace is touched):
#   1. against the namespace's real /proc/sys/net: its per-namespace
#      conntrack timeouts and flags are writable, so the kernel itself
#      parses the values; every one is read back;
#   2. against plain files standing in for /proc/sys/net (a tmpfs tree
#      bind-mounted over it, net/nf_conntrack_max a link to
#      net/netfilter/nf_conntrack_max as the two are one kernel variable):
#      nf_conntrack_max, its alias, buckets and expect_max are read-only in
#      a namespace, so here the text each file holds last is the write that
#      won.
# ctune facts --root TREE (with the same conntrack files, holding the
# defaults, as its /proc/sys/net, and a marker saying which tool the image
# runs) must predict every value.
# The host's /proc/sys and /etc are never written: every write happens in
# a namespace the test made, on keys that are per namespace or stand-ins.
#
# Prints the numbers: trees, and for each tool how many trees agree.
# BOOT_DIFF_TREES (default 100) and BOOT_DIFF_SEED (default 15) vary it.
set -u
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
sd=/lib/systemd/systemd-sysctl
ntrees=${BOOT_DIFF_TREES:-100}
seed=${BOOT_DIFF_SEED:-15}
[ "$(id -u)" = 0 ] || skip "needs root (unshare -mn)"
[ -x $sd ] || skip "no $sd"
command -v sysctl >/dev/null || skip "no procps sysctl"
unshare -mn true 2>/dev/null || skip "unshare -mn not permitted"
[ -e /proc/sys/net/netfilter/nf_conntrack_udp_timeout ] || skip "no nf_conntrack"
[ -d /usr/lib/sysctl.d ] && [ -d /usr/local/lib ] || skip "no /usr/lib/sysctl.d or /usr/local/lib to cover"
scratch boot-diff
host_before=$(cat /proc/sys/net/netfilter/nf_conntrack_{udp_timeout,tcp_timeout_established,generic_timeout} \
	/proc/sys/net/netfilter/nf_conntrack_max /proc/sys/kernel/pid_max)

# The conntrack files of a fresh namespace, as the stand-in's template:
# names and modes, "S" as their text (a value no tool writes).
tpl=$tmp/standin
mkdir -p "$tpl/netfilter"
unshare -n sh -c 'cd /proc/sys/net/netfilter && for f in nf_conntrack_*; do
	[ -f "$f" ] && echo "$f $(cat "$f")"; done' >"$tmp/defaults"
while read -r f _; do echo S >"$tpl/netfilter/$f"; done <"$tmp/defaults"
ln -s netfilter/nf_conntrack_max "$tpl/nf_conntrack_max"
# ctune's own view of the image: the same files holding the defaults (what a
# running host's /proc shows), so it sees which keys and aliases exist.
view=$tmp/view
mkdir -p "$view/netfilter"
while read -r f v; do echo "$v" >"$view/netfilter/$f"; done <"$tmp/defaults"
# The alias is a file of its own here, holding the same value: ctune refuses
# a live key that is a link (a kernel never makes one, an image may plant one).
cp "$view/netfilter/nf_conntrack_max" "$view/nf_conntrack_max"

$py "$(dirname "$0")/boot-diff-gen.py" "$tmp/trees" "$ntrees" "$seed" || { bad "generator failed"; report; exit; }

# run_tool TREE TOOL: the tool on TREE's files in a fresh namespace, twice:
# against the namespace's own conntrack keys (printed as "real FILE TEXT"),
# then against the stand-in files ("standin FILE TEXT"), newlines as '~'.
# The mounts are checked before the tool runs.
run_tool() {
	local r=$1 tool=$2 w
	w=$(mktemp -d "$tmp/w.XXXXXX")
	cp -a "$tpl" "$w/net"
	unshare -mn --propagation private bash -c '
		set -e
		r=$1 w=$2 tool=$3
		mount --bind "$r/etc" /etc
		mount --bind "$r/run" /run
		mount --bind "$r/usr/lib/sysctl.d" /usr/lib/sysctl.d
		mount --bind "$r/usr/local/lib" /usr/local/lib
		for d in /etc /run /usr/lib/sysctl.d /usr/local/lib; do mountpoint -q $d; done
		show() { (cd /proc/sys/net/netfilter && for f in nf_conntrack_*; do
			[ -f "$f" ] && echo "$1 $f $(tr "\n" "~" <"$f")"; done); }
		$tool >/dev/null 2>&1 || true
		show real
		mount --bind "$w/net" /proc/sys/net
		[ "$(readlink /proc/sys/net/nf_conntrack_max)" = netfilter/nf_conntrack_max ]
		$tool >/dev/null 2>&1 || true
		show standin
	' bash "$r" "$w" "$tool"
	rm -rf "$w"
}

# predict TREE MODEL: ctune's effective_at_boot, as JSON.
predict() {
	local r=$1
	rm -rf "$r/proc" "$r/lib"
	mkdir -p "$r/proc/sys" "$r/etc/init.d"
	cp -a "$view" "$r/proc/sys/net"
	: >"$r/etc/init.d/procps"
	if [ "$2" = systemd ]; then mkdir -p "$r/lib/systemd" && : >"$r/lib/systemd/systemd-sysctl"; fi
	"$CTUNE" facts --root "$r" --format json --no-advice
}

for r in "$tmp"/trees/t*; do
	for tool in systemd procps; do
		[ $tool = systemd ] && cmd=$sd || cmd="sysctl --system"
		predict "$r" $tool >"$r/$tool.ctune.json" 2>"$r/$tool.ctune.err" || echo '{}' >"$r/$tool.ctune.json"
		run_tool "$r" "$cmd" >"$r/$tool.out"
		grep -q '^standin ' "$r/$tool.out" || bad "$(basename "$r") $tool: the namespace run failed"
	done
done

# Compare, tree by tree; print each difference and the totals.
$py - "$tmp/trees" "$tmp/defaults" >"$tmp/verdict" <<'EOF'
import glob, json, os, sys
trees, defaults = sys.argv[1], sys.argv[2]
base = dict(l.split(None, 1) for l in open(defaults).read().splitlines())
base = {k: v.strip() for k, v in base.items()}
writable_real = None
equal = {"systemd": 0, "procps": 0}
total = 0
for r in sorted(glob.glob(trees + "/t*")):
    total += 1
    for tool in ("systemd", "procps"):
        diffs = []
        try:
            facts = json.load(open(f"{r}/{tool}.ctune.json"))
            boot = facts["effective_at_boot"]
            tun = boot["tunables"]
            want_model = "systemd-sysctl" if tool == "systemd" else "procps-sysctl-system"
            if "model" in boot and boot["model"] != want_model:
                diffs.append(f"model {boot['model']} != {want_model}")
        except Exception as e:
            diffs.append(f"no effective_at_boot: {e}: {open(f'{r}/{tool}.ctune.err').read()[:300]}")
            tun = {}
        lines = [l.split(" ", 2) for l in open(f"{r}/{tool}.out").read().splitlines()]
        real = {f: text for mode, f, text in lines if mode == "real"}
        stand = {f: text for mode, f, text in lines if mode == "standin"}
        for f, text in real.items():
            name = f[len("nf_conntrack_"):]
            if name in ("count", "max", "buckets", "expect_max") or name not in base:
                continue
            got = text.rstrip("~")
            v = tun.get(name)
            want = str(v["value"]) if v and v["value"] is not None else base[f] if f in base else None
            if want is None:
                continue
            if got != want:
                diffs.append(f"{name}: {tool} left {got}, ctune predicted {want} ({json.dumps(v)})")
        for name in ("max", "buckets", "expect_max"):
            # systemd-sysctl does not truncate (proc files need not): the
            # last write is the first line.
            got = stand.get("nf_conntrack_" + name, "S~").split("~")[0]
            v = tun.get(name)
            want = v["raw"] if v and v["value"] is not None else "S"
            if got != want:
                diffs.append(f"{name} (stand-in): {tool} wrote {got!r} last, ctune predicted {want!r} "
                             f"({json.dumps(v)})")
        if diffs:
            rules = open(f"{r}/rules").read().strip()
            print(f"DIFF {os.path.basename(r)} {tool} [{rules}]: " + "; ".join(diffs))
        else:
            equal[tool] += 1
print(f"TOTAL trees={total} systemd_equal={equal['systemd']} procps_equal={equal['procps']}")
EOF
grep '^DIFF' "$tmp/verdict" | head -40
totals=$(grep '^TOTAL' "$tmp/verdict")
echo "$totals"
[ -n "$totals" ] && ok "compared: $totals" || bad "comparison failed"
ndiff=$(grep -c '^DIFF' "$tmp/verdict")
[ "$ndiff" -eq 0 ] && ok "every tree agrees with both tools" || bad "$ndiff tree/tool pairs differ"
n=$(echo "$totals" | sed -n 's/.*trees=\([0-9]*\).*/\1/p')
[ "${n:-0}" -ge 80 ] || [ "$ntrees" -lt 80 ] && ok "${n:-0} trees" || bad "only ${n:-0} trees"

# --- phase 2: what `ctune set` writes is what both tools apply ----------------
# Starting roots hold the key in every spelling and value form the tools
# accept; ctune set (with --override fix) must edit the file, keep every
# line about other keys byte for byte, and both tools must then apply the
# value it promised: udp_timeout read back from the namespace's kernel, max
# (or its alias) from the stand-in file.
nsets=${BOOT_DIFF_SETS:-60}
$py "$(dirname "$0")/boot-diff-gen.py" --set "$tmp/sets" "$nsets" "$seed" || bad "set generator failed"
for r in "$tmp"/sets/s*; do
	read -r name value file key <"$r/set"
	find "$r/etc" "$r/usr" "$r/run" -type f -print0 | sort -z | xargs -0 -r sha256sum >"$r/sums.before"
	[ -f "$r$file" ] && cp "$r$file" "$r/file.before" || : >"$r/file.before"
	predict "$r" systemd >/dev/null 2>&1
	"$CTUNE" set "$name=$value" --file "$file" --override fix --root "$r" --format json >"$r/set.json" 2>"$r/set.err"
	echo $? >"$r/set.rc"
	run_tool "$r" "$sd" >"$r/systemd.out"
	run_tool "$r" "sysctl --system" >"$r/procps.out"
done
$py - "$tmp/sets" >"$tmp/setverdict" <<'EOF2'
import glob, json, os, re, sys
total = good = 0
for r in sorted(glob.glob(sys.argv[1] + "/s*")):
    total += 1
    name, value, file, key = open(r + "/set").read().split()
    diffs = []
    try:
        d = json.load(open(r + "/set.json"))
    except Exception as e:
        d = {"failed": True, "msg": "no JSON: %s" % e}
    if d.get("failed") or open(r + "/set.rc").read().strip() != "0":
        diffs.append("ctune set refused: %s" % d.get("msg"))
    else:
        t = d["tunables"][name]
        if t.get("desired") != int(value):
            diffs.append("promised %s, not %s" % (t.get("desired"), value))
    # Lines about other keys are kept byte for byte, in order.
    token = re.compile(rb"nf_conntrack_(max|udp_timeout)\b|nf_conntrack_ma\?|nf_conntrack_udp_timeou\?")
    before = [l for l in open(r + "/file.before", "rb").read().split(b"\n") if not token.search(l)]
    after_text = open(r + file, "rb").read() if os.path.exists(r + file) else b""
    after = [l for l in after_text.split(b"\n") if not token.search(l)]
    # (a file without a final newline gets one: that is no line's content)
    while before and before[-1] == b"":
        before.pop()
    while after and after[-1] == b"":
        after.pop()
    if before != after:
        diffs.append("other lines changed: %r -> %r" % (before, after))
    for tool in ("systemd", "procps"):
        lines = [l.split(" ", 2) for l in open("%s/%s.out" % (r, tool)).read().splitlines()]
        if name == "udp_timeout":
            got = {f: x for m, f, x in lines if m == "real"}.get("nf_conntrack_udp_timeout", "?~")
        else:
            got = {f: x for m, f, x in lines if m == "standin"}.get("nf_conntrack_max", "?~")
        # The first line; for the stand-in, its number as the kernel takes
        # it ("262145 # note" is 262145: a blank after the number).
        got = got.split("~")[0]
        if name == "max" and re.match(r"^\d+([ \t].*)?$", got):
            got = got.split()[0]
        if got != value:
            diffs.append("%s applies %r, ctune promised %s" % (tool, got, value))
    if diffs:
        print("SETDIFF %s [%s %s in %s, key %s]: %s\n%s" % (os.path.basename(r), name, value, file, key,
              "; ".join(diffs), after_text.decode("utf-8", "replace")))
    else:
        good += 1
print("SETTOTAL roots=%d good=%d" % (total, good))
EOF2
grep -A8 '^SETDIFF' "$tmp/setverdict" | head -60
settotals=$(grep '^SETTOTAL' "$tmp/setverdict")
echo "$settotals"
nsetdiff=$(grep -c '^SETDIFF' "$tmp/setverdict")
[ -n "$settotals" ] && [ "$nsetdiff" -eq 0 ] && ok "ctune set: $settotals, both tools apply every promise" ||
	bad "ctune set: $nsetdiff of the starting roots break a promise ($settotals)"

host_after=$(cat /proc/sys/net/netfilter/nf_conntrack_{udp_timeout,tcp_timeout_established,generic_timeout} \
	/proc/sys/net/netfilter/nf_conntrack_max /proc/sys/kernel/pid_max)
[ "$host_before" = "$host_after" ] && ok "the host's own values are untouched" || bad "host values changed!"
report
