#!/usr/bin/env bash
# hostile.test.sh - hostile requests change nothing (issue 7).
#
# Every case in tests/data/hostile/cases.tsv (malformed, truncated and
# non-object JSON, duplicate keys, wrong types, unknown options, numbers out
# of range, bad durations, values carrying newlines, '#', '=' or NUL, keys
# shaped like paths or globs, bad roots and files, args files that are
# missing, unreadable, empty, a directory, a FIFO or 50 MB, invalid UTF-8, a
# closed stdin ...) must give:
#   - exactly one JSON object on stdout, with failed: true, changed: false
#     and a msg containing the case's substring;
#   - the case's (non-zero) exit status, within 10 seconds;
#   - the root tree exactly as it was: listing with type, mode, owner,
#     inode, size, mtime and link target, and the checksum of every file;
#   - live values exactly as they were.
# Each case runs against a scratch root whose proc/sys holds plain files
# (the live values are then part of the tree).  As root, the whole run is
# inside a private network and mount namespace, and every case that names a
# root runs a second time against a root with /proc bound in as its proc, so
# the real (namespace's) /proc/sys/net values are compared too; the host's
# /etc/sysctl.conf and /etc/sysctl.d are covered by scratch bind mounts
# there, so even a case that slipped through could not reach them, and they
# are checksummed before and after from outside.
#
# Needs $CTUNE (and $CTUNE_REAL for the case run as nobody), $CTUNE_TESTS,
# python3.  Skipped pieces are counted and named.
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
py=/usr/bin/python3
[ -x $py ] || {
	echo "SKIP: needs $py" >&2
	exit 77
}
tmp=$(mktemp -d /tmp/ctune-hostile-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"

cat >"$tmp/driver.py" <<'PY'
import codecs, hashlib, json, os, shutil, stat, subprocess, sys

cases_file, tmp, netns = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
ctune, real = os.environ["CTUNE"], os.environ.get("CTUNE_REAL", "")
passed = failed = skipped = 0

def ok():
    global passed
    passed += 1

def bad(msg):
    global failed
    failed += 1
    print("FAIL:", msg)

def skip(msg):
    global skipped
    skipped += 1
    print("SKIP:", msg)

def unescape(s):
    return codecs.escape_decode(s.encode())[0]

# --- the scratch root: proc/sys as plain files, a lived-in etc/ ------------
def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)

root = os.path.join(tmp, "root")
nf = os.path.join(root, "proc/sys/net/netfilter/nf_conntrack_")
write(os.path.join(root, "proc/sys/kernel/osrelease"), "6.1.0-18-amd64\n")
for k, v in {"max": 262144, "buckets": 65536, "tcp_timeout_established": 432000, "udp_timeout": 30,
             "udp_timeout_stream": 120, "icmp_timeout": 30, "generic_timeout": 600, "acct": 0,
             "frag6_low_thresh": 3145728, "frag6_high_thresh": 4194304}.items():
    write(nf + k, f"{v}\n")
write(nf + "count", "17\n", 0o444)
write(os.path.join(root, "proc/sys/net/nf_conntrack_max"), "262144\n")
write(os.path.join(root, "etc/sysctl.conf"),
      "# hostile.test.sh\nnet.ipv4.ip_forward = 1\nnet.netfilter.nf_conntrack_udp_timeout = 30\n")
write(os.path.join(root, "etc/sysctl.d/90-conntrack.conf"), "-net/netfilter/nf_conntrack_max = 262144\n", 0o640)
os.symlink("../sysctl.conf", os.path.join(root, "etc/sysctl.d/99-sysctl.conf"))
write(os.path.join(root, "etc/modprobe.d/nf_conntrack.conf"), "options nf_conntrack hashsize=65536\n")
write(os.path.join(root, "etc/modules-load.d/conntrack.conf"), "nf_conntrack\n")

