"""Speech at a menu, in the scenario format and the engine: declared intents per language,
grammar mode, a threshold, barge-in; an unsure recognition is asked again once, then keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import yaml

from ivr.scenario import (
    Call,
    CallContext,
    Collect,
    Digits,
    Hangup,
    NoInput,
    SpeechAsk,
    SpeechIntent,
    SpeechResult,
    Transfer,
)
from ivr.scenario.validate import load_valid, validate_file
from speech.intents import IntentSet
from tests.scenario_helpers import at, write

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "ivr" / "scenario" / "schema.json").read_text(encoding="utf-8"))
OPEN = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)

MENU = """\
languages: [en, ru]
default_language: en
entry: menu
nodes:
  menu:
    kind: menu
    prompt: {en: "What can I do for you?", ru: "Чем могу помочь?"}
    speech:
      grammar: true
      min_confidence: 0.6
      barge_in: false
      retry_prompt: {en: "Sorry, say that again.", ru: "Повторите, пожалуйста."}
      keys_prompt: {en: Please use the keypad., ru: Воспользуйтесь клавиатурой.}
      intents:
        billing:
          en: {keywords: [bill, payment], phrases: [my bill is wrong]}
          ru: {keywords: [счёт, оплата]}
        tv:
          en: {keywords: [tv, television]}
    options:
      - key: 1
        intent: billing
        label: {en: "Billing, press {key}.", ru: "Счета: {key}."}
        transfer: {service: billing}
      - key: 2
        intent: tv
        label: {en: "TV, press {key}.", ru: "ТВ: {key}."}
        transfer: {service: tv}
      - key: 9
        label: {en: "Goodbye, press {key}.", ru: "До свидания: {key}."}
        target: bye
      - key: 8
        label: {en: "Again, press {key}.", ru: "Снова: {key}."}
        target: again
  again:
    kind: goto
    target: menu
  bye:
    kind: hangup
