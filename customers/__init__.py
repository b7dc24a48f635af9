"""The unified customer store: customers and identities, cross-channel interactions, profile
data, IVR journeys, agents, skills and services, on SQLite or PostgreSQL."""

from customers.db import check, make_engine, make_sessionmaker, migrate
from customers.exceptions import (
    Conflict,
    CustomerStoreError,
    IdentityConflict,
    InvalidCursor,
    InvalidIdentity,
    InvalidValue,
    JourneyConflict,
    NotFound,
    StoreUnavailable,
)
from customers.identities import normalize_identity, normalize_phone
from customers.store import CustomerStore

__all__ = [
    "Conflict",
    "CustomerStore",
    "CustomerStoreError",
    "IdentityConflict",
    "InvalidCursor",
    "InvalidIdentity",
    "InvalidValue",
    "JourneyConflict",
    "NotFound",
    "StoreUnavailable",
    "check",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "normalize_identity",
    "normalize_phone",
]
