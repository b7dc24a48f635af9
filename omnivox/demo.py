"""``omnivox demo``: the server on the embedded default, and a few callers it recognises.

No Asterisk is needed: each caller is a scripted Asterisk speaking FastAGI to the real server
over TCP (:mod:`ivr.fastagi.client`). The demo prints what each caller heard and where their
call went, read back from the store the server wrote.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TextIO

from customers.records import JourneyRecord
from customers.store import CustomerStore
from ivr.fastagi.client import FakeCall, Responder, presses_on_hearing
from omnivox.config import Settings
from omnivox.server import OmnivoxServer


@dataclass(frozen=True)
class DemoCaller:
    """Who calls, what they are like in the store, and how they behave on the line."""

    title: str
    phone: str
    digits: str  # the digit script (``.`` is silence)
    responder: Responder | None = None
    hangup_at: str | None = None


MOSCOW = timezone(timedelta(hours=3), "MSK")  # the telecom scenario's hours are in Moscow


def demo_time(now: datetime) -> datetime:
    """``now`` mapped into 09:00-20:00 Moscow of the same day, when the telecom line is open.

    The day's 24 hours are squeezed into those 11, so the demo clock is monotonic across runs
    (later journeys stay later, which resuming relies on) whatever time you run the demo.
    """
    local = now.astimezone(MOSCOW)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    squeezed = (local - midnight) * (11 / 24)
    return (midnight + timedelta(hours=9) + squeezed).astimezone(UTC)


def demo_clock() -> Callable[[], datetime]:
    return lambda: demo_time(datetime.now(UTC))


async def seed(store: CustomerStore, now: datetime) -> None:
    """Ann pays her cable bill by phone every month; Boris has TV trouble and speaks Russian."""
    if await store.find_by_identity("phone", "+14155550101") is None:
        ann = await store.create_customer(
            "Ann Example", segment="residential", identities=[("phone", "+14155550101")]
        )
        for days, channel in ((3, "voice"), (12, "email"), (33, "voice"), (40, "chat")):
            await store.record_interaction(
                ann.id, channel, "in", occurred_at=now - timedelta(days=days), intent="billing"
            )
        await store.record_interaction(
            ann.id,
            "outbound",
            "out",
            occurred_at=now - timedelta(days=1),
            intent="billing",
            topic="Your new bill is ready",
        )
        await store.save_profile_data(ann.id, "account_number", "20481632", "web")
    if await store.find_by_identity("phone", "+14155550102") is None:
        boris = await store.create_customer(
            "Boris Example", language="ru", identities=[("phone", "+14155550102")]
        )
        for days, channel in ((5, "voice"), (6, "messenger"), (30, "sms")):
            await store.record_interaction(
                boris.id,
                channel,
                "in",
                occurred_at=now - timedelta(days=days),
                intent="tv_support",
                open=days == 5,
            )
        await store.save_profile_data(boris.id, "account_number", "55501234", "voice")


async def new_number(store: CustomerStore) -> str:
    """A number the store has never seen (so the first-time caller is one, run after run)."""
    for _ in range(100):
        phone = f"+1415555{secrets.randbelow(8000) + 2000:04d}"
        if await store.find_by_identity("phone", phone) is None:
            return phone
    raise RuntimeError("no unused demo number left")


def callers(first_timer: str) -> tuple[DemoCaller, ...]:
    return (
        DemoCaller("Ann (pays her bill by phone)", "+14155550101", "1.", presses_on_hearing("1")),
        DemoCaller(
            "A first-time caller, billing", first_timer, "55556666#.", presses_on_hearing("6")
        ),
        DemoCaller("Boris (TV trouble, Russian)", "+14155550102", "1", presses_on_hearing("1")),
        DemoCaller(
            "Carol hangs up at the account question", "+14155550103", "6", None, "WAIT FOR DIGIT"
        ),
        DemoCaller("Carol calls back", "+14155550103", "12345678#."),
    )


DEMO_AGENTS = (
    ("dana", "Dana (billing 8)", "PJSIP/1001", {"billing": 8, "general": 3}),
    (
        "ivan",
        "Ivan (TV 7, internet 6, Russian)",
        "PJSIP/1002",
        {"tv": 7, "internet": 6, "lang_ru": 8},
    ),
)


async def seat_agents(server: OmnivoxServer) -> None:
    """Two agents at their desks, ready (created in the store on the first run)."""
    assert server.store is not None and server.router is not None
    for login, name, endpoint, skills in DEMO_AGENTS:
        record = await server.store.get_agent(login)
        if record is None:
            record = await server.store.create_agent(login, name, endpoint, skills=skills)
        await server.router.add_agent(record)
        await server.router.set_state(record.id, "ready")


async def routed(server: OmnivoxServer, call_id: str) -> list[str]:
    """What the router did with the call: the agent offered and why, or still waiting."""
    if server.router is None:
        return []
    for topic, payload in server.bus.recent:
        if topic == "routing.offered" and payload["id"] == call_id:
            agent = await server.router.get_state(payload["agent"])
            return [f"  router: offered to {agent['name']}: {payload['why']['why']}"]
    waiting = await server.router.state.get_contact(call_id)
    if waiting is not None:
        service = waiting.contact.service
        return [f"  router: waiting in {service} (no free agent with the skills)"]
    return []


def describe(journey: JourneyRecord | None) -> list[str]:
    """A few lines: what the caller heard first, what they pressed, how it ended."""
    if journey is None:
        return ["  (no journey stored)"]
    lines = []
    for menu in journey.menus:
        order = ", ".join(f"{o['key']}={o.get('intent') or o['option']}" for o in menu["order"])
        lines.append(f"  menu {menu['node']}: {order}")
        reasons = menu.get("reasons") or {}
        for intent in menu.get("promoted") or ():
            lines.append(f"    {intent} moved up: {reasons.get(intent, '')}")
    resumed = [s for s in journey.path if s["detail"].get("result") == "resume"]
    if resumed:
        lines.append(f"  resumed at {resumed[0]['node']} (an unfinished call a moment ago)")
    pressed = [f"{s['node']}:{s['input']}" for s in journey.path if s["input"] is not None]
    lines.append(f"  pressed: {' '.join(pressed) or '-'}")
    prefilled = [
        f"{name} from {item['source']}"
        for name, item in journey.inputs.items()
        if isinstance(item, dict) and item.get("source") != "voice"
    ]
    if prefilled:
        lines.append(f"  not asked again: {', '.join(prefilled)}")
    where = f" -> queue {journey.service}" if journey.service else ""
    lines.append(f"  outcome: {journey.status} at {journey.stopped_at}{where}")
    return lines


def _get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - our own port
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


async def run_demo(settings: Settings, *, linger: bool = False, out: TextIO = sys.stdout) -> int:
    """Start the server, place the demo calls, print what happened; 0 if every call went
    through the IVR, 1 otherwise."""
    clock = demo_clock()
    async with OmnivoxServer(settings, clock=clock) as server:
        assert server.store is not None and server.fastagi is not None
        host, port = settings.fastagi_bind.host, server.fastagi.port
        http = f"http://{settings.http_bind.host}:{server.http_port}"
        print(f"Omnivox demo: FastAGI {host}:{port}, HTTP {http}", file=out)
        status, body = await asyncio.to_thread(_get_json, f"{http}/healthz")
        deps = ", ".join(f"{k} {v['state']}" for k, v in body.get("dependencies", {}).items())
        print(f"GET /healthz -> {status} ({deps})\n", file=out)
        await seed(server.store, clock())
        if server.router is not None:
            await seat_agents(server)
        failures = 0
        calls = callers(await new_number(server.store))
        for caller in calls:
            call = FakeCall(
                host,
                port,
                script="telecom",
                callerid=caller.phone,
                digits=caller.digits,
                responder=caller.responder,
                hangup_at=caller.hangup_at,
            )
            await call.connect()
            await call.run()
            journey = await server.store.get_journey(call.env["agi_uniqueid"])
            print(f"{caller.title} ({caller.phone})", file=out)
            for line in describe(journey):
                print(line, file=out)
            for line in await routed(server, call.env["agi_uniqueid"]):
                print(line, file=out)
            print(file=out)
            failures += journey is None or call.variables.get("OMNIVOX_STATUS") == "FAILED"
        print(f"{len(calls)} calls; database {settings.database_url}", file=out)
        print(
            "No Asterisk here: offers stay pending. With AMI configured, the router redirects"
            " the caller and the agent's phone rings.",
            file=out,
        )
        if linger:
            print("serving until Ctrl-C", file=out)
            await asyncio.Event().wait()
    return 1 if failures else 0
