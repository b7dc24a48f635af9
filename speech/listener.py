"""Speech input for the IVR: one call to :meth:`SpeechListener.listen` per speech-enabled step.

The IVR (FastAGI) asks Asterisk to run ``AudioSocket(<uuid>,<host:port>)`` through ``EXEC``;
Asterisk connects to the :class:`~speech.audiosocket.AudioSocketServer`, the prompt plays
through the socket (so the caller can barge in), the caller's audio is recognised, and when
the caller has finished (or pressed keys, or said nothing) the server closes the stream:
``AudioSocket()`` returns 0 and the ``EXEC`` reply arrives. The channel must be answered.

    listener = SpeechListener(server, pool, advertise="omnivox:9092")
    result = await listener.listen(channel, language="en", intents=step_intents,
                                   prompt_audio=[Path(".../menu.sln")], grammar=words)
    result.status      # "speech", "no_match", "digits", "no_input", "unavailable"
    result.intent, result.confidence, result.transcript, result.digits

A caller hanging up raises :class:`~ivr.fastagi.AGIHangup`, as every channel operation does.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ivr.fastagi import AGIChannel, AGIHangup
from speech.audio import duration_ms, load_prompt
from speech.audiosocket import AudioSocketServer
from speech.endpoint import EndpointConfig
from speech.exceptions import SpeechError
from speech.grammar import Grammar
from speech.intents import IntentMatch, IntentSet
from speech.listen import ListenRequest, StreamOutcome, run_listen
from speech.recognizer import RecognizerPool

STATUSES = ("speech", "no_match", "digits", "no_input", "unavailable")


@dataclass(frozen=True, slots=True)
class ListenResult:
    """What the caller did at a speech-enabled step."""

    status: str  # one of STATUSES
    transcript: str = ""
    intent: str | None = None
    confidence: float = 0.0  # the intent's confidence, 0..1
    match: IntentMatch | None = None  # runner-up, matched words, evidence
    asr_confidence: float = 0.0  # the recogniser's mean word confidence
    digits: str = ""
    reason: str = ""  # how it ended: final, confident, silence, max_speech, no_input, dtmf...
    barged_in: bool = False
    error: str | None = None  # why speech was unavailable
    elapsed_ms: float = 0.0
    endpoint_delay_ms: float | None = None  # audio from the end of speech to the decision


class SpeechListener:
    """Runs speech-enabled steps over AudioSocket. One per server; shared by all calls."""

    def __init__(
        self,
        server: AudioSocketServer,
        pool: RecognizerPool,
        *,
        advertise: str | None = None,
        endpoint: EndpointConfig | None = None,
        confident_threshold: float = 0.75,
        margin_s: float = 10.0,
        logger: logging.Logger | None = None,
    ) -> None:
        """``advertise``: the host:port Asterisk connects to (default: the server's own
        address, which must then not be a wildcard)."""
        if advertise is None:
            if server.host in ("0.0.0.0", "::", ""):
                raise ValueError(
                    "the AudioSocket server listens on a wildcard address: "
                    "pass advertise='<host Asterisk can reach>:<port>'"
                )
            advertise = f"{server.host}:{server.port}"
        self.advertise = advertise
        self._server = server
        self._pool = pool
        self._endpoint = endpoint or EndpointConfig()
        self._threshold = confident_threshold
        self._margin_s = margin_s
        self._log = logger or logging.getLogger("speech.listener")

    async def listen(
        self,
        channel: AGIChannel,
        *,
        language: str,
        intents: IntentSet | None = None,
        prompt_audio: Sequence[Path] | None = None,
        grammar: Grammar | Sequence[str] | None = None,
        timeout_ms: int | None = None,
        max_digits: int = 1,
        digit_timeout_ms: int = 3000,
        barge_in: bool = True,
        terminator: str = "#",
        done: Callable[[str], bool] | None = None,
    ) -> ListenResult:
        """Play ``prompt_audio`` and listen for speech or keys.

        ``grammar`` (words, or a :class:`Grammar`) selects grammar mode, None the full
        vocabulary; ``timeout_ms`` is the silence allowed after the prompt (default: the
        end-pointer's ``no_input_ms``). Raises AGIHangup when the caller hangs up and
        AudioError when a prompt file is unusable; speech being unavailable (pool full,
        Asterisk could not connect) is a result, so the IVR can fall back to keys.
        ``done`` says whether the words so far are a complete answer (the caller need not
        pause for long); by default, whether they make a confident intent of ``intents``.
        ``terminator`` ends keys typed on the stream ("" for none).
        """
        started = time.perf_counter()
        prompt = await asyncio.to_thread(_load, prompt_audio or ())
        endpoint = self._endpoint
        if timeout_ms is not None:
            endpoint = replace(endpoint, no_input_ms=timeout_ms)
        confident = done
        if confident is None and intents is not None and language in intents.languages:
            confident = _intent_check(intents, language, self._threshold)
        request = ListenRequest(
            prompt=prompt,
            grammar=grammar,
            endpoint=endpoint,
            confident=confident,
            barge_in=barge_in,
            max_digits=max_digits,
            digit_timeout_ms=digit_timeout_ms,
            terminator=terminator,
        )
        limit = (duration_ms(prompt) + endpoint.no_input_ms + endpoint.max_speech_ms) / 1000
        outcome = await self._stream(channel, request, limit + self._margin_s)
        elapsed = (time.perf_counter() - started) * 1000
        if isinstance(outcome, str):
            return ListenResult("unavailable", error=outcome, elapsed_ms=elapsed)
        if outcome.status == "hangup":
            raise AGIHangup(f"caller hung up during speech input ({outcome.reason})")
        match = None
        if outcome.transcript and intents is not None and language in intents.languages:
            match = intents.match(outcome.transcript, language)
        delay = None
        if outcome.speech_end_ms is not None and outcome.decided_ms is not None:
            delay = round(outcome.decided_ms - outcome.speech_end_ms, 1)
        return ListenResult(
            outcome.status,
            transcript=outcome.transcript,
            intent=match.intent if match else None,
            confidence=match.confidence if match else 0.0,
            match=match,
            asr_confidence=outcome.asr_confidence,
            digits=outcome.digits,
            reason=outcome.reason,
            barged_in=outcome.barged_in,
            elapsed_ms=round(elapsed, 1),
            endpoint_delay_ms=delay,
        )

    async def _stream(
        self, channel: AGIChannel, request: ListenRequest, limit_s: float
    ) -> StreamOutcome | str:
        """Run AudioSocket for one request; a string says why speech was unavailable."""
        call_id = uuid.uuid4()
        expectation = self._server.expect(call_id, lambda c: run_listen(c, self._pool, request))
        execution = asyncio.create_task(channel.exec("AudioSocket", str(call_id), self.advertise))
        try:
            done, _ = await asyncio.wait(
                {execution, expectation.result},
                timeout=limit_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not expectation.connected.is_set():
                expectation.cancel()
                if execution in done:
                    code = execution.result()
                    return f"AudioSocket() returned {code} without connecting to {self.advertise}"
                expectation.abort()
                return f"Asterisk did not connect to {self.advertise} within {limit_s:.0f} s"
            try:
                async with asyncio.timeout(limit_s):
                    outcome = await asyncio.shield(expectation.result)
            except TimeoutError:
                expectation.abort()
                return f"speech input did not finish within {limit_s:.0f} s"
            except SpeechError as exc:
                return f"speech stream failed: {exc}"
            await execution  # returns once Asterisk has seen the stream close
            return outcome
        finally:
            expectation.cancel()
            if not execution.done():
                try:
                    async with asyncio.timeout(5):
                        await execution
                except TimeoutError:
                    execution.cancel()


def _intent_check(intents: IntentSet, language: str, threshold: float) -> Callable[[str], bool]:
    def confident(text: str) -> bool:
        return intents.match(text, language).confidence >= threshold

    return confident


def _load(paths: Sequence[Path]) -> bytes:
    return b"".join(load_prompt(Path(p)) for p in paths)
