#!/usr/bin/env bash
# fuzz/valgrind.sh [BUILD] [SHELL_TEST...] - the unit tests and shell tests
# under valgrind memcheck (issue 7: no leaks, no invalid reads).
#
#   BUILD       a configured and built tree (default build-rel), NOT a
#               sanitizer build: ASan and valgrind do not mix
#   SHELL_TEST  names of tests/*.test.sh to run (default: protocol hostile
#               fixtures faults privileges concurrency set set-netns)
#
# Every unit test runs in one process (CK_FORK=no) under memcheck; every
# shell test runs with CTUNE_REAL replaced by a wrapper that runs the real
# binary under memcheck.  Options: --leak-check=full
# --errors-for-leak-kinds=definite --error-exitcode=99 and the suppressions
# in fuzz/valgrind.supp.  Each valgrind log that holds an error is printed;
# the exit status is 0 only when no test failed and no log holds an error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(cd "${1:-$top/build-rel}" && pwd)
shift || true
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(protocol hostile fixtures faults privileges concurrency set set-netns)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
logs=$(mktemp -d /tmp/ctune-valgrind-XXXXXX)
chmod 1777 "$logs" # the hostile and faults tests run ctune as nobody too
vg=(valgrind -q "--suppressions=$here/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite
	--error-exitcode=99)
failed=0

echo "# unit tests ($build/tests)"
for t in "$build"/tests/test-*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	CK_FORK=no "${vg[@]}" --log-file="$logs/$name.%p.log" "$t" >"$logs/$name.out" 2>&1
	rc=$?
	echo "$name: exit $rc"
	[ $rc = 0 ] || failed=1
done

# The wrapper the shell tests call as CTUNE_REAL (through tests/ctune-logged).
cat >"$logs/ctune" <<WRAP
#!/bin/sh
exec ${vg[*]} --log-file=$logs/ctune.%p.log $build/plugin/ctune "\$@"
WRAP
chmod 0755 "$logs/ctune"
echo "# shell tests (ctune under memcheck)"
for t in "${tests[@]}"; do
	# the concurrency test starts 50 runs at once: 10 under valgrind
	CTUNE_CONCURRENCY=10 CTUNE="$top/tests/ctune-logged" CTUNE_REAL="$logs/ctune" CTUNE_TESTS="$top/tests" \
		CTUNE_BUILD="$build" CTUNE_OUTPUTS="$logs/outputs" bash "$top/tests/$t.test.sh" >"$logs/sh-$t.out" 2>&1
	rc=$?
	echo "sh-$t: exit $rc ($(tail -1 "$logs/sh-$t.out"))"
	[ $rc = 0 ] || [ $rc = 77 ] || failed=1
done

runs=$(find "$logs" -name 'ctune.*.log' | wc -l)
bad=0
for f in "$logs"/*.log; do
	[ -s "$f" ] || continue
	bad=$((bad + 1))
	echo "== $f"
	head -40 "$f"
done
echo "valgrind: $runs ctune runs and the unit tests checked, $bad logs with errors (in $logs)"
[ $failed = 0 ] && [ $bad = 0 ]
