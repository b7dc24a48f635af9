"""What changes with time alone, decided per event: the router's tick without a snapshot.

In a steady state (no ready agent has an eligible waiting contact) only these make a new
match possible between events, and each is decided for alone, as an AMI change is:

- a reservation that expired (the contact waits again) and a wrap-up that ended (the agent
  is ready): what :meth:`RoutingState.sweep` returns;
- a contact whose wait crossed one of its service's relaxation times since the last tick
  (its requirements or target changed): :func:`crossings` says which entry times crossed,
  :meth:`RoutingState.entered_between` finds them (the leader looks, so once per store).

The leader still runs the whole round every ``full_round_s`` (``Router``): a safety net
for what an event could not settle (a reservation another instance won meanwhile, a
leadership change between ticks), and the round every event takes while per-event
decisions are not exact (``routing.service.per_event.exact``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from routing.core.model import NO_LIVE, Service
from routing.core.relax import step_thresholds
from routing.core.score import contact_rank
from routing.core.service_level import risk_flags
from routing.state import RoutingState


@dataclass(frozen=True, slots=True)
class Touched:
    """Contacts and agents one change (an AMI event, a tick) may have made matchable."""

    contacts: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.contacts or self.agents)

    def __add__(self, other: Touched) -> Touched:
        contacts = tuple(dict.fromkeys((*self.contacts, *other.contacts)))
        return Touched(contacts, tuple(dict.fromkeys((*self.agents, *other.agents))))


def crossings(
    services: Mapping[str, Service], since: float, now: float
) -> list[tuple[str, float, float]]:
    """``(service, after, upto)``: the contacts of ``service`` that entered in
    ``(after, upto]`` waited past one of its relaxation times in ``(since, now]``. Times
    are those without live state (``step_thresholds``); steps that apply from the start
    (or never) have none."""
    out = []
    for name, service in sorted(services.items()):
        for wait in sorted(set(step_thresholds(service, NO_LIVE))):
            if math.isfinite(wait) and wait > 0:
                out.append((name, since - wait, now - wait))
    return out


async def in_rank_order(
    state: RoutingState, contact_ids: Sequence[str], at_risk: Collection[str] = ()
) -> list[str]:
    """The waiting contacts of ``contact_ids``, best first: the order in which the whole
    round would serve them, so that two contacts a tick touched do not take one agent in the
    wrong order."""
    if len(contact_ids) < 2:
        return list(contact_ids)
    now, live = state.clock(), risk_flags(at_risk)
    ranked = []
    for contact_id in contact_ids:
        view = await state.get_contact(contact_id)
        service = state.services.get(view.contact.service) if view is not None else None
        if view is None or view.phase != "waiting" or service is None:
            continue
        ranked.append(
            (contact_rank(view.contact, service, now, live.get(service.name)), contact_id)
        )
    return [contact_id for _, contact_id in sorted(ranked)]
