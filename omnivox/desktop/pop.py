"""``build_pop``: read what the agent must see about a contact and compose the screen-pop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from customers.records import (
    AgentRecord,
    CustomerRecord,
    IntentCount,
    JourneyRecord,
    TimelinePage,
)
from omnivox.desktop import popview

TIMELINE_LIMIT = 50  # the first page; the page asks for more with the cursor
MAX_MERGE_HOPS = 16
BULK_AGENT_LOAD = 3  # more unknown agents than this in one pop: load them all at once


class PopSource(Protocol):
    """The reads a pop needs (``customers.CustomerStore`` provides them)."""

    async def get_customer(self, customer_id: int) -> CustomerRecord | None: ...

    async def timeline(
        self, customer_id: int, *, limit: int = 50, before: str | None = None
    ) -> TimelinePage: ...

    async def intent_counts(self, customer_id: int) -> list[IntentCount]: ...

    async def get_journey(self, key: int | str) -> JourneyRecord | None: ...

    async def get_agent(self, agent: int | str) -> AgentRecord | None: ...

    async def list_agents(self) -> list[AgentRecord]: ...


async def _none() -> None:
    return None


async def current_customer(store: PopSource, customer_id: int) -> CustomerRecord | None:
    """The customer, following merges to the profile that absorbed it."""
    customer = await store.get_customer(customer_id)
    for _ in range(MAX_MERGE_HOPS):
        if customer is None or customer.merged_into is None:
            return customer
        customer = await store.get_customer(customer.merged_into)
    return customer


class AgentCache:
    """Agents by id for pops (names on the timeline, the chosen agent's skills), kept ``ttl_s``.

    Agents change rarely and a pop names up to 50 of them: one cache per process saves a
    query per name on every pop. Several unknown ids at once load every agent in one pass.
    """

    def __init__(
        self,
        store: PopSource,
        *,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl_s
        self._clock = clock
        self._agents: dict[int, tuple[float, AgentRecord | None]] = {}

    async def get(self, agent_id: int) -> AgentRecord | None:
        return (await self.many({agent_id})).get(agent_id)

    async def names(self, ids: set[int]) -> dict[int, str]:
        return {i: a.name for i, a in (await self.many(ids)).items()}

    async def many(self, ids: set[int]) -> dict[int, AgentRecord]:
        now = self._clock()
        missing = {i for i in ids if now - self._agents.get(i, (-1e18, None))[0] > self._ttl}
        if len(missing) > BULK_AGENT_LOAD:
            for record in await self._store.list_agents():
                self._agents[record.id] = (now, record)
        for agent_id in missing:
            if now - self._agents.get(agent_id, (-1e18, None))[0] > self._ttl:
                self._agents[agent_id] = (now, await self._store.get_agent(agent_id))
        found = {i: self._agents[i][1] for i in ids}
        return {i: a for i, a in found.items() if a is not None}


async def build_pop(
    store: PopSource,
    *,
    contact: Mapping[str, Any],
    trace: Mapping[str, Any] | None,
    agent_id: int | None = None,
    timeline_limit: int = TIMELINE_LIMIT,
    agents: AgentCache | None = None,
) -> dict[str, Any]:
    """The screen-pop for ``contact`` (see :func:`popview.contact_view` for its keys).

    ``trace`` is the router's decision for this contact (``{"why", "trace"}``); ``agent_id``
    (the chosen agent) adds their levels of the skills matched. A contact whose customer is
    unknown gets the unknown-caller card instead of the customer card and timeline. Pass one
    long-lived ``agents`` cache to save the agent lookups of every pop.
    """
    agents = agents or AgentCache(store)
    view = popview.contact_view(contact)
    customer_id = int(view["customer_id"]) if view["customer_id"] else None
    journey_id = view["journey_id"]
    none: TimelinePage = TimelinePage((), None)

    async def customer_data(cid: int | None) -> tuple[TimelinePage, list[IntentCount]]:
        if cid is None:
            return none, []
        page, counts = await asyncio.gather(
            store.timeline(cid, limit=timeline_limit), store.intent_counts(cid)
        )
        return page, counts

    async def journey() -> JourneyRecord | None:
        return None if journey_id is None else await store.get_journey(int(journey_id))

    # all at once; a merged profile (rare) is read again under the customer that absorbed it
    customer, (timeline, intents), journey_record = await asyncio.gather(
        current_customer(store, customer_id) if customer_id else _none(),
        customer_data(customer_id),
        journey(),
    )
    if customer is not None and customer.id != customer_id:
        timeline, intents = await customer_data(customer.id)
    wanted = {i.agent_id for i in timeline.items if i.agent_id}
    known = await agents.many(wanted | ({int(agent_id)} if agent_id is not None else set()))
    chosen = known.get(int(agent_id)) if agent_id is not None else None
    names = {i: a.name for i, a in known.items() if i in wanted}
    # the IVR stored this call's own voice interaction before handing it over: it is this
    # contact, shown as such, not one of the customer's open matters
    this_call = view["journey_id"]
    items = [
        popview.timeline_item(i, names)
        | {"this_call": this_call is not None and i.journey_id == this_call}
        for i in timeline.items
    ]
    if customer is not None and customer_id != customer.id:
        view["customer_id"] = customer.id  # the profile it was merged into
    match = str(contact.get("match") or "known")
    return {
        "type": "screen_pop",
        "kind": view["kind"],
        "contact": view,
        "customer": None if customer is None else popview.customer_card(customer, match),
        "unknown": popview.unknown_card(view["caller"]) if customer is None else None,
        "timeline": {"items": items, "next_cursor": timeline.next_cursor},
        "open_matters": [i for i in items if i["open"] and not i["this_call"]],
        "intents": popview.intent_summary(intents),
        "journey": None
        if journey_record is None
        else popview.journey_view(journey_record, contact.get("intent_confidence")),
        "routing": popview.routing_view(trace, chosen, view["skills"]),
    }
