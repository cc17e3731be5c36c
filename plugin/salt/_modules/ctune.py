"""
Salt execution module for ctune: netfilter conntrack facts and tuning.

Every function builds one JSON request, pipes it to the ctune executable
through ``cmd.run_all`` and hands back what ctune answered; ctune does all
the work (detection, live writes, the sysctl file, rollback).  No Salt import
happens at load time, so Salt's loader and plain unit tests load it alike.

The executable is ``ctune`` on the minion's PATH unless configured (minion
config, grains or pillar, read with ``config.get``)::

    ctune:
      bin: /usr/local/bin/ctune

.. code-block:: bash

    salt '*' ctune.facts
    salt '*' ctune.facts table=True top=5
    salt '*' ctune.facts netns=True
    salt '*' ctune.set max=1210856 tcp_timeout_established=12h
    salt '*' ctune.set max=1210856 test=True
    salt '*' ctune.remove max tcp_timeout_established
    salt '*' ctune.tunables
"""

import json
import logging
import os
import shutil

log = logging.getLogger(__name__)

__virtualname__ = "ctune"
# ``set`` would shadow the builtin inside this module.
__func_alias__ = {"set_": "set"}

DEFAULT_BIN = "/usr/bin/ctune"
TIMEOUT = 300  # seconds; a --table walk of a huge table is the slow case

# Request options ctune takes besides tunables (schemas/request.json); the
# rest of a call's keyword arguments are tunables, which ctune checks.
# tests/ansible-options.test.sh checks both lists against the request.
_SET_OPTIONS = ("root", "file", "backup", "live", "persist", "scheme", "migrate", "override", "force",
                "lock_timeout", "ensure_module", "modules_load_file", "modprobe_file")
_FACTS_OPTIONS = ("root", "table", "top", "source", "log_events", "advice", "boot", "scheme", "netns")


class CtuneError(Exception):
    """ctune answered ``failed: true`` (or nothing usable) without Salt
    present to provide CommandExecutionError; carries the response."""

    def __init__(self, msg, response=None):
        super().__init__(msg)
        self.response = response or {}


def __virtual__():
    if _binary_path():
        return __virtualname__
    return (False, "ctune: the ctune executable was not found (set ctune:bin in the minion config)")


def _config(key, default=None):
    """``ctune:<key>`` from config.get when Salt provides it, else from
    __opts__ (nested ``ctune: {key: ...}`` or flat ``ctune.key``)."""
    # "in", never len() or truth: Salt's __salt__ is a lazy loader.
    salt_funcs = globals().get("__salt__")
    if salt_funcs is not None and "config.get" in salt_funcs:
        value = salt_funcs["config.get"]("ctune:" + key, default)
        if value is not None:
            return value
    opts = globals().get("__opts__")
    if opts is None:
        return default
    nested = opts.get("ctune")
    if isinstance(nested, dict) and nested.get(key) is not None:
        return nested[key]
    return opts.get("ctune." + key, default)


def _binary_path():
    configured = _config("bin")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    found = shutil.which("ctune")
    if found:
        return found
    return DEFAULT_BIN if os.access(DEFAULT_BIN, os.X_OK) else None


def _fail(msg, response=None):
    try:
        from salt.exceptions import CommandExecutionError  # only there under Salt
    except ImportError:
        raise CtuneError(msg, response) from None
    raise CommandExecutionError(msg, info=response)


def _clean(kwargs):
    """Drop what Salt adds to every call (__pub_jid, __pub_fun, ...)."""
    return {k: v for k, v in kwargs.items() if not k.startswith("__")}


def _request(request):
    """Pipe one request to ctune; return its response (a dict) whatever the
    outcome, failing only when there is no JSON object to return."""
    binary = _binary_path()
    if not binary:
        _fail("the ctune executable was not found (set ctune:bin in the minion config)")
    text = json.dumps(request)
    log.debug("ctune request: %s", text)
    res = __salt__["cmd.run_all"](
        [binary],
        stdin=text,
        python_shell=False,
        ignore_retcode=True,
        output_loglevel="quiet",
        timeout=TIMEOUT,
    )
    out = (res.get("stdout") or "").strip()
    try:
        response = json.loads(out)
    except ValueError:
        _fail(
            "ctune printed no JSON (exit {}): {}".format(
                res.get("retcode"), (res.get("stderr") or out or "no output").strip()[:500]
            )
        )
    if not isinstance(response, dict):
        _fail("ctune printed JSON that is not an object: {}".format(out[:200]))
    if res.get("retcode") and not response.get("failed"):
        response["failed"] = True
        response.setdefault("msg", "ctune exited with status {}".format(res.get("retcode")))
    return response


