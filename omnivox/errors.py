"""Errors the CLI reports as one line instead of a traceback."""


class OmnivoxError(Exception):
    """A failure the operator can act on: the message says what and where."""


class StartupError(OmnivoxError):
    """The server could not start (port in use, database unreachable, wrong AMI secret...)."""
