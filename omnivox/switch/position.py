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


def queue_place(
    views: Iterable[Mapping[str, Any]],
    contact_id: str,
    services: Mapping[str, Service],
    now: float,
) -> dict[str, Any]:
    """``{"phase": "waiting", "position": n, "waiting": total}`` (1 = next), ``{"phase":
    "offered" | "active", "agent_id": id}``, or ``{"phase": "none"}`` when the router does
    not hold the contact (not routed, or ended)."""
    listed = list(views)
    mine = next((v for v in listed if str(v.get("id")) == contact_id), None)
    if mine is None:
        return {"phase": "none"}
    if mine.get("phase") != "waiting":
        return {"phase": str(mine.get("phase")), "agent_id": mine.get("agent_id")}
    queue = str(mine["service"])
    peers = [
        v
        for v in listed
        if v.get("phase") == "waiting"
        and (v.get("service") == queue or queue in (v.get("queues") or ()))
        and str(v.get("service")) in services
    ]
    if queue not in services:  # the config changed under it: a plain wait order
        ahead = [v for v in peers if float(v.get("entered_at") or 0) < mine["entered_at"]]
        return {"phase": "waiting", "position": len(ahead) + 1, "waiting": max(len(peers), 1)}
    own = contact_rank(_contact(mine), services[queue], now)
    ahead = [
        v
        for v in peers
        if str(v["id"]) != contact_id
        and contact_rank(_contact(v), services[str(v["service"])], now) < own
    ]
    return {"phase": "waiting", "position": len(ahead) + 1, "waiting": len(peers)}
