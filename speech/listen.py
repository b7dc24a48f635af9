"""One speech-enabled step on one AudioSocket stream: prompt, barge-in, keys, recognition.

:func:`run_listen` is the handler the AudioSocket server runs for a registered UUID. Three
tasks share the stream: the *reader* takes frames (audio to a buffer, keys to the digit
collector), the *player* sends the prompt at real-time pace, the *recogniser* feeds buffered
audio to Vosk (batched: whatever arrived while the last call ran) and asks the end-pointer
whether the caller is done. Speech (when ``barge_in``) or a key stops the prompt; a key also
stops recognition: keys always win. The first of a finished utterance, finished digits, no
input, a hang-up or a protocol error ends the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from speech.audio import FRAME_BYTES, FRAME_MS, duration_ms
from speech.audiosocket import AudioSocketConnection
from speech.audiosocket_protocol import Kind
from speech.endpoint import EndpointConfig, Endpointer, EndReason
from speech.exceptions import AudioSocketProtocolError
from speech.grammar import Grammar
from speech.recognizer import RecognitionSession, RecognizerPool, Transcript

Confident = Callable[[str], bool]
PLAYBACK_LEAD_S = 0.06  # audio sent ahead of real time, so the caller hears no gaps
MAX_STEP_BYTES = 8 * FRAME_BYTES  # at most 160 ms of audio per recogniser call


@dataclass(frozen=True, slots=True)
class ListenRequest:
    """What to do on the stream."""

    prompt: bytes = b""  # slin 8 kHz played first
    grammar: Grammar | Sequence[str] | None = None  # None: the full vocabulary
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    confident: Confident | None = None  # do these words already make a confident intent?
    barge_in: bool = True
    max_digits: int = 1
    digit_timeout_ms: int = 3000
    terminator: str = "#"
    early_final: bool | None = None  # flush at short pauses; default: in grammar mode only


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    """What happened on the stream (the listener adds the intent)."""

    status: str  # "speech", "no_match", "digits", "no_input", "hangup"
    transcript: str = ""
    asr_confidence: float = 0.0
    digits: str = ""
    reason: str = ""
    barged_in: bool = False
    prompt_ms: float = 0.0  # prompt audio actually sent
    audio_ms: float = 0.0  # caller audio received
    speech_end_ms: float | None = None  # audio time of the last voiced frame
    decided_ms: float | None = None  # audio time at which the end was decided


class _Stream:
    def __init__(self, conn: AudioSocketConnection, request: ListenRequest) -> None:
        self.conn = conn
        self.request = request
        self.audio = bytearray()
        self.audio_ready = asyncio.Event()
        self.stop_prompt = asyncio.Event()
        self.prompt_done = asyncio.Event()
        self.prompt_ms = 0.0
        self.audio_ms = 0.0
        self.digits = ""
        self.digits_started = asyncio.Event()
        self.digit_event = asyncio.Event()
        self.hung_up = asyncio.Event()


async def run_listen(
    conn: AudioSocketConnection, pool: RecognizerPool, request: ListenRequest
) -> StreamOutcome:
    """Run one listen on ``conn``; AudioSocketProtocolError propagates (the server logs it)."""
    stream = _Stream(conn, request)
    session = await pool.open(request.grammar)
    tasks: dict[str, asyncio.Task[StreamOutcome | None]] = {}
    try:
        tasks["reader"] = asyncio.create_task(_read(stream))
        tasks["player"] = asyncio.create_task(_play(stream))
        tasks["speech"] = asyncio.create_task(_recognise(stream, session))
        tasks["keys"] = asyncio.create_task(_collect_digits(stream))
        while True:
            done, _ = await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                outcome = task.result()  # raises the reader's protocol error
                if outcome is not None:
                    return outcome
            for name in [n for n, t in tasks.items() if t in done]:
                del tasks[name]
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        await session.close()


async def _read(stream: _Stream) -> StreamOutcome:
    while True:
        frame = await stream.conn.read_frame()
        if frame is None:
            stream.hung_up.set()
            return StreamOutcome(
                "hangup",
                digits=stream.digits,
                reason="hangup",
                prompt_ms=stream.prompt_ms,
                audio_ms=stream.audio_ms,
            )
        if frame.kind is Kind.AUDIO:
            stream.audio += frame.payload
            stream.audio_ms += duration_ms(frame.payload)
            stream.audio_ready.set()
        elif frame.kind is Kind.DTMF:
            stream.stop_prompt.set()
            stream.digits += frame.digit
            stream.digits_started.set()
            stream.digit_event.set()
        elif frame.kind is Kind.ERROR:
            stream.hung_up.set()
            return StreamOutcome(
                "hangup",
                digits=stream.digits,
                reason=frame.error,
                prompt_ms=stream.prompt_ms,
                audio_ms=stream.audio_ms,
            )
        else:  # a second UUID frame
            raise AudioSocketProtocolError(f"unexpected {frame.kind.name} frame mid-stream")


async def _play(stream: _Stream) -> None:
    prompt = stream.request.prompt
    try:
        if not prompt:
            return
        loop = asyncio.get_running_loop()
        start = loop.time()
        for sent, offset in enumerate(range(0, len(prompt), FRAME_BYTES)):
            if stream.stop_prompt.is_set():
                return
            due = start + sent * FRAME_MS / 1000 - PLAYBACK_LEAD_S
            if due > loop.time():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(due - loop.time()):
                        await stream.stop_prompt.wait()
                if stream.stop_prompt.is_set():
                    return
            await stream.conn.send_audio(prompt[offset : offset + FRAME_BYTES])
            stream.prompt_ms += FRAME_MS
    finally:
        stream.prompt_done.set()


async def _collect_digits(stream: _Stream) -> StreamOutcome:
    request = stream.request
    await stream.digits_started.wait()
    while True:
        if request.terminator and request.terminator in stream.digits:
            stream.digits = stream.digits.split(request.terminator, 1)[0]
            break
        if len(stream.digits) >= request.max_digits:
            stream.digits = stream.digits[: request.max_digits]
            break
        stream.digit_event.clear()
        try:
            async with asyncio.timeout(request.digit_timeout_ms / 1000):
                await stream.digit_event.wait()
        except TimeoutError:
            break
    status = "digits" if stream.digits else "no_input"
    return StreamOutcome(
        status,
        digits=stream.digits,
        reason="dtmf",
        barged_in=True,
        prompt_ms=stream.prompt_ms,
        audio_ms=stream.audio_ms,
    )


async def _recognise(stream: _Stream, session: RecognitionSession) -> StreamOutcome | None:
    request = stream.request
    playing = bool(request.prompt)
    state = _Utterance(stream, session, Endpointer(request.endpoint, waiting=not playing))
    while True:
        await stream.audio_ready.wait()
        stream.audio_ready.clear()
        data = bytes(stream.audio)
        stream.audio.clear()
        # Audio that piled up (a slow worker, a fast sender) is decoded in slices, so the
        # end-pointer still sees the utterance end where it ended.
        for offset in range(0, len(data), MAX_STEP_BYTES):
            if stream.digits_started.is_set():
                return None  # keys won; the digit collector reports
            reason = await state.step(data[offset : offset + MAX_STEP_BYTES])
            if reason is not None:
                return await state.outcome(reason)


class _Utterance:
    """Recognition state of one listen: pieces heard, the partial, the end-pointer."""

    def __init__(
        self, stream: _Stream, session: RecognitionSession, endpointer: Endpointer
    ) -> None:
        self.stream = stream
        self.request = stream.request
        self.session = session
        self.endpointer = endpointer
        self.playing = bool(self.request.prompt)
        self.early = self.request.early_final
        if self.early is None:
            self.early = session.grammar_mode
        self.heard: list[Transcript] = []  # utterance pieces: Vosk finals and early flushes
        self.partial = ""
        self.flushed_at: float | None = None  # last_voice_ms when we last flushed
        self.barged_in = False

    def _confident(self, text: str) -> bool:
        return bool(text and self.request.confident and self.request.confident(text))

    async def step(self, data: bytes) -> EndReason | None:
        """Decode one slice; the reason to stop, if it is time."""
        ep = self.endpointer
        if self.playing and self.stream.prompt_done.is_set():
            self.playing = False
            ep.wait()
        if self.playing and not self.request.barge_in:
            ep.feed([-96.0] * (len(data) // FRAME_BYTES))  # deaf while the prompt plays
            return None
        chunk = await self.session.accept(data)
        started = ep.feed(chunk.levels)
        final = chunk.final if chunk.final and chunk.final.text else None
        if final is not None:
            self.heard.append(final)
        self.partial = chunk.partial if final is None else ""
        if (self.partial or final) and ep.words_heard():
            started = True
        if started and self.playing:
            self.barged_in = True
            self.stream.stop_prompt.set()
            self.playing = False
            ep.wait()
        confident = self._confident(_join(self.heard, self.partial))
        reason = ep.decide(final_words=final is not None, confident=confident)
        if reason is None and self.early and _pause(ep, self.flushed_at):
            # A short pause: take the words so far (cheap in grammar mode). If they already
            # make a confident intent, the caller is done; if not, keep listening.
            self.flushed_at = ep.last_voice_ms
            piece = await self.session.finish()
            if piece.text:
                self.heard.append(piece)
                self.partial = ""
                ep.words_heard()
                if self._confident(_join(self.heard, "")):
                    reason = EndReason.CONFIDENT
        return reason

    async def outcome(self, reason: EndReason) -> StreamOutcome:
        """The result, after taking the words still in the recogniser."""
        if reason is not EndReason.NO_INPUT and (self.partial or not self.heard):
            last = await self.session.finish()
            if last.text:
                self.heard.append(last)
        return _outcome(self.stream, self.endpointer, reason, self.heard, self.barged_in)


def _pause(endpointer: Endpointer, flushed_at: float | None) -> bool:
    if not endpointer.speaking or endpointer.last_voice_ms is None:
        return False
    if flushed_at is not None and endpointer.last_voice_ms <= flushed_at:
        return False
    quiet = endpointer.audio_ms - endpointer.last_voice_ms
    return quiet >= endpointer.config.confident_end_silence_ms


def _join(heard: list[Transcript], partial: str) -> str:
    return " ".join([*(t.text for t in heard), *([partial] if partial else [])])


def _outcome(
    stream: _Stream,
    endpointer: Endpointer,
    reason: EndReason,
    heard: list[Transcript],
    barged_in: bool,
) -> StreamOutcome:
    text = _join(heard, "")
    words = [w for t in heard for w in t.words]
    confidence = round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0
    status = "no_input" if reason is EndReason.NO_INPUT else "speech" if text else "no_match"
    return StreamOutcome(
        status,
        transcript=text,
        asr_confidence=confidence,
        reason=reason.value,
        barged_in=barged_in,
        prompt_ms=stream.prompt_ms,
        audio_ms=stream.audio_ms,
        speech_end_ms=endpointer.last_voice_ms,
        decided_ms=endpointer.audio_ms,
    )
