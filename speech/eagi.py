"""EAGI entry point: recognise one utterance at a speech menu on a single-host install.

The alternative to AudioSocket when Asterisk and omnivox share a machine. Asterisk runs a
process per call, ``EAGI(omnivox-eagi,<scenario file>,<menu node>[,<language>])``, with the
AGI dialogue on stdin/stdout and the caller's audio (8 kHz signed linear) on fd 3. The script
loads the Vosk model (``OMNIVOX_SPEECH_MODEL`` or the config file: a cost paid per call),
listens with the menu's declared intents (grammar mode when the menu says so), and sets

    OMNIVOX_SPEECH_STATUS      speech | no_match | no_input | hangup | error
    OMNIVOX_SPEECH_INTENT      the intent, empty when none
    OMNIVOX_SPEECH_CONFIDENCE  0..1
    OMNIVOX_SPEECH_TRANSCRIPT  the words heard

for the dialplan (keys are read by the dialplan afterwards: EAGI carries no DTMF on fd 3).
Run it as ``python -m speech.eagi`` from a wrapper script Asterisk can execute.

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
from speech.endpoint import EndpointConfig, Endpointer, EndReason
from speech.grammar import grammar_words
from speech.intents import IntentDef, IntentMatch, IntentSet
from speech.recognizer import SpeechModel, Transcript, parse_result

AUDIO_FD = 3
CHUNK_BYTES = 8 * FRAME_BYTES  # 160 ms per recogniser call


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
    """What one listen on fd 3 gave."""

    status: str  # speech, no_match, no_input, hangup
    transcript: str = ""
    match: IntentMatch | None = None


def listen(
    audio: BinaryIO,
    model: SpeechModel,
    intents: IntentSet,
    language: str,
    *,
    grammar: bool,
    threshold: float,
    endpoint: EndpointConfig | None = None,
) -> Heard:
    """Recognise one utterance from ``audio`` (blocking reads; this process has one call)."""
    import vosk

    words = grammar_words(intents, language, known=model.knows) if grammar else None
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
        confident = bool(text) and intents.match(text, language).confidence >= threshold
        reason = endpointer.decide(
            final_words=final is not None and bool(final.text), confident=confident
        )
    if reason is not EndReason.NO_INPUT:
        last = parse_result(recognizer.FinalResult())
        if last.text:
            heard.append(last)
    transcript = " ".join(t.text for t in heard)
    if reason == "hangup" and not transcript:
        return Heard("hangup")
    if reason is EndReason.NO_INPUT or not transcript:
        return Heard("no_input" if reason is EndReason.NO_INPUT else "no_match", transcript)
    return Heard("speech", transcript, intents.match(transcript, language))


def _read(audio: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = audio.read(size - len(data))
        if not piece:
            break
        data += piece
    return data


def run(agi: SafeAGI, argv: Sequence[str], audio: BinaryIO) -> int:
    """Listen at the menu named by ``argv`` (scenario file, node, [language])."""
    from ivr.scenario.model import Menu
    from ivr.scenario.validate import load_valid
    from omnivox.config import load_settings

    if len(argv) < 2:
        agi.verbose("omnivox-eagi: usage: EAGI(omnivox-eagi,<scenario file>,<menu node>[,<lang>])")
        agi.set_variable("OMNIVOX_SPEECH_STATUS", "error")
        return 2
    scenario = load_valid(argv[0])
    node = scenario.nodes.get(argv[1])
    if not isinstance(node, Menu) or node.speech is None:
        raise ValueError(f"{argv[1]!r} is not a speech-enabled menu of {scenario.name}")
    language = argv[2] if len(argv) > 2 and argv[2] else agi.env.get("agi_language", "")
    if language not in node.speech.languages():
        language = scenario.default_language
    definitions = [
        IntentDef(name, terms.keywords, terms.phrases)
        for name, by_language in node.speech.intents.items()
        if (terms := by_language.get(language)) is not None
    ]
    settings = load_settings()
    if settings.speech_model is None:
        raise ValueError("no speech model: set OMNIVOX_SPEECH_MODEL")
    model = SpeechModel.load(settings.speech_model)
    threshold = (
        node.speech.min_confidence or node.min_confidence or scenario.defaults.min_confidence
    )
    heard = listen(
        audio,
        model,
        IntentSet({language: definitions}),
        language,
        grammar=node.speech.grammar,
        threshold=threshold,
    )
    match = heard.match
    intent = match.intent if match and match.confidence >= threshold else None
    agi.set_variable("OMNIVOX_SPEECH_STATUS", heard.status)
    agi.set_variable("OMNIVOX_SPEECH_TRANSCRIPT", heard.transcript)
    agi.set_variable("OMNIVOX_SPEECH_INTENT", intent or "")
    agi.set_variable("OMNIVOX_SPEECH_CONFIDENCE", f"{match.confidence if match else 0.0:.4f}")
    caller = agi.env.get("agi_calleridname", "")
    agi.verbose(f"omnivox-eagi: {caller} said {heard.transcript!r}: {intent or 'no intent'}")
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
