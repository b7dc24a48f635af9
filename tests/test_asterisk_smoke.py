"""The project's Asterisk config on a real Asterisk 22: boot, AMI, the IVR and fallback paths."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from routing.ami import AMIAuthError, AMIClient, AMIMessage
from tests.fixtures.asterisk import AsteriskService

pytestmark = pytest.mark.asterisk


class AGIStub:
    """A tiny FastAGI server: records the environment, waits for a digit, sets the outcome."""

    def __init__(self, outcome: dict[str, str]) -> None:
        self.outcome = outcome
        self.envs: list[dict[str, str]] = []
        self.replies: dict[str, str] = {}
        self.done = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._call, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _call(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: dict[str, str] = {}
        while (line := (await reader.readline()).decode().rstrip("\n")) != "":
            key, _, value = line.partition(": ")
            env[key] = value
        self.envs.append(env)

        async def command(text: str) -> str:
            writer.write(text.encode() + b"\n")
            await writer.drain()
            reply = (await reader.readline()).decode().strip()
            self.replies[text] = reply
            return reply

        await command("WAIT FOR DIGIT 5000")
        await command("GET VARIABLE SIM_NOTE")
        for name, value in self.outcome.items():
            await command(f'SET VARIABLE {name} "{value}"')
        writer.close()
        self.done.set()


@pytest.fixture
async def ami(asterisk: AsteriskService) -> AsyncIterator[AMIClient]:
    client = AMIClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret)
    await client.connect()
    yield client
    await client.close()


def of_call(call_id: str) -> Callable[[AMIMessage], bool]:
    """Events of the originated call: both Local halves share ;1's uniqueid as Linkedid."""
    return lambda event: event.get("Linkedid") == call_id


async def originate_caller(ami: AMIClient, scenario: str, script: str, note: str = "") -> str:
    call_id = f"smoke-{uuid.uuid4().hex[:12]}"
    await ami.originate(
        "Local/s@omnivox-ivr",
        context="caller-sim",
        exten="s",
        caller_id='"Smoke Test" <5550001>',
        variables={"__OMNIVOX_SCENARIO": scenario, "SIM_SCRIPT": script, "SIM_NOTE": note},
        channel_id=call_id,
    )
    return call_id


async def test_boots_from_project_config_and_speaks_ami(
    asterisk: AsteriskService, ami: AMIClient
) -> None:
    assert "Asterisk 22." in asterisk.cli("core show version")
    assert "Asterisk 22." in await ami.command("core show version")
    assert asterisk.boot_seconds < 30
    modules = asterisk.cli("module show like pjsip")
    assert "chan_pjsip.so" in modules and "Running" in modules
    assert "1001" in asterisk.cli("pjsip show endpoints")
    assert "moh" in asterisk.cli("moh show classes")
    assert asterisk.sounds_dir.is_dir()
    wrong = AMIClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, "wrong")
    with pytest.raises(AMIAuthError):
        await wrong.connect()


async def test_ivr_call_reaches_fastagi_and_acts_on_its_outcome(
    asterisk: AsteriskService, ami: AMIClient
) -> None:
    stub = AGIStub(
        {"OMNIVOX_STATUS": "OK", "OMNIVOX_ACTION": "hangup", "OMNIVOX_HANGUP_CAUSE": "17"}
    )
    await stub.start()
    try:
        asterisk.point_agi("127.0.0.1", stub.port)
        assert await ami.getvar("OMNIVOX_AGI") == f"127.0.0.1:{stub.port}"
        events: list[AMIMessage] = []
        ami.on_event("*", events.append)
        result = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxResult")
        hangup = ami.expect("Hangup", lambda e: e.get("Channel", "").endswith(";2"))
        note = 'a,b "quoted" \\back'
        call_id = await originate_caller(ami, "smoke-scenario", "w:1^d:1^w:20^h", note)
        outcome = await asyncio.wait_for(result, 20)
        ended = await asyncio.wait_for(hangup, 20)
    finally:
        await stub.stop()

    env = stub.envs[0]
    assert env["agi_network_script"] == "smoke-scenario"
    assert env["agi_callerid"] == "5550001" and env["agi_context"] == "omnivox-ivr"
    assert stub.replies["WAIT FOR DIGIT 5000"] == "200 result=49"  # '1' from caller-sim
    assert stub.replies["GET VARIABLE SIM_NOTE"] == f"200 result=1 ({note})"
    assert of_call(call_id)(outcome) and of_call(call_id)(ended)
    assert (outcome["Status"], outcome["Action"], outcome["AGIStatus"]) == (
        "OK",
        "hangup",
        "SUCCESS",
    )
    assert outcome["Scenario"] == "smoke-scenario"
    assert ended["Cause"] == "17"
    steps = [e["Step"] for e in events if e.get("UserEvent") == "CallerSimStep"]
    assert steps[:2] == ["w:1", "d:1"]


