"""Routing benchmark: agent-driven decisions against the real Redis, 1 and N router processes.

    .venv/bin/python bench/routing.py [--agents 5000] [--contacts 20000] [--services 50]
        [--decisions 20000] [--processes 1 4] [--k 4] [--concurrency 1]
        [--redis-url redis://127.0.0.1:6379/0]

The issue's run is ``--decisions 100000`` (the default is smaller to keep a 2-core box
usable; the population sizes are the issue's).

Population: ``--services`` services, each requiring one skill (every fifth a second one) at
a level of 1-5, relaxing to level 1 after 30 s; agents with 1-8 random skills at levels
1-10, members of every service whose skills they have; ``--contacts`` waiting contacts
spread over the services, entered within the last 5 minutes, some VIP, some with priority.
Every agent starts not ready.

Each router process loops: pick a random agent and do what the router does when an agent
becomes ready (``--decide lua``, the default: ``routing.service.per_event.for_agent``): in
one script (:meth:`RedisState.ready_and_offer`) make them ready, choose the best waiting
contact of their services by ``routing.core``'s rule and reserve it atomically, then build
the decision's trace ("why this agent") from what the script passed over. ``--decide
python`` is the in-process store's path run over Redis: make them ready and read the first
``--k`` contacts of their services' waiting lists (one script), let ``routing.core`` choose
(``offer_for_agent`` reads further when an unread contact might outrank the choice), reserve
(another script). Scripts go over the store's :class:`routing.state.lane.ScriptLane` (one
pipelined connection per process). That span, "agent ready" to "contact reserved", trace
included, is the decision latency. Then the agent answers, the call ends (the agent is in
wrap-up until picked again) and a new caller arrives, so the population stays the same for
the whole run; these three are written with the next decision (one write, run by Redis
before it, so its latency pays for them) and inside the wall time. Processes pick agents at
random from one pool and race for the same contacts. ``cpu_ms`` is the router processes' CPU
per decision, and ``redis_cpu_ms`` the Redis server's (every client's work, not only the
bench's).

Double assignments are counted independently of the store's own checks: every reservation
and every call end carries a number from the store's one shared sequence, and the events of
all processes are replayed in that order; an agent reserved while holding a contact, or a
contact reserved twice, is a double assignment.

The last line printed is one JSON object for the largest process count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import random
import secrets
import statistics
import sys
import time
import traceback
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/routing.py
sys.path.insert(0, str(ROOT))  # is not the routing package

from routing.core.model import Agent, AgentState, Contact, RelaxStep, Service  # noqa: E402
from routing.core.relax import RequirementCache  # noqa: E402
from routing.service.per_event import for_agent  # noqa: E402
from routing.state import RedisState, Reservation, TransitionError  # noqa: E402
from routing.state.offer import offer_for_agent  # noqa: E402

NOT_READY = AgentState.NOT_READY
# fmt: off
COLUMNS = ["processes", "decisions", "wall_s", "decisions_per_s", "p50_ms", "p99_ms", "max_ms",
           "busy_picks", "no_match", "retries", "double_assignments", "cpu_ms", "redis_cpu_ms"]
# fmt: on
Event = tuple[int, str, str, str]  # (seq, "R" reserve | "E" end, agent, contact)


@dataclass(frozen=True)
class Population:
    services: dict[str, Service]
    agents: list[Agent]
    contacts: list[Contact]


def build_population(n_agents: int, n_contacts: int, n_services: int, seed: int) -> Population:
    rng = random.Random(seed)
    skills = [f"s{i}" for i in range(n_services)]
    services: dict[str, Service] = {}
    for i in range(n_services):
        requires = {skills[i]: rng.randint(1, 5)}
        if i % 5 == 0 and n_services > 1:
            requires[skills[(i + 1) % n_services]] = 2
        services[f"q{i}"] = Service(
            f"q{i}",
            requires=requires,
            priority=rng.choice([0, 0, 0, 1]),
            wrap_up_s=10.0,
            relax=(RelaxStep(after_s=30.0, set=dict.fromkeys(requires, 1)),),
        )
    agents = []
    for i in range(n_agents):
        own = {
            s: rng.randint(1, 10) for s in rng.sample(skills, rng.randint(1, min(8, len(skills))))
        }
        member = frozenset(n for n, s in services.items() if set(s.requires) <= set(own))
        agents.append(Agent(f"a{i}", own, NOT_READY, member, not_ready_reason="bench"))
    now = time.time()
    contacts = [
        new_contact(f"c{i}", services, rng, now - rng.uniform(0, 300)) for i in range(n_contacts)
    ]
    return Population(services, agents, contacts)


def new_contact(cid: str, services: dict[str, Service], rng: random.Random, at: float) -> Contact:
    return Contact(
        cid,
        rng.choice(list(services)),
        entered_at=at,
        customer_id=f"k{rng.randrange(50_000)}",
        vip=rng.random() < 0.05,
        priority=rng.choice([0, 0, 0, 0, 1, 2]),
    )


async def load(url: str, prefix: str, population: Population) -> None:
    store = RedisState.from_url(url, population.services, prefix=prefix, max_connections=16)
    try:
        await store.clear()
        for batch in _batches(population.agents, 500):
            await asyncio.gather(*(store.put_agent(a) for a in batch))
        for batch in _batches(population.contacts, 500):
            await asyncio.gather(*(store.enqueue(c) for c in batch))
    finally:
        await store.close()


def _batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Options:
    k: int = 4  # heads read per waiting list at first
    concurrency: int = 1  # decision loops per process
    decide: str = "lua"  # "lua": one script decides and reserves; "python": routing.core


@dataclass
class WorkerResult:
    decisions: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    busy: int = 0  # the picked agent was held by another process
    no_match: int = 0  # nothing fitted the agent, or another process took the agent first
    retries: int = 0  # reservations refused because another process took the contact first
    events: list[Event] = field(default_factory=list)
    cpu_s: float = 0.0  # the process's CPU time over its decision loops


async def _work(
    wid: int, quota: int, url: str, prefix: str, population: Population, opts: Options, start: Any
) -> WorkerResult:
    store = RedisState.from_url(url, population.services, prefix=prefix, max_connections=8)
    cache = RequirementCache(store.services)
    rng = random.Random(1000 + wid)
    ids = [a.id for a in population.agents]
    out = WorkerResult()
    serial = iter(range(10**9))
    await store.get_agent(ids[0])  # connect before the clock starts

    async def decide() -> Reservation | None:
        aid = rng.choice(ids)
        t0 = time.perf_counter()
        try:
            if opts.decide == "lua":
                offer = await for_agent(store, aid, ttl_s=60.0, cache=cache)
                r, attempts = (None, 1) if offer is None else (offer.reservation, 1)
            else:
                r, attempts = await _python_decides(store, aid, cache, opts.k)
        except TransitionError:
            out.busy += 1
            return None
        elapsed = (time.perf_counter() - t0) * 1000.0
        if r is None:
            out.no_match += 1
            with contextlib.suppress(TransitionError):  # another process reserved them
                await store.set_agent_state(aid, NOT_READY, "bench")
            return None
        out.decisions += 1
        out.retries += attempts - 1
        out.latencies_ms.append(elapsed)
        out.events.append((r.token, "R", r.agent_id, r.contact_id))
        return r

    async def ended(r: Reservation) -> None:
        removed = await store.remove_contact(r.contact_id)
        assert removed is not None
        out.events.append((removed.seq, "E", r.agent_id, r.contact_id))

    def finish(r: Reservation) -> list[Coroutine[Any, Any, Any]]:
        """The agent answers, the caller hangs up, a new caller arrives."""
        arrival = new_contact(f"w{wid}-{next(serial)}", population.services, rng, time.time())
        return [store.confirm(r.contact_id, token=r.token), ended(r), store.enqueue(arrival)]

    async def loop() -> None:
        # The last call's answer, hang-up and new caller are issued in the same turn as the
        # next decision: one write, run by Redis in this order (the lane keeps it), so
        # the decision's latency includes Redis running them first.
        pending: list[Coroutine[Any, Any, Any]] = []
        while out.decisions < quota:
            *_, r = await asyncio.gather(*pending, decide())
            pending = finish(r) if r is not None else []
        await asyncio.gather(*pending)

    await asyncio.to_thread(start.wait)
    cpu0 = time.process_time()
    try:
        await asyncio.gather(*(loop() for _ in range(opts.concurrency)))
    finally:
        out.cpu_s = time.process_time() - cpu0
        await store.close()
    return out


async def _python_decides(
    store: RedisState, aid: str, cache: RequirementCache, k: int
) -> tuple[Reservation | None, int]:
    """The agent goes READY and reads the heads (one script), ``routing.core`` chooses in
    Python, the store reserves (another script)."""
    view, heads = await store.agent_ready(aid, k)
    offer = await offer_for_agent(store, view.agent, ttl_s=60.0, cache=cache, k=k, heads=heads)
    return (None, 1) if offer is None else (offer.reservation, offer.attempts)


def _worker(
    wid: int,
    quota: int,
    url: str,
    prefix: str,
    population: Population,
    opts: Options,
    start: Any,
    results: Any,
) -> None:
    try:
        results.put((wid, asyncio.run(_work(wid, quota, url, prefix, population, opts, start))))
    except BaseException:
        results.put((wid, traceback.format_exc()))
        raise


def count_double_assignments(events: Iterable[Event]) -> int:
    """Replay reservations and call ends in sequence order: an agent reserved while holding
    a contact, or a contact reserved a second time, is a double assignment."""
    holding: dict[str, str] = {}
    reserved: set[str] = set()
    doubles = 0
    for _, kind, agent_id, contact_id in sorted(events):
        if kind == "R":
            if agent_id in holding or contact_id in reserved:
                doubles += 1
            holding[agent_id] = contact_id
            reserved.add(contact_id)
        elif holding.get(agent_id) == contact_id:
            del holding[agent_id]
    return doubles


def run(
    url: str, population: Population, processes: int, decisions: int, opts: Options
) -> dict[str, Any]:
    prefix = f"omnivox:bench:{secrets.token_hex(4)}:"
    asyncio.run(load(url, prefix, population))
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    quotas = [decisions // processes + (i < decisions % processes) for i in range(processes)]
    procs = [
        ctx.Process(target=_worker, args=(i, q, url, prefix, population, opts, start, results))
        for i, q in enumerate(quotas)
    ]
    for p in procs:
        p.start()
    redis_cpu0 = redis_cpu_s(url)
    start.wait(timeout=300)  # every process connected (a failed one breaks the barrier)
    t0 = time.perf_counter()
    collected = [results.get() for _ in procs]
    wall = time.perf_counter() - t0
    redis_cpu = redis_cpu_s(url) - redis_cpu0
    for p in procs:
        p.join()
    asyncio.run(_drop(url, population, prefix))
    failed = [r for _, r in collected if isinstance(r, str)]
    if failed:
        raise RuntimeError("a router process failed:\n" + failed[0])
    parts = [r for _, r in collected if isinstance(r, WorkerResult)]
    latencies = sorted(x for r in parts for x in r.latencies_ms)
    made = sum(r.decisions for r in parts)
    return {
        "agents": len(population.agents),
        "contacts": len(population.contacts),
        "services": len(population.services),
        "processes": processes,
        "decisions": made,
        "wall_s": round(wall, 2),
        "decisions_per_s": round(made / wall, 1),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 3),
        "max_ms": round(latencies[-1], 3),
        "busy_picks": sum(r.busy for r in parts),
        "no_match": sum(r.no_match for r in parts),
        "retries": sum(r.retries for r in parts),
        "double_assignments": count_double_assignments(e for r in parts for e in r.events),
        # CPU per decision over the whole loop (the answer, hang-up and new caller included)
        "cpu_ms": round(sum(r.cpu_s for r in parts) * 1000.0 / made, 3),
        "redis_cpu_ms": round(redis_cpu * 1000.0 / made, 3),  # the whole server's
        "k": opts.k,
        "concurrency": opts.concurrency,
        "decide": opts.decide,
    }


def redis_cpu_s(url: str) -> float:
    """The Redis server's CPU time so far (user + system, every client's work)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        info = client.info("cpu")
    finally:
        client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def _drop(url: str, population: Population, prefix: str) -> None:
    store = RedisState.from_url(url, population.services, prefix=prefix)
    try:
        await store.clear()
    finally:
        await store.close()


