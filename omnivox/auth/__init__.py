"""Agents' authentication: scrypt password hashes, signed expiring session tokens, logout."""

from omnivox.auth.passwords import Cost, PasswordError, hash_password, verify_password
from omnivox.auth.principal import ROLES, Principal, may_watch
from omnivox.auth.revocation import MemoryRevocations, RedisRevocations, Revocations
from omnivox.auth.sessions import Sessions, SignInFailed, TooManyAttempts
from omnivox.auth.tokens import Claims, InvalidToken, TokenSigner

__all__ = [
    "ROLES",
    "Claims",
    "Cost",
    "InvalidToken",
    "MemoryRevocations",
    "PasswordError",
    "Principal",
    "RedisRevocations",
    "Revocations",
    "Sessions",
    "SignInFailed",
    "TokenSigner",
    "TooManyAttempts",
    "hash_password",
    "may_watch",
    "verify_password",
]
