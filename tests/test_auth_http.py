"""Sign-in over HTTP on a real server: JSON and form logins, cookie and Bearer, 401 reasons."""

from __future__ import annotations

import pytest

from omnivox.auth.http import COOKIE
from omnivox.auth.tokens import TokenSigner
from tests.desktop_helpers import make_agent, running


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_json_login_answers_a_token_and_sets_a_strict_cookie(sqlite_store) -> None:
    agent = await make_agent(sqlite_store, "ann", team="north")
    async with running(sqlite_store) as desk:
        response = await desk.client.post(
            "/auth/login", json={"login": "ann", "password": "pw-ann"}
        )
        assert response.status == 200
        body = await response.json()
        assert body["principal"] == {
            "kind": "agent",
            "id": agent.id,
            "login": "ann",
            "role": "agent",
            "team": "north",
            "scopes": ["desktop"],
        }
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"{COOKIE}={body['token']}")
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"):
            assert attribute in cookie
        me = await desk.client.get("/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert (await me.json())["login"] == "ann"


async def test_wrong_or_missing_credentials(sqlite_store) -> None:
    await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        wrong = await desk.client.post("/auth/login", json={"login": "ann", "password": "x"})
        assert wrong.status == 401
        assert (await wrong.json())["error"] == "sign_in_failed"
        missing = await desk.client.post("/auth/login", json={"login": "ann"})
        assert missing.status == 422
        assert (await missing.json())["field"] == "password"
        garbage = await desk.client.post("/auth/login", data=b"{not json")
        assert garbage.status == 400
        assert "Set-Cookie" not in wrong.headers


async def test_form_login_redirects_to_the_desktop_with_the_cookie(sqlite_store) -> None:
    await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        ok = await desk.client.post(
            "/auth/login", data={"login": "ann", "password": "pw-ann"}, allow_redirects=False
        )
        assert ok.status == 303 and ok.headers["Location"] == "/desktop"
        assert COOKIE in ok.cookies
        bad = await desk.client.post(
            "/auth/login", data={"login": "ann", "password": "no"}, allow_redirects=False
        )
        assert bad.status == 303 and bad.headers["Location"].startswith("/?error=")


async def test_the_cookie_alone_authenticates(sqlite_store) -> None:
    await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        await desk.token("ann")  # the client's cookie jar keeps the session cookie
        me = await desk.client.get("/auth/me")
        assert me.status == 200 and (await me.json())["login"] == "ann"
        page = await desk.client.get("/desktop", allow_redirects=False)
        assert page.status == 200
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_no_forged_tampered_or_expired_token_gets_in(sqlite_store) -> None:
    clock = Clock()
    agent = await make_agent(sqlite_store, "ann")
    async with running(sqlite_store, clock=clock) as desk:
        token = await desk.token("ann")
        forged, _ = TokenSigner(b"not-the-server-secret-at-all!!!").issue(
            agent.id, "ann", "admin", None
        )
        tampered = token[:-3] + ("xyz" if token[-3:] != "xyz" else "abc")
        for bad, reason in ((forged, "bad signature"), (tampered, "bad signature")):
            response = await desk.client.get("/auth/me", headers={"Authorization": f"Bearer {bad}"})
            assert response.status == 401
            assert (await response.json())["message"] == reason
        clock.now += 12 * 3600
        expired = await desk.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert expired.status == 401
        assert (await expired.json())["message"] == "token expired"
        nothing = await desk.client.get("/auth/me", headers={"Authorization": "Bearer "})
        assert nothing.status == 401
        unsigned = await desk.client.get("/desktop", allow_redirects=False)
        assert unsigned.status == 303  # the cookie jar still sends the expired token


async def test_logout_revokes_the_token_and_clears_the_cookie(sqlite_store) -> None:
    await make_agent(sqlite_store, "ann")
    async with running(sqlite_store) as desk:
        token = await desk.token("ann")
        bearer = {"Authorization": f"Bearer {token}"}
        out = await desk.client.post("/auth/logout", headers=bearer)
        assert (await out.json()) == {"signed_out": True}
        assert f'{COOKIE}=""' in out.headers["Set-Cookie"]
        again = await desk.client.get("/auth/me", headers=bearer)
        assert again.status == 401 and (await again.json())["message"] == "signed out"
        page = await desk.client.get("/desktop", headers=bearer, allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "/"


@pytest.mark.redis
async def test_logout_on_one_instance_holds_on_another(sqlite_store) -> None:
    from tests.desktop_helpers import redis_prefix

    await make_agent(sqlite_store, "ann")
    async with (
        redis_prefix() as (redis, prefix),
        running(sqlite_store, redis=redis, prefix=prefix) as a,
        running(sqlite_store, redis=redis, prefix=prefix) as b,
    ):
        token = await a.token("ann")
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await b.client.get("/auth/me", headers=bearer)).status == 200
        await a.client.post("/auth/logout", headers=bearer)
        refused = await b.client.get("/auth/me", headers=bearer)
        assert refused.status == 401 and (await refused.json())["message"] == "signed out"
