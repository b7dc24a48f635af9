"""Speech at a gather, in the scenario format and the engine: digits spoken as words, a
spoken yes/no at the prefill confirmation, the same threshold/retry/keys rules as menus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from ivr.scenario import (
    Call,
    CallContext,
    Collect,
    Digits,
    SpeechAsk,
    SpeechIntent,
    SpeechResult,
    Transfer,
)
from ivr.scenario.validate import load_valid, validate_file
from tests.scenario_helpers import where, write

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "ivr" / "scenario" / "schema.json").read_text(encoding="utf-8"))
OPEN = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)

GATHER = """\
languages: [en, ru]
default_language: en
entry: account
defaults:
  retries: 1
  invalid: {target: agent}
  no_input: {target: agent}
nodes:
  account:
    kind: gather
    field: account_number
    length: 4
    prefill: confirm
    confirm_prompt:
      en: "Is this about the account ending {account_number|digits}? Press 1 for yes."
      ru: "Речь о счёте {account_number|digits}? Нажмите 1, если да."
    prompt: {en: Please say or enter your account number., ru: Назовите номер счёта.}
    speech:
      min_confidence: 0.6
      retry_prompt: {en: "Sorry, say it again.", ru: "Повторите, пожалуйста."}
      keys_prompt: {en: Please use the keypad., ru: Воспользуйтесь клавиатурой.}
    next: billing
  billing:
    kind: transfer
    service: billing
  agent:
    kind: transfer
    service: general
