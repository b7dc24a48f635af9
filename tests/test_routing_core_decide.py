"""Routing rules with concrete numbers: skills, level fit, idle time, affinity, relaxation,
priority lifts, the one cross-service order, ring-outs, and the traces that explain them."""

from __future__ import annotations

import json

import pytest

from routing.core import (
    Agent,
    AgentState,
    Contact,
    RejectReason,
    RelaxStep,
    Requirement,
    Service,
    ServiceLive,
    UnknownService,
    agent_score,
    assign,
    best_agent_for_contact,
    best_contact_for_agent,
    contact_score,
    effective_requirements,
    eligible,
    index_key,
    live_snapshot,
)

READY = AgentState.READY


def agent(aid: str, skills: dict[str, int], services: tuple[str, ...] = ("billing",), **kw):
    kw.setdefault("state", READY)
    kw.setdefault("idle_since", 0.0)
    return Agent(aid, skills, services=frozenset(services), **kw)


def pairs(decisions) -> list[tuple[str, str | None]]:
    return [(d.contact_id, d.agent_id) for d in decisions]


BILLING = Service("billing", requires={"billing": 5})
SERVICES = {"billing": BILLING}


def test_billing_call_goes_to_the_billing_skilled_agent() -> None:
    tech = agent("a-tech", {"tech": 9}, idle_since=-500.0)  # idle longer, wrong skill
    bill = agent("a-bill", {"billing": 5})
    call = Contact("c1", "billing", entered_at=90.0)
    [decision] = assign([call], [tech, bill], SERVICES, now=100.0)
    assert (decision.contact_id, decision.agent_id) == ("c1", "a-bill")
    [rejection] = decision.trace.rejections
    assert rejection.agent_id == "a-tech"
    assert rejection.reason is RejectReason.MISSING_SKILL
    assert rejection.skill == "billing"


def test_closest_level_fit_wins_and_experts_stay_free() -> None:
    expert = agent("expert", {"billing": 9}, idle_since=0.0)  # excess 4, idle longest
    close = agent("close", {"billing": 6}, idle_since=50.0)  # excess 1
    low = agent("low", {"billing": 4})  # below the minimum 5
    call = Contact("c1", "billing", entered_at=95.0)
    decision = best_agent_for_contact(call, [expert, close, low], SERVICES, now=100.0)
    assert decision.agent_id == "close"
    assert decision.trace.agent_score is not None
    assert decision.trace.agent_score.terms == {"affinity": 0.0, "fit_excess": 1, "idle_s": 50.0}
    assert decision.trace.runner_up == "expert"
    [too_low] = decision.trace.rejections
    assert (too_low.reason, too_low.level, too_low.required) == (
        RejectReason.LEVEL_TOO_LOW,
        4,
        5,
    )


def test_fit_excess_sums_over_all_required_skills() -> None:
    reqs = (Requirement("billing", 5), Requirement("lang_ru", 3))
    a = agent("a", {"billing": 7, "lang_ru": 4, "tech": 10})  # tech is not required
    score = agent_score(a, reqs, Contact("c", "billing", 0.0), now=10.0)
    assert score.terms["fit_excess"] == 3


def test_longest_idle_breaks_a_fit_tie() -> None:
    recent = agent("a1", {"billing": 6}, idle_since=100.0)
    longest = agent("a2", {"billing": 6}, idle_since=50.0)
    decision = best_agent_for_contact(
        Contact("c1", "billing", 190.0), [recent, longest], SERVICES, 200.0
    )
    assert decision.agent_id == "a2"
    assert decision.trace.agent_score.terms["idle_s"] == 150.0


def test_equal_agents_tie_on_id_whatever_the_input_order() -> None:
    a, b = agent("a1", {"billing": 6}), agent("a2", {"billing": 6})
    call = Contact("c1", "billing", 0.0)
    assert best_agent_for_contact(call, [b, a], SERVICES, 10.0).agent_id == "a1"
    assert best_agent_for_contact(call, [a, b], SERVICES, 10.0).agent_id == "a1"


