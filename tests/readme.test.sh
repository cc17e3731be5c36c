#!/usr/bin/env bash
# readme.test.sh - every command of README.md runs, as written and in order,
# in a sandbox; a command that fails (or exits other than its `# exit N`
# comment says) fails the test, and so does an exemption below whose command
# README.md no longer has.  The convention - which lines are commands - is in
# tests/README.md and tests/data/readme/readme_commands.py, which extracts and
# runs them.
#
# The sandbox (this script again, with --inner, under unshare -mn):
#  - a private network namespace: live writes hit a throw-away namespace's
#    /proc/sys; the knobs that are global (nf_conntrack_max, _buckets,
#    _expect_max, and the module's hashsize in /sys) are files of the sandbox
#    bind-mounted over the kernel's, so a README command that sets them does
#    so as on a host, and the host's values never change;
#  - a private mount namespace in which every writable tree of the host
#    (/etc /usr /opt /var /root /home /srv, and the build under test) is an
#    overlay whose upper layer is a tmpfs, /tmp and /run are empty tmpfs
#    (so no command reaches the host's systemd or D-Bus): whatever a command
#    writes vanishes with the namespace;
#  - the commands run from a copy of the source tree (in that tmpfs) whose
#    `build` is the build under test ($CTUNE_BUILD).
#
# Needs root, unshare -mn and overlayfs, else skips.  Environment (ctest):
# CTUNE_BUILD, CTUNE_FLAVOUR.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3

# Commands of README.md not run here, each with the reason (a TAB between).
# - scripts/bootstrap facts and test: the set-up commands, run by CI itself
#   (.ci/run is `scripts/bootstrap test`, which builds as `facts` does).
# - bench/run: the benchmark - minutes of timing on a quiet machine, its
#   figures written to bench/RESULTS.md; not a test (the common rules).
# - scripts/bootstrap static outside the static flavour: it builds the static
#   executable the static flavour's run has just built; run there.
exemptions() {
	printf '%s\t%s\n' \
		"scripts/bootstrap facts" "run by CI (.ci/run: scripts/bootstrap test builds the same way)" \
		"scripts/bootstrap test" "run by CI itself (.ci/run)" \
		"bench/run" "the benchmark, not a test: bench/run measures, bench/RESULTS.md keeps the figures" \
		"sh examples/fleet/salt/report.sh '*' fleet.html" "needs a Salt master: tests/report.test.sh runs this script with the Salt glue's harness standing in for salt"
	if [ "${CTUNE_FLAVOUR:-dynamic}" != static ]; then
		printf '%s\t%s\n' "scripts/bootstrap static" "run by the static flavour's readme test"
	fi
}

