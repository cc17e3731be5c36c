#!/usr/bin/env bash
# rootwall.test.sh - the root is a wall, both ways (issue 14).
#
# An attacker controls the image under --root: its links, FIFOs, sockets,
# device nodes and file contents.  Whatever the image holds:
#   - nothing outside the root is read or written: absolute links start
#     again at the root, ".." stops there, a live key that is a link or has
#     other hard links is refused (the kernel never makes one), a linked
#     directory in the middle of a path or a linked etc/ leads only into the
#     image;
#   - nothing hangs: a FIFO, socket, directory or device node at any path
#     ctune reads (count, meminfo, modules, osrelease, proc/net/stat, the
#     table, sysctl files, modprobe.d, modules-load.d, a live key, the kernel
#     log, the lens directory) gives an answer within the time limit, as one
#     JSON object;
#   - a live key that exists but cannot be read fails `set`, names the key
#     and changes nothing (only a missing key is "absent");
#   - text from the image reaches a terminal with its control characters
#     escaped;
#   - the same holds when the kernel has no openat2 (strace injects ENOSYS
#     and EPERM, as an old kernel or a seccomp filter would answer).
# As root, in a private network and mount namespace: an image whose
# nf_conntrack_acct links to /proc/sys/net/ipv4/ip_forward cannot turn
# forwarding on, and an image's 99-sysctl.conf -> /etc/sysctl.conf is the
# image's file for facts and set (the host's is shadowed by a scratch file
# with other values, so reading it would show).
#
# Needs $CTUNE, $CTUNE_TESTS, python3; the namespace part needs root and
# unshare -mn; the no-openat2 part needs strace.
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
# shellcheck source=tests/lib.sh
. "$CTUNE_TESTS/lib.sh"
py=python3
scratch rootwall
chmod 0755 "$tmp"
fix=$CTUNE_TESTS/fixtures/debian12
LIMIT=20 # seconds: a FIFO that blocked would hold ctune forever

