#!/usr/bin/env bash
# lenses.test.sh - ctune's own Augeas lenses (lenses/*.aug) and their tests.
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

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
