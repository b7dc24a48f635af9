"""Vosk adapter: one loaded model shared by every call, recognisers run in a thread pool.

Vosk's Python binding calls the C library through cffi, which releases the GIL, so threads
decode in parallel (measured on 2 cores: two full-vocabulary streams in threads took 1.0-1.1x
the time of one). A process pool would need the model in every process (about 530 MB each
for the small Korean model), so threads it is. Every Vosk call runs in the pool; each
session's calls run one at a time, in order.

    model = SpeechModel.load(path)                     # blocking, ~2 s; SpeechModelError
    pool = RecognizerPool(model, workers=2)
    session = await pool.open(grammar)                 # grammar: Grammar, list of words or None
    chunk = await session.accept(slin_bytes)           # partial / final text, frame levels
    transcript = await session.finish()                # the last words
    await session.close(); pool.close()
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import vosk

from speech.audio import SAMPLE_RATE, frame_levels
from speech.exceptions import RecognizerClosed, SpeechError, SpeechModelError
from speech.grammar import UNKNOWN, Grammar

T = TypeVar("T")
SessionHook = Callable[[float, float], None]  # (audio seconds, recogniser seconds)


class SpeechBusy(SpeechError):
    """Every recogniser slot is taken (``max_sessions``); the caller should use keys."""


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its confidence (0..1) and times (seconds into the stream)."""

    word: str
    confidence: float
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Transcript:
    """A finished utterance: words (``[unk]`` removed) and the mean word confidence."""

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Chunk:
    """What one piece of audio changed: a finished utterance, the partial text, frame levels."""

    final: Transcript | None
    partial: str
    levels: list[float] = field(default_factory=list)


def check_model_dir(path: Path) -> None:
    """Raise SpeechModelError unless ``path`` looks like a Vosk model directory."""
    if not path.exists():
        raise SpeechModelError(path, "does not exist")
    if not path.is_dir():
        raise SpeechModelError(path, "is not a directory (unpack the model archive first)")
    if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
        raise SpeechModelError(path, "no am/final.mdl: not a Vosk model directory")
    if not any((path / p).is_file() for p in ("conf/mfcc.conf", "mfcc.conf")):
        raise SpeechModelError(path, "no conf/mfcc.conf: not a Vosk model directory")
    graphs = ("graph/HCLG.fst", "graph/HCLr.fst", "HCLG.fst", "HCLr.fst")
    if not any((path / p).is_file() for p in graphs):
        raise SpeechModelError(path, "no graph/HCLG.fst or graph/HCLr.fst: incomplete model")


class SpeechModel:
    """A loaded Vosk model. Load once; share it across every session."""

    def __init__(self, vosk_model: Any, path: Path, load_seconds: float) -> None:
        self.vosk_model = vosk_model
        self.path = path
        self.load_seconds = load_seconds

    @classmethod
    def load(cls, path: str | Path) -> SpeechModel:
        """Load the model at ``path`` (blocking); SpeechModelError says what is wrong."""
        path = Path(path).expanduser()
        check_model_dir(path)
        vosk.SetLogLevel(-2)  # -1 still prints warnings (e.g. grammar words not in the model)
        started = time.perf_counter()
        try:
            model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception when the C side returns NULL
            raise SpeechModelError(path, f"Vosk could not load it ({exc})") from exc
        return cls(model, path, time.perf_counter() - started)

    def knows(self, word: str) -> bool:
        """True when ``word`` is in the model's vocabulary (usable in a grammar)."""
        return bool(self.vosk_model.vosk_model_find_word(word) >= 0)


