"""``GET /api/qa/agents`` and ``PUT /api/qa/agents/{login}`` on a running omnivox (HTTP on a real
socket, the shipped routing file): a key of scope ``agents:write`` seats stand-in agents
(``Local/<ext>@agent-sim``) and sets them ready / not ready / offline; no key is 401, a key
without the scope 403 naming it, bad input 400/422 naming the field, and a real agent's login
409. The answers match the served OpenAPI document. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from omnivox.api import build, create_api_key
from omnivox.config import Bind, Settings
from omnivox.server import OmnivoxServer
from tests.remote_helpers import ROOT, Admin

DANA = {"name": "Dana QA", "skills": {"billing": 9}, "endpoint": "Local/1201@agent-sim"}


class Api:
    def __init__(self, server: OmnivoxServer, admin: Admin) -> None:
        assert server.store is not None
        self.server, self.admin, self.store = server, admin, server.store

    async def key(self, *scopes: str) -> str:
        return await create_api_key(self.store, "qa", scopes)

    async def put(self, login: str, body: object, key: str | None) -> tuple[int, Any]:
        return await self.admin.call("PUT", f"/api/qa/agents/{login}", body, self._auth(key))

    async def list(self, key: str | None) -> tuple[int, Any]:
        return await self.admin.call("GET", "/api/qa/agents", None, self._auth(key))

    async def state(self, agent_id: int) -> str:
        assert self.server.router is not None
        return str((await self.server.router.get_state(agent_id))["state"])

    @staticmethod
    def _auth(key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The server on SQLite and on PostgreSQL (a new database per test)."""
    settings = Settings(
        database_url=db_url,
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=ROOT / "scenarios",
        sounds=tmp_path / "sounds",
        routing=ROOT / "config" / "routing.yaml",
    )
    async with OmnivoxServer(settings) as server, aiohttp.ClientSession() as http:
        assert server.store is not None
        admin = Admin(http, f"http://127.0.0.1:{server.http_port}")
        await admin.sign_in(server.store)
        yield Api(server, admin)


def conforms(body: object, schema_name: str) -> None:
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(build(), default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:doc#/components/schemas/{schema_name}"}
    found = list(Draft202012Validator(schema, registry=registry).iter_errors(body))
    assert not found, [f"{list(e.absolute_path)}: {e.message}" for e in found[:5]]


async def test_a_qa_key_seats_a_stand_in_then_takes_it_off_duty(api: Api) -> None:
    key = await api.key("calls:read", "agents:write")
    status, dana = await api.put("qa-dana", DANA | {"state": "ready"}, key)
    assert status == 201, dana
    conforms(dana, "QaAgent")
    assert (dana["login"], dana["state"], dana["created"]) == ("qa-dana", "ready", True)
    assert await api.state(dana["id"]) == "ready"  # the router serves her now

    status, again = await api.put(
        "qa-dana", DANA | {"skills": {"billing": 6, "general": 2}, "state": "not_ready"}, key
    )
    assert status == 200 and again["id"] == dana["id"] and again["created"] is False, again
    assert again["skills"] == {"billing": 6, "general": 2} and again["state"] == "not_ready"
    record = await api.store.get_agent("qa-dana")
    assert record is not None and dict(record.skills) == {"billing": 6, "general": 2}

    status, listed = await api.list(key)
    assert status == 200, listed
    conforms(listed, "QaAgents")
    assert [(a["login"], a["state"]) for a in listed["agents"]] == [("qa-dana", "not_ready")]
    assert {"billing", "general", "internet"} <= set(listed["skills"])  # config/routing.yaml

    status, off = await api.put("qa-dana", DANA | {"state": "offline"}, key)
    assert status == 200 and off["state"] == "offline", off
    assert await api.state(dana["id"]) == "offline"


async def test_without_a_key_or_the_scope_nothing_is_seated(api: Api) -> None:
    status, body = await api.put("qa-dana", DANA | {"state": "ready"}, None)
    assert status == 401 and body["error"] == "unauthorized", body
    assert "Authorization: Bearer ovx_" in body["message"]
    status, body = await api.put("qa-dana", DANA | {"state": "ready"}, "ovx_not-a-key")
    assert status == 401 and body["message"] == "this API key is not valid", body
    reader = await api.key("calls:read")
    for status, body in (
        await api.put("qa-dana", DANA | {"state": "ready"}, reader),
        await api.list(reader),
    ):
        assert status == 403 and body["scope"] == "agents:write", body
        assert "this needs the scope agents:write" in body["message"]
        assert "has: calls:read" in body["message"]
    assert await api.store.get_agent("qa-dana") is None


@pytest.mark.parametrize(
    ("login", "body", "status", "field", "words"),
    [
        ("qa dana", DANA | {"state": "ready"}, 400, "login", "letters, digits"),
        ("qa-dana", "ready", 400, "body", "expected a JSON object"),
        ("qa-dana", DANA | {"state": "busy"}, 422, "state", "ready, not_ready, offline"),
        ("qa-dana", DANA | {"state": "ready", "role": "admin"}, 422, "role", "unknown field"),
        (
            "qa-dana",
            DANA | {"endpoint": "PJSIP/2001", "state": "ready"},
            422,
            "endpoint",
            "Local/<digits>@agent-sim",
        ),
        ("qa-dana", DANA | {"skills": ["billing"], "state": "ready"}, 422, "skills", "level"),
        (
            "qa-dana",
            DANA | {"skills": {"billing": 11}, "state": "ready"},
            422,
            "skills['billing'] level",
            "outside 1..10",
        ),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    api: Api, login: str, body: object, status: int, field: str, words: str
) -> None:
    key = await api.key("agents:write")
    got, reply = await api.put(login, body, key)
    assert (got, reply["field"]) == (status, field), reply
    assert words in reply["message"], reply
    assert await api.store.get_agent("qa-dana") is None


async def test_a_real_agents_login_is_not_touched(api: Api) -> None:
    bella = await api.admin.ready_agent("bella", "PJSIP/2001", {"billing": 8})
    key = await api.key("agents:write")
    for login in ("bella", "boss"):  # a desk phone; the admin who signs in
        status, body = await api.put(login, DANA | {"state": "offline"}, key)
        assert status == 409 and body["field"] == "login", body
        assert "is not a stand-in agent" in body["message"], body
    assert await api.state(bella) == "ready"
    record = await api.store.get_agent("bella")
    assert record is not None and dict(record.skills) == {"billing": 8}
    status, listed = await api.list(key)
    assert status == 200 and listed["agents"] == []  # only stand-ins are listed
    await api.put("qa-dana", DANA | {"state": "offline"}, key)
    status, body = await api.put(
        "qa-dana", DANA | {"endpoint": "Local/1202@agent-sim", "state": "ready"}, key
    )
    assert status == 409 and body["field"] == "endpoint", body


async def test_an_admin_session_may_seat_and_the_document_names_the_scope(api: Api) -> None:
    status, body = await api.admin.call(
        "PUT", "/api/qa/agents/qa-dana", DANA | {"state": "ready"}
    )  # the admin's session token: the admin role holds every scope
    assert status == 201 and body["state"] == "ready", body
    paths = build()["paths"]
    for method, path in (("get", "/api/qa/agents"), ("put", "/api/qa/agents/{login}")):
        op = paths[path][method]
        assert op["security"] == [{"bearer": ["agents:write"]}]
        assert {"401", "403"} <= set(op["responses"])
    assert {"400", "409", "422"} <= set(paths["/api/qa/agents/{login}"]["put"]["responses"])
