"""End-pointing (pure, audio time) and the slin helpers."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path

import pytest

from speech.audio import (
    FRAME_BYTES,
    duration_ms,
    frame_levels,
    frames,
    level_dbfs,
    load_prompt,
    silence,
)
from speech.endpoint import EndpointConfig, Endpointer, EndReason
from speech.exceptions import AudioError

LOUD, QUIET = -20.0, -70.0


def tone(ms: int, amplitude: int = 8000, hz: int = 440) -> bytes:
    n = 8 * ms
    return array(
        "h", (int(amplitude * math.sin(2 * math.pi * hz * i / 8000)) for i in range(n))
    ).tobytes()


def run(ep: Endpointer, levels: list[float], **decide: bool) -> EndReason | None:
    reason = None
    for level in levels:
        ep.feed([level])
        reason = ep.decide(**decide)
        if reason is not None:
            return reason
    return reason


def test_levels_of_silence_and_a_tone() -> None:
    assert level_dbfs(silence(20)) == -96.0
    assert level_dbfs(b"") == -96.0
    assert level_dbfs(tone(20, 32767)) == pytest.approx(-3.0, abs=0.2)  # full-scale sine
    assert level_dbfs(tone(20, 328)) == pytest.approx(-43.0, abs=0.3)
    assert [round(x) for x in frame_levels(silence(40) + tone(20, 32767))] == [-96, -96, -3]


def test_frames_and_durations() -> None:
    audio = tone(50)
    chunks = list(frames(audio))
    assert [len(c) for c in chunks] == [FRAME_BYTES] * 3
    assert chunks[-1].endswith(bytes(160))  # the 10 ms tail is padded with silence
    assert duration_ms(audio) == 50.0
    assert len(silence(1000)) == 16000


def test_no_input_after_the_timeout() -> None:
    ep = Endpointer(EndpointConfig(no_input_ms=1000))
    assert run(ep, [QUIET] * 49) is None
    assert run(ep, [QUIET]) is EndReason.NO_INPUT
    assert ep.audio_ms == 1000


def test_no_input_clock_waits_for_the_prompt() -> None:
    ep = Endpointer(EndpointConfig(no_input_ms=400), waiting=False)
    assert run(ep, [QUIET] * 100) is None  # a 2 s prompt: no timeout while it plays
    ep.wait()
    assert run(ep, [QUIET] * 19) is None
    assert run(ep, [QUIET]) is EndReason.NO_INPUT


def test_speech_starts_after_enough_voiced_audio() -> None:
    ep = Endpointer(EndpointConfig(speech_start_ms=100))
    assert ep.feed([LOUD] * 4) is False
    assert ep.feed([LOUD]) is True
    assert ep.speech_started_ms == 0.0
    assert ep.feed([LOUD]) is False  # reported once


def test_a_short_click_is_not_speech() -> None:
    ep = Endpointer(EndpointConfig(speech_start_ms=100))
    ep.feed([LOUD, LOUD, QUIET, LOUD, LOUD, QUIET])
    assert not ep.speaking


def test_words_then_silence_ends_the_utterance() -> None:
    ep = Endpointer(EndpointConfig(end_silence_ms=300))
    ep.feed([LOUD] * 20)
    ep.words_heard()
    assert run(ep, [QUIET] * 14) is None
    assert run(ep, [QUIET]) is EndReason.SILENCE
    assert ep.last_voice_ms == 400.0 and ep.audio_ms == 700.0


def test_confident_words_end_sooner() -> None:
    ep = Endpointer(EndpointConfig(end_silence_ms=700, confident_end_silence_ms=150))
    ep.feed([LOUD] * 20)
    ep.words_heard()
    assert run(ep, [QUIET] * 7, confident=True) is None
    assert run(ep, [QUIET], confident=True) is EndReason.CONFIDENT
    assert ep.audio_ms - (ep.last_voice_ms or 0) == 160.0


def test_recogniser_final_ends_at_once() -> None:
    ep = Endpointer()
    assert ep.decide(final_words=True) is EndReason.FINAL


def test_endless_talk_is_cut_at_max_speech() -> None:
    ep = Endpointer(EndpointConfig(max_speech_ms=1000))
    ep.feed([LOUD] * 6)
    assert run(ep, [LOUD] * 43) is None
    assert run(ep, [LOUD]) is EndReason.MAX_SPEECH


def test_noise_without_words_resets_and_keeps_listening() -> None:
    ep = Endpointer(EndpointConfig(no_input_ms=3000, end_silence_ms=200))
    ep.feed([LOUD] * 10)  # a cough
    assert ep.speaking
    assert run(ep, [QUIET] * 10) is None
    assert not ep.speaking
    assert run(ep, [QUIET] * 129) is None
    assert run(ep, [QUIET]) is EndReason.NO_INPUT


def test_words_start_speech_even_below_the_level_threshold() -> None:
    ep = Endpointer()
    ep.feed([QUIET] * 5)
    assert ep.words_heard() is True
    assert ep.speaking and ep.speech_started_ms == 100.0
    assert ep.words_heard() is False


@pytest.mark.parametrize("field", ["no_input_ms", "max_speech_ms", "end_silence_ms"])
def test_config_rejects_non_positive_times(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        EndpointConfig(**{field: 0})


def test_load_prompt_raw_and_wav(tmp_path: Path) -> None:
    audio = tone(100)
    (tmp_path / "p.sln").write_bytes(audio)
    with wave.open(str(tmp_path / "p.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(audio)
    assert load_prompt(tmp_path / "p.sln") == audio
    assert load_prompt(tmp_path / "p.wav") == audio


def test_load_prompt_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="missing.sln: no such file"):
        load_prompt(tmp_path / "missing.sln")
    with wave.open(str(tmp_path / "wide.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(bytes(100))
    with pytest.raises(AudioError, match=r"wide.wav: 22050 Hz.*needs 8000 Hz"):
        load_prompt(tmp_path / "wide.wav")
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    with pytest.raises(AudioError, match="junk.wav: not a PCM WAV"):
        load_prompt(tmp_path / "junk.wav")
    (tmp_path / "odd.sln").write_bytes(b"\x00\x01\x02")
    with pytest.raises(AudioError, match="odd byte count"):
        load_prompt(tmp_path / "odd.sln")
    (tmp_path / "p.mp3").write_bytes(b"ID3")
    with pytest.raises(AudioError, match="use .sln"):
        load_prompt(tmp_path / "p.mp3")
