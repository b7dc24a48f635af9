"""What can go wrong when a customer presents a resume token or writes in the chat."""

from __future__ import annotations


class SwitchError(Exception):
    """Base: ``status`` and ``code`` are what HTTP answers with."""

    status = 400
    code = "invalid"


class TokenUnknown(SwitchError):
    status, code = 404, "unknown_token"


class TokenExpired(SwitchError):
    status, code = 410, "expired_token"


class TokenUsed(SwitchError):
    status, code = 410, "used_token"


class NotReady(SwitchError):
    """The call that gave the link has not been saved yet (it is still ending)."""

    status, code = 409, "not_ready"


class BadSession(SwitchError):
    status, code = 403, "bad_session"


class InvalidMessage(SwitchError):
    """Empty, blank or too long: ``field`` names what to fix."""

    status, code = 400, "invalid"
    field = "text"


class ChatUnknown(SwitchError):
    status, code = 404, "unknown_chat"


class ChatEnded(SwitchError):
    status, code = 409, "chat_ended"


class NotAssigned(SwitchError):
    """Someone other than the chat's agent (or their supervisor) tried to read or write."""

    status, code = 403, "forbidden"


class SendError(Exception):
    """A message was not sent; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry
