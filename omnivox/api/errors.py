"""The one place where the API's errors become HTTP: JSON ``{error, message[, field]}``.

``error`` is a stable code, ``message`` the reason a person can read, ``field`` the request
field at fault (a JSON path such as ``identities[0].value``, a query parameter, or ``id``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from customers.exceptions import (
    Conflict,
    IdentityConflict,
    InvalidValue,
    NotFound,
    StoreUnavailable,
)
from customers.store.errors import AmbiguousIdentities, Erased, MergeConflict, Unresolved

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    410: web.HTTPGone,
    422: web.HTTPUnprocessableEntity,
    503: web.HTTPServiceUnavailable,
}


class ApiError(Exception):
    """An error answer: raise it from a handler wrapped by :func:`json_errors`."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body | self.extra

    def response(self, headers: dict[str, str] | None = None) -> web.HTTPException:
        return _STATUS[self.status](
            text=web.json_response(self.body()).text,
            content_type="application/json",
            headers=headers,
        )


def invalid(field: str, message: str, status: int = 422) -> ApiError:
    return ApiError(status, "invalid", message, field)


def from_store(error: Exception) -> ApiError:
    """The answer for an error the store raised on purpose."""
    match error:
        case Erased():
            return ApiError(410, "erased", str(error), erased_at=error.erased_at.isoformat())
        case Unresolved():
            message = str(error).partition(": ")[2]
            return ApiError(
                422, "unresolved", message, error.field, candidates=list(error.candidates)
            )
        case InvalidValue():
            return ApiError(422, "invalid", str(error).partition(": ")[2], error.field)
        case NotFound():
            return ApiError(404, "not_found", str(error))
        case IdentityConflict():
            return ApiError(
                409, "identity_conflict", str(error), "identities", owner_id=error.owner_id
            )
        case AmbiguousIdentities():
            owners = {str(k): v for k, v in error.owners.items()}
            return ApiError(409, "ambiguous_identities", str(error), error.field, owners=owners)
        case MergeConflict():
            return ApiError(409, "merge_conflict", str(error), error.field)
        case Conflict():
            return ApiError(409, "conflict", str(error))
        case StoreUnavailable():
            return ApiError(503, "unavailable", "the customer store is unavailable")
    raise error


def json_errors(handler: Handler) -> Handler:
    """Turn :class:`ApiError` and the store's errors into JSON answers."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            raise error.response() from None
        except (InvalidValue, NotFound, Conflict, StoreUnavailable) as error:
            raise from_store(error).response() from None

    return wrapped
