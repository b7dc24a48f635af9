"""Digits spoken as words: "four three two one", "сорок три двадцать один", "4321". Pure.

Callers read account numbers digit by digit or in groups ("forty three, twenty one"); both
become the digit string. Group words add up the usual way while the places they fill are
still empty (``three hundred`` + ``twenty`` + ``one`` is 321, but ``forty three`` +
``twenty one`` is 43 then 21), so a string of single digits stays a string of digits.
Words that are not numbers are ignored (fillers, "my account number is").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from speech.text import normalize

_UNITS = {
    "en": "zero one two three four five six seven eight nine",
    "ru": "ноль один два три четыре пять шесть семь восемь девять",
    "ko": "영 일 이 삼 사 오 육 칠 팔 구",
}
_TEENS = {
    "en": "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
    "ru": "десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать "
    "семнадцать восемнадцать девятнадцать",
}
_TENS = {
    "en": "twenty thirty forty fifty sixty seventy eighty ninety",
    "ru": "двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто",
}
_HUNDREDS = {"ru": "сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот"}
_MORE_UNITS: dict[str, dict[str, int]] = {
    "en": {"oh": 0, "o": 0, "nought": 0},
    "ru": {"нуль": 0, "одна": 1, "одну": 1, "две": 2},
    "ko": {"공": 0},
}
_HUNDRED_WORD = {"en": "hundred"}  # multiplies the unit before it
_REPEAT = {"en": {"double": 2, "triple": 3}}  # "double four" is 44
_DIGITS = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+")


def _table(language: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for words, start, step in (
        (_UNITS, 0, 1),
        (_TEENS, 10, 1),
        (_TENS, 20, 10),
        (_HUNDREDS, 100, 100),
    ):
        for i, word in enumerate(words.get(language, "").split()):
            values[word] = start + i * step
    values.update(_MORE_UNITS.get(language, {}))
    return values


NUMBER_WORDS: Mapping[str, Mapping[str, int]] = {lang: _table(lang) for lang in _UNITS}


def digit_languages() -> tuple[str, ...]:
    """Languages whose spoken digits are understood."""
    return tuple(NUMBER_WORDS)


def digit_words(language: str) -> tuple[str, ...]:
    """Every word that may be part of a spoken number in ``language`` (for a grammar)."""
    extra = [*_HUNDRED_WORD.get(language, "").split(), *_REPEAT.get(language, {})]
    return (*NUMBER_WORDS.get(language, {}), *extra)


def spoken_digits(transcript: str, language: str) -> str | None:
    """The digit string ``transcript`` says in ``language``, or None when it says none."""
    values = NUMBER_WORDS.get(language, {})
    hundred = _HUNDRED_WORD.get(language)
    repeats = _REPEAT.get(language, {})
    out: list[str] = []
    group: int | None = None  # the number being built from group words
    room = 0  # how many of its last places are still empty (300: 2, 320: 1, 321: 0)
    repeat = 1

    def flush() -> None:
        nonlocal group
        if group is not None:
            out.append(str(group))
            group = None

    for token in _TOKEN.findall(normalize(transcript)):
        if _DIGITS.fullmatch(token):
            flush()
            out.append(token)
        elif token in repeats:
            flush()
            repeat = repeats[token]
            continue
        elif token == hundred:
            if group is None or group > 9:
                flush()
                group = 1
            group, room = group * 100, 2
        elif token in values:
            value = values[token]
            size = len(str(value))
            if repeat > 1 or value == 0:
                flush()
                out.append(str(value) * repeat)
            elif group is not None and size <= room:
                group += value  # the places this word fills are still empty
                room = 1 if value >= 20 and value % 10 == 0 and room == 2 else 0
            else:
                flush()
                group, room = value, _room(value)
        repeat = 1
    flush()
    return "".join(out) or None


def _room(value: int) -> int:
    """Empty trailing places after a word of ``value`` starts a number: 300 -> 2, 40 -> 1."""
    if value >= 100:
        return 2
    return 1 if value >= 20 and value % 10 == 0 else 0
