"""DOT text -> SVG through Graphviz ``dot`` (a subprocess with a timeout), cached by content."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
from collections import OrderedDict


class RenderError(Exception):
    """The diagram could not be drawn; the message says why in one line for the page."""


class Graphviz:
    """``Graphviz(dot="dot", timeout_s=10)``: ``await svg(dot_text)`` returns an ``<svg>``
    element (no XML prolog, ready to inline), the same text twice costs one run."""

    def __init__(
        self,
        dot: str = "dot",
        *,
        timeout_s: float = 10.0,
        cache_size: int = 64,
        parallel: int = 2,
    ) -> None:
        self.dot = dot
        self.timeout_s = timeout_s
        self.runs = 0  # how many times dot actually ran (the cache saves the rest)
        self._cache_size = cache_size
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._slots = asyncio.Semaphore(parallel)

    async def svg(self, dot_text: str) -> str:
        """The SVG of ``dot_text``; :class:`RenderError` if dot is missing, fails or hangs."""
        key = hashlib.sha256(dot_text.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._slots:
            svg = await self._run(dot_text)
        self._cache[key] = svg
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return svg

    async def _run(self, dot_text: str) -> str:
        try:
            proc = await asyncio.create_subprocess_exec(
                self.dot,
                "-Tsvg",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group: a timeout kills it all
            )
        except FileNotFoundError:
            raise RenderError(
                f"Graphviz is not installed ({self.dot!r} not found): install the graphviz "
                "package to see flow diagrams"
            ) from None
        except OSError as exc:
            raise RenderError(f"cannot run {self.dot!r}: {exc.strerror or exc}") from None
        self.runs += 1
        try:
            out, err = await asyncio.wait_for(proc.communicate(dot_text.encode()), self.timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            raise RenderError(
                f"dot took longer than {self.timeout_s:g} s; diagram skipped"
            ) from None
        if proc.returncode != 0:
            first = (err.decode(errors="replace").strip().splitlines() or ["no message"])[0]
            raise RenderError(f"dot failed (exit {proc.returncode}): {first}")
        text = out.decode("utf-8", errors="replace")
        start = text.find("<svg")
        if start < 0:
            raise RenderError("dot printed no SVG")
        return text[start:]
