"""The heads check: when ``lists_to_extend`` says the first k of each list were enough, the
choice made from them is the one the whole lists give; reading further until it says so
always reaches that choice."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.core import Agent, AgentState, Contact, RelaxStep, Service, ServiceLive
from routing.core.decide import best_contact_for_agent
from routing.core.heads import lists_to_extend
from routing.core.score import index_key

NOW = 1_000_000.0
SKILLS = ("a", "b", "c")


def _services(rng: random.Random) -> dict[str, Service]:
    out = {}
    for i in range(4):
        requires = {rng.choice(SKILLS): rng.randint(1, 6)}
        out[f"q{i}"] = Service(
            f"q{i}",
            requires=requires,
            priority=rng.choice([0, 0, 1]),
            sl_target_s=rng.choice([10.0, 20.0, 60.0]),
            sl_risk_gain=rng.choice([0.0, 1.0, 3.0]),
            behind_lift=rng.choice([0, 1, 2]),
            relax=(RelaxStep(after_s=rng.choice([5.0, 30.0]), set=dict.fromkeys(requires, 1)),),
        )
    return out


def _contacts(rng: random.Random, services: dict[str, Service], n: int) -> list[Contact]:
    return [
        Contact(
            f"c{i}",
            rng.choice(list(services)),
            entered_at=NOW - rng.choice([rng.uniform(0, 90), rng.uniform(0, 5)]),
            vip=rng.random() < 0.2,
            priority=rng.choice([0, 0, 1]),
            excluded=frozenset({"me"}) if rng.random() < 0.15 else frozenset(),
        )
        for i in range(n)
    ]


def _lists(services: dict[str, Service], contacts: list[Contact]) -> dict[str, list[Contact]]:
    """Each service's waiting list as the store orders it (index key, higher first)."""
    lists: dict[str, list[Contact]] = {name: [] for name in services}
    for c in contacts:
        lists[c.service].append(c)
    for listed in lists.values():
        listed.sort(key=lambda c: (-index_key(c, services[c.service]), c.id))
    return lists


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 6), st.integers(0, 60))
def test_heads_that_suffice_choose_as_the_whole_lists(seed: int, k: int, n: int) -> None:
    rng = random.Random(seed)
    services = _services(rng)
    live = {name: ServiceLive(sl_at_risk=rng.random() < 0.3) for name in services}
    skills = {s: rng.randint(1, 10) for s in rng.sample(SKILLS, rng.randint(1, 3))}
    member = frozenset(rng.sample(list(services), rng.randint(1, 4)))
    agent = Agent("me", skills, AgentState.READY, member, idle_since=NOW - 5)
    lists = {
        name: listed
        for name, listed in _lists(services, _contacts(rng, services, n)).items()
        if name in member
    }
    whole = best_contact_for_agent(
        agent, [c for cs in lists.values() for c in cs], services, NOW, live=live
    )
    size = k
    while True:
        heads = {name: listed[:size] for name, listed in lists.items()}
        pool = {c.id: c for cs in heads.values() for c in cs}
        decision = best_contact_for_agent(agent, list(pool.values()), services, NOW, live=live)
        chosen = pool[decision.contact_id] if decision else None
        if not lists_to_extend(chosen, heads, size, services, NOW, live):
            break
        size *= 2
    assert (decision.contact_id if decision else None) == (whole.contact_id if whole else None)
    if decision is not None and whole is not None:
        assert decision.trace.contact_score == whole.trace.contact_score


def test_a_cut_list_whose_tail_might_outrank_the_choice_is_read_further() -> None:
    services = {"q": Service("q", sl_target_s=20.0)}  # risk adds up to 10 s
    first = Contact("c1", "q", entered_at=NOW - 12)  # score 12 + 2 s of risk
    second = Contact("c2", "q", entered_at=NOW - 8)  # could reach 8 + 10 s: read on
    third = Contact("c3", "q", entered_at=NOW - 1)  # at most 11 s: whatever follows too
    assert lists_to_extend(first, {"q": [first, second]}, 2, services, NOW) == ["q"]
    assert lists_to_extend(first, {"q": [first, third]}, 2, services, NOW) == []
    assert lists_to_extend(first, {"q": [first]}, 2, services, NOW) == []  # the whole list
    assert lists_to_extend(None, {"q": [second, third]}, 2, services, NOW) == ["q"]
