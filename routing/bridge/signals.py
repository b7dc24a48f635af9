"""AMI events as the router understands them. Pure: an event in, a signal (or None) out.

The dialplan (``asterisk-config/etc/extensions.conf``) announces each step of a waiting call
with a UserEvent; Asterisk's own ``DialEnd``, ``Hangup`` and ``DeviceStateChange`` events say
whether an agent answered, who hung up, and whether an endpoint is reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Asterisk device states that mean nobody can take a call on that endpoint.
UNREACHABLE = frozenset({"UNAVAILABLE", "INVALID", "UNKNOWN"})


@dataclass(frozen=True, slots=True)
class CallerWaiting:
    """The caller reached the hold context for ``queue`` (first time or after a missed agent)."""

    uniqueid: str
    channel: str
    queue: str
    facts: Mapping[str, str] = field(default_factory=dict)  # the IVR's variables, as sent


@dataclass(frozen=True, slots=True)
class CallbackAnswered:
    """The agent rung for a callback (channel ``uniqueid``: the contact's id) picked up."""

    uniqueid: str


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    """The agent dialled for the caller ``uniqueid`` picked up."""

    uniqueid: str
    agent_channel: str


@dataclass(frozen=True, slots=True)
class AgentMissed:
    """The agent dialled for the caller did not answer (or was unreachable)."""

    uniqueid: str
    endpoint: str
    dial_status: str


@dataclass(frozen=True, slots=True)
class CallerGone:
    """The caller's channel hung up (waiting, ringing an agent, or talking)."""

    uniqueid: str
    cause: str


@dataclass(frozen=True, slots=True)
class DevicePresence:
    """An endpoint's device state changed; ``reachable`` is False when it cannot take calls."""

    device: str
    state: str

    @property
    def reachable(self) -> bool:
        return self.state.upper() not in UNREACHABLE


Signal = (
    CallerWaiting | AgentAnswered | CallbackAnswered | AgentMissed | CallerGone | DevicePresence
)
# The OmnivoxWaiting fields carrying what the IVR decided (the channel's OMNIVOX_* variables).
# The OmnivoxWaiting fields carrying what the IVR decided (the channel's OMNIVOX_* variables),
# by fact name. Priority and Language would collide with headers Asterisk adds to every event.
WAITING_FACTS = {
    "skills": "Skills",
    "priority": "CallPriority",
    "intent": "Intent",
    "language": "CallLanguage",
    "journey": "Journey",
    "customer": "Customer",
    "vip": "Vip",
    "caller": "Caller",
}


def _get(event: Mapping[str, str], key: str) -> str:
    value = event.get(key)
    if value is not None:
        return value
    wanted = key.lower()
    return next((v for k, v in event.items() if k.lower() == wanted), "")


def signal_of(event: Mapping[str, str]) -> Signal | None:
    """The routing meaning of one AMI event, or None when it has none."""
    name = _get(event, "Event")
    if name == "UserEvent":
        kind = _get(event, "UserEvent")
        if kind == "OmnivoxWaiting":
            facts = {name: _get(event, h) for name, h in WAITING_FACTS.items() if _get(event, h)}
            return CallerWaiting(
                _get(event, "Uniqueid"), _get(event, "Channel"), _get(event, "Queue"), facts
            )
        if kind == "OmnivoxCallbackAnswered":
            return CallbackAnswered(_get(event, "Contact") or _get(event, "Uniqueid"))
        if kind == "OmnivoxCallbackFailed":
            return AgentMissed(
                _get(event, "Contact"), _get(event, "Agent"), _get(event, "Reason") or "FAILED"
            )
        if kind == "OmnivoxAgentNoAnswer":
            return AgentMissed(
                _get(event, "Uniqueid"), _get(event, "Agent"), _get(event, "DialStatus")
            )
        return None
    if name == "DialEnd" and _get(event, "DialStatus") == "ANSWER":
        return AgentAnswered(_get(event, "Uniqueid"), _get(event, "DestChannel"))
    if name == "Hangup":
        return CallerGone(_get(event, "Uniqueid"), _get(event, "Cause"))
    if name == "DeviceStateChange":
        return DevicePresence(_get(event, "Device"), _get(event, "State"))
    return None
