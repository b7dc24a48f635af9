"""Intent matching: which of a step's intents a transcript asks for, and how sure that is. Pure.

    intents = IntentSet.from_mapping({
        "billing": {"en": {"keywords": ["bill", "invoice"], "phrases": ["my bill is wrong"]},
                    "ru": {"keywords": ["счет", "оплата"], "phrases": ["проблема со счетом"]}},
        ...
    })
    result = intents.match("um well the bill is too high", "en")
    result.intent, result.confidence, result.runner_up, result.matched

The transcript is normalised (case, ``ё``, fillers), each content word is matched to the
intents' terms by stem or near miss (see :mod:`speech.intent_index`), and the evidence per
intent becomes a confidence: ``(1 - exp(-1.6 * best)) * best / (best + runner_up)``, which is
high for one clear keyword and halves when two intents are equally likely.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from speech.exceptions import IntentDefinitionError
from speech.intent_index import LanguageIndex
from speech.text import tokens

SATURATION = 1.6


@dataclass(frozen=True, slots=True)
class IntentDef:
    """One intent in one language: keywords (strong evidence) and example phrases (weaker)."""

    name: str
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IntentMatch:
    """The best intent for a transcript (None when nothing matched) and how sure that is."""

    intent: str | None
    confidence: float
    runner_up: str | None = None
    runner_up_confidence: float = 0.0
    matched: tuple[str, ...] = ()  # heard words behind ``intent`` ("heard" or "heard~term")
    evidence: Mapping[str, float] = field(default_factory=dict)  # raw evidence per intent
    words: tuple[str, ...] = ()  # the transcript as matched: normalised, fillers removed


class IntentSet:
    """The intents of one speech-enabled step, per language, in priority order."""

    def __init__(self, definitions: Mapping[str, Sequence[IntentDef]]) -> None:
        """``definitions``: language -> intents. Names must be unique within a language."""
        self._definitions: dict[str, tuple[IntentDef, ...]] = {}
        for language, intents in definitions.items():
            names = [i.name for i in intents]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise IntentDefinitionError(f"{language}: intent defined twice: {duplicates}")
            for intent in intents:
                if not any(tokens(t, language) for t in (*intent.keywords, *intent.phrases)):
                    raise IntentDefinitionError(
                        f"{language}.{intent.name}: no keyword or phrase with a word in it"
                    )
            self._definitions[language] = tuple(intents)
        self._indexes: dict[str, LanguageIndex] = {}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> IntentSet:
        """Build from ``{intent: {language: {"keywords": [...], "phrases": [...]}}}`` (YAML)."""
        if not isinstance(data, Mapping):
            raise IntentDefinitionError(f"intents: expected a mapping, got {type(data).__name__}")
        per_language: dict[str, list[IntentDef]] = {}
        for name, languages in data.items():
            if not isinstance(languages, Mapping) or not languages:
                raise IntentDefinitionError(f"{name}: expected a mapping of language -> terms")
            for language, spec in languages.items():
                where = f"{name}.{language}"
                if not isinstance(spec, Mapping):
                    raise IntentDefinitionError(f"{where}: expected keywords and/or phrases")
                unknown = set(spec) - {"keywords", "phrases"}
                if unknown:
                    raise IntentDefinitionError(f"{where}: unknown keys {sorted(unknown)}")
                intent = IntentDef(
                    str(name),
                    _strings(spec.get("keywords", ()), f"{where}.keywords"),
                    _strings(spec.get("phrases", ()), f"{where}.phrases"),
                )
                per_language.setdefault(str(language), []).append(intent)
        return cls(per_language)

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with at least one intent."""
        return tuple(self._definitions)

    def definitions(self, language: str) -> tuple[IntentDef, ...]:
        """The intents of ``language``, in priority order (empty when it has none)."""
        return self._definitions.get(language, ())

    def index(self, language: str) -> LanguageIndex:
        """The compiled terms of ``language`` (built on first use)."""
        if language not in self._definitions:
            raise IntentDefinitionError(f"no intents for language {language!r}")
        if language not in self._indexes:
            defs = [(d.name, d.keywords, d.phrases) for d in self._definitions[language]]
            self._indexes[language] = LanguageIndex(language, defs)
        return self._indexes[language]

    def match(self, transcript: str, language: str) -> IntentMatch:
        """The best intent for ``transcript`` in ``language``; see :func:`match_intent`."""
        return match_intent(self, transcript, language)


def match_intent(intents: IntentSet, transcript: str, language: str) -> IntentMatch:
    """Score every intent of ``language`` against ``transcript``.

    Returns ``intent=None`` (confidence 0) when no word of the transcript points anywhere.
    """
    index = intents.index(language)
    heard = tokens(transcript, language)
    evidence = index.evidence(heard)
    ranked = sorted(index.order, key=lambda n: (-evidence.totals[n], index.order.index(n)))
    best = ranked[0] if ranked else None
    second = ranked[1] if len(ranked) > 1 else None
    top = evidence.totals[best] if best is not None else 0.0
    runner = evidence.totals[second] if second is not None else 0.0
    rounded = {n: round(v, 4) for n, v in evidence.totals.items() if v > 0}
    if best is None or top <= 0:
        return IntentMatch(None, 0.0, evidence=rounded, words=tuple(heard))
    return IntentMatch(
        intent=best,
        confidence=_confidence(top, runner),
        runner_up=second if runner > 0 else None,
        runner_up_confidence=_confidence(runner, top) if runner > 0 else 0.0,
        matched=tuple(evidence.matched[best]),
        evidence=rounded,
        words=tuple(heard),
    )


def _confidence(mine: float, other: float) -> float:
    return round((1.0 - math.exp(-SATURATION * mine)) * mine / (mine + other), 4)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise IntentDefinitionError(f"{where}: expected a list of strings")
    bad = [v for v in value if not isinstance(v, str) or not v.strip()]
    if bad:
        raise IntentDefinitionError(f"{where}: not a non-empty string: {bad[0]!r}")
    return tuple(value)
