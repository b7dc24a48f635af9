"""FastAGI wire format: environment, escaping, encoding, reply parsing (pure, no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.fastagi.asterisk_side import (
    asterisk_environment,
    match_command,
    parse_command_line,
    render_environment,
    split_args,
)
from ivr.fastagi.client import ScriptedAsterisk
from ivr.fastagi.errors import AGIProtocolError
from ivr.fastagi.protocol import (
    MAX_COMMAND_BYTES,
    ReplyReader,
    encode_command,
    escape_arg,
    parse_environment,
    parse_reply_line,
)

ENV = b"""agi_network: yes
agi_network_script: /telecom?x=1&lang=ru
agi_request: agi://127.0.0.1/telecom?x=1&lang=ru
agi_channel: PJSIP/alice-00000001
agi_language: en
agi_type: PJSIP
agi_uniqueid: 1700000000.42
agi_version: 22.10.1
agi_callerid: +15551234567
agi_calleridname: Jos\xe9 M\xfcller
agi_context: ivr
agi_extension: s
agi_priority: 1
agi_arg_2: second
agi_arg_1: first
agi_arg_10: tenth

"""


def test_environment_fields_and_non_utf8_caller_name() -> None:
    env = parse_environment(ENV.decode("utf-8", errors="replace").splitlines(keepends=True))
    assert env.script == "telecom"
    assert env.query == {"x": "1", "lang": "ru"}
    assert env.args == ["first", "second", "tenth"]
    assert env.callerid == "+15551234567"
    assert env.calleridname == "Jos\ufffd M\ufffdller"
    assert (env.channel, env.uniqueid) == ("PJSIP/alice-00000001", "1700000000.42")
    assert env.language == "en"
    assert (env.context, env.extension, env.priority) == ("ivr", "s", "1")
    assert env.raw["agi_type"] == "PJSIP"


def test_environment_unknown_callerid_and_script_from_request() -> None:
    env = parse_environment(
        [
            "agi_request: agi://10.0.0.1:4573/billing/menu?step=2\n",
            "agi_callerid: unknown\n",
            "agi_calleridname: \n",
            "\n",
        ]
    )
    assert env.script == "billing/menu"
    assert env.query == {"step": "2"}
    assert env.callerid is None and env.calleridname is None
    assert env.args == []


def test_environment_rejects_garbage_line() -> None:
    with pytest.raises(AGIProtocolError, match="not an AGI environment line"):
        parse_environment(["GET / HTTP/1.1\r\n"])


def test_fake_environment_has_every_key_asterisk_sends() -> None:
    env = asterisk_environment(script="telecom?x=1", callerid="+15551234567", args=("a", "b"))
    parsed = parse_environment(render_environment(env).decode().splitlines(keepends=True))
    assert parsed.script == "telecom" and parsed.query == {"x": "1"}
    assert parsed.args == ["a", "b"]
    for key in ("agi_network", "agi_threadid", "agi_enhanced", "agi_callingtns", "agi_rdnis"):
        assert key in parsed.raw


def test_escape_injection_stays_one_line_and_one_argument() -> None:
    value = 'O"Brien\nHANGUP'
    line = encode_command("SET VARIABLE", "NAME", value)
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    assert b"\r" not in line
    # Asterisk cannot carry a line break inside an argument: it reads "\n" back as "n".
    assert split_args(line.decode().rstrip("\n")) == ["SET", "VARIABLE", "NAME", 'O"BriennHANGUP']


def test_escape_backslashes_and_quotes() -> None:
    assert escape_arg('a\\b"c') == '"a\\\\b\\"c"'
    assert split_args("X " + escape_arg('C:\\dir\\"x" y')) == ["X", 'C:\\dir\\"x" y']
    assert escape_arg("") == '""'
    assert split_args('SET VARIABLE "A" ""') == ["SET", "VARIABLE", "A", ""]


@given(st.text())
def test_any_text_encodes_to_exactly_one_line(value: str) -> None:
    try:
        line = encode_command("SET VARIABLE", "V", value)
    except ValueError:
        return  # too long for Asterisk's buffer: refused, never split
    assert line.count(b"\n") == 1 and line.endswith(b"\n") and b"\r" not in line
    words = split_args(line.decode("utf-8").rstrip("\n"))
    assert len(words) == 4


@given(st.text().filter(lambda v: not set(v) & {"\r", "\n", "\0"}))
def test_text_without_line_breaks_round_trips(value: str) -> None:
    line = encode_command("SET VARIABLE", "V", value)
    if len(line) <= MAX_COMMAND_BYTES:
        assert split_args(line.decode("utf-8").rstrip("\n"))[3] == value


def test_encode_command_shapes() -> None:
    assert encode_command("ANSWER") == b"ANSWER\n"
    assert encode_command("STREAM FILE", "welcome", "12", None) == b'STREAM FILE "welcome" "12"\n'
    assert encode_command("GET DATA", "enter", 3000, 4) == b'GET DATA "enter" 3000 4\n'
    with pytest.raises(ValueError, match="left out at the end"):
        encode_command("GET DATA", "enter", None, 4)
    with pytest.raises(ValueError, match="plain words"):
        encode_command("NOOP\nHANGUP")
    with pytest.raises(ValueError, match="at most 2047"):
        encode_command("VERBOSE", "x" * 3000)


@pytest.mark.parametrize(
    ("line", "code", "result", "text", "data", "extras", "timeout"),
    [
        ("200 result=0", 200, 0, "0", None, {}, False),
        ("200 result=-1", 200, -1, "-1", None, {}, False),
        ("200 result=49 endpos=1234", 200, 49, "49", None, {"endpos": "1234"}, False),
        ("200 result=1 (hello world)", 200, 1, "1", "hello world", {}, False),
        ("200 result=1 (a) b=c)", 200, 1, "1", "a) b=c", {}, False),
        ("200 result=123 (timeout)", 200, 123, "123", "timeout", {}, True),
        ("200 result= (timeout)", 200, None, "", "timeout", {}, True),
        ("200 result=12*", 200, None, "12*", None, {}, False),
        ("200 result=0 (timeout) endpos=8000", 200, 0, "0", "timeout", {"endpos": "8000"}, True),
        ("510 Invalid or unknown command", 510, None, "", None, {}, False),
        ("511 Command Not Permitted on a dead channel", 511, None, "", None, {}, False),
    ],
)
def test_parse_reply_line(
    line: str,
    code: int,
    result: int | None,
    text: str,
    data: str | None,
    extras: dict[str, str],
    timeout: bool,
) -> None:
    reply = parse_reply_line(line)
    assert (reply.code, reply.result, reply.result_text) == (code, result, text)
    assert (reply.data, reply.extras, reply.timeout) == (data, extras, timeout)
    assert reply.lines == (line,)


def test_reply_garbage_is_protocol_error() -> None:
    with pytest.raises(AGIProtocolError, match="not an AGI reply"):
        parse_reply_line("hello there")


def test_reader_hangup_line_is_out_of_band() -> None:
    reader = ReplyReader()
    assert reader.feed("HANGUP\n") is None
    assert reader.hangup_seen
    reply = reader.feed("200 result=1 (x)\n")
    assert reply is not None and reply.data == "x"
    assert reader.feed("200 result=0\n") == parse_reply_line("200 result=0")


def test_reader_multiline_520_is_one_reply() -> None:
    reader = ReplyReader()
    block = [
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: SAY NUMBER <number> <escape digits> [gender]",
        "200 result=0 is not a reply here",
        "520 End of proper usage.",
    ]
    assert [reader.feed(line) for line in block[:-1]] == [None, None, None]
    assert reader.in_progress
    reply = reader.feed(block[-1])
    assert reply is not None and reply.code == 520 and reply.lines == tuple(block)
    assert not reader.in_progress
    assert reader.feed("200 result=5").result == 5  # type: ignore[union-attr]


def test_reader_single_line_520() -> None:
    reply = ReplyReader().feed("520 Invalid command syntax.  Proper usage not available.")
    assert reply is not None and reply.code == 520


def test_split_args_matches_asterisk_parse_args() -> None:
    words = split_args('STREAM FILE "hello world" ""  12')
    assert words == ["STREAM", "FILE", "hello world", "", "12"]
    assert split_args("EXEC Dial a\\ b") == ["EXEC", "Dial", "a b"]
    assert split_args('x"y z"w') == ["xy zw"]
    assert match_command(["stream", "file", "a"]) == ("STREAM FILE", ["a"])
    assert match_command(["GET", "FULL", "VARIABLE", "x"]) == ("GET FULL VARIABLE", ["x"])
    assert match_command(["FROB"]) == ("", ["FROB"])
    assert parse_command_line('SET VARIABLE "A" "b"\n').args == ("A", "b")


def test_scripted_asterisk_digits() -> None:
    fake = ScriptedAsterisk(digits="2.45#9", variables={"LANG": "ru"})
    stream = parse_command_line('STREAM FILE "menu" "123"')
    assert fake(stream) == "200 result=50 endpos=1234"  # "2" interrupts the prompt
    assert fake(parse_command_line("WAIT FOR DIGIT 3000")) == "200 result=0"  # "." silence
    assert fake(stream) == "200 result=0 endpos=1234"  # "4" is not an escape digit
    assert fake(parse_command_line('GET DATA "pin" 3000 6')) == "200 result=45"
    assert fake(parse_command_line('GET DATA "pin" 3000 1')) == "200 result=9"
    assert fake(parse_command_line('GET DATA "pin"')) == "200 result= (timeout)"
    assert fake(parse_command_line('GET VARIABLE "LANG"')) == "200 result=1 (ru)"
    assert fake(parse_command_line('GET VARIABLE "NOPE"')) == "200 result=0"
    assert fake(parse_command_line("FROB")).startswith("510 ")
