"""``omnivox simulate SCRIPTS…``: run caller scripts and report; exit 0 when every script
passed (or was skipped, with the reason), 1 when any failed, 2 when any script is invalid."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TextIO

from customers.exceptions import CustomerStoreError
from ivr.scenario import ScenarioSet
from omnivox.config import Bind, ConfigError, Settings
from omnivox.errors import OmnivoxError
from omnivox.simulate import junit
from omnivox.simulate.asterisk import AsteriskDriver, point_agi
from omnivox.simulate.builtin import BuiltinDriver
from omnivox.simulate.caller import KEYS_ONLY, NO_SPEECH
from omnivox.simulate.clock import DEFAULT_TIME
from omnivox.simulate.loadtest import run_load, same_clock
from omnivox.simulate.model import Script
from omnivox.simulate.progress import Progress
from omnivox.simulate.remote import SCOPE, SEAT_SCOPE, RemoteDesk
from omnivox.simulate.remote_checks import (
    BUILTIN_REMOTE,
    KEY_ENV,
    URL_ENV,
    check_remote,
    seating_refused,
)
from omnivox.simulate.report import detail, footer
from omnivox.simulate.results import ScriptResult
from omnivox.simulate.runner import Driver, Runner
from omnivox.simulate.scripts import read_scripts
from omnivox.simulate.targets import Target, embedded, running
from routing.ami import AMIClient, AMIError

QUIET_LOGGERS = ("omnivox", "ivr", "routing", "customers", "aiosqlite", "sqlalchemy")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omnivox simulate",
        description="Play QA caller scripts against the IVR and judge every call. Exit 0: all"
        " passed (or skipped, with the reason); 1: a script failed; 2: invalid scripts.",
    )
    parser.add_argument("scripts", nargs="+", help="caller scripts (*.yaml) or directories")
    parser.add_argument(
        "--against",
        choices=("builtin", "asterisk"),
        default="builtin",
        help="builtin: speak FastAGI to the server directly; asterisk: real calls over AMI"
        " (needs ami_url)",
    )
    parser.add_argument(
        "--server",
        metavar="HOST:PORT",
        help="a running omnivox (its FastAGI address; the database comes from the settings)"
        " instead of an embedded one",
    )
    parser.add_argument(
        "--server-url",
        metavar="URL",
        help=f"with --server and --against asterisk: its HTTP address (default ${URL_ENV}), to"
        f" check 'agent' and 'screen_pop' through its API with the key in ${KEY_ENV} (scope"
        f" {SCOPE}; with {SEAT_SCOPE} also to put agents on duty)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="scripts at once (default 4)"
    )
    parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--load", type=int, metavar="N", help="load mode: N callers")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="start the load callers evenly over this time",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, metavar="SECONDS", help="per call (default 120)"
    )
    return parser


def main(argv: Sequence[str], settings: Settings, *, out: TextIO | None = None) -> int:
    """Entry point for ``omnivox simulate``; returns the exit code."""
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.server_url is None and args.server is not None and args.against == "asterisk":
        args.server_url = os.environ.get(URL_ENV) or None  # the default where it applies
    problem = _check_args(args)
    if problem is not None:
        print(f"omnivox simulate: {problem}", file=sys.stderr)
        return 2
    scenarios, refused = ScenarioSet.load_dir(settings.scenarios)
    scripts, problems = read_scripts(args.scripts, scenarios)
    if problems:
        for p in problems:
            print(str(p), file=sys.stderr)
        bad = len({p.file for p in problems})
        print(f"omnivox simulate: {bad} invalid script file(s); nothing was run", file=sys.stderr)
        for p in refused:
            print(f"(scenario refused: {p})", file=sys.stderr)
        if args.junit:
            junit.write(args.junit, [], suite="omnivox simulate", seconds=0.0, invalid=problems)
        return 2
    problem = check_remote(args, scripts)
    if problem is not None:
        print(f"omnivox simulate: {problem}", file=sys.stderr)
        return 2
    with _quiet(settings):
        try:
            return asyncio.run(_run(args, settings, scripts, out))
        except (OmnivoxError, ConfigError, CustomerStoreError, AMIError, OSError) as exc:
            print(f"omnivox simulate: {exc}", file=sys.stderr)
            return 1


def _check_args(args: argparse.Namespace) -> str | None:
    if args.concurrency < 1:
        return "--concurrency must be at least 1"
    if args.load is not None and args.load < 1:
        return "--load must be at least 1"
    if args.ramp < 0 or (args.ramp and args.load is None):
        return "--ramp needs --load and must not be negative"
    if args.server is not None:
        host, _, port = args.server.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            return (
                f"--server: expected HOST:PORT of a running omnivox's FastAGI, got {args.server!r}"
            )
        args.server = Bind(host.strip("[]"), int(port))
    if args.server_url is not None:
        if args.server is None:
            return "--server-url needs --server (the embedded server's agents are seen directly)"
        if not args.server_url.startswith(("http://", "https://")):
            return f"--server-url: expected http(s)://HOST:PORT, got {args.server_url!r}"
        if args.against == "builtin":
            return f"--server-url needs --against asterisk: {BUILTIN_REMOTE}"
    return None


@contextlib.contextmanager
def _quiet(settings: Settings) -> Iterator[None]:
    """The server's INFO lines would bury the report: warnings only, unless DEBUG."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    before = [lg.level for lg in loggers]
    if settings.log_level != "DEBUG":
        for lg in loggers:
            lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)


