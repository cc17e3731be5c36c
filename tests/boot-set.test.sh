#!/usr/bin/env bash
# boot-set.test.sh - values that survive reboot (issue 5) through `ctune set`
# on fixture roots: the module listed in modules-load.d on systemd hosts,
# buckets persisted as a modprobe.d hashsize option (rounded as the kernel
# rounds), the max/buckets ratio warning, and effective_at_boot after it;
# Debian's dangling 99-sysctl.conf link, and spellings the boot cannot apply.
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/ctune-bootset-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# q NAME JSON_FILE PYTHON_EXPR
q() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); assert $3, d" "$2" 2>/dev/null && ok || bad "$1: $(head -c 600 "$2")"; }
tree() { (cd "$1" && find . -path ./proc -prune -o -type f -print0 | sort -z | xargs -0 sha256sum; find . | sort); }

# A Debian 12 host: systemd, nf_conntrack a loadable module, not in modules-load.d.
deb=$tmp/deb
mkdir -p "$deb/proc/sys/net/netfilter" "$deb/proc/sys/kernel" "$deb/etc/sysctl.d" "$deb/lib/systemd" \
	"$deb/sys/module/nf_conntrack/parameters" "$deb/etc/modprobe.d"
echo 6.1.0-28-amd64 >"$deb/proc/sys/kernel/osrelease"
echo 262144 >"$deb/proc/sys/net/netfilter/nf_conntrack_max"
echo 262144 >"$deb/proc/sys/net/nf_conntrack_max"
echo 65536 >"$deb/proc/sys/net/netfilter/nf_conntrack_buckets"
echo 432000 >"$deb/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
echo live >"$deb/sys/module/nf_conntrack/initstate"
echo 65536 >"$deb/sys/module/nf_conntrack/parameters/hashsize"
: >"$deb/lib/systemd/systemd-sysctl"
printf '# Debian\n' >"$deb/etc/sysctl.conf"
ln -s ../sysctl.conf "$deb/etc/sysctl.d/99-sysctl.conf"

"$CTUNE" facts --root "$deb" --format json >"$tmp/f0.json"
q "before: module not early" "$tmp/f0.json" "d['effective_at_boot']['module_early'] is False and 'modules-load.d' in d['effective_at_boot']['module_reason']"

tree "$deb" >"$tmp/t0"
"$CTUNE" set max=1210856 tcp_timeout_established=12h --check --diff --root "$deb" >"$tmp/c.json"
q "check: module load planned" "$tmp/c.json" "d['module_load'] == {'module': 'nf_conntrack', 'file': '/etc/modules-load.d/ctune.conf', 'changed': True, 'listed_in': '/etc/modules-load.d/ctune.conf'}"
q "check: diff lists both files" "$tmp/c.json" "isinstance(d['diff'], list) and [x['after_header'] for x in d['diff']] == ['/etc/sysctl.conf', '/etc/modules-load.d/ctune.conf'] and 'nf_conntrack' in d['diff'][1]['after']"
q "check: ratio warning" "$tmp/c.json" "any('set buckets to 1210880' in w for w in d['warnings'])"
tree "$deb" >"$tmp/t1"
cmp -s "$tmp/t0" "$tmp/t1" && ok || bad "check mode changed the tree"

"$CTUNE" set max=1210856 tcp_timeout_established=12h --root "$deb" >"$tmp/s.json"
q "set: changed" "$tmp/s.json" "d['changed'] and d['module_load']['changed']"
[ "$(grep -v '^#' "$deb/etc/modules-load.d/ctune.conf")" = nf_conntrack ] && ok || bad "modules-load.d: $(cat "$deb/etc/modules-load.d/ctune.conf")"
[ "$(stat -c %a "$deb/etc/modules-load.d/ctune.conf")" = 644 ] && ok || bad "modules-load.d file mode"
"$CTUNE" set max=1210856 tcp_timeout_established=12h --root "$deb" >"$tmp/s2.json"
q "set again: unchanged" "$tmp/s2.json" "d['changed'] is False and d['module_load']['changed'] is False"
"$CTUNE" facts --root "$deb" --format json >"$tmp/f1.json"
q "after: module early, values at boot" "$tmp/f1.json" "d['effective_at_boot']['module_early'] is True and d['effective_at_boot']['tunables']['max']['value'] == 1210856 and d['effective_at_boot']['tunables']['max']['applies'] is True and d['effective_at_boot']['tunables']['tcp_timeout_established']['matches_live'] is True"

