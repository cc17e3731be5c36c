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

# --- which tool the image runs, and its rules (pinned figures) ---------------
# A root with stand-in conntrack files; $2 says which init the image has.
model_root() {
	local r=$tmp/m-$1
	mkdir -p "$r/proc/sys/net/netfilter" "$r/etc/sysctl.d" "$r/usr/lib/sysctl.d"
	for k in max udp_timeout udp_timeout_stream tcp_timeout_close tcp_timeout_close_wait tcp_timeout_established \
		tcp_loose generic_timeout icmp_timeout; do echo 1 >"$r/proc/sys/net/netfilter/nf_conntrack_$k"; done
	echo 1 >"$r/proc/sys/net/nf_conntrack_max"
	case $2 in
	systemd) mkdir -p "$r/lib/systemd" && : >"$r/lib/systemd/systemd-sysctl" ;;
	rhel5) mkdir -p "$r/etc/rc.d" && printf 'action $"Configuring kernel parameters: " sysctl -e -p /etc/sysctl.conf\n' >"$r/etc/rc.d/rc.sysinit" ;;
	rhel6) mkdir -p "$r/etc/rc.d/init.d" && printf 'apply_sysctl\n' >"$r/etc/rc.d/rc.sysinit" &&
		printf 'apply_sysctl() {\n    sysctl -e -p /etc/sysctl.conf\n}\n' >"$r/etc/rc.d/init.d/functions" ;;
	debian) mkdir -p "$r/etc/init.d" && : >"$r/etc/init.d/procps" ;;
	alpine) echo 3.20.3 >"$r/etc/alpine-release" ;;
	esac
	echo "$r"
}
# boot_q NAME ROOT PYTHON_EXPR (b: effective_at_boot, t: its tunables)
boot_q() {
	unshare -n "$CTUNE" facts --root "$2" --format json --no-advice >"$tmp/q.json" 2>"$tmp/q.err"
	$py -c "import json,sys; b=json.load(open(sys.argv[1]))['effective_at_boot']; t=b['tunables']; assert $3, json.dumps(b, indent=1)" \
		"$tmp/q.json" >"$tmp/q.out" 2>&1 && ok || bad "$1: $(tail -c 1500 "$tmp/q.out")"
}
conf() { printf -- "$2" >"$1"; }

# systemd-sysctl's rules, each pinned.
r=$(model_root sd systemd)
conf "$r/usr/lib/sysctl.d/10-vendor.conf" "${K}_tcp_timeout_* = 7071\n-${K}_tcp_timeout_close\n${K}_max = 5000\n"
conf "$r/etc/sysctl.d/20-admin.conf" "${K}_udp_timeout = 010000\n${K}_udp_timeout_stream = 0x1C21\n${K}_generic_timeout = 12h\nnet/netfilter.nf_conntrack_icmp_timeout = 44\nnet.nf_conntrack_max = 6000\n${K}_max = 5000\n"
conf "$r/etc/sysctl.d/30-cancel.conf" "-${K}_tcp_timeout_established\n-  ${K}_tcp_loose = 0\n"
mkdir "$r/etc/sysctl.d/50-x.conf"
boot_q "systemd: model" "$r" "b['model'] == 'systemd-sysctl' and b['init'] == 'systemd'"
boot_q "systemd: glob sets, exclusion keeps the default" "$r" "t['tcp_timeout_close_wait']['value'] == 7071 and 'tcp_timeout_close' not in t"
boot_q "systemd: a bare -key cancels the glob's value too" "$r" "'tcp_timeout_established' not in t"
boot_q "systemd: base 0" "$r" "t['udp_timeout']['value'] == 4096 and t['udp_timeout_stream']['value'] == 7201"
boot_q "systemd: 12h is refused, the default stays" "$r" "t['generic_timeout']['value'] is None and t['generic_timeout']['kernel_default'] and t['generic_timeout']['rejected'][0]['raw'] == '12h' and t['generic_timeout']['rejected'][0]['line'] == 3"
boot_q "systemd: a mixed spelling names no file" "$r" "'icmp_timeout' not in t"
boot_q "systemd: same value keeps its first place, so the alias is written last" "$r" "t['max']['value'] == 6000 and t['max']['key'] == 'net.nf_conntrack_max'"
boot_q "systemd: '-  key = v' applies" "$r" "t['tcp_loose']['value'] == 0"
boot_q "systemd: a directory named .conf is skipped, not fatal" "$r" "any('50-x.conf' in s for s in b['skipped'])"

