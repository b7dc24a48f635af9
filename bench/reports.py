"""Reports and wallboard service level on PostgreSQL: the SQL aggregates against loading rows.

    .venv/bin/python bench/reports.py [--contacts 100000] [--interactions 100000]
        [--journeys 50000]

Creates a scratch database on 127.0.0.1:5432 (dropped afterwards), writes ``--contacts``
random contacts over one day and ``--interactions`` random interactions over three days
(tests/test_reports_sql.py's generators) and times, median of 5: the wallboard's service-level
read (one GROUP BY), the services and agents aggregates, and loading the same day's rows (what
the reports did before aggregating them in Python); the channels report's SQL (volume and
matters by window functions) against loading the interactions and computing it in Python;
the upsell report from inbound (customer, time) pairs against loading whole interactions;
the IVR report from status counts (GROUP BY) and scenario + path columns against loading whole
journeys (``--journeys`` random journeys over the day).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from customers.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from customers.models import Customer, Interaction, Journey  # noqa: E402
from customers.models.reporting import ContactRecord  # noqa: E402
from customers.store import CustomerStore  # noqa: E402
from omnivox.reports.channels import channel_figures  # noqa: E402
from omnivox.reports.ivr import ivr_report, ivr_report_of  # noqa: E402
from omnivox.reports.upsell import upsell_report, upsell_report_of  # noqa: E402
from tests.test_reports_sql import (  # noqa: E402
    DAY,
    TARGETS,
    WINDOW_MS,
    random_contacts,
    random_interactions,
    random_path,
)

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


async def _median_ms(run: Callable[[], Awaitable[Any]], rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


async def _seed_interactions(engine: Any, count: int) -> None:
    customers = [
        {"id": n, "vip": False, "attributes": {}, "created_at": DAY}
        for n in range(1, count // 20 + 2)
    ]
    rows = random_interactions(random.Random(2), [c["id"] for c in customers], count)
    async with engine.begin() as conn:
        await conn.execute(insert(Customer), customers)
        for at in range(0, len(rows), 5000):
            await conn.execute(insert(Interaction), rows[at : at + 5000])


async def _upsell(store: CustomerStore, report: Any, rows: Awaitable[Any]) -> Any:
    return report(await rows, await store.report_usage())


async def _seed_journeys(engine: Any, count: int) -> None:
    rng = random.Random(3)
    rows = [
        {
            "call_id": f"bench-{n}",
            "scenario": rng.choice(["telecom", "bank_card", "insurance"]),
            "started_at": DAY + timedelta(milliseconds=rng.randrange(0, 86_400_000)),
            "status": rng.choice(["completed", "transferred", "abandoned", "in_progress"]),
            "path": random_path(rng),
            "inputs": {"account_number": {"value": "55556666"}},
            "menus": [],
            "service": rng.choice(["billing", "tv"]),
        }
        for n in range(count)
    ]
    async with engine.begin() as conn:
        for at in range(0, len(rows), 5000):
            await conn.execute(insert(Journey), rows[at : at + 5000])


async def main(count: int, interactions: int, journeys: int) -> dict[str, Any]:
    name = f"omnivox_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        await migrate(url)
        engine = make_engine(url)
        store = CustomerStore(make_sessionmaker(engine))
        rows = random_contacts(random.Random(1), count)
        async with engine.begin() as conn:
            for at in range(0, len(rows), 5000):
                await conn.execute(insert(ContactRecord), rows[at : at + 5000])
        start, end = DAY, DAY + timedelta(days=1)
        figures = {
            "contacts": count,
            "sl_query_ms": await _median_ms(
                lambda: store.service_figures(start, end, targets=TARGETS, default_target_s=20.0)
            ),
            "agents_query_ms": await _median_ms(lambda: store.agent_figures(start, end, now=end)),
            "load_rows_ms": await _median_ms(lambda: store.report_contacts(start, end), 3),
        }
        await _seed_interactions(engine, interactions)
        end = DAY + timedelta(days=3)
        window = WINDOW_MS / 86_400_000

        async def in_python() -> Any:
            return channel_figures(await store.report_interactions(start, end), window)

        sql = await store.channel_figures(start, end, window_days=window)
        assert sql == await in_python()  # the same figures both ways
        inbound = await _median_ms(
            lambda: _upsell(store, upsell_report, store.report_inbound(start, end))
        )
        loaded = await _median_ms(
            lambda: _upsell(store, upsell_report_of, store.report_interactions(start, end)), 3
        )
        figures |= {
            "upsell_inbound_ms": inbound,
            "upsell_loaded_ms": loaded,
            "interactions": interactions,
            "channels_query_ms": await _median_ms(
                lambda: store.channel_figures(start, end, window_days=window)
            ),
            "channels_python_ms": await _median_ms(in_python, 3),
        }
        await _seed_journeys(engine, journeys)
        day = DAY + timedelta(days=1)

        async def ivr_sql() -> Any:
            statuses = await store.report_journey_statuses(start, day)
            return ivr_report(statuses, await store.report_paths(start, day))

        async def ivr_loaded() -> Any:
            return ivr_report_of(await store.report_journeys(start, day))

        assert await ivr_sql() == await ivr_loaded()
        figures |= {
            "journeys": journeys,
            "ivr_sql_ms": await _median_ms(ivr_sql, 3),
            "ivr_loaded_ms": await _median_ms(ivr_loaded, 3),
        }
        await engine.dispose()
        return figures
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--journeys", type=int, default=50_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.contacts, args.interactions, args.journeys))))
