"""The Asterisk Manager Interface client: call control and events for the router.

``protocol`` (pure framing), ``backoff`` (pure reconnect delays), ``connection`` (one socket),
``dispatch`` (contained event handlers), ``actions`` (typed call control), ``client``
(login, timeouts, reconnect), ``fake_server`` (a stand-in Asterisk Manager for tests).
"""

from routing.ami.backoff import Backoff
from routing.ami.client import AMIClient
from routing.ami.errors import (
    AMIActionError,
    AMIAuthError,
    AMIError,
    AMIProtocolError,
    AMITimeout,
    AMIUnavailable,
)
from routing.ami.protocol import AMIMessage

__all__ = [
    "AMIActionError",
    "AMIAuthError",
    "AMIClient",
    "AMIError",
    "AMIMessage",
    "AMIProtocolError",
    "AMITimeout",
    "AMIUnavailable",
    "Backoff",
]