out=$tmp/outside
mkdir -p "$out/nf" "$out/etc"
echo SECRET-9.9.9-outside >"$out/osrelease"
echo 12345 >"$out/victim"
echo 999 >"$out/nf/nf_conntrack_max"
printf 'net.netfilter.nf_conntrack_udp_timeout = 77\n' >"$out/etc/sysctl.conf"
outside_sum() { (cd "$out" && find . -printf '%p %y %m %i %s %T@ %l\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2); }
outside_sum >"$tmp/outside.before"
outside_intact() {
	if outside_sum | cmp -s - "$tmp/outside.before"; then ok "$1: nothing outside the root changed"; else
		bad "$1: a file outside the root changed"
		outside_sum | diff "$tmp/outside.before" - | head -5 | sed 's/^/    /'
	fi
}

# img NAME: a fresh copy of the debian12 fixture; its path in $r
img() {
	r=$tmp/$1
	rm -rf "$r"
	cp -a "$fix" "$r"
}
NF=proc/sys/net/netfilter/nf_conntrack_
tree() { (cd "$1" && find . -path ./proc -prune -o -printf '%p %y %m %i %s %T@ %l\n' | LC_ALL=C sort && find . -type f -not -path './proc/*' -exec sha256sum {} + | LC_ALL=C sort -k2 && find ./proc -type f -exec sha256sum {} + 2>/dev/null | LC_ALL=C sort -k2); }

# rt OUT ARGS...: ctune with a time limit; rc 124 means it hung
rt() {
	local o=$1
	shift
	timeout -k 5 $LIMIT "$CTUNE" "$@" >"$o" 2>"$o.err" </dev/null
	rc=$?
}
# q NAME OUT EXPR: stdout is one JSON object d for which EXPR holds
q() {
	if $py - "$2" "$3" <<'PY'; then ok "$1"; else bad "$1: $3"; fi
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
    assert isinstance(d, dict)
    assert eval(sys.argv[2]), text[:600]
except Exception as e:
    print(f"    {type(e).__name__}: {e}\n    stdout: {text.strip()[:600]}")
    sys.exit(1)
PY
}
# answered NAME: ctune finished within the limit with one JSON object
answered() {
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then bad "$1: hung (killed after $LIMIT s)"; return; fi
	q "$1: one JSON object, exit $rc" "$tmp/o.json" "True"
}
# refused NAME NEEDLE...: exit 1, failed, not changed, msg holds each NEEDLE
refused() {
	local name=$1 expr="d['failed'] is True and d['changed'] is False" m
	shift
	if [ "$rc" = 1 ]; then ok "$name: exit 1"; else bad "$name: exit $rc, wanted 1: $(head -c 400 "$tmp/o.json")"; fi
	for m in "$@"; do
		expr="$expr and $(printf '%s' "$m" | $py -c 'import json,sys; print(json.dumps(sys.stdin.read()))') in d['msg']"
	done
	q "$name: message" "$tmp/o.json" "$expr"
}
same_tree() {
	if tree "$r" | cmp -s - "$tmp/$2"; then ok "$1: the image is as it was"; else
		bad "$1: the image changed"
		tree "$r" | diff "$tmp/$2" - | head -6 | sed 's/^/    /'
	fi
}

echo "# writes do not leave the root"
for how in absolute relative; do
	img "w-$how"
	rm "$r/${NF}udp_timeout"
	if [ $how = absolute ]; then
		ln -s "$out/victim" "$r/${NF}udp_timeout"
	else
		ln -s "../../../../../../../../../../../..$out/victim" "$r/${NF}udp_timeout"
	fi
	tree "$r" >"$tmp/w.tree"
	rt "$tmp/o.json" set udp_timeout=99 --root "$r"
	refused "live key linked out ($how)" nf_conntrack_udp_timeout "symbolic link"
	same_tree "live key linked out ($how)" w.tree
	outside_intact "live key linked out ($how)"
done
# a hard link to the outside (the same file system): no write in place
img w-hard
rm "$r/${NF}udp_timeout"
ln "$out/victim" "$r/${NF}udp_timeout"
rt "$tmp/o.json" set udp_timeout=99 --root "$r"
refused "live key hard-linked out" nf_conntrack_udp_timeout "hard links"
outside_intact "live key hard-linked out"
# hashsize, the other live write (sysfs)
img w-hashsize
mkdir -p "$r/sys/module/nf_conntrack/parameters"
ln -s "$out/victim" "$r/sys/module/nf_conntrack/parameters/hashsize"
rt "$tmp/o.json" set buckets=131072 --root "$r" --no-persist
answered "hashsize linked out"
outside_intact "hashsize linked out"
# a linked netfilter/ directory in the middle of the path, and a linked etc/
img w-middle
rm -rf "$r/proc/sys/net/netfilter"
ln -s "$out/nf" "$r/proc/sys/net/netfilter"
rt "$tmp/o.json" facts --root "$r" --format json --no-log-events
q "netfilter/ linked out: facts do not read the outside's max" "$tmp/o.json" "d['max'] != 999"
rt "$tmp/o.json" set max=1234 --root "$r" --no-persist
answered "netfilter/ linked out: set"
outside_intact "netfilter/ linked out"
img w-etc
rm -rf "$r/etc"
ln -s "$out/etc" "$r/etc"
rt "$tmp/o.json" set udp_timeout=45 --root "$r"
answered "etc/ linked out"
outside_intact "etc/ linked out"
rm "$r/etc"
ln -s "../../../../../../../..$out/etc" "$r/etc"
rt "$tmp/o.json" set udp_timeout=45 --root "$r" --no-live
answered "etc/ linked out (relative)"
outside_intact "etc/ linked out (relative)"

echo "# reads do not leave the root"
img r-osrelease
rm "$r/proc/sys/kernel/osrelease"
ln -s "$out/osrelease" "$r/proc/sys/kernel/osrelease"
rt "$tmp/o.json" facts --root "$r" --format json --no-log-events
q "osrelease linked out" "$tmp/o.json" "'SECRET' not in json.dumps(d)"
rm "$r/proc/sys/kernel/osrelease"
ln -s "../../../../../../../../..$out/osrelease" "$r/proc/sys/kernel/osrelease"
rt "$tmp/o.json" facts --root "$r" --format json --no-log-events
q "osrelease linked out (relative)" "$tmp/o.json" "'SECRET' not in json.dumps(d)"
rm "$r/proc/sys/kernel/osrelease"
ln -s /proc/self/environ "$r/proc/sys/kernel/osrelease"
CTUNE_MARKER=leaked-env rt "$tmp/o.json" facts --root "$r" --format json --no-log-events
q "osrelease -> /proc/self/environ" "$tmp/o.json" "'leaked-env' not in json.dumps(d)"
img r-loop
ln -s 51-loop.conf "$r/etc/sysctl.d/50-loop.conf"
ln -s 50-loop.conf "$r/etc/sysctl.d/51-loop.conf"
rt "$tmp/o.json" facts --root "$r" --format json --no-log-events
answered "a link loop in sysctl.d"

echo "# nothing hangs: FIFOs, sockets, directories, devices"
paths="${NF}count proc/meminfo proc/modules proc/sys/kernel/osrelease proc/net/stat/nf_conntrack
proc/net/nf_conntrack etc/sysctl.d/60-conntrack.conf etc/sysctl.conf ${NF}max var/log/kern.log"
kinds="fifo socket dir"
[ "$(id -u)" = 0 ] && kinds="$kinds zero"
for kind in $kinds; do
	for p in $paths; do
		img "h-$kind"
		mkdir -p "$(dirname "$r/$p")"
		rm -rf "${r:?}/$p"
		case $kind in
		fifo) mkfifo "$r/$p" ;;
		socket) $py -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$r/$p" ;;
		dir) mkdir "$r/$p" ;;
		zero) mknod "$r/$p" c 1 5 ;;
		esac
		rt "$tmp/o.json" facts --root "$r" --format json --table --log-events
		answered "facts, $kind at $p"
		tree "$r" >"$tmp/h.tree"
		rt "$tmp/o.json" set tcp_timeout_established=12h --root "$r"
		answered "set, $kind at $p"
		if [ "$rc" != 0 ]; then same_tree "set, $kind at $p" h.tree; fi
	done
