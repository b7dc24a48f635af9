"""Asyncio adapter: render scenario prompts once into Asterisk's sound directory.

Synthesis runs in one dedicated thread that owns the speech worker process (so requests are
serialised); conversion and file checks run in a small thread pool. Nothing blocks the loop.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ivr.prompts.convert import convert
from ivr.prompts.exceptions import PromptError
from ivr.prompts.naming import (
    choose_voice,
    file_digest,
    normalize_language,
    playback_name,
    sound_paths,
    tts_digest,
)
from ivr.prompts.synth import SynthWorker

T = TypeVar("T")


class PromptRenderer:
    """Turns (text, language) or a recorded file into an AGI playback name, rendering once."""

    def __init__(
        self,
        sound_dir: Path,
        *,
        prefix: str = "omnivox",
        voices: Mapping[str, str] | None = None,
        logger: logging.Logger | None = None,
        use_sox: bool = True,
        synth_timeout: float = 30.0,
    ) -> None:
        self.sound_dir = Path(sound_dir)
        self.prefix = prefix
        self._overrides = dict(voices or {})
        self._log = logger or logging.getLogger(__name__)
        self._sox = shutil.which("sox") if use_sox else None
        if use_sox and self._sox is None:
            self._log.warning("sox not found; converting prompts with the built-in resampler")
        self._worker = SynthWorker(timeout=synth_timeout, logger=self._log)
        self._synth_pool = ThreadPoolExecutor(1, thread_name_prefix="omnivox-tts")
        self._io_pool = ThreadPoolExecutor(2, thread_name_prefix="omnivox-prompt-io")
        self._scratch: Path | None = None
        self._tasks: dict[str, asyncio.Task[str]] = {}
        self._voices: dict[str, str] = {}  # language tag -> voice id
        self._names: dict[tuple[str, str], str] = {}  # (text, language) -> playback name
        self._closed = False

    @property
    def syntheses(self) -> int:
        """How many prompts were actually synthesized (cache misses)."""
        return self._worker.syntheses

    async def voice_for(self, language: str) -> str:
        """The voice id used for ``language``; raises :class:`UnknownLanguageError`."""
        voice = self._voices.get(language)
        if voice is None:
            voices = await self._run(self._synth_pool, self._worker.voices)
            voice = self._voices[language] = choose_voice(language, voices, self._overrides)
        return voice

    async def render(self, text: str, language: str) -> str:
        """The playback name of ``text`` spoken in ``language``, synthesizing it if needed.

        A prompt rendered before is answered from memory: mid-call this is the common case
        (the scenario's prompts were rendered when it loaded) and must not queue behind the
        synthesis thread.
        """
        known = self._names.get((text, language))
        if known is not None:
            return known
        if not text.strip():
            raise PromptError(f"prompt text for language {language!r} is empty")
        tag = normalize_language(language)
        voice = await self.voice_for(tag)
        digest = tts_digest(text, tag, voice)
        name = await self._once(digest, lambda: self._render_tts(text, voice, digest))
        self._names[(text, language)] = name
        return name

    async def render_many(self, items: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Render every (text, language) pair; the result maps each pair to its playback name."""
        pairs = list(dict.fromkeys(items))
        names = await asyncio.gather(*(self.render(text, lang) for text, lang in pairs))
        return dict(zip(pairs, names, strict=True))

    async def render_file(self, path: Path | str) -> str:
        """The playback name of a recorded prompt, converted once (cached by its content)."""
        source = Path(path)
        try:
            content = await self._run(self._io_pool, source.read_bytes)
        except OSError as exc:
            raise PromptError(f"recorded prompt {source}: {exc.strerror or exc}") from None
        digest = file_digest(content)
        return await self._once(digest, lambda: self._convert_into_place(source, digest))

    def close(self) -> None:
        """Wait for running work, stop the speech worker, free the threads; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._synth_pool.shutdown(wait=True, cancel_futures=True)
        self._io_pool.shutdown(wait=True, cancel_futures=True)
        self._worker.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    async def _once(self, digest: str, make: Callable[[], Awaitable[str]]) -> str:
        task = self._tasks.get(digest)
        if task is None:
            task = asyncio.ensure_future(make())
            self._tasks[digest] = task
            task.add_done_callback(lambda t: self._forget_failed(digest, t))
        return await asyncio.shield(task)  # one caller giving up does not cancel the others

    def _forget_failed(self, digest: str, task: asyncio.Task[str]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._tasks.pop(digest, None)  # a later call may retry

    async def _render_tts(self, text: str, voice: str, digest: str) -> str:
        targets = sound_paths(self.sound_dir, digest)
        if not await self._run(self._io_pool, _all_exist, targets):
            raw = await self._run(self._synth_pool, self._synthesize, text, voice, digest)
            try:
                await self._run(self._io_pool, convert, raw, targets, self._sox)
            finally:
                await self._run(self._io_pool, raw.unlink, True)
            self._log.debug("rendered prompt %s (%s): %.60r", digest, voice, text)
        return playback_name(self.prefix, digest)

    async def _convert_into_place(self, source: Path, digest: str) -> str:
        targets = sound_paths(self.sound_dir, digest)
        if not await self._run(self._io_pool, _all_exist, targets):
            await self._run(self._io_pool, convert, source, targets, self._sox)
            self._log.debug("converted recorded prompt %s from %s", digest, source)
        return playback_name(self.prefix, digest)

    def _synthesize(self, text: str, voice: str, digest: str) -> Path:
        """Runs on the synthesis thread, which alone owns the scratch directory."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="omnivox-tts-"))
        raw = self._scratch / f"{digest}.wav"
        self._worker.synthesize(text, voice, raw)
        return raw

    async def _run(self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise PromptError("prompt renderer is closed")
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)


def _all_exist(targets: Mapping[str, Path]) -> bool:
    return all(p.is_file() for p in targets.values())
