#!/usr/bin/env bash
# lenses.test.sh - ctune's own Augeas lenses (lenses/*.aug) and their tests.
# (Modules_Load for modules-load.d; Ctune_Sysctl, the sysctl files as the
# boot tools read them, also checked against the stock Sysctl lens's tests.)
#
# Augeas ships no lens for modules-load.d, so ctune carries one.  Every
# lenses/tests/*.aug is an augparse test module: augparse compiles the lens
# it names (typechecking it, as augparse does by default) and runs its get
# and put tests.  Then each lens is used the way ctune's users would meet
# it: augtool with lenses/ added to its load path, against a scratch root,
# must autoload it (beside the stock lenses it builds on), read a file,
# save an edit, and report no error.
#
# Needs: augparse and augtool (Debian: augeas-tools); exit 77 without them.
set -u
: "${CTUNE_TESTS:?}"
lenses=$(cd "$CTUNE_TESTS/../lenses" && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}

for tool in augparse augtool; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is not installed (Debian: augeas-tools)" >&2
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/ctune-lenses-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. Every test module passes.
shopt -s nullglob
tests=("$lenses"/tests/*.aug)
[ ${#tests[@]} -gt 0 ] && ok || bad "no test modules in $lenses/tests"
for t in "${tests[@]}"; do
	if out=$(augparse -I "$lenses" "$t" 2>&1) && [ -z "$out" ]; then
		ok
	else
		bad "augparse $(basename "$t"):"$'\n'"$out"
	fi
done

# 2. Every lens has a test module (test_<lens>.aug).
for l in "$lenses"/*.aug; do
	name=$(basename "$l")
	[ -f "$lenses/tests/test_$name" ] && ok || bad "$name has no lenses/tests/test_$name"
done

# 3. Modules_Load through augtool: autoloaded from lenses/ alone, on a root.
r=$tmp/root
mkdir -p "$r/etc/modules-load.d" "$r/usr/lib/modules-load.d" "$r/etc/other"
printf '# kept\n;  also kept\n\n  br_netfilter \r\n' >"$r/etc/modules-load.d/a.conf"
printf 'nf_conntrack\n' >"$r/usr/lib/modules-load.d/b.conf"
printf 'not_a_conf\n' >"$r/etc/modules-load.d/c.txt"
printf 'outside\n' >"$r/etc/other/d.conf"
aug() { augtool -r "$r" -I "$lenses" "$@" 2>&1; }

got=$(aug match '/files/etc/modules-load.d/*/module' | sed 's/ = .*//')
[ "$got" = "/files/etc/modules-load.d/a.conf/module" ] && ok || bad "autoload: modules found: $got"
got=$(aug get '/files/usr/lib/modules-load.d/b.conf/module')
[ "$got" = "/files/usr/lib/modules-load.d/b.conf/module = nf_conntrack" ] && ok || bad "usr/lib: $got"
got=$(aug match '/files/etc/modules-load.d/c.txt' '/files/etc/other')
[ "$got" = "  (no matches)" ] || [ -z "$(aug match '/files/etc/modules-load.d/c.txt')" ] && ok ||
	bad "only *.conf in the five directories is read: $got"
got=$(aug match '/augeas//error')
[ "$got" = "  (no matches)" ] || [ -z "$got" ] && ok || bad "errors after load: $got"

got=$(aug -s set '/files/etc/modules-load.d/a.conf/module[last()+1]' nf_conntrack)
want=$(printf '# kept\n;  also kept\n\n  br_netfilter \r\nnf_conntrack\n')
[ "$(cat "$r/etc/modules-load.d/a.conf")" = "$want" ] && ok ||
	bad "save: $got"$'\n'"$(od -c "$r/etc/modules-load.d/a.conf")"
aug -s rm '/files/usr/lib/modules-load.d/b.conf/module' >/dev/null
[ ! -s "$r/usr/lib/modules-load.d/b.conf" ] && ok || bad "rm: $(cat "$r/usr/lib/modules-load.d/b.conf")"
leftovers=$(find "$r" -name '*.aug*')
[ -z "$leftovers" ] && ok || bad "augtool left files behind: $leftovers"

# 4. Ctune_Sysctl passes the stock Sysctl lens's own tests (Augeas ships
# them): every file the stock lens reads reads the same way.
stock=/usr/share/augeas/lenses/dist/tests/test_sysctl.aug
if [ -f "$stock" ]; then
	sed 's/\bSysctl\.lns/Ctune_Sysctl.lns/g; s/^module Test_[A-Za-z_]*/module Test_stock_on_ctune/' "$stock" \
		>"$tmp/test_stock_on_ctune.aug"
	grep -q 'Ctune_Sysctl.lns' "$tmp/test_stock_on_ctune.aug" && ok || bad "the stock tests name no Sysctl.lns"
	out=$(augparse -I "$lenses" "$tmp/test_stock_on_ctune.aug" 2>&1) && [ -z "$out" ] && ok ||
		bad "the stock Sysctl tests on Ctune_Sysctl:"$'\n'"$out"
else
	echo "note: $stock not installed; the stock tests were not run against Ctune_Sysctl"
fi

# 5. Ctune_Sysctl through augtool on a root, loaded by name (it is not
# autoloaded: the stock lens claims /etc/sysctl.conf): every form the
# boot tools accept loads without error and saves.
printf '\357\273\277# bom\nnet.ipv4.ip_forward 1\n- net.netfilter.nf_conntrack_max = 5\n-net.netfilter.nf_conntrack_udp_timeout\nx = 7067#x\r\n\r\n' \
	>"$r/etc/sysctl.conf"
saug() { augtool -r "$r" -I "$lenses" -A --transform 'Ctune_Sysctl.lns incl /etc/sysctl.conf' "$@" 2>&1; }
got=$(saug match '/augeas//error')
[ "$got" = "  (no matches)" ] || [ -z "$got" ] && ok || bad "Ctune_Sysctl load errors: $got"
got=$(saug match "/files/etc/sysctl.conf/*[label() = '- net.netfilter.nf_conntrack_max']")
[ "${got##* = }" = 5 ] && ok || bad "dash-blank entry: $got"
got=$(saug match '/files/etc/sysctl.conf/#exclude')
[ "${got##* = }" = net.netfilter.nf_conntrack_udp_timeout ] && ok || bad "exclusion: $got"
saug -s set '/files/etc/sysctl.conf/x' 7000 >/dev/null
want=$(printf '\357\273\277# bom\nnet.ipv4.ip_forward 1\n- net.netfilter.nf_conntrack_max = 5\n-net.netfilter.nf_conntrack_udp_timeout\nx = 7000\r\n\r\n')
[ "$(cat "$r/etc/sysctl.conf")" = "$want" ] && ok || bad "Ctune_Sysctl save:"$'\n'"$(od -c "$r/etc/sysctl.conf")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
