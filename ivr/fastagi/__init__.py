"""FastAGI on asyncio: the server Asterisk's ``AGI(agi://...)`` connects to.

``protocol`` (pure wire format), ``channel`` (one call), ``server`` (TCP), ``errors``, and
``client`` (a fake Asterisk for tests, benchmarks and simulation).
"""

from ivr.fastagi.channel import AGIChannel
from ivr.fastagi.errors import (
    AGICommandError,
    AGIDeadChannel,
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
    FastAGIStartupError,
)
from ivr.fastagi.protocol import AGIEnvironment, Reply
from ivr.fastagi.server import FastAGIServer, Handler, ServerStats

__all__ = [
    "AGIChannel",
    "AGICommandError",
    "AGIDeadChannel",
    "AGIEnvironment",
    "AGIError",
    "AGIHangup",
    "AGIProtocolError",
    "AGITimeout",
    "FastAGIServer",
    "FastAGIStartupError",
    "Handler",
    "Reply",
    "ServerStats",
]
