"""Errors of the customer store; each message names the field or thing at fault."""

from __future__ import annotations


class CustomerStoreError(Exception):
    """Base of every error the customer store raises on purpose."""


class StoreUnavailable(CustomerStoreError):
    """The database cannot be reached or opened; the message is one line, password hidden."""


class InvalidValue(CustomerStoreError, ValueError):
    """A value given to the store is not acceptable; ``field`` names the argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class InvalidIdentity(InvalidValue):
    """An identity value (phone number, e-mail, handle) cannot be normalised."""


class InvalidCursor(InvalidValue):
    """A timeline cursor was not produced by :meth:`CustomerStore.timeline`."""


class NotFound(CustomerStoreError, LookupError):
    """The customer, journey or agent referred to does not exist."""


class Conflict(CustomerStoreError):
    """A unique value (identity, call id, login) already belongs to something else."""


class IdentityConflict(Conflict):
    """The identity already belongs to another customer."""

    def __init__(self, kind: str, value: str, owner_id: int) -> None:
        super().__init__(f"identity {kind} {value!r} already belongs to customer {owner_id}")
        self.kind = kind
        self.value = value
        self.owner_id = owner_id


class JourneyConflict(Conflict):
    """A journey for this call id already exists."""

    def __init__(self, call_id: str, journey_id: int) -> None:
        super().__init__(f"journey for call {call_id!r} already exists (id {journey_id})")
        self.call_id = call_id
        self.journey_id = journey_id
