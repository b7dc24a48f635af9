"""AMI events (as Asterisk 22 sends them) translated into router signals."""

from __future__ import annotations

from routing.ami import AMIMessage
from routing.bridge.signals import (
    AgentAnswered,
    AgentMissed,
    CallerGone,
    CallerWaiting,
    DevicePresence,
    signal_of,
)


def event(**fields: str) -> AMIMessage:
    return AMIMessage(fields.items())


def test_dialplan_user_events() -> None:
    waiting = event(
        Event="UserEvent",
        UserEvent="OmnivoxWaiting",
        Channel="PJSIP/caller-00000007",
        Uniqueid="1700000000.7",
        Queue="billing",
    )
    assert signal_of(waiting) == CallerWaiting("1700000000.7", "PJSIP/caller-00000007", "billing")
    missed = event(
        Event="UserEvent",
        UserEvent="OmnivoxAgentNoAnswer",
        Uniqueid="1700000000.7",
        Agent="PJSIP/1001",
        DialStatus="NOANSWER",
    )
    assert signal_of(missed) == AgentMissed("1700000000.7", "PJSIP/1001", "NOANSWER")
    assert signal_of(event(Event="UserEvent", UserEvent="CallerSimStep", Step="w:1")) is None


def test_asterisk_events() -> None:
    answered = event(
        Event="DialEnd", Uniqueid="1.7", DestChannel="PJSIP/1001-0000000a", DialStatus="ANSWER"
    )
    assert signal_of(answered) == AgentAnswered("1.7", "PJSIP/1001-0000000a")
    assert signal_of(event(Event="DialEnd", Uniqueid="1.7", DialStatus="BUSY")) is None
    assert signal_of(event(Event="Hangup", Uniqueid="1.7", Cause="16")) == CallerGone("1.7", "16")
    gone = signal_of(event(Event="DeviceStateChange", Device="PJSIP/1002", State="UNAVAILABLE"))
    assert gone == DevicePresence("PJSIP/1002", "UNAVAILABLE") and not gone.reachable
    back = signal_of(event(Event="DeviceStateChange", Device="PJSIP/1002", State="NOT_INUSE"))
    assert isinstance(back, DevicePresence) and back.reachable
    assert signal_of(event(Event="Newchannel", Uniqueid="1.8")) is None


def test_field_names_are_matched_without_case() -> None:
    odd = event(Event="UserEvent", userevent="OmnivoxWaiting", uniqueid="9", channel="c", queue="q")
    assert signal_of(odd) == CallerWaiting("9", "c", "q")
