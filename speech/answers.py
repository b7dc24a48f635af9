"""Spoken yes/no answers ("yes", "да", "네"; "no", "нет", "아니요"), with a confidence. Pure.

The intent matcher treats yes and no as stop words (they say nothing about what a caller
wants), so a confirmation question has its own matcher: the answer words of each side are
counted, a negation before a "yes" word ("not right", "не верно") counts for "no", and the
confidence falls when both sides are heard or when the answer is lost among other words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from speech.text import is_filler, words

YES = "yes"
NO = "no"
ANSWER_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "en": {
        YES: ("yes", "yeah", "yep", "yup", "correct", "right", "sure", "exactly", "affirmative"),
        NO: ("no", "nope", "nah", "wrong", "incorrect", "negative"),
    },
    "ru": {
        YES: ("да", "ага", "угу", "верно", "правильно", "конечно", "точно", "именно"),
        NO: ("нет", "неверно", "неправильно", "неа"),
    },
    "ko": {
        YES: ("네", "예", "응", "맞아요", "맞습니다", "그래요"),
        NO: ("아니요", "아니오", "아니", "아뇨", "틀려요"),
    },
}
NEGATIONS: Mapping[str, frozenset[str]] = {
    "en": frozenset({"not", "isnt"}),
    "ru": frozenset({"не"}),
    "ko": frozenset({"안"}),
}
CLEAR = 0.95  # the answer alone ("yes", "да, да")
AMONG_WORDS = 0.75  # the answer with a few other words ("yes that is my account")
BOTH_SIDES = 0.3  # "yes... no"


@dataclass(frozen=True, slots=True)
class Answer:
    """``answer``: "yes", "no" or None; ``matched``: the words behind it."""

    answer: str | None
    confidence: float
    matched: tuple[str, ...] = ()


def answer_words(language: str, extra: Mapping[str, Iterable[str]] | None = None) -> set[str]:
    """Every word a yes/no answer in ``language`` may contain (for a grammar)."""
    found: set[str] = set()
    for side in (YES, NO):
        for text in _side(language, side, extra):
            found.update(words(text))
    found.update(w for n in NEGATIONS.get(language, ()) for w in words(n))
    return found


def match_answer(
    transcript: str, language: str, extra: Mapping[str, Iterable[str]] | None = None
) -> Answer:
    """Is ``transcript`` a yes or a no in ``language``? ``extra``: a scenario's own words per
    side (``{"yes": [...], "no": [...]}``), used instead of the built-in ones when given."""
    yes = {tuple(words(t)) for t in _side(language, YES, extra)}
    no = {tuple(words(t)) for t in _side(language, NO, extra)}
    negations = NEGATIONS.get(language, frozenset())
    heard = [w for w in words(transcript) if not is_filler(w, language) or _in(w, yes, no)]
    hits: dict[str, list[str]] = {YES: [], NO: []}
    other = 0
    i = 0
    while i < len(heard):
        size, side = _phrase_at(heard, i, yes, no)
        if side is None:
            other += 1
            i += 1
            continue
        negated = i > 0 and heard[i - 1] in negations
        if negated:
            other -= 1  # the negation was counted as another word
            side = NO if side == YES else YES
        hits[side].append(" ".join(heard[i - negated : i + size]))
        i += size
    if hits[YES] and hits[NO]:
        first = YES if len(hits[YES]) >= len(hits[NO]) else NO
        return Answer(first, BOTH_SIDES, tuple(hits[first]))
    for side in (YES, NO):
        if hits[side]:
            confidence = CLEAR if other == 0 else AMONG_WORDS if other <= 3 else 0.5
            return Answer(side, confidence, tuple(hits[side]))
    return Answer(None, 0.0)


def _side(language: str, side: str, extra: Mapping[str, Iterable[str]] | None) -> tuple[str, ...]:
    if extra and side in extra:
        return tuple(extra[side])
    return ANSWER_WORDS.get(language, {}).get(side, ())


def _in(word: str, *sides: set[tuple[str, ...]]) -> bool:
    return any(word in phrase for side in sides for phrase in side)


def _phrase_at(
    heard: list[str], i: int, yes: set[tuple[str, ...]], no: set[tuple[str, ...]]
) -> tuple[int, str | None]:
    """The longest answer phrase starting at ``heard[i]``: its length and side."""
    for size in range(min(4, len(heard) - i), 0, -1):
        piece = tuple(heard[i : i + size])
        if piece in yes:
            return size, YES
        if piece in no:
            return size, NO
    return 1, None