# buckets: live through the sysctl, persisted as hashsize, rounded up to 512.
"$CTUNE" set buckets=300000 --root "$deb" --diff >"$tmp/b.json"
q "buckets: rounded and persisted in modprobe.d" "$tmp/b.json" "d['tunables']['buckets']['desired'] == 300032 and d['tunables']['buckets']['file'] == '/etc/modprobe.d/ctune.conf' and any('rounded up to 300032' in w for w in d['warnings'])"
grep -qx 'options nf_conntrack hashsize=300032' "$deb/etc/modprobe.d/ctune.conf" && ok || bad "modprobe.d: $(cat "$deb/etc/modprobe.d/ctune.conf")"
[ "$(cat "$deb/proc/sys/net/netfilter/nf_conntrack_buckets")" = 300032 ] && ok || bad "live buckets not written"
grep -q hashsize "$deb/etc/sysctl.conf" && bad "buckets leaked into sysctl.conf" || ok
"$CTUNE" set buckets=300032 --root "$deb" >"$tmp/b2.json"
q "buckets again: unchanged" "$tmp/b2.json" "d['changed'] is False"

# The sysctl is read-only (older kernels, or 0444): live through the module parameter.
chmod 0444 "$deb/proc/sys/net/netfilter/nf_conntrack_buckets"
"$CTUNE" set buckets=512 --root "$deb" >"$tmp/p.json"
q "buckets via hashsize parameter" "$tmp/p.json" "d['changed'] and d['tunables']['buckets']['live_changed']"
[ "$(cat "$deb/sys/module/nf_conntrack/parameters/hashsize")" = 512 ] && ok || bad "hashsize parameter: $(cat "$deb/sys/module/nf_conntrack/parameters/hashsize")"
chmod 0644 "$deb/proc/sys/net/netfilter/nf_conntrack_buckets"

# absent removes the option line (the module stays listed: other keys need it).
"$CTUNE" set buckets --absent --root "$deb" >"$tmp/a.json"
q "buckets absent" "$tmp/a.json" "d['changed'] and d['tunables']['buckets']['persisted_after'] is None"
grep -q hashsize "$deb/etc/modprobe.d/ctune.conf" 2>/dev/null && bad "hashsize left after absent" || ok

# Built in (this machine's kind): no modules-load.d entry, a kernel command line warning for buckets.
bi=$tmp/bi
cp -a "$deb" "$bi"
rm -rf "$bi/sys/module/nf_conntrack/initstate" "$bi/etc/modules-load.d"
"$CTUNE" set max=2000000 --root "$bi" >"$tmp/bi.json"
q "builtin: no module_load" "$tmp/bi.json" "'module_load' not in d"
[ -e "$bi/etc/modules-load.d" ] && bad "builtin: modules-load.d created" || ok
"$CTUNE" set buckets=1048576 --root "$bi" >"$tmp/bi2.json"
q "builtin: command line warning" "$tmp/bi2.json" "any('nf_conntrack.hashsize=1048576' in w for w in d['warnings'])"

# --ensure-module no, and a SysV legacy host (CentOS 5): no modules-load.d.
nm=$tmp/nm
cp -a "$deb" "$nm"
rm -rf "$nm/etc/modules-load.d"
"$CTUNE" set max=3000000 --ensure-module no --root "$nm" >"$tmp/nm.json"
q "ensure_module no" "$tmp/nm.json" "'module_load' not in d and d['changed']"
c5=$tmp/c5
cp -a "$CTUNE_TESTS/fixtures/centos5" "$c5"
chmod -R u+w "$c5"
"$CTUNE" set max=1210856 buckets=151357 --root "$c5" --no-live >"$tmp/c5.json"
q "centos5: legacy keys, no module_load, exact buckets" "$tmp/c5.json" "d['scheme'] == 'legacy' and 'module_load' not in d and d['tunables']['buckets']['desired'] == 151357"
grep -qx 'options ip_conntrack hashsize=151357' "$c5/etc/modprobe.d/ctune.conf" && ok || bad "centos5 modprobe: $(cat "$c5/etc/modprobe.d/ctune.conf" 2>&1)"
grep -qx 'net.ipv4.netfilter.ip_conntrack_max = 1210856' "$c5/etc/sysctl.conf" && ok || bad "centos5 sysctl.conf: $(tail -3 "$c5/etc/sysctl.conf")"

