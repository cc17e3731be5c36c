"""readme_commands.py - the shell commands of README.md, and running them.

The convention (tests/README.md):
 - every line of a code block of README.md is a shell command: indented
   blocks (4 spaces or a tab, after a blank line) and fenced blocks whose
   language is empty, sh, shell, bash or console; a fence with any other
   language (yaml, text, ...) holds something else and is not run;
 - a line ending in a backslash continues on the next;
 - `# ...` after the command (preceded by a space, outside quotes) is a
   comment; a line that is only a comment is skipped;
 - a command that must fail says so in its comment: `# exit N` (N its
   status); every other command must exit 0;
 - the commands run in order, each with `bash -c`, from a copy of the source
   tree in which `build` is the build under test, so a command may use what
   an earlier one made (`cp -a examples/host /tmp/host`, then --root /tmp/host).

Usage:
  readme_commands.py list README            the commands, one JSON object a line
  readme_commands.py run README TREE EXEMPT  run them from TREE (inside the sandbox
                                            readme.test.sh makes); EXEMPT a file of
                                            "command<TAB>why" lines not to run here.
Prints ok/FAIL lines and "N passed, M failed"; exit 1 when something failed.
"""

import json
import os
import re
import subprocess
import sys

SHELL_FENCES = {"", "sh", "shell", "bash", "console"}


def strip_comment(line):
    """(command, comment) of one line: the comment starts at a # after
    whitespace, outside quotes."""
    quote = None
    prev = " "
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"':
                pass
        elif c in ("'", '"'):
            quote = c
        elif c == "#" and prev in (" ", "\t"):
            return line[:i].rstrip(), line[i + 1:].strip()
        prev = c
    return line.rstrip(), ""


def blocks(text):
    """The code blocks of a Markdown text that hold commands: lists of
    (line number, text) with the indentation removed."""
    out = []
    lines = text.split("\n")
    i = 0
    prev_blank = True
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", line)
        if m:
            fence, lang = m.group(2), m.group(3).lower()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence[:3]):
                body.append((i + 1, lines[i][len(m.group(1)):]))
                i += 1
            if lang in SHELL_FENCES:
                out.append(body)
            i += 1
            prev_blank = False
            continue
        if prev_blank and (line.startswith("    ") or line.startswith("\t")) and line.strip():
            body = []
            while i < len(lines) and (lines[i].startswith("    ") or lines[i].startswith("\t") or not lines[i].strip()):
                if lines[i].strip():
                    body.append((i + 1, lines[i][4:] if lines[i].startswith("    ") else lines[i][1:]))
                i += 1
            out.append(body)
            prev_blank = False
            continue
        prev_blank = not line.strip()
        i += 1
    return out


def commands(text):
    cmds = []
    for body in blocks(text):
        pending, start = "", None
        for num, raw in body:
            line = raw.rstrip()
            if pending:
                line = pending + " " + line.lstrip()
            else:
                start = num
            if line.endswith("\\"):
                pending = line[:-1].rstrip()
                continue
            pending = ""
            cmd, comment = strip_comment(line)
            if not cmd.strip():
                continue
            m = re.match(r"exit (\d+)\b", comment)
            cmds.append({"line": start, "cmd": cmd.strip(), "exit": int(m.group(1)) if m else 0})
    return cmds


def main():
    verb, readme = sys.argv[1], sys.argv[2]
    with open(readme) as f:
        cmds = commands(f.read())
    if verb == "list":
        for c in cmds:
            print(json.dumps(c))
        return 0
    tree, exempt_file = sys.argv[3], sys.argv[4]
    exempt = {}
    with open(exempt_file) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cmd, _, why = line.rstrip("\n").partition("\t")
                exempt[cmd] = why
    passed = failed = 0

    def verdict(cond, what, detail=""):
        nonlocal passed, failed
        if cond:
            passed += 1
            print("ok   " + what)
        else:
            failed += 1
            print("FAIL " + what)
            for d in detail.splitlines()[-25:]:
                print("     " + d)

    verdict(len(cmds) >= 10, "README.md has {} commands in its code blocks".format(len(cmds)))
    texts = {c["cmd"] for c in cmds}
    for cmd, why in sorted(exempt.items()):
        verdict(cmd in texts, "exempt, not run here: {} ({})".format(cmd, why) if cmd in texts else
                "a stale exemption: README.md has no command '{}'".format(cmd))
    env = dict(os.environ)
    for c in cmds:
        if c["cmd"] in exempt:
            continue
        try:
            proc = subprocess.run(["bash", "-c", c["cmd"]], cwd=tree, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
            rc, out = proc.returncode, proc.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as exc:
            rc, out = "timeout", (exc.stdout or b"").decode("utf-8", "replace")
        where = "README.md:{}: {}".format(c["line"], c["cmd"])
        verdict(rc == c["exit"], "{} (exit {}{})".format(where, rc, "" if rc == c["exit"] else
                                                         ", expected {}".format(c["exit"])), out)
        # The flagship example must not draw ctune's own sizing warning.
        if "examples/conntrack.yml" in c["cmd"] and rc == 0:
            verdict("set buckets to" not in out, "{}: no sizing warning from ctune".format(where), out)
    print("{} passed, {} failed".format(passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
