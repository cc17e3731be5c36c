#!/usr/bin/env python3
"""boot-diff-gen.py - generate sysctl.d trees for tests/boot-diff.test.sh.

Usage: boot-diff-gen.py OUTDIR COUNT [SEED]
       boot-diff-gen.py --set OUTDIR COUNT [SEED]

The second form makes starting roots for `ctune set` instead: a file to set
a key in (the file "set" says: tunable value file key), holding that key in
every spelling and value form the boot tools accept, among other lines.

Every tree is a directory holding etc/sysctl.d, run/sysctl.d,
usr/lib/sysctl.d, usr/local/lib/sysctl.d and maybe etc/sysctl.conf, made of
"rules": small fragments that each exercise one thing systemd-sysctl or
procps `sysctl --system` does with a file (globs, exclusions, key spellings,
value forms, line ends, masking, write order...).  Tree i combines rule i mod
R with two or three others and some plain lines, so every rule appears in
many trees and next to many others; the same seed gives the same trees.

Two sets of keys are kept apart because they are checked differently:
- PERNS keys (timeouts and flags) are writable in a fresh network
  namespace: the test reads the kernel's own values back, so any value may
  be used, including ones the kernel refuses.
- STANDIN keys (nf_conntrack_max, its alias net.nf_conntrack_max, buckets,
  expect_max) are read-only there, so the test runs the tools again against
  plain files standing in for /proc/sys/net (the alias a link to the key,
  as they are one kernel variable) and compares the text last written.
  Plain files take any text, so only values the kernel takes are written
  to these keys (in any base).
"""
import os
import random
import sys

NF = "net.netfilter.nf_conntrack_"
TIMEOUTS = ["tcp_timeout_close", "tcp_timeout_close_wait", "tcp_timeout_established", "tcp_timeout_fin_wait",
            "tcp_timeout_syn_sent", "tcp_timeout_time_wait", "udp_timeout", "udp_timeout_stream", "icmp_timeout",
            "generic_timeout", "gre_timeout", "sctp_timeout_established", "icmpv6_timeout"]
FLAGS = ["tcp_loose", "tcp_be_liberal", "acct", "timestamp", "checksum", "log_invalid", "events", "tcp_max_retrans"]
STANDIN = [NF + "max", "net.nf_conntrack_max", NF + "buckets", NF + "expect_max"]
DIRS = ["etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d"]
NAMES = ["10-base.conf", "50-mid.conf", "60-conntrack.conf", "90-late.conf", "99-zz.conf"]

# Values the kernel refuses (for PERNS keys), and good ones in every base.
BAD = ["+7065", "12h", "7067#x", "== 7069", "", "08", "0x", "7e3", "99999999999", "- 5", "1_000"]


class Tree:
    def __init__(self, rnd):
        self.rnd = rnd
        self.files = {}   # relative path -> bytes
        self.links = {}   # relative path -> target
        self.dirs = set()

    def add(self, rel, line):
        self.files[rel] = self.files.get(rel, b"") + (line if isinstance(line, bytes) else line.encode()) + b"\n"

    def pick(self):
        return self.rnd.choice(DIRS) + "/" + self.rnd.choice(NAMES)

    def val(self):
        return str(self.rnd.randint(7000, 7999))

    def good(self):
        v = self.rnd.randint(4096, 9000)
        return self.rnd.choice([str(v), "0%o" % v, "0x%X" % v, "0x%x" % v, " %d " % v, "%d # note" % v])

    def timeout(self):
        return NF + self.rnd.choice(TIMEOUTS)

    def spell(self, key):
        """Spellings both tools read as the same key."""
        return self.rnd.choice([key, key.replace(".", "/"), "/" + key.replace(".", "/"), key, key])

    def write(self, out):
        for d in DIRS + ["etc"]:
            os.makedirs(os.path.join(out, d), exist_ok=True)
        for d in self.dirs:
            os.makedirs(os.path.join(out, d), exist_ok=True)
        for rel, data in self.files.items():
            with open(os.path.join(out, rel), "wb") as f:
                f.write(data)
        for rel, target in self.links.items():
            p = os.path.join(out, rel)
            if os.path.lexists(p):
                os.unlink(p)
            os.symlink(target, p)


# --- rules -------------------------------------------------------------------

def glob_star(t):
    t.add(t.pick(), NF.replace(".", t.rnd.choice([".", "/"])) + "tcp_timeout_* = " + t.val())


