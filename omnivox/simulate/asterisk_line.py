"""One simulated call through a real Asterisk, as its AMI events tell it. Pure.

The call is an originated ``Local/s@omnivox-ivr`` channel: its ``;2`` half runs the IVR, its
``;1`` half runs the ``caller-sim`` dialplan, which plays ``SIM_SCRIPT`` (``w:SECONDS``,
``d:DIGITS``, ``p:FILE``, ``h``). The driver keeps that script at "listen" (:data:`IDLE`) and,
as the IVR's AGI commands show up as ``AGIExecStart`` events, asks the
:class:`~omnivox.simulate.caller.Caller` what to do; a key becomes ``d:KEY`` (``SendDTMF``) and
a hang-up ``h``. One key is on its way at a time: the next waits for the IVR channel's
``DTMFEnd`` (received), so a question the key already answers is not answered twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from urllib.parse import unquote

from ivr.fastagi.asterisk_side import ReceivedCommand, parse_command_line
from omnivox.simulate.caller import Caller, Reaction

TICK_S = 0.25
IDLE = "^".join([f"w:{TICK_S}"] * 80)  # 20 s of listening; refreshed while the call lasts
PLAYS = ("STREAM FILE", "CONTROL STREAM FILE")
SAYS = ("SAY DIGITS", "SAY NUMBER")
ASK = "WAIT FOR DIGIT"


def agi_command(text: str) -> ReceivedCommand:
    """The AGI command an ``AGIExecStart`` event reports (URL-decoded if it has to be)."""
    cmd = parse_command_line(text)
    if not cmd.name and "%" in text:
        cmd = parse_command_line(unquote(text))
    return cmd


def sim_step(reaction: Reaction) -> str | None:
    """The ``SIM_SCRIPT`` that carries out ``reaction`` (None: nothing to send)."""
    if reaction.hangup:
        return "h"
    if reaction.key is not None:
        return f"d:{reaction.key}^{IDLE}"
    if reaction.keys:
        return f"d:{reaction.keys}^{IDLE}"
    return None


def say_step(sound: str) -> str:
    """The ``SIM_SCRIPT`` that plays the caller's phrase (a file in Asterisk's sounds)."""
    return f"p:{sound}^{IDLE}"


class AsteriskLine:
    """The state of one call: its channels, what is heard, what the caller still has to do."""

    def __init__(self, call_id: str, caller: Caller) -> None:
        self.call_id = call_id
        self.caller = caller
        self.transcript = caller.transcript
        self.caller_channel: str | None = None  # the ;1 half, running caller-sim
        self.ivr_channel: str | None = None  # the ;2 half, running the AGI
        self.uniqueid: str | None = None  # the IVR channel's: the journey is stored under it
        self.todo: deque[Reaction] = deque()
        self.in_flight: str | None = None  # a key sent that the IVR channel has not read yet
        self.result: dict[str, str] | None = None  # the OmnivoxResult user event
        self.fallback: str | None = None
        self.failed: str | None = None  # the originate failed
        self.ended = False
        self.agi_commands = 0

    def ours(self, event: Mapping[str, str]) -> bool:
        """Whether ``event`` is about this call's channels."""
        return self.call_id in (event.get("Linkedid"), event.get("Uniqueid")) or (
            event.get("Channel") in (self.caller_channel, self.ivr_channel)
            and event.get("Channel") is not None
        )

    def on_event(self, name: str, event: Mapping[str, str]) -> None:
        """Take in one AMI event of this call."""
        channel = event.get("Channel")
        if name == "Newchannel" and event.get("Uniqueid") == self.call_id:
            self.caller_channel = channel
        elif name == "AGIExecStart":
            self._agi(event)
        elif name == "DTMFEnd" and event.get("Direction") == "Received":
            if channel == self.ivr_channel:
                self.in_flight = None
        elif name == "UserEvent" and event.get("UserEvent") == "OmnivoxResult":
            self.result = dict(event)
            self.uniqueid = self.uniqueid or event.get("Uniqueid")
        elif name == "UserEvent" and event.get("UserEvent") == "OmnivoxFallback":
            self.fallback = event.get("Reason", "")
        elif name == "OriginateResponse" and event.get("Response", "").lower() == "failure":
            self.failed = f"originate failed: {event.get('Reason', '?')}"
            self.ended = True
        elif name == "Hangup" and channel is not None and self._ends_call(channel):
            self.ended = True

    def _ends_call(self, channel: str) -> bool:
        """The IVR half hung up (or the caller half, before any IVR half was seen)."""
        if self.ivr_channel is not None:
            return channel == self.ivr_channel
        return channel == self.caller_channel

    def key_sent(self, key: str) -> None:
        self.in_flight = key

    def _agi(self, event: Mapping[str, str]) -> None:
        self.agi_commands += 1
        if self.ivr_channel is None:
            self.ivr_channel = event.get("Channel")
            self.uniqueid = event.get("Uniqueid")
            if self.caller_channel is None and self.ivr_channel and self.ivr_channel.endswith(";2"):
                self.caller_channel = self.ivr_channel[:-1] + "1"
        cmd = agi_command(event.get("Command", ""))
        args = cmd.args
        escape = args[1] if len(args) > 1 else ""
        if cmd.name in PLAYS:
            self.transcript.sound(args[0] if args else "")
            reaction = self.caller.heard(escape)
        elif cmd.name in SAYS:
            self.transcript.digits(args[0] if args else "")
            said = args[0] if cmd.name == "SAY DIGITS" and args else None
            reaction = self.caller.heard(escape, said)
        elif cmd.name == "EXEC" and args and args[0].lower() == "audiosocket":
            reaction = self.caller.listened()  # a speech question: the prompt is on the stream
            if reaction.say is not None or reaction.keys:
                self.todo.append(reaction)
                return
        elif cmd.name == ASK:
            if self.in_flight is not None or any(r.key for r in self.todo):
                return  # a key already on its way answers this question
            reaction = self.caller.asked()
        else:
            return
        if reaction.delay or reaction.key is not None or reaction.hangup:
            self.todo.append(reaction)
