"""FastAGI load benchmark: N truly concurrent fake calls against the server in a subprocess.

    .venv/bin/python bench/fastagi_load.py [--calls 100 1000] [--handler module:name]
        [--callers K] [--arrivals R] [--think-ms T]

The server runs in its own process so its RSS is the server's alone: RSS per concurrent call is
(server RSS while all N calls are open − idle RSS after a warm-up) / N. Calls arrive at
``--arrivals`` per second (0: all at once) and each parks on its first prompt (a media command,
which may last) until all N have reached it, so N handlers and 2N sockets exist at once. Then
each call runs its script; the fake Asterisk answers a media command (a prompt playing, a key
awaited) after a random "think time", uniform in 0..2×``--think-ms``, and others at once.
The defaults (50 calls/s, 2 s) are harsher than a real line: 1,000 calls of a minute each
arrive at 17/s, and a menu prompt plays for several seconds. ``--arrivals 0 --think-ms 0``
is the old lockstep stress (every call at once, no pauses): a throughput test, where the
latencies are queueing.

Latency per AGI command is measured in the server ("srv"): from the moment it has read
Asterisk's reply to the previous command — or the call's environment, for the first command,
so the caller lookup counts — to the moment it writes the next command. The caller's think
time is never in it; the caller lookup is, and whatever else a handler waits for between
two commands. "start"/"end" are the first and last intervals alone. The IVR stores a call
after its last command (OMNIVOX_STATUS) and before its socket closes (Asterisk goes on
then: a transferred caller waits for it): "after" is that wait, from the last reply to the
handler's return. "rtt" is the round trip at the server (write → reply parsed) of the
commands Asterisk answers at once (not prompts or key waits); "cli" is what the fake
Asterisk sees, the time from its reply to the server's next command, event-loop queueing on
both sides included. "slow" counts the intervals over 5 ms by command.

``--handler module:name`` names an async ``handler(channel)``, or with ``--factory`` a
callable returning one (e.g. a scenario-driven IVR); a handler with ``aclose()`` is closed
when the server stops. ``--callers K`` dials K different numbers, ``+1555`` and the call's
number 1..K in seven digits (``bench/telecom_ivr.py`` seeds its customers on those numbers);
without it every call comes from +15551234567. The default handler runs ANSWER, GET
VARIABLE, STREAM FILE, GET DATA and two SET VARIABLE; the server adds SET VARIABLE
OMNIVOX_STATUS. The last line printed is one JSON object describing the largest N.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fastagi_serve import MEDIA, percentile, raise_fd_limit  # noqa: E402
from ivr.fastagi.asterisk_side import ReceivedCommand  # noqa: E402
from ivr.fastagi.client import FakeCall  # noqa: E402

WARMUP_CALLS = 20
DEFAULT_CALLER = "+15551234567"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


# ---- driver -----------------------------------------------------------------------------------


class Server:
    """The server subprocess and its line-based control channel."""

    def __init__(self, spec: str, factory: bool) -> None:
        command = [sys.executable, "-m", "bench.fastagi_serve", spec]
        self.proc = subprocess.Popen(
            command + (["--factory"] if factory else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.port = int(self.ask(None)["port"])

    def ask(self, request: str | None) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if request is not None:
            self.proc.stdin.write(request + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server process exited with {self.proc.wait()}")
        return json.loads(line)

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass(frozen=True, slots=True)
class Load:
    """What the fake callers do: their keys, numbers, arrival rate and think time."""

    digits: str
    script: str
    callers: int  # 0: every call from DEFAULT_CALLER
    arrivals: float  # calls per second; 0: all at once
    think_ms: float  # mean delay before answering a media command

    def callerid(self, index: int) -> str:
        return f"+1555{index % self.callers + 1:07d}" if self.callers else DEFAULT_CALLER


async def one_round(n: int, server: Server, load: Load, rng: random.Random) -> dict[str, Any]:
    for i in range(WARMUP_CALLS):  # numbers from the end of the range: not dialed below
        await _call(server.port, load, -1 - i, None)
    server.ask("stats")  # drop warm-up samples
    idle_kb = rss_kb(server.proc.pid)
    arrived = 0
    all_in = asyncio.Event()
    peak_kb = 0

    def gate_factory() -> Any:
        first = True

        async def gate(cmd: ReceivedCommand) -> None:
            nonlocal first, arrived, peak_kb
            if cmd.name not in MEDIA:
                return
            if first:  # parked on the first prompt: only media commands may take that long
                first = False
                arrived += 1
                if arrived == n:
                    peak_kb = rss_kb(server.proc.pid)
                    all_in.set()
                await all_in.wait()
            elif load.think_ms:
                await asyncio.sleep(rng.uniform(0, 2 * load.think_ms) / 1000)

        return gate

    async def arrive(i: int) -> FakeCall:
        if load.arrivals:
            await asyncio.sleep(i / load.arrivals)
        return await _call(server.port, load, i, gate_factory())

    started, cpu_before = time.perf_counter(), cpu_seconds(server.proc.pid)
    calls = await asyncio.gather(*[arrive(i) for i in range(n)])
    wall = time.perf_counter() - started
    load_1min = os.getloadavg()[0]  # other work on the machine shows in the latencies
    cpu = cpu_seconds(server.proc.pid) - cpu_before
    srv = server.ask("stats")
    client = [t for call in calls for t in call.turnaround]
    ok = sum(1 for call in calls if call.variables.get("OMNIVOX_STATUS") == "OK")
    return {
        "concurrent": n,
        "calls_per_s": round(n / wall, 1),
        "wall_s": round(wall, 3),
        "p50_ms": round(srv["p50_ms"], 3),
        "p95_ms": round(srv["p95_ms"], 3),
        "p99_ms": round(srv["p99_ms"], 3),
        "max_ms": round(srv["max_ms"], 3),
        "start_p50_ms": round(srv["start_p50_ms"], 3),
        "start_p99_ms": round(srv["start_p99_ms"], 3),
        "end_p50_ms": round(srv["end_p50_ms"], 3),
        "end_p99_ms": round(srv["end_p99_ms"], 3),
        "rtt_p99_ms": round(srv["rtt_p99_ms"], 3),
        "after_p50_ms": round(srv["after_p50_ms"], 3),
        "after_p99_ms": round(srv["after_p99_ms"], 3),
        "client_p50_ms": round(percentile(client, 0.5) * 1000, 3),
        "client_p99_ms": round(percentile(client, 0.99) * 1000, 3),
        "rss_idle_kb": idle_kb,
        "rss_peak_kb": peak_kb,
        "rss_per_call_kb": round((peak_kb - idle_kb) / n, 1),
        "commands_per_call": round(srv["commands"] / max(srv["calls"], 1), 2),
        "server_cpu_ms_per_call": round(cpu * 1000 / n, 3),
        "ok_calls": ok,
        "failures": srv["failures"] + (n - ok),
        "arrivals_per_s": load.arrivals,
        "think_ms": load.think_ms,
        "callers": load.callers,
        "loadavg_1min": round(load_1min, 2),
        "slow": srv["slow"],  # intervals over 5 ms by command ("first:"/"last:" of a call)
        **{f"gc{g}_pauses": srv[f"gc{g}_pauses"] for g in range(3)},
        **{f"gc{g}_max_ms": round(srv[f"gc{g}_max_ms"], 1) for g in range(3)},
    }


async def _call(port: int, load: Load, index: int, gate: Any) -> FakeCall:
    call = FakeCall(
        "127.0.0.1",
        port,
        script=load.script,
        callerid=load.callerid(index),
        digits=load.digits,
        variables={"CHANNEL(language)": "en"},
        gate=gate,
    )
    await call.connect()
    await call.run()
    return call


def print_table(rows: list[dict[str, Any]], spec: str) -> None:
    first = rows[0]
    print(
        f"FastAGI load: handler {spec}, server in a subprocess, N calls open at once; "
        f"arrivals {first['arrivals_per_s'] or 'all at once'}/s, "
        f"think time {first['think_ms']:g} ms mean, {first['callers'] or 1} caller numbers"
    )
    head = (
        "N",
        "calls/s",
        "srv p50",
        "srv p95",
        "srv p99",
        "srv max",
        "start99",
        "end99",
        "rtt p99",
        "cli p99",
        "KB/call",
        "fail",
    )
    print(("{:>6}" + " {:>8}" * 10 + " {:>5}").format(*head))
    for r in rows:
        print(
            f"{r['concurrent']:>6} {r['calls_per_s']:>8.1f} {r['p50_ms']:>8.3f} "
            f"{r['p95_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['max_ms']:>8.2f} "
            f"{r['start_p99_ms']:>8.2f} {r['end_p99_ms']:>8.2f} {r['rtt_p99_ms']:>8.2f} "
            f"{r['client_p99_ms']:>8.2f} {r['rss_per_call_kb']:>8.1f} {r['failures']:>5}"
        )
    print(
        "latencies in ms; srv = server reads a reply (or the call's environment) -> writes the "
        "next command;\nstart99/end99 = p99 of the first interval (caller lookup) and of the "
        "last (before the status)"
    )
    for r in rows:
        print(
            f"N={r['concurrent']}: server RSS idle {r['rss_idle_kb'] / 1024:.1f} MB, "
            f"with all calls open {r['rss_peak_kb'] / 1024:.1f} MB, "
            f"{r['commands_per_call']} commands per call, "
            f"server CPU {r['server_cpu_ms_per_call']:.2f} ms per call, "
            f"{r['ok_calls']}/{r['concurrent']} calls OK, wall {r['wall_s']:.1f} s, "
            f"machine load average {r['loadavg_1min']} ({os.cpu_count()} CPUs); "
            f"after the last reply, before the socket closes: p50 {r['after_p50_ms']:.2f} ms, "
            f"p99 {r['after_p99_ms']:.2f} ms; "
            f"intervals over 5 ms: {r['slow'] or 'none'}; GC pauses (count, max ms) by "
            "generation: "
            + ", ".join(f"{r[f'gc{g}_pauses']} {r[f'gc{g}_max_ms']}" for g in range(3))
        )


async def drive(sizes: list[int], spec: str, factory: bool, load: Load, seed: int) -> None:
    raise_fd_limit(max(sizes) * 2 + 256)
    rng = random.Random(seed)
    rows = []
    for n in sizes:
        server = Server(spec, factory)
        try:
            rows.append(await one_round(n, server, load, rng))
        finally:
            server.stop()
    print_table(rows, spec)
    largest = max(rows, key=lambda r: r["concurrent"])
    print(json.dumps({**largest, "handler": spec, "scenario": load.script.partition("?")[0]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--handler", default="demo", help="demo or module:name")
    parser.add_argument("--factory", action="store_true", help="--handler names a factory")
    parser.add_argument("--digits", default="11234", help="what each fake caller presses")
    parser.add_argument("--script", default="omnivox?bench=1", help="agi_network_script")
    parser.add_argument("--callers", type=int, default=0, help="dial this many numbers")
    parser.add_argument("--arrivals", type=float, default=50.0, help="calls/s; 0: at once")
    parser.add_argument("--think-ms", type=float, default=2000.0, help="mean media reply delay")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = sorted(args.calls)
    load = Load(args.digits, args.script, args.callers, args.arrivals, args.think_ms)
    asyncio.run(drive(sizes, args.handler, args.factory, load, args.seed))


if __name__ == "__main__":
    main()
