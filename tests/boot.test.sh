#!/usr/bin/env bash
# boot.test.sh - effective_at_boot against the real thing: ctune predicts
# what the boot's sysctl step applies from a root's configuration files; then
# systemd-sysctl itself runs in a private mount and network namespace with
# those files bind-mounted over the system's sysctl directories, and the
# per-namespace conntrack keys it leaves must equal the prediction.
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
py=/usr/bin/python3
sd=/lib/systemd/systemd-sysctl
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (unshare -mn)" >&2; exit 77; }
[ -x $sd ] || { echo "SKIP: no $sd" >&2; exit 77; }
unshare -mn true 2>/dev/null || { echo "SKIP: unshare -mn not permitted" >&2; exit 77; }
[ -e /proc/sys/net/netfilter/nf_conntrack_udp_timeout ] || { echo "SKIP: no nf_conntrack" >&2; exit 77; }

tmp=$(mktemp -d /tmp/ctune-boot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
K=net.netfilter.nf_conntrack
host_before=$(cat /proc/sys/net/netfilter/nf_conntrack_{udp_timeout,tcp_timeout_established,generic_timeout})

# scenario NAME LINK(yes/no): builds $tmp/NAME as a root with sysctl files.
make_root() {
	local r=$tmp/$1
	mkdir -p "$r/etc/sysctl.d" "$r/usr/lib/sysctl.d" "$r/run/sysctl.d" "$r/usr/local/lib/sysctl.d" \
		"$r/proc" "$r/usr/lib/systemd"
	# proc: the live values of the namespace ctune runs in, bound in by
	# predicted() (ctune never follows a link out of the root).
	: >"$r/usr/lib/systemd/systemd-sysctl"
	printf '# vendor\n%s_udp_timeout = 31\n%s_generic_timeout = 601\n%s_icmp_timeout = 29\n' $K $K $K \
		>"$r/usr/lib/sysctl.d/50-vendor.conf"
	# masked by the /etc file of the same name
	printf '%s_tcp_timeout_close = 11\n' $K >"$r/usr/lib/sysctl.d/60-masked.conf"
	printf '%s_tcp_timeout_close = 12\n' $K >"$r/etc/sysctl.d/60-masked.conf"
	printf '%s_udp_timeout = 45\n-%s_generic_timeout = 700\nnet/netfilter/nf_conntrack_tcp_timeout_fin_wait = 119\n' \
		$K $K >"$r/etc/sysctl.d/80-tuned.conf"
	printf '# admin\n%s_tcp_timeout_established = 43200\n%s_udp_timeout = 50\n' $K $K >"$r/etc/sysctl.conf"
	[ "$2" = yes ] && ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	printf '%s_tcp_timeout_time_wait = 121 # trailing note\n' $K >"$r/run/sysctl.d/95-run.conf"
	return 0
}

# predicted NAME: tunable=value lines from ctune's effective_at_boot, run in a
# fresh network namespace so `live` reads that namespace's defaults.
predicted() {
	unshare -mn sh -c 'mount --bind /proc "$1/proc" && exec "$0" facts --root "$1" --format json \
		--no-log-events --no-advice' "$CTUNE" "$tmp/$1" >"$tmp/$1.json" ||
		{ bad "$1: ctune facts failed: $(cat "$tmp/$1.json")"; return 1; }
	$py -c '
import json, sys
d = json.load(open(sys.argv[1]))["effective_at_boot"]
assert d["init"] == "systemd", d
for name, v in sorted(d["tunables"].items()):
    print(name, v["value"], v["file"])
' "$tmp/$1.json"
}

# actual NAME: run systemd-sysctl with the root's files over the real
# directories, then print every conntrack key of that namespace.
actual() {
	local r=$tmp/$1
	unshare -mn --propagation private sh -ec '
		r=$1
		# /run/sysctl.d may not exist here: a tmpfs over /run, in this mount
		# namespace only, gives it a place.
		if [ ! -d /run/sysctl.d ]; then mount -t tmpfs ctune-run /run; mkdir /run/sysctl.d; fi
		for d in /etc/sysctl.d /run/sysctl.d /usr/lib/sysctl.d /usr/local/lib/sysctl.d; do
			[ -d "$d" ] || continue
			mount --bind "$r$d" "$d"
		done
		[ -d /lib/sysctl.d ] && [ ! /lib/sysctl.d -ef /usr/lib/sysctl.d ] && mount --bind "$r/usr/lib/sysctl.d" /lib/sysctl.d
		mount --bind "$r/etc/sysctl.conf" /etc/sysctl.conf
		'"$sd"' >/dev/null 2>&1 || true
		cd /proc/sys/net/netfilter && for f in nf_conntrack_*; do echo "${f#nf_conntrack_} $(cat "$f")"; done
	' sh "$r"
}

# defaults of a fresh namespace, for keys no file sets
unshare -n sh -c 'cd /proc/sys/net/netfilter && for f in nf_conntrack_*; do echo "${f#nf_conntrack_} $(cat "$f")"; done' >"$tmp/defaults"

for scenario in linked unlinked; do
	make_root $scenario $([ $scenario = linked ] && echo yes || echo no)
	predicted $scenario >"$tmp/$scenario.pred" || continue
	actual $scenario >"$tmp/$scenario.actual"
	while read -r name value file; do
		got=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/$scenario.actual")
		[ "$got" = "$value" ] && ok || bad "$scenario: $name predicted $value (from $file), systemd-sysctl left $got"
	done <"$tmp/$scenario.pred"
	# keys no file sets stay at the namespace defaults
	while read -r name value; do
		grep -q "^$name " "$tmp/$scenario.pred" && continue
		got=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/$scenario.actual")
		[ "$got" = "$value" ] || bad "$scenario: $name not predicted but systemd-sysctl changed it to $got (default $value)"
	done <"$tmp/defaults"
	ok
done

# The figures the scenarios pin down (not only agreement with systemd):
# the /etc file masks the vendor one, the later /etc/sysctl.d file beats the
# vendor file, sysctl.conf counts only through the 99-sysctl.conf link.
expect() { grep -q "^$2 $3 $4\$" "$tmp/$1.pred" && ok || bad "$1: expected $2 = $3 from $4, got: $(grep "^$2 " "$tmp/$1.pred")"; }
expect linked tcp_timeout_close 12 /etc/sysctl.d/60-masked.conf
expect linked udp_timeout 50 /etc/sysctl.d/99-sysctl.conf
expect unlinked udp_timeout 45 /etc/sysctl.d/80-tuned.conf
expect linked generic_timeout 700 /etc/sysctl.d/80-tuned.conf
expect linked tcp_timeout_fin_wait 119 /etc/sysctl.d/80-tuned.conf
expect linked tcp_timeout_time_wait 121 /run/sysctl.d/95-run.conf
expect linked tcp_timeout_established 43200 /etc/sysctl.d/99-sysctl.conf
grep -q '^tcp_timeout_established ' "$tmp/unlinked.pred" && bad "unlinked: sysctl.conf must not count under systemd" || ok

host_after=$(cat /proc/sys/net/netfilter/nf_conntrack_{udp_timeout,tcp_timeout_established,generic_timeout})
[ "$host_before" = "$host_after" ] && ok || bad "the host's own values changed"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
