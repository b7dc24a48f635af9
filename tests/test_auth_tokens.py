"""Session tokens: signed claims with expiry; forged, tampered, expired and revoked refused."""

from __future__ import annotations

import base64
import json

import pytest

from omnivox.auth import MemoryRevocations, RedisRevocations, Sessions, SignInFailed
from omnivox.auth.principal import Principal, may_watch
from omnivox.auth.sessions import MAX_FAILURES, TooManyAttempts
from omnivox.auth.tokens import InvalidToken, TokenSigner
from tests.desktop_helpers import SECRET, make_agent, redis_prefix


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    payload = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_token_carries_the_agent_and_expires_after_ttl() -> None:
    clock = Clock()
    signer = TokenSigner(SECRET, ttl_s=3600, clock=clock)
    token, issued = signer.issue(7, "ann", "supervisor", "north")
    claims = signer.verify(token)
    assert claims == issued
    assert (claims.agent_id, claims.login, claims.role, claims.team) == (
        7,
        "ann",
        "supervisor",
        "north",
    )
    assert claims.expires_at - claims.issued_at == 3600
    principal = claims.principal()
    assert principal == Principal(
        "agent", 7, "ann", "supervisor", "north", ("desktop", "team"), claims.token_id
    )
    clock.now += 3599
    signer.verify(token)
    clock.now += 1
    with pytest.raises(InvalidToken, match="expired"):
        signer.verify(token)


def test_changing_a_claim_breaks_the_signature() -> None:
    signer = TokenSigner(SECRET)
    token, _ = signer.issue(7, "ann", "agent", "north")
    body = _claims(token) | {"role": "admin"}
    forged = _b64(json.dumps(body).encode()) + "." + token.split(".")[1]
    with pytest.raises(InvalidToken, match="bad signature"):
        signer.verify(forged)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidToken, match="bad signature"):
        signer.verify(flipped)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    other = TokenSigner(b"another-secret-of-enough-length!")
    token, _ = other.issue(1, "eve", "admin", None)
    with pytest.raises(InvalidToken, match="bad signature"):
        TokenSigner(SECRET).verify(token)


def test_a_token_from_the_future_is_refused() -> None:
    clock = Clock()
    token, _ = TokenSigner(SECRET, clock=Clock(clock.now + 3600)).issue(1, "a", "agent", None)
    with pytest.raises(InvalidToken, match="future"):
        TokenSigner(SECRET, clock=clock).verify(token)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 5000, "....", "e30.AAAA"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        TokenSigner(SECRET).verify(token)


def test_the_secret_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        TokenSigner(b"short")
    with pytest.raises(ValueError, match="role"):
        TokenSigner(SECRET).issue(1, "a", "root", None)


def test_who_may_watch_whom() -> None:
    agent = Principal.for_agent(1, "a", "agent", "north")
    supervisor = Principal.for_agent(2, "s", "supervisor", "north")
    admin = Principal.for_agent(3, "root", "admin", None)
    assert may_watch(agent, 1, "north")
    assert not may_watch(agent, 4, "north")
    assert may_watch(supervisor, 4, "north")
    assert not may_watch(supervisor, 5, "south")
    assert not may_watch(supervisor, 6, None)
    assert not may_watch(Principal.for_agent(9, "s2", "supervisor", None), 6, None)
    assert may_watch(admin, 5, "south")


async def test_revocation_in_memory_lasts_until_expiry() -> None:
    clock = Clock()
    revoked = MemoryRevocations(clock)
    await revoked.revoke("t1", clock.now + 10)
    await revoked.revoke("t0", clock.now - 1)  # already expired: nothing to remember
    assert await revoked.is_revoked("t1")
    assert not await revoked.is_revoked("t0")
    clock.now += 11
    assert not await revoked.is_revoked("t1")


@pytest.mark.redis
async def test_revocation_in_redis_is_shared_and_expires() -> None:
    async with redis_prefix() as (redis, prefix):
        clock = Clock()
        one = RedisRevocations(redis, prefix=prefix, clock=clock)
        two = RedisRevocations(redis, prefix=prefix, clock=clock)
        await one.revoke("tok", clock.now + 30)
        assert await two.is_revoked("tok")
        assert not await two.is_revoked("other")
        ttl = await redis.ttl(f"{prefix}revoked:tok")
        assert 0 < ttl <= 31


async def test_sign_in_checks_the_password_and_sign_out_revokes(sqlite_store) -> None:
    await make_agent(sqlite_store, "ann", role="supervisor", team="north")
    sessions = Sessions(sqlite_store, SECRET)
    token, claims = await sessions.sign_in("ann", "pw-ann")
    principal = await sessions.authenticate(token)
    assert (principal.login, principal.role, principal.team) == ("ann", "supervisor", "north")
    for login, password in (("ann", "wrong"), ("nobody", "pw-ann"), ("", "x")):
        with pytest.raises(SignInFailed, match="wrong login or password"):
            await sessions.sign_in(login, password)
    assert await sessions.sign_out(token) == claims
    with pytest.raises(InvalidToken, match="signed out"):
        await sessions.authenticate(token)
    assert await sessions.sign_out("garbage") is None


async def test_repeated_failures_lock_the_login_for_a_while(sqlite_store) -> None:
    await make_agent(sqlite_store, "bob")
    clock = Clock()
    sessions = Sessions(sqlite_store, SECRET, clock=clock)
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInFailed):
            await sessions.sign_in("bob", "nope")
    with pytest.raises(TooManyAttempts) as refused:
        await sessions.sign_in("bob", "pw-bob")  # even the right password waits
    assert refused.value.retry_after_s > 0
    clock.now += 301
    token, _ = await sessions.sign_in("bob", "pw-bob")
    assert (await sessions.authenticate(token)).login == "bob"
