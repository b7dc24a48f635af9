"""The intent matcher (pure): scoring, tolerance, confidence, definitions, grammar words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from speech.exceptions import IntentDefinitionError
from speech.grammar import UNKNOWN, grammar_words
from speech.intents import IntentDef, IntentSet, match_intent

DATA = Path(__file__).parent / "data" / "speech"


@pytest.fixture(scope="module")
def telecom() -> IntentSet:
    return IntentSet.from_mapping(yaml.safe_load((DATA / "telecom_intents.yaml").read_text()))


SMALL = IntentSet(
    {
        "en": [
            IntentDef("billing", ("bill", "invoice"), ("my bill is wrong",)),
            IntentDef("internet", ("internet", "router", "not working"), ("no internet",)),
            IntentDef("sales", ("buy", "upgrade"), ("buy faster internet",)),
        ],
        "ru": [
            IntentDef("billing", ("счет", "оплата"), ("неправильный счет",)),
            IntentDef("internet", ("интернет", "роутер"), ("не работает интернет",)),
        ],
    }
)


def test_keyword_wins_with_high_confidence() -> None:
    m = SMALL.match("my bill", "en")
    assert m.intent == "billing"
    assert m.confidence > 0.7
    assert m.runner_up is None
    assert m.matched == ("bill",)


def test_word_order_and_fillers_do_not_matter() -> None:
    a = SMALL.match("um well the router uh", "en")
    b = SMALL.match("router the", "en")
    assert a.intent == b.intent == "internet"
    assert a.confidence == b.confidence


@pytest.mark.parametrize("heard", ["счёт", "счета", "счету", "счетом", "Счетов"])
def test_russian_inflections_and_yo(heard: str) -> None:
    m = SMALL.match(f"ну э-э {heard}", "ru")
    assert m.intent == "billing", heard
    assert m.confidence > 0.7


@pytest.mark.parametrize("heard", ["интернета", "интернетом", "интернет"])
def test_russian_noun_forms(heard: str) -> None:
    assert SMALL.match(f"нет {heard}", "ru").intent == "internet"


def test_near_miss_counts_less_than_exact() -> None:
    exact = SMALL.match("router", "en")
    near = SMALL.match("rooter", "en")
    assert near.intent == "internet"
    assert near.matched == ("rooter~router",)
    assert 0 < near.confidence < exact.confidence


def test_shared_word_is_weaker_than_a_specific_one() -> None:
    # "internet" belongs to internet (keyword) and sales (phrase); "upgrade" only to sales.
    m = SMALL.match("upgrade my internet", "en")
    assert m.intent == "sales"
    assert m.runner_up == "internet"
    assert m.runner_up_confidence < m.confidence


def test_multiword_keyword_needs_all_its_words() -> None:
    assert "not working" in SMALL.match("it is not working", "en").matched
    assert "not working" not in SMALL.match("it is working", "en").matched


def test_negation_alone_is_no_evidence() -> None:
    m = SMALL.match("no not", "en")
    assert m.intent is None and m.confidence == 0.0


def test_nothing_recognisable_gives_no_intent() -> None:
    m = SMALL.match("the weather is lovely", "en")
    assert m.intent is None
    assert m.confidence == 0.0
    assert m.words == ("the", "weather", "is", "lovely")


def test_a_tie_halves_the_confidence() -> None:
    tie = SMALL.match("bill router", "en")
    single = SMALL.match("bill", "en")
    assert tie.intent == "billing"  # first in priority order
    assert tie.runner_up == "internet"
    assert tie.confidence == pytest.approx(single.confidence / 2, abs=0.01)


def test_confidence_is_between_zero_and_one(telecom: IntentSet) -> None:
    for text in ["bill bill bill invoice payment charge refund", "x", "cancel cancel"]:
        m = telecom.match(text, "en")
        assert 0.0 <= m.confidence <= 1.0


def test_match_intent_function_equals_method() -> None:
    assert match_intent(SMALL, "buy", "en") == SMALL.match("buy", "en")


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(IntentDefinitionError, match="no intents for language 'de'"):
        SMALL.match("rechnung", "de")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"billing": "bill"}, "billing: expected a mapping"),
        ({"billing": {"en": ["bill"]}}, "billing.en: expected keywords and/or phrases"),
        ({"billing": {"en": {"keywords": "bill"}}}, "billing.en.keywords: expected a list"),
        ({"billing": {"en": {"keyword": ["bill"]}}}, "unknown keys"),
        ({"billing": {"en": {"keywords": ["bill", ""]}}}, "not a non-empty string"),
        ({"billing": {"en": {"keywords": ["um", "uh"]}}}, "no keyword or phrase with a word"),
    ],
)
def test_bad_definitions_are_clear_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(IntentDefinitionError, match=message):
        IntentSet.from_mapping(data)


def test_duplicate_intent_is_an_error() -> None:
    with pytest.raises(IntentDefinitionError, match="defined twice"):
        IntentSet({"en": [IntentDef("a", ("x",)), IntentDef("a", ("y",))]})


def test_languages_and_definitions(telecom: IntentSet) -> None:
    assert telecom.languages == ("en", "ru")
    names = [d.name for d in telecom.definitions("ru")]
    assert names[0] == "billing" and "general" in names and len(names) == 7
    assert telecom.definitions("de") == ()


def test_grammar_words_cover_keywords_and_phrases() -> None:
    g = grammar_words(SMALL, "en", fillers=False)
    assert {"bill", "invoice", "router", "not", "working", "my", "wrong"} <= set(g.words)
    assert len(g.words) == len(set(g.words))
    assert g.to_json().endswith(f'"{UNKNOWN}"]')


def test_grammar_words_list_both_yo_spellings() -> None:
    intents = IntentSet({"ru": [IntentDef("billing", ("Счёт",))]})
    assert grammar_words(intents, "ru", fillers=False).words == ("счёт", "счет")


def test_grammar_words_keep_only_known_words_and_report_the_rest() -> None:
    vocabulary = {"bill", "router", "um"}
    g = grammar_words(SMALL, "en", known=vocabulary.__contains__, extra=["zebra"])
    assert set(g.words) == {"bill", "router", "um"}
    assert "zebra" in g.dropped and "invoice" in g.dropped
    assert g.unknown_token is False  # the model has no [unk]
    assert UNKNOWN not in g.to_json()


def test_grammar_words_include_fillers_when_asked() -> None:
    assert "um" in grammar_words(SMALL, "en").words
    assert "ну" in grammar_words(SMALL, "ru").words
    assert "um" not in grammar_words(SMALL, "en", fillers=False).words
