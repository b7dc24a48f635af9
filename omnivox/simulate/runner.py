"""Running caller scripts against a target with a driver, several at a time.

Embedded, scripts run in batches that share a call time (each batch sets the clock; a script
whose calls move the clock, or that declares its agents, runs alone). Against a running server
the clock is the server's: scripts that set the time are skipped, and so are scripts that
assume opening hours when the scenario's line is closed now, and scripts that declare agents
when nobody may put them on duty there; each skip says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from customers.records import JourneyRecord
from omnivox.simulate.caller import NO_SPEECH, Caller
from omnivox.simulate.checks import Check, judge_menus, judge_outcome
from omnivox.simulate.clock import DEFAULT_TIME, closed_calendars, default_time
from omnivox.simulate.heard import Transcript
from omnivox.simulate.model import CallPlan, Expectation, Script
from omnivox.simulate.popchecks import AgentOutcome, judge_agent, judge_pop
from omnivox.simulate.results import CallResult, Line, ScriptResult
from omnivox.simulate.seed import SeedError, fresh_number, seed_caller
from omnivox.simulate.targets import Target

log = logging.getLogger("omnivox.simulate")


Hold = Callable[[str], Awaitable[None]]
NO_DESK = "the agents' side is not visible against a running server"


class Driver(Protocol):
    """Places one call and reports what the line saw. When the IVR hands the caller to a
    queue, the driver awaits ``hold(uniqueid)`` before the caller hangs up."""

    name: str

    async def call(
        self, scenario: str, number: str, caller: Caller, hold: Hold | None = None
    ) -> Line: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """A script whose caller is in the store, ready to call (or the reason it cannot)."""

    script: Script
    number: str = ""
    instance: int | None = None
    result: ScriptResult | None = None  # set when it will not run (skipped or error)


@dataclass(frozen=True, slots=True)
class Batch:
    at: datetime | None  # None: the server's own time
    scripts: tuple[tuple[int, Script], ...]


class Runner:
    """Runs scripts on ``target`` through ``driver``, at most ``concurrency`` at once."""

    def __init__(
        self,
        target: Target,
        driver: Driver,
        *,
        concurrency: int = 4,
        speech_note: str = NO_SPEECH,
        journey_timeout: float = 10.0,
        on_start: Callable[[Script], None] | None = None,
        on_done: Callable[[ScriptResult], None] | None = None,
    ) -> None:
        self.target = target
        self.driver = driver
        self.concurrency = max(1, concurrency)
        self.speech_note = speech_note
        self.journey_timeout = journey_timeout
        self.on_start = on_start
        self.on_done = on_done

    def batches(self, scripts: Sequence[Script]) -> list[Batch]:
        """Scripts grouped by the clock they need, in the order they were given."""
        if self.target.clock is None:
            together = tuple((i, s) for i, s in enumerate(scripts) if not s.agents)
            alone = [Batch(None, ((i, s),)) for i, s in enumerate(scripts) if s.agents]
            return [Batch(None, together), *alone] if together else alone
        groups: dict[object, list[tuple[int, Script]]] = {}
        times: dict[object, datetime] = {}
        for i, script in enumerate(scripts):
            at = self.call_time(script)
            alone = script.moves_clock or bool(script.agents)
            key: object = ("alone", i) if alone else at
            groups.setdefault(key, []).append((i, script))
            times[key] = at
        return [Batch(times[k], tuple(v)) for k, v in groups.items()]

    def call_time(self, script: Script) -> datetime:
        scenario = self.target.scenarios.get(script.scenario)
        if script.at is not None:
            return script.at
        return default_time(scenario) if scenario is not None else DEFAULT_TIME

    async def run(self, scripts: Sequence[Script]) -> list[ScriptResult]:
        """Every script's result, in the order given."""
        results: dict[int, ScriptResult] = {}
        limit = asyncio.Semaphore(self.concurrency)

        async def one(i: int, script: Script) -> None:
            async with limit:
                if self.on_start is not None:
                    self.on_start(script)
                try:
                    results[i] = await self.run_one(await self.prepare(script))
                except Exception as exc:  # one script's crash must not stop the others
                    log.debug("script %s crashed", script.path, exc_info=True)
                    results[i] = self._ended(script, "error", f"internal error: {exc!r}", None)
                if self.on_done is not None:
                    self.on_done(results[i])

        desk = self.target.desk
        for batch in self.batches(scripts):
            if batch.at is not None and self.target.clock is not None:
                self.target.clock.set(batch.at)
            agents = batch.scripts[0][1].agents if len(batch.scripts) == 1 else ()
            if agents and desk is not None:
                await desk.on_duty(agents)
            try:
                await asyncio.gather(*(one(i, s) for i, s in batch.scripts))
            finally:
                if agents and desk is not None:
                    await desk.on_duty(())
        return [results[i] for i in range(len(scripts))]

    async def prepare(
        self, script: Script, *, instance: int | None = None, fresh: bool = False
    ) -> Prepared:
        """Check the script can run here and put its caller in the store."""
        skipped = self.skip_reason(script)
        if skipped is not None:
            ended = self._ended(script, "skipped", skipped, instance)
            return Prepared(script, instance=instance, result=ended)
        store = self.target.store
        try:
            number = script.caller if script.caller and not fresh else await fresh_number(store)
            await seed_caller(store, number, script.customer, self.target.now())
        except SeedError as exc:
            ended = self._ended(script, "error", str(exc), instance)
            return Prepared(script, instance=instance, result=ended)
        return Prepared(script, number, instance)

    def skip_reason(self, script: Script) -> str | None:
        scenario = self.target.scenarios.get(script.scenario)
        if scenario is None:
            return None  # run_one reports it as an error
        if self.target.clock is not None:
            return None
        desk = self.target.desk
        if script.agents and not (desk is not None and desk.seats_agents):
            return (
                "it declares the agents on duty, and omnivox simulate seats agents on its "
                "embedded server, or on a running server with --server-url and a key of scope "
                "agents:write"
            )
        if script.at is not None or script.moves_clock:
            return (
                "it sets the call time, and a running server keeps its own clock "
                "(run it on the embedded server: leave out --server)"
            )
        now = self.target.now()
        closed = closed_calendars(scenario, now)
        if closed:
            return (
                f"{', '.join(closed)} closed now ({now:%a %H:%M} UTC) and the script assumes "
                "the line is open"
            )
        return None

    async def run_one(self, prepared: Prepared) -> ScriptResult:
        """Place the script's calls in order and judge each."""
        script = prepared.script
        if prepared.result is not None:
            return prepared.result
        started = time.perf_counter()
        if self.target.scenarios.get(script.scenario) is None:
            note = f"the server does not serve scenario {script.scenario!r}"
            return self._ended(script, "error", note, prepared.instance)
        index = await self.target.index(script.scenario)
        calls: list[CallResult] = []
        for number, plan in enumerate(script.calls, 1):
            if plan.after is not None and self.target.clock is not None:
                self.target.clock.advance(plan.after)
            transcript = Transcript(index)
            call = await self.place(script.scenario, prepared.number, plan, transcript, number)
            calls.append(call)
        status = "passed" if all(c.passed for c in calls) else "failed"
        result = ScriptResult(script, status, calls, seconds=time.perf_counter() - started)
        result.instance = prepared.instance
        return result

    async def place(
        self, scenario: str, number: str, plan: CallPlan, transcript: Transcript, n: int
    ) -> CallResult:
        loaded = self.target.scenarios.get(scenario)
        language = loaded.default_language if loaded is not None else "en"
        caller = Caller(plan.steps, transcript, speech_note=self.speech_note, language=language)
        desk = self.target.desk
        hold: Hold | None = None
        if desk is not None:

            async def hold(uniqueid: str) -> None:
                await desk.hold(uniqueid, plan.hold_s)
                await desk.hang_up(uniqueid)

        line = await self.driver.call(scenario, number, caller, hold)
        caller.ended()
        journey = await self.journey(line.uniqueid) if line.uniqueid else None
        judge_menus(caller.results, journey)
        outcome = AgentOutcome(note=NO_DESK)
        if desk is not None:
            outcome = await desk.outcome(line.uniqueid) if line.uniqueid else AgentOutcome()

        def agent(e: Expectation) -> list[Check]:
            judge = judge_agent if e.name == "agent" else judge_pop
            return judge(e.value, outcome, e.pos)

        checks = judge_outcome(plan.expect, journey, line.variables, agent)
        result = CallResult(n, number, line, caller.results, checks, transcript.prompts, journey)
        result.agent = outcome
        return result

    async def journey(self, uniqueid: str) -> JourneyRecord | None:
        """The call's journey once the server has closed it (or as it is after the timeout)."""
        deadline = time.monotonic() + self.journey_timeout
        while True:
            journey = await self.target.store.get_journey(uniqueid)
            if journey is not None and journey.status != "in_progress":
                return journey
            if time.monotonic() > deadline:
                return journey
            await asyncio.sleep(0.05)

    @staticmethod
    def _ended(script: Script, status: str, note: str, instance: int | None) -> ScriptResult:
        return ScriptResult(script, status, note=note, instance=instance)
