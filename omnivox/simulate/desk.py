"""The agents' side of simulated calls on an embedded server: who is on duty, who got each
call, and the screen-pop they saw.

The :class:`Desk` seats agents in the store and the router (ready), follows the router's
``routing.*`` events on the server's bus per call, holds the caller until an agent takes the
call (offered, without AMI: nobody can answer; answered, with AMI: the agent-sim phone
answers at once), and acts as the agents' desktop: a wrap-up ends at once, so the next call
finds them ready. The pop is composed the way the desktop composes it
(:func:`~omnivox.desktop.offers.contact_from_offer`, :func:`~omnivox.desktop.pop.build_pop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from customers.exceptions import Conflict
from omnivox.desktop.offers import contact_from_offer
from omnivox.desktop.pop import build_pop
from omnivox.server import OmnivoxServer
from omnivox.simulate.model import AgentSeed
from omnivox.simulate.popchecks import AgentOutcome
from routing.service.router import Router
from routing.state import StateError

log = logging.getLogger("omnivox.simulate")
DEFAULT_LEVEL = 8
OFF_DUTY = "off duty (omnivox simulate)"
ENDED = ("routing.ended", "routing.abandoned")
KEEP_CALLS = 5000


def default_agents(services: Mapping[str, Any]) -> list[AgentSeed]:
    """One stand-in agent per skill the services require: see :func:`stand_ins`."""
    return stand_ins({s for service in services.values() for s in service.requires})


def stand_ins(skills: Iterable[str]) -> list[AgentSeed]:
    """One stand-in agent per skill: ``sim-<skill>`` at level 8, whose phone
    (``Local/1NNN@agent-sim``) answers at once."""
    return [
        AgentSeed(
            f"sim-{skill}", {skill: DEFAULT_LEVEL}, f"Sim {skill}", f"Local/{1001 + i}@agent-sim"
        )
        for i, skill in enumerate(sorted(set(skills)))
    ]


@dataclass
class _Call:
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class Desk:
    """The agents of one embedded server."""

    def __init__(self, server: OmnivoxServer) -> None:
        assert server.router is not None and server.store is not None
        self.server = server
        self.router: Router = server.router
        self.store = server.store
        self.with_ami = server.ami is not None  # an agent can answer (agent-sim)
        self.seats_agents = True  # scripts' ``agents:`` go on duty here
        self.defaults: list[AgentSeed] = []
        self._ids: dict[str, str] = {}  # login -> router agent id
        self._calls: dict[str, _Call] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Seat the default agents (ready) and follow the bus."""
        self.server.bus.listeners.append(self._on_bus)
        self.defaults = default_agents(self.router.services)
        for seed in self.defaults:
            await self._seat(seed, "ready")

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.server.bus.listeners.remove(self._on_bus)
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task

    # --- who is on duty -------------------------------------------------------------------

    async def on_duty(self, seeds: Sequence[AgentSeed]) -> None:
        """Only ``seeds`` are ready from now (``seeds`` empty: the default agents)."""
        wanted = seeds or self.defaults
        ready = {await self._seat(seed, None) for seed in wanted}
        for view in await self.router.agents():
            agent_id = str(view["id"])
            state = "ready" if agent_id in ready else "not_ready"
            with contextlib.suppress(StateError, LookupError):
                await self.router.set_state(agent_id, state, None if state == "ready" else OFF_DUTY)

    async def _seat(self, seed: AgentSeed, state: str | None) -> str:
        endpoint = seed.endpoint or "Local/1999@agent-sim"
        try:
            record = await self.store.create_agent(
                seed.login, seed.name or seed.login, endpoint, skills=dict(seed.skills)
            )
        except Conflict:
            record = await self.store.set_agent_skills(seed.login, dict(seed.skills))
        view = await self.router.add_agent(record)
        agent_id = str(view["id"])
        self._ids[seed.login] = agent_id
        if state is not None:
            await self.router.set_state(agent_id, state)
        return agent_id

    # --- one call ---------------------------------------------------------------------------

    async def hold(self, call_id: str, seconds: float) -> None:
        """Return once an agent took the call, the call left the router, or ``seconds``
        passed (the caller gives up)."""
        call = self._calls.setdefault(call_id, _Call())
        deadline = time.monotonic() + seconds
        while not self._settled(call):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            call.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.changed.wait(), left)

    def _settled(self, call: _Call) -> bool:
        taken = "routing.answered" if self.with_ami else "routing.offered"
        return any(topic in (taken, *ENDED) for topic, _ in call.events)

    async def hang_up(self, call_id: str) -> None:
        """Without Asterisk, tell the router the caller hung up (as Asterisk's ``Hangup``
        would), so the agent offered the call is free again. With AMI the driver hangs up."""
        if self.with_ami:
            return
        if await self.router.state.get_contact(call_id) is not None:
            await self.router.on_ami_event({"Event": "Hangup", "Uniqueid": call_id, "Cause": "16"})

    async def outcome(self, call_id: str) -> AgentOutcome:
        """Who got the call and the pop they saw; forgets the call."""
        call = self._calls.pop(call_id, _Call())
        out = AgentOutcome()
        offered: dict[str, Any] | None = None
        for topic, payload in call.events:
            if topic.startswith("routing.") and payload.get("service"):
                out.service = str(payload["service"])
            match topic:
                case "routing.queued":
                    out.queued = True
                case "routing.offered":
                    out.queued = True
                    out.offers += 1
                    offered = offered or payload
                case "routing.answered":
                    out.answered = True
                case "routing.abandoned" | "routing.ended":
                    out.wait_s = payload.get("wait_s")
        taken = out.answered if self.with_ami else offered is not None
        out.abandoned = out.queued and not taken
        if offered is not None:
            agent_id = offered["agent"]
            out.agent = await self.store.get_agent(int(agent_id))
            contact = contact_from_offer(offered, time.time())
            why = offered.get("why") if isinstance(offered.get("why"), Mapping) else None
            out.pop = await build_pop(
                self.store, contact=contact, trace=why, agent_id=int(agent_id)
            )
        return out

    async def _on_bus(self, topic: str, payload: dict[str, Any]) -> None:
        if topic == "routing.agent" and payload.get("state") == "wrap_up":
            if str(payload.get("id")) in self._ids.values():  # the agent ends wrap-up at once
                self._later(self._ready(str(payload["id"])))
            return
        call_id = str(payload.get("id") or "")
        if not call_id or not topic.startswith("routing."):
            return
        if call_id not in self._calls and len(self._calls) >= KEEP_CALLS:
            del self._calls[next(iter(self._calls))]  # calls nobody asked about (load mode)
        call = self._calls.setdefault(call_id, _Call())
        call.events.append((topic, payload))
        call.changed.set()

    async def _ready(self, agent_id: str) -> None:
        with contextlib.suppress(StateError, LookupError):
            await self.router.set_state(agent_id, "ready")

    def _later(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