class TestAffinity:
    service = Service("billing", requires={"billing": 5}, affinity_window_s=3600.0)
    services = {"billing": service}
    fit = agent("fit", {"billing": 5}, idle_since=0.0)  # best fit and longest idle
    last = agent("last", {"billing": 8}, idle_since=900.0)
    history = {"u1": ("last", 1000.0)}

    def call(self, entered: float) -> Contact:
        return Contact("c1", "billing", entered, customer_id="u1")

    def test_the_last_agent_wins_within_the_window(self) -> None:
        now = 1000.0 + 3600.0
        d = best_agent_for_contact(
            self.call(now - 5), [self.fit, self.last], self.services, now, affinity=self.history
        )
        assert d.agent_id == "last"
        assert d.trace.agent_score.terms["affinity"] == 1.0
        assert "last served this customer" in d.trace.summary(d.agent_id)

    def test_not_after_the_window(self) -> None:
        now = 1000.0 + 3600.5
        d = best_agent_for_contact(
            self.call(now - 5), [self.fit, self.last], self.services, now, affinity=self.history
        )
        assert d.agent_id == "fit"

    def test_only_when_ready(self) -> None:
        busy = agent("last", {"billing": 8}, state=AgentState.ON_CALL)
        d = best_agent_for_contact(
            self.call(1995.0), [self.fit, busy], self.services, 2000.0, affinity=self.history
        )
        assert d.agent_id == "fit"
        assert [(r.agent_id, r.reason) for r in d.trace.rejections] == [("last", RejectReason.BUSY)]

    def test_other_customers_get_no_affinity(self) -> None:
        call = Contact("c2", "billing", 1995.0, customer_id="u2")
        d = best_agent_for_contact(
            call, [self.fit, self.last], self.services, 2000.0, affinity=self.history
        )
        assert d.agent_id == "fit"

    def test_window_zero_turns_it_off(self) -> None:
        services = {"billing": Service("billing", {"billing": 5}, affinity_window_s=0.0)}
        d = best_agent_for_contact(
            self.call(1995.0), [self.fit, self.last], services, 2000.0, affinity=self.history
        )
        assert d.agent_id == "fit"


class TestRelaxation:
    """billing needs level 5; after 30 s level 3, after 60 s level 1, after 120 s general."""

    billing = Service(
        "billing",
        requires={"billing": 5},
        relax=(
            RelaxStep(after_s=30, set={"billing": 3}),
            RelaxStep(after_s=60, set={"billing": 1}),
            RelaxStep(after_s=120, overflow_to="general"),
        ),
    )
    general = Service("general", requires={"general": 1})
    services = {"billing": billing, "general": general}
    agents = [
        agent("b3", {"billing": 3}),
        agent("b1", {"billing": 1}),
        agent("g", {"general": 4}, services=("general",)),
    ]
    call = Contact("c1", "billing", entered_at=1000.0)

    def at(self, waited: float):
        return best_agent_for_contact(self.call, self.agents, self.services, 1000.0 + waited)

    def test_requirements_step_by_step(self) -> None:
        def reqs(waited: float):
            return effective_requirements(
                self.call, self.billing, 1000.0 + waited, ServiceLive(), self.services
            )

        assert reqs(29.9) == ((Requirement("billing", 5),), -1, "billing")
        assert reqs(30.0) == ((Requirement("billing", 3),), 0, "billing")
        assert reqs(60.0) == ((Requirement("billing", 1),), 1, "billing")
        assert reqs(120.0) == ((Requirement("general", 1),), 2, "general")

    def test_nobody_before_30_s(self) -> None:
        d = self.at(29.0)
        assert d.agent_id is None
        assert d.trace.rejected_by_reason == {"level_too_low": 2, "not_in_service": 1}

    def test_level_3_agent_after_30_s(self) -> None:
        d = self.at(30.0)
        assert d.agent_id == "b3"
        assert (d.trace.step_index, d.trace.step_reasons) == (0, ("after 30 s",))

    def test_any_billing_agent_after_60_s_closest_fit_first(self) -> None:
        d = self.at(60.0)
        assert d.agent_id == "b1"  # excess 0 beats b3's 2
        assert d.trace.steps_applied == (0, 1)

    def test_overflow_after_120_s(self) -> None:
        d = self.at(120.0)
        assert d.agent_id == "g"
        assert (d.trace.service, d.trace.target_service) == ("billing", "general")
        assert "billing -> general, step 2 (after 120 s)" in d.trace.summary("g")
        reasons = {r.agent_id: r.reason for r in d.trace.rejections}
        assert reasons == {"b3": RejectReason.NOT_IN_SERVICE, "b1": RejectReason.NOT_IN_SERVICE}


