"""Convert one audio file into the formats Asterisk plays: 8 kHz WAV, raw 8 and 16 kHz slin.

Every target is written under a temporary name and renamed into place, so Asterisk (and a
concurrent cache check) never sees a half-written file.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import wave
from pathlib import Path

from ivr.prompts.exceptions import ConversionError
from ivr.prompts.resample import resample, to_mono, to_pcm16

RATES = {"wav": 8000, "sln": 8000, "sln16": 16000}
SOX_TYPES = {"wav": "wav", "sln": "raw", "sln16": "raw"}


def convert(source: Path, targets: dict[str, Path], sox: str | None) -> None:
    """Write ``source`` as each of ``targets`` (format -> path); sox if given, else pure Python."""
    if not source.is_file():
        raise ConversionError(f"audio file {source} does not exist")
    next(iter(targets.values())).parent.mkdir(parents=True, exist_ok=True)
    samples: list[int] | None = None
    rate = 0
    for fmt in sorted(targets, key=lambda f: f == "wav"):  # .wav last
        target = targets[fmt]
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            if sox is not None:
                _sox(sox, source, tmp, fmt)
            else:
                if samples is None:
                    samples, rate = _read_wav(source)
                _write(resample(samples, rate, RATES[fmt]), tmp, fmt)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _sox(sox: str, source: Path, out: Path, fmt: str) -> None:
    # -G guards against clipping; -D turns off dither so the same input gives the same bytes
    command = [sox, "-V1", "-G", "-D", str(source), "-r", str(RATES[fmt]), "-c", "1", "-b", "16"]
    command += ["-e", "signed-integer", "-t", SOX_TYPES[fmt], str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConversionError(
            f"sox could not convert {source} to .{fmt}: {done.stderr.strip() or done.returncode}"
        )


def _read_wav(source: Path) -> tuple[list[int], int]:
    try:
        with wave.open(str(source), "rb") as w:
            frames = w.readframes(w.getnframes())
            return to_mono(frames, w.getnchannels(), w.getsampwidth()), w.getframerate()
    except (wave.Error, EOFError, ValueError) as exc:
        raise ConversionError(
            f"{source} is not a PCM WAV file this converter can read ({exc}); install sox"
        ) from None


def _write(samples: list[int], out: Path, fmt: str) -> None:
    data = to_pcm16(samples)
    if fmt == "wav":
        with wave.open(str(out), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATES[fmt])
            w.writeframes(data)
    else:
        out.write_bytes(data)
