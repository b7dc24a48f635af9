"""``build_pop``: read what the agent must see about a contact and compose the screen-pop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
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


class PopSource(Protocol):
    """The reads a pop needs (``customers.CustomerStore`` provides them)."""

    async def get_customer(self, customer_id: int) -> CustomerRecord | None: ...

    async def timeline(
        self, customer_id: int, *, limit: int = 50, before: str | None = None
    ) -> TimelinePage: ...

    async def intent_counts(self, customer_id: int) -> list[IntentCount]: ...

    async def get_journey(self, key: int | str) -> JourneyRecord | None: ...

    async def get_agent(self, agent: int | str) -> AgentRecord | None: ...


async def current_customer(store: PopSource, customer_id: int) -> CustomerRecord | None:
    """The customer, following merges to the profile that absorbed it."""
    customer = await store.get_customer(customer_id)
    for _ in range(MAX_MERGE_HOPS):
        if customer is None or customer.merged_into is None:
            return customer
        customer = await store.get_customer(customer.merged_into)
    return customer


async def agent_names(store: PopSource, ids: set[int]) -> dict[int, str]:
    found = await asyncio.gather(*(store.get_agent(i) for i in sorted(ids)))
    return {a.id: a.name for a in found if a is not None}


async def build_pop(
    store: PopSource,
    *,
    contact: Mapping[str, Any],
    trace: Mapping[str, Any] | None,
    agent_id: int | None = None,
    timeline_limit: int = TIMELINE_LIMIT,
) -> dict[str, Any]:
    """The screen-pop for ``contact`` (see :func:`popview.contact_view` for its keys).

    ``trace`` is the router's decision for this contact (``{"why", "trace"}``); ``agent_id``
    (the chosen agent) adds their levels of the skills matched. A contact whose customer is
    unknown gets the unknown-caller card instead of the customer card and timeline.
    """
    view = popview.contact_view(contact)
    customer_id = view["customer_id"]
    journey_id = view["journey_id"]
    customer = await current_customer(store, int(customer_id)) if customer_id else None
    no_page = TimelinePage((), None)

    async def page() -> TimelinePage:
        if customer is None:
            return no_page
        return await store.timeline(customer.id, limit=timeline_limit)

    async def counts() -> list[IntentCount]:
        return [] if customer is None else await store.intent_counts(customer.id)

    async def journey() -> JourneyRecord | None:
        return None if journey_id is None else await store.get_journey(int(journey_id))

    async def agent() -> AgentRecord | None:
        return None if agent_id is None else await store.get_agent(int(agent_id))

    timeline, intents, journey_record, chosen = await asyncio.gather(
        page(), counts(), journey(), agent()
    )
    names = await agent_names(store, {i.agent_id for i in timeline.items if i.agent_id})
    items = [popview.timeline_item(i, names) for i in timeline.items]
    if customer is not None and int(customer_id) != customer.id:
        view["customer_id"] = customer.id  # the profile it was merged into
    match = str(contact.get("match") or "known")
    return {
        "type": "screen_pop",
        "kind": view["kind"],
        "contact": view,
        "customer": None if customer is None else popview.customer_card(customer, match),
        "unknown": popview.unknown_card(view["caller"]) if customer is None else None,
        "timeline": {"items": items, "next_cursor": timeline.next_cursor},
        "open_matters": [i for i in items if i["open"]],
        "intents": popview.intent_summary(intents),
        "journey": None
        if journey_record is None
        else popview.journey_view(journey_record, contact.get("intent_confidence")),
        "routing": popview.routing_view(trace, chosen, view["skills"]),
    }
