"""Transcript normalisation, light stems and near-miss lookup (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speech.fuzzy import NearMissIndex, distance, max_edits
from speech.text import is_filler, normalize, stems, tokens


def test_normalize_case_yo_apostrophes_hyphens() -> None:
    assert normalize("Мой СЧЁТ") == "мой счет"
    assert normalize("I don't know") == "i dont know"
    assert normalize("my wi-fi") == "my wifi"
    assert normalize("I-I-I want") == "i want"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Um, well... I-I don't know, you know, my bill",
            "en",
            ["i", "dont", "know", "my", "bill"],
        ),
        ("uhhh hmm ummm the router", "en", ["the", "router"]),
        (
            "Ну э-э-э... мой счёт, как бы, м-м неправильный ммм",
            "ru",
            ["мой", "счет", "неправильный"],
        ),
        ("это самое в общем интернет", "ru", ["интернет"]),
    ],
)
def test_tokens_drop_fillers(text: str, language: str, expected: list[str]) -> None:
    assert tokens(text, language) == expected


def test_fillers_are_per_language() -> None:
    assert is_filler("ну", "ru") and not is_filler("ну", "en")
    assert is_filler("эээээ", "ru") and is_filler("ummmm", "en")
    assert not is_filler("bill", "en")


@pytest.mark.parametrize(
    "forms",
    [
        ["счет", "счета", "счету", "счетом", "счетов"],
        ["интернет", "интернета", "интернетом"],
        ["оплата", "оплату", "оплатить"],
        ["переезжаю", "переезжаем"],
        ["отключить", "отключили"],
    ],
)
def test_russian_inflections_share_a_stem(forms: list[str]) -> None:
    shared = set(stems(forms[0], "ru"))
    for form in forms[1:]:
        shared &= set(stems(form, "ru"))
    assert shared, forms


@pytest.mark.parametrize(
    "forms",
    [["charge", "charged", "charges"], ["move", "moving", "moved"], ["bill", "billing", "bills"]],
)
def test_english_inflections_share_a_stem(forms: list[str]) -> None:
    shared = set(stems(forms[0], "en"))
    for form in forms[1:]:
        shared &= set(stems(form, "en"))
    assert shared, forms


def test_unrelated_words_do_not_share_stems() -> None:
    assert not set(stems("offer", "en")) & set(stems("off", "en"))
    assert not set(stems("счет", "ru")) & set(stems("сеть", "ru"))


def test_distance_counts_transpositions_as_one() -> None:
    assert distance("router", "rooter", 2) == 1
    assert distance("abcd", "abdc", 2) == 1
    assert distance("internet", "intranet", 1) == 2  # capped at limit + 1
    assert distance("bill", "bill", 0) == 0


def test_max_edits_grows_with_length() -> None:
    assert [max_edits(n) for n in (3, 4, 5, 7, 8, 12)] == [0, 0, 1, 1, 2, 2]


def test_near_miss_index_finds_close_words_only() -> None:
    index = NearMissIndex(["router", "internet", "billing", "channel"])
    assert index.lookup("rooter") == [("router", 1)]
    assert index.lookup("internat") == [("internet", 1)]
    assert index.lookup("chanel") == [("channel", 1)]
    assert index.lookup("modem") == []
    assert index.lookup("bil") == []  # too short for a near miss


WORD = st.text(alphabet="abcdeкот", max_size=9)


@given(WORD, WORD)
def test_near_miss_index_agrees_with_distance(known: str, heard: str) -> None:
    """The deletion index finds exactly the words a brute-force distance accepts."""
    index = NearMissIndex([known])
    limit = min(max_edits(len(heard)), max_edits(len(known)))
    d = distance(heard, known, limit)
    expected = [(known, d)] if d <= limit else []
    assert index.lookup(heard) == expected
