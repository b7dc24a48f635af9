"""``watch_session`` on its own (a stand-in socket and agent store): it closes with 4401 and the
reason when the session ends, with the caller's code when the principal is no longer allowed
(at once when an admin changes the agent), and with the caller's code when ``ended`` returns;
a wake that changes nothing keeps the socket open."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from omnivox.auth import Sessions
from omnivox.auth.principal import Principal
from omnivox.auth.watch import CLOSE_SESSION, watch_session
from tests.desktop_helpers import SECRET

REFUSED = (4403, b"no longer allowed")


class Agents:
    """The store's ``get_agent`` over a dict."""

    def __init__(self) -> None:
        self.by_id: dict[int, Any] = {}
        self.asked = 0

    async def get_agent(self, agent: int | str) -> Any:
        self.asked += 1
        return self.by_id.get(agent) if isinstance(agent, int) else None


class Socket:
    def __init__(self) -> None:
        self.closed: list[tuple[int, bytes]] = []

    async def close(self, *, code: int, message: bytes) -> bool:
        self.closed.append((code, message))
        return True


def supervisors(principal: Principal) -> bool:
    return principal.role == "supervisor"


def signed_in(role: str = "supervisor") -> tuple[Agents, Sessions, str]:
    agents = Agents()
    agents.by_id[7] = SimpleNamespace(id=7, login="sue", role=role, team="sales")
    sessions = Sessions(agents, SECRET)
    token, _ = sessions.signer.issue(7, "sue", role, "sales")
    return agents, sessions, token


def watching(ws: Socket, sessions: Sessions, token: str, **options: Any) -> asyncio.Task[None]:
    """``watch_session`` of agent 7 as a task: supervisors allowed, refused with ``REFUSED``."""
    kwargs: dict[str, Any] = {"clock": time.time, "allowed": supervisors, "refused": REFUSED}
    return asyncio.create_task(watch_session(ws, sessions, token, 7, **(kwargs | options)))


async def test_a_session_signed_out_elsewhere_closes_with_4401_at_the_recheck() -> None:
    _, sessions, token = signed_in()
    ws = Socket()
    task = watching(ws, sessions, token, recheck_s=0.05)
    await asyncio.sleep(0.02)
    assert not ws.closed and not task.done()
    await sessions.sign_out(token)
    await asyncio.wait_for(task, 2)
    assert ws.closed == [(CLOSE_SESSION, b"signed out")]


async def test_a_role_change_closes_at_once_with_the_callers_code() -> None:
    agents, sessions, token = signed_in()
    ws = Socket()
    task = watching(ws, sessions, token)
    await asyncio.sleep(0.02)
    await sessions.agent_changed(7)  # nothing that matters changed: the socket stays open
    await asyncio.sleep(0.05)
    assert not ws.closed and not task.done()
    assert agents.asked == 1  # one re-check per wake, not a spin
    agents.by_id[7].role = "agent"
    await sessions.agent_changed(7)
    await asyncio.wait_for(task, 2)  # long before the 30 s re-check
    assert ws.closed == [REFUSED]


async def test_an_invalid_token_or_a_refused_principal_closes_before_any_wait() -> None:
    _, sessions, token = signed_in(role="agent")
    ws = Socket()
    await asyncio.wait_for(watching(ws, sessions, "junk"), 2)
    await asyncio.wait_for(watching(ws, sessions, token), 2)
    assert ws.closed[0][0] == CLOSE_SESSION and ws.closed[1] == REFUSED


async def test_ended_closes_with_its_code_and_reason() -> None:
    _, sessions, token = signed_in()
    ws = Socket()
    gate = asyncio.Event()

    async def ended() -> tuple[int, str]:
        await gate.wait()
        return 4408, "inbox overflow"

    task = watching(ws, sessions, token, ended=ended)
    await asyncio.sleep(0.02)
    await sessions.agent_changed(7)  # a wake alone does not end it
    await asyncio.sleep(0.02)
    assert not ws.closed and not task.done()
    gate.set()
    await asyncio.wait_for(task, 2)
    assert ws.closed == [(4408, b"inbox overflow")]
