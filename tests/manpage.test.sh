#!/usr/bin/env bash
# manpage.test.sh - docs/ctune.1 documents the command line that --help
# describes, generically: every option (--x) that `ctune --help` or any
# verb's `ctune VERB --help` mentions has an entry of its own in the man
# page (a .TP tag naming it), every verb has one in VERBS, and every option
# the man page's OPTIONS section documents is one that some --help mentions
# (so neither side keeps an option the other lost).  The verbs are read from
# `ctune --help`, so a verb or option added there is checked without
# changing this file.  The page must also render without groff warnings.
#
# Needs: $CTUNE, $CTUNE_TESTS; groff for the rendering check (else that
# check is skipped).
set -u
: "${CTUNE:?}" "${CTUNE_TESTS:?}"
. "$CTUNE_TESTS/lib.sh"
page=${CTUNE_MANPAGE:-$CTUNE_TESTS/../docs/ctune.1} # another page: to check this test
[ -r "$page" ] || { echo "no $page"; exit 1; }
scratch manpage

# --- what --help says ---------------------------------------------------------
"$CTUNE" --help >"$tmp/help" 2>&1 && ok "ctune --help exits 0" || bad "ctune --help exits $?"
# The verbs: the word after "ctune " at the start of a synopsis line.
verbs=$(sed -nE 's/^(Usage:)? *ctune ([a-z][a-z-]*)( .*)?$/\2/p' "$tmp/help" | sort -u)
[ -n "$verbs" ] && ok "verbs found in --help: $(echo $verbs)" || bad "no verbs found in ctune --help"
for v in $verbs; do
	if "$CTUNE" "$v" --help >"$tmp/help.$v" 2>"$tmp/err.$v" && [ -s "$tmp/help.$v" ]; then
		ok "ctune $v --help exits 0 and prints its usage"
	else
		bad "ctune $v --help: exit $?, $(head -c 300 "$tmp/err.$v")"
	fi
	grep -q "ctune $v" "$tmp/help.$v" || bad "ctune $v --help does not show the verb's synopsis"
done
# Every --long-option in any help text.
# Options another program takes, quoted in backticks (`salt --out=json`), are not ctune's.
opts() { sed 's/`[^`]*`//g' "$@" | grep -oE -- '(^|[^A-Za-z0-9_-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
help_opts=$(opts "$tmp"/help*)
[ "$(echo "$help_opts" | wc -w)" -ge 10 ] && ok "$(echo "$help_opts" | wc -w) options in the help texts" ||
	bad "too few options found in the help texts: $help_opts"

# --- what the man page says ---------------------------------------------------
# Plain text of the roff source: \- is '-', font escapes dropped.
plain() { sed -E 's/\\-/-/g; s/\\f[BIRP]//g; s/\\f\[[A-Z]*\]//g; s/\\\(em/-/g'; }
plain <"$page" >"$tmp/page"
# The tag lines: the line after each .TP.
awk '/^\.TP/ { getline; print }' "$tmp/page" >"$tmp/tags"
# The tags of the OPTIONS section only.
awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.TP/ { getline; print }' "$tmp/page" >"$tmp/option-tags"
[ -s "$tmp/option-tags" ] && ok "the man page has an OPTIONS section" || bad "no OPTIONS section in $page"
tag_opts=$(opts "$tmp/tags")
page_opts=$(opts "$tmp/option-tags")

for o in $help_opts; do
	if echo "$tag_opts" | grep -qxF -- "$o"; then
		ok "man page documents $o"
	else
		bad "$o is in --help but has no entry (.TP tag) in docs/ctune.1"
	fi
done
for o in $page_opts; do
	if echo "$help_opts" | grep -qxF -- "$o"; then
		ok "$o (man page) is in --help"
	else
		bad "$o has an entry in the man page's OPTIONS but no --help mentions it"
	fi
done
# Every verb has its entry in VERBS, and its synopsis.
for v in $verbs; do
	awk '/^\.SH VERBS/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.TP/ { getline; print }' "$tmp/page" |
		grep -qE "^\.BR? $v( |$)" && ok "VERBS has $v" || bad "verb $v has no entry in the man page's VERBS"
	awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$tmp/page" | grep -qE "^\.B ctune $v( |$)" &&
		ok "SYNOPSIS has ctune $v" || bad "verb $v is not in the man page's SYNOPSIS"
done
# -h works after every verb as the man page says.
grep -qE '^\.BR -h ", " --help' "$tmp/page" && ok "-h, --help documented" || bad "-h, --help has no entry"

# --- the page renders cleanly -------------------------------------------------
if command -v groff >/dev/null; then
	w=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$w" ] && ok "groff renders the page without warnings" || bad "groff warns: $w"
else
	echo "SKIP: groff is not installed: rendering not checked"
fi
report