class RecognizerPool:
    """Runs recognition for many calls on ``workers`` threads over one shared model."""

    def __init__(
        self,
        model: SpeechModel,
        *,
        workers: int = 2,
        max_sessions: int | None = None,
        sample_rate: int = SAMPLE_RATE,
        on_session: SessionHook | None = None,
    ) -> None:
        """``on_session(audio_s, compute_s)`` is told each closed session's audio length and
        recogniser time (its real-time factor is ``compute_s / audio_s``; metrics use it)."""
        if workers < 1:
            raise ValueError("RecognizerPool needs at least one worker")
        self.model = model
        self.workers = workers
        self.max_sessions = max_sessions
        self.sample_rate = sample_rate
        self.on_session = on_session
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="omnivox-vosk")
        self._sessions = 0
        self._closed = False

    @property
    def active_sessions(self) -> int:
        """Sessions opened and not yet closed."""
        return self._sessions

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call on the pool."""
        if self._closed:
            raise RecognizerClosed("the recognizer pool is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def open(self, grammar: Grammar | Sequence[str] | None = None) -> RecognitionSession:
        """A new streaming session: grammar mode with ``grammar``, full vocabulary without."""
        if self._closed:
            raise RecognizerClosed("the recognizer pool is closed")
        if self.max_sessions is not None and self._sessions >= self.max_sessions:
            raise SpeechBusy(f"all {self.max_sessions} recognizer sessions are in use")
        if isinstance(grammar, Grammar):
            spec: str | None = grammar.to_json()
        elif grammar is not None:
            spec = json.dumps([*grammar, UNKNOWN], ensure_ascii=False)
        else:
            spec = None
        self._sessions += 1
        try:
            recognizer = await self.run(self._new_recognizer, spec)
        except BaseException:
            self._sessions -= 1
            raise
        return RecognitionSession(self, recognizer, grammar_mode=spec is not None)

    def _new_recognizer(self, grammar: str | None) -> Any:
        model = self.model.vosk_model
        if grammar is None:
            recognizer = vosk.KaldiRecognizer(model, self.sample_rate)
        else:
            recognizer = vosk.KaldiRecognizer(model, self.sample_rate, grammar)
        recognizer.SetWords(True)
        return recognizer

    def _release(self) -> None:
        self._sessions -= 1

    def close(self) -> None:
        """Stop accepting work; running calls finish, queued ones are dropped."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)


class RecognitionSession:
    """One caller's utterance stream. Calls are serialised; audio is 8 kHz s16le."""

    def __init__(self, pool: RecognizerPool, recognizer: Any, *, grammar_mode: bool) -> None:
        self._pool = pool
        self._recognizer: Any = recognizer
        self._lock = asyncio.Lock()
        self.grammar_mode = grammar_mode
        self.audio_bytes = 0
        self.compute_s = 0.0  # recogniser time in the worker threads

    async def accept(self, audio: bytes) -> Chunk:
        """Feed audio; returns the finished utterance if Vosk ended one, and the partial."""
        async with self._lock:
            recognizer = self._live()
            self.audio_bytes += len(audio)
            chunk, seconds = await self._pool.run(_timed, _accept, recognizer, audio)
            self.compute_s += seconds
            return chunk

    async def finish(self) -> Transcript:
        """Flush: the words of the utterance in progress (empty text if none)."""
        async with self._lock:
            recognizer = self._live()
            raw, seconds = await self._pool.run(_timed, recognizer.FinalResult)
            self.compute_s += seconds
            return parse_result(raw)

    async def close(self) -> None:
        """Free the recogniser (idempotent)."""
        async with self._lock:
            if self._recognizer is not None:
                self._recognizer = None
                self._pool._release()
                hook = self._pool.on_session
                if hook is not None and self.audio_bytes:
                    hook(self.audio_bytes / 2 / self._pool.sample_rate, self.compute_s)

    def _live(self) -> Any:
        if self._recognizer is None:
            raise RecognizerClosed("this recognition session is closed")
        return self._recognizer


def _timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def _accept(recognizer: Any, audio: bytes) -> Chunk:
    levels = frame_levels(audio)
    if recognizer.AcceptWaveform(audio):
        return Chunk(parse_result(recognizer.Result()), "", levels)
    partial = json.loads(recognizer.PartialResult()).get("partial", "")
    return Chunk(None, _without_unknown(partial), levels)


def parse_result(raw: str) -> Transcript:
    """Vosk's result JSON as a Transcript (``[unk]`` dropped, mean word confidence)."""
    data = json.loads(raw)
    words = tuple(
        Word(w["word"], float(w.get("conf", 1.0)), float(w.get("start", 0)), float(w.get("end", 0)))
        for w in data.get("result", ())
        if w.get("word") != UNKNOWN
    )
    text = _without_unknown(data.get("text", ""))
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Transcript(text, words, round(confidence, 4))


def _without_unknown(text: str) -> str:
    return " ".join(w for w in text.split() if w != UNKNOWN)