done
# the files set buckets= reads: module parameter, modprobe.d, modules-load.d
for p in sys/module/nf_conntrack/parameters/hashsize etc/modprobe.d/ctune.conf etc/modules-load.d/conntrack.conf; do
	img h-boot
	mkdir -p "$(dirname "$r/$p")"
	rm -rf "${r:?}/$p"
	mkfifo "$r/$p"
	rt "$tmp/o.json" set buckets=131072 max=300000 --root "$r"
	answered "set buckets, fifo at $p"
done
# the lens directory (CTUNE_LENS_DIR): a FIFO or a directory named like a lens
for kind in fifo dir; do
	img "l-$kind"
	rm -f "$r/etc/modules-load.d/conntrack.conf" # so set lists the module: the Modules_Load lens
	mkdir -p "$tmp/lens-$kind"
	case $kind in
	fifo) mkfifo "$tmp/lens-$kind/modules_load.aug" ;;
	dir) cp "$CTUNE_TESTS/../lenses/modules_load.aug" "$tmp/lens-$kind/" && mkdir "$tmp/lens-$kind/util.aug" ;;
	esac
	tree "$r" >"$tmp/l.tree"
	CTUNE_LENS_DIR=$tmp/lens-$kind rt "$tmp/o.json" set max=300000 --root "$r"
	refused "lens directory: $kind" "not a regular file"
	same_tree "lens directory: $kind" l.tree
done
# a huge meminfo: bounded reads
img h-big
truncate -s 64M "$r/proc/meminfo"
rt "$tmp/o.json" facts --root "$r" --format json --no-log-events
answered "a 64 MiB meminfo"

