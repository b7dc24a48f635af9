"""What an EAGI listen at each kind of speech-enabled step listens for and what the words
mean (the shipped telecom scenario, English and Russian transcripts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.scenario.validate import load_valid
from speech.eagi_step import EagiAnswer, eagi_step

ROOT = Path(__file__).resolve().parent.parent
TELECOM = load_valid(ROOT / "scenarios" / "telecom.yaml")


def test_a_menu_names_the_intent_and_its_options_key() -> None:
    step = eagi_step(TELECOM, "main_menu", "en")
    assert (step.grammar, step.threshold) == (False, 0.6)
    answer = step.decide("um my bill is higher than usual", 0.9)
    assert (answer.intent, answer.key) == ("billing", "6")
    assert step.done("my bill is higher than usual")
    assert step.decide("the weather is nice", 0.9) == EagiAnswer(None, 0.0)


def test_a_channel_switch_names_the_choice_and_its_key_in_russian() -> None:
    step = eagi_step(TELECOM, "billing_offer", "ru")
    assert step.language == "ru" and step.grammar
    answer = step.decide("перезвоните мне пожалуйста", 0.9)
    assert (answer.intent, answer.key) == ("callback", "2")
    assert step.decide("я подожду", 0.9).key == "3"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "five five five five six six six six"),
        ("ru", "пятьдесят пять пятьдесят пять шестьдесят шесть шестьдесят шесть"),
    ],
)
def test_a_gather_hears_the_digits_it_accepts(language: str, words: str) -> None:
    step = eagi_step(TELECOM, "identify", language)
    assert "five" in step.extra or "пять" in step.extra  # the grammar is the number words
    assert step.done(words)
    assert step.decide(words, 0.8) == EagiAnswer(None, 0.8, digits="55556666")
    assert step.decide(words, 0.4).digits == ""  # the recogniser was not sure enough
    assert step.decide(" ".join(words.split()[:3]), 0.9).digits == ""  # too few digits


def test_a_gather_keeps_listening_until_all_the_digits_are_said() -> None:
    step = eagi_step(TELECOM, "identify", "en")
    assert not step.done("five five five five six six six")
    assert step.done("five five five five six six six six")


def test_a_gathers_confirmation_hears_yes_and_no_with_their_keys() -> None:
    step = eagi_step(TELECOM, "identify", "ru", confirm=True)
    assert set(step.extra) >= {"да", "нет"}
    assert step.decide("да", 0.9) == EagiAnswer("yes", 0.95, "1")
    assert step.decide("нет не этот", 0.9).key == "2"
    assert step.done("да") and not step.done("ну")


def test_an_unknown_language_falls_back_to_the_scenarios_default() -> None:
    assert eagi_step(TELECOM, "billing_offer", "de").language == "en"


def test_a_node_that_does_not_listen_is_refused() -> None:
    with pytest.raises(ValueError, match="'goodbye' is not a speech-enabled node of telecom"):
        eagi_step(TELECOM, "goodbye", "en")
    with pytest.raises(ValueError, match="is not a speech-enabled node"):
        eagi_step(TELECOM, "nowhere", "en")