async def test_unreachable_fastagi_takes_the_fallback(
    asterisk: AsteriskService, ami: AMIClient
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    asterisk.point_agi("127.0.0.1", closed_port)
    fallback = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxFallback")
    hangup = ami.expect("Hangup", lambda e: e.get("Channel", "").endswith(";2"))
    call_id = await originate_caller(ami, "telecom", "w:30^h")
    event = await asyncio.wait_for(fallback, 20)
    ended = await asyncio.wait_for(hangup, 30)
    assert of_call(call_id)(event) and of_call(call_id)(ended)
    assert event["Reason"].startswith("agi FAILURE")
    assert ended["Cause"] == "41"  # OMNIVOX_FALLBACK_CAUSE: told apart from a normal hang-up


async def test_queued_caller_waits_and_router_redirects_to_an_agent(
    asterisk: AsteriskService, ami: AMIClient
) -> None:
    stub = AGIStub({"OMNIVOX_STATUS": "OK", "OMNIVOX_ACTION": "queue", "OMNIVOX_QUEUE": "billing"})
    await stub.start()
    try:
        asterisk.point_agi("127.0.0.1", stub.port)
        waiting = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxWaiting")
        call_id = await originate_caller(ami, "telecom", "w:1^d:1^w:60^h")
        first_wait = await asyncio.wait_for(waiting, 20)
    finally:
        await stub.stop()
    assert of_call(call_id)(first_wait) and first_wait["Queue"] == "billing"

    # The router's move: pick an agent (1001 is not registered), set it, redirect.
    caller = first_wait["Channel"]
    no_answer = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxAgentNoAnswer")
    waiting_again = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxWaiting")
    await ami.setvar("OMNIVOX_AGENT_ENDPOINT", "PJSIP/1001", channel=caller)
    await ami.redirect(caller, "omnivox-connect", "s")
    missed = await asyncio.wait_for(no_answer, 20)
    assert (missed["Agent"], missed["DialStatus"]) == ("PJSIP/1001", "CHANUNAVAIL")
    assert (await asyncio.wait_for(waiting_again, 20))["Channel"] == caller
    assert await ami.getvar("OMNIVOX_QUEUE", channel=caller) == "billing"


async def test_failed_transfer_falls_back(asterisk: AsteriskService, ami: AMIClient) -> None:
    outcome = {
        "OMNIVOX_STATUS": "OK",
        "OMNIVOX_ACTION": "transfer",
        "OMNIVOX_TRANSFER_TO": "PJSIP/1002",
    }
    stub = AGIStub(outcome)
    await stub.start()
    try:
        asterisk.point_agi("127.0.0.1", stub.port)
        failed = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxTransferFailed")
        fallback = ami.expect("UserEvent", lambda e: e.get("UserEvent") == "OmnivoxFallback")
        call_id = await originate_caller(ami, "telecom", "w:1^d:1^w:30^h")
        transfer = await asyncio.wait_for(failed, 20)
        event = await asyncio.wait_for(fallback, 20)
    finally:
        await stub.stop()
    assert of_call(call_id)(transfer) and of_call(call_id)(event)
    assert (transfer["Target"], transfer["DialStatus"]) == ("PJSIP/1002", "CHANUNAVAIL")
    assert event["Reason"] == "transfer CHANUNAVAIL"