# procps `sysctl --system` (Debian sysvinit, Alpine, unknown): every line
# written in order, hidden .conf read, sysctl.conf last, '- key' is " key".
for init in debian alpine none; do
	r=$(model_root "ps-$init" $init)
	conf "$r/etc/sysctl.d/10-a.conf" "net.netfilter.nf_conntrack_max = 5000\nnet.nf_conntrack_max = 6000\nnet.netfilter.nf_conntrack_max = 5000\n-net.netfilter.nf_conntrack_udp_timeout\n"
	conf "$r/etc/sysctl.d/.hidden.conf" "net.netfilter.nf_conntrack_udp_timeout = 61\n"
	conf "$r/etc/sysctl.d/20-b.conf" "net.netfilter.nf_conntrack_generic_timeout = 601\nnet.netfilter.nf_conntrack_generic_timeout = 12h\n- net.netfilter.nf_conntrack_icmp_timeout = 44\n"
	conf "$r/etc/sysctl.conf" "net.netfilter.nf_conntrack_udp_timeout_stream = 121\n"
	ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	boot_q "$init: procps model" "$r" "b['model'] == 'procps-sysctl-system' and b['init'] == 'sysv' and (('assumed' in b['model_reason']) == ('$init' == 'none'))"
	boot_q "$init: every line in order" "$r" "t['max']['value'] == 5000 and t['max']['key'] == 'net.netfilter.nf_conntrack_max'"
	boot_q "$init: hidden .conf read, exclusion does not cancel" "$r" "t['udp_timeout']['value'] == 61"
	boot_q "$init: a refused later value leaves the earlier one" "$r" "t['generic_timeout']['value'] == 601 and t['generic_timeout']['rejected'][0]['raw'] == '12h'"
	boot_q "$init: '- key' is not applied" "$r" "'icmp_timeout' not in t"
	boot_q "$init: sysctl.conf read (and last)" "$r" "t['udp_timeout_stream']['value'] == 121 and t['udp_timeout_stream']['file'] == '/etc/sysctl.conf' and b['files_read'] == 5"
done

# CentOS 5: rc.sysinit runs sysctl -e -p /etc/sysctl.conf only.
r=$(model_root rhel5 rhel5)
conf "$r/etc/sysctl.conf" "net.netfilter.nf_conntrack_udp_timeout = 50\n-net.netfilter.nf_conntrack_generic_timeout = 602\nnet.netfilter.nf_conntrack_tcp_timeout_* = 7\n"
conf "$r/etc/sysctl.d/90-x.conf" "net.netfilter.nf_conntrack_udp_timeout = 60\n"
boot_q "rhel5: model" "$r" "b['model'] == 'rhel5-rc-sysinit' and b['files_read'] == 1"
boot_q "rhel5: sysctl.conf only, no '-' prefix, no globs" "$r" "t['udp_timeout']['value'] == 50 and 'generic_timeout' not in t and 'tcp_timeout_close' not in t"
# CentOS 6: apply_sysctl: sysctl.conf, then every /etc/sysctl.d/* (not only
# .conf; not hidden, not ~ or .rpmsave) in name order.
r=$(model_root rhel6 rhel6)
conf "$r/etc/sysctl.conf" "net.netfilter.nf_conntrack_udp_timeout = 50\n"
conf "$r/etc/sysctl.d/80-x" "net.netfilter.nf_conntrack_udp_timeout = 70\n"
conf "$r/etc/sysctl.d/90-y.conf" "net.netfilter.nf_conntrack_udp_timeout = 60\n"
conf "$r/etc/sysctl.d/95-z.rpmsave" "net.netfilter.nf_conntrack_udp_timeout = 80\n"
conf "$r/etc/sysctl.d/.hidden" "net.netfilter.nf_conntrack_udp_timeout = 81\n"
boot_q "rhel6: model" "$r" "b['model'] == 'rhel6-apply-sysctl' and b['files_read'] == 3"
boot_q "rhel6: sysctl.conf, then sysctl.d/* in order" "$r" "t['udp_timeout']['value'] == 60 and t['udp_timeout']['file'] == '/etc/sysctl.d/90-y.conf'"
# The fixture images say which they are.
for f in centos5:rhel5-rc-sysinit centos7:systemd-sysctl debian12:systemd-sysctl; do
	cp -a "$CTUNE_TESTS/fixtures/${f%%:*}" "$tmp/fx"
	boot_q "fixture ${f%%:*}" "$tmp/fx" "b['model'] == '${f#*:}'"
	rm -rf "$tmp/fx"
done
# conntrack not loaded now: its keys are not in /proc, the files still say
# what the boot would apply once it is.
cp -a "$CTUNE_TESTS/fixtures/unloaded" "$tmp/fx"
boot_q "fixture unloaded: values reported, not applied in time" "$tmp/fx" "t['max']['value'] == 1210856 and t['max']['applies'] is False and t['tcp_timeout_established']['value'] == 43200"
rm -rf "$tmp/fx"

host_after=$(cat /proc/sys/net/netfilter/nf_conntrack_{udp_timeout,tcp_timeout_established,generic_timeout})
[ "$host_before" = "$host_after" ] && ok || bad "the host's own values changed"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