def glob_question(t):
    t.add(t.pick(), NF + t.rnd.choice(["udp_timeou?", "icmp_timeou?", "generic_timeou?"]) + " = " + t.val())


def glob_exclude(t):
    f = t.pick()
    t.add(f, NF + "tcp_timeout_* = " + t.val())
    t.add(t.rnd.choice([f, t.pick()]), "-" + NF + t.rnd.choice(["tcp_timeout_close", "tcp_timeout_time_wait"]))


def glob_explicit(t):
    key = t.rnd.choice(["tcp_timeout_established", "tcp_timeout_fin_wait"])
    files = [t.pick(), t.pick()]
    t.rnd.shuffle(files)
    t.add(files[0], NF + "tcp_timeout_* = " + t.val())
    t.add(files[1], NF + key + " = " + t.val())


def glob_flags(t):
    # tcp_loose, tcp_be_liberal, tcp_max_retrans, tcp_ignore_invalid_rst refuse it.
    t.add(t.pick(), NF + "tcp_* = " + t.rnd.choice([t.val(), "1", "0"]))


def leading_slash(t):
    t.add(t.pick(), "/" + t.timeout().replace(".", t.rnd.choice([".", "/"])) + " = " + t.val())


def doubled_sep(t):
    k = t.timeout()
    t.add(t.pick(), t.rnd.choice([k.replace(".", "..", 1), k.replace(".", "//").replace("net//", "net/", 1),
                                  k.replace("netfilter.", "netfilter..")]) + " = " + t.val())


def mixed_sep(t):
    k = t.timeout()
    t.add(t.pick(), k + " = " + t.val())
    # first separator '/' then '.': a path that does not exist for either tool
    t.add(t.pick(), t.rnd.choice([k.replace(".", "/", 1), k.replace(".", "/", 2).replace("/", ".", 1)]) + " = " +
          t.val())


def dash_space(t):
    t.add(t.pick(), "-" + t.rnd.choice([" ", "  ", "\t"]) + t.timeout() + " = " + t.val())


def dash_ignore(t):
    t.add(t.pick(), "-" + NF + "nonexistent_key = 5")
    t.add(t.pick(), "-" + t.timeout() + " = " + t.val())


def bare_cancel(t):
    k = t.timeout()
    f = t.rnd.choice(NAMES[:3])
    t.add(t.rnd.choice(DIRS[:2]) + "/" + f, k + " = " + t.val())
    t.add("usr/lib/sysctl.d/" + t.rnd.choice(NAMES[3:]), "-" + t.spell(k))


def same_value_order(t):
    """max = A; alias = B; max = A again: systemd keeps max's first place."""
    a, b = t.good(), t.good()
    keys = [NF + "max", "net.nf_conntrack_max"]
    t.rnd.shuffle(keys)
    t.add("etc/sysctl.d/10-base.conf", keys[0] + " = " + a)
    t.add("etc/sysctl.d/50-mid.conf", keys[1] + " = " + b)
    t.add("etc/sysctl.d/90-late.conf", keys[0] + " = " + a)


def alias_order(t):
    keys = [NF + "max", "net.nf_conntrack_max"]
    for _ in range(t.rnd.randint(2, 4)):
        t.add(t.pick(), t.rnd.choice(keys) + " = " + t.good())


def sizes(t):
    for k in STANDIN[2:]:
        if t.rnd.random() < 0.7:
            t.add(t.pick(), t.spell(k) + " = " + t.good())


def values_base(t):
    v = t.rnd.randint(4096, 9000)
    t.add(t.pick(), t.timeout() + " = " + t.rnd.choice(["0%o" % v, "0x%X" % v, "010000", "0x1C21", "-5", "0",
                                                         "3000000", "9000000"]))


def values_bad(t):
    k = t.timeout()
    if t.rnd.random() < 0.6:
        t.add("etc/sysctl.d/10-base.conf", k + " = " + t.val())
    t.add("etc/sysctl.d/90-late.conf", k + " = " + t.rnd.choice(BAD))


def values_flags(t):
    t.add(t.pick(), NF + t.rnd.choice(FLAGS) + " = " + t.rnd.choice(["0", "1", "2", "3", "255", "256", "-1", "0x1"]))


def values_trailing(t):
    t.add(t.pick(), t.timeout() + " = " + t.rnd.choice(["7067 x", "7068\t# c", "7069 7070", "  7071", "7072 ;"]))


def cr_only(t):
    lines = [t.timeout() + " = " + t.val() for _ in range(3)]
    t.files[t.pick()] = ("\r".join(lines) + "\r").encode()


