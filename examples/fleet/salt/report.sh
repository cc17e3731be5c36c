#!/bin/sh
# report.sh - the fleet view with Salt, on the master: every minion's ctune
# facts as one JSON object keyed by minion id (the ctune execution module
# from plugin/salt/_modules, synced with saltutil.sync_modules), then one
# report over it.  The conntrack grain (plugin/salt/_grains) works the same
# way without running ctune again: grains.item conntrack.
#
#   sh report.sh [TARGET] [OUT.html]
set -eu
target=${1:-*}
out=${2:-report.html}
tmp=$(mktemp /tmp/ctune-fleet-XXXXXX.json)
trap 'rm -f "$tmp"' EXIT
salt "$target" ctune.facts --out=json --static >"$tmp"
# or, from the grains the minions already hold:
#   salt "$target" grains.item conntrack --out=json --static >"$tmp"
ctune report "$tmp" --format html --output "$out"
ctune report "$tmp" --format human
