"""The speech worker process: owns the one pyttsx3 engine, renders one file per request.

Run as a script by :mod:`ivr.prompts.synth`, never imported. Protocol: one JSON object per line;
the first line out lists the voices, then each request line
``{"text", "voice", "out"}`` gets one reply line ``{"ok": true, "voice"}`` or ``{"error"}``.
Replies go to a private copy of stdout; the real stdout (where pyttsx3 prints
"Audio saved to ...") is sent to /dev/null.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import wave


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process

    def reply(obj: object) -> None:
        replies.write(json.dumps(obj) + "\n")

    import pyttsx3

    engine = pyttsx3.init("espeak")
    # espeak-ng runs in AUDIO_OUTPUT_RETRIEVAL mode, which synthesizes on its own thread:
    # runAndWait() can return before the file is written, so wait for the utterance to finish.
    finished = threading.Event()
    engine.connect("finished-utterance", lambda **_: finished.set())
    voices = [
        {"id": v.id, "name": v.name, "languages": list(v.languages or [])}
        for v in engine.getProperty("voices")
    ]
    reply({"voices": voices})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            finished.clear()
            engine.setProperty("voice", request["voice"])  # queued: applied by runAndWait
            engine.save_to_file(request["text"], request["out"])
            engine.runAndWait()  # one file per run: pyttsx3 keeps only the last queued one
            if not finished.wait(timeout=request.get("timeout", 20)):
                raise TimeoutError("espeak-ng did not finish the utterance")
            actual = engine.getProperty("voice")
            if actual != request["voice"]:
                raise ValueError(f"asked for voice {request['voice']!r}, engine used {actual!r}")
            with wave.open(request["out"], "rb") as written:
                frames = written.getnframes()
            reply({"ok": True, "voice": actual, "frames": frames})
        except Exception as exc:  # one bad request must not end the worker
            reply({"error": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    main()