def _checked(response):
    if response.get("failed"):
        _fail(response.get("msg") or "ctune failed", response)
    return response


def _pick(kwargs, names):
    return {k: kwargs[k] for k in names if kwargs.get(k) is not None}


def _test_mode(test):
    if test is None:
        opts = globals().get("__opts__")
        return bool(opts is not None and opts.get("test", False))
    return bool(test)


def request(req):
    """
    Send a raw request (a dict, schemas/request.json) and return ctune's
    response as it is, also when it failed (``failed: true``, ``msg``).

    .. code-block:: bash

        salt '*' ctune.request '{"verb": "facts", "table": true}'
    """
    if isinstance(req, str):
        req = json.loads(req)
    return _request(dict(req))


def facts(**kwargs):
    """
    The conntrack facts (docs/facts.md): scheme, count, max, usage_percent,
    buckets, timeouts, settings, statistics, table-full events, sizing
    advice, and with ``table=True`` a summary of the table itself, its top
    talkers in ``table.top`` (``top=N`` groups per kind, 0 none; default
    10).  ``netns=True`` adds ``netns``, every network namespace of the
    host with its entry count and a process in it.  The warnings ctune
    collected come back under ``warnings``.

    Options: root, table, top, source (auto|proc|netlink), log_events, advice, boot, scheme, netns.

    ``ctune watch`` (a line per sample until stopped) has no function here:
    run it on the minion's terminal.

    .. code-block:: bash

        salt '*' ctune.facts
        salt '*' ctune.facts table=True top=3
        salt '*' ctune.facts netns=True
    """
    kwargs = _clean(kwargs)
    unknown = sorted(set(kwargs) - set(_FACTS_OPTIONS))
    if unknown:
        _fail("ctune.facts: unknown option(s): {}".format(", ".join(unknown)))
    req = {"verb": "facts"}
    req.update(_pick(kwargs, _FACTS_OPTIONS))
    response = _checked(_request(req))
    result = dict(response.get("ansible_facts", {}).get("conntrack") or {})
    result["warnings"] = list(response.get("warnings") or [])
    return result


def set_(test=None, diff=True, **kwargs):
    """
    Bring tunables to the given values, live and in the sysctl file, all or
    nothing.  Tunables go by their canonical names (``ctune tunables``);
    timeouts take seconds or durations (12h, 3d).  Returns ctune's response:
    changed, msg, per-tunable before/after, warnings, the file ``diff`` and
    ``backup_file``.  ``test=True`` (or the minion's test mode) reports what
    would change and changes nothing.  ctune's guards refuse a ``max``
    below the entries the table holds and timeouts that would cut live
    connections; ``force=True`` sets such a value anyway, with a warning.

    Options: root, file, backup, live, persist, scheme, migrate, override, force, lock_timeout, ensure_module, modules_load_file, modprobe_file.

    .. code-block:: bash

        salt '*' ctune.set max=1210856 tcp_timeout_established=12h
        salt '*' ctune.set max=60000 force=True
        salt '*' ctune.set tcp_timeout_established=1d file=/etc/sysctl.d/60-conntrack.conf test=True
    """
    kwargs = _clean(kwargs)
    req = {"verb": "set"}
    req.update(kwargs)
    req["_ansible_check_mode"] = _test_mode(test)
    req["_ansible_diff"] = bool(diff)
    return _checked(_request(req))


def remove(*names, **kwargs):
    """
    Take tunables out of the sysctl file (``state: absent``); their running
    values stay as they are.  Returns ctune's response like ``ctune.set``.

    .. code-block:: bash

        salt '*' ctune.remove max tcp_timeout_established
        salt '*' ctune.remove tcp_timeout_established file=/etc/sysctl.d/60-conntrack.conf
    """
    kwargs = _clean(kwargs)
    test = kwargs.pop("test", None)
    diff = kwargs.pop("diff", True)
    if not names:
        _fail("ctune.remove: name at least one tunable, e.g. ctune.remove max")
    unknown = sorted(set(kwargs) - set(_SET_OPTIONS))
    if unknown:
        _fail("ctune.remove: unknown option(s): {}".format(", ".join(unknown)))
    req = {"verb": "set", "state": "absent"}
    for name in names:
        req[str(name)] = None
    req.update(kwargs)
    req["_ansible_check_mode"] = _test_mode(test)
    req["_ansible_diff"] = bool(diff)
    return _checked(_request(req))


def tunables():
    """
    The table of tunables ctune knows: per canonical name the kind, unit,
    range, whether read-only or initial-namespace only, and the sysctl key
    in each naming scheme.

    .. code-block:: bash

        salt '*' ctune.tunables
    """
    return _checked(_request({"verb": "tunables"}))
