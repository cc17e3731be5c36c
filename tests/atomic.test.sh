#!/usr/bin/env bash
# atomic.test.sh - a request is applied whole or not at all, across files,
# across a kill -9, across concurrent runs, and a hostile image cannot turn
# ctune's own journal against it (issue 14).  The cases:
#   two files, the second rename fails (EIO): the first is put back, the
#     live values too, and the etc/modprobe.d the run created is removed
#   ESTALE: an admin edits modprobe.d/ctune.conf while the run commits: the
#     sysctl file already renamed is put back, the admin's edit is kept
#   kill -9 at every rename and link: the next run (facts, or set) repairs
#     from the journal and says so; set then applies the request
#   --backup killed at every write: no partial backup under a real name
#   a failed read-back after a live write that succeeded is undone
#   one lock object per root (the root directory), etc/ there or not; 20
#     parallel runs on a root without etc/: every run succeeds
#   lens problems (a directory or FIFO named like a lens, EIO reading one):
#     one JSON object, exit 1, nothing changed
#   hostile journals (garbage, a FIFO, a link out of the root, a key that is
#     not a conntrack tunable, a path with ".."): refused, nothing done
#   stale .NAME.ctune-* files of a killed run are removed by the next set
#   more than 255 sysctl files: set handles what facts reads
#   a large sysctl file (0.25 MiB): set in well under the old 4 s
# Runs as root inside a private mount and network namespace (unshare -mn);
# skipped without strace or python3.
set -u
: "${CTUNE_REAL:=${CTUNE:?}}"
py=/usr/bin/python3
. "$(dirname "$0")/lib.sh"
strace_in_private_ns "$0" "${1:-}"

exec $py - "$CTUNE_REAL" "${CTUNE_TESTS:-$(dirname "$0")}" <<'PY'
import atexit, json, os, shutil, stat, subprocess, sys, tempfile, hashlib, re, time, concurrent.futures

ctune, tests = sys.argv[1], sys.argv[2]
NF = "proc/sys/net/netfilter/nf_conntrack_"
tmp = tempfile.mkdtemp(prefix="ctune-atomic-")
os.chmod(tmp, 0o755)
atexit.register(shutil.rmtree, tmp, True)  # also when the test itself fails
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond


def put(r, p, text, mode=0o644):
    path = os.path.join(r, p)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def mkroot(name, etc=True):
    r = os.path.join(tmp, name)
    shutil.rmtree(r, ignore_errors=True)
    os.makedirs(os.path.join(r, "proc/sys/net/netfilter"))
    put(r, "proc/sys/kernel/osrelease", "6.1.0-18-amd64\n")
    for k, v in (("max", 262144), ("buckets", 65536), ("udp_timeout", 30), ("tcp_timeout_established", 432000)):
        put(r, NF + k, "%d\n" % v)
    put(r, NF + "count", "17\n", 0o444)
    put(r, "sys/module/nf_conntrack/parameters/hashsize", "65536\n", 0o600)
    if etc:
        put(r, "etc/sysctl.conf", "# atomic\nnet.ipv4.ip_forward = 1\n")
        os.makedirs(os.path.join(r, "etc/sysctl.d"))
    return r


def state(r):
    out = []
    for dirpath, dirs, files in os.walk(r):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, r)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out.append((rel, "l", os.readlink(p)))
            elif stat.S_ISDIR(st.st_mode):
                out.append((rel, "d", st.st_mode & 0o7777))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    out.append((rel, "f", st.st_mode & 0o7777, hashlib.sha256(f.read()).hexdigest()))
            else:
                out.append((rel, "other"))
    return out


def strays(r):
    pat = re.compile(r"(^\..*\.ctune-|ctune-journal|~$)")
    return [os.path.relpath(os.path.join(d, n), r) for d, _, fs in os.walk(r) for n in fs if pat.search(n)]


