"""AMI framing, reconnect delays and Originate variable escaping: pure, no sockets."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.ami.actions import originate_variables
from routing.ami.backoff import Backoff
from routing.ami.protocol import (
    MessageAssembler,
    encode_action,
    encode_message,
    parse_banner,
)


def feed(assembler: MessageAssembler, data: bytes) -> list[dict[str, str]]:
    out = []
    for raw in data.splitlines(keepends=True):  # bytes: only \n and \r end a line, as on the wire
        message = assembler.push(raw.decode())
        if message is not None:
            out.append(message)
    return out


def test_banner() -> None:
    assert parse_banner("Asterisk Call Manager/9.0.0\r\n") == "9.0.0"
    with pytest.raises(ValueError, match="not an Asterisk Manager banner"):
        parse_banner("SSH-2.0-OpenSSH_9.2\r\n")


def test_messages_split_at_blank_lines_and_keep_repeated_keys() -> None:
    data = (
        b"Response: Success\r\nActionID: a-1\r\nOutput: line one\r\nOutput: line two\r\n\r\n"
        b"\r\nEvent: Hangup\nChannel: PJSIP/1001-0000002a\nCause: 16\nCause-txt: Normal\n\n"
    )
    first, second = feed(MessageAssembler(), data)
    assert first.response == "Success" and first.action_id == "a-1"
    assert first["Output"] == "line one"
    assert first.getall("output") == ["line one", "line two"]
    assert second.event == "Hangup" and second["Cause-txt"] == "Normal"


def test_value_keeps_colons_and_free_text_lines() -> None:
    (message,) = feed(MessageAssembler(), b"Event: X\r\nData: a: b:c\r\nfree text\r\n\r\n")
    assert message["Data"] == "a: b:c"
    assert message.getall("") == ["free text"]


def test_encode_action() -> None:
    data = encode_action(
        "Originate",
        "id-7",
        {
            "Channel": "Local/s@x",
            "Async": True,
            "Priority": 1,
            "CallerID": None,
            "Variable": ["a=1", "b=2"],
        },
    )
    assert data == (
        b"Action: Originate\r\nActionID: id-7\r\nChannel: Local/s@x\r\nAsync: true\r\n"
        b"Priority: 1\r\nVariable: a=1\r\nVariable: b=2\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"Value": "x\r\nAction: Hangup"}, "line break"),
        ({"Bad Key": "x"}, "not a word"),
        ({"ActionID": "mine"}, "set by the client"),
    ],
)
def test_encode_rejects_what_would_break_framing(fields: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        encode_action("Setvar", "id", fields)


keys = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,15}", fullmatch=True)
values = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40
)
values = values.filter(lambda v: not v.startswith(" "))


@given(st.lists(st.tuples(keys, values), min_size=1, max_size=20))
def test_encode_then_parse_round_trip(pairs: list[tuple[str, str]]) -> None:
    (message,) = feed(MessageAssembler(), encode_message(pairs))
    assert list(message.fields) == pairs


def test_backoff_grows_caps_and_resets() -> None:
    backoff = Backoff(0.5, 4.0, jitter=0.0)
    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next() == 0.5


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=2**32))
def test_backoff_jitter_stays_within_bounds(attempts: int, seed: int) -> None:
    backoff = Backoff(0.5, 30.0, jitter=0.1, rng=random.Random(seed))
    for _ in range(attempts % 50):
        backoff.next()
    for _ in range(attempts // 50):
        backoff.next()
    assert 0.45 <= backoff.next() <= 30.0


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="initial <= maximum"):
        Backoff(5.0, 1.0)


def test_originate_variables_escape_asterisk_separators() -> None:
    assert originate_variables({"A": 'x,y "q" \\z', "__B": 3}) == [
        'A=x\\,y \\"q\\" \\\\z',
        "__B=3",
    ]
    with pytest.raises(ValueError, match="not usable"):
        originate_variables({"A=B": "x"})