class TestLiveSteps:
    def service(self, step: RelaxStep) -> Service:
        return Service("billing", requires={"billing": 5, "vat": 2}, relax=(step,))

    def reqs(self, step: RelaxStep, live: ServiceLive, contact: Contact | None = None):
        contact = contact or Contact("c1", "billing", 0.0, language="ru")
        return effective_requirements(contact, self.service(step), 10.0, live)

    def test_queue_length_at_least(self) -> None:
        step = RelaxStep(queue_length_at_least=5, drop=frozenset({"vat"}))
        assert self.reqs(step, ServiceLive(queue_length=4)).step_index == -1
        assert self.reqs(step, ServiceLive(queue_length=5)).reqs == (Requirement("billing", 5),)

    def test_no_eligible_agent_ready(self) -> None:
        step = RelaxStep(no_eligible_ready=True, set={"billing": 2})
        assert self.reqs(step, ServiceLive(ready_eligible=1)).step_index == -1
        assert self.reqs(step, ServiceLive(ready_eligible=None)).step_index == -1  # unknown
        assert self.reqs(step, ServiceLive(ready_eligible=0)).reqs[0] == Requirement("billing", 2)

    def test_service_level_at_risk(self) -> None:
        step = RelaxStep(sl_at_risk=True, drop=frozenset({"billing"}))
        assert self.reqs(step, ServiceLive(sl_at_risk=False)).step_index == -1
        assert self.reqs(step, ServiceLive(sl_at_risk=True)).reqs == (Requirement("vat", 2),)

    def test_all_needs_every_trigger_any_needs_one(self) -> None:
        both = RelaxStep(after_s=5, queue_length_at_least=3, drop=frozenset({"vat"}))
        either = RelaxStep(
            after_s=50, queue_length_at_least=3, match="any", drop=frozenset({"vat"})
        )
        assert self.reqs(both, ServiceLive(queue_length=2)).step_index == -1  # waited 10 >= 5
        assert self.reqs(both, ServiceLive(queue_length=3)).step_index == 0
        assert self.reqs(either, ServiceLive(queue_length=3)).step_index == 0  # waited 10 < 50
        assert self.reqs(either, ServiceLive(queue_length=2)).step_index == -1

    def test_add_a_language_requirement(self) -> None:
        step = RelaxStep(after_s=5, add={"lang_{language}": 3})
        got = self.reqs(step, ServiceLive())
        assert got.reqs == (
            Requirement("billing", 5),
            Requirement("lang_ru", 3),
            Requirement("vat", 2),
        )
        no_language = Contact("c2", "billing", 0.0)
        assert self.reqs(step, ServiceLive(), no_language).reqs == (
            Requirement("billing", 5),
            Requirement("vat", 2),
        )

    def test_set_only_changes_skills_already_required(self) -> None:
        step = RelaxStep(after_s=5, set={"billing": 1, "tech": 4})
        assert self.reqs(step, ServiceLive()).reqs == (
            Requirement("billing", 1),
            Requirement("vat", 2),
        )

    def test_live_snapshot_counts_ready_members_meeting_the_base_requirements(self) -> None:
        services = {"billing": BILLING}
        agents = [
            agent("ok", {"billing": 5}),
            agent("low", {"billing": 2}),
            agent("busy", {"billing": 9}, state=AgentState.ON_CALL),
        ]
        contacts = [Contact("c1", "billing", 0.0), Contact("c2", "billing", 1.0)]
        live = live_snapshot(contacts, agents, services, sl_at_risk={"billing"})
        assert live == {"billing": ServiceLive(queue_length=2, ready_eligible=1, sl_at_risk=True)}


