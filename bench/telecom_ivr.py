"""The real telecom IVR as a handler for ``bench/fastagi_load.py`` (``--factory``).

    .venv/bin/python bench/fastagi_load.py --handler bench.telecom_ivr:make_handler --factory \
        --script telecom --digits 113 --callers 5000

The store holds the synthetic population of ``bench/population.py`` (seed 1, ``POPULATION``
customers; their numbers are ``caller_number(id)``, the ones ``--callers`` dials): repeat
customers with their cross-channel histories and the account number on file, new customers
absent (their first call creates them). So every call does the real work: caller lookup,
history and profile read, journey start, the personalised menu, prefill, and the journey,
profile and interaction writes at the end.

The database is SQLite in a temporary directory, or with ``OMNIVOX_BENCH_DATABASE_URL`` a new
PostgreSQL database created on that server for this run and dropped when it ends.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.population import make_population
from customers.db import make_engine, make_sessionmaker, migrate
from customers.matching import match_key
from customers.models import Customer, Identity, Interaction, ProfileData
from customers.store import CustomerStore
from ivr.call import IvrHandler
from ivr.fastagi import AGIChannel
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox.demo import demo_clock, demo_time
from omnivox.gc_tuning import YOUNG_THRESHOLD, settle_after_startup
from omnivox.scenarios import prerender

ROOT = Path(__file__).resolve().parent.parent
POPULATION = 5000
SEED = 1


def caller_number(customer_id: int) -> str:
    """The phone number of population customer ``customer_id`` (as fastagi_load dials it)."""
    return f"+1555{customer_id:07d}"


class BenchHandler:
    """The IVR handler plus the clean-up of the database made for the run."""

    def __init__(self, handler: IvrHandler, engine: AsyncEngine, drop: str | None) -> None:
        self._handler = handler
        self._engine = engine
        self._drop = drop  # a PostgreSQL database to drop at the end

    async def __call__(self, channel: AGIChannel) -> None:
        await self._handler(channel)

    async def aclose(self) -> None:
        await self._handler.aclose()  # the calls still queued for the store
        await self._engine.dispose()
        if self._drop is not None:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{self._drop}" WITH (FORCE)')


async def make_handler() -> BenchHandler:
    scratch = Path(tempfile.mkdtemp(prefix="omnivox-bench-"))
    url = f"sqlite+aiosqlite:///{scratch}/b.db"
    drop = None
    if base := os.environ.get("OMNIVOX_BENCH_DATABASE_URL"):
        drop = f"omnivox_bench_{secrets.token_hex(4)}"
        await _pg_admin(f'CREATE DATABASE "{drop}"')
        url = make_url(base).set(database=drop).render_as_string(hide_password=False)
    await migrate(url)
    engine = make_engine(url)
    await seed(engine, demo_time(datetime.now(UTC)))
    store = CustomerStore(make_sessionmaker(engine))
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    renderer = PromptRenderer(scratch / "sounds")
    for scenario in scenarios:
        await prerender(renderer, scenario, logging.getLogger("bench"))
    handler = BenchHandler(IvrHandler(scenarios, store, renderer, clock=demo_clock()), engine, drop)
    # What omnivox serve does once started: the start-up objects out of the collector's
    # reach, or every full collection walks them all (a 140 ms pause mid-call here, with
    # 1,000 calls open), and young collections less often.
    settle_after_startup(int(os.environ.get("OMNIVOX_BENCH_GC_YOUNG", YOUNG_THRESHOLD)))
    return handler


async def seed(engine: AsyncEngine, now: datetime) -> None:
    """The population's repeat customers, their histories and account numbers, in bulk."""
    repeat = [c for c in make_population(POPULATION, SEED, now) if c.repeat]
    customers: list[dict[str, Any]] = []
    identities: list[dict[str, Any]] = []
    interactions: list[dict[str, Any]] = []
    profile: list[dict[str, Any]] = []
    for c in repeat:
        phone = caller_number(c.id)
        customers.append(
            {
                "id": c.id,
                "segment": "residential",
                "vip": False,
                "language": c.language,
                "attributes": {},
                "created_at": now,
            }
        )
        identities.append(
            {
                "customer_id": c.id,
                "kind": "phone",
                "value": phone,
                "verified": True,
                "created_at": now,
                "match_key": match_key("phone", phone),
            }
        )
        interactions.extend(
            {
                "customer_id": c.id,
                "channel": h.channel,
                "direction": h.direction,
                "occurred_at": h.occurred_at,
                "intent": h.intent,
                "open": h.open,
                "data": {},
                "created_at": now,
            }
            for h in c.history
        )
        profile.append(
            {
                "customer_id": c.id,
                "field": "account_number",
                "value": c.account_number,
                "source_channel": "web",
                "updated_at": now,
            }
        )
    async with engine.begin() as connection:
        for table, rows in (
            (Customer, customers),
            (Identity, identities),
            (Interaction, interactions),
            (ProfileData, profile),
        ):
            await connection.execute(insert(table.__table__), rows)
        if engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
            await connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                "(SELECT max(id) FROM customers))"
            )


async def _pg_admin(statement: str) -> None:
    base = make_url(os.environ["OMNIVOX_BENCH_DATABASE_URL"]).set(drivername="postgresql")
    connection = await asyncpg.connect(base.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
