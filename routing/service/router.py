"""The router: queues the IVR's transfers, offers each contact to the best agent (the pure
``routing.core`` decides), connects them through AMI and follows the call to its end.

All state lives in a :class:`routing.state.RoutingState`: :class:`~routing.state.MemoryState`
in process (embedded mode) or :class:`~routing.state.RedisState`, shared by several router
instances. Any instance may decide and reserve (reservations are atomic in the state); AMI
events that change the state are acted on by one instance at a time (``leader``). AMI is
optional: without it a voice contact is offered and stays offered (nothing to dial).

With AMI, a caller is queued when the dialplan announces them in the hold context
(``OmnivoxWaiting``, which carries the IVR's decision), whichever instance ran their IVR.

An agent who becomes ready, a contact that is queued, and what an AMI change or the tick
touched (:mod:`routing.service.tick`) are decided for alone (:mod:`routing.service.per_event`:
the same choice the whole round would make in a steady state); config edits, and the
leader's tick every ``full_round_s``, run the whole round (:meth:`Router.dispatch`),
and so does every event while a service has live-state relaxation triggers. Both take the
services behind their service-level target (:mod:`routing.service.levels`, read on the tick).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from customers.records import AgentRecord
from routing.core.decide import assign
from routing.core.model import Agent, AgentState, Contact, Service
from routing.core.relax import RequirementCache
from routing.core.trace import Decision
from routing.service.announce import Announcer, Directory, Publish
from routing.service.connect import CallControl, connect_offer
from routing.service.contacts import callback_service, contact_of, view_dict
from routing.service.follow import CallFollower
from routing.service.leader import Leadership, SoleLeader
from routing.service.levels import ServiceLevels
from routing.service.per_event import EventOffer, exact, for_agent, for_contact
from routing.service.tick import Touched, crossings, in_rank_order
from routing.state import (
    ContactView,
    NotFound,
    Reservation,
    RoutingState,
    TransitionError,
)


def member_services(services: Mapping[str, Service], skills: Mapping[str, int]) -> frozenset[str]:
    """The services whose required skills the agent has at any level (relaxation may lower
    the level a service needs, so a level-3 billing agent is a billing member)."""
    return frozenset(name for name, s in services.items() if set(s.requires) <= set(skills))


class Router:
    """One router instance over a :class:`RoutingState`; ``publish`` tells the desktop and
    reports (topics ``routing.queued|offered|answered|missed|ended|abandoned|agent``, and
    ``routing.levels`` when the set of services behind their service level changes)."""

    def __init__(
        self,
        state: RoutingState,
        *,
        control: CallControl | None = None,
        publish: Publish | None = None,
        leader: Leadership | None = None,
        directory: Directory | None = None,
        offer_timeout_s: float = 45.0,
        tick_s: float = 0.5,
        full_round_s: float = 5.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.state = state
        self._full_round_s = full_round_s
        self._last_tick: float | None = None  # state clock at the last tick (crossings)
        self._last_round = -math.inf  # ... and at the last whole round of a tick
        self._control = control
        self._leader = leader or SoleLeader()
        self._offer_timeout_s = offer_timeout_s
        self._tick_s = tick_s
        self._log = logger or logging.getLogger("routing")
        self._cache = RequirementCache(state.services)
        self._exact = exact(state.services)  # per-event decisions equal the whole round's
        self._levels = ServiceLevels(state, self._log)  # services behind target, per tick
        self._dispatching = asyncio.Lock()  # one decision round at a time in this instance
        self._announce = Announcer(state, publish, directory=directory, logger=self._log)
        self._follower = CallFollower(
            state,
            control=control,
            leader=self._leader,
            announce=self._announce,
            queue=self.queue_call,
            decide=self.decide,
            dispatch=self.dispatch,
            logger=self._log,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        # Loops also stop on this: a library that swallows a cancellation (Python 3.11's
        # wait_for when the awaited call finishes at the same moment) must not keep the tick
        # running forever after close.
        self._closing = False
        self._unsubscribe: Callable[[], None] | None = None

    def now(self) -> float:
        return self.state.clock()

    @property
    def services(self) -> Mapping[str, Service]:
        """The services of the routing config, by name."""
        return self.state.services

    @property
    def levels(self) -> ServiceLevels:
        """Service levels as this instance last read them (``tallies``, ``at_risk``)."""
        return self._levels

    @property
    def is_leader(self) -> bool:
        """Whether this instance acts on AMI events now."""
        return self._leader.is_leader

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._control is not None:
            self._unsubscribe = self._control.on_event("*", self.on_ami_event)
            on_reconnect = getattr(self._control, "on_reconnect", None)
            if on_reconnect is not None:  # events were missed while AMI was down
                on_reconnect(lambda: self._spawn(self.reconcile()))
        await self._leader.start(self.reconcile)
        self._spawn(self._ticker())

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self._closing = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._leader.close()

    # --- agents -------------------------------------------------------------------------

    async def add_agent(self, record: AgentRecord) -> dict[str, Any]:
        """Register (or refresh) an agent from the store; new agents start offline, known
        ones keep their live state."""
        skills = dict(record.skills)
        agent = Agent(
            id=str(record.id),
            skills=skills,
            services=member_services(self.state.services, skills),
            team=record.team,
            endpoint=record.endpoint,
        )
        self._announce.know(record)
        view = await self.state.put_agent(agent)
        return await self._announce.agent_dict(view.to_dict(self.now()))

    async def set_state(self, agent_id: int | str, state: str, reason: str | None = None) -> dict:
        """An agent's own change (the desktop's ready / not ready / end wrap-up).
        :class:`LookupError` for an unknown agent, :class:`StateError` for a refused change."""
        ready = self._exact and state == AgentState.READY
        offer = None
        try:
            if ready:  # ready, and their best waiting contact reserved, in one step
                offer = await self._for_agent(str(agent_id))
                view = await self.state.get_agent(str(agent_id))
                if view is None:
                    raise NotFound(f"no agent {agent_id}")
            else:
                view = await self.state.set_agent_state(str(agent_id), state, reason)
        except NotFound as exc:
            raise LookupError(str(exc)) from None
        data = await self._announce.agent_dict(view.to_dict(self.now()))
        await self._announce.emit("routing.agent", data)
        if offer is not None:
            await self._offered(offer)
        elif not self._exact:
            await self.dispatch()
        return data

    async def get_state(self, agent_id: int | str) -> dict:
        view = await self.state.get_agent(str(agent_id))
        if view is None:
            raise LookupError(f"no agent {agent_id}")
        return await self._announce.agent_dict(view.to_dict(self.now()))

    async def agents(self) -> list[dict[str, Any]]:
        """Every agent as JSON (``GET /api/agents``, the wallboard, metrics)."""
        now = self.now()
        return [await self._announce.agent_dict(v.to_dict(now)) for v in await self.state.agents()]

    async def update_services(self, services: Mapping[str, Service]) -> None:
        """Serve a new routing config (the admin pages' edit): refused with
        :class:`TransitionError` while a service it drops still holds contacts."""
        async with self._dispatching:
            busy = {v.contact.service for v in await self.state.contacts()} - set(services)
            if busy:
                raise TransitionError(f"services still holding calls: {', '.join(sorted(busy))}")
            self.state.services = dict(services)
            self._cache = RequirementCache(self.state.services)
            self._exact = exact(self.state.services)
            for view in await self.state.agents():
                a = view.agent
                await self.state.put_agent(
                    Agent(
                        id=a.id,
                        skills=a.skills,
                        services=member_services(services, a.skills),
                        team=a.team,
                        endpoint=a.endpoint,
                    )
                )
        await self.dispatch()

    # --- contacts -----------------------------------------------------------------------

    async def contacts(self) -> list[dict[str, Any]]:
        """Waiting, offered and active contacts as JSON (``GET /api/contacts``)."""
        now = self.now()
        return [view_dict(v, now) for v in await self.state.contacts()]

    async def on_bus(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Listener for the in-process bus: the IVR's ``ivr.transfer`` and callbacks."""
        if topic == "ivr.transfer":
            if self._control is None:
                await self.queue_call(payload)
            else:  # queued when the caller reaches the hold context; keep the facts till then
                self._follower.remember(payload)
        elif topic == "ivr.channel_switch" and payload.get("kind") == "callback":
            await self.queue_callback(payload)

    async def queue_call(self, facts: Mapping[str, Any]) -> ContactView:
        """A contact to route: a caller the IVR handed over (``facts`` is the
        ``ivr.transfer`` payload), or a chat or callback (``facts["media"]``)."""
        contact, meta = contact_of(facts, self.state.services, self.now())
        view = await self.state.enqueue(contact, meta)
        await self._announce.emit("routing.queued", view_dict(view, self.now()))
        if self._exact:  # the best ready agent for this contact alone
            async with self._dispatching:
                offer = await for_contact(
                    self.state,
                    view.id,
                    ttl_s=self._offer_timeout_s,
                    cache=self._cache,
                    at_risk=self._levels.at_risk,
                )
            await self._offered(offer)
        else:
            await self.dispatch()
        return view

    async def queue_callback(self, facts: Mapping[str, Any]) -> ContactView | None:
        """The caller asked to be called back when an agent is free: a contact of media
        ``callback`` that waits like a call; the agent's phone rings first (Originate)."""
        number = facts.get("caller")
        service = facts.get("service") or callback_service(facts.get("intent"), self.state.services)
        if not number or not service:
            call_id = facts.get("call_id")
            self._log.warning("callback for call %s without number or service", call_id)
            return None
        reason = f"asked for a callback in the IVR ({facts.get('intent') or 'no intent'})"
        return await self.queue_call(
            dict(facts)
            | {
                "call_id": f"cb-{facts['call_id']}",
                "service": service,
                "media": "callback",
                "kind": "callback",
                "reason": reason,
                "channel": None,
            }
        )

    async def end_contact(self, contact_id: str) -> None:
        """A non-voice contact (chat) is finished: the agent goes to wrap-up."""
        removed = await self.state.remove_contact(contact_id)
        if removed is None:
            return
        await self._announce.removed(removed)
        if removed.agent_id is not None and removed.agent_state is AgentState.READY:
            await self.decide(Touched(agents=(removed.agent_id,)))  # no wrap-up: next now

    # --- AMI events (routing.service.follow) -------------------------------------------

    async def on_ami_event(self, event: Mapping[str, str]) -> None:
        """Every AMI event; the leader acts on those that mean something to routing."""
        await self._follower.on_ami_event(event)

    async def reconcile(self) -> None:
        """Match the state with the channels Asterisk has now (leader only)."""
        await self._follower.reconcile()

    # --- decisions ------------------------------------------------------------------------

    async def _for_agent(self, agent_id: str, version: int | None = None) -> EventOffer | None:
        """The agent goes (or stays) ready and gets their best waiting contact, one
        decision at a time in this instance (a round of the tick does not interleave with
        it). ``version``: only if the agent is still at this version."""
        async with self._dispatching:
            return await for_agent(
                self.state,
                agent_id,
                ttl_s=self._offer_timeout_s,
                cache=self._cache,
                expect_version=version,
                at_risk=self._levels.at_risk,
            )

    async def _offered(self, offer: EventOffer | None) -> None:
        if offer is not None:
            await self._connect(offer.reservation, offer.decision, offer.decision_ms)

    async def dispatch(self) -> int:
        """Offer every waiting contact some free agent can take; returns how many were
        offered by this instance (another may take a contact first: then it is skipped).
        The whole round (``routing.core.assign`` over a snapshot): the periodic one, after
        AMI changes and config edits, and for every event while per-event decisions are not
        exact (``routing.service.per_event``); nothing is read beyond the ready agents
        while none is ready."""
        async with self._dispatching:
            if not await self.state.ready_agents():
                return 0
            started = time.perf_counter()
            snapshot = await self.state.snapshot()
            contacts = snapshot.contacts()
            if not contacts or not snapshot.agents:
                return 0
            decisions = assign(
                contacts,
                snapshot.agents,
                self.state.services,
                snapshot.taken_at,
                live=snapshot.live(self.state.services, sorted(self._levels.at_risk)),
                affinity=snapshot.affinity,
                cache=self._cache,
            )
            decided_ms = (time.perf_counter() - started) * 1000
            offered = []
            for decision in decisions:
                if decision.agent_id is None:
                    continue
                reserved = await self.state.reserve(
                    decision.contact_id, decision.agent_id, self._offer_timeout_s
                )
                if isinstance(reserved, Reservation):
                    offered.append((reserved, decision))
        for reservation, decision in offered:
            await self._connect(reservation, decision, decided_ms)
        return len(offered)

    async def _connect(self, reservation: Reservation, decision: Decision, ms: float) -> None:
        await connect_offer(
            self.state,
            self._announce,
            self._control,
            reservation,
            decision,
            ms,
            ring_s=self._offer_timeout_s,
            log=self._log,
        )

    async def _ticker(self) -> None:
        """Reservations that expire, wrap-ups that end, service levels, and relaxation
        over time."""
        while not self._closing:
            await asyncio.sleep(self._tick_s)
            try:
                await self._tick()
            except Exception:
                self._log.exception("routing tick failed")

    async def _tick(self) -> None:
        swept = await self.state.sweep()
        for released in swept.released:
            self._log.warning("offer of %s to %s timed out", released.contact_id, released.agent_id)
            view = await self.state.get_contact(released.contact_id)
            if view is not None:
                payload = view_dict(view, self.now()) | {"missed": released.agent_id}
                await self._announce.emit("routing.missed", payload)
            await self._announce.agent(released.agent_id)
        for agent_id in swept.wrapped_up:
            await self._announce.agent(agent_id)
        behind = self._levels.at_risk
        if await self._levels.refresh() != behind:  # the wallboard shows it at once
            await self._announce.emit("routing.levels", {"at_risk": sorted(self._levels.at_risk)})
        now, since = self.now(), self._last_tick
        self._last_tick = now
        leader = self._leader.is_leader
        due = leader and now - self._last_round >= self._full_round_s
        if since is None or not self._exact or due:
            self._last_round = now
            await self.dispatch()
            return
        touched = Touched(tuple(r.contact_id for r in swept.released), swept.wrapped_up)
        if leader:  # once per store: contacts whose wait crossed a relaxation time
            for name, after, upto in crossings(self.state.services, since, now):
                touched += Touched(tuple(await self.state.entered_between(name, after, upto)))
        await self.decide(touched)

    async def decide(self, touched: Touched) -> None:
        """Decide for the contacts and agents a change may have made matchable (an AMI
        event, a tick), each alone; the whole round while that would not be exact."""
        if not self._exact:
            await self.dispatch()
            return
        at_risk = self._levels.at_risk
        for contact_id in await in_rank_order(self.state, touched.contacts, at_risk):
            async with self._dispatching:
                offer = await for_contact(
                    self.state,
                    contact_id,
                    ttl_s=self._offer_timeout_s,
                    cache=self._cache,
                    at_risk=at_risk,
                )
            await self._offered(offer)
        for agent_id in touched.agents:
            view = await self.state.get_agent(agent_id)
            if view is None or view.state is not AgentState.READY or not view.reachable:
                continue
            offer = None
            with contextlib.suppress(TransitionError):  # changed meanwhile: not now
                offer = await self._for_agent(agent_id, view.version)
            await self._offered(offer)


__all__ = ["CallControl", "Contact", "Router", "member_services"]