"""


def start(tmp_path: Path, text: str = GATHER, **context: object) -> tuple[Call, Collect]:
    scenario = load_valid(write(tmp_path, text))
    call = Call(scenario, CallContext(now=OPEN, caller="+15550001", **context))  # type: ignore[arg-type]
    action = call.start()
    assert isinstance(action, Collect)
    return call, action


def collected_step(call: Call) -> dict[str, object]:
    step = next(s for s in call.journey.path if s.detail.get("result") == "collected")
    return {"input": step.input, **step.detail}


def test_the_gather_listens_for_spoken_digits_in_the_call_language(tmp_path: Path) -> None:
    _, ask = start(tmp_path)
    assert ask.expects == "digits"
    assert ask.speech == SpeechAsk("en", (), True, True, 0.6, listen_for="digits")
    _, russian = start(tmp_path, language="ru")
    assert russian.speech is not None and russian.speech.language == "ru"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "four three two one"),
        ("en", "um my account is forty three twenty one"),
        ("ru", "четыре три два один"),
        ("ru", "сорок три двадцать один"),
        ("en", "4 3 2 1"),
    ],
)
def test_spoken_digits_fill_the_field_and_the_journey_says_it_was_speech(
    tmp_path: Path, language: str, words: str
) -> None:
    call, _ = start(tmp_path, language=language)
    action = call.feed(SpeechResult(None, 0.82, words))
    assert isinstance(action, Transfer) and action.service == "billing"
    assert call.journey.data() == {"account_number": "4321"}
    assert call.journey.to_record()["inputs"]["account_number"] == {
        "value": "4321",
        "source": "voice",
        "via": "speech",
        "transcript": words,
        "confidence": 0.82,
    }
    assert collected_step(call) == {
        "input": "4321",
        "result": "collected",
        "field": "account_number",
        "via": "speech",
        "transcript": words,
        "confidence": 0.82,
    }


def test_keys_still_work_and_are_recorded_as_before(tmp_path: Path) -> None:
    call, _ = start(tmp_path)
    action = call.feed(Digits("4321#"))
    assert isinstance(action, Transfer)
    assert call.journey.to_record()["inputs"]["account_number"] == {
        "value": "4321",
        "source": "voice",
    }


def test_unsure_or_wrong_length_speech_is_asked_again_once_then_keys_only(
    tmp_path: Path,
) -> None:
    call, _ = start(tmp_path)
    again = call.feed(SpeechResult(None, 0.3, "four three two one"))  # not sure enough
    assert isinstance(again, Collect) and again.speech is not None
    assert [p.text for p in again.prompts] == [
        "Sorry, say it again.",
        "Please say or enter your account number.",
    ]
    keys = call.feed(SpeechResult(None, 0.9, "four three two"))  # sure, but 3 digits
    assert isinstance(keys, Collect) and keys.speech is None
    assert keys.prompts[0].text == "Please use the keypad."
    results = [s.detail["result"] for s in call.journey.path]
    assert results == ["entered", "speech_unsure", "speech_to_keys"]
    assert call.journey.path[-1].detail["transcript"] == "four three two"
    done = call.feed(Digits("5678"))
    assert isinstance(done, Transfer) and call.journey.data() == {"account_number": "5678"}


def test_confirmation_asks_yes_or_no_with_the_built_in_words(tmp_path: Path) -> None:
    _, ask = start(tmp_path, known={"account_number": "4321"})
    assert ask.expects == "confirm"
    assert ask.speech is not None and ask.speech.listen_for == "yes_no"
    yes, no = ask.speech.intents
    assert (yes.name, no.name) == ("yes", "no")
    assert "yes" in yes.keywords and "no" in no.keywords
    _, russian = start(tmp_path, known={"account_number": "4321"}, language="ru")
    assert russian.speech is not None
    assert "да" in russian.speech.intents[0].keywords
    assert "нет" in russian.speech.intents[1].keywords


def test_a_spoken_yes_confirms_the_known_value(tmp_path: Path) -> None:
    call, _ = start(tmp_path, known={"account_number": "4321"}, language="ru")
    action = call.feed(SpeechResult("yes", 0.95, "да"))
    assert isinstance(action, Transfer) and action.service == "billing"
    assert call.journey.to_record()["inputs"]["account_number"] == {
        "value": "4321",
        "source": "profile",
    }
    step = next(s for s in call.journey.path if s.detail.get("prefill") == "confirmed")
    assert step.input == "speech:yes"
    assert step.detail == {
        "result": "prefill",
        "prefill": "confirmed",
        "via": "speech",
        "transcript": "да",
        "confidence": 0.95,
    }


def test_a_spoken_no_asks_for_the_number_which_may_be_spoken(tmp_path: Path) -> None:
    call, _ = start(tmp_path, known={"account_number": "4321"})
    ask = call.feed(SpeechResult("no", 0.95, "no"))
    assert isinstance(ask, Collect) and ask.expects == "digits"
    assert ask.speech is not None and ask.speech.listen_for == "digits"
    assert call.journey.path[-1].detail["prefill"] == "declined"
    done = call.feed(SpeechResult(None, 0.9, "one two three four"))
    assert isinstance(done, Transfer)
    assert call.journey.collected["account_number"].via == "speech"
    assert call.journey.data() == {"account_number": "1234"}


def test_an_unsure_answer_is_asked_again_then_keys_work(tmp_path: Path) -> None:
    call, _ = start(tmp_path, known={"account_number": "4321"})
    again = call.feed(SpeechResult("yes", 0.3, "yes no"))
    assert isinstance(again, Collect) and again.expects == "confirm"
    assert again.speech is not None and again.prompts[0].text == "Sorry, say it again."
    keys = call.feed(SpeechResult(None, 0.0, "hmm"))
    assert isinstance(keys, Collect) and keys.speech is None
    assert [s.detail["result"] for s in call.journey.path][-2:] == [
        "speech_unsure",
        "speech_to_keys",
    ]
    done = call.feed(Digits("1"))
    assert isinstance(done, Transfer)
    confirmed = next(s for s in call.journey.path if s.detail.get("prefill") == "confirmed")
    assert confirmed.input == "1"


def test_the_scenario_may_name_its_own_answer_words(tmp_path: Path) -> None:
    text = GATHER.replace(
        "      min_confidence: 0.6\n",
        "      min_confidence: 0.6\n      yes_words: {en: [correct, affirmative]}\n",
    )
    _, ask = start(tmp_path, text, known={"account_number": "4321"})
    assert ask.speech is not None
    assert ask.speech.intents[0] == SpeechIntent("yes", ("correct", "affirmative"))
    assert "no" in ask.speech.intents[1].keywords  # the other side keeps the built-in words


def test_no_speech_block_means_keys_only(tmp_path: Path) -> None:
    text = (
        GATHER.split("    speech:\n")[0]
        + "    next: billing\n"
        + GATHER.split("next: billing\n", 1)[1]
    )
    _, ask = start(tmp_path, text)
    assert ask.speech is None


def test_a_language_without_digit_words_is_keys_only(tmp_path: Path) -> None:
    text = """\
