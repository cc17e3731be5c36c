#!/usr/bin/env bash
# faults.test.sh - the host fails under ctune mid-run; nothing is lost and
# nothing is left half-done (issue 7).
#
# Each fault runs a `ctune set` that changes several live values and the
# file, and asserts four things: the original file is intact (byte for byte,
# same inode), no temporary file is left (.augnew, .augsave, .NAME.ctune-*,
# a backup `NAME.PID.DATE~`), the live values are rolled back, and the
# message names the file or key and the reason.  The faults:
#   read-only mount   the target's directory, the target file alone (a
#                     read-only bind mount: the rename fails, not the
#                     write), and the file override: fix must rewrite (its
#                     directory: the prepare fails; the file alone, a
#                     mount point: a rename over it fails late)
#   full file system  no room for the new file after the backup was made;
#                     no inode left for the temporary file
#   immutable         the target is append-only (chattr +a); the file
#                     override: fix comments out is immutable (chattr +i)
#   permission denied as nobody (setpriv): the live write refused; the live
#                     writes allowed but the file not
#   missing directory file: /etc/sysctl.d/x.conf without /etc/sysctl.d
#   kernel refusal    the second of three keys (frag6_high_thresh below
#                     frag6_low_thresh: EINVAL whatever the order, since
#                     the request does not move low) in a private netns
#                     whose /proc the root links to
#   lock              another holder of the lock: a run waits without
#                     touching anything and proceeds once it is released;
#                     a lock held past ctune's 30 s wait fails the run
# set.test.sh and set-netns.test.sh cover the plainer forms (immutable
# target and directory, read-only and full etc/ as a whole, the frag6_low
# refusal): these are the variants they leave out.
#
# Runs as root inside a private mount and network namespace (unshare -mn);
# skipped otherwise.  About 35 s, most of it the lock wait, which runs in the
# background while the other faults run.
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
py=/usr/bin/python3
NF=/proc/sys/net/netfilter/nf_conntrack_

