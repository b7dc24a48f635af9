"""Chat latency: how long an agent's reply takes to reach the customer's page, and a
customer's message the agent's desktop, with many other chats open at the same time.

    .venv/bin/python bench/chat.py [--chats 200] [--messages 50] [--database URL]

One omnivox app (API, desktop, chat) on a real port with a real router (in-process state),
over SQLite in a temporary directory unless ``--database`` names another (migrated) one.
``--chats`` customers open a chat and keep its event stream open (each polls the store every
``POLL_S`` while idle); one of them is offered to an agent, who signs in with a websocket.
Then ``--messages`` times: the agent POSTs a reply and the clock stops when that customer's
stream delivers it ("reply"); the customer POSTs and the clock stops when the agent's socket
delivers it ("customer"). Client and server share one event loop, so the numbers include the
client's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from customers.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from customers.store import CustomerStore  # noqa: E402
from ivr.scenario import ScenarioSet  # noqa: E402
from tests.desktop_helpers import make_agent, next_of  # noqa: E402
from tests.switch_helpers import chat_world, next_event, sse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    p50 = statistics.median(ms)
    return f"{name:9s} n={len(ms)} p50={p50:.1f} ms p95={p95:.1f} ms max={ms[-1]:.1f} ms"


async def run(chats: int, messages: int, url: str) -> None:
    await migrate(url)
    engine = make_engine(url)
    store = CustomerStore(make_sessionmaker(engine))
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    assert not problems, problems
    async with chat_world(store, scenarios) as world, aiohttp.ClientSession() as http:
        ann = await make_agent(store, "ann", skills={"billing": 7})
        await world.router.add_agent(ann)
        streams = []
        for n in range(chats):
            customer = await store.create_customer(
                f"C{n}", identities=[("phone", f"+1415556{n:04d}")]
            )
            token = await world.link(customer.id, call_id=f"call-{n}")
            opened = await world.open(token)
            reply = await http.get(
                world.url(f"/api/continuations/{token}/events?session={opened['session']}")
            )
            streams.append((token, opened, reply, sse(reply)))
        token, opened, _, events = streams[0]
        headers = await world.sign_in("ann")
        socket = await http.ws_connect(world.url("/ws/agent"), headers=headers)
        await world.router.set_state(ann.id, "ready")  # the first chat is offered to Ann
        await next_of(socket, "pop")
        chat_url = world.url(f"/desktop/chats/{opened['chat_id']}/messages")
        customer_url = world.url(f"/api/continuations/{token}/messages")
        replies, writes = [], []
        for i in range(messages):
            start = time.perf_counter()
            async with http.post(chat_url, json={"text": f"reply {i}"}, headers=headers) as r:
                assert r.status == 201
            while (await next_event(events, "message"))["text"] != f"reply {i}":
                pass
            replies.append(time.perf_counter() - start)
            start = time.perf_counter()
            body = {"text": f"question {i}", "session": opened["session"]}
            async with http.post(customer_url, json=body) as r:
                assert r.status == 201
            while (await next_of(socket, "chat_message"))["message"]["text"] != f"question {i}":
                pass
            writes.append(time.perf_counter() - start)
        print(f"{chats} open chats, {messages} messages each way, {url.split(':')[0]}")
        print(_summary("reply", replies))
        print(_summary("customer", writes))
        await socket.close()
        for _, _, reply, _ in streams:
            reply.close()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
        asyncio.run(run(args.chats, args.messages, url))


if __name__ == "__main__":
    main()
