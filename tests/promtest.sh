# promtest.sh - run examples/prometheus/ctune-alerts.yml on series made from
# the real ctune's Prometheus output; sourced after lib.sh, never run (not
# named *.test.sh):
#   . "$(dirname "$0")/promtest.sh"
#   prom_alert_test NAME BEFORE.prom AFTER.prom EXPECT DIR
# BEFORE and AFTER are two `ctune facts --format prometheus` outputs: every
# sample becomes one input series (labels instance="ctune-test",
# job="node" added) that holds BEFORE's value for minutes 0-10 and AFTER's
# for minutes 11-60, as a textfile collector scraped once a minute would
# show a host that started dropping at minute 11.  EXPECT is "dropping"
# (the dropping alert fires at 15 min, the since-boot one at 45 min, when
# AFTER says the table was full and the max should change) or "quiet"
# (neither fires).  The alerts' annotations are the rule file's, rendered
# for the instance.  One ok/bad verdict.
# shellcheck shell=bash

PROM_RULES=$(cd "${CTUNE_TESTS:-$(dirname "${BASH_SOURCE[0]}")}/../examples/prometheus" && pwd)/ctune-alerts.yml

prom_alert_test() {
	local name=$1 before=$2 after=$3 expect=$4 dir=$5
	if ! /usr/bin/python3 - "$PROM_RULES" "$before" "$after" "$expect" "$dir/real.test.yml" >"$dir/gen.err" 2>&1 <<'PY'; then
import json, os, re, sys, yaml
rules, before, after, expect, out = sys.argv[1:]
# promtool finds rule files relative to the test file, and only warns when
# a pattern matches nothing: an absolute path that exists, or no test.
rules = os.path.abspath(rules)
if not os.path.isfile(rules):
    sys.exit("no rule file at " + rules)
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
def samples(path):
    d = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit("not a sample line: %r" % line)
        labels = m.group(2)[1:-1] if m.group(2) else ""
        labels = (labels + "," if labels else "") + 'instance="ctune-test",job="node"'
        d["%s{%s}" % (m.group(1), labels)] = m.group(3)
    return d
b, a = samples(before), samples(after)
series = []
for key in sorted(set(b) | set(a)):
    vals = [b.get(key, "_")] * 11 + [a.get(key, "_")] * 50
    series.append({"series": key, "values": " ".join(vals)})
doc = yaml.safe_load(open(rules))
byname = {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}
def alert(name):
    r = byname[name]
    ann = {k: v.replace("{{ $labels.instance }}", "ctune-test") for k, v in r.get("annotations", {}).items()}
    labels = dict(r.get("labels", {}), instance="ctune-test", job="node")
    return [{"exp_labels": labels, "exp_annotations": ann}]
full = a.get('ctune_conntrack_table_full_seen{instance="ctune-test",job="node"}') == "1"
change = a.get('ctune_conntrack_advice_change{name="max",instance="ctune-test",job="node"}') == "1"
tests = [
    {"eval_time": "5m", "alertname": "ConntrackTableFullDropping", "exp_alerts": []},
    {"eval_time": "15m", "alertname": "ConntrackTableFullDropping",
     "exp_alerts": alert("ConntrackTableFullDropping") if expect == "dropping" else []},
    {"eval_time": "45m", "alertname": "ConntrackTableFullSinceBoot",
     "exp_alerts": alert("ConntrackTableFullSinceBoot") if expect == "dropping" and full and change else []},
]
if expect == "dropping" and not (full and change):
    sys.exit("AFTER does not say table_full_seen 1 and advice_change{name=max} 1")
json.dump({"rule_files": [rules], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": tests}]},
          open(out, "w"), indent=1)
PY
		bad "$name: could not make the promtool test: $(cat "$dir/gen.err")"
		return
	fi
	if promtool test rules "$dir/real.test.yml" >"$dir/promtool.out" 2>&1 && ! grep -q WARNING "$dir/promtool.out"; then
		ok "$name"
	else
		bad "$name: promtool test rules failed:"
		sed 's/^/    /' "$dir/promtool.out" | head -40
	fi
}
