"""Where simulated calls go: an embedded server started for the run, or one already running.

A :class:`Target` gives the runner the customer store (to seed callers and read journeys), the
scenarios, a :class:`~omnivox.simulate.prompts.Namer` (to recognise prompts) and, embedded
only, the clock calls run on.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from customers.db import check, make_engine, make_sessionmaker, safe_url
from customers.exceptions import CustomerStoreError
from customers.store import CustomerStore
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from omnivox.config import Bind, Settings
from omnivox.errors import StartupError
from omnivox.server import OmnivoxServer
from omnivox.simulate.clock import SimClock
from omnivox.simulate.desk import Desk
from omnivox.simulate.model import AgentSeed
from omnivox.simulate.popchecks import AgentOutcome
from omnivox.simulate.prompts import DigestNamer, Namer, PromptIndex, RendererNamer, build_index

log = logging.getLogger("omnivox.simulate")


class AgentSide(Protocol):
    """Who is on duty and who got each call: :class:`Desk` (embedded) or
    :class:`~omnivox.simulate.remote.RemoteDesk` (a running server's API)."""

    seats_agents: bool  # it puts a script's ``agents:`` on duty (else such scripts are skipped)

    async def on_duty(self, seeds: Sequence[AgentSeed]) -> None: ...

    async def hold(self, call_id: str, seconds: float) -> None: ...

    async def hang_up(self, call_id: str) -> None: ...

    async def outcome(self, call_id: str) -> AgentOutcome: ...


@dataclass
class Target:
    """A server to call and what the runner needs from it."""

    store: CustomerStore
    scenarios: ScenarioSet
    namer: Namer
    description: str
    fastagi: Bind | None = None  # where the builtin driver connects
    clock: SimClock | None = None  # None: the server keeps its own time
    server: OmnivoxServer | None = None
    desk: AgentSide | None = None  # the agents' side (None: not visible)
    _indexes: dict[str, PromptIndex] = field(default_factory=dict)

    @property
    def now(self) -> Callable[[], datetime]:
        return self.clock if self.clock is not None else (lambda: datetime.now(UTC))

    async def index(self, scenario: str) -> PromptIndex | None:
        """The prompt index of ``scenario`` (built once)."""
        if scenario not in self._indexes:
            loaded = self.scenarios.get(scenario)
            if loaded is None:
                return None
            self._indexes[scenario] = await build_index(loaded, self.namer)
        return self._indexes[scenario]


@contextlib.asynccontextmanager
async def embedded(settings: Settings, *, with_ami: bool = False) -> AsyncIterator[Target]:
    """An :class:`OmnivoxServer` of its own: a temporary SQLite store, FastAGI and HTTP on
    free loopback ports, no Redis; AMI only for the asterisk driver."""
    with tempfile.TemporaryDirectory(prefix="omnivox-simulate-") as tmp:
        own = replace(
            settings,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'simulate.db'}",
            fastagi_bind=Bind("127.0.0.1", 0),
            http_bind=Bind("127.0.0.1", 0),
            redis_url=None,
            ami=settings.ami if with_ami else None,
        )
        clock = SimClock()
        async with OmnivoxServer(own, clock=clock) as server:
            assert server.store and server.scenarios and server.renderer and server.fastagi
            desk = Desk(server) if server.router is not None else None
            if desk is not None:
                await desk.start()
            try:
                yield Target(
                    store=server.store,
                    scenarios=server.scenarios,
                    namer=RendererNamer(server.renderer),
                    description=f"embedded server (FastAGI 127.0.0.1:{server.fastagi.port}, "
                    "temporary SQLite)",
                    fastagi=Bind("127.0.0.1", server.fastagi.port),
                    clock=clock,
                    server=server,
                    desk=desk,
                )
            finally:
                if desk is not None:
                    await desk.close()


@contextlib.asynccontextmanager
async def running(
    settings: Settings, fastagi: Bind | None, desk: AgentSide | None = None
) -> AsyncIterator[Target]:
    """A server already running: its database from ``settings`` (to seed and read back), its
    FastAGI at ``fastagi``, its agents' side through ``desk`` (its HTTP API); its clock is
    its own."""
    url = settings.database_url
    engine = make_engine(url)
    renderer = PromptRenderer(settings.sounds, prefix=settings.sound_prefix, logger=log)
    try:
        try:
            await check(engine)
        except CustomerStoreError as exc:
            raise StartupError(str(exc)) from None
        except OSError as exc:
            raise StartupError(f"database {safe_url(url)}: {exc}") from None
        scenarios, problems = ScenarioSet.load_dir(settings.scenarios)
        for problem in problems:
            log.warning("scenario refused: %s", problem)
        where = f"FastAGI {fastagi}, " if fastagi is not None else ""
        yield Target(
            store=CustomerStore(make_sessionmaker(engine), default_region=settings.default_region),
            scenarios=scenarios,
            namer=DigestNamer(renderer, settings.sound_prefix),
            description=f"running server ({where}database {safe_url(url)})",
            fastagi=fastagi,
            desk=desk,
        )
    finally:
        renderer.close()
        await engine.dispose()
