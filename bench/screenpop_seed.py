"""Seeding for bench/screenpop.py: a dedicated PostgreSQL database filled by COPY with
customers, agents and interactions on every channel (one hot customer holding many)."""

from __future__ import annotations

import argparse
import contextlib
import random
import secrets
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from customers.store import CustomerStore
from omnivox.auth import Cost, hash_password

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_DSN = "postgresql://postgres@127.0.0.1:5432/{db}"
PASSWORD = "bench-password"
CHANNELS = ["voice", "email", "chat", "sms", "messenger", "social", "web", "outbound"]
WEIGHTS = [30, 20, 18, 10, 8, 5, 5, 4]
INTENTS = ["billing", "tv", "internet", "mobile", "moving", "cancel", None]
TOPICS = ["invoice question", "roaming charge", "router reset", "speed test", "new contract",
          "address change", "payment plan", "outage", "upgrade offer", "complaint"]  # fmt: skip
OUTCOMES = ["resolved", "unresolved", "transferred", "abandoned", None]
MENU = {
    "node": "main",
    "mode": "personalised",
    "order": [
        {"key": "1", "option": "6", "intent": "billing", "promoted": True},
        {"key": "2", "option": "1", "intent": "tv", "promoted": False},
    ],
    "promoted": ["billing"],
    "reasons": {"billing": "12 billing contacts in the last 90 days"},
}


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- the database -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bench_database(keep: bool) -> AsyncIterator[str]:
    name = f"omnivox_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield name
    finally:
        if keep:
            log(f"kept database {name}")
        else:
            admin = await asyncpg.connect(PG_ADMIN)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def interaction_rows(
    rng: random.Random,
    count: int,
    customers: tuple[int, int],
    agents: list[int],
    now: datetime,
    hot: int | None = None,
) -> Iterator[tuple[Any, ...]]:
    first, last = customers
    for n in range(count):
        channel = rng.choices(CHANNELS, WEIGHTS)[0]
        topic = rng.choice(TOPICS)
        when = now - timedelta(seconds=rng.randrange(1, 730 * 86_400))
        agent = rng.choice(agents) if channel in ("voice", "chat") and rng.random() < 0.7 else None
        customer = hot if hot is not None else rng.randint(first, last)
        yield (
            customer,
            channel,
            "out" if channel == "outbound" or rng.random() < 0.15 else "in",
            when,
            rng.choice(INTENTS),
            topic,
            f"{topic} via {channel}: customer asked about item {n % 97}; notes kept short.",
            rng.choice(OUTCOMES),
            rng.random() < 0.03,
            agent,
            None,
            "{}",
            None,
            when,
        )


INTERACTION_COLUMNS = [
    "customer_id", "channel", "direction", "occurred_at", "intent", "topic", "summary",
    "outcome", "open", "agent_id", "journey_id", "data", "idempotency_key", "created_at",
]  # fmt: skip


async def seed(db: str, args: argparse.Namespace, store: CustomerStore) -> dict[str, Any]:
    rng = random.Random(7)
    now = datetime.now(UTC)
    started = time.perf_counter()
    password_hash = hash_password(PASSWORD, Cost(n=2**14))
    conn = await asyncpg.connect(PG_DSN.format(db=db))
    try:
        await conn.copy_records_to_table(
            "agents",
            columns=["login", "name", "endpoint", "password_hash", "role", "team", "created_at"],
            records=[
                (
                    f"a{n:03d}",
                    f"Agent {n:03d}",
                    f"PJSIP/a{n:03d}",
                    password_hash,
                    "agent",
                    f"team{n % 10}",
                    now,
                )
                for n in range(args.agents)
            ],  # fmt: skip
        )
        agents = [r["id"] for r in await conn.fetch("SELECT id FROM agents ORDER BY id")]
        hot = await store.create_customer(
            "Ann Smith",
            segment="gold",
            vip=True,
            identities=[("phone", "+14155550100"), ("email", "ann@example.com")],
        )
        await conn.copy_records_to_table(
            "customers",
            columns=["display_name", "segment", "vip", "language", "attributes", "created_at"],
            records=(
                (
                    f"Customer {n}",
                    rng.choice(["new", "silver", "gold"]),
                    rng.random() < 0.05,
                    "en",
                    "{}",
                    now,
                )
                for n in range(args.customers)
            ),  # fmt: skip
        )
        first, last = await conn.fetchrow(
            "SELECT min(id), max(id) FROM customers WHERE id <> $1", hot.id
        )
        await conn.copy_records_to_table(
            "interactions",
            columns=INTERACTION_COLUMNS,
            records=interaction_rows(rng, args.hot, (first, last), agents, now, hot=hot.id),
        )
        batch = 100_000
        rest = args.interactions - args.hot
        for start in range(0, rest, batch):
            size = min(batch, rest - start)
            await conn.copy_records_to_table(
                "interactions",
                columns=INTERACTION_COLUMNS,
                records=interaction_rows(rng, size, (first, last), agents, now),
            )
            log(f"  interactions: {args.hot + start + size:,}")
        await conn.execute("ANALYZE")
        total = await conn.fetchval("SELECT count(*) FROM interactions")
        plan = await conn.fetch(
            "EXPLAIN SELECT * FROM interactions WHERE customer_id = $1 "
            "ORDER BY occurred_at DESC, id DESC LIMIT 51",
            hot.id,
        )
    finally:
        await conn.close()
    journey = await store.start_journey("bench-journey", "telecom", customer_id=hot.id)
    await store.update_journey(
        journey,
        path=[{"node": "main", "kind": "menu", "offset_ms": 900, "input": "1",
               "detail": {"result": "option", "option": "6", "intent": "billing"}}],
        menus=[MENU],
        inputs={"account": {"value": "99120", "source": "profile"}},
        intent="billing",
        service="billing",
        status="transferred",
    )  # fmt: skip
    plan_text = "\n".join(r[0] for r in plan)
    log(plan_text)
    return {
        "hot": hot.id,
        "journey": journey,
        "agents": agents,
        "customers": (first, last),
        "interactions": int(total),
        "seed_s": round(time.perf_counter() - started, 1),
        "index_used": "ix_interactions_timeline" in plan_text,
    }