# A second root for the namespace: proc is this namespace's /proc.
nsroot = os.path.join(tmp, "nsroot")
if netns:
    shutil.copytree(os.path.join(root, "etc"), os.path.join(nsroot, "etc"), symlinks=True)
    # This namespace's /proc, bound in: ctune never follows a link out of
    # the root, so a link to /proc would be the image's own proc.
    os.makedirs(os.path.join(nsroot, "proc"))
    subprocess.run(["mount", "--bind", "/proc", os.path.join(nsroot, "proc")], check=True)

noroot = os.path.join(tmp, "does-not-exist")
fileroot = os.path.join(tmp, "a-file")
write(fileroot, "not a directory\n")
linkroot = os.path.join(tmp, "link-to-file")
os.symlink(fileroot, linkroot)
longroot = "/" + "a" * 5000

def snap(top):
    """Every entry under top: type, mode, owner, inode, size, mtime, link, sha256."""
    out = []
    for d, dirs, files in os.walk(top, followlinks=False):
        dirs.sort()
        dirs[:] = [x for x in dirs if not os.path.ismount(os.path.join(d, x))]  # a bound-in /proc
        for name in [""] + sorted(files + [x for x in dirs if os.path.islink(os.path.join(d, x))]):
            p = os.path.join(d, name) if name else d
            st = os.lstat(p)
            line = [os.path.relpath(p, top), stat.filemode(st.st_mode), st.st_uid, st.st_gid, st.st_ino,
                    st.st_size, st.st_mtime_ns]
            if stat.S_ISLNK(st.st_mode):
                line.append(os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                line.append(hashlib.sha256(open(p, "rb").read()).hexdigest())
            out.append(tuple(line))
    return out

LIVE_DIRS = ["/proc/sys/net/netfilter", "/proc/sys/net/ipv4/conf/all", "/proc/sys/net/ipv6/conf/all"]
def live():
    """This namespace's conntrack and forwarding values (netns runs only)."""
    vals = {}
    for d in LIVE_DIRS:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            try:
                if os.stat(p).st_mode & 0o444:
                    vals[p] = open(p).read()
            except OSError:
                pass
    for p in ["/proc/sys/net/ipv4/ip_forward"]:
        vals[p] = open(p).read()
    return vals

def diff(a, b):
    sa, sb = set(a), set(b)
    return [f"- {x}" for x in sorted(sa - sb, key=str)][:5] + [f"+ {x}" for x in sorted(sb - sa, key=str)][:5]

# --- one case ---------------------------------------------------------------
def subst(b, r):
    for k, v in ((b"@ROOT@", r), (b"@NOROOT@", noroot), (b"@FILEROOT@", fileroot), (b"@LINKROOT@", linkroot),
                 (b"@LONGROOT@", longroot), (b"@LONGNAME@", "x" * 100)):
        b = b.replace(k, v.encode())
    return b

def invocation(how, data, r, name):
    """(argv, stdin bytes or a file object or None, extra popen kwargs)"""
    d = os.path.join(tmp, "case-" + name)
    os.makedirs(d, exist_ok=True)
    if how == "stdin":
        return [ctune], subst(data, r), {}
    if how == "args":
        p = os.path.join(d, "args.json")
        open(p, "wb").write(subst(data, r))
        return [ctune, p], b"", {}
    if how == "argv":
        args = json.loads(subst(data, r).decode("utf-8", "surrogateescape"), strict=False)
        return [ctune] + args, b"", {}
    kind = data.decode()
    if kind == "stdin-closed":
        return ["bash", "-c", 'exec "$0" <&-', ctune], None, {}
    if kind == "stdin-empty":
        return [ctune], b"", {}
    if kind == "stdin-endless":
        return [ctune], open("/dev/zero", "rb"), {}
    if kind == "stdin-deep":
        return [ctune], b'{"udp_timeout": ' + b"[" * 100000 + b"]" * 100000 + b"}", {}
    if kind == "args-missing":
        return [ctune, os.path.join(d, "missing.json")], b"", {}
    if kind == "args-empty":
        p = os.path.join(d, "empty.json")
        open(p, "wb").close()
        return [ctune, p], b"", {}
    if kind == "args-dir":
        return [ctune, d], b"", {}
    if kind == "args-devnull":
        return [ctune, "/dev/null"], b"", {}
    if kind == "args-devzero":
        return [ctune, "/dev/zero"], b"", {}
    if kind == "args-socket":
        import socket
        p = os.path.join(d, "sock")
        if not os.path.exists(p):
            socket.socket(socket.AF_UNIX).bind(p)
        return [ctune, p], b"", {}
    if kind == "args-fifo":
        p = os.path.join(d, "fifo")
        if not os.path.exists(p):
            os.mkfifo(p)
        return [ctune, p], b"", {}
    if kind == "args-big":
        p = os.path.join(d, "big.json")
        with open(p, "wb") as f:
            f.write(b'{"udp_timeout": 45, "root": "' + r.encode() + b'", "pad": "')
            chunk = b"x" * (1 << 20)
            for _ in range(50):
                f.write(chunk)
            f.write(b'"}')
        return [ctune, p], b"", {}
    if kind == "args-unreadable":
        p = os.path.join(d, "secret.json")
        open(p, "wb").write(b'{"udp_timeout": 45, "root": "' + r.encode() + b'"}')
        os.chmod(p, 0)
        if os.geteuid() != 0:
            return [ctune, p], b"", {}
        # Root reads any file: run as nobody, where mode 000 really refuses.
        # The real binary: the logging wrapper could not write its copy.
        if not real or not shutil.which("setpriv"):
            return None, None, {}
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", real, p], b"", {}
    raise SystemExit(f"unknown special case {kind}")

def run_case(name, how, want_rc, needle, data, r, where):
    argv, stdin, kw = invocation(how, data, r, name)
    label = f"{name} [{where}]"
    if argv is None:
        skip(f"{label}: needs setpriv and CTUNE_REAL")
        return
    tree0 = snap(r) if os.path.isdir(r) and not os.path.islink(r) else None
    etc0 = snap(os.path.join(r, "etc")) if where == "netns" else None
    live0 = live() if where == "netns" else None
    # A session of its own: a hung ctune under the logging wrapper is killed
    # with the wrapper, not left behind.
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if isinstance(stdin, bytes) else
                         stdin if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **kw)
    try:
        p.stdout_bytes, p.stderr_bytes = p.communicate(stdin if isinstance(stdin, bytes) else None, timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        bad(f"{label}: no answer within 10 s (ctune hangs)")
        return
    finally:
        if hasattr(stdin, "close"):
            stdin.close()
    p.stdout, p.stderr = p.stdout_bytes, p.stderr_bytes
    out = p.stdout.decode("utf-8", "replace")
    problems = []
    if p.returncode != want_rc:
        problems.append(f"exit {p.returncode}, wanted {want_rc}")
    try:
        d = json.loads(out)
        if not isinstance(d, dict):
            problems.append("stdout is not one JSON object")
        elif d.get("failed") is not True or d.get("changed", False) is not False:
            problems.append("not failed:true/changed:false")
        elif subst(needle, r).decode("utf-8", "surrogateescape") not in str(d.get("msg", "")):
            problems.append(f"msg does not contain {needle!r}")
        elif set(d) & {"tunables", "diff", "backup_file", "ansible_facts", "check_mode"}:
            problems.append(f"an error that reports work: {sorted(set(d) & {'tunables', 'diff', 'backup_file', 'ansible_facts', 'check_mode'})}")
    except ValueError as e:
        problems.append(f"stdout is not exactly one JSON document ({e})")
    if tree0 is not None and snap(r) != tree0:
        problems.append("the root tree changed: " + "; ".join(diff(tree0, snap(r))))
    if etc0 is not None and snap(os.path.join(r, "etc")) != etc0:
        problems.append("etc/ changed")
    if live0 is not None and live() != live0:
        problems.append("live values changed: " + ", ".join(k for k in live0 if live().get(k) != live0[k]))
    if problems:
        bad(f"{label}: " + "; ".join(problems) + f"\n    stdout: {out[:600]!r}\n    stderr: {p.stderr[:300]!r}")
    else:
        ok()

cases = []
for n, line in enumerate(open(cases_file, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    f = line.split("\t")
    if len(f) != 5 or f[1] not in ("stdin", "args", "argv", "special") or not f[2].isdigit():
        bad(f"cases.tsv line {n}: malformed: {line!r}")
        continue
    cases.append((f[0], f[1], int(f[2]), unescape(f[3]), unescape(f[4])))
names = [c[0] for c in cases]
if len(set(names)) != len(names):
    bad("cases.tsv: duplicate case names")
if len(cases) >= 60:
    ok()
else:
    bad(f"only {len(cases)} cases (issue 7 asks for at least 60)")

for name, how, rc, needle, data in cases:
    run_case(name, how, rc, needle, data, root, "files")
    # The same request against the namespace's own /proc.
    if netns and (b"@ROOT@" in data or data in (b"args-big", b"args-unreadable")):
        run_case(name, how, rc, needle, data, nsroot, "netns")

print(f"CASES {len(cases)}")
print(f"DRIVER {passed} {failed} {skipped}")
PY

# The host files a stray write could reach, as they are now.
host_files() {
	local f
	for f in /etc/sysctl.conf /etc/sysctl.d /etc/modprobe.d /etc/modules-load.d; do
		[ -e "$f" ] && find "$f" -printf '%p %y %m %u %i %s %T@ %l\n'
		[ -e "$f" ] && find "$f" -type f -exec sha256sum {} +
	done 2>/dev/null | LC_ALL=C sort
}
host_files >"$tmp/host.before"

cases=$CTUNE_TESTS/data/hostile/cases.tsv
netns=0
if [ "$(id -u)" = 0 ] && unshare -mn true 2>/dev/null; then
	netns=1
	# shellcheck disable=SC2016
	unshare -mn bash -c '
		set -e
		host_ns=$1 tmp=$2
		[ "$(readlink /proc/self/ns/net)" != "$host_ns" ]
		# The host files, behind scratch copies in this mount namespace.
		mkdir -p "$tmp/shield/sysctl.d"
		mount -t tmpfs -o size=1m,mode=0755 ctune-hostile-shield "$tmp/shield"
		mkdir -p "$tmp/shield/sysctl.d"
		[ -d /etc/sysctl.d ] && mount --bind "$tmp/shield/sysctl.d" /etc/sysctl.d
		if [ -f /etc/sysctl.conf ]; then
			cp /etc/sysctl.conf "$tmp/shield/sysctl.conf"
			mount --bind "$tmp/shield/sysctl.conf" /etc/sysctl.conf
		fi
		set +e
		$0 "$tmp/driver.py" "$3" "$tmp" 1
	' $py "$(readlink /proc/self/ns/net)" "$tmp" "$cases" >"$tmp/driver.out" 2>&1
else
	echo "SKIP: not root (or no unshare -mn): the namespace runs against /proc are left out"
	$py "$tmp/driver.py" "$cases" "$tmp" 0 >"$tmp/driver.out" 2>&1
fi
grep -v -e '^DRIVER ' -e '^CASES ' "$tmp/driver.out"
pass=0 fail=0 skipped=0
if read -r _ p f s < <(grep '^DRIVER ' "$tmp/driver.out"); then
	pass=$p fail=$f skipped=$s
else
	fail=1
	echo "FAIL: the driver did not finish"
fi

host_files >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: the host's own sysctl/modprobe files changed:"
	diff "$tmp/host.before" "$tmp/host.after" | head -10 | sed 's/^/    /'
fi
if mount | grep -q ctune-hostile-shield; then
	fail=$((fail + 1))
	echo "FAIL: a test mount leaked into the host's mount namespace"
else
	pass=$((pass + 1))
fi

echo "$(grep '^CASES ' "$tmp/driver.out" | cut -d' ' -f2) cases; netns runs: $([ $netns = 1 ] && echo yes || echo no)"
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