def test_the_contacts_own_requirements_add_to_the_services() -> None:
    call = Contact("c1", "billing", 0.0, required={"billing": 7, "lang_ru": 2})
    eff = effective_requirements(call, BILLING, 1.0)
    assert eff.reqs == (Requirement("billing", 7), Requirement("lang_ru", 2))


class TestContactOrder:
    service = Service("billing", {"billing": 1}, sl_target_s=20.0)  # risk window 10 s

    def test_score_terms(self) -> None:
        score = contact_score(
            Contact("c", "billing", 0.0, vip=True, priority=1), self.service, 15.0
        )
        assert score.terms == {
            "priority_levels": 3,  # 1 + vip lift 2
            "priority_s": 180.0,
            "wait_s": 15.0,
            "sl_time_left_s": 5.0,
            "risk_s": 5.0,
            "total": 200.0,
        }

    def test_vip_lift(self) -> None:
        regular = Contact("regular", "billing", entered_at=0.0)
        vip = Contact("vip", "billing", entered_at=60.0, vip=True)
        one = [agent("a1", {"billing": 5})]
        # regular: 100 + 10 (risk, breached) = 110; vip: 40 + 10 + 2 * 60 = 170
        assert contact_score(regular, self.service, 100.0).terms["total"] == 110.0
        assert contact_score(vip, self.service, 100.0).terms["total"] == 170.0
        assert pairs(assign([regular, vip], one, {"billing": self.service}, 100.0)) == [
            ("vip", "a1")
        ]
        plain = Contact("vip", "billing", entered_at=60.0)
        assert pairs(assign([regular, plain], one, {"billing": self.service}, 100.0)) == [
            ("regular", "a1")
        ]

    def test_sl_risk_lifts_the_contact_about_to_breach(self) -> None:
        fast = Service("fast", {"x": 1}, sl_target_s=20.0)  # risk from 10 s of waiting
        slow = Service("slow", {"x": 1}, sl_target_s=120.0)  # risk from 60 s
        services = {"fast": fast, "slow": slow}
        near = Contact("near", "fast", entered_at=85.0)  # waited 15: 15 + 5 = 20
        calm = Contact("calm", "slow", entered_at=82.0)  # waited 18: 18 + 0 = 18
        both = [agent("a1", {"x": 1}, services=("fast", "slow"))]
        assert pairs(assign([near, calm], both, services, 100.0)) == [("near", "a1")]
        no_gain = {
            "fast": Service("fast", {"x": 1}, sl_target_s=20.0, sl_risk_gain=0.0),
            "slow": slow,
        }
        assert pairs(assign([near, calm], both, no_gain, 100.0)) == [("calm", "a1")]

    def test_a_service_behind_its_target_lifts_its_contacts(self) -> None:
        c = Contact("c", "billing", 0.0)
        base = contact_score(c, self.service, 5.0).terms["total"]
        behind = contact_score(c, self.service, 5.0, ServiceLive(sl_at_risk=True))
        assert behind.terms["total"] == base + 60.0

    def test_index_key_plus_now_bounds_the_score(self) -> None:
        c = Contact("c", "billing", 40.0, priority=2)
        for now in (40.0, 50.0, 55.0, 200.0):
            total = contact_score(c, self.service, now).terms["total"]
            base = index_key(c, self.service) + now
            assert base <= total <= base + self.service.max_risk_s


