#!/usr/bin/env bash
# static.test.sh - the fully static executable (cmake/Static.cmake) is what a
# fleet gets: one file that needs nothing from the host.  Runs only in the
# static flavour's ctest (CTUNE_FLAVOUR=static), else skips.
#
#  1. `file` says statically linked, and the ELF names no shared library;
#     a lens in CTUNE_LENS_DIR wins over the one inside; the .rpm and the
#     .tar.gz of the build carry exactly this executable, the .rpm requires
#     nothing and installs (rpm --root, a scratch root and database).
#  2. An empty chroot - the executable, /proc, a scratch /etc/sysctl.conf and
#     the file that marks a systemd host; no /tmp, no /dev, no /usr/share/augeas,
#     no library - inside `unshare -mn`, so live writes hit a throwaway network
#     namespace: `facts` reads this namespace's values; `set` of two timeouts
#     changes them live and persists them through the Sysctl lens; `set
#     buckets --no-live` writes modprobe.d through the Modprobe lens and
#     modules-load.d through ctune's Modules_Load lens (all compiled into the
#     executable); the same requests again change nothing; nothing else
#     appears in the chroot.
#  3. kill -9 in the middle of a set (a sysctl.conf large enough that the
#     Sysctl lens takes a while over it): the chroot is exactly as before -
#     no lens directory, no temporary file, the file unchanged.
#
# Needs root, unshare, chroot and the nf_conntrack sysctls in a new network
# namespace, else skips.
set -u
. "$(dirname "$0")/lib.sh"
: "${CTUNE_REAL:?}"
py=/usr/bin/python3
NF=/proc/sys/net/netfilter/nf_conntrack_