def run(args, env=None, timeout=60, strace=None):
    cmd = ([ "strace", "-f", "-o", "/dev/null"] + strace if strace else []) + [ctune] + args
    e = dict(os.environ, **(env or {}))
    if strace:  # LeakSanitizer cannot run under ptrace (an ASan build)
        e["ASAN_OPTIONS"] = e.get("ASAN_OPTIONS", "") + ":detect_leaks=0"  # the last setting wins
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
    except subprocess.TimeoutExpired:  # a hang is a failure like any other
        r = subprocess.CompletedProcess(cmd, "hung", "", "hung for %d s" % timeout)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        d = None
    return r.returncode, d, r


def fails_cleanly(name, rc, d, r):
    check(rc == 1, "%s: exit %s, wanted 1 (%s %s)" % (name, rc, r.stdout[:300], r.stderr[:300]))
    check(isinstance(d, dict) and d.get("failed") is True and d.get("changed") is False,
          "%s: not one JSON failure: %r" % (name, r.stdout[:300]))
    return d.get("msg", "") if isinstance(d, dict) else ""


REQ = ["set", "max=300000", "buckets=131072", "udp_timeout=60", "--format", "json"]

# --- two files, the second rename fails ---------------------------------------
r = mkroot("rename")
old = state(r)
rc, d, p = run(REQ + ["--root", r], strace=["-e", "inject=rename:error=EIO:when=2"])
msg = fails_cleanly("second rename fails", rc, d, p)
# glibc says "Input/output error", musl (the static build) "I/O error"
check("/etc/" in msg and ("Input/output error" in msg or "I/O error" in msg), "second rename fails: message: %s" % msg)
check(state(r) == old, "second rename fails: not all as before: %s" % [x for x in state(r) if x not in old][:4])
check(not os.path.exists(os.path.join(r, "etc/modprobe.d")), "second rename fails: etc/modprobe.d left behind")