"""


def call_at_menu(tmp_path: Path, language: str = "en") -> tuple[Call, Collect]:
    scenario = load_valid(write(tmp_path, MENU))
    call = Call(scenario, CallContext(now=OPEN, caller="+15550001", language=language))
    action = call.start()
    assert isinstance(action, Collect)
    return call, action


def test_speech_block_loads_into_the_menu(tmp_path: Path) -> None:
    scenario = load_valid(write(tmp_path, MENU))
    speech = scenario.nodes["menu"].speech  # type: ignore[union-attr]
    assert speech is not None
    assert (speech.grammar, speech.min_confidence, speech.barge_in) == (True, 0.6, False)
    assert speech.intents["billing"]["en"].phrases == ("my bill is wrong",)
    assert speech.intents["billing"]["ru"].keywords == ("счёт", "оплата")
    assert speech.languages() == {"en", "ru"}
    texts = scenario.all_prompt_texts()
    assert ("en", "Sorry, say that again.") in texts  # pre-rendered like every prompt
    assert ("ru", "Воспользуйтесь клавиатурой.") in texts


def test_collect_asks_for_speech_in_the_call_language(tmp_path: Path) -> None:
    _, menu = call_at_menu(tmp_path)
    assert menu.speech == SpeechAsk(
        "en",
        (
            SpeechIntent("billing", ("bill", "payment"), ("my bill is wrong",)),
            SpeechIntent("tv", ("tv", "television")),
        ),
        grammar=True,
        barge_in=False,
        min_confidence=0.6,
    )
    _, russian = call_at_menu(tmp_path, "ru")
    assert russian.speech is not None
    assert [i.name for i in russian.speech.intents] == ["billing"]  # tv has no Russian words


def test_confident_speech_chooses_and_the_journey_keeps_what_was_heard(tmp_path: Path) -> None:
    call, _ = call_at_menu(tmp_path)
    action = call.feed(SpeechResult("billing", 0.83, "um my bill is wrong"))
    assert isinstance(action, Transfer) and action.service == "billing"
    step = next(s for s in call.journey.path if s.detail.get("result") == "option")
    assert step.input == "speech:billing"
    assert step.detail["transcript"] == "um my bill is wrong"
    assert step.detail["confidence"] == 0.83
    assert call.journey.intent == "billing"


def test_unsure_speech_is_asked_again_once_then_keys_only(tmp_path: Path) -> None:
    call, _ = call_at_menu(tmp_path)
    again = call.feed(SpeechResult("tv", 0.4, "tee"))
    assert isinstance(again, Collect) and again.speech is not None
    assert [p.text for p in again.prompts][:2] == [
        "Sorry, say that again.",
        "What can I do for you?",
    ]
    keys = call.feed(SpeechResult(None, 0.0, "hmm"))
    assert isinstance(keys, Collect) and keys.speech is None
    assert [p.text for p in keys.prompts][0] == "Please use the keypad."
    results = [s.detail["result"] for s in call.journey.path]
    assert results[-2:] == ["speech_unsure", "speech_to_keys"]
    assert call.journey.path[-2].detail["transcript"] == "tee"
    done = call.feed(Digits("2"))
    assert isinstance(done, Transfer) and done.service == "tv"


def test_keys_work_at_a_speech_menu_and_speech_misses_are_not_invalid_entries(
    tmp_path: Path,
) -> None:
    call, _ = call_at_menu(tmp_path)
    call.feed(SpeechResult(None, 0.0, "what"))
    # An unknown key after a speech miss is the first invalid entry: still retried.
    retry = call.feed(Digits("7"))
    assert isinstance(retry, Collect) and retry.speech is not None
    assert call.journey.path[-1].detail == {"result": "invalid", "attempt": 1}
    bye = call.feed(Digits("9"))
    assert isinstance(bye, Hangup)
    silence = call_at_menu(tmp_path)[0].feed(NoInput())
    assert isinstance(silence, Collect) and silence.speech is not None


def test_speech_is_listened_for_again_when_the_menu_is_entered_again(tmp_path: Path) -> None:
    scenario = load_valid(write(tmp_path, MENU))
    call = Call(scenario, CallContext(now=OPEN, caller="+15550001"))
    call.start()
    call.feed(SpeechResult(None, 0.0, "a"))
    keys_only = call.feed(SpeechResult(None, 0.0, "b"))
    assert isinstance(keys_only, Collect) and keys_only.speech is None
    back = call.feed(Digits("8"))
    assert isinstance(back, Collect) and back.speech is not None


def test_speech_errors_name_file_line_and_column(tmp_path: Path) -> None:
    bad = (
        MENU.replace(
            "tv:\n          en: {keywords: [tv, television]}",
            "tvv:\n          en: {keywords: [tv, television]}",
        )
        .replace("grammar: true", "grammar: maybe")
        .replace("ru: {keywords: [счёт, оплата]}", "de: {keywords: [Rechnung]}")
        .replace("barge_in: false", "barge_in: false\n      colour: blue")
        .replace("min_confidence: 0.6", "min_confidence: 1.5")
    )
    path = write(tmp_path, bad)
    problems = [str(p) for p in validate_file(path)]
    expected = [
        at(path, "maybe") + "speech of menu 'menu' grammar must be true/false",
        at(path, "1.5") + "speech of menu 'menu' min_confidence must be between 0 and 1",
        at(path, "colour") + "unknown key 'colour' in speech of menu 'menu' (expected: "
        "barge_in, grammar, intents, keys_prompt, min_confidence, retry_prompt)",
        at(path, "de:") + "speech intent 'billing' has words for undeclared language 'de'",
        at(path, "tvv") + "speech intent 'tvv' is not an option's intent in menu 'menu' "
        "(options' intents: billing, tv)",
    ]
    assert sorted(problems) == sorted(expected)


def test_empty_terms_are_refused(tmp_path: Path) -> None:
    bad = MENU.replace("en: {keywords: [tv, television]}", "en: {keywords: []}")
    path = write(tmp_path, bad)
    problems = [str(p) for p in validate_file(path)]
    assert problems == [
        at(path, "{keywords: []}") + "intent 'tv' in speech of menu 'menu' (en) "
        "needs keywords or phrases"
    ]


def test_schema_accepts_speech_and_rejects_a_wrong_block(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    data = yaml.safe_load(MENU)
    assert list(validator.iter_errors(data)) == []
    data["nodes"]["menu"]["speech"]["intents"]["tv"]["en"] = {"words": ["tv"]}
    data["nodes"]["menu"]["speech"]["grammar"] = "yes"
    assert len(list(validator.iter_errors(data))) == 2


def test_shipped_telecom_speech_words_are_the_measured_corpus_definitions() -> None:
    """tests/test_speech_corpus.py measures accuracy on these definitions: the shipped menu
    must use exactly them."""
    scenario = load_valid(ROOT / "scenarios" / "telecom.yaml")
    speech = scenario.nodes["main_menu"].speech  # type: ignore[union-attr]
    assert speech is not None
    shipped = {
        intent: {
            lang: {"keywords": list(t.keywords), "phrases": list(t.phrases)}
            for lang, t in by_lang.items()
        }
        for intent, by_lang in speech.intents.items()
    }
    measured = yaml.safe_load((ROOT / "tests/data/speech/telecom_intents.yaml").read_text())
    assert shipped == measured


def test_shipped_bank_card_speech_understands_plain_requests() -> None:
    scenario = load_valid(ROOT / "scenarios" / "bank_card.yaml")
    speech = scenario.nodes["main_menu"].speech  # type: ignore[union-attr]
    assert speech is not None and speech.grammar
    intents = IntentSet.from_mapping(
        {
            name: {
                lang: {"keywords": list(t.keywords), "phrases": list(t.phrases)}
                for lang, t in by_lang.items()
            }
            for name, by_lang in speech.intents.items()
        }
    )
    said = {
        ("en", "i think i lost my card"): "lost_card",
        ("en", "what is my balance please"): "balance",
        ("en", "there is a payment i did not make"): "dispute",
        ("en", "activate the new card"): "activation",
        ("ru", "у меня украли карту"): "lost_card",
        ("ru", "какой баланс на карте"): "balance",
        ("ru", "хочу оспорить операцию"): "dispute",
        ("ru", "соедините с консультантом"): "general",
    }
    for (language, text), intent in said.items():
        match = intents.match(text, language)
        assert (match.intent, match.confidence >= 0.6) == (intent, True), (text, match)