languages: [en, de]
default_language: en
entry: account
nodes:
  account:
    kind: gather
    field: account_number
    prompt: {en: Your account number please., de: Ihre Kontonummer bitte.}
    speech: {min_confidence: 0.6}
    next: bye
  bye:
    kind: hangup
"""
    _, german = start(tmp_path, text, language="de")
    assert german.speech is None
    _, english = start(tmp_path, text, language="en")
    assert english.speech is not None and english.speech.listen_for == "digits"


def test_errors_name_file_line_and_column(tmp_path: Path) -> None:
    bad = GATHER.replace(
        "      min_confidence: 0.6\n",
        "      min_confidence: 2\n      confirm: maybe\n      colour: blue\n"
        "      no_words: {de: [nein]}\n",
    )
    path = write(tmp_path, bad)
    found = {(p.line, p.column): p.message for p in validate_file(path)}
    line, column = where(path, "min_confidence: 2")
    expected = {
        (line, column + len("min_confidence: ")): (
            "speech of gather 'account' min_confidence must be between 0 and 1"
        ),
        where(path, "maybe"): "speech of gather 'account' confirm must be true/false",
        where(path, "colour"): "",
        where(path, "de: [nein]"): "speech no_words for undeclared language 'de'",
    }
    assert set(found) == set(expected), found
    for pos, message in expected.items():
        assert message in found[pos]


def test_confirm_without_prefill_is_refused(tmp_path: Path) -> None:
    text = GATHER.replace("    prefill: confirm\n", "").replace(
        "      min_confidence: 0.6\n", "      confirm: true\n"
    )
    path = write(tmp_path, text)
    line, column = where(path, "confirm: true")
    assert [(p.line, p.column, p.message) for p in validate_file(path)] == [
        (line, column + len("confirm: "), "speech confirm in 'account' needs prefill: confirm")
    ]


def test_speech_at_a_gather_needs_a_language_it_understands(tmp_path: Path) -> None:
    german = """\
languages: [de]
default_language: de
entry: account
nodes:
  account:
    kind: gather
    field: account_number
    prefill: confirm
    confirm_prompt: {de: "Konto {account_number}? Eins für ja."}
    prompt: {de: Kontonummer bitte.}
    speech: {min_confidence: 0.6}
    next: bye
  bye:
    kind: hangup
"""
    path = write(tmp_path, german)
    line, column = where(path, "speech:")
    assert sorted((p.line, p.column, p.message) for p in validate_file(path)) == [
        (
            line,
            column,
            "no yes/no words for the scenario's languages: declare speech yes_words and no_words",
        ),
        (
            line,
            column,
            "spoken digits are understood in en, ru, ko only, not in the scenario's languages (de)",
        ),
    ]
    declared = german.replace(
        "speech: {min_confidence: 0.6}",
        "speech: {digits: false, yes_words: {de: [ja]}, no_words: {de: [nein]}}",
    )
    assert validate_file(write(tmp_path, declared, "declared")) == []


def test_the_schema_accepts_the_speech_block_and_refuses_unknown_keys(tmp_path: Path) -> None:
    data = yaml.safe_load(GATHER)
    jsonschema.validate(data, SCHEMA)
    data["nodes"]["account"]["speech"]["yes_words"] = {"en": ["correct"]}
    data["nodes"]["account"]["speech"]["digits"] = False
    jsonschema.validate(data, SCHEMA)
    data["nodes"]["account"]["speech"]["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_shipped_scenarios_with_speech_at_gathers_validate() -> None:
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert validate_file(path) == [], path