class TestMultiServiceAgent:
    billing = Service("billing", {"billing": 1}, sl_target_s=20.0)
    tech = Service("tech", {"tech": 1}, sl_target_s=20.0, priority=1)
    services = {"billing": billing, "tech": tech}
    both = agent("a1", {"billing": 3, "tech": 3}, services=("billing", "tech"))

    def test_takes_the_best_single_score(self) -> None:
        # billing: waited 50 -> 50 + 10 = 60; tech: waited 10 -> 60 + 10 + 0 = 70
        old_billing = Contact("b", "billing", entered_at=50.0)
        new_tech = Contact("t", "tech", entered_at=90.0)
        d = best_contact_for_agent(self.both, [old_billing, new_tech], self.services, 100.0)
        assert d is not None and d.contact_id == "t"
        assert d.trace.contact_score.terms["total"] == 70.0
        # billing waited 65 -> 75 > 70
        older = Contact("b", "billing", entered_at=35.0)
        d = best_contact_for_agent(self.both, [older, new_tech], self.services, 100.0)
        assert d is not None and d.contact_id == "b"
        assert pairs(assign([older, new_tech], [self.both], self.services, 100.0)) == [("b", "a1")]

    def test_contacts_it_cannot_take_are_passed_over_and_listed(self) -> None:
        only_billing = agent("a2", {"billing": 3}, services=("billing", "tech"))
        old_tech = Contact("t", "tech", entered_at=0.0)
        billing = Contact("b", "billing", entered_at=90.0)
        d = best_contact_for_agent(only_billing, [old_tech, billing], self.services, 100.0)
        assert d is not None and d.contact_id == "b"
        [passed] = d.trace.rejections
        assert (passed.contact_id, passed.reason, passed.skill) == (
            "t",
            RejectReason.MISSING_SKILL,
            "tech",
        )
        assert d.trace.candidates == 2

    def test_a_not_ready_agent_gets_nothing(self) -> None:
        away = agent("a3", {"billing": 3}, state=AgentState.NOT_READY, not_ready_reason="lunch")
        assert (
            best_contact_for_agent(away, [Contact("b", "billing", 0.0)], self.services, 5.0) is None
        )


def test_agents_who_let_it_ring_out_are_excluded() -> None:
    best = agent("a1", {"billing": 5}, idle_since=0.0)
    other = agent("a2", {"billing": 5}, idle_since=90.0)
    call = Contact("c1", "billing", 95.0, excluded=frozenset({"a1"}))
    [d] = assign([call], [best, other], SERVICES, 100.0)
    assert d.agent_id == "a2"
    assert [(r.agent_id, r.reason) for r in d.trace.rejections] == [("a1", RejectReason.RANG_OUT)]


def test_rejection_reasons_for_every_state() -> None:
    call = Contact("c1", "billing", 0.0)
    reqs = (Requirement("billing", 5),)
    cases = {
        AgentState.OFFLINE: RejectReason.NOT_READY,
        AgentState.NOT_READY: RejectReason.NOT_READY,
        AgentState.RESERVED: RejectReason.BUSY,
        AgentState.ON_CALL: RejectReason.BUSY,
        AgentState.WRAP_UP: RejectReason.BUSY,
    }
    for state, reason in cases.items():
        rejection = eligible(agent("a", {"billing": 9}, state=state), reqs, call, "billing")
        assert rejection is not None and rejection.reason is reason, state
    assert eligible(agent("a", {"billing": 9}), reqs, call, "billing") is None
    outsider = agent("a", {"billing": 9}, services=("tech",))
    assert eligible(outsider, reqs, call, "billing").reason is RejectReason.NOT_IN_SERVICE


def test_one_agent_one_contact_in_a_pass_and_the_taken_agent_shows_as_busy() -> None:
    a1 = agent("a1", {"billing": 5})
    first = Contact("c1", "billing", 0.0)
    second = Contact("c2", "billing", 10.0)
    decisions = assign([second, first], [a1], SERVICES, 20.0)
    assert pairs(decisions) == [("c1", "a1")]
    a2 = agent("a2", {"billing": 9})
    decisions = assign([second, first], [a1, a2], SERVICES, 20.0)
    assert pairs(decisions) == [("c1", "a1"), ("c2", "a2")]
    busy = {r.agent_id: r.detail for r in decisions[1].trace.rejections}
    assert busy == {"a1": "reserved in this pass"}


