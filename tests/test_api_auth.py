"""API keys and scopes over real HTTP, on SQLite and PostgreSQL: 401 without a valid key,
403 naming the missing scope, keys stored hashed, agents' principals by role."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from customers.exceptions import InvalidValue
from customers.store import CustomerStore
from omnivox.api import KEY_PREFIX, PRINCIPAL, create_api_key
from tests.api_helpers import Api, serve_api


@pytest.fixture
async def api(store: CustomerStore) -> AsyncIterator[Api]:
    async with serve_api(store) as served:
        yield served


async def test_no_key_wrong_key_revoked_key_are_401(api: Api) -> None:
    ann = await api.store.create_customer("Ann")
    path = f"/api/customers/{ann.id}"
    response = await api.client.get(path)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await response.json())["error"] == "unauthorized"
    wrong = await api.call(
        "GET", path, headers={"Authorization": f"Bearer {KEY_PREFIX}not-a-real-key"}, status=401
    )
    assert wrong["message"] == "this API key is not valid"
    other = await api.call("GET", path, headers={"Authorization": "Bearer abc.def"}, status=401)
    assert "API key" in other["message"]  # not ours: passed through, and nobody signed in
    headers = await api.key("customers:read")
    await api.call("GET", path, headers=headers, status=200)
    [key] = [k for k in await api.store.list_api_keys() if k.name == "test"]
    await api.store.revoke_api_key(key.id)
    revoked = await api.call("GET", path, headers=headers, status=401)
    assert revoked["message"] == "this API key is revoked"
    await api.call("GET", "/api/openapi.json", headers={}, status=200)  # the document is public


async def test_scopes_are_enforced_with_the_reason(api: Api) -> None:
    ann = await api.store.create_customer("Ann")
    bob = await api.store.create_customer("Bob")
    reader = await api.key("customers:read")
    await api.call("GET", f"/api/customers/{ann.id}", headers=reader, status=200)
    refused = [
        ("POST", "/api/customers", {}, "customers:write"),
        ("POST", f"/api/customers/{ann.id}/merge", {"merged_id": bob.id}, "customers:write"),
        ("POST", "/api/merges/1/undo", None, "merges:undo"),
        ("POST", "/api/interactions", {}, "interactions:write"),
        ("GET", f"/api/customers/{ann.id}/export", None, "privacy"),
        ("DELETE", f"/api/customers/{ann.id}", None, "privacy"),
    ]
    for method, path, body, scope in refused:
        answer = await api.call(method, path, headers=reader, json=body, status=403)
        assert answer["error"] == "forbidden" and answer["scope"] == scope, path
        assert f"needs the scope {scope}" in answer["message"]
        assert "has: customers:read" in answer["message"]
    # nothing was done by the refused requests
    assert (await api.store.resolve_customer(bob.id)).id == bob.id
    assert await api.store.audit_log(target_kind="customer") == []


async def test_keys_are_stored_hashed(api: Api, engine: AsyncEngine) -> None:
    key = await create_api_key(api.store, "crm sync", ["customers:read", "interactions:write"])
    assert key.startswith(KEY_PREFIX) and len(key) > 40
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM api_keys"))).mappings().all()
    assert all(key not in str(dict(row)) for row in rows)
    [row] = [r for r in rows if r["name"] == "crm sync"]
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row["prefix"]) and len(row["prefix"]) == 10
    [record] = [k for k in await api.store.list_api_keys() if k.name == "crm sync"]
    assert record.scopes == ("interactions:write", "customers:read")
    [entry] = await api.store.audit_log(action="api_key.create", target_id=record.id)
    assert entry.detail == {"scopes": ["interactions:write", "customers:read"]}
    with pytest.raises(InvalidValue) as error:
        await create_api_key(api.store, "bad", ["customers:read", "root"])
    assert error.value.field == "scopes"
    with pytest.raises(InvalidValue, match="at least one scope"):
        await create_api_key(api.store, "none", [])


@dataclass(frozen=True)
class Agent:
    """An agent's principal as another middleware (the desktop's sessions) would make it."""

    kind: str
    id: int
    role: str
    scopes: tuple[str, ...] = ("desktop",)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def signed_in_agent(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Test stand-in for the session middleware: the agent named in a header is signed in."""
    role = request.headers.get("X-Agent-Role")
    if role is not None:
        request[PRINCIPAL] = Agent("agent", 7, role)
    return await handler(request)


async def test_agents_get_their_roles_scopes(store: CustomerStore) -> None:
    async with serve_api(store, middlewares=(signed_in_agent,)) as api:
        ann = await store.create_customer("Ann")
        agent, admin = {"X-Agent-Role": "agent"}, {"X-Agent-Role": "admin"}
        created = await api.call(
            "POST", "/api/customers", headers=agent, json={"display_name": "Bob"}, status=201
        )
        [entry] = await store.audit_log(action="customer.create")
        assert (entry.actor.kind, entry.actor.id) == ("agent", "7")
        refused = await api.call("DELETE", f"/api/customers/{ann.id}", headers=agent, status=403)
        assert refused["scope"] == "privacy" and "agent 7 has:" in refused["message"]
        await api.call("DELETE", f"/api/customers/{ann.id}", headers=admin, status=200)
        # an API key sent along with an agent's session is the one that counts
        bob = created["customer"]["id"]
        privacy = await api.key("privacy")
        await api.call("DELETE", f"/api/customers/{bob}", headers=privacy | agent, status=200)
        [erase] = await store.audit_log(action="customer.erase", target_id=bob)
        assert erase.actor.kind == "api_key"
