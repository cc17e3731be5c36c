#!/usr/bin/env bash
# output.test.sh - the two text faces of the facts: `ctune facts --format
# human` (a report for people) and `--format prometheus` (node_exporter's
# textfile collector), on every fixture root, on roots made near full, full
# and with table-full lines in their kernel log, and on this host.
#
# The Prometheus text is checked by a strict parser of the exposition format
# 0.0.4 written below (promtool would mean installing the Prometheus server):
# metric and label names, label value escapes, HELP/TYPE once per family and
# before its samples, families not interleaved, no duplicate series, values
# that parse, counters not negative, and no name that collides with
# node_exporter's own conntrack collector.  Then every value is compared with
# the root's expected.json: the numbers a person reads and a dashboard graphs
# are the numbers of the facts contract.
#
# Environment (ctest, see tests/CMakeLists.txt): CTUNE (the logging wrapper),
# CTUNE_REAL (the executable), CTUNE_TESTS.  Exit 0 all passed, 1 a check
# failed, 77 skipped (reason on stderr).
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "$0")" && pwd)}
FIX=$TESTS/fixtures
ROOTS="centos5 centos7 debian12 noproc unloaded"

if [ -z "${CTUNE:-}" ] || [ ! -x "$CTUNE" ]; then
	echo "output.test.sh: CTUNE is not set to an executable" >&2
	exit 1
fi
REAL=${CTUNE_REAL:-$CTUNE}
[ -x "$PY" ] || skip "$PY is missing (the checks need python3)"

scratch output

dump() {
	sed 's/^/     stderr: /' "$tmp/err" | head -n 10
	head -n 40 "$tmp/out" | sed 's/^/     stdout: /'
}
# check WHAT PYTHON-ARGS... : run a check script, report its lines on failure
check() {
	local what=$1
	shift
	local res
	if res=$("$PY" "$@" 2>&1); then
		ok "$what"
	else
		bad "$what"
		printf '%s\n' "$res" | head -n 30 | sed 's/^/     /'
	fi
}

# ---- the strict exposition-format parser, and the comparison with facts ----
cat >"$tmp/prom.py" <<'PY'
"""prom.py FILE [--expected EXPECTED.json] [--facts FACTS.json]
[--stable FACTS.json] [--label METRIC LABEL VALUE]: FILE is strict
Prometheus text (format 0.0.4); --expected: its values are those of a
fixture's expected facts; --facts: the events, advice and boot values of
ctune's own JSON output; --stable: what a live host keeps between two runs;
--label: the one sample of METRIC has LABEL equal to VALUE."""
import json, math, re, sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
errors = []


def err(n, msg):
    errors.append(f"line {n}: {msg}")


def unescape(s, n, quote):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            nxt = s[i + 1:i + 2]
            if nxt == "\\":
                out.append("\\")
            elif nxt == "n":
                out.append("\n")
            elif nxt == '"' and quote:
                out.append('"')
            else:
                err(n, f"bad escape \\{nxt} in {s!r}")
            i += 2
            continue
        if c == "\n" or (c == '"' and quote):
            err(n, f"unescaped {c!r}")
        out.append(c)
        i += 1
    return "".join(out)