def test_agent_driven_and_contact_driven_give_the_same_pairs() -> None:
    services = {
        "billing": Service("billing", {"billing": 3}),
        "tech": Service("tech", {"tech": 3}, priority=1),
    }
    agents = [
        agent("a1", {"billing": 4}, idle_since=10.0),
        agent("a2", {"billing": 9, "tech": 9}, services=("billing", "tech"), idle_since=0.0),
        agent("a3", {"tech": 3}, services=("tech",), idle_since=30.0),
    ]
    contacts = [
        Contact("c1", "billing", 50.0),
        Contact("c2", "tech", 80.0),
        Contact("c3", "billing", 20.0, vip=True),
        Contact("c4", "tech", 60.0),
    ]
    decisions = assign(contacts, agents, services, 100.0)
    assert pairs(decisions) == [("c3", "a1"), ("c4", "a3"), ("c2", "a2")]
    free_agents, waiting = list(agents), list(contacts)
    for contact_id, agent_id in pairs(decisions):
        a = next(x for x in free_agents if x.id == agent_id)
        c = next(x for x in waiting if x.id == contact_id)
        assert best_agent_for_contact(c, free_agents, services, 100.0).agent_id == agent_id
        assert best_contact_for_agent(a, waiting, services, 100.0).contact_id == contact_id
        free_agents.remove(a)
        waiting.remove(c)


def test_traces_are_plain_json() -> None:
    call = Contact("c1", "billing", 90.0, customer_id="u1")
    agents = [agent("a1", {"billing": 6}), agent("a2", {"tech": 5}), agent("a3", {"billing": 5})]
    [d] = assign([call], agents, SERVICES, 100.0)
    data = json.loads(json.dumps(d.to_dict()))
    assert data["agent_id"] == "a3"
    assert data["why"] == "billing: a3 — fit +0, idle 100 s; rejected 1 missing_skill"
    assert data["trace"]["requirements"] == [{"skill": "billing", "level": 5}]
    assert data["trace"]["rejections"] == [
        {"agent_id": "a2", "reason": "missing_skill", "skill": "billing", "contact_id": "c1"}
    ]
    assert data["trace"]["runner_up"] == "a1"
    assert data["trace"]["contact_score"]["total"] == pytest.approx(10.0 + 0.0)


def test_an_unknown_service_is_named() -> None:
    with pytest.raises(UnknownService, match="contact 'c1': unknown service 'sales'"):
        assign([Contact("c1", "sales", 0.0)], [agent("a1", {"billing": 5})], SERVICES, 1.0)


def test_overflow_to_an_unknown_service_is_named() -> None:
    broken = Service("billing", relax=(RelaxStep(after_s=1, overflow_to="nowhere"),))
    with pytest.raises(ValueError, match="overflows to unknown service 'nowhere'"):
        effective_requirements(
            Contact("c", "billing", 0.0), broken, 5.0, services={"billing": broken}
        )


def test_a_taken_agent_who_could_not_take_it_anyway_keeps_the_real_reason() -> None:
    a1 = agent("a1", {"billing": 5})
    a2 = agent("a2", {"billing": 5, "lang_ru": 4})
    first = Contact("c1", "billing", 0.0)
    russian = Contact("c2", "billing", 10.0, required={"lang_ru": 3})
    decisions = assign([first, russian], [a1, a2], SERVICES, 20.0)
    assert pairs(decisions) == [("c1", "a1"), ("c2", "a2")]
    [why] = decisions[1].trace.rejections
    assert (why.agent_id, why.reason, why.skill, why.detail) == (
        "a1",
        RejectReason.MISSING_SKILL,
        "lang_ru",
        None,
    )
