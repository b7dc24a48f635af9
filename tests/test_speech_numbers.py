"""Digits spoken as words (en, ru, ko): one by one, in groups, as digits, among other words."""

from __future__ import annotations

import pytest

from speech.numbers import digit_languages, digit_words, spoken_digits


@pytest.mark.parametrize(
    ("language", "transcript", "digits"),
    [
        ("en", "four three two one", "4321"),
        ("en", "forty three twenty one", "4321"),
        ("en", "three hundred twenty one", "321"),
        ("en", "one hundred", "100"),
        ("en", "nineteen eighty four", "1984"),
        ("en", "ten five", "105"),
        ("en", "double four oh one", "4401"),
        ("en", "zero zero seven", "007"),
        ("en", "um my number is 4 3 2 one", "4321"),
        ("en", "55 56 six six", "555666"),
        ("ru", "четыре три два один", "4321"),
        ("ru", "сорок три двадцать один", "4321"),
        ("ru", "триста двадцать один", "321"),
        ("ru", "сто пять", "105"),
        ("ru", "двенадцать сорок", "1240"),
        ("ru", "ноль ноль семь", "007"),
        ("ru", "нуль одна две", "012"),
        ("ru", "ну мой номер пять пять", "55"),
        ("ko", "사 삼 이 일", "4321"),
        ("ko", "공 칠", "07"),
    ],
)
def test_spoken_digits(language: str, transcript: str, digits: str) -> None:
    assert spoken_digits(transcript, language) == digits


@pytest.mark.parametrize(
    ("language", "transcript"),
    [("en", "hello there"), ("en", ""), ("ru", "не знаю"), ("de", "vier drei"), ("ko", "네")],
)
def test_no_digits(language: str, transcript: str) -> None:
    assert spoken_digits(transcript, language) is None


def test_grammar_words_cover_every_language() -> None:
    assert set(digit_languages()) == {"en", "ru", "ko"}
    for language in digit_languages():
        words = digit_words(language)
        assert len(words) == len(set(words)) >= 10
        # every listed word is understood on its own
        assert all(spoken_digits(w, language) for w in words if w not in ("double", "triple"))