# ============================ inside the namespace ===========================
if [ "${1:-}" = --inner ]; then
	host_ns=$2 tmp=$3
	c=$tmp/root
	# Never run a single write in the host's namespace.
	if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
		bad "not in a private network namespace: refusing to run set"
		report
		exit
	fi
	mount -t proc proc "$c/proc" || {
		bad "cannot mount proc in the chroot"
		report
		exit
	}
	# q WHAT FILE EXPR: EXPR (Python, d = FILE's JSON) holds
	q() {
		if $py - "$2" "$3" <<'PY'; then ok "$1"; else bad "$1: $3"; fi
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
    assert eval(sys.argv[2], {"d": d})
except Exception as e:
    print(f"    {type(e).__name__}: {e}\n    stdout: {text.strip()[:1500]}")
    sys.exit(1)
PY
	}
	in_chroot() { # OUT ARGS...: run /ctune ARGS in the chroot, rc in $rc
		local out=$1
		shift
		chroot "$c" /ctune "$@" >"$out" 2>"$out.err" </dev/null
		rc=$?
	}
	# tree: everything in the chroot but /proc, with the checksum of every
	# file
	tree() {
		(cd "$c" && find . -path ./proc -prune -o -printf '%p %y %m %s\n' | LC_ALL=C sort &&
			find . -path ./proc -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
	}
	tcp0=$(cat "${NF}tcp_timeout_established")

	# --- facts ---
	in_chroot "$tmp/facts.json" facts --format json
	[ "$rc" = 0 ] && ok "facts: exit 0" || bad "facts: exit $rc: $(cat "$tmp/facts.json.err")"
	q "facts: this namespace's values" "$tmp/facts.json" \
		"d['timeouts']['tcp_timeout_established'] == $tcp0 and d['max'] == $(cat "${NF}max")"

	# --- set: live and persisted through the Sysctl lens ---
	in_chroot "$tmp/set.json" set tcp_timeout_established=12h udp_timeout=45
	[ "$rc" = 0 ] && ok "set: exit 0" || bad "set: exit $rc: $(cat "$tmp/set.json")"
	q "set: changed live and persisted" "$tmp/set.json" \
		"d['changed'] and d['tunables']['tcp_timeout_established']['live_after'] == 43200 and d['tunables']['udp_timeout']['persisted_after'] == 45"
	[ "$(cat "${NF}tcp_timeout_established") $(cat "${NF}udp_timeout")" = "43200 45" ] &&
		ok "set: live values" || bad "set: live values $(cat "${NF}tcp_timeout_established") $(cat "${NF}udp_timeout")"
	printf '# ctune static test\nkernel.sysrq = 1\nnet.netfilter.nf_conntrack_tcp_timeout_established = 43200\nnet.netfilter.nf_conntrack_udp_timeout = 45\n' >"$tmp/want"
	if cmp -s "$tmp/want" "$c/etc/sysctl.conf"; then ok "set: sysctl.conf"; else
		bad "set: sysctl.conf"
		diff "$tmp/want" "$c/etc/sysctl.conf" | sed 's/^/    /'
	fi

	# --- set buckets without the live write (hashsize is global): Modprobe
	# and Modules_Load lenses ---
	in_chroot "$tmp/buckets.json" set buckets=4096 --no-live --ensure-module yes
	[ "$rc" = 0 ] && ok "set buckets: exit 0" || bad "set buckets: exit $rc: $(cat "$tmp/buckets.json")"
	grep -qx 'options nf_conntrack hashsize=4096' "$c/etc/modprobe.d/ctune.conf" 2>/dev/null &&
		ok "set buckets: modprobe.d" || bad "set buckets: modprobe.d: $(cat "$c/etc/modprobe.d/ctune.conf" 2>&1)"
	grep -qx 'nf_conntrack' "$c/etc/modules-load.d/ctune.conf" 2>/dev/null &&
		ok "set buckets: modules-load.d" || bad "set buckets: modules-load.d: $(cat "$c/etc/modules-load.d/ctune.conf" 2>&1)"

	# --- again: nothing to do, nothing written ---
	tree >"$tmp/tree.after-set"
	in_chroot "$tmp/again.json" set tcp_timeout_established=43200 udp_timeout=45s
	q "again: unchanged" "$tmp/again.json" "d['changed'] is False"
	in_chroot "$tmp/again2.json" set buckets=4096 --no-live --ensure-module yes
	q "again buckets: unchanged" "$tmp/again2.json" "d['changed'] is False"
	tree | cmp -s - "$tmp/tree.after-set" && ok "again: chroot untouched" || bad "again: the chroot changed"

	# --- nothing but what was asked for appeared ---
	printf '%s\n' . ./ctune ./etc ./etc/modprobe.d ./etc/modprobe.d/ctune.conf ./etc/modules-load.d \
		./etc/modules-load.d/ctune.conf ./etc/sysctl.conf ./usr ./usr/lib ./usr/lib/systemd \
		./usr/lib/systemd/systemd-sysctl >"$tmp/want"
	(cd "$c" && find . -path ./proc -prune -o -print | LC_ALL=C sort) >"$tmp/have"
	if cmp -s "$tmp/want" "$tmp/have"; then ok "nothing else in the chroot"; else
		bad "the chroot holds more (or less) than asked for"
		diff "$tmp/want" "$tmp/have" | sed 's/^/    /'
	fi

	# --- kill -9 mid-run ---
	# A sysctl.conf of 3000 lines: the Sysctl lens takes about a second
	# over it, so each kill below lands while the process runs.
	$py -c 'import sys
sys.stdout.write("# big\n" + "".join("net.ipv4.conf.x%d.forwarding = 0\n" % i for i in range(3000)))' >"$c/etc/sysctl.conf"
	tree >"$tmp/tree.before-kill"
	start=$(date +%s%N)
	in_chroot "$tmp/big.json" set tcp_timeout_established=3h --check
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$rc" = 0 ] && ok "big file: check mode works (${ms} ms)" || bad "big file: exit $rc: $(head -c 500 "$tmp/big.json")"
	killed=0
	for frac in 10 25 40 55 70; do
		delay_ms=$((ms * frac / 100))
		chroot "$c" /ctune set tcp_timeout_established=3h udp_timeout=60 >/dev/null 2>&1 </dev/null &
		pid=$!
		sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
		if kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid"
			{ wait "$pid"; } 2>/dev/null # no "Killed" line from bash
			st=$?
			if [ "$st" = 137 ]; then killed=$((killed + 1)); else bad "kill at ${delay_ms} ms: exit $st"; fi
		else
			wait "$pid"
			bad "kill at ${delay_ms} ms: the run had already ended (the big file is not big enough)"
		fi
		if tree | cmp -s - "$tmp/tree.before-kill"; then ok "kill -9 at ${delay_ms} ms: nothing left behind"; else
			# Killed during the commit: its journal is there, and the next
			# run (facts too) must finish or undo it whole.
			chroot "$c" /ctune facts >/dev/null 2>&1 </dev/null
			left=$(cd "$c" && find . -path ./proc -prune -o \( -name '.ctune-journal' -o -name '*.ctune-*' \) -print)
			if [ -n "$left" ]; then
				bad "kill -9 at ${delay_ms} ms: left behind after the next run: $left"
			elif tree | cmp -s - "$tmp/tree.before-kill"; then
				ok "kill -9 at ${delay_ms} ms (in the commit): the next run undid it whole"
			elif grep -qx 'net.netfilter.nf_conntrack_tcp_timeout_established = 10800' "$c/etc/sysctl.conf" &&
				grep -qx 'net.netfilter.nf_conntrack_udp_timeout = 60' "$c/etc/sysctl.conf"; then
				ok "kill -9 at ${delay_ms} ms (in the commit): the next run finished it whole"
			else
				bad "kill -9 at ${delay_ms} ms: the chroot changed, and the next run left it half-done"
				tree | diff "$tmp/tree.before-kill" - | head -10 | sed 's/^/    /'
			fi
			tree >"$tmp/tree.before-kill"
		fi
	done
	[ "$killed" -ge 4 ] && ok "$killed runs killed mid-way" || bad "only $killed of 5 runs killed mid-way"
	report
	exit
fi

# ================================ outside ====================================
[ "${CTUNE_FLAVOUR:-}" = static ] || skip "not the static flavour (CTUNE_FLAVOUR=${CTUNE_FLAVOUR:-unset})"
command -v file >/dev/null || skip "needs file(1)"
scratch static

desc=$(file -bL "$CTUNE_REAL")
case "$desc" in
*"statically linked"*) ok "file: $desc" ;;
*) bad "file does not say statically linked: $desc" ;;
esac
if readelf -d "$CTUNE_REAL" 2>/dev/null | grep -q NEEDED; then
	bad "the executable names shared libraries: $(readelf -d "$CTUNE_REAL" | grep NEEDED)"
