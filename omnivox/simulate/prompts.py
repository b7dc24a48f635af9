"""Which scenario prompt a played sound is: playback names mapped back to prompt ids.

The IVR plays each fixed piece of prompt text as ``<prefix>/<digest>``; the digest is the
renderer's (text, language, voice) hash. :func:`build_index` names every piece of every prompt
of a scenario the way the renderer does, so a ``STREAM FILE`` seen on the line tells which
prompt (id, language, piece) is playing. Embedded, the server's own renderer answers from its
cache; against a running server :class:`DigestNamer` computes the same names without rendering.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ivr.prompts import PromptRenderer, file_digest, playback_name, tts_digest
from ivr.prompts.naming import normalize_language
from ivr.scenario import Scenario
from ivr.scenario.text import Template

Items = tuple[str | None, ...]  # a prompt as heard: fixed pieces, None where a value goes


class Namer(Protocol):
    """Gives the playback name the IVR uses for a text or a recording."""

    async def text(self, text: str, language: str) -> str: ...

    async def file(self, path: str) -> str: ...


class RendererNamer:
    """Names from a renderer (the embedded server's: its prompts are already rendered)."""

    def __init__(self, renderer: PromptRenderer) -> None:
        self._renderer = renderer

    async def text(self, text: str, language: str) -> str:
        return await self._renderer.render(text, language)

    async def file(self, path: str) -> str:
        return await self._renderer.render_file(path)


class DigestNamer:
    """Names computed as the renderer computes them (voice, digest, prefix), writing nothing:
    for a server running elsewhere whose sound directory this process cannot share."""

    def __init__(self, renderer: PromptRenderer, prefix: str) -> None:
        self._renderer = renderer  # asked only which voice speaks a language
        self._prefix = prefix

    async def text(self, text: str, language: str) -> str:
        tag = normalize_language(language)
        voice = await self._renderer.voice_for(tag)
        return playback_name(self._prefix, tts_digest(text, tag, voice))

    async def file(self, path: str) -> str:
        content = await asyncio.to_thread(Path(path).read_bytes)
        return playback_name(self._prefix, file_digest(content))


@dataclass(frozen=True, slots=True)
class Piece:
    """A fixed piece of one prompt in one language: the ``index``-th item of its template."""

    prompt_id: str
    language: str
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class PromptIndex:
    """Playback name -> the prompt pieces it plays; (prompt id, language) -> its items."""

    scenario: str
    names: dict[str, tuple[Piece, ...]]
    items: dict[tuple[str, str], Items]

    def pieces(self, name: str) -> tuple[Piece, ...]:
        return self.names.get(name, ())


def template_items(template: Template) -> Items:
    """The template as played: spoken fixed pieces, None for each placeholder."""
    out: list[str | None] = []
    for item in template.items:
        if isinstance(item, str):
            out.extend(Template(item, (item,)).fixed_fragments())  # unspeakable text says nothing
        else:
            out.append(None)
    return tuple(out)


async def build_index(scenario: Scenario, namer: Namer) -> PromptIndex:
    """Name every fixed piece and recording of every prompt of ``scenario``."""
    names: dict[str, list[Piece]] = {}
    items: dict[tuple[str, str], Items] = {}
    for prompt in scenario.prompts():
        for language, template in prompt.texts.items():
            if prompt.file_for(language) is not None:
                continue  # a recording wins over text
            played = items[(prompt.id, language)] = template_items(template)
            for index, text in enumerate(played):
                if text is not None:
                    name = await namer.text(text, language)
                    names.setdefault(name, []).append(Piece(prompt.id, language, index, text))
        for language, path in prompt.files.items():
            name = await namer.file(path)
            items[(prompt.id, language)] = (Path(path).name,)
            names.setdefault(name, []).append(Piece(prompt.id, language, 0, Path(path).name))
    return PromptIndex(scenario.name, {k: tuple(v) for k, v in names.items()}, items)
