"""Stateless session tokens: HMAC-SHA256 over the claims, with issue time and expiry.

A token is ``<claims b64url>.<mac b64url>``; the claims are compact JSON (agent id, login,
role, team, issued-at, expiry, token id). Nothing in a token is secret, everything in it is
authenticated: changing one byte, re-signing with another key or presenting it after its
expiry gives :class:`InvalidToken`. Revocation (logout) is the job of :mod:`.revocation`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from omnivox.auth.principal import ROLE_SCOPES, Principal

VERSION = 1
DEFAULT_TTL_S = 12 * 3600
MIN_SECRET_BYTES = 16
MAX_TOKEN_CHARS = 2048
CLOCK_SKEW_S = 60  # tokens "issued" up to this far in the future are accepted (other hosts)


class InvalidToken(Exception):
    """A token that is malformed, forged, tampered with, expired or revoked."""


@dataclass(frozen=True, slots=True)
class Claims:
    agent_id: int
    login: str
    role: str
    team: str | None
    issued_at: int
    expires_at: int
    token_id: str

    def principal(self) -> Principal:
        return Principal.for_agent(
            self.agent_id, self.login, self.role, self.team, session=self.token_id
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and checks tokens with one server secret (the same on every instance)."""

    def __init__(
        self,
        secret: bytes,
        *,
        ttl_s: int = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"secret: expected at least {MIN_SECRET_BYTES} bytes")
        if ttl_s <= 0:
            raise ValueError(f"ttl_s: expected a positive number of seconds, got {ttl_s}")
        # a key of its own for tokens, so the configured secret can sign other things safely
        self._key = hmac.new(secret, b"omnivox-session-v1", hashlib.sha256).digest()
        self.ttl_s = ttl_s
        self._clock = clock

    def issue(self, agent_id: int, login: str, role: str, team: str | None) -> tuple[str, Claims]:
        """A new token for the agent, valid for ``ttl_s`` from now."""
        if role not in ROLE_SCOPES:
            raise ValueError(f"role: expected one of {', '.join(ROLE_SCOPES)}, got {role!r}")
        now = int(self._clock())
        claims = Claims(
            agent_id, login, role, team, now, now + self.ttl_s, secrets.token_urlsafe(12)
        )
        body = {
            "v": VERSION,
            "sub": claims.agent_id,
            "login": claims.login,
            "role": claims.role,
            "team": claims.team,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.token_id,
        }
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._mac(payload)}", claims

    def verify(self, token: str) -> Claims:
        """The claims of a valid, unexpired token; :class:`InvalidToken` otherwise."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            raise InvalidToken("malformed token")
        payload, mac = token.split(".")
        if not hmac.compare_digest(self._mac(payload), mac):
            raise InvalidToken("bad signature")
        try:
            body = json.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            raise InvalidToken("malformed token") from None
        claims = _claims(body)
        now = self._clock()
        if now >= claims.expires_at:
            raise InvalidToken("token expired")
        if claims.issued_at > now + CLOCK_SKEW_S:
            raise InvalidToken("token issued in the future")
        return claims

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())


def _claims(body: object) -> Claims:
    """Signed claims we issued ourselves; a shape check still guards against old versions."""
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise InvalidToken("unsupported token version")
    try:
        agent_id, login, role = body["sub"], body["login"], body["role"]
        team, iat, exp, jti = body["team"], body["iat"], body["exp"], body["jti"]
    except KeyError as missing:
        raise InvalidToken(f"token lacks {missing}") from None
    ints_ok = all(isinstance(x, int) and not isinstance(x, bool) for x in (agent_id, iat, exp))
    texts_ok = all(isinstance(x, str) for x in (login, role, jti))
    if not ints_ok or not texts_ok or not (team is None or isinstance(team, str)):
        raise InvalidToken("malformed claims")
    if role not in ROLE_SCOPES:
        raise InvalidToken(f"unknown role {role!r}")
    return Claims(agent_id, login, role, team, iat, exp, jti)