def crlf(t):
    lines = [t.timeout() + " = " + t.val() for _ in range(2)]
    t.files[t.pick()] = ("\r\n".join(lines) + "\r\n").encode()


def nul_byte(t):
    a, b, c = t.timeout(), t.timeout(), t.timeout()
    t.files[t.pick()] = (a + " = " + t.val() + "\n" + b + " = " + t.val() + "\0" + c + " = " + t.val() + "\n"
                         ).encode()


def unreadable(t):
    t.dirs.add(t.rnd.choice(DIRS[:1] + DIRS[3:]) + "/50-x.conf")
    t.add(t.pick(), t.timeout() + " = " + t.val())


def masking(t):
    k, name = t.timeout(), t.rnd.choice(NAMES)
    dirs = DIRS[:]
    t.rnd.shuffle(dirs)
    t.add(dirs[0] + "/" + name, k + " = " + t.val())
    t.add(dirs[1] + "/" + name, k + " = " + t.val())


def hidden(t):
    t.add(t.rnd.choice(DIRS) + "/" + t.rnd.choice([".hidden.conf", ".conf"]), t.timeout() + " = " + t.val())


def sysctl_conf(t):
    k = t.timeout()
    t.add("etc/sysctl.conf", k + " = " + t.val())
    r = t.rnd.random()
    if r < 0.5:
        t.links["etc/sysctl.d/99-sysctl.conf"] = "../sysctl.conf"
    if r < 0.3:
        t.add("etc/sysctl.d/99-zz.conf", k + " = " + t.val())


def dangling(t):
    t.links["etc/sysctl.d/99-sysctl.conf"] = "../sysctl.conf"
    t.add(t.pick(), t.timeout() + " = " + t.val())


def no_equals(t):
    t.add(t.pick(), t.timeout() + " " + t.val())
    t.add(t.pick(), t.timeout() + "\t= " + t.val())


def comments(t):
    f = t.pick()
    t.add(f, "# " + t.timeout() + " = 1")
    t.add(f, "; " + t.timeout() + " = 2")
    t.add(f, "   # indented")
    t.add(f, "")
    t.add(f, t.timeout() + "=" + t.val())


def dup_across(t):
    k = t.spell(t.timeout())
    for _ in range(t.rnd.randint(2, 4)):
        t.add(t.pick(), k + " = " + t.val())


def other_keys(t):
    t.add(t.pick(), NF + "no_such_key = 1")
    t.add(t.pick(), "-" + NF + "no_such_key_either = 1")


def glob_bracket(t):
    t.add(t.pick(), NF + t.rnd.choice(["tcp_timeout_[cf]*", "tcp_timeout_[!e]*", "*_timeout", "udp_timeout*"]) +
          " = " + t.val())


def glob_alias(t):
    """A glob reaching the alias beside an explicit key: a re-assignment order question."""
    t.add(t.pick(), t.rnd.choice(["net.nf_conntrack_ma?", "net/nf_conntrack_m*", NF + "ma[x]"]) + " = " + t.good())
    if t.rnd.random() < 0.6:
        t.add(t.pick(), t.rnd.choice(STANDIN[:2]) + " = " + t.good())


def trailing_sep(t):
    k = t.timeout()
    t.add(t.pick(), t.rnd.choice([k + ".", k.replace(".", "/") + "/", k + "/"]) + " = " + t.val())


def odd_values(t):
    t.add(t.pick(), t.timeout() + t.rnd.choice([" =", " = = 5", "==7000", " =\t7001", "= 0x1c2", "= -0", "= 0x7fffffff"]))


def cancel_reassign(t):
    k = t.timeout()
    t.add("usr/lib/sysctl.d/10-base.conf", k + " = " + t.val())
    t.add("etc/sysctl.d/50-mid.conf", "-" + k)
    if t.rnd.random() < 0.6:
        t.add("etc/sysctl.d/90-late.conf", k + " = " + t.val())


def exclusion_first(t):
    t.add("etc/sysctl.d/10-base.conf", "-" + NF + "tcp_timeout_close_wait")
    t.add("etc/sysctl.d/50-mid.conf", NF + "tcp_timeout_* = " + t.val())
    if t.rnd.random() < 0.5:
        t.add("etc/sysctl.d/90-late.conf", NF + "tcp_timeout_close_wait = " + t.val())


