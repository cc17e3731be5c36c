"""
Salt grain ``conntrack``: ctune's facts object (docs/facts.md) for every
minion, so targeting and the mine can use it::

    salt -G 'conntrack:scheme:legacy' test.ping
    salt '*' grains.get conntrack:usage_percent

Grains are computed when the minion starts and on ``saltutil.refresh_grains``;
they are a snapshot, not a monitor.  Default facts never walk the table, so
the cost does not grow with it.  The executable and the request come from
``ctune:bin`` and ``ctune:grains``::

    ctune:
      bin: /usr/local/bin/ctune
      grains: {log_events: true}       # extra facts options (root, source, log_events, advice, boot)

read from the minion config first, then from pillar, the order of
``config.get`` (which a grain cannot call: grains load before execution
modules).  Pillar is there only when Salt computes grains after compiling it:
Salt's loader gives grain modules ``__pillar__`` from ``__opts__["pillar"]``,
which the minion sets once it has compiled its pillar - so the grains of a
refresh (``saltutil.refresh_grains``, ``saltutil.sync_grains``, and the
module reload after the minion connects to its master) see it, but the very
first grains of a starting minion, computed before any pillar (pillar
targeting needs them), do not.  Settings needed from the first moment belong
in the minion config.

A grain must never break the minion's start: when ctune is missing or fails,
the grain is left out (and the reason logged).
"""

import json
import logging
import os
import shutil
import subprocess

log = logging.getLogger(__name__)

DEFAULT_BIN = "/usr/bin/ctune"
TIMEOUT = 30  # seconds


def _opts():
    opts = globals().get("__opts__")
    return opts if opts is not None else {}


def _pillar():
    # What Salt's loader injects (a wrapper around __opts__["pillar"]);
    # __opts__["pillar"] itself where it is not injected.
    pillar = globals().get("__pillar__")
    if pillar is None:
        pillar = _opts().get("pillar")
    try:
        return pillar if pillar is not None and hasattr(pillar, "get") else {}
    except Exception:  # noqa: BLE001 - a grain never breaks the minion
        return {}


def _setting(key):
    """``ctune:<key>``: the minion config (nested ``ctune: {key: ...}`` or flat
    ``ctune.key``), else pillar (``ctune: {key: ...}``); None when unset."""
    conf = _opts().get("ctune")
    if isinstance(conf, dict) and conf.get(key) is not None:
        return conf[key]
    if _opts().get("ctune." + key) is not None:
        return _opts()["ctune." + key]
    conf = _pillar().get("ctune")
    if isinstance(conf, dict) and conf.get(key) is not None:
        return conf[key]
    return None


def _binary_path():
    configured = _setting("bin")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("ctune") or (DEFAULT_BIN if os.access(DEFAULT_BIN, os.X_OK) else None)


def conntrack():
    """The ``conntrack`` grain: ctune's facts, or nothing when unavailable."""
    binary = _binary_path()
    if not binary:
        log.debug("ctune grain: no ctune executable")
        return {}
    request = {"verb": "facts"}
    extra = _setting("grains")
    if isinstance(extra, dict):
        request.update({k: v for k, v in extra.items() if k in ("root", "source", "log_events", "advice", "boot", "scheme")})
    try:
        proc = subprocess.run(
            [binary],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        response = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("ctune grain: %s", exc)
        return {}
    if not isinstance(response, dict) or response.get("failed"):
        log.warning("ctune grain: %s", response.get("msg") if isinstance(response, dict) else "no JSON object")
        return {}
    facts = dict((response.get("ansible_facts") or {}).get("conntrack") or {})
    if not facts:
        return {}
    facts["warnings"] = list(response.get("warnings") or [])
    return {"conntrack": facts}