def parse(text):
    fams, order, current, series = {}, [], None, set()
    samples = {}
    if not text.endswith("\n"):
        errors.append("the text does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            err(n, "empty line")
            continue
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (\S+) (.*)", line)
            if not m:
                if re.match(r"#\s*(HELP|TYPE)\b", line):
                    err(n, f"malformed {line!r}")
                continue
            kind, name, rest = m.groups()
            if not NAME.fullmatch(name):
                err(n, f"invalid metric name {name!r}")
            if name in fams and name != current:
                err(n, f"family {name} reopened after another family")
            fam = fams.setdefault(name, {"help": None, "type": None, "n": 0, "labels": None})
            if name not in order:
                order.append(name)
            current = name
            if kind == "HELP":
                if fam["help"] is not None:
                    err(n, f"second HELP for {name}")
                fam["help"] = unescape(rest, n, False)
                if not fam["help"].strip():
                    err(n, f"empty HELP for {name}")
            else:
                if fam["type"] is not None:
                    err(n, f"second TYPE for {name}")
                if fam["n"]:
                    err(n, f"TYPE for {name} after its samples")
                if rest not in TYPES:
                    err(n, f"unknown type {rest!r}")
                fam["type"] = rest
            continue
        m = NAME.match(line)
        if not m:
            err(n, f"no metric name: {line!r}")
            continue
        name, i = m.group(0), m.end()
        labels = {}
        if line[i:i + 1] == "{":
            i += 1
            while True:
                lm = LABEL.match(line, i)
                if not lm:
                    err(n, f"bad label name at column {i}: {line!r}")
                    break
                lname = lm.group(0)
                if lname.startswith("__"):
                    err(n, f"reserved label name {lname}")
                i = lm.end()
                if line[i:i + 2] != '="':
                    err(n, f"expected =\" after {lname}")
                    break
                i += 2
                j = i
                while j < len(line) and line[j] != '"':
                    j += 2 if line[j] == "\\" else 1
                if j >= len(line):
                    err(n, "unterminated label value")
                    break
                if lname in labels:
                    err(n, f"label {lname} twice")
                labels[lname] = unescape(line[i:j], n, True)
                i = j + 1
                if line[i:i + 1] == ",":
                    i += 1
                    continue
                if line[i:i + 1] == "}":
                    i += 1
                    break
                err(n, f"expected , or }} at column {i}")
                break
        rest = line[i:]
        if not rest.startswith(" "):
            err(n, f"no space before the value: {line!r}")
            continue
        parts = rest[1:].split(" ")
        if len(parts) not in (1, 2) or not FLOAT.fullmatch(parts[0]):
            err(n, f"bad value {rest!r}")
            continue
        if len(parts) == 2 and not re.fullmatch(r"-?\d+", parts[1]):
            err(n, f"bad timestamp {parts[1]!r}")
        value = float(parts[0].replace("Inf", "inf").replace("NaN", "nan"))
        fam = fams.get(name)
        if fam is None or fam["type"] is None:
            err(n, f"sample of {name} without a TYPE line before it")
            fam = fams.setdefault(name, {"help": None, "type": "untyped", "n": 0, "labels": None})
            order.append(name)
        elif name != current:
            err(n, f"sample of {name} inside family {current}")
        current = name
        if fam["labels"] is None:
            fam["labels"] = sorted(labels)
        elif fam["labels"] != sorted(labels):
            err(n, f"{name}: label names {sorted(labels)} differ from {fam['labels']}")
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            err(n, f"duplicate series {name}{labels}")
        series.add(key)
        if fam["type"] == "counter" and not (value >= 0):
            err(n, f"counter {name} is {value}")
        fam["n"] += 1
        samples.setdefault(name, []).append((labels, value))
    for name, fam in fams.items():
        if fam["n"] == 0:
            errors.append(f"family {name} has no samples")
        if fam["help"] is None:
            errors.append(f"family {name} has no HELP")
        if not name.startswith("ctune_"):
            errors.append(f"{name}: not in ctune's namespace")
        if name.startswith("node_"):
            errors.append(f"{name}: collides with node_exporter's names")
    return samples


samples = parse(open(sys.argv[1], encoding="utf-8").read())


def get(metric, /, **labels):
    found = [v for l, v in samples.get(metric, []) if l == labels or (labels and all(l.get(k) == w for k, w in labels.items()))]
    return found[0] if len(found) == 1 else None


def expect(metric, want, /, **labels):
    got = get(metric, **labels)
    if want is None:
        if metric in samples and (not labels or got is not None):
            errors.append(f"{metric}{labels or ''}: present, but the facts do not know it")
    elif got is None or abs(got - want) > 1e-9 * max(1, abs(want)):
        errors.append(f"{metric}{labels or ''}: {got}, expected {want}")


def compare(exp):
    absent = set()
    for m in ("timeouts", "settings", "tunables"):
        absent |= set(exp.get(m, {}).get("$absent", []))
    expect("ctune_conntrack_entries", exp.get("count"))
    expect("ctune_conntrack_entries_limit", exp.get("max"))
    expect("ctune_conntrack_buckets", exp.get("buckets"))
    if exp.get("count") is not None and exp.get("max"):
        expect("ctune_conntrack_usage_ratio", exp["count"] / exp["max"])
    else:
        expect("ctune_conntrack_usage_ratio", None)
    info = samples.get("ctune_conntrack_info", [])
    if len(info) != 1 or info[0][1] != 1:
        errors.append(f"ctune_conntrack_info: {info}")
    else:
        l = info[0][0]
        for k, v in (("scheme", exp["scheme"]), ("scheme_detected_from", exp["scheme_detected_from"]),
                     ("module", exp["module"]["name"]), ("module_state", exp["module"]["state"]),
                     ("source", exp["source"]), ("kernel_release", exp["kernel_release"])):
            if l.get(k) != (v or ""):
                errors.append(f"ctune_conntrack_info{{{k}}}: {l.get(k)!r}, expected {v!r}")
    for m, metric in (("timeouts", "ctune_conntrack_timeout_seconds"), ("settings", "ctune_conntrack_setting")):
        for k, v in exp.get(m, {}).items():
            if not k.startswith("$"):
                expect(metric, v, name=k)
        for k in exp.get(m, {}).get("$absent", []):
            if get(metric, name=k) is not None:
                errors.append(f"{metric}{{name={k}}} present, but the root lacks it")
    st = exp.get("stats")
    if st is None:
        for name in ("ctune_conntrack_stat_total", "ctune_conntrack_stat_per_cpu_total"):
            if name in samples:
                errors.append(f"{name}: present without a statistics file")
    else:
        for c, v in st["total"].items():
            expect("ctune_conntrack_stat_total", None if c == "entries" else v, counter=c)
        # per-CPU series come with --per-cpu only (the runs with --table ask for them)
        for cpu, row in enumerate(st["per_cpu"] if "ctune_conntrack_stat_per_cpu_total" in samples else []):
            for c, v in row.items():
                if c != "entries":
                    expect("ctune_conntrack_stat_per_cpu_total", v, cpu=str(cpu), counter=c)
        if "ctune_conntrack_stat_per_cpu_total" in samples and len(samples["ctune_conntrack_stat_per_cpu_total"]) != len(st["per_cpu"]) * (len(st["columns"]) - 1):
            errors.append("ctune_conntrack_stat_per_cpu_total: not one sample per CPU and counter")
    t = exp.get("table")
    if t is None:
        for name in samples:
            if name.startswith("ctune_conntrack_table_entries"):
                errors.append(f"{name}: present without a table")
    else:
        expect("ctune_conntrack_table_entries", t["total"])
        for k, v in t["family"].items():
            expect("ctune_conntrack_table_entries_by_family", v, family=k)
        for k, v in t["protocol"].items():
            expect("ctune_conntrack_table_entries_by_protocol", v, protocol=k)
        for k, v in t["tcp_state"].items():
            expect("ctune_conntrack_table_entries_by_tcp_state", v, state=k)
        for k in ("assured", "unreplied", "offload", "long_timeout"):
            expect("ctune_conntrack_" + k + "_entries", t[k])
        expect("ctune_conntrack_table_malformed_lines", t["malformed"])


def compare_facts(f):
    """Values only ctune's own output knows (events, advice, boot)."""
    e = f.get("events")
    if e is not None:
        expect("ctune_conntrack_events_checked", 1 if e["checked"] else 0)
        for k, name in (("table_full", "ctune_conntrack_table_full_events_total"),
                        ("limit_exceeded", "ctune_conntrack_limit_exceeded_events_total"),
                        ("suppressed", "ctune_conntrack_table_full_suppressed_total")):
            expect(name, e.get(k))
    a = f.get("advice")
    if a is not None:
        expect("ctune_conntrack_advice_recommended_max", a["recommended_max"])
        expect("ctune_conntrack_advice_recommended_buckets", a["recommended_buckets"])
        expect("ctune_conntrack_advice_kernel_default_max", a["default_max"])
        expect("ctune_conntrack_advice_peak_entries", a.get("peak"))
        expect("ctune_conntrack_advice_change", int(a["change_max"]), name="max")
    b = f.get("effective_at_boot")
    if b is not None:
        for k, v in b["tunables"].items():
            if v.get("matches_live") is None:
                expect("ctune_conntrack_effective_at_boot_mismatch", None, name=k)
            else:
                expect("ctune_conntrack_effective_at_boot_mismatch",
                       int(v["matches_live"] is False or v.get("applies") is False), name=k)
    elif "ctune_conntrack_effective_at_boot_mismatch" in samples:
        errors.append("effective_at_boot mismatch without effective_at_boot in the facts")


def compare_stable(f):
    """What does not move between two runs on a live host."""
    expect("ctune_conntrack_entries_limit", f.get("max"))
    expect("ctune_conntrack_buckets", f.get("buckets"))
    for k, v in f["timeouts"].items():
        expect("ctune_conntrack_timeout_seconds", v, name=k)
    info = samples.get("ctune_conntrack_info", [({}, 0)])[0][0]
    for k in ("scheme", "source", "kernel_release"):
        if info.get(k) != (f.get(k) or ""):
            errors.append(f"ctune_conntrack_info{{{k}}}: {info.get(k)!r}, expected {f.get(k)!r}")


args = sys.argv[2:]
while args:
    opt = args.pop(0)
    if opt == "--expected":
        compare(json.load(open(args.pop(0))))
    elif opt == "--facts":
        compare_facts(json.load(open(args.pop(0))))
    elif opt == "--stable":
        compare_stable(json.load(open(args.pop(0))))
    elif opt == "--label":
        metric, label, want = args.pop(0), args.pop(0), args.pop(0)
        got = [l.get(label) for l, v in samples.get(metric, [])]
        if got != [want]:
            errors.append(f"{metric}{{{label}}}: {got!r}, expected [{want!r}]")
    else:
        sys.exit(f"prom.py: unknown option {opt}")
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY

# ---- the human report against expected.json ----
cat >"$tmp/human.py" <<'PY'
"""human.py REPORT EXPECTED.json: the report shows the fixture's figures,
aligned, in plain ASCII, at most 78 columns where it can be wrapped."""
import json, re, sys

text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
exp = json.load(open(sys.argv[2]))
lines = text.split("\n")
errors = []


def has(pattern, what=None):
    if not re.search(pattern, text, re.M):
        errors.append(f"missing {what or pattern!r}")


def durations(s):
    out, units = [], (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for u, n in units:
        if s >= n:
            out.append(f"{s // n}{u}")
            s %= n
    return "".join(out) or "0s"


if not text.startswith("ctune "):
    errors.append("does not start with the ctune line")
if any(ord(c) > 126 or (ord(c) < 32 and c != "\n") for c in text):
    errors.append("not plain ASCII")
for n, l in enumerate(lines[1:], 2):
    if len(l) > 78 and "/" not in l:
        errors.append(f"line {n} is {len(l)} columns: {l!r}")
# labels and values in one column
for label in ("scheme", "module", "source", "entries", "buckets", "log", "counters"):
    for l in lines:
        if l.startswith("  " + label + " "):
            if l[22:23] != " " or l[23:24] in ("", " "):
                errors.append(f"value of {label!r} not at column 24: {l!r}")
has(rf"^  scheme +{exp['scheme']} \(detected from {exp['scheme_detected_from']}\)$", "scheme line")
state = {"not_loaded": "not loaded", "builtin": "built into the kernel"}.get(exp["module"]["state"], exp["module"]["state"])
has(rf"^  module +{exp['module']['name']}, {state}$", "module line")
has(rf"^  source +{exp['source']}", "source line")
count, mx = exp.get("count"), exp.get("max")
if count is not None:
    has(rf"^  entries +{count} of max {mx}, {exp['usage_percent']:.2f}% used", "entries line")
else:
    has(r"^  entries +unknown of max unknown$", "unknown entries")
if exp.get("buckets") is not None:
    has(rf"^  buckets +{exp['buckets']} \(", "buckets line")
t = {k: v for k, v in exp["timeouts"].items() if not k.startswith("$")}
for k in ("tcp_timeout_established", "udp_timeout", "tcp_timeout_time_wait"):
    if k in t:
        has(rf"^  {k} +{durations(t[k])} +{t[k]} s$", f"{k} as {durations(t[k])}")
if not t:
    has(r"^  none readable$")
tab = exp.get("table")
if tab:
    has(rf"^Table: {tab['total']} entries walked")
    fam = ", ".join(f"{k} {v}" for k, v in tab["family"].items() if v)
    has(rf"^  family +{re.escape(fam)}$", "family line")
    first = [f"{k} {v}" for k, v in tab["tcp_state"].items() if v][0]
    has(rf"^  tcp state +{re.escape(first)},", "tcp state line")
    has(rf"^  long timeout +{tab['long_timeout']} \({100 * tab['long_timeout'] / tab['total']:.1f}%\)", "long timeout")
    has(rf"^  assured +{tab['assured']} ", "assured")
    has(rf"^  unreplied +{tab['unreplied']} ", "unreplied")
for w in ("near full", "FULL"):
    if w in text:
        errors.append(f"{w!r} on a table that is not")
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY

# Copy the roots with explicit modes (git keeps only the executable bit).
mkdir -p "$tmp/roots"
for r in $ROOTS; do
	cp -R -P "$FIX/$r" "$tmp/roots/$r" || { bad "copy $r"; continue; }
	find "$tmp/roots/$r" -type d -exec chmod 0755 {} +
	find "$tmp/roots/$r" -type f -exec chmod 0644 {} +
done

# 1. Every fixture root, both formats, with and without --table.
for r in $ROOTS; do
	root=$tmp/roots/$r
	exp=$FIX/$r/expected.json
	run facts --root "$root" --table --format json
	cp "$tmp/out" "$tmp/$r.json"

	run facts --root "$root" --table --format human
	if [ "$rc" -ne 0 ]; then
		bad "$r: facts --format human exited $rc"
		dump
	else
		cp "$tmp/out" "$tmp/$r.human"
		check "$r: human report shows expected.json's figures, aligned" "$tmp/human.py" "$tmp/$r.human" "$exp"
	fi

	run facts --root "$root" --table --per-cpu --format prometheus
	if [ "$rc" -ne 0 ]; then
		bad "$r: facts --format prometheus exited $rc"
		dump
	else
		cp "$tmp/out" "$tmp/$r.prom"
		check "$r: prometheus text is strict 0.0.4 and equals expected.json" "$tmp/prom.py" "$tmp/$r.prom" \
			--expected "$exp" --facts "$tmp/$r.json"
	fi

	# Without --table: no table metrics, everything else the same.
	run facts --root "$root" --format prometheus
	if [ "$rc" -eq 0 ] && ! grep -q '^ctune_conntrack_table_entries' "$tmp/out" &&
		"$PY" "$tmp/prom.py" "$tmp/out" >/dev/null; then
		ok "$r: prometheus without --table: valid, no table metrics"
	else
		bad "$r: prometheus without --table (exit $rc)"
		"$PY" "$tmp/prom.py" "$tmp/out" | head -n 5 | sed 's/^/     /'
	fi
done

# 2. Concrete figures, spelled out (not derived from expected.json).
expect_line() { # WHAT FILE REGEX
	if grep -Eq -- "$3" "$2"; then ok "$1"; else
		bad "$1: no line matching /$3/ in $(basename "$2")"
		sed 's/^/     /' "$2" | head -n 20
	fi
}
expect_line "centos7 human: count, max, usage" "$tmp/centos7.human" '^  entries +780 of max 1210856, 0\.06% used$'
expect_line "centos7 human: buckets and load" "$tmp/centos7.human" '^  buckets +65536 \(18\.5 entries per bucket when full\)$'
expect_line "centos7 human: established timeout as 5d" "$tmp/centos7.human" '^  tcp_timeout_established +5d +432000 s$'
expect_line "centos7 human: advice" "$tmp/centos7.human" '^  recommended max +1210856 \(now 1210856: keep\)$'
expect_line "centos7 human: buckets advice" "$tmp/centos7.human" '^  recommended buckets +303104 \(now 65536: change\)$'
expect_line "centos7 human: advice reasons" "$tmp/centos7.human" '^    - Kernel 3\.10\.0-1160\.el7\.x86_64 is nf_conntrack'
expect_line "centos7 human: ESTABLISHED count" "$tmp/centos7.human" 'ESTABLISHED 460'
expect_line "debian12 human: established timeout as 2d" "$tmp/debian12.human" '^  tcp_timeout_established +2d +172800 s$'
expect_line "debian12 human: offloaded flows" "$tmp/debian12.human" '^  offloaded +35 '
expect_line "centos5 human: legacy scheme" "$tmp/centos5.human" '^  scheme +legacy \(detected from sysctl\)$'
expect_line "centos5 human: ip_conntrack module" "$tmp/centos5.human" '^  module +ip_conntrack, loaded$'
expect_line "noproc human: built in" "$tmp/noproc.human" '^  module +nf_conntrack, built into the kernel$'
expect_line "noproc human: warning about the missing table" "$tmp/noproc.human" '^  ! no table summary: '
expect_line "unloaded human: not loaded" "$tmp/unloaded.human" '^  module +nf_conntrack, not loaded$'
expect_line "unloaded human: warning" "$tmp/unloaded.human" '^  ! the nf_conntrack module is not loaded'
expect_line "centos7 prometheus: entries" "$tmp/centos7.prom" '^ctune_conntrack_entries 780$'
expect_line "centos7 prometheus: limit" "$tmp/centos7.prom" '^ctune_conntrack_entries_limit 1210856$'
expect_line "centos7 prometheus: established timeout" "$tmp/centos7.prom" '^ctune_conntrack_timeout_seconds\{name="tcp_timeout_established"\} 432000$'
expect_line "centos7 prometheus: ESTABLISHED" "$tmp/centos7.prom" '^ctune_conntrack_table_entries_by_tcp_state\{state="ESTABLISHED"\} 460$'
expect_line "centos7 prometheus: search_restart counter" "$tmp/centos7.prom" '^ctune_conntrack_stat_total\{counter="search_restart"\} 8444$'
expect_line "centos7 prometheus: per-CPU counter" "$tmp/centos7.prom" '^ctune_conntrack_stat_per_cpu_total\{cpu="3",counter="found"\} 156311205$'
expect_line "centos7 prometheus: long timeout" "$tmp/centos7.prom" '^ctune_conntrack_long_timeout_entries 357$'
expect_line "centos7 prometheus: info" "$tmp/centos7.prom" '^ctune_conntrack_info\{scheme="modern",.*module_state="loaded",source="proc",kernel_release="3\.10\.0-1160\.el7\.x86_64",.*\} 1$'
expect_line "centos7 prometheus: recommended max" "$tmp/centos7.prom" '^ctune_conntrack_advice_recommended_max 1210856$'
expect_line "centos5 prometheus: legacy stat columns" "$tmp/centos5.prom" '^ctune_conntrack_stat_total\{counter="searched"\} '
expect_line "unloaded prometheus: module_state not_loaded" "$tmp/unloaded.prom" 'module_state="not_loaded"'
if grep -q '^ctune_conntrack_entries ' "$tmp/unloaded.prom"; then
	bad "unloaded prometheus: an entries sample although the count is unknown"
else
	ok "unloaded prometheus: no entries sample for an unknown count"
fi
if grep -Eq '^(# (HELP|TYPE) )?node_' "$tmp"/*.prom; then
	bad "a metric named node_* (collides with node_exporter)"
else
	ok "no metric named node_*"
fi

# 3. Near full and full: the report says so, the ratio follows.
cp -R -P "$tmp/roots/debian12" "$tmp/near"
echo 240000 >"$tmp/near/proc/sys/net/netfilter/nf_conntrack_count"
run facts --root "$tmp/near" --format human
expect_line "240000 of 262144: near full" "$tmp/out" '^  entries +240000 of max 262144, 91\.55% used  <- near full'
if grep -q 'FULL' "$tmp/out"; then bad "near full marked FULL"; else ok "near full is not FULL"; fi
run facts --root "$tmp/near" --format prometheus
expect_line "near full: usage ratio" "$tmp/out" '^ctune_conntrack_usage_ratio 0\.915527343'
echo 262144 >"$tmp/near/proc/sys/net/netfilter/nf_conntrack_count"
run facts --root "$tmp/near" --format human
expect_line "262144 of 262144: FULL" "$tmp/out" '^  entries +262144 of max 262144, 100\.00% used  <- FULL'
run facts --root "$tmp/near" --format prometheus
expect_line "full: usage ratio 1" "$tmp/out" '^ctune_conntrack_usage_ratio 1$'

# 4. Table-full lines in the kernel log: counts, suppressions, times.
cp -R -P "$tmp/roots/centos5" "$tmp/ev5"
mkdir -p "$tmp/ev5/var/log"
cat >"$tmp/ev5/var/log/messages" <<'EOF'
Nov 25 08:30:00 web1 kernel: ip_conntrack: table full, dropping packet.
Nov 25 08:30:05 web1 kernel: printk: 312 messages suppressed.
Nov 25 08:30:05 web1 kernel: ip_conntrack: table full, dropping packet.
Nov 25 08:31:10 web1 kernel: ip_conntrack: maximum limit of 65536 entries exceeded
Nov 25 08:31:11 web1 sshd[99]: ip_conntrack: table full, dropping packet.
EOF
run facts --root "$tmp/ev5" --log-events --format human
cp "$tmp/out" "$tmp/ev5.human"
expect_line "centos5 log: 2 table-full messages, 312 suppressed" "$tmp/ev5.human" "^  table full +2 messages, and 312 more suppressed by the kernel's$"
expect_line "centos5 log: limit exceeded" "$tmp/ev5.human" '^  limit exceeded +1 message$'
expect_line "centos5 log: the limit the kernel logged" "$tmp/ev5.human" '^  limit +65536 entries'
expect_line "centos5 log: first seen (syslog stamp)" "$tmp/ev5.human" '^  first seen +Nov 25 08:30:00$'
expect_line "centos5 log: last seen" "$tmp/ev5.human" '^  last seen +Nov 25 08:31:10$'
run facts --root "$tmp/ev5" --log-events --table --format json
cp "$tmp/out" "$tmp/ev5.json"
run facts --root "$tmp/ev5" --log-events --table --per-cpu --format prometheus
cp "$tmp/out" "$tmp/ev5.prom"
check "centos5 log: prometheus valid, event counters equal the facts" "$tmp/prom.py" "$tmp/ev5.prom" \
	--expected "$FIX/centos5/expected.json" --facts "$tmp/ev5.json"
expect_line "centos5 log: table_full_events_total 2" "$tmp/ev5.prom" '^ctune_conntrack_table_full_events_total 2$'
expect_line "centos5 log: limit_exceeded_events_total 1" "$tmp/ev5.prom" '^ctune_conntrack_limit_exceeded_events_total 1$'
expect_line "centos5 log: suppressed 312" "$tmp/ev5.prom" '^ctune_conntrack_table_full_suppressed_total 312$'
if grep -q 'seen_timestamp' "$tmp/ev5.prom"; then
	bad "centos5 log: a timestamp metric from a syslog stamp that has no year"
else
	ok "centos5 log: no timestamp metric without a wall-clock time"
fi

cp -R -P "$tmp/roots/debian12" "$tmp/ev12"
mkdir -p "$tmp/ev12/var/log"
cat >"$tmp/ev12/var/log/kern.log" <<'EOF'
2025-11-25T08:30:00.123456+01:00 gw kernel: nf_conntrack: table full, dropping packet
2025-11-25T08:30:01+01:00 gw kernel: net_ratelimit: 40 callbacks suppressed
2025-11-25T09:45:10+01:00 gw kernel: nf_conntrack: nf_conntrack: table full in netns 4026532384, dropping packet
EOF
run facts --root "$tmp/ev12" --log-events --format human
cp "$tmp/out" "$tmp/ev12.human"
expect_line "debian12 log: first seen in UTC" "$tmp/ev12.human" '^  first seen +2025-11-25T07:30:00Z$'
expect_line "debian12 log: last seen in UTC" "$tmp/ev12.human" '^  last seen +2025-11-25T08:45:10Z$'
expect_line "debian12 log: one in another netns" "$tmp/ev12.human" '^  in a netns +1 of them'
run facts --root "$tmp/ev12" --log-events --format prometheus
cp "$tmp/out" "$tmp/ev12.prom"
expect_line "debian12 log: first seen timestamp" "$tmp/ev12.prom" '^ctune_conntrack_table_full_first_seen_timestamp_seconds 1764055800$'
expect_line "debian12 log: last seen timestamp" "$tmp/ev12.prom" '^ctune_conntrack_table_full_last_seen_timestamp_seconds 1764060310$'
check "debian12 log: prometheus valid" "$tmp/prom.py" "$tmp/ev12.prom"
# The kernel log is read only when asked: the default facts never read it
# (its cost grows with the log), and say nothing of events.
run facts --root "$tmp/ev12" --format json
if [ "$rc" -eq 0 ] && "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit("events" in d)' "$tmp/out"; then
	ok "default facts: no events key (the log is not read)"
else
	bad "default facts: events reported without --log-events"
fi
run facts --root "$tmp/ev12" --format prometheus
if [ "$rc" -eq 0 ] && ! grep -Eq '^ctune_conntrack_(events_checked|table_full_(events|suppressed|first|last)|limit_exceeded)' "$tmp/out"; then
	ok "default prometheus: no event metrics"
else
	bad "default prometheus: event metrics without --log-events"
fi

# 5. Label values that need escaping survive the round trip.
cp -R -P "$tmp/roots/centos7" "$tmp/esc"
printf '%s\n' '3.10.0 "lab" \build' >"$tmp/esc/proc/sys/kernel/osrelease"
run facts --root "$tmp/esc" --format prometheus
cp "$tmp/out" "$tmp/esc.prom"
check "kernel_release with quotes and a backslash: escaped, and reads back the same" \
	"$tmp/prom.py" "$tmp/esc.prom" --label ctune_conntrack_info kernel_release '3.10.0 "lab" \build'
expect_line "kernel_release escaped as the format says" "$tmp/esc.prom" 'kernel_release="3\.10\.0 \\"lab\\" \\\\build"'

# 6. Format choice: the default, the JSON field, refusals.
run facts --root "$tmp/roots/centos7"
if [ "$rc" -eq 0 ] && [ "$(head -c 1 "$tmp/out")" = "{" ]; then
	ok "default format to a file or pipe: JSON"
else
	bad "default format to a file: not JSON (exit $rc)"
fi
if command -v script >/dev/null 2>&1; then
	script -qec "$REAL facts --root $tmp/roots/centos7" /dev/null >"$tmp/tty.out" 2>&1 </dev/null
	if grep -q '^  entries  *780 of max 1210856' "$tmp/tty.out" && ! grep -q '"ctune_version"' "$tmp/tty.out"; then
		ok "default format on a terminal: the human report"
	else
		bad "default format on a terminal"
		head -n 5 "$tmp/tty.out" | sed 's/^/     /'
	fi
else
	echo "skip default format on a terminal: no script(1)"
fi
printf '{"verb": "facts", "root": "%s", "format": "prometheus"}' "$tmp/roots/centos7" >"$tmp/req.json"
run <"$tmp/req.json"
if [ "$rc" -eq 0 ] && grep -q '^ctune_conntrack_entries 780$' "$tmp/out"; then
	ok "JSON request with format prometheus"
else
	bad "JSON request with format prometheus (exit $rc)"
	dump
fi
printf '{"root": "%s", "format": "human", "_ansible_check_mode": false}' "$tmp/roots/centos7" >"$tmp/req.json"
run "$tmp/req.json"
if [ "$rc" -eq 2 ] && grep -q '"failed": *true' "$tmp/out" && grep -q 'Ansible' "$tmp/out"; then
	ok "Ansible request with format human: refused with a JSON error"
else
	bad "Ansible request with format human (exit $rc)"
	dump
fi
run set max=1210856 --root "$tmp/roots/centos7" --check --format prometheus
if [ "$rc" -eq 2 ] && grep -q 'facts verb only' "$tmp/out"; then
	ok "set --format prometheus: refused"
else
	bad "set --format prometheus (exit $rc)"
	dump
fi
run facts --root "$tmp/roots/centos7" --format yaml
if [ "$rc" -eq 2 ] && grep -q 'json, human, prometheus' "$tmp/out"; then
	ok "--format yaml: refused, naming the formats"
else
	bad "--format yaml (exit $rc)"
	dump
fi

# 7. This host, as it is.
run facts --table --format json
cp "$tmp/out" "$tmp/live.json"
run facts --table --format human
if [ "$rc" -eq 0 ] && grep -q '^  scheme ' "$tmp/out" && grep -q '^Size$' "$tmp/out"; then
	ok "this host: human report"
else
	bad "this host: human report (exit $rc)"
	dump
fi
run facts --table --format prometheus
cp "$tmp/out" "$tmp/live.prom"
if [ "$rc" -eq 0 ]; then
	# max, buckets and timeouts do not move between two runs; the count may.
	check "this host: prometheus valid, max/buckets/timeouts equal the JSON facts" \
		"$tmp/prom.py" "$tmp/live.prom" --stable "$tmp/live.json"
else
	bad "this host: prometheus (exit $rc)"
	dump
fi

report
