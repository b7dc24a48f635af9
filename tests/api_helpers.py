"""The omnichannel API served for real (aiohttp TestServer on a free port) over a store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator

from customers.store import CustomerStore
from ivr.call.handler import utc_now
from omnivox.api import SCOPES, create_api_key, setup
from omnivox.api.schemas import errors


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    store: CustomerStore
    admin: dict[str, str]  # headers with a key holding every scope

    async def key(self, *scopes: str, name: str = "test") -> dict[str, str]:
        """Headers carrying a new API key with ``scopes``."""
        return {"Authorization": f"Bearer {await create_api_key(self.store, name, scopes)}"}

    async def call(
        self,
        method: str,
        path: str,
        *,
        status: int,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """The JSON answer, after checking the status (the body is shown when it differs)."""
        response = await self.client.request(
            method, path, headers=self.admin if headers is None else headers, **kwargs
        )
        body = await response.json()
        assert response.status == status, (response.status, body)
        return body


def conforms(schema: str, body: object) -> None:
    """``body`` matches the OpenAPI document's component ``schema``."""
    found = errors(schema, body)
    assert not found, [f"{list(e.absolute_path)}: {e.message}" for e in found[:5]]


def check_openapi_schema(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)


@asynccontextmanager
async def serve_api(
    store: CustomerStore,
    *,
    clock: Callable[[], datetime] = utc_now,
    middlewares: tuple[Any, ...] = (),
) -> AsyncIterator[Api]:
    app = web.Application(middlewares=list(middlewares))
    setup(app, store, clock=clock)
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    try:
        admin = {"Authorization": f"Bearer {await create_api_key(store, 'admin', SCOPES)}"}
        yield Api(client, store, admin)
    finally:
        await client.close()
