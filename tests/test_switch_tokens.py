"""Resume tokens: unguessable, stored only as a hash, expiring, opened once; the listener
turns the IVR's real ``ivr.channel_switch`` payload into one token and one queued text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from customers.store import CustomerStore
from ivr.scenario import ScenarioSet
from omnivox.switch import SwitchService, tokens
from omnivox.switch.exceptions import BadSession, TokenExpired, TokenUnknown, TokenUsed
from omnivox.switch.route import route_for, topic_of

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PHONE = "+14155550123"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    loaded, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert problems == []
    return loaded


def test_tokens_are_random_url_safe_and_only_their_hash_is_kept() -> None:
    made = {tokens.new_token() for _ in range(200)}
    assert len({t for t, _ in made}) == 200
    for token, hashed in made:
        assert tokens.well_formed(token) and len(token) == 43
        assert hashed == tokens.digest(token) and token not in hashed and len(hashed) == 64
    assert not tokens.well_formed("../../etc") and not tokens.well_formed("")


def test_token_state_expiry_and_use() -> None:
    expires = T0 + timedelta(minutes=5)
    assert tokens.token_state(expires, None, T0) == "ok"
    assert tokens.token_state(expires, None, expires) == "expired"
    assert tokens.token_state(expires, T0, T0) == "used"


def test_the_route_comes_from_the_scenario_transfer_of_the_intent(scenarios: ScenarioSet) -> None:
    telecom = scenarios["telecom"]
    billing = route_for(telecom, "billing")
    assert (billing.service, billing.skills, billing.priority) == ("billing", ("billing",), 5)
    vip_ru = route_for(telecom, "billing", vip=True, language="ru")
    assert (vip_ru.skills, vip_ru.priority, vip_ru.language) == (("billing", "lang_ru"), 8, "ru")
    assert route_for(telecom, "sales").service == "sales"  # a menu option's own transfer
    assert route_for(telecom, None).service == "general"  # after hours: no intent yet
    assert route_for(scenarios["bank_card"], "balance").service == "cards"
    assert topic_of(telecom, "billing", "en") == "your bill"
    link = tokens.continue_link("https://help.example.com/", "TOK")
    assert tokens.sms_text("your bill", link) == (
        "Continue your request about your bill in chat: https://help.example.com/continue/TOK"
    )


def _switch_payload(journey_id: int, customer_id: int | None) -> dict[str, Any]:
    # exactly what ivr.call.handler publishes at a channel_switch node
    return {
        "call_id": "1733400000.42",
        "channel": "PJSIP/trunk-00000001",
        "caller": PHONE,
        "journey_id": journey_id,
        "customer_id": customer_id,
        "vip": False,
        "segment": None,
        "scenario": "telecom",
        "kind": "sms_link",
        "intent": "billing",
    }


async def _service(
    store: CustomerStore, scenarios: ScenarioSet, clock: Clock, texts: list[str]
) -> SwitchService:
    def random(n: int) -> str:
        token = tokens.secrets.token_urlsafe(n)
        texts.append(token)
        return token

    return SwitchService(
        store,
        public_url="https://help.example.com",
        clock=clock,
        scenarios=scenarios.get,
        ttl=timedelta(minutes=30),
        random=random,
    )


async def test_the_listener_makes_one_token_and_one_text_per_call(
    store: CustomerStore, scenarios: ScenarioSet
) -> None:
    clock, made = Clock(), []
    service = await _service(store, scenarios, clock, made)
    journey_id = await store.start_journey("1733400000.42", "telecom", caller=PHONE)
    payload = _switch_payload(journey_id, None)  # a first-time caller: no profile yet
    await service.on_bus("ivr.channel_switch", payload)
    await service.on_bus("ivr.channel_switch", payload)  # told twice: still one link
    await service.on_bus("ivr.channel_switch", payload | {"kind": "callback"})  # not ours
    sms = await store.sms("sms_link:1733400000.42")
    assert sms is not None and sms.to == PHONE and sms.status == "queued"
    assert (
        sms.body
        == f"Continue your request about your bill in chat: https://help.example.com/continue/{made[0]}"
    )
    assert len(made) == 2  # the second token was never stored
    record = await store.resume_token(tokens.digest(made[0]))
    assert record is not None and record.journey_id == journey_id and record.service == "billing"
    assert record.expires_at == T0 + timedelta(minutes=30)
    assert await store.resume_token(tokens.digest(made[1])) is None
    # no number to text: nothing is made
    assert await service.offer_sms_link(payload | {"call_id": "x2", "caller": None}) is None
    assert await store.sms("sms_link:x2") is None


async def test_expired_tampered_and_used_tokens_are_refused(
    store: CustomerStore, scenarios: ScenarioSet
) -> None:
    clock, made = Clock(), []
    service = await _service(store, scenarios, clock, made)
    customer = await store.create_customer("Ann", identities=[("phone", PHONE)])
    journey_id = await store.start_journey("1733400000.42", "telecom", customer_id=customer.id)
    await service.offer_sms_link(_switch_payload(journey_id, customer.id))
    token = made[0]

    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(TokenUnknown):
        await service.open(tampered)
    with pytest.raises(TokenUnknown):
        await service.open("not-a-token")

    opened = await service.open(token)
    assert opened["opened"] is True and opened["routed"] is False  # no router here
    with pytest.raises(TokenUsed):
        await service.open(token)  # someone else with the link
    again = await service.open(token, opened["session"])  # the same browser reloading
    assert again["chat_id"] == opened["chat_id"] and again["opened"] is False
    with pytest.raises(BadSession):
        await service.post(token, "wrong-session", "hello")

    clock.now += timedelta(minutes=31)
    journey2 = await store.start_journey("1733400000.43", "telecom", customer_id=customer.id)
    await service.offer_sms_link(_switch_payload(journey2, customer.id) | {"call_id": "c43"})
    clock.now += timedelta(minutes=30)  # exactly at expiry
    with pytest.raises(TokenExpired):
        await service.open(made[-1])
    page = await store.timeline(customer.id)
    assert [(i.channel, i.journey_id) for i in page.items] == [("chat", journey_id)]
