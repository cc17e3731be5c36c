#!/usr/bin/env bash
# concurrency.test.sh - 50 `ctune set` runs at once on one root (issue 7).
#
# Run i asks for udp_timeout = 100+i, tcp_timeout_established = 10000+i and
# icmp_timeout = 200+i; a third of the runs come on the command line, a
# third as JSON on stdin, a third as an Ansible args file.  All 50 are held
# at a barrier (a shared flock) and released together.  Afterwards:
#   - every run succeeded with changed: true;
#   - the file parses with Augeas (the Sysctl lens alone), holds each key
#     exactly once, and the three values come from one and the same run
#     (a run's keys are never mixed with another's);
#   - the live values equal the persisted ones;
#   - the runs were serialised: each run's live_before and persisted_before
#     is the start value or the value of exactly one other run, so the 50
#     runs form one chain and no update was lost;
#   - no temporary file is left and the file keeps its mode and owner.
# Once on a scratch root whose proc/sys holds plain files, and (as root)
# again inside a private network and mount namespace on a root with /proc
# bound in as its proc, where "live" is the kernel's own value.
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
py=/usr/bin/python3
N=${CTUNE_CONCURRENCY:-50}
NF=/proc/sys/net/netfilter/nf_conntrack_

if ! command -v augtool >/dev/null || ! [ -x $py ] || ! command -v flock >/dev/null; then
	echo "SKIP: needs augtool, flock and $py" >&2
	exit 77
fi

# one ROOT LABEL PROCDIR: the whole scenario on one root; prints
# "RESULT pass fail" last.
one() {
	local r=$1 label=$2 procdir=$3 tmp=$1.work i pids=() rcs=()
	mkdir -p "$tmp"
	: >"$tmp/barrier"
	exec {bfd}>"$tmp/barrier"
	flock -x "$bfd"
	for i in $(seq 1 "$N"); do
		case $((i % 3)) in
		0) flock -s "$tmp/barrier" "$CTUNE" set udp_timeout=$((100 + i)) tcp_timeout_established=$((10000 + i)) \
			icmp_timeout=$((200 + i)) --root "$r" >"$tmp/$i.json" 2>"$tmp/$i.err" </dev/null & ;;
		1) printf '{"udp_timeout": %d, "tcp_timeout_established": "%ds", "icmp_timeout": "%d", "root": "%s"}' \
			$((100 + i)) $((10000 + i)) $((200 + i)) "$r" >"$tmp/$i.req"
			flock -s "$tmp/barrier" "$CTUNE" <"$tmp/$i.req" >"$tmp/$i.json" 2>"$tmp/$i.err" & ;;
		2) printf '{"udp_timeout": "%d", "tcp_timeout_established": %d, "icmp_timeout": %d, "root": "%s", "_ansible_check_mode": false, "_ansible_diff": true}' \
			$((100 + i)) $((10000 + i)) $((200 + i)) "$r" >"$tmp/$i.args"
			flock -s "$tmp/barrier" "$CTUNE" "$tmp/$i.args" >"$tmp/$i.json" 2>"$tmp/$i.err" </dev/null & ;;
		esac
		pids+=($!)
	done
	sleep 0.3
	local start
	start=$(date +%s%N)
	flock -u "$bfd" # go
	exec {bfd}>&-
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		rcs+=($?)
	done
	echo "# $label: $N runs in $((($(date +%s%N) - start) / 1000000)) ms"
	echo "${rcs[*]}" >"$tmp/rcs"

	# What Augeas reads in the file.
	augtool -r "$r" --noautoload >"$tmp/aug" 2>&1 <<EOF
set /augeas/load/Sysctl/lens Sysctl.lns
set /augeas/load/Sysctl/incl /etc/sysctl.conf
load
print /augeas//error
print /files/etc/sysctl.conf
EOF
	$py - "$tmp" "$N" "$r" "$procdir" "$label" <<'PY'
import json, os, re, stat, sys
tmp, n, root, procdir, label = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
passed = failed = 0
def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {label}: {what}")

keys = {"udp_timeout": 100, "tcp_timeout_established": 10000, "icmp_timeout": 200}
start = {"udp_timeout": 30, "tcp_timeout_established": 432000, "icmp_timeout": 30}
rcs = open(f"{tmp}/rcs").read().split()
check(rcs == ["0"] * n, f"exit statuses {sorted(set(rcs))}: " +
      "; ".join(open(f"{tmp}/{i + 1}.json").read()[:300] for i, rc in enumerate(rcs) if rc != "0")[:1500])
docs = {}
for i in range(1, n + 1):
    try:
        docs[i] = json.load(open(f"{tmp}/{i}.json"))
    except ValueError as e:
        check(False, f"run {i}: stdout is not one JSON object ({e})")
check(all(d.get("changed") is True and d.get("failed") is False for d in docs.values()),
      "not every run changed something")

aug = open(f"{tmp}/aug").read()
check("/augeas" not in aug and "error" not in aug, f"Augeas reports errors: {aug[:500]}")
entries = re.findall(r'^/files/etc/sysctl\.conf/(\S+) = "(.*)"$', aug, re.M)
persisted = {}
for k, v in entries:
    persisted.setdefault(k, []).append(v)
