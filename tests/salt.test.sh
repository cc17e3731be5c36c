#!/usr/bin/env bash
# salt.test.sh - the Salt glue (plugin/salt) against the real ctune, tested
# the way Salt's own unit tests test modules: the module files imported with
# importlib, __salt__/__opts__/__grains__ injected, cmd.run_all really running
# ctune.  Also ctune under cmd.run with stateful: True (its output read as
# Salt documents), examples/salt/*.sls rendered and applied, and
# examples/json/*.request.json run as written against their *.response.json.
# All on scratch copies of examples/host; the host is never touched.
# The work is in tests/data/glue/salt_glue.py; CTUNE_UPDATE_EXAMPLES=1
# rewrites examples/json/*.response.json from the current ctune.
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
py=/usr/bin/python3
if ! $py -c 'import sys; sys.exit(sys.version_info < (3, 7))' 2>/dev/null; then
	echo "SKIP: needs python3 (3.7 or later) at $py" >&2
	exit 77
fi
top=$(cd "$CTUNE_TESTS/.." && pwd)
tmp=$(mktemp -d /tmp/ctune-salt-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The glue runs $CTUNE (a wrapper running $CTUNE_REAL) as the ctune
# executable, also from other directories: absolute paths.
abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
exec_ctune=$(abs "$CTUNE")
[ -n "${CTUNE_REAL:-}" ] && CTUNE_REAL=$(abs "$CTUNE_REAL") && export CTUNE_REAL
$py -B "$top/tests/data/glue/salt_glue.py" "$top" "$exec_ctune" "$tmp" </dev/null
