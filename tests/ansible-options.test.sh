#!/usr/bin/env bash
# ansible-options.test.sh - the options the Ansible modules document
# (plugin/ansible/ctune.yml, ctune_facts.yml) and the Salt glue passes
# (plugin/salt) are the ones ctune's request takes: checked against
# schemas/request.json and the executable, without Ansible or Salt installed
# (tests/data/return/check_options.py says how).  An option added to the
# request without its DOCUMENTATION entry or its Salt pass-through, or one
# documented that ctune does not know, fails here.
set -u
. "$(dirname "$0")/lib.sh"
: "${CTUNE_REAL:?}"
py=/usr/bin/python3
$py -c 'import yaml' 2>/dev/null || skip "needs python3 with yaml (Debian: python3-yaml)"
top=$(cd "$(dirname "$0")/.." && pwd)
case $CTUNE_REAL in /*) ;; *) CTUNE_REAL=$PWD/$CTUNE_REAL ;; esac
exec $py -B "$top/tests/data/return/check_options.py" "$top" "$CTUNE_REAL"
