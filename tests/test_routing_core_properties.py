"""Invariants of routing in any random state: one contact per agent and one agent per contact,
only ready, eligible agents, determinism, maximality, and agent-/contact-driven agreement."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.core import (
    Agent,
    AgentState,
    Contact,
    RelaxStep,
    Service,
    ServiceLive,
    assign,
    best_agent_for_contact,
    best_contact_for_agent,
    contact_score,
    effective_requirements,
)
from routing.core.relax import RequirementCache, step_thresholds, triggered
from routing.core.score import contact_rank

SKILLS = ("billing", "tech", "lang_ru", "lang_en")
SERVICE_NAMES = ("billing", "tech", "general")
level = st.integers(1, 6)  # required levels
agent_level = st.integers(1, 10)
skill = st.sampled_from(SKILLS)
service_name = st.sampled_from(SERVICE_NAMES)
levels = st.dictionaries(st.sampled_from(SKILLS + ("lang_{language}",)), level, max_size=2)
one_skill = st.dictionaries(skill, level, max_size=1)
two_skills = st.dictionaries(skill, level, max_size=2)
four_skills = st.dictionaries(skill, agent_level, min_size=2, max_size=4)
after = st.none() | st.sampled_from([0.0, 10.0, 30.0, 60.0])
queue_at_least = st.none() | st.integers(1, 4)
match = st.sampled_from(["all", "any"])
skill_set = st.frozensets(skill, max_size=2)
overflow = st.none() | service_name
priority = st.integers(0, 2)
sl_target = st.sampled_from([10.0, 20.0, 60.0])
window = st.sampled_from([0.0, 100.0])
state = st.sampled_from([AgentState.READY] * 4 + list(AgentState))  # mostly ready
membership = st.frozensets(service_name, min_size=1, max_size=3)
idle_since = st.none() | st.sampled_from([0.0, 50.0, 90.0, 100.0])
entered = st.sampled_from([0.0, 40.0, 70.0, 90.0, 100.0])
customer = st.none() | st.sampled_from(["u1", "u2"])
language = st.none() | st.sampled_from(["ru", "en"])


@st.composite
def relax_step(draw: st.DrawFn) -> RelaxStep:
    return RelaxStep(
        after_s=draw(after),
        no_eligible_ready=draw(st.booleans()),
        sl_at_risk=draw(st.booleans()),
        queue_length_at_least=draw(queue_at_least),
        match=draw(match),
        set=draw(two_skills),
        add=draw(levels),
        drop=draw(skill_set),
        overflow_to=draw(overflow),
    )


steps = st.lists(relax_step(), max_size=3)


@st.composite
def world(draw: st.DrawFn):
    services = {
        name: Service(
            name,
            requires=draw(two_skills),
            priority=draw(priority),
            sl_target_s=draw(sl_target),
            affinity_window_s=draw(window),
            relax=tuple(draw(steps)),
        )
        for name in SERVICE_NAMES
    }
    agent_ids = [f"a{i}" for i in range(draw(st.integers(0, 7)))]
    agents = [
        Agent(
            aid,
            skills=draw(four_skills),
            state=draw(state),
            services=draw(membership),
            idle_since=draw(idle_since),
        )
        for aid in agent_ids
    ]
    contacts = [
        Contact(
            f"c{i}",
            service=draw(service_name),
            entered_at=draw(entered),
            customer_id=draw(customer),
            vip=draw(st.booleans()),
            required=draw(one_skill),
            priority=draw(priority),
            excluded=frozenset(draw(st.lists(st.sampled_from(agent_ids), max_size=2)))
            if agent_ids
            else frozenset(),
            language=draw(language),
        )
        for i in range(draw(st.integers(0, 9)))
    ]
    live = {
        name: ServiceLive(
            queue_length=draw(st.integers(0, 5)),
            ready_eligible=draw(st.none() | st.integers(0, 2)),
            sl_at_risk=draw(st.booleans()),
        )
        for name in SERVICE_NAMES
    }
    affinity = {
        "u1": (draw(st.sampled_from(agent_ids or ["nobody"])), 50.0),
        "u2": ("a0", 99.0),
    }
    return services, agents, contacts, live, affinity


NOW = 100.0


@settings(max_examples=200, deadline=None)
@given(world())
def test_assign_respects_every_invariant(w) -> None:
    services, agents, contacts, live, affinity = w
    decisions = assign(contacts, agents, services, NOW, live, affinity)
    agent_ids = [d.agent_id for d in decisions]
    contact_ids = [d.contact_id for d in decisions]
    assert len(set(agent_ids)) == len(agent_ids), "an agent got two contacts"
    assert len(set(contact_ids)) == len(contact_ids), "a contact went to two agents"
    by_id = {a.id: a for a in agents}
    by_contact = {c.id: c for c in contacts}
    for d in decisions:
        a, c = by_id[d.agent_id], by_contact[d.contact_id]
        eff = effective_requirements(c, services[c.service], NOW, live[c.service], services)
        assert a.state is AgentState.READY
        assert eff.service_name in a.services
        assert a.id not in c.excluded
        for r in eff.reqs:
            assert a.skills.get(r.skill, 0) >= r.level, (a, r)
        assert d.trace.requirements == eff.reqs
        assert d.trace.step_index == eff.step_index


@settings(max_examples=200, deadline=None)
@given(world(), st.randoms(use_true_random=False))
def test_assign_is_deterministic_whatever_the_input_order(w, rnd: random.Random) -> None:
    services, agents, contacts, live, affinity = w
    first = assign(contacts, agents, services, NOW, live, affinity)
    shuffled_agents, shuffled_contacts = list(agents), list(contacts)
    rnd.shuffle(shuffled_agents)
    rnd.shuffle(shuffled_contacts)
    again = assign(shuffled_contacts, shuffled_agents, services, NOW, live, affinity)
    assert [(d.contact_id, d.agent_id) for d in again] == [
        (d.contact_id, d.agent_id) for d in first
    ]
    assert [d.to_dict()["trace"]["agent_score"] for d in again] == [
        d.to_dict()["trace"]["agent_score"] for d in first
    ]


@settings(max_examples=200, deadline=None)
@given(world())
def test_each_pair_is_what_both_sides_would_choose_and_no_pair_is_left(w) -> None:
    services, agents, contacts, live, affinity = w
    decisions = assign(contacts, agents, services, NOW, live, affinity)
    free = list(agents)
    waiting = list(contacts)
    for d in decisions:
        a = next(x for x in free if x.id == d.agent_id)
        c = next(x for x in waiting if x.id == d.contact_id)
        by_contact = best_agent_for_contact(c, free, services, NOW, live, affinity)
        by_agent = best_contact_for_agent(a, waiting, services, NOW, live, affinity)
        assert by_contact.agent_id == a.id
        assert by_agent is not None and by_agent.contact_id == c.id
        free.remove(a)
        waiting.remove(c)
    for c in waiting:  # greedy is maximal: nobody left could take anyone left
        assert best_agent_for_contact(c, free, services, NOW, live, affinity).agent_id is None


live_state = st.builds(
    ServiceLive,
    queue_length=st.integers(0, 5),
    ready_eligible=st.none() | st.integers(0, 2),
    sl_at_risk=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(relax_step(), st.floats(-10.0, 200.0), live_state)
def test_a_step_applies_exactly_from_its_threshold(step: RelaxStep, waited, live) -> None:
    [threshold] = step_thresholds(Service("s", relax=(step,)), live)
    assert triggered(step, waited, live) == (waited >= threshold)


def decided(decisions) -> list[tuple[str, str | None, tuple]]:
    return [(d.contact_id, d.agent_id, d.trace.requirements) for d in decisions]


@settings(max_examples=100, deadline=None)
@given(world(), st.sampled_from([130.0, 500.0]))
def test_a_cache_shared_across_calls_changes_nothing(w, later: float) -> None:
    services, agents, contacts, live, affinity = w
    cache = RequirementCache(services)
    for now in (NOW, later, NOW):
        shared = assign(contacts, agents, services, now, live, affinity, cache)
        fresh = assign(contacts, agents, services, now, live, affinity)
        assert decided(shared) == decided(fresh)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        Service,
        name=st.just("s"),
        priority=st.integers(-3, 3),
        sl_target_s=st.floats(0, 600),
        priority_step_s=st.floats(0, 600),
        vip_lift=st.integers(0, 3),
        sl_risk_window_s=st.none() | st.floats(0, 600),
        sl_risk_gain=st.floats(0, 5),
    ),
    st.builds(Contact, id=st.just("c"), service=st.just("s"), entered_at=finite, vip=st.booleans()),
    finite,
    live_state,
)
def test_the_fast_rank_is_the_scores_rank(service, contact, now, live) -> None:
    assert (
        contact_rank(contact, service, now, live) == contact_score(contact, service, now, live).rank
    )
