#!/usr/bin/env bash
# systemd.test.sh - the node_exporter textfile timer (contrib/systemd):
#  1. systemd-analyze verify accepts the service and the timer as this build
#     made them for its own executable (<build>/contrib/systemd; the same
#     templates cmake --install writes for its prefix), with the man page the
#     units name as their documentation on MANPATH;
#  2. what cmake --install puts under a prefix: the units name that prefix's
#     helper, the helper that prefix's ctune, the timer is enabled by
#     timers.target;
#  3. the helper, run as the service runs it, writes ctune.prom into the
#     directory atomically: the metrics of `ctune facts --format prometheus`
#     (promtool check metrics accepts them when promtool is installed),
#     mode 0644, no temporary file left; when ctune fails the old file stays
#     and the helper fails; a missing directory is an error that says so.
#
# Environment (ctest): CTUNE_REAL, CTUNE_BUILD.  Skips without
# systemd-analyze.
set -u
. "$(dirname "$0")/lib.sh"
: "${CTUNE_REAL:?}" "${CTUNE_BUILD:?}"
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze is not installed"
scratch systemd
units=$CTUNE_BUILD/contrib/systemd

# 1. systemd-analyze verify
mkdir -p "$tmp/man/man1"
cp "$(dirname "$0")/../docs/ctune.1" "$tmp/man/man1/"
if (cd "$units" && MANPATH=$tmp/man systemd-analyze verify ./ctune-textfile.service ./ctune-textfile.timer) \
	>"$tmp/verify.out" 2>&1 && ! grep -q . "$tmp/verify.out"; then
	ok "systemd-analyze verify: ctune-textfile.service and .timer, no complaint"
else
	bad "systemd-analyze verify: $(head -n 10 "$tmp/verify.out")"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$units/ctune-textfile.service")
helper=${exec_start%% *}
if [ "$helper" = "$units/ctune-textfile" ] && [ -x "$helper" ]; then
	ok "the build's service runs the build's helper ($helper)"
else
	bad "ExecStart=$exec_start"
fi
if grep -q '^PrivateNetwork' "$units/ctune-textfile.service"; then
	bad "the service has a private network namespace: its facts would not be the host's"
else
	ok "no PrivateNetwork: the facts are the host's namespace's"
fi

# 2. installed under a prefix
prefix=$tmp/prefix
if cmake --install "$CTUNE_BUILD" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
	svc=$prefix/lib/systemd/system/ctune-textfile.service
	if grep -qx "ExecStart=$prefix/libexec/ctune/ctune-textfile \${CTUNE_TEXTFILE_DIR}" "$svc" &&
		grep -q "^bin=\${CTUNE_BIN:-$prefix/bin/ctune}\$" "$prefix/libexec/ctune/ctune-textfile" &&
		[ -x "$prefix/libexec/ctune/ctune-textfile" ] && [ ! -x "$svc" ]; then
		ok "installed under the prefix: the service runs its helper, the helper its ctune"
	else
		bad "installed units: $(grep ExecStart "$svc" 2>&1) / $(grep '^bin=' "$prefix/libexec/ctune/ctune-textfile" 2>&1)"
	fi
	if grep -qx 'WantedBy=timers.target' "$prefix/lib/systemd/system/ctune-textfile.timer"; then
		ok "the timer is enabled by timers.target"
	else
		bad "the installed timer has no WantedBy=timers.target"
	fi
else
	bad "cmake --install --prefix: $(tail -n 5 "$tmp/install.log")"
fi

# 3. the helper writes the file atomically
dir=$tmp/textfile
mkdir "$dir"
if CTUNE_BIN=$CTUNE_REAL "$helper" "$dir" 2>"$tmp/helper.err"; then
	ok "ctune-textfile DIR: exit 0"
else
	bad "ctune-textfile DIR failed: $(head -n 3 "$tmp/helper.err")"
fi
"$CTUNE_REAL" facts --format prometheus | grep '^# TYPE' >"$tmp/want.types"
if [ -f "$dir/ctune.prom" ] && grep '^# TYPE' "$dir/ctune.prom" | cmp -s - "$tmp/want.types" &&
	grep -q '^ctune_conntrack_entries_limit [0-9]' "$dir/ctune.prom"; then
	ok "ctune.prom holds ctune's metrics"
else
	bad "ctune.prom: $(head -c 300 "$dir/ctune.prom" 2>&1)"
fi
[ "$(stat -c %a "$dir/ctune.prom" 2>/dev/null)" = 644 ] && ok "ctune.prom is mode 0644" ||
	bad "ctune.prom mode $(stat -c %a "$dir/ctune.prom" 2>&1)"
if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$dir/ctune.prom" >"$tmp/promtool.out" 2>&1; then
		ok "promtool check metrics accepts ctune.prom"
	else
		bad "promtool check metrics: $(head -n 5 "$tmp/promtool.out")"
	fi
else
	echo "NOTE: promtool is not installed: the metrics are not linted"
fi
[ "$(ls -A "$dir")" = ctune.prom ] && ok "no temporary file left" || bad "left in the directory: $(ls -A "$dir")"
sum=$(sha256sum <"$dir/ctune.prom")
if CTUNE_BIN=/bin/false "$helper" "$dir" 2>/dev/null; then
	bad "ctune failing: the helper exits 0"
else
	ok "ctune failing: the helper fails"
fi
[ "$(sha256sum <"$dir/ctune.prom")" = "$sum" ] && [ "$(ls -A "$dir")" = ctune.prom ] &&
	ok "ctune failing: the old ctune.prom stays, no temporary file" || bad "ctune failing: the directory changed: $(ls -A "$dir")"
if CTUNE_BIN=$CTUNE_REAL "$helper" "$tmp/nonexistent" 2>"$tmp/missing.err"; then
	bad "a missing directory: exit 0"
elif grep -q 'is not a directory' "$tmp/missing.err" && [ ! -e "$tmp/nonexistent" ]; then
	ok "a missing directory: an error that names it"
else
	bad "a missing directory: $(cat "$tmp/missing.err")"
fi

report