def table(rows: Sequence[dict[str, Any]]) -> str:
    cols = [*COLUMNS]
    width = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    lines = ["  ".join(c.rjust(w) for c, w in zip(cols, width, strict=True))]
    for r in rows:
        lines.append("  ".join(str(r[c]).rjust(w) for c, w in zip(cols, width, strict=True)))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--k", type=int, default=4, help="heads read per list (python)")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="decision loops per router process"
    )
    parser.add_argument(
        "--decide",
        choices=["lua", "python"],
        default="lua",
        help="lua: the router's path, one script decides and reserves; python: routing.core "
        "decides between two scripts",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    population = build_population(args.agents, args.contacts, args.services, args.seed)
    members = [len(a.services) for a in population.agents]
    print(
        f"{args.agents} agents (services each: mean {statistics.mean(members):.1f}), "
        f"{args.contacts} contacts, {args.services} services, "
        f"{args.decisions} decisions per run; built in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    rows = []
    for n in args.processes:
        opts = Options(k=args.k, concurrency=args.concurrency, decide=args.decide)
        rows.append(run(args.redis_url, population, n, args.decisions, opts))
        print(f"  {n} process(es): {rows[-1]['decisions_per_s']} decisions/s", flush=True)
    print(table(rows))
    print(json.dumps(max(rows, key=lambda r: r["processes"])))
    return 0 if all(r["double_assignments"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
