#!/usr/bin/env bash
# ansible-return.test.sh - the RETURN documentation of the Ansible modules
# (plugin/ansible/ctune.yml, ctune_facts.yml) says what ctune returns: checked
# against schemas/response.json, against the keys plugin/response.c and
# plugin/main.c set, and against the example responses
# (tests/data/return/check_return.py says how).  A key added to a response
# without its RETURN entry, or an entry for a key that no longer exists,
# fails here.
set -u
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
$py -c 'import yaml' 2>/dev/null || skip "needs python3 with yaml (Debian: python3-yaml)"
top=$(cd "$(dirname "$0")/.." && pwd)
exec $py -B "$top/tests/data/return/check_return.py" "$top"
