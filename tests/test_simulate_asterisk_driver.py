"""The asterisk driver without an Asterisk: its AMI conversation against a stand-in Asterisk
that speaks real AMI (``FakeAMIServer``) and real FastAGI to the real server.

The stand-in does what the project's dialplan and Asterisk do for the driver, as far as the
driver can tell: an Originate becomes a call whose IVR half runs ``AGI(agi://OMNIVOX_AGI/...)``
(each command reported as ``AGIExecStart``), ``SIM_SCRIPT`` steps ``d:KEYS`` reach the IVR's
next digit reads (``DTMFEnd``, received) and ``h`` hangs up; after the AGI the result is a
``UserEvent: OmnivoxResult`` and a queued caller stays until hung up. The real Asterisk tests
are in ``test_simulate_asterisk.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.fastagi.asterisk_side import ReceivedCommand
from ivr.fastagi.client import FakeCall
from omnivox.config import Settings
from omnivox.simulate import model as m
from omnivox.simulate.asterisk import ON_HOLD, AsteriskDriver, point_agi
from omnivox.simulate.asterisk_line import IDLE, AsteriskLine, agi_command, say_step, sim_step
from omnivox.simulate.caller import Caller, Reaction
from omnivox.simulate.heard import Transcript
from omnivox.simulate.runner import Runner
from omnivox.simulate.scripts import load_scripts
from omnivox.simulate.targets import Target, embedded
from routing.ami import AMIClient, AMIMessage
from routing.ami.fake_server import FakeAMIServer, Reply

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "qa"
PIECE_S = 0.08  # how long the stand-in "plays" each sound


@dataclass
class Leg:
    """One originated call in the stand-in."""

    call_id: str
    caller_channel: str
    ivr_channel: str
    variables: dict[str, str]
    callerid: str
    keys: deque[str] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    hangup: asyncio.Event = field(default_factory=asyncio.Event)
    fake: FakeCall | None = None


class StandInAsterisk:
    """See the module docstring."""

    def __init__(self, ami: FakeAMIServer) -> None:
        self.ami = ami
        self.globals = {"OMNIVOX_AGI": "127.0.0.1:4573"}
        self.legs: dict[str, Leg] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.script_writes: list[str] = []
        self._numbers = itertools.count(1)
        ami.respond("Originate", self._originate)
        ami.respond("Setvar", self._setvar)
        ami.respond("Getvar", self._getvar)
        ami.respond("Hangup", self._hangup)

    def _leg(self, channel: str) -> Leg | None:
        return next(
            (g for g in self.legs.values() if channel in (g.caller_channel, g.ivr_channel)), None
        )

    def _originate(self, request: AMIMessage) -> Iterable[Reply]:
        assert request.get_ci("Channel") == "Local/s@omnivox-ivr"
        assert (request.get_ci("Context"), request.get_ci("Exten")) == ("caller-sim", "s")
        variables = dict(v.split("=", 1) for v in request.getall("Variable"))
        base = f"Local/s@omnivox-ivr-{next(self._numbers):08x}"
        call_id = request.get_ci("ChannelId")
        number = re.search(r"<([^>]*)>", request.get_ci("CallerID"))
        leg = Leg(call_id, base + ";1", base + ";2", variables, number.group(1) if number else "")
        self.legs[call_id] = leg
        task = asyncio.get_running_loop().create_task(self._run(leg))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    def _setvar(self, request: AMIMessage) -> Iterable[Reply]:
        channel, name, value = (request.get_ci(k) for k in ("Channel", "Variable", "Value"))
        leg = self._leg(channel) if channel else None
        if not channel:
            self.globals[name] = value
        elif leg is not None and name == "SIM_SCRIPT" and channel == leg.caller_channel:
            self.script_writes.append(value)
            first = value.split("^", 1)[0]
            if first.startswith("d:"):
                leg.keys.extend(first[2:])
                leg.arrived.set()
            elif first == "h":
                leg.hangup.set()
                leg.arrived.set()
        return [{"Response": "Success", "Message": "Variable Set"}]

    def _getvar(self, request: AMIMessage) -> Iterable[Reply]:
        channel, name = request.get_ci("Channel"), request.get_ci("Variable")
        leg = self._leg(channel) if channel else None
        if leg is not None and leg.fake is not None:
            value = leg.fake.variables.get(name, "")
        else:
            value = self.globals.get(name, "")
        return [{"Response": "Success", "Variable": name, "Value": value}]

    def _hangup(self, request: AMIMessage) -> Iterable[Reply]:
        leg = self._leg(request.get_ci("Channel"))
        if leg is None:
            return [{"Response": "Error", "Message": "No such channel"}]
        leg.hangup.set()
        leg.arrived.set()
        return [{"Response": "Success", "Message": "Channel Hungup"}]

    async def _emit(self, leg: Leg, event: str, channel: str, **fields: str) -> None:
        uniqueid = leg.call_id if channel == leg.caller_channel else leg.call_id + ";2"
        await self.ami.emit(
            event, Channel=channel, Uniqueid=uniqueid, Linkedid=leg.call_id, **fields
        )

    async def _run(self, leg: Leg) -> None:
        await self._emit(leg, "Newchannel", leg.caller_channel)
        host, port = self.globals["OMNIVOX_AGI"].rsplit(":", 1)
        fake = leg.fake = FakeCall(
            host,
            int(port),
            script=leg.variables["__OMNIVOX_SCENARIO"],
            callerid=leg.callerid,
            uniqueid=leg.call_id + ";2",
            channel=leg.ivr_channel,
        )
        replies: dict[int, str] = {}

        async def gate(cmd: ReceivedCommand) -> None:
            await self._emit(leg, "AGIExecStart", leg.ivr_channel, Command=cmd.line)
            index = len(fake.commands) - 1
            if leg.hangup.is_set():
                fake.hangup_at = index
                return
            plays = cmd.name in ("STREAM FILE", "SAY DIGITS", "SAY NUMBER")
            if not plays and cmd.name != "WAIT FOR DIGIT":
                return
            wait = PIECE_S if plays else min(int(cmd.args[0]) / 1000, 2.0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    while not leg.keys and not leg.hangup.is_set():
                        leg.arrived.clear()
                        await leg.arrived.wait()
            if leg.hangup.is_set():
                fake.hangup_at = index
            elif leg.keys:
                key = leg.keys.popleft()
                await self._emit(leg, "DTMFEnd", leg.ivr_channel, Digit=key, Direction="Received")
                escape = cmd.args[1] if plays and len(cmd.args) > 1 else ""
                if not plays:
                    replies[index] = f"200 result={ord(key)}"
                elif key in escape:  # otherwise Asterisk drops it
                    replies[index] = f"200 result={ord(key)} endpos=800"

        fake.gate = gate
        fake.responder = lambda cmd: replies.pop(len(fake.commands) - 1, None)
        await fake.connect()
        await fake.run()
        if not fake.hung_up:
            v = fake.variables
            await self._emit(
                leg,
                "UserEvent",
                leg.ivr_channel,
                UserEvent="OmnivoxResult",
                Status=v.get("OMNIVOX_STATUS", ""),
                Action=v.get("OMNIVOX_ACTION", ""),
                Queue=v.get("OMNIVOX_QUEUE", ""),
                Scenario=leg.variables["__OMNIVOX_SCENARIO"],
                AGIStatus="SUCCESS",
            )
            if v.get("OMNIVOX_ACTION") == "queue":
                await leg.hangup.wait()  # on hold until someone hangs up
        for channel in (leg.ivr_channel, leg.caller_channel):
            await self._emit(leg, "Hangup", channel, Cause="16")


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")


@pytest.fixture
async def stand_in() -> AsyncIterator[StandInAsterisk]:
    server = FakeAMIServer("omnivox", "secret")
    await server.start()
    asterisk = StandInAsterisk(server)
    yield asterisk
    for task in list(asterisk.tasks):
        task.cancel()
    await asyncio.gather(*asterisk.tasks, return_exceptions=True)
    await server.stop()


@pytest.fixture
async def ami(stand_in: StandInAsterisk) -> AsyncIterator[AMIClient]:
    client = AMIClient("127.0.0.1", stand_in.ami.port, "omnivox", "secret")
    await client.connect()
    yield client
    await client.close()


@pytest.fixture
async def target(tmp_path: Path, sounds: Path) -> AsyncIterator[Target]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        scenarios=ROOT / "scenarios",
        sounds=sounds,
        routing=ROOT / "config" / "routing.yaml",
    )
    async with embedded(settings) as t:
        yield t


async def test_the_qa_suite_passes_through_the_stand_in_asterisk(
    target: Target, ami: AMIClient, stand_in: StandInAsterisk
) -> None:
    assert target.fastagi is not None
    previous = await point_agi(ami, str(target.fastagi))
    assert previous == "127.0.0.1:4573"
    assert stand_in.globals["OMNIVOX_AGI"] == f"127.0.0.1:{target.fastagi.port}"
    scripts = load_scripts([QA], target.scenarios)
    results = await Runner(target, AsteriskDriver(ami), concurrency=4).run(scripts)
    failed = [r for r in results if r.status != "passed"]
    assert failed == [], [(r.name, r.note, [c.steps for c in r.calls]) for r in failed]
    assert all(w in (IDLE, ON_HOLD, "h") or w.startswith("d:") for w in stand_in.script_writes)
    hangup = next(r for r in results if "Hang-up" in r.name)
    assert hangup.calls[0].line.caller_hung_up
    billing = next(r for r in results if "Billing regular" in r.name).calls[0]
    assert billing.agent is not None and billing.agent.agent is not None
    assert billing.agent.agent.login == "sim-billing"  # held until the router offered it
    queued = next(r for r in results if "Russian" in r.name).calls[0].line
    assert queued.variables["OMNIVOX_SKILLS"] == "general lang_ru"
    assert queued.setup_s is not None and queued.uniqueid and queued.uniqueid.endswith(";2")


async def test_one_key_at_a_time_reaches_the_ivr(
    target: Target, ami: AMIClient, stand_in: StandInAsterisk
) -> None:
    assert target.fastagi is not None
    await point_agi(ami, str(target.fastagi))
    (script,) = load_scripts([QA / "telecom_first_time_caller.yaml"], target.scenarios)
    (result,) = await Runner(target, AsteriskDriver(ami)).run([script])
    assert result.status == "passed", result
    keys = [w.split("^")[0] for w in stand_in.script_writes if w.startswith("d:")]
    assert keys == ["d:6", *(f"d:{k}" for k in "55556666#"), "d:1"]


def line_with(steps: list[m.Step]) -> AsteriskLine:
    return AsteriskLine("sim-1", Caller(steps, Transcript(None)))


def agi(command: str) -> dict[str, str]:
    return {
        "Channel": "Local/s@omnivox-ivr-0000002a;2",
        "Uniqueid": "sim-1;2",
        "Linkedid": "sim-1",
        "Command": command,
    }


def test_the_line_follows_channels_keys_and_the_end_of_the_call() -> None:
    line = line_with([m.Press("12")])
    assert line.ours({"Linkedid": "sim-1"}) and not line.ours({"Linkedid": "sim-2"})
    line.on_event("AGIExecStart", agi('STREAM FILE omnivox/abc "0123456789*#"'))
    assert (line.ivr_channel, line.caller_channel, line.uniqueid) == (
        "Local/s@omnivox-ivr-0000002a;2",
        "Local/s@omnivox-ivr-0000002a;1",
        "sim-1;2",
    )
    assert line.transcript.prompts[0].text == "[omnivox/abc]" and not line.todo
    line.on_event("AGIExecStart", agi("WAIT FOR DIGIT 5000"))
    assert list(line.todo) == [Reaction(key="1")]
    line.todo.popleft()
    line.key_sent("1")
    line.on_event("AGIExecStart", agi("WAIT FOR DIGIT 5000"))
    assert not line.todo  # the key on its way answers this one
    line.on_event("DTMFEnd", {"Channel": "Local/s@omnivox-ivr-0000002a;1", "Direction": "Received"})
    assert line.in_flight == "1"  # only the IVR half reading it counts
    line.on_event("DTMFEnd", agi("") | {"Direction": "Received", "Digit": "1"})
    assert line.in_flight is None
    line.on_event("AGIExecStart", agi("WAIT FOR DIGIT 5000"))
    assert list(line.todo) == [Reaction(key="2")]
    line.on_event("Hangup", {"Channel": "Local/s@omnivox-ivr-0000002a;1"})
    assert not line.ended
    line.on_event("Hangup", {"Channel": "Local/s@omnivox-ivr-0000002a;2"})
    assert line.ended


def test_results_fallbacks_and_failed_originates_are_kept() -> None:
    line = line_with([])
    line.on_event("UserEvent", agi("") | {"UserEvent": "OmnivoxFallback", "Reason": "hold timeout"})
    line.on_event("UserEvent", agi("") | {"UserEvent": "OmnivoxResult", "Action": "queue"})
    assert line.fallback == "hold timeout" and line.result is not None
    assert line.uniqueid == "sim-1;2"
    failed = line_with([])
    failed.on_event("OriginateResponse", {"Response": "Failure", "Reason": "5"})
    assert failed.ended and failed.failed == "originate failed: 5"


def test_sim_script_steps_and_agi_commands_as_events_report_them() -> None:
    assert sim_step(Reaction(key="#")) == f"d:#^{IDLE}"
    assert sim_step(Reaction(delay=2, hangup=True)) == "h"
    assert sim_step(Reaction(delay=2)) is None
    assert len(f"Variable: SIM_SCRIPT={IDLE}") < 1000  # one AMI header line
    cmd = agi_command('STREAM FILE omnivox/abc "0123456789*#" ')
    assert (cmd.name, cmd.args) == ("STREAM FILE", ("omnivox/abc", "0123456789*#"))
    encoded = agi_command("SAY%20DIGITS%201%20%220123456789*%23%22")
    assert (encoded.name, encoded.args) == ("SAY DIGITS", ("1", "0123456789*#"))


def test_a_speech_question_plays_the_phrase_or_sends_the_keys() -> None:
    line = line_with([m.Say("티비"), m.Press("42")])
    line.on_event("AGIExecStart", agi("EXEC AudioSocket 0b6f0c1e-0000-4000-8000-000000000001,h:1"))
    assert list(line.todo) == [Reaction(say="티비")]
    assert say_step("omnivox/sim-say-1") == f"p:omnivox/sim-say-1^{IDLE}"
    line.todo.popleft()
    line.on_event("AGIExecStart", agi("EXEC AudioSocket 0b6f0c1e-0000-4000-8000-000000000002,h:1"))
    assert list(line.todo) == [Reaction(keys="42")]
    assert sim_step(line.todo[0]) == f"d:42^{IDLE}"
    assert [r.status for r in line.caller.results] == ["passed", "passed"]
