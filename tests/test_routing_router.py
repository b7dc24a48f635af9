"""The router's orchestration: queueing, offers, answers, misses, abandons, relaxation,
affinity and wrap-up — driven by the IVR's payloads and AMI-shaped events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from customers.records import AgentRecord
from routing.core.model import AgentState, RelaxStep, Service
from routing.service import Router
from routing.state import MemoryState, StateError

SERVICES = {
    "billing": Service(
        "billing",
        requires={"billing": 5},
        wrap_up_s=10,
        relax=(RelaxStep(after_s=30, set={"billing": 3}),),
    ),
    "tv_support": Service("tv_support", requires={"tv": 5}),
}


class RecordingControl:
    """Stands in for AMI's Setvar/Redirect and records them; events are fed by the test."""

    def __init__(self) -> None:
        self.actions: list[tuple[str, ...]] = []

    async def setvar(self, name: str, value: object, channel: str | None = None) -> None:
        self.actions.append(("setvar", name, str(value), channel or ""))

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None:
        self.actions.append(("redirect", channel, context, exten))

    def on_event(self, pattern: str, handler: Any) -> Any:
        return lambda: None


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def agent(aid: int, skills: dict[str, int], endpoint: str | None = None) -> AgentRecord:
    return AgentRecord(
        id=aid,
        login=f"a{aid}",
        name=f"Agent {aid}",
        endpoint=endpoint or f"PJSIP/10{aid:02d}",
        role="agent",
        team="north",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        skills=skills,
    )


def transfer(call_id: str, service: str = "billing", **extra: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "channel": f"PJSIP/caller-{call_id}",
        "service": service,
        "skills": [service.split("_")[0]],
        "priority": 5,
        "intent": service,
        "language": "en",
        "journey_id": 1,
        "customer_id": extra.pop("customer_id", None),
        **extra,
    }


@pytest.fixture
def world() -> tuple[Router, RecordingControl, Clock, list[tuple[str, dict[str, Any]]]]:
    control, clock, events = RecordingControl(), Clock(), []

    async def publish(topic: str, payload: Any) -> None:
        events.append((topic, dict(payload)))

    router = Router(MemoryState(SERVICES, clock), control=control, publish=publish)
    return router, control, clock, events


def ami(kind: str, **fields: str) -> dict[str, str]:
    if kind in ("OmnivoxWaiting", "OmnivoxAgentNoAnswer"):
        return {"Event": "UserEvent", "UserEvent": kind, **fields}
    return {"Event": kind, **fields}


async def ready(router: Router, *agents: AgentRecord) -> None:
    for record in agents:
        await router.add_agent(record)
        await router.set_state(record.id, "ready")


async def hand_over(router: Router, call_id: str, channel: str, **extra: Any) -> None:
    """The IVR publishes the transfer, then the dialplan announces the caller on hold."""
    await router.on_bus("ivr.transfer", transfer(call_id, **extra))
    await router.on_ami_event(ami("OmnivoxWaiting", Uniqueid=call_id, Channel=channel))


async def agent_state(router: Router, agent_id: str) -> AgentState:
    view = await router.state.get_agent(agent_id)
    assert view is not None
    return view.agent.state


async def contact(router: Router, call_id: str) -> Any:
    view = await router.state.get_contact(call_id)
    assert view is not None, f"no contact {call_id}"
    return view


async def test_billing_call_goes_to_the_billing_agent_once_the_caller_is_on_hold(world) -> None:
    router, control, clock, events = world
    await ready(router, agent(1, {"tv": 9}), agent(2, {"billing": 7}))
    await router.on_bus("ivr.transfer", transfer("c1"))
    assert control.actions == []  # the caller is still in the IVR: nothing to redirect yet
    assert await router.state.get_contact("c1") is None
    await router.on_ami_event(ami("OmnivoxWaiting", Uniqueid="c1", Channel="PJSIP/caller-c1"))
    assert control.actions == [
        ("setvar", "OMNIVOX_AGENT_ENDPOINT", "PJSIP/1002", "PJSIP/caller-c1"),
        ("redirect", "PJSIP/caller-c1", "omnivox-connect", "s"),
    ]
    offered = [p for t, p in events if t == "routing.offered"]
    assert offered[0]["agent"] == "2" and "why" in offered[0]
    assert await agent_state(router, "2") is AgentState.RESERVED
    [listed] = await router.contacts()  # what supervisors see: the decision and its trace
    assert listed["why"]["agent_id"] == "2" and listed["why"]["trace"]

    await router.on_ami_event(ami("DialEnd", Uniqueid="c1", DialStatus="ANSWER", DestChannel="x"))
    assert await agent_state(router, "2") is AgentState.ON_CALL
    clock.now += 120
    await router.on_ami_event(ami("Hangup", Uniqueid="c1", Cause="16"))
    assert await agent_state(router, "2") is AgentState.WRAP_UP
    assert [t for t, _ in events][-2:] == ["routing.ended", "routing.agent"]
    assert events[-1][1]["state"] == "wrap_up"  # the desktop hears of the wrap-up
    clock.now += 11
    await router._tick()
    assert await agent_state(router, "2") is AgentState.READY


