"""End-pointing: when did the caller start speaking, and when are they done? Pure.

Time is audio time (milliseconds of audio seen), so the decision does not depend on how fast
audio is fed. Two signals are combined: the frame level (voice activity, fast: it stops a
prompt within ``speech_start_ms``) and the recogniser's words (robust: a cough has no words).
An utterance ends at the first of:

* ``final``: the recogniser reports a finished utterance with words in it (Vosk's own rule:
  about 0.5 s of trailing silence on the small models);
* ``confident``: the words so far already make a confident intent and the caller has been
  quiet for ``confident_end_silence_ms`` (the short path that makes grammar menus snappy);
* ``silence``: words, then ``end_silence_ms`` of quiet;
* ``max_speech``: the caller has talked for ``max_speech_ms``.

With no speech at all for ``no_input_ms`` after the prompt, the result is ``no_input``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EndReason(StrEnum):
    """Why listening stopped."""

    FINAL = "final"
    CONFIDENT = "confident"
    SILENCE = "silence"
    MAX_SPEECH = "max_speech"
    NO_INPUT = "no_input"


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Timings (milliseconds of audio) and the voice threshold."""

    no_input_ms: int = 5000
    max_speech_ms: int = 10000
    end_silence_ms: int = 700
    confident_end_silence_ms: int = 150
    speech_start_ms: int = 120
    threshold_dbfs: float = -40.0

    def __post_init__(self) -> None:
        for name in ("no_input_ms", "max_speech_ms", "end_silence_ms", "speech_start_ms"):
            if getattr(self, name) <= 0:
                raise ValueError(f"EndpointConfig.{name} must be positive")
        if self.confident_end_silence_ms < 0:
            raise ValueError("EndpointConfig.confident_end_silence_ms must not be negative")


class Endpointer:
    """Feed it each chunk's frame levels and the recogniser's view; it says when to stop."""

    def __init__(self, config: EndpointConfig | None = None, *, waiting: bool = True) -> None:
        """``waiting=False`` holds the no-input clock (a prompt is playing) until :meth:`wait`."""
        self.config = config or EndpointConfig()
        self.audio_ms = 0.0
        self.speech_started_ms: float | None = None  # when the current speech began
        self.last_voice_ms: float | None = None  # end of the last voiced frame
        self._run_start: float | None = None  # start of the current voiced run
        self._wait_from: float | None = 0.0 if waiting else None
        self.heard_words = False  # the recogniser has produced words for this utterance

    @property
    def speaking(self) -> bool:
        """True once speech has started (barge-in point)."""
        return self.speech_started_ms is not None

    def wait(self) -> None:
        """Start the no-input clock now (the prompt finished or was cut short)."""
        if self._wait_from is None:
            self._wait_from = self.audio_ms

    def feed(self, levels: list[float], frame_ms: float = 20.0) -> bool:
        """Account for frames of audio; return True if speech started during them."""
        started = False
        for level in levels:
            if level >= self.config.threshold_dbfs:
                if self._run_start is None:
                    self._run_start = self.audio_ms
                self.last_voice_ms = self.audio_ms + frame_ms
                run = self.last_voice_ms - self._run_start
                if self.speech_started_ms is None and run >= self.config.speech_start_ms:
                    self.speech_started_ms = self._run_start
                    started = True
            else:
                self._run_start = None
            self.audio_ms += frame_ms
        return started

    def words_heard(self) -> bool:
        """The recogniser produced words: that is speech even if the level missed it.

        Returns True if this starts the speech (barge-in point)."""
        self.heard_words = True
        if self.speech_started_ms is None:
            run_start = self._run_start
            self.speech_started_ms = run_start if run_start is not None else self.audio_ms
            self.last_voice_ms = self.last_voice_ms or self.audio_ms
            return True
        return False

    def decide(self, *, final_words: bool = False, confident: bool = False) -> EndReason | None:
        """Whether to stop now: ``final_words`` when the recogniser finished an utterance that
        has words; ``confident`` when the words so far make a confident intent."""
        c = self.config
        if final_words:
            return EndReason.FINAL
        if self.speech_started_ms is not None:
            quiet = self.audio_ms - (self.last_voice_ms or self.speech_started_ms)
            if self.heard_words and confident and quiet >= c.confident_end_silence_ms:
                return EndReason.CONFIDENT
            if self.heard_words and quiet >= c.end_silence_ms:
                return EndReason.SILENCE
            if self.audio_ms - self.speech_started_ms >= c.max_speech_ms:
                return EndReason.MAX_SPEECH
            if not self.heard_words and quiet >= c.end_silence_ms:
                self._reset_noise()  # a cough or a click: keep listening
        waited = None if self._wait_from is None else self.audio_ms - self._wait_from
        if self.speech_started_ms is None and waited is not None and waited >= c.no_input_ms:
            return EndReason.NO_INPUT
        return None

    def _reset_noise(self) -> None:
        self.speech_started_ms = None
        self.last_voice_ms = None
        self._run_start = None
