"""A separately started omnivox for ``omnivox simulate --server-url``: the shipped scenarios open
all day (a running server keeps the wall clock, which may be outside opening hours), an admin
signed in over HTTP, agents created and made ready through the API as a supervisor would."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from customers.store import CustomerStore
from omnivox.auth import hash_password

ROOT = Path(__file__).resolve().parent.parent
ALL_WEEK = {"mon-sun": "00:00-24:00"}


def open_all_day(into: Path) -> Path:
    """A copy of ``scenarios/`` whose every calendar is open around the clock."""
    into.mkdir(parents=True, exist_ok=True)
    for source in (ROOT / "scenarios").glob("*.yaml"):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        for calendar in (data.get("hours") or {}).values():
            calendar["open"] = dict(ALL_WEEK)
            calendar.pop("closed_dates", None)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (into / source.name).write_text(text, encoding="utf-8")
    for extra in (ROOT / "scenarios").iterdir():
        if extra.is_dir():
            shutil.copytree(extra, into / extra.name)
    return into


class Admin:
    """The server's HTTP API as a signed-in admin uses it."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        self.headers: dict[str, str] = {}

    async def sign_in(self, store: CustomerStore) -> str:
        """Create the admin ``boss`` and sign in; the session token."""
        await store.create_agent(
            "boss", "Boss", "PJSIP/1999", role="admin", password_hash=hash_password("s3cret-pass")
        )
        status, body = await self.call(
            "POST", "/auth/login", {"login": "boss", "password": "s3cret-pass"}
        )
        assert status == 200, body
        self.headers = {"Authorization": f"Bearer {body['token']}"}
        return str(body["token"])

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.http.request(
            method,
            self.base + path,
            json=body,
            headers=self.headers if headers is None else headers,
        ) as reply:
            return reply.status, await reply.json(content_type=None)

    async def ready_agent(self, login: str, endpoint: str, skills: dict[str, int]) -> int:
        body = {"login": login, "name": login.title(), "endpoint": endpoint, "skills": skills}
        status, agent = await self.call("POST", "/api/agents", body)
        assert status == 201, agent
        status, view = await self.call(
            "PUT", f"/api/agents/{agent['id']}/state", {"state": "ready"}
        )
        assert status == 200 and view["state"] == "ready", view
        return int(agent["id"])
