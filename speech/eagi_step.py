"""What one EAGI listen at a scenario node listens for, and what the words heard mean. Pure.

A speech-enabled menu listens for its options' intents, a channel switch for its choices, a
gather for the digits spoken as words or (``confirm``) for yes/no at its prefill question.
The answer names the key that does the same thing (a menu option's key, a choice's key, the
gather's yes/no key), so a dialplan can treat a spoken answer like a pressed one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ivr.scenario import model as m
from ivr.scenario.steps import check_digits
from speech.answers import ANSWER_WORDS, CLEAR, NO, YES, answer_words, match_answer
from speech.intents import IntentDef, IntentSet
from speech.numbers import digit_languages, digit_words, spoken_digits


@dataclass(frozen=True, slots=True)
class EagiAnswer:
    """What the words mean at the step: an intent (a menu's intent, a switch's choice, yes or
    no), how sure, the key that does the same ("" none) and a gather's digits ("" none)."""

    intent: str | None = None
    confidence: float = 0.0
    key: str = ""
    digits: str = ""


@dataclass(frozen=True, slots=True)
class EagiStep:
    """How to listen at one node: in ``language``, for ``intents`` and ``extra`` words
    (grammar mode when ``grammar``), stopping once ``done`` says the words answer it."""

    node: str
    language: str
    intents: IntentSet
    extra: tuple[str, ...]
    grammar: bool
    threshold: float
    done: Callable[[str], bool]
    decide: Callable[[str, float], EagiAnswer]  # (transcript, recogniser confidence)


def eagi_step(
    scenario: m.Scenario, node_id: str, language: str, *, confirm: bool = False
) -> EagiStep:
    """The listen at ``node_id``; ValueError when it does not listen for speech."""
    node = scenario.nodes.get(node_id)
    if isinstance(node, m.Menu | m.ChannelSwitch) and node.speech is not None:
        return _choice_step(scenario, node, node.speech, language)
    if isinstance(node, m.Gather) and node.speech is not None:
        if confirm:
            return _answer_step(scenario, node, node.speech, language)
        return _digits_step(scenario, node, node.speech, language)
    raise ValueError(f"{node_id!r} is not a speech-enabled node of {scenario.name}")


def _threshold(scenario: m.Scenario, *values: float | None) -> float:
    return next((v for v in values if v is not None), scenario.defaults.min_confidence)


def _language(scenario: m.Scenario, language: str, usable: set[str] | tuple[str, ...]) -> str:
    return language if language in usable else scenario.default_language


def _choice_step(
    scenario: m.Scenario, node: m.Menu | m.ChannelSwitch, spec: m.SpeechSpec, language: str
) -> EagiStep:
    language = _language(scenario, language, spec.languages())
    if isinstance(node, m.Menu):
        keys = {o.intent: o.key for o in node.options if o.intent}
        threshold = _threshold(scenario, spec.min_confidence, node.min_confidence)
    else:
        keys = {o.choice: o.key for o in node.options}
        threshold = _threshold(scenario, spec.min_confidence)
    definitions = [
        IntentDef(name, terms.keywords, terms.phrases)
        for name, by_language in spec.intents.items()
        if (terms := by_language.get(language)) is not None
    ]
    intents = IntentSet({language: definitions})

    def decide(transcript: str, _: float) -> EagiAnswer:
        match = intents.match(transcript, language)
        if match.intent is None or match.confidence < threshold:
            return EagiAnswer(None, match.confidence)
        return EagiAnswer(match.intent, match.confidence, keys.get(match.intent, ""))

    return EagiStep(
        node.id,
        language,
        intents,
        (),
        spec.grammar,
        threshold,
        lambda text: intents.match(text, language).confidence >= threshold,
        decide,
    )


def _digits_step(
    scenario: m.Scenario, node: m.Gather, spec: m.GatherSpeech, language: str
) -> EagiStep:
    if not spec.digits:
        raise ValueError(f"gather {node.id!r} does not listen for spoken digits")
    language = _language(scenario, language, digit_languages())
    threshold = _threshold(scenario, spec.min_confidence)

    def decide(transcript: str, confidence: float) -> EagiAnswer:
        raw = spoken_digits(transcript, language)
        value = check_digits(node, raw) if raw is not None else None
        if value is None or confidence < threshold:
            return EagiAnswer(None, confidence)
        return EagiAnswer(None, confidence, digits=value)

    return EagiStep(
        node.id,
        language,
        IntentSet({}),
        digit_words(language),
        spec.grammar,
        threshold,
        lambda text: len(spoken_digits(text, language) or "") >= node.max_digits,
        decide,
    )


def _answer_step(
    scenario: m.Scenario, node: m.Gather, spec: m.GatherSpeech, language: str
) -> EagiStep:
    if not spec.confirm or node.prefill != "confirm":
        raise ValueError(f"gather {node.id!r} does not listen for yes/no")
    answered = set(ANSWER_WORDS) | (set(spec.yes) & set(spec.no))
    language = _language(scenario, language, answered)
    built_in = ANSWER_WORDS.get(language, {})
    terms = {
        YES: tuple(spec.yes.get(language) or built_in.get(YES, ())),
        NO: tuple(spec.no.get(language) or built_in.get(NO, ())),
    }
    threshold = _threshold(scenario, spec.min_confidence)
    keys = {YES: node.yes_key, NO: node.no_key}

    def decide(transcript: str, _: float) -> EagiAnswer:
        heard = match_answer(transcript, language, terms)
        if heard.answer is None or heard.confidence < threshold:
            return EagiAnswer(None, heard.confidence)
        return EagiAnswer(heard.answer, heard.confidence, keys[heard.answer])

    return EagiStep(
        node.id,
        language,
        IntentSet({}),
        tuple(sorted(answer_words(language, terms))),
        spec.grammar,
        threshold,
        lambda text: match_answer(text, language, terms).confidence >= CLEAR,
        decide,
    )
