"""Load mode: N scripted callers started evenly over a ramp, all on the line together.

Every caller is a fresh number with its script's profile seeded before the ramp starts, so
seeding does not count in the measurements. Reported: the setup rate reached, how many calls
completed and passed, and latency percentiles (call setup, the server's reply to each AGI
answer, whole-call duration).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from omnivox.simulate.model import Script
from omnivox.simulate.report import totals
from omnivox.simulate.results import ScriptResult
from omnivox.simulate.runner import Prepared, Runner


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 1) -> str:
    if not values:
        return "no samples"
    parts = [f"p{p} {percentile(values, p) * scale:.{digits}f}" for p in (50, 90, 99)]
    return "  ".join([*parts, f"max {max(values) * scale:.{digits}f}"])


@dataclass
class LoadReport:
    """What a load run measured."""

    callers: int
    ramp_s: float
    driver: str
    results: list[ScriptResult] = field(default_factory=list)
    setup_at: list[float] = field(default_factory=list)  # seconds after the ramp began
    setup_s: list[float] = field(default_factory=list)
    turnaround_s: list[float] = field(default_factory=list)
    duration_s: list[float] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def setup_rate(self) -> float:
        """Calls set up per second, between the first and the last setup."""
        if len(self.setup_at) < 2:
            return 0.0
        span = max(self.setup_at) - min(self.setup_at)
        return (len(self.setup_at) - 1) / span if span > 0 else math.inf

    def lines(self) -> list[str]:
        c = totals(self.results)
        target = f"{self.callers / self.ramp_s:.1f}/s" if self.ramp_s > 0 else "all at once"
        calls = [call for r in self.results for call in r.calls]
        completed = sum(1 for call in calls if call.line.error is None)
        return [
            f"load: {self.callers} callers over {self.ramp_s:g} s (target {target}), "
            f"{self.driver} driver",
            f"  set up:     {len(self.setup_at)} calls, {self.setup_rate:.1f}/s reached",
            f"  completed:  {completed} of {len(calls)} calls in {self.wall_s:.1f} s; scripts "
            f"{c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
            f"{c['skipped']} skipped",
            f"  setup latency (ms):    {spread(self.setup_s, 1000)}",
            f"  AGI turnaround (ms):   {spread(self.turnaround_s, 1000, 2)}"
            f"  ({len(self.turnaround_s)} replies)",
            f"  call duration (s):     {spread(self.duration_s, 1.0, 2)}",
        ]


def same_clock(runner: Runner, scripts: Sequence[Script]) -> str | None:
    """Why ``scripts`` cannot share one clock in a load run (None: they can)."""
    if runner.target.clock is None:
        return None
    if any(s.moves_clock for s in scripts):
        return "load mode runs every caller on one clock: no call may set 'after'"
    times = {runner.call_time(s) for s in scripts}
    if len(times) > 1:
        return "load mode runs every caller on one clock: the scripts need different call times"
    return None


async def run_load(
    runner: Runner,
    scripts: Sequence[Script],
    callers: int,
    ramp_s: float,
    *,
    on_done: Callable[[ScriptResult], None] | None = None,
) -> LoadReport:
    """Run ``callers`` callers (the scripts in turn), started evenly over ``ramp_s``."""
    report = LoadReport(callers, ramp_s, runner.driver.name)
    if runner.target.clock is not None:
        runner.target.clock.set(runner.call_time(scripts[0]))
    prepared: list[Prepared] = []
    for i in range(callers):
        prepared.append(await runner.prepare(scripts[i % len(scripts)], instance=i + 1, fresh=True))
    results: list[ScriptResult | None] = [None] * callers
    began = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, began + i * ramp_s / callers - time.perf_counter()))
        started = time.perf_counter() - began
        results[i] = result = await runner.run_one(prepared[i])
        for call in result.calls:
            if call.line.setup_s is not None:
                report.setup_at.append(started + call.line.setup_s)
                report.setup_s.append(call.line.setup_s)
            report.turnaround_s.extend(call.line.turnaround)
            report.duration_s.append(call.line.seconds)
        if on_done is not None:
            on_done(result)

    await asyncio.gather(*(one(i) for i in range(callers)))
    report.wall_s = time.perf_counter() - began
    report.results = [r for r in results if r is not None]
    return report
