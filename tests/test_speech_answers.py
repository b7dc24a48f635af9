"""Spoken yes/no answers per language, negations, mixed answers and a scenario's own words."""

from __future__ import annotations

import pytest

from speech.answers import AMONG_WORDS, BOTH_SIDES, CLEAR, answer_words, match_answer


@pytest.mark.parametrize(
    ("language", "transcript", "answer", "confidence"),
    [
        ("en", "yes", "yes", CLEAR),
        ("en", "um yeah", "yes", CLEAR),
        ("en", "yes that's mine", "yes", AMONG_WORDS),
        ("en", "yes that is my account I think", "yes", 0.5),
        ("en", "no", "no", CLEAR),
        ("en", "nope", "no", CLEAR),
        ("en", "that is not right", "no", AMONG_WORDS),
        ("en", "yes no", "yes", BOTH_SIDES),
        ("ru", "да", "yes", CLEAR),
        ("ru", "ну да да", "yes", CLEAR),
        ("ru", "нет", "no", CLEAR),
        ("ru", "не верно", "no", CLEAR),
        ("ru", "да это мой счёт", "yes", AMONG_WORDS),
        ("ko", "네", "yes", CLEAR),
        ("ko", "아니요", "no", CLEAR),
    ],
)
def test_answers(language: str, transcript: str, answer: str, confidence: float) -> None:
    heard = match_answer(transcript, language)
    assert (heard.answer, heard.confidence) == (answer, confidence)


@pytest.mark.parametrize(("language", "transcript"), [("en", "hello"), ("en", ""), ("de", "ja")])
def test_no_answer(language: str, transcript: str) -> None:
    heard = match_answer(transcript, language)
    assert (heard.answer, heard.confidence) == (None, 0.0)


def test_a_scenarios_words_replace_the_built_in_ones() -> None:
    words = {"yes": ("ja", "genau"), "no": ("nein",)}
    assert match_answer("ja genau", "de", words).answer == "yes"
    assert match_answer("nein", "de", words).answer == "no"
    assert match_answer("yes", "en", {"yes": ("correct",)}).answer is None
    assert match_answer("no", "en", {"yes": ("correct",)}).answer == "no"
    assert {"ja", "genau", "nein"} <= answer_words("de", words)
    assert {"yes", "no", "not"} <= answer_words("en")
