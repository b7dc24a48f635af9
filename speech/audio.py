"""Telephone audio helpers: 8 kHz signed 16-bit mono ("slin"), as AudioSocket carries it.

Levels for the voice-activity decision, 20 ms framing, and prompt files read into slin. Pure
except :func:`load_prompt`, which reads a file.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path

from speech.exceptions import AudioError

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * SAMPLE_WIDTH * FRAME_MS // 1000  # 320
SILENCE_DBFS = -96.0
RAW_SUFFIXES = (".sln", ".slin", ".raw", ".sln8")


def duration_ms(audio: bytes) -> float:
    """Length of slin audio in milliseconds."""
    return len(audio) / (SAMPLE_RATE * SAMPLE_WIDTH) * 1000


def level_dbfs(audio: bytes) -> float:
    """RMS level of slin audio in dB relative to full scale (-96 for digital silence)."""
    samples = _samples(audio)
    if not samples:
        return SILENCE_DBFS
    mean_square = sum(s * s for s in samples) / len(samples)
    if mean_square <= 0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 10 * math.log10(mean_square / (32768.0 * 32768.0)))


def frame_levels(audio: bytes, frame_bytes: int = FRAME_BYTES) -> list[float]:
    """The level of each 20 ms frame (the last one may be shorter)."""
    return [level_dbfs(audio[i : i + frame_bytes]) for i in range(0, len(audio), frame_bytes)]


def frames(audio: bytes, frame_bytes: int = FRAME_BYTES) -> Iterator[bytes]:
    """Split audio into 20 ms frames; a short tail is padded with silence."""
    for i in range(0, len(audio), frame_bytes):
        chunk = audio[i : i + frame_bytes]
        yield chunk + bytes(frame_bytes - len(chunk))


def silence(ms: int) -> bytes:
    """``ms`` milliseconds of digital silence."""
    return bytes(SAMPLE_RATE * SAMPLE_WIDTH * ms // 1000)


def load_prompt(path: Path) -> bytes:
    """Read a prompt as slin: raw ``.sln`` (8 kHz s16le) or a WAV of 8 kHz mono 16-bit PCM.

    Anything else raises AudioError naming the file and what is wrong with it; Omnivox's
    prompt renderer already writes both formats (``ivr/prompts``).
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"prompt audio {path}: no such file")
    if path.suffix.lower() in RAW_SUFFIXES:
        data = path.read_bytes()
        if len(data) % SAMPLE_WIDTH:
            raise AudioError(f"prompt audio {path}: odd byte count, not 16-bit samples")
        return data
    if path.suffix.lower() != ".wav":
        raise AudioError(f"prompt audio {path}: use .sln (8 kHz s16le) or .wav, not {path.suffix}")
    try:
        with wave.open(str(path), "rb") as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioError(f"prompt audio {path}: not a PCM WAV file ({exc})") from None
    if shape != (SAMPLE_RATE, 1, SAMPLE_WIDTH):
        rate, channels, width = shape
        raise AudioError(
            f"prompt audio {path}: {rate} Hz, {channels} channel(s), {width * 8}-bit; "
            f"AudioSocket needs {SAMPLE_RATE} Hz mono 16-bit"
        )
    return data


def _samples(audio: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(audio[: len(audio) - len(audio) % SAMPLE_WIDTH])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples
