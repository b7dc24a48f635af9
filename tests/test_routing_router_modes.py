"""The router beyond plain calls: chats, callbacks, device presence, one AMI-event leader,
reconciliation with Asterisk, and several instances (and a restart) on one real Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from customers.records import AgentRecord
from routing.core.model import AgentState, Service
from routing.service import RedisLease, Router
from routing.state import MemoryState, RedisState
from tests.test_routing_router import SERVICES, Clock, agent, ami, transfer


class Control:
    """AMI stand-in: records actions; ``channels`` is what CoreShowChannels reports."""

    def __init__(self) -> None:
        self.actions: list[tuple[Any, ...]] = []
        self.channels: list[str] = []

    async def setvar(self, name: str, value: object, channel: str | None = None) -> None:
        self.actions.append(("setvar", name, str(value), channel))

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None:
        self.actions.append(("redirect", channel, context))

    async def originate(self, channel: str, **fields: Any) -> dict[str, str]:
        self.actions.append(("originate", channel, fields))
        return {"Response": "Success"}

    async def action(self, name: str, **fields: Any) -> list[dict[str, str]]:
        assert name == "CoreShowChannels"
        listed = [{"Event": "CoreShowChannel", "Uniqueid": u} for u in self.channels]
        return [{"Response": "Success"}, *listed, {"Event": "CoreShowChannelsComplete"}]

    def on_event(self, pattern: str, handler: Any) -> Any:
        return lambda: None


class Follower:
    """A leadership this instance never holds."""

    is_leader = False

    async def start(self, on_lead: Any = None) -> None:
        return None

    async def close(self) -> None:
        return None


def make(control: Control | None = None, leader: Any = None) -> tuple[Router, Clock, list]:
    clock, events = Clock(), []

    async def publish(topic: str, payload: Any) -> None:
        events.append((topic, dict(payload)))

    state = MemoryState(SERVICES, clock)
    return Router(state, control=control, publish=publish, leader=leader), clock, events


async def state_of(router: Router, agent_id: str) -> AgentState:
    view = await router.state.get_agent(agent_id)
    assert view is not None
    return view.agent.state


async def test_a_chat_is_the_agents_as_soon_as_it_is_offered_and_ends_in_wrap_up() -> None:
    router, clock, events = make(Control())
    await router.add_agent(agent(1, {"billing": 6}))
    await router.set_state(1, "ready")
    await router.queue_call(transfer("chat-1", media="chat", channel=None))
    assert [t for t, _ in events if t.startswith("routing.") and t != "routing.agent"] == [
        "routing.queued",
        "routing.offered",
        "routing.answered",
    ]
    assert await state_of(router, "1") is AgentState.ON_CALL
    await router.end_contact("chat-1")
    assert await state_of(router, "1") is AgentState.WRAP_UP
    assert [p["outcome"] for t, p in events if t == "routing.ended"] == ["ended"]


async def test_a_callback_rings_the_agent_then_the_customer() -> None:
    control = Control()
    router, clock, events = make(control)
    await router.add_agent(agent(1, {"billing": 6}))
    switch = transfer("c9", caller="+14155550199") | {"kind": "callback", "intent": "billing"}
    await router.on_bus("ivr.channel_switch", switch)
    assert control.actions == []  # nobody ready yet: the callback waits its turn
    await router.set_state(1, "ready")
    kind, endpoint, fields = control.actions[-1]
    assert (kind, endpoint, fields["context"], fields["channel_id"]) == (
        "originate",
        "PJSIP/1001",
        "omnivox-callback",
        "cb-c9",
    )
    assert fields["variables"]["OMNIVOX_CALLBACK_NUMBER"] == "+14155550199"
    offered = next(p for t, p in events if t == "routing.offered")
    assert offered["media"] == "callback" and offered["facts"]["kind"] == "callback"
    assert "callback" in offered["facts"]["reason"]

    answered = {"Event": "UserEvent", "UserEvent": "OmnivoxCallbackAnswered", "Contact": "cb-c9"}
    await router.on_ami_event(answered | {"Uniqueid": "cb-c9"})
    assert await state_of(router, "1") is AgentState.ON_CALL
    await router.on_ami_event(ami("Hangup", Uniqueid="cb-c9", Cause="16"))
    assert await state_of(router, "1") is AgentState.WRAP_UP


async def test_a_callback_the_agent_does_not_answer_waits_for_the_next_agent() -> None:
    control = Control()
    router, clock, events = make(control)
    for n in (1, 2):
        await router.add_agent(agent(n, {"billing": 6}))
        await router.set_state(n, "ready")
    await router.on_bus("ivr.channel_switch", transfer("c7", caller="+1415") | {"kind": "callback"})
    first = control.actions[-1][1]
    failed = {"Event": "UserEvent", "UserEvent": "OmnivoxCallbackFailed", "Contact": "cb-c7"}
    await router.on_ami_event(failed | {"Agent": first, "Reason": "3"})
    second = control.actions[-1][1]
    assert {first, second} == {"PJSIP/1001", "PJSIP/1002"}
    missed = next(p for t, p in events if t == "routing.missed")
    assert missed["missed"] == first[-1]


async def test_only_the_leader_acts_on_ami_events() -> None:
    router, clock, events = make(Control(), leader=Follower())
    await router.on_bus("ivr.transfer", transfer("c1"))
    await router.on_ami_event(ami("OmnivoxWaiting", Uniqueid="c1", Channel="ch", Queue="billing"))
    assert await router.state.contacts() == []


async def test_the_hold_context_alone_queues_a_call_another_instance_ran() -> None:
    router, clock, events = make(Control())
    event = ami(
        "OmnivoxWaiting",
        Uniqueid="c5",
        Channel="PJSIP/x-1",
        Queue="billing",
        Skills="billing lang_ru",
        CallPriority="7",
        Intent="pay_bill",
        CallLanguage="ru",
        Journey="42",
        Customer="9",
        Vip="1",
        Caller="+14155550100",
    )
    await router.on_ami_event(event)
    [view] = await router.state.contacts()
    c = view.contact
    assert (c.id, c.service, c.priority, c.intent, c.language, c.customer_id, c.vip) == (
        "c5",
        "billing",
        2,
        "pay_bill",
        "ru",
        "9",
        True,
    )
    assert dict(c.required) == {"lang_ru": 1}
    assert (view.meta["journey_id"], view.meta["channel"]) == (42, "PJSIP/x-1")


async def test_reconciling_removes_contacts_whose_channel_is_gone() -> None:
    control = Control()
    router, clock, events = make(control)
    for call in ("alive", "gone"):
        await router.on_ami_event(
            ami("OmnivoxWaiting", Uniqueid=call, Channel=call, Queue="billing")
        )
    control.channels = ["alive", "someone-else"]
    await router.reconcile()
    assert [v.id for v in await router.state.contacts()] == ["alive"]
    assert [p["id"] for t, p in events if t == "routing.abandoned"] == ["gone"]


async def test_an_unreachable_device_is_offered_nothing_until_it_is_back() -> None:
    control = Control()
    router, clock, events = make(control)
    await router.add_agent(agent(1, {"billing": 6}))
    await router.set_state(1, "ready")
    await router.on_ami_event(ami("DeviceStateChange", Device="PJSIP/1001", State="UNAVAILABLE"))
    await router.on_ami_event(ami("OmnivoxWaiting", Uniqueid="c1", Channel="ch", Queue="billing"))
    assert control.actions == []
    await router.on_ami_event(ami("DeviceStateChange", Device="PJSIP/1001", State="NOT_INUSE"))
    assert control.actions[-1] == ("redirect", "ch", "omnivox-connect")


# --- several instances on one real Redis ---------------------------------------------------

QUICK = {"billing": Service("billing", requires={"billing": 1})}


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[aioredis.Redis, str]]:
    client = aioredis.Redis(decode_responses=True)
    prefix = f"omnivox:test:{secrets.token_hex(4)}:"
    yield client, prefix
    keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=500)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def instance(client: aioredis.Redis, prefix: str, control: Control, **options: Any) -> Router:
    router = Router(
        RedisState(client, QUICK, prefix=prefix),
        control=control,
        leader=RedisLease(client, f"{prefix}ami-leader", ttl_s=1.0),
        tick_s=0.05,
        **options,
    )
    await router.start()
    return router


@pytest.mark.redis
async def test_two_instances_share_one_leader_and_never_double_assign(redis_prefix) -> None:
    client, prefix = redis_prefix
    controls = [Control(), Control()]
    a, b = [await instance(client, prefix, c) for c in controls]
    try:
        assert [a.is_leader, b.is_leader].count(True) == 1
        for n in range(1, 31):
            await a.add_agent(agent(n, {"billing": 5}))
        leader = a if a.is_leader else b
        for n in range(60):  # the hold context announces 60 callers
            event = ami("OmnivoxWaiting", Uniqueid=f"c{n}", Channel=f"ch{n}", Queue="billing")
            await leader.on_ami_event(event)
        # agents go ready through both instances at once; both decide concurrently
        await asyncio.gather(
            *(r.set_state(n, "ready") for n, r in zip(range(1, 31), [a, b] * 15, strict=True))
        )
        await asyncio.gather(a.dispatch(), b.dispatch())
        redirected = [x[1] for c in controls for x in c.actions if x[0] == "redirect"]
        assert len(redirected) == 30 and len(set(redirected)) == 30  # each caller once
        offered = [v for v in await a.state.contacts() if v.phase == "offered"]
        assert len({v.agent_id for v in offered}) == len(offered) == 30
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_an_agent_added_on_one_instance_has_a_name_on_the_other(redis_prefix) -> None:
    client, prefix = redis_prefix
    store = {"7": agent(7, {"billing": 5})}
    asked: list[str] = []

    async def directory(agent_id: str) -> AgentRecord | None:
        asked.append(agent_id)
        return store.get(agent_id)

    a = await instance(client, prefix, Control())
    b = await instance(client, prefix, Control(), directory=directory)
    try:
        await a.add_agent(store["7"])
        await a.set_state(7, "ready")
        seen = await b.agents()
        assert [(x["id"], x["login"], x["name"], x["state"]) for x in seen] == [
            ("7", "a7", "Agent 7", "ready")
        ]
        assert (await b.get_state(7))["name"] == "Agent 7"
        assert asked == ["7"]  # looked up once, then known
        plain = await instance(client, prefix, Control())  # no directory: ids only
        assert [(x["login"], x["name"]) for x in await plain.agents()] == [(None, None)]
        await plain.close()
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_a_restarted_instance_finds_the_waiting_callers(redis_prefix) -> None:
    client, prefix = redis_prefix
    first = await instance(client, prefix, Control())
    await first.add_agent(agent(1, {"billing": 5}))
    for n in range(3):
        event = ami("OmnivoxWaiting", Uniqueid=f"c{n}", Channel=f"ch{n}", Queue="billing")
        await first.on_ami_event(event)
    await first.close()  # the process stops; Redis keeps the state

    control = Control()
    control.channels = ["c0", "c2"]  # c1 hung up while no instance was running
    second = await instance(client, prefix, control)  # takes the lease, reconciles
    try:
        assert second.is_leader
        assert sorted(v.id for v in await second.state.contacts()) == ["c0", "c2"]
        await second.add_agent(agent(1, {"billing": 5}))
        await second.set_state(1, "ready")
        assert control.actions[-1] == ("redirect", "ch0", "omnivox-connect")  # first in line
    finally:
        await second.close()
