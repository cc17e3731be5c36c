#!/usr/bin/env bash
# fuzz/run.sh TARGET [SECONDS] - fuzz one target (request, argv, duration, report,
# table, stat, events, netlink, nl) for SECONDS (default 600) with the build in
# ${CTUNE_FUZZ_BUILD:-build-fuzz} (fuzz/build.sh makes it).
#
# The committed seed corpus is read, never written: new inputs go to
# $BUILD/work/TARGET, crash inputs to $BUILD/artifacts/TARGET/, the log to
# $BUILD/TARGET.log, and the closing figures (executions, coverage, corpus
# size, crashes) are printed at the end.  Exit status: 0 no crash, 1 crash.
set -u
here=$(cd "$(dirname "$0")" && pwd)
t=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
secs=${2:-600}
build=${CTUNE_FUZZ_BUILD:-$here/../build-fuzz}
exe=$build/fuzz-$t
[ -x "$exe" ] || { echo "no $exe: run fuzz/build.sh first" >&2; exit 2; }
case $t in
table | events | report) max_len=16384 ;;
request | stat) max_len=8192 ;;
*) max_len=1024 ;;
esac
work=$build/work/$t art=$build/artifacts/$t/
mkdir -p "$work" "$art"
dirs=("$work" "$here/corpus/$t")
[ -d "$here/regressions/$t" ] && dirs+=("$here/regressions/$t")
dict=()
[ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
# -rss_limit_mb: the parsers are constant-memory; 2 GB would be a bug.
"$exe" "${dict[@]}" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$art" "${dirs[@]}" >"$build/$t.log" 2>&1
rc=$?
grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$build/$t.log" | tail -1
grep -E '^stat::' "$build/$t.log"
echo "crash inputs: $(find "$art" -type f | wc -l) (in $art)"
echo "exit $rc"
[ $rc = 0 ]
