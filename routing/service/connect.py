"""Call control for an offer: what the router asks of AMI once an agent is reserved.

A waiting caller is moved from the hold context to ``omnivox-connect``, which dials the
agent; a callback rings the agent first (``Originate`` into ``omnivox-callback``), and the
dialplan dials the customer once the agent answers.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from routing.core.trace import Decision
from routing.service.announce import Announcer
from routing.service.contacts import view_dict
from routing.state import ContactView, Reservation, RoutingState, StateError

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


async def connect_offer(
    state: RoutingState,
    announce: Announcer,
    control: CallControl | None,
    reservation: Reservation,
    decision: Decision,
    ms: float,
    *,
    ring_s: float,
    log: logging.Logger,
) -> None:
    """Act on a reservation: store the decision's trace with the contact, tell the desktop
    and reports (``routing.offered``, the agent reserved), then connect by media: a chat is
    the agent's at once, a callback rings the agent, a caller on hold is redirected to the
    agent. A failed connect releases the contact (its place kept) and readies the agent."""
    view = await state.get_contact(reservation.contact_id)
    agent = await state.get_agent(reservation.agent_id)
    if view is None or agent is None:
        return
    why = decision.to_dict()
    with contextlib.suppress(StateError):  # supervisors see it at GET /api/contacts
        view = await state.update_meta(view.id, {"why": why})
    payload = view_dict(view, state.clock()) | {
        "why": why,
        "facts": dict(view.meta.get("facts") or {}),
        "agent": agent.id,
        "decision_ms": round(ms, 3),
    }
    await announce.emit("routing.offered", payload)
    await announce.agent(agent.id)  # reserved: the desktop shows it
    media = view.meta.get("media", "voice")
    if media == "chat":  # the pop is the offer: the chat is the agent's at once
        confirmed = await state.confirm(view.id, token=reservation.token)
        await announce.emit("routing.answered", view_dict(confirmed.view, state.clock()))
        return
    if control is None or not agent.agent.endpoint:
        return
    try:
        if media == "callback":
            await ring_agent_for_callback(control, view, agent.agent.endpoint, ring_s)
        elif view.meta.get("channel"):
            await connect_caller(control, str(view.meta["channel"]), agent.agent.endpoint)
    except Exception:  # AMI down or the channel just went away: the contact is not lost
        log.exception("connecting %s to agent %s failed", view.id, agent.id)
        with contextlib.suppress(StateError):
            await state.release(view.id, token=reservation.token, reason="connect_failed")
            await state.set_agent_state(agent.id, "ready")  # not the agent's fault