# Debian's 99-sysctl.conf -> ../sysctl.conf before /etc/sysctl.conf exists:
# it still names sysctl.conf (no "systemd-sysctl does not read it"), a later
# 99-zz.conf is seen overriding it, and --override fix comments it out.
dl=$tmp/dl
cp -a "$deb" "$dl"
rm -f "$dl/etc/sysctl.conf"
printf 'net.netfilter.nf_conntrack_max = 99\n' >"$dl/etc/sysctl.d/99-zz.conf"
"$CTUNE" set max=1310720 --check --root "$dl" >"$tmp/dl.json"
q "dangling link: no false warning, override named" "$tmp/dl.json" "not any('does not read' in w for w in d['warnings']) and any('99-zz.conf line 1' in w and 'overrides' in w for w in d['warnings'])"
"$CTUNE" set max=1310720 --override fix --root "$dl" >"$tmp/dl2.json"
q "dangling link: override fix" "$tmp/dl2.json" "d['changed'] and any('commented out' in w for w in d['warnings'])"
grep -q '^# net.netfilter.nf_conntrack_max = 99' "$dl/etc/sysctl.d/99-zz.conf" && ok || bad "99-zz.conf: $(cat "$dl/etc/sysctl.d/99-zz.conf")"
[ -L "$dl/etc/sysctl.d/99-sysctl.conf" ] && grep -qx 'net.netfilter.nf_conntrack_max = 1310720' "$dl/etc/sysctl.conf" && ok || bad "sysctl.conf through the link: $(cat "$dl/etc/sysctl.conf" 2>&1)"
"$CTUNE" facts --root "$dl" --format json >"$tmp/dl3.json"
q "dangling link: effective at boot" "$tmp/dl3.json" "d['effective_at_boot']['tunables']['max']['value'] == 1310720 and d['effective_at_boot']['tunables']['max']['file'] == '/etc/sysctl.d/99-sysctl.conf'"

# A spelling the boot cannot apply is not "the key in the file": it stays.
# "- key" is the key for systemd-sysctl but " key" for procps: the line is
# kept, respelt "-key", which both apply; the exclusion after it goes.
mx=$tmp/mx
cp -a "$deb" "$mx"
printf '# admin\nnet/netfilter.nf_conntrack_max = 65536\n- net.netfilter.nf_conntrack_max = 65537\n-net.netfilter.nf_conntrack_max\n' >"$mx/etc/sysctl.conf"
"$CTUNE" set max=1410720 --root "$mx" >"$tmp/mx.json"
printf '# admin\nnet/netfilter.nf_conntrack_max = 65536\n-net.netfilter.nf_conntrack_max = 1410720\nnet.nf_conntrack_max = 1410720\n' >"$tmp/mx.want"
cmp -s "$mx/etc/sysctl.conf" "$tmp/mx.want" && ok || bad "mixed separators: $(cat "$mx/etc/sysctl.conf")"
"$CTUNE" facts --root "$mx" --format json >"$tmp/mx2.json"
q "mixed separators: effective at boot" "$tmp/mx2.json" "d['effective_at_boot']['tunables']['max']['value'] == 1410720"
"$CTUNE" set max=1410720 --root "$mx" >"$tmp/mx3.json"
q "mixed separators: idempotent" "$tmp/mx3.json" "d['changed'] is False"

# A later bare "-key" cancels the value for systemd-sysctl: named, and
# commented out with --override fix.
cx=$tmp/cx
cp -a "$deb" "$cx"
printf -- '-net.netfilter.nf_conntrack_max\n' >"$cx/etc/sysctl.d/99-zz.conf"
"$CTUNE" set max=1510720 --check --root "$cx" >"$tmp/cx.json"
q "later -key: named" "$tmp/cx.json" "any('99-zz.conf line 1' in w and 'cancels' in w for w in d['warnings'])"
"$CTUNE" set max=1510720 --override fix --root "$cx" >"$tmp/cx2.json"
grep -qx -- '# -net.netfilter.nf_conntrack_max  # disabled by ctune: it overrode /etc/sysctl.conf' "$cx/etc/sysctl.d/99-zz.conf" && ok ||
	bad "later -key not commented out: $(cat "$cx/etc/sysctl.d/99-zz.conf")"
"$CTUNE" facts --root "$cx" --format json >"$tmp/cx3.json"
q "later -key: effective at boot after the fix" "$tmp/cx3.json" "d['effective_at_boot']['tunables']['max']['value'] == 1510720"

# bad file options are request errors
"$CTUNE" set max=5 --modprobe-file /etc/passwd --root "$deb" >"$tmp/e.json"; rc=$?
[ $rc = 2 ] && q "bad modprobe_file" "$tmp/e.json" "d['failed'] and 'modprobe_file' in d['msg']" || bad "bad modprobe_file: rc=$rc"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