async def test_busy_expert_then_relaxation_to_a_lower_level(world) -> None:
    router, control, clock, events = world
    await ready(router, agent(1, {"billing": 9}), agent(2, {"billing": 3}))
    await hand_over(router, "first", "ch-first")
    assert (await contact(router, "first")).agent_id == "1"
    await hand_over(router, "second", "ch-second")
    assert (await contact(router, "second")).phase == "waiting"  # level 3 < 5: not yet
    clock.now += 29
    await router._tick()
    assert (await contact(router, "second")).phase == "waiting"
    clock.now += 2
    await router._tick()
    assert (await contact(router, "second")).agent_id == "2"  # after 30 s, level 3 will do


async def test_missed_offer_skips_the_agent_and_keeps_the_callers_place(world) -> None:
    router, control, clock, events = world
    # Agent 1's level fits billing (5) best; agent 2 is the expert kept for harder calls.
    await ready(router, agent(1, {"billing": 6}), agent(2, {"billing": 9}))
    await hand_over(router, "c1", "PJSIP/caller-c1")
    entered = (await contact(router, "c1")).contact.entered_at
    assert (await contact(router, "c1")).agent_id == "1"
    clock.now += 20
    missed = ami("OmnivoxAgentNoAnswer", Uniqueid="c1", Agent="PJSIP/1001", DialStatus="NOANSWER")
    await router.on_ami_event(missed)
    first = (await router.state.get_agent("1")).agent  # type: ignore[union-attr]
    assert (first.state, first.not_ready_reason) == (AgentState.NOT_READY, "missed")
    call = await contact(router, "c1")
    assert call.agent_id == "2" and call.contact.entered_at == entered
    assert "1" in call.contact.excluded
    assert control.actions[-1] == ("redirect", "PJSIP/caller-c1", "omnivox-connect", "s")


async def test_caller_hanging_up_while_waiting_is_abandoned_with_the_wait(world) -> None:
    router, control, clock, events = world
    await hand_over(router, "c1", "ch")
    clock.now += 42
    await router.on_ami_event(ami("Hangup", Uniqueid="c1", Cause="16"))
    abandoned = [p for t, p in events if t == "routing.abandoned"]
    assert abandoned[0]["wait_s"] == 42.0 and abandoned[0]["phase"] == "waiting"
    assert await router.state.contacts() == []


async def test_the_agent_who_served_the_customer_before_wins_when_ready(world) -> None:
    router, control, clock, events = world
    await ready(router, agent(1, {"billing": 6}))
    await router.add_agent(agent(2, {"billing": 6}))  # same skills, offline for now
    await hand_over(router, "c1", "ch1", customer_id=77)
    await router.on_ami_event(ami("DialEnd", Uniqueid="c1", DialStatus="ANSWER"))
    await router.on_ami_event(ami("Hangup", Uniqueid="c1", Cause="16"))
    await router.set_state(2, "ready")  # agent 2 has now been idle the longest
    clock.now += 11
    await router._tick()  # agent 1 leaves wrap-up
    one, two = await router.state.get_agent("1"), await router.state.get_agent("2")
    assert one is not None and two is not None
    assert one.agent.idle_since > two.agent.idle_since  # type: ignore[operator]

    await hand_over(router, "c2", "ch2", customer_id=77)
    assert (await contact(router, "c2")).agent_id == "1"
    why = [p["why"] for t, p in events if t == "routing.offered" and p["id"] == "c2"]
    assert "affinity" in str(why).lower()

    await hand_over(router, "c3", "ch3", customer_id=88)  # someone else: longest idle wins
    assert (await contact(router, "c3")).agent_id == "2"


async def test_agents_cannot_set_router_states_or_leave_a_call(world) -> None:
    router, control, clock, events = world
    await ready(router, agent(1, {"billing": 6}))
    with pytest.raises(StateError, match="set by the router"):
        await router.set_state(1, "on_call")
    with pytest.raises(StateError, match="unknown agent state"):
        await router.set_state(1, "sleeping")
    with pytest.raises(LookupError, match="no agent"):
        await router.set_state(99, "ready")
    await hand_over(router, "c1", "ch")
    with pytest.raises(StateError, match="reserved"):
        await router.set_state(1, "not_ready", "lunch")
