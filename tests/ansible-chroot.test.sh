#!/usr/bin/env bash
# ansible-chroot.test.sh - the static ctune as Ansible's binary modules on a
# managed host that has nothing but a shell.
#
# "Another host" is a chroot holding only Debian's busybox-static (as /bin/sh
# and its applets), an /etc/sysctl.conf and a /proc, reached through
# community.general.chroot, the connection Debian's ansible ships for
# another root.  No Python, no libc, no Augeas, no lenses there: Ansible
# copies the module with dd and runs it with sh.  examples/conntrack.yml is
# the play: the facts are read, --check --diff changes nothing, the first run
# sets the per-namespace timeouts live and in the chroot's sysctl.conf and
# the play's own assert reads them back, the second run changes nothing.
#
# The chroot's /proc is a proc mounted inside a private mount and network
# namespace (unshare -mn) this test makes, so the live writes land in that
# namespace, never on the host's own values (checked at the end).
#
# Runs with the static flavour only (CTUNE_FLAVOUR=static, set by
# scripts/bootstrap's static suite): a dynamically linked ctune cannot even
# start in such a chroot, which is the point of the static binary.
# shellcheck disable=SC2015 # ok and bad return 0: `test && ok || bad` is if-else
set -u
. "$(dirname "$0")/lib.sh"
: "${CTUNE_REAL:?}" "${CTUNE_TESTS:?}"
top=$(cd "$CTUNE_TESTS/.." && pwd)
case $CTUNE_REAL in /*) ;; *) CTUNE_REAL=$PWD/$CTUNE_REAL ;; esac
py=/usr/bin/python3
q_py=$top/tests/data/glue/ansible_q.py
NF=/proc/sys/net/netfilter/nf_conntrack_
export ANSIBLE_Q_HOST=managed

# q NAME FILE EXPR: the json callback's output in FILE satisfies EXPR.
q() {
	local detail
	if detail=$($py "$q_py" "$2" "$3" 2>&1); then ok "$1"; else bad "$1: $3"$'\n'"$detail"; fi
}
# pb OUT ARGS...: ansible-playbook with the json callback; rc set.
pb() {
	local out=$1
	shift
	ANSIBLE_STDOUT_CALLBACK=json ansible-playbook "$@" >"$out" 2>"$out.err" </dev/null
	rc=$?
}
# snap DIR: names, types, modes, sizes and contents of everything under DIR
# but /proc and Ansible's own temporary directory (/tmp/.ansible).
snap() {
	(cd "$1" && find . \( -path ./proc -o -path ./tmp \) -prune -o -printf '%p %y %m %s %l\n' | LC_ALL=C sort &&
		find . \( -path ./proc -o -path ./tmp \) -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}

# ========================= inside the private namespaces =====================
if [ "${1:-}" = --inner ]; then
	host_ns=$2 tmp=$3
	ch=$tmp/managed
	if [ "$(readlink /proc/self/ns/net)" = "$host_ns" ]; then
		bad "not in a private network namespace: refusing to run"
		echo "INNER $pass $fail"
		exit 0
	fi
	mount -t proc proc "$ch/proc" || { bad "mount proc in the chroot"; echo "INNER $pass $fail"; exit 0; }
	play=$top/examples/conntrack.yml
	# max is read-only outside the initial namespace: the play leaves it alone.
	vars=(-e conntrack_max=)

	snap "$ch" >"$tmp/before.snap"
	pb "$tmp/check.json" "$play" "${vars[@]}" --check --diff
	[ "$rc" = 0 ] && ok "--check --diff: exit 0" || bad "--check --diff: exit $rc: $(head -c 1500 "$tmp/check.json.err")"
	q "--check --diff: would change, shows the diff" "$tmp/check.json" \
		"stats['failures'] == 0 and stats['changed'] == 1 and task('Size the table')['check_mode'] is True and 'net.netfilter.nf_conntrack_tcp_timeout_established = 43200' in task('Size the table')['diff']['after']"
	q "facts from the chroot's kernel view" "$tmp/check.json" \
		"task('Read the conntrack facts')['ansible_facts']['conntrack']['timeouts']['tcp_timeout_established'] == 432000"
	snap "$ch" | cmp -s - "$tmp/before.snap" && ok "--check changed nothing on the managed host" ||
		bad "--check changed the managed host: $(snap "$ch" | diff "$tmp/before.snap" - | head -20)"
	[ "$(cat "${NF}tcp_timeout_established")" = 432000 ] && ok "--check changed no live value" ||
		bad "--check changed tcp_timeout_established to $(cat "${NF}tcp_timeout_established")"

	pb "$tmp/run1.json" "$play" "${vars[@]}" --diff
	[ "$rc" = 0 ] && ok "first run: exit 0" || bad "first run: exit $rc: $(head -c 1500 "$tmp/run1.json.err")"
	q "first run: changed, read back by the play's assert" "$tmp/run1.json" \
		"stats['failures'] == 0 and stats['changed'] == 1 and task('Size the table')['changed'] and task('Read the facts again')['ansible_facts']['conntrack']['timeouts']['tcp_timeout_established'] == 43200"
	[ "$(cat "${NF}tcp_timeout_established")" = 43200 ] && ok "first run: live value 43200 in the namespace" ||
		bad "first run: live tcp_timeout_established $(cat "${NF}tcp_timeout_established")"
	grep -qx 'net.netfilter.nf_conntrack_tcp_timeout_established = 43200' "$ch/etc/sysctl.conf" &&
		grep -qx 'net.ipv4.ip_forward = 0' "$ch/etc/sysctl.conf" && ok "first run: persisted in the chroot's sysctl.conf" ||
		bad "first run: the chroot's sysctl.conf: $(cat "$ch/etc/sysctl.conf")"

	snap "$ch" >"$tmp/converged.snap"
	pb "$tmp/run2.json" "$play" "${vars[@]}" --diff
	[ "$rc" = 0 ] && ok "second run: exit 0" || bad "second run: exit $rc: $(head -c 1500 "$tmp/run2.json.err")"
	q "second run: unchanged" "$tmp/run2.json" "stats['failures'] == 0 and stats['changed'] == 0 and not task('Size the table')['changed']"
	snap "$ch" | cmp -s - "$tmp/converged.snap" &&
		ok "second run: nothing on the managed host was rewritten" || bad "second run rewrote: $(snap "$ch" | diff "$tmp/converged.snap" - | head)"
	umount "$ch/proc"
	echo "INNER $pass $fail"
	exit 0
fi

[ "${CTUNE_FLAVOUR:-}" = static ] ||
	skip "the chroot play runs with the static binary (CTUNE_FLAVOUR=static): a dynamically linked ctune cannot start on a host without its libraries"
[ "$(id -u)" = 0 ] || skip "needs root (chroot, unshare -mn)"
command -v ansible-playbook >/dev/null || skip "ansible-playbook is not installed (Debian: ansible-core)"
$py -c 'import ansible_collections.community.general.plugins.connection.chroot' 2>/dev/null ||
	skip "community.general.chroot is not installed (Debian: ansible)"
busybox=/bin/busybox
file -b "$busybox" 2>/dev/null | grep -q 'statically linked' || skip "no static busybox (Debian: busybox-static)"
unshare -mn true 2>/dev/null || skip "unshare -mn is not permitted here"
unshare -n test -w "${NF}tcp_timeout_established" || skip "no writable per-namespace conntrack timeouts"
file -b "$CTUNE_REAL" | grep -q 'statically linked' && ok "ctune is statically linked" || bad "ctune is not statically linked: $(file -b "$CTUNE_REAL")"

tmp=$(mktemp -d /tmp/ctune-ansible-chroot.XXXXXX)
cleanup() {
	umount "$tmp/managed/proc" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The managed host: busybox and its applets, a sysctl.conf, an empty /proc.
ch=$tmp/managed
mkdir -p "$ch/bin" "$ch/etc" "$ch/proc"
cp "$busybox" "$ch/bin/busybox"
for a in $("$ch/bin/busybox" --list); do
	[ -e "$ch/bin/$a" ] || ln -s busybox "$ch/bin/$a"
done
printf '# a minimal managed host\nnet.ipv4.ip_forward = 0\n' >"$ch/etc/sysctl.conf"
others=$(cd "$ch" && find . -mindepth 1 -not -path './bin*' -not -path ./proc -not -path ./etc -not -path ./etc/sysctl.conf)
[ -z "$others" ] && ok "the managed host holds busybox, sysctl.conf and /proc only" || bad "the chroot holds more: $others"
chroot "$ch" /bin/sh -c 'command -v python3 python ld-linux-x86-64.so.2' >/dev/null 2>&1 &&
	bad "the chroot has a Python or a dynamic loader" || ok "no Python and no dynamic loader on the managed host"

# Ansible's own state and settings stay in the scratch directory; the module
# library is laid out as plugin/ansible/CMakeLists.txt lays it out.
printf 'managed ansible_connection=community.general.chroot ansible_host=%s ansible_remote_tmp=/tmp/.ansible\n' "$ch" >"$tmp/inventory"
lib=$tmp/library
mkdir -p "$lib"
for m in ctune ctune_facts; do
	cp "$CTUNE_REAL" "$lib/$m"
	cp "$top/plugin/ansible/$m.yml" "$lib/$m.yml"
done
cat >"$tmp/ansible.cfg" <<EOF
[defaults]
inventory = $tmp/inventory
library = $lib
local_tmp = $tmp/.ansible/tmp
retry_files_enabled = False
nocolor = True
EOF
export ANSIBLE_CONFIG=$tmp/ansible.cfg HOME=$tmp ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

host_before=$(cat "${NF}tcp_timeout_established" "${NF}udp_timeout" "${NF}max")
unshare -mn --propagation private bash "$0" --inner "$(readlink /proc/self/ns/net)" "$tmp" >"$tmp/inner.out" 2>&1
grep -v '^INNER ' "$tmp/inner.out"
if read -r _ p f < <(grep '^INNER ' "$tmp/inner.out"); then
	pass=$((pass + p)) fail=$((fail + f))
else
	bad "the namespace run reported nothing"
fi
[ "$(cat "${NF}tcp_timeout_established" "${NF}udp_timeout" "${NF}max")" = "$host_before" ] && ok "the host's own values are unchanged" ||
	bad "the host's own conntrack values changed"
[ -z "$(find "$ch" -name '.*.ctune-*' 2>/dev/null)" ] && ok "no temporary files left on the managed host" ||
	bad "left behind: $(find "$ch" -name '.*.ctune-*')"
report
