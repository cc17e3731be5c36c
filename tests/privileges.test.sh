#!/usr/bin/env bash
# privileges.test.sh - ctune runs as root on every host: it writes only the
# file it was asked to, never through a link out of the root prefix, and
# keeps what the file's owner chose (issue 7).
#
#   links out of the root  ROOT/etc/sysctl.conf -> /etc/sysctl.conf (the
#                          host's, by absolute path), ROOT/etc -> /etc,
#                          ROOT/etc -> a directory outside the root by
#                          absolute path, ROOT/etc/sysctl.d -> ../../outside
#                          (climbing out), and a hard link to a file outside
#                          the root: the outside file is never written (its
#                          bytes, inode and mtime are checked).  The host's
#                          /etc is a scratch copy here (a bind mount in a
#                          private mount namespace), so a ctune that did
#                          follow such a link would change the copy - and
#                          fail the test - never the host.
#   links inside the root  an absolute link that stays inside the root
#                          (sysctl.d/90-ct.conf -> /etc/sysctl.conf) edits
#                          the root's file and keeps the link
#   ownership              a new file in a directory of another owner, and a
#                          setgid one, is 0644 and the caller's; an existing
#                          file keeps owner, group, mode (setgid, sticky and
#                          odd modes too) and its extended attributes
#   only the file asked    a full listing (type, mode, owner, inode, size,
#                          mtime, link target, checksum) of the root before
#                          and after: the only entry that differs is the
#                          target (and the backup when asked); other
#                          sysctl.d, modprobe.d and modules-load.d files, the
#                          overriding file (override: warn) and the Debian
#                          99-sysctl.conf link are untouched; with max and
#                          buckets on a systemd host, exactly the boot files
#                          the response names change (new ones 0644, root's)
#
# set.test.sh covers a relative link climbing out of a sysctl.d file and the
# mode and owner of plain existing files; this test adds the rest.
# Runs as root inside a private mount namespace (unshare -m); skipped
# otherwise.
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
py=/usr/bin/python3