# ============================ inside the namespaces ==========================
if [ "${1:-}" = --inner ]; then
	host_ns=$2 tmp=$3
	pass=0 fail=0 skipped=0
	ok() { pass=$((pass + 1)); }
	bad() {
		fail=$((fail + 1))
		echo "FAIL: $*"
	}
	skip() {
		skipped=$((skipped + 1))
		echo "SKIP: $*"
	}
	finish() {
		echo "INNER $pass $fail $skipped"
		exit 0
	}
	if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
		bad "not in a private network namespace: refusing to run"
		finish
	fi

	# mkroot DIR: a modern root whose proc/sys holds plain files.
	mkroot() {
		local r=$1 p
		rm -rf "$r"
		mkdir -p "$r/etc/sysctl.d" "$r/proc/sys/kernel" "$r/proc/sys/net/netfilter"
		echo 6.1.0-18-amd64 >"$r/proc/sys/kernel/osrelease"
		p=$r/proc/sys/net/netfilter/nf_conntrack_
		echo 262144 >"${p}max"
		echo 17 >"${p}count"
		chmod 0444 "${p}count"
		echo 432000 >"${p}tcp_timeout_established"
		echo 30 >"${p}udp_timeout"
		echo 30 >"${p}icmp_timeout"
		echo 262144 >"$r/proc/sys/net/nf_conntrack_max"
		printf '# faults.test.sh\nnet.ipv4.ip_forward = 1\nnet.netfilter.nf_conntrack_udp_timeout = 30\n' \
			>"$r/etc/sysctl.conf"
		ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	}
	# snap DIR: listing (type, mode, owner, inode, size, mtime, link) and
	# the checksum of every regular file.
	# proc/ (the live values of a plain-file root) without mtimes: a value
	# written and restored is as it was; directories without mtimes: a
	# temporary file made and removed again changes a directory's mtime.
	snap() {
		(cd "$1" && find . -path ./proc -prune -o ! -type d -printf '%p %y %m %u %g %i %s %T@ %l\n' \
			-o -type d -printf '%p %y %m %u %g %i\n' | LC_ALL=C sort &&
			find . -path ./proc -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort -k2 &&
			if mountpoint -q proc; then echo "./proc: the live /proc"; else
				find ./proc -printf '%p %y %m %u %g %i %s %l\n' | LC_ALL=C sort
			fi)
	}
	q() { # NAME FILE EXPR
		if $py - "$2" "$3" <<'PY'; then ok; else bad "$1: $3"; fi
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
    assert isinstance(d, dict) and eval(sys.argv[2], {"d": d, "any": any, "all": all})
except Exception as e:
    print(f"    {type(e).__name__}: {e}\n    stdout: {text.strip()[:1500]}")
    sys.exit(1)
PY
	}
	# run OUT ARGS...: ctune set on the command line; rc holds the status.
	run() {
		local out=$1
		shift
		"$CTUNE" set "$@" >"$out" 2>"$out.err" </dev/null
		rc=$?
	}
	# failed NAME OUT MSG...: exit 1, one JSON object, failed and not
	# changed, msg containing every MSG.
	failed() {
		local name=$1 out=$2 expr="d['failed'] is True and d['changed'] is False" m
		shift 2
		if [ "$rc" = 1 ]; then ok; else bad "$name: exit $rc, wanted 1: $(head -c 600 "$out")"; fi
		for m in "$@"; do
			expr="$expr and $(printf '%s' "$m" | $py -c 'import json,sys; print(json.dumps(sys.stdin.read()))') in d['msg']"
		done
		q "$name: message" "$out" "$expr"
		$py -c 'import json,sys; print("    msg:", json.load(open(sys.argv[1])).get("msg"))' "$out" 2>/dev/null
	}
	# intact NAME ROOT SNAP FILE COPY: the four promises.
	intact() {
		local name=$1 r=$2 s=$3 file=$4 copy=$5 left
		if cmp -s "$file" "$copy"; then ok; else bad "$name: the original file changed: $(diff "$copy" "$file" | head -5 | tr '\n' '|')"; fi
		left=$(find "$r" -xdev \( -name '*.augnew' -o -name '*.augsave' -o -name '.*.ctune-*' -o -name '*~' \) -print 2>/dev/null)
		if [ -z "$left" ]; then ok; else bad "$name: left behind: $left"; fi
		if [ -d "$r/proc/sys" ] && ! mountpoint -q "$r/proc"; then
			if diff -r "$s.proc" "$r/proc" >/dev/null; then ok; else
				bad "$name: live values not rolled back: $(diff -r "$s.proc" "$r/proc" | head -6 | tr '\n' '|')"
			fi
		fi
		if snap "$r" | cmp -s - "$s"; then ok; else
			bad "$name: the tree changed"
			snap "$r" | diff "$s" - | head -10 | sed 's/^/    /'
		fi
	}
	# before ROOT NAME: record the tree, the proc values and the file.
	before() {
		snap "$1" >"$tmp/$2.snap"
		rm -rf "$tmp/$2.snap.proc"
		mountpoint -q "$1/proc" || cp -a "$1/proc" "$tmp/$2.snap.proc"
	}

	# --- a lock held past the wait: started first, checked last ------------
	lr=$tmp/lock-held
	mkroot "$lr"
	cp -p "$lr/etc/sysctl.conf" "$tmp/lock-held.conf"
	flock "$lr" sleep 45 &
	lock_holder=$!
	sleep 0.2
	before "$lr" lock-held
	lock_start=$(date +%s)
	"$CTUNE" set udp_timeout=46 tcp_timeout_established=3h --root "$lr" >"$tmp/lock-held.json" 2>/dev/null </dev/null &
	lock_run=$!

	# --- read-only mounts ---------------------------------------------------
	echo "# read-only mount"
	r=$tmp/ro-dir
	mkroot "$r"
	printf 'net.netfilter.nf_conntrack_max = 262144\n' >"$r/etc/sysctl.d/90-ct.conf"
	cp -p "$r/etc/sysctl.d/90-ct.conf" "$tmp/ro-dir.conf"
	mount --bind "$r/etc/sysctl.d" "$r/etc/sysctl.d" && mount -o remount,bind,ro "$r/etc/sysctl.d" ||
		bad "read-only bind mount of sysctl.d"
	before "$r" ro-dir
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h icmp_timeout=20 max=300000 \
		--file /etc/sysctl.d/90-ct.conf --backup --root "$r"
	failed "read-only sysctl.d" "$tmp/o.json" /etc/sysctl.d/90-ct.conf "Read-only file system"
	intact "read-only sysctl.d" "$r" "$tmp/ro-dir.snap" "$r/etc/sysctl.d/90-ct.conf" "$tmp/ro-dir.conf"
	umount "$r/etc/sysctl.d"

	# The file alone is a read-only mount (its directory is writable): the
	# temporary file is written, the rename over a mount point fails.
	r=$tmp/ro-file
	mkroot "$r"
	cp -p "$r/etc/sysctl.conf" "$tmp/ro-file.conf"
	mount --bind "$r/etc/sysctl.conf" "$r/etc/sysctl.conf" && mount -o remount,bind,ro "$r/etc/sysctl.conf" ||
		bad "read-only bind mount of sysctl.conf"
	before "$r" ro-file
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h max=300000 --root "$r"
	failed "read-only file mount" "$tmp/o.json" /etc/sysctl.conf
	intact "read-only file mount" "$r" "$tmp/ro-file.snap" "$r/etc/sysctl.conf" "$tmp/ro-file.conf"
	umount "$r/etc/sysctl.conf"

	# override: fix must comment out a line in a vendor file on a read-only
	# mount: neither file may change.
	r=$tmp/ro-fix
	mkroot "$r"
	mkdir -p "$r/usr/lib/sysctl.d"
	printf 'net.netfilter.nf_conntrack_udp_timeout = 9\n' >"$r/usr/lib/sysctl.d/99-zz-vendor.conf"
	cp -p "$r/etc/sysctl.conf" "$tmp/ro-fix.conf"
	cp -p "$r/usr/lib/sysctl.d/99-zz-vendor.conf" "$tmp/ro-fix.vendor"
	mount --bind "$r/usr/lib/sysctl.d" "$r/usr/lib/sysctl.d" && mount -o remount,bind,ro "$r/usr/lib/sysctl.d" ||
		bad "read-only bind mount of usr/lib/sysctl.d"
	before "$r" ro-fix
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h --override fix --root "$r"
	failed "override fix, vendor file read-only" "$tmp/o.json" /usr/lib/sysctl.d/99-zz-vendor.conf "Read-only file system"
	intact "override fix, vendor file read-only" "$r" "$tmp/ro-fix.snap" "$r/etc/sysctl.conf" "$tmp/ro-fix.conf"
	cmp -s "$r/usr/lib/sysctl.d/99-zz-vendor.conf" "$tmp/ro-fix.vendor" && ok || bad "override fix, vendor file read-only: vendor file changed"
	umount "$r/usr/lib/sysctl.d"

	# The same, but only the overriding file is a (read-only bind) mount
	# point: its temporary file could be written beside it, and a rename
	# over it would fail only after sysctl.conf was committed.  Whether
	# ctune refuses up front or puts sysctl.conf back, nothing may change.
	r=$tmp/ro-fix-late
	mkroot "$r"
	printf 'net.netfilter.nf_conntrack_udp_timeout = 9\n' >"$r/etc/sysctl.d/99-zz.conf"
	cp -p "$r/etc/sysctl.conf" "$tmp/ro-fix-late.conf"
	cp -p "$r/etc/sysctl.d/99-zz.conf" "$tmp/ro-fix-late.zz"
	mount --bind "$r/etc/sysctl.d/99-zz.conf" "$r/etc/sysctl.d/99-zz.conf" &&
		mount -o remount,bind,ro "$r/etc/sysctl.d/99-zz.conf" || bad "read-only bind mount of 99-zz.conf"
	before "$r" ro-fix-late
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h --override fix --root "$r"
	failed "override fix, overriding file a mount point" "$tmp/o.json" /etc/sysctl.d/99-zz.conf
	intact "override fix, overriding file a mount point" "$r" "$tmp/ro-fix-late.snap" "$r/etc/sysctl.conf" "$tmp/ro-fix-late.conf"
	cmp -s "$r/etc/sysctl.d/99-zz.conf" "$tmp/ro-fix-late.zz" && ok || bad "override fix, overriding file a mount point: 99-zz.conf changed"
	umount "$r/etc/sysctl.d/99-zz.conf"

	# --- full file systems --------------------------------------------------
	echo "# full file system"
	# etc/ on a 64 KiB tmpfs holding a 36 KiB sysctl.conf: the backup copy
	# fits, the new file does not.  The backup must go too.
	r=$tmp/full
	mkroot "$r"
	mount -t tmpfs -o size=64k,mode=0755 ctune-faults "$r/etc" || bad "mount tmpfs"
	mkdir "$r/etc/sysctl.d"
	ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	{
		printf '# faults.test.sh: a long file\nnet.netfilter.nf_conntrack_udp_timeout = 30\n'
		for i in $(seq 1 900); do printf 'net.ipv4.conf.eth%d.rp_filter = 1\n' "$i"; done | head -c 36000
		printf '\n'
	} >"$r/etc/sysctl.conf"
	avail=$(df -B1 --output=avail "$r/etc" | tail -1)
	size=$(stat -c %s "$r/etc/sysctl.conf")
	if [ "$avail" -ge "$size" ] && [ "$avail" -lt $((2 * size)) ]; then ok; else
		bad "full: the set-up is wrong ($avail bytes free for a $size byte file)"
	fi
	cp -p "$r/etc/sysctl.conf" "$tmp/full.conf"
	before "$r" full
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h max=300000 --backup --root "$r"
	failed "full after the backup" "$tmp/o.json" /etc/sysctl.conf "No space left on device"
	intact "full after the backup" "$r" "$tmp/full.snap" "$r/etc/sysctl.conf" "$tmp/full.conf"
	umount "$r/etc"

	# No inode left: the temporary file cannot even be created.
	r=$tmp/noinode
	mkroot "$r"
	mount -t tmpfs -o size=1m,nr_inodes=4,mode=0755 ctune-faults "$r/etc" || bad "mount tmpfs"
	mkdir "$r/etc/sysctl.d"
	printf 'net.netfilter.nf_conntrack_udp_timeout = 30\n' >"$r/etc/sysctl.conf"
	ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	if touch "$r/etc/x" 2>/dev/null; then
		bad "noinode: the set-up is wrong (a file could still be created)"
		rm -f "$r/etc/x"
	fi
	cp -p "$r/etc/sysctl.conf" "$tmp/noinode.conf"
	before "$r" noinode
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h --root "$r"
	failed "no inode left" "$tmp/o.json" /etc/sysctl.conf "No space left on device"
	intact "no inode left" "$r" "$tmp/noinode.snap" "$r/etc/sysctl.conf" "$tmp/noinode.conf"
	umount "$r/etc"

	# --- immutable and append-only -----------------------------------------
	echo "# immutable"
	probe=$tmp/chattr-probe
	: >"$probe"
	if chattr +i "$probe" 2>/dev/null; then
		chattr -i "$probe"
		r=$tmp/append
		mkroot "$r"
		cp -p "$r/etc/sysctl.conf" "$tmp/append.conf"
		chattr +a "$r/etc/sysctl.conf"
		before "$r" append
		run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h max=300000 --backup --root "$r"
		failed "append-only target" "$tmp/o.json" /etc/sysctl.conf "Operation not permitted"
		intact "append-only target" "$r" "$tmp/append.snap" "$r/etc/sysctl.conf" "$tmp/append.conf"
		chattr -a "$r/etc/sysctl.conf"

		# override: fix, the overriding file immutable: its temporary file
		# is written, its rename fails after sysctl.conf was committed.
		r=$tmp/immutable-fix
		mkroot "$r"
		printf 'net.netfilter.nf_conntrack_udp_timeout = 9\n' >"$r/etc/sysctl.d/99-zz.conf"
		cp -p "$r/etc/sysctl.conf" "$tmp/immutable-fix.conf"
		cp -p "$r/etc/sysctl.d/99-zz.conf" "$tmp/immutable-fix.zz"
		chattr +i "$r/etc/sysctl.d/99-zz.conf"
		before "$r" immutable-fix
		run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h --override fix --root "$r"
		failed "override fix, overriding file immutable" "$tmp/o.json" /etc/sysctl.d/99-zz.conf "Operation not permitted"
		intact "override fix, overriding file immutable" "$r" "$tmp/immutable-fix.snap" "$r/etc/sysctl.conf" "$tmp/immutable-fix.conf"
		chattr -i "$r/etc/sysctl.d/99-zz.conf"
	else
		skip "immutable and append-only files (chattr +i unsupported on $tmp)"
	fi

	# --- permission denied ----------------------------------------------------
	echo "# permission denied"
	if command -v setpriv >/dev/null && [ -n "${CTUNE_REAL:-}" ]; then
		as_nobody() { # OUT ARGS...: the real binary (the logging wrapper could not write its copy)
			local out=$1
			shift
			setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTUNE_REAL" set "$@" >"$out" 2>"$out.err" </dev/null
			rc=$?
		}
		r=$tmp/nobody
		mkroot "$r"
		chmod -R go+rX "$r"
		cp -p "$r/etc/sysctl.conf" "$tmp/nobody.conf"
		before "$r" nobody
		as_nobody "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h --root "$r"
		failed "nobody, live write" "$tmp/o.json" "Permission denied" /etc/sysctl.conf
		intact "nobody, live write" "$r" "$tmp/nobody.snap" "$r/etc/sysctl.conf" "$tmp/nobody.conf"
		# The live values are nobody's to write, the file is not: the writes
		# succeed, the save fails, the writes are undone.
		chown nobody "$r"/proc/sys/net/netfilter/nf_conntrack_{udp_timeout,tcp_timeout_established,icmp_timeout}
		before "$r" nobody2
		as_nobody "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h icmp_timeout=20 --root "$r"
		failed "nobody, file" "$tmp/o.json" /etc/sysctl.conf "Permission denied"
		intact "nobody, file" "$r" "$tmp/nobody2.snap" "$r/etc/sysctl.conf" "$tmp/nobody.conf"
	else
		skip "permission denied (needs setpriv and CTUNE_REAL)"
	fi

	# --- a missing /etc/sysctl.d -------------------------------------------
	echo "# missing /etc/sysctl.d"
	r=$tmp/no-sysctl-d
	mkroot "$r"
	rm -rf "$r/etc/sysctl.d"
	cp -p "$r/etc/sysctl.conf" "$tmp/no-sysctl-d.conf"
	before "$r" no-sysctl-d
	run "$tmp/o.json" udp_timeout=45 tcp_timeout_established=12h --file /etc/sysctl.d/x.conf --root "$r"
	failed "missing /etc/sysctl.d" "$tmp/o.json" /etc/sysctl.d/x.conf "No such file or directory"
	intact "missing /etc/sysctl.d" "$r" "$tmp/no-sysctl-d.snap" "$r/etc/sysctl.conf" "$tmp/no-sysctl-d.conf"
	if [ -e "$r/etc/sysctl.d" ]; then bad "missing /etc/sysctl.d: it was created"; else ok; fi

	# --- the kernel refuses the second of three keys ------------------------
	echo "# kernel refusal"
	if [ -w "${NF}frag6_high_thresh" ] && [ -w "${NF}udp_timeout" ]; then
		r=$tmp/kernel
		mkdir -p "$r/etc/sysctl.d"
		# this namespace's /proc, bound in: ctune follows no link out of
		# the root
		mkdir "$r/proc" && mount --bind /proc "$r/proc"
		printf '# faults.test.sh\nnet.netfilter.nf_conntrack_udp_timeout = 30\n' >"$r/etc/sysctl.d/90-ct.conf"
		cp -p "$r/etc/sysctl.d/90-ct.conf" "$tmp/kernel.conf"
		low=$(cat "${NF}frag6_low_thresh")
		live() { for k in udp_timeout frag6_low_thresh frag6_high_thresh tcp_timeout_established; do printf '%s=%s ' $k "$(cat "$NF$k")"; done; }
		live0=$(live)
		before "$r" kernel
		# JSON, as Ansible sends it: the order of the keys is the order of
		# the writes.
		printf '{"udp_timeout": 77, "frag6_high_thresh": %d, "tcp_timeout_established": "3h", "file": "/etc/sysctl.d/90-ct.conf", "backup": true, "root": "%s"}' \
			$((low - 1)) "$r" | "$CTUNE" >"$tmp/o.json" 2>"$tmp/o.err"
		rc=$?
		failed "kernel refuses the second key" "$tmp/o.json" nf_conntrack_frag6_high_thresh "Invalid argument"
		intact "kernel refuses the second key" "$r" "$tmp/kernel.snap" "$r/etc/sysctl.d/90-ct.conf" "$tmp/kernel.conf"
		if [ "$(live)" = "$live0" ]; then ok; else bad "kernel refusal: live values not rolled back: before [$live0] after [$(live)]"; fi
	else
		skip "kernel refusal (no writable nf_conntrack_frag6_high_thresh in this namespace)"
	fi

	# --- the lock ------------------------------------------------------------
	echo "# lock"
	# Held while a run starts: the run waits, touches nothing meanwhile,
	# and proceeds when the holder goes.
	r=$tmp/lock-wait
	mkroot "$r"
	flock "$r" sleep 30 &
	holder=$!
	sleep 0.2
	before "$r" lock-wait
	"$CTUNE" set udp_timeout=45 tcp_timeout_established=12h --root "$r" >"$tmp/lw.json" 2>/dev/null </dev/null &
	waiter=$!
	sleep 1
	if kill -0 "$waiter" 2>/dev/null; then ok; else bad "lock: the second run did not wait: $(cat "$tmp/lw.json")"; fi
	if snap "$r" | cmp -s - "$tmp/lock-wait.snap"; then ok; else bad "lock: the waiting run changed the tree"; fi
	kill "$holder"
	wait "$holder" 2>/dev/null
	wait "$waiter"
	rc=$?
	if [ "$rc" = 0 ]; then ok; else bad "lock: after the release: exit $rc: $(cat "$tmp/lw.json")"; fi
	[ "$(cat "$r/proc/sys/net/netfilter/nf_conntrack_udp_timeout")" = 45 ] && grep -qx 'net.netfilter.nf_conntrack_udp_timeout = 45' "$r/etc/sysctl.conf" &&
		ok || bad "lock: after the release, the values were not set"

	# Held past the wait (started at the top): the run fails, clean.
	wait "$lock_run"
	rc=$?
	took=$(($(date +%s) - lock_start))
	failed "lock held" "$tmp/lock-held.json" "another ctune run holds the lock"
	intact "lock held" "$lr" "$tmp/lock-held.snap" "$lr/etc/sysctl.conf" "$tmp/lock-held.conf"
	if [ "$took" -ge 29 ]; then ok; else bad "lock held: gave up after ${took} s (the wait is 30 s)"; fi
	kill "$lock_holder" 2>/dev/null
	wait "$lock_holder" 2>/dev/null
	finish
