"""Errors of the speech layer: one class per way speech can go wrong."""

from __future__ import annotations

from pathlib import Path


class SpeechError(Exception):
    """Base of every speech error."""


class IntentDefinitionError(SpeechError, ValueError):
    """Intent definitions that cannot be used (names, languages, empty terms)."""


class SpeechModelError(SpeechError):
    """The speech model path is missing, not a Vosk model, or Vosk could not load it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"speech model {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class RecognizerClosed(SpeechError):
    """The recognizer pool was closed; no new sessions are accepted."""


class AudioError(SpeechError, ValueError):
    """Audio that cannot be used: a missing prompt file or a format other than 8 kHz mono s16."""


class AudioSocketProtocolError(SpeechError):
    """The peer sent something that is not AudioSocket (bad kind, length or payload)."""
