"""EAGI entry point: recognise one utterance at a speech-enabled step on a single-host install.

The alternative to AudioSocket when Asterisk and omnivox share a machine. Asterisk runs a
process per call, ``EAGI(omnivox-eagi,<scenario file>,<node>[,<language>[,confirm]])``, with
the AGI dialogue on stdin/stdout and the caller's audio (8 kHz signed linear) on fd 3. The
script loads the Vosk model (``OMNIVOX_SPEECH_MODEL`` or the config file: a cost paid per
call), listens as the node's ``speech`` block says (:mod:`speech.eagi_step`: a menu's
intents, a channel switch's choices, a gather's spoken digits, or with ``confirm`` yes/no at
the gather's prefill question; grammar mode when the block says so), and sets

    OMNIVOX_SPEECH_STATUS      speech | no_match | no_input | hangup | error
    OMNIVOX_SPEECH_INTENT      the intent, choice, or yes/no; empty when none sure enough
    OMNIVOX_SPEECH_CONFIDENCE  0..1
    OMNIVOX_SPEECH_TRANSCRIPT  the words heard
    OMNIVOX_SPEECH_KEY         the key that does the same (option, choice, yes/no key) or empty
    OMNIVOX_SPEECH_DIGITS      a gather's digits (length and pattern checked) or empty

for the dialplan (keys are read by the dialplan afterwards: EAGI carries no DTMF on fd 3, so
there is no barge-in by key here; the AudioSocket path has it). The retry-then-keys policy is
the dialplan's. Run it as ``python -m speech.eagi`` from a wrapper script Asterisk can execute.

pyst2 speaks AGI but does not escape arguments (a value with a quote and a newline becomes
a second command), so every argument goes through :func:`ivr.fastagi.protocol.escape_arg`
here. Only AGI goes to stdout: fd 1 is pointed at stderr before anything else runs, and the
text-to-speech stack (pyttsx3 prints to stdout) is never imported into this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

from asterisk.agi import AGI, AGIException

from ivr.fastagi.protocol import escape_arg
from speech.audio import FRAME_BYTES, frame_levels
from speech.eagi_step import EagiAnswer, EagiStep, eagi_step
from speech.endpoint import EndpointConfig, Endpointer, EndReason
from speech.grammar import grammar_words
from speech.recognizer import SpeechModel, Transcript, parse_result

AUDIO_FD = 3
CHUNK_BYTES = 8 * FRAME_BYTES  # 160 ms per recogniser call
USAGE = "EAGI(omnivox-eagi,<scenario file>,<node>[,<language>[,confirm]])"


class SafeAGI:
    """pyst2's AGI with every argument quoted and escaped by us."""

    def __init__(self, agi: AGI) -> None:
        self.agi = agi
        self.env: dict[str, str] = agi.env

    def command(self, name: str, *args: str | int) -> dict[str, Any]:
        """Send one command; text arguments are escaped (one argument, one line)."""
        words = [str(a) if isinstance(a, int) else escape_arg(a) for a in args]
        return dict(self.agi.execute(name, *words))

    def set_variable(self, name: str, value: str) -> None:
        self.command("SET VARIABLE", name, value)

    def verbose(self, message: str, level: int = 1) -> None:
        self.command("VERBOSE", message, level)


@dataclass(frozen=True, slots=True)
class Heard:
    """What one listen on fd 3 gave: the words and the recogniser's mean word confidence."""

    status: str  # speech, no_match, no_input, hangup
    transcript: str = ""
    asr_confidence: float = 0.0


