"""Parent side of the speech worker process (blocking; call it from one thread only).

Why a process and not a thread: pyttsx3 is not thread-safe, prints to stdout, keeps only the
last of several queued files, and its espeak callback can fail without ending the run loop.
A child process owning the one engine isolates all of that: its noise goes to /dev/null, a
crash or hang costs one prompt (the worker is restarted on the next request), and requests
are serialised by construction, one file per ``runAndWait()``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, NoReturn

from ivr.prompts.exceptions import SynthesisError
from ivr.prompts.naming import VoiceInfo

WORKER_SCRIPT = Path(__file__).with_name("_tts_worker.py")


class _WorkerGone(SynthesisError):
    """The worker process ended before replying."""


class SynthWorker:
    """Renders text to a 22,050 Hz WAV file in a child process, one request at a time."""

    def __init__(self, *, timeout: float = 30.0, logger: logging.Logger | None = None) -> None:
        self._timeout = timeout
        self._log = logger or logging.getLogger(__name__)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._voices: tuple[VoiceInfo, ...] | None = None
        self.syntheses = 0  # files actually synthesized, for metrics and tests

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    def voices(self) -> tuple[VoiceInfo, ...]:
        """The voices the engine offers (starts the worker if needed)."""
        self._ensure_started()
        assert self._voices is not None
        return self._voices

    def synthesize(self, text: str, voice: str, out: Path) -> None:
        """Write ``text`` spoken by ``voice`` to ``out`` (WAV); raises :class:`SynthesisError`.

        A worker found dead (killed, crashed on an earlier prompt) is replaced and the request
        sent once more; a worker that dies on this request twice, or hangs, is an error.
        """
        request = {"text": text, "voice": voice, "out": str(out), "timeout": self._timeout * 0.8}
        doing = f"synthesizing {text[:40]!r} with voice {voice!r}"
        for attempt in (1, 2):
            self._ensure_started()
            try:
                reply = self._exchange(request, doing)
                break
            except _WorkerGone:
                if attempt == 2:
                    raise
                self._log.warning("speech worker was gone; restarting it")
        if "error" in reply:
            raise SynthesisError(
                f"speech worker failed on {text[:40]!r} ({voice}): {reply['error']}"
            )
        self.syntheses += 1

    def close(self) -> None:
        """Stop the worker; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            assert proc.stdin is not None and proc.stdout is not None
            with contextlib.suppress(OSError):  # the pipe may already be broken
                proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._proc = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            close_fds=True,
        )
        self._log.debug("speech worker started, pid %s", self._proc.pid)
        hello = self._read_reply("starting the speech worker")
        self._voices = tuple(
            VoiceInfo(v["id"], v["name"], tuple(v["languages"])) for v in hello["voices"]
        )

    def _exchange(self, request: dict[str, Any], doing: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            self._fail(doing, "worker is gone", gone=True)
        return self._read_reply(doing)

    def _read_reply(self, doing: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        # One reply line per request and nothing buffered beyond it, so select() on the fd is
        # a faithful "is the reply here" test.
        ready, _, _ = select.select([self._proc.stdout], [], [], self._timeout)
        if not ready:
            self._fail(doing, f"no reply within {self._timeout:g} s")
        line = self._proc.stdout.readline()
        if not line:
            self._fail(doing, "worker exited", gone=True)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _fail(self, doing: str, what: str, gone: bool = False) -> NoReturn:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        code = proc.wait() if proc is not None else None
        detail = self._stderr_tail()
        self.close()
        raise (_WorkerGone if gone else SynthesisError)(
            f"speech worker failed while {doing}: {what} (exit code {code})"
            + (f"; stderr: {detail}" if detail else "")
        )

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(max(0, os.fstat(self._stderr.fileno()).st_size - 2000))
        return self._stderr.read().decode(errors="replace").strip()