echo "# read errors of live keys are errors"
for kind in thirty empty dir fifo; do
	img "e-$kind"
	f=$r/${NF}udp_timeout
	rm "$f"
	case $kind in
	thirty) echo thirty >"$f" ;;
	empty) : >"$f" ;;
	dir) mkdir "$f" ;;
	fifo) mkfifo "$f" ;;
	esac
	tree "$r" >"$tmp/e.tree"
	rt "$tmp/o.json" set udp_timeout=45 --root "$r"
	refused "live key $kind" net.netfilter.nf_conntrack_udp_timeout
	q "live key $kind: not called absent" "$tmp/o.json" "'does not exist' not in d['msg']"
	same_tree "live key $kind" e.tree
done

echo "# terminal escaping"
img t-esc
printf '6.1.0-evil\033]0;pwned\007\033[2J\r\b\n' >"$r/proc/sys/kernel/osrelease"
rt "$tmp/o.json" facts --root "$r" --format human --no-log-events
if [ "$rc" = 0 ] && ! grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$tmp/o.json"; then ok "human format: no control characters"; else
	bad "human format: exit $rc, control characters reach the terminal: $(od -c "$tmp/o.json" | grep -m1 '033')"
fi
grep -qF '6.1.0-evil\x1b]0;pwned\x07' "$tmp/o.json" && ok "human format: escaped as \\xNN" || bad "human format: the release is not shown escaped"
# C1 controls (UTF-8 and raw 8-bit CSI) do not reach the terminal either
printf '6.1.0-c1\302\233J\2332J\n' >"$r/proc/sys/kernel/osrelease"
rt "$tmp/o.json" facts --root "$r" --format human --no-log-events
if [ "$rc" = 0 ] && ! LC_ALL=C grep -q $'\x9b' "$tmp/o.json"; then ok "human format: no C1 controls"; else
	bad "human format: C1 controls: exit $rc $(grep -a 'c1' "$tmp/o.json" | od -c | head -3 | tr '\n' ' ')"
fi

# stderr too: a message that quotes an image's file name
evil=$(printf '/etc/sysctl.d/x\033]0;pwned\007.conf')
ln -s /etc/sysctl.conf "$r$evil"
rt "$tmp/o.json" set udp_timeout=45 --root "$r" --file "$evil"
if [ -s "$tmp/o.json.err" ] && ! grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$tmp/o.json.err"; then ok "stderr: no control characters"; else
	bad "stderr: control characters reach the terminal: $(od -c "$tmp/o.json.err" | head -3 | tr '\n' ' ')"
fi

echo "# kernels without openat2 (ENOSYS, EPERM)"
if command -v strace >/dev/null 2>&1 && strace -o /dev/null -e inject=openat2:error=ENOSYS true 2>/dev/null; then
	img s-walk
	rm "$r/proc/sys/kernel/osrelease"
	ln -s "$out/osrelease" "$r/proc/sys/kernel/osrelease"
	rm "$r/${NF}udp_timeout"
	ln -s "$out/victim" "$r/${NF}udp_timeout"
	ln -sf /etc/sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	"$CTUNE" facts --root "$r" --format json --no-log-events >"$tmp/walk0.json" 2>/dev/null
	for e in ENOSYS EPERM; do
		strace -f -o "$tmp/strace.$e" -e trace=openat2 -e inject=openat2:error=$e \
			"$CTUNE" facts --root "$r" --format json --no-log-events >"$tmp/o.json" 2>/dev/null
		n=$(grep -c 'openat2(' "$tmp/strace.$e")
		[ "$n" = 1 ] && ok "$e: openat2 tried once" || bad "$e: openat2 tried $n times, wanted 1"
		$py - "$tmp/walk0.json" "$tmp/o.json" <<'PY' && ok "$e: the walk gives the same facts" || bad "$e: facts differ from openat2's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    d.pop("ctune_version", None)
assert "SECRET" not in json.dumps(b)
assert a["effective_at_boot"] == b["effective_at_boot"] and a["kernel_release"] == b["kernel_release"], (a, b)
PY
		strace -f -o /dev/null -e inject=openat2:error=$e "$CTUNE" set udp_timeout=99 --root "$r" >"$tmp/o.json" 2>/dev/null </dev/null
		rc=$?
		refused "$e: live key linked out" nf_conntrack_udp_timeout
		outside_intact "$e"
	done
