"""FastAGI load benchmark: N truly concurrent fake calls against the server in a subprocess.

    .venv/bin/python bench/fastagi_load.py [--calls 100 1000] [--handler module:name]

The server runs in its own process so its RSS is the server's alone: RSS per concurrent call is
(server RSS while all N calls are open − idle RSS after a warm-up) / N. Every fake call parks on
its first command until all N have reached it, so N handlers and 2N sockets exist at once; that
first command is left out of the latency figures (it contains the wait).

Latency: "server" is each command's round trip seen by the channel (write → reply parsed);
"client" is what the fake Asterisk sees, the time from its reply to the server's next command.

``--handler module:name`` names an async ``handler(channel)``, or with ``--factory`` a
callable returning one (e.g. a scenario-driven IVR). The default runs ANSWER, GET VARIABLE,
STREAM FILE, GET DATA and two SET VARIABLE; the server adds SET VARIABLE OMNIVOX_STATUS.
The last line printed is one JSON object describing the largest N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import importlib
import inspect
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.fastagi import AGIChannel, FastAGIServer, Handler  # noqa: E402
from ivr.fastagi.asterisk_side import ReceivedCommand  # noqa: E402
from ivr.fastagi.client import FakeCall  # noqa: E402

WARMUP_CALLS = 20


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


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


# ---- server process ---------------------------------------------------------------------------


async def serve(spec: str, factory: bool) -> None:
    raise_fd_limit(20000)
    handler = await load_handler(spec, factory)
    position: contextvars.ContextVar[list[int]] = contextvars.ContextVar("position")
    samples: list[float] = []

    async def counted(channel: AGIChannel) -> None:
        position.set([0])  # same task as the server's status command, so it sees this too
        await handler(channel)

    def on_command(name: str, seconds: float) -> None:
        box = position.get(None)
        if box is not None:
            box[0] += 1
            if box[0] > 1:  # the first command waits for the barrier
                samples.append(seconds)

    server = FastAGIServer(counted, "127.0.0.1", 0, on_command=on_command)
    await server.start()
    print(json.dumps({"port": server.port}), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() == "stats":
            stats = server.stats
            report = {
                "p50_ms": percentile(samples, 0.50) * 1000,
                "p99_ms": percentile(samples, 0.99) * 1000,
                "samples": len(samples),
                "calls": stats.calls,
                "failures": stats.failures,
                "commands": stats.commands,
            }
            samples.clear()
            print(json.dumps(report), flush=True)
    await server.close()


# ---- driver -----------------------------------------------------------------------------------


class Server:
    """The server subprocess and its line-based control channel."""

    def __init__(self, spec: str, factory: bool) -> None:
        command = [sys.executable, __file__, "--serve", "--handler", spec]
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


async def one_round(n: int, server: Server, digits: str, script: str) -> dict[str, Any]:
    for _ in range(WARMUP_CALLS):
        await _call(server.port, digits, script, None)
    server.ask("stats")  # drop warm-up samples
    idle_kb = rss_kb(server.proc.pid)
    arrived = 0
    all_in = asyncio.Event()
    peak_kb = 0

    async def gate_factory() -> Any:
        first = True

        async def gate(cmd: ReceivedCommand) -> None:
            nonlocal first, arrived, peak_kb
            if first:
                first = False
                arrived += 1
                if arrived == n:
                    peak_kb = rss_kb(server.proc.pid)
                    all_in.set()
                await all_in.wait()

        return gate

    started, cpu_before = time.perf_counter(), cpu_seconds(server.proc.pid)
    calls = await asyncio.gather(
        *[_call(server.port, digits, script, await gate_factory()) for _ in range(n)]
    )
    wall = time.perf_counter() - started
    cpu = cpu_seconds(server.proc.pid) - cpu_before
    srv = server.ask("stats")
    client = [t for call in calls for t in call.turnaround]
    ok = sum(1 for call in calls if call.variables.get("OMNIVOX_STATUS") == "OK")
    return {
        "concurrent": n,
        "calls_per_s": round(n / wall, 1),
        "wall_s": round(wall, 3),
        "p50_ms": round(srv["p50_ms"], 3),
        "p99_ms": round(srv["p99_ms"], 3),
        "client_p50_ms": round(percentile(client, 0.5) * 1000, 3),
        "client_p99_ms": round(percentile(client, 0.99) * 1000, 3),
        "rss_idle_kb": idle_kb,
        "rss_peak_kb": peak_kb,
        "rss_per_call_kb": round((peak_kb - idle_kb) / n, 1),
        "commands_per_call": round(srv["commands"] / max(srv["calls"], 1), 2),
        "server_cpu_ms_per_call": round(cpu * 1000 / n, 3),
        "ok_calls": ok,
        "failures": srv["failures"] + (n - ok),
    }


async def _call(port: int, digits: str, script: str, gate: Any) -> FakeCall:
    call = FakeCall(
        "127.0.0.1",
        port,
        script=script,
        digits=digits,
        variables={"CHANNEL(language)": "en"},
        gate=gate,
    )
    await call.connect()
    await call.run()
    return call


def print_table(rows: list[dict[str, Any]], spec: str) -> None:
    print(f"FastAGI load: handler {spec}, server in a subprocess, N calls open at once")
    head = ("N", "calls/s", "wall s", "srv p50", "srv p99", "cli p50", "cli p99", "KB/call", "fail")
    print("{:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>5}".format(*head))
    for r in rows:
        print(
            f"{r['concurrent']:>6} {r['calls_per_s']:>8.1f} {r['wall_s']:>7.2f} "
            f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['client_p50_ms']:>8.2f} "
            f"{r['client_p99_ms']:>8.2f} {r['rss_per_call_kb']:>8.1f} {r['failures']:>5}"
        )
    print("latencies in ms; srv = command round trip at the server, cli = reply→next command")
    for r in rows:
        print(
            f"N={r['concurrent']}: server RSS idle {r['rss_idle_kb'] / 1024:.1f} MB, "
            f"with all calls open {r['rss_peak_kb'] / 1024:.1f} MB, "
            f"{r['commands_per_call']} commands per call, "
            f"server CPU {r['server_cpu_ms_per_call']:.2f} ms per call"
        )


async def drive(sizes: list[int], spec: str, factory: bool, digits: str, script: str) -> None:
    raise_fd_limit(max(sizes) * 2 + 256)
    rows = []
    for n in sizes:
        server = Server(spec, factory)
        try:
            rows.append(await one_round(n, server, digits, script))
        finally:
            server.stop()
    print_table(rows, spec)
    largest = max(rows, key=lambda r: r["concurrent"])
    print(json.dumps({**largest, "handler": spec, "scenario": script.partition("?")[0]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--handler", default="demo", help="demo or module:name")
    parser.add_argument("--factory", action="store_true", help="--handler names a factory")
    parser.add_argument("--digits", default="11234", help="what each fake caller presses")
    parser.add_argument("--script", default="omnivox?bench=1", help="agi_network_script")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.handler, args.factory))
    else:
        sizes = sorted(args.calls)
        asyncio.run(drive(sizes, args.handler, args.factory, args.digits, args.script))


if __name__ == "__main__":
    main()