fi

# ============================ outside: the host ==============================
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (mount and network namespaces, chattr, setpriv)" >&2
	exit 77
fi
if ! unshare -mn true 2>/dev/null; then
	echo "SKIP: unshare -mn is not permitted here" >&2
	exit 77
fi
[ -x $py ] || {
	echo "SKIP: needs $py" >&2
	exit 77
}
tmp=$(mktemp -d /tmp/ctune-faults-XXXXXX)
chmod 0755 "$tmp"
trap 'chattr -R -i -a "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0 skipped=0

host_values() {
	local k
	for k in tcp_timeout_established udp_timeout icmp_timeout max frag6_low_thresh frag6_high_thresh; do
		[ -e "$NF$k" ] && echo "$k=$(cat "$NF$k")"
	done
}
host_values >"$tmp/host.before"

unshare -mn bash "$0" --inner "$(readlink /proc/self/ns/net)" "$tmp" >"$tmp/inner.out" 2>&1
grep -v '^INNER ' "$tmp/inner.out"
if read -r _ p f s < <(grep '^INNER ' "$tmp/inner.out" | tail -1); then
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
else
	fail=$((fail + 1))
	echo "FAIL: the namespace part did not finish"
fi

host_values >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then pass=$((pass + 1)); else
	fail=$((fail + 1))
	echo "FAIL: the host's own values changed: $(diff "$tmp/host.before" "$tmp/host.after" | tr '\n' '|')"
fi
if mount | grep -q ctune-faults; then
	fail=$((fail + 1))
	echo "FAIL: a test mount leaked into the host's mount namespace"
else
	pass=$((pass + 1))
fi

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
