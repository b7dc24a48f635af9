"""The real telecom IVR as a handler for ``bench/fastagi_load.py`` (``--factory``).

    .venv/bin/python bench/fastagi_load.py --handler bench.telecom_ivr:make_handler --factory \
        --script telecom --digits 0

Each fake call is the same known caller (+15551234567) with a cross-channel history, so every
call does the real work: caller lookup, history and profile queries, journey start, the
personalised menu, and the journey/interaction writes at the end. The database is SQLite in a
temporary directory, or ``OMNIVOX_BENCH_DATABASE_URL`` (e.g. the PostgreSQL test database).
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from customers.db import make_engine, make_sessionmaker, migrate
from customers.store import CustomerStore
from ivr.call import IvrHandler
from ivr.fastagi import Handler
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox.demo import demo_clock
from omnivox.scenarios import prerender

ROOT = Path(__file__).resolve().parent.parent
CALLER = "+15551234567"


async def make_handler() -> Handler:
    scratch = Path(tempfile.mkdtemp(prefix="omnivox-bench-"))
    url = os.environ.get("OMNIVOX_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{scratch}/b.db"
    await migrate(url)
    store = CustomerStore(make_sessionmaker(make_engine(url)))
    if await store.find_by_identity("phone", CALLER) is None:
        now = datetime.now(UTC)
        customer = await store.create_customer("Bench Caller", identities=[("phone", CALLER)])
        for days, channel in ((2, "voice"), (9, "email"), (20, "chat"), (40, "sms")):
            await store.record_interaction(
                customer.id, channel, "in", occurred_at=now - timedelta(days=days), intent="billing"
            )
        await store.save_profile_data(customer.id, "account_number", "12344321", "web")
    scenarios, problems = ScenarioSet.load_dir(ROOT / "scenarios")
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    renderer = PromptRenderer(scratch / "sounds")
    for scenario in scenarios:
        await prerender(renderer, scenario, logging.getLogger("bench"))
    return IvrHandler(scenarios, store, renderer, clock=demo_clock())