RULES = [glob_bracket, glob_alias, trailing_sep, odd_values, cancel_reassign, exclusion_first, glob_star, glob_question, glob_exclude, glob_explicit, glob_flags, leading_slash, doubled_sep, mixed_sep,
         dash_space, dash_ignore, bare_cancel, same_value_order, alias_order, sizes, values_base, values_bad,
         values_flags, values_trailing, cr_only, crlf, nul_byte, unreadable, masking, hidden, sysctl_conf, dangling,
         no_equals, comments, dup_across, other_keys]


# --- starting files for `ctune set` ------------------------------------------

def set_case(rnd, key):
    """A file around KEY (dotted) in every form the tools accept, with noise."""
    slash = key.replace(".", "/")
    mixed = slash.replace("/", ".", 2).replace(".", "/", 1)  # net/netfilter.x: names no file
    short = key[:-1] + "?"
    forms = [key + " = 30", "-" + key + " = 31", key + "=32", "\t" + key + "\t=\t33", "/" + slash + " = 34",
             slash + " = 35", mixed + " = 36", "- " + key + " = 37", "-" + key, short + " = 38", key + " = 39 # note",
             key + " = 7067#x", key + " = 12h", key + " =", key + " 40", key + " = 41", key + " = 42",
             "-" + slash, key + " = 0x2b"]
    noise = ["# a comment", "; another", "", "net.netfilter.nf_conntrack_tcp_timeout_close = 11",
             "net.netfilter.nf_conntrack_generic_timeout=601", "net.ipv4.ip_forward 1", "  # indented",
             "-net.netfilter.nf_conntrack_no_such_key = 1", "net.netfilter.nf_conntrack_icmp_timeout = 29 ; c"]
    lines = [rnd.choice(forms) for _ in range(rnd.randint(1, 4))] + rnd.sample(noise, rnd.randint(1, 4))
    rnd.shuffle(lines)
    text = "\n".join(lines) + "\n"
    r = rnd.random()
    if r < 0.1:
        text = text.replace("\n", "\r\n")
    elif r < 0.2:
        text = "\ufeff" + text
    elif r < 0.3:
        text = text.rstrip("\n")
    return text


def main_set(out, count, seed):
    keys = ["net.netfilter.nf_conntrack_udp_timeout", "net.netfilter.nf_conntrack_max", "net.nf_conntrack_max"]
    for i in range(count):
        rnd = random.Random(seed * 7919 + i)
        key = keys[i % 3] if i % 4 else keys[0]
        t = Tree(rnd)
        target = rnd.choice(["etc/sysctl.d/90-ct.conf", "etc/sysctl.conf", "usr/lib/sysctl.d/90-ct.conf"])
        if target == "etc/sysctl.conf":
            t.links["etc/sysctl.d/99-sysctl.conf"] = "../sysctl.conf"
        if target.startswith("usr/"):
            target = "etc/sysctl.d/90-ct.conf"  # a vendor file of the same name is masked by ours
            t.add("usr/lib/sysctl.d/90-ct.conf", key + " = 44")
        if rnd.random() < 0.85:
            t.files[target] = set_case(rnd, key).encode()
        if rnd.random() < 0.3:  # a later file overriding it: --override fix comments it out
            t.add("etc/sysctl.d/99-zz.conf", rnd.choice([key + " = 46", "-" + key + " = 46", key.replace(".", "/") + " = 46",
                                                     "-" + key, "-" + key.replace(".", "/")]))
        if rnd.random() < 0.3:  # an earlier file
            t.add("usr/lib/sysctl.d/10-base.conf", key + " = 47")
        d = os.path.join(out, "s%03d" % i)
        os.makedirs(d)
        t.write(d)
        name = "udp_timeout" if "udp" in key else "max"
        value = rnd.choice([45, 60, 121, 7200]) if name == "udp_timeout" else rnd.choice([65536, 1210856, 262145])
        with open(os.path.join(d, "set"), "w") as f:
            f.write("%s %d /%s %s\n" % (name, value, target, key))


def main():
    if sys.argv[1] == "--set":
        main_set(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 15)
        return
    out, count = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    for i in range(count):
        rnd = random.Random(seed * 100003 + i)
        t = Tree(rnd)
        chosen = [RULES[i % len(RULES)]] + rnd.sample(RULES, rnd.randint(1, 3))
        for rule in chosen:
            rule(t)
        d = os.path.join(out, "t%03d" % i)
        os.makedirs(d)
        t.write(d)
        with open(os.path.join(d, "rules"), "w") as f:
            f.write(" ".join(r.__name__ for r in chosen) + "\n")


if __name__ == "__main__":
    main()