def listen(
    audio: BinaryIO,
    model: SpeechModel,
    step: EagiStep,
    *,
    endpoint: EndpointConfig | None = None,
) -> Heard:
    """Recognise one utterance from ``audio`` (blocking reads; this process has one call)."""
    import vosk

    words = None
    if step.grammar:
        words = grammar_words(step.intents, step.language, extra=step.extra, known=model.knows)
    if words is not None and words.words:
        recognizer = vosk.KaldiRecognizer(model.vosk_model, 8000, words.to_json())
    else:
        recognizer = vosk.KaldiRecognizer(model.vosk_model, 8000)
    recognizer.SetWords(True)
    endpointer = Endpointer(endpoint or EndpointConfig())
    heard: list[Transcript] = []
    reason: EndReason | str | None = None
    while reason is None:
        chunk = _read(audio, CHUNK_BYTES)
        if not chunk:
            reason = "hangup"
            break
        endpointer.feed(frame_levels(chunk))
        final = None
        partial = ""
        if recognizer.AcceptWaveform(chunk):
            final = parse_result(recognizer.Result())
            if final.text:
                heard.append(final)
        else:
            partial = json.loads(recognizer.PartialResult()).get("partial", "")
        if partial or (final is not None and final.text):
            endpointer.words_heard()
        text = " ".join([*(t.text for t in heard), *([partial] if partial else [])])
        reason = endpointer.decide(
            final_words=final is not None and bool(final.text),
            confident=bool(text) and step.done(text),
        )
    if reason is not EndReason.NO_INPUT:
        last = parse_result(recognizer.FinalResult())
        if last.text:
            heard.append(last)
    transcript = " ".join(t.text for t in heard)
    spoken = [w.confidence for t in heard for w in t.words]
    confidence = round(sum(spoken) / len(spoken), 4) if spoken else 0.0
    if reason == "hangup" and not transcript:
        return Heard("hangup")
    if reason is EndReason.NO_INPUT or not transcript:
        return Heard("no_input" if reason is EndReason.NO_INPUT else "no_match", transcript)
    return Heard("speech", transcript, confidence)


def _read(audio: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = audio.read(size - len(data))
        if not piece:
            break
        data += piece
    return data


def run(agi: SafeAGI, argv: Sequence[str], audio: BinaryIO) -> int:
    """Listen at the node named by ``argv`` (scenario file, node, [language, [confirm]])."""
    from ivr.scenario.validate import load_valid
    from omnivox.config import load_settings

    if len(argv) < 2:
        agi.verbose(f"omnivox-eagi: usage: {USAGE}")
        agi.set_variable("OMNIVOX_SPEECH_STATUS", "error")
        return 2
    scenario = load_valid(argv[0])
    language = argv[2] if len(argv) > 2 and argv[2] else agi.env.get("agi_language", "")
    mode = argv[3] if len(argv) > 3 else ""
    if mode not in ("", "confirm"):
        raise ValueError(f"unknown listen mode {mode!r} (expected: confirm)")
    step = eagi_step(scenario, argv[1], language, confirm=mode == "confirm")
    settings = load_settings()
    if settings.speech_model is None:
        raise ValueError("no speech model: set OMNIVOX_SPEECH_MODEL")
    model = SpeechModel.load(settings.speech_model)
    heard = listen(audio, model, step)
    answer = EagiAnswer()
    if heard.status == "speech":
        answer = step.decide(heard.transcript, heard.asr_confidence)
    agi.set_variable("OMNIVOX_SPEECH_STATUS", heard.status)
    agi.set_variable("OMNIVOX_SPEECH_TRANSCRIPT", heard.transcript)
    agi.set_variable("OMNIVOX_SPEECH_INTENT", answer.intent or "")
    agi.set_variable("OMNIVOX_SPEECH_CONFIDENCE", f"{answer.confidence:.4f}")
    agi.set_variable("OMNIVOX_SPEECH_KEY", answer.key)
    agi.set_variable("OMNIVOX_SPEECH_DIGITS", answer.digits)
    caller = agi.env.get("agi_calleridname", "")
    meaning = answer.intent or answer.digits or "no answer"
    agi.verbose(f"omnivox-eagi: {caller} said {heard.transcript!r} at {step.node}: {meaning}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: AGI on stdin/stdout, audio on fd 3."""
    # A copy of stdout above fd 3 (the audio), then fd 1 itself goes to stderr.
    agi_out: TextIO = os.fdopen(fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 10), "w", buffering=1)
    os.dup2(2, 1)  # whatever writes to fd 1 from now on (C libraries, prints) goes to stderr
    sys.stdout = sys.stderr
    agi = SafeAGI(AGI(stdin=sys.stdin, stdout=agi_out, stderr=sys.stderr))
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with os.fdopen(AUDIO_FD, "rb", buffering=0) as audio:
            return run(agi, args, audio)
    except AGIException as exc:  # hung up, or Asterisk went away
        print(f"omnivox-eagi: AGI ended: {exc}", file=sys.stderr)
        return 0
    except Exception as exc:  # the dialplan sees the status; the details go to the log
        print(f"omnivox-eagi: {type(exc).__name__}: {exc}", file=sys.stderr)
        with contextlib.suppress(AGIException):
            agi.set_variable("OMNIVOX_SPEECH_STATUS", "error")
        return 1


if __name__ == "__main__":
    sys.exit(main())
