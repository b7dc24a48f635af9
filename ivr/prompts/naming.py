"""Pure naming rules for rendered prompts: cache digests, file names, voice choice.

A prompt's digest covers everything that changes its audio, so a changed text, voice or
renderer gives a new file and an unchanged one is never rendered twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.prompts.exceptions import UnknownLanguageError

RENDERER_VERSION = "1"  # bump when synthesis or conversion settings change the audio
FORMATS = ("wav", "sln", "sln16")  # 8 kHz WAV, raw 8 kHz, raw 16 kHz; 16-bit signed mono
DIGEST_CHARS = 24


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    """One voice the synthesizer offers."""

    id: str
    name: str
    languages: tuple[str, ...]


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:DIGEST_CHARS]


def tts_digest(text: str, language: str, voice: str, version: str = RENDERER_VERSION) -> str:
    """Cache key of a synthesized prompt."""
    return _digest(b"tts", version.encode(), voice.encode(), language.encode(), text.encode())


def file_digest(content: bytes, version: str = RENDERER_VERSION) -> str:
    """Cache key of a recorded prompt, from its bytes."""
    return _digest(b"file", version.encode(), content)


def playback_name(prefix: str, digest: str) -> str:
    """What AGI ``STREAM FILE``/``Playback`` is given: ``<prefix>/<digest>``, no extension."""
    return f"{prefix.strip('/')}/{digest}" if prefix.strip("/") else digest


def sound_paths(sound_dir: Path, digest: str) -> dict[str, Path]:
    """The rendered files of one prompt, by format."""
    return {fmt: sound_dir / f"{digest}.{fmt}" for fmt in FORMATS}


def normalize_language(language: str) -> str:
    """``"ru_RU"`` -> ``"ru-ru"``; rejects an empty tag."""
    tag = language.strip().replace("_", "-").lower()
    if not tag:
        raise UnknownLanguageError("prompt language is empty")
    return tag


def choose_voice(
    language: str, voices: Iterable[VoiceInfo], overrides: Mapping[str, str] | None = None
) -> str:
    """The voice id for ``language``: the configured one (it must exist), else the best match.

    Match order: a voice whose id ends in the tag (espeak-ng's ``gmw/en``, ``zle/ru``), then one
    that declares the tag, then one whose declared tag starts with it (``en`` -> ``en-us``); a
    regional tag with no match falls back to its primary language (``ru-ru`` -> ``ru``).
    """
    tag = normalize_language(language)
    available = list(voices)
    ids = {v.id for v in available}
    wanted = {normalize_language(k): v for k, v in (overrides or {}).items()}
    if tag in wanted:
        if wanted[tag] not in ids:
            raise UnknownLanguageError(
                f"voice {wanted[tag]!r} configured for language {language!r} is not installed"
            )
        return wanted[tag]
    for candidate in dict.fromkeys([tag, tag.split("-")[0]]):
        ranked = sorted((r, v.id) for v in available if (r := _match(v, candidate)) is not None)
        if ranked:
            return ranked[0][1]
    raise UnknownLanguageError(
        f"no installed voice speaks language {language!r} ({len(available)} voices installed)"
    )


def _match(voice: VoiceInfo, tag: str) -> int | None:
    """How well ``voice`` fits ``tag``: 0 best, None not at all."""
    if voice.id.lower().rsplit("/", 1)[-1] == tag:
        return 0
    declared = [x.lower() for x in voice.languages]
    if tag in declared:
        return 1
    if any(x.startswith(tag + "-") for x in declared):
        return 2
    return None