# ============================ inside the namespace ===========================
if [ "${1:-}" = --inner ]; then
	tmp=$2
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

	# The host's /etc, as ctune sees it from here: a scratch copy of what
	# a run needs (the dynamic loader's cache, time zone, users).
	fake=$tmp/fake-etc
	mkdir -p "$fake/sysctl.d"
	for f in ld.so.cache localtime passwd group nsswitch.conf; do
		[ -e "/etc/$f" ] && cp -aL "/etc/$f" "$fake/$f"
	done
	printf '# the host file (scratch copy)\nnet.ipv4.ip_forward = 0\n' >"$fake/sysctl.conf"
	if ! mount --bind "$fake" /etc; then
		bad "cannot shield /etc with a scratch copy: the link cases are not run"
		finish
	fi
	if [ "$(head -1 /etc/sysctl.conf)" = "# the host file (scratch copy)" ]; then ok; else
		bad "the scratch /etc is not in place"
		finish
	fi

	mkroot() {
		local r=$1 p
		rm -rf "$r"
		mkdir -p "$r/etc/sysctl.d" "$r/etc/modprobe.d" "$r/etc/modules-load.d" "$r/proc/sys/kernel" \
			"$r/proc/sys/net/netfilter" "$r/usr/lib/sysctl.d"
		echo 6.1.0-18-amd64 >"$r/proc/sys/kernel/osrelease"
		p=$r/proc/sys/net/netfilter/nf_conntrack_
		echo 262144 >"${p}max"
		echo 432000 >"${p}tcp_timeout_established"
		echo 30 >"${p}udp_timeout"
		echo 262144 >"$r/proc/sys/net/nf_conntrack_max"
		printf '# root file\nnet.ipv4.ip_forward = 1\n' >"$r/etc/sysctl.conf"
	}
	snap() {
		(cd "$1" && find . -printf '%p %y %m %u %g %i %s %T@ %l\n' | LC_ALL=C sort &&
			find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
	}
	# fileid PATH: what must not change about a file outside the root.
	fileid() { stat -c '%i %s %Y.%y %a %u %g' "$1" && sha256sum <"$1"; }
	run() {
		local out=$1
		shift
		"$CTUNE" set "$@" >"$out" 2>"$out.err" </dev/null
		rc=$?
	}
	msg() { $py -c 'import json,sys; print(json.load(open(sys.argv[1])).get("msg", ""))' "$1" 2>/dev/null; }
	# never_written NAME FILE ID_BEFORE DIR LIST_BEFORE
	never_written() {
		if [ "$(fileid "$2")" = "$3" ]; then ok; else bad "$1: $2 (outside the root) was written"; fi
		if [ "$(ls -A "$4")" = "$5" ]; then ok; else bad "$1: files appeared beside $2: $(ls -A "$4" | tr '\n' ' ')"; fi
	}

	echo "# links out of the root"
	host_id=$(fileid /etc/sysctl.conf)
	host_ls=$(ls -A /etc)
	# The root's sysctl.conf is an absolute link to the host's.
	r=$tmp/abs-file
	mkroot "$r"
	rm "$r/etc/sysctl.conf"
	ln -s /etc/sysctl.conf "$r/etc/sysctl.conf"
	run "$tmp/o.json" udp_timeout=45 --root "$r"
	echo "    sysctl.conf -> /etc/sysctl.conf: exit $rc: $(msg "$tmp/o.json")"
	never_written "sysctl.conf -> /etc/sysctl.conf" /etc/sysctl.conf "$host_id" /etc "$host_ls"
	if [ -L "$r/etc/sysctl.conf" ] && [ "$(readlink "$r/etc/sysctl.conf")" = /etc/sysctl.conf ]; then ok; else
		bad "sysctl.conf -> /etc/sysctl.conf: the link was replaced"
	fi
	if [ "$rc" = 0 ]; then
		# Taken inside the root, the link names itself: success would be a lie.
		bad "sysctl.conf -> /etc/sysctl.conf: ctune reported success: $(head -c 300 "$tmp/o.json")"
	else ok; fi
	# The root's etc is a link to the host's /etc.
	r=$tmp/abs-etc
	mkroot "$r"
	rm -rf "${r:?}/etc"
	ln -s /etc "$r/etc"
	for file in /etc/sysctl.conf /etc/sysctl.d/90-ct.conf; do
		run "$tmp/o.json" udp_timeout=45 --file "$file" --root "$r"
		echo "    etc -> /etc, file $file: exit $rc: $(msg "$tmp/o.json")"
		never_written "etc -> /etc ($file)" /etc/sysctl.conf "$host_id" /etc "$host_ls"
		if [ -z "$(ls -A /etc/sysctl.d)" ]; then ok; else bad "etc -> /etc: /etc/sysctl.d holds $(ls -A /etc/sysctl.d)"; fi
	done
	# The root's etc is an absolute link to a directory outside the root.
	out=$tmp/outside
	mkdir -p "$out/etc/sysctl.d"
	printf '# outside the root\nnet.ipv4.ip_forward = 0\n' >"$out/etc/sysctl.conf"
	out_id=$(fileid "$out/etc/sysctl.conf")
	out_ls=$(ls -A "$out/etc")
	r=$tmp/abs-outside
	mkroot "$r"
	rm -rf "${r:?}/etc"
	ln -s "$out/etc" "$r/etc"
	run "$tmp/o.json" udp_timeout=45 --root "$r"
	echo "    etc -> $out/etc: exit $rc: $(msg "$tmp/o.json")"
	never_written "etc -> an outside directory" "$out/etc/sysctl.conf" "$out_id" "$out/etc" "$out_ls"
	# sysctl.d climbs out by a relative link.
	r=$tmp/rel-dir
	mkroot "$r"
	rm -rf "$r/etc/sysctl.d"
	ln -s ../../outside/etc "$r/etc/sysctl.d"
	printf 'net.netfilter.nf_conntrack_udp_timeout = 30\n' >"$out/etc/90-ct.conf"
	out_id2=$(fileid "$out/etc/90-ct.conf")
	out_ls=$(ls -A "$out/etc")
	run "$tmp/o.json" udp_timeout=45 --file /etc/sysctl.d/90-ct.conf --root "$r"
	# ".." stops at the root (as in a chroot): the root has no /outside.
	if [ "$rc" = 1 ] && msg "$tmp/o.json" | grep -q '/outside: No such file'; then ok; else
		bad "sysctl.d -> ../../outside: exit $rc: $(head -c 300 "$tmp/o.json")"
	fi
	never_written "sysctl.d -> ../../outside" "$out/etc/90-ct.conf" "$out_id2" "$out/etc" "$out_ls"
	[ "$(fileid "$out/etc/sysctl.conf")" = "$out_id" ] && ok || bad "sysctl.d -> ../../outside: $out/etc/sysctl.conf written"
	# A hard link to a file outside the root (same file system): the root's
	# name gets a new file, the outside file keeps its bytes.
	r=$tmp/hardlink
	mkroot "$r"
	rm "$r/etc/sysctl.conf"
	ln "$out/etc/sysctl.conf" "$r/etc/sysctl.conf"
	run "$tmp/o.json" udp_timeout=45 --root "$r"
	if [ "$rc" = 0 ]; then ok; else bad "hard link: exit $rc: $(head -c 300 "$tmp/o.json")"; fi
	[ "$(fileid "$out/etc/sysctl.conf")" = "$out_id" ] && ok || bad "hard link: the file outside the root was written"
	grep -qx 'net.netfilter.nf_conntrack_udp_timeout = 45' "$r/etc/sysctl.conf" && ok || bad "hard link: the root's file was not written"

	echo "# links inside the root"
	r=$tmp/abs-inside
	mkroot "$r"
	ln -s /etc/sysctl.conf "$r/etc/sysctl.d/90-ct.conf"
	run "$tmp/o.json" udp_timeout=45 --file /etc/sysctl.d/90-ct.conf --root "$r"
	if [ "$rc" = 0 ]; then ok; else bad "sysctl.d/90-ct.conf -> /etc/sysctl.conf inside the root: exit $rc: $(head -c 300 "$tmp/o.json")"; fi
	grep -qx 'net.netfilter.nf_conntrack_udp_timeout = 45' "$r/etc/sysctl.conf" && ok || bad "absolute link inside the root: the root's sysctl.conf was not written"
	[ "$(readlink "$r/etc/sysctl.d/90-ct.conf")" = /etc/sysctl.conf ] && ok || bad "absolute link inside the root: the link was replaced"
	never_written "absolute link inside the root" /etc/sysctl.conf "$host_id" /etc "$host_ls"

	echo "# ownership"
	# A new file in a directory owned by someone else, and in a setgid one.
	for how in other setgid; do
		r=$tmp/new-$how
		mkroot "$r"
		chown nobody:nogroup "$r/etc/sysctl.d"
		[ $how = setgid ] && chmod 2775 "$r/etc/sysctl.d"
		(umask 077 && "$CTUNE" set udp_timeout=45 --file /etc/sysctl.d/90-ct.conf --root "$r" >"$tmp/o.json" 2>&1 </dev/null)
		got=$(stat -c '%a %u:%g' "$r/etc/sysctl.d/90-ct.conf" 2>/dev/null)
		# The caller's owner; the group any file made there gets (a setgid
		# directory's own group, as with cp or an editor).
		want="644 0:0"
		[ $how = setgid ] && want="644 0:$(getent group nogroup | cut -d: -f3)"
		if [ "$got" = "$want" ]; then ok; else bad "new file in a $how directory: mode and owner '$got', wanted '$want'"; fi
	done
	# Existing files keep owner, group, mode bits and extended attributes.
	for mode in 0600 0640 2644 1644 0444 0604; do
		r=$tmp/keep-$mode
		mkroot "$r"
		chown nobody:nogroup "$r/etc/sysctl.conf"
		chmod "$mode" "$r/etc/sysctl.conf"
		run "$tmp/o.json" udp_timeout=45 --root "$r"
		got=$(stat -c '%a %U:%G' "$r/etc/sysctl.conf")
		want="$(printf '%o' "$((8#$mode))") nobody:nogroup"
		if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then ok; else bad "existing file mode $mode: exit $rc, now '$got', wanted '$want'"; fi
	done
	r=$tmp/xattr
	mkroot "$r"
	if $py -c 'import os,sys; os.setxattr(sys.argv[1], "user.ctune-test", b"keep")' "$r/etc/sysctl.conf" 2>/dev/null; then
		run "$tmp/o.json" udp_timeout=45 --root "$r"
		got=$($py -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ctune-test").decode())' "$r/etc/sysctl.conf" 2>&1 | tail -1)
		# The same rewrite drops an SELinux label (security.selinux) and
		# POSIX ACLs (system.posix_acl_access): all are extended attributes.
		if [ "$rc" = 0 ] && [ "$got" = keep ]; then ok; else bad "known bug: extended attributes are dropped by the rewrite (user.ctune-test: $got)"; fi
	else
		skip "extended attributes (user xattrs unsupported on $tmp)"
	fi

	echo "# only the file asked for"
	r=$tmp/only
	mkroot "$r"
	ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	printf 'net.netfilter.nf_conntrack_max = 65536\n' >"$r/etc/sysctl.d/99-zz-override.conf"
	printf 'net.netfilter.nf_conntrack_udp_timeout = 20\n' >"$r/etc/sysctl.d/90-ct.conf"
	printf 'net.netfilter.nf_conntrack_udp_timeout = 9\n' >"$r/usr/lib/sysctl.d/50-vendor.conf"
	printf 'options nf_conntrack hashsize=65536\n' >"$r/etc/modprobe.d/nf_conntrack.conf"
	printf 'nf_conntrack\n' >"$r/etc/modules-load.d/conntrack.conf"
	# only NAME WANTED_CHANGES ARGS...: the listing differs in exactly the
	# named paths (a trailing * matches a backup's stamp).
	only() {
		local name=$1 want=$2
		shift 2
		snap "$r" >"$tmp/before"
		run "$tmp/o.json" "$@" --root "$r"
		snap "$r" >"$tmp/after"
		local changed
		changed=$($py - "$tmp/before" "$tmp/after" <<'PY'
import sys
def entries(p):
    d = {}
    for line in open(p):
        parts = line.split()
        if line.startswith("./"):
            d.setdefault(parts[0], []).append(line)
        else:
            d.setdefault(parts[-1], []).append(line)
    return d
a, b = entries(sys.argv[1]), entries(sys.argv[2])
print(" ".join(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k) and k != ".")))
PY
		)
		local bad_paths="" p pat hit
		for p in $changed; do
			# a directory's mtime changes when a file in it is replaced
			case $p in ./etc | ./etc/sysctl.d) continue ;; esac
			hit=false
			for pat in $want; do
				# shellcheck disable=SC2053
				[[ $p == $pat ]] && hit=true
			done
			$hit || bad_paths="$bad_paths $p"
		done
		if [ "$rc" = 0 ] && [ -z "$bad_paths" ]; then ok; else
			bad "$name: exit $rc; written beyond what was asked ($want):$bad_paths"
		fi
	}
	u=./proc/sys/net/netfilter/nf_conntrack_udp_timeout
	only "sysctl.conf" "./etc/sysctl.conf $u ./proc/sys/net/netfilter/nf_conntrack_max ./proc/sys/net/nf_conntrack_max" \
		udp_timeout=45 max=300000
	only "sysctl.conf through the Debian link" "./etc/sysctl.conf $u" udp_timeout=46 --file /etc/sysctl.d/99-sysctl.conf
	only "a sysctl.d file" "./etc/sysctl.d/90-ct.conf $u" udp_timeout=47 --file /etc/sysctl.d/90-ct.conf
	only "with a backup" "./etc/sysctl.conf ./etc/sysctl.conf.*~ $u" udp_timeout=48 --backup
	only "live only" "$u" udp_timeout=49 --no-persist
	only "file only" "./etc/sysctl.conf" udp_timeout=51 --no-live
	only "check mode" "" udp_timeout=50 --check

	# Boot files: on a systemd host max and buckets also go to
	# modules-load.d / modprobe.d.  Exactly the files the response names
	# change (each new one 0644 and root's); the other modprobe.d and
	# modules-load.d files do not.
	r=$tmp/boot
	mkroot "$r"
	mkdir -p "$r/lib/systemd" "$r/sys/module/nf_conntrack/parameters"
	touch "$r/lib/systemd/systemd-sysctl" "$r/lib/systemd/systemd-modules-load"
	echo 65536 >"$r/proc/sys/net/netfilter/nf_conntrack_buckets"
	echo 65536 >"$r/sys/module/nf_conntrack/parameters/hashsize"
	ln -s ../sysctl.conf "$r/etc/sysctl.d/99-sysctl.conf"
	printf 'options bonding max_bonds=2\n' >"$r/etc/modprobe.d/bonding.conf"
	printf 'bridge\n' >"$r/etc/modules-load.d/bridge.conf"
	snap "$r" >"$tmp/before"
	run "$tmp/o.json" max=1000000 buckets=131072 --root "$r"
	snap "$r" >"$tmp/after"
	if [ "$rc" = 0 ]; then ok; else bad "boot files: exit $rc: $(head -c 400 "$tmp/o.json")"; fi
	res=$($py - "$tmp/before" "$tmp/after" "$tmp/o.json" "$r" <<'PY'
import json, os, stat, sys
def entries(p):
    d = {}
    for line in open(p):
        parts = line.split()
        d.setdefault(parts[0] if line.startswith("./") else parts[-1], []).append(line)
    return d
a, b = entries(sys.argv[1]), entries(sys.argv[2])
d = json.load(open(sys.argv[3]))
named = {"." + t["file"] for t in d.get("tunables", {}).values() if t.get("persist_changed") and t.get("file")}
named |= {"./etc/sysctl.conf"} if any(t.get("file") == "/etc/sysctl.d/99-sysctl.conf" for t in d["tunables"].values()) else set()
changed = {k for k in set(a) | set(b) if a.get(k) != b.get(k) and k not in (".", "./etc", "./etc/sysctl.d", "./etc/modprobe.d", "./etc/modules-load.d")}
files = {k for k in changed if not k.startswith(("./proc/", "./sys/"))}
problems = []
if files != named:
    problems.append(f"files changed {sorted(files)} != named in the response {sorted(named)}")
for k in files:
    if not k.startswith(("./etc/sysctl", "./etc/modprobe.d/", "./etc/modules-load.d/")):
        problems.append(f"{k} is no sysctl, modprobe.d or modules-load.d file")
    if k not in a:
        st = os.stat(os.path.join(sys.argv[4], k))
        if (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) != (0o644, 0, 0):
            problems.append(f"new {k}: mode {oct(stat.S_IMODE(st.st_mode))} owner {st.st_uid}:{st.st_gid}")
print("; ".join(problems) or "ok")
PY
	)
	if [ "$res" = ok ]; then ok; else bad "boot files: $res"; fi
	finish
fi

# ============================ outside: the host ==============================
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (a private mount namespace shields the host's /etc)" >&2
	exit 77
fi
if ! unshare -m true 2>/dev/null; then
	echo "SKIP: unshare -m is not permitted here" >&2
	exit 77
fi
[ -x $py ] || {
	echo "SKIP: needs $py" >&2
	exit 77
}
tmp=$(mktemp -d /tmp/ctune-privileges-XXXXXX)
chmod 0755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skipped=0

host_etc() {
	for f in /etc/sysctl.conf /etc/sysctl.d /etc/modprobe.d /etc/modules-load.d; do
		[ -e "$f" ] && find "$f" -printf '%p %y %m %u %i %s %T@ %l\n' && find "$f" -type f -exec sha256sum {} +
	done 2>/dev/null | LC_ALL=C sort
	ls -A /etc
}
host_etc >"$tmp/host.before"
unshare -m bash "$0" --inner "$tmp" >"$tmp/inner.out" 2>&1
grep -v '^INNER ' "$tmp/inner.out"
if read -r _ p f s < <(grep '^INNER ' "$tmp/inner.out" | tail -1); then
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
else
	fail=$((fail + 1))
	echo "FAIL: the namespace part did not finish"
fi
host_etc >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then pass=$((pass + 1)); else
	fail=$((fail + 1))
	echo "FAIL: the host's /etc changed: $(diff "$tmp/host.before" "$tmp/host.after" | head -5 | tr '\n' '|')"
fi
if grep -q " /etc " /proc/self/mountinfo && grep " /etc " /proc/self/mountinfo | grep -q ctune-privileges; then
	fail=$((fail + 1))
	echo "FAIL: the scratch /etc leaked into the host's mount namespace"
else
	pass=$((pass + 1))
fi
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
