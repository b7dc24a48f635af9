"""Speech at a speech-enabled Collect: the prompt and the caller's answer on one AudioSocket.

The prompt is played through the socket, not by ``STREAM FILE``, so that the caller's voice
can stop it (barge-in). Every part becomes one of our rendered files: text and recordings as
the renderer writes them, and a key or number ("press 6") synthesized in the prompt's
language, since Asterisk's own digit sounds are not ours to read. The result becomes the
engine's event: :class:`SpeechResult` (an intent and confidence, or words matching none; at
a confirmation "yes"/"no" from :mod:`speech.answers`; at a gather the words, which the
engine reads as digits, with the recogniser's confidence),
:class:`Digits` (keys always work) or :class:`NoInput`. When speech is unavailable (Asterisk
could not connect, every recognizer is busy) :meth:`SpeechInput.collect` returns None and the
player asks with keys as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ivr.fastagi import AGIChannel
from ivr.prompts import PromptRenderer
from ivr.scenario import (
    Collect,
    Digits,
    DigitsPart,
    Event,
    FilePart,
    NoInput,
    NumberPart,
    PromptRef,
    SpeechAsk,
    SpeechResult,
    TextPart,
)
from speech.answers import CLEAR, answer_words, match_answer
from speech.grammar import Grammar, grammar_words
from speech.intents import IntentDef, IntentSet
from speech.listener import ListenResult, SpeechListener
from speech.numbers import digit_words, spoken_digits

MAX_CACHED_STEPS = 256


class SpeechInput:
    """Runs speech-enabled Collects for every call; one per server.

    ``known`` (the model's vocabulary check) keeps grammar words the model lacks out of the
    grammar; a step whose grammar keeps no word at all is asked with keys only.
    """

    def __init__(
        self,
        listener: SpeechListener,
        renderer: PromptRenderer,
        *,
        known: Callable[[str], bool] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._listener = listener
        self._renderer = renderer
        self._known = known
        self._log = logger or logging.getLogger("ivr.call.speech")
        self._steps: dict[SpeechAsk, tuple[IntentSet, Grammar | None]] = {}

    def step(self, ask: SpeechAsk) -> tuple[IntentSet, Grammar | None]:
        """The intent set and grammar (None: full vocabulary) of one step, built once."""
        found = self._steps.get(ask)
        if found is None:
            extra: tuple[str, ...] = ()
            intents = IntentSet({})
            if ask.listen_for == "intents":
                defs = [IntentDef(i.name, i.keywords, i.phrases) for i in ask.intents]
                intents = IntentSet({ask.language: defs})
            elif ask.listen_for == "digits":
                extra = digit_words(ask.language)
            else:
                extra = tuple(answer_words(ask.language, _answer_terms(ask)))
            grammar = None
            if ask.grammar:
                grammar = grammar_words(intents, ask.language, extra=extra, known=self._known)
                if grammar.dropped:
                    self._log.warning(
                        "speech model lacks %d grammar word(s) for %s: %s",
                        len(grammar.dropped),
                        ask.language,
                        ", ".join(grammar.dropped[:10]),
                    )
            if len(self._steps) >= MAX_CACHED_STEPS:
                self._steps.clear()  # scenarios were reloaded many times: start afresh
            found = self._steps[ask] = (intents, grammar)
        return found

    async def collect(self, channel: AGIChannel, action: Collect) -> Event | None:
        """The caller's answer to ``action`` by voice or keys; None when speech is unavailable."""
        ask = action.speech
        assert ask is not None
        intents, grammar = self.step(ask)
        if grammar is not None and not grammar.words:
            self._log.warning(
                "no grammar word of %s is in the speech model: keys only", action.node
            )
            return None
        prompt = [await self._file(p, part) for p in action.prompts for part in p.parts]
        result = await self._listener.listen(
            channel,
            language=ask.language,
            intents=intents,
            prompt_audio=prompt,
            grammar=grammar,
            timeout_ms=action.timeout_ms,
            max_digits=action.max_digits,
            barge_in=ask.barge_in,
            terminator=action.terminator or "",
            done=_done(action, ask),
        )
        self._log.debug("speech at %s: %s", action.node, _summary(result))
        return self._event(action, ask, result)

    def _event(self, action: Collect, ask: SpeechAsk, result: ListenResult) -> Event | None:
        match result.status:
            case "speech" | "no_match" if ask.listen_for == "digits":
                return SpeechResult(None, result.asr_confidence, result.transcript)
            case "speech" | "no_match" if ask.listen_for == "yes_no":
                heard = match_answer(result.transcript, ask.language, _answer_terms(ask))
                return SpeechResult(heard.answer, heard.confidence, result.transcript)
            case "speech" | "no_match":
                return SpeechResult(result.intent, result.confidence, result.transcript)
            case "digits":
                return Digits(result.digits)
            case "no_input":
                return NoInput()
        self._log.warning(
            "speech unavailable at %s (%s): asking with keys", action.node, result.error
        )
        return None

    async def _file(self, prompt: PromptRef, part: object) -> Path:
        """The rendered 8 kHz slin file of one prompt part."""
        match part:
            case TextPart(text=text):
                name = await self._renderer.render(text, prompt.language)
            case FilePart(path=path):
                name = await self._renderer.render_file(path)
            case DigitsPart(digits=digits):
                name = await self._renderer.render(" ".join(digits), prompt.language)
            case NumberPart(number=number):
                name = await self._renderer.render(str(number), prompt.language)
            case _:
                raise TypeError(f"cannot play prompt part {part!r}")
        return self._renderer.sound_dir / f"{name.rpartition('/')[2]}.sln"


def _answer_terms(ask: SpeechAsk) -> dict[str, tuple[str, ...]]:
    """A yes/no step's words per side, as the engine chose them for the call's language."""
    return {i.name: i.keywords for i in ask.intents}


def _done(action: Collect, ask: SpeechAsk) -> Callable[[str], bool] | None:
    """When the words so far already answer the step (no long pause needed); None: the
    listener's intent check."""
    if ask.listen_for == "digits":
        return lambda text: len(spoken_digits(text, ask.language) or "") >= action.max_digits
    if ask.listen_for == "yes_no":
        terms = _answer_terms(ask)
        return lambda text: match_answer(text, ask.language, terms).confidence >= CLEAR
    return None


def _summary(result: ListenResult) -> str:
    return (
        f"{result.status} intent={result.intent} confidence={result.confidence} "
        f"transcript={result.transcript!r} digits={result.digits!r} reason={result.reason} "
        f"barged_in={result.barged_in} {result.elapsed_ms:.0f} ms"
    )
