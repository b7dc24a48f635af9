"""``omnivox simulate --against asterisk --server ... --server-url ...`` as the Docker ``callsim``
runs it: a separate ``omnivox simulate`` process calls through a real Asterisk 22 into an omnivox
started on its own (FastAGI, HTTP, AMI on real sockets), whose ready agent's phone
(``Local/1001@agent-sim``) answers; ``agent`` and ``screen_pop`` are read from the server's
``GET /api/calls/{uniqueid}/routing`` with an API key holding ``calls:read``. With a key that
also holds ``agents:write`` the simulator puts the agents on duty there itself: stand-ins, and
the agents a script declares, through ``PUT /api/qa/agents/{login}``, offline again after."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from omnivox.api import create_api_key
from omnivox.config import AMISettings, Bind, Settings
from omnivox.server import OmnivoxServer
from tests.fixtures.asterisk import AsteriskService
from tests.remote_helpers import ROOT, Admin, open_all_day

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
BILLING = ROOT / "qa" / "telecom_billing_regular.yaml"
DECLARED = ROOT / "qa" / "telecom_billing_declared_agent.yaml"
OMNIVOX = Path(sys.executable).with_name("omnivox")
# the shipped billing service with a one-second wrap-up: the agent is ready for the next call
ROUTING = """
services:
  billing:
    requires: {billing: 5}
    wrap_up_s: 1
  general:
    requires: {general: 1}
"""


@dataclass
class Stack:
    server: OmnivoxServer
    env: dict[str, str]  # the simulator's environment, as the callsim service gets it
    agent_id: int | None  # bella, the server's own ready agent (None: nobody on duty)

    async def key(self, *scopes: str) -> None:
        """The simulator gets a new key with ``scopes``."""
        assert self.server.store is not None
        self.env["OMNIVOX_API_KEY"] = await create_api_key(self.server.store, "callsim", scopes)


@contextlib.asynccontextmanager
async def started(
    asterisk: AsteriskService, tmp_path: Path, *, bella: bool
) -> AsyncIterator[Stack]:
    (tmp_path / "routing.yaml").write_text(ROUTING)
    database = f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}"
    scenarios = open_all_day(tmp_path / "scenarios")
    settings = Settings(
        database_url=database,
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=scenarios,
        sounds=asterisk.sounds_dir,
        routing=tmp_path / "routing.yaml",
    )
    async with OmnivoxServer(settings) as server, aiohttp.ClientSession() as http:
        assert server.fastagi is not None and server.store is not None
        asterisk.point_agi("127.0.0.1", server.fastagi.port)
        url = f"http://127.0.0.1:{server.http_port}"
        agent_id = None
        if bella:
            admin = Admin(http, url)
            await admin.sign_in(server.store)
            agent_id = await admin.ready_agent("bella", "Local/1001@agent-sim", {"billing": 8})
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIVOX_")}
        ami = f"ami://{asterisk.ami_user}:{asterisk.ami_secret}@{asterisk.ami_host}:"
        env |= {
            "OMNIVOX_DATABASE_URL": database,
            "OMNIVOX_AMI_URL": f"{ami}{asterisk.ami_port}",
            "OMNIVOX_SCENARIOS": str(scenarios),
            "OMNIVOX_SOUNDS": str(asterisk.sounds_dir),
            "OMNIVOX_SERVER_URL": url,
        }
        stack = Stack(server, env, agent_id)
        await stack.key("calls:read")
        yield stack


@pytest.fixture
async def stack(asterisk: AsteriskService, tmp_path: Path) -> AsyncIterator[Stack]:
    """The server with bella ready; the simulator's key reads calls only."""
    async with started(asterisk, tmp_path, bella=True) as stack:
        yield stack


@pytest.fixture
async def bare_stack(asterisk: AsteriskService, tmp_path: Path) -> AsyncIterator[Stack]:
    """The server with no agent at all: whoever answers, the simulator put on duty."""
    async with started(asterisk, tmp_path, bella=False) as stack:
        yield stack


async def simulate(stack: Stack, *scripts: Path) -> tuple[int, str]:
    """``omnivox simulate`` in its own process, while this one serves the calls."""
    assert stack.server.fastagi is not None
    argv = ["simulate", *map(str, scripts), "--against", "asterisk"]
    argv += ["--server", f"127.0.0.1:{stack.server.fastagi.port}"]
    process = await asyncio.create_subprocess_exec(
        str(OMNIVOX),
        *argv,
        env=stack.env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 240)
    return int(process.returncode or 0), out.decode()


def answered_by(server: OmnivoxServer) -> list[str]:
    return [str(p.get("agent_id")) for t, p in server.bus.recent if t == "routing.answered"]


