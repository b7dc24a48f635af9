"""The server side of ``bench/fastagi_load.py``: a FastAGI server in its own process.

It times every command the handler writes (see fastagi_load's docstring for what "srv"
means) and the wait after a call's last reply before its handler returns ("after": the
socket closes and Asterisk goes on then; the IVR stores the call meanwhile). It counts the
garbage collector's pauses and, for the tail, says which commands were slow: ``slow`` maps
"COMMAND" (or "first:"/"last:" COMMAND, a call's first and last intervals) to how many
intervals were over ``SLOW_MS``. It answers a line "stats" on stdin with one JSON line and
drops the samples; end of input stops it.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import importlib
import inspect
import json
import math
import resource
import sys
import time
from collections import Counter
from typing import Any

from ivr.fastagi import AGIChannel, FastAGIServer, Handler

SLOW_MS = 5.0
MEDIA = frozenset(
    {"STREAM FILE", "GET OPTION", "GET DATA", "WAIT FOR DIGIT", "SAY DIGITS", "SAY NUMBER"}
)


async def demo_handler(channel: AGIChannel) -> None:
    """A short IVR-like sequence: seven commands with the server's status variable."""
    await channel.answer()
    language = await channel.get_variable("CHANNEL(language)")
    choice = await channel.stream_file("welcome", "123")
    account, _ = await channel.get_data("enter-account", 3000, 4)
    await channel.set_variable("CHOICE", choice or "")
    await channel.set_variable("ACCOUNT", f"{account}/{language}")


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


async def load_handler(spec: str, factory: bool) -> Handler:
    if spec == "demo":
        return demo_handler
    module_name, _, attr = spec.partition(":")
    obj: Any = getattr(importlib.import_module(module_name), attr)
    if factory:
        obj = obj()
        if inspect.isawaitable(obj):
            obj = await obj
    return obj


class CallTimes:
    """One call's command timings in the server: the gap before each command is written."""

    __slots__ = ("gaps", "names", "round_trips", "replied", "after")

    def __init__(self, started: float) -> None:
        self.replied = started  # the environment was read: the first gap starts here
        self.gaps: list[float] = []
        self.names: list[str] = []
        self.round_trips: list[float] = []
        self.after = 0.0  # the last reply -> the handler's return (the IVR waits for the store)

    def add(self, name: str, now: float, round_trip: float) -> None:
        self.gaps.append(now - round_trip - self.replied)
        self.names.append(name)
        if name not in MEDIA:  # media commands last as long as the think time (or the barrier)
            self.round_trips.append(round_trip)
        self.replied = now

    def slow(self, limit: float) -> list[str]:
        """Labels of the intervals over ``limit`` seconds."""
        last = len(self.gaps) - 1
        labels = []
        for i, (gap, name) in enumerate(zip(self.gaps, self.names, strict=True)):
            if gap > limit:
                labels.append(("first:" if i == 0 else "last:" if i == last else "") + name)
        return labels


class GcPauses:
    """Garbage collector pauses (s) by generation, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for generation, pauses in self.pauses.items():
            out[f"gc{generation}_pauses"] = len(pauses)
            out[f"gc{generation}_max_ms"] = max(pauses, default=0.0) * 1000
            pauses.clear()
        return out


def report(finished: list[CallTimes], stats: Any, pauses: GcPauses) -> dict[str, Any]:
    gaps = [g for t in finished for g in t.gaps]
    first = [t.gaps[0] for t in finished if t.gaps]
    last = [t.gaps[-1] for t in finished if len(t.gaps) > 1]
    rtt = [r for t in finished for r in t.round_trips]
    after = [t.after for t in finished]
    slow = Counter(label for t in finished for label in t.slow(SLOW_MS / 1000))
    ms = lambda xs, p: percentile(xs, p) * 1000  # noqa: E731
    return {
        "p50_ms": ms(gaps, 0.50),
        "p95_ms": ms(gaps, 0.95),
        "p99_ms": ms(gaps, 0.99),
        "max_ms": ms(gaps, 1.0),
        "start_p50_ms": ms(first, 0.50),
        "start_p99_ms": ms(first, 0.99),
        "end_p50_ms": ms(last, 0.50),
        "end_p99_ms": ms(last, 0.99),
        "rtt_p99_ms": ms(rtt, 0.99),
        "after_p50_ms": ms(after, 0.50),
        "after_p99_ms": ms(after, 0.99),
        "samples": len(gaps),
        "calls": stats.calls,
        "failures": stats.failures,
        "commands": stats.commands,
        "slow": dict(slow.most_common(8)),
        **pauses.report(),
    }


async def serve(spec: str, factory: bool) -> None:
    raise_fd_limit(20000)
    handler = await load_handler(spec, factory)
    current: contextvars.ContextVar[CallTimes] = contextvars.ContextVar("current")
    finished: list[CallTimes] = []

    async def counted(channel: AGIChannel) -> None:
        times = CallTimes(time.perf_counter())
        finished.append(times)
        current.set(times)  # same task as the server's status command, so it sees this too
        await handler(channel)
        times.after = time.perf_counter() - times.replied

    def on_command(name: str, seconds: float) -> None:
        times = current.get(None)
        if times is not None:
            times.add(name, time.perf_counter(), seconds)

    pauses = GcPauses()
    gc.callbacks.append(pauses)
    server = FastAGIServer(counted, "127.0.0.1", 0, on_command=on_command)
    await server.start()
    print(json.dumps({"port": server.port}), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() == "stats":
            print(json.dumps(report(finished, server.stats, pauses)), flush=True)
            finished.clear()
    await server.close()
    if (close := getattr(handler, "aclose", None)) is not None:
        await close()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], "--factory" in sys.argv[2:]))
