"""How long a prompt takes to hear, for bench/personalization.py: modelled from words per
minute, or measured by synthesizing each text part with the project's espeak-ng worker and
timing Asterisk's digit sounds."""

from __future__ import annotations

import tempfile
import wave
from pathlib import Path
from typing import Protocol

from ivr.scenario import DigitsPart, PromptRef, TextPart

ROOT = Path(__file__).resolve().parent.parent
SOUNDS = ROOT / "var" / "asterisk-chroot" / "usr" / "share" / "asterisk" / "sounds"


class Speech(Protocol):
    description: str

    def seconds(self, prompt: PromptRef) -> float: ...


class WpmSpeech:
    """Duration modelled as the words of the prompt's text at ``wpm`` words per minute."""

    def __init__(self, wpm: float = 175.0) -> None:
        if not wpm > 0:
            raise ValueError(f"words per minute must be > 0, got {wpm}")
        self.wpm = wpm
        self.description = f"modelled: words / {wpm:g} words per minute (espeak's default rate)"

    def seconds(self, prompt: PromptRef) -> float:
        return len(prompt.text.split()) * 60.0 / self.wpm


class MeasuredSpeech:
    """Text parts synthesized once each by the project's espeak-ng worker and timed; digits
    timed from Asterisk's sound files (``fallback`` words per minute where there are none)."""

    def __init__(self, sounds: Path = SOUNDS, fallback: WpmSpeech | None = None) -> None:
        from ivr.prompts.synth import SynthWorker  # what PromptRenderer synthesizes with

        self._worker = SynthWorker()
        self._sounds = sounds
        self._fallback = fallback or WpmSpeech()
        self._scratch = Path(tempfile.mkdtemp(prefix="omnivox-bench-"))
        self._cache: dict[tuple[str, str, str], float] = {}
        self._notes: dict[str, str] = {}
        self.syntheses = 0

    @property
    def description(self) -> str:
        notes = "; ".join(f"{k}: {v}" for k, v in sorted(self._notes.items()))
        return f"measured: espeak-ng synthesis of each text part, Asterisk digit sounds ({notes})"

    def seconds(self, prompt: PromptRef) -> float:
        total = 0.0
        for part in prompt.parts:
            if isinstance(part, TextPart):
                total += self._cached("text", prompt.language, part.text)
            elif isinstance(part, DigitsPart):
                total += sum(self._cached("digit", prompt.language, d) for d in part.digits)
            else:
                raise ValueError(f"prompt {prompt.id}: cannot time part {part!r}")
        return total

    def close(self) -> None:
        self._worker.close()
        for path in self._scratch.iterdir():
            path.unlink()
        self._scratch.rmdir()

    def _cached(self, kind: str, language: str, what: str) -> float:
        key = (kind, language, what)
        if key not in self._cache:
            measure = self._synthesize if kind == "text" else self._digit
            self._cache[key] = measure(language, what)
        return self._cache[key]

    def _synthesize(self, language: str, text: str) -> float:
        from ivr.prompts import choose_voice

        voice = choose_voice(language, self._worker.voices(), {})
        self._notes[f"{language} voice"] = voice
        out = self._scratch / "prompt.wav"
        self._worker.synthesize(text, voice, out)
        self.syntheses += 1
        return wav_seconds(out)

    def _digit(self, language: str, digit: str) -> float:
        found = digit_dir(self._sounds, language)
        name = {"*": "star", "#": "pound"}.get(digit, digit)
        if found is None or not (found / f"{name}.wav").is_file():
            self._notes[f"{language} digits"] = f"not found, {self._fallback.wpm:g} wpm"
            return self._fallback.seconds(PromptRef("digit", language, digit, ()))
        self._notes[f"{language} digits"] = str(found.relative_to(self._sounds))
        return wav_seconds(found / f"{name}.wav")


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def digit_dir(sounds: Path, language: str) -> Path | None:
    """Asterisk's ``digits`` sounds for ``language`` (``ru``, ``en_US_f_Allison``, ...)."""
    if not sounds.is_dir():
        return None
    names = sorted((d.name for d in sounds.iterdir()), key=lambda n: (n != language, n))
    for name in names:
        digits = sounds / name / "digits"
        if (name == language or name.startswith(f"{language}_")) and (digits / "1.wav").is_file():
            return digits
    return None
