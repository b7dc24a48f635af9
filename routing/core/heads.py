"""Whether the heads of some waiting lists were enough to decide for an agent exactly.

``best_contact_for_agent`` given only the first ``k`` contacts of each list (ordered by
:func:`routing.core.score.index_key`, higher first) picks the same contact as given the
whole lists when nothing further down can outrank its choice. A contact ``u`` below the last
one read from a list, ``last``, scores at most::

    index_key(last) + now + behind + max_risk_s

(``index_key(u) <= index_key(last)``; the risk term adds at most the service's
``max_risk_s``, the behind lift ``behind_lift * priority_step_s`` while its service is
behind target). So the heads suffice when, for every list that was cut off, that bound is
below the chosen contact's score; otherwise the caller reads more of the lists that are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from routing.core.model import NO_LIVE, Contact, Service, ServiceLive
from routing.core.score import contact_rank, index_key

# Scores are sums of floats computed in two orders; a bound this much above is still "below".
MARGIN_S = 1e-6


def ceiling(services: Iterable[Service], live: Mapping[str, ServiceLive] | None = None) -> float:
    """The most risk and behind lift can add to any contact's ``index_key + now``."""
    most = 0.0
    for service in services:
        lv = live.get(service.name, NO_LIVE) if live else NO_LIVE
        behind = service.behind_lift * service.priority_step_s if lv.sl_at_risk else 0.0
        most = max(most, service.max_risk_s + max(0.0, behind))
    return most


def lists_to_extend(
    chosen: Contact | None,
    lists: Mapping[str, Sequence[Contact]],
    k: int,
    services: Mapping[str, Service],
    now: float,
    live: Mapping[str, ServiceLive] | None = None,
    most: float | None = None,
) -> list[str]:
    """The lists (of at least ``k`` contacts read, so possibly cut off) below whose last
    contact something might outrank ``chosen`` (every cut list when nothing was chosen);
    empty when the choice is exact. ``most``: :func:`ceiling` of ``services`` and ``live``,
    when the caller keeps it."""
    cut = [name for name, listed in lists.items() if len(listed) >= k and listed]
    if not cut:
        return []
    if chosen is None:
        return cut
    service = services[chosen.service]
    lv = live.get(chosen.service, NO_LIVE) if live else NO_LIVE
    score = -contact_rank(chosen, service, now, lv)[0]
    if most is None:
        most = ceiling(services.values(), live)
    top = most + now + MARGIN_S
    out = []
    for name in cut:
        last = lists[name][-1]
        if index_key(last, services[last.service]) + top >= score:
            out.append(name)
    return out
