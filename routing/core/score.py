"""The two scores routing sorts by: one order over contacts, one over agents for a contact.

Contact score — one number in seconds, the same formula for every service, so an agent in
several services simply takes the eligible contact with the highest score::

    levels   = service.priority + contact.priority
               + (service.vip_lift if contact.vip)
               + (service.behind_lift if the service is behind its service-level target)
    wait_s   = now - contact.entered_at
    left_s   = service.sl_target_s - wait_s             (time left before it breaches)
    risk_s   = service.sl_risk_gain * clamp(W - left_s, 0, W)
    W        = service.sl_risk_window_s (default sl_target_s / 2)
    score    = levels * service.priority_step_s + wait_s + risk_s

One priority level is worth ``priority_step_s`` (default 60) seconds of waiting. In the last
``W`` seconds before its target a contact gains ``1 + sl_risk_gain`` seconds per second; once
breached it keeps the ``sl_risk_gain * W`` gained and goes back to one second per second, so
the score never drops. Ties: earlier ``entered_at``, then contact id.

Agent score for a contact (lexicographic, best first):

1. affinity — the agent last served this customer within the service's ``affinity_window_s``;
2. fit excess — ``sum(agent level - required level)`` over the required skills, lower first,
   so the closest fit above the minimum takes it and experts stay free for hard contacts;
3. idle time — ``now - idle_since``, longer first;
4. agent id.
"""

from __future__ import annotations

from collections.abc import Mapping

from routing.core.model import Agent, Contact, Requirement, Service, ServiceLive
from routing.core.trace import ScoreTerms

Affinity = Mapping[str, tuple[str, float]]  # customer id -> (agent id, served at)


def priority_levels(contact: Contact, service: Service, live: ServiceLive | None = None) -> int:
    levels = service.priority + contact.priority
    if contact.vip:
        levels += service.vip_lift
    if live is not None and live.sl_at_risk:
        levels += service.behind_lift
    return levels


def _contact_parts(
    contact: Contact, service: Service, now: float, live: ServiceLive | None
) -> tuple[int, float, float, float, float, float]:
    levels = priority_levels(contact, service, live)
    priority_s = levels * service.priority_step_s
    wait_s = now - contact.entered_at
    left_s = service.sl_target_s - wait_s
    window = service.risk_window_s
    risk_s = service.sl_risk_gain * min(window, max(0.0, window - left_s))
    return levels, priority_s, wait_s, left_s, risk_s, priority_s + wait_s + risk_s


def contact_rank(
    contact: Contact, service: Service, now: float, live: ServiceLive | None = None
) -> tuple[float, float, str]:
    """``contact_score(...).rank`` without building the terms: (-score, entered_at, id)."""
    levels = service.priority + contact.priority
    if contact.vip:
        levels += service.vip_lift
    if live is not None and live.sl_at_risk:
        levels += service.behind_lift
    wait_s = now - contact.entered_at
    window = service.risk_window_s
    late = window - (service.sl_target_s - wait_s)  # the same arithmetic as _contact_parts
    risk_s = service.sl_risk_gain * (0.0 if late < 0.0 else window if late > window else late)
    return (-(levels * service.priority_step_s + wait_s + risk_s), contact.entered_at, contact.id)


def contact_score(
    contact: Contact, service: Service, now: float, live: ServiceLive | None = None
) -> ScoreTerms:
    """The contact's place in the one cross-service order (``service``: its own service)."""
    levels, priority_s, wait_s, left_s, risk_s, total = _contact_parts(contact, service, now, live)
    return ScoreTerms(
        rank=(-total, contact.entered_at, contact.id),
        terms={
            "priority_levels": levels,
            "priority_s": priority_s,
            "wait_s": wait_s,
            "sl_time_left_s": left_s,
            "risk_s": risk_s,
            "total": total,
        },
    )


def index_key(contact: Contact, service: Service) -> float:
    """A time-free key for a per-service waiting list (e.g. a Redis sorted set).

    ``contact_score(...).terms["total"] == index_key + now + behind + risk_s`` where the
    behind lift is the same for the whole service and ``0 <= risk_s <= service.max_risk_s``:
    a contact whose key is more than ``max_risk_s`` below another's can never outrank it.
    """
    return priority_levels(contact, service) * service.priority_step_s - contact.entered_at


def affinity_hit(
    agent_id: str, contact: Contact, now: float, affinity: Affinity | None, window_s: float
) -> bool:
    if not affinity or window_s <= 0 or contact.customer_id is None:
        return False
    last = affinity.get(contact.customer_id)
    return last is not None and last[0] == agent_id and now - last[1] <= window_s


def agent_rank(
    agent: Agent, reqs: tuple[Requirement, ...], hit: bool, now: float
) -> tuple[int, int, float, str]:
    """The agent's sort key for a contact, given ``hit`` (affinity). Assumes eligibility."""
    skills = agent.skills
    excess = sum(skills[r.skill] - r.level for r in reqs)
    idle = 0.0 if agent.idle_since is None else now - agent.idle_since
    return (0 if hit else 1, excess, -idle, agent.id)


def agent_score(
    agent: Agent,
    reqs: tuple[Requirement, ...],
    contact: Contact,
    now: float,
    affinity: Affinity | None = None,
    window_s: float = 0.0,
) -> ScoreTerms:
    """How well ``agent`` (assumed eligible) suits ``contact`` under ``reqs``."""
    hit = affinity_hit(agent.id, contact, now, affinity, window_s)
    rank = agent_rank(agent, reqs, hit, now)
    return ScoreTerms(
        rank=rank,
        terms={"affinity": 1.0 if hit else 0.0, "fit_excess": rank[1], "idle_s": 0.0 - rank[2]},
    )
