"""The SMS-link path of a channel switch: the IVR's ``ivr.channel_switch`` makes a resume token
and queues the text; the customer presenting the token opens a chat that continues the call's
journey and is routed to an agent with the call's context."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from customers.records import JourneyRecord
from customers.store import CustomerStore
from customers.store.switch import ResumeTokenRecord, SmsRecord
from ivr.scenario import Scenario
from omnivox.switch import tokens
from omnivox.switch.chat import MAX_MESSAGE, ChatRoom
from omnivox.switch.exceptions import (
    BadSession,
    InvalidMessage,
    NotReady,
    TokenExpired,
    TokenUnknown,
    TokenUsed,
)
from omnivox.switch.route import route_for, topic_of

KIND = "sms_link"
MAX_MERGE_HOPS = 16
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
SECRET_FIELD = re.compile(r"pin|passw|cvv|cvc|secret|security_code", re.IGNORECASE)
Publish = Callable[[str, Mapping[str, Any]], Awaitable[None]]
log = logging.getLogger("omnivox.switch")


class ContactRouter(Protocol):
    """What the chat needs of ``routing.service.Router``."""

    services: Any

    def now(self) -> float: ...

    async def queue_call(self, facts: Mapping[str, Any]) -> Any: ...

    async def contacts(self) -> list[dict[str, Any]]: ...

    async def end_contact(self, contact_id: str) -> None: ...


__all__ = ["MAX_MESSAGE", "ContactRouter", "InvalidMessage", "SwitchService", "shown"]


def shown(name: str, value: Any) -> str:
    """A collected value as the customer's page shows it: secrets hidden, long numbers cut
    to their last four (the link may be opened on a shared screen)."""
    text = str(value.get("value") if isinstance(value, dict) else value)
    if SECRET_FIELD.search(name):
        return "••••"
    return "••••" + text[-4:] if len(text) > 6 else text


class SwitchService:
    """Resume tokens over one store; ``router`` may be ``None`` (no routing file)."""

    def __init__(
        self,
        store: CustomerStore,
        *,
        public_url: str,
        clock: Callable[[], datetime],
        scenarios: Callable[[str], Scenario | None] = lambda name: None,
        router: ContactRouter | None = None,
        ttl: timedelta = timedelta(hours=2),
        on_queued: Callable[[], None] | None = None,
        publish: Publish | None = None,
        random: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self.store = store
        self.public_url = public_url
        self.router = router
        self._clock = clock
        self._scenarios = scenarios
        self._ttl = ttl
        self._on_queued = on_queued
        self._random = random
        self.room = ChatRoom(store, clock=clock, router=router, publish=publish)

    # --- from the IVR ---------------------------------------------------------------------

    async def on_bus(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Listener for the in-process bus: ``ivr.channel_switch`` with kind ``sms_link``."""
        if topic == "ivr.channel_switch" and payload.get("kind") == KIND:
            await self.offer_sms_link(payload)
        elif topic.startswith("routing.") and topic != "routing.agent":
            self.room.routing_changed()  # a queue moved: the waiting customers' places change

    async def offer_sms_link(self, payload: Mapping[str, Any]) -> SmsRecord | None:
        """Token + queued text for the caller; ``None`` if this call already has its link, or
        the caller has no number to text."""
        phone = str(payload.get("caller") or "")
        call_id = str(payload.get("call_id") or "")
        if not E164.match(phone) or not call_id or payload.get("journey_id") is None:
            log.warning("no SMS link for call %r: caller %r is not a number", call_id, phone)
            return None
        scenario = self._scenarios(str(payload.get("scenario") or ""))
        intent = payload.get("intent")
        vip = bool(payload.get("vip"))
        route = route_for(scenario, intent, vip=vip, language=payload.get("language"))
        topic = topic_of(scenario, intent, route.language)
        token, hashed = tokens.new_token(self._random)
        record = await self.store.add_resume_token(
            token_hash=hashed,
            kind=KIND,
            call_id=call_id,
            journey_id=int(payload["journey_id"]),
            customer_id=payload.get("customer_id"),
            phone=phone,
            scenario=scenario.name if scenario else payload.get("scenario"),
            intent=intent,
            service=route.service,
            route={
                "skills": list(route.skills),
                "priority": route.priority,
                "language": route.language,
                "vip": vip,
                "segment": payload.get("segment"),
                "topic": topic,
            },
            expires_at=self._clock() + self._ttl,
        )
        if record is None:
            return None  # told twice about one call: one link
        link = tokens.continue_link(self.public_url, token)
        text = tokens.sms_text(topic, link)
        sms = await self.store.queue_sms(f"{KIND}:{call_id}", phone, text, now=self._clock())
        if sms is not None and self._on_queued is not None:
            self._on_queued()
        return sms

    # --- from the customer ----------------------------------------------------------------

    async def find(self, token: str, session: str | None = None) -> ResumeTokenRecord:
        """The token if it may be shown: unused and alive, or used by this ``session``."""
        record = await self.store.resume_token(tokens.digest(token))
        if not tokens.well_formed(token) or record is None:
            raise TokenUnknown("this link is not valid")
        state = tokens.token_state(record.expires_at, record.used_at, self._clock())
        if state == "used" and not self._owns(record, session):
            raise TokenUsed("this link was already used to open a chat")
        if state == "expired":
            raise TokenExpired("this link has expired; please call us again")
        return record

    async def open(self, token: str, session: str | None = None) -> dict[str, Any]:
        """Open the chat continuing the token's journey (once), or return the chat this
        ``session`` already opened. The chat is recorded on the customer's timeline, linked
        to the journey, and queued for an agent."""
        record = await self.find(token, session)
        journey = await self.store.get_journey(record.journey_id)
        if journey is None:
            raise TokenUnknown("this link is not valid")
        if record.used_at is not None and session is not None:
            return self._view(record, journey, session, opened=False, routed=None)
        customer_id = await self._customer_of(record, journey)
        chat_id = f"chat-{secrets.token_hex(8)}"
        topic = record.route.get("topic")
        interaction = await self.store.record_interaction(
            customer_id,
            "chat",
            "in",
            intent=record.intent,
            topic=f"Continues the call about {topic}" if topic else "Continues a call",
            open=True,
            journey_id=journey.id,
            data={"chat_id": chat_id, "continues": record.call_id, "via": record.kind},
            idempotency_key=f"continuation:{record.id}",
        )
        chat_id = str(interaction.data.get("chat_id") or chat_id)  # a racing open's, if first
        session = self._random(tokens.TOKEN_BYTES)
        won = await self.store.use_resume_token(
            record.id,
            session_hash=tokens.digest(session),
            chat_id=chat_id,
            interaction_id=interaction.id,
            now=self._clock(),
        )
        if not won:
            raise TokenUsed("this link was already used to open a chat")
        facts = self._facts(record, journey, customer_id, chat_id, interaction.id)
        routed = await self._route(facts)
        opened = await self.store.resume_token(tokens.digest(token))
        assert opened is not None
        return self._view(opened, journey, session, opened=True, routed=routed)

    async def chat_of(self, token: str, session: str | None) -> ResumeTokenRecord:
        """The opened chat of ``token`` if ``session`` opened it."""
        record = await self.store.resume_token(tokens.digest(token))
        if record is None or not tokens.well_formed(token):
            raise TokenUnknown("this link is not valid")
        if record.interaction_id is None or not self._owns(record, session):
            raise BadSession("open the chat first (this session did not open it)")
        return record

    async def post(self, token: str, session: str | None, text: object) -> dict[str, Any]:
        """A customer message in the chat, stored as the chat interaction's content; the
        agent the chat was offered to sees it on their desktop."""
        record = await self.chat_of(token, session)
        message = await self.room.write(record, "customer", text)
        return {"chat_id": record.chat_id, "message": message}

    # --- parts ----------------------------------------------------------------------------

    @staticmethod
    def _owns(record: ResumeTokenRecord, session: str | None) -> bool:
        return bool(session) and record.session_hash == tokens.digest(str(session))

    async def _customer_of(self, record: ResumeTokenRecord, journey: JourneyRecord) -> int:
        """The journey's customer (the call's save creates a first-time caller's profile),
        following merges; :class:`NotReady` while the call is still being saved."""
        customer_id = journey.customer_id or record.customer_id
        if customer_id is None and record.phone:
            found = await self.store.find_by_identity("phone", record.phone)
            customer_id = found.id if found else None
        for _ in range(MAX_MERGE_HOPS):
            customer = await self.store.get_customer(customer_id) if customer_id else None
            if customer is None or customer.merged_into is None:
                break
            customer_id = customer.merged_into
        if customer_id is None:
            raise NotReady("your call is still being saved; try again in a moment")
        return customer_id

    def _facts(
        self,
        record: ResumeTokenRecord,
        journey: JourneyRecord,
        customer_id: int,
        chat_id: str,
        interaction_id: int,
    ) -> dict[str, Any]:
        """The router's contact: the IVR's ``ivr.transfer`` shape, as a chat."""
        route = record.route
        return {
            "call_id": chat_id,
            "channel": None,
            "caller": record.phone,
            "journey_id": journey.id,
            "customer_id": customer_id,
            "vip": bool(route.get("vip")),
            "segment": route.get("segment"),
            "scenario": record.scenario,
            "service": record.service,
            "skills": list(route.get("skills") or []),
            "priority": route.get("priority"),
            "intent": record.intent,
            "language": route.get("language"),
            "media": "chat",
            "kind": "chat",
            "continues": record.call_id,
            "interaction_id": interaction_id,
            "reason": f"continues call {record.call_id} from the link sent by SMS",
        }

    async def _route(self, facts: dict[str, Any]) -> bool:
        if self.router is None:
            log.warning("chat %s not routed: no router", facts["call_id"])
            return False
        try:
            await self.router.queue_call(facts)
        except Exception:  # an unknown service, the router closing: the chat is still kept
            log.exception("routing chat %s failed", facts["call_id"])
            return False
        return True

    def _view(
        self,
        record: ResumeTokenRecord,
        journey: JourneyRecord,
        session: str,
        *,
        opened: bool,
        routed: bool | None,
    ) -> dict[str, Any]:
        """What the customer's page shows: what the call was about and what we know."""
        collected = [
            {"field": name, "label": name.replace("_", " "), "value": shown(name, value)}
            for name, value in journey.inputs.items()
            if not name.startswith("_") and name != "channel_switch"
        ]
        return {
            "chat_id": record.chat_id,
            "session": session,
            "opened": opened,
            "routed": routed,
            "context": {
                "call_id": record.call_id,
                "intent": record.intent,
                "topic": record.route.get("topic"),
                "service": record.service,
                "stopped_at": journey.stopped_at,
                "collected": collected,
                "started_at": journey.started_at.isoformat(),
            },
        }
