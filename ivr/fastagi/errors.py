"""Errors of the FastAGI layer: one class per way a call can go wrong."""

from __future__ import annotations


class AGIError(Exception):
    """Base of every FastAGI error."""


class AGIHangup(AGIError):
    """The call is over: Asterisk closed the socket, or a command failed because the caller left."""


class AGIDeadChannel(AGIHangup):
    """Asterisk answered 511: the command is not permitted on a dead (hung-up) channel."""


class AGICommandError(AGIError):
    """Asterisk refused a command (510 unknown, 520 bad syntax) or the command itself failed."""

    def __init__(self, message: str, *, code: int | None = None, command: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.command = command


class AGITimeout(AGIError):
    """No complete reply (or environment) arrived in time; the connection is no longer usable."""


class AGIProtocolError(AGIError):
    """Asterisk (or whatever is on the other end) sent something that is not FastAGI."""


class FastAGIStartupError(OSError):
    """The server could not listen (port in use, address not available, permission)."""
