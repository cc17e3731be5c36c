#!/usr/bin/env bash
# cli.test.sh - the command line for people (issue 17), on scratch copies of
# the debian12 fixture (never the host's values), partly under a
# pseudo-terminal (script(1)) for what only a terminal gets:
#   - help: `ctune VERB --help`, `-h`, `ctune help VERB` exit 0 with that
#     verb's usage; `ctune --help` lists the verbs and points at tunables;
#   - a mistyped verb gets "did you mean", unless the single argument is an
#     existing file (Ansible's arguments file convention, kept);
#   - unknown tunables and options get "did you mean" on the command line
#     and in JSON (the Salt modules' path);
#   - every spelling of every tunable's sysctl key (both schemes, alias,
#     last component, slashes, /proc/sys path) names that tunable, on the
#     command line and as a JSON key;
#   - ansible.posix.sysctl's form (name/value, sysctl_file, reload,
#     sysctl_set, state, ignoreerrors), its refusals, and a real
#     ansible-playbook loop over dict2items (when Ansible is installed);
#   - on a terminal: the prompt of a bare `ctune`, the human summary of
#     set, the unified diff (which patch(1) applies), colour only when
#     TERM, NO_COLOR and --color allow, one error line instead of two,
#     --format json forcing JSON; the facts report wrapped at COLUMNS=60
#     and at `stty cols 60` with no word split;
#   - one syslog line per applied change, read from a /dev/log socket of a
#     private mount namespace (with a private network namespace and an
#     overlay over /etc, so neither the host's values nor its files move);
#     nothing in check mode, when unchanged, or under --root.
# Needs: $CTUNE, $CTUNE_REAL, $CTUNE_TESTS, /usr/bin/python3, script(1).
# Skipped parts (no script, no root/unshare/overlay, no Ansible) are named.
set -u
: "${CTUNE:?}" "${CTUNE_REAL:?}" "${CTUNE_TESTS:?}"
. "$CTUNE_TESTS/lib.sh"
py=/usr/bin/python3
[ -x $py ] || skip "needs $py"

# The syslog part's inside (see "records of change" below): this script
# again, in the private mount and network namespace.
if [ "${1:-}" = --syslog-inner ]; then
	tmp=$2
	trap - EXIT
	set -e
	mkdir -p "$tmp/olddev" "$tmp/up" "$tmp/work"
	mount --rbind /dev "$tmp/olddev"
	mount -t tmpfs tmpfs /dev
	for d in null zero full random urandom tty; do
		: >"/dev/$d"
		mount --bind "$tmp/olddev/$d" "/dev/$d"
	done
	ln -s /proc/self/fd /dev/fd
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/up,workdir=$tmp/work" /etc
	set +e
	$py - "$tmp/syslog.txt" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        data = s.recv(65536)
        f.write(data.replace(b"\n", b" ") + b"\n")
PY
	listener=$!
	for _ in $(seq 100); do [ -e "$tmp/syslog.txt.ready" ] && break; sleep 0.05; done
	key=/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established
	old=$(cat $key)
	new=$((old == 43210 ? 43211 : 43210)) # above 7200 s, the guard's floor
	# Through the socket itself, so each mark queues behind the lines ctune sent
	# before it (written straight to the file it could overtake them).
	mark() { $py -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[1].encode(), "/dev/log")' "MARK $1"; }
	mark set
	"$CTUNE_REAL" set tcp_timeout_established=$new --file /etc/sysctl.d/90-ctune-test.conf --ensure-module no >"$tmp/s1" 2>&1
	echo "RC1 $?" >>"$tmp/rcs"
	mark again
	"$CTUNE_REAL" set tcp_timeout_established=$new --file /etc/sysctl.d/90-ctune-test.conf --ensure-module no >"$tmp/s2" 2>&1
	mark check
	"$CTUNE_REAL" set tcp_timeout_established=$((new + 1)) --check >"$tmp/s3" 2>&1
	mark root
	"$CTUNE_REAL" set udp_timeout=46 --root "$tmp/root" >"$tmp/s4" 2>&1
	echo "RC4 $?" >>"$tmp/rcs"
	mark end
	for _ in $(seq 100); do grep -q '^MARK end' "$tmp/syslog.txt" && break; sleep 0.05; done
	kill $listener
	echo "OLD $old NEW $new NOWLIVE $(cat $key)" >>"$tmp/rcs"
	exit 0
fi
scratch cli
exit_on_signals
fixture=$CTUNE_TESTS/fixtures/debian12
skips=()
skipped() {
	skips+=("$*")
	echo "SKIP $*"
}

fresh() { # fresh DIR: a scratch copy of the fixture
	rm -rf "$1" && cp -a "$fixture" "$1"
}
fresh "$tmp/root"
R=$tmp/root

# q WHAT FILE EXPR: EXPR (python, d = the JSON document in FILE) holds.
q() {
	if $py - "$2" "$3" <<'PY'; then ok "$1"; else bad "$1"; fi
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
    assert eval(sys.argv[2], {"d": d, "any": any, "all": all, "len": len})
except Exception as e:
    print(f"    {type(e).__name__}: {e}\n    stdout: {text.strip()[:800]}")
    sys.exit(1)
PY
}
# has WHAT FILE FIXED-STRING / hasnt ...
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in: $(head -c 600 "$2")"; fi; }
hasnt() { if grep -qF -- "$3" "$2"; then bad "$1: '$3' in: $(head -c 600 "$2")"; else ok "$1"; fi; }
rc_is() { if [ "$rc" = "$2" ]; then ok "$1: exit $2"; else bad "$1: exit $rc, wanted $2; $(head -c 400 "$tmp/err")"; fi; }
json() { # json TEXT...: the request on stdin
	printf '%s' "$1" | "$CTUNE" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# ============================ help ===========================================
for args in "facts --help" "facts -h" "set --help" "set -h" "tunables --help" "help set" "help facts" \
	"set max=5 --help"; do
	read -r -a a <<<"$args"
	verb=${a[0]}
	[ "$verb" = help ] && verb=${a[1]}
	run "${a[@]}"
	rc_is "ctune $args" 0
	has "ctune $args: the usage of $verb" "$tmp/out" "Usage: ctune $verb"
	hasnt "ctune $args: no JSON" "$tmp/out" '"failed"'
done
run set --help
has "set --help: the options" "$tmp/out" "--diff"
has "set --help: the sysctl spellings" "$tmp/out" "nf_conntrack_max"
run --help
rc_is "ctune --help" 0
for v in facts set tunables; do has "--help lists $v" "$tmp/out" "ctune $v"; done
has "--help points at ctune tunables" "$tmp/out" "\`ctune tunables\` lists every tunable"
has "--help points at VERB --help" "$tmp/out" "ctune VERB --help"
run help
rc_is "ctune help" 0
has "ctune help: the usage" "$tmp/out" "Usage: ctune facts"
run help bogus
rc_is "ctune help bogus" 2
q "ctune help bogus: the error" "$tmp/out" 'd["failed"] and "bogus" in d["msg"]'

# ============================ verbs ==========================================
(cd "$tmp" && "$CTUNE" fact >"$tmp/out" 2>"$tmp/err")
rc=$?
rc_is "ctune fact" 2
q "ctune fact: did you mean facts" "$tmp/out" "d['msg'] == \"unknown verb 'fact' \u2014 did you mean 'facts'?\""
has "ctune fact: stderr says it" "$tmp/err" "did you mean 'facts'?"
run fact --table --root "$R"
rc_is "ctune fact --table" 2
q "ctune fact --table: did you mean facts" "$tmp/out" "\"did you mean 'facts'\" in d['msg']"
run sett max=5 --root "$R"
q "ctune sett: did you mean set" "$tmp/out" "\"did you mean 'set'\" in d['msg']"
(cd "$tmp" && "$CTUNE" frobnicate >"$tmp/out" 2>"$tmp/err")
rc=$?
rc_is "ctune frobnicate" 2
q "ctune frobnicate: lists the verbs, and says no such file" "$tmp/out" \
	"'facts, set, tunables' in d['msg'] and 'no such file' in d['msg']"
# A single argument that is a file stays Ansible's arguments file, even
# when its name is a near-miss of a verb.
printf '{"verb": "tunables"}' >"$tmp/fact"
(cd "$tmp" && "$CTUNE" fact >"$tmp/out" 2>"$tmp/err")
rc=$?
rc_is "an arguments file named fact" 0
q "an arguments file named fact is read" "$tmp/out" '"max" in d and "keys" in d["max"]'
run "$tmp/missing/args.json"
rc_is "a missing arguments file path" 2
q "a missing arguments file path says so" "$tmp/out" '"cannot open the arguments file" in d["msg"]'

# ============================ did you mean ===================================
run set mx=5 --root "$R"
rc_is "set mx=5" 2
q "set mx=5: did you mean max" "$tmp/out" "d['msg'] == \"unknown tunable 'mx' (did you mean 'max'?)\""
run set net.netfilter.nf_conntrack_tcp_timeout_establisehd=5 --root "$R"
q "a misspelt sysctl key: the key suggested" "$tmp/out" \
	"\"did you mean 'net.netfilter.nf_conntrack_tcp_timeout_established'?\" in d['msg']"
run set /proc/sys/net/netfilter/nf_conntrack_mux=5 --root "$R"
q "a misspelt /proc/sys path: the path suggested" "$tmp/out" \
	"\"did you mean '/proc/sys/net/netfilter/nf_conntrack_max'?\" in d['msg']"
run set zzzzzz=5 --root "$R"
q "nothing near: the pointer to ctune tunables" "$tmp/out" \
	"'did you mean' not in d['msg'] and 'ctune tunables' in d['msg']"
run set max=5 --root "$R" --colour=never
q "--colour: did you mean --color" "$tmp/out" "\"did you mean '--color'?\" in d['msg']"
run facts --tabel --root "$R"
q "--tabel: did you mean --table" "$tmp/out" "\"did you mean '--table'?\" in d['msg']"
json "{\"mx\": 5, \"root\": \"$R\"}"
rc_is "JSON mx" 2
q "JSON mx: unknown tunable, did you mean max" "$tmp/out" "d['msg'] == \"unknown tunable 'mx' (did you mean 'max'?)\""
json "{\"maximum\": 5, \"root\": \"$R\"}"
q "JSON maximum (Salt's kwargs): unknown tunable, did you mean max" "$tmp/out" \
	"d['msg'].startswith(\"unknown tunable 'maximum'\") and \"'max'\" in d['msg']"
json "{\"udp_timeout\": 45, \"persistent\": true, \"root\": \"$R\"}"
q "JSON persistent: unknown option, did you mean persist" "$tmp/out" \
	"d['msg'] == \"unknown option 'persistent' (did you mean 'persist'?)\""
cmp -s <(cd "$fixture" && find . -type f -exec sha256sum {} + | sort) \
	<(cd "$R" && find . -type f -exec sha256sum {} + | sort) && ok "refused requests changed nothing" ||
	bad "a refused request changed the root"

# ============================ every spelling of every tunable ================
# In check mode with --no-persist: proves the name resolves, touches nothing.
"$CTUNE" tunables >"$tmp/tunables.json"
$py - "$CTUNE" "$R" "$tmp/tunables.json" <<'PY' >"$tmp/spell.out"
import json, subprocess, sys
ctune, root, tfile = sys.argv[1:4]
tun = json.load(open(tfile))
passed = failed = 0
def spellings(t):
    out = set()
    for s in ("legacy", "modern"):
        for k in (t["keys"].get(s), t["aliases"].get(s)):
            if not k:
                continue
            out |= {k, k.replace(".", "/"), "/proc/sys/" + k.replace(".", "/"), k.rsplit(".", 1)[1]}
    return sorted(out)
for name, t in tun.items():
    value = "1" if t["boolean"] else str(max(t["min"], 1) if t["max"] >= 1 else t["min"])
    for sp in spellings(t) + [name]:
        for face in ("argv", "json"):
            if face == "argv":
                cmd, stdin = [ctune, "set", f"{sp}={value}", "--check", "--no-persist", "--force", "--root", root], b""
            else:
                cmd = [ctune]
                stdin = json.dumps({sp: int(value), "check_mode": True, "persist": False, "force": True,
                                    "root": root}).encode()
            p = subprocess.run(cmd, input=stdin, capture_output=True)
            try:
                d = json.loads(p.stdout)
            except ValueError:
                d = {}
            if t["read_only"]:
                good = d.get("failed") is True and d.get("msg", "").startswith(f"{name} is read-only")
            else:
                good = p.returncode == 0 and list(d.get("tunables", {})) == [name]
            if good:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {face} {sp}={value} does not name {name}: rc {p.returncode} {p.stdout[:300]!r}")
print(f"SPELLINGS {passed} {failed}")
PY
read -r _ sp_pass sp_fail < <(grep '^SPELLINGS' "$tmp/spell.out")
grep '^FAIL' "$tmp/spell.out" | head -20
if [ "${sp_fail:-1}" = 0 ] && [ "${sp_pass:-0}" -gt 300 ]; then
	ok "every spelling of every tunable names it ($sp_pass requests, command line and JSON)"
else
	bad "spellings: ${sp_pass:-?} named their tunable, ${sp_fail:-?} did not"
fi
# A real set through sysctl spellings of both schemes writes the canonical keys.
fresh "$R"
run set net.ipv4.netfilter.ip_conntrack_max=300000 nf_conntrack_udp_timeout=44 \
	net/netfilter/nf_conntrack_icmp_timeout=25 --root "$R" --format json
rc_is "set through legacy and modern spellings" 0
q "set through spellings: canonical names in the response" "$tmp/out" \
	'sorted(d["tunables"]) == ["icmp_timeout", "max", "udp_timeout"] and d["changed"]'
[ "$(cat "$R/proc/sys/net/netfilter/nf_conntrack_max")" = 300000 ] && ok "max written live" || bad "max not written live"
has "the modern key is persisted" "$R/etc/sysctl.conf" "net.netfilter.nf_conntrack_udp_timeout = 44"
json "{\"net.netfilter.nf_conntrack_max\": 300000, \"max\": 5, \"root\": \"$R\"}"
q "a tunable given twice under two spellings is refused" "$tmp/out" '"max is given twice" in d["msg"]'

# ============================ ansible.posix.sysctl's form ====================
fresh "$R"
json "{\"name\": \"net.netfilter.nf_conntrack_max\", \"value\": \"300000\",
  \"sysctl_file\": \"/etc/sysctl.d/90-conntrack.conf\", \"reload\": \"true\", \"root\": \"$R\"}"
rc_is "name/value with sysctl_file and reload" 0
q "name/value: max set live and persisted in sysctl_file" "$tmp/out" \
	'd["changed"] and d["file"] == "/etc/sysctl.d/90-conntrack.conf" and d["tunables"]["max"]["live_changed"] and d["tunables"]["max"]["persist_changed"]'
has "name/value: the file holds the key" "$R/etc/sysctl.d/90-conntrack.conf" "net.netfilter.nf_conntrack_max = 300000"
fresh "$R"
json "{\"name\": \"nf_conntrack_udp_timeout\", \"value\": 41, \"reload\": false, \"root\": \"$R\"}"
q "reload false (sysctl_set false): only the file" "$tmp/out" \
	'd["tunables"]["udp_timeout"]["persist_changed"] and not d["tunables"]["udp_timeout"]["live_changed"]'
[ "$(cat "$R/proc/sys/net/netfilter/nf_conntrack_udp_timeout")" = 30 ] && ok "reload false: live value untouched" ||
	bad "reload false changed the live value"
json "{\"name\": \"nf_conntrack_udp_timeout\", \"value\": 41, \"reload\": \"no\", \"sysctl_set\": \"yes\", \"root\": \"$R\"}"
q "sysctl_set true: the live value too" "$tmp/out" 'd["tunables"]["udp_timeout"]["live_changed"]'
json "{\"key\": \"udp_timeout\", \"val\": 41, \"state\": \"present\", \"ignoreerrors\": true, \"root\": \"$R\"}"
q "key/val aliases and ignoreerrors are accepted; nothing left to change" "$tmp/out" 'd["failed"] is False and not d["changed"]'
json "{\"name\": \"udp_timeout\", \"value\": 41, \"state\": \"absent\", \"root\": \"$R\"}"
q "state absent removes the key (value ignored)" "$tmp/out" 'd["changed"] and d["state"] == "absent"'
hasnt "state absent: the key is gone" "$R/etc/sysctl.conf" "nf_conntrack_udp_timeout"
for case in \
	'mixed|{"name": "max", "value": 5, "udp_timeout": 30}|cannot be mixed' \
	'no name|{"value": 5}|name is missing' \
	'no value|{"name": "max"}|needs a value' \
	'name and key|{"name": "max", "key": "max", "value": 5}|give one' \
	'sysctl_file and file|{"name": "max", "value": 5, "sysctl_file": "/etc/sysctl.conf", "file": "/etc/sysctl.conf"}|give one' \
	'live and reload|{"name": "max", "value": 5, "reload": true, "live": true}|give one' \
	'not conntrack|{"name": "vm.swappiness", "value": 5}|is not a conntrack tunable' \
	'near miss|{"name": "net.netfilter.nf_conntrack_mx", "value": 5}|did you mean' \
	'bad sysctl_file|{"name": "max", "value": 5, "sysctl_file": "/tmp/x.conf"}|sysctl_file' \
	'bad reload|{"name": "max", "value": 5, "reload": "maybe"}|reload: expected a boolean'; do
	IFS='|' read -r what req want <<<"$case"
	json "${req%\}}, \"root\": \"$R\"}"
	rc_is "sysctl form, $what" 2
	has "sysctl form, $what: says '$want'" "$tmp/out" "$want"
done

run set name=net.netfilter.nf_conntrack_max value=5 --root "$R"
rc_is "name=/value= on the command line" 2
q "name=/value= on the command line: the spelling that works" "$tmp/out" \
	"'ctune set net.netfilter.nf_conntrack_max=VALUE' in d['msg']"

# A real Ansible loop over dict2items, as ansible.posix.sysctl users write it.
lib=${CTUNE_BUILD:-/nonexistent}/plugin/ansible/library
if command -v ansible-playbook >/dev/null && [ -x "$lib/ctune" ]; then
	fresh "$R"
	cat >"$tmp/loop.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    sysctl_settings:
      net.netfilter.nf_conntrack_max: 300000
      net.netfilter.nf_conntrack_tcp_timeout_established: 86400
      ip_conntrack_udp_timeout: 44
  tasks:
    - ctune:
        name: "{{ item.key }}"
        value: "{{ item.value }}"
        sysctl_file: /etc/sysctl.d/90-conntrack.conf
        reload: true
        root: "$R"
      loop: "{{ sysctl_settings | dict2items }}"
EOF
	ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
		ansible-playbook -i localhost, -M "$lib" "$tmp/loop.yml" >"$tmp/ansible.out" 2>&1
	rc=$?
	if [ $rc = 0 ] && [ "$(grep -c '^changed: \[localhost\] => (item=' "$tmp/ansible.out")" = 3 ]; then
		ok "ansible-playbook: a dict2items loop of name/value sets 3 keys"
	else
		bad "ansible-playbook loop: exit $rc: $(tail -c 1500 "$tmp/ansible.out")"
	fi
	for k in "net.netfilter.nf_conntrack_max = 300000" "net.netfilter.nf_conntrack_tcp_timeout_established = 86400" \
		"net.netfilter.nf_conntrack_udp_timeout = 44"; do
		has "ansible loop: $k persisted" "$R/etc/sysctl.d/90-conntrack.conf" "$k"
	done
	ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
		ansible-playbook -i localhost, -M "$lib" "$tmp/loop.yml" >"$tmp/ansible.out" 2>&1
	grep -q "changed=0" "$tmp/ansible.out" && ok "ansible loop again: changed=0" ||
		bad "ansible loop again: $(tail -c 800 "$tmp/ansible.out")"
else
	skipped "the ansible-playbook loop (needs ansible-playbook and the build tree's library)"
fi

# ============================ JSON off a terminal ============================
fresh "$R"
run set udp_timeout=45 --root "$R" --diff
q "set off a terminal: JSON (as before)" "$tmp/out" 'd["changed"] and "before" in d["diff"]'
run set udp_timeout=45 --root "$R" --format human --diff --color=never
hasnt "--format human off a terminal: no JSON" "$tmp/out" '"changed"'
run set mx=5 --root "$R" --format human
q "an error with --format human off a terminal is still JSON on stdout" "$tmp/out" 'd["failed"]'

# The unified diff applies with patch(1) and gives the file ctune wrote.
if command -v patch >/dev/null; then
	fresh "$R"
	cp "$R/etc/sysctl.conf" "$tmp/before.conf"
	run set udp_timeout=46 max=300000 --root "$R" --format human --diff --color=never
	sed -n '/^--- /,$p' "$tmp/out" >"$tmp/the.diff"
	if patch -s -o "$tmp/patched.conf" "$tmp/before.conf" <"$tmp/the.diff" >/dev/null 2>&1 &&
		cmp -s "$tmp/patched.conf" "$R/etc/sysctl.conf"; then
		ok "the human --diff is a unified diff patch(1) applies"
	else
		bad "the human --diff does not patch before into after: $(cat "$tmp/the.diff")"
	fi
else
	skipped "patch(1) check of the diff (no patch)"
fi

# ============================ on a terminal ==================================
# tty OUT CMD: run the shell command CMD under a pseudo-terminal (stdin,
# stdout, stderr all on it), the whole screen into OUT (CR dropped).
if command -v script >/dev/null && script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	tty() {
		local out=$1
		shift
		TERM=${TERM_FOR_TEST:-xterm} script -qec "$*" /dev/null </dev/null 2>&1 | tr -d '\r' >"$out"
	}
	C=$CTUNE_REAL
	esc=$(printf '\033[')

	tty "$tmp/t" "$C"
	has "bare ctune on a terminal: says what it expects" "$tmp/t" "reading one JSON request from standard input"
	has "bare ctune on a terminal: points at --help" "$tmp/t" "ctune --help"
	$CTUNE </dev/null >"$tmp/out" 2>"$tmp/err"
	hasnt "bare ctune off a terminal: no prompt" "$tmp/err" "reading one JSON request"

	fresh "$R"
	tty "$tmp/t" "NO_COLOR=1 $C set udp_timeout=45 max=300000 --root '$R'"
	has "set on a terminal: a summary" "$tmp/t" "Changed:"
	has "set on a terminal: old -> new" "$tmp/t" "30 -> 45"
	has "set on a terminal: live and the file" "$tmp/t" "(live, persisted in /etc/sysctl.conf)"
	hasnt "set on a terminal: no JSON" "$tmp/t" '"changed"'
	tty "$tmp/t" "$C set udp_timeout=45 --root '$R'"
	has "set again on a terminal: unchanged" "$tmp/t" "45 (unchanged)"
	tty "$tmp/t" "$C set udp_timeout=50 --root '$R' --check"
	has "check mode on a terminal says nothing was written" "$tmp/t" "nothing was written"
	tty "$tmp/t" "$C set udp_timeout=45 --root '$R' --format json"
	q "--format json on a terminal: JSON" "$tmp/t" 'd["changed"] is False'

	fresh "$R"
	tty "$tmp/t" "$C set udp_timeout=47 --root '$R' --diff"
	has "--diff on a terminal: unified headers" "$tmp/t" "+++ /etc/sysctl.conf"
	has "--diff on a terminal: the added line" "$tmp/t" "+net.netfilter.nf_conntrack_udp_timeout = 47"
	grep -q '^@@ -[0-9]*,[0-9]* +[0-9]*,[0-9]* @@' <(sed "s/$esc[0-9;]*m//g" "$tmp/t") && ok "--diff: hunk heads" ||
		bad "--diff: no hunk head: $(cat "$tmp/t")"
	has "colour on a terminal with TERM=xterm" "$tmp/t" "$esc"
	fresh "$R"
	tty "$tmp/t" "NO_COLOR=1 $C set udp_timeout=47 --root '$R' --diff"
	hasnt "NO_COLOR: no colour" "$tmp/t" "$esc"
	has "NO_COLOR: still the diff" "$tmp/t" "+net.netfilter.nf_conntrack_udp_timeout = 47"
	fresh "$R"
	TERM_FOR_TEST=dumb tty "$tmp/t" "$C set udp_timeout=47 --root '$R' --diff"
	hasnt "TERM=dumb: no colour" "$tmp/t" "$esc"
	fresh "$R"
	tty "$tmp/t" "$C set udp_timeout=47 --root '$R' --diff --color=never"
	hasnt "--color=never on a terminal: no colour" "$tmp/t" "$esc"
	fresh "$R"
	run set udp_timeout=47 --root "$R" --diff --format human --color=always
	has "--color=always off a terminal: colour" "$tmp/out" "$esc"

	tty "$tmp/t" "$C set mx=5 --root '$R'"
	n=$(grep -c "unknown tunable 'mx'" "$tmp/t")
	[ "$n" = 1 ] && ok "an error on a terminal is shown once" || bad "the error shows $n times: $(cat "$tmp/t")"
	hasnt "an error on a terminal: no JSON" "$tmp/t" '"failed"'
	tty "$tmp/t" "$C set mx=5 --root '$R' --format json"
	has "an error with --format json on a terminal: the JSON" "$tmp/t" '"failed":true'

	# The facts report at the terminal's width, never inside a word.
	"$CTUNE" facts --root "$fixture" --format human >"$tmp/h79"
	longest() { awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$1"; }
	words() { tr -s ' \n' '\n\n' <"$1"; }
	[ "$(longest "$tmp/h79")" -le 78 ] && ok "off a terminal: lines of at most 78 columns (79-column wrap)" ||
		bad "off a terminal: a line of $(longest "$tmp/h79") columns"
	COLUMNS=60 "$CTUNE" facts --root "$fixture" --format human >"$tmp/h"
	cmp -s "$tmp/h" "$tmp/h79" && ok "off a terminal COLUMNS is ignored" || bad "off a terminal COLUMNS changed the report"
	for how in "COLUMNS=60 $C" "stty cols 60; $C"; do
		tty "$tmp/h60" "$how facts --root '$fixture'"
		l=$(longest "$tmp/h60")
		[ "$l" -le 59 ] && [ "$l" -ge 40 ] && ok "facts at 60 columns ($how): lines of at most 59" ||
			bad "facts at 60 columns ($how): a line of $l columns"
		if cmp -s <(words "$tmp/h79") <(words "$tmp/h60"); then
			ok "facts at 60 columns ($how): the same words, none split"
		else
			bad "facts at 60 columns ($how): words differ: $(diff <(words "$tmp/h79") <(words "$tmp/h60") | head -5)"
		fi
	done
	tty "$tmp/h10" "COLUMNS=10 $C facts --root '$fixture'"
	l=$(awk '{ s = $0; sub(/^ +/, "", s) } index(s, " ") && length($0) > 39' "$tmp/h10" | wc -l)
	[ "$l" = 0 ] && ok "COLUMNS=10: the 40-column minimum (only a single long word may pass it)" ||
		bad "COLUMNS=10: $l lines with blanks past 39 columns"
else
	skipped "the pseudo-terminal cases (script(1) missing or not working)"
fi

# ============================ records of change ==============================
# Inside a private mount and network namespace: /dev is a tmpfs holding the
# devices ctune needs and a /dev/log datagram socket of our own listener;
# /etc is an overlay whose writes land in scratch.  ctune runs without
# --root there, so it logs; the host's /etc, /dev and values never move.
mkdir -p "$tmp/o/u" "$tmp/o/w" "$tmp/o/m"
if [ "$(id -u)" = 0 ] && unshare -mn true 2>/dev/null &&
	unshare -m mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/o/u,workdir=$tmp/o/w" "$tmp/o/m" 2>/dev/null; then
	fresh "$R"
	host_before=$(cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established 2>/dev/null)
	etc_before=$(ls -la /etc/sysctl.d 2>&1 | sha256sum)
	CTUNE_REAL=$CTUNE_REAL unshare -mn bash "$0" --syslog-inner "$tmp" >"$tmp/inner.out" 2>&1
	cat "$tmp/inner.out"
	if [ ! -e /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established ]; then
		skipped "the syslog record (no conntrack in this kernel)"
	else
		log=$tmp/syslog.txt
		grep -q "RC1 0" "$tmp/rcs" && ok "set without --root in the private namespaces: exit 0" ||
			bad "set in the private namespaces failed: $(cat "$tmp/s1")"
		read -r _ old _ new _ now < <(grep '^OLD' "$tmp/rcs")
		[ "$now" = "$new" ] && ok "the private namespace's live value changed" || bad "live value $now, wanted $new"
		section() { awk -v a="MARK $1" -v b="MARK $2" '$0 == a { on = 1; next } $0 == b { on = 0 } on' "$log"; }
		section set again >"$tmp/l1"
		n=$(grep -c . "$tmp/l1")
		[ "$n" = 1 ] && ok "one syslog line for one applied change" || bad "$n syslog lines: $(cat "$log")"
		has "the line: user.notice, ident ctune with its pid" "$tmp/l1" "<13>"
		grep -qE 'ctune\[[0-9]+\]: ' "$tmp/l1" && ok "the line: ctune[pid]" || bad "no ctune[pid] in: $(cat "$tmp/l1")"
		has "the line: what, old -> new, live and the file" "$tmp/l1" \
			"tcp_timeout_established (net.netfilter.nf_conntrack_tcp_timeout_established): $old -> $new, live and persisted in /etc/sysctl.d/90-ctune-test.conf"
		[ -z "$(section again check)" ] && ok "unchanged: nothing logged" || bad "unchanged logged: $(section again check)"
		[ -z "$(section check root)" ] && ok "check mode: nothing logged" || bad "check mode logged: $(section check root)"
		grep -q "RC4 0" "$tmp/rcs" && [ -z "$(section root end)" ] && ok "under --root: changed, nothing logged" ||
			bad "--root: $(cat "$tmp/s4") / $(section root end)"
		[ -e "$tmp/up/sysctl.d/90-ctune-test.conf" ] && ok "the file went to the overlay's scratch" ||
			bad "the file is not in the overlay's upper dir"
	fi
	[ ! -e /etc/sysctl.d/90-ctune-test.conf ] && [ "$etc_before" = "$(ls -la /etc/sysctl.d 2>&1 | sha256sum)" ] &&
		ok "the host's /etc/sysctl.d untouched" || bad "the host's /etc/sysctl.d changed"
	[ "$host_before" = "$(cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established 2>/dev/null)" ] &&
		ok "the host's own value untouched" || bad "the host's tcp_timeout_established changed"
else
	skipped "the syslog record (needs root, unshare -mn and overlayfs)"
fi

for s in "${skips[@]}"; do echo "skipped: $s"; done
report
