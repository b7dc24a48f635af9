"""What ``omnivox simulate --server`` needs before and after it reaches the running server:
the asterisk driver and an API key for scripts that expect ``agent``/``screen_pop`` or declare
``agents:`` (checked before anything runs), and the scope ``agents:write`` for the latter
(checked once the key is proved). Each refusal names the scripts and what to do (exit 2)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from omnivox.simulate.model import AGENT_EXPECTATIONS, Script
from omnivox.simulate.remote import KEY_HELP, SCOPE, SEAT_SCOPE, RemoteDesk

URL_ENV = "OMNIVOX_SERVER_URL"
KEY_ENV = "OMNIVOX_API_KEY"  # never a command-line option: it would show in ps

BUILTIN_REMOTE = (
    "the builtin driver's calls have no Asterisk channel, so a running server's router would"
    " offer them to an agent whose phone rings with nobody on the line and never hear the"
    " caller hang up. Check agents on a running server with --against asterisk, or leave out"
    " --server: on the embedded server the builtin driver's agents take the offer"
)


def check_remote(args: argparse.Namespace, scripts: Sequence[Script]) -> str | None:
    """Against a running server, ``agent`` and ``screen_pop`` are read from its API and
    ``agents:`` are put on duty through it: its URL and a key are needed before anything
    runs, and the asterisk driver (real calls that agents' phones answer)."""
    args.api_key = os.environ.get(KEY_ENV) or None
    if args.server is None:
        return None
    expecting = [
        f"{s.path}:{e.pos.line}"
        for s in scripts
        for plan in s.calls
        for e in plan.expect
        if e.name in AGENT_EXPECTATIONS
    ]
    declaring = agent_scripts(scripts)
    what = _needs(expecting, declaring)
    if what and args.against == "builtin":
        return f"{what}: against a running server that needs --against asterisk: {BUILTIN_REMOTE}"
    missing = [
        what
        for what, value in (
            (f"--server-url (or ${URL_ENV})", args.server_url),
            (f"${KEY_ENV}", args.api_key),
        )
        if value is None
    ]
    if args.server_url is not None and args.api_key is None:
        return f"--server-url needs an API key in ${KEY_ENV} (make one: {KEY_HELP})"
    if not what or not missing:
        return None
    scopes = f"{SCOPE} and {SEAT_SCOPE}" if declaring else SCOPE
    return (
        f"{what}, which a running server does through its API: set {' and '.join(missing)}"
        f" (a key with scope {scopes}: {KEY_HELP})"
    )


def agent_scripts(scripts: Sequence[Script]) -> list[str]:
    """The scripts that declare ``agents:``."""
    return [str(s.path) for s in scripts if s.agents]


def _needs(expecting: Sequence[str], declaring: Sequence[str]) -> str:
    parts = []
    if expecting:
        more = f" and {len(expecting) - 3} more" if len(expecting) > 3 else ""
        parts.append(f"{', '.join(expecting[:3])}{more} expect 'agent' or 'screen_pop'")
    if declaring:
        more = f" and {len(declaring) - 3} more" if len(declaring) > 3 else ""
        parts.append(f"{', '.join(declaring[:3])}{more} declare agents: to put on duty")
    return "; ".join(parts)


def seating_refused(remote: RemoteDesk, scripts: Sequence[Script]) -> str | None:
    """Why scripts declaring ``agents:`` cannot run with this key (None: they can)."""
    declaring = agent_scripts(scripts)
    if not declaring or remote.seats_agents:
        return None
    more = f" and {len(declaring) - 3} more" if len(declaring) > 3 else ""
    return (
        f"{', '.join(declaring[:3])}{more} declare agents: to put on duty on {remote.url}"
        f" (PUT /api/qa/agents/{{login}}), and {remote.seat_note} (make a key: {KEY_HELP});"
        " nothing was run"
    )
