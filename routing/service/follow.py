"""Following calls through AMI: the events that change routing state, and reconciling the
state with the channels Asterisk has.

One router instance at a time acts on them (the ``leader``). A caller is queued when the
dialplan announces them in the hold context (``OmnivoxWaiting``), whichever instance ran
their IVR; the IVR's own facts about the call are kept here until then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from routing.bridge.signals import (
    AgentAnswered,
    AgentMissed,
    CallbackAnswered,
    CallerGone,
    CallerWaiting,
    DevicePresence,
    signal_of,
)
from routing.core.model import AgentState
from routing.service.announce import Announcer
from routing.service.connect import CallControl
from routing.service.contacts import alive_channels, view_dict, waiting_facts
from routing.service.leader import Leadership
from routing.service.tick import Touched
from routing.state import RoutingState, StateError

NOTHING = Touched()
PENDING_KEEP_S = 600.0  # IVR facts kept for a caller who has not reached the hold context


class CallFollower:
    """Applies AMI signals to the state (leader only); ``queue`` queues a caller who now
    waits, ``decide`` decides for the contacts and agents a change made matchable, and
    ``dispatch`` runs the whole round (after a reconcile)."""

    def __init__(
        self,
        state: RoutingState,
        *,
        control: CallControl | None,
        leader: Leadership,
        announce: Announcer,
        queue: Callable[[Mapping[str, Any]], Awaitable[object]],
        decide: Callable[[Touched], Awaitable[object]],
        dispatch: Callable[[], Awaitable[int]],
        logger: logging.Logger | None = None,
    ) -> None:
        self._state = state
        self._control = control
        self._leader = leader
        self._announce = announce
        self._queue = queue
        self._decide = decide
        self._dispatch = dispatch
        self._log = logger or logging.getLogger("routing")
        self._pending: dict[str, tuple[float, dict[str, Any]]] = {}  # call id -> IVR facts

    def remember(self, facts: Mapping[str, Any]) -> None:
        """The IVR's facts about a caller about to reach the hold context."""
        now = time.monotonic()
        self._pending = {k: v for k, v in self._pending.items() if now - v[0] < PENDING_KEEP_S}
        self._pending[str(facts["call_id"])] = (now, dict(facts))

    async def on_ami_event(self, event: Mapping[str, str]) -> None:
        """Every AMI event; the leader acts on those that mean something to routing."""
        signal = signal_of(event)
        if signal is None or not self._leader.is_leader:
            return
        try:
            touched = await self._apply(signal)
            if touched:
                await self._decide(touched)
        except StateError as exc:  # a late or repeated event: the state refused it
            self._log.info("AMI %s ignored: %s", type(signal).__name__, exc)

    async def _apply(self, signal: object) -> Touched:
        """Change the state; what may have become matchable (empty: nothing to decide)."""
        state, announce = self._state, self._announce
        match signal:
            case CallerWaiting(uniqueid=uid):
                if await state.get_contact(uid) is None:
                    _, facts = self._pending.pop(uid, (0.0, {}))
                    await self._queue(waiting_facts(signal, facts))  # queueing decides
            case AgentAnswered(uniqueid=uid) | CallbackAnswered(uniqueid=uid):
                view = await state.get_contact(uid)
                if view is None or view.phase != "offered":
                    return NOTHING
                confirmed = await state.confirm(uid, token=view.token)
                await announce.emit("routing.answered", view_dict(confirmed.view, state.clock()))
                if confirmed.view.agent_id is not None:
                    await announce.agent(confirmed.view.agent_id)  # on call
            case AgentMissed(uniqueid=uid):
                view = await state.get_contact(uid)
                if view is None or view.phase != "offered":
                    return NOTHING
                released = await state.release(uid, token=view.token)
                again = await state.get_contact(uid)
                if again is not None:
                    payload = view_dict(again, state.clock()) | {"missed": released.agent_id}
                    await announce.emit("routing.missed", payload)
                await announce.agent(released.agent_id)
                return Touched(contacts=(uid,))  # waits again; the agent is not ready
            case CallerGone(uniqueid=uid):
                removed = await state.remove_contact(uid)
                if removed is None:
                    return NOTHING
                await announce.removed(removed)
                if removed.agent_id is not None and removed.agent_state is AgentState.READY:
                    return Touched(agents=(removed.agent_id,))  # hung up while ringing
            case DevicePresence(device=device):
                back = []
                for agent in await state.agents_at(device):
                    if agent.reachable != signal.reachable:
                        await state.set_presence(agent.id, signal.reachable)
                        back += [agent.id] if signal.reachable else []
                return Touched(agents=tuple(back))
        return NOTHING

    async def reconcile(self) -> None:
        """Match the state with the channels Asterisk has now (after a restart, a lost
        lease or an AMI reconnect): contacts whose channel is gone are removed (abandoned or
        ended). Without AMI there is nothing to compare with."""
        if self._control is None or not self._leader.is_leader:
            return
        action = getattr(self._control, "action", None)
        if action is None:
            return
        try:
            listing = await action("CoreShowChannels")
        except Exception as exc:
            self._log.warning("reconcile: CoreShowChannels failed: %s", exc)
            return
        alive = alive_channels(listing)
        gone = 0
        for view in await self._state.contacts():
            if view.meta.get("media", "voice") != "voice" or view.id in alive:
                continue
            removed = await self._state.remove_contact(view.id)
            if removed is not None:
                gone += 1
                await self._announce.removed(removed)
        self._log.info("reconciled with Asterisk: %d channels, %d contacts gone", len(alive), gone)
        await self._dispatch()
