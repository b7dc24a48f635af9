"""A seeded week whose report answers are known by construction (see each block's comment):
routing events fed through the recorder, IVR journeys, interactions and profile data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from customers.store import CustomerStore
from omnivox.reports import recorder
from tests.desktop_helpers import make_agent

T0 = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC (business hours)
FROM, TO = "2026-03-09", "2026-03-15"  # the whole week (TO is inclusive)
TARGETS = {"billing": 20.0, "sales": 30.0}


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Seeded:
    ann: int
    boris: int
    sue: int  # a supervisor
    customers: dict[str, int]


def _contact(cid: str, service: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "service": service,
        "priority": 0,
        "vip": False,
        "intent": service,
        "customer_id": None,
        "phase": "waiting",
        "agent_id": None,
        "wait_s": 0.0,
        "journey_id": None,
        "media": "voice",
    } | extra


def _answered(
    cid: str, service: str, agent: str, queued: float, wait: float, talk: float, wrap: float
) -> list[tuple[float, str, dict[str, Any]]]:
    """Queued, offered 2 s before the answer, answered, ended, wrap-up, ready again."""
    answered, ended = queued + wait, queued + wait + talk
    return [
        (queued, "routing.queued", _contact(cid, service)),
        (answered - 2, "routing.offered", _contact(cid, service, agent=agent, phase="offered")),
        (answered, "routing.answered", _contact(cid, service, agent_id=agent, phase="talking")),
        (ended, "routing.ended", _contact(cid, service, agent_id=agent, phase="talking")),
        (ended, "routing.agent", {"id": agent, "state": "wrap_up"}),
        (ended + wrap, "routing.agent", {"id": agent, "state": "ready"}),
    ]


def routing_events(ann: str, boris: str) -> list[tuple[float, str, dict[str, Any]]]:
    """Seconds after T0. billing (target 20 s): Ann answers waits 10, 15, 30, 45 s, talks
    100 s, wraps up 20 s; one caller abandons after 50 s. sales (target 30 s): Boris answers
    waits 25 (after missing its first offer), 5, 10 (a callback) and 15 s (moved from
    billing), talks 60 s, wraps up 10 s. Both are ready from 0 and sign off at 3600."""
    events: list[tuple[float, str, dict[str, Any]]] = [
        (0, "routing.agent", {"id": ann, "state": "ready"}),
        (0, "routing.agent", {"id": boris, "state": "ready"}),
        (3600, "routing.agent", {"id": ann, "state": "offline"}),
        (3600, "routing.agent", {"id": boris, "state": "offline"}),
    ]
    for i, wait in enumerate((10, 15, 30, 45)):
        events += _answered(f"b{i}", "billing", ann, 1000 * i, wait, 100, 20)
    events += [
        (500, "routing.queued", _contact("b-gone", "billing")),
        (550, "routing.abandoned", _contact("b-gone", "billing")),
        # s1: offered to Boris at 203, missed at 213 (not ready 213-215), offered again
        (200, "routing.queued", _contact("s1", "sales")),
        (203, "routing.offered", _contact("s1", "sales", agent=boris, phase="offered")),
        (213, "routing.missed", _contact("s1", "sales", missed=boris)),
        (215, "routing.agent", {"id": boris, "state": "ready"}),
        (222, "routing.offered", _contact("s1", "sales", agent=boris, phase="offered")),
        (225, "routing.answered", _contact("s1", "sales", agent_id=boris, phase="talking")),
        (285, "routing.ended", _contact("s1", "sales", agent_id=boris, phase="talking")),
        (295, "routing.agent", {"id": boris, "state": "ready"}),
        (2400, "routing.queued", _contact("s4", "billing")),  # then moved to sales
        (3000, "ivr.channel_switch", {"call_id": "sw1", "kind": "sms_link", "customer_id": 1}),
    ]
    events += _answered("s2", "sales", boris, 1200, 5, 60, 10)
    events += [(2200, "routing.queued", _contact("s3", "sales", media="callback"))]
    events += _answered("s3", "sales", boris, 2200, 10, 60, 10)[1:]
    events += [(2405, "routing.queued", _contact("s4", "sales"))]
    events += _answered("s4", "sales", boris, 2400, 15, 60, 10)[1:]
    return sorted(events, key=lambda e: e[0])


def _step(node: str, kind: str, ms: int, given: str | None = None, **detail: Any) -> dict:
    return {"node": node, "kind": kind, "offset_ms": ms, "input": given, "detail": detail}


def _menu(ms: int, promoted: bool) -> dict[str, Any]:
    """The main menu: options 1 (tv), 2 (internet), 6 (billing); billing promoted to key 1."""
    if promoted:
        order = [
            ("1", "6", "billing", True),
            ("2", "1", "tv", False),
            ("3", "2", "internet", False),
        ]
    else:
        order = [
            ("1", "1", "tv", False),
            ("2", "2", "internet", False),
            ("6", "6", "billing", False),
        ]
    detail = {
        "mode": "renumber",
        "order": [{"key": k, "option": o, "intent": i, "promoted": p} for k, o, i, p in order],
        "promoted": ["billing"] if promoted else [],
        "reasons": {"billing": "2 billing contacts in 30 days"} if promoted else {},
    }
    return _step("main", "menu", ms, result="entered", **detail)


# (scenario, status, stopped_at, path). telecom: 2 completed, 1 transferred, 2 abandoned (at
# main and account), 1 in progress -> containment 2/5. Menu choices: j1 promoted billing by key
# in 3.0 s (heard 1st, static 3rd: 2 places saved), j2 static order, internet by speech in
# 5.0 s (an unsure 0.4 first, then 0.8), j5 promoted menu but tv by key in 2.5 s (heard 2nd,
# static 1st: -1). bank_card: 1 abandoned at pin.
JOURNEYS: list[tuple[str, str, str | None, list[dict[str, Any]]]] = [
    (
        "telecom",
        "completed",
        "done",
        [
            _step("welcome", "say", 0, result="entered"),
            _menu(1000, True),
            _step("main", "menu", 4000, "1", result="option", option="6", intent="billing"),
            _step("done", "hangup", 5000, result="hangup"),
        ],
    ),
    (
        "telecom",
        "transferred",
        "main",
        [
            _menu(1000, False),
            _step("main", "menu", 3000, "speech:tv", result="speech_unsure", confidence=0.4),
            _step(
                "main",
                "menu",
                6000,
                "speech:internet",
                result="option",
                option="2",
                intent="internet",
                confidence=0.8,
                transcript="my internet is down",
            ),
            _step("main", "menu", 6000, result="transfer", service="internet_support"),
        ],
    ),
    (
        "telecom",
        "abandoned",
        "main",
        [_menu(1000, True), _step("main", "menu", 3000, result="caller_hangup")],
    ),
    (
        "telecom",
        "abandoned",
        "account",
        [
            _step("welcome", "say", 0, result="entered"),
            _step("account", "gather", 2000, result="entered"),
            _step("account", "gather", 9000, result="caller_hangup"),
        ],
    ),
    (
        "telecom",
        "completed",
        "done",
        [
            _menu(1000, True),
            _step("main", "menu", 3500, "2", result="option", option="1", intent="tv"),
            _step("done", "hangup", 4000, result="hangup"),
        ],
    ),
    ("telecom", "in_progress", None, [_menu(1000, True)]),
    ("bank_card", "abandoned", "pin", [_step("pin", "gather", 500, result="caller_hangup")]),
]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return T0.replace(hour=hour, minute=minute) + timedelta(days=day)


# Inbound unless "out". Matters (same customer + intent within 7 days): Ann billing on voice,
# chat, email (switched, started on voice); Ann tv; Bob billing twice on voice (5 days apart);
# Bob's sms without intent or topic; Cid internet on chat -> 8 inbound, 5 matters, 1 switched.
# Out of business hours (Mon-Fri 09-18 UTC): Ann Thu 20:30, Bob Saturday, Cid Wed 19:00.
INTERACTIONS: list[tuple[str, str, str, datetime, str | None]] = [
    ("ann", "voice", "in", _at(0, 10, 5), "billing"),
    ("ann", "chat", "in", _at(1, 11), "billing"),
    ("ann", "email", "in", _at(2, 12), "billing"),
    ("ann", "email", "out", _at(0, 15), "billing"),
    ("ann", "voice", "in", _at(3, 20, 30), "tv"),
    ("bob", "voice", "in", _at(0, 10, 30), "billing"),
    ("bob", "voice", "in", _at(5, 12), "billing"),
    ("bob", "sms", "in", _at(1, 9, 30), None),
    ("cid", "chat", "in", _at(2, 19), "internet"),
]
# Ann uses 14 GB of 10 (40 % over); Dan 25 of 20 (25 %); Bob is within his minutes.
USAGE = [
    ("ann", "data_gb_used", "14"),
    ("ann", "data_gb_included", "10"),
    ("bob", "minutes_used", "200"),
    ("bob", "minutes_included", "300"),
    ("dan", "data_gb_used", "25"),
    ("dan", "data_gb_included", "20"),
    ("dan", "sms_used", "40"),  # nothing included declared: no signal
    ("cid", "tv_used", "lots"),  # not a number: no signal
    ("cid", "tv_included", "2"),
]


async def seed_history(store: CustomerStore) -> Seeded:
    ann = await make_agent(store, "ann")
    boris = await make_agent(store, "boris", skills={"sales": 5})
    sue = await make_agent(store, "sue", role="supervisor")
    clock = Clock()
    listen = recorder(store, clock)
    for offset, topic, payload in routing_events(str(ann.id), str(boris.id)):
        clock.now = T0 + timedelta(seconds=offset)
        await listen(topic, payload)

    customers = {}
    for name in ("ann", "bob", "cid", "dan"):
        customers[name] = (await store.create_customer(f"{name.capitalize()} Test")).id
    for n, (scenario, status, stopped, path) in enumerate(JOURNEYS):
        started = T0 + timedelta(hours=n)
        journey = await store.start_journey(f"j{n}", scenario, started_at=started)
        await store.update_journey(
            journey, status=status, stopped_at=stopped, path=path, ended_at=started
        )
    for who, channel, direction, when, intent in INTERACTIONS:
        await store.record_interaction(
            customers[who], channel, direction, occurred_at=when, intent=intent
        )
    for who, field, value in USAGE:
        await store.save_profile_data(customers[who], field, value, "web")
    return Seeded(ann.id, boris.id, sue.id, customers)