else
	ok "no shared library named"
fi

# CTUNE_LENS_DIR still wins over the lenses inside: a broken Modules_Load
# there is what the run reports (check mode, a scratch root).
r=$tmp/lensroot
mkdir -p "$r" "$tmp/lenses"
cp -a "$CTUNE_TESTS/fixtures/debian12/." "$r/"
mkdir -p "$r/usr/lib/systemd"
: >"$r/usr/lib/systemd/systemd-sysctl"
printf 'module Modules_Load =\nlet lns = del /x/ "x" . (\n' >"$tmp/lenses/modules_load.aug"
"$CTUNE_REAL" set buckets=4096 --no-live --ensure-module yes --check --root "$r" >"$tmp/inside.json" 2>/dev/null
grep -q '"failed": false' "$tmp/inside.json" && ok "lenses inside: Modules_Load loads" ||
	bad "lenses inside: $(head -c 500 "$tmp/inside.json")"
CTUNE_LENS_DIR=$tmp/lenses "$CTUNE_REAL" set buckets=4096 --no-live --ensure-module yes --check --root "$r" \
	>"$tmp/lensdir.json" 2>/dev/null
grep -q "$tmp/lenses/modules_load.aug:3.0:syntax error" "$tmp/lensdir.json" && ok "CTUNE_LENS_DIR wins over the lenses inside" ||
	bad "CTUNE_LENS_DIR ignored: $(head -c 500 "$tmp/lensdir.json")"