run = set()
for name, base in keys.items():
    key = f"net.netfilter.nf_conntrack_{name}"
    vals = persisted.get(key, [])
    check(len(vals) == 1, f"{key} appears {len(vals)} times in the file")
    if len(vals) == 1:
        v = int(vals[0])
        check(base + 1 <= v <= base + n, f"{key} = {v} is no run's value")
        run.add(v - base)
    live = int(open(os.path.join(procdir, f"nf_conntrack_{name}")).read())
    check(vals and live == int(vals[-1]), f"{key}: live {live} != persisted {vals}")
check(len(run) == 1, f"the file mixes the values of runs {sorted(run)}")
check(persisted.get("net.ipv4.ip_forward") == ["1"], "an unrelated line was lost")

# One chain: every before-value is the start or exactly one other run's value.
for name, base in keys.items():
    for field in ("live_before", "persisted_before"):
        befores = [d["tunables"][name][field] for d in docs.values() if "tunables" in d]
        valid = {start[name] if field == "live_before" else (30 if name == "udp_timeout" else None)} | \
                {base + i for i in range(1, n + 1)}
        check(all(b in valid for b in befores), f"{name}.{field}: values from nowhere: {sorted(set(befores) - valid, key=str)}")
        dup = sorted({b for b in befores if befores.count(b) > 1}, key=str)
        check(not dup, f"{name}.{field}: runs saw the same value {dup}: an update was lost")

left = [f for f in os.listdir(os.path.join(root, "etc")) if f not in ("sysctl.conf", "sysctl.d")]
check(not left, f"left in etc/: {left}")
st = os.stat(os.path.join(root, "etc/sysctl.conf"))
check(stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0 or os.geteuid() != 0,
      f"mode {oct(stat.S_IMODE(st.st_mode))} owner {st.st_uid}: not kept")
print(f"RESULT {passed} {failed}")
PY
}

mkroot() { # DIR PROC(plain|link)
	local r=$1 p
	rm -rf "$r"
	mkdir -p "$r/etc/sysctl.d"
	printf '# concurrency.test.sh\nnet.ipv4.ip_forward = 1\nnet.netfilter.nf_conntrack_udp_timeout = 30\n' >"$r/etc/sysctl.conf"
	chmod 0640 "$r/etc/sysctl.conf"
	ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	if [ "$2" = link ]; then
		# this namespace's /proc, bound in: ctune follows no link out
		# of the root (the inner run has its own mount namespace)
		mkdir "$r/proc" && mount --bind /proc "$r/proc"
		return
	fi
	mkdir -p "$r/proc/sys/kernel" "$r/proc/sys/net/netfilter"
	echo 6.1.0-18-amd64 >"$r/proc/sys/kernel/osrelease"
	p=$r/proc/sys/net/netfilter/nf_conntrack_
	echo 262144 >"${p}max"
	echo 432000 >"${p}tcp_timeout_established"
	echo 30 >"${p}udp_timeout"
	echo 30 >"${p}icmp_timeout"
}

# ============================ inside the namespace ===========================
if [ "${1:-}" = --inner ]; then
	host_ns=$2 tmp=$3
	if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
		echo "FAIL: not in a private network namespace"
		echo "RESULT 0 1"
		exit 0
	fi
	# A new namespace starts from the kernel defaults; make them the
	# test's start values.
	echo 432000 >"${NF}tcp_timeout_established"
	echo 30 >"${NF}udp_timeout"
	echo 30 >"${NF}icmp_timeout"
	mkroot "$tmp/ns" link
	one "$tmp/ns" "netns (/proc bound in)" /proc/sys/net/netfilter
	exit 0
fi

# ============================ outside ========================================
tmp=$(mktemp -d /tmp/ctune-concurrency-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
add() { # output of one(): pass the lines through, add the counts
	local line p f
	while IFS= read -r line; do
		if [[ $line == RESULT\ * ]]; then
			read -r _ p f <<<"$line"
			pass=$((pass + p)) fail=$((fail + f))
		else
			echo "$line"
		fi
	done
}

mkroot "$tmp/files" plain
one "$tmp/files" "plain proc files" "$tmp/files/proc/sys/net/netfilter" >"$tmp/files.out" 2>&1
add <"$tmp/files.out"
grep -q '^RESULT ' "$tmp/files.out" || { fail=$((fail + 1)) && echo "FAIL: plain proc files: did not finish"; }

if [ "$(id -u)" = 0 ] && unshare -mn true 2>/dev/null && unshare -n test -w "${NF}udp_timeout"; then
	host0=$(cat "${NF}udp_timeout" "${NF}tcp_timeout_established" "${NF}icmp_timeout")
	unshare -mn bash "$0" --inner "$(readlink /proc/self/ns/net)" "$tmp" >"$tmp/ns.out" 2>&1
	add <"$tmp/ns.out"
	grep -q '^RESULT ' "$tmp/ns.out" || { fail=$((fail + 1)) && echo "FAIL: netns: did not finish"; }
	if [ "$(cat "${NF}udp_timeout" "${NF}tcp_timeout_established" "${NF}icmp_timeout")" = "$host0" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: the host's own values changed"
	fi
else
	echo "SKIP: the netns run (needs root, unshare -n and per-namespace conntrack sysctls)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
