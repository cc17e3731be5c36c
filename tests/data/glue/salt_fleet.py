"""salt_fleet.py - what `salt TARGET ctune.facts --out=json [--static]` and
`salt TARGET grains.item conntrack --out=json [--static]` print on the
master, produced through the real Salt glue (plugin/salt/_modules and
_grains, loaded the way salt_glue.py loads them: Salt's dunders injected,
cmd.run_all really running ctune) for many simulated minions, each with its
own fixture root.  Salt is not in Debian 12, so this stands in for the
master's fan-out; the per-minion return values are the glue's own.

Usage: python3 salt_fleet.py TOP CTUNE MINIONS FUN [--static]
  MINIONS a file of "minion-id root" lines (root "-": the minion does not
  return); FUN ctune.facts or grains.item.  Prints Salt's json outputter's
  text: with --static one object keyed by minion id, else one object per
  minion as they return.
"""

import importlib.util
import json
import shlex
import subprocess
import sys

TOP, CTUNE, MINIONS, FUN = sys.argv[1:5]
STATIC = "--static" in sys.argv[5:]


def run_all(cmd, **kwargs):
    if isinstance(cmd, str) and not kwargs.get("python_shell"):
        cmd = shlex.split(cmd)
    p = subprocess.run(cmd, input=kwargs.get("stdin"), capture_output=True, text=True,
                       timeout=kwargs.get("timeout") or 120, check=False)
    out, err = p.stdout, p.stderr
    if kwargs.get("rstrip", True):
        out, err = out.rstrip(), err.rstrip()
    return {"pid": 1, "retcode": p.returncode, "stdout": out, "stderr": err}


def load(kind, opts):
    path = "{}/plugin/salt/{}/ctune.py".format(TOP, kind)
    spec = importlib.util.spec_from_file_location("salt_ctune" + kind, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.__salt__ = {"cmd.run_all": run_all, "config.get": lambda k, d=None, **_: {"ctune:bin": CTUNE}.get(k, d)}
    mod.__opts__ = opts
    mod.__grains__ = {"kernel": "Linux"}
    mod.__context__ = {}
    mod.__pillar__ = {}
    return mod


rets = {}
for line in open(MINIONS):
    if not line.strip():
        continue
    minion, root = line.split(None, 1)
    root = root.strip()
    if root == "-":
        rets[minion] = "Minion did not return. [No response]"
        continue
    opts = {"id": minion, "test": False, "ctune": {"bin": CTUNE, "grains": {"root": root}}}
    if FUN == "ctune.facts":
        rets[minion] = load("_modules", opts).facts(root=root)
    elif FUN == "grains.item":
        rets[minion] = load("_grains", opts).conntrack()
    else:
        sys.exit("unknown function " + FUN)

# Salt's json outputter: indent 4; --static gathers every return first.
if STATIC:
    print(json.dumps(rets, indent=4, sort_keys=True))
else:
    for minion, ret in rets.items():
        print(json.dumps({minion: ret}, indent=4, sort_keys=True))