# The .rpm and .tar.gz (cmake/Packaging.cmake) of this build: the executable
# inside is the tested one, byte for byte; the .rpm requires nothing; rpm
# installs it into a scratch root (its own database there) where it runs.
if [ -z "${CTUNE_BUILD:-}" ] || ! command -v cpack >/dev/null || ! command -v rpmbuild >/dev/null; then
	echo "NOTE: the package cases need CTUNE_BUILD, cpack and rpmbuild (Debian: rpm): not run" >&2
elif ! (cd "$CTUNE_BUILD" && cpack -G "RPM;TGZ" -B "$tmp/pkg") >"$tmp/cpack.log" 2>&1; then
	bad "cpack -G RPM;TGZ: $(tail -n 5 "$tmp/cpack.log")"
else
	sum=$(sha256sum <"$CTUNE_REAL" | cut -d' ' -f1)
	rpmfile=$(ls "$tmp"/pkg/ctune-*.x86_64.rpm)
	req=$(rpm -qp --requires "$rpmfile" | grep -v '^rpmlib(')
	[ -z "$req" ] && ok "rpm: requires nothing" || bad "rpm requires: $req"
	# MD5 file digests (CentOS 5's rpm knows no other: cmake/Packaging.cmake)
	! rpm -qp --requires "$rpmfile" | grep -q 'rpmlib(FileDigests)' && ok "rpm: installable by rpm 4.4 (no FileDigests)" ||
		bad "rpm: needs rpmlib(FileDigests), which CentOS 5's rpm lacks"
	md5=$(md5sum <"$CTUNE_REAL" | cut -d' ' -f1)
	dig=$(rpm -qp --dump "$rpmfile" | awk '$1 ~ /\/bin\/ctune$/ { print $4 }')
	[ "$dig" = "$sum" ] || [ "$dig" = "$md5" ] &&
		ok "rpm: carries the tested executable" || bad "rpm: its bin/ctune is not the tested executable"
	rr=$tmp/rpmroot
	if rpm --root "$rr" --dbpath /var/lib/rpm -i "$rpmfile" >"$tmp/rpm.log" 2>&1; then
		bin=$(find "$rr" -path '*/bin/ctune' -type f)
		[ -n "$bin" ] && [ "$("$bin" --version)" = "$("$CTUNE_REAL" --version)" ] &&
			ok "rpm -i into a scratch root: ctune runs" || bad "rpm -i: no working bin/ctune in $rr"
	else
		bad "rpm -i into a scratch root: $(tail -n 5 "$tmp/rpm.log")"
	fi
	mkdir "$tmp/tgz"
	tar -xzf "$tmp"/pkg/ctune-*-static-x86_64.tar.gz -C "$tmp/tgz"
	bin=$(find "$tmp/tgz" -path '*/bin/ctune' -type f)
	[ -n "$bin" ] && [ "$(sha256sum <"$bin" | cut -d' ' -f1)" = "$sum" ] &&
		ok "tar.gz: carries the tested executable" || bad "tar.gz: no bin/ctune equal to the tested executable"
fi

if [ "$(id -u)" != 0 ] || ! command -v chroot >/dev/null || ! unshare -mn true 2>/dev/null; then
	echo "NOTE: the chroot cases need root, chroot and unshare -mn: not run" >&2
elif ! unshare -n test -w "${NF}tcp_timeout_established"; then
	echo "NOTE: no nf_conntrack sysctls in a new network namespace: the chroot cases not run" >&2
else
	c=$tmp/root
	mkdir -p "$c/proc" "$c/etc" "$c/usr/lib/systemd"
	cp "$CTUNE_REAL" "$c/ctune"
	: >"$c/usr/lib/systemd/systemd-sysctl" # a systemd host: modules-load.d is written
	printf '# ctune static test\nkernel.sysrq = 1\n' >"$c/etc/sysctl.conf"
	unshare -mn bash "$0" --inner "$(readlink /proc/self/ns/net)" "$tmp" >"$tmp/inner.out" 2>&1
	while read -r line; do
		case "$line" in
		"ok   "*) ok "${line#ok   }" ;;
		"FAIL "*) bad "${line#FAIL }" ;;
		*" passed, "*" failed") ;; # the inner summary: counted above
		*) echo "$line" ;;
		esac
	done <"$tmp/inner.out"
fi
report
