"""The Redis store's reservations: reserve, confirm, release, sweep, and decide-and-reserve
in one script (:mod:`routing.state.lua_decide`). Mixed into
:class:`routing.state.redis_state.RedisState`, whose ``_run`` runs the scripts."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from routing.core.decide import best_contact_for_agent
from routing.core.heads import ceiling
from routing.core.model import Agent, AgentState, Contact, Service
from routing.core.relax import RequirementCache
from routing.core.service_level import risk_flags
from routing.state.base import MISSED
from routing.state.codec import decode_affinity, fmt, opt_float, text
from routing.state.decide_config import digest, service_configs, top
from routing.state.model import (
    Confirmed,
    ContactView,
    Offer,
    Refused,
    RefuseReason,
    Released,
    Reservation,
    StateError,
    Swept,
)


class NoConfig(StateError):
    """The decide script found no configuration for a service (``NOCFG``)."""


class RedisOffers:
    """Reservations over the store's scripts (see :class:`routing.state.base.RoutingState`)."""

    services: dict[str, Service]
    prefix: str
    clock: Callable[[], float]
    _decide_cfg: tuple[Mapping[str, Service], dict[str, str], str, float] | None = None

    async def _run(self, name: str, *args: str) -> Any:
        raise NotImplementedError

    async def _command(self, *args: str) -> Any:
        raise NotImplementedError

    def _contact(self, member: str) -> Contact:
        raise NotImplementedError

    def _view(self, contact_id: str, fields: Mapping[str, str]) -> ContactView:
        raise NotImplementedError

    async def reserve(self, contact_id: str, agent_id: str, ttl_s: float) -> Reservation | Refused:
        now = self.clock()
        expires = now + ttl_s
        ok, value = await self._run("reserve", fmt(now), contact_id, agent_id, fmt(expires))
        if int(ok) != 1:
            return Refused(contact_id, agent_id, RefuseReason(text(value)))
        return Reservation(contact_id, agent_id, int(value), now, expires)

    def _config(self) -> tuple[dict[str, str], str, float]:
        """The services as the decide script reads them, their digest and ``ceiling``;
        recomputed when the router swaps ``services``."""
        cached = self._decide_cfg
        if cached is None or cached[0] is not self.services:
            configs = service_configs(self.services)
            cached = (self.services, configs, digest(configs), ceiling(self.services.values()))
            self._decide_cfg = cached
        return cached[1], cached[2], cached[3]

    async def ready_and_offer(
        self,
        agent_id: str,
        ttl_s: float,
        *,
        lists: Iterable[str] = (),
        k: int = 4,
        max_k: int = 320,
        expect_version: int | None = None,
        cache: RequirementCache | None = None,
        retries: int = 8,
        at_risk: Collection[str] = (),
    ) -> Offer | None:
        """One script: the agent goes READY, ``routing.core``'s choice among the waiting lists of
        their services, of those overflowing to them, and ``lists`` (no live state) is made in Lua
        and reserved (atomic, so ``retries`` is not needed). The trace is
        ``best_contact_for_agent``'s over the chosen contact and those the script passed over above
        it: the same trace the whole lists give."""
        if k < 1 or max_k < k:
            raise StateError("need 1 <= k <= max_k")
        configs, name, most = self._config()
        risky = sorted(set(at_risk) & set(self.services))
        live = risk_flags(risky) if risky else None
        if live:
            most = ceiling(self.services.values(), live)
        now = self.clock()
        expires = now + ttl_s
        args = (
            fmt(now),
            agent_id,
            "" if expect_version is None else str(expect_version),
            name,
            str(k),
            str(max_k),
            fmt(top(most, now)),
            fmt(expires),
            str(len(risky)),
            *risky,
            *sorted(set(lists)),
        )
        try:
            raw = await self._run("ready_reserve", *args)
        except NoConfig:  # first use on this Redis (or the keys were cleared): nothing written
            flat = [x for kv in configs.items() for x in kv]
            await self._command("HSET", f"{self.prefix}cfg:{name}", *flat)
            raw = await self._run("ready_reserve", *args)
        if raw[0] != 1:
            return None
        _, token, member, _, data, idle_since, aff, passed = raw
        chosen = self._contact(member)
        reservation = Reservation(chosen.id, agent_id, int(token), now, expires)
        d = json.loads(data)
        agent = Agent(
            agent_id,
            d["skills"],
            AgentState.READY,
            frozenset(d["services"]),
            idle_since=opt_float(idle_since),
            team=d.get("team"),
            endpoint=d.get("endpoint"),
        )
        affinity = decode_affinity({chosen.customer_id: aff}) if aff and chosen.customer_id else {}
        contacts = [chosen, *(self._contact(m) for m in passed)]
        decision = best_contact_for_agent(
            agent, contacts, self.services, now, live=live, affinity=affinity, cache=cache
        )
        if decision is None or decision.contact_id != chosen.id:  # the two rules disagree
            raise StateError(f"decide script chose {chosen.id} for {agent_id}, the core {decision}")
        return Offer(reservation, decision)

    async def confirm(self, contact_id: str, *, token: int | None = None) -> Confirmed:
        raw = await self._run(
            "confirm", fmt(self.clock()), contact_id, "" if token is None else str(token)
        )
        seq, fields = raw
        return Confirmed(self._view(contact_id, fields_json(fields)), int(seq))

    async def release(
        self, contact_id: str, *, token: int | None = None, reason: str = MISSED
    ) -> Released:
        raw = await self._run(
            "release",
            fmt(self.clock()),
            contact_id,
            "" if token is None else str(token),
            reason,
        )
        return released(raw, reason)

    async def sweep(self, limit: int = 100) -> Swept:
        done, wrapped = await self._run("sweep", fmt(self.clock()), str(limit), MISSED)
        return Swept(tuple(released(r, MISSED) for r in done), tuple(text(a) for a in wrapped))


def fields_json(raw: object) -> dict[str, str]:
    """A hash sent by a script as one JSON array ``[k1, v1, ...]``."""
    flat = json.loads(raw)  # type: ignore[arg-type]
    if not flat:
        return {}
    items = iter(flat)  # JSON strings: already text
    return dict(zip(items, items, strict=True))


def released(raw: Sequence[object], reason: str) -> Released:
    contact_id, agent_id, seq = raw
    return Released(text(contact_id), text(agent_id), reason, int(text(seq)))