# --- ESTALE: an admin edits modprobe.d/ctune.conf while the run commits ------
r = mkroot("estale")
put(r, "etc/modprobe.d/ctune.conf", "options nf_conntrack hashsize=65536\n")
old = state(r)
# The sysctl file's rename (the first) waits 1.5 s; meanwhile the admin writes.
proc = subprocess.Popen(["strace", "-f", "-o", "/dev/null", "-e", "inject=rename:delay_enter=1500000:when=1",
                         ctune] + REQ + ["--root", r], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
time.sleep(0.8)
with open(os.path.join(r, "etc/modprobe.d/ctune.conf"), "a") as f:
    f.write("# admin was here\n")
out, err = proc.communicate(timeout=60)
try:
    d = json.loads(out)
except ValueError:
    d = None
msg = fails_cleanly("ESTALE", proc.returncode, d, subprocess.CompletedProcess([], proc.returncode, out, err))
check("changed on disk" in msg, "ESTALE: message: %s" % msg)
with open(os.path.join(r, "etc/sysctl.conf")) as f:
    check(f.read() == "# atomic\nnet.ipv4.ip_forward = 1\n", "ESTALE: the sysctl file stays new")
with open(os.path.join(r, "etc/modprobe.d/ctune.conf")) as f:
    check(f.read().endswith("# admin was here\n"), "ESTALE: the admin's edit is lost")
check(open(os.path.join(r, NF + "max")).read() == "262144\n", "ESTALE: the live value stays new")
check(not strays(r), "ESTALE: left behind: %s" % strays(r))

# --- kill -9 at every rename and link; the next run repairs ------------------
r = mkroot("reference")
run(REQ + ["--root", r])
new = state(r)
for call, n in (("rename", 4), ("link", 1), ("linkat", 1), ("unlink", 3)):
    for when in range(1, n + 1):
        for repair in ("facts", "set"):
            name = "kill at %s #%d, then %s" % (call, when, repair)
            r = mkroot("kill")
            old = state(r)
            rc, d, p = run(REQ + ["--root", r], strace=["-e", "inject=%s:signal=KILL:when=%d" % (call, when)])
            if rc not in (-9, 137):
                continue  # the request made fewer such calls
            pending = os.path.exists(os.path.join(r, "etc/.ctune-journal"))
            if repair == "facts":
                rc, d, p = run(["facts", "--format", "json", "--root", r])
                check(rc == 0 and isinstance(d, dict), "%s: facts failed: %s" % (name, p.stdout[:300]))
                now = state(r)
                check(not strays(r), "%s: left behind: %s" % (name, strays(r)))
                check(now == old or now == new, "%s: half done after the repair" % name)
            else:
                rc, d, p = run(REQ + ["--root", r])
                check(rc == 0 and isinstance(d, dict), "%s: set failed: %s" % (name, p.stdout[:300]))
                check(not strays(r), "%s: left behind: %s" % (name, strays(r)))
                check(open(os.path.join(r, NF + "max")).read() == "300000\n", "%s: not applied" % name)
            warned = isinstance(d, dict) and any("interrupted" in w for w in d.get("warnings", []))
            check(warned == pending, "%s: the repair is %ssaid: %s" % (name, "not " if pending else "wrongly ", d and d.get("warnings")))

# --- --backup killed at every write: no partial backup under a real name -----
for when in range(1, 12):
    r = mkroot("bk")
    put(r, "etc/sysctl.conf", "# atomic\n" + "".join("net.ipv4.conf.x%d.rp_filter = 1\n" % i for i in range(4000)))
    old = state(r)
    rc, d, p = run(REQ + ["--backup", "--root", r], strace=["-e", "inject=write:signal=KILL:when=%d" % when])
    if rc not in (-9, 137):
        break
    run(["facts", "--format", "json", "--root", r])
    backups = [n for n in os.listdir(os.path.join(r, "etc")) if n.endswith("~")]
    left = [n for n in strays(r) if not n.endswith("~")]
    check(not left, "backup killed at write #%d: left behind: %s" % (when, left))
    conf = open(os.path.join(r, "etc/sysctl.conf")).read()
    if backups:  # only with the request done, and then whole
        orig = "# atomic\n" + "".join("net.ipv4.conf.x%d.rp_filter = 1\n" % i for i in range(4000))
        check(len(backups) == 1 and open(os.path.join(r, "etc", backups[0])).read() == orig,
              "backup killed at write #%d: a partial backup" % when)
        check("300000" in conf, "backup killed at write #%d: a backup of a request not done" % when)
    else:
        check(state(r) == old, "backup killed at write #%d: not all as before" % when)

# --- a failed read-back after a live write that succeeded is undone ---------
r = mkroot("readback")
old = state(r)
key = os.path.join(r, NF + "udp_timeout")
undone = False
for when in range(3, 7):
    r = mkroot("readback")
    # EACCES: not the EIO of a value read back wrong, the one error the
    # old undo journal took for "written"
    rc, d, p = run(REQ + ["--root", r], strace=["-P", key, "-e", "inject=read:error=EACCES:when=%d" % when])
    if rc == 0:
        continue
    fails_cleanly("read-back EACCES #%d" % when, rc, d, p)
    check(state(r) == old, "read-back EACCES #%d: not all as before: %s" % (when, [x for x in state(r) if x not in old][:3]))
    undone = True
check(undone, "read-back: no failing read-back was made")

# --- one lock per root, whatever exists under it -----------------------------
# The lock is the root directory itself: a holder of it makes a run wait
# (and here give up after 1 s), with etc/ there or not.
for with_etc in (True, False):
    r = mkroot("lock", etc=with_etc)
    old = state(r)
    holder = subprocess.Popen(["flock", r, "sleep", "5"])
    time.sleep(0.3)
    args = ["set", "max=300000", "--format", "json", "--lock-timeout", "1s", "--root", r]
    rc, d, p = run(args + ([] if with_etc else ["--no-persist"]))
    holder.kill()
    holder.wait()
    msg = fails_cleanly("lock held, etc/ %s" % ("there" if with_etc else "missing"), rc, d, p)
    check("lock" in msg, "lock held: message: %s" % msg)
    check(state(r) == old, "lock held, etc/ %s: something changed" % ("there" if with_etc else "missing"))

# --- 20 parallel runs on a root without etc/ ---------------------------------
# Live only: each run creates etc/ for its journal and removes it again;
# with a lock that followed etc/, runs locked different objects.
r = mkroot("parallel", etc=False)
def one(i):
    return run(["set", "max=%d" % (300000 + i), "udp_timeout=%d" % (100 + i), "--no-persist", "--format", "json",
                "--root", r, "--lock-timeout", "60s"])
with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
    results = list(ex.map(one, range(20)))
bad = [(rc, p.stdout[:200]) for rc, d, p in results if rc != 0]
check(not bad, "parallel, no etc/: %d of 20 runs failed: %s" % (len(bad), bad[:2]))
check(not os.path.exists(os.path.join(r, "etc")), "parallel, no etc/: etc/ left behind")
mx = int(open(os.path.join(r, NF + "max")).read())
ut = int(open(os.path.join(r, NF + "udp_timeout")).read())
check(mx - 300000 == ut - 100, "parallel, no etc/: max %d and udp_timeout %d from different runs" % (mx, ut))

# The same with files, etc/modprobe.d created by the first run.
r = mkroot("parallel2")
def two(i):
    return run(["set", "buckets=%d" % (131072 + 512 * i), "udp_timeout=%d" % (100 + i), "--format", "json",
                "--root", r, "--lock-timeout", "60s"])
with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
    results = list(ex.map(two, range(20)))
bad = [(rc, p.stdout[:200]) for rc, d, p in results if rc != 0]
check(not bad, "parallel: %d of 20 runs failed: %s" % (len(bad), bad[:2]))
conf = open(os.path.join(r, "etc/sysctl.conf")).read()
check(conf.count("nf_conntrack_udp_timeout") == 1, "parallel: sysctl.conf says udp_timeout %d times" % conf.count("nf_conntrack_udp_timeout"))
check(not strays(r), "parallel: left behind: %s" % strays(r))

# --- lens problems ------------------------------------------------------------
lensdir = os.path.join(tmp, "lenses")
for kind in ("dir", "fifo", "eio"):
    shutil.rmtree(lensdir, ignore_errors=True)
    os.makedirs(lensdir)
    name = "lens %s" % kind
    if kind == "dir":
        os.makedirs(os.path.join(lensdir, "modules_load.aug"))
    elif kind == "fifo":
        os.mkfifo(os.path.join(lensdir, "util.aug"))
    else:
        shutil.copy(os.path.join(tests, "..", "lenses", "modules_load.aug"), lensdir)
    r = mkroot("lens")
    old = state(r)
    st = ["-P", os.path.join(lensdir, "modules_load.aug"), "-e", "inject=read,readv:error=EIO:when=1"] if kind == "eio" else None
    rc, d, p = run(REQ + ["--ensure-module", "yes", "--root", r], env={"CTUNE_LENS_DIR": lensdir}, timeout=20, strace=st)
    msg = fails_cleanly(name, rc, d, p)
    check("lens" in msg, "%s: message: %s" % (name, msg))
    check(state(r) == old, "%s: something changed" % name)

# --- hostile journals ----------------------------------------------------------
outside = os.path.join(tmp, "outside")
put(tmp, "outside/victim.conf", "precious\n")
cases = {
    "garbage": "hello\n",
    "no end": "ctune-journal 1\nstate rollback\nfile 1 /etc/sysctl.conf\n",
    "dotdot": "ctune-journal 1\nstate rollback\nfile 0 /etc/../../outside/victim.conf\nend\n",
    "not conntrack": "ctune-journal 1\nstate rollback\nlive net.ipv4.ip_forward 1\nend\n",
    "negative": "ctune-journal 1\nstate rollback\nlive net.netfilter.nf_conntrack_max -5\nend\n",
}
for name, text in list(cases.items()) + [("fifo", None), ("link out", None)]:
    r = mkroot("hostile")
    j = os.path.join(r, "etc/.ctune-journal")
    if name == "fifo":
        os.mkfifo(j)
    elif name == "link out":
        os.symlink(os.path.join(outside, "victim.conf"), j)
    else:
        put(r, "etc/.ctune-journal", text, 0o600)
    old = state(r)
    rc, d, p = run(REQ + ["--root", r], timeout=20)
    msg = fails_cleanly("hostile journal %s: set" % name, rc, d, p)
    check("ctune-journal" in msg, "hostile journal %s: message: %s" % (name, msg))
    check(state(r) == old, "hostile journal %s: set changed something" % name)
    rc, d, p = run(["facts", "--format", "json", "--root", r], timeout=20)
    check(rc == 0 and isinstance(d, dict) and any("ctune-journal" in w for w in d.get("warnings", [])),
          "hostile journal %s: facts: %s" % (name, p.stdout[:300]))
    check(state(r) == old, "hostile journal %s: facts changed something" % name)
    check(open(os.path.join(outside, "victim.conf")).read() == "precious\n", "hostile journal %s: outside file" % name)

# A journal of this version that really is a repair to make: a key's value
# and a new file to remove, as if a run was killed after its renames.
r = mkroot("replay")
old = state(r)
put(r, NF + "max", "300000\n")
put(r, "etc/modprobe.d/ctune.conf", "options nf_conntrack hashsize=131072\n")
put(r, "etc/.ctune-journal", "ctune-journal 1\nstate rollback\ndir /etc/modprobe.d\nfile 0 /etc/modprobe.d/ctune.conf\n"
    "live net.netfilter.nf_conntrack_max 262144\nend\n", 0o600)
rc, d, p = run(["facts", "--format", "json", "--root", r])
check(rc == 0 and state(r) == old, "replay: not repaired: %s" % [x for x in state(r) if x not in old][:3])

# --- stale temporary files of a killed run --------------------------------------
r = mkroot("stale")
for n in (".sysctl.conf.ctune-Ab12Cd", ".sysctl.conf.ctune-new", ".sysctl.conf.ctune-old"):
    put(r, "etc/" + n, "junk\n")
rc, d, p = run(REQ + ["--root", r])
check(rc == 0, "stale: set failed: %s" % p.stdout[:300])
check(not strays(r), "stale: left behind: %s" % strays(r))

# --- more than 255 sysctl files ---------------------------------------------------
r = mkroot("many")
for i in range(300):
    put(r, "etc/sysctl.d/%03d-x.conf" % i, "net.ipv4.conf.x%d.rp_filter = 1\n" % i)
put(r, "etc/sysctl.d/999-late.conf", "net.netfilter.nf_conntrack_udp_timeout = 5\n")
rc, d, p = run(["set", "udp_timeout=60", "--file", "/etc/sysctl.d/500-ct.conf", "--format", "json", "--root", r])
check(rc == 0, "300 files: set failed: %s" % p.stdout[:300])
check(isinstance(d, dict) and any("999-late.conf" in w for w in d.get("warnings", [])),
      "300 files: the overriding file #301 is not named: %s" % (d and d.get("warnings")))

# --- a large sysctl file ------------------------------------------------------------
r = mkroot("large")
lines, size, i = [], 0, 0
while size < (1 << 18):
    l = "net.ipv4.conf.if%d.rp_filter = %d\n" % (i, i % 2)
    lines.append(l)
    size += len(l)
    i += 1
put(r, "etc/sysctl.conf", "".join(lines))
t = time.monotonic()
rc, d, p = run(["set", "max=300000", "--format", "json", "--root", r])
took = time.monotonic() - t
sanitized = b"asan" in subprocess.run(["ldd", ctune], capture_output=True).stdout
check(rc == 0 and (took < 2.0 or sanitized), "0.25 MiB file: exit %d in %.1f s (was 4 s)" % (rc, took))

shutil.rmtree(tmp, ignore_errors=True)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
