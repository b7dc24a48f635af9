"""Prompt rendering with the real espeak-ng (through pyttsx3) and the real sox."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.prompts import (
    ConversionError,
    PromptError,
    PromptRenderer,
    UnknownLanguageError,
    choose_voice,
    file_digest,
    playback_name,
    tts_digest,
)
from ivr.prompts.naming import VoiceInfo
from ivr.prompts.resample import resample
from ivr.prompts.synth import SynthWorker

SHORT = "Yes."
LONG = "Welcome to Omnivox. For billing, press one. For delivery, press two. To talk to us, stay."


@pytest.fixture
def renderer(tmp_path: Path) -> Iterator[PromptRenderer]:
    r = PromptRenderer(tmp_path / "sounds")
    yield r
    r.close()


def files(sound_dir: Path, name: str) -> dict[str, Path]:
    prefix, digest = name.split("/")
    assert prefix == "omnivox"
    return {fmt: sound_dir / f"{digest}.{fmt}" for fmt in ("wav", "sln", "sln16")}


def wav_frames(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return w.getnframes()


async def test_rendered_prompt_exists_in_the_three_asterisk_formats(
    renderer: PromptRenderer,
) -> None:
    name = await renderer.render(LONG, "en")
    out = files(renderer.sound_dir, name)
    frames = wav_frames(out["wav"])
    assert frames > 8000  # several seconds of speech
    sln, sln16 = out["sln"].stat().st_size, out["sln16"].stat().st_size
    assert abs(sln - 2 * frames) <= 4  # raw 8 kHz, 2 bytes a sample, same length as the .wav
    assert abs(sln16 - 2 * sln) <= 8
    assert not list(renderer.sound_dir.glob(".*"))  # no temporary files left behind


async def test_cache_hit_does_not_synthesize_again(
    renderer: PromptRenderer, tmp_path: Path
) -> None:
    first = await renderer.render(SHORT, "en")
    again = await asyncio.gather(*(renderer.render(SHORT, "en") for _ in range(5)))
    assert set(again) == {first}
    assert renderer.syntheses == 1
    restarted = PromptRenderer(renderer.sound_dir)
    try:
        assert await restarted.render(SHORT, "en") == first
        assert restarted.syntheses == 0  # the files on disk are the cache
    finally:
        restarted.close()


async def test_concurrent_texts_each_get_their_own_audio(
    renderer: PromptRenderer, tmp_path: Path
) -> None:
    texts = [SHORT, LONG, "Press star to repeat."]
    together = await renderer.render_many((t, "en") for t in texts)
    assert renderer.syntheses == 3
    heard = {t: wav_frames(files(renderer.sound_dir, together[(t, "en")])["wav"]) for t in texts}
    assert heard[LONG] > 1.5 * heard["Press star to repeat."] > 1.5 * heard[SHORT]
    # espeak-ng adds a little noise that differs from one utterance to the next in one process,
    # so compare lengths with one-by-one renders rather than bytes.
    alone = PromptRenderer(tmp_path / "one-by-one")
    try:
        for text in texts:
            name = await alone.render(text, "en")
            assert name == together[(text, "en")]
            assert (
                abs(wav_frames(files(alone.sound_dir, name)["wav"]) - heard[text])
                < 0.05 * heard[text]
            )
    finally:
        alone.close()


async def test_russian_text_uses_a_russian_voice(renderer: PromptRenderer, tmp_path: Path) -> None:
    assert await renderer.voice_for("ru") == "zle/ru"
    assert await renderer.voice_for("ru_RU") == "zle/ru"
    text = "Здравствуйте, вы позвонили в службу поддержки."
    russian = await renderer.render(text, "ru")
    english_voice = PromptRenderer(tmp_path / "wrong-voice", voices={"ru": "gmw/en"})
    try:
        wrong = await english_voice.render(text, "ru")
        assert wrong != russian
        assert (english_voice.sound_dir / f"{wrong.split('/')[1]}.sln").read_bytes() != (
            renderer.sound_dir / f"{russian.split('/')[1]}.sln"
        ).read_bytes()
    finally:
        english_voice.close()


async def test_nothing_reaches_the_test_process_stdout(
    renderer: PromptRenderer, capfd: pytest.CaptureFixture[str]
) -> None:
    await renderer.render_many([(SHORT, "en"), ("Да.", "ru")])
    captured = capfd.readouterr()
    assert captured.out == ""
    assert "Audio saved" not in captured.err


async def test_unknown_language_is_a_clear_error(renderer: PromptRenderer) -> None:
    with pytest.raises(UnknownLanguageError, match="no installed voice speaks language 'tlh'"):
        await renderer.render("Qapla'", "tlh")
    broken = PromptRenderer(renderer.sound_dir, voices={"en": "no/such-voice"})
    try:
        with pytest.raises(UnknownLanguageError, match="'no/such-voice' configured for"):
            await broken.render(SHORT, "en")
    finally:
        broken.close()
    with pytest.raises(PromptError, match="empty"):
        await renderer.render("  ", "en")


def write_tone(path: Path, rate: int, channels: int, seconds: float, hz: float) -> None:
    n = int(rate * seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(n):
            v = int(8000 * math.sin(2 * math.pi * hz * i / rate))
            frames += v.to_bytes(2, "little", signed=True) * channels
        w.writeframes(bytes(frames))


async def test_recorded_file_is_converted_and_cached_by_content(
    renderer: PromptRenderer, tmp_path: Path
) -> None:
    recording = tmp_path / "greeting.wav"
    write_tone(recording, 44100, 2, 0.5, 440)
    name = await renderer.render_file(recording)
    assert name == playback_name("omnivox", file_digest(recording.read_bytes()))
    assert abs(wav_frames(files(renderer.sound_dir, name)["wav"]) - 4000) <= 2
    copy = tmp_path / "copy.wav"
    copy.write_bytes(recording.read_bytes())
    assert await renderer.render_file(copy) == name
    with pytest.raises(PromptError, match="missing.wav"):
        await renderer.render_file(tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(ConversionError, match="junk.wav"):
        await renderer.render_file(junk)


async def test_without_sox_the_builtin_resampler_gives_the_same_formats(tmp_path: Path) -> None:
    with_sox = PromptRenderer(tmp_path / "sox")
    builtin = PromptRenderer(tmp_path / "builtin", use_sox=False)
    try:
        a = files(with_sox.sound_dir, await with_sox.render(LONG, "en"))
        b = files(builtin.sound_dir, await builtin.render(LONG, "en"))
        assert abs(wav_frames(a["wav"]) - wav_frames(b["wav"])) <= 2
        assert abs(b["sln16"].stat().st_size - 2 * b["sln"].stat().st_size) <= 8
    finally:
        with_sox.close()
        builtin.close()


def test_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    worker = SynthWorker()
    try:
        worker.synthesize("one", "gmw/en", tmp_path / "one.wav")
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.synthesize("two", "gmw/en", tmp_path / "two.wav")
        assert (tmp_path / "two.wav").stat().st_size > 1000
        assert worker.syntheses == 2
    finally:
        worker.close()


def test_digest_covers_text_voice_language_and_version() -> None:
    base = tts_digest("Hello", "en", "gmw/en")
    assert base == tts_digest("Hello", "en", "gmw/en")
    others = {
        tts_digest("Hello!", "en", "gmw/en"),
        tts_digest("Hello", "en-us", "gmw/en"),
        tts_digest("Hello", "en", "gmw/en-us"),
        tts_digest("Hello", "en", "gmw/en", version="2"),
    }
    assert base not in others and len(others) == 4
    assert playback_name("sounds/omnivox/", base) == f"sounds/omnivox/{base}"


def test_choose_voice_prefers_the_exact_tag_and_falls_back_to_the_language() -> None:
    voices = [
        VoiceInfo("gmw/en-us", "English (America)", ("en-us",)),
        VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb",)),
        VoiceInfo("zle/ru", "Russian", ("ru",)),
    ]
    assert choose_voice("en", voices) == "gmw/en"
    assert choose_voice("en-US", voices) == "gmw/en-us"
    assert choose_voice("en-AU", voices) == "gmw/en"
    assert choose_voice("ru-RU", voices) == "zle/ru"
    assert choose_voice("en", voices, {"EN": "gmw/en-us"}) == "gmw/en-us"
    with pytest.raises(UnknownLanguageError, match="'de'"):
        choose_voice("de", voices)


def test_resampler_keeps_the_tone_and_filters_what_8_khz_cannot_carry() -> None:
    rate = 22050
    tone = [int(8000 * math.sin(2 * math.pi * 1000 * i / rate)) for i in range(rate // 4)]
    out = resample(tone, rate, 8000)
    assert len(out) == len(tone) * 8000 // rate
    crossings = sum(1 for a, b in zip(out[100:-100], out[101:-99], strict=True) if a < 0 <= b)
    assert abs(crossings - 1000 * (len(out) - 200) / 8000) <= 2
    high = [int(8000 * math.sin(2 * math.pi * 6000 * i / rate)) for i in range(rate // 4)]
    rms = math.sqrt(sum(x * x for x in resample(high, rate, 8000)[100:-100]) / (len(out) - 200))
    assert rms < 8000 / math.sqrt(2) * 0.05  # a 6 kHz tone would alias to 2 kHz unfiltered
