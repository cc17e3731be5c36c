# lib.sh - pieces the shell tests share; sourced, never run (and not named
# *.test.sh, so ctest does not take it for a test):
#   . "$(dirname "$0")/lib.sh"
# Sourcing only defines functions and sets pass=0 fail=0; nothing runs.
# shellcheck shell=bash

# --- verdicts -----------------------------------------------------------------
# ok WHAT / bad WHAT: count a check and print its verdict line.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# report: the final summary line; its status (the script's last command) is
# the test's exit status: 0 when nothing failed, else 1.
report() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# skip REASON: the test does not apply here (ctest's exit 77).
skip() {
	echo "skipped: $*" >&2
	exit 77
}

# strace_in_private_ns SCRIPT ARG1: for the tests that drive ctune under
# strace as root: skip without strace or /usr/bin/python3, or where
# unshare -mn is refused; else, unless ARG1 is --inner (already inside),
# run SCRIPT again in a private mount and network namespace with --inner.
strace_in_private_ns() {
	command -v strace >/dev/null && [ -x /usr/bin/python3 ] || skip "needs strace and /usr/bin/python3"
	[ "${2:-}" = --inner ] && return 0
	unshare -mn true 2>/dev/null || skip "unshare -mn is not permitted here"
	exec unshare -mn bash "$1" --inner
}

# scratch NAME: a fresh scratch directory in $tmp, removed on exit (a test
# with more to undo replaces the EXIT trap with its own, which removes $tmp).
scratch() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctune-$1.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
}

# run ARGS... : run ctune, stdout to $tmp/out, stderr to $tmp/err, rc in $rc
# shellcheck disable=SC2034 # rc is the caller's
run() {
	"$CTUNE" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# --- a reference summary of a conntrack table ---------------------------------
# conntrack_summary LONG [FILE...]: a plain awk count of a conntrack table's
# text (FILE, or stdin), independent of ctune's parser, as "key value" lines:
# total, assured, unreplied, offload, long_timeout (timeouts above LONG
# seconds), malformed 0, family.*, protocol.*, tcp_state.*.  Both line
# formats: nf_conntrack's ("ipv4 2 tcp 6 431999 ESTABLISHED src=...", also
# `conntrack -L -o extended`) and the legacy ip_conntrack's ("tcp 6 431999
# ESTABLISHED src=...", all IPv4), told apart by the protocol number that
# only the modern format has as its fourth word.
conntrack_summary() {
	awk -v long="$1" '
	BEGIN {
		split("ipv4 ipv6 other", F, " ")
		split("tcp udp udplite icmp icmpv6 sctp dccp gre other", P, " ")
		split("NONE SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE SYN_SENT2 UNKNOWN", S, " ")
		for (i in F) fam[F[i]] = 0
		for (i in P) pro[P[i]] = 0
		for (i in S) st[S[i]] = 0
	}
	NF == 0 { next }
	{
		total++
		if ($4 ~ /^[0-9]+$/) { f = ($1 == "ipv4" || $1 == "ipv6") ? $1 : "other"; o = 2 } else { f = "ipv4"; o = 0 }
		fam[f]++
		p = $(o + 1); if (!(p in pro)) p = "other"; pro[p]++
		t = $(o + 3); timed = (t ~ /^[0-9]+$/)   # [OFFLOAD] flows print no timeout
		if (p == "tcp") { s = timed ? $(o + 4) : $(o + 3); if (!(s in st)) s = "UNKNOWN"; st[s]++ }
		if (timed && t + 0 > long) lng++
		if ($0 ~ /\[ASSURED\]/) a++
		if ($0 ~ /\[UNREPLIED\]/) u++
		if ($0 ~ /\[(HW_)?OFFLOAD\]/) off++
	}
	END {
		printf "total %d\nassured %d\nunreplied %d\noffload %d\nlong_timeout %d\nmalformed 0\n", total, a, u, off, lng
		for (k in fam) printf "family.%s %d\n", k, fam[k]
		for (k in pro) printf "protocol.%s %d\n", k, pro[k]
		for (k in st) printf "tcp_state.%s %d\n", k, st[k]
	}' "${@:2}"
}

# --- a private network namespace ($NS) ----------------------------------------
# exit_on_signals: HUP, INT and TERM end the test through its EXIT trap.
exit_on_signals() {
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# nsx CMD...: run CMD inside $NS.
nsx() { ip netns exec "$NS" "$@"; }

# host_snapshot: what the test must leave as it was in the host's own
# namespace: the conntrack sysctls (not the count), the nft ruleset's hash
# (where nft is installed) and whether $NS is still listed.
host_snapshot() {
	local f
	for f in /proc/sys/net/netfilter/nf_conntrack_* /proc/sys/net/nf_conntrack_max; do
		[ -f "$f" ] || continue
		[ "$f" = /proc/sys/net/netfilter/nf_conntrack_count ] && continue
		printf '%s %s\n' "$f" "$(cat "$f" 2>/dev/null)"
	done
	if command -v nft >/dev/null 2>&1; then
		echo "nft-ruleset $(nft list ruleset 2>&1 | sha256sum | cut -d' ' -f1)"
	fi
	echo "netns-present $(ip netns list 2>/dev/null | grep -c "^$NS\b")"
}
