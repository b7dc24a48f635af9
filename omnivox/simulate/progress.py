"""Progress while scripts run: a redrawn bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from typing import TextIO

from omnivox.simulate.model import Script
from omnivox.simulate.report import summary_line
from omnivox.simulate.results import ScriptResult

WIDTH = 24


class Progress:
    """Prints each finished script's line; on a TTY also a bar below them."""

    def __init__(self, total: int, out: TextIO, *, tty: bool | None = None) -> None:
        self.total = total
        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self.running = 0
        self.finished = 0
        self.failed = 0
        self.started = time.monotonic()

    def start(self, script: Script) -> None:
        self.running += 1
        self._draw()

    def done(self, result: ScriptResult) -> None:
        self.running = max(0, self.running - 1)
        self.finished += 1
        self.failed += result.status in ("failed", "error")
        self._clear()
        self.out.write(summary_line(result) + "\n")
        self._draw()

    def close(self) -> None:
        self._clear()
        self.out.flush()

    def bar(self) -> str:
        filled = WIDTH * self.finished // max(1, self.total)
        elapsed = time.monotonic() - self.started
        failed = f", {self.failed} failed" if self.failed else ""
        return (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.finished}/{self.total} done, "
            f"{self.running} running{failed}, {elapsed:.0f} s"
        )

    def _draw(self) -> None:
        if self.tty:
            self.out.write("\r" + self.bar() + "\x1b[K")
            self.out.flush()

    def _clear(self) -> None:
        if self.tty:
            self.out.write("\r\x1b[K")
