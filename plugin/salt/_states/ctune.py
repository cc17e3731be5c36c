"""
Salt states for ctune: keep netfilter conntrack tunables at their values,
live and in the sysctl file.

.. code-block:: yaml

    conntrack:
      ctune.tuned:
        - tunables:
            max: 1210856
            tcp_timeout_established: 12h
        - file: /etc/sysctl.d/60-conntrack.conf
        - backup: True

    old-conntrack-keys:
      ctune.absent:
        - tunables: [udp_timeout, udp_timeout_stream]

Tunables may also be given as arguments of their own (``- max: 1210856``).
In test mode (``test=True``) nothing is touched: the result is None when
something would change, with the same ``changes`` a real run would report.
All the work is ctune's, through the ``ctune`` execution module.

``changes``, per changed tunable by canonical name, holds ``live`` and/or
``persisted`` as ``{"old": ..., "new": ...}``; ``diff`` holds the unified
diff of the sysctl file and ``backup_file`` the backup made, if any.
"""

import difflib

__virtualname__ = "ctune"

# Arguments of tuned/absent that are options of the request, not tunables.
# (the execution module's _SET_OPTIONS; tests/ansible-options.test.sh
# checks them against the request).
_OPTIONS = ("root", "file", "backup", "live", "persist", "scheme", "migrate", "override", "force",
            "lock_timeout", "ensure_module", "modules_load_file", "modprobe_file")


def __virtual__():
    if "ctune.set" in __salt__:
        return __virtualname__
    return (False, "ctune: the ctune execution module is not available")


def _unified_diff(diff):
    """ctune's diff - one {before, after, before_header, after_header} per
    file, or a list of them when a request changes several files (a sysctl
    file and modprobe.d for buckets) - as one unified diff text."""
    if isinstance(diff, dict):
        diff = [diff]
    text = ""
    for one in diff if isinstance(diff, list) else []:
        if not isinstance(one, dict):
            continue
        before = one.get("before") or ""
        after = one.get("after") or ""
        text += "".join(
            difflib.unified_diff(
                before.splitlines(True),
                after.splitlines(True),
                fromfile=one.get("before_header") or "before",
                tofile=one.get("after_header") or "after",
            )
        )
    return text


def _changes(response):
    """ctune's response -> a Salt changes dict (empty when nothing changed)."""
    changes = {}
    for name, item in (response.get("tunables") or {}).items():
        entry = {}
        if item.get("live_changed"):
            entry["live"] = {"old": item.get("live_before"), "new": item.get("live_after")}
        if item.get("persist_changed"):
            entry["persisted"] = {
                "old": item.get("persisted_before"),
                "new": item.get("persisted_after"),
            }
        if entry:
            changes[name] = entry
    if response.get("changed"):
        text = _unified_diff(response["diff"]) if response.get("diff") else ""
        if text:
            changes["diff"] = text
        migrated = [s for s in response.get("stale_keys") or [] if s.get("migrated")]
        if migrated:
            changes["migrated_keys"] = {s["key"]: s.get("replacement") for s in migrated}
        if response.get("backup_file"):
            changes["backup_file"] = response["backup_file"]
        if not changes:
            # ctune only tidied the file (for example a duplicate key).
            changes["file"] = response.get("file")
    return changes


def _comment(response):
    comment = response.get("msg") or ""
    warnings = response.get("warnings") or []
    if warnings:
        comment += "\nWarnings:\n" + "\n".join("- " + w for w in warnings)
    return comment


def _error_message(exc):
    """The message of a failed call, alone.  Salt's CommandExecutionError
    makes str(exc) the message followed by its ``info`` (here ctune's whole
    response, msg and comment included) as nested output; the message is
    ``exc.error``, and ctune's own is the response's ``msg``."""
    for info in (getattr(exc, "info", None), getattr(exc, "response", None)):
        if isinstance(info, dict) and info.get("msg"):
            return str(info["msg"])
    error = getattr(exc, "error", None)
    if isinstance(error, str) and error:
        return error
    return str(exc)


def _run(name, request_kwargs, absent):
    ret = {"name": name, "changes": {}, "result": False, "comment": ""}
    test = bool(__opts__.get("test", False))
    try:
        if absent:
            response = __salt__["ctune.remove"](*request_kwargs.pop("_names"), test=test, **request_kwargs)
        else:
            response = __salt__["ctune.set"](test=test, **request_kwargs)
    except Exception as exc:  # CommandExecutionError under Salt: ctune's own message
        ret["comment"] = _error_message(exc)
        return ret
    ret["changes"] = _changes(response)
    ret["comment"] = _comment(response)
    if test and response.get("changed"):
        ret["result"] = None
    else:
        ret["result"] = True
    return ret


def _split(kwargs):
    """Options for the request, and everything else that is not Salt's own."""
    options, rest = {}, {}
    for key, value in kwargs.items():
        if key.startswith("__") or key in ("name", "names", "fun", "state", "test"):
            continue
        (options if key in _OPTIONS else rest)[key] = value
    return options, rest


def tuned(name, tunables=None, **kwargs):
    """
    Keep conntrack tunables at the given values, live and in the sysctl file.

    name
        An ID of your choice (nothing is derived from it).

    tunables
        A mapping of canonical tunable names (``ctune tunables``) to values:
        numbers, or durations such as ``12h`` for timeouts.  Tunables may
        also be given as arguments of their own.

    root, file, backup, live, persist, scheme, migrate, override, force,
    lock_timeout, ensure_module, modules_load_file, modprobe_file
        As in ctune's request (``ansible-doc ctune`` describes each):
        ``file`` the sysctl file (default ``/etc/sysctl.conf``), ``backup``
        keep a copy of it, ``live``/``persist`` which side to change,
        ``override: fix`` comment out a later file's overriding line,
        ``force: True`` set a value ctune's guards refuse (a ``max`` below
        the live count, a timeout that cuts live connections), with a
        warning in the comment.
    """
    options, rest = _split(kwargs)
    wanted = dict(tunables or {})
    for key, value in rest.items():
        if key in wanted:
            return {"name": name, "changes": {}, "result": False,
                    "comment": "{} is given twice (in tunables and as an argument)".format(key)}
        wanted[key] = value
    if not wanted:
        return {"name": name, "changes": {}, "result": False,
                "comment": "ctune.tuned needs tunables, e.g. tunables: {max: 1210856}"}
    options.update(wanted)
    return _run(name, options, absent=False)


def absent(name, tunables=None, **kwargs):
    """
    Keep conntrack tunables out of the sysctl file; running values stay.

    name
        The tunable to remove, unless ``tunables`` lists them.

    tunables
        A list of canonical tunable names.

    root, file, backup, scheme, migrate, override, lock_timeout,
    ensure_module, modules_load_file, modprobe_file
        As for ``ctune.tuned``.
    """
    options, rest = _split(kwargs)
    if rest:
        return {"name": name, "changes": {}, "result": False,
                "comment": "unknown option(s): {}".format(", ".join(sorted(rest)))}
    names = list(tunables) if tunables else [name]
    options["_names"] = names
    return _run(name, options, absent=True)

