"""Call control for an offer: what the router asks of AMI once an agent is reserved.

A waiting caller is moved from the hold context to ``omnivox-connect``, which dials the
agent; a callback rings the agent first (``Originate`` into ``omnivox-callback``), and the
dialplan dials the customer once the agent answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from routing.state import ContactView

CONNECT_CONTEXT = "omnivox-connect"
CALLBACK_CONTEXT = "omnivox-callback"


class CallControl(Protocol):
    """What the router needs from AMI (``routing.ami.AMIClient`` provides it)."""

    async def setvar(self, name: str, value: object, channel: str | None = None) -> None: ...

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None: ...

    def on_event(self, pattern: str, handler: Callable[[Any], object]) -> Callable[[], None]: ...


async def connect_caller(control: CallControl, channel: str, endpoint: str) -> None:
    """Dial ``endpoint`` for the caller on hold in ``channel``."""
    await control.setvar("OMNIVOX_AGENT_ENDPOINT", endpoint, channel)
    await control.redirect(channel, CONNECT_CONTEXT, "s")


async def ring_agent_for_callback(
    control: CallControl, view: ContactView, endpoint: str, ring_s: float
) -> None:
    """Ring the agent for a callback contact; the channel's id is the contact's id."""
    originate = getattr(control, "originate", None)
    if originate is None:
        raise RuntimeError("call control cannot originate")
    number = view.meta.get("caller") or ""
    await originate(
        endpoint,
        context=CALLBACK_CONTEXT,
        exten="s",
        priority=1,
        variables={
            "OMNIVOX_CONTACT": view.id,
            "OMNIVOX_CALLBACK_NUMBER": number,
            "OMNIVOX_AGENT_ENDPOINT": endpoint,
        },
        channel_id=view.id,
        caller_id=f'"Callback" <{number}>',
        timeout_ms=int(ring_s * 1000),
    )