else
	echo "skipped: no strace with fault injection"
fi

echo "# in a network namespace: the image's links name the image's files"
if [ "$(id -u)" = 0 ] && unshare -mn true 2>/dev/null && [ -e /proc/sys/net/netfilter/nf_conntrack_acct ]; then
	img ns
	rm "$r/${NF}acct"
	ln -s /proc/sys/net/ipv4/ip_forward "$r/${NF}acct"
	printf '# the image\nnet.netfilter.nf_conntrack_udp_timeout = 33\n' >"$r/etc/sysctl.conf"
	rm "$r/etc/sysctl.d/99-sysctl.conf"
	ln -s /etc/sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	# shellcheck disable=SC2016
	unshare -mn bash -c '
		set -u
		ctune=$1 tmp=$2 r=$3
		# The host sysctl.conf, behind a scratch file with other values.
		printf "net.netfilter.nf_conntrack_udp_timeout = 77\n" >"$tmp/shadow.conf"
		mount --bind "$tmp/shadow.conf" /etc/sysctl.conf || exit 3
		echo "forward-before $(cat /proc/sys/net/ipv4/ip_forward)"
		"$ctune" set acct=1 --root "$r" >"$tmp/acct.json" 2>/dev/null </dev/null
		echo "acct-rc $?"
		echo "forward-after $(cat /proc/sys/net/ipv4/ip_forward)"
		"$ctune" facts --root "$r" --format json --no-log-events >"$tmp/ns-facts.json" 2>/dev/null
		"$ctune" set udp_timeout=44 --no-live --file /etc/sysctl.d/99-sysctl.conf --root "$r" >"$tmp/ns-set.json" 2>/dev/null </dev/null
		echo "set-rc $?"
		echo "shadow $(cat "$tmp/shadow.conf")"
	' bash "$CTUNE" "$tmp" "$r" >"$tmp/ns.out" 2>&1
	grep -q 'forward-before 0' "$tmp/ns.out" && grep -q 'forward-after 0' "$tmp/ns.out" &&
		ok "acct -> ip_forward: forwarding stays off" || bad "acct -> ip_forward: $(tr '\n' ' ' <"$tmp/ns.out")"
	grep -q 'acct-rc 1' "$tmp/ns.out" && ok "acct -> ip_forward: refused" || bad "acct -> ip_forward: $(tr '\n' ' ' <"$tmp/ns.out")"
	cp "$tmp/acct.json" "$tmp/o.json"
	rc=1
	refused "acct -> ip_forward" nf_conntrack_acct "symbolic link"
	q "99-sysctl.conf -> /etc/sysctl.conf: facts read the image's file" "$tmp/ns-facts.json" \
		"d['effective_at_boot']['tunables']['udp_timeout']['value'] == 33"
	grep -q 'set-rc 0' "$tmp/ns.out" && ok "99-sysctl.conf -> /etc/sysctl.conf: set" || bad "set through the link: $(head -c 300 "$tmp/ns-set.json")"
	grep -qx 'net.netfilter.nf_conntrack_udp_timeout = 44' "$r/etc/sysctl.conf" && ok "set wrote the image's etc/sysctl.conf" ||
		bad "the image's etc/sysctl.conf: $(cat "$r/etc/sysctl.conf")"
	grep -q 'shadow net.netfilter.nf_conntrack_udp_timeout = 77' "$tmp/ns.out" && ok "the host's sysctl.conf untouched" ||
		bad "the (shadowed) host sysctl.conf changed: $(grep shadow "$tmp/ns.out")"
	[ -L "$r/etc/sysctl.d/99-sysctl.conf" ] && ok "the image's link kept" || bad "the image's link was replaced"
else
	echo "skipped: the namespace part (needs root, unshare -mn and nf_conntrack)"
fi

outside_intact "the whole run"
report