@contextlib.asynccontextmanager
async def session(
    settings: Settings,
    against: str,
    server: Bind | None,
    call_timeout: float,
    remote: RemoteDesk | None = None,
) -> AsyncIterator[tuple[Target, Driver]]:
    """The target and driver for ``--against`` and ``--server`` (``remote``: the running
    server's API, for the agents' side)."""
    if against == "builtin":
        if server is None:
            async with embedded(settings) as target:
                assert target.fastagi is not None
                yield target, BuiltinDriver(*_addr(target.fastagi), call_timeout=call_timeout)
        else:
            async with _remote(remote), running(settings, server, remote) as target:
                yield target, BuiltinDriver(*_addr(server), call_timeout=call_timeout)
        return
    ami_settings = settings.ami
    if ami_settings is None:
        raise ConfigError("the asterisk driver needs AMI: set ami_url (OMNIVOX_AMI_URL)")
    ami = AMIClient(
        ami_settings.host, ami_settings.port, ami_settings.username, ami_settings.secret
    )
    await ami.connect()
    try:
        driver = AsteriskDriver(
            ami,
            call_timeout=call_timeout,
            sounds=settings.sounds,
            sound_prefix=settings.sound_prefix,
        )
        if server is not None:
            async with _remote(remote), running(settings, server, remote) as target:
                yield target, driver  # Asterisk already sends omnivox-ivr calls to that server
            return
        async with embedded(settings, with_ami=True) as target:
            assert target.fastagi is not None
            previous = await point_agi(ami, str(target.fastagi))
            try:
                yield target, driver
            finally:
                with contextlib.suppress(AMIError):
                    await ami.setvar("OMNIVOX_AGI", previous)
    finally:
        await ami.close()


@contextlib.asynccontextmanager
async def _remote(remote: RemoteDesk | None) -> AsyncIterator[None]:
    """Prove the running server's URL and key before any call; close at the end."""
    if remote is None:
        yield
        return
    await remote.start()
    try:
        yield
    finally:
        await remote.close()


def speech_note(settings: Settings) -> str:
    """Why a ``say`` step fails at a question that asks for keys."""
    return NO_SPEECH if settings.speech_model is None else KEYS_ONLY


def _addr(bind: Bind) -> tuple[str, int]:
    return bind.host, bind.port


async def _run(
    args: argparse.Namespace, settings: Settings, scripts: list[Script], out: TextIO
) -> int:
    started = time.monotonic()
    remote = None
    if args.server is not None and args.server_url is not None and args.api_key is not None:
        remote = RemoteDesk(args.server_url, args.api_key, answered=args.against == "asterisk")
    async with session(settings, args.against, args.server, args.timeout, remote) as (
        target,
        driver,
    ):
        refused = seating_refused(remote, scripts) if remote is not None else None
        if refused is not None:
            print(f"omnivox simulate: {refused}", file=sys.stderr)
            return 2
        print(
            f"omnivox simulate: {len(scripts)} script(s), {driver.name} driver, "
            f"{target.description}" + (f", agents seen through {remote.url}" if remote else ""),
            file=out,
        )
        if remote is not None and remote.seats_agents:
            seated = ", ".join(s.login for s in remote.defaults) or "none"
            print(
                f"agents on duty there: stand-ins {seated}, or a script's own agents: while it"
                " runs (offline at the end)",
                file=out,
            )
        if target.clock is not None:
            print(
                f"call time: {DEFAULT_TIME:%a %Y-%m-%d %H:%M} UTC unless a script sets 'at:'"
                " (inside the shipped scenarios' opening hours; other scenarios move on to"
                " their first open hour)",
                file=out,
            )
        if args.load is not None:
            return await _load(args, settings, target, driver, scripts, out, started)
        progress = Progress(len(scripts), out)
        runner = Runner(
            target,
            driver,
            concurrency=args.concurrency,
            speech_note=speech_note(settings),
            on_start=progress.start,
            on_done=progress.done,
        )
        results = await runner.run(scripts)
        progress.close()
    return _finish(args, results, out, time.monotonic() - started, suite=driver.name)


async def _load(
    args: argparse.Namespace,
    settings: Settings,
    target: Target,
    driver: Driver,
    scripts: list[Script],
    out: TextIO,
    started: float,
) -> int:
    runner = Runner(target, driver, speech_note=speech_note(settings))
    problem = same_clock(runner, scripts)
    if problem is not None:
        print(f"omnivox simulate: {problem}", file=sys.stderr)
        return 2
    print(f"seeding {args.load} callers, then a {args.ramp:g} s ramp...", file=out)
    report = await run_load(runner, scripts, args.load, args.ramp)
    for line in report.lines():
        print(line, file=out)
    return _finish(
        args, report.results, out, time.monotonic() - started, suite=f"{driver.name} load"
    )


def _finish(
    args: argparse.Namespace,
    results: Sequence[ScriptResult],
    out: TextIO,
    seconds: float,
    *,
    suite: str,
) -> int:
    bad = [r for r in results if r.status in ("failed", "error")]
    for result in bad[:20]:
        print(file=out)
        for line in detail(result):
            print(line, file=out)
    if len(bad) > 20:
        print(
            f"\n... and {len(bad) - 20} more failures (all of them in the JUnit report)", file=out
        )
    print(file=out)
    print(footer(results, seconds), file=out)
    if results and all(r.status == "skipped" for r in results):
        print("note: every script was skipped: nothing was checked", file=out)
    if args.junit:
        junit.write(args.junit, results, suite=f"omnivox simulate ({suite})", seconds=seconds)
    return 1 if bad else 0