@pytest.mark.timeout(420)
async def test_agent_and_screen_pop_are_checked_through_the_running_servers_api(
    stack: Stack, asterisk: AsteriskService, tmp_path: Path
) -> None:
    code, out = await simulate(stack, BILLING)
    assert code == 0, f"{out}\n--- Asterisk log ---\n{asterisk.log_tail(80)}"
    assert f"agents seen through {stack.env['OMNIVOX_SERVER_URL']}" in out
    assert "1 scripts: 1 passed, 0 failed" in out and "skip" not in out
    assert answered_by(stack.server) == [str(stack.agent_id)]  # bella's phone took the call

    # One wrong screen-pop field: the call fails with its per-step report, and the
    # expectations that hold are shown as checked against what the server says.
    text = BILLING.read_text()
    assert "        name: Ann Example\n" in text
    wrong = tmp_path / "wrong_pop.yaml"
    wrong.write_text(text.replace("        name: Ann Example\n", "        name: Ann Other\n"))
    lines = text.splitlines()
    pop_line = lines.index("      screen_pop:") + 1  # each field is reported at the block
    agent_line = lines.index("      agent: {skill: billing, waited_in: billing, abandoned: false}")
    await asyncio.sleep(1.5)  # bella's one-second wrap-up
    code, out = await simulate(stack, wrong)
    assert code == 1, f"{out}\n--- Asterisk log ---\n{asterisk.log_tail(80)}"
    got = "bella (billing 8), answered, waited in billing"
    failed = f"FAIL  {wrong}:{pop_line}  screen_pop name: expected Ann Other, got Ann Example"
    assert failed in out, out
    assert f"ok    {wrong}:{agent_line + 1}  agent skill: {got}" in out, out
    assert f"ok    {wrong}:{agent_line + 1}  agent abandoned: {got}" in out
    assert f"ok    {wrong}:{pop_line}  screen_pop why: billing" in out
    assert f"ok    {wrong}:{pop_line}  screen_pop data account_number: 20481632 from profile" in out
    assert "hear identify.confirm_prompt  -> heard identify.confirm_prompt" in out
    (journey,) = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("journey: ")]
    assert journey.startswith("journey: start > welcome > check_hours > main_menu=1 > "), journey
    assert "identify=1" in journey and "billing_offer=3" in journey, journey
    assert "1 scripts: 0 passed, 1 failed" in out
    assert answered_by(stack.server) == [str(stack.agent_id)] * 2


async def logins(server: OmnivoxServer, agent_ids: list[str]) -> list[str]:
    assert server.store is not None
    found = [await server.store.get_agent(int(a)) for a in agent_ids]
    return [r.login if r is not None else "?" for r in found]


@pytest.mark.timeout(480)
async def test_the_agents_a_script_declares_are_put_on_duty_on_the_running_server(
    bare_stack: Stack, asterisk: AsteriskService, tmp_path: Path
) -> None:
    stack, url = bare_stack, bare_stack.env["OMNIVOX_SERVER_URL"]
    # A key that only reads calls: nothing runs, the script and the missing scope are named.
    code, out = await simulate(stack, DECLARED, BILLING)
    assert code == 2, out
    assert f"{DECLARED} declare agents: to put on duty on {url}" in out, out
    assert "the API key lacks agents:write" in out and "--scope agents:write" in out
    assert str(BILLING) not in out and answered_by(stack.server) == []

    # callsim's key: Dana (declared) takes her script's call, a stand-in the other one.
    await stack.key("calls:read", "agents:write")
    code, out = await simulate(stack, DECLARED, BILLING)
    assert code == 0, f"{out}\n--- Asterisk log ---\n{asterisk.log_tail(80)}"
    assert "2 scripts: 2 passed, 0 failed" in out and "skip" not in out, out
    assert "agents on duty there: stand-ins sim-billing, sim-general" in out
    answered = await logins(stack.server, answered_by(stack.server))
    assert sorted(answered) == ["qa-dana", "sim-billing"], answered  # their phones took them
    assert stack.server.router is not None and stack.server.store is not None
    seated = {a.login: a.id for a in await stack.server.store.list_agents()}
    assert set(seated) == {"qa-dana", "sim-billing", "sim-general"}
    for login, agent_id in seated.items():  # all off duty again
        assert (await stack.server.router.get_state(agent_id))["state"] == "offline", login

    # The agent expectation is checked against who really answered: a wrong login fails.
    text = DECLARED.read_text()
    expected = "      agent: {login: qa-dana, skill: billing, waited_in: billing, abandoned: false}"
    line = text.splitlines().index(expected) + 1
    wrong = tmp_path / "wrong_agent.yaml"
    wrong.write_text(text.replace("{login: qa-dana, skill", "{login: qa-zed, skill"))
    code, out = await simulate(stack, wrong)
    assert code == 1, f"{out}\n--- Asterisk log ---\n{asterisk.log_tail(80)}"
    got = "qa-dana (billing 9), answered, waited in billing"
    assert f"FAIL  {wrong}:{line}  agent login: expected qa-zed, got {got}" in out, out
    assert f"ok    {wrong}:{line}  agent skill: {got}" in out
    assert f"ok    {wrong}:{line + 1}  screen_pop name: Ann Example" in out
    assert f"ok    {wrong}:{line + 1}  screen_pop data account_number: 20481632 from profile" in out
    assert (await stack.server.router.get_state(seated["qa-dana"]))["state"] == "offline"
