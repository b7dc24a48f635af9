"""Where a chat stands in the router's queue, as the customer's page shows it (pure).

The input is what ``Router.contacts()`` answers (``view_dict``s: phase ``waiting``,
``offered`` or ``active``, service, priority, vip, entered_at, queues) and the services of
the routing config. Waiting contacts are ordered like the router orders them
(:func:`routing.core.score.contact_rank`: priority levels, then wait), so a contact that
waits in the same queue and ranks ahead counts as ahead of the customer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from routing.core.model import Contact, Service
from routing.core.score import contact_rank


def _contact(view: Mapping[str, Any]) -> Contact:
    return Contact(
        id=str(view["id"]),
        service=str(view["service"]),
        entered_at=float(view.get("entered_at") or 0.0),
        vip=bool(view.get("vip")),
        priority=int(view.get("priority") or 0),
    )


def queue_places(
    views: Iterable[Mapping[str, Any]], services: Mapping[str, Service], now: float
) -> dict[str, dict[str, Any]]:
    """Every contact's place by id: ``{"phase": "waiting", "position": n, "waiting": total}``
    (1 = next) or ``{"phase": "offered" | "active", "agent_id": id}``. One sort per queue,
    so every waiting customer's place costs one pass over the contacts."""
    places: dict[str, dict[str, Any]] = {}
    lists: dict[str, list[tuple[Any, str, str]]] = {}  # queue -> (rank, id, own service)
    for view in views:
        cid, service = str(view.get("id")), str(view.get("service"))
        if view.get("phase") != "waiting":
            places[cid] = {"phase": str(view.get("phase")), "agent_id": view.get("agent_id")}
            continue
        own = services.get(service)
        # a service gone from the config: ordered by its wait alone
        rank = (
            contact_rank(_contact(view), own, now)
            if own is not None
            else (0.0, float(view.get("entered_at") or 0.0), cid)
        )
        for queue in {service, *(view.get("queues") or ())}:
            lists.setdefault(str(queue), []).append((rank, cid, service))
    for queue, listed in lists.items():
        listed.sort(key=lambda item: item[0])
        for position, (_, cid, service) in enumerate(listed, start=1):
            if service == queue:
                places[cid] = {"phase": "waiting", "position": position, "waiting": len(listed)}
    return places


def queue_place(
    views: Iterable[Mapping[str, Any]],
    contact_id: str,
    services: Mapping[str, Service],
    now: float,
) -> dict[str, Any]:
    """One contact's place (see :func:`queue_places`); ``{"phase": "none"}`` when the router
    does not hold it (not routed, or ended)."""
    return queue_places(views, services, now).get(contact_id, {"phase": "none"})