# ============================ inside the sandbox =============================
if [ "${1:-}" = --inner ]; then
	host_ns=$2 S=$3
	if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
		bad "not in a private network namespace: refusing to run the README's commands"
		report
		exit
	fi
	mount --make-rprivate / || { bad "mount --make-rprivate /"; report; exit; }
	L=$S/layers
	mount -t tmpfs -o mode=0755 ctune-readme "$L" || { bad "tmpfs for the overlays"; report; exit; }
	# The global conntrack knobs: sandbox files over the kernel's.
	mkdir "$L/knobs"
	for f in /proc/sys/net/netfilter/nf_conntrack_max /proc/sys/net/netfilter/nf_conntrack_buckets \
		/proc/sys/net/netfilter/nf_conntrack_expect_max /sys/module/nf_conntrack/parameters/hashsize \
		/sys/module/nf_conntrack/parameters/expect_hashsize; do
		[ -e "$f" ] || continue
		k=$L/knobs/$(echo "$f" | tr / _)
		cat "$f" >"$k" && mount --bind "$k" "$f" || { bad "cannot mask $f"; report; exit; }
	done
	# The source tree the commands run from, before /tmp and the rest are covered.
	tree=$L/src
	mkdir "$tree"
	(cd "$top" && tar --exclude=./.git --exclude='./build*' -cf - .) | tar -xf - -C "$tree" ||
		{ bad "copy of the source tree"; report; exit; }
	ln -s "$CTUNE_BUILD" "$tree/build"
	exemptions >"$L/exempt"
	cp "$top/tests/data/readme/readme_commands.py" "$L/"
	build_real=$(cd "$CTUNE_BUILD" && pwd -P)
	for d in /etc /usr /opt /var /root /home /srv "$build_real"; do
		[ -d "$d" ] || continue
		n=$L/ov/$(echo "$d" | tr / _)
		mkdir -p "$n/up" "$n/work"
		mount -t overlay overlay -o "lowerdir=$d,upperdir=$n/up,workdir=$n/work" "$d" ||
			{ bad "overlay on $d"; report; exit; }
	done
	# The source (read-only) and the build (its overlay) stay where they are
	# even when they lie under /tmp or /run, as in a CI clone made there: the
	# executable looks for the lenses in the source, and the build's files
	# name its own path.
	top_real=$(cd "$top" && pwd -P)
	keep() { echo "$L/keep/$(echo "$1" | tr / _)"; }
	for d in "$top_real" "$build_real"; do
		mkdir -p "$(keep "$d")" && mount --bind "$d" "$(keep "$d")" || { bad "bind of $d"; report; exit; }
	done
	mount -o remount,bind,ro "$(keep "$top_real")" || { bad "read-only bind of $top_real"; report; exit; }
	mount -t tmpfs -o mode=1777 ctune-readme-tmp /tmp || { bad "tmpfs on /tmp"; report; exit; }
	mount -t tmpfs -o mode=0755 ctune-readme-run /run || { bad "tmpfs on /run"; report; exit; }
	for d in "$top_real" "$build_real"; do # the source first: the build may lie inside it
		case $d in /tmp | /tmp/* | /run | /run/*) ;; *) continue ;; esac
		mkdir -p "$d" && mount --bind "$(keep "$d")" "$d" || { bad "bind of $d back"; report; exit; }
	done
	case $top_real in /tmp | /tmp/* | /run | /run/*)
		mount -o remount,bind,ro "$top_real" || { bad "read-only $top_real"; report; exit; } ;;
	esac
	mkdir -p /run/lock
	export HOME=/root
	exec $py -B "$L/readme_commands.py" run "$tree/README.md" "$tree" "$L/exempt"
fi

# ================================ outside =====================================
[ -n "${CTUNE_BUILD:-}" ] && [ -x "$CTUNE_BUILD/plugin/ctune" ] || skip "needs CTUNE_BUILD (ctest sets it) with plugin/ctune built"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces, overlays)"
[ -x "$py" ] || skip "needs $py"
unshare -mn true 2>/dev/null || skip "unshare -mn is not permitted here"

exit_on_signals
# /dev/shm: a tmpfs of the host no overlay below covers, so the sandbox
# layers mounted there stay reachable after /var and the rest are overlaid.
S=$(mktemp -d /dev/shm/ctune-readme.XXXXXX) || exit 1
mkdir "$S/layers"
trap 'rm -rf "$S"' EXIT
# overlayfs (mounting one loads the module when it is one): probed on
# scratch directories in a private mount namespace.
mkdir -p "$S/probe/lower" "$S/probe/upper" "$S/probe/work" "$S/probe/merged"
unshare -m mount -t overlay overlay \
	-o "lowerdir=$S/probe/lower,upperdir=$S/probe/upper,workdir=$S/probe/work" "$S/probe/merged" 2>/dev/null ||
	skip "no overlayfs here"
rm -rf "$S/probe"

# What the README's commands must leave as it was on the host.
snapshot() {
	for f in /proc/sys/net/netfilter/nf_conntrack_max /proc/sys/net/netfilter/nf_conntrack_buckets \
		/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established /sys/module/nf_conntrack/parameters/hashsize; do
		[ -e "$f" ] && echo "$f $(cat "$f")"
	done
	ls -la --time-style=+%s /etc/sysctl.conf /etc/sysctl.d /etc/modprobe.d /etc/modules-load.d /tmp/host /opt 2>&1 |
		sha256sum
	(cd "$top" && git status --porcelain --ignored=no 2>/dev/null | sha256sum)
}
before=$(snapshot)

unshare -mn bash "$0" --inner "$(readlink /proc/self/ns/net)" "$S"
rc=$?

if [ "$(snapshot)" = "$before" ]; then
	echo "ok   the host is as it was (conntrack values, /etc, /tmp/host, /opt, the source tree)"
else
	echo "FAIL the README's commands changed the host:"
	diff <(echo "$before") <(snapshot) | sed 's/^/     /'
	rc=1
fi
exit $rc
