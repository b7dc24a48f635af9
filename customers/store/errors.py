"""Errors of identity resolution, merges and erasure (the store's base errors are in
:mod:`customers.exceptions`)."""

from __future__ import annotations

from datetime import datetime

from customers.exceptions import Conflict, InvalidValue, NotFound


class Erased(NotFound):
    """The customer was erased on request; only anonymous counts remain."""

    def __init__(self, customer_id: int, erased_at: datetime) -> None:
        super().__init__(f"customer {customer_id} was erased at {erased_at.isoformat()}")
        self.customer_id = customer_id
        self.erased_at = erased_at


class Unresolved(InvalidValue):
    """No customer is known by the identities given, and the request forbade creating one."""

    def __init__(self, message: str, candidates: tuple[int, ...] = ()) -> None:
        super().__init__("identities", message)
        self.candidates = candidates


class AmbiguousIdentities(Conflict):
    """The identities of one request belong to different customers."""

    def __init__(self, owners: dict[int, list[str]]) -> None:
        described = "; ".join(f"customer {c}: {', '.join(ids)}" for c, ids in owners.items())
        super().__init__(
            f"the identities belong to different customers ({described}); "
            "merge them or name customer_id"
        )
        self.field = "identities"
        self.owners = owners


class MergeConflict(Conflict):
    """A merge or its undo cannot happen in the current state (named in the message)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
