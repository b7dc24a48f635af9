"""Screen-pop benchmark: reservation -> pop rendered in a real browser, and timeline queries.

    .venv/bin/python bench/screenpop.py [--interactions 1000000] [--pops 200] [--agents 200]

A dedicated PostgreSQL database (``omnivox_bench_<random>`` on 127.0.0.1:5432, user postgres,
dropped at the end) is migrated and filled by COPY: ``--customers`` customers sharing
``--interactions`` interactions on every channel, one of them (the caller) holding ``--hot``
(1,000) of them, and ``--agents`` agents.

Pop latency: two desktop instances share one Redis (``--no-redis``: one in-process instance).
One agent signs in to headless Chromium on instance B; the other agents hold plain websockets
spread over both instances and acknowledge their pops. For each measured pop the clock starts
at the router's reservation (the moment ``routing.offered`` fires), then the pop is built from
the store (customer card, the first timeline page of the 1,000, journey, trace) and pushed
through instance A; it stops when instance B receives the browser's acknowledgement, which the
page sends once the pop is in the DOM. Meanwhile ``--background`` pops per measured one go to
other agents. Timeline latency: ``store.timeline(customer, limit=50)`` for random customers and
the hot one, sequentially, after a warm-up.

The last line printed is one JSON object: pop_p50_ms, pop_p99_ms, timeline_p99_ms, interactions...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import shutil
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, TCPConnector, WSMsgType, web  # noqa: E402

from bench.screenpop_seed import PASSWORD, bench_database, log, seed  # noqa: E402
from customers.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from customers.store import CustomerStore  # noqa: E402
from omnivox import desktop  # noqa: E402
from omnivox.auth import Sessions  # noqa: E402
from omnivox.desktop import AgentCache, MemoryPresence, PopHub, build_pop  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = secrets.token_bytes(32)
DECISION = {
    "why": "billing: chosen — fit +0, idle 42 s; rejected 3 busy",
    "trace": {
        "service": "billing",
        "target_service": "billing",
        "step_reasons": [],
        "requirements": [{"skill": "billing", "level": 5}],
        "agent_score": {"affinity": 0.0, "fit_excess": 0.0, "idle_s": 42.0},
        "runner_up": "2",
        "candidates": 12,
        "rejections": [],
        "rejected_by_reason": {"busy": 3},
    },
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


# --- timeline queries ---------------------------------------------------------------------------


async def timeline_latency(store: CustomerStore, data: dict[str, Any], queries: int) -> dict:
    rng = random.Random(11)
    first, last = data["customers"]
    for _ in range(50):  # warm the pool and the plan cache
        await store.timeline(rng.randint(first, last), limit=50)
    every, hot = [], []
    for n in range(queries):
        customer = data["hot"] if n % 10 == 0 else rng.randint(first, last)
        t0 = time.perf_counter()
        page = await store.timeline(customer, limit=50)
        ms = (time.perf_counter() - t0) * 1000
        every.append(ms)
        if customer == data["hot"]:
            hot.append(ms)
            assert len(page.items) == 50 and page.next_cursor is not None
    return {
        "timeline_p50_ms": round(pct(every, 50), 2),
        "timeline_p99_ms": round(pct(every, 99), 2),
        "timeline_hot_p99_ms": round(pct(hot, 99), 2),
        "timeline_queries": len(every),
    }


# --- pops ---------------------------------------------------------------------------------------


class TimedHub(PopHub):
    """A hub that tells the benchmark when a pop it waits for is acknowledged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: dict[str, asyncio.Future[float]] = {}

    async def ack(self, agent_id: int, pop_id: str) -> bool:
        future = self.waiting.pop(str(pop_id), None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return await super().ack(agent_id, pop_id)


async def start_instance(store: CustomerStore, redis: Any, prefix: str) -> tuple[Any, ...]:
    app = web.Application()
    hub = TimedHub(redis, prefix=prefix + "desktop:")
    sessions: Sessions = desktop.setup(
        app, store=store, hub=hub, presence=MemoryPresence(), secret=SECRET, redis=redis,
        redis_prefix=prefix,
    )  # fmt: skip
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, hub, sessions, f"http://127.0.0.1:{port}"


async def plain_agent(session: ClientSession, url: str, token: str, ready: asyncio.Event) -> None:
    """One of the other agents: a websocket that acknowledges every pop."""
    async with session.ws_connect(
        url.replace("http", "ws") + "/ws/agent", headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        ready.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data.get("type") == "pop":
                await ws.send_json({"type": "ack", "id": data["pop"]["id"], "agent": data["agent"]})


def contact(call_id: str, customer: int, journey: int | None) -> dict[str, Any]:
    return {
        "call_id": call_id, "journey_id": journey, "customer_id": customer,
        "caller": "+14155550100", "service": "billing", "skills": ["billing"], "priority": 5,
        "intent": "billing", "language": "en", "entered_at": datetime.now(UTC).isoformat(),
        "waited_s": 11.0, "kind": "call",
    }  # fmt: skip


async def other_pop(
    store: CustomerStore,
    hub: PopHub,
    rng: random.Random,
    others: list[int],
    customers: tuple[int, int],
    n: int,
    k: int,
    cache: AgentCache,
) -> None:
    """Load beside the measured pop: another agent's reservation, built and pushed."""
    customer = rng.randint(*customers)
    pop = await build_pop(
        store, contact=contact(f"bg-{n}-{k}", customer, None), trace=DECISION, agents=cache
    )
    await hub.push(rng.choice(others), pop)


async def pop_latency(store: CustomerStore, data: dict[str, Any], args: argparse.Namespace) -> dict:
    from playwright.async_api import async_playwright

    redis = None
    if not args.no_redis:
        import redis.asyncio as aioredis

        redis = aioredis.from_url(REDIS_URL)
    prefix = f"omnivox:screenpop:{secrets.token_hex(4)}:"
    instances = [await start_instance(store, redis, prefix)]
    if redis is not None:
        instances.append(await start_instance(store, redis, prefix))
    push_hub, watch = instances[0][1], instances[-1]
    _, watch_hub, _, watch_url = watch
    agents: list[int] = data["agents"]
    me, others = agents[0], agents[1 : args.agents]
    rng = random.Random(3)
    first, last = data["customers"]
    lat, build, deliver, tasks = [], [], [], []
    cache = AgentCache(store)  # one per process, as the bus listener keeps it
    try:
        # no connection limit: each agent's websocket holds one for the whole run
        connector = TCPConnector(limit=0)
        async with ClientSession(connector=connector) as session, async_playwright() as pw:
            for n, agent in enumerate(others):
                _, _, sessions, url = instances[n % len(instances)]
                token, _ = sessions.signer.issue(
                    agent, f"a{agents.index(agent):03d}", "agent", None
                )
                ready = asyncio.Event()
                tasks.append(asyncio.create_task(plain_agent(session, url, token, ready)))
                await ready.wait()
            browser = await pw.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking"],
            )  # fmt: skip
            page = await browser.new_page(viewport={"width": 1440, "height": 960})
            await page.goto(watch_url + "/")
            await page.fill("#login", "a000")
            await page.fill("#password", PASSWORD)
            await page.click("#signin-submit")
            await page.wait_for_url("**/desktop")
            await page.wait_for_selector("#conn[data-conn=up]")
            log(f"  {len(others)} websocket agents + 1 browser agent connected")
            for n in range(args.warmup + args.pops):
                background = [
                    asyncio.create_task(
                        other_pop(store, push_hub, rng, others, (first, last), n, k, cache)
                    )
                    for k in range(args.background)
                ]
                pop_id = f"bench-{n}"
                arrived = asyncio.get_running_loop().create_future()
                watch_hub.waiting[pop_id] = arrived
                t0 = time.perf_counter()  # the reservation
                pop = await build_pop(
                    store, contact=contact(pop_id, data["hot"], data["journey"]),
                    trace=DECISION, agent_id=me, agents=cache,
                )  # fmt: skip
                built = time.perf_counter()
                await push_hub.push(me, pop | {"id": pop_id})
                t1 = await asyncio.wait_for(arrived, 10)
                if n >= args.warmup:
                    lat.append((t1 - t0) * 1000)
                    build.append((built - t0) * 1000)
                    deliver.append((t1 - built) * 1000)
                await asyncio.gather(*background)
                await asyncio.sleep(args.gap_ms / 1000)
            items = await page.locator("#timeline .tl-item").count()
            assert items == 50, items
            await browser.close()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for runner, *_ in instances:
            await runner.cleanup()
        if redis is not None:
            keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
    return {
        "pop_p50_ms": round(pct(lat, 50), 2),
        "pop_p99_ms": round(pct(lat, 99), 2),
        "pop_max_ms": round(max(lat), 2),
        "pop_build_p50_ms": round(statistics.median(build), 2),
        "pop_build_p99_ms": round(pct(build, 99), 2),
        "pop_deliver_p50_ms": round(statistics.median(deliver), 2),
        "pop_deliver_p99_ms": round(pct(deliver, 99), 2),
        "pops": len(lat),
        "agents_connected": len(others) + 1,
        "instances": len(instances),
        "redis": redis is not None,
        "background_pops_per_pop": args.background,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with bench_database(args.keep_db) as db:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
        await migrate(url)
        engine = make_engine(url)
        try:
            store = CustomerStore(make_sessionmaker(engine))
            log(f"seeding {db}: {args.interactions:,} interactions, {args.customers:,} customers")
            data = await seed(db, args, store)
            log(f"  seeded in {data['seed_s']} s; timeline index used: {data['index_used']}")
            timeline = await timeline_latency(store, data, args.queries)
            log(f"  timeline: {timeline}")
            pops = await pop_latency(store, data, args)
        finally:
            await engine.dispose()
    return {
        **pops,
        **timeline,
        "interactions": data["interactions"],
        "hot_customer_interactions": args.hot,
        "timeline_index_used": data["index_used"],
        "seed_s": data["seed_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--hot", type=int, default=1000, help="interactions of the caller")
    parser.add_argument("--agents", type=int, default=200, help="connected agents (1 browser)")
    parser.add_argument("--pops", type=int, default=200, help="measured pops")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--background", type=int, default=1, help="pops to others per pop")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="pause between pops")
    parser.add_argument("--queries", type=int, default=2000, help="timeline queries")
    parser.add_argument("--no-redis", action="store_true", help="one in-process instance")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if args.hot > args.interactions or args.agents < 2:
        parser.error("--hot must be <= --interactions and --agents >= 2")
    try:
        result = asyncio.run(run_until_signal(args))
    except asyncio.CancelledError:
        sys.exit("screenpop: interrupted; the benchmark database was dropped")
    print(json.dumps(result), flush=True)


async def run_until_signal(args: argparse.Namespace) -> dict[str, Any]:
    """``run`` with SIGTERM/SIGINT turned into cancellation, so the database is dropped."""
    task = asyncio.create_task(run(args))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    return await task


if __name__ == "__main__":
    main()
